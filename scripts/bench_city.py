"""Benchmark a city-size sample: ``peakmap sample --scale N``, build, PV, coverage and report.

Each stage runs as its own process under ``/usr/bin/time -v``, so its wall time and peak
resident memory are that stage's alone:

1. ``generate``: ``peakmap sample --out P --scale N`` (``--no-dsm`` above ``--dsm-upto``);
2. ``build``: ``peakmap build P --no-steps`` (ingest: read, check, reproject, write the store);
3. ``pv``: the rooftop-PV post-build step on the DSM (only where a DSM was generated);
4. ``coverage``: the coverage post-build step;
5. ``report``: ``peakmap report P --level all --format json --out FILE``, every catalog row
   up to ``--walk-upto`` copies, above that every row but the walking-distance ones
   (``*-walk``, the slowest: three quarters of a full report at scale 30).

The load average (1 min) before and after each stage is printed beside it: the machine may be
shared. Projects go to a scratch folder (``--work``, default a temporary one) and are deleted
after their scale unless ``--keep``.

Usage: ``python scripts/bench_city.py [--scales 1 10 20 200] [--dsm-upto 1] [--walk-upto 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchjson import record_run

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"
HEADER = ("| scale | stage | wall s | CPU s | peak RSS (MiB) | load (1 min) | note |\n"
          "|---:|---|---:|---:|---:|---|---|")

STEP = """
import sys
from layers.project import Project
from layers.build import post_build_step
from layers.labels import note_label
print(note_label(post_build_step(sys.argv[1])(Project(sys.argv[2])), "en"))
"""

NO_WALK = """
import sys
from layers.indicators.catalog import load_catalog
print(" ".join(s.id for s in load_catalog(sys.argv[1]) if not s.id.endswith("-walk")))
"""


def timed(cmd: list[str]) -> dict[str, float | str]:
    """Run ``cmd`` under ``/usr/bin/time -v``: wall s, CPU s, peak RSS MiB, load before/after."""
    load0 = os.getloadavg()[0]
    done = subprocess.run([TIME, "-v", *cmd], capture_output=True, text=True, cwd=ROOT)
    err = done.stderr
    if done.returncode != 0:
        # peakmap prints its one-line errors on stdout, the timer its figures on stderr
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n"
                         f"{done.stdout[-3000:]}\n{err[-1500:]}")

    def field(name: str) -> str:
        m = re.search(rf"^\s*{re.escape(name)}: (.+)$", err, re.M)
        if not m:
            raise SystemExit(f"no '{name}' in the time output of {' '.join(cmd)}")
        return m.group(1).strip()

    parts = [float(p) for p in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {"wall": wall, "cpu": cpu, "rss": int(field("Maximum resident set size (kbytes)")) /
            1024, "load": f"{load0:.1f}→{os.getloadavg()[0]:.1f}", "out": done.stdout}


def stages(scale: int, proj: Path, *, dsm: bool, walk: bool) -> Iterator[tuple[str, dict]]:
    """Run the stages of one scale, yielding each (name, figures) as soon as it finishes."""
    py = sys.executable
    gen = [py, "-m", "peakmap", "sample", "--out", str(proj), "--scale", str(scale)]
    yield ("generate" + ("" if dsm else " (--no-dsm)"),
           timed(gen if dsm else [*gen, "--no-dsm"]))
    yield ("build (ingest, --no-steps)", timed([py, "-m", "peakmap", "build", str(proj),
                                                "--no-steps"]))
    if dsm:
        yield ("PV step (DSM, tiled)", timed([py, "-c", STEP, "rooftop_pv", str(proj)]))
    yield ("coverage step", timed([py, "-c", STEP, "coverage", str(proj)]))
    report = [py, "-m", "peakmap", "report", str(proj), "--level", "all", "--format", "json",
              "--out", str(proj / "report.json")]
    which = "all rows"
    if not walk:
        ids = subprocess.run([py, "-c", NO_WALK, str(proj / "targets.toml")], check=True,
                             capture_output=True, text=True, cwd=ROOT).stdout.split()
        report += ["--id", ",".join(ids)]
        which = "all but *-walk"
    res = timed(report)
    records = len(json.loads((proj / "report.json").read_text(encoding="utf-8")))
    res["note"] = f"{which}, {records:,} records"
    yield ("report --level all --format json", res)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 20, 200])
    parser.add_argument("--dsm-upto", type=int, default=1,
                        help="generate the DSM (and time the PV step) up to this scale")
    parser.add_argument("--walk-upto", type=int, default=20,
                        help="report the *-walk rows up to this scale")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_city."))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cpus {os.cpu_count()}, load before {os.getloadavg()}", file=sys.stderr)
    lines: list[str] = []
    try:
        for scale in args.scales:
            proj = work / f"city{scale}"
            shutil.rmtree(proj, ignore_errors=True)
            for stage, r in stages(scale, proj, dsm=scale <= args.dsm_upto,
                                   walk=scale <= args.walk_upto):
                line = (f"| {scale} | {stage} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                        f"{r['rss']:,.0f} | {r['load']} | {r.get('note', '')} |")
                lines.append(line)
                print(line, file=sys.stderr, flush=True)
            raw = sum(f.stat().st_size for f in (proj / "raw").iterdir()) / 1e6
            store = (proj / "build" / "peakmap.gpkg").stat().st_size / 1e6
            lines.append(f"| {scale} | files: raw {raw:,.0f} MB, store {store:,.0f} MB | | | | | |")
            if not args.keep:
                shutil.rmtree(proj, ignore_errors=True)
    except SystemExit:
        # a stage failed: the stages that finished before it are not lost
        print("stages finished before the failure:\n" + HEADER + "\n" + "\n".join(lines),
              file=sys.stderr, flush=True)
        raise
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(HEADER)
    print("\n".join(lines))
    return 0



if __name__ == "__main__":
    # the printed table also goes to bench-output/bench_city.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
