"""Chunk readers of the formats GDAL cannot read from any feature on (:mod:`gis.io`).

GeoJSON is streamed by GDAL's Arrow interface (``pyogrio.open_arrow``: one pass over the
file for the batches, after the one GDAL makes to learn the schema), GeoParquet by its row
groups (``pyarrow.parquet.ParquetFile.iter_batches``), CSV by pandas (``read_csv`` with
``chunksize``). Each chunk is converted as a whole-file read converts it, so that the chunks
joined are the whole layer, value for value:

- GeoJSON: the conversion of ``pyogrio.read_dataframe(use_arrow=True)``; dates and times are
  read as the text GDAL gives (``datetime_as_string``, as :mod:`gis.io` reads every OGR
  format), so a column's values never depend on the other values of its chunk (an aware time
  would otherwise come in the one UTC offset its chunk shares, or in UTC);
- GeoParquet: geopandas' own conversion of an Arrow table (``read_parquet``'s), on each batch;
- CSV: every cell read as text (``dtype=str``, nothing read as missing), as the whole read.

What a column's dtype is may still differ from chunk to chunk where the whole read would make
it one type (an integer column with gaps is float where a chunk has a gap, integer where it
has none); :func:`gis.validate.coerce_column` gives the same canonical value either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gis._errors import InputFileError

__all__ = ["arrow_chunks", "csv_chunks", "parquet_chunks"]


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

    Each batch is converted by geopandas' conversion of ``read_parquet`` (the columns it
    reads, the geometry with the file's CRS, the pandas index metadata); each frame then
    gets its own index from 0. A file without rows gives one empty frame.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    # read_parquet's own steps (geopandas 1.2): decoding the "geo" metadata, dropping the
    # bbox covering columns, converting a table
    from geopandas.io.arrow import (
        _arrow_to_geopandas,
        _check_if_covering_in_geo_metadata,
        _get_non_bbox_columns,
        _validate_and_decode_metadata,
    )

    def failed(e: Exception) -> InputFileError:
        return InputFileError(f"{label}: not a readable GeoParquet file ({e})")

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        geo = _validate_and_decode_metadata(schema.metadata)
        if not geo["columns"]:
            raise ValueError("no geometry column")
        columns = _get_non_bbox_columns(schema, geo) \
            if _check_if_covering_in_geo_metadata(geo) else None
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
                table = pf.schema_arrow.empty_table() if columns is None else \
                    pf.schema_arrow.empty_table().select(columns)
            else:
                if meta_schema is None:  # the file's metadata (geo, pandas) on every batch
                    meta_schema = batch.schema.with_metadata(schema.metadata)
                table = pa.Table.from_batches([batch], schema=meta_schema)
            frame = _arrow_to_geopandas(table, geo)
        except Exception as e:
            raise failed(e) from e
        n += len(frame)
        yield frame.reset_index(drop=True)
        if batch is None:
            return


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
            dates = [str(f) for f, t in zip(meta["fields"], meta["dtypes"], strict=True)
                     if t == "datetime64[D]"]
            n = 0
            for batch in reader:
                n += batch.num_rows
                yield _arrow_frame(pa.Table.from_batches([batch]), geom, dates, meta["crs"],
                                   np, shapely)
            if n == 0:
                yield _arrow_frame(reader.schema.empty_table(), geom, dates, meta["crs"],
                                   np, shapely)
    except InputFileError:
        raise
    except Exception as e:  # GDAL, Arrow and the decoding raise many types
        raise failed(e) from e


def _arrow_frame(table: Any, geom: str, dates: list[str], crs: Any, np: Any,
                 shapely: Any) -> gpd.GeoDataFrame:
    """One Arrow batch as ``pyogrio.read_dataframe`` converts a layer (dates as ISO text)."""
    df = table.to_pandas()
    for c in dates:  # the text read_dataframe gives a date with datetime_as_string
        df[c] = df[c].map(lambda d: d.isoformat(), na_action="ignore").astype("str")
    if geom not in df.columns:
        return gpd.GeoDataFrame(df)
    wkb = df.pop(geom)
    values = wkb.to_numpy(na_value=None) if wkb.dtype != object else np.asarray(wkb)
    with warnings.catch_warnings():
        # NaN/Infinity vertices warn here; gis.validate refuses them with a message
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        df["geometry"] = shapely.from_wkb(values)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=crs)
