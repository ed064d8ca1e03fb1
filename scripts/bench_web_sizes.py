"""Bytes of the web app's pages as the city grows, this code against an earlier commit.

Sizes, not timings (no browser, nothing timed): the dashboard's first page and all its
pages together, and the indicator map of HP-04 by community and by street, served by
``create_app`` through Starlette's test client on ``peakmap sample --scale K --no-dsm``
built with ``--no-steps`` (the projects of ``scripts/bench_web.py``, generated on the first
run and reused). The *before* column is the same pages served by the code of ``--before``
(default: main before the dashboard was paged and the maps simplified), unpacked with
``git archive`` into a scratch folder and measured in a child process, so one command
gives both columns.

Usage: ``python scripts/bench_web_sizes.py [--scales 1 10 20] [--before 63a56ea]``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# main at the start of session 7, before paging and display simplification landed
BEFORE = "63a56ea"
PAGES = {
    "dashboard, first page": "/",
    "indicator map HP-04, by community": "/maps/indicator?indicator=HP-04&level=community",
    "indicator map HP-04, by street": "/maps/indicator?indicator=HP-04&level=street",
}
ALL_PAGES = "dashboard, every page together"
PAGE_COUNT = re.compile(r"第 \d+/(\d+) 页")


def ensure_project(out: Path, scale: int) -> Path:
    """``peakmap sample --scale K --no-dsm`` then ``peakmap build --no-steps`` (once)."""
    proj = out / f"heping_x{scale}"
    if (proj / "build" / "peakmap.gpkg").is_file():
        return proj
    shutil.rmtree(proj, ignore_errors=True)
    run = [sys.executable, "-m", "peakmap"]
    subprocess.run([*run, "sample", "--out", str(proj), "--scale", str(scale), "--no-dsm"],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    subprocess.run([*run, "build", str(proj), "--no-steps"], check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    return proj


def measure(project: Path) -> dict[str, int]:
    """Bytes of every page of :data:`PAGES` (and of all dashboard pages) of ``project``."""
    import warnings

    os.environ.setdefault("PEAKMAP_ALLOWED_HOSTS", "testserver")
    from web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    out: dict[str, int] = {}
    with TestClient(create_app(project)) as client:
        for label, url in PAGES.items():
            res = client.get(url)
            if res.status_code != 200:
                raise SystemExit(f"{project}: {url} answered {res.status_code}")
            out[label] = len(res.content)
        first = client.get("/").text
        m = PAGE_COUNT.search(first)
        pages = int(m.group(1)) if m else 1  # code before paging: one page
        out[ALL_PAGES] = out["dashboard, first page"] + sum(
            len(client.get(f"/?page={p}").content) for p in range(1, pages))
        out["dashboard pages"] = pages
    return out


def measure_with(code: Path, projects: list[Path]) -> list[dict[str, int]]:
    """:func:`measure` in a child process whose ``web`` and ``layers`` come from ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", *map(str, projects)], env=env, cwd=code,
        check=True, capture_output=True, text=True)
    result: list[dict[str, int]] = json.loads(done.stdout.splitlines()[-1])
    return result


def unpack(rev: str, into: Path) -> Path:
    """The tree of commit ``rev`` (the Python packages) unpacked under ``into``."""
    archive = subprocess.run(["git", "archive", rev, "gis", "layers", "web", "peakmap",
                              "sample"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10, 20])
    ap.add_argument("--before", default=BEFORE, help="commit whose code gives 'before'")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "web")
    args = ap.parse_args()
    projects = [ensure_project(args.out, k) for k in args.scales]
    with tempfile.TemporaryDirectory(prefix="bench_web_sizes.") as tmp:
        before = measure_with(unpack(args.before, Path(tmp)), projects)
    after = measure_with(ROOT, projects)
    print(f"before: {args.before}; after: {_head()}; bytes of the HTML a browser gets "
          "(scripts, styles and the basemap are loaded after it and are the same)")
    print()
    print("| scale | page | before (KB) | after (KB) | before ÷ after |")
    print("|---:|---|---:|---:|---:|")
    for scale, b, a in zip(args.scales, before, after, strict=True):
        for label in [*PAGES, ALL_PAGES]:
            print(f"| {scale} | {label} | {b[label] / 1024:,.0f} | {a[label] / 1024:,.0f} | "
                  f"{b[label] / a[label]:.1f}× |")
    print()
    print("| scale | dashboard pages before | after |")
    print("|---:|---:|---:|")
    for scale, b, a in zip(args.scales, before, after, strict=True):
        print(f"| {scale} | {b['dashboard pages']} | {a['dashboard pages']} |")
    return 0


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()


def _child(projects: list[str]) -> int:
    sys.path.insert(0, os.getcwd())
    print(json.dumps([measure(Path(p)) for p in projects]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(_child(sys.argv[2:]))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchjson import record_run

    # the printed tables also go to bench-output/bench_web_sizes.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
