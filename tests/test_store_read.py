"""``Store.read`` of a whole GeoPackage layer gives what pyogrio's default read gives.

A guard for the read path (whole layers are read through Arrow, with the default read for
date fields, booleans with nulls and empty layers, see ``layers.store.gpkg._read_whole``;
the text columns are then copied out of GDAL's buffers, also compared here). Each layer is
compared with ``pyogrio.read_dataframe`` (the independent read): text with nulls, integers,
reals with NaN, booleans, date-times, a DATE field, a boolean with nulls, an empty layer, a
table without geometry and features without geometry.
"""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely import Point

from layers.store import Store

CRS = "EPSG:4548"


def _points(n: int) -> list[Point | None]:
    return [Point(10.0 * i, 5.0 * i) if i % 4 else None for i in range(n)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    build = tmp_path_factory.mktemp("read") / "build"
    build.mkdir()
    path = build / "peakmap.gpkg"
    n = 6
    mixed = gpd.GeoDataFrame({
        "id": [f"a{i}" for i in range(n)],
        "name": ["甲", None, "c", "", "e", None],
        "count": np.arange(n, dtype="int64"),
        "area": [1.5, np.nan, 3.25, 0.0, -2.0, 1e12],
        "open": [True, False, True, True, False, False],
        "seen": pd.to_datetime(["2020-01-01 10:00:00", "2021-02-03 00:00:00", None,
                                "2022-12-31 23:59:59", "2019-07-07 00:00:00",
                                "2018-01-01 00:00:00"]),
    }, geometry=_points(n), crs=CRS)
    pyogrio.write_dataframe(mixed, path, layer="mixed")
    pyogrio.write_dataframe(mixed.iloc[:0], path, layer="empty")
    pyogrio.write_dataframe(pd.DataFrame({"code": ["x", "y"], "v": [1.0, None]}), path,
                            layer="table")
    nullbool = mixed[["id", "geometry"]].assign(natural=pd.array([True, None, False, None,
                                                                  True, False], dtype=object))
    pyogrio.write_dataframe(nullbool, path, layer="nullbool")
    pyogrio.write_dataframe(pd.DataFrame({"id": [f"d{i}" for i in range(n)]}), path,
                            layer="dated")
    with sqlite3.connect(path) as db:  # a GeoPackage DATE field, as another tool writes it
        db.execute("ALTER TABLE dated ADD COLUMN day DATE")
        db.execute("UPDATE dated SET day = '2024-03-0' || fid WHERE fid % 2 = 0")
    return Store(build)


@pytest.mark.parametrize("name", ["mixed", "empty", "table", "nullbool", "dated"])
def test_whole_layer_read_equals_the_default_read(store: Store, name: str) -> None:
    want = pyogrio.read_dataframe(store.path, layer=name)
    got = store.read(name)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    if name == "dated":  # the case the fallback is for: a date column, typed as GDAL reads it
        assert pd.api.types.is_datetime64_any_dtype(got["day"])
        assert got["day"].iloc[1] == pd.Timestamp(datetime.date(2024, 3, 2))


def test_layer_names_are_the_ones_gdal_lists_in_its_order(store: Store) -> None:
    # features and attribute tables written in turn: GDAL lists the feature tables first
    want = [str(row[0]) for row in pyogrio.list_layers(store.path)]
    assert store.layers() == want
    assert want == ["mixed", "empty", "nullbool", "table", "dated"]


def test_a_store_file_that_is_no_database_is_not_listed_as_empty(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    (build / "peakmap.gpkg").write_text("not a GeoPackage", encoding="utf-8")
    with pytest.raises(pyogrio.errors.DataSourceError):  # GDAL's message, as before
        Store(build).layers()
