"""Siting models on instances small enough to solve on paper, and against spopt."""

from __future__ import annotations

import numpy as np
import pulp
import pytest
from scipy.spatial.distance import cdist
from spopt.locate import LSCP, MCLP, PMedian

from gis.siting import (
    SitingError,
    pairs_from_cost_matrix,
    pairs_within_distance,
    solve_max_cover,
    solve_p_median,
    solve_set_cover,
)

# The paper instance: three demand points on a line, four candidates.
#   D0 (0, 0)   D1 (10, 0)   D2 (20, 0)
#   C0 (0, 5)   C1 (10, 5)   C2 (20, 5)   C3 (30, 0)
# Distances: C0 → 5, 11.18, 20.6; C1 → 11.18, 5, 11.18; C2 → 20.6, 11.18, 5; C3 → 30, 20, 10.
# Radius 12: C0 covers {D0, D1}, C1 covers all three, C2 {D1, D2}, C3 {D2}.
DEMAND = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
CANDIDATES = np.array([[0.0, 5.0], [10.0, 5.0], [20.0, 5.0], [30.0, 0.0]])
RADIUS = 12.0


@pytest.fixture
def paper() -> object:
    return pairs_within_distance(DEMAND, CANDIDATES, RADIUS)


def test_pairs_within_distance_match_dense(paper) -> None:
    dense = pairs_from_cost_matrix(cdist(DEMAND, CANDIDATES), radius=RADIUS)
    assert paper.demand.tolist() == dense.demand.tolist()
    assert paper.candidate.tolist() == dense.candidate.tolist()
    np.testing.assert_allclose(paper.cost, dense.cost)
    # Coverage sets worked out above.
    sets = {j: sorted(paper.demand[paper.candidate == j].tolist()) for j in range(4)}
    assert sets == {0: [0, 1], 1: [0, 1, 2], 2: [1, 2], 3: [2]}


def test_set_cover_paper(paper) -> None:
    r = solve_set_cover(paper)
    assert r.objective == 1
    assert r.selected.tolist() == [False, True, False, False]
    assert r.assignment.tolist() == [1, 1, 1]
    assert r.status == "optimal"
    assert r.mip_gap == pytest.approx(0.0, abs=1e-9)


def test_set_cover_group_minimum(paper) -> None:
    # Groups: {C0, C1} and {C2, C3}, one site each: C1 covers all, plus one in group 1.
    r = solve_set_cover(paper, groups=[0, 0, 1, 1], min_per_group=1)
    assert r.objective == 2
    assert r.selected[1]
    assert r.selected[2] ^ r.selected[3]
    assert not r.selected[0]


def test_set_cover_fixed_site_counts_but_costs_nothing(paper) -> None:
    # C3 exists: D2 is served; C0 alone covers D0 and D1 → one new site (C0 or C1).
    r = solve_set_cover(paper, fixed=[False, False, False, True])
    assert r.objective == 1
    assert r.new.sum() == 1
    assert r.selected[3] and not r.new[3]
    # With a per-group minimum of 1 and C3 fixed in group 1, group 1 needs nothing new.
    r = solve_set_cover(
        paper, fixed=[False, False, False, True], groups=[0, 0, 1, 1], min_per_group=1
    )
    assert r.objective == 1
    assert not r.new[2]


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        (0.0, 1),  # off: C1 alone
        (9.0, 1),  # C1 can carry all 9 households
        (4.5, 2),  # 9 households / 4.5 = 2 sites, splitting D1 between C0 and C1
        (4.0, 3),  # 9 / 4 → 3 sites
    ],
)
def test_set_cover_capacity_binding(paper, capacity: float, expected: int) -> None:
    weights = [3.0, 3.0, 3.0]
    r = solve_set_cover(paper, weights=weights, capacity=capacity)
    assert r.objective == expected
    assert r.selected.sum() == expected
    # Every household is served, and no site carries more than the capacity.
    assert r.load.sum() == pytest.approx(9.0)
    if capacity:
        assert r.load.max() <= capacity + 1e-6
    assert (r.assignment >= 0).all()
    assert r.selected[r.assignment].all()


def test_capacity_below_any_demand_point_is_diagnosed(paper) -> None:
    # D2 has 3 candidates in range (C1, C2, C3): 10 households > 3 × 3.
    with pytest.raises(SitingError, match=r"need more than the capacity.*b2"):
        solve_set_cover(
            paper, weights=[1, 1, 10], capacity=3.0, demand_ids=["b0", "b1", "b2"]
        )


def test_uncoverable_demand_named_before_solving() -> None:
    pairs = pairs_within_distance(DEMAND, CANDIDATES, 6.0)  # each C covers its own D only
    far = np.vstack([DEMAND, [[500.0, 500.0]]])
    pairs = pairs_within_distance(far, CANDIDATES, 6.0)
    with pytest.raises(SitingError, match=r"1 demand point\(s\) have no candidate.*building-42"):
        solve_set_cover(pairs, demand_ids=["a", "b", "c", "building-42"])


def test_community_without_candidate_named_before_solving(paper) -> None:
    # Three groups; group 2 (community 120101003001) holds no candidate at all.
    with pytest.raises(SitingError, match=r"120101003001") as info:
        solve_set_cover(
            paper, groups=[0, 0, 1, 1], n_groups=3, min_per_group=1,
            group_ids=["120101001001", "120101002001", "120101003001"],
        )
    assert "infeasible" not in str(info.value)


def test_max_cover_paper() -> None:
    pairs = pairs_within_distance(DEMAND, CANDIDATES, 6.0)  # C0→D0, C1→D1, C2→D2
    r = solve_max_cover(pairs, weights=[1.0, 2.0, 5.0], budget=2)
    assert r.selected.tolist() == [False, True, True, False]
    assert r.objective == pytest.approx(7.0)
    # With C2 already there, the best new site is C1 (2 more households).
    r = solve_max_cover(pairs, weights=[1.0, 2.0, 5.0], budget=1, fixed=[0, 0, 1, 0])
    assert r.new.tolist() == [False, True, False, False]
    assert r.objective == pytest.approx(2.0)
    assert r.extra["covered_total"] == pytest.approx(7.0)


def test_p_median_paper() -> None:
    # Weighted distances, weights 1, 1, 4 over straight-line costs:
    # C0: 5 + 11.18 + 4·20.62; C1: 11.18 + 5 + 4·11.18; C2: 20.62 + 11.18 + 4·5 → C2 wins.
    cost = cdist(DEMAND, CANDIDATES)
    r = solve_p_median(cost, weights=[1, 1, 4], p=1)
    expected = cost[:, 2] @ np.array([1, 1, 4])
    assert r.selected.tolist() == [False, False, True, False]
    assert r.objective == pytest.approx(expected)


def test_p_median_skips_candidates_that_miss_a_demand_point() -> None:
    cost = np.array([[1.0, np.inf], [1.0, 0.0], [50.0, 0.0]])
    r = solve_p_median(cost, weights=[1, 1, 1], p=1)
    assert r.selected.tolist() == [True, False]  # C1 cannot reach D0
    assert r.objective == pytest.approx(52.0)


def _random_instance(seed: int, n_d: int, n_c: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cdist(rng.uniform(0, 1000, (n_d, 2)), rng.uniform(0, 1000, (n_c, 2)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_cover_equals_spopt_lscp(seed: int) -> None:
    cost = _random_instance(seed, 120, 40)
    radius = 300.0
    # Make the instance feasible for both: keep demand within reach of some candidate.
    cost = cost[(cost <= radius).any(axis=1)]
    ours = solve_set_cover(pairs_from_cost_matrix(cost, radius=radius))
    ref = LSCP.from_cost_matrix(cost, radius).solve(pulp.HiGHS(msg=False))
    n_ref = int(sum(v.value() > 0.5 for v in ref.fac_vars))
    assert ours.objective == n_ref
    assert ours.selected.sum() == n_ref
    # Our solution is a cover.
    assert (cost[:, ours.selected] <= radius).any(axis=1).all()


@pytest.mark.parametrize("seed", [4, 5])
def test_max_cover_equals_spopt_mclp(seed: int) -> None:
    cost = _random_instance(seed, 100, 30)
    weights = np.random.default_rng(seed).integers(1, 50, 100).astype(float)
    radius, p = 200.0, 4
    ours = solve_max_cover(pairs_from_cost_matrix(cost, radius=radius), weights=weights, budget=p)
    ref = MCLP.from_cost_matrix(cost, weights, radius, p).solve(pulp.HiGHS(msg=False))
    chosen = np.array([v.value() > 0.5 for v in ref.fac_vars])
    ref_cov = weights[(cost[:, chosen] <= radius).any(axis=1)].sum()
    assert ours.objective == pytest.approx(ref_cov)


def test_p_median_mip_equals_spopt_and_brute_force() -> None:
    cost = _random_instance(7, 30, 8)
    weights = np.random.default_rng(7).integers(1, 20, 30).astype(float)
    ours = solve_p_median(cost, weights=weights, p=2)
    ref = PMedian.from_cost_matrix(cost, weights, 2).solve(pulp.HiGHS(msg=False))
    # Brute force over all pairs of sites.
    best = min(
        (weights @ cost[:, [a, b]].min(axis=1))
        for a in range(8) for b in range(a + 1, 8)
    )
    assert ours.objective == pytest.approx(best, rel=1e-6)
    assert ours.objective == pytest.approx(pulp.value(ref.problem.objective), rel=1e-6)
    assert ours.selected.sum() == 2


def test_walking_pairs_agree_with_multi_source_dijkstra() -> None:
    # A 3×3 block grid of roads (100 m blocks); random homes and candidates off the roads.
    import shapely

    from gis.network import graph_from_lines, snap_to_graph, walk_distances
    from gis.siting import pairs_by_walking

    lines = [shapely.LineString([(0, y), (300, y)]) for y in (0, 100, 200, 300)]
    lines += [shapely.LineString([(x, 0), (x, 300)]) for x in (0, 100, 200, 300)]
    graph = graph_from_lines(lines)
    rng = np.random.default_rng(11)
    homes = shapely.points(rng.uniform(0, 300, (40, 2)))
    cands = shapely.points(rng.uniform(0, 300, (12, 2)))
    radius = 180.0
    pairs = pairs_by_walking(graph, homes, cands, radius=radius, max_snap=60, batch=5)
    # Independent check: nearest candidate by one multi-source Dijkstra.
    ref = walk_distances(
        graph, snap_to_graph(graph, cands, max_distance=60),
        snap_to_graph(graph, homes, max_distance=60),
    ).distance
    nearest = np.full(40, np.inf)
    np.minimum.at(nearest, pairs.demand, pairs.cost)
    in_range = ref <= radius
    np.testing.assert_allclose(nearest[in_range], ref[in_range])
    assert np.isinf(nearest[~in_range]).all()
    # Walking is never shorter than the straight line.
    straight = shapely.distance(homes[pairs.demand], cands[pairs.candidate])
    assert (pairs.cost >= straight - 1e-9).all()
    # Radius inf keeps only finite pairs, and every pair is present.
    full = pairs_by_walking(graph, homes, cands, radius=np.inf, max_snap=60)
    assert full.demand.size == 40 * 12 and np.isfinite(full.cost).all()
