"""Siting models on instances small enough to solve on paper, and against spopt."""

from __future__ import annotations

import re

import numpy as np
import pulp
import pytest
from fixtures.siting import CRS, X0, Y0, _box, _pt, make_siting_project
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
    # A network in two parts: no site reaches everyone; the one reaching the most wins.
    cost = np.array([[1.0, np.inf], [np.inf, 2.0], [np.inf, 3.0]])
    r = solve_p_median(cost, weights=[5, 1, 1], p=1)
    assert r.selected.tolist() == [True, False]
    assert r.extra["unreached_weight"] == pytest.approx(2.0)
    assert r.assignment.tolist() == [0, -1, -1]


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


# --------------------------------------------------------------------------- domain (layers)
# A tiny project in EPSG:4548, origin shifted to (X0, Y0). Three communities in two streets:
#   street S1 = community C1: x 0..200;  street S2 = C2 (x 200..300) + C3 (x 300..400); y 0..200.
# Residential buildings (10 m squares, 100 households each): b1 (50, 50), b2 (150, 50),
# b3 (250, 150), b4 (350, 150). Public-institution buildings (the only point candidates):
# p1 (100, 50) in C1, p2 (290, 150) in C2, p3 (360, 100) in C3. Existing community point
# e1 (50, 60) in C1 and transfer station t1 (20, 20) in S1.
# Radius 120: e1 covers b1, b2; p1 covers b1, b2; p2 covers b3 (40), b4 (60);
# p3 covers b4 (51) but not b3 (120.8).








def _params(project, **over):
    from layers.siting import siting_params

    base = {"candidate_sources": ["public_building"]}
    base.update(over)
    return siting_params(project, base)


def test_recycling_set_cover_on_tiny_project(tmp_path) -> None:
    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p")
    # Minimum off: e1 serves b1, b2; p2 alone covers b3 and b4.
    out = site_recycling(project, _params(project, min_per_community=0))
    assert out.summary["n_new"] == 1
    assert out.proposal["community_code"].tolist() == ["C2"]
    assert out.summary["coverage_before_pct"] == pytest.approx(50.0)
    assert out.summary["coverage_after_pct"] == pytest.approx(100.0)
    # One per community: C3 needs p3 as well.
    out = site_recycling(project, _params(project, min_per_community=1))
    assert sorted(out.proposal["community_code"]) == ["C2", "C3"]
    assert out.summary["communities_without_point_before"] == 2
    assert out.summary["communities_without_point_after"] == 0
    assert set(out.proposal["status"]) == {"planned"}
    assert out.proposal["id"].is_unique
    # Every candidate is reported with what it covers.
    c = out.candidates.set_index("existing_id", drop=False)
    assert int(out.candidates["covers_buildings"].sum()) == 2 + 2 + 2 + 1
    assert c.loc["e1", "covers_households"] == pytest.approx(200.0)
    assert c.loc["e1", "selected"] and not c.loc["e1", "new"]


def test_recycling_capacity_binding_on_tiny_project(tmp_path) -> None:
    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p")
    # 150 households per point: e1 cannot carry b1 + b2 (200), p2 cannot carry b3 + b4.
    out = site_recycling(
        project, _params(project, min_per_community=0, capacity_households=150)
    )
    assert out.summary["n_new"] == 3
    assert out.candidates["serves_households"].max() <= 150 + 1e-6
    assert out.candidates["serves_households"].sum() == pytest.approx(400.0)


def test_recycling_budget_maximises_households(tmp_path) -> None:
    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p", households=[100, 100, 30, 300])
    # One new point: p2 covers b3 + b4 (330), p3 only b4 (300).
    out = site_recycling(project, _params(project, budget=1))
    assert out.summary["n_new"] == 1
    assert out.proposal["community_code"].tolist() == ["C2"]
    assert out.summary["objective"] == pytest.approx(330.0)


def test_community_without_candidate_gives_clear_message(tmp_path) -> None:
    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p", drop_p3=True)
    with pytest.raises(SitingError, match=r"C3 丙") as info:
        site_recycling(project, _params(project, min_per_community=1))
    assert "infeasible" not in str(info.value).lower()


def test_building_out_of_reach_is_named(tmp_path) -> None:
    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p")
    # Radius 45: b1 ← e1 (10), b3 ← p2 (40); b2 (50 from p1, 100 from e1) and b4 (51 from p3)
    # are out of reach.
    project = make_siting_project(tmp_path / "p45", radius=45.0)
    with pytest.raises(SitingError, match=r"2 demand point.*building b2, building b4"):
        site_recycling(project, _params(project, min_per_community=0))


def test_transfer_station_per_street(tmp_path) -> None:
    from layers.siting import site_transfer

    project = make_siting_project(tmp_path / "p")
    out = site_transfer(project, _params(project))
    # S1 has t1; S2 gets one: p2 costs 100·40 + 100·60 = 10 000,
    # p3 costs 100·120.8 + 100·51.0 = 17 180.
    assert out.summary["streets_without_station_before"] == 1
    assert out.proposal["kind"].tolist() == ["transfer_station"]
    (station,) = out.summary["stations"]
    assert station["street_code"] == "S2"
    assert out.summary["objective"] == pytest.approx(10_000.0, rel=1e-6)
    assert out.proposal.geometry.iloc[0].distance(_pt(290, 150)) < 1e-6
    assert station["mean_distance_m"] == pytest.approx(50.0)  # 10 000 / 200 households
    assert out.candidates.loc[out.candidates["new"], "serves_households"].item() == 200.0


def test_pocket_parks_max_cover_on_strip(tmp_path) -> None:
    from layers.siting import site_pocket_parks

    # Residential strip 0..400 × 0..20 in 20 m cells (centres y = 10); radius 100, so a plot
    # at y 30..50 reaches cell centres within 97.98 m along x of its edges.
    # Existing park k1 x 0..20 covers centres 10..110 (6 cells, 2 400 m²).
    # Plot A (100..120): new 130..210 (2 000); B (300..320): 210..390 (4 000); C (30..60):
    # 130, 150 (800). The 200×110 plot is too big, the 5×20 one too small.
    # Two parks: B then A (A adds 130..190 = 1 600) → 5 600 m² newly covered, 100 %.
    project = make_siting_project(tmp_path / "p")
    params = _params(
        project, pocket_park_indicator="T-STRIP", pocket_park_cell_m=20.0,
    )
    out = site_pocket_parks(project, params, count=2)
    assert out.summary["n_new"] == 2
    assert out.summary["n_candidates"] == 3
    assert out.summary["newly_covered_m2"] == pytest.approx(5600.0)
    assert out.summary["coverage_before_pct"] == pytest.approx(30.0)
    assert out.summary["coverage_after_pct"] == pytest.approx(100.0)
    chosen = sorted(round(g.bounds[0] - X0) for g in out.proposal.geometry)
    assert chosen == [100, 300]
    one = site_pocket_parks(project, params, count=1)
    assert one.summary["newly_covered_m2"] == pytest.approx(4000.0)


def test_apply_proposal_writes_scenario_layers(tmp_path) -> None:
    from layers.siting import (
        PROPOSAL_POINTS,
        RUNS_TABLE,
        apply_proposal,
        site_recycling,
        site_transfer,
    )

    project = make_siting_project(tmp_path / "p")
    params = _params(project)
    apply_proposal(project, site_recycling(project, params))
    apply_proposal(project, site_transfer(project, params))
    # A second recycling run replaces its own rows, keeps the transfer station.
    apply_proposal(project, site_recycling(project, params))
    layer = project.store.read(PROPOSAL_POINTS)
    assert sorted(layer["kind"]) == ["community_point", "community_point", "transfer_station"]
    assert layer.crs.to_epsg() == 4548
    # both models' inputs recorded with the layer they share (staleness)
    from layers.siting import recycling

    assert set(project.store.meta().inputs[PROPOSAL_POINTS].digests) == set(recycling.INPUTS)
    runs = project.store.read(RUNS_TABLE)
    assert len(runs) == 3
    assert set(runs["status"]) == {"optimal"}
    assert (runs["mip_gap"] <= 1e-4).all()


def _run_cli(*args: str):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "peakmap", *args], capture_output=True, text=True, env=env,
        cwd=root, timeout=120,
    )


def test_cli_recycling_geojson_and_scenario(tmp_path) -> None:
    import json

    from layers.siting import PROPOSAL_POINTS

    project = make_siting_project(tmp_path / "p", params="public_landuse_codes = []")
    out = tmp_path / "sites.geojson"
    res = _run_cli(
        "site", "recycling", str(project.root), "--min-per-community", "1",
        "--capacity", "0", "--format", "geojson", "--out", str(out),
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    props = [f["properties"] for f in data["features"]]
    # Every candidate (e1 fixed + p1, p2, p3) with `selected` and what it covers.
    assert len(props) == 4
    assert sum(p["selected"] for p in props) == 3 and sum(p["new"] for p in props) == 2
    assert sorted(p["covers_households"] for p in props) == [100.0, 200.0, 200.0, 200.0]
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert 116.9 < lon < 117.1 and 39.0 < lat < 39.2  # WGS84, not metres
    assert data["peakmap"]["summary"]["mip_gap"] == pytest.approx(0.0, abs=1e-9)
    assert "solve_time_s" in data["peakmap"]["summary"]
    from layers.project import Project

    assert len(Project(project.root).store.read(PROPOSAL_POINTS)) == 2


def test_cli_table_to_stdout_and_no_apply(tmp_path) -> None:
    project = make_siting_project(tmp_path / "p")
    res = _run_cli("site", "transfer", str(project.root), "--no-apply")
    assert res.returncode == 0, res.stderr
    assert "中转站" in res.stdout and "最优性间隙" in res.stdout
    from layers.project import Project

    assert not Project(project.root).store.has("proposal__recycling_points")


def test_cli_error_is_one_line(tmp_path) -> None:
    project = make_siting_project(tmp_path / "p", drop_p3=True, params="public_landuse_codes = []")
    res = _run_cli("site", "recycling", str(project.root), "--min-per-community", "1")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "C3 丙" in res.stderr


def test_small_attached_green_becomes_a_candidate_plot(tmp_path) -> None:
    import geopandas as gpd

    from layers.siting import park_plots

    project = make_siting_project(tmp_path / "p")
    green = gpd.GeoDataFrame(
        {"id": ["g1", "g2", "g3"], "class": ["XG", "XG", "G12"]},
        geometry=[_box(200, 30, 225, 50), _box(250, 30, 260, 35), _box(150, 30, 180, 50)],
        crs=CRS,
    )
    project.store.write_layers({"green_spaces": green})
    from layers.siting.common import siting_context

    plots = park_plots(siting_context(project), _params(project))
    # Land use gives A, B, C (400–10 000 m²); XG g1 (500 m²) joins; g2 (50 m²) is too small
    # and g3 is a park already (class G12, not in pocket_park_green_classes).
    assert sorted(plots["area_m2"].round().tolist()) == [400.0, 400.0, 500.0, 600.0]
    assert plots["community_code"].tolist().count("C2") == 1


def test_greedy_start_is_feasible_and_capacity_model_matches_brute_force() -> None:
    from itertools import combinations

    from gis.siting.models import greedy_capacity_start

    cost = _random_instance(21, 40, 9)
    w = np.random.default_rng(21).integers(1, 30, 40).astype(float)
    pairs = pairs_from_cost_matrix(cost, radius=700.0)
    cap = 150.0  # binding: 679 households need ≥ 5 sites; uncapacitated, 2 suffice
    start = greedy_capacity_start(
        pairs, w=w, capacity=cap, is_fixed=np.zeros(9, bool), g=np.full(9, -1),
        mins=np.zeros(0, np.int64),
    )
    assert start is not None
    x, y = start[:9], start[9:]
    np.testing.assert_allclose(np.bincount(pairs.demand, y, minlength=40), 1.0)
    assert (np.bincount(pairs.candidate, w[pairs.demand] * y, minlength=9) <= cap + 1e-6).all()
    assert (x[pairs.candidate[y > 0]] == 1).all()
    # Brute force: the fewest sites whose ranges cover everyone with enough capacity
    # (splittable demand: a transportation LP per subset, via scipy's linprog).
    from scipy.optimize import linprog

    def feasible(sites: tuple[int, ...]) -> bool:
        keep = np.isin(pairs.candidate, sites)
        d, j = pairs.demand[keep], pairs.candidate[keep]
        if np.unique(d).size < 40:
            return False
        n = d.size
        a_eq = np.zeros((40, n))
        a_eq[d, np.arange(n)] = 1
        a_ub = np.zeros((9, n))
        a_ub[j, np.arange(n)] = w[d]
        res = linprog(np.zeros(n), A_ub=a_ub, b_ub=np.full(9, cap), A_eq=a_eq,
                      b_eq=np.ones(40), bounds=(0, 1), method="highs")
        return res.status == 0

    best = next(k for k in range(1, 10) if any(feasible(s) for s in combinations(range(9), k)))
    assert best == 5
    assert solve_set_cover(pairs, weights=w, capacity=cap).objective == best
    assert solve_set_cover(pairs).objective == 2


def _with_road(project):
    import geopandas as gpd
    import shapely

    road = shapely.LineString([(X0, Y0 + 100), (X0 + 400, Y0 + 100)])
    project.store.write_layers(
        {"roads": gpd.GeoDataFrame({"id": ["r1"]}, geometry=[road], crs=CRS)}
    )
    return project


def test_walking_distance_on_tiny_project(tmp_path) -> None:
    import geopandas as gpd
    import shapely

    from layers.siting import site_recycling

    project = make_siting_project(tmp_path / "p")
    road = shapely.LineString([(X0, Y0 + 100), (X0 + 400, Y0 + 100)])
    project.store.write_layers(
        {"roads": gpd.GeoDataFrame({"id": ["r1"]}, geometry=[road], crs=CRS)}
    )
    # One road along y = 100: walking = |y_home - 100| + |Δx| + |y_site - 100|.
    # e1→b1 90, e1→b2 190, p1→b2 150, p2→b3 140, p2→b4 160, p3→b4 60, p3→b3 160.
    # Radius 160: b2 needs p1; b3 and b4 need p2 (or p3) → 2 new sites walking, while the
    # straight line (e1→b2 100.5, p2→b3 40, p2→b4 60) needs only p2.
    project = _with_road(make_siting_project(tmp_path / "p160", radius=160.0))
    walk = site_recycling(project, _params(project, min_per_community=0, distance="walk"))
    straight = site_recycling(
        project, _params(project, min_per_community=0, distance="straight")
    )
    assert walk.summary["n_new"] == 2
    assert "C1" in set(walk.proposal["community_code"])
    assert straight.summary["n_new"] == 1
    assert walk.summary["coverage_before_pct"] == pytest.approx(25.0)
    assert straight.summary["coverage_before_pct"] == pytest.approx(50.0)
    project = _with_road(make_siting_project(tmp_path / "p120"))
    with pytest.raises(SitingError, match=r"building b2"):
        site_recycling(project, _params(project, min_per_community=0, distance="walk"))


def test_point_candidates_roadside_water_and_spacing(tmp_path) -> None:
    import geopandas as gpd
    import shapely

    from layers.siting import point_candidates
    from layers.siting.common import siting_context

    project = make_siting_project(tmp_path / "p")
    road = shapely.LineString([(X0, Y0 + 100), (X0 + 400, Y0 + 100)])
    lu = project.store.read("landuse")
    water = gpd.GeoDataFrame(
        {"code": ["E"], "subcode": ["E1"]}, geometry=[_box(180, 90, 220, 110)], crs=CRS
    )
    project.store.write_layers({
        "roads": gpd.GeoDataFrame({"id": ["r1"]}, geometry=[road], crs=CRS),
        "landuse": gpd.GeoDataFrame(
            gpd.pd.concat([lu, water], ignore_index=True), geometry="geometry", crs=CRS
        ),
    })
    params = _params(project, candidate_sources=["roadside"], grid_spacing_m=50.0,
                     min_spacing_m=45.0)
    rp = project.store.read("recycling_points")
    existing = rp[rp["kind"] == "community_point"]
    cands = point_candidates(siting_context(project), params, existing=existing)
    road_x = sorted(round(g.x - X0) for g in cands.geometry[cands["source"] == "roadside"])
    # Every 50 m from 0 to 400 (9 points, the end once); x = 200 lies in water, x = 50 is
    # 40 m from the existing point e1 (50, 60), inside the 45 m spacing.
    assert road_x == [0, 100, 150, 250, 300, 350, 400]
    assert cands["fixed"].sum() == 1 and cands.loc[cands["fixed"], "existing_id"].item() == "e1"
    assert set(cands["community_code"]) == {"C1", "C2", "C3"}


def _district(project, ident, *, scenario=None):
    from layers.indicators.engine import compute_records

    (rec,) = [
        r for r in compute_records(project, ids=[ident], scenario=scenario)
        if r.level == "district"
    ]
    return rec.value


@pytest.mark.parametrize(
    ("distance", "radius", "before", "after", "n_new"),
    [
        # Straight, radius 120: e1 covers b1 (10 m) and b2 (100.5 m): 200 of 400 households;
        # p2 covers b3 (40) and b4 (60) → 100 %. HP-T2 also asks one point in C3 → p3.
        ("straight", 120.0, 50.0, 100.0, 2),
        # Walking on the road y = 100, radius 160: e1 reaches b1 only (90 m): 25 %; b2 needs
        # p1 (150), b3 p2 (140), b4 p2 (160) or p3 (60); C3 needs its own point → p1, p2, p3.
        ("walk", 160.0, 25.0, 100.0, 3),
    ],
)
def test_recycling_model_coverage_equals_indicator(
    tmp_path, distance, radius, before, after, n_new
) -> None:
    from layers.siting import apply_proposal, site_recycling

    project = _with_road(make_siting_project(tmp_path / "p", radius=radius))
    row = "STD-RECYCLE-300" + ("-walk" if distance == "walk" else "")
    out = site_recycling(project, _params(project, distance=distance))
    assert out.summary["indicator"] == row
    assert out.summary["n_new"] == n_new
    assert out.summary["coverage_before_pct"] == pytest.approx(before)
    assert out.summary["coverage_after_pct"] == pytest.approx(after)
    assert _district(project, row) == pytest.approx(before)
    assert _district(project, "HP-T2") == pytest.approx(100.0 / 3, abs=0.01)
    apply_proposal(project, out)
    assert _district(project, row, scenario="proposal") == pytest.approx(after)
    assert _district(project, row) == pytest.approx(before)  # the base is untouched
    assert _district(project, "HP-T2", scenario="proposal") == pytest.approx(100.0)


def test_fix_and_drop_edit_the_proposal(tmp_path) -> None:
    from layers.siting import apply_proposal, site_recycling

    project = make_siting_project(tmp_path / "p")
    params = _params(project, min_per_community=0)
    first = site_recycling(project, params)
    apply_proposal(project, first)
    (pid,) = first.proposal["id"]  # p2, covering b3 and b4
    # Dropping it leaves b3 without any site in range (p3 is 120.8 m away): named.
    with pytest.raises(SitingError, match="building b3"):
        site_recycling(project, params, drop=[pid])
    # With a 125 m radius p3 reaches b3 (120.8 m) and b4 (51 m): it replaces the dropped p2.
    wide = make_siting_project(tmp_path / "wide", radius=125.0)
    apply_proposal(wide, site_recycling(wide, params))
    second = site_recycling(wide, params, drop=[pid])
    assert second.summary["n_new"] == 1 and second.summary["n_dropped"] == 1
    (geom,) = second.proposal.geometry
    assert geom.distance(_pt(360, 100)) < 6
    # Fixing p1 by its candidate id adds it; the model still needs p2 for b3 and b4.
    p1 = first.candidates.loc[
        first.candidates.geometry.distance(_pt(100, 50)) < 6, "cand_id"
    ].item()
    third = site_recycling(project, params, fix=[p1])
    assert third.summary["n_new"] == 2 and third.summary["n_fixed"] == 1
    assert set(third.proposal["origin"]) == {"model", "planner"}
    with pytest.raises(SitingError, match="PR-XX-9"):
        site_recycling(project, params, drop=["PR-XX-9"])


def test_import_edited_proposal_recomputes_scenario(tmp_path) -> None:
    import json

    project = make_siting_project(tmp_path / "p")
    res = _run_cli("site", "recycling", str(project.root), "--min-per-community", "0")
    assert res.returncode == 0, res.stderr
    # The run ends with the before → after table of the rows it touches.
    assert "STD-RECYCLE-300" in res.stdout and "HP-T2" in res.stdout
    assert re.search(r"STD-RECYCLE-300 .*│ +50 │ +100 │ +\+50 │", res.stdout), res.stdout
    out = tmp_path / "edit.geojson"
    res = _run_cli("site", "export", str(project.root), "--layer", "recycling_points",
                   "--out", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 1
    # The planner moves the point far away (b3, b4 no longer covered) and adds one by hand
    # next to b3 (covers b3 and, at 100 m, b4).
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    far = to_wgs.transform(X0 + 250, Y0 + 1000)
    near = to_wgs.transform(X0 + 250, Y0 + 140)
    data["features"][0]["geometry"]["coordinates"] = list(far)
    data["features"].append({
        "type": "Feature", "properties": {"kind": "community_point"},
        "geometry": {"type": "Point", "coordinates": list(near)},
    })
    out.write_text(json.dumps(data), encoding="utf-8")
    res = _run_cli("site", "import", str(project.root), "--layer", "recycling_points", str(out))
    assert res.returncode == 0, res.stderr
    assert "2 个要素" in res.stdout
    # b1, b2 by e1; b3 (10 m) and b4 (101.98 m) by the hand-made point → 100 %.
    assert _district(project, "STD-RECYCLE-300", scenario="proposal") == pytest.approx(100.0)
    # A polygon where a point belongs is refused, naming the feature; nothing changes.
    data["features"][1]["geometry"] = {
        "type": "Polygon", "coordinates": [[list(near), list(far), list(near)]],
    }
    out.write_text(json.dumps(data), encoding="utf-8")
    res = _run_cli("site", "import", str(project.root), "--layer", "recycling_points", str(out))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "要素 2" in res.stderr and "Polygon" in res.stderr  # the feature, in Chinese
    assert len(project.store.read("proposal__recycling_points")) == 2
