"""Walking coverage (the ``*-walk`` rows) with peakmap, igraph and pandana on the same graph.

On the Heping sample tiled K times (built without DSM as ``scripts/bench_report.py`` does):

1. peakmap computes the ``*-walk`` catalog rows through its indicator engine in this process,
   cold (reading the layers, building the walking graph, snapping, searching).
2. From the same walking graph, the same demand points (the 10 m grid samples of residential
   land, the homes, and for HP-10/11 a representative point of each community without homes)
   and the same facility access points, snapped as peakmap snaps them (shared input), the
   walking distances are computed again by
   - python-igraph: every demand point and access point inserted into the road graph as a node,
     one virtual vertex per facility set and radius joined to its access points by their
     lateral offsets, ``Graph.distances`` from it (full Dijkstra, directed copy so that no path
     passes through another virtual vertex);
   - pandana: the same inserted graph, each access point a leaf at its own position hanging
     on the road by its offset, one POI category per facility set and radius,
     ``Network.nearest_pois`` with the radius (contraction hierarchies).
   From these distances each row's community values are made by the catalog's definitions
   (covered sample share × piece area capped by the piece's straight-line covered area, which
   is shared input; households; complete communities) and compared with peakmap's records,
   and every demand point's covered flag with peakmap's ``point_coverage``.
3. ``peakmap report PROJECT --level all --format json`` (every row, walking included) in a
   fresh process at the largest K, results cache removed: wall, CPU and peak memory.

Exit status 1 when a community value differs by more than peakmap's printed rounding (0.005)
plus 1e-6, or when a point's covered flag differs.

Usage: ``python scripts/bench_walk.py [--scales 1 10 30] [--report-scale 30] [--no-pandana]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_report import compile_sources, project_at  # noqa: E402
from benchjson import record_run  # noqa: E402

TOLERANCE_PP = 0.005 + 1e-6  # peakmap prints values to two decimals
SLACK = 1e-6  # gis.network.LIMIT_SLACK
#: pandana keeps distances in single precision: measured ≤ 0.02 % off the double-precision
#: distances; a point that close to its radius may fall on either side of it.
PANDANA_REL = 5e-4


@contextlib.contextmanager
def quiet_fd1() -> Iterator[None]:
    """Silence C++ progress printing (pandana writes to file descriptor 1)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def walk_ids(project: Path) -> list[str]:
    from layers.indicators.catalog import load_catalog

    return [s.id for s in load_catalog(project / "targets.toml") if s.id.endswith("-walk")]


def full_report(project: Path) -> tuple[float, float, float, int]:
    """Wall, CPU (s) and peak RSS (MB) of a fresh ``peakmap report`` process; record count."""
    shutil.rmtree(project / "build" / "cache", ignore_errors=True)
    compile_sources()  # the CLI is timed as installed: its bytecode written
    out = project / "build" / "bench_walk_report.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "peakmap", "report", str(project), "--level", "all",
             "--format", "json"], stdout=fh, stderr=subprocess.DEVNULL, env=env,
        )
        _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"peakmap report {project} failed (status {status})")
    n = len(json.loads(out.read_text(encoding="utf-8")))
    out.unlink()
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, n


# ---------------------------------------------------------------- the shared instance


@dataclass
class Group:
    """One facility set at one radius: its snapped access points."""

    name: str
    radius: float
    edge: np.ndarray
    t: np.ndarray
    offset: np.ndarray
    xy: np.ndarray  # the access points' own positions


@dataclass
class Row:
    """One ``*-walk`` row: its demand, facility groups and how values are made."""

    ident: str
    kind: str  # area | households | complete
    demand: str  # samples | homes | centres
    groups: list[list[str]]  # area/households: [names]; complete: one list per type
    extra: dict[str, Any]


def _access(ctx: Any, graph: Any, fac: np.ndarray, radius: float, name: str) -> Group:
    """Access points as peakmap makes them (gis.walkcover): boundary every access_spacing m
    within entrance_snap of a road, point facilities within demand_snap."""
    from gis.network import boundary_access_points, snap_to_graph
    from layers.walkgraph import walk_options

    opts = walk_options(ctx)
    poly = np.isin(shapely.get_type_id(fac), [3, 6])
    access, _ = boundary_access_points(fac[poly], spacing=opts.access_spacing)
    pts = np.concatenate([access, fac[~poly]])
    a = snap_to_graph(graph, access, max_distance=opts.entrance_snap)
    b = snap_to_graph(graph, fac[~poly], max_distance=opts.demand_snap)
    return Group(
        name, radius, np.concatenate([a.edge, b.edge]), np.concatenate([a.t, b.t]),
        np.concatenate([a.offset, b.offset]), shapely.get_coordinates(pts),
    )


def instance(project: Path) -> dict[str, Any]:
    """Everything both references need, taken from peakmap's layers and parameters."""
    from layers.coverage import coverage_params, park_facilities, preset_of
    from layers.demand import residential_homes, residential_land, residential_samples
    from layers.indicators.catalog import load_catalog
    from layers.indicators.engine import metric_context
    from layers.indicators.inputs import community_geoms, filter_frame, read_layer, resolve_value
    from layers.project import Project
    from layers.walkgraph import walk_graph, walk_options

    ctx = metric_context(Project(project))
    graph = walk_graph(ctx)
    opts = walk_options(ctx)
    params = coverage_params(ctx)
    pieces, piece_zone = residential_land(ctx)
    samples, owner = residential_samples(ctx, opts.grid_spacing)
    homes = residential_homes(ctx)
    n = len(ctx.communities)
    has = np.bincount(homes.zone, homes.households, minlength=n) > 0
    empty = np.flatnonzero(~has)
    centres = np.concatenate([homes.points, shapely.point_on_surface(community_geoms(ctx)[empty])])
    centre_w = np.concatenate([homes.households, np.ones(len(empty))])
    centre_zone = np.concatenate([homes.zone, empty])
    groups: dict[str, Group] = {}
    facilities: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows: list[Row] = []
    specs = {s.id: s for s in load_catalog(project / "targets.toml")}
    for ident in walk_ids(project):
        p = dict(specs[ident].params)
        target = p.get("target", "parks")
        if target == "parks":
            preset = preset_of(ctx, p)
            fac, radii = park_facilities(ctx, preset)
            key = f"parks:{preset.name}"
            weight = p.get("weight", "area")
        elif target == "points":
            layer = str(p.get("layer", "recycling_points"))
            entry = {**p, "where": p.get("where", {"kind": params.recycling_kinds})}
            frame = filter_frame(ctx, read_layer(ctx, layer), entry, layer_name=layer)
            fac = np.asarray(frame.geometry.values, dtype=object)
            r = float(resolve_value(ctx, p.get("radius", params.recycling_radius_m)))
            radii = np.full(len(fac), r)
            key = f"points:{layer}:{r:g}"
            weight = p.get("weight", "households")
        else:
            types = resolve_value(ctx, p.get("facilities", params.complete_facilities))
            share = float(resolve_value(ctx, p.get("min_share", params.complete_min_share)))
            layer = read_layer(ctx, "facilities")
            per_type = []
            for ftype, radius in types.items():
                fac = np.asarray(
                    layer[layer["type"].astype(str) == str(ftype)].geometry.values, dtype=object)
                key = f"complete:{ftype}:{float(radius):g}"
                facilities[key] = (fac, np.full(len(fac), float(radius)))
                if key not in groups and len(fac):
                    groups[key] = _access(ctx, graph, fac, float(radius), key)
                per_type.append([key] if len(fac) else [])
            rows.append(Row(ident, "complete", "centres", per_type, {"min_share": share}))
            continue
        facilities[key] = (fac, radii)
        names = []
        for r in np.unique(radii[radii > 0]):
            gname = f"{key}@{r:g}"
            if gname not in groups:
                groups[gname] = _access(ctx, graph, fac[radii == r], float(r), gname)
            names.append(gname)
        kind = "area" if weight == "area" else "households"
        rows.append(Row(ident, kind, "samples" if kind == "area" else "homes", [names],
                        {"facilities": key}))
    return {
        "ctx": ctx, "graph": graph, "opts": opts, "pieces": pieces, "piece_zone": piece_zone,
        "demand": {"samples": samples, "homes": homes.points, "centres": centres},
        "owner": owner, "weights": {"homes": homes.households, "centres": centre_w},
        "zones": {"homes": homes.zone, "centres": centre_zone}, "groups": groups,
        "facilities": facilities, "rows": rows, "n": n,
        "codes": ctx.communities.index.astype(str).to_numpy(),
    }


def inserted_graph(inst: dict[str, Any]) -> dict[str, Any]:
    """The road graph with every demand point and access point inserted as a node."""
    from gis.network import insert_points, snap_to_graph

    graph, opts = inst["graph"], inst["opts"]
    snaps = {k: snap_to_graph(graph, v, max_distance=opts.demand_snap)
             for k, v in inst["demand"].items()}
    parts_e = [s.edge[s.edge >= 0] for s in snaps.values()]
    parts_t = [s.t[s.edge >= 0] for s in snaps.values()]
    groups = list(inst["groups"].values())
    parts_e += [g.edge[g.edge >= 0] for g in groups]
    parts_t += [g.t[g.edge >= 0] for g in groups]
    u, v, w, node = insert_points(graph, np.concatenate(parts_e), np.concatenate(parts_t))
    # node of each demand point (-1 off the network) and of each group's snapped access points
    nodes: dict[str, np.ndarray] = {}
    at = 0
    for k, s in snaps.items():
        ok = s.edge >= 0
        out = np.full(len(s.edge), -1, dtype=np.int64)
        out[ok] = node[at:at + ok.sum()]
        at += int(ok.sum())
        nodes[k] = out
    gnodes = {}
    for g in groups:
        ok = g.edge >= 0
        gnodes[g.name] = (node[at:at + ok.sum()], g.offset[ok], g.xy[ok])
        at += int(ok.sum())
    # node positions: base nodes, then every inserted point at its place on its edge
    e_all, t_all = np.concatenate(parts_e), np.concatenate(parts_t)
    a, b = graph.xy[graph.u[e_all]], graph.xy[graph.v[e_all]]
    frac = (t_all / np.maximum(graph.length[e_all], 1e-12))[:, None]
    xy = np.concatenate([graph.xy, a + frac * (b - a)])
    return {"u": u, "v": v, "w": w, "xy": xy, "nodes": nodes, "gnodes": gnodes,
            "offsets": {k: s.offset for k, s in snaps.items()}}


# ---------------------------------------------------------------- the two references


def igraph_distances(g: dict[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """Distance of every demand point from each group, by igraph (Dijkstra)."""
    import igraph

    n = len(g["xy"])
    names = list(g["gnodes"])
    hubs = {name: n + i for i, name in enumerate(names)}
    src = [g["u"], g["v"]]
    dst = [g["v"], g["u"]]
    wts = [g["w"], g["w"]]
    for name, (node, offset, _) in g["gnodes"].items():
        src.append(np.full(len(node), hubs[name]))
        dst.append(node)
        wts.append(np.maximum(offset, 1e-9))
    edges = np.column_stack([np.concatenate(src), np.concatenate(dst)])
    graph = igraph.Graph(n=n + len(names), edges=edges.tolist(), directed=True)
    weights = np.concatenate(wts).tolist()
    out: dict[str, dict[str, np.ndarray]] = {}
    for name in names:
        d = np.asarray(graph.distances(source=[hubs[name]], weights=weights, mode="out")[0])
        out[name] = {k: _at(d, nodes, g["offsets"][k]) for k, nodes in g["nodes"].items()}
    return out


def pandana_distances(
    g: dict[str, Any], groups: dict[str, Any]
) -> dict[str, dict[str, np.ndarray]]:
    """Distance of every demand point from each group, by pandana (nearest_pois)."""
    import pandana

    n = len(g["xy"])
    leaf_xy, leaf_u, leaf_w, cat = [], [], [], []
    at = n
    for name, (node, offset, xy) in g["gnodes"].items():
        leaf_xy.append(xy)
        leaf_u.append(node)
        leaf_w.append(np.maximum(offset, 1e-9))
        cat.append((name, np.arange(at, at + len(node))))
        at += len(node)
    xy = np.concatenate([g["xy"], *leaf_xy])
    ids = pd.Index(np.arange(len(xy)))
    u = np.concatenate([g["u"], *leaf_u])
    v = np.concatenate([g["v"], *[c[1] for c in cat]])
    w = np.concatenate([g["w"], *leaf_w])
    with quiet_fd1():
        net = pandana.Network(pd.Series(xy[:, 0], index=ids), pd.Series(xy[:, 1], index=ids),
                              pd.Series(u), pd.Series(v), pd.DataFrame({"w": w}), twoway=True)
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, leaves in cat:
        r = float(groups[name].radius)
        with quiet_fd1():
            net.set_pois(name, r + 1.0, 1, pd.Series(xy[leaves, 0]), pd.Series(xy[leaves, 1]))
            res = net.nearest_pois(r + 1.0, name, num_pois=1, max_distance=np.inf)
        d = res[1].reindex(ids).to_numpy(dtype=float)
        out[name] = {k: _at(d, nodes, g["offsets"][k]) for k, nodes in g["nodes"].items()}
    return out


def _at(d: np.ndarray, nodes: np.ndarray, offset: np.ndarray) -> np.ndarray:
    out = np.full(len(nodes), np.inf)
    ok = nodes >= 0
    out[ok] = d[nodes[ok]] + offset[ok]
    return out


# ---------------------------------------------------------------- community values


def values_from(inst: dict[str, Any], dist: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Each row's community values (%) and its demand points' covered flags."""
    from gis.coverage import area_coverage

    n = inst["n"]
    straight: dict[str, np.ndarray] = inst.setdefault("straight", {})
    out: dict[str, Any] = {}
    for row in inst["rows"]:
        def covered(names: list[str], demand: str) -> np.ndarray:
            c = np.zeros(len(inst["demand"][demand]), dtype=bool)
            for name in names:
                c |= dist[name][demand] <= inst["groups"][name].radius + SLACK
            return c

        if row.kind == "area":
            key = row.extra["facilities"]
            if key not in straight:
                fac, radii = inst["facilities"][key]
                straight[key] = area_coverage(inst["pieces"], fac, radii).covered
            cov = covered(row.groups[0], "samples")
            pieces, owner, zi = inst["pieces"], inst["owner"], inst["piece_zone"]
            area = shapely.area(pieces)
            cell = area / np.maximum(np.bincount(owner, minlength=len(pieces)), 1)
            walked = np.minimum(np.bincount(owner, cov, minlength=len(pieces)) * cell,
                                straight[key])
            num, den = np.bincount(zi, walked, minlength=n), np.bincount(zi, area, minlength=n)
            flags = cov
        elif row.kind == "households":
            cov = covered(row.groups[0], "homes")
            w, zi = inst["weights"]["homes"], inst["zones"]["homes"]
            num, den = np.bincount(zi, w * cov, minlength=n), np.bincount(zi, w, minlength=n)
            flags = cov
        else:
            w, zi = inst["weights"]["centres"], inst["zones"]["centres"]
            total = np.bincount(zi, w, minlength=n)
            complete = np.ones(n, dtype=bool)
            flag_parts = []
            for names in row.groups:
                cov = covered(names, "centres") if names else np.zeros(len(w), dtype=bool)
                share = 100 * np.bincount(zi, w * cov, minlength=n) / total
                complete &= share >= row.extra["min_share"]
                flag_parts.append(cov)
            num, den = complete.astype(float), np.ones(n)
            flags = np.concatenate(flag_parts)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[row.ident] = (100 * num / np.where(den > 0, den, np.nan), flags)
    return out


def peakmap_flags(inst: dict[str, Any]) -> dict[str, np.ndarray]:
    """Covered flags of the same demand points from peakmap's point_coverage."""
    from gis.coverage import point_coverage

    out = {}
    for row in inst["rows"]:
        graph, opts = inst["graph"], inst["opts"]
        if row.kind == "complete":
            parts = []
            for names in row.groups:
                pts = inst["demand"]["centres"]
                if not names:
                    parts.append(np.zeros(len(pts), dtype=bool))
                    continue
                fac, radii = inst["facilities"][names[0]]
                parts.append(point_coverage(pts, fac, radii, mode="walk", graph=graph,
                                            walk=opts).covered)
            out[row.ident] = np.concatenate(parts)
            continue
        fac, radii = inst["facilities"][row.extra["facilities"]]
        out[row.ident] = point_coverage(inst["demand"][row.demand], fac, radii, mode="walk",
                                        graph=graph, walk=opts,
                                        report_all=row.kind != "area").covered
    return out


def precision(inst: dict[str, Any], ref: dict[str, dict[str, np.ndarray]],
              other: dict[str, dict[str, np.ndarray]]) -> tuple[float, int, int]:
    """Largest distance difference within the radius ÷ the radius, points on the other side
    of their radius, and how many of those lie farther from it than the precision allows."""
    rel, flips, far = 0.0, 0, 0
    for name, group in inst["groups"].items():
        r = group.radius
        for k, a in ref[name].items():
            b = other[name][k]
            both = (a <= r + 1.0) & (b <= r + 1.0)
            if both.any():  # single precision: the error grows with the radius searched
                rel = max(rel, float(np.max(np.abs(a[both] - b[both]))) / r)
            flip = (a <= r + SLACK) != (b <= r + SLACK)
            flips += int(flip.sum())
            far += int((flip & (np.abs(a - r) > PANDANA_REL * r)).sum())
    return rel, flips, far


def community_records(records: list[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {i: {} for i in ids}
    for r in records:
        if r.level == "community" and r.indicator in out:
            out[r.indicator][str(r.zone_code)] = r.value
    return out


def compare(ref: dict[str, Any], recs: dict[str, dict[str, Any]], codes: np.ndarray,
            flags: dict[str, np.ndarray]) -> tuple[float, int, int]:
    """Largest community difference (pp), communities compared, points whose flag differs."""
    worst, count, points = 0.0, 0, 0
    for ident, (values, ref_flags) in ref.items():
        for code, value in zip(codes, values, strict=True):
            got = recs[ident].get(str(code))
            if got is None or value != value:
                if (got is None) != (value != value):
                    worst = float("inf")
                continue
            worst = max(worst, abs(float(got) - float(value)))
            count += 1
        points += int((flags[ident] != ref_flags).sum())
    return worst, count, points


# ---------------------------------------------------------------- the run


def bench_scale(scale: int, *, with_pandana: bool) -> tuple[str, bool]:
    from layers.indicators.engine import compute_records
    from layers.project import Project

    project = project_at(scale)
    ids = walk_ids(project)
    t0, c0 = time.perf_counter(), time.process_time()
    records = compute_records(Project(project), ids=ids, scheduler="")
    t_pm, c_pm = time.perf_counter() - t0, time.process_time() - c0
    inst = instance(project)
    recs = community_records(records, ids)
    flags = peakmap_flags(inst)
    g = inserted_graph(inst)
    t0, c0 = time.perf_counter(), time.process_time()
    d_ig = igraph_distances(g)
    t_ig, c_ig = time.perf_counter() - t0, time.process_time() - c0
    ig = compare(values_from(inst, d_ig), recs, inst["codes"], flags)
    cells = [f"{t_ig:.2f} / {c_ig:.2f}", f"{ig[0]:.3g}", f"{ig[2]:,}"]
    pd_ok = True
    if with_pandana:
        t0, c0 = time.perf_counter(), time.process_time()
        d_pd = pandana_distances(g, inst["groups"])
        t_pd, c_pd = time.perf_counter() - t0, time.process_time() - c0
        pd_res = compare(values_from(inst, d_pd), recs, inst["codes"], flags)
        rel, flips, far_flips = precision(inst, d_ig, d_pd)
        pd_ok = rel <= PANDANA_REL and far_flips == 0
        cells += [f"{t_pd:.2f} / {c_pd:.2f}", f"{rel:.1e}", f"{flips:,} ({far_flips})",
                  f"{pd_res[0]:.3g}"]
    else:
        cells += ["—", "—", "—", "—"]
    graph = inst["graph"]
    n_demand = sum(len(v) for v in inst["demand"].values())
    ok = ig[0] <= TOLERANCE_PP and ig[2] == 0 and pd_ok
    line = (f"| Heping ×{scale} | {graph.n_nodes:,} / {len(graph.u):,} | {n_demand:,} | "
            f"{len(inst['groups'])} | {ig[1]:,} | {t_pm:.2f} / {c_pm:.2f} | " + " | ".join(cells)
            + " |")
    return line, ok


def main(argv: list[str]) -> int:
    scales = [1, 10, 30]
    if "--scales" in argv:
        i = argv.index("--scales") + 1
        scales = []
        for a in argv[i:]:  # the numbers up to the next option
            if not a.isdigit():
                break
            scales.append(int(a))
    report_scale = max(scales)
    if "--report-scale" in argv:
        report_scale = int(argv[argv.index("--report-scale") + 1])
    with_pandana = "--no-pandana" not in argv
    print(f"Machine: {len(os.sched_getaffinity(0))} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the start.")
    # first, while this process is small: the whole report in a fresh process
    rep = None
    if report_scale:
        rep = full_report(project_at(report_scale))
    print("\n### Walking coverage of the `*-walk` rows: peakmap, igraph, pandana\n")
    print("| instance | road nodes / edges | demand points | facility sets × radius | "
          "communities compared | peakmap rows wall / CPU (s) | igraph wall / CPU (s) | "
          "igraph max diff (pp) | igraph points differing | pandana wall / CPU (s) | "
          "pandana max distance diff ÷ radius | pandana points differing (beyond its precision) | "
          "pandana max diff (pp) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    all_ok = True
    for scale in scales:
        line, ok = bench_scale(scale, with_pandana=with_pandana)
        print(line, flush=True)
        all_ok &= ok
    if rep is not None:
        wall, cpu, peak, n = rep
        print("\n### `peakmap report --level all --format json`, every row incl. `*-walk`\n")
        print("| instance | records | wall (s) | CPU (s) | peak memory (MB) |")
        print("|---|---:|---:|---:|---:|")
        print(f"| Heping ×{report_scale} | {n:,} | {wall:.1f} | {cpu:.1f} | {peak:.0f} |")
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")
    if not all_ok:
        print("DISAGREEMENT: a community value or a point's coverage differs (see the table)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(record_run(lambda: main(sys.argv[1:])))
