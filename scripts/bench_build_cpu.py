"""CPU time of ``peakmap build`` in chunks against whole layers, and against an older commit.

Each build (``build_project(run_steps=False)``, i.e. ``peakmap build --no-steps``) runs in a
fresh Python process; its user + system CPU seconds and peak resident memory come from the
kernel's accounting of that child (``os.wait4``), its wall time from the parent. The
configurations are run in turn, round after round (A B C D, A B C D, ...), so a change of the
machine's load falls on all of them alike:

- this tree, chunks of ``--chunk-size`` features (the default build);
- this tree, whole layers (``--chunk-size 0``);
- with ``--baseline REV``: the same two with the code of commit REV (``git archive`` into a
  temporary folder, run with that folder first on ``PYTHONPATH``).

Every configuration builds the same generated project (``peakmap sample --scale N --no-dsm``,
made once, or ``--project DIR``); after its last run the layer digests of its store are
compared with the first configuration's (``same store``: every layer's digest equal).

Usage::

    python scripts/bench_build_cpu.py [--scale 20] [--runs 3] [--baseline REV]
                                      [--project DIR] [--chunk-size 50000]

One table: per configuration the median of the runs with their range, and the median of the
per-round ratio of the chunked build's CPU to the whole-layer build's of the same code.

With ``--callgrind`` nothing is timed: each configuration runs once under ``valgrind
--tool=callgrind`` (``PYTHONHASHSEED=0``), which counts the instructions the process executes
(its "Collected" total) whatever the machine's load; one more run per code only imports
``layers.build``, and "build" is the total less that start-up. About 50 times slower than a
plain run, so use a small project and a chunk size that still cuts its largest layer into
several chunks (the heading names them); ``--callgrind-dir DIR`` keeps the output files for
``callgrind_annotate``. The table goes to ``bench-output/bench_build_cpu-callgrind.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchjson import record_run

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys
from layers.build import build_project
size = int(sys.argv[2])
build_project(sys.argv[1], run_steps=False, chunk_size=size or None)
"""

IMPORTS = "from layers.build import build_project"

DIGESTS = """
import json, sys, pyogrio
frame = pyogrio.read_dataframe(sys.argv[1], layer="_layer_versions")
print(json.dumps(dict(zip(frame["layer"], frame["digest"], strict=True))))
"""


def _run(code: str, args: list[str], pythonpath: Path) -> dict[str, float]:
    """One child process: CPU (user + sys) s, wall s and peak RSS (MiB) from ``wait4``."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"build failed ({pythonpath}):\n{err.decode(errors='replace')[-2000:]}")
    return {"cpu": ru.ru_utime + ru.ru_stime, "wall": wall, "rss": ru.ru_maxrss / 1024}


def _callgrind(code: str, args: list[str], pythonpath: Path, out: Path) -> int:
    """One child process under callgrind: the instructions it executed ("Collected")."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONHASHSEED": "0"}
    proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                           sys.executable, "-c", code, *args],
                          env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode or found is None:
        raise SystemExit(f"callgrind run failed ({pythonpath}):\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def _chunks(project: Path, size: int) -> str:
    """The project's largest layer (of those GDAL counts without reading) and its chunks."""
    import tomllib

    import pyogrio

    layers = tomllib.loads((project / "project.toml").read_text(encoding="utf-8"))["layers"]
    counts = {name: int(pyogrio.read_info(project / src["path"],
                                          layer=src.get("layer"))["features"])
              for name, src in layers.items()
              if Path(src["path"]).suffix.lower() in (".gpkg", ".geojson", ".json", ".fgb")}
    name = max(counts, key=lambda k: counts[k])
    return (f"largest layer read in chunks: {name}, {counts[name]:,} features = "
            f"{math.ceil(counts[name] / size)} chunks of {size:,}")


def _callgrind_table(project: Path, configs: list[tuple[str, Path, int]],
                     keep: Path, scale: str) -> None:
    """Instruction counts of every configuration (one callgrind run each), printed as a table."""
    keep.mkdir(parents=True, exist_ok=True)
    start: dict[str, int] = {}
    total: list[int] = []
    digests = []
    for i, (label, tree, size) in enumerate(configs):
        if label not in start:
            start[label] = _callgrind(IMPORTS, [], tree, keep / f"imports-{i}.out")
            print(f"{label}: import {start[label]:,} instructions", file=sys.stderr)
        total.append(_callgrind(CHILD, [str(project), str(size)], tree,
                                keep / f"build-{i}-{size or 'whole'}.out"))
        print(f"{label}, chunk size {size or 'whole'}: {total[-1]:,} instructions",
              file=sys.stderr)
        digests.append(_digests(project, tree))  # the store this run left
    build = [t - start[c[0]] for t, c in zip(total, configs, strict=True)]
    print(f"`peakmap build --no-steps` under callgrind, {scale}; "
          f"{_chunks(project, configs[0][2])}\n")
    print("| code | layers read | instructions (10⁹) | start-up: import layers.build (10⁹) "
          "| build (10⁹) | build ÷ whole layers (same code) | build ÷ this tree's "
          "(same reading) | same store |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for i, (label, _, size) in enumerate(configs):
        whole = build[i + 1] if size else build[i]
        read = f"chunks of {size:,}" if size else "whole"
        print(f"| {label} | {read} | {total[i] / 1e9:.2f} | {start[label] / 1e9:.2f} "
              f"| {build[i] / 1e9:.2f} | {build[i] / whole:.3f}× "
              f"| {build[i] / build[i % 2]:.3f}× "
              f"| {'yes' if digests[i] == digests[0] else 'NO'} |")


def _digests(project: Path, pythonpath: Path) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", DIGESTS, str(project / "build" / "peakmap.gpkg")],
                         env={**os.environ, "PYTHONPATH": str(pythonpath)}, check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out))


def _span(values: list[float], fmt: str) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return format(med, fmt)
    return f"{med:{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--baseline", help="a git revision to compare with (its code, same runs)")
    ap.add_argument("--project", type=Path, help="an existing generated project to build")
    ap.add_argument("--callgrind", action="store_true",
                    help="count instructions (one callgrind run each) instead of timing")
    ap.add_argument("--callgrind-dir", type=Path,
                    help="keep callgrind's output files here (default: a temporary folder)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-build-cpu-") as tmp:
        trees = [("this tree", ROOT)]
        if args.baseline:
            rev = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT,
                                 check=True, capture_output=True, text=True).stdout.strip()
            base = Path(tmp) / "baseline"
            base.mkdir()
            archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            trees.append((f"{rev} (baseline)", base))
        project = args.project
        if project is None:
            project = Path(tmp) / f"heping_x{args.scale}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "peakmap.cli", "sample", "--scale",
                            str(args.scale), "--no-dsm", "--out", str(project)],
                           check=True, capture_output=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(f"generated scale {args.scale} in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
        configs = [(label, tree, size) for label, tree in trees
                   for size in (args.chunk_size, 0)]
        if args.callgrind:
            scale = (f"project {args.project}" if args.project
                     else f"sample scale {args.scale} (--no-dsm)")
            _callgrind_table(project, configs, args.callgrind_dir or Path(tmp) / "callgrind",
                             scale)
            return 0
        runs: dict[int, list[dict[str, float]]] = {i: [] for i in range(len(configs))}
        loads = [os.getloadavg()[0]]
        for r in range(args.runs):
            for i, (label, tree, size) in enumerate(configs):
                runs[i].append(_run(CHILD, [str(project), str(size)], tree))
                print(f"round {r + 1}: {label}, chunk size {size or 'whole'}: "
                      f"{runs[i][-1]['cpu']:.1f} CPU s", file=sys.stderr)
            loads.append(os.getloadavg()[0])
        digests = []
        for _, tree, size in configs:  # the store each configuration leaves
            _run(CHILD, [str(project), str(size)], tree)
            digests.append(_digests(project, tree))
    print(f"`peakmap build --no-steps`, sample scale {args.scale} (--no-dsm), {args.runs} "
          f"runs each in turn; load (1 min) {min(loads):.1f}–{max(loads):.1f}\n")
    print("| code | layers read | CPU s | wall s | peak RSS (MiB) | CPU ÷ whole layers "
          "(same code, per round) | same store |")
    print("|---|---|---:|---:|---:|---:|---|")
    for i, (label, _, size) in enumerate(configs):
        whole = runs[i + 1] if size else runs[i]
        ratio = statistics.median(a["cpu"] / b["cpu"] for a, b in zip(runs[i], whole,
                                                                       strict=True))
        read = f"chunks of {size:,}" if size else "whole"
        print(f"| {label} | {read} | {_span([x['cpu'] for x in runs[i]], '.1f')} "
              f"| {_span([x['wall'] for x in runs[i]], '.1f')} "
              f"| {_span([x['rss'] for x in runs[i]], '.0f')} | {ratio:.2f}× "
              f"| {'yes' if digests[i] == digests[0] else 'NO'} |")
    return 0


if __name__ == "__main__":
    # the printed table also goes to bench-output/bench_build_cpu.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:]),
                        name="bench_build_cpu-callgrind" if "--callgrind" in sys.argv else None))
