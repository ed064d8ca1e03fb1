"""Benchmark the indicator engine and ``peakmap report``.

Three measurements, each printed as a markdown table:

1. Area metrics (HP-04 green area counted once, HP-18 sponge share of built-up land) per
   community, on the Heping sample (scale 1) and on ``--scale 30`` (30 side-by-side copies):
   ``gis.overlay`` (STRtree pairs, clip only border parts, union only where features may
   overlap) with one and two threads, against the naive geopandas way (dissolve the layer,
   ``geopandas.overlay`` with the communities, sum areas). Both give the same figures; the
   largest difference is printed.
2. The anchors.md instance: union of 60 k random circles over 600 zones of 1 km², and the
   same at 6 k / 60 zones, to show how the cost grows (exponent of n).
3. ``peakmap report`` end to end (a fresh process: read the store, run the whole catalog,
   print the table) on the sample and at scale 30.

Projects are generated (without DSM) and built once into ``bench-output/report/`` and reused.

To stay near three minutes on a shared machine, the default run leaves out the naive
geopandas run on 60 k circles and, at scales above 1, the walking-distance coverage rows
(``*-walk``, computed by layers.coverage) of the end-to-end report; ``--full`` includes both.

Usage: ``python scripts/bench_report.py [--scales 1 30] [--no-cli] [--full]``.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchjson import record_run  # noqa: E402

from gis.overlay import area_by_zone, intersection_area_by_zone  # noqa: E402

CACHE = ROOT / "bench-output" / "report"
GREEN = ["G11", "G12", "G13", "G14", "G2", "XG", "EG"]
CIRCLE_SEED = 42
REPEATS = 2
CIRCLE_RADIUS_M = (10.0, 40.0)
NAIVE_MAX_CIRCLES = 10_000


def compile_sources() -> None:
    """Write the bytecode of peakmap's own modules, as an installed package has it.

    ``pip install`` compiles a package's modules, and a user's first run writes the rest; a
    shell with ``PYTHONDONTWRITEBYTECODE`` set (some CI and sandboxes) would otherwise have
    every timed ``peakmap`` process compile about fifty modules again (≈ 0.16 s of CPU).
    """
    import compileall

    for package in ("gis", "layers", "peakmap", "web"):
        compileall.compile_dir(ROOT / package, quiet=1)


def project_at(scale: int) -> Path:
    """A built sample project at ``scale`` (generated once, then cached)."""
    from layers.build import build_project
    from sample.generate import generate_sample

    out = CACHE / f"heping_x{scale}"
    if not (out / "build" / "peakmap.gpkg").is_file():
        print(f"(generating and building the sample at scale {scale} into {out})", flush=True)
        generate_sample(out, dsm=False, scale=scale)
        build_project(out, run_steps=False)
    return out


def best(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Best wall time of ``repeats`` runs and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def load(project: Path) -> dict[str, gpd.GeoDataFrame]:
    store = project / "build" / "peakmap.gpkg"
    names = ("communities", "green_spaces", "pocket_parks", "sponge_zones", "landuse")
    return {n: gpd.read_file(store, layer=n) for n in names}


def inputs(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    green = layers["green_spaces"]
    parks = layers["pocket_parks"]
    parks = parks[parks["status"].isna() | (parks["status"] == "existing")]
    sponge = layers["sponge_zones"]
    landuse = layers["landuse"]
    return {
        "zones": layers["communities"][["code", "geometry"]],
        "green": pd.concat(
            [green[green["class"].isin(GREEN)][["geometry"]], parks[["geometry"]]],
            ignore_index=True,
        ).pipe(gpd.GeoDataFrame, geometry="geometry", crs=green.crs),
        "sponge": sponge[sponge["compliant"].astype(bool)][["geometry"]],
        "built": landuse[landuse["built_up"].astype(bool)][["geometry"]],
    }


def naive(d: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    """HP-04 and HP-18 per community with geopandas dissolve + overlay."""
    zones = d["zones"]
    codes = zones["code"]

    def area_in_zones(layer: gpd.GeoDataFrame) -> pd.Series:
        cut = gpd.overlay(layer, zones, how="intersection", keep_geom_type=True)
        return cut.area.groupby(cut["code"]).sum().reindex(codes, fill_value=0.0)

    green = area_in_zones(d["green"].dissolve())
    built = d["built"].dissolve()
    covered = gpd.overlay(d["sponge"].dissolve(), built, how="intersection",
                          keep_geom_type=True)
    num = area_in_zones(covered)
    den = area_in_zones(built)
    return np.concatenate([green.to_numpy(), num.to_numpy(), den.to_numpy()])


def fast(d: dict[str, gpd.GeoDataFrame], workers: int) -> np.ndarray:
    """The same figures with gis.overlay."""
    z = np.asarray(d["zones"].geometry.values, dtype=object)
    g = np.asarray(d["green"].geometry.values, dtype=object)
    s = np.asarray(d["sponge"].geometry.values, dtype=object)
    b = np.asarray(d["built"].geometry.values, dtype=object)
    green = area_by_zone(g, z, dissolve=True, workers=workers)
    num = intersection_area_by_zone(s, b, z, workers=workers)
    den = area_by_zone(b, z, dissolve=True, workers=workers)
    return np.concatenate([green, num, den])


def bench_area(scales: list[int]) -> None:
    print("\n### Area metrics per community (HP-04 + HP-18)\n")
    print("| instance | features | communities | geopandas.overlay (s) | gis.overlay 1 thread "
          "(s) | gis.overlay 2 threads (s) | speed-up (1 thread) | max diff (m²) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for scale in scales:
        d = inputs(load(project_at(scale)))
        n = len(d["green"]) + len(d["sponge"]) + len(d["built"])
        repeats = REPEATS if scale == 1 else 1
        t_naive, ref = best(lambda d=d: naive(d), repeats=1)
        t1, res1 = best(lambda d=d: fast(d, 1), repeats=repeats)
        t2, _ = best(lambda d=d: fast(d, 2), repeats=repeats)
        diff = float(np.max(np.abs(res1 - ref)))
        print(f"| Heping ×{scale} | {n:,} | {len(d['zones']):,} | {t_naive:.2f} | {t1:.2f} | "
              f"{t2:.2f} | {t_naive / t1:.1f}× | {diff:.2g} |", flush=True)


def circles(n: int, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(CIRCLE_SEED)
    side = 1000.0
    xs = np.repeat(np.arange(nx) * side, ny)
    ys = np.tile(np.arange(ny) * side, nx)
    zones = shapely.box(xs, ys, xs + side, ys + side)
    pts = shapely.points(rng.uniform(0, nx * side, n), rng.uniform(0, ny * side, n))
    return shapely.buffer(pts, rng.uniform(CIRCLE_RADIUS_M[0], CIRCLE_RADIUS_M[1], n)), zones


def bench_circles(*, full: bool) -> None:
    print(f"\n### Union of random circles (radius {CIRCLE_RADIUS_M[0]:g}–{CIRCLE_RADIUS_M[1]:g} m) "
          "per 1 km² zone (anchors.md instance)\n")
    print("| circles | zones | geopandas dissolve + overlay (s) | gis.overlay 1 thread (s) | "
          "gis.overlay 2 threads (s) | speed-up (1 thread) | max rel. diff |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for n, nx, ny in ((6_000, 10, 6), (60_000, 30, 20)):
        geoms, zones = circles(n, nx, ny)
        zg = gpd.GeoDataFrame({"z": np.arange(len(zones))}, geometry=zones)
        cg = gpd.GeoDataFrame(geometry=geoms)

        def naive_run(cg: gpd.GeoDataFrame = cg, zg: gpd.GeoDataFrame = zg) -> np.ndarray:
            cut = gpd.overlay(cg.dissolve(), zg, how="intersection")
            return cut.area.groupby(cut["z"]).sum().reindex(zg["z"], fill_value=0).to_numpy()

        t1, res = best(lambda g=geoms, z=zones: area_by_zone(g, z, workers=1), repeats=1)
        t2, _ = best(lambda g=geoms, z=zones: area_by_zone(g, z, workers=2), repeats=1)
        rows.append((n, t1))
        if n > NAIVE_MAX_CIRCLES and not full:
            print(f"| {n:,} | {len(zones):,} | (--full) | {t1:.2f} | {t2:.2f} | | |", flush=True)
            continue
        t_naive, ref = best(naive_run, repeats=1)
        rel = float(np.max(np.abs(res - ref) / np.maximum(ref, 1.0)))
        print(f"| {n:,} | {len(zones):,} | {t_naive:.2f} | {t1:.2f} | {t2:.2f} | "
              f"{t_naive / t1:.1f}× | {rel:.1g} |", flush=True)
    (n0, t0), (n1, t1) = rows
    print(f"\nGrowth 6 k → 60 k circles: ×{t1 / t0:.1f} for ×{n1 / n0:.0f} features "
          f"(exponent {math.log(t1 / t0) / math.log(n1 / n0):.2f}; n log n gives "
          f"{math.log(n1 * math.log(n1) / (n0 * math.log(n0))) / math.log(n1 / n0):.2f})")


def _ids_without_walk(project: Path) -> list[str]:
    from layers.indicators.catalog import load_catalog

    return [s.id for s in load_catalog(project / "targets.toml") if not s.id.endswith("-walk")]


def bench_cli(scales: list[int], *, full: bool) -> None:
    print("\n### `peakmap report PROJECT` end to end (fresh process)\n")
    print("| instance | catalog rows | communities | records | wall time (s) |")
    print("|---|---|---:|---:|---:|")
    exe = ROOT / ".venv" / "bin" / "peakmap"
    cmd0 = [str(exe)] if exe.exists() else [sys.executable, "-m", "peakmap"]
    for scale in scales:
        project = project_at(scale)
        extra: list[str] = []
        which = "all"
        if scale > 1 and not full:
            extra = [a for ident in _ids_without_walk(project) for a in ("--id", ident)]
            which = "all but *-walk"
        t0 = time.perf_counter()
        proc = subprocess.run(
            [*cmd0, "report", str(project), "--format", "json", "--level", "all", *extra],
            capture_output=True, text=True, check=False, timeout=600,
        )
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"| Heping ×{scale} | {which} | — | failed: {proc.stderr.strip()[:80]} | "
                  f"{dt:.1f} |")
            continue
        import json

        rows = json.loads(proc.stdout)
        n_comm = sum(1 for r in rows if r["level"] == "community" and r["indicator"] == "HP-04")
        print(f"| Heping ×{scale} | {which} | {n_comm:,} | {len(rows):,} | {dt:.1f} |",
              flush=True)


def main(argv: list[str]) -> int:
    scales = [1, 30]
    if "--scales" in argv:
        i = argv.index("--scales") + 1
        scales = [int(a) for a in argv[i:] if a.isdigit()]
    print(f"Machine: {len(__import__('os').sched_getaffinity(0))} cores available; "
          f"best of {REPEATS} runs for gis.overlay, one run for the naive way.")
    full = "--full" in argv
    bench_area(scales)
    bench_circles(full=full)
    if "--no-cli" not in argv:
        bench_cli(scales, full=full)
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_report.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
