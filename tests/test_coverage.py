"""Service-radius coverage on tiny layouts worked out on paper (gis.coverage)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
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
