"""The same ``peakmap`` command on two Python interpreters, in turn.

``make install`` builds the venv from the interpreter ``scripts/pick_python.sh`` picks (one
with libpython linked into the executable before one that loads ``libpython3.11.so``). This
benchmark shows what that choice is worth: the K = 10 command of the PostGIS comparison
(``peakmap report heping_x10 --id HP-04 --id HP-18 --id STD-PARK-500 --level all --format
json``) is run by this script's own interpreter (A, the venv's) and by ``--baseline`` (B: the
``python`` of a second venv with peakmap's packages, e.g. one made by ``make install
PYTHON=/path/to/other/python3.11 VENV=...`` or ``python -m venv`` + ``pip install -e .``),
A B A B …, after ``--warmup`` untimed runs of each. Whole process, timed from outside: wall
time, CPU time (user + system) and peak RSS from ``os.wait4``. The ratio A / B is taken pair
by pair, so that the host's drift between minutes moves both sides of a pair alike; the table
gives medians with the fastest and slowest run. Both interpreters must print the same output.

Usage: ``python scripts/bench_interpreter.py --baseline /path/to/other/venv/bin/python
[--scale 10] [--runs 10] [--warmup 1]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_report import compile_sources, project_at  # noqa: E402
from benchjson import record_run  # noqa: E402

IDS = ("HP-04", "HP-18", "STD-PARK-500")


def linked(python: str) -> str:
    """How ``python`` has libpython: "static" (in the executable) or "shared" (a .so)."""
    code = ("import platform\nwith open('/proc/self/maps') as f:\n"
            "    s = any('libpython3' in l for l in f)\n"
            "print(('shared' if s else 'static') + ' ' + platform.python_version())")
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_once(python: str, args: list[str], out_path: Path) -> tuple[float, float, float]:
    """Wall (s), CPU (s) and peak RSS (MiB) of ``python -m peakmap ARGS``; stdout to a file."""
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([python, "-m", "peakmap", *args], stdout=out,
                                stderr=subprocess.PIPE, cwd=ROOT)
        _, status, use = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"error: {python} -m peakmap {' '.join(args[:2])} … exited "
                         f"{proc.returncode}: {err.strip()[-1500:]}")
    return wall, use.ru_utime + use.ru_stime, use.ru_maxrss / 1024


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True,
                        help="the python of a second venv with peakmap's packages installed")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)
    baseline, scale, runs, warmup = args.baseline, args.scale, args.runs, args.warmup
    if not Path(baseline).is_file():
        print(f"error: --baseline {baseline}: no such file", file=sys.stderr)
        return 2
    compile_sources()
    project = project_at(scale)
    args = ["report", str(project), *[a for i in IDS for a in ("--id", i)], "--level", "all",
            "--format", "json"]
    pythons = {"A": sys.executable, "B": baseline}
    kinds = {k: linked(p) for k, p in pythons.items()}
    times: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {k: Path(tmp) / f"{k}.json" for k in pythons}
        for i in range(warmup + runs):
            for k, python in pythons.items():
                t = run_once(python, args, outs[k])
                if i >= warmup:
                    times[k].append(t)
            if outs["A"].read_bytes() != outs["B"].read_bytes():
                print("error: the two interpreters printed different reports", file=sys.stderr)
                return 1
    print(f"peakmap report at K = {scale} ({len(IDS)} rows, --level all, --format json), "
          f"{runs} runs of each in turn after {warmup} untimed; machine: {os.cpu_count()} "
          f"cores, {platform.platform(terse=True)}\n")
    print("| interpreter | libpython, version | wall median (s) | wall min–max (s) "
          "| CPU median (s) | peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|")
    for k, python in pythons.items():
        walls = [t[0] for t in times[k]]
        cpus = [t[1] for t in times[k]]
        print(f"| {k}: {python} | {kinds[k]} | {statistics.median(walls):.2f} | "
              f"{min(walls):.2f}–{max(walls):.2f} | {statistics.median(cpus):.2f} | "
              f"{max(t[2] for t in times[k]):.0f} |")
    wall_ratio = [a[0] / b[0] for a, b in zip(times["A"], times["B"], strict=True)]
    cpu_ratio = [a[1] / b[1] for a, b in zip(times["A"], times["B"], strict=True)]
    print(f"| A / B, pair by pair | | {statistics.median(wall_ratio):.2f}× | "
          f"{min(wall_ratio):.2f}–{max(wall_ratio):.2f}× | "
          f"{statistics.median(cpu_ratio):.2f}× | |")
    return 0


if __name__ == "__main__":
    sys.exit(record_run(lambda: main(sys.argv[1:])))
