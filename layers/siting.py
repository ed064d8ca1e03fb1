"""Siting of new recycling points, transfer stations and pocket parks (HP-T2, HP-T3, HP-T1).

The domain side of location-allocation: candidate sites and demand are taken from the
store, the models of :mod:`gis.siting` choose among them, and the choice is written back
as a scenario (``proposal__recycling_points``, ``proposal__pocket_parks``) that the indicator
engine reads with ``scenario="proposal"``.

- Candidates for points: road-side points every ``grid_spacing_m`` along ``roads`` (one per
  grid cell), grid points on public land (land-use codes ``public_landuse_codes``), and the
  ground floor (a point on the footprint) of public-institution buildings. Excluded: water
  (``water_landuse_codes``) and spots within ``min_spacing_m`` of an existing site (the
  existing site itself is a fixed candidate that covers but costs nothing).
- Demand: residential building centroids, weighted by households (the ``households`` field;
  where missing, floor area ÷ ``household_area_m2``, at least 1).
- Pocket-park plots: land-use parcels of ``pocket_park_min_area_m2``–``pocket_park_max_area_m2``
  whose code is public/green or whose subcode marks vacant land; demand: residential land cut
  into ``pocket_park_cell_m`` cells, weighted by area, minus what parks already cover.

Every parameter is in :data:`DEFAULTS` and can be changed in the manifest's
``[params.siting]`` table or on the command line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

from gis._errors import LayerValidationError, ManifestError, StoreError
from gis.candidates import grid_cells_over, grid_points_in, points_along, thin_to_grid
from gis.network import WalkGraph, graph_from_lines
from gis.siting import (
    CoverPairs,
    SitingError,
    SitingResult,
    pairs_by_walking,
    pairs_within_distance,
    solve_max_cover,
    solve_p_median,
    solve_set_cover,
)
from layers.project import Project

__all__ = [
    "DEFAULTS",
    "PROPOSAL_PARKS",
    "PROPOSAL_POINTS",
    "RUNS_TABLE",
    "SitingOutcome",
    "apply_proposal",
    "existing_sites",
    "park_plots",
    "point_candidates",
    "residential_cells",
    "residential_demand",
    "site_pocket_parks",
    "site_recycling",
    "site_transfer",
    "siting_params",
]

PROPOSAL_POINTS = "proposal__recycling_points"
PROPOSAL_PARKS = "proposal__pocket_parks"
#: Attribute table of the store recording each siting run (model, gap, time, parameters).
RUNS_TABLE = "siting_runs"

COMMUNITY_POINT = "community_point"
TRANSFER_STATION = "transfer_station"
PLANNED = "planned"

#: Parameters of the siting theme; ``[params.siting]`` in the manifest overrides them.
#: [U] marks practice that is not a national standard (indicators.md).
DEFAULTS: dict[str, Any] = {
    # recycling points
    "radius_m": 300.0,  # [U] 5-minute walk; no national service radius exists
    "distance": "straight",  # or "walk" (on roads)
    "min_per_community": 1,  # HP-T2: at least one point in every community
    "capacity_households": 0,  # 0 = off; norms: 1 point per 1,000–1,500 households [C]
    "budget": 0,  # > 0: fixed number of new points maximising covered households
    "point_kinds": [COMMUNITY_POINT],  # existing sites that serve homes (as STD-RECYCLE-300)
    # candidate generation
    "candidate_sources": ["roadside", "public_land", "public_building"],
    "grid_spacing_m": 50.0,  # road-side and public-land grid
    "public_landuse_codes": ["A", "S", "G"],
    "water_landuse_codes": ["E1", "E", "W1", "water"],  # matched on code or subcode
    "min_spacing_m": 30.0,  # no new candidate this close to an existing site
    "snap_max_m": 150.0,  # walk mode: farthest a point may lie from its road
    # demand
    "residential_uses": ["residential"],
    "household_area_m2": 90.0,  # [U] floor area per household when households is missing
    # pocket parks
    "pocket_park_target": 20,  # 专栏2: 20 pocket parks per district
    "pocket_park_radius_m": 300.0,  # "300 米见绿"
    "pocket_park_min_area_m2": 400.0,
    "pocket_park_max_area_m2": 10000.0,
    "pocket_park_landuse_codes": ["G", "S", "A"],
    "pocket_park_vacant_subcodes": ["vacant", "E9", "空地", "闲置"],
    "pocket_park_cover_classes": ["G11", "G12", "G13", "G14"],
    # green spaces that may be opened up as pocket parks (附属绿地, 防护绿地) when small enough
    "pocket_park_green_classes": ["XG", "G2"],
    "pocket_park_cell_m": 25.0,
    "count_planned_parks": True,  # planned parks count as sited when computing the default number
    # solver
    "time_limit_s": 120.0,
    "mip_rel_gap": 1e-4,
}

DISTANCE_MODES = ("straight", "walk")
SOURCE_LABELS = {
    "existing": "现状站点",
    "roadside": "路侧",
    "public_land": "公共用地",
    "public_building": "公共建筑首层",
    "plot": "地块",
}

BoolArray = NDArray[np.bool_]


@dataclass
class SitingOutcome:
    """What a siting run found.

    Attributes
    ----------
    kind : str
        ``"recycling"``, ``"transfer"`` or ``"pocket-parks"``.
    candidates : geopandas.GeoDataFrame
        Every candidate (metric CRS) with ``cand_id``, ``source``, ``selected``, ``new``,
        ``fixed`` and what it covers.
    proposal : geopandas.GeoDataFrame
        The new sites in the canonical schema of the target layer.
    summary : dict
        Model, objective, optimality gap, solve time, status and before/after figures.
    """

    kind: str
    candidates: gpd.GeoDataFrame
    proposal: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- parameters


def siting_params(project: Project, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the siting parameters: defaults, then the manifest, then ``overrides``.

    ``None`` values in ``overrides`` (options not given) are ignored.

    Raises
    ------
    ManifestError
        A parameter has an impossible value.
    """
    params = project.params("siting", DEFAULTS)
    # Unless [params.siting] says otherwise, site for the radius and kinds the coverage
    # indicator (STD-RECYCLE-300) measures with.
    siting_manifest = project.manifest.params.get("siting", {})
    coverage = project.manifest.params.get("coverage", {})
    for ours, theirs in (("radius_m", "recycling_radius_m"), ("point_kinds", "recycling_kinds")):
        if ours not in siting_manifest and theirs in coverage:
            params[ours] = coverage[theirs]
    params.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if params["distance"] not in DISTANCE_MODES:
        raise ManifestError(
            f"[params.siting] distance: {params['distance']!r} is not one of {DISTANCE_MODES}"
        )
    for key in ("radius_m", "grid_spacing_m", "pocket_park_radius_m", "pocket_park_cell_m"):
        if not float(params[key]) > 0:
            raise ManifestError(f"[params.siting] {key}: must be positive, got {params[key]}")
    for key in ("min_per_community", "capacity_households", "budget"):
        if float(params[key]) < 0:
            raise ManifestError(f"[params.siting] {key}: must be 0 or more, got {params[key]}")
    return params


# --------------------------------------------------------------------------- store access


def _read(project: Project, name: str, *, required: bool = True) -> gpd.GeoDataFrame | None:
    if project.store.has(name):
        return project.store.read(name)
    if required:
        raise StoreError(f"{project.store.path}: layer {name!r} is needed for siting")
    return None


def _codes_match(frame: pd.DataFrame, codes: Sequence[str]) -> pd.Series:
    """True where ``code`` or ``subcode`` starts with one of ``codes``."""
    prefixes = tuple(str(c) for c in codes)
    hit = frame["code"].astype(str).str.startswith(prefixes)
    if "subcode" in frame.columns:
        hit |= frame["subcode"].fillna("").astype(str).str.startswith(prefixes)
    return hit


def _zone_of(points: NDArray[np.object_], zones: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Index (row position) of the zone holding each point, -1 outside all zones."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or len(zones) == 0:
        return out
    pt_idx, zone_idx = zones.sindex.query(points, predicate="intersects")
    # A point on a shared border goes to the first zone listed.
    order = np.lexsort((zone_idx, pt_idx))
    pt_idx, zone_idx = pt_idx[order], zone_idx[order]
    first = np.ones(pt_idx.size, dtype=bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    out[pt_idx[first]] = zone_idx[first]
    return out


# --------------------------------------------------------------------------- candidates


def existing_sites(project: Project, kinds: Sequence[str]) -> gpd.GeoDataFrame:
    """Existing recycling points of the given kinds (status other than closed/planned)."""
    points = _read(project, "recycling_points", required=False)
    if points is None or len(points) == 0:
        crs = project.store.crs
        return gpd.GeoDataFrame({"id": [], "kind": []}, geometry=[], crs=crs)
    keep = points["kind"].isin(list(kinds))
    if "status" in points.columns:
        status = points["status"].fillna("").astype(str).str.lower()
        keep &= ~status.isin(["closed", "planned", "proposed", "关闭", "规划"])
    return points[keep].reset_index(drop=True)


def point_candidates(
    project: Project, params: Mapping[str, Any], *, existing: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Candidate sites for points, existing sites first (as fixed candidates).

    Parameters
    ----------
    project : Project
        The built project.
    params : mapping
        Siting parameters (:data:`DEFAULTS`).
    existing : geopandas.GeoDataFrame
        Existing sites; they become fixed candidates and exclude new ones within
        ``min_spacing_m``.

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``cand_id``, ``source``, ``fixed``, ``existing_id``, ``community_code``,
        ``street_code`` in the metric CRS.
    """
    spacing = float(params["grid_spacing_m"])
    crs = project.store.crs
    parts: list[tuple[str, NDArray[np.object_]]] = []
    sources = set(params["candidate_sources"])
    roads = _read(project, "roads", required=False) if "roadside" in sources else None
    if roads is not None and len(roads):
        pts = points_along(np.asarray(roads.geometry.values, dtype=object), spacing=spacing)
        parts.append(("roadside", thin_to_grid(pts, spacing=spacing)))
    landuse = _read(project, "landuse", required=False)
    water = np.zeros(0, dtype=object)
    if landuse is not None and len(landuse):
        water = np.asarray(landuse.geometry[_codes_match(landuse, params["water_landuse_codes"])])
        if "public_land" in sources:
            public = _codes_match(landuse, params["public_landuse_codes"])
            public_polys = np.asarray(landuse.geometry[public].values, dtype=object)
            parts.append(("public_land", grid_points_in(public_polys, spacing=spacing)))
    buildings = _read(project, "buildings", required=False)
    if (
        buildings is not None and "public_institution" in buildings.columns
        and "public_building" in sources
    ):
        pub = buildings["public_institution"].fillna(False).astype(bool)
        parts.append(
            ("public_building", shapely.point_on_surface(np.asarray(buildings.geometry[pub])))
        )
    geoms = np.concatenate([p for _, p in parts]) if parts else np.zeros(0, dtype=object)
    source = np.concatenate([np.full(len(p), s, dtype=object) for s, p in parts]) if parts else (
        np.zeros(0, dtype=object)
    )
    keep = np.ones(len(geoms), dtype=bool)
    if water.size and geoms.size:
        keep[np.unique(shapely.STRtree(water).query(geoms, predicate="intersects")[0])] = False
    ex_geoms = np.asarray(existing.geometry.values, dtype=object)
    if ex_geoms.size and geoms.size:
        near = shapely.STRtree(ex_geoms).query(
            geoms, predicate="dwithin", distance=float(params["min_spacing_m"])
        )[0]
        keep[np.unique(near)] = False
    geoms, source = geoms[keep], source[keep]
    all_geoms = np.concatenate([ex_geoms, geoms])
    frame = gpd.GeoDataFrame(
        {
            "cand_id": [f"E{i:05d}" for i in range(ex_geoms.size)]
            + [f"C{i:05d}" for i in range(geoms.size)],
            "source": np.concatenate([np.full(ex_geoms.size, "existing", dtype=object), source]),
            "fixed": np.concatenate([np.ones(ex_geoms.size, bool), np.zeros(geoms.size, bool)]),
            "existing_id": list(existing["id"].astype(str)) + [None] * geoms.size,
        },
        geometry=all_geoms,
        crs=crs,
    )
    return _attach_zones(project, frame)


def _attach_zones(project: Project, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    communities = _read(project, "communities")
    assert communities is not None
    idx = _zone_of(np.asarray(frame.geometry.values, dtype=object), communities)
    frame["community_code"] = np.where(
        idx >= 0, communities["code"].astype(str).to_numpy()[np.maximum(idx, 0)], None
    )
    frame["street_code"] = np.where(
        idx >= 0, communities["street_code"].astype(str).to_numpy()[np.maximum(idx, 0)], None
    )
    return frame


def residential_demand(project: Project, params: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Residential building centroids with their households, community and street.

    Buildings outside every community or with no household are left out.

    Raises
    ------
    LayerValidationError
        No residential building in the store.
    """
    buildings = _read(project, "buildings")
    assert buildings is not None
    res = buildings[buildings["use"].isin(list(params["residential_uses"]))].reset_index(drop=True)
    if len(res) == 0:
        raise LayerValidationError(
            f"layer buildings, field use: no building with use in {params['residential_uses']} "
            "(siting needs residential buildings as demand)"
        )
    hh = pd.Series(np.nan, index=res.index, dtype=float)
    if "households" in res.columns:
        hh = pd.to_numeric(res["households"], errors="coerce").astype(float)
    if "floor_area_m2" in res.columns:
        est = np.ceil(pd.to_numeric(res["floor_area_m2"], errors="coerce")
                      / float(params["household_area_m2"]))
        hh = hh.fillna(est)
    hh = hh.fillna(1.0).clip(lower=0.0)
    pts = shapely.centroid(np.asarray(res.geometry.values, dtype=object))
    frame = gpd.GeoDataFrame(
        {"building_id": res["id"].astype(str), "households": hh.to_numpy()},
        geometry=pts, crs=buildings.crs,
    )
    frame = _attach_zones(project, frame)
    # Homes outside every community and empty buildings need no service.
    keep = frame["community_code"].notna() & (frame["households"] > 0)
    return frame[keep].reset_index(drop=True)


def _pairs(
    project: Project,
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    radius: float,
    mode: str,
    snap_max: float,
) -> CoverPairs:
    d_geoms = np.asarray(demand.geometry.values, dtype=object)
    c_geoms = np.asarray(candidates.geometry.values, dtype=object)
    if mode == "straight":
        return pairs_within_distance(
            shapely.get_coordinates(d_geoms), shapely.get_coordinates(c_geoms), radius
        )
    return pairs_by_walking(
        _walk_graph(project), d_geoms, c_geoms, radius=radius, max_snap=snap_max
    )


_GRAPHS: dict[tuple[str, int], WalkGraph] = {}


def _walk_graph(project: Project) -> WalkGraph:
    """The walking graph of the project's walkable roads (built once per store version)."""
    key = (str(project.store.path), project.store.path.stat().st_mtime_ns)
    if key not in _GRAPHS:
        roads = _read(project, "roads")
        assert roads is not None
        if "walkable" in roads.columns:
            roads = roads[roads["walkable"].fillna(True).astype(bool)]
        _GRAPHS.clear()
        _GRAPHS[key] = graph_from_lines(np.asarray(roads.geometry.values, dtype=object))
    return _GRAPHS[key]


# --------------------------------------------------------------------------- recycling


def _new_ids(prefix: str, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    i = 1
    while len(out) < n:
        candidate = f"{prefix}{i:04d}"
        if candidate not in taken:
            out.append(candidate)
        i += 1
    return out


def _solver_summary(result: SitingResult) -> dict[str, Any]:
    return {
        "objective": result.objective,
        "mip_gap": result.mip_gap,
        "solve_time_s": round(result.solve_time_s, 4),
        "status": result.status,
        "n_variables": result.n_variables,
        "n_constraints": result.n_constraints,
    }


def site_recycling(project: Project, params: Mapping[str, Any]) -> SitingOutcome:
    """Choose new community recycling points (HP-T2 and household coverage).

    With ``budget`` 0: the fewest new points so that every residential building lies within
    ``radius_m`` of a point (existing or new), every community holds at least
    ``min_per_community`` points, and no point serves more than ``capacity_households``
    (0 = off). With ``budget`` > 0: that many new points covering the most households.

    Returns
    -------
    SitingOutcome

    Raises
    ------
    SitingError
        A building has no candidate in range, a community has no candidate, or the capacity
        cannot be met; the message names them.
    """
    existing = existing_sites(project, params["point_kinds"])
    demand = residential_demand(project, params)
    cands = point_candidates(project, params, existing=existing)
    radius = float(params["radius_m"])
    pairs = _pairs(
        project, demand, cands, radius=radius, mode=str(params["distance"]),
        snap_max=float(params["snap_max_m"]),
    )
    communities = _read(project, "communities")
    assert communities is not None
    codes = communities["code"].astype(str).tolist()
    code_index = {c: i for i, c in enumerate(codes)}
    groups = np.array([code_index.get(str(c), -1) if c else -1 for c in cands["community_code"]])
    labels = [f"{c} {n}" for c, n in zip(codes, communities["name"].astype(str), strict=True)]
    w = demand["households"].to_numpy(dtype=float)
    fixed = cands["fixed"].to_numpy(dtype=bool)
    budget = int(params["budget"])
    before = _covered(pairs, fixed, w)
    if budget > 0:
        result = solve_max_cover(
            pairs, weights=w, budget=budget, fixed=fixed,
            time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
        )
        model = f"max-cover (budget {budget})"
    else:
        result = solve_set_cover(
            pairs, fixed=fixed, groups=groups, n_groups=len(codes),
            min_per_group=int(params["min_per_community"]),
            weights=w, capacity=float(params["capacity_households"]),
            demand_ids=[f"building {b}" for b in demand["building_id"]], group_ids=labels,
            time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
        )
        model = "set-cover"
    after = _covered(pairs, result.selected, w)
    cands = _coverage_columns(cands, pairs, w, result)
    taken = set(existing["id"].astype(str))
    new = cands[cands["new"]]
    ids = _new_ids("PR-RC-", len(new), taken)
    proposal = gpd.GeoDataFrame(
        {
            "id": ids,
            "kind": COMMUNITY_POINT,
            "name": [f"拟建回收点 {i}" for i in ids],
            "community_code": new["community_code"].to_numpy(),
            "opened_year": pd.array([None] * len(new), dtype="Int64"),
            "status": PLANNED,
        },
        geometry=new.geometry.to_numpy(), crs=cands.crs,
    )
    cands.loc[cands["new"], "proposal_id"] = ids
    per_comm = _per_group_counts(groups[result.selected], len(codes))
    summary = {
        "model": model,
        **_solver_summary(result),
        "distance": params["distance"],
        "radius_m": radius,
        "min_per_community": int(params["min_per_community"]),
        "capacity_households": float(params["capacity_households"]),
        "n_candidates": int((~fixed).sum()),
        "n_existing": int(fixed.sum()),
        "n_new": len(proposal),
        "n_demand": len(demand),
        "households": float(w.sum()),
        "coverage_before_pct": _pct(before, w.sum()),
        "coverage_after_pct": _pct(after, w.sum()),
        "communities_without_point_before": int(
            (_per_group_counts(groups[fixed], len(codes)) == 0).sum()
        ),
        "communities_without_point_after": int((per_comm == 0).sum()),
    }
    return SitingOutcome("recycling", cands, proposal, summary)


def _per_group_counts(g: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    g = g[g >= 0]
    return np.bincount(g, minlength=n).astype(np.int64)


def _pct(part: float, whole: float) -> float:
    return round(100.0 * float(part) / float(whole), 4) if whole > 0 else float("nan")


def _covered(pairs: CoverPairs, is_open: BoolArray, w: NDArray[np.float64]) -> float:
    hit = np.zeros(pairs.n_demand, dtype=bool)
    hit[pairs.demand[is_open[pairs.candidate]]] = True
    return float(w[hit].sum())


def _coverage_columns(
    cands: gpd.GeoDataFrame, pairs: CoverPairs, w: NDArray[np.float64], result: SitingResult
) -> gpd.GeoDataFrame:
    n = len(cands)
    cands = cands.copy()
    cands["selected"] = result.selected
    cands["new"] = result.new
    cands["covers_buildings"] = np.bincount(pairs.candidate, minlength=n).astype(np.int64)
    cands["covers_households"] = np.bincount(pairs.candidate, weights=w[pairs.demand], minlength=n)
    cands["serves_households"] = np.round(result.load, 3)
    cands["proposal_id"] = None
    return cands


# --------------------------------------------------------------------------- transfer


def site_transfer(project: Project, params: Mapping[str, Any]) -> SitingOutcome:
    """Place one transfer station (中转站) in every street that has none (HP-T3).

    Each new station minimises the household-weighted distance (straight-line or walking)
    from the street's residential buildings (1-median per street, solved exactly).

    Raises
    ------
    SitingError
        A street lacking a station has no candidate site or no residential building.
    """
    streets = _read(project, "streets")
    assert streets is not None
    existing = existing_sites(project, [TRANSFER_STATION])
    st_idx = _zone_of(np.asarray(existing.geometry.values, dtype=object), streets)
    has = np.zeros(len(streets), dtype=bool)
    has[st_idx[st_idx >= 0]] = True
    demand = residential_demand(project, params)
    cands = point_candidates(project, params, existing=existing)
    cands = cands[~cands["fixed"]].reset_index(drop=True)
    # A candidate belongs to the street it stands in (not only via its community).
    c_street = _zone_of(np.asarray(cands.geometry.values, dtype=object), streets)
    d_street = _zone_of(np.asarray(demand.geometry.values, dtype=object), streets)
    codes = streets["code"].astype(str).to_numpy()
    names = streets["name"].astype(str).to_numpy()
    w_all = demand["households"].to_numpy(dtype=float)
    selected = np.zeros(len(cands), dtype=bool)
    cost_sum = np.zeros(len(cands))
    rows: list[dict[str, Any]] = []
    time_total, gap_max = 0.0, 0.0
    missing = np.flatnonzero(~has)
    no_cand = [f"{codes[s]} {names[s]}" for s in missing if not (c_street == s).any()]
    if no_cand:
        raise SitingError(
            f"{len(no_cand)} street(s) without a transfer station have no candidate site: "
            f"{', '.join(no_cand)} (add public land or roads there)"
        )
    for s in missing:  # one small model per street lacking a station
        ci, di = np.flatnonzero(c_street == s), np.flatnonzero(d_street == s)
        if di.size == 0:
            raise SitingError(
                f"street {codes[s]} {names[s]} has no residential building to serve; "
                "a transfer station cannot be placed by household distance"
            )
        cost = _dense_cost(project, demand.iloc[di], cands.iloc[ci], params)
        # Homes no candidate reaches (off the walking network) cannot weigh on the choice.
        reached = np.isfinite(cost).any(axis=1)
        unreached = float(w_all[di][~reached].sum())
        cost, di = cost[reached], di[reached]
        if di.size == 0:
            raise SitingError(
                f"street {codes[s]} {names[s]}: no candidate site reaches any home "
                "(walking network too far from the buildings?)"
            )
        result = solve_p_median(
            cost, weights=w_all[di], p=1,
            time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
        )
        pick = ci[result.selected]
        selected[pick] = True
        cost_sum[pick] = result.objective
        time_total += result.solve_time_s
        gap_max = max(gap_max, result.mip_gap)
        rows.append({
            "street_code": codes[s], "street_name": names[s], "cand": int(pick[0]),
            "mean_distance_m": round(result.extra["mean_distance"], 1),
            "households": float(w_all[di].sum()),
            "unreached_households": unreached + result.extra["unreached_weight"],
        })
    cands = cands.copy()
    cands["selected"] = selected
    cands["new"] = selected
    cands["street_code"] = np.where(c_street >= 0, codes[np.maximum(c_street, 0)], None)
    cands["weighted_distance"] = cost_sum
    cands["proposal_id"] = None
    ids = _new_ids("PR-TS-", len(rows), set(existing["id"].astype(str)))
    picks = [r["cand"] for r in rows]
    for r, i in zip(rows, ids, strict=True):
        r["id"] = i
    cands.loc[picks, "proposal_id"] = ids
    cands["mean_distance_m"] = np.nan
    cands["serves_households"] = 0.0
    cands.loc[picks, "mean_distance_m"] = [r["mean_distance_m"] for r in rows]
    cands.loc[picks, "serves_households"] = [r["households"] for r in rows]
    proposal = gpd.GeoDataFrame(
        {
            "id": ids,
            "kind": TRANSFER_STATION,
            "name": [f"拟建中转站 {r['street_name']}" for r in rows],
            "community_code": cands.loc[picks, "community_code"].to_numpy(),
            "opened_year": pd.array([None] * len(rows), dtype="Int64"),
            "status": PLANNED,
        },
        geometry=cands.geometry.to_numpy()[picks] if picks else [], crs=cands.crs,
    )
    summary = {
        "model": "1-median per street",
        "objective": float(cost_sum.sum()),
        "mip_gap": gap_max,
        "solve_time_s": round(time_total, 4),
        "status": "optimal",
        "distance": params["distance"],
        "n_candidates": len(cands),
        "streets_without_station_before": int(missing.size),
        "streets_without_station_after": 0,
        "n_new": len(rows),
        "stations": [{k: v for k, v in r.items() if k != "cand"} for r in rows],
    }
    return SitingOutcome("transfer", cands, proposal, summary)


def _dense_cost(
    project: Project, demand: gpd.GeoDataFrame, cands: gpd.GeoDataFrame,
    params: Mapping[str, Any],
) -> NDArray[np.float64]:
    if params["distance"] == "straight":
        return np.asarray(cdist(
            shapely.get_coordinates(np.asarray(demand.geometry.values, dtype=object)),
            shapely.get_coordinates(np.asarray(cands.geometry.values, dtype=object)),
        ), dtype=np.float64)
    pairs = _pairs(project, demand, cands, radius=np.inf, mode="walk",
                   snap_max=float(params["snap_max_m"]))
    cost = np.full((len(demand), len(cands)), np.inf)
    cost[pairs.demand, pairs.candidate] = pairs.cost
    return cost


# --------------------------------------------------------------------------- pocket parks


def park_plots(project: Project, params: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Candidate plots for pocket parks: small public or vacant parcels not already parks.

    Land-use parcels with a public/green code or a vacant subcode, and green spaces of the
    classes ``pocket_park_green_classes`` (attached or protective green that can be opened
    to the public), of ``pocket_park_min_area_m2``–``pocket_park_max_area_m2``; plots that
    are mostly an existing pocket park already are left out.
    """
    landuse = _read(project, "landuse")
    assert landuse is not None
    area = landuse.geometry.area
    ok = _codes_match(landuse, params["pocket_park_landuse_codes"])
    if "subcode" in landuse.columns:
        ok |= landuse["subcode"].fillna("").astype(str).isin(params["pocket_park_vacant_subcodes"])
    ok &= (area >= float(params["pocket_park_min_area_m2"])) & (
        area <= float(params["pocket_park_max_area_m2"])
    )
    cols = ["code", "subcode"] if "subcode" in landuse.columns else ["code"]
    plots = gpd.GeoDataFrame(
        landuse.loc[ok, cols], geometry=landuse.geometry[ok].to_numpy(), crs=landuse.crs
    )
    green = _read(project, "green_spaces", required=False)
    if green is not None and len(green):
        garea = green.geometry.area
        g_ok = green["class"].isin(list(params["pocket_park_green_classes"])) & (
            garea >= float(params["pocket_park_min_area_m2"])
        ) & (garea <= float(params["pocket_park_max_area_m2"]))
        extra = gpd.GeoDataFrame(
            {"code": "G", "subcode": green.loc[g_ok, "class"].astype(str).to_numpy()},
            geometry=green.geometry[g_ok].to_numpy(), crs=landuse.crs,
        )
        plots = pd.concat([plots, extra], ignore_index=True)
    plots = gpd.GeoDataFrame(plots, geometry="geometry", crs=landuse.crs).reset_index(drop=True)
    parks = _read(project, "pocket_parks", required=False)
    if parks is not None and len(parks) and len(plots):
        # Drop plots already (mostly) a pocket park.
        p_idx, k_idx = shapely.STRtree(np.asarray(parks.geometry.values)).query(
            np.asarray(plots.geometry.values), predicate="intersects"
        )
        inter = shapely.area(shapely.intersection(
            np.asarray(plots.geometry.values)[p_idx], np.asarray(parks.geometry.values)[k_idx]
        ))
        shared = np.bincount(p_idx, weights=inter, minlength=len(plots))
        plots = plots[shared < 0.5 * plots.geometry.area.to_numpy()].reset_index(drop=True)
    sub = plots["subcode"] if "subcode" in plots.columns else pd.Series(None, index=plots.index)
    frame = gpd.GeoDataFrame(
        {
            "cand_id": [f"L{i:05d}" for i in range(len(plots))],
            "source": "plot",
            "fixed": False,
            "landuse_code": plots["code"].astype(str).to_numpy(),
            "landuse_subcode": sub.to_numpy(),
            "area_m2": plots.geometry.area.round(1).to_numpy(),
        },
        geometry=plots.geometry.to_numpy(), crs=landuse.crs,
    )
    zones = _attach_zones(project, frame.set_geometry(frame.geometry.representative_point()))
    frame["community_code"] = zones["community_code"].to_numpy()
    frame["street_code"] = zones["street_code"].to_numpy()
    return frame


def _existing_parks(project: Project, params: Mapping[str, Any]) -> gpd.GeoDataFrame:
    frames = []
    parks = _read(project, "pocket_parks", required=False)
    if parks is not None and len(parks):
        frames.append(parks[["id"]].assign(source="pocket_park").set_geometry(parks.geometry))
    green = _read(project, "green_spaces", required=False)
    if green is not None and len(green):
        g = green[green["class"].isin(list(params["pocket_park_cover_classes"]))]
        frames.append(g[["id"]].assign(source="green_space").set_geometry(g.geometry))
    crs = project.store.crs
    if not frames:
        return gpd.GeoDataFrame({"id": [], "source": []}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=crs)


def residential_cells(project: Project, params: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Residential land (land-use R) cut into square cells; weight = area in m²."""
    landuse = _read(project, "landuse")
    assert landuse is not None
    res = np.asarray(landuse.geometry[_codes_match(landuse, ["R"])].values, dtype=object)
    if res.size == 0:
        raise LayerValidationError("layer landuse, field code: no residential land (code R)")
    pieces = grid_cells_over(res, size=float(params["pocket_park_cell_m"]))
    area = shapely.area(pieces)
    return gpd.GeoDataFrame(
        {"area_m2": area}, geometry=shapely.point_on_surface(pieces), crs=landuse.crs
    )


def site_pocket_parks(
    project: Project, params: Mapping[str, Any], *, count: int | None = None
) -> SitingOutcome:
    """Choose plots for new pocket parks maximising newly covered residential land.

    Parameters
    ----------
    project : Project
        The built project.
    params : mapping
        Siting parameters.
    count : int, optional
        Parks to add; default ``pocket_park_target`` per district minus the parks already
        there (planned ones included when ``count_planned_parks``).

    Returns
    -------
    SitingOutcome
    """
    parks = _read(project, "pocket_parks", required=False)
    n_there = 0
    if parks is not None and len(parks):
        status = parks["status"].fillna("existing") if "status" in parks.columns else None
        n_there = len(parks) if status is None or params["count_planned_parks"] else int(
            (status == "existing").sum()
        )
    if count is None:
        districts = _read(project, "districts", required=False)
        n_districts = 1 if districts is None else max(len(districts), 1)
        count = max(int(params["pocket_park_target"]) * n_districts - n_there, 0)
    plots = park_plots(project, params)
    cover = _existing_parks(project, params)
    cells = residential_cells(project, params)
    radius = float(params["pocket_park_radius_m"])
    cands = pd.concat(
        [
            gpd.GeoDataFrame(
                {"cand_id": [f"P{i:05d}" for i in range(len(cover))], "source": "existing",
                 "fixed": True, "existing_id": cover["id"].astype(str).to_numpy()},
                geometry=cover.geometry.to_numpy(), crs=cells.crs,
            ),
            plots,
        ],
        ignore_index=True,
    )
    cands = gpd.GeoDataFrame(cands, geometry="geometry", crs=cells.crs)
    cand_geoms = np.asarray(cands.geometry.values, dtype=object)
    cell_pts = np.asarray(cells.geometry.values, dtype=object)
    c_idx, p_idx = shapely.STRtree(cand_geoms).query(cell_pts, predicate="dwithin", distance=radius)
    dist = shapely.distance(cell_pts[c_idx], cand_geoms[p_idx])
    order = np.lexsort((p_idx, c_idx))
    pairs = CoverPairs(
        c_idx[order].astype(np.int64), p_idx[order].astype(np.int64), dist[order],
        len(cells), len(cands),
    )
    if count > len(plots):
        raise SitingError(
            f"{count} pocket parks asked for but only {len(plots)} candidate plots of "
            f"{params['pocket_park_min_area_m2']:g}–{params['pocket_park_max_area_m2']:g} m² found"
        )
    w = cells["area_m2"].to_numpy(dtype=float)
    result = solve_max_cover(
        pairs, weights=w, budget=count, fixed=cands["fixed"].to_numpy(dtype=bool),
        time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
    )
    cands = _coverage_columns(cands, pairs, w, result)
    cands = cands.rename(columns={
        "covers_buildings": "covers_cells", "covers_households": "covers_residential_m2",
        "serves_households": "serves_residential_m2",
    })
    served_before = np.zeros(len(cells), dtype=bool)
    served_before[pairs.demand[cands["fixed"].to_numpy(dtype=bool)[pairs.candidate]]] = True
    newly = (result.assignment >= 0) & ~served_before
    new_cov = np.bincount(result.assignment[newly], weights=w[newly], minlength=len(cands))
    cands["newly_covered_m2"] = np.round(new_cov, 1)
    new = cands[cands["new"]]
    taken = set() if parks is None else set(parks["id"].astype(str))
    ids = _new_ids("PR-PP-", len(new), taken)
    cands.loc[cands["new"], "proposal_id"] = ids
    proposal = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": [f"拟建口袋公园 {i}" for i in ids],
            "built_year": pd.array([None] * len(new), dtype="Int64"),
            "status": PLANNED,
        },
        geometry=new.geometry.to_numpy(), crs=cands.crs,
    )
    total = float(w.sum())
    summary = {
        "model": f"max-cover (budget {count})",
        **_solver_summary(result),
        "distance": "straight",
        "radius_m": radius,
        "n_candidates": len(plots),
        "n_existing": int(cands["fixed"].sum()),
        "n_new": len(proposal),
        "parks_there": n_there,
        "residential_m2": round(total, 1),
        "coverage_before_pct": _pct(float(w[served_before].sum()), total),
        "coverage_after_pct": _pct(result.extra["covered_total"], total),
        "newly_covered_m2": round(result.objective, 1),
    }
    return SitingOutcome("pocket-parks", cands, proposal, summary)


# --------------------------------------------------------------------------- proposal


def apply_proposal(project: Project, outcome: SitingOutcome) -> str:
    """Write the outcome's new sites into the store as the ``proposal`` scenario.

    Rows of the same kind from an earlier run are replaced; other rows are kept (so the
    recycling points and transfer stations of two runs live side by side). The run's model,
    gap, solve time and figures are appended to :data:`RUNS_TABLE`.

    Returns
    -------
    str
        A one-line summary.
    """
    store = project.store
    replaced_kind: str | None = None
    if outcome.kind == "pocket-parks":
        name = PROPOSAL_PARKS
    else:
        name = PROPOSAL_POINTS
        replaced_kind = COMMUNITY_POINT if outcome.kind == "recycling" else TRANSFER_STATION
    new = outcome.proposal
    if replaced_kind is not None and store.has(name):
        old = store.read(name)
        old = old[old["kind"] != replaced_kind]
        if len(old):
            new = gpd.GeoDataFrame(
                pd.concat([old.to_crs(new.crs), new], ignore_index=True),
                geometry="geometry", crs=new.crs,
            )
    runs = pd.DataFrame([{
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": outcome.kind,
        "layer": name,
        "model": outcome.summary.get("model"),
        "n_new": int(outcome.summary.get("n_new", 0)),
        "objective": float(outcome.summary.get("objective", float("nan"))),
        "mip_gap": float(outcome.summary.get("mip_gap", float("nan"))),
        "solve_time_s": float(outcome.summary.get("solve_time_s", float("nan"))),
        "status": outcome.summary.get("status"),
        "summary_json": json.dumps(outcome.summary, ensure_ascii=False, default=str),
    }])
    if store.has(RUNS_TABLE):
        runs = pd.concat([pd.DataFrame(store.read(RUNS_TABLE)), runs], ignore_index=True)
        runs = runs.drop(columns=[c for c in runs.columns if c == "geometry"])
    store.write_layers({name: new, RUNS_TABLE: runs})
    return f"{name}: {len(outcome.proposal)} new site(s) written ({len(new)} in the layer)"
