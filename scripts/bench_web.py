"""Page weight and time to first render of the layers map, sample and ``--scale 10``.

peakmap's layers map (small layers inline, large ones loaded by bounding box and zoom,
aggregated to a grid when the view holds too many) against the obvious alternative:
one folium page with every layer inlined as GeoJSON with tooltips (what ``gdf.explore()``
or a plain folium script produces), served offline by the same app, in the same headless
Chromium. Also the dashboard's weight.

Usage: ``python scripts/bench_web.py [--scales 1 10] [--out bench-output/web]`` with any
interpreter that has peakmap's dependencies (``--scales 1`` is the quick check). Projects are
generated with ``python -m peakmap sample`` (no DSM) of this interpreter and this tree, and
built without post-build steps on the first run, then reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
import uvicorn  # noqa: E402
from benchjson import record_run  # noqa: E402
from fastapi.responses import HTMLResponse  # noqa: E402

from web.app import create_app  # noqa: E402
from web.data import ProjectData  # noqa: E402
from web.maps import OFFLINE_CSS, OFFLINE_JS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPEATS = 3
# The all-inline page takes ~40 s to open at scale 10: once is enough to make the point.
NAIVE_REPEATS = {1: 3, 10: 1}
TIMEOUT_MS = 170_000
# this interpreter and this tree (a worktree or another virtualenv works as the checkout does)
PEAKMAP = [sys.executable, "-m", "peakmap"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}


def ensure_project(out: Path, scale: int) -> Path:
    proj = out / f"heping_x{scale}"
    if (proj / "build" / "peakmap.gpkg").is_file():
        return proj
    shutil.rmtree(proj, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([*PEAKMAP, "sample", "--out", str(proj), "--scale", str(scale), "--no-dsm"],
                   check=True, stdout=subprocess.DEVNULL, env=ENV)
    subprocess.run([*PEAKMAP, "build", str(proj), "--no-steps"], check=True,
                   stdout=subprocess.DEVNULL, env=ENV)
    print(f"(built {proj.name} in {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return proj


def naive_page(project: Path) -> str:
    """Every layer inlined in one folium page, with tooltips of all fields, offline assets."""
    data = ProjectData(project)
    m = folium.Map(tiles=None, prefer_canvas=True)
    m.default_js = list(OFFLINE_JS)
    m.default_css = list(OFFLINE_CSS)
    for name in data.layer_names():
        gdf = data.display(name)
        fields = [c for c in gdf.columns if c != gdf.geometry.name][:8]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            folium.GeoJson(gdf, name=name, tooltip=folium.GeoJsonTooltip(fields=fields),
                           marker=folium.CircleMarker(radius=3)).add_to(m)
    bounds = data.display("districts").total_bounds
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    folium.LayerControl().add_to(m)
    return str(m.get_root().render())


def serve(project: Path) -> tuple[str, uvicorn.Server, threading.Thread]:
    app = create_app(project)
    page = naive_page(project)

    @app.get("/bench/naive", response_class=HTMLResponse)
    def naive() -> HTMLResponse:
        return HTMLResponse(page)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def measure(browser: Any, url: str, *, dynamic: bool) -> dict[str, float]:
    """Bytes loaded (page + resources), HTML bytes, ms from navigation to all drawn."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    print(f"  {url} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    page.goto(url, timeout=TIMEOUT_MS, wait_until="load")
    if dynamic:
        page.wait_for_function(
            """() => window.peakmapLoaded && Object.keys(window.peakmapLoaded).length
                     >= (window.peakmapExpected || 0)""", timeout=TIMEOUT_MS)
    # Two animation frames after everything arrived: the canvas has been painted.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    timing = page.evaluate("""() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        const dyn = Object.values(window.peakmapLoadedAt || {});
        return {ms: Math.max(nav.loadEventEnd, ...dyn, performance.now()),
                html: nav.decodedBodySize,
                total: nav.decodedBodySize + res.reduce((a, r) => a + r.decodedBodySize, 0)};
    }""")
    drawn = page.evaluate("""() => {
        const el = document.querySelector('.folium-map');
        if (!el) { return 0; }
        const m = window[el.id];
        let n = 0; m.eachLayer(l => { if (l instanceof L.Path) { n += 1; } }); return n; }""")
    context.close()
    print(f"  ... {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return {"total": float(timing["total"]), "html": float(timing["html"]),
            "ms": float(timing["ms"]), "drawn": float(drawn)}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--out", type=Path, default=ROOT / "bench-output" / "web")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    for scale in args.scales:
        project = ensure_project(args.out, scale)
        base, server, thread = serve(project)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                measure(browser, f"{base}/", dynamic=False)  # computes the indicators once
                dash = measure(browser, f"{base}/", dynamic=False)
                ours = median_of([measure(browser, f"{base}/maps/layers", dynamic=True)
                                  for _ in range(REPEATS)])
                naive = median_of([measure(browser, f"{base}/bench/naive", dynamic=False)
                                   for _ in range(NAIVE_REPEATS.get(scale, 1))])
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
        rows.append((scale, ours, naive, dash))

    print("| scale | page | HTML (KB) | all bytes (KB) | first render (ms) | drawn |")
    print("|---:|---|---:|---:|---:|---:|")
    for scale, ours, naive, dash in rows:
        for label, r in (("peakmap layers map", ours), ("folium, all inline", naive),
                         ("dashboard", dash)):
            print(f"| {scale} | {label} | {r['html'] / 1024:,.0f} | {r['total'] / 1024:,.0f} "
                  f"| {r['ms']:,.0f} | {r['drawn']:,.0f} |" if label != "dashboard" else
                  f"| {scale} | {label} | {r['html'] / 1024:,.0f} | {r['total'] / 1024:,.0f} "
                  f"| {r['ms']:,.0f} | – |")
    print()
    print("| scale | HTML ratio (inline ÷ peakmap) | bytes ratio | first-render ratio |")
    print("|---:|---:|---:|---:|")
    for scale, ours, naive, _ in rows:
        print(f"| {scale} | {naive['html'] / ours['html']:.1f}× | "
              f"{naive['total'] / ours['total']:.1f}× | {naive['ms'] / ours['ms']:.1f}× |")
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_web.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
