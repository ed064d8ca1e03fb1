"""The fast walking engine against independent answers: GEOS's nearest search, networkx
distances, and the walking-coverage definition worked point by point (gis.nearest,
gis.network source fields, gis.walkcover)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString, Point

from gis.coverage import WalkOptions, point_coverage
from gis.nearest import SegmentIndex, segment_distance
from gis.network import (
    DISCONNECTED,
    OFF_NETWORK,
    REACHED,
    TOO_FAR,
    Snapped,
    WalkGraph,
    graph_from_lines,
    snap_to_graph,
    source_field,
    target_distances,
    walk_distances,
)

# ---------------------------------------------------------------- nearest segment


def _geos_nearest(graph: WalkGraph, pts: np.ndarray, max_distance: float):
    """GEOS's answer: STRtree nearest over the graph's segments, all equally near ones."""
    segs = shapely.linestrings(np.stack([graph.xy[graph.u], graph.xy[graph.v]], axis=1))
    tree = shapely.STRtree(segs)
    (ip, ie), dist = tree.query_nearest(
        pts, max_distance=max_distance, return_distance=True, all_matches=True
    )
    return ip, ie, dist


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), md=st.sampled_from([3.0, 25.0, 200.0]))
def test_snapping_agrees_with_geos_nearest(seed, md):
    """Same offset to the last bit; the same edge, or one exactly as near (a junction)."""
    rng = np.random.default_rng(seed)
    lines = [LineString(rng.uniform(0, 400, size=(rng.integers(2, 6), 2))) for _ in range(15)]
    # long straight roads too: samples far apart along one edge
    lines += [LineString([(0, y), (400, y)]) for y in rng.uniform(0, 400, 3)]
    g = graph_from_lines(lines)
    xy = rng.uniform(-50, 450, size=(400, 2))
    # points on vertices and exactly on roads: ties and zero offsets
    xy[:20] = g.xy[rng.integers(0, g.n_nodes, 20)]
    pts = shapely.points(xy)
    got = snap_to_graph(g, pts, max_distance=md)
    ip, ie, dist = _geos_nearest(g, pts, md)
    best = np.full(len(pts), np.inf)
    np.minimum.at(best, ip, dist)
    snapped = np.isfinite(best)
    assert np.array_equal(got.edge >= 0, snapped)
    assert np.array_equal(got.offset[snapped], best[snapped])  # bitwise: GEOS's formula
    tied = {(int(p), int(e)) for p, e, d in zip(ip, ie, dist, strict=True) if d == best[p]}
    assert all((i, int(got.edge[i])) in tied for i in np.flatnonzero(snapped))


def test_segment_distance_worked_cases():
    a, b = np.array([0.0, 0.0]), np.array([10.0, 0.0])
    p = np.array([[5.0, 4.0], [-3.0, 4.0], [13.0, -4.0], [10.0, 0.0]])
    assert segment_distance(p, a, b).tolist() == [4.0, 5.0, 5.0, 0.0]
    # a degenerate segment is a point
    assert segment_distance(np.array([3.0, 4.0]), a, a) == 5.0


def test_crowded_points_are_settled_by_asking_for_more_samples():
    # 300 parallel roads 0.1 m apart: the 8 nearest samples can never settle a point 40 m
    # away, the index asks again with more, and what it cannot settle it says is unsure
    a = np.column_stack([np.zeros(300), np.arange(300) * 0.1])
    b = a + np.array([100.0, 0.0])
    idx = SegmentIndex(a, b)
    seg, dist, unsure = idx.nearest(np.array([[50.0, -40.0], [50.0, 15.0]]), 100.0)
    assert not unsure[1] and seg[1] == 150 and dist[1] == pytest.approx(0.0)
    if not unsure[0]:
        assert seg[0] == 0 and dist[0] == pytest.approx(40.0)
    # through snap_to_graph the unsure ones go to GEOS: always the true nearest
    g = graph_from_lines([LineString([tuple(p), tuple(q)]) for p, q in zip(a, b, strict=True)],
                         node_crossings=False, snap_tolerance=0.01)
    s = snap_to_graph(g, [Point(50, -40)], max_distance=100.0)
    assert s.offset[0] == pytest.approx(40.0)


# ---------------------------------------------------------------- source fields


def _nx_reference(g: WalkGraph, src: Snapped, tgt: Snapped) -> np.ndarray:
    """Walking distance worked out with networkx: the base graph, and each point reaching
    it through the two ends of its edge (or straight along the edge to a source on it)."""
    gx = nx.Graph()
    for a, b, w in zip(g.u, g.v, g.length, strict=True):
        if not gx.has_edge(a, b) or gx[a][b]["w"] > w:
            gx.add_edge(int(a), int(b), w=float(w))
    hub = -1
    gx.add_nodes_from([*range(g.n_nodes), hub])
    for e, t, o in zip(src.edge, src.t, src.offset, strict=True):
        if e < 0:
            continue
        for node, along in ((g.u[e], t), (g.v[e], g.length[e] - t)):
            w = o + along
            if not gx.has_edge(hub, int(node)) or gx[hub][int(node)]["w"] > w:
                gx.add_edge(hub, int(node), w=float(w))
    dist = nx.single_source_dijkstra_path_length(gx, hub, weight="w")
    out = np.full(len(tgt.edge), np.inf)
    for i, (e, t, o) in enumerate(zip(tgt.edge, tgt.t, tgt.offset, strict=True)):
        if e < 0:
            continue
        best = min(dist.get(int(g.u[e]), np.inf) + t,
                   dist.get(int(g.v[e]), np.inf) + g.length[e] - t)
        same = src.edge == e  # a source on the same edge: straight along it
        if same.any():
            best = min(best, float(np.min(src.offset[same] + np.abs(src.t[same] - t))))
        out[i] = best + o
    return out


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), limit=st.sampled_from([np.inf, 150.0, 400.0]))
def test_source_field_matches_networkx(seed, limit):
    rng = np.random.default_rng(seed)
    lines = [LineString(rng.uniform(0, 500, size=(rng.integers(2, 5), 2))) for _ in range(12)]
    g = graph_from_lines(lines)
    src = snap_to_graph(g, shapely.points(rng.uniform(0, 500, (5, 2))), max_distance=60)
    # targets: random, and several on the sources' own edges
    near = src.edge[src.edge >= 0]
    on_edges = g.xy[g.u[near]] + 0.3 * (g.xy[g.v[near]] - g.xy[g.u[near]])
    pts = np.concatenate([rng.uniform(0, 500, (40, 2)), on_edges])
    tgt = snap_to_graph(g, shapely.points(pts), max_distance=60)
    ref = _nx_reference(g, src, tgt)
    ref[ref > limit + 1e-6] = np.inf
    got = target_distances(g, source_field(g, src, limit=limit), tgt, limit=limit)
    assert np.array_equal(np.isfinite(got), np.isfinite(ref))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=0, atol=1e-6)


def test_field_between_sources_on_one_edge():
    # road 0..1000; sources at x = 100 (offset 5) and x = 700 (offset 0); a road end at 0
    g = graph_from_lines([LineString([(0, 0), (1000, 0)])])
    src = snap_to_graph(g, [Point(100, 5), Point(700, 0)], max_distance=10)
    tgt = snap_to_graph(g, [Point(x, 2) for x in (0, 50, 390, 420, 900, 1000)], max_distance=10)
    d = target_distances(g, source_field(g, src), tgt)
    # x = 390: 5 + 290 + 2 = 297 via the first; x = 420: 280 + 2 = 282 via the second
    assert d.tolist() == pytest.approx([107, 57, 297, 282, 202, 302])


def test_a_field_is_reused_for_a_smaller_limit_with_the_same_answer():
    g = graph_from_lines([LineString([(0, 0), (1000, 0)]), LineString([(500, 0), (500, 800)])])
    src = snap_to_graph(g, [Point(0, 3)], max_distance=10)
    tgt = snap_to_graph(g, [Point(x, -1) for x in range(0, 1001, 50)], max_distance=10)
    wide = source_field(g, src, limit=900.0)
    assert source_field(g, src, limit=300.0) is wide  # remembered, not searched again
    fresh = source_field(graph_from_lines([LineString([(0, 0), (1000, 0)]),
                                           LineString([(500, 0), (500, 800)])]),
                         src, limit=300.0)
    assert np.array_equal(target_distances(g, wide, tgt, limit=300.0),
                          target_distances(g, fresh, tgt, limit=300.0))
    assert source_field(g, src, limit=2000.0) is not wide  # a wider search is a new one


def test_walk_distances_without_any_snapped_source():
    g = graph_from_lines([LineString([(0, 0), (100, 0)])])
    none = snap_to_graph(g, [Point(50, 500)], max_distance=10)
    r = walk_distances(g, none, snap_to_graph(g, [Point(10, 1)], max_distance=10))
    assert np.isinf(r.distance[0]) and r.reason[0] == DISCONNECTED


# ---------------------------------------------------------------- walking coverage


def _reference_coverage(pts, fac, radii, g, opts, report_all):
    """The definition, point by point: straight reach, walking distance per facility."""
    tgt = snap_to_graph(g, pts, max_distance=opts.demand_snap)
    straight = shapely.distance(pts[:, None], fac[None, :])
    within = (straight <= radii[None, :]).any(axis=1)
    covered = np.zeros(len(pts), dtype=bool)
    connected = np.zeros(len(pts), dtype=bool)
    nearest = np.full(len(pts), np.inf)
    for j, f in enumerate(fac):
        if radii[j] <= 0:
            continue
        src = snap_to_graph(g, [f], max_distance=opts.demand_snap)
        d = _nx_reference(g, src, tgt)
        reach = within & (d <= radii[j] + 1e-6)
        covered |= reach
        nearest[reach] = np.minimum(nearest[reach], d[reach])
        if src.edge[0] >= 0:
            comp = g.component[g.u[src.edge[0]]]
            connected |= (tgt.edge >= 0) & (g.component[g.u[np.maximum(tgt.edge, 0)]] == comp)
    reason = np.full(len(pts), TOO_FAR)
    reason[covered] = REACHED
    reason[within & (tgt.edge >= 0) & ~connected] = DISCONNECTED
    reason[(tgt.edge < 0) & (within | report_all)] = OFF_NETWORK
    return covered, reason, nearest


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), report_all=st.booleans())
def test_walking_coverage_follows_its_definition(seed, report_all):
    rng = np.random.default_rng(seed)
    lines = [LineString(rng.uniform(0, 600, size=(rng.integers(2, 4), 2))) for _ in range(10)]
    g = graph_from_lines(lines)
    pts = shapely.points(rng.uniform(-100, 700, (80, 2)))
    fac = shapely.points(rng.uniform(0, 600, (4, 2)))
    radii = rng.choice([0.0, 150.0, 300.0], 4)
    opts = WalkOptions(demand_snap=40.0)
    cov = point_coverage(pts, fac, radii, mode="walk", graph=g, walk=opts,
                         report_all=report_all)
    covered, reason, nearest = _reference_coverage(pts, fac, radii, g, opts, report_all)
    assert np.array_equal(cov.covered, covered)
    assert np.array_equal(cov.reason, reason)
    assert np.array_equal(np.isfinite(cov.distance), np.isfinite(nearest))
    ok = np.isfinite(nearest)
    np.testing.assert_allclose(cov.distance[ok], nearest[ok], rtol=0, atol=1e-6)


def test_what_is_reported_depends_on_straight_reach():
    # road 0..300 at y = 0 and an island road far east; a facility at the origin, r = 200
    g = graph_from_lines([LineString([(0, 0), (300, 0)]), LineString([(900, 0), (1000, 0)])])
    pts = shapely.points([(100, 5), (150, 100), (250, 150), (950, 5), (180, 0)])
    # (150, 100): off the network (40 m snap) but within 200 m straight -> off_network;
    # (250, 150): off the network and beyond straight reach -> too far unless report_all;
    # (950, 5): on the island, beyond straight reach -> too far (not "disconnected")
    opts = WalkOptions(demand_snap=40.0)
    for report_all, far_off in ((False, TOO_FAR), (True, OFF_NETWORK)):
        cov = point_coverage(pts, [Point(0, 0)], [200.0], mode="walk", graph=g, walk=opts,
                             report_all=report_all)
        assert cov.reason.tolist() == [REACHED, OFF_NETWORK, far_off, TOO_FAR, REACHED]
        assert cov.distance[[0, 4]].tolist() == pytest.approx([105.0, 180.0])
        assert np.isinf(cov.distance[1:4]).all()
