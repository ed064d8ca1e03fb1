"""New pocket parks (HP-T1) where they cover the most residential land (STD-PARK-500).

The model serves a park-coverage row (default ``STD-PARK-500``): the row's preset says which
green serves and the radius each park earns by its size (:mod:`layers.coverage`), so a
proposed pocket park gets the radius *its* size earns — merged with any park it touches, as
the indicator merges them — and none when it is below the preset's smallest size class.
Demand is the row's: residential land (:func:`layers.demand.residential_land`), sampled on a
``pocket_park_cell_m`` grid, each sample standing for its share of its piece's area (as the
walking-mode indicator samples it). The before → after table of the run is the indicator's
exact figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.coverage import grid_samples, radius_by_size
from gis.siting import CoverPairs, SitingError, solve_max_cover
from layers.coverage import coverage_params, park_facilities, preset_of
from layers.demand import residential_land
from layers.indicators.inputs import zone_codes
from layers.indicators.registry import MetricContext
from layers.labels import PROPOSED_NAMES, bilingual_note
from layers.project import Project
from layers.siting.common import (
    PLANNED,
    SitingOutcome,
    attach_zones,
    catalog_row,
    codes_match,
    pct,
    proposal_cand_ids,
    proposal_ids,
    read_or_none,
    resolve_edits,
    row_mode,
    siting_context,
    solver_summary,
    with_moved_sites,
)

__all__ = ["INPUTS", "park_plots", "site_pocket_parks"]

#: The layers the pocket-park model reads: zones (districts, communities), demand
#: (buildings on residential land), candidate plots (land use), the walking graph (roads)
#: and the parks that already cover (green spaces, pocket parks). Recorded with the proposal.
INPUTS: tuple[str, ...] = ("districts", "communities", "buildings", "landuse", "roads",
                           "green_spaces", "pocket_parks")

FloatArray = NDArray[np.float64]


def park_plots(ctx: MetricContext, params: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """Candidate plots for pocket parks: small public or vacant parcels not already parks.

    Land-use parcels with a public/green code or a vacant subcode, and green spaces of the
    classes ``pocket_park_green_classes`` (attached or protective green that can be opened
    to the public), of ``pocket_park_min_area_m2``–``pocket_park_max_area_m2``; plots that
    are mostly a pocket park or park green (G1x) already are left out.
    """
    landuse = read_or_none(ctx, "landuse")
    if landuse is None:
        raise SitingError("layer landuse is needed for pocket-park plots")
    lo, hi = float(params["pocket_park_min_area_m2"]), float(params["pocket_park_max_area_m2"])
    area = landuse.geometry.area
    ok = codes_match(landuse, params["pocket_park_landuse_codes"])
    if "subcode" in landuse.columns:
        ok |= landuse["subcode"].fillna("").astype(str).isin(params["pocket_park_vacant_subcodes"])
    ok &= (area >= lo) & (area <= hi)
    sub = (
        landuse["subcode"] if "subcode" in landuse.columns
        else pd.Series(None, index=landuse.index)
    )
    plots = gpd.GeoDataFrame(
        {"code": landuse.loc[ok, "code"].astype(str).to_numpy(), "subcode": sub[ok].to_numpy()},
        geometry=landuse.geometry[ok].to_numpy(), crs=landuse.crs,
    )
    green = read_or_none(ctx, "green_spaces")
    if green is not None and len(green):
        garea = green.geometry.area
        g_ok = green["class"].isin(list(params["pocket_park_green_classes"])) & (
            garea >= lo) & (garea <= hi)
        extra = gpd.GeoDataFrame(
            {"code": "G", "subcode": green.loc[g_ok, "class"].astype(str).to_numpy()},
            geometry=green.geometry[g_ok].to_numpy(), crs=landuse.crs,
        )
        plots = gpd.GeoDataFrame(
            pd.concat([plots, extra], ignore_index=True), geometry="geometry", crs=landuse.crs
        )
    taken = []  # plots mostly a park already (a pocket park or park green G1x) are left out
    parks = read_or_none(ctx, "pocket_parks")
    if parks is not None and len(parks):
        taken.append(np.asarray(parks.geometry.values, dtype=object))
    if green is not None and len(green):
        park_green = green["class"].astype(str).str.startswith("G1").to_numpy()
        taken.append(np.asarray(green.geometry.values, dtype=object)[park_green])
    k_geoms = np.concatenate(taken) if taken else np.zeros(0, dtype=object)
    if len(k_geoms) and len(plots):
        p_geoms = np.asarray(plots.geometry.values, dtype=object)
        p_idx, k_idx = shapely.STRtree(k_geoms).query(p_geoms, predicate="intersects")
        inter = shapely.area(shapely.intersection(p_geoms[p_idx], k_geoms[k_idx]))
        shared = np.bincount(p_idx, weights=inter, minlength=len(plots))
        plots = plots[shared < 0.5 * plots.geometry.area.to_numpy()].reset_index(drop=True)
    frame = gpd.GeoDataFrame(
        {
            "cand_id": [f"L{i:05d}" for i in range(len(plots))],
            "source": "plot",
            "fixed": False,
            "landuse_code": plots["code"].astype(str).to_numpy(),
            "landuse_subcode": plots["subcode"].to_numpy(),
            "area_m2": plots.geometry.area.round(1).to_numpy(),
        },
        geometry=plots.geometry.to_numpy(), crs=landuse.crs,
    )
    zones = attach_zones(ctx, frame.set_geometry(frame.geometry.representative_point()))
    frame["community_code"] = zones["community_code"].to_numpy()
    frame["street_code"] = zones["street_code"].to_numpy()
    return frame


def _earned_radii(
    ctx: MetricContext, plots: gpd.GeoDataFrame, parks: NDArray[np.object_], preset: Any
) -> tuple[NDArray[np.object_], FloatArray, FloatArray]:
    """Each plot merged with the parks it touches, the merged size and the radius it earns."""
    geoms = np.asarray(plots.geometry.values, dtype=object)
    merged = geoms.copy()
    if len(parks) and len(geoms):
        g_idx, k_idx = shapely.STRtree(parks).query(geoms, predicate="intersects")
        for g in np.unique(g_idx):
            merged[g] = shapely.union_all([geoms[g], *parks[k_idx[g_idx == g]]])
    size = np.asarray(shapely.area(merged), dtype=float)
    historic_codes = {str(c) for c in coverage_params(ctx).historic_streets}
    historic = np.isin(zone_codes(ctx, merged, level="street").astype(str), list(historic_codes))
    return merged, size, radius_by_size(size, preset.rules, historic=historic)


def _pairs(
    samples: NDArray[np.object_], geoms: NDArray[np.object_], radii: FloatArray
) -> CoverPairs:
    serve = np.flatnonzero(radii > 0)
    empty = np.zeros(0, dtype=np.int64)
    if serve.size == 0 or len(samples) == 0:
        return CoverPairs(empty, empty.copy(), np.zeros(0), len(samples), len(geoms))
    s_idx, f = shapely.STRtree(geoms[serve]).query(
        samples, predicate="dwithin", distance=float(radii[serve].max())
    )
    c_idx = serve[f]
    dist = shapely.distance(samples[s_idx], geoms[c_idx])
    ok = dist <= radii[c_idx]
    s_idx, c_idx, dist = s_idx[ok], c_idx[ok], dist[ok]
    order = np.lexsort((c_idx, s_idx))
    return CoverPairs(
        s_idx[order].astype(np.int64), c_idx[order].astype(np.int64), dist[order],
        len(samples), len(geoms),
    )


def _default_count(
    project: Project, ctx: MetricContext, params: Mapping[str, Any]
) -> tuple[int, int]:
    """Parks to add by default (target − parks there) and the parks there."""
    parks = read_or_none(ctx, "pocket_parks")
    there = 0
    if parks is not None and len(parks):
        status = parks["status"].fillna("existing") if "status" in parks.columns else None
        there = len(parks) if status is None or params["count_planned_parks"] else int(
            (status == "existing").sum()
        )
    target = float(params["pocket_park_target"])
    try:
        row = catalog_row(project, "HP-T1")
        if row.target is not None:
            target = float(row.target)
    except Exception:  # no HP-T1 row in this catalog: the parameter stands
        pass
    districts = read_or_none(ctx, "districts")
    n_districts = 1 if districts is None else max(len(districts), 1)
    return max(int(target) * n_districts - there, 0), there


def site_pocket_parks(
    project: Project,
    params: Mapping[str, Any],
    *,
    count: int | None = None,
    indicator: str | None = None,
    fix: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> SitingOutcome:
    """Choose plots for new pocket parks maximising newly covered residential land.

    Parameters
    ----------
    project : Project
    params : mapping
        Siting parameters.
    count : int, optional
        Parks to add; default the HP-T1 target (``pocket_park_target``) per district minus
        the parks already there (planned ones included when ``count_planned_parks``).
    indicator : str, optional
        The park-coverage row served (default ``params["pocket_park_indicator"]``).
    fix, drop : sequence of str
        Plot or proposed-park ids the planner forces in or leaves out.

    Returns
    -------
    SitingOutcome
    """
    ctx = siting_context(project)
    row = catalog_row(project, indicator or str(params["pocket_park_indicator"]),
                      kind="service_coverage")
    if str(row.params.get("target", "parks")) != "parks":
        raise SitingError(f"indicator {row.id} does not measure park coverage")
    if row_mode(row) != "straight":
        raise SitingError(
            f"indicator {row.id}: pocket-park siting serves straight-line rows; choose "
            f"{row.id.removesuffix('-walk')} (the walking value is shown in the table after)"
        )
    preset = preset_of(ctx, row.params)
    if not preset.pocket_parks:
        raise SitingError(f"preset {preset.name} of {row.id} does not count pocket parks")
    default, there = _default_count(project, ctx, params)
    count = default if count is None else int(count)
    parks, radii = park_facilities(ctx, preset)
    plots = with_moved_sites(project, ctx, park_plots(ctx, params), "pocket_parks", fix)
    merged, size, earned = _earned_radii(ctx, plots, parks, preset)
    plots["merged_area_m2"] = np.round(size, 1)
    plots["radius_m"] = earned
    fixed_by_planner, dropped = resolve_edits(project, plots, "pocket_parks", fix=fix, drop=drop)
    usable = int((~dropped).sum())
    if count > usable:
        raise SitingError(
            f"{count} pocket parks asked for but only {usable} candidate plots of "
            f"{params['pocket_park_min_area_m2']:g}–{params['pocket_park_max_area_m2']:g} m² found"
        )
    pieces, _ = residential_land(ctx)
    cell = float(params["pocket_park_cell_m"])
    samples, owner = grid_samples(pieces, spacing=cell)
    n_per = np.bincount(owner, minlength=len(pieces)).astype(float)
    w = (np.asarray(shapely.area(pieces), dtype=float) / np.maximum(n_per, 1.0))[owner]
    geoms = np.concatenate([parks, merged])
    all_radii = np.concatenate([radii, np.where(dropped, 0.0, earned)])
    pairs = _pairs(samples, geoms, all_radii)
    n_ex = len(parks)
    fixed = np.concatenate([np.ones(n_ex, bool), fixed_by_planner])
    existing = np.concatenate([np.ones(n_ex, bool), np.zeros(len(plots), bool)])
    result = solve_max_cover(
        pairs, weights=w, budget=max(count - int(fixed_by_planner.sum()), 0), fixed=fixed,
        time_limit=float(params["time_limit_s"]), mip_rel_gap=float(params["mip_rel_gap"]),
    )
    new_mask = (result.new | fixed)[n_ex:] & ~existing[n_ex:]
    # HP-T1 counts parks: when no further plot adds coverage, the count is filled with the
    # largest remaining plots (they add green area, HP-04, and count, but cover no one new).
    short = count - int(new_mask.sum())
    filled = np.zeros(len(plots), dtype=bool)
    if short > 0:
        spare = np.flatnonzero(~new_mask & ~dropped)
        order = spare[np.argsort(-plots["area_m2"].to_numpy()[spare], kind="stable")]
        filled[order[:short]] = True
        new_mask |= filled
    before_hit = np.zeros(len(samples), dtype=bool)
    before_hit[pairs.demand[existing[pairs.candidate]]] = True
    after_hit = np.zeros(len(samples), dtype=bool)
    after_hit[pairs.demand[(result.selected | fixed)[pairs.candidate]]] = True
    cover_new = np.bincount(
        pairs.candidate[~before_hit[pairs.demand]],
        weights=w[pairs.demand[~before_hit[pairs.demand]]], minlength=len(geoms),
    )[n_ex:]
    cands = plots.copy()
    cands["selected"] = new_mask
    cands["new"] = new_mask
    cands["fixed_by_planner"] = fixed_by_planner
    cands["dropped"] = dropped
    cands["covers_uncovered_m2"] = np.round(cover_new, 1)
    cands["proposal_id"] = None
    taken = set()
    pocket = read_or_none(ctx, "pocket_parks")
    if pocket is not None and "id" in pocket.columns:
        taken = set(pocket["id"].astype(str))
    new = cands[new_mask]
    ids = proposal_ids(project, "pocket_parks", "PR-PP-", new["cand_id"].tolist(), taken)
    cands.loc[new_mask, "proposal_id"] = ids
    proposal = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": [f"{PROPOSED_NAMES['pocket_park'][0]} {i}" for i in ids],
            "built_year": pd.array([None] * len(new), dtype="Int64"),
            "status": PLANNED,
            "cand_id": proposal_cand_ids(new),
            "origin": np.where(
                new["fixed_by_planner"], "planner", np.where(filled[new_mask], "count", "model")
            ),
            "moved": (new["source"] == "moved").to_numpy(),
            "area_m2": new["area_m2"].to_numpy(),
            "radius_m": new["radius_m"].to_numpy(),
        },
        geometry=new.geometry.to_numpy(), crs=cands.crs,
    )
    total = float(w.sum())
    summary = {
        "model": f"max-cover (budget {count})",
        **solver_summary(result),
        "indicator": row.id,
        "preset": preset.name,
        "distance": "straight",
        "n_candidates": len(plots),
        "n_earning_radius": int((earned > 0).sum()),
        "n_existing": n_ex,
        "n_fixed": int(fixed_by_planner.sum()),
        "n_dropped": int(dropped.sum()),
        "n_new": len(proposal),
        "n_filled_without_coverage": int(filled.sum()),
        "parks_there": there,
        "residential_m2": round(total, 1),
        "coverage_before_pct": pct(float(w[before_hit].sum()), total),
        "coverage_after_pct": pct(float(w[after_hit].sum()), total),
        "newly_covered_m2": round(float(w[after_hit & ~before_hit].sum()), 1),
        "demand_note": bilingual_note(
            f"居住用地按 {cell:g} m 网格取样（模型值）；方案前后表为指标的精确值",
            f"residential land sampled every {cell:g} m in the model; the before → after "
            "table gives the indicator's exact figure",
        ),
    }
    return SitingOutcome(
        "pocket-parks", cands, proposal, summary, layer="pocket_parks", replace_kinds=None,
        indicators=[row.id], inputs=INPUTS,
    )
