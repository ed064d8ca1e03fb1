"""GeoParquet read in row groups (``gis._io_stream.parquet_chunks``, public APIs only).

Each variant of a GeoParquet file is read whole (``geopandas.read_parquet``) and in chunks of
two rows: the chunks joined must equal the whole read, CRS included: WKB geometry with the
CRS as PROJJSON (EPSG:4326: a datum ensemble), a bbox covering column (left out of the
frame), a native GeoArrow encoding, a file declaring no CRS, and a second geometry column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fixtures import ingest as fx
from geopandas.testing import assert_geodataframe_equal

from gis import InputFileError
from gis.io import read_vector, read_vector_chunks


def _frame(crs: str | None) -> gpd.GeoDataFrame:
    n = 5
    frame = gpd.GeoDataFrame({
        "id": [f"p{i}" for i in range(1, n + 1)],
        "count": pd.array([None, 2, 3, None, 5], dtype="Int64"),
        "name": ["甲", None, "丙", "丁", "戊"],
    }, geometry=[shapely.Point(fx.X0 + 10 * i, fx.Y0 + 5 * i) for i in range(n)], crs=fx.GK)
    return frame.to_crs(crs) if crs else frame.set_crs(None, allow_override=True)


VARIANTS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "wkb-4326": ("EPSG:4326", {}),
    "wkb-gk": (fx.GK, {}),
    "covering": (fx.GK, {"write_covering_bbox": True}),
    "geoarrow": (fx.GK, {"geometry_encoding": "geoarrow"}),
    "no-crs": (None, {}),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_parquet_chunks_join_to_read_parquet(tmp_path: Path, variant: str) -> None:
    crs, kw = VARIANTS[variant]
    path = tmp_path / "p.parquet"
    _frame(crs).to_parquet(path, row_group_size=2, **kw)
    whole = gpd.read_parquet(path)
    parts = list(read_vector_chunks(path, chunk_size=2))
    assert [len(p) for p in parts] == [2, 2, 1]
    joined = pd.concat(parts, ignore_index=True)
    assert isinstance(joined, gpd.GeoDataFrame)
    assert_geodataframe_equal(joined, whole, check_crs=True)
    assert list(joined.columns) == ["id", "count", "name", "geometry"]  # no bbox column
    assert (joined.crs is None) == (crs is None)
    assert read_vector(path).crs == whole.crs


def test_a_second_geometry_column_keeps_its_place_and_crs(tmp_path: Path) -> None:
    frame = _frame(fx.GK)
    frame.insert(1, "centre", frame.geometry.buffer(1.0).set_crs("EPSG:4326", allow_override=True))
    path = tmp_path / "p.parquet"
    frame.to_parquet(path, row_group_size=2)
    whole = gpd.read_parquet(path)
    joined = pd.concat(read_vector_chunks(path, chunk_size=2), ignore_index=True)
    assert_geodataframe_equal(joined, whole, check_crs=True)
    assert list(joined.columns) == ["id", "centre", "count", "name", "geometry"]
    assert joined.geometry.name == "geometry" and joined["centre"].crs == "EPSG:4326"


def test_a_parquet_file_without_geo_metadata_is_named(tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    with pytest.raises(InputFileError, match=r"plain\.parquet: not a readable GeoParquet file "
                                             r"\(no GeoParquet 'geo' metadata"):
        list(read_vector_chunks(path, chunk_size=2, label="plain.parquet"))
