"""Benchmark the Heping sample generator (``peakmap sample``).

Measures, in one run:

1. generation at ``--scale 1`` and ``--scale K`` (default 5): wall time, time per copy,
   features and megabytes written (the per-copy time should stay flat: cost is linear);
2. the DSM written window by window, one copy at a time (what the generator does), against
   the obvious alternative of one full in-memory array written at once, at scale K: time and
   peak memory of numpy allocations (tracemalloc).

Prints a markdown table. Runs in well under a minute on two cores.

Usage: ``.venv/bin/python scripts/bench_sample.py [--scale K] [--seed 42]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
from benchjson import record_run

from sample import District, generate_district, generate_sample
from sample.raster import dsm_surface, north_up, snap_to_grid, write_dsm

MB = 1e6


def _measure(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and peak traced memory (MB) of ``fn()``."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return seconds, peak


def _dsm_full_array(path: Path, copies: list[District], seed: int) -> None:
    """The alternative: rasterise every copy into one array, then write it at once."""
    boxes = []
    for d in copies:
        b = d.layers["districts"].total_bounds
        boxes.append((snap_to_grid(b[0] - 20, True), snap_to_grid(b[1] - 20, True),
                      snap_to_grid(b[2] + 20, False), snap_to_grid(b[3] + 20, False)))
    arr = np.array(boxes)
    minx, miny, maxx, maxy = arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()
    width, height = round((maxx - minx) / 2), round((maxy - miny) / 2)
    full = np.full((height, width), -9999.0, dtype=np.float32)
    for k, (d, box) in enumerate(zip(copies, boxes, strict=True)):
        surf = dsm_surface(d, box, np.random.default_rng([seed, k, 7]))
        r0, c0 = round((maxy - box[3]) / 2), round((box[0] - minx) / 2)
        full[r0:r0 + surf.shape[0], c0:c0 + surf.shape[1]] = surf
    with rasterio.open(
        path, "w", driver="GTiff", dtype="float32", count=1, crs="EPSG:4548",
        width=width, height=height, transform=north_up(minx, maxy), nodata=-9999.0,
        tiled=True, blockxsize=256, blockysize=256, compress="deflate", predictor=3, zlevel=6,
    ) as dst:
        dst.write(full, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (1, args.scale):
            out = Path(tmp) / f"s{scale}"
            res = generate_sample(out, seed=args.seed, scale=scale)
            size = sum(f.stat().st_size for f in (out / "raw").iterdir()) / MB
            rows.append((scale, res.seconds, res.seconds / scale, size))
        copies = [generate_district(k, args.seed) for k in range(args.scale)]
        t_win, m_win = _measure(
            lambda: write_dsm(Path(tmp) / "win.tif", copies, seed=args.seed)
        )
        t_full, m_full = _measure(
            lambda: _dsm_full_array(Path(tmp) / "full.tif", copies, args.seed)
        )
        with rasterio.open(Path(tmp) / "win.tif") as a, rasterio.open(Path(tmp) / "full.tif") as b:
            same = bool(np.array_equal(a.read(1), b.read(1)))
            shape = a.shape

    print("| sample generation | scale | wall s | s per copy | raw MB |")
    print("|---|---:|---:|---:|---:|")
    for scale, secs, per, size in rows:
        print(f"| `peakmap sample` | {scale} | {secs:.1f} | {per:.2f} | {size:.1f} |")
    print(f"\nper-copy time, scale {args.scale} ÷ scale 1: {rows[1][2] / rows[0][2]:.2f}\n")
    print(f"| DSM at scale {args.scale} ({shape[1]}×{shape[0]} px) | wall s | peak numpy MB |")
    print("|---|---:|---:|")
    print(f"| windowed, one copy at a time (generator) | {t_win:.1f} | {m_win:.0f} |")
    print(f"| one full array, written at once | {t_full:.1f} | {m_full:.0f} |")
    print(f"\nmemory ratio full ÷ windowed: {m_full / m_win:.1f}×; "
          f"time ratio: {t_full / t_win:.2f}×; identical pixels: {same}")


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_sample.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
