"""``peakmap build`` of a large layer in chunks: read, check, reproject, derive and write.

A city-size project (``peakmap sample --scale 200``: ≈ 1.5 M buildings) would otherwise hold
its largest layer whole, several times over (source frame, converted, repaired, reprojected,
derived). When the manifest declares ``[project] metric_crs``, a layer of any format
(:data:`gis.io.CHUNKED_SUFFIXES`: random access for GeoPackage, Shapefile and FlatGeobuf,
one streaming pass for GeoJSON, GeoParquet and CSV) is read ``chunk_size`` features at a time
(:func:`gis.io.read_vector_chunks`); each chunk goes
through the checks of :func:`layers.ingest.ingest_layer` (:func:`layers.ingest.ingest_part`),
is reprojected, gets its derived fields (:func:`layers.ingest.derive_fields`: per feature, so
chunk by chunk is the same) and is handed to the staged store's writer, which pulls the chunks
(``store.layer_writer(name).write_all``, :mod:`layers.store.chunks`: into a GeoPackage as one
Arrow stream, so the layer is written, and its R-tree built, once), then let go.

What stays whole-layer:

- ids must be unique over the layer: the converted ids of every chunk are kept (as compact
  Arrow strings, ≈ 20 bytes a feature) and checked at the end, with the message of
  :func:`layers.ingest_values.convert_fields`;
- "the layer has no features" / "no feature has a usable geometry" count every chunk;
- the layer's declared geometry type and its digest (:mod:`layers.store.chunks`; when a late
  chunk changes the type GDAL would declare, the layer is written once more);
- the build report's counts and notes: geometry repairs and outlines are summed; notes with
  one count (floors estimated, floor area missing, empty years) are summed; notes listing
  values (values read as missing) are given per chunk, prefixed with the features they
  concern (``features 1–50000: …``).

An error in a chunk is the same one-line message as without chunks, naming the file, layer,
field and feature; counts in it (``(3 empty)``) are then those of the chunk. Nothing is
committed after an error: the staged store is thrown away
(:func:`layers.store.txn.store_transaction`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pyproj import CRS

from gis import InputFileError, LayerValidationError
from gis import crs as gcrs
from gis.io import read_vector_chunks
from gis.validate import GeometryReport
from layers.ingest import LayerReport, derive_fields, ingest_part, settle_crs
from layers.ingest_values import geometry_notes
from layers.manifest import LayerSource
from layers.schema import CANONICAL
from layers.store.chunks import DiscardingWriter

if TYPE_CHECKING:
    from layers.project import Project

__all__ = ["DEFAULT_CHUNK_SIZE", "merge_notes", "store_layer_chunked"]

DEFAULT_CHUNK_SIZE = 50_000
"""Features per chunk of ``peakmap build`` (``--chunk-size``): ≈ 80 MB of buildings."""

# notes holding one count of features, summed over the chunks
_SUMMED = [re.compile(p) for p in (
    r"^floors: (?P<n>\d+) estimated from height_m ÷ .*$",
    r"^floor_area_m2: (?P<n>\d+) estimated as footprint × floors$",
    r"^floor_area_m2: (?P<n>\d+) buildings have no floor area, floors or height .*$",
    r"^\w+: (?P<n>\d+) empty$",
)]


def merge_notes(parts: list[tuple[int, int, list[str]]]) -> list[str]:
    """The notes of a layer built in chunks, from each chunk's notes.

    Parameters
    ----------
    parts : list of (int, int, list of str)
        First and last feature (numbered from 1) of each chunk, and its notes.

    Returns
    -------
    list of str
        One chunk: its notes. Several: notes of one count summed (in order of first
        appearance), the others prefixed with their chunk's features.

    Examples
    --------
    >>> merge_notes([(1, 2, ["floors: 2 estimated from height_m ÷ 3 m (x)", "a: 1 value 7"]),
    ...              (3, 4, ["floors: 1 estimated from height_m ÷ 3 m (x)"])])
    ['floors: 3 estimated from height_m ÷ 3 m (x)', 'features 1–2: a: 1 value 7']
    """
    if len(parts) == 1:
        return list(parts[0][2])
    summed: dict[str, int] = {}
    out: list[str | tuple[str]] = []
    for first, last, notes in parts:
        for note in notes:
            m = next((m for p in _SUMMED if (m := p.match(note))), None)
            if m is None:
                out.append(f"features {first}–{last}: {note}")
                continue
            key = note[:m.start("n")] + "{}" + note[m.end("n"):]
            if key not in summed:
                out.append((key,))
                summed[key] = 0
            summed[key] += int(m["n"])
    return [o if isinstance(o, str) else o[0].replace("{}", str(summed[o[0]]), 1) for o in out]


def _add_geo(total: GeometryReport, part: GeometryReport) -> None:
    total.read += part.read
    total.repaired += part.repaired
    total.dropped += part.dropped
    total.repaired_ids += part.repaired_ids
    total.dropped_ids += part.dropped_ids
    total.degenerate_ids += part.degenerate_ids


def _check_unique(ids: list[pd.Series], label: str) -> None:
    """The id check of ``convert_fields`` over every chunk's ids."""
    if not ids:
        return
    every = pd.concat(ids, ignore_index=True)
    dup = every.duplicated(keep=False) & every.notna()
    if dup.any():
        raise LayerValidationError(
            f"{label}, field id, feature {every[dup].iloc[0]}: id is not unique "
            f"({int(dup.sum())} features share ids)"
        )


def store_layer_chunked(
    project: Project, staged: Project | None, name: str, src: LayerSource, path: Path,
    metric: CRS, *, label: str, strict: bool, report_year: int, chunk_size: int,
) -> LayerReport:
    """Ingest layer ``name`` chunk by chunk into the staged store (see the module notes).

    Parameters
    ----------
    project : Project
        The project.
    staged : Project or None
        The same with the staging store; None only checks the layer (after another
        layer failed, nothing is written).
    name : str
        Canonical layer name.
    src : LayerSource
        Its manifest entry.
    path : pathlib.Path
        The resolved source file.
    metric : pyproj.CRS
        The project's metric CRS.
    label : str
        How the source is named in messages.
    strict : bool
        Refuse invalid geometries instead of repairing them.
    report_year : int
        The project's report year.
    chunk_size : int
        Most features in one chunk.

    Returns
    -------
    LayerReport
        As the whole-layer build's.

    Raises
    ------
    PeakmapError
        The first problem found, as :func:`layers.ingest.ingest_layer` words it.
    """
    layout = None
    for _ in range(2):
        report, layout = _one_pass(project, staged, name, src, path, metric, label=label,
                                   strict=strict, report_year=report_year,
                                   chunk_size=chunk_size, layout=layout)
        if layout is None:
            return report
    raise AssertionError("a layer written with its final layout needs no second write")


def _one_pass(
    project: Project, staged: Project | None, name: str, src: LayerSource, path: Path,
    metric: CRS, *, label: str, strict: bool, report_year: int, chunk_size: int,
    layout: tuple[str, bool] | None,
) -> tuple[LayerReport, tuple[str, bool] | None]:
    spec = CANONICAL[name]
    report = LayerReport(name=name, source=str(src.path), crs_out=gcrs.crs_name(metric))
    writer = staged.store.layer_writer(name, layout) if staged is not None \
        else DiscardingWriter(name)
    value_notes: list[tuple[int, int, list[str]]] = []
    derived_notes: list[tuple[int, int, list[str]]] = []
    geo = GeometryReport()
    late = GeometryReport()
    outlines = 0
    ids: list[pd.Series] = []
    start = 0

    def stored() -> Iterator[pd.DataFrame]:
        """Each chunk read, checked, reprojected and derived, as it is to be stored."""
        nonlocal start, outlines
        for chunk in read_vector_chunks(path, chunk_size=chunk_size, layer=src.layer,
                                        encoding=src.encoding, x=src.x, y=src.y,
                                        label=label):
            n = len(chunk)
            if start == 0 and n == 0:
                raise InputFileError(f"{label}: the layer has no features")
            part, notes, n_outlines, part_geo = ingest_part(
                chunk, spec, src, label, strict=strict, report_year=report_year,
                start=start, ids_out=ids)
            del chunk
            value_notes.append((start + 1, start + n, notes))
            outlines += n_outlines
            _add_geo(geo, part_geo)
            if len(part):
                part, report.crs_in = settle_crs(part, src, label, name)
                scratch = LayerReport(name=name, source=report.source)
                out = derive_fields(project, name, part.to_crs(metric), scratch)
                del part
                derived_notes.append((start + 1, start + n, scratch.notes))
                late.repaired += scratch.repaired  # made invalid by the reprojection
                late.dropped += scratch.dropped
                report.features_stored += len(out)
                start += n
                yield out
                del out
            else:
                start += n

    # the writer pulls the chunks: a GeoPackage layer is one write (layers.store.chunks)
    writer.write_all(stored())
    report.features_read = start
    _check_unique(ids, label)
    ids.clear()
    if report.features_stored == 0:
        raise InputFileError(f"{label}: no feature has a usable geometry")
    report.notes.extend(merge_notes(value_notes))
    if outlines:
        report.notes.append(f"{outlines} polygons used by their outlines")
    report.repaired = geo.repaired + late.repaired
    report.dropped = geo.dropped + late.dropped
    report.notes.extend(geometry_notes(geo, spec.geometry))
    report.notes.extend(merge_notes(derived_notes) if derived_notes else [])
    return report, writer.close()
