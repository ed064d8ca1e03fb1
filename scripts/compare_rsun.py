"""Compare peakmap's shadow casting with GRASS GIS r.sun on a window of the sample DSM.

For each instant (the 12 representative days × whole solar hours ``--hours``), r.sun (mode 1,
``time=``) computes the beam irradiance on horizontal planes (``slope_value=0``) with its own
terrain shadowing, and peakmap's :func:`gis.solar.lit_mask` casts the shadows of the same DSM
window for the sun position pvlib gives at that local solar time. Both see only the window.

Reported:

* lit/shaded agreement over all pixel-instants, and Cohen's kappa;
* per pixel, the share of the unshaded beam it gets over the instants (weights: r.sun's
  unshaded horizontal beam at each instant, its 99th percentile over the window), for r.sun
  and for peakmap: mean bias, RMSE and Pearson correlation;
* time: r.sun's runs (inside GRASS, one thread) and peakmap's shadow casting, same instants.

Usage: ``.venv/bin/python scripts/compare_rsun.py [--size 300] [--hours 8 16]`` (needs the
``grass`` command, Debian package grass-core). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from benchjson import record_run
from pyproj import Transformer
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parents[1]
DSM = ROOT / "data" / "heping" / "raw" / "dsm_2m_cgcs2000.tif"
DAYS = (17, 47, 75, 105, 135, 162, 198, 228, 258, 288, 318, 344)  # Klein's mean days
LINKE = 3.0
BEAM_LIT_W = 1e-3
UNSHADED_PERCENTILE = 99.0


def _window(path: Path, size: int, out: Path) -> tuple[np.ndarray, float, float, float]:
    """Cut a ``size`` px window from the centre of the DSM; return it, res, lat, lon."""
    with rasterio.open(path) as ds:
        r0, c0 = (ds.height - size) // 2, (ds.width - size) // 2
        win = Window(c0, r0, size, size)
        z = ds.read(1, window=win).astype(np.float32)
        profile = ds.profile.copy()
        tf = ds.window_transform(win)
        profile.update(width=size, height=size, transform=tf, tiled=False, compress=None,
                       blockxsize=None, blockysize=None)
        profile = {k: v for k, v in profile.items() if v is not None}
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(z, 1)
        x, y = tf.c + tf.a * size / 2, tf.f + tf.e * size / 2
        lon, lat = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return z, float(tf.a), float(lat), float(lon)


def _run_rsun(
    tif: Path, work: Path, instants: list[tuple[int, float]]
) -> tuple[dict[tuple[int, float], np.ndarray], float]:
    """r.sun beam irradiance for every instant; seconds spent in r.sun."""
    grass = shutil.which("grass")
    if grass is None:
        raise SystemExit("grass is not on PATH (apt-get install grass-core)")
    loc = work / "loc"
    subprocess.run([grass, "-c", str(tif), str(loc), "-e"], check=True, capture_output=True)
    lines = ["set -e", f"r.in.gdal -o input={tif} output=dsm --quiet", "g.region raster=dsm",
             "T0=$(date +%s.%N)"]
    for day, hour in instants:
        name = f"b_{day}_{int(hour * 100)}"
        lines.append(f"r.sun elevation=dsm aspect_value=270 slope_value=0 linke_value={LINKE} "
                     f"albedo_value=0.2 day={day} time={hour} beam_rad={name} nprocs=1 --quiet")
    lines.append(f"T1=$(date +%s.%N); echo $T0 $T1 > {work / 'time.txt'}")
    for day, hour in instants:
        name = f"b_{day}_{int(hour * 100)}"
        lines.append(f"r.out.gdal input={name} output={work / (name + '.tif')} format=GTiff "
                     "type=Float32 --quiet -c")
    script = work / "run.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run([grass, str(loc / "PERMANENT"), "--exec", "sh", str(script)], check=True,
                   capture_output=True)
    t0, t1 = (float(v) for v in (work / "time.txt").read_text().split())
    beams = {}
    for day, hour in instants:
        with rasterio.open(work / f"b_{day}_{int(hour * 100)}.tif") as ds:
            beams[(day, hour)] = np.nan_to_num(ds.read(1).astype(np.float64))
    return beams, t1 - t0


def _sun(lat: float, lon: float, day: int, solar_hour: float) -> tuple[float, float]:
    """pvlib's sun azimuth and elevation at a local solar time of a day of 2023."""
    import pvlib

    eot = float(pvlib.solarposition.equation_of_time_spencer71(day))
    utc = solar_hour - lon / 15.0 - eot / 60.0
    t = pd.Timestamp("2023-01-01", tz="UTC") + pd.Timedelta(days=day - 1, hours=utc)
    pos = pvlib.solarposition.get_solarposition(pd.DatetimeIndex([t]), lat, lon)
    return float(pos["azimuth"].iloc[0]), float(90.0 - pos["apparent_zenith"].iloc[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsm", type=Path, default=DSM)
    parser.add_argument("--size", type=int, default=300, help="window edge in pixels")
    parser.add_argument("--hours", type=int, nargs=2, default=(8, 16),
                        help="first and last whole solar hour")
    args = parser.parse_args()

    from gis.solar import lit_mask

    with tempfile.TemporaryDirectory(prefix="rsun_") as tmp:
        work = Path(tmp)
        z, res, lat, lon = _window(args.dsm, args.size, work / "dsm.tif")
        instants = [(d, float(h)) for d in DAYS for h in range(args.hours[0], args.hours[1] + 1)]
        beams, t_rsun = _run_rsun(work / "dsm.tif", work, instants)
        hr = float(z.max() - z.min())
        agree = total = 0
        both_lit = both_shade = lit_r = lit_p = 0
        num_r = np.zeros(z.shape)
        num_p = np.zeros(z.shape)
        den = 0.0
        t_pm = 0.0
        used = 0
        for day, hour in instants:
            az, el = _sun(lat, lon, day, hour)
            beam = beams[(day, hour)]
            if el <= 1.0 or not (beam > BEAM_LIT_W).any():
                continue
            used += 1
            reach = min(hr / math.tan(math.radians(el)), 500.0)
            t0 = time.perf_counter()
            lit = lit_mask(z, res=res, azimuth_deg=az, elevation_deg=el, reach_m=reach)
            t_pm += time.perf_counter() - t0
            lit_rsun = beam > BEAM_LIT_W
            agree += int((lit == lit_rsun).sum())
            total += lit.size
            both_lit += int((lit & lit_rsun).sum())
            both_shade += int((~lit & ~lit_rsun).sum())
            lit_r += int(lit_rsun.sum())
            lit_p += int(lit.sum())
            w = float(np.percentile(beam, UNSHADED_PERCENTILE))
            num_r += np.minimum(beam / w, 1.0) * w
            num_p += lit * w
            den += w
        po = agree / total
        pe = (lit_r * lit_p + (total - lit_r) * (total - lit_p)) / total**2
        kappa = (po - pe) / (1 - pe)
        share_r, share_p = (num_r / den).ravel(), (num_p / den).ravel()
        bias = float(np.mean(share_p - share_r))
        rmse = float(np.sqrt(np.mean((share_p - share_r) ** 2)))
        corr = float(np.corrcoef(share_p, share_r)[0, 1])
        print(f"Window {args.size} × {args.size} px ({args.size * res / 1000:.2f} km square, "
              f"{res:g} m) at the sample DSM's centre ({lat:.4f}° N, {lon:.4f}° E); "
              f"{used} instants (12 days × solar hours {args.hours[0]}–{args.hours[1]}, sun "
              "above 1°).\n")
        print("| measure | value |\n|---|---:|")
        print(f"| lit/shaded agreement, all pixel-instants | {100 * po:.2f} % |")
        print(f"| Cohen's kappa | {kappa:.3f} |")
        print(f"| pixels lit: r.sun / peakmap | {100 * lit_r / total:.1f} % / "
              f"{100 * lit_p / total:.1f} % |")
        print(f"| per-pixel share of unshaded beam: mean r.sun / peakmap | "
              f"{share_r.mean():.3f} / {share_p.mean():.3f} |")
        print(f"| per-pixel bias (peakmap − r.sun) | {bias:+.4f} |")
        print(f"| per-pixel RMSE | {rmse:.4f} |")
        print(f"| per-pixel Pearson correlation | {corr:.4f} |")
        print(f"| time: r.sun ({used + len(instants) - used} runs, 1 thread) | {t_rsun:.1f} s |")
        print(f"| time: peakmap lit_mask ({used} sun positions) | {t_pm:.2f} s |")
        print(f"| speed ratio | {t_rsun / max(t_pm, 1e-9):.0f}× |")


if __name__ == "__main__":
    # the printed tables also go to bench-output/compare_rsun.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main()))
