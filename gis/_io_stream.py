"""Chunk readers of the formats GDAL cannot read from any feature on (:mod:`gis.io`).

GeoJSON is streamed by GDAL's Arrow interface (``pyogrio.open_arrow``: one pass over the
file for the batches, after the one GDAL makes to learn the schema), GeoParquet by its row
groups (``pyarrow.parquet.ParquetFile.iter_batches``), CSV by pandas (``read_csv`` with
``chunksize``). Each chunk is converted as a whole-file read converts it, so that the chunks
joined are the whole layer, value for value:

- GeoJSON: the conversion of ``pyogrio.read_dataframe(use_arrow=True)``; dates and times are
  read as the text GDAL gives (``datetime_as_string``, as :mod:`gis.io` reads every OGR
  format) and typed value by value (:func:`typed_times`), so a value never depends on the
  other values of its chunk (GDAL's own typing would give an aware time the one UTC offset
  its chunk shares, or UTC);
- GeoParquet: the conversion of ``geopandas.read_parquet``, made with public APIs on each
  batch (:func:`_geo_frame`);
- CSV: every cell read as text (``dtype=str``, nothing read as missing), as the whole read.

What a column's dtype is may still differ from chunk to chunk where the whole read would make
it one type (an integer column with gaps is float where a chunk has a gap, integer where it
has none); :func:`gis.validate.coerce_column` gives the same canonical value either way.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gis._errors import InputFileError

__all__ = ["arrow_chunks", "csv_chunks", "parquet_chunks", "time_fields", "typed_times"]

# the end of an ISO 8601 time that carries its UTC offset
_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def time_fields(info: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The date fields and the date-time fields of an OGR layer (``pyogrio.read_info``)."""
    pairs = [(str(f), str(t)) for f, t in zip(info["fields"], info["dtypes"], strict=True)]
    return ([f for f, t in pairs if t == "datetime64[D]"],
            [f for f, t in pairs if t.startswith("datetime64[") and t != "datetime64[D]"])


def typed_times(frame: pd.DataFrame, dates: list[str], times: list[str]) -> pd.DataFrame:
    """Type the dates and times GDAL gave as ISO 8601 text (in place; returns ``frame``).

    Each value is typed on its own, so a chunk's values never depend on the others:

    - a date: ``datetime64[ms]`` at midnight (pyogrio's type of a date);
    - a date-time: ``datetime64[ms, UTC]`` when a value of the column carries a UTC offset
      (every value with one converted to UTC: ``2020-01-15T08:00:00+01:00`` is
      ``2020-01-15 07:00:00+00:00``; a value without one in such a column is taken as
      UTC), else ``datetime64[ms]`` (times as written, no zone).

    Chunks of a column whose offsets appear in some chunks only are naive in the others (as
    an integer column is float only in the chunks with gaps). Text that does not read as
    ISO 8601 (none of GDAL's) stays text.

    Examples
    --------
    >>> f = pd.DataFrame({"d": ["2020-01-15", None],
    ...                   "t": ["2020-01-15T08:00:00+01:00", "2020-07-01T12:00:00.250Z"]})
    >>> typed = typed_times(f, ["d"], ["t"])
    >>> [str(v) for v in typed["t"]], str(typed["d"].dtype), str(typed["t"].dtype)
    (['2020-01-15 07:00:00+00:00', '2020-07-01 12:00:00.250000+00:00'], 'datetime64[ms]', \
'datetime64[ms, UTC]')
    """
    for col in dates:
        if col in frame.columns:
            with contextlib.suppress(ValueError, TypeError):
                frame[col] = pd.to_datetime(frame[col], format="ISO8601").astype(
                    "datetime64[ms]")
    for col in times:
        if col not in frame.columns:
            continue
        values = frame[col]
        aware = values.astype("str").str.contains(_OFFSET, regex=True, na=False).any()
        with contextlib.suppress(ValueError, TypeError):
            frame[col] = pd.to_datetime(values, format="ISO8601", utc=bool(aware)).astype(
                "datetime64[ms, UTC]" if aware else "datetime64[ms]")
    return frame


def csv_chunks(
    path: Path, *, chunk_size: int | None, encoding: str | None, label: str,
    convert: Callable[[pd.DataFrame, int], gpd.GeoDataFrame],
) -> Iterator[gpd.GeoDataFrame]:
    """Read a CSV ``chunk_size`` rows at a time, each through ``convert(frame, start)``.

    ``start`` is the number of rows before the chunk (for the row numbers of messages).
    Without rows, one empty frame with the header's columns comes.
    """
    enc = encoding or "utf-8-sig"

    def failed(e: Exception) -> InputFileError:
        if isinstance(e, UnicodeDecodeError):
            return InputFileError(
                f"{label}: text is not {enc}; set encoding = \"gbk\" (or the right one) for "
                "this layer")
        if isinstance(e, LookupError):
            return InputFileError(f"{label}: unknown encoding {encoding!r}")
        if isinstance(e, pd.errors.EmptyDataError):
            return InputFileError(f"{label}: the CSV file is empty")
        return InputFileError(f"{label}: not a readable CSV ({e})")

    caught = (UnicodeDecodeError, LookupError, pd.errors.ParserError, ValueError)
    try:
        frames: Any = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False,
                                  chunksize=chunk_size)
    except caught as e:  # EmptyDataError is a ValueError
        raise failed(e) from e
    if chunk_size is None:
        yield convert(frames, 0)
        return
    start = chunks = 0
    with frames:
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except caught as e:
                raise failed(e) from e
            if len(frame) == 0 and chunks:
                break
            n = len(frame)
            chunks += 1
            yield convert(frame.reset_index(drop=True), start)
            start += n
        if chunks == 0:  # pandas may give no chunk for a header without rows
            header = pd.read_csv(path, encoding=enc, dtype=str, keep_default_na=False, nrows=0)
            yield convert(header, 0)


def parquet_chunks(path: Path, *, chunk_size: int, label: str) -> Iterator[gpd.GeoDataFrame]:
    """Read a GeoParquet file in batches of at most ``chunk_size`` rows.

    Each batch is converted as ``geopandas.read_parquet`` converts a file (:func:`_geo_frame`:
    the columns it reads, the geometry with the file's CRS, the pandas index metadata); each
    frame then gets its own index from 0. A file without rows gives one empty frame. Only
    public APIs: ``pyarrow.parquet``, the GeoParquet metadata (``geo``), ``shapely.from_wkb``
    and ``geopandas.GeoDataFrame.from_arrow`` (native GeoArrow encodings).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def failed(e: Exception) -> InputFileError:
        return InputFileError(f"{label}: not a readable GeoParquet file ({e})")

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        geo = _geo_metadata(schema.metadata)
        covers = {str(where[0]) for meta in geo["columns"].values()
                  for where in meta.get("covering", {}).get("bbox", {}).values()}
        columns = [n for n in schema.names if n not in covers] if covers else None
        batches = pf.iter_batches(batch_size=chunk_size, columns=columns,
                                  use_pandas_metadata=True)
    except Exception as e:  # pyarrow raises many types for a bad file
        raise failed(e) from e
    meta_schema = None
    n = 0
    while True:
        try:
            batch = next(batches, None)
            if batch is None:
                if n:
                    return
                table = schema.empty_table() if columns is None else \
                    schema.empty_table().select(columns)
            else:
                if meta_schema is None:  # the file's metadata (geo, pandas) on every batch
                    meta_schema = batch.schema.with_metadata(schema.metadata)
                table = pa.Table.from_batches([batch], schema=meta_schema)
            frame = _geo_frame(table, geo)
        except Exception as e:
            raise failed(e) from e
        n += len(frame)
        yield frame.reset_index(drop=True)
        if batch is None:
            return


def _geo_metadata(metadata: dict[bytes, bytes] | None) -> dict[str, Any]:
    """The GeoParquet ``geo`` metadata of a file's schema (ValueError when missing or bad)."""
    import json

    if not metadata or b"geo" not in metadata:
        raise ValueError("no GeoParquet 'geo' metadata (a plain Parquet file?)")
    geo = json.loads(metadata[b"geo"].decode("utf-8"))
    if not isinstance(geo, dict) or not isinstance(geo.get("columns"), dict) \
            or not geo["columns"] or "primary_column" not in geo:
        raise ValueError("no geometry column in the 'geo' metadata")
    return geo


def _file_crs(meta: dict[str, Any]) -> Any:
    """A geometry column's CRS as GeoParquet states it (absent: OGC:CRS84; null: none)."""
    if "crs" not in meta:
        return "OGC:CRS84"
    return _without_member_ids(meta["crs"])


def _without_member_ids(value: Any) -> Any:
    """PROJJSON without the ids of datum ensemble members (as geopandas reads it).

    Older PROJ versions refuse ids of members added in newer PROJ databases.

    Examples
    --------
    >>> _without_member_ids({"datum_ensemble": {"members": [{"name": "a", "id": 1}]}})
    {'datum_ensemble': {'members': [{'name': 'a'}]}}
    """
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out[key] = _without_member_ids(item)
        elif key == "members" and isinstance(item, list):
            out[key] = [{k: v for k, v in m.items() if k != "id"} if isinstance(m, dict)
                        else m for m in item]
        else:
            out[key] = item
    return out


def _geo_frame(table: Any, geo: dict[str, Any]) -> gpd.GeoDataFrame:
    """An Arrow table of a GeoParquet file as ``geopandas.read_parquet`` gives it."""
    import numpy as np
    import pyarrow as pa
    import shapely

    geoms = [c for c in geo["columns"] if c in table.column_names]
    if not geoms:
        raise ValueError("no geometry column among the columns read")
    order = list(table.slice(0, 0).to_pandas().columns)
    geoms.sort(key=order.index)
    primary = geo["primary_column"] if geo["primary_column"] in geoms else geoms[0]
    df = table.drop(geoms).to_pandas()
    for col in geoms:
        meta = geo["columns"][col]
        crs = _file_crs(meta)
        if meta.get("encoding", "WKB").upper() == "WKB":
            with warnings.catch_warnings():
                # NaN/Infinity vertices warn here; gis.validate refuses them with a message
                warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
                values: Any = gpd.GeoSeries(shapely.from_wkb(np.asarray(table[col])), crs=crs)
        else:  # a native GeoArrow encoding (point, polygon...): geopandas' public reader
            field = table.schema.field(col).with_metadata(
                {b"ARROW:extension:name": f"geoarrow.{meta['encoding'].lower()}".encode()})
            one = pa.Table.from_arrays([table[col]], schema=pa.schema([field]))
            values = gpd.GeoDataFrame.from_arrow(one).geometry.set_crs(crs,
                                                                       allow_override=True)
        df.insert(order.index(col), col, values.values)
    return gpd.GeoDataFrame(df, geometry=primary)


def arrow_chunks(
    source: Path, *, layer: str | None, encoding: str | None, chunk_size: int,
    failed: Callable[[Exception], Exception],
) -> Iterator[gpd.GeoDataFrame]:
    """Stream an OGR layer in Arrow batches of at most ``chunk_size`` features.

    ``failed`` turns an error of GDAL or of the decoding into the caller's message. A layer
    without features gives one empty frame with the layer's columns.
    """
    import numpy as np
    import pyarrow as pa
    import pyogrio
    import shapely

    kwargs: dict[str, Any] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        with pyogrio.open_arrow(source, layer=layer, batch_size=chunk_size, use_pyarrow=True,
                                datetime_as_string=True, **kwargs) as (meta, reader):
            geom = meta["geometry_name"] or "wkb_geometry"
            times = time_fields(meta)
            n = 0
            for batch in reader:
                n += batch.num_rows
                yield _arrow_frame(pa.Table.from_batches([batch]), geom, times, meta["crs"],
                                   np, shapely)
            if n == 0:
                yield _arrow_frame(reader.schema.empty_table(), geom, times, meta["crs"],
                                   np, shapely)
    except InputFileError:
        raise
    except Exception as e:  # GDAL, Arrow and the decoding raise many types
        raise failed(e) from e


def _arrow_frame(table: Any, geom: str, times: tuple[list[str], list[str]], crs: Any,
                 np: Any, shapely: Any) -> gpd.GeoDataFrame:
    """One Arrow batch as ``pyogrio.read_dataframe`` converts a layer.

    Dates and times are typed as :mod:`gis.io` types them (:func:`typed_times`).
    """
    df = table.to_pandas()
    dates, datetimes = times
    for c in dates:  # Arrow hands dates over as datetime.date: the text GDAL would give
        df[c] = df[c].map(lambda d: d.isoformat(), na_action="ignore").astype("str")
    typed_times(df, dates, datetimes)
    if geom not in df.columns:
        return gpd.GeoDataFrame(df)
    wkb = df.pop(geom)
    values = wkb.to_numpy(na_value=None) if wkb.dtype != object else np.asarray(wkb)
    with warnings.catch_warnings():
        # NaN/Infinity vertices warn here; gis.validate refuses them with a message
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        df["geometry"] = shapely.from_wkb(values)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=crs)
