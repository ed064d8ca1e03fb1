"""A layer streamed to the GeoPackage through Arrow (``GpkgChunkWriter.write_all``).

Written in chunks of two as one Arrow stream, a layer must come out as one write of the whole
frame (``Store.write_layers``) makes it: the same field types, values, declared geometry
type, R-tree and digest. A column the stream would type otherwise is written chunk by chunk
instead; a chunk the stream's schema cannot take asks for the layer again; an error raised
while a chunk is made propagates unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx

from gis import LayerValidationError
from layers.store.gpkg import Store


def _frame() -> gpd.GeoDataFrame:
    box = fx._box
    return gpd.GeoDataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "count": [1, 2, 3, 4, 5, 6],
        "share": [0.5, None, 1.5, 2.0, None, 3.25],
        "year": pd.array([None, 2001, 2002, None, 2004, 2005], dtype="Int64"),
        "public": [True, False, True, True, False, False],
        "maybe": pd.array([None, True, None, False, True, None], dtype="boolean"),
        "name": pd.array(["甲", None, "丙", "丁", None, "己"], dtype="str"),
        "note": pd.Series(["x", None, "z", "w", "v", None], dtype=object),
        "nothing": pd.Series([None] * 6, dtype=object),
    }, geometry=[box(0, 0, 10, 10), shapely.MultiPolygon([box(20, 0, 5, 5), box(30, 0, 5, 5)]),
                 None, box(40, 0, 10, 10), shapely.Polygon(), box(60, 0, 10, 10)], crs=fx.GK)


def _chunks(frame: pd.DataFrame, size: int = 2) -> Iterator[pd.DataFrame]:
    for lo in range(0, len(frame), size):
        yield frame.iloc[lo:lo + size].reset_index(drop=True)


def _layer(path: Path, name: str) -> tuple[dict[str, Any], pd.DataFrame, list[Any], int]:
    """Declared fields and geometry type, attributes, WKB and R-tree rows of ``name``."""
    info = pyogrio.read_info(path, layer=name)
    decl = {k: (list(info[k]) if k in ("fields", "dtypes") else info[k])
            for k in ("fields", "dtypes", "geometry_type", "geometry_name", "crs")}
    frame = pyogrio.read_dataframe(path, layer=name, fid_as_index=True)
    wkb = list(shapely.to_wkb(frame.geometry.values))
    with sqlite3.connect(path) as con:
        rtree = con.execute(f'SELECT count(*) FROM "rtree_{name}_geom"').fetchone()[0]
    return decl, pd.DataFrame(frame.drop(columns="geometry")), wkb, rtree


def _stream(store: Store, name: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as layer ``name`` through the chunk writer, 2 rows a chunk."""
    writer = store.layer_writer(name)
    writer.write_all(_chunks(frame))
    assert writer.close() is None  # None: the layer did not have to be written again


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for fn in ("write_arrow", "write_dataframe"):
        real = getattr(pyogrio, fn)

        def spy(*args: Any, _real: Any = real, _fn: str = fn, **kw: Any) -> Any:
            calls.append(f"{_fn}:{kw['layer']}")
            return _real(*args, **kw)

        monkeypatch.setattr(pyogrio, fn, spy)
    return calls


def test_a_layer_streamed_in_chunks_equals_one_whole_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _frame()
    store = Store(tmp_path, private=True)
    store.write_layers({"whole": frame})
    calls = _spy(monkeypatch)
    _stream(store, "chunked", frame)
    assert calls == ["write_arrow:chunked"]  # one write of the layer
    whole, chunked = _layer(store.path, "whole"), _layer(store.path, "chunked")
    assert whole[0] == chunked[0]
    # by hand: a MultiPolygon in the first chunk, so every Polygon is promoted
    assert chunked[0]["geometry_type"] == "MultiPolygon"
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    assert chunked[2] == whole[2]
    assert {shapely.from_wkb(g).geom_type for g in chunked[2] if g is not None} == {
        "MultiPolygon"}
    assert chunked[1]["share"].isna().tolist() == [False, True, False, False, True, False]
    assert chunked[1]["name"].isna().tolist() == [False, True, False, False, True, False]
    assert chunked[1]["year"].tolist()[1] == 2001 and chunked[1]["nothing"].isna().all()
    # 6 features: one without geometry and one empty have no R-tree entry
    assert whole[3] == chunked[3] == 4
    assert store.written["chunked"] == store.written["whole"]


def test_a_column_the_stream_would_type_otherwise_is_written_chunk_by_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = _frame()
    frame["seen"] = pd.to_datetime(["2020-01-01 08:00"] * 6)
    store = Store(tmp_path, private=True)
    store.write_layers({"whole": frame})
    calls = _spy(monkeypatch)
    _stream(store, "chunked", frame)
    assert calls == ["write_dataframe:chunked"] * 3
    whole, chunked = _layer(store.path, "whole"), _layer(store.path, "chunked")
    assert whole[0] == chunked[0]
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    assert chunked[2] == whole[2] and whole[3] == chunked[3] == 4


def test_a_chunk_the_stream_cannot_take_asks_for_the_layer_again(tmp_path: Path) -> None:
    frame = _frame()
    later = frame.iloc[2:4].reset_index(drop=True)
    later["count"] = [3.5, 4.0]  # the stream's field is an integer: 3.5 does not cast
    store = Store(tmp_path, private=True)
    writer = store.layer_writer("chunked")
    writer.write_all(iter([frame.iloc[:2].reset_index(drop=True), later]))
    assert writer.close() == ("MultiPolygon", True)  # written again, chunk by chunk
    assert "chunked" not in store.written


def test_an_error_while_a_chunk_is_made_propagates_unchanged(tmp_path: Path) -> None:
    frame = _frame()

    def chunks() -> Iterator[pd.DataFrame]:
        yield frame.iloc[:2].reset_index(drop=True)
        raise LayerValidationError("raw/x.gpkg, layer buildings, field use, feature c: bad")

    writer = Store(tmp_path, private=True).layer_writer("chunked")
    with pytest.raises(LayerValidationError, match=r"^raw/x\.gpkg, layer buildings, field use, "
                                                    r"feature c: bad$"):
        writer.write_all(chunks())


def test_a_3d_layer_and_an_attribute_table_stream_as_written_whole(tmp_path: Path) -> None:
    solid = gpd.GeoDataFrame({"id": list("abcde"), "h": [1.0, 2.0, 3.0, 4.0, 5.0]},
                             geometry=[shapely.Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 2)])] * 5,
                             crs=fx.GK)
    table = pd.DataFrame({"id": list("abcde"), "n": [1, 2, 3, 4, 5]})
    store = Store(tmp_path, private=True)
    store.write_layers({"solid_whole": solid, "table_whole": table})
    for name, frame in (("solid", solid), ("table", table)):
        _stream(store, name, frame)
        assert store.written[name] == store.written[f"{name}_whole"]
    chunked, whole = _layer(store.path, "solid"), _layer(store.path, "solid_whole")
    assert chunked[0] == whole[0] and chunked[0]["geometry_type"] == "Polygon Z"
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    assert chunked[2] == whole[2] and chunked[3] == whole[3] == 5
    info = pyogrio.read_info(store.path, layer="table")
    assert info["geometry_type"] is None and list(info["fields"]) == ["id", "n"]
    pd.testing.assert_frame_equal(pd.DataFrame(pyogrio.read_dataframe(store.path, layer="table")),
                                  pd.DataFrame(pyogrio.read_dataframe(store.path,
                                                                     layer="table_whole")))
