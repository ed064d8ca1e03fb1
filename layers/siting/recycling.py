"""New community recycling points (STD-RECYCLE-300, HP-T2) and transfer stations (HP-T3).

``site_recycling`` serves two catalog rows at once: the coverage row (default
``STD-RECYCLE-300``: which points serve, their radius, straight or walking distance, homes
weighted by households) and the per-community minimum row (default ``HP-T2``: which points
count, how many each community needs). ``site_transfer`` serves ``HP-T3``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial.distance import cdist

from gis.siting import SitingError, solve_max_cover, solve_p_median, solve_set_cover
from layers.demand import residential_homes
from layers.indicators.inputs import zone_index
from layers.indicators.registry import MetricContext
from layers.labels import PROPOSED_NAMES
from layers.project import Project
from layers.siting.common import (
    COMMUNITY_POINT,
    PLANNED,
    TRANSFER_STATION,
    SitingOutcome,
    catalog_row,
    coverage_columns,
    covered_weight,
    facility_set,
    pct,
    point_candidates,
    point_pairs,
    proposal_cand_ids,
    proposal_ids,
    resolve_edits,
    row_mode,
    row_radius,
    siting_context,
    solver_summary,
    with_moved_sites,
)
from layers.walkgraph import walk_graph, walk_options

__all__ = ["INPUTS", "site_recycling", "site_transfer"]

#: The layers both recycling models read: zones (communities, streets), demand (buildings on
#: residential land), candidates (land use, roadside, buildings), the walking graph (roads)
#: and the existing points. Their digests are recorded with the proposal (staleness).
INPUTS: tuple[str, ...] = ("communities", "streets", "buildings", "landuse", "roads",
                           "recycling_points")


def _zone_counts(ctx: MetricContext, frame: gpd.GeoDataFrame) -> NDArray[np.int64]:
    zone = zone_index(ctx, np.asarray(frame.geometry.values, dtype=object))
    zone = zone[zone >= 0]
    return np.bincount(zone, minlength=len(ctx.communities)).astype(np.int64)


def site_recycling(
    project: Project,
    params: Mapping[str, Any],
    *,
    indicator: str | None = None,
    fix: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> SitingOutcome:
    """Choose new community recycling points for the coverage row and the per-zone minimum.

    With ``budget`` 0: the fewest new points so that every home lies within the coverage
    row's radius of a point it counts, and every community holds the minimum row's number of
    the points *it* counts (``capacity_households`` > 0 also caps the households per point).
    With ``budget`` > 0: that many new points covering the most households.

    Parameters
    ----------
    project : Project
    params : mapping
        Siting parameters (:func:`layers.siting.siting_params`).
    indicator : str, optional
        The coverage row served (default ``params["recycling_indicator"]``; with
        ``distance = "walk"`` its ``-walk`` row).
    fix, drop : sequence of str
        Candidate or proposed-site ids the planner forces in or leaves out.

    Returns
    -------
    SitingOutcome

    Raises
    ------
    SitingError
        A home has no candidate in range, a community has no candidate, or the capacity
        cannot be met; the message names them.
    """
    ctx = siting_context(project)
    cover_row = catalog_row(
        project, indicator or str(params["recycling_indicator"]), kind="service_coverage",
        distance=str(params["distance"]),
    )
    zone_row = catalog_row(
        project, str(params["recycling_each_zone_indicator"]), kind="each_zone_min"
    )
    radius, mode = row_radius(ctx, cover_row), row_mode(cover_row)
    existing = facility_set(ctx, cover_row, layer="recycling_points")
    homes = residential_homes(ctx)
    keep = homes.households > 0
    d_pts, w = homes.points[keep], homes.households[keep]
    demand_ids = [f"building {b}" for b in homes.building_id[keep]]
    cands = with_moved_sites(project, ctx, point_candidates(ctx, params, existing=existing),
                             "recycling_points", fix, kind=COMMUNITY_POINT)
    fixed_by_planner, dropped = resolve_edits(
        project, cands, "recycling_points", fix=fix, drop=drop
    )
    pairs = point_pairs(
        ctx, d_pts, np.asarray(cands.geometry.values, dtype=object), radius=radius, mode=mode
    )
    if dropped.any():
        ok = ~dropped[pairs.candidate]
        pairs = type(pairs)(
            pairs.demand[ok], pairs.candidate[ok], pairs.cost[ok], pairs.n_demand,
            pairs.n_candidate,
        )
    n_comm = len(ctx.communities)
    override = params.get("min_per_community")
    minimum = int(zone_row.params.get("min", 1) if override is None else override)
    counted = _zone_counts(ctx, facility_set(ctx, zone_row, layer="recycling_points"))
    required = np.maximum(minimum - counted, 0)
    existing_mask = cands["fixed"].to_numpy(dtype=bool)
    groups = zone_index(ctx, np.asarray(cands.geometry.values, dtype=object)).astype(np.int64)
    groups[existing_mask | dropped] = -1  # existing points are already in ``counted``
    codes = ctx.communities.index.astype(str).tolist()
    labels = [f"{c} {n}" for c, n in zip(codes, ctx.communities["name"].astype(str), strict=True)]
    fixed = existing_mask | fixed_by_planner
    budget = int(params["budget"])
    before = covered_weight(pairs, existing_mask, w)
    if budget > 0:
        result = solve_max_cover(
            pairs, weights=w, budget=budget, fixed=fixed,
            time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
        )
        model = f"max-cover (budget {budget})"
    else:
        result = solve_set_cover(
            pairs, fixed=fixed, groups=groups, n_groups=n_comm, min_per_group=required,
            weights=w, capacity=float(params["capacity_households"]),
            demand_ids=demand_ids, group_ids=labels,
            time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
        )
        model = "set-cover"
    result.new = result.new | fixed_by_planner
    after = covered_weight(pairs, result.selected, w)
    cands = coverage_columns(cands, pairs, w, result)
    cands["fixed_by_planner"] = fixed_by_planner
    cands["dropped"] = dropped
    taken = set(existing["id"].astype(str)) if "id" in existing.columns else set()
    new = cands[cands["new"]]
    ids = proposal_ids(project, "recycling_points", "PR-RC-", new["cand_id"].tolist(), taken)
    proposal = gpd.GeoDataFrame(
        {
            "id": ids,
            "kind": COMMUNITY_POINT,
            "name": [f"{PROPOSED_NAMES['recycling_point'][0]} {i}" for i in ids],
            "community_code": new["community_code"].to_numpy(),
            "opened_year": pd.array([None] * len(new), dtype="Int64"),
            "status": PLANNED,
            "cand_id": proposal_cand_ids(new),
            "origin": np.where(new["fixed_by_planner"], "planner", "model"),
            "moved": (new["source"] == "moved").to_numpy(),
        },
        geometry=new.geometry.to_numpy(), crs=cands.crs,
    )
    cands.loc[cands["new"], "proposal_id"] = ids
    added = np.bincount(groups[result.new & (groups >= 0)], minlength=n_comm)
    summary = {
        "model": model,
        **solver_summary(result),
        "indicator": cover_row.id,
        "each_zone_indicator": zone_row.id,
        "distance": mode,
        "radius_m": radius,
        "min_per_community": minimum,
        "capacity_households": float(params["capacity_households"]),
        "n_candidates": int((~existing_mask).sum()),
        "n_existing": int(existing_mask.sum()),
        "n_fixed": int(fixed_by_planner.sum()),
        "n_dropped": int(dropped.sum()),
        "n_new": len(proposal),
        "n_demand": len(d_pts),
        "households": float(w.sum()),
        "coverage_before_pct": pct(before, w.sum()),
        "coverage_after_pct": pct(after, w.sum()),
        "communities_without_point_before": int((counted < minimum).sum()),
        "communities_without_point_after": int((counted + added < minimum).sum()),
    }
    if homes.note:
        summary["demand_note"] = homes.note
    return SitingOutcome(
        "recycling", cands, proposal, summary, layer="recycling_points",
        replace_kinds=[COMMUNITY_POINT], indicators=[cover_row.id, zone_row.id],
        inputs=INPUTS,
    )


def _dense_cost(
    ctx: MetricContext, d_pts: NDArray[np.object_], c_pts: NDArray[np.object_], mode: str
) -> NDArray[np.float64]:
    if mode == "straight":
        return np.asarray(cdist(
            shapely.get_coordinates(d_pts).reshape(-1, 2),
            shapely.get_coordinates(c_pts).reshape(-1, 2),
        ), dtype=np.float64)
    from gis.siting import pairs_by_walking

    pairs = pairs_by_walking(
        walk_graph(ctx), d_pts, c_pts, radius=np.inf, max_snap=walk_options(ctx).demand_snap
    )
    cost = np.full((len(d_pts), len(c_pts)), np.inf)
    cost[pairs.demand, pairs.candidate] = pairs.cost
    return cost


def site_transfer(
    project: Project,
    params: Mapping[str, Any],
    *,
    indicator: str | None = None,
    fix: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> SitingOutcome:
    """Place one transfer station (中转站) in every street lacking one (HP-T3).

    The streets lacking one, and what counts as a station, are the row's (default
    ``params["transfer_indicator"]``). Each new station minimises the household-weighted
    distance (straight-line or walking) from the street's homes (1-median per street).

    Raises
    ------
    SitingError
        A street lacking a station has no candidate site or no home.
    """
    ctx = siting_context(project)
    row = catalog_row(project, indicator or str(params["transfer_indicator"]),
                      kind="each_zone_min")
    existing = facility_set(ctx, row, layer="recycling_points")
    minimum = int(row.params.get("min", 1))
    comm = ctx.communities
    street_of = comm["street_code"].astype(str).to_numpy()
    streets = pd.Index(sorted(set(street_of)))
    ex_zone = zone_index(ctx, np.asarray(existing.geometry.values, dtype=object))
    have = pd.Series(street_of[ex_zone[ex_zone >= 0]]).value_counts()
    missing = [s for s in streets if int(have.get(s, 0)) < minimum]
    homes = residential_homes(ctx)
    keep = homes.households > 0
    d_pts, w_all = homes.points[keep], homes.households[keep]
    d_street = street_of[homes.zone[keep]]
    cands = point_candidates(ctx, params, existing=existing)
    cands = with_moved_sites(project, ctx, cands[~cands["fixed"]].reset_index(drop=True),
                             "recycling_points", fix, kind=TRANSFER_STATION)
    fixed_by_planner, dropped = resolve_edits(
        project, cands, "recycling_points", fix=fix, drop=drop
    )
    c_street = cands["street_code"].astype(object).to_numpy()
    names = _street_names(project)
    no_cand = [f"{s} {names.get(s, '')}".strip() for s in missing
               if not ((c_street == s) & ~dropped).any()]
    if no_cand:
        raise SitingError(
            f"{len(no_cand)} street(s) without a transfer station have no candidate site: "
            f"{', '.join(no_cand)} (add public land or roads there)"
        )
    mode = str(params["distance"])
    selected = np.zeros(len(cands), dtype=bool)
    cost_sum = np.zeros(len(cands))
    rows: list[dict[str, Any]] = []
    time_total, gap_max = 0.0, 0.0
    for s in missing:  # one small model per street lacking a station
        ci = np.flatnonzero((c_street == s) & ~dropped)
        di = np.flatnonzero(d_street == s)
        if di.size == 0:
            raise SitingError(
                f"street {s} {names.get(s, '')} has no residential building to serve; "
                "a transfer station cannot be placed by household distance"
            )
        forced = ci[fixed_by_planner[ci]]
        if forced.size:
            ci = forced[:1]
        cost = _dense_cost(ctx, d_pts[di], np.asarray(cands.geometry.values, dtype=object)[ci],
                           mode)
        reached = np.isfinite(cost).any(axis=1)
        unreached = float(w_all[di][~reached].sum())
        cost, di = cost[reached], di[reached]
        if di.size == 0:
            raise SitingError(
                f"street {s} {names.get(s, '')}: no candidate site reaches any home "
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
            "street_code": s, "street_name": names.get(s, ""), "cand": int(pick[0]),
            "mean_distance_m": round(result.extra["mean_distance"], 1),
            "households": float(w_all[di].sum()),
            "unreached_households": unreached + result.extra["unreached_weight"],
        })
    cands = cands.copy()
    cands["selected"] = selected
    cands["new"] = selected
    cands["fixed_by_planner"] = fixed_by_planner
    cands["dropped"] = dropped
    cands["weighted_distance"] = cost_sum
    cands["proposal_id"] = None
    taken = set(existing["id"].astype(str)) if "id" in existing.columns else set()
    picks = [r["cand"] for r in rows]
    ids = proposal_ids(project, "recycling_points", "PR-TS-",
                       cands["cand_id"].astype(str).to_numpy()[picks].tolist(), taken)
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
            "name": [f"{PROPOSED_NAMES['transfer_station'][0]} {r['street_name']}"
                     for r in rows],
            "community_code": cands.loc[picks, "community_code"].to_numpy(),
            "opened_year": pd.array([None] * len(rows), dtype="Int64"),
            "status": PLANNED,
            "cand_id": proposal_cand_ids(cands.loc[picks]),
            "origin": np.where(fixed_by_planner[picks], "planner", "model") if picks else [],
            "moved": (cands.loc[picks, "source"] == "moved").to_numpy(),
        },
        geometry=cands.geometry.to_numpy()[picks] if picks else [], crs=cands.crs,
    )
    summary = {
        "model": "1-median per street",
        "objective": float(cost_sum.sum()),
        "mip_gap": gap_max,
        "solve_time_s": round(time_total, 4),
        "status": "optimal",
        "indicator": row.id,
        "distance": mode,
        "n_candidates": len(cands),
        "streets_without_station_before": len(missing),
        "streets_without_station_after": 0,
        "n_new": len(rows),
        "stations": [{k: v for k, v in r.items() if k != "cand"} for r in rows],
    }
    return SitingOutcome(
        "transfer", cands, proposal, summary, layer="recycling_points",
        replace_kinds=[TRANSFER_STATION], indicators=[row.id], inputs=INPUTS,
    )


def _street_names(project: Project) -> dict[str, str]:
    if not project.store.has("streets"):
        return {}
    streets = project.store.read("streets")
    return dict(zip(streets["code"].astype(str), streets["name"].astype(str), strict=True))
