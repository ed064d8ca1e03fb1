"""The Heping sample with the GeoPackage store and with the PostGIS store, side by side.

For each store: ``peakmap build`` (every layer, the post-build analyses: one transaction on
PostGIS), ``peakmap report --format json`` (CLI wall time; the report's results cache is
removed first so the indicators are computed), and reading every stored layer in one process
(``Store.read``). The report JSON of both stores must be identical (checked; the run fails
otherwise). PostGIS is a throw-away local cluster on a Unix socket
(:class:`layers.store.pg_cluster.LocalCluster`, test settings: fsync off), so the figures show
the cost of the store's code path, not of a network.

Needs PostgreSQL + PostGIS (``bash scripts/ensure_postgis.sh``). Usage:
``.venv/bin/python scripts/bench_store.py [--repeat 2]`` (best of N per cell).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from benchjson import record_run  # noqa: E402

from layers.store.pg_cluster import MISSING_MESSAGE, LocalCluster, missing_binaries  # noqa: E402

SAMPLE = ROOT / "data" / "heping"
SETTINGS = {"shared_buffers": "256MB", "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "jit": "off"}


def _cli(*args: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "peakmap", *args], capture_output=True,
                         text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"peakmap {' '.join(args)} failed: {run.stderr.strip()[-500:]}")
    return wall


def _report(project: Path) -> tuple[float, str]:
    shutil.rmtree(project / "build" / "cache", ignore_errors=True)  # computed, not cached
    out = project / "report.json"
    wall = _cli("report", str(project), "--format", "json", "--level", "all", "--out",
                str(out))
    return wall, out.read_text(encoding="utf-8")


def _read_all(project: Path) -> float:
    from layers.project import Project

    store = Project(project).store
    t0 = time.perf_counter()
    for name in store.layers():
        store.read(name)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    missing = missing_binaries()
    if missing:
        raise SystemExit(f"{MISSING_MESSAGE}; missing: {', '.join(missing)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="peakmap-benchstore-") as tmp:
        os.chmod(tmp, 0o755)
        with LocalCluster(Path(tmp) / "pg", settings=SETTINGS) as pg:
            reports = {}
            for kind in ("GeoPackage", "PostGIS"):
                best = [float("inf")] * 3
                for i in range(args.repeat):
                    project = Path(tmp) / f"{kind}-{i}"
                    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("build"))
                    if kind == "PostGIS":
                        manifest = project / "project.toml"
                        text = manifest.read_text(encoding="utf-8")
                        manifest.write_text(text.replace(
                            "[project]\n", f'[project]\nstore = "{pg.url()}"\n'
                            f'store_schema = "bench_{i}"\n', 1), encoding="utf-8")
                    build = _cli("build", str(project))
                    report, reports[kind] = _report(project)
                    read = _read_all(project)
                    best = [min(a, b) for a, b in zip(best, (build, report, read), strict=True)]
                rows.append((kind, *best))
    same = json.loads(reports["GeoPackage"]) == json.loads(reports["PostGIS"])
    if not same:
        raise SystemExit("the report JSON differs between the two stores")
    print(f"| Heping sample, store (best of {args.repeat}) | `peakmap build` wall s | "
          "`peakmap report` wall s | read every layer s |")
    print("|---|---:|---:|---:|")
    for kind, build, report, read in rows:
        print(f"| {kind} | {build:.1f} | {report:.1f} | {read:.2f} |")
    print(f"\nreport JSON identical from both stores: {same}")


if __name__ == "__main__":
    # the printed table also goes to bench-output/bench_store.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
