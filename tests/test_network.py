"""Walking graph, snapping and multi-source network distances (gis.network)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from gis.network import (
    DISCONNECTED,
    OFF_NETWORK,
    REACHED,
    TOO_FAR,
    WalkGraph,
    boundary_access_points,
    graph_from_lines,
    snap_to_graph,
    walk_distances,
)


def _dist(lines, sources, targets, *, snap=50.0, limit=np.inf, **kw):
    g = graph_from_lines(lines, **kw)
    s = snap_to_graph(g, sources, max_distance=snap)
    t = snap_to_graph(g, targets, max_distance=snap)
    return g, walk_distances(g, s, t, limit=limit)


def test_straight_road_offsets_added():
    # source 5 m off the road at x=0, target 3 m off at x=60: 5 + 60 + 3
    _, r = _dist([LineString([(0, 0), (100, 0)])], [Point(0, 5)], [Point(60, -3)])
    assert r.distance[0] == pytest.approx(68.0)
    assert r.reason[0] == REACHED


def test_corner_path_is_longer_than_straight_line():
    # L-shaped road: (0,0)-(100,0)-(100,100); source at origin, target at the far end.
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (100, 100)])]
    _, r = _dist(lines, [Point(0, 0)], [Point(100, 100)])
    assert r.distance[0] == pytest.approx(200.0)  # straight line would be 141.4


def test_nearest_of_two_sources_on_same_edge():
    # both sources and the target sit on one edge: the nearer source (x=70) wins, 10 m
    _, r = _dist([LineString([(0, 0), (100, 0)])], [Point(10, 0), Point(70, 0)], [Point(60, 0)])
    assert r.distance[0] == pytest.approx(10.0)


def test_demand_on_disconnected_piece_is_reported():
    main = LineString([(0, 0), (100, 0)])
    island = LineString([(0, 200), (100, 200)])  # a separate piece, 200 m away
    g, r = _dist([main, island], [Point(0, 0)], [Point(50, 0), Point(50, 201)])
    assert g.n_components == 2
    assert r.distance[0] == pytest.approx(50.0)
    assert np.isinf(r.distance[1])
    assert r.reason.tolist() == [REACHED, DISCONNECTED]
    assert r.counts()["disconnected"] == 1


def test_off_network_and_too_far():
    lines = [LineString([(0, 0), (1000, 0)])]
    _, r = _dist(
        lines, [Point(0, 0)], [Point(500, 300), Point(900, 0), Point(100, 0)], limit=500.0
    )
    assert r.reason.tolist() == [OFF_NETWORK, TOO_FAR, REACHED]
    assert r.distance[2] == pytest.approx(100.0)


def test_crossing_roads_are_noded_unless_told_not_to():
    # a "+" crossing without a shared vertex
    lines = [LineString([(-100, 0), (100, 0)]), LineString([(0, -100), (0, 100)])]
    _, r = _dist(lines, [Point(-100, 0)], [Point(0, 100)])
    assert r.distance[0] == pytest.approx(200.0)
    _, r2 = _dist(lines, [Point(-100, 0)], [Point(0, 100)], node_crossings=False)
    assert r2.reason[0] == DISCONNECTED


def test_snap_tolerance_joins_small_gaps():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100.4, 0), (200, 0)])]
    g = graph_from_lines(lines, snap_tolerance=1.0)
    assert g.n_components == 1
    g2 = graph_from_lines(lines, snap_tolerance=0.1)
    assert g2.n_components == 2


def test_parallel_duplicate_edges_keep_shortest():
    # the same segment digitised twice must not add up its length
    lines = [LineString([(0, 0), (100, 0)]), LineString([(0, 0), (100, 0)])]
    _, r = _dist(lines, [Point(0, 0)], [Point(100, 0)])
    assert r.distance[0] == pytest.approx(100.0)


def test_boundary_access_points_spacing():
    square = shapely.box(0, 0, 100, 100)
    pts, owner = boundary_access_points([square], spacing=25.0)
    # 400 m of boundary at 25 m: 16 vertices + the closing one
    assert len(pts) == 17
    assert set(owner.tolist()) == {0}


def _grid_lines(n, step):
    lines = []
    for i in range(n):
        lines.append(LineString([(0, i * step), ((n - 1) * step, i * step)]))
        lines.append(LineString([(i * step, 0), (i * step, (n - 1) * step)]))
    return lines


def test_matches_networkx_on_a_grid():
    """Independent check: networkx Dijkstra on the same grid, points placed at nodes."""
    rng = np.random.default_rng(7)
    step, n = 50.0, 8
    lines = _grid_lines(n, step)
    nodes = [(i * step, j * step) for i in range(n) for j in range(n)]
    gx = nx.Graph()
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                gx.add_edge((i * step, j * step), ((i + 1) * step, j * step), w=step)
            if j + 1 < n:
                gx.add_edge((i * step, j * step), (i * step, (j + 1) * step), w=step)
    src = [nodes[k] for k in rng.choice(len(nodes), 3, replace=False)]
    ref = nx.multi_source_dijkstra_path_length(gx, set(src), weight="w")
    _, r = _dist(lines, [Point(p) for p in src], [Point(p) for p in nodes])
    np.testing.assert_allclose(r.distance, [ref[p] for p in nodes], atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_src=st.integers(1, 4),
    n_tgt=st.integers(1, 30),
)
def test_walking_never_shorter_than_straight(seed, n_src, n_tgt):
    rng = np.random.default_rng(seed)
    lines = [
        LineString(rng.uniform(0, 500, size=(rng.integers(2, 5), 2))) for _ in range(12)
    ]
    src = shapely.points(rng.uniform(0, 500, size=(n_src, 2)))
    tgt = shapely.points(rng.uniform(0, 500, size=(n_tgt, 2)))
    _, r = _dist(lines, src, tgt, snap=100.0)
    straight = shapely.distance(tgt[:, None], src[None, :]).min(axis=1)
    ok = np.isfinite(r.distance)
    assert np.all(r.distance[ok] >= straight[ok] - 1e-6)


def test_snap_memo_answers_as_a_fresh_graph_does() -> None:
    """Repeated, overlapping and duplicate points snap exactly as on a graph with no memo."""
    rng = np.random.default_rng(7)
    lines = [LineString([(x, 0), (x, 500)]) for x in range(0, 501, 50)]
    lines += [LineString([(0, y), (500, y)]) for y in range(0, 501, 70)]

    def fresh() -> WalkGraph:
        return graph_from_lines(lines)

    memo_graph = fresh()
    pool = rng.uniform(-40, 540, size=(300, 2))
    for _ in range(5):
        pick = rng.integers(0, len(pool), size=120)  # overlapping subsets with repeats
        pts = shapely.points(pool[pick])
        got = snap_to_graph(memo_graph, pts, max_distance=12.0)
        want = snap_to_graph(fresh(), pts, max_distance=12.0)
        assert np.array_equal(got.edge, want.edge)
        assert np.allclose(got.t, want.t) and np.array_equal(got.offset, want.offset)
        assert (got.edge >= 0).any() and (got.edge < 0).any()  # near and out-of-reach points
    # another snapping distance is remembered apart
    pts = shapely.points(pool[:50])
    wide = snap_to_graph(memo_graph, pts, max_distance=100.0)
    assert np.array_equal(wide.edge, snap_to_graph(fresh(), pts, max_distance=100.0).edge)
    assert (wide.edge >= 0).all()


def test_both_snap_paths_leave_the_same_points_unsnapped() -> None:
    """Coordinates path and GEOS path (taken when a point is missing): -1, 0, inf alike.

    One edge (0, 0)–(100, 0), snapping distance 10: (50, 5) lies 5 m above it, 50 m along;
    (50, 30) is 30 m away, unsnapped; a missing point, an empty graph or no point snaps nothing.
    """
    g = graph_from_lines([LineString([(0, 0), (100, 0)])])
    fast = snap_to_graph(g, [Point(50, 5), Point(50, 30)], max_distance=10.0)
    geos = snap_to_graph(g, [Point(50, 5), Point(50, 30), None], max_distance=10.0)
    assert fast.edge.tolist() == [0, -1] and geos.edge.tolist() == [0, -1, -1]
    assert fast.offset.tolist() == [5.0, np.inf] and geos.offset.tolist() == [5.0, np.inf, np.inf]
    assert fast.t.tolist() == [50.0, 0.0] and geos.t.tolist() == [50.0, 0.0, 0.0]
    empty = graph_from_lines([])
    for pts in ([Point(1, 1)], [None]):
        s = snap_to_graph(empty, pts, max_distance=10.0)
        assert (s.edge.tolist(), s.t.tolist(), s.offset.tolist()) == ([-1], [0.0], [np.inf])
    none = snap_to_graph(g, [], max_distance=10.0)
    assert len(none.edge) == len(none.t) == len(none.offset) == 0
    assert none.edge.dtype == np.int64
