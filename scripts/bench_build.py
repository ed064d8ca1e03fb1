"""Benchmark ``peakmap build``: wall time and peak memory on the Heping sample and at scale 30.

Each measurement runs in a fresh Python process so peak RSS is that run's alone. The
baseline is the obvious alternative without validation: geopandas ``read_file`` +
``to_crs`` + ``to_file`` of every manifest layer (no field mapping, type checks, repair,
GCJ-02 conversion or atomic write).

Usage: ``python scripts/bench_build.py [--scales 1 30]``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchjson import record_run

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "heping"

PEAKMAP_RUN = """
import json, resource, sys, time
from layers.build import build_project
t0 = time.perf_counter()
report = build_project(sys.argv[1], run_steps=False)
dt = time.perf_counter() - t0
n = sum(r.features_stored for r in report.layers)
print(json.dumps({"s": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "features": n}))
"""

NAIVE_RUN = """
import json, resource, sys, time, tomllib
from pathlib import Path
import geopandas as gpd
root = Path(sys.argv[1])
m = tomllib.loads((root / "project.toml").read_text())
t0 = time.perf_counter()
out = root / "build" / "naive.gpkg"
out.parent.mkdir(exist_ok=True)
n = 0
for name, src in m["layers"].items():
    p = root / src["path"]
    if p.suffix == ".csv":
        import pandas as pd
        df = pd.read_csv(p)
        g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df[src["x"]], df[src["y"]]),
                             crs="EPSG:4326")
    else:
        kw = {"layer": src["layer"]} if src.get("layer") else {}
        if src.get("encoding"):
            kw["encoding"] = src["encoding"]
        g = gpd.read_file(p, **kw)
    g = g.to_crs(m["project"].get("metric_crs", "EPSG:4548"))
    g.to_file(out, layer=name, driver="GPKG")
    n += len(g)
dt = time.perf_counter() - t0
print(json.dumps({"s": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "features": n}))
"""


def run(code: str, project: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, str(project)], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def project_at(scale: int, workdir: Path) -> Path:
    if scale == 1:
        dest = workdir / "heping"
        shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("build"))
        return dest
    dest = workdir / f"heping_x{scale}"
    subprocess.run(
        [sys.executable, "-m", "peakmap", "sample", "--scale", str(scale), "--out", str(dest)],
        check=True, capture_output=True,
    )
    return dest


def main(argv: list[str]) -> int:
    scales = [int(s) for s in argv[argv.index("--scales") + 1 :]] if "--scales" in argv else [1, 30]
    print("| scale | features | peakmap build (s) | peak RSS (MB) | naive read+to_crs+write (s) "
          "| naive RSS (MB) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for scale in scales:
            proj = project_at(scale, Path(d))
            pm = run(PEAKMAP_RUN, proj)
            nv = run(NAIVE_RUN, proj)
            print(
                f"| {scale} | {int(pm['features']):,} | {pm['s']:.2f} | {pm['rss_mb']:.0f} | "
                f"{nv['s']:.2f} | {nv['rss_mb']:.0f} | {pm['s'] / nv['s']:.2f}× |",
                flush=True,
            )
            shutil.rmtree(proj)
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_build.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
