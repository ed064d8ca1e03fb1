"""What every proposal kind shares: parameters, the catalog rows served, candidates, pairs.

A siting model serves catalog rows: its coverage constraint *is* the indicator's definition
(the facility set, radius, distance mode and demand of the row), read from the catalog, and
its demand is :mod:`layers.demand`'s, on :mod:`layers.walkgraph`'s walking graph, with
:func:`layers.indicators.inputs.zone_index` as zone assignment. So the model's coverage
before and after equals the indicator's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.candidates import grid_points_in, points_along, thin_to_grid
from gis.siting import (
    CoverPairs,
    SitingError,
    SitingResult,
    pairs_by_walking,
    pairs_within_distance,
)
from layers._errors import ManifestError, StoreError
from layers.indicators.catalog import Catalog, IndicatorSpec, read_catalog
from layers.indicators.engine import metric_context
from layers.indicators.inputs import (
    NoData,
    filter_frame,
    read_layer,
    resolve_value,
    zone_codes,
)
from layers.indicators.registry import MetricContext
from layers.params import SitingParams
from layers.project import Project
from layers.walkgraph import walk_graph, walk_options

__all__ = [
    "DEFAULTS",
    "SitingOutcome",
    "catalog_row",
    "facility_set",
    "point_candidates",
    "residential_demand",
    "siting_context",
    "siting_params",
]

COMMUNITY_POINT = "community_point"
TRANSFER_STATION = "transfer_station"
PLANNED = "planned"

#: ``[params.siting]`` defaults as a dict (keys, units and the [U]/[C] marks:
#: :class:`layers.params.SitingParams`). Demand, radius and facility sets are *not* here:
#: they are the served indicator's (catalog row and ``[params.coverage]``).
DEFAULTS: dict[str, Any] = SitingParams().model_dump()

DISTANCE_MODES = ("straight", "walk")

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


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
    layer : str
        Canonical layer the proposal adds to.
    replace_kinds : list of str or None
        Stored proposal rows of these kinds are replaced when applied (None: all).
    indicators : list of str
        The catalog rows the model serves.
    inputs : tuple of str
        The layers the model read (its module's ``INPUTS``), recorded with the proposal so
        that it is stale exactly when one of them changes (:mod:`layers.store.proposals`).
    """

    kind: str
    candidates: gpd.GeoDataFrame
    proposal: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    layer: str = "recycling_points"
    replace_kinds: list[str] | None = None
    indicators: list[str] = field(default_factory=list)
    inputs: tuple[str, ...] = ()


def siting_params(project: Project, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the siting parameters: defaults < catalog < manifest < ``overrides``.

    ``None`` values in ``overrides`` (command-line options not given) are ignored.

    Raises
    ------
    ManifestError
        An unknown key or an impossible value (:class:`layers.params.SitingParams`).
    """
    return project.params(SitingParams, cli=overrides).model_dump()


def siting_context(project: Project, catalog: Catalog | None = None) -> MetricContext:
    """The current state (no scenario) as the indicator engine reads it."""
    if not project.store.exists():
        raise StoreError(
            f"{project.store.path}: the project has not been built yet (run 'peakmap build "
            f"{project.root}')"
        )
    return metric_context(project, catalog=catalog or read_catalog(project.targets_path))


def catalog_row(
    project: Project, ident: str, *, kind: str | None = None, distance: str | None = None
) -> IndicatorSpec:
    """The catalog row ``ident`` (its ``-walk`` sibling when ``distance = "walk"``).

    Raises
    ------
    ManifestError
        No such row, or it is not of ``kind``.
    """
    catalog = read_catalog(project.targets_path)
    rows = {s.id: s for s in catalog.indicators}
    if distance == "walk" and not ident.endswith("-walk") and f"{ident}-walk" in rows:
        ident = f"{ident}-walk"
    if ident not in rows:
        raise ManifestError(
            f"{project.targets_path}: no indicator {ident!r} to serve (--indicator)"
        )
    spec = rows[ident]
    if kind is not None and spec.kind != kind:
        raise ManifestError(
            f"indicator {ident} is of kind {spec.kind}, a {kind} row is needed here"
        )
    return spec


def facility_set(ctx: MetricContext, spec: IndicatorSpec, *, layer: str = "") -> gpd.GeoDataFrame:
    """The features a catalog row counts (its ``layer`` filtered by ``where``)."""
    name = str(spec.params.get("layer", layer))
    try:
        frame = read_layer(ctx, name)
    except NoData:
        crs = ctx.communities.crs
        return gpd.GeoDataFrame({"id": [], "kind": []}, geometry=[], crs=crs)
    return filter_frame(ctx, frame, spec.params, layer_name=name).reset_index(drop=True)


def row_radius(ctx: MetricContext, spec: IndicatorSpec) -> float:
    """The service radius of a ``target = "points"`` coverage row."""
    return float(resolve_value(ctx, spec.params.get("radius", "$coverage.recycling_radius_m")))


def row_mode(spec: IndicatorSpec) -> str:
    """Distance mode of a coverage row."""
    return str(spec.params.get("mode", "straight"))


# --------------------------------------------------------------------------- candidates


def read_or_none(ctx: MetricContext, name: str) -> gpd.GeoDataFrame | None:
    """A base layer, or None when the store lacks it."""
    try:
        return read_layer(ctx, name)
    except NoData:
        return None


def codes_match(frame: pd.DataFrame, codes: Sequence[str]) -> pd.Series:
    """True where ``code`` or ``subcode`` starts with one of ``codes``."""
    prefixes = tuple(str(c) for c in codes)
    hit = frame["code"].astype(str).str.startswith(prefixes)
    if "subcode" in frame.columns:
        hit |= frame["subcode"].fillna("").astype(str).str.startswith(prefixes)
    return hit


def attach_zones(ctx: MetricContext, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``community_code`` and ``street_code`` (the one zone assignment)."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    frame["community_code"] = zone_codes(ctx, geoms)
    frame["street_code"] = zone_codes(ctx, geoms, level="street")
    return frame


def point_candidates(
    ctx: MetricContext, params: Mapping[str, Any], *, existing: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Candidate sites for points, existing sites first (as fixed candidates).

    Road-side points every ``grid_spacing_m`` along ``roads`` (one per grid cell), grid
    points on public land (``public_landuse_codes``) and a point on the footprint of
    public-institution buildings; none on water (``water_landuse_codes``) or within
    ``min_spacing_m`` of an existing site.

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``cand_id``, ``source``, ``fixed``, ``existing_id``, ``community_code``,
        ``street_code`` in the metric CRS.
    """
    spacing = float(params["grid_spacing_m"])
    crs = ctx.communities.crs
    parts: list[tuple[str, NDArray[np.object_]]] = []
    sources = set(params["candidate_sources"])
    roads = read_or_none(ctx, "roads") if "roadside" in sources else None
    if roads is not None and len(roads):
        pts = points_along(np.asarray(roads.geometry.values, dtype=object), spacing=spacing)
        parts.append(("roadside", thin_to_grid(pts, spacing=spacing)))
    landuse = read_or_none(ctx, "landuse")
    water = np.zeros(0, dtype=object)
    if landuse is not None and len(landuse):
        water = np.asarray(landuse.geometry[codes_match(landuse, params["water_landuse_codes"])])
        if "public_land" in sources:
            public = codes_match(landuse, params["public_landuse_codes"])
            public_polys = np.asarray(landuse.geometry[public].values, dtype=object)
            parts.append(("public_land", grid_points_in(public_polys, spacing=spacing)))
    buildings = read_or_none(ctx, "buildings")
    if (
        buildings is not None and "public_institution" in buildings.columns
        and "public_building" in sources
    ):
        pub = buildings["public_institution"].astype(object).eq(True).to_numpy()
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
    ex_ids = existing["id"].astype(str).tolist() if "id" in existing.columns else [
        f"existing-{i}" for i in range(ex_geoms.size)
    ]
    frame = gpd.GeoDataFrame(
        {
            "cand_id": [f"E{i:05d}" for i in range(ex_geoms.size)]
            + [f"C{i:05d}" for i in range(geoms.size)],
            "source": np.concatenate([np.full(ex_geoms.size, "existing", dtype=object), source]),
            "fixed": np.concatenate([np.ones(ex_geoms.size, bool), np.zeros(geoms.size, bool)]),
            "existing_id": ex_ids + [None] * geoms.size,
        },
        geometry=np.concatenate([ex_geoms, geoms]),
        crs=crs,
    )
    return attach_zones(ctx, frame)


# --------------------------------------------------------------------------- pairs


def point_pairs(
    ctx: MetricContext,
    demand: NDArray[np.object_],
    candidates: NDArray[np.object_],
    *,
    radius: float,
    mode: str,
) -> CoverPairs:
    """Demand–candidate pairs within ``radius``, straight or walking (as the indicator)."""
    if mode == "straight":
        return pairs_within_distance(
            shapely.get_coordinates(demand).reshape(-1, 2),
            shapely.get_coordinates(candidates).reshape(-1, 2),
            radius,
        )
    return pairs_by_walking(
        walk_graph(ctx), demand, candidates, radius=radius,
        max_snap=walk_options(ctx).demand_snap,
    )


def covered_weight(pairs: CoverPairs, is_open: BoolArray, w: FloatArray) -> float:
    """Weight of the demand within range of an open candidate."""
    hit = np.zeros(pairs.n_demand, dtype=bool)
    hit[pairs.demand[is_open[pairs.candidate]]] = True
    return float(w[hit].sum())


def pct(part: float, whole: float) -> float:
    """``part`` as a percent of ``whole`` (NaN when ``whole`` is 0), 4 decimals."""
    return round(100.0 * float(part) / float(whole), 4) if whole > 0 else float("nan")


def new_ids(prefix: str, n: int, taken: set[str]) -> list[str]:
    """``n`` fresh ids ``<prefix>0001``… not in ``taken``."""
    out: list[str] = []
    i = 1
    while len(out) < n:
        candidate = f"{prefix}{i:04d}"
        if candidate not in taken:
            out.append(candidate)
        i += 1
    return out


def solver_summary(result: SitingResult) -> dict[str, Any]:
    """The solver's figures for a summary."""
    return {
        "objective": result.objective,
        "mip_gap": result.mip_gap,
        "solve_time_s": round(result.solve_time_s, 4),
        "status": result.status,
        "n_variables": result.n_variables,
        "n_constraints": result.n_constraints,
    }


def coverage_columns(
    cands: gpd.GeoDataFrame, pairs: CoverPairs, w: FloatArray, result: SitingResult
) -> gpd.GeoDataFrame:
    """Add ``selected``, ``new``, ``covers_*`` and ``serves_*`` columns."""
    n = len(cands)
    cands = cands.copy()
    cands["selected"] = result.selected
    cands["new"] = result.new
    cands["covers_buildings"] = np.bincount(pairs.candidate, minlength=n).astype(np.int64)
    cands["covers_households"] = np.bincount(pairs.candidate, weights=w[pairs.demand], minlength=n)
    cands["serves_households"] = np.round(result.load, 3)
    cands["proposal_id"] = None
    return cands


# --------------------------------------------------------------------------- edits


def _stored_sites(project: Project, layer: str) -> pd.DataFrame | None:
    """The stored proposal of ``layer`` (attributes and geometry), or None."""
    name = f"proposal__{layer}"
    if not project.store.has(name):
        return None
    prop = project.store.read(name)
    return prop if "id" in prop.columns else None


def as_flags(values: Any) -> BoolArray:
    """A stored boolean column (None/NaN = False) as a bool array."""
    return np.asarray(pd.Series(values, dtype=object).map(
        lambda v: False if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v)
    ), dtype=bool)


def with_moved_sites(
    project: Project,
    ctx: MetricContext,
    cands: gpd.GeoDataFrame,
    layer: str,
    fix: Sequence[str],
    *,
    kind: str | None = None,
) -> gpd.GeoDataFrame:
    """``cands`` plus, as candidates, the moved proposed sites the planner fixes.

    A site moved by ``peakmap site move`` (or moved in an imported GeoJSON) is stored with
    ``moved`` true; it keeps its id and the ``cand_id`` of the candidate it came from.
    ``--fix ID`` of such a site keeps it *where the planner put it*: it becomes a candidate
    whose ``cand_id`` is the site id (source ``moved``, ``moved_from`` the candidate it came
    from), at its stored geometry, so the model's coverage is the moved site's. (``--drop
    ID`` drops the candidate it came from: :func:`resolve_edits`.) ``kind`` limits the sites
    to that kind (a recycling run does not fix a transfer station).
    """
    prop = _stored_sites(project, layer)
    wanted = {str(i) for i in fix}
    if prop is None or "moved" not in prop.columns or not wanted:
        return cands
    pick = as_flags(prop["moved"]) & prop["id"].astype(str).isin(wanted).to_numpy()
    if kind is not None and "kind" in prop.columns:
        pick &= (prop["kind"].astype(str) == kind).to_numpy()
    if not pick.any():
        return cands
    sites = prop[pick]
    geoms = np.asarray(sites.geometry.to_crs(cands.crs).values, dtype=object)
    came_from = (sites["cand_id"].astype(object) if "cand_id" in sites.columns
                 else pd.Series(None, index=sites.index, dtype=object))
    extra = gpd.GeoDataFrame(
        {"cand_id": sites["id"].astype(str).to_numpy(), "source": "moved", "fixed": False,
         "moved_from": came_from.where(came_from.notna(), None).to_numpy()},
        geometry=geoms, crs=cands.crs,
    )
    if "area_m2" in cands.columns:
        extra["area_m2"] = np.round(shapely.area(geoms), 1)
    if "community_code" in cands.columns:
        inside = attach_zones(ctx, extra.set_geometry(
            gpd.GeoSeries(shapely.point_on_surface(geoms), crs=cands.crs)))
        extra["community_code"] = inside["community_code"].to_numpy()
        extra["street_code"] = inside["street_code"].to_numpy()
    out = pd.concat([cands, extra], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=cands.crs)


def proposal_cand_ids(cands: pd.DataFrame) -> NDArray[np.object_]:
    """The ``cand_id`` a proposal stores for candidate rows: a moved site's original one."""
    cand = cands["cand_id"].astype(object).to_numpy()
    if "moved_from" not in cands.columns:
        return cand
    return np.where((cands["source"] == "moved").to_numpy(),
                    cands["moved_from"].astype(object).to_numpy(), cand)


def resolve_edits(
    project: Project,
    cands: gpd.GeoDataFrame,
    layer: str,
    *,
    fix: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> tuple[BoolArray, BoolArray]:
    """Candidates a planner fixes (must be proposed) and drops (never proposed).

    An id is a candidate id (``C00012``, ``L00003``, as the GeoJSON output lists them) or
    the id of a site of the stored proposal (``PR-RC-0003``), which names its candidate. A
    moved site keeps its id: fixing it keeps it at its new place (it is a candidate of its
    own, :func:`with_moved_sites`); dropping it drops the candidate it came from. Dropping a
    stored site that names no candidate (added by hand) is accepted: a new run leaves it out.

    Raises
    ------
    SitingError
        An id names no candidate and no stored site; the message lists them.
    """
    stored: dict[str, str | None] = {}
    prop = _stored_sites(project, layer)
    if prop is not None:
        cand = prop["cand_id"] if "cand_id" in prop.columns else pd.Series(None, index=prop.index)
        stored = {
            str(i): (None if c is None or (isinstance(c, float) and np.isnan(c)) else str(c))
            for i, c in zip(prop["id"], cand.astype(object), strict=True)
        }
    index = {c: i for i, c in enumerate(cands["cand_id"].astype(str))}
    out = []
    for is_fix, ids in ((True, fix), (False, drop)):
        mask = np.zeros(len(cands), dtype=bool)
        unknown = []
        for ident in map(str, ids):
            # a moved site fixed is its own candidate; otherwise a site names its candidate
            name = ident if is_fix and ident in index else stored.get(ident, ident)
            if name is None and not is_fix:
                continue
            if name is None or name not in index:
                unknown.append(ident)
                continue
            mask[index[name]] = True
        if unknown:
            raise SitingError(
                f"--fix/--drop: no candidate or proposed site {', '.join(unknown)} "
                "(ids are listed in the table and in the GeoJSON output)"
            )
        out.append(mask)
    if (out[0] & out[1]).any():
        raise SitingError("--fix and --drop name the same site")
    return out[0], out[1]


def proposal_ids(
    project: Project,
    layer: str,
    prefix: str,
    cand_ids: Sequence[str],
    taken: set[str],
) -> list[str]:
    """Ids of the new sites, stable across runs and moves.

    A moved site fixed by the planner (its ``cand_id`` is its id) keeps its id; a candidate
    that a site of the stored proposal (not moved) came from keeps that site's id; the others
    get fresh ids ``<prefix>0001``… not used by ``taken`` (existing sites) nor by the stored
    proposal, so an id never names two different sites one after the other.
    """
    prop = _stored_sites(project, layer)
    reuse: dict[str, str] = {}
    used = set(taken)
    stored_ids: set[str] = set()
    if prop is not None:
        stored_ids = set(prop["id"].astype(str))
        used |= stored_ids
        if "cand_id" in prop.columns:
            moved = (as_flags(prop["moved"]) if "moved" in prop.columns
                     else np.zeros(len(prop), bool))
            for ident, cand, m in zip(prop["id"].astype(str), prop["cand_id"].astype(object),
                                      moved, strict=True):
                if not m and isinstance(cand, str) and ident.startswith(prefix):
                    reuse.setdefault(cand, ident)
    kept = [c if c in stored_ids and c.startswith(prefix) else reuse.get(c) for c in
            map(str, cand_ids)]
    fresh = iter(new_ids(prefix, sum(k is None for k in kept), used))
    return [k if k is not None else next(fresh) for k in kept]


def residential_demand(ctx: MetricContext) -> gpd.GeoDataFrame:
    """Homes with households (:func:`layers.demand.residential_homes`) as a frame.

    Columns ``building_id``, ``households``, ``estimated``, ``community_code``,
    ``street_code``; homes without households are left out (they need no service).
    """
    from layers.demand import residential_homes

    homes = residential_homes(ctx)
    keep = homes.households > 0
    frame = gpd.GeoDataFrame(
        {"building_id": homes.building_id[keep], "households": homes.households[keep],
         "estimated": homes.estimated[keep]},
        geometry=homes.points[keep], crs=ctx.communities.crs,
    )
    return attach_zones(ctx, frame)
