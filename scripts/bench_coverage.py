"""Benchmark park service-radius coverage (STD-PARK-500) for every street, both distance modes.

The Heping sample is built once into a temporary copy, then tiled K times side by side (new
zone codes, same rules) for the larger instances. Measured in the same run:

- peakmap straight: the ``STD-PARK-500`` row through the indicator engine (STRtree pairs,
  pieces wholly inside a buffer kept as they are, one union per partly covered piece);
- peakmap walking: the ``STD-PARK-500-walk`` row (graph from roads, 10 m sample grid,
  one multi-source Dijkstra per radius class, scipy);
- naive loop: buffer every park one by one and union it into an accumulator, then for each
  street clip residential land (geopandas overlay) and intersect with the accumulator;
- geopandas: ``buffer`` + ``union_all`` of all parks, overlay of residential land with streets,
  one intersection per piece (the idiomatic vectorised alternative).

The naive loop grows quadratically; it is run only up to ``--naive-max`` copies.
``--project PATH`` measures an already built project instead (e.g. one made with
``peakmap sample --scale 30`` and ``peakmap build``, whose copies are fresh draws; generating
and building that takes about three minutes, so it is not done here).

Usage: ``python scripts/bench_coverage.py [--scales 1 5 30] [--naive-max 30] [--project PATH]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchjson import record_run  # noqa: E402

from gis.io import write_gpkg_atomic  # noqa: E402
from layers.build import build_project  # noqa: E402
from layers.coverage import load_presets  # noqa: E402
from layers.indicators.catalog import Catalog, read_catalog  # noqa: E402
from layers.indicators.engine import compute_records  # noqa: E402
from layers.project import Project  # noqa: E402

SAMPLE = ROOT / "data" / "heping"
STANDARDS = ROOT / "layers" / "catalogs" / "standards.toml"
LAYERS = ("districts", "streets", "communities", "landuse", "green_spaces", "pocket_parks",
          "roads")
CODE_FIELDS = ("code", "street_code", "district_code")
GAP_M = 1000.0
RADIUS_M = 500.0
PERCENT = 100.0


def build_sample(tmp: Path) -> Path:
    """Copy the committed sample without its DSM (not needed here) and build it."""
    dest = tmp / "heping"
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("build", "*.tif"))
    manifest = dest / "project.toml"
    text = re.sub(r"\[rasters\.dsm\][^\[]*", "", manifest.read_text(encoding="utf-8"))
    manifest.write_text(text, encoding="utf-8")
    build_project(dest, run_steps=False)
    return dest


def tile(base: Path, k: int, tmp: Path) -> Path:
    """A project holding ``k`` side-by-side copies of the built sample's layers."""
    if k == 1:
        return base
    store = Project(base).store
    frames = {name: store.read(name) for name in LAYERS}
    minx, _, maxx, _ = frames["districts"].total_bounds
    dx = maxx - minx + GAP_M
    out: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in frames.items():
        copies = []
        for i in range(k):
            c = frame.copy()
            c["geometry"] = c.geometry.translate(xoff=i * dx)
            for f in CODE_FIELDS:
                if f in c.columns and name in ("districts", "streets", "communities"):
                    c[f] = c[f].astype(str) + f"-{i:02d}"
            copies.append(c)
        out[name] = gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=frame.crs)
    dest = tmp / f"tiled{k}"
    (dest / "build").mkdir(parents=True)
    shutil.copy(base / "project.toml", dest / "project.toml")
    write_gpkg_atomic(dest / "build" / "peakmap.gpkg", out)
    return dest


def peakmap_row(project_dir: Path, ident: str) -> tuple[float, pd.Series]:
    cat = read_catalog(STANDARDS)
    spec = next(s for s in cat.indicators if s.id == ident)
    t0 = time.perf_counter()
    recs = compute_records(Project(project_dir), catalog=Catalog([spec], params=cat.params))
    dt = time.perf_counter() - t0
    streets = {r.zone_code: r.value for r in recs if r.level == "street"}
    return dt, pd.Series(streets, dtype=float)


def _inputs(project_dir: Path) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    path = project_dir / "build" / "peakmap.gpkg"
    preset = load_presets()["gbt51346"]
    green = gpd.read_file(path, layer="green_spaces")
    pocket = gpd.read_file(path, layer="pocket_parks")
    pocket = pocket[pocket["status"].fillna("existing") != "planned"]
    parks = pd.concat(
        [green[green["class"].isin(preset.green_classes)].geometry, pocket.geometry]
    )
    # a park is the dissolved polygon of touching pieces, as the standard measures it
    parks = gpd.GeoSeries(shapely.get_parts(shapely.union_all(parks.values)), crs=green.crs)
    landuse = gpd.read_file(path, layer="landuse")
    res = landuse[landuse["code"].astype(str).str.upper().str.startswith("R")][["geometry"]]
    streets = gpd.read_file(path, layer="streets")[["code", "geometry"]]
    return parks, res, streets


def _shares(pieces: gpd.GeoDataFrame, served: shapely.Geometry) -> pd.Series:
    pieces = pieces.assign(
        covered=shapely.area(shapely.intersection(pieces.geometry.values, served)),
        area=pieces.geometry.area,
    )
    by = pieces.groupby("code")[["covered", "area"]].sum()
    return PERCENT * by["covered"] / by["area"]


def naive_loop(project_dir: Path) -> tuple[float, pd.Series]:
    t0 = time.perf_counter()
    parks, res, streets = _inputs(project_dir)
    served = None
    for geom in parks.values:  # the obvious loop: one buffer, one union at a time
        buf = geom.buffer(RADIUS_M, quad_segs=32)
        served = buf if served is None else served.union(buf)
    rows = {}
    for code, street in zip(streets["code"], streets.geometry, strict=True):
        part = gpd.overlay(res, gpd.GeoDataFrame(geometry=[street], crs=res.crs))
        area = part.geometry.area.sum()
        rows[code] = PERCENT * part.geometry.intersection(served).area.sum() / area
    return time.perf_counter() - t0, pd.Series(rows, dtype=float)


def geopandas_union(project_dir: Path) -> tuple[float, pd.Series]:
    t0 = time.perf_counter()
    parks, res, streets = _inputs(project_dir)
    served = parks.buffer(RADIUS_M, quad_segs=32).union_all()
    pieces = gpd.overlay(res, streets, how="intersection")
    shares = _shares(pieces, served)
    return time.perf_counter() - t0, shares


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scales", type=int, nargs="+", default=[1, 5, 30])
    ap.add_argument("--naive-max", type=int, default=30)
    ap.add_argument("--project", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_coverage_") as tmpdir:
        tmp = Path(tmpdir)
        if args.project:
            runs = [(len(Project(args.project).store.read("districts")), args.project)]
        else:
            base = build_sample(tmp)
            runs = [(k, tile(base, k, tmp)) for k in args.scales]
        for k, proj in runs:
            t_s, v_s = peakmap_row(proj, "STD-PARK-500")
            t_w, v_w = peakmap_row(proj, "STD-PARK-500-walk")
            t_g, v_g = geopandas_union(proj)
            diff_g = float((v_s - v_g.reindex(v_s.index)).abs().max())
            t_n, diff_n = float("nan"), float("nan")
            if k <= args.naive_max:
                t_n, v_n = naive_loop(proj)
                diff_n = float((v_s - v_n.reindex(v_s.index)).abs().max())
            rows.append((k, len(v_s), t_s, t_w, t_g, t_n, diff_g, diff_n,
                         float((v_w <= v_s + 0.01).mean())))
    print("| copies | streets | peakmap straight s | peakmap walk s | geopandas union+overlay s "
          "| naive loop s | geopandas ÷ straight | naive ÷ straight | max diff vs geopandas pp "
          "| max diff vs naive pp | walk ≤ straight |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for k, n, t_s, t_w, t_g, t_n, d_g, d_n, ok in rows:
        naive = f"{t_n:.2f}" if np.isfinite(t_n) else "not run"
        ratio_n = f"{t_n / t_s:.1f}×" if np.isfinite(t_n) else "—"
        dn = f"{d_n:.3f}" if np.isfinite(d_n) else "—"
        print(f"| {k} | {n} | {t_s:.2f} | {t_w:.2f} | {t_g:.2f} | {naive} | {t_g / t_s:.1f}× "
              f"| {ratio_n} | {d_g:.3f} | {dn} | {ok:.0%} |")
    return 0


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_coverage.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
