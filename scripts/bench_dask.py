"""Benchmark ``peakmap report`` by district on Dask against the one-process run.

``peakmap report X --level all --format json`` on the Heping sample tiled ``--scale`` times
(10 districts at scale 10; generated without DSM and built once into
``bench-output/report/heping_x<scale>``, as ``scripts/bench_report.py`` does), the results
cache removed before each run, once in one process (``--scheduler ""``) and once per
``--schedulers`` address (default ``local:2``: a 2-worker ``LocalCluster``, one thread each,
started by the command). The commands run in turn, ``--repeats`` times; the table gives the
median of each figure:

- CPU: user + system seconds of the command and every process it started that ended before
  it (the Dask workers included), from ``getrusage(RUSAGE_CHILDREN)``;
- wall: seconds from start to exit;
- memory: the largest resident set of one process, and of all the command's processes
  together, sampled every 0.1 s (psutil);
- output: the JSON printed, compared byte for byte with the one-process run's.

Then (unless ``--no-tasks``) what reading a neighbourhood saves in the tasks themselves: the
two tasks of a 2-worker run (:func:`layers.indicators.partition.partitions`) run in this
process, one after the other, each reading its districts' neighbourhood
(:mod:`layers.indicators.neighbourhood`) and, in turn, every layer whole (as before);
CPU seconds of the task, median of ``--repeats``.

Usage: ``python scripts/bench_dask.py [--scale 10] [--repeats 3] [--schedulers local:2]
[--project PATH] [--no-tasks]``. Writes ``bench-output/bench_dask.json`` (``scripts/benchjson.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchjson import record_run  # noqa: E402

MIB = 1024 * 1024
SAMPLE_S = 0.1


def project_at(scale: int) -> Path:
    """The built sample at ``scale`` (scripts/bench_report.py's, generated once)."""
    from bench_report import project_at as built

    return built(scale)


def _watch(pid: int, stop: threading.Event, peak: dict[str, float]) -> None:
    """Largest single-process and whole-tree resident memory of ``pid``'s tree (bytes)."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            break
        rss = []
        for p in procs:
            with contextlib.suppress(psutil.Error):
                rss.append(p.memory_info().rss)
        if rss:
            peak["one"] = max(peak["one"], max(rss))
            peak["all"] = max(peak["all"], sum(rss))
        stop.wait(SAMPLE_S)


def run_once(project: Path, scheduler: str, out: Path) -> dict[str, Any]:
    """One ``peakmap report`` in a fresh process; its figures and output digest."""
    shutil.rmtree(project / "build" / "cache", ignore_errors=True)
    cmd = [sys.executable, "-m", "peakmap", "report", str(project), "--level", "all",
           "--format", "json", "--scheduler", scheduler]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PEAKMAP_DASK_SCHEDULER", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = {"one": 0.0, "all": 0.0}
    stop = threading.Event()
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        watcher = threading.Thread(target=_watch, args=(proc.pid, stop, peak), daemon=True)
        watcher.start()
        _, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0 or out.stat().st_size == 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"cpu": cpu, "wall": wall, "one": peak["one"] / MIB, "all": peak["all"] / MIB,
            "sha": hashlib.sha256(out.read_bytes()).hexdigest(), "bytes": out.stat().st_size}


def task_cpu(project: Path, repeats: int) -> None:
    """CPU of each 2-worker task in this process, neighbourhood against whole layers."""
    import layers.indicators.partition as part
    import layers.walkgraph as walkgraph
    from layers.indicators.catalog import read_catalog
    from layers.indicators.neighbourhood import describe, read_scope_for
    from layers.indicators.zones import load_zones
    from layers.project import Project

    proj = Project(project)
    catalog = read_catalog(proj.targets_path, root=proj.root)
    zones = load_zones(proj)
    specs = [s for s in catalog.indicators if s.kind not in part.ONE_PIECE]
    groups = part.partitions(zones, 2)
    seen: dict[tuple[int, str], list[float]] = {}
    boxes: dict[int, str] = {}

    def whole(ctx: Any, specs: Any) -> None:
        return None

    def near(ctx: Any, specs: Any) -> Any:
        scope = read_scope_for(ctx, specs)
        boxes[k] = describe(scope)
        return scope

    for _ in range(repeats):
        for k, group in enumerate(groups):
            for mode, fn in (("whole", whole), ("near", near)):
                part.read_scope_for = fn  # type: ignore[assignment]
                part._WORKER["key"] = None  # nothing kept from the previous task
                walkgraph._GRAPHS.clear()
                c0 = time.process_time()
                part.district_outcomes(str(project), group, specs, catalog.params, None, None)
                seen.setdefault((k, mode), []).append(time.process_time() - c0)
    part.read_scope_for = read_scope_for
    print(f"\nThe tasks of a 2-worker run in this process (CPU s, median of {repeats}; load "
          f"{os.getloadavg()[0]:.1f}):\n")
    print("| task (districts) | every layer whole | neighbourhood | saved | what the task reads |")
    print("|---|---:|---:|---:|---|")
    for k, group in enumerate(groups):
        a = statistics.median(seen[(k, "whole")])
        b = statistics.median(seen[(k, "near")])
        print(f"| {k + 1} ({len(group)}) | {a:.1f} | {b:.1f} | {100 * (a - b) / a:.0f} % | "
              f"{boxes[k]} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--schedulers", nargs="+", default=["local:2"])
    parser.add_argument("--project", type=Path, help="a built project instead of the sample")
    parser.add_argument("--no-tasks", action="store_true", help="leave out the task table")
    args = parser.parse_args()
    project = args.project.resolve() if args.project else project_at(args.scale)
    work = ROOT / "bench-output" / "dask"
    work.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {"": [], **{s: [] for s in args.schedulers}}
    print(f"project {project}; load {os.getloadavg()[0]:.1f} at start", flush=True)
    for i in range(args.repeats):
        for scheduler in runs:
            r = run_once(project, scheduler, work / f"out-{scheduler or 'one'}-{i}.json"
                         .replace(":", "_"))
            runs[scheduler].append(r)
            print(f"  run {i + 1} {scheduler or 'one process'}: CPU {r['cpu']:.1f} s, wall "
                  f"{r['wall']:.1f} s, largest {r['one']:.0f} MiB, all {r['all']:.0f} MiB, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)
    reference = runs[""][0]["sha"]
    print(f"\nProject {project.name}, {runs[''][0]['bytes']:,} bytes of JSON; median of "
          f"{args.repeats} runs each, the commands in turn; load at end "
          f"{os.getloadavg()[0]:.1f}.\n")
    print("| run | CPU (s) | wall (s) | largest process (MiB) | all processes (MiB) "
          "| output vs one process |")
    print("|---|---:|---:|---:|---:|---|")
    base_wall = statistics.median(r["wall"] for r in runs[""])
    base_cpu = statistics.median(r["cpu"] for r in runs[""])
    for scheduler, rs in runs.items():
        same = all(r["sha"] == reference for r in rs)
        label = "one process (no scheduler)" if not scheduler else f"`--scheduler {scheduler}`"
        verdict = "reference" if not scheduler else ("byte-identical" if same else "DIFFERENT")
        print(f"| {label} | {statistics.median(r['cpu'] for r in rs):.1f} | "
              f"{statistics.median(r['wall'] for r in rs):.1f} | "
              f"{statistics.median(r['one'] for r in rs):.0f} | "
              f"{statistics.median(r['all'] for r in rs):.0f} | {verdict} |")
    print()
    for scheduler, rs in runs.items():
        if scheduler:
            wall = statistics.median(r["wall"] for r in rs)
            cpu = statistics.median(r["cpu"] for r in rs)
            print(f"{scheduler}: wall {wall / base_wall:.2f}× and CPU {cpu / base_cpu:.2f}× "
                  "the one-process run's (medians)")
    if not args.no_tasks:
        task_cpu(project, args.repeats)


if __name__ == "__main__":
    sys.exit(record_run(lambda: main()))
