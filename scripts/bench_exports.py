"""Map export time (PDF/PNG), sample and ``--scale 10``, against printing the page in Chromium.

peakmap renders an indicator map server-side with matplotlib (``web.exports``). The
obvious alternative is to drive a headless browser: open the Folium page
``/maps/indicator`` and print it to PDF (Playwright ``page.pdf``, A4 landscape). Both run
against the same app with the indicator records already computed (warm cache), so the
figures compare rendering alone; the cold ``peakmap map`` command (a fresh process: imports,
the one indicator's computation, rendering) is timed as well.

Usage: ``python scripts/bench_exports.py [--projects data/heping bench-output/exports/heping_x10]
[--out bench-output/exports]``. A project that is not built is generated with
``peakmap sample --scale 10 --no-dsm`` and built without post-build steps.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from benchjson import record_run  # noqa: E402

from web.app import create_app  # noqa: E402
from web.exports import indicator_map_file  # noqa: E402
from web.settings import WebSettings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPEATS = 3
INDICATOR = "HP-18"
TIMEOUT_MS = 170_000


def ensure_project(path: Path) -> Path:
    if (path / "build" / "peakmap.gpkg").is_file():
        return path
    shutil.rmtree(path, ignore_errors=True)
    scale = int(path.name.rsplit("_x", 1)[-1]) if "_x" in path.name else 1
    cmd = [sys.executable, "-m", "peakmap"]
    subprocess.run([*cmd, "sample", "--out", str(path), "--scale", str(scale), "--no-dsm"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*cmd, "build", str(path), "--no-steps"], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def serve(project: Path) -> tuple[str, Any, uvicorn.Server, threading.Thread]:
    app = create_app(project)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", app, server, thread


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def render_time(data: Any, settings: WebSettings, level: str, fmt: str, out: Path) -> float:
    t0 = time.perf_counter()
    body = indicator_map_file(data, INDICATOR, level=level, lang="zh", fmt=fmt,
                              settings=settings)
    seconds = time.perf_counter() - t0
    out.write_bytes(body)
    return seconds


def browser_pdf(browser: Any, url: str, out: Path) -> float:
    """Seconds to open the page in Chromium and print it to an A4 landscape PDF."""
    t0 = time.perf_counter()
    page = browser.new_page(viewport={"width": 1123, "height": 794})
    page.goto(url, timeout=TIMEOUT_MS, wait_until="load")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.pdf(path=str(out), format="A4", landscape=True, print_background=True)
    page.close()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=Path, nargs="+",
                    default=[ROOT / "data" / "heping",
                             ROOT / "bench-output" / "exports" / "heping_x10"])
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "exports")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    rows = []
    for project in args.projects:
        project = ensure_project(project)
        cold = timed(lambda p=project: subprocess.run(
            [sys.executable, "-m", "peakmap", "map", str(p), INDICATOR, "--level", "street",
             "--out", str(args.out / f"{p.name}-cli.pdf")], check=True,
            stderr=subprocess.DEVNULL))
        base, app, server, thread = serve(project)
        data, settings = app.state.data, WebSettings()
        data.records("street")  # the indicators once, as a running server has them
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for level in ("street", "community"):
                    url = f"{base}/maps/indicator?indicator={INDICATOR}&level={level}"
                    ours = {fmt: statistics.median(
                        render_time(data, settings, level, fmt,
                                    args.out / f"{project.name}-{level}.{fmt}")
                        for _ in range(REPEATS)) for fmt in ("pdf", "png")}
                    chrome = statistics.median(
                        browser_pdf(browser, url, args.out / f"{project.name}-{level}-"
                                    "chromium.pdf") for _ in range(REPEATS))
                    zones = len(data.metric("streets" if level == "street" else "communities"))
                    rows.append((project.name, level, zones, ours["pdf"], ours["png"], chrome,
                                 cold if level == "street" else None))
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    print("| project | level | zones | peakmap PDF (s) | peakmap PNG (s) | Chromium print "
          "of the page (s) | Chromium ÷ peakmap PDF | cold `peakmap map` (s) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, level, zones, pdf, png, chrome, cold_s in rows:
        cold_text = f"{cold_s:.1f}" if cold_s is not None else "–"
        print(f"| {name} | {level} | {zones:,} | {pdf:.2f} | {png:.2f} | {chrome:.2f} | "
              f"{chrome / pdf:.1f}× | {cold_text} |")
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_exports.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
