"""Lines split by zones (gis.overlay.split_by_zones): a stretch on a shared border counts once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely import LineString, box

from gis.overlay import split_by_zones

ZONES = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)], dtype=object)  # A | B


def per_zone(lines: list[LineString]) -> np.ndarray:
    return split_by_zones(lines, ZONES, measure="length").sum_by_zone(None, len(ZONES))


def test_line_along_the_shared_border_counts_half_in_each() -> None:
    assert per_zone([LineString([(100, 0), (100, 100)])]) == pytest.approx([50.0, 50.0])


def test_l_shape_worked_by_hand() -> None:
    # 50 m inside A, 50 m on the A|B border (25 + 25), 50 m on B's outer top edge (B only)
    line = LineString([(50, 50), (100, 50), (100, 100), (150, 100)])
    assert per_zone([line]) == pytest.approx([75.0, 75.0])


def test_outer_edge_and_interior_lines_count_whole() -> None:
    lines = [LineString([(10, 0), (60, 0)]), LineString([(120, 20), (180, 20)])]
    assert per_zone(lines) == pytest.approx([50.0, 60.0])
    pieces = split_by_zones(lines, ZONES, measure="length")
    assert pieces.fraction == pytest.approx([1.0, 1.0])


def brute_force(line: LineString, zones: np.ndarray, step: float = 0.25) -> np.ndarray:
    """Walk the line in short steps; a step's midpoint inside one zone counts for it, on the
    border of k zones 1/k for each (an independent rule, no overlay)."""
    out = np.zeros(len(zones))
    dist = np.arange(0.0, line.length, step)
    mids = shapely.line_interpolate_point(line, np.minimum(dist + step / 2, line.length))
    lengths = np.minimum(step, line.length - dist)
    for mid, w in zip(mids, lengths, strict=True):
        inside = np.asarray(shapely.contains(zones, mid), dtype=bool)
        if inside.any():
            out[inside] += w
            continue
        border = np.asarray(shapely.intersects(zones, mid), dtype=bool)
        if border.any():
            out[border] += w / border.sum()
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_walks_match_a_brute_force_count(seed: int) -> None:
    # 3 × 2 zones of 40 m; lines walk the 10 m lattice, so many stretches lie on borders
    zones = np.array([box(x, y, x + 40, y + 40) for x in (0, 40, 80) for y in (0, 40)],
                     dtype=object)
    rng = np.random.default_rng(seed)
    checked = 0
    for _ in range(8):
        pts = [(float(rng.integers(0, 13)) * 10, float(rng.integers(0, 9)) * 10)]
        used: set[frozenset[tuple[float, float]]] = set()
        for _ in range(12):  # a walk that never runs the same 10 m stretch twice
            x, y = pts[-1]
            dx, dy = [(10, 0), (-10, 0), (0, 10), (0, -10)][int(rng.integers(0, 4))]
            nxt = (min(max(x + dx, 0.0), 120.0), min(max(y + dy, 0.0), 80.0))
            edge = frozenset([pts[-1], nxt])
            if nxt != pts[-1] and edge not in used:
                used.add(edge)
                pts.append(nxt)
        if len(pts) < 2:
            continue
        line = LineString(pts)
        got = split_by_zones([line], zones, measure="length").sum_by_zone(None, len(zones))
        assert got == pytest.approx(brute_force(line, zones), abs=1e-6)
        assert got.sum() == pytest.approx(line.length)
        checked += 1
    assert checked >= 5


# ------------------------------------------------- polygons: overlaps counted once, by zone

SQUARES_2 = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)], dtype=object)  # A | B


def test_touching_features_are_not_flagged_overlapping_ones_are() -> None:
    from gis.overlay import overlapping

    feats = [box(10, 10, 30, 30), box(30, 10, 50, 30),  # share an edge only
             box(60, 60, 80, 80), box(70, 70, 90, 90),  # overlap 10 × 10
             box(0, 0, 5, 5)]  # alone
    assert overlapping(feats, exact=True).tolist() == [False, False, True, True, False]
    assert overlapping(feats, exact=True, workers=2).tolist() == [
        False, False, True, True, False]


def test_zone_pieces_unions_only_overlapping_features() -> None:
    from gis.overlay import zone_pieces

    # in A: two squares sharing an edge (400 + 400 m², kept as they are) and two squares
    # overlapping by 10 × 10 (400 + 400 − 100 = 700 m², merged); across the A|B border a
    # 20 × 20 square split 200 / 200
    feats = [box(10, 10, 30, 30), box(30, 10, 50, 30), box(60, 60, 80, 80),
             box(70, 70, 90, 90), box(90, 0, 110, 20)]
    pieces = zone_pieces(feats, SQUARES_2, dissolve=True)
    assert pieces.sum_by_zone(None, 2).tolist() == pytest.approx([400 + 400 + 700 + 200, 200])
    merged = pieces.feature == -1
    assert merged.sum() == 1 and pieces.measure[merged] == pytest.approx([700.0])
    assert sorted(pieces.feature[~merged].tolist()) == [0, 1, 4, 4]


def test_union_of_many_groups_on_two_threads_matches_one_union_per_group() -> None:
    from gis.overlay import PARALLEL_MIN_UNION_PARTS, union_groups

    rng = np.random.default_rng(3)
    n = PARALLEL_MIN_UNION_PARTS * 10  # enough parts for the chunks to go to threads
    labels = rng.integers(0, 700, n)  # groups of 1 to about 10 parts
    x, y = rng.uniform(0, 50, n), rng.uniform(0, 50, n)
    parts = np.asarray(shapely.box(x, y, x + rng.uniform(1, 9, n), y + 5), dtype=object)
    for workers in (1, 2):
        ids, unions = union_groups(parts, labels, workers=workers)
        assert ids.tolist() == sorted(set(labels.tolist()))
        expected = [shapely.area(shapely.union_all(parts[labels == i])) for i in ids]
        np.testing.assert_allclose(shapely.area(unions), expected, rtol=1e-12)


def test_intersection_of_pieces_worked_by_hand() -> None:
    from gis.overlay import pieces_intersection_area, zone_pieces

    # A: 80 × 80 square holds a 10 × 10 square of B (100 m², B covered);
    # B: 20 × 100 strip at x 120–140 holds A's 10 × 10 square at 125–135 (100 m², A covered)
    # and crosses A's 30 × 30 square at 130–160 on 10 × 30 (300 m²)
    a = [box(10, 10, 90, 90), box(125, 40, 135, 50), box(130, 60, 160, 90)]
    b = [box(20, 20, 30, 30), box(120, 0, 140, 100)]
    pa, pb = zone_pieces(a, SQUARES_2), zone_pieces(b, SQUARES_2)
    for workers in (1, 2):
        got = pieces_intersection_area(pa, pb, 2, workers=workers)
        assert got.tolist() == pytest.approx([100.0, 100.0 + 300.0])


def _grid(n: int) -> np.ndarray:
    """n × n unit-square zones of 10 m, row by row from (0, 0)."""
    x, y = np.meshgrid(np.arange(n) * 10.0, np.arange(n) * 10.0)
    return np.asarray(shapely.box(x.ravel(), y.ravel(), x.ravel() + 10, y.ravel() + 10),
                      dtype=object)


def _road_land() -> shapely.Polygon:
    """A 60 × 60 m square with 4 × 4 m holes centred in the 36 zones of ``_grid(6)``, its
    outline densified to 240 vertices (well over the trim threshold)."""
    from gis.zonecut import TRIM_MIN_VERTICES

    outer = shapely.segmentize(box(0, 0, 60, 60), 1.0).exterior
    holes = [box(10 * i + 3, 10 * j + 3, 10 * i + 7, 10 * j + 7).exterior
             for i in range(6) for j in range(6)]
    poly = shapely.Polygon(outer, holes)
    assert shapely.get_num_coordinates(poly) >= TRIM_MIN_VERTICES
    return poly


def test_large_feature_across_many_zones_is_cut_exactly() -> None:
    # every 10 × 10 zone holds 100 − 16 = 84 m² of the holed square: cut to a box around
    # each zone before the exact intersection, the parts keep the exact areas
    zones = _grid(6)
    pieces = split_by_zones([_road_land()], zones)
    assert sorted(pieces.zone.tolist()) == list(range(36))
    np.testing.assert_allclose(pieces.measure, 84.0, rtol=1e-12)
    np.testing.assert_allclose(pieces.fraction, 84.0 / (3600 - 36 * 16), rtol=1e-12)
    # the part is the zone's share only: nothing of the neighbours' land comes along
    part = pieces.geometry[pieces.zone.tolist().index(7)]  # x 10–20, y 10–20
    assert shapely.equals(part, shapely.difference(zones[7], box(13, 13, 17, 17)))


def test_an_invalid_rectangle_clip_falls_back_to_the_whole_feature(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gis.zonecut as zonecut

    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # self-crossing: invalid
    monkeypatch.setattr(zonecut.shapely, "clip_by_rect", lambda geom, *box_: bowtie)
    pieces = split_by_zones([_road_land()], _grid(6))
    np.testing.assert_allclose(pieces.measure, 84.0, rtol=1e-12)


def test_features_overlapping_in_one_zone_are_merged_there_only() -> None:
    from gis.overlay import zone_pieces

    # a 40 × 20 bar across the A|B border (x 80–120) and a 10 × 10 square in B overlapping
    # it by 5 × 10: in A the bar's 20 × 20 part stays as it is; in B the bar's part and the
    # square are merged (400 + 100 − 50 = 450 m²)
    feats = [box(80, 0, 120, 20), box(115, 5, 125, 15)]
    pieces = zone_pieces(feats, SQUARES_2, dissolve=True)
    assert pieces.sum_by_zone(None, 2).tolist() == pytest.approx([400.0, 450.0])
    in_a = pieces.zone == 0
    assert pieces.feature[in_a].tolist() == [0]  # not merged in A
    assert pieces.feature[~in_a].tolist() == [-1]


def test_cut_land_is_the_same_on_one_and_two_threads() -> None:
    from gis.overlay import PARALLEL_MIN_ITEMS, area_by_zone

    # enough crossing squares for the clipping to go to threads, over the holed square
    rng = np.random.default_rng(5)
    n = PARALLEL_MIN_ITEMS + 300
    x, y = rng.uniform(0, 55, n), rng.uniform(0, 55, n)
    feats = np.concatenate([np.asarray(shapely.box(x, y, x + 5, y + 5), dtype=object),
                            [_road_land()]])
    one = area_by_zone(feats, _grid(6), workers=1)
    two = area_by_zone(feats, _grid(6), workers=2)
    assert one.tolist() == two.tolist()
    # each zone: the union of its squares and its holed land, worked out with one union
    expected = [shapely.area(shapely.intersection(shapely.union_all(feats), z))
                for z in _grid(6)]
    np.testing.assert_allclose(one, expected, rtol=1e-9)


def test_whole_features_met_with_cut_parts_worked_by_hand() -> None:
    from gis.overlay import features_in_pieces_area, zone_pieces

    # base: a 40 × 20 bar across the A|B border (x 80–120, parts 400 | 400) and a 10 × 10
    # square in B at x 150–160; features: two overlapping squares over the bar's B part
    # (x 100–115 and 110–125, y 0–10: union 100–120 in the bar = 20 × 10 = 200, counted
    # once), one covering the lone square whole (100), one on the bar's A part at x 85–90
    # (5 × 20 = 100) and one far away (0)
    base = zone_pieces([box(80, 0, 120, 20), box(150, 0, 160, 10)], SQUARES_2)
    feats = [box(100, 0, 115, 10), box(110, 0, 125, 10), box(140, -5, 170, 30),
             box(85, -5, 90, 40), box(500, 500, 510, 510)]
    got = features_in_pieces_area(feats, base, 2)
    assert got.tolist() == pytest.approx([100.0, 200.0 + 100.0])


def test_whole_features_met_with_cut_parts_on_two_threads() -> None:
    from gis.overlay import PARALLEL_MIN_ITEMS, features_in_pieces_area, zone_pieces

    rng = np.random.default_rng(11)
    n = PARALLEL_MIN_ITEMS + 300
    x, y = rng.uniform(0, 55, n), rng.uniform(0, 55, n)
    base = zone_pieces(np.asarray(shapely.box(x, y, x + 5, y + 5), dtype=object), _grid(6))
    feats = np.asarray(shapely.box([2, 20, 25], [2, 20, 0], [40, 30, 58], [30, 50, 12]),
                       dtype=object)
    one = features_in_pieces_area(feats, base, 36, workers=1)
    assert one.tolist() == features_in_pieces_area(feats, base, 36, workers=2).tolist()
    land = shapely.union_all(base.geometry)
    expected = [shapely.area(shapely.intersection(shapely.intersection(land, z),
                                                  shapely.union_all(feats)))
                for z in _grid(6)]
    np.testing.assert_allclose(one, expected, rtol=1e-9, atol=1e-9)
