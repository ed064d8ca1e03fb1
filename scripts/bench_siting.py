"""Benchmark: recycling-point set cover (LSCP) — peakmap's sparse HiGHS model vs spopt.

Generates the Heping sample at ``--scale K`` (K side-by-side copies of the district), builds
it, takes the recycling instance peakmap solves (residential building centroids with
households, candidates from roads / public land / public buildings, existing points fixed,
straight-line radius 300 m) and solves the location set covering problem:

- peakmap: ``gis.siting.solve_set_cover`` on sparse pairs (k-d tree, identical rows merged,
  demand served by existing points dropped), HiGHS called directly;
- spopt: ``spopt.locate.LSCP.from_cost_matrix`` on the dense cost matrix, solved through
  PuLP with HiGHS (``pulp.HiGHS``) — the same solver, so the ratio measures the modelling.

spopt needs the dense demand × candidate matrix and a PuLP model built in Python; it is run
on the whole instance only when that matrix stays under ``--spopt-max-gb`` (default 0.1),
and always on the same instance restricted to one street. Prints a markdown table; run
``.venv/bin/python scripts/bench_siting.py --scale 10``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pulp
import shapely
from scipy.spatial.distance import cdist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchjson import record_run  # noqa: E402

import layers.siting as lsiting  # noqa: E402
from gis.siting import pairs_within_distance, solve_set_cover  # noqa: E402
from layers.build import build_project  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.siting.common import residential_demand, siting_context  # noqa: E402
from sample.generate import generate_sample  # noqa: E402

RADIUS_M = 300.0
BYTES_PER_COST = 8


def _instance(project: Project):
    params = lsiting.siting_params(project)
    t0 = time.perf_counter()
    ctx = siting_context(project)
    rp = project.store.read("recycling_points")
    existing = rp[rp["kind"] == "community_point"]
    demand = residential_demand(ctx)
    cands = lsiting.point_candidates(ctx, params, existing=existing)
    t_inst = time.perf_counter() - t0
    return demand, cands, t_inst


def _xy(frame) -> np.ndarray:
    return shapely.get_coordinates(np.asarray(frame.geometry.values, dtype=object))


def _ours(dxy, cxy, fixed, groups=None, n_groups=None, min_per=0):
    t0 = time.perf_counter()
    pairs = pairs_within_distance(dxy, cxy, RADIUS_M)
    res = solve_set_cover(
        pairs, fixed=fixed, groups=groups, n_groups=n_groups, min_per_group=min_per
    )
    return time.perf_counter() - t0, res, pairs.demand.size


def _spopt(dxy, cxy, fixed):
    from spopt.locate import LSCP

    t0 = time.perf_counter()
    cost = cdist(dxy, cxy)
    model = LSCP.from_cost_matrix(
        cost, RADIUS_M, predefined_facilities_arr=np.flatnonzero(fixed)
    )
    model.solve(pulp.HiGHS(msg=False, threads=1))
    n_open = int(sum(v.value() > 0.5 for v in model.fac_vars))
    return time.perf_counter() - t0, n_open - int(fixed.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--project", type=Path, help="use this built project instead of generating")
    ap.add_argument("--spopt-max-gb", type=float, default=0.1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_siting_") as tmp:
        if args.project:
            project = Project(args.project)
        else:
            out = Path(tmp) / "heping"
            t0 = time.perf_counter()
            generate_sample(out, scale=args.scale)
            build_project(out, run_steps=False)
            print(f"sample --scale {args.scale} generated and built in "
                  f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
            project = Project(out)
        demand, cands, t_inst = _instance(project)
        dxy, cxy = _xy(demand), _xy(cands)
        fixed = cands["fixed"].to_numpy(dtype=bool)
        comm = project.store.read("communities")
        code_index = {c: i for i, c in enumerate(comm["code"].astype(str))}
        groups = np.array([code_index.get(str(c), -1) if c else -1
                           for c in cands["community_code"]])
        rows = []
        t_ours, res, n_pairs = _ours(dxy, cxy, fixed)
        t_min, res_min, _ = _ours(dxy, cxy, fixed, groups, len(comm), 1)
        label = project.root.name if args.project else f"sample --scale {args.scale}"
        dense_gb = len(dxy) * len(cxy) * BYTES_PER_COST / 1e9
        rows.append((label, len(dxy), len(cxy), n_pairs, dense_gb, t_ours, res, t_min, res_min))
        spopt_rows = []
        if dense_gb <= args.spopt_max_gb:
            t_sp, n_sp = _spopt(dxy, cxy, fixed)
            spopt_rows.append((label, t_sp, n_sp, t_ours, int(res.new.sum())))
        # The same instance restricted to the first street of the first copy: small enough
        # for spopt's dense matrix and PuLP model within the benchmark's time budget.
        street = str(comm["street_code"].astype(str).iloc[0])
        d_in = demand["street_code"].astype(str).eq(street).to_numpy()
        c_in = cands["street_code"].astype(str).eq(street).to_numpy()
        sub = f"{label}, street {street} only"
        t_o1, r1, p1 = _ours(dxy[d_in], cxy[c_in], fixed[c_in])
        rows.append((sub, int(d_in.sum()), int(c_in.sum()), p1,
                     d_in.sum() * c_in.sum() * BYTES_PER_COST / 1e9, t_o1, r1, float("nan"), None))
        t_sp, n_sp = _spopt(dxy[d_in], cxy[c_in], fixed[c_in])
        spopt_rows.append((sub, t_sp, n_sp, t_o1, int(r1.new.sum())))
    print(f"instance built (candidates, demand) in {t_inst:.2f} s\n")
    print("| instance | demand | candidates | pairs ≤ 300 m | dense matrix GB | peakmap LSCP s "
          "| new sites | gap | peakmap + 1 per community s | new sites |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, nd, nc, npairs, gb, t, r, tm, rm in rows:
        extra = f"{tm:.2f} | {int(rm.new.sum())}" if rm is not None else "- | -"
        print(f"| {name} | {nd:,} | {nc:,} | {npairs:,} | {gb:.2f} | {t:.2f} | "
              f"{int(r.new.sum())} | {r.mip_gap:.1e} | {extra} |")
    print("\n| instance | spopt LSCP (PuLP + HiGHS) s | new sites | peakmap s | new sites "
          "| speed-up |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t_sp, n_sp, t_o, n_o in spopt_rows:
        print(f"| {name} | {t_sp:.2f} | {n_sp} | {t_o:.2f} | {n_o} | {t_sp / t_o:.0f}× |")


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_siting.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
