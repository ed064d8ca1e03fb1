"""Dashboard first / warm load and ``peakmap report`` time, before and after the results cache.

For each scale, a sample project (``peakmap sample`` without DSM, built without post-build
steps, generated once into ``bench-output/cache/heping_x{K}``) is measured twice in the same
run: *before* = no cached results (``build/cache`` removed: every new process computes the
indicators, as peakmap did before the cache), *after* = the results cached beside the store
(as ``peakmap build`` leaves them).

- ``peakmap report PROJECT`` (table, district level): wall time of the whole command.
- ``peakmap serve``: time of the first ``GET /`` once ``/api/health`` answers (first load
  after serve), then of a second ``GET /`` (warm load).

Usage: ``python scripts/bench_cache.py [--scales 1 10] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from benchjson import record_run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench-output" / "cache"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def project_at(scale: int) -> Path:
    """A built sample project at ``scale`` (generated once, then reused)."""
    from layers.build import build_project
    from sample.generate import generate_sample

    out = OUT / f"heping_x{scale}"
    if not (out / "build" / "peakmap.gpkg").is_file():
        print(f"(generating and building the sample at scale {scale} into {out})", flush=True)
        generate_sample(out, dsm=False, scale=scale)
        build_project(out, run_steps=False)
    return out


def drop_cache(project: Path) -> None:
    shutil.rmtree(project / "build" / "cache", ignore_errors=True)


def time_report(project: Path) -> tuple[float, float]:
    """(wall, CPU user+system) seconds of ``peakmap report PROJECT``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "peakmap", "report", str(project)], check=True,
                   env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_dashboard(project: Path) -> tuple[float, float]:
    """(first load after serve, warm load) of ``/`` in seconds."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "peakmap", "serve", str(project), "--host",
                             "127.0.0.1", "--port", str(port)], env=ENV, cwd=ROOT,
                            stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            for _ in range(600):
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.25)
            t0 = time.perf_counter()
            first = client.get("/")
            t1 = time.perf_counter()
            warm = client.get("/")
            t2 = time.perf_counter()
            assert first.status_code == warm.status_code == 200
            return t1 - t0, t2 - t1
    finally:
        proc.terminate()
        proc.wait(30)


def measure(project: Path, repeats: int) -> dict[str, Any]:
    from layers.indicators.cache import cached_records
    from layers.project import Project

    out: dict[str, Any] = {}
    for label, cached in (("before", False), ("after", True)):
        reports, cpus, firsts, warms = [], [], [], []
        for _ in range(repeats):
            drop_cache(project)
            if cached:
                cached_records(Project(project))  # what `peakmap build` leaves
            wall, cpu = time_report(project)
            reports.append(wall)
            cpus.append(cpu)
            drop_cache(project)
            if cached:
                cached_records(Project(project))
            first, warm = time_dashboard(project)
            firsts.append(first)
            warms.append(warm)
        out[label] = {"report_s": min(reports), "report_cpu_s": min(cpus),
                      "dashboard_first_s": min(firsts),
                      "dashboard_warm_s": min(warms)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    for scale in args.scales:
        results[scale] = measure(project_at(scale), args.repeats)
        (OUT / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("| scale | measure | before (s) | after (s) | ratio |\n|---:|---|---:|---:|---:|")
    for scale, r in results.items():
        for key, name in (("dashboard_first_s", "dashboard, first load after serve"),
                          ("dashboard_warm_s", "dashboard, warm load"),
                          ("report_s", "peakmap report (table, district)"),
                          ("report_cpu_s", "peakmap report, CPU time (user + system)")):
            b, a = r["before"][key], r["after"][key]
            print(f"| {scale} | {name} | {b:.2f} | {a:.2f} | {b / a:.1f}× |")


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_cache.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
