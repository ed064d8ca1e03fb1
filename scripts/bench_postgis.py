"""peakmap against PostGIS and naive geopandas on the same indicators (``make bench-postgis``).

For each scale K (the Heping sample tiled K times, built without DSM into
``bench-output/report/heping_x{K}``, shared with bench_report.py):

1. load the store's layers into a throw-away local PostGIS cluster (scripts/pg_local.py:
   Unix socket only) through GDAL's PGDUMP driver and psql COPY, with GiST indexes and ANALYZE;
2. run the SQL a competent PostGIS user would write for HP-04, HP-18 and STD-PARK-500 at every
   level (scripts/postgis/*.sql), timed per file, with the server processes' peak PSS;
3. run ``peakmap report --id HP-04 --id HP-18 --id STD-PARK-500 --level all --format json`` in
   a fresh process (CLI wall time and peak RSS; peakmap's modules compiled to bytecode first,
   as an installed package has them), and the same three rows through ``compute_records``
   inside one process (compute time, without imports and start-up), on the default
   threads and on one thread (``[params.overlay] workers = 1``), with the process's CPU time;
4. run the naive geopandas way (dissolve, ``geopandas.overlay``, buffer) in a fresh process;
5. check that all three give the same value for every indicator, level and zone, and print the
   side-by-side table (also written to ``bench-output/postgis/results.json``).

Every peakmap and PostGIS measurement runs ``--runs`` times (3 unless told), in rounds: each
round times the CLI, the compute on the default threads, the compute on one thread and the
PostGIS SQL, one after another, so that the host's speed, which drifts by a third between
minutes on this machine, moves both systems of a round alike. The ratios ("compute vs
PostGIS", "CLI vs PostGIS") are the medians of the rounds' own ratios; the times are the
medians of the runs, with every run in ``results.json``. One untimed round comes first
(``--warmup``, 1 unless told): a freshly loaded cluster reads its tables and indexes into
shared buffers on its first queries, and the CLI's first run after a build reads the store and
the modules from disk. The cluster is checkpointed after the load, so that the load's writes
do not fall inside any timed run; it stays up, idle, while peakmap runs. The naive way runs
once (it is the slow reference, not a target).

Usage: ``python scripts/bench_postgis.py [--scales 1 10 30] [--runs N] [--warmup N]
[--no-naive-above K]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_report import compile_sources, project_at  # noqa: E402
from benchjson import record_run  # noqa: E402
from pg_local import LocalCluster, PeakMemory  # noqa: E402

OUT = ROOT / "bench-output" / "postgis"
IDS = ("HP-04", "HP-18", "STD-PARK-500")
LAYERS = ("districts", "streets", "communities", "green_spaces", "pocket_parks", "sponge_zones",
          "landuse")
SQL_FILES = ("hp04.sql", "hp18.sql", "park500.sql")
Values = dict[tuple[str, str, str], float | None]
# largest accepted difference (m² for HP-04, percentage points for shares): the CLI rounds
# values to 2 decimals (half a step), plus GEOS noise relative to the value
ROUNDING = 0.005
REL_NOISE = 1e-6


# Runs a child's ``-m module`` or ``-c code`` and prints its own peak resident memory (VmHWM
# of its address space) at exit. The kernel's ru_maxrss of a child is no use here: a child
# forked from this process inherits this process's high-water mark, which is already large.
HWM_WRAPPER = """
import atexit, resource, runpy, sys
def _hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            sys.stderr.write('\\nBENCH_VMHWM_KB ' + line.split()[1] + '\\n')
    use = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write('BENCH_CPU_S ' + repr(use.ru_utime + use.ru_stime) + '\\n')
atexit.register(_hwm)
mode, target, *rest = sys.argv[1:]
if mode == '-m':
    sys.argv = [target, *rest]
    runpy.run_module(target, run_name='__main__', alter_sys=True)
else:
    sys.argv = ['-c', *rest]
    exec(compile(target, '<bench>', 'exec'), {'__name__': '__main__'})
"""


def run_rusage(cmd: list[str]) -> tuple[float, int, str, float]:
    """Wall time (s), peak RSS (bytes), stdout and CPU time (user + system, s) of a Python
    child (``python -m``/``-c``)."""
    assert cmd[0] == sys.executable and cmd[1] in ("-m", "-c")
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", HWM_WRAPPER, *cmd[1:]], capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed: {done.stderr.strip()[-2000:]}")
    marks = [ln for ln in done.stderr.splitlines() if ln.startswith("BENCH_VMHWM_KB ")]
    cpu = [ln for ln in done.stderr.splitlines() if ln.startswith("BENCH_CPU_S ")]
    return wall, int(marks[-1].split()[1]) * 1024, done.stdout, float(cpu[-1].split()[1])


# ---------------------------------------------------------------------------- PostGIS

def load_store(pg: LocalCluster, project: Path, work: Path) -> float:
    """Dump the store's layers with GDAL PGDUMP (COPY) and load them with psql; seconds."""
    import geopandas as gpd
    import pyogrio

    pyogrio.set_gdal_config_options({"PG_USE_COPY": "YES"})
    store = project / "build" / "peakmap.gpkg"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for name in LAYERS:
        frame = gpd.read_file(store, layer=name)
        dump = work / f"{name}.sql"
        pyogrio.write_dataframe(
            frame, dump, layer=name, driver="PGDUMP",
            layer_options={"GEOMETRY_NAME": "geom", "SRID": str(frame.crs.to_epsg()),
                           "CREATE_SCHEMA": "OFF", "FID": "fid", "GEOM_TYPE": "geometry"},
        )
        pg.psql("-f", str(dump))
    pg.psql("-c", "ANALYZE")
    return time.perf_counter() - t0


def historic_streets(project: Path) -> list[str]:
    """The project's historic streets ([params.coverage] historic_streets, catalog default)."""
    from layers.params import CoverageParams
    from layers.project import Project

    return [str(c) for c in Project(project).params(CoverageParams).historic_streets]


def postgis_values(
    pg: LocalCluster, year: int, historic: list[str]
) -> tuple[dict[str, float], float, int, str]:
    """Run the SQL files; per-file seconds, total seconds, peak PSS and the CSV of values."""
    times: dict[str, float] = {}
    with PeakMemory(pg) as mem:
        for name in SQL_FILES:
            t0 = time.perf_counter()
            quoted = ",".join(f"'{c}'" for c in historic) or "''"
            pg.psql("-v", f"year={year}", "-v", f"historic={quoted}",
                    "-f", str(HERE / "postgis" / name))
            times[name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        csv_text = pg.psql("-f", str(HERE / "postgis" / "levels.sql"))
        times["levels.sql"] = time.perf_counter() - t0
    return times, sum(times.values()), mem.peak, csv_text


def median_run(runs: list[float]) -> float:
    """The median of the runs (the lower middle one for an even count: a run that happened)."""
    return sorted(runs)[(len(runs) - 1) // 2]


def parse_postgis(csv_text: str) -> Values:
    import csv
    import io

    values: Values = {}
    for row in csv.DictReader(io.StringIO(csv_text)):
        num = float(row["num"]) if row["num"] else 0.0
        den = float(row["den"]) if row["den"] else None
        if row["indicator"] == "HP-04":
            value: float | None = num
        else:
            value = None if not den else 100.0 * num / den
        values[(row["indicator"], row["level"], row["zone_code"])] = value
    return values


# ---------------------------------------------------------------------------- peakmap

# argv: project, ids, and optionally the overlay threads ([params.overlay] workers, put in the
# catalog's parameters, which the project's manifest would override: the benchmark's has none)
COMPUTE_SNIPPET = """
import json, sys, time
from pathlib import Path
from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records, import_themes
from layers.project import Project
import_themes()
project = Project(Path(sys.argv[1]))
catalog = read_catalog(project.targets_path, root=project.root)
if len(sys.argv) > 3:
    catalog.params.setdefault("overlay", {})["workers"] = int(sys.argv[3])
t0, c0 = time.perf_counter(), time.process_time()
records = compute_records(project, ids=sys.argv[2].split(","), catalog=catalog)
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""


def peakmap_cli(project: Path) -> tuple[float, int, Values, float]:
    """Wall time (s), peak RSS (bytes), values and CPU time (s) of the report command."""
    # a full report run before (bench_walk.py, the same code) leaves a results cache that
    # holds these rows: removed, so that the CLI computes them
    shutil.rmtree(project / "build" / "cache", ignore_errors=True)
    args = [a for i in IDS for a in ("--id", i)]
    wall, rss, out, cpu = run_rusage(
        [sys.executable, "-m", "peakmap", "report", str(project), *args, "--level", "all",
         "--format", "json"]
    )
    values = {
        (r["indicator"], r["level"], str(r["zone_code"])): r["value"] for r in json.loads(out)
    }
    return wall, rss, values, cpu


def peakmap_compute(project: Path, workers: int | None = None) -> tuple[float, int, float]:
    """Compute time (s), peak RSS (bytes) and CPU time (s) of the rows in a fresh process.

    ``workers``: the overlay threads; None = the default (min(2, CPU count)).
    """
    extra = [] if workers is None else [str(workers)]
    _, rss, out, _ = run_rusage(
        [sys.executable, "-c", COMPUTE_SNIPPET, str(project), ",".join(IDS), *extra])
    got = json.loads(out.strip().splitlines()[-1])
    return float(got["seconds"]), rss, float(got["cpu"])


# ---------------------------------------------------------------------------- naive

NAIVE_SNIPPET = """
import json, sys, time
import geopandas as gpd, numpy as np, pandas as pd
store, year = sys.argv[1], int(sys.argv[2])
HISTORIC = [c for c in sys.argv[3].split(",") if c]
t0 = time.perf_counter()
read = lambda n: gpd.read_file(store, layer=n)
comm = read("communities")[["code", "street_code", "geometry"]]
streets = read("streets")[["code", "district_code"]]
green, pocket = read("green_spaces"), read("pocket_parks")
landuse, sponge = read("landuse"), read("sponge_zones")
green = green[~(green["built_year"] > year)]
pocket = pocket[~(pocket["built_year"] > year)] if "built_year" in pocket else pocket
def area_in(layer):
    cut = gpd.overlay(layer[["geometry"]].dissolve(), comm, how="intersection", keep_geom_type=True)
    return cut.area.groupby(cut["code"]).sum()
hp04_g = green[green["class"].isin(["G11","G12","G13","G14","G2","XG","EG"])]
hp04_p = pocket[pocket["status"].isna() | (pocket["status"] == "existing")]
hp04 = area_in(pd.concat([hp04_g[["geometry"]], hp04_p[["geometry"]]], ignore_index=True))
built = landuse[landuse["built_up"].astype(bool)][["geometry"]].dissolve()
cov = gpd.overlay(sponge[sponge["compliant"].astype(bool)][["geometry"]].dissolve(), built,
                  how="intersection", keep_geom_type=True)
hp18_num, hp18_den = area_in(cov), area_in(built)
res = landuse[landuse["code"].astype(str).str.strip().str.upper().str.startswith("R")]
parks_g = green[green["class"].isin(["G11","G12","G13","G14","G3"])]
parks_p = pocket[pocket["status"].fillna("existing") != "planned"]
parks = pd.concat([parks_g[["geometry"]], parks_p[["geometry"]]], ignore_index=True)
merged = gpd.GeoDataFrame(geometry=list(parks.union_all().geoms), crs=parks.crs)
where = gpd.sjoin(merged.set_geometry(merged.representative_point()),
                  comm[["street_code", "geometry"]], predicate="intersects")
hist = merged.index.isin(where.index[where["street_code"].astype(str).isin(HISTORIC)])
area = merged.area
radius = np.where(area >= 5000, 500.0, np.where(area >= 2000, 300.0,
                  np.where(hist & (area >= 1000), 300.0, 0.0)))
keep = radius > 0
reach = gpd.GeoDataFrame(geometry=merged.geometry[keep].buffer(radius[keep], quad_segs=32),
                         crs=parks.crs).dissolve()
res_c = gpd.overlay(res[["geometry"]].dissolve(), comm, how="intersection", keep_geom_type=True)
p_den = res_c.area.groupby(res_c["code"]).sum()
hit = gpd.overlay(res_c, reach, how="intersection", keep_geom_type=True)
p_num = hit.area.groupby(hit["code"]).sum()
seconds = time.perf_counter() - t0
out = []
sc = comm.set_index("code")["street_code"]
dc = streets.set_index("code")["district_code"]
def emit(ind, num, den):
    f = pd.DataFrame({"num": num, "den": den}).reindex(comm["code"]).fillna({"num": 0.0})
    f["street"], f["district"] = sc.reindex(f.index).values, dc.reindex(sc.reindex(f.index)).values
    for level, key in (("community", None), ("street", "street"), ("district", "district")):
        g = f if key is None else f.groupby(key)[["num", "den"]].sum(min_count=1)
        for code, r in g.iterrows():
            den = None if pd.isna(r["den"]) else float(r["den"])
            out.append([ind, level, str(code), float(r["num"]), den])
emit("HP-04", hp04, float("nan"))
emit("HP-18", hp18_num, hp18_den)
emit("STD-PARK-500", p_num, p_den)
print(json.dumps({"seconds": seconds, "rows": out}))
"""


def naive(project: Path, year: int) -> tuple[float, float, int, Values]:
    wall, rss, out, _ = run_rusage(
        [sys.executable, "-c", NAIVE_SNIPPET, str(project / "build" / "peakmap.gpkg"), str(year),
         ",".join(historic_streets(project))]
    )
    data = json.loads(out.strip().splitlines()[-1])
    values: Values = {}
    for ind, level, code, num, den in data["rows"]:
        if ind == "HP-04":
            values[(ind, level, code)] = num
        else:
            values[(ind, level, code)] = None if not den else 100.0 * num / den
    return float(data["seconds"]), wall, rss, values


# ---------------------------------------------------------------------------- compare

def largest_difference(ref: Values, other: Values) -> tuple[dict[str, float], bool]:
    """Largest difference per indicator (m² or percentage points), and whether all agree."""
    worst: dict[str, float] = dict.fromkeys(IDS, 0.0)
    ok = True
    for key, value in ref.items():
        ind = key[0]
        got = other.get(key, 0.0 if ind == "HP-04" else None)
        if value is None or got is None:
            if (value or 0.0) != (got or 0.0):  # a value on one side only
                worst[ind], ok = float("inf"), False
            continue
        diff = abs(value - got)
        worst[ind] = max(worst[ind], diff)
        ok &= diff <= ROUNDING + REL_NOISE * max(abs(value), 1.0)
    return worst, ok


def main(argv: list[str]) -> int:
    scales = [1, 10, 30]
    if "--scales" in argv:  # the numbers up to the next option
        after = argv[argv.index("--scales") + 1:]
        ends = [i for i, a in enumerate(after) if a.startswith("--")]
        scales = [int(s) for s in after[: ends[0] if ends else len(after)]]
    naive_max = int(argv[argv.index("--no-naive-above") + 1]) if "--no-naive-above" in argv \
        else 30
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    warmup = int(argv[argv.index("--warmup") + 1]) if "--warmup" in argv else 1
    if runs < 1 or warmup < 0:
        print("error: --runs must be at least 1, --warmup at least 0", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    compile_sources()  # the CLI is timed as installed: its bytecode written
    results = []
    ok = True
    for k in scales:
        project = project_at(k)
        from layers.project import Project

        year = int(Project(project).manifest.project.year or time.localtime().tm_year)
        print(f"(scale {k}: loading PostGIS)", flush=True)
        cli_runs, compute_runs, one_thread, pg_runs = [], [], [], []
        with LocalCluster(OUT / f"pg_x{k}") as pg:
            load_s = load_store(pg, project, OUT / f"dump_x{k}")
            pg.psql("-c", "CHECKPOINT")  # the load's writes done before anything is timed
            historic = historic_streets(project)
            print(f"(scale {k}: {warmup} untimed and {runs} timed rounds of peakmap CLI, "
                  "compute, compute on 1 thread, PostGIS)", flush=True)
            for i in range(warmup + runs):
                rnd = (peakmap_cli(project), peakmap_compute(project),
                       peakmap_compute(project, workers=1), postgis_values(pg, year, historic))
                if i >= warmup:
                    cli_runs.append(rnd[0])
                    compute_runs.append(rnd[1])
                    one_thread.append(rnd[2])
                    pg_runs.append(rnd[3])
        pm_values = cli_runs[-1][2]
        if any(r[2] != pm_values for r in cli_runs):
            print(f"error: scale {k}: the CLI's runs printed different values", file=sys.stderr)
            ok = False
        cli_walls = [r[0] for r in cli_runs]
        compute_secs = [r[0] for r in compute_runs]
        pg_totals = [r[1] for r in pg_runs]
        pg_median = median_run(pg_totals)
        pg_times, _, _, csv_text = pg_runs[pg_totals.index(pg_median)]
        pg_values = parse_postgis(csv_text)
        row: dict[str, Any] = {
            "scale": k, "year": year, "runs": runs, "warmup": warmup, "postgis_load_s": load_s,
            "postgis_s": pg_median, "postgis_runs_s": pg_totals,
            "postgis_files_s": pg_times,
            "postgis_peak_pss_mb": max(r[2] for r in pg_runs) / 2**20,
            "peakmap_cli_s": median_run(cli_walls), "peakmap_cli_runs_s": cli_walls,
            "peakmap_cli_rss_mb": max(r[1] for r in cli_runs) / 2**20,
            "peakmap_cli_cpu_s": median_run([r[3] for r in cli_runs]),
            "peakmap_cli_cpu_runs_s": [r[3] for r in cli_runs],
            "peakmap_compute_s": median_run(compute_secs),
            "peakmap_compute_runs_s": compute_secs,
            "peakmap_compute_rss_mb": max(r[1] for r in compute_runs) / 2**20,
            "peakmap_compute_cpu_s": median_run([r[2] for r in compute_runs]),
            "peakmap_compute_1thread_s": median_run([r[0] for r in one_thread]),
            "peakmap_compute_1thread_runs_s": [r[0] for r in one_thread],
            "peakmap_compute_1thread_cpu_s": median_run([r[2] for r in one_thread]),
            "records": len(pm_values),
            # PostGIS / peakmap of each round, and their medians (the table's ratios)
            "cli_ratio_runs": [p / c for p, c in zip(pg_totals, cli_walls, strict=True)],
            "compute_ratio_runs": [p / c for p, c in zip(pg_totals, compute_secs, strict=True)],
        }
        row["cli_ratio"] = median_run(row["cli_ratio_runs"])
        row["compute_ratio"] = median_run(row["compute_ratio_runs"])
        worst_pg, same = largest_difference(pm_values, pg_values)
        row["max_diff_postgis"] = worst_pg
        ok &= same
        if k <= naive_max:
            print(f"(scale {k}: naive geopandas)", flush=True)
            n_s, n_wall, n_rss, n_values = naive(project, year)
            worst_n, same = largest_difference(pm_values, n_values)
            row.update(naive_s=n_s, naive_wall_s=n_wall, naive_rss_mb=n_rss / 2**20,
                       max_diff_naive=worst_n)
            ok &= same
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n{runs} rounds (CLI, compute, compute on 1 thread, PostGIS in turn) after "
          f"{warmup} untimed; times: median of the runs (every run in results.json); ratios: "
          "median of the rounds' own PostGIS / peakmap ratios; naive geopandas one run.")
    print("\n| K | records | peakmap CLI wall (s) | peakmap compute (s) | PostGIS (s) | "
          "naive geopandas (s) | compute vs PostGIS | CLI vs PostGIS | peak memory "
          "peakmap CLI / PostGIS server / naive (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        naive_txt = f"{r['naive_s']:.1f}" if "naive_s" in r else "—"
        naive_mem = f"{r['naive_rss_mb']:.0f}" if "naive_rss_mb" in r else "—"
        print(f"| {r['scale']} | {r['records']:,} | {r['peakmap_cli_s']:.1f} | "
              f"{r['peakmap_compute_s']:.2f} | {r['postgis_s']:.2f} | {naive_txt} | "
              f"{r['compute_ratio']:.2f}× | {r['cli_ratio']:.2f}× | "
              f"{r['peakmap_cli_rss_mb']:.0f} / {r['postgis_peak_pss_mb']:.0f} / {naive_mem} |")
    print(f"\nThe compute on one thread and on the default min(2, CPU count) = "
          f"{min(2, os.cpu_count() or 1)} threads ([params.overlay] workers), median of {runs} "
          "runs each, wall and CPU time of the process:")
    print("\n| K | 1 thread wall (s) | 1 thread CPU (s) | default threads wall (s) | "
          "default threads CPU (s) | wall speed-up |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['scale']} | {r['peakmap_compute_1thread_s']:.2f} | "
              f"{r['peakmap_compute_1thread_cpu_s']:.2f} | {r['peakmap_compute_s']:.2f} | "
              f"{r['peakmap_compute_cpu_s']:.2f} | "
              f"{r['peakmap_compute_1thread_s'] / r['peakmap_compute_s']:.2f}× |")

    print("\nEvery round, in order: the CLI's wall and CPU time (user + system) of the "
          "process, PostGIS's time, and their ratio:")
    print("\n| K | CLI wall, each run (s) | CLI CPU, each run (s) | PostGIS, each run (s) | "
          "CLI vs PostGIS, each round |")
    print("|---:|---|---|---|---|")

    def each(xs: list[float], unit: str = "") -> str:
        return " / ".join(f"{x:.2f}{unit}" for x in xs)

    for r in results:
        print(f"| {r['scale']} | {each(r['peakmap_cli_runs_s'])} | "
              f"{each(r['peakmap_cli_cpu_runs_s'])} | {each(r['postgis_runs_s'])} | "
              f"{each(r['cli_ratio_runs'], '×')} |")

    def fmt(worst: dict[str, float]) -> str:
        return ", ".join(f"{i} {w:.3g}" for i, w in worst.items())

    print("\nLargest differences from peakmap (HP-04 in m², shares in percentage points; "
          "peakmap prints 2 decimals):")
    for r in results:
        naive_txt = f"; naive: {fmt(r['max_diff_naive'])}" if "max_diff_naive" in r else ""
        print(f"- K = {r['scale']}: PostGIS: {fmt(r['max_diff_postgis'])}{naive_txt}")
    if not ok:
        print("error: the three systems disagree beyond the tolerance", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    # the printed tables also go to bench-output/bench_postgis.json (scripts/benchjson.py)
    sys.exit(record_run(lambda: main(sys.argv[1:])))
