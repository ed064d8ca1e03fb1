"""Benchmark gis.crs pseudo-datum conversions: vectorised numpy vs a per-point Python loop.

Also reports the accuracy of the iterative inverses against the published one-step inverses,
measured in metres with pyproj.Geod on a grid over China. Runs in a few seconds.

Usage: ``.venv/bin/python scripts/bench_crs.py [--points N]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable

import numpy as np
import pyproj
from benchjson import record_run

from gis.crs import bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
LOOP_SAMPLE = 20_000  # the scalar loop is timed on this many points and scaled


def _tlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    return r + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3


def _tlon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    return r + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3


def scalar_wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (A / sq * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def scalar_gcj_to_wgs_iterative(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon, lat
    for _ in range(30):
        fx, fy = scalar_wgs_to_gcj(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if max(abs(ex), abs(ey)) < 1e-11:
            break
    return x, y


def scalar_gcj_to_wgs_one_step(lon: float, lat: float) -> tuple[float, float]:
    fx, fy = scalar_wgs_to_gcj(lon, lat)
    return 2 * lon - fx, 2 * lat - fy


def scalar_bd_to_gcj_closed(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * X_PI)
    t = math.atan2(y, x) - 0.000003 * math.cos(x * X_PI)
    return z * math.cos(t), z * math.sin(t)


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    n = parser.parse_args().points
    rng = np.random.default_rng(20261121)
    lon = rng.uniform(73.0, 135.0, n)
    lat = rng.uniform(18.0, 53.0, n)
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_bd09(lon, lat)
    k = min(LOOP_SAMPLE, n)
    pairs_g = list(zip(glon[:k].tolist(), glat[:k].tolist(), strict=True))
    pairs_w = list(zip(lon[:k].tolist(), lat[:k].tolist(), strict=True))

    rows = []
    t_vec = best_of(lambda: wgs84_to_gcj02(lon, lat))
    t_loop = best_of(lambda: [scalar_wgs_to_gcj(x, y) for x, y in pairs_w]) * n / k
    rows.append(("wgs84_to_gcj02 (forward)", t_vec, t_loop))
    t_vec = best_of(lambda: gcj02_to_wgs84(glon, glat))
    t_loop = best_of(lambda: [scalar_gcj_to_wgs_iterative(x, y) for x, y in pairs_g]) * n / k
    rows.append(("gcj02_to_wgs84 (iterative)", t_vec, t_loop))

    print(f"{n:,} random points in China; Python loop timed on {k:,} points and scaled.\n")
    print("| conversion | numpy vectorised (s) | per-point Python loop (s) | speed-up |")
    print("|---|---:|---:|---:|")
    for name, vec, loop in rows:
        print(f"| {name} | {vec:.3f} | {loop:.3f} | {loop / vec:.0f}× |")

    geod = pyproj.Geod(ellps="WGS84")
    one = np.array([scalar_gcj_to_wgs_one_step(x, y) for x, y in pairs_g])
    it_lon, it_lat = gcj02_to_wgs84(glon[:k], glat[:k])
    closed = np.array(
        [scalar_bd_to_gcj_closed(x, y) for x, y in zip(blon[:k], blat[:k], strict=True)]
    )
    bd_lon, bd_lat = bd09_to_gcj02(blon[:k], blat[:k])
    err = {
        "GCJ-02 → WGS84, published one-step": geod.inv(lon[:k], lat[:k], one[:, 0], one[:, 1])[2],
        "GCJ-02 → WGS84, iterative (gis.crs)": geod.inv(lon[:k], lat[:k], it_lon, it_lat)[2],
        "BD-09 → GCJ-02, published closed form": geod.inv(
            lon[:k], lat[:k], closed[:, 0], closed[:, 1]
        )[2],
        "BD-09 → GCJ-02, iterative (gis.crs)": geod.inv(lon[:k], lat[:k], bd_lon, bd_lat)[2],
    }
    print(f"\nRound-trip error on {k:,} of the points (metres, pyproj.Geod):\n")
    print("| inverse | max (m) | median (m) |")
    print("|---|---:|---:|")
    for name, e in err.items():
        print(f"| {name} | {np.max(e):.3g} | {np.median(e):.3g} |")


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_crs.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
