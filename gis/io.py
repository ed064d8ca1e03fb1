"""Reading vector sources of every common format, and writing GeoPackages atomically.

Formats: GeoPackage, GeoJSON, Shapefile (plain or zipped; with an explicit ``encoding`` such
as GBK when the file has no ``.cpg``), FlatGeobuf, GeoParquet, and CSV points with ``x``/``y``
columns. Every failure is raised as :class:`~gis._errors.InputFileError` with a one-line
message that names the file (and the layer or row where it applies). Files are opened only as
what their extension claims (:mod:`gis.safefile`): regular files, the right leading bytes,
the extension's GDAL driver, zips within their limits.
"""

from __future__ import annotations

import codecs
import os
import shutil
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from gis._errors import InputFileError, LayerValidationError
from gis._io_stream import arrow_chunks, csv_chunks, parquet_chunks, time_fields, typed_times
from gis.safefile import (
    SHAPEFILE_PARTS,
    ZipLimits,
    check_driver,
    check_magic,
    check_regular_file,
    extract_zip_members,
    zip_members_checked,
)

__all__ = [
    "CHUNKED_SUFFIXES",
    "VECTOR_SUFFIXES",
    "read_vector",
    "read_vector_chunks",
    "write_gpkg_atomic",
]

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".parquet", ".csv")

# Formats read_vector_chunks reads a chunk at a time (every one: GDAL's random access for
# GeoPackage, Shapefile and FlatGeobuf, streams for the others, gis._io_stream).
CHUNKED_SUFFIXES = VECTOR_SUFFIXES

# Column names tried, in order, when a CSV of points names no x/y columns.
CSV_X_NAMES = ("x", "lng", "lon", "longitude", "经度")
CSV_Y_NAMES = ("y", "lat", "latitude", "纬度")

# A dBase header: record count at byte 4, header and record length at bytes 8 and 10,
# language driver id at byte 29 (0 = not declared).
_DBF_HEADER = struct.Struct("<xxxxIHH")
_DBF_LDID_OFFSET = 29
_DBF_BLOCK = 1 << 20


def _check_dbf_encoding(dbf: Path, *, has_cpg: bool, label: str, member: str) -> None:
    """Refuse a DBF whose text is not UTF-8 when nothing declares its encoding.

    The file is decoded 1 MiB at a time (a city's DBF is hundreds of MB).
    """
    if has_cpg:
        return
    with open(dbf, "rb") as f:
        head = f.read(32)
        if len(head) < 32 or head[_DBF_LDID_OFFSET] != 0:
            return  # too short, or the language driver id tells GDAL the code page
        n_records, header_len, record_len = _DBF_HEADER.unpack_from(head, 0)
        # field names (from byte 32) and the records may both carry text
        left = max(header_len + n_records * record_len - 32, 0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while left > 0:
                block = f.read(min(left, _DBF_BLOCK))
                if not block:
                    break
                left -= len(block)
                decoder.decode(block, final=left <= 0)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:
            raise InputFileError(
                f"{label}: attribute text in {member} is not UTF-8 and the shapefile declares "
                f"no encoding (no .cpg); set encoding = \"gbk\" (or the right code page) for "
                "this layer"
            ) from e


def _shapefile_members(zf: zipfile.ZipFile, *, layer: str | None, label: str
                       ) -> tuple[str, dict[str, str]]:
    """Return the .shp member of a zip and its parts (extension → member name)."""
    names = zf.namelist()
    shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    if layer is not None:
        shps = [n for n in shps if Path(n).stem == layer]
    if not shps:
        what = f" named {layer}.shp" if layer else ""
        raise InputFileError(f"{label}: the zip holds no shapefile{what}")
    if len(shps) > 1:
        listed = ", ".join(Path(n).stem for n in shps)
        raise InputFileError(
            f"{label}: the zip holds several shapefiles ({listed}); name one with layer = ..."
        )
    shp = shps[0]
    stem = shp[: -len(".shp")].lower()
    lower = {n.lower(): n for n in names}
    parts = {ext: lower[stem + ext] for ext in SHAPEFILE_PARTS if stem + ext in lower}
    return shp, parts


def _csv_points(
    df: pd.DataFrame, start: int, *, x: str | None, y: str | None, label: str
) -> gpd.GeoDataFrame:
    """Points of a CSV read as text (rows ``start + 1`` on), from its x/y columns."""

    def pick(given: str | None, names: tuple[str, ...], axis: str) -> str:
        if given is not None:
            if given not in df.columns:
                cols = ", ".join(df.columns)
                raise LayerValidationError(
                    f"{label}, field {given}: {axis} column not found (columns: {cols})"
                )
            return given
        lowered = {c.lower(): c for c in df.columns}
        for n in names:
            if n in lowered:
                return lowered[n]
        raise LayerValidationError(
            f"{label}: no {axis} column found; name it with {axis} = \"...\" for this layer"
        )

    xcol, ycol = pick(x, CSV_X_NAMES, "x"), pick(y, CSV_Y_NAMES, "y")
    xs = pd.to_numeric(df[xcol].str.strip(), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(df[ycol].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(xs) & np.isfinite(ys))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LayerValidationError(
            f"{label}, feature row {start + row + 2}: coordinates {df[xcol].iloc[row]!r}, "
            f"{df[ycol].iloc[row]!r} are not numbers ({int(bad.sum())} such rows)"
        )
    props = df.drop(columns=[xcol, ycol])
    return gpd.GeoDataFrame(props, geometry=gpd.points_from_xy(xs, ys), crs=None)


def _check_file(path: Path, suffix: str, *, label: str) -> None:
    """A regular, non-empty file of a known format whose leading bytes are that format's."""
    if check_regular_file(path, label=label).st_size == 0:
        raise InputFileError(f"{label}: the file is empty (0 bytes)")
    if suffix not in VECTOR_SUFFIXES:
        known = " ".join(VECTOR_SUFFIXES)
        raise InputFileError(f"{label}: unknown vector format {suffix!r} (known: {known})")
    check_magic(path, suffix, label=label)


def _check_shapefile(path: Path, *, encoding: str | None, label: str) -> None:
    """The side files of a plain shapefile are regular files; its DBF text is declared."""
    for ext in SHAPEFILE_PARTS[1:]:
        for side in (path.with_suffix(ext), path.with_suffix(ext.upper())):
            if os.path.lexists(side):
                check_regular_file(side, label=f"{label} ({side.name})")
    dbf_path = path.with_suffix(".dbf")
    if encoding is None and dbf_path.is_file():
        _check_dbf_encoding(dbf_path, has_cpg=path.with_suffix(".cpg").is_file(),
                            label=label, member=dbf_path.name)


def read_vector(
    path: Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    label: str | None = None,
    zip_limits: ZipLimits | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector source into a GeoDataFrame, keeping the CRS the file declares.

    Parameters
    ----------
    path : pathlib.Path
        The file: ``.gpkg``, ``.geojson``/``.json``, ``.shp``, ``.zip`` (a zipped
        shapefile), ``.fgb``, ``.parquet`` (GeoParquet) or ``.csv`` (points).
    layer : str, optional
        The layer inside a multi-layer file (or the shapefile's name inside a zip).
    encoding : str, optional
        Text encoding of a shapefile or CSV (e.g. ``"gbk"``) when the file does not say.
    x, y : str, optional
        Coordinate columns of a CSV; common names (``lng``/``lat``, ``x``/``y``...) are
        tried when absent.
    label : str, optional
        How the source is named in messages (defaults to the path).
    zip_limits : ZipLimits, optional
        Most members and uncompressed bytes of a zip (default: from the environment, see
        :mod:`gis.safefile`).

    Returns
    -------
    geopandas.GeoDataFrame
        Attributes and geometry; ``crs`` is None when the file declares none (CSV always).
        Dates and times of the formats GDAL reads are typed from GDAL's ISO 8601 text,
        each value on its own (:func:`gis._io_stream.typed_times`): a date is
        ``datetime64[ms]``, a time ``datetime64[ms]`` or, in a column where a value carries
        a UTC offset, ``datetime64[ms, UTC]`` (``08:00+01:00`` is 07:00 UTC); the same
        whether read whole or in chunks. GeoParquet keeps its Arrow types, CSV is text.

    Raises
    ------
    InputFileError
        Missing, empty, corrupt or unreadable file; not a regular file; content that is not
        the format of the extension (a VRT or GDALG document, say); a zip over its limits;
        undeclared non-UTF-8 text; ambiguous or missing layer.
    LayerValidationError
        CSV coordinate columns missing or not numeric.
    """
    return next(read_vector_chunks(path, chunk_size=None, layer=layer, encoding=encoding,
                                   x=x, y=y, label=label, zip_limits=zip_limits))


def read_vector_chunks(
    path: Path,
    *,
    chunk_size: int | None,
    layer: str | None = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    label: str | None = None,
    zip_limits: ZipLimits | None = None,
) -> Iterator[gpd.GeoDataFrame]:
    """Read a vector source as consecutive frames of at most ``chunk_size`` features.

    Every check of :func:`read_vector` is made before the first frame. GeoPackage,
    Shapefile (plain or the one in a zip, inflated to a temporary folder while the chunks are
    read) and FlatGeobuf are read with GDAL's random access from the feature where the last
    chunk ended; GeoJSON is streamed through GDAL's Arrow interface, GeoParquet by row
    groups, CSV by pandas (:mod:`gis._io_stream`). Joined, the frames are the layer
    :func:`read_vector` reads, value for value (a column's dtype may differ between frames:
    an integer column is float only in the frames where it has gaps). Each frame has its
    own index from 0; a layer without features gives one empty frame.

    Parameters
    ----------
    path : pathlib.Path
        The file (see :func:`read_vector`).
    chunk_size : int or None
        Most features in one frame; None reads the whole layer at once.
    layer, encoding, x, y, label, zip_limits
        As for :func:`read_vector`.

    Yields
    ------
    geopandas.GeoDataFrame
        The features in file order, ``chunk_size`` at a time.

    Raises
    ------
    InputFileError
        As :func:`read_vector`, for the file or any chunk (CSV: counts in a message, such
        as the rows whose coordinates are not numbers, are then those of the chunk).
    """
    path = Path(path)
    label = label or str(path)
    suffix = path.suffix.lower()
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    _check_file(path, suffix, label=label)
    if suffix == ".csv":
        yield from csv_chunks(
            path, chunk_size=chunk_size, encoding=encoding, label=label,
            convert=lambda df, start: _csv_points(df, start, x=x, y=y, label=label))
    elif suffix == ".parquet":
        if chunk_size is None:
            try:
                yield gpd.read_parquet(path)
            except Exception as e:  # pyarrow raises many types for a bad file
                raise InputFileError(f"{label}: not a readable GeoParquet file ({e})") from e
        else:
            yield from parquet_chunks(path, chunk_size=chunk_size, label=label)
    elif suffix == ".zip":
        with _unzipped_shapefile(path, layer=layer, encoding=encoding, label=label,
                                 limits=zip_limits or ZipLimits.from_env()) as shp:
            yield from _ogr_chunks(shp, ".zip", layer=None, encoding=encoding, label=label,
                                   chunk_size=chunk_size)
    else:
        if suffix == ".shp":
            _check_shapefile(path, encoding=encoding, label=label)
        yield from _ogr_chunks(path, suffix, layer=layer, encoding=encoding, label=label,
                               chunk_size=chunk_size)


def _ogr_chunks(source: Path, suffix: str, *, layer: str | None, encoding: str | None,
                label: str, chunk_size: int | None) -> Iterator[gpd.GeoDataFrame]:
    """The features of an OGR layer (see :func:`read_vector_chunks`)."""
    times = time_fields(_check_ogr_layer(source, suffix, layer=layer, label=label))
    if chunk_size is None:
        yield _read_ogr(source, layer=layer, encoding=encoding, label=label, times=times)
        return
    if suffix in (".geojson", ".json"):  # no random access: one pass, in Arrow batches
        yield from arrow_chunks(source, layer=layer, encoding=encoding, chunk_size=chunk_size,
                                failed=lambda e: _ogr_failed(e, label, encoding))
        return
    first = _read_ogr(source, layer=layer, encoding=encoding, label=label, times=times,
                      max_features=chunk_size)
    yield first
    if len(first) < chunk_size:
        return
    try:
        total = int(pyogrio.read_info(source, layer=layer, force_feature_count=True)["features"])
    except (DataSourceError, DataLayerError) as e:
        raise _ogr_failed(e, label, encoding) from e
    start = len(first)
    del first
    while start < total:
        part = _read_ogr(source, layer=layer, encoding=encoding, label=label, times=times,
                         skip_features=start, max_features=chunk_size)
        if not len(part):
            return
        start += len(part)
        yield part


@contextmanager
def _unzipped_shapefile(path: Path, *, layer: str | None, encoding: str | None, label: str,
                        limits: ZipLimits) -> Iterator[Path]:
    """Inflate one shapefile's parts from a zip (limits checked); its .shp while open."""
    # the process id in the name lets the next start remove it after a kill
    with tempfile.TemporaryDirectory(prefix=f"peakmap-unzip-{os.getpid()}-") as tmp:
        with zip_members_checked(path, limits, label=label) as zf:
            member, parts = _shapefile_members(zf, layer=layer, label=label)
            extract_zip_members(zf, {m: f"layer{ext}" for ext, m in parts.items()},
                                Path(tmp), limits, label=label)
        shp = Path(tmp) / "layer.shp"
        check_magic(shp, ".shp", label=f"{label}: {member}")
        dbf = Path(tmp) / "layer.dbf"
        if encoding is None and dbf.is_file():
            _check_dbf_encoding(dbf, has_cpg=".cpg" in parts, label=label,
                                member=Path(parts[".dbf"]).name)
        yield shp


def _ogr_failed(e: Exception, label: str, encoding: str | None) -> InputFileError:
    """The message of a GDAL read that failed."""
    if isinstance(e, LookupError):
        return InputFileError(f"{label}: unknown encoding {encoding!r}")
    if isinstance(e, UnicodeDecodeError):
        return InputFileError(
            f"{label}: text is not {encoding or 'UTF-8'}; set the right encoding for this layer")
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return InputFileError(f"{label}: cannot be read as vector data ({msg})")


# drivers whose files hold one layer (a GeoJSON or FlatGeobuf file is opened once less:
# GDAL's GeoJSON driver reads the whole file at every open)
_ONE_LAYER_DRIVERS = ("GeoJSON", "FlatGeobuf")


def _check_ogr_layer(source: Path, suffix: str, *, layer: str | None, label: str
                     ) -> dict[str, Any]:
    """One layer to read (or the one named exists), opened by the extension's driver.

    Returns the layer's ``pyogrio.read_info``.
    """
    try:
        if layer is None and suffix in (".fgb", ".geojson", ".json"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pyogrio's "more than one layer": below
                info = pyogrio.read_info(source)
            if str(info.get("driver")) in _ONE_LAYER_DRIVERS:
                check_driver(str(info.get("driver")), suffix, label=label)
                return info
        if layer is None and suffix in (".gpkg", ".fgb", ".geojson", ".json"):
            names = [str(r[0]) for r in pyogrio.list_layers(source)]
            if len(names) > 1:
                raise InputFileError(
                    f"{label}: the file holds several layers ({', '.join(names)}); "
                    "name one with layer = ..."
                )
        elif layer is not None and suffix == ".gpkg":
            names = [str(r[0]) for r in pyogrio.list_layers(source)]
            if layer not in names:
                raise InputFileError(
                    f"{label}: no layer {layer!r} in the file (layers: {', '.join(names)})"
                )
        info = pyogrio.read_info(source, layer=layer)
    except (DataSourceError, DataLayerError) as e:
        raise _ogr_failed(e, label, None) from e
    check_driver(str(info.get("driver")), suffix, label=label)
    return dict(info)


def _read_ogr(source: Path, *, layer: str | None, encoding: str | None, label: str,
              times: tuple[list[str], list[str]], skip_features: int = 0,
              max_features: int | None = None) -> gpd.GeoDataFrame:
    """Read features through GDAL (dates and times typed from GDAL's text).

    ``times`` are the layer's date and date-time fields (see :func:`read_vector`).
    """
    kwargs: dict[str, object] = {}
    if skip_features:
        kwargs["skip_features"] = skip_features
    if max_features is not None:
        kwargs["max_features"] = max_features
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        with warnings.catch_warnings():
            # NaN/Infinity vertices warn here; gis.validate refuses them with a message
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            frame = pyogrio.read_dataframe(source, layer=layer, datetime_as_string=True,
                                           **kwargs)
    except (DataSourceError, DataLayerError, LookupError, UnicodeDecodeError) as e:
        raise _ogr_failed(e, label, encoding) from e
    return typed_times(frame, *times)


def write_gpkg_atomic(
    path: Path,
    layers: Mapping[str, gpd.GeoDataFrame | pd.DataFrame],
    *,
    keep_existing: bool = False,
) -> None:
    """Write layers to a GeoPackage through a temporary file, then replace the target.

    Nothing is changed at ``path`` unless every layer was written: on any error the
    temporary file is removed and the exception propagates, leaving the old file intact.

    Parameters
    ----------
    path : pathlib.Path
        The GeoPackage to create or replace.
    layers : mapping of str to GeoDataFrame or DataFrame
        Layer name to content; a plain DataFrame becomes an attribute-only table.
    keep_existing : bool, default False
        Start from a copy of the current file so its other layers are kept (layers of the
        same name are overwritten); otherwise the new file holds only ``layers``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        if keep_existing and path.exists():
            shutil.copy2(path, tmp)
        for name, frame in layers.items():
            opts = {"OVERWRITE": "YES"} if tmp.exists() else None
            if isinstance(frame, gpd.GeoDataFrame):
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", layer_options=opts)
            else:
                pyogrio.write_dataframe(
                    pd.DataFrame(frame), tmp, layer=name, driver="GPKG", layer_options=opts
                )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
