"""Reading vector sources of every common format, and writing GeoPackages atomically.

Formats: GeoPackage, GeoJSON, Shapefile (plain or zipped; with an explicit ``encoding`` such
as GBK when the file has no ``.cpg``), FlatGeobuf, GeoParquet, and CSV points with ``x``/``y``
columns. Every failure is raised as :class:`~gis._errors.InputFileError` with a one-line
message that names the file (and the layer or row where it applies).
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from gis._errors import InputFileError, LayerValidationError

__all__ = [
    "VECTOR_SUFFIXES",
    "read_vector",
    "write_gpkg_atomic",
]

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".fgb", ".parquet", ".csv")

# Column names tried, in order, when a CSV of points names no x/y columns.
CSV_X_NAMES = ("x", "lng", "lon", "longitude", "经度")
CSV_Y_NAMES = ("y", "lat", "latitude", "纬度")

# A dBase header: record count at byte 4, header and record length at bytes 8 and 10,
# language driver id at byte 29 (0 = not declared).
_DBF_HEADER = struct.Struct("<xxxxIHH")
_DBF_LDID_OFFSET = 29


def _check_dbf_encoding(dbf_bytes: bytes, *, has_cpg: bool, label: str, member: str) -> None:
    """Refuse a DBF whose text is not UTF-8 when nothing declares its encoding."""
    if has_cpg or len(dbf_bytes) < 32:
        return
    if dbf_bytes[_DBF_LDID_OFFSET] != 0:
        return  # the language driver id tells GDAL the code page
    n_records, header_len, record_len = _DBF_HEADER.unpack_from(dbf_bytes, 0)
    # field names (from byte 32) and the records may both carry text
    body = dbf_bytes[32 : header_len + n_records * record_len]
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{label}: attribute text in {member} is not UTF-8 and the shapefile declares no "
            f"encoding (no .cpg); set encoding = \"gbk\" (or the right code page) for this layer"
        ) from e


def _shapefile_in_zip(path: Path, *, layer: str | None, label: str) -> tuple[str, bool, bytes]:
    """Return (member path of the .shp, whether a .cpg exists, the .dbf bytes) of a zip."""
    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{label}: not a valid zip archive (corrupt or truncated)")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise InputFileError(f"{label}: zip member {bad} is corrupt (CRC check failed)")
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
                    f"{label}: the zip holds several shapefiles ({listed}); "
                    "name one with layer = ..."
                )
            shp = shps[0]
            stem = shp[: -len(".shp")]
            lower = {n.lower(): n for n in names}
            has_cpg = (stem + ".cpg").lower() in lower
            dbf_name = lower.get((stem + ".dbf").lower())
            dbf = zf.read(dbf_name) if dbf_name else b""
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        if isinstance(e, InputFileError):
            raise
        raise InputFileError(f"{label}: the zip archive cannot be read ({e})") from e
    return shp, has_cpg, dbf


def _read_csv_points(
    path: Path, *, x: str | None, y: str | None, encoding: str | None, label: str
) -> gpd.GeoDataFrame:
    enc = encoding or "utf-8-sig"
    try:
        df = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False)
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{label}: text is not {enc}; set encoding = \"gbk\" (or the right one) for this layer"
        ) from e
    except LookupError as e:
        raise InputFileError(f"{label}: unknown encoding {encoding!r}") from e
    except pd.errors.EmptyDataError as e:
        raise InputFileError(f"{label}: the CSV file is empty") from e
    except (pd.errors.ParserError, ValueError) as e:
        raise InputFileError(f"{label}: not a readable CSV ({e})") from e

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
            f"{label}, feature row {row + 2}: coordinates {df[xcol].iloc[row]!r}, "
            f"{df[ycol].iloc[row]!r} are not numbers ({int(bad.sum())} such rows)"
        )
    props = df.drop(columns=[xcol, ycol])
    return gpd.GeoDataFrame(props, geometry=gpd.points_from_xy(xs, ys), crs=None)


def read_vector(
    path: Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    x: str | None = None,
    y: str | None = None,
    label: str | None = None,
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

    Returns
    -------
    geopandas.GeoDataFrame
        Attributes and geometry; ``crs`` is None when the file declares none (CSV always).

    Raises
    ------
    InputFileError
        Missing, empty, corrupt or unreadable file; undeclared non-UTF-8 text; ambiguous or
        missing layer.
    LayerValidationError
        CSV coordinate columns missing or not numeric.
    """
    path = Path(path)
    label = label or str(path)
    if not path.exists():
        raise InputFileError(f"{label}: file not found")
    if path.is_file() and path.stat().st_size == 0:
        raise InputFileError(f"{label}: the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        known = " ".join(VECTOR_SUFFIXES)
        raise InputFileError(f"{label}: unknown vector format {suffix!r} (known: {known})")

    if suffix == ".csv":
        return _read_csv_points(path, x=x, y=y, encoding=encoding, label=label)
    if suffix == ".parquet":
        try:
            return gpd.read_parquet(path)
        except Exception as e:  # pyarrow raises many types for a bad file
            raise InputFileError(f"{label}: not a readable GeoParquet file ({e})") from e

    source: str | Path = path
    read_layer = layer
    if suffix == ".zip":
        member, has_cpg, dbf = _shapefile_in_zip(path, layer=layer, label=label)
        if encoding is None:
            _check_dbf_encoding(dbf, has_cpg=has_cpg, label=label, member=Path(member).name)
        source = f"/vsizip/{path.resolve()}/{member}"
        read_layer = None
    elif suffix == ".shp" and encoding is None:
        dbf_path = path.with_suffix(".dbf")
        if dbf_path.is_file():
            _check_dbf_encoding(
                dbf_path.read_bytes(),
                has_cpg=path.with_suffix(".cpg").is_file(),
                label=label,
                member=dbf_path.name,
            )

    try:
        if read_layer is None and suffix in (".gpkg", ".fgb", ".geojson", ".json"):
            names = [str(r[0]) for r in pyogrio.list_layers(source)]
            if len(names) > 1:
                raise InputFileError(
                    f"{label}: the file holds several layers ({', '.join(names)}); "
                    "name one with layer = ..."
                )
        elif read_layer is not None and suffix == ".gpkg":
            names = [str(r[0]) for r in pyogrio.list_layers(source)]
            if read_layer not in names:
                raise InputFileError(
                    f"{label}: no layer {read_layer!r} in the file (layers: {', '.join(names)})"
                )
        kwargs: dict[str, object] = {}
        if encoding is not None:
            kwargs["encoding"] = encoding
        return pyogrio.read_dataframe(source, layer=read_layer, **kwargs)
    except (DataSourceError, DataLayerError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputFileError(f"{label}: cannot be read as vector data ({msg})") from e
    except LookupError as e:
        raise InputFileError(f"{label}: unknown encoding {encoding!r}") from e
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{label}: text is not {encoding or 'UTF-8'}; set the right encoding for this layer"
        ) from e


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
