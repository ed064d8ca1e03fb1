"""Benchmark the rooftop PV pipeline and its zonal step.

1. Whole pipeline (``layers.rooftop_pv_build.build_step``: sun sample, irradiation raster with
   shading, per-roof suitability and yield, store update) on the built Heping sample and on
   ``K`` copies of it side by side (DSM tiled, footprints shifted); each run in a child
   process so its peak memory (max RSS) is its own.
2. The zonal step (annual irradiation summed per footprint) on the sample: ``gis.zonal``
   (exact fractions, in memory and tiled from the file; centre rule) against exactextract and
   rasterstats, same raster and footprints, same run.

Each scale runs once per scheduler of ``--schedulers`` (``none`` = one process; ``local:2`` =
the tiles on a 2-worker Dask LocalCluster, via ``PEAKMAP_DASK_SCHEDULER``); peak memory is
the largest sum of RSS over the child and its worker processes, sampled every 0.1 s.

Usage: ``.venv/bin/python scripts/bench_pv.py [--scales 1 10] [--large-step 180]
[--schedulers none local:2] [--tile-px 2048]``.
The sample is built into a temporary directory (the committed ``data/heping`` is not touched).
Larger copies may use a coarser sun sampling (``--large-step`` minutes, default hourly as
for the sample) to keep the run short; the table says which.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from benchjson import record_run

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "heping"
RASTERSTATS_SAMPLE = 1500


def _child(project_dir: Path) -> None:
    """Run the PV step on one project; print times and peak memory as JSON."""
    from layers import rooftop_pv_build
    from layers.labels import note_label
    from layers.project import Project

    project = Project(project_dir)
    t0 = time.perf_counter()
    summary = note_label(rooftop_pv_build.build_step(project), "en")
    total = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": total, "rss_mb": rss_mb, "summary": summary}))


def _build_sample(work: Path) -> Path:
    from layers import build

    dest = work / "heping"
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("build"))
    build.POST_BUILD_STEPS = ()  # ingest only; the PV step is timed on its own
    build.build_project(dest)
    return dest


def _with_step(project: Path, step_minutes: float, tile_px: int) -> None:
    text = (project / "project.toml").read_text(encoding="utf-8")
    if "[params.pv]" not in text:
        text += f"\n[params.pv]\nstep_minutes = {step_minutes:g}\ntile_px = {tile_px}\n"
        (project / "project.toml").write_text(text, encoding="utf-8")


def _copies(sample: Path, work: Path, k: int) -> Path:
    """``k`` copies of the built sample side by side: DSM tiled east, footprints shifted."""
    import geopandas as gpd
    import pandas as pd
    import rasterio
    import shapely

    dest = work / f"x{k}"
    (dest / "build").mkdir(parents=True)
    for toml in SAMPLE.glob("*.toml"):  # the committed manifest, without the sample's step
        shutil.copy(toml, dest / toml.name)
    with rasterio.open(sample / "build" / "dsm.tif") as src:
        z = src.read(1)
        profile = src.profile.copy()
        width_m = src.width * src.transform.a
    profile.update(width=z.shape[1] * k, tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate")
    with rasterio.open(dest / "build" / "dsm.tif", "w", **profile) as out:
        out.write(np.tile(z, (1, k)), 1)
    b = gpd.read_file(sample / "build" / "peakmap.gpkg", layer="buildings")
    parts = []
    for i in range(k):
        c = b.copy()
        c["id"] = c["id"].astype(str) + f"-{i}"
        shift = np.array([i * width_m, 0.0])
        c.geometry = shapely.transform(c.geometry.values, lambda xy, d=shift: xy + d)
        parts.append(c)
    allb = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=b.crs)
    allb.to_file(dest / "build" / "peakmap.gpkg", layer="buildings")
    return dest


def _tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


def _run_child(project: Path, scheduler: str) -> dict[str, float | str]:
    env = dict(os.environ)
    env["PEAKMAP_DASK_SCHEDULER"] = "" if scheduler == "none" else scheduler
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", str(project)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )
    proc, peak = psutil.Process(child.pid), 0.0
    while child.poll() is None:
        peak = max(peak, _tree_rss_mb(proc))
        time.sleep(0.1)
    out, err = child.communicate()
    if child.returncode:
        raise SystemExit(f"bench child failed: {err.strip().splitlines()[-1:]}")
    result: dict[str, float | str] = json.loads(out.strip().splitlines()[-1])
    result["tree_rss_mb"] = peak
    return result


def _zonal(project: Path) -> list[tuple[str, float, float, float]]:
    import exactextract
    import geopandas as gpd
    import rasterio
    from rasterstats import zonal_stats as rs_zonal

    from gis.zonal import zonal_stats, zonal_stats_path

    tif = project / "build" / "solar_irradiation.tif"
    b = gpd.read_file(project / "build" / "peakmap.gpkg", layer="buildings")
    geoms = np.asarray(b.geometry.values, dtype=object)
    with rasterio.open(tif) as ds:
        band = ds.read(1)
        tf = ds.transform

    rows: list[tuple[str, float, float, float]] = []
    t0 = time.perf_counter()
    ref = exactextract.exact_extract(str(tif), b[["geometry"]], ["sum"], output="pandas")
    t_ee = time.perf_counter() - t0
    ref_sum = ref.filter(like="band_1").iloc[:, 0].to_numpy()

    def add(name: str, seconds: float, sums: np.ndarray) -> None:
        rel = np.abs(sums / ref_sum - 1.0)
        rows.append((name, seconds, float(np.nanmax(rel)), float(np.nanmedian(rel))))

    add("exactextract 0.3 (reference)", t_ee, ref_sum)
    t0 = time.perf_counter()
    ours = zonal_stats(band, geoms, transform=tf)
    add("gis.zonal exact, in memory", time.perf_counter() - t0, ours["sum"].to_numpy())
    t0 = time.perf_counter()
    tiled = zonal_stats_path(tif, geoms, tile_px=512)
    add("gis.zonal exact, tiled 512 px from file", time.perf_counter() - t0,
        tiled["sum"].to_numpy())
    t0 = time.perf_counter()
    centre = zonal_stats(band, geoms, transform=tf, rule="centre")
    add("gis.zonal centre rule, in memory", time.perf_counter() - t0, centre["sum"].to_numpy())
    # rasterstats loops over features in Python: timed on the first RASTERSTATS_SAMPLE
    # footprints and scaled to all of them (the table says so). It is given the band in
    # memory: read from the file, rasterstats asks rasterio for "boundless" windows, which
    # rasterio builds as GDAL VRT documents, and peakmap removes GDAL's VRT driver
    # (gis/_gdalenv.py), so such a read fails with "No such file or directory".
    n_rs = min(RASTERSTATS_SAMPLE, len(geoms))
    t0 = time.perf_counter()
    rs = rs_zonal(list(geoms[:n_rs]), band, affine=tf, stats=["sum"], nodata=np.nan)
    t_rs = (time.perf_counter() - t0) * len(geoms) / n_rs
    rs_sum = np.full(len(geoms), np.nan)
    rs_sum[:n_rs] = [r["sum"] if r["sum"] is not None else np.nan for r in rs]
    add(f"rasterstats 0.21, centre rule, in memory (timed on {n_rs:,}, scaled)", t_rs, rs_sum)
    return rows


def _naive_lit(z: np.ndarray, *, res: float, az: float, el: float, reach: float) -> np.ndarray:
    """One sun position by marching the ray one step at a time (the UMEP-style shift loop)."""
    import math

    drow, dcol = -math.cos(math.radians(az)), math.sin(math.radians(az))
    m = max(abs(drow), abs(dcol))
    ur, uc, step = drow / m, dcol / m, res / m
    dz = step * math.tan(math.radians(el))
    s = z.copy()
    h, w = z.shape
    for k in range(1, math.ceil(reach / step) + 1):
        dr, dc = math.floor(k * ur + 0.5), math.floor(k * uc + 0.5)
        if abs(dr) >= h or abs(dc) >= w:
            break
        dst = (slice(max(-dr, 0), h - max(dr, 0)), slice(max(-dc, 0), w - max(dc, 0)))
        src = (slice(max(dr, 0), h - max(-dr, 0)), slice(max(dc, 0), w - max(-dc, 0)))
        np.maximum(s[dst], z[src] - np.float32(k * dz), out=s[dst])
    return s <= z + np.float32(0.01)


def _shadows(project: Path) -> list[str]:
    import rasterio

    from gis.solar import lit_mask

    with rasterio.open(project / "build" / "dsm.tif") as ds:
        z = ds.read(1).astype(np.float32)
        res = float(ds.transform.a)
    lines = []
    for az, el in ((135.0, 15.0), (200.0, 40.0)):
        reach = min(float(z.max() - z.min()) / np.tan(np.radians(el)), 500.0)
        t0 = time.perf_counter()
        ours = lit_mask(z, res=res, azimuth_deg=az, elevation_deg=el, reach_m=reach)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        naive = _naive_lit(z, res=res, az=az, el=el, reach=reach)
        t_naive = time.perf_counter() - t0
        same = float((ours == naive).mean()) * 100
        lines.append(f"| {az:g}° / {el:g}° | {reach:.0f} | {t_ours:.2f} | {t_naive:.2f} | "
                     f"{t_naive / t_ours:.1f}× | {same:.2f} % |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--large-step", type=float, default=60.0,
                        help="sun sampling step (minutes) for scales above 1")
    parser.add_argument("--schedulers", nargs="+", default=["none", "local:2"],
                        help="none (one process) and/or Dask scheduler addresses")
    parser.add_argument("--tile-px", type=int, default=2048)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench_pv_") as tmp:
        work = Path(tmp)
        sample = _build_sample(work)
        print("## Rooftop PV pipeline (layers.rooftop_pv_build.build_step)\n")
        print("| copies | DSM pixels | roofs | sun step (min) | scheduler | time (s) | "
              "ratio to one process | peak RSS, all processes (MB) | result |")
        print("|---:|---:|---:|---:|---|---:|---:|---:|---|")
        import rasterio

        for k in args.scales:
            step = 60.0 if k == 1 else args.large_step
            project = sample if k == 1 else _copies(sample, work, k)
            _with_step(project, step, args.tile_px)
            with rasterio.open(project / "build" / "dsm.tif") as ds:
                pixels = ds.width * ds.height
            base = None
            for scheduler in args.schedulers:
                res = _run_child(project, scheduler)
                sec = float(res["seconds"])
                base = sec if base is None else base
                found = re.search(r"([\d,]+) roofs:", str(res["summary"]))
                roofs = found.group(1) if found else "?"
                print(f"| {k} | {pixels:,} | {roofs} | {step:g} | {scheduler} | {sec:.1f} | "
                      f"{sec / base:.2f} | {float(res['tree_rss_mb']):.0f} | "
                      f"{res['summary']} |", flush=True)
        print("\n## Shadow casting, one sun position on the sample DSM\n")
        print("| sun azimuth / elevation | reach (m) | doubling, int16 (s) | step-by-step ray "
              "march (s) | speed-up | pixels with the same lit state |")
        print("|---|---:|---:|---:|---:|---:|")
        for line in _shadows(sample):
            print(line, flush=True)
        print("\n## Zonal step: annual irradiation summed per footprint (sample)\n")
        print("| method | time (s) | ratio to gis.zonal exact | max rel. diff vs exactextract "
              "| median rel. diff |")
        print("|---|---:|---:|---:|---:|")
        rows = _zonal(sample)
        base = rows[1][1]
        for name, sec, mx, med in rows:
            print(f"| {name} | {sec:.2f} | {sec / base:.1f}× | {mx:.2e} | {med:.2e} |")


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_pv.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
