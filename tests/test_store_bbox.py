"""``Store.read(name, bbox=...)``: the features intersecting a rectangle, as a brute force finds.

The fixture is a tiny store (metric CRS; a GeoPackage, and the same layers in PostGIS) with
a 10 × 10 grid of 8 m squares every 10 m, a diagonal line, points, an L-shaped polygon whose
envelope meets boxes its area does not, a feature with no geometry and a table without
geometry. Each box's answer is compared with ``shapely.intersects`` over the whole layer (the
brute force), in the layer's order.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures.pg import STORES
from shapely import LineString, Point, Polygon, box

from layers import StoreError
from layers.store import AnyStore, PgStore, Store
from layers.store.pg import write_transaction
from layers.store.pgurl import PgLocation

CRS = "EPSG:4548"
# an L: its envelope is 0–60 × 0–60, its area only the strips x < 10 and y < 10
ELL = Polygon([(0, 0), (60, 0), (60, 10), (10, 10), (10, 60), (0, 60)])


def _layer() -> gpd.GeoDataFrame:
    geoms: list[object] = [box(10 * i, 10 * j, 10 * i + 8, 10 * j + 8)
                           for j in range(10) for i in range(10)]
    geoms += [LineString([(0, 100), (100, 0)]), Point(55, 55), Point(30, 30), ELL.buffer(0),
              None]
    ids = [f"f{k}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"id": ids, "n": np.arange(len(geoms))}, geometry=geoms, crs=CRS)


@pytest.fixture(scope="module", params=STORES)
def store(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> AnyStore:
    """The layers in a GeoPackage, or in PostGIS (the session's throw-away cluster)."""
    build = tmp_path_factory.mktemp("p") / "build"
    build.mkdir()
    layers = {"things": _layer(), "table": pd.DataFrame({"code": ["a", "b"], "v": [1.0, 2.0]})}
    if request.param == "gpkg":
        Store(build, private=True).write_layers(layers)
        return Store(build)
    loc = PgLocation(request.getfixturevalue("pg_url"), f"bbox_{build.parent.name.lower()}")
    with write_transaction(loc, what="test") as conn:
        PgStore(loc, build, conn=conn).write_layers(layers)
    return PgStore(loc, build)


def _brute(frame: gpd.GeoDataFrame, bbox: tuple[float, float, float, float]) -> list[str]:
    hit = shapely.intersects(frame.geometry.values, box(*bbox))
    return list(frame.loc[hit, "id"])


@pytest.mark.parametrize("bbox", [
    (21.0, 21.0, 39.0, 39.0),      # inside the grid: squares, the point at 30 30
    (28.5, 28.5, 29.5, 29.5),      # in a gap between squares, under the L's envelope only
    (48.0, 48.0, 50.0, 50.0),      # touches four square corners and edges; the line's point
    (-50.0, -50.0, -1.0, -1.0),    # outside everything
    (-1000.0, -1000.0, 1000.0, 1000.0),  # everything with a geometry
    (55.0, 55.0, 55.0, 55.0),      # a degenerate box: the point at 55 55 and its square
    (12.0, 9.0, 13.0, 9.5),        # the L's lower strip only (and the square below)
])
def test_box_read_equals_brute_force(store: AnyStore,
                                     bbox: tuple[float, float, float, float]) -> None:
    whole = store.read("things")
    got = store.read("things", bbox=bbox)
    expected = _brute(whole, bbox)
    assert list(got["id"]) == expected
    # same rows, columns and geometries as the whole layer's
    ref = whole.set_index("id").loc[expected].reset_index()
    assert list(got.columns) == list(whole.columns)
    assert got.crs == whole.crs
    assert list(got["n"]) == list(ref["n"])
    assert all(shapely.equals_exact(got.geometry.values, ref.geometry.values, 0))
    assert list(got.index) == list(range(len(got)))


def test_box_answers_worked_out_by_hand(store: AnyStore) -> None:
    # the gap box 28.5–29.5: no square (they stop at 28), not the point at 30 30, not the L
    # (only its envelope), not the line (x + y = 100 passes at 50 50)
    assert list(store.read("things", bbox=(28.5, 28.5, 29.5, 29.5))["id"]) == []
    # x 12–13, y 9–9.5: the L's lower strip (y < 10) and nothing of the grid (square 10–18 ×
    # 0–8 stops at y 8, the one above starts at y 10)
    assert list(store.read("things", bbox=(12, 9, 13, 9.5))["id"]) == ["f103"]
    # touching counts: the box 48–50 meets square (40–48, 40–48) at its corner, (50–58) ones
    # at theirs, and the line at (50, 50)
    assert list(store.read("things", bbox=(48, 48, 50, 50))["id"]) == [
        "f44", "f45", "f54", "f55", "f100"]


def test_box_read_is_a_copy_and_cached(store: AnyStore) -> None:
    a = store.read("things", bbox=(0, 0, 20, 20))
    a.loc[:, "id"] = "changed"
    b = store.read("things", bbox=(0, 0, 20, 20))
    assert "changed" not in set(b["id"])


def test_reads_share_the_cached_layer_until_one_writes(store: AnyStore) -> None:
    """A layer read twice is held once (copy-on-write views of the cache, not copies), and
    what one reader changes reaches neither the cache nor the other reader."""
    a, b = store.read("things"), store.read("things")
    assert np.shares_memory(a["n"].to_numpy(), b["n"].to_numpy())
    a.loc[0, "n"] = -1
    a["id"] = "changed"
    a.loc[1, "geometry"] = Point(0, 0)
    for frame in (b, store.read("things")):
        assert frame["n"].tolist() == list(range(len(frame)))
        assert frame["id"].iloc[0] == "f0"
        assert frame.geometry.iloc[1].equals(box(10, 0, 18, 8))
    assert not np.shares_memory(a["n"].to_numpy(), b["n"].to_numpy())


def test_table_without_geometry_is_whole(store: AnyStore) -> None:
    got = store.read("table", bbox=(0, 0, 1, 1))
    assert list(got["code"]) == ["a", "b"]


@pytest.mark.parametrize("bbox", [(1, 2, 3), (5, 0, 1, 1), (0, 0, float("nan"), 1),
                                  ("a", 0, 1, 1), None, 7])
def test_bad_box_names_store_and_layer(store: AnyStore, bbox: object) -> None:
    if bbox is None:
        assert len(store.read("things", bbox=None)) == len(_layer())
        return
    with pytest.raises(StoreError, match=r"things.*bbox must be"):
        store.read("things", bbox=bbox)  # type: ignore[arg-type]


def test_writes_forget_boxed_reads(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    Store(build, private=True).write_layers({"things": _layer()})
    store = Store(build, private=True)
    assert len(store.read("things", bbox=(0, 0, 8, 8))) == 2  # square f0 and the L
    store.write_layers({"things": _layer().iloc[1:]})
    assert list(store.read("things", bbox=(0, 0, 8, 8))["id"]) == ["f103"]
