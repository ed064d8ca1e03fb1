"""Service-radius coverage on tiny layouts worked out on paper (gis.coverage)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures.coverage import CRS, make_project, tiny_layers
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, box

from gis.coverage import (
    SizeRule,
    WalkOptions,
    area_coverage,
    dissolve_touching,
    grid_samples,
    point_coverage,
    radius_by_size,
    split_by_zones,
    uncovered_parts,
)
from gis.network import DISCONNECTED, OFF_NETWORK, REACHED, graph_from_lines
from layers import ManifestError
from layers.coverage import PRESETS_PATH, UNCOVERED_LAYER, build_step, load_presets
from layers.indicators.catalog import Catalog, IndicatorSpec, read_catalog
from layers.indicators.engine import compute_records

GARDEN_CITY = [
    SizeRule(500, min_area=5000),
    SizeRule(300, min_area=2000, max_area=5000),
    SizeRule(300, min_area=1000, historic_only=True),
]


def test_one_park_residential_square_partly_inside():
    # park 100 x 100 at the origin, radius 200: its buffer reaches x = 300 along y in [0, 100]
    park = box(0, 0, 100, 100)
    home = box(250, 0, 450, 100)  # 200 x 100 = 20 000 m²; x in [250, 300] covered: 5 000 m²
    cov = area_coverage([home], [park], [200.0])
    assert cov.area[0] == pytest.approx(20_000)
    assert cov.covered[0] == pytest.approx(5_000, rel=1e-9)
    rest = uncovered_parts([home], [park], [200.0])
    assert shapely.area(rest[0]) == pytest.approx(15_000, rel=1e-9)


def test_two_overlapping_radii_not_double_counted():
    # two circles r = 100, centres 100 m apart, inside a large residential square
    r, d = 100.0, 100.0
    lens = 2 * r**2 * math.acos(d / (2 * r)) - (d / 2) * math.sqrt(4 * r**2 - d**2)
    union = 2 * math.pi * r**2 - lens  # 50 548.2 m²; double counting would give 62 831.9
    cov = area_coverage([box(-300, -300, 400, 300)], [Point(0, 0), Point(100, 0)], [r, r])
    assert cov.covered[0] == pytest.approx(union, rel=1e-3)


def test_piece_wholly_inside_one_buffer_counts_full_area():
    cov = area_coverage([box(0, 0, 10, 10), box(1000, 0, 1010, 10)], [Point(5, 5)], [100.0])
    assert cov.covered.tolist() == [100.0, 0.0]


def test_park_just_under_size_threshold():
    under = box(0, 0, 49.99, 100)  # 4 999 m²: 300 m
    at = box(0, 0, 50, 100)  # 5 000 m²: 500 m
    radii = radius_by_size(shapely.area([under, at]), GARDEN_CITY)
    assert radii.tolist() == [300.0, 500.0]
    # residential strip 400-450 m east of the park's east edge
    home_u = box(49.99 + 400, 0, 49.99 + 450, 100)
    home_a = box(50 + 400, 0, 50 + 450, 100)
    assert area_coverage([home_u], [under], radii[:1]).covered[0] == 0.0
    assert area_coverage([home_a], [at], radii[1:]).covered[0] == pytest.approx(5000.0)


def test_historic_rule_and_dissolved_size():
    # 1 500 m² serves 300 m only in a historic district
    assert radius_by_size([1500, 1500], GARDEN_CITY, historic=[True, False]).tolist() == [
        300.0,
        0.0,
    ]
    # two touching pieces of 3 000 and 2 500 m² form one 5 500 m² park -> 500 m
    parts = dissolve_touching([box(0, 0, 30, 100), box(30, 0, 55, 100), box(500, 0, 510, 10)])
    areas = sorted(shapely.area(parts).tolist())
    assert areas == [100.0, 5500.0]
    assert sorted(radius_by_size(areas, GARDEN_CITY).tolist()) == [0.0, 500.0]


def test_split_by_zones_areas():
    zones = [box(0, 0, 100, 100), box(100, 0, 200, 100)]
    pieces, zi, gi = split_by_zones([box(50, 0, 200, 50), box(10, 10, 20, 20)], zones)
    got = {(int(z), int(g)): float(a) for z, g, a in zip(zi, gi, shapely.area(pieces), strict=True)}
    assert got == {(0, 0): 2500.0, (1, 0): 5000.0, (0, 1): 100.0}


def test_household_weighted_points():
    homes = [Point(0, 0), Point(250, 0), Point(400, 0)]
    cov = point_coverage(homes, [Point(0, 10)], [300.0])
    assert cov.covered.tolist() == [True, True, False]
    weights = np.array([10, 20, 70])
    assert (weights * cov.covered).sum() / weights.sum() == pytest.approx(0.3)


def test_grid_samples_aligned_and_never_empty():
    pts, owner = grid_samples([box(0, 0, 30, 20), box(1, 1, 2, 2)], spacing=10)
    xy = shapely.get_coordinates(pts)
    assert owner.tolist() == [0] * 6 + [1]
    assert xy[:6].tolist() == [[5, 5], [15, 5], [25, 5], [5, 15], [15, 15], [25, 15]]


def test_walking_straight_road_strip():
    # road along y = 0, facility at the origin (r = 300), a 10 m strip of homes beside it:
    # sample (x, 5) walks 5 + x; covered while x <= 295 -> 30 of 60 samples -> 3 000 m²
    g = graph_from_lines([LineString([(0, 0), (1000, 0)])])
    home = box(0, 0, 600, 10)
    walk = area_coverage([home], [Point(0, 0)], [300.0], mode="walk", graph=g)
    straight = area_coverage([home], [Point(0, 0)], [300.0])
    assert walk.covered[0] == pytest.approx(3000.0, rel=1e-3)
    # straight: integral of sqrt(300² - y²) for y in [0, 10] = 3000 - 10³ / (6 * 300)
    assert straight.covered[0] == pytest.approx(3000 - 1000 / 1800, rel=1e-3)
    # the grid estimate (3 000) is capped by the exact straight-line area
    assert walk.covered[0] == straight.covered[0]


def test_walking_around_a_corner():
    # road (0,0)-(200,0)-(200,400); homes east of the vertical arm, x in [200, 210]
    # sample (205, y) walks 200 + y + 5 <= 300 -> y <= 95: 10 of 40 samples -> 1 000 m²
    g = graph_from_lines([LineString([(0, 0), (200, 0), (200, 400)])])
    home = box(200, 0, 210, 400)
    walk = area_coverage([home], [Point(0, 0)], [300.0], mode="walk", graph=g)
    straight = area_coverage([home], [Point(0, 0)], [300.0])
    assert walk.covered[0] == pytest.approx(1000.0)
    # straight: the part of the strip inside the 300 m circle, about 2 195 m²
    exact = shapely.area(box(200, 0, 210, 400).intersection(Point(0, 0).buffer(300, 256)))
    assert straight.covered[0] == pytest.approx(exact, rel=1e-3)


def test_demand_on_disconnected_road_piece():
    main = LineString([(0, 0), (500, 0)])
    island = LineString([(0, 100), (100, 100)])  # separate piece, within 300 m straight
    g = graph_from_lines([main, island])
    homes = [Point(50, 5), Point(50, 105), Point(50, 400)]
    cov = point_coverage(
        homes, [Point(0, 0)], [300.0], mode="walk", graph=g, walk=WalkOptions(demand_snap=20)
    )
    assert cov.covered.tolist() == [True, False, False]
    assert cov.reason.tolist() == [REACHED, DISCONNECTED, OFF_NETWORK]
    assert cov.distance[0] == pytest.approx(55.0)
    # the same as land: a 10 m strip along the island is within straight reach, unreachable
    strip = box(0, 100, 100, 110)
    area = area_coverage([strip], [Point(0, 0)], [300.0], mode="walk", graph=g)
    assert area.covered[0] == 0.0
    assert area.unreached["disconnected"][0] == pytest.approx(1000.0)
    assert area_coverage([strip], [Point(0, 0)], [300.0]).covered[0] == pytest.approx(1000.0)


def test_polygon_facility_entrances_in_walking_mode():
    # park 100 x 100 next to a road at y = -10; home 200 m east along the road
    g = graph_from_lines([LineString([(-100, -10), (600, -10)])])
    park = box(0, 0, 100, 100)
    cov = point_coverage(
        [Point(300, -15)], [park], [250.0], mode="walk", graph=g,
        walk=WalkOptions(access_spacing=25),
    )
    # nearest entrance is the park corner (100, 0): 10 m to the road, 200 m along it, 5 m off
    assert cov.distance[0] == pytest.approx(215.0)
    assert cov.covered[0]


def test_point_facility_inside_a_block_snaps_like_a_home():
    # a recycling point 100 m from the road (beyond the 50 m entrance snap of park edges):
    # home at (200, 10) walks 10 + 200 + 100 = 310 m
    g = graph_from_lines([LineString([(-100, 0), (600, 0)])])
    cov = point_coverage([Point(200, 10)], [Point(0, 100)], [400.0], mode="walk", graph=g)
    assert cov.distance[0] == pytest.approx(310.0)
    assert cov.covered[0]


def test_unknown_mode_rejected():
    with pytest.raises(ValueError, match="distance mode"):
        area_coverage([box(0, 0, 1, 1)], [Point(0, 0)], [1.0], mode="fly")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_random_layouts_union_and_walk_bounds(seed):
    """Independent check of the per-piece unions, and walking ≤ straight on random layouts."""
    rng = np.random.default_rng(seed)
    zones = [box(x, y, x + 300, y + 300) for x in (0, 300) for y in (0, 300)]
    homes = [
        box(x, y, x + w, y + h)
        for x, y, w, h in zip(
            *rng.uniform(0, 500, (2, 8)), *rng.uniform(10, 120, (2, 8)), strict=True
        )
    ]
    homes = shapely.get_parts(shapely.union_all(homes))
    pieces, zi, _ = split_by_zones(homes, zones)
    fac = shapely.points(rng.uniform(0, 600, (5, 2)))
    radii = rng.choice([100.0, 150.0, 0.0], 5)
    straight = area_coverage(pieces, fac, radii)
    # independent: one global union of every buffer, intersected zone by zone
    buf = shapely.union_all(shapely.buffer(fac[radii > 0], radii[radii > 0], quad_segs=32))
    expect = shapely.area(shapely.intersection(pieces, buf))
    np.testing.assert_allclose(straight.covered, expect, rtol=1e-7, atol=1e-6)
    roads = [LineString(rng.uniform(0, 600, (3, 2))) for _ in range(6)]
    roads += [LineString([(0, y), (600, y)]) for y in (100.0, 400.0)]
    g = graph_from_lines(roads)
    walk = area_coverage(
        pieces, fac, radii, mode="walk", graph=g, walk=WalkOptions(grid_spacing=20)
    )
    assert np.all(walk.covered <= straight.covered + 1e-9)
    for z in range(len(zones)):
        assert walk.covered[zi == z].sum() <= straight.covered[zi == z].sum() + 1e-9


# ---------------------------------------------------------------------------------------------
# layers.coverage on a tiny project. District D = 1000 m × 200 m, two communities:
#
#   y=200 +--------+------------------+------------------------+ +-+ Q (G3, x 1000–1010)
#         |   P1   |  C1 (S1)  R      |        C2 (S2)  R      | | |
#         |  G11   |                  |                        | | |
#   y=0   +--------+------------------+------------------------+ +-+
#         x=0     100                500                     1000
#
# Residential land R = x 100–1000 (C1: 80 000 m², C2: 100 000 m²). Because P1 and Q span the
# full height, their buffers end in straight vertical lines over the residential strip:
# P1 at 500 m covers x ≤ 600; Q at 500 m covers x ≥ 500.
# Homes (residential buildings, households): B1 (300,100) 10, B4 (450,180) 40 in C1;
# B2 (550,100) 20, B3 (800,100) 30 in C2.
# Roads: main y = 100 from x = -50 to 650; an island piece y = 190 from x = 400 to 500.
# ---------------------------------------------------------------------------------------------

def run(project, params, *, scenario=None):
    spec = IndicatorSpec(id="X", title="t", kind="service_coverage", unit="%", params=params)
    recs = compute_records(project, catalog=Catalog([spec]), scenario=scenario)
    return {r.zone_code: r.value for r in recs}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("cov"))


def test_gbt51346_counts_squares(tiny):
    # P1 (20 000 m² → 500 m) covers x ≤ 600; Q (G3, 2 000 m² → 300 m by its size) covers
    # x ≥ 700: the strip 600..700 (20 000 m²) of the 180 000 m² of residential land is left,
    # all in C2 (100 000 m²): 80 %; district 160 000 / 180 000 = 88.89 %.
    res = run(tiny, {"preset": "gbt51346"})
    assert res == pytest.approx(
        {"D": 88.89, "S1": 100, "S2": 80, "C1": 100, "C2": 80}, abs=0.01
    )


def test_garden_city_excludes_squares(tiny):
    # only P1 (20 000 m² → 500 m): C1 all 80 000; C2 x 500–600 = 20 000 of 100 000
    res = run(tiny, {"preset": "garden_city"})
    assert res == pytest.approx(
        {"D": 100 * 100_000 / 180_000, "S1": 100, "S2": 20, "C1": 100, "C2": 20}, abs=0.005
    )  # records carry two decimals


def test_park_just_under_threshold_and_touching_pieces(tmp_path):
    # an existing pocket park of 4 999 m² east of the district: garden_city gives it 300 m,
    # covering x ≥ 700 → C2 = 100 (P1) + 300 = 400 of 500 m → 80 %
    under = {"id": "pk", "status": "existing", "geometry": box(1000, 0, 1024.995, 200)}
    p = make_project(tmp_path / "a", change={"pocket_parks": [under]})
    assert run(p, {"preset": "garden_city"})["C2"] == pytest.approx(80.0)
    # 2 000 m² G11 + a touching 3 000 m² pocket park = one 5 000 m² park → 500 m → 100 %
    green = [*tiny_layers()["green_spaces"],
             {"id": "G", "class": "G11", "geometry": box(1000, 0, 1010, 200)}]
    touching = {"id": "pk", "status": "existing", "geometry": box(1010, 0, 1025, 200)}
    p2 = make_project(tmp_path / "b", change={"green_spaces": green, "pocket_parks": [touching]})
    assert run(p2, {"preset": "garden_city"})["C2"] == pytest.approx(100.0)


def test_historic_street_rule_is_a_parameter(tmp_path):
    # a 1 500 m² pocket park in C2 (x 900–907.5): no garden_city radius unless its street is
    # historic; then 300 m, covering x 600–1000 → with P1 (x ≤ 600) all of C2
    small = [{"id": "h", "status": "existing", "geometry": box(900, 0, 907.5, 200)}]
    plain = make_project(tmp_path / "a", change={"pocket_parks": small})
    assert run(plain, {"preset": "garden_city"})["C2"] == pytest.approx(20.0)
    hist = make_project(
        tmp_path / "b", change={"pocket_parks": small}, params='historic_streets = ["S2"]'
    )
    assert run(hist, {"preset": "garden_city"})["C2"] == pytest.approx(100.0)


def test_households_straight_and_walking_with_disconnected_home(tiny):
    # garden_city (P1 only, 500 m): straight B1 200 m, B4 350 m, B2 450 m in; B3 700 m out
    hh = run(tiny, {"preset": "garden_city", "weight": "households"})
    assert hh == pytest.approx({"D": 70, "S1": 100, "S2": 40, "C1": 100, "C2": 40})
    # walking: B4 snaps to the island road piece (10 m) → disconnected; B1 walks 200, B2 450
    walk = run(tiny, {"preset": "garden_city", "weight": "households", "mode": "walk"})
    assert walk == pytest.approx({"D": 30, "S1": 20, "S2": 40, "C1": 20, "C2": 40})


def test_walking_land_never_above_straight(tiny):
    straight = run(tiny, {"preset": "gbt51346"})
    walk = run(tiny, {"preset": "gbt51346", "mode": "walk"})
    assert all(walk[z] <= straight[z] + 1e-9 for z in straight)
    assert walk["C2"] < straight["C2"]  # no road reaches Q: its side is not walkable


def test_unreachable_demand_is_reported(tiny):
    spec = IndicatorSpec(
        id="X", title="t", kind="service_coverage", unit="%",
        params={"preset": "garden_city", "weight": "households", "mode": "walk"},
    )
    rec = next(r for r in compute_records(tiny, catalog=Catalog([spec])) if r.zone_code == "D")
    text = str(rec.as_dict())
    assert "40 on network parts without facilities" in text


def test_roads_marked_not_walkable_are_left_out(tmp_path):
    roads = tiny_layers()["roads"]
    roads = [{**roads[0], "walkable": False}, {**roads[1], "walkable": True}]
    p = make_project(tmp_path, change={"roads": roads})
    walk = run(p, {"preset": "garden_city", "weight": "households", "mode": "walk"})
    assert walk["D"] == pytest.approx(0.0)


def test_recycling_points_households(tiny):
    # community points only (r2 is a transfer station): B1 0 m, B4 170 m, B2 250 m in; B3 out
    params = {"target": "points", "layer": "recycling_points",
              "where": {"kind": ["community_point"]}, "radius": 300}
    assert run(tiny, params) == pytest.approx({"D": 70, "S1": 100, "S2": 40, "C1": 100, "C2": 40})


def test_recycling_radius_is_a_parameter(tmp_path):
    # [params.coverage] recycling_radius_m = 200: B2 (250 m) drops out, B4 (170 m) stays
    p = make_project(tmp_path, params="recycling_radius_m = 200")
    res = run(p, {"target": "points"})
    assert res == pytest.approx({"D": 50, "S1": 100, "S2": 0, "C1": 100, "C2": 0})


def test_complete_communities(tiny):
    # kindergarten (300,100) r 300: B1, B4, B2 in, B3 out → C1 100 %, C2 40 %
    # clinic (900,100) r 500: B3, B2, B4 (457 m) in, B1 (600 m) out → C1 80 %, C2 100 %
    params = {"target": "complete_community",
              "facilities": {"kindergarten": 300, "clinic": 500}, "min_share": 50}
    assert run(tiny, params) == pytest.approx({"D": 50, "S1": 100, "S2": 0, "C1": 100, "C2": 0})
    strict = {**params, "min_share": 90}  # C1's clinic share 80 % < 90 %
    assert run(tiny, strict)["D"] == pytest.approx(0.0)


def test_scenario_adds_proposed_pocket_park(tmp_path):
    # gbt51346 without Q: C2 20 %; a proposed 5 000 m² pocket park east of it covers x ≥ 500
    green = [tiny_layers()["green_spaces"][0]]
    p = make_project(tmp_path, change={"green_spaces": green})
    assert run(p, {"preset": "gbt51346"})["C2"] == pytest.approx(20.0)
    prop = [{"id": "new", "status": "planned", "geometry": box(1000, 0, 1025, 200)}]
    p.store.write_layers(
        {"proposal__pocket_parks": gpd.GeoDataFrame(prop, geometry="geometry", crs=CRS)}
    )
    assert run(p, {"preset": "gbt51346"}, scenario="proposal")["C2"] == pytest.approx(100.0)


def test_build_step_writes_uncovered_residential(tmp_path):
    green = [tiny_layers()["green_spaces"][0]]  # P1 only: C2 x 600–1000 uncovered
    p = make_project(tmp_path, change={"green_spaces": green})
    summary = build_step(p)
    assert "8.0 ha of 18.0 ha" in summary
    layer = p.store.read(UNCOVERED_LAYER)
    assert layer["community_code"].tolist() == ["C2"]
    assert layer["street_code"].tolist() == ["S2"]
    assert layer["uncovered_m2"].iloc[0] == pytest.approx(80_000)
    assert layer.geometry.area.iloc[0] == pytest.approx(80_000)
    assert layer["uncovered_pct"].iloc[0] == pytest.approx(80.0)


def test_bad_parameters_name_the_row(tiny):
    with pytest.raises(ManifestError, match="indicator X: unknown coverage preset 'nope'"):
        run(tiny, {"preset": "nope"})
    with pytest.raises(ManifestError, match=r"params\.mode = 'fly'"):
        run(tiny, {"mode": "fly"})


def test_walking_without_roads_is_no_data(tmp_path):
    p = make_project(tmp_path, change={"roads": []})
    spec = IndicatorSpec(id="X", title="t", kind="service_coverage", unit="%",
                         params={"mode": "walk"})
    recs = compute_records(p, catalog=Catalog([spec]))
    assert {r.status for r in recs} == {"no-data"}
    assert "roads" in str(recs[0].as_dict())


def test_presets_and_catalog_rows_load():
    presets = load_presets()
    assert set(presets) >= {"gbt51346", "garden_city", "green300_park500"}
    assert "G3" in presets["gbt51346"].green_classes
    assert "G3" not in presets["garden_city"].green_classes
    assert not presets["garden_city"].confirmed
    cat = read_catalog(PRESETS_PATH.parent / "standards.toml")
    ids = {s.id for s in cat.indicators}
    for s in cat.indicators:
        if s.kind == "service_coverage" and not s.id.endswith("-walk"):
            assert f"{s.id}-walk" in ids
            walk = next(w for w in cat.indicators if w.id == f"{s.id}-walk")
            assert walk.params["mode"] == "walk"
            assert {k: v for k, v in walk.params.items() if k != "mode"} == {
                k: v for k, v in s.params.items() if k != "mode"
            }
