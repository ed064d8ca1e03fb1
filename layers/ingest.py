"""One layer from its source file to canonical features: the steps a build and an upload share.

:func:`ingest_layer` reads a ``[layers.<name>]`` source, maps its fields to the canonical
schema (:mod:`layers.schema`), checks types and values (:mod:`layers.ingest_values`), drops
empty and repairs invalid geometries and settles the CRS (GCJ-02 / BD-09 converted to
WGS84); :func:`ingest_part` is the same on one chunk (:mod:`layers.build_chunks`);
:func:`derive_fields` adds what needs the metric CRS. ``peakmap build`` (:mod:`layers.build`)
runs them on every layer, an upload (:mod:`layers.uploads`) on one, and
:func:`check_upload` on one without writing, listing every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import CRSError, InputFileError, LayerValidationError, PeakmapError
from gis import crs as gcrs
from gis.io import read_vector
from gis.validate import GeometryReport, polygon_outlines, repair_geometries
from layers.floors import complete_floor_area
from layers.ingest_values import convert_fields, geometry_notes
from layers.manifest import LayerSource
from layers.params import BuildingsParams
from layers.project import Project
from layers.schema import CANONICAL, LayerSpec

__all__ = [
    "LayerReport",
    "check_upload",
    "derive_fields",
    "ingest_layer",
    "ingest_part",
    "settle_crs",
]


@dataclass
class LayerReport:
    """What happened to one layer (or raster) during the build."""

    name: str
    source: str
    features_read: int = 0
    repaired: int = 0
    dropped: int = 0
    features_stored: int = 0
    crs_in: str = ""
    crs_out: str = ""
    notes: list[str] = field(default_factory=list)


def _feature_ids(gdf: pd.DataFrame, spec: LayerSpec, start: int = 0) -> pd.Series:
    """Ids for messages: ``id`` or ``code``, else the feature's number in the file from 1."""
    for key in ("id", "code"):
        if key in gdf.columns and spec.field(key) is not None:
            return gdf[key].astype("string").fillna("?").reset_index(drop=True)
    return pd.Series([f"#{start + i + 1}" for i in range(len(gdf))], dtype="string")


def _sources(src: LayerSource) -> dict[str, list[str]]:
    """Canonical field → its source columns (one, or several: the first value wins)."""
    return {canon: [cols] if isinstance(cols, str) else list(cols)
            for canon, cols in src.fields.items()}


def _first_value(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Column ``cols[0]``; with several, each feature's first non-empty value among them.

    Blank text counts as empty, so OpenStreetMap-style tag columns combine (``leisure``
    where it is set, else ``landuse`` …).

    >>> f = pd.DataFrame({"leisure": ["park", None, " "], "landuse": [None, "grass", "grass"]})
    >>> _first_value(f, ["leisure", "landuse"]).tolist()
    ['park', 'grass', 'grass']
    """
    if len(cols) == 1:
        return frame[cols[0]]
    parts = frame[cols].astype(object)
    blank = parts.isna() | parts.apply(lambda c: c.map(lambda v: str(v).strip() == ""))
    return parts.mask(blank).bfill(axis=1).iloc[:, 0]


def _mapped(gdf: gpd.GeoDataFrame, sources: dict[str, list[str]]) -> gpd.GeoDataFrame:
    """``gdf`` with the canonical fields of ``sources`` made from their columns present."""
    columns = set(gdf.columns)
    values = {canon: _first_value(gdf, [c for c in cols if c in columns])
              for canon, cols in sources.items() if any(c in columns for c in cols)}
    out = gdf.drop(columns=[c for c in values if c in columns])
    return out.assign(**values)


def _map_fields(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, src: LayerSource, label: str
) -> gpd.GeoDataFrame:
    """Rename source columns to canonical names; keep only canonical fields."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    sources = _sources(src)
    for canon, cols in sources.items():
        for source_col in cols:
            if source_col not in columns:
                raise LayerValidationError(
                    f"{label}, field {source_col}: no such column for canonical field {canon} "
                    f"(columns: {', '.join(map(str, columns)) or 'none'})"
                )
    out = _mapped(gdf, sources)
    missing = [f for f in spec.required if f not in out.columns]
    if missing:
        have = ", ".join(str(c) for c in columns) or "none"
        raise LayerValidationError(
            f"{label}, field {missing[0]}: required field missing (columns: {have}); "
            f"map it with [layers.{spec.name}.fields] {missing[0]} = \"<column>\""
        )
    keep = [f.name for f in spec.fields if f.name in out.columns]
    return out[[*keep, out.geometry.name]]


def settle_crs(
    gdf: gpd.GeoDataFrame, src: LayerSource, label: str, name: str
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the layer in a real CRS (GCJ-02/BD-09 converted to WGS84) and the CRS-in text.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (or one chunk of it) as read.
    src : LayerSource
        Its manifest entry (``crs`` declared there wins over the file's).
    label : str
        File and layer, for messages.
    name : str
        Canonical layer name.

    Returns
    -------
    (GeoDataFrame, str)
        The layer with its CRS set, and the name of the CRS it came in.

    Raises
    ------
    CRSError
        No CRS declared anywhere, a bad declaration, or coordinates outside the CRS.
    """
    declared = (src.crs or "").strip()
    datum = gcrs.pseudo_datum_name(declared) if declared else None
    if datum is not None:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
        gcrs.check_coordinates(tuple(gdf.total_bounds), gdf.crs, where=label)
        geoms = gcrs.pseudo_to_wgs84(np.asarray(gdf.geometry.array, dtype=object), datum)
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
        return gdf, {"gcj02": "GCJ-02", "bd09": "BD-09"}[datum]
    if declared:
        crs = gcrs.parse_crs(declared, where=f"{label}: crs")
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        raise CRSError(
            f"{label}: the file declares no CRS; set crs = \"EPSG:...\" (or \"gcj02\"/\"bd09\") "
            f"for [layers.{name}]"
        )
    if len(gdf):
        gcrs.check_coordinates(tuple(gdf.total_bounds), gdf.crs, where=label)
    return gdf, gcrs.crs_name(gdf.crs)


def ingest_layer(
    name: str,
    src: LayerSource,
    path: Path,
    *,
    strict: bool = False,
    label: str | None = None,
    report_year: int | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read, map, validate and repair one canonical layer (not yet reprojected).

    Parameters
    ----------
    name : str
        Canonical layer name.
    src : LayerSource
        The manifest entry (fields, encoding, crs, x/y, layer).
    path : pathlib.Path
        The resolved source file.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    label : str, optional
        How the source is named in messages.
    report_year : int, optional
        The project's report year (default: this year); later years are read as missing.

    Returns
    -------
    (GeoDataFrame, LayerReport)
        The layer in its source CRS (GCJ-02/BD-09 already converted to WGS84).

    Raises
    ------
    PeakmapError
        Any problem, with a one-line message naming file, layer, field and feature.
    """
    spec = CANONICAL[name]
    label = label or f"{path.name}, layer {name}"
    gdf = read_vector(path, layer=src.layer, encoding=src.encoding, x=src.x, y=src.y, label=label)
    report = LayerReport(name=name, source=str(src.path), features_read=len(gdf))
    if len(gdf) == 0:
        raise InputFileError(f"{label}: the layer has no features")
    gdf, value_notes, n_outlines, geo = ingest_part(
        gdf, spec, src, label, strict=strict,
        report_year=report_year if report_year is not None else date.today().year,
    )
    report.notes.extend(value_notes)
    if n_outlines:
        report.notes.append(f"{n_outlines} polygons used by their outlines")
    report.repaired, report.dropped = geo.repaired, geo.dropped
    report.notes.extend(geometry_notes(geo, spec.geometry))
    if len(gdf) == 0:
        raise InputFileError(f"{label}: no feature has a usable geometry")
    gdf, report.crs_in = settle_crs(gdf, src, label, name)
    return gdf, report


def ingest_part(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, src: LayerSource, label: str, *, strict: bool,
    report_year: int, start: int = 0, ids_out: list[pd.Series] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str], int, GeometryReport]:
    """Map, convert and repair the features of a layer read from feature ``start`` on.

    The steps of :func:`ingest_layer` between reading and settling the CRS, on the whole
    layer or on one chunk of it (``start``: how many features came before, so features
    without an id are named by their number in the file).

    Returns
    -------
    (GeoDataFrame, list of str, int, GeometryReport)
        The features, the notes of the value checks, how many polygons were replaced by their
        outlines, and what the geometry repair did.
    """
    gdf = _map_fields(gdf, spec, src, label)
    gdf, value_notes = convert_fields(
        gdf, spec, ids=_feature_ids(gdf, spec, start), label=label, report_year=report_year,
        value_maps=src.values, na_values=src.na_values,
    )
    if ids_out is not None and "id" in gdf.columns and spec.field("id") is not None:
        ids_out.append(gdf["id"].astype("string[pyarrow]").reset_index(drop=True))
    n_outlines = 0
    if spec.outlines_of_polygons:
        gdf, n_outlines = polygon_outlines(gdf)
    gdf, geo = repair_geometries(
        gdf, spec.geometry, ids=_feature_ids(gdf, spec, start), label=label, strict=strict
    )
    return gdf, value_notes, n_outlines, geo


def derive_fields(
    project: Project, name: str, gdf: gpd.GeoDataFrame, report: LayerReport
) -> gpd.GeoDataFrame:
    """Fields derived once layer ``name`` is in the metric CRS (build and upload alike).

    Reprojection moves every vertex, so a polygon that was valid in its source CRS can come
    out self-intersecting (a spike along an edge, a ring touching itself): such geometries
    are checked again and repaired here as :func:`gis.validate.repair_geometries` does
    (noted with their ids, and counted in ``report.repaired`` / ``report.dropped``).
    Buildings then get their floors and floor area completed
    (:func:`layers.floors.complete_floor_area`, ``[params.buildings]``); the notes go to
    ``report``.
    """
    gdf = _repair_reprojected(name, gdf, report)
    if name != "buildings":
        return gdf
    gdf, notes = complete_floor_area(gdf, project.params(BuildingsParams).model_dump())
    report.notes.extend(notes)
    return gdf


def _repair_reprojected(
    name: str, gdf: gpd.GeoDataFrame, report: LayerReport
) -> gpd.GeoDataFrame:
    """Repair the geometries of ``gdf`` that reprojection made invalid (see derive_fields)."""
    spec = CANONICAL.get(name)
    if spec is None or len(gdf) == 0:
        return gdf
    label = f"layer {name} (in {gcrs.crs_name(gdf.crs)})" if gdf.crs else f"layer {name}"
    fixed, geo = repair_geometries(gdf, spec.geometry, ids=_feature_ids(gdf, spec),
                                   label=label)
    if geo.repaired == 0 and geo.dropped == 0:
        return gdf
    for note in geometry_notes(geo, spec.geometry):
        report.notes.append(f"after reprojection to the metric CRS: {note}")
    report.repaired += geo.repaired
    report.dropped += geo.dropped
    return fixed


def check_upload(
    project: Project,
    name: str,
    file_path: Path,
    *,
    strict: bool = False,
    **overrides: Any,
) -> tuple[LayerReport | None, list[str]]:
    """Validate an upload as ``layers.uploads.ingest_upload`` does; write nothing, list problems.

    The verdict is the build's own: the file passes exactly when :func:`ingest_layer` (and
    the reprojection to the store's CRS) accepts it. When it does not, the same checks are
    run once more field by field, so every problem found is listed at once (missing
    fields, bad values of each field, geometries, CRS), not only the first.

    Parameters
    ----------
    project : Project
        The built project.
    name : str
        Canonical layer name.
    file_path : pathlib.Path
        The uploaded file.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    **overrides
        As for :func:`layers.uploads.ingest_upload`.

    Returns
    -------
    (LayerReport or None, list of str)
        The report of what would be stored and no errors, or None and one line per problem
        (the build's own message first).
    """
    if name not in CANONICAL:
        return None, [f"layer {name}: not a canonical layer (known: {', '.join(CANONICAL)})"]
    try:
        crs_out = project.store.crs
    except PeakmapError as e:
        return None, [str(e)]
    # The same manifest entry as an upload builds (layers.uploads).
    base = project.manifest.layers.get(name)
    entry: dict[str, Any] = base.model_dump() if base is not None else {}
    entry.update({k: v for k, v in overrides.items() if v is not None})
    entry["path"] = str(Path(file_path).name)
    label = f"{Path(file_path).name}, layer {name}"
    try:
        src = LayerSource.model_validate(entry)
        gdf, report = ingest_layer(name, src, Path(file_path), strict=strict, label=label,
                                   report_year=project.report_year)
        gdf = derive_fields(project, name, gdf.to_crs(crs_out), report)
    except (PeakmapError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        more = _every_problem(name, entry, Path(file_path), label, strict=strict,
                              report_year=project.report_year)
        return None, list(dict.fromkeys([first, *more]))
    report.crs_out = gcrs.crs_name(crs_out)
    report.features_stored = len(gdf)
    return report, []


def _every_problem(name: str, entry: dict[str, Any], path: Path, label: str, *,
                   strict: bool, report_year: int) -> list[str]:
    """The checks of :func:`ingest_layer` run one field at a time, collecting messages."""
    spec = CANONICAL[name]
    problems: list[str] = []
    try:
        src = LayerSource.model_validate(entry)
        gdf = read_vector(path, layer=src.layer, encoding=src.encoding, x=src.x, y=src.y,
                          label=label)
    except (PeakmapError, ValueError):
        return problems  # nothing more to check without the features
    try:
        mapped = _map_fields(gdf, spec, src, label)
    except PeakmapError as e:
        problems.append(str(e))
        # Go on with what can be mapped, and name every required field still missing.
        mapped = _mapped(gdf, _sources(src))
        have = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "none"
        problems += [f"{label}, field {f}: required field missing (columns: {have}); map it "
                     f"with [layers.{name}.fields] {f} = \"<column>\""
                     for f in spec.required if f not in mapped.columns]
        keep = [f.name for f in spec.fields if f.name in mapped.columns]
        mapped = mapped[[*keep, mapped.geometry.name]]
    id_cols = [c for c in ("id", "code") if c in mapped.columns and spec.field(c)]
    for f in spec.fields:
        if f.name not in mapped.columns:
            continue
        cols = list(dict.fromkeys([f.name, *id_cols]))
        try:
            part = mapped[[*cols, mapped.geometry.name]]
            convert_fields(part, spec, ids=_feature_ids(part, spec), label=label,
                           report_year=report_year, value_maps=src.values,
                           na_values=src.na_values)
        except PeakmapError as e:
            problems.append(str(e))
    try:
        repaired, _ = repair_geometries(mapped, spec.geometry, ids=_feature_ids(mapped, spec),
                                        label=label, strict=strict)
        if len(repaired) == 0:
            problems.append(f"{label}: no feature has a usable geometry")
        else:
            settle_crs(repaired, src, label, name)
    except PeakmapError as e:
        problems.append(str(e))
    return problems
