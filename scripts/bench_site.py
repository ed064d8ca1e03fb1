"""Benchmark: a `peakmap site` run including its before → after table, on the sample and at K = 10.

For each proposal kind, in one process on an already built project (``--no-apply``, so the
store is not changed and runs can be repeated):

- the siting model (candidates, demand, pairs, solve) — ``site_recycling`` /
  ``site_pocket_parks``;
- the before → after table: the indicator engine on the rows the proposal touches, now and
  with the previewed proposal (``layers.compare.compare``);

and the wall time of the whole CLI command (``python -m peakmap site KIND PROJECT --no-apply``)
as a planner runs it. The machine is shared: read the shares within one run, not the
absolute seconds.

Usage: ``python scripts/bench_site.py PROJECT [PROJECT ...]`` (each a built project).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchjson import record_run  # noqa: E402

from layers.compare import compare  # noqa: E402
from layers.project import Project  # noqa: E402
from layers.scenario import merge_proposal  # noqa: E402
from layers.siting import site_pocket_parks, site_recycling, siting_params  # noqa: E402


def _phases(project: Project, kind: str) -> tuple[float, float, int, int]:
    params = siting_params(project)
    t0 = time.perf_counter()
    if kind == "recycling":
        outcome = site_recycling(project, params)
    else:
        outcome = site_pocket_parks(project, params)
    t1 = time.perf_counter()
    preview = merge_proposal(
        project, outcome.layer, outcome.proposal, replace_kinds=outcome.replace_kinds
    )
    table = compare(
        project, layers=[outcome.layer], levels=["district"],
        proposals={outcome.layer: preview},
    )
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(outcome.proposal), len(table)


def _cli(project: Path, kind: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "peakmap", "site", kind, str(project), "--no-apply",
         "--out", os.devnull],
        check=True, env=env, capture_output=True,
    )
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    print("| project | kind | model (s) | before → after table (s) | table share | new sites | "
          "rows | CLI wall (s) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for path in argv:
        project = Project(Path(path))
        for kind in ("recycling", "pocket-parks"):
            model, table, n_new, rows = _phases(project, kind)
            wall = _cli(Path(path), kind)
            print(f"| {Path(path).name} | {kind} | {model:.1f} | {table:.1f} | "
                  f"{table / (model + table):.0%} | {n_new} | {rows} | {wall:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_site.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
