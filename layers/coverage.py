"""Service-radius coverage indicators: parks, recycling points, complete communities.

Registers the metric kind ``service_coverage`` and the post-build step :func:`build_step`
(store layer ``uncovered_residential``). The geometry work is in :mod:`gis.coverage` and
:mod:`gis.network`, the park presets are read by :mod:`layers.park_presets`; this module
picks the layers, presets and parameters.

Catalog rows of kind ``service_coverage`` (``[indicator.params]``)
------------------------------------------------------------------
target : "parks" | "points" | "complete_community", default "parks"
    What serves. ``parks``: park green chosen by a preset (below). ``points``: the features
    of ``layer`` meeting ``where`` (inputs filter language), each serving ``radius``.
    ``complete_community``: HP-10/11, see below.
mode : "straight" | "walk", default "straight"
    Straight-line buffers (the evaluators' default) or walking distance on ``roads``. By
    convention the walking row has the straight row's id with ``-walk`` appended.
weight : "area" | "households", default "area" for parks, "households" for points
    ``area``: the base is residential land (landuse code starting with
    ``residential_landuse_prefix``); coverage = covered residential area ÷ residential area,
    per community (the evaluators' definition). ``households``: residential buildings
    (``use`` in ``residential_uses``), weighted by their ``households`` field, covered when
    their centroid is; coverage = covered households ÷ households.
preset : str, default "gbt51346"
    For ``parks``: a preset of ``layers/catalogs/coverage_presets.toml`` (``gbt51346``,
    ``garden_city`` [U], ``green300_park500``), or of the project file named by the
    parameter ``presets_file``. Park size = area of the dissolved park polygon.
layer, where, radius
    For ``points``: e.g. ``layer = "recycling_points"``,
    ``where = {kind = "$coverage.recycling_kinds"}``, ``radius = "$coverage.recycling_radius_m"``.
facilities, min_share
    For ``complete_community`` (defaults: parameters ``complete_facilities`` and
    ``complete_min_share``): a table facility type → radius in metres over the ``facilities``
    layer's ``type`` field. A type is *present* in a community when at least ``min_share`` %
    of its households (residential building centroids; the community's representative point
    when it has none) lie within the type's radius of a facility of that type; the community
    is *complete* when every type is present. Returns ``num`` = 1 for a complete community,
    ``den`` = 1 for every community, so the value is the % of communities complete at every
    level (HP-10/11: ``op = ">="``, ``target = 60``, ``unit = "%"``).

Every row returns ``num`` and ``den`` per community (``den`` NaN where the community has no
base); the result's ``note`` states the parameters used and, in walking mode, the demand that
could not be reached (off the network, or on a network part without facilities).

Parameters: ``[params.coverage]``, :class:`layers.params.CoverageParams` (keys, units and
defaults; read with :func:`coverage_params`).
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.coverage import (
    area_coverage,
    dissolve_touching,
    point_coverage,
    radius_by_size,
    uncovered_parts,
)
from gis.network import DISCONNECTED, OFF_NETWORK
from layers._errors import ManifestError, StoreError
from layers.demand import (
    HOME_ESTIMATES,
    Homes,
    homes_note,
    residential_homes,
    residential_land,
    residential_samples,
)
from layers.indicators.inputs import (
    NoData,
    community_codes,
    community_geoms,
    filter_frame,
    read_layer,
    require_communities,
    resolve_value,
    theme_params,
    zone_codes,
)
from layers.indicators.registry import (
    MetricContext,
    MetricResult,
    counted_result,
    metric_kind,
)
from layers.labels import bilingual_note, note_label, value_label
from layers.params import CoverageParams
from layers.park_presets import PRESETS_PATH, Preset, load_presets
from layers.project import Project
from layers.schema import layer_spec
from layers.walkgraph import walk_graph, walk_options

__all__ = [
    "PRESETS_PATH",
    "UNCOVERED_LAYER",
    "Preset",
    "build_step",
    "coverage_params",
    "load_presets",
    "park_facilities",
    "preset_of",
    "service_coverage",
]

UNCOVERED_LAYER = "uncovered_residential"
PERCENT = 100.0
M2_PER_HA = 1e4
MODES = ("straight", "walk")
WEIGHTS = ("area", "households")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# ---------------------------------------------------------------- parameters and inputs


def _params(ctx: MetricContext) -> CoverageParams:
    """``[params.coverage]`` of the run (:func:`layers.indicators.inputs.theme_params`)."""
    return theme_params(ctx, CoverageParams)


def _presets(ctx: MetricContext) -> dict[str, Preset]:
    if "coverage:presets" not in ctx.cache:
        extra = _params(ctx).presets_file
        path = ctx.project.path(extra, what="[params.coverage] presets_file") if extra else None
        ctx.cache["coverage:presets"] = load_presets(path)
    presets: dict[str, Preset] = ctx.cache["coverage:presets"]
    return presets


def _geoms(frame: gpd.GeoDataFrame) -> NDArray[np.object_]:
    return np.asarray(frame.geometry.values, dtype=object)


def park_facilities(ctx: MetricContext, preset: Preset) -> tuple[NDArray[np.object_], FloatArray]:
    """Dissolved park polygons of a preset and the radius each serves.

    Parameters
    ----------
    ctx : MetricContext
    preset : Preset

    Returns
    -------
    parks : ndarray of shapely Polygon
        Green spaces of the preset's classes and existing pocket parks (as G14; in a
        scenario also the proposed ones), touching pieces merged.
    radii : ndarray of float
        Service radius of each park (0 where no rule applies).

    Raises
    ------
    NoData
        The store has neither green spaces nor pocket parks.
    """
    key = f"coverage:parks:{preset.name}"
    if key in ctx.cache:
        cached: tuple[NDArray[np.object_], FloatArray] = ctx.cache[key]
        return cached
    parts: list[NDArray[np.object_]] = []
    notes = []
    try:
        green = read_layer(ctx, "green_spaces")
        parts.append(_geoms(green[green["class"].isin(preset.green_classes)]))
    except NoData as e:
        notes.append(str(e))
    if preset.pocket_parks:
        parts.extend(_pocket_parks(ctx, notes))
    if not parts:
        raise NoData("; ".join(notes) or "no park layer")
    parks = dissolve_touching(np.concatenate(parts))
    historic_codes = set(map(str, _params(ctx).historic_streets))
    historic = np.zeros(len(parks), dtype=bool)
    if historic_codes and len(parks):
        # among every community: a park of another district (task) serves this one too
        street = zone_codes(ctx, parks, level="street", everywhere=True)
        historic = np.array([s is not None and s in historic_codes for s in street], dtype=bool)
    radii = radius_by_size(shapely.area(parks), preset.rules, historic=historic)
    ctx.cache[key] = (parks, radii)
    return parks, radii


def _pocket_parks(ctx: MetricContext, notes: list[str]) -> list[NDArray[np.object_]]:
    """Pocket parks built by the report year; in a scenario also the proposed ones."""
    try:
        pocket = read_layer(ctx, "pocket_parks")
    except NoData as e:
        notes.append(str(e))
        return []
    if "status" in pocket.columns:
        pocket = pocket[pocket["status"].fillna("existing") != "planned"]
    return [_geoms(pocket)]


def _residential_pieces(ctx: MetricContext) -> tuple[NDArray[np.object_], IntArray]:
    """Residential land cut by communities (:func:`layers.demand.residential_land`)."""
    return residential_land(ctx)


def _homes(ctx: MetricContext) -> tuple[NDArray[np.object_], FloatArray, IntArray]:
    """Homes, households and community (:func:`layers.demand.residential_homes`)."""
    homes = residential_homes(ctx)
    return homes.points, homes.households, homes.zone


# ---------------------------------------------------------------- the metric kind


def _choice(spec: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(spec.get(key, default))
    if value not in allowed:
        ident = spec.get("id", "service_coverage")
        raise ManifestError(
            f"indicator {ident}: params.{key} = {value!r}, expected one of {', '.join(allowed)}"
        )
    return value


def _frame(ctx: MetricContext, num: FloatArray, den: FloatArray, note: str) -> MetricResult:
    den = np.where(den > 0, den, np.nan)
    out = pd.DataFrame({"num": num, "den": den}, index=community_codes(ctx))
    return MetricResult(out, note=note, scale=PERCENT)


def _coverage_parts(
    ctx: MetricContext,
    facilities: NDArray[np.object_],
    radii: FloatArray,
    *,
    key: str,
    mode: str,
    weight: str,
) -> tuple[FloatArray, FloatArray, pd.DataFrame]:
    """Per-community covered and total base, and the demand each leaves unreached.

    The counts (walking only, per community) are ``off`` the network and ``cut`` (on
    network parts without facilities), in m² of residential land or households.
    """
    n = len(ctx.communities)
    graph = walk_graph(ctx) if mode == "walk" else None
    walk = walk_options(ctx)
    cache_key = f"coverage:parts:{key}:{mode}:{weight}"  # per community: never shared
    if cache_key in ctx.cache:
        cached: tuple[FloatArray, FloatArray, pd.DataFrame] = ctx.cache[cache_key]
        return cached
    counts = pd.DataFrame(index=community_codes(ctx))
    if weight == "area":
        pieces, zi = _residential_pieces(ctx)
        samples = residential_samples(ctx, walk.grid_spacing) if mode == "walk" else None
        cov = area_coverage(
            pieces, facilities, radii, mode=mode, graph=graph, walk=walk, samples=samples
        )
        num = np.bincount(zi, cov.covered, minlength=n).astype(float)
        den = np.bincount(zi, cov.area, minlength=n).astype(float)
        if mode == "walk":
            counts["off"] = np.bincount(zi, cov.unreached["off_network"], minlength=n)
            counts["cut"] = np.bincount(zi, cov.unreached["disconnected"], minlength=n)
    else:
        points, weights, zi = _homes(ctx)
        pc = point_coverage(points, facilities, radii, mode=mode, graph=graph, walk=walk)
        num = np.bincount(zi, weights * pc.covered, minlength=n).astype(float)
        den = np.bincount(zi, weights, minlength=n).astype(float)
        if mode == "walk":
            counts["off"] = np.bincount(zi, weights * (pc.reason == OFF_NETWORK), minlength=n)
            counts["cut"] = np.bincount(zi, weights * (pc.reason == DISCONNECTED), minlength=n)
    ctx.cache[cache_key] = (num, den, counts.astype(float))
    return num, den, counts.astype(float)


def _unreached_note(
    totals: Mapping[str, float], *, head: tuple[str, ...], weight: str, snap: float,
    per_household: float, assumed_floors: float = 0.0,
) -> str:
    """The note of a parks or points row: ``head``, then the demand not reached on foot.

    ``totals``: ``off`` and ``cut`` in walking mode (see :func:`_coverage_parts`); for a
    households row the homes estimated or left out (:data:`layers.demand.HOME_COUNTS`,
    :func:`layers.demand.homes_note`). All are sums over a zone's communities.
    """
    note = ""
    walked = "off" in totals
    if weight == "area":
        if walked:
            off, cut = totals["off"], totals["cut"]
            note = bilingual_note(
                f"直线半径内不可步行到达的居住用地：离路网 >{snap:g} m 的 "
                f"{off:,.0f} m²，位于无设施路网分区的 {cut:,.0f} m²",
                f"within straight reach but not walkable: {off:,.0f} m² more than {snap:g} m "
                f"off the network, {cut:,.0f} m² on network parts without facilities",
            )
    else:
        note = homes_note(totals, per_household=per_household, assumed_floors=assumed_floors)
        if walked:
            off, cut = totals["off"], totals["cut"]
            note = "; ".join(t for t in (note, bilingual_note(
                f"不可步行到达的户数：离路网 >{snap:g} m {off:,.0f} 户，"
                f"位于无设施路网分区 {cut:,.0f} 户",
                f"households not reachable on foot: {off:,.0f} more than {snap:g} m off the "
                f"network, {cut:,.0f} on network parts without facilities",
            )) if t)
    return "; ".join(t for t in (*head, note) if t)


def _coverage_result(
    ctx: MetricContext, parts: tuple[FloatArray, FloatArray, pd.DataFrame],
    head: tuple[str, ...], weight: str,
) -> MetricResult:
    num, den, counts = parts
    estimated: tuple[str, ...] = ()
    per_household = assumed = 0.0
    if weight != "area":
        homes = residential_homes(ctx)
        per_household, assumed = homes.per_household, homes.assumed_floors
        counts = pd.concat([counts, homes.counts], axis=1)
        estimated = HOME_ESTIMATES
    note_of = functools.partial(
        _unreached_note, head=head, weight=weight, snap=float(walk_options(ctx).demand_snap),
        per_household=per_household, assumed_floors=assumed,
    )
    den = np.where(den > 0, den, np.nan)
    out = pd.DataFrame({"num": num, "den": den}, index=community_codes(ctx))
    return counted_result(out, counts, note_of, estimated=estimated, scale=PERCENT)


def _mode_note(mode: str, params: CoverageParams) -> str:
    if mode == "straight":
        return bilingual_note("直线距离（缓冲区）", "straight-line buffers")
    return bilingual_note(
        f"步行距离（道路网络，网格 {params.grid_spacing_m:g} m，入口间距 "
        f"{params.access_spacing_m:g} m）",
        f"walking distance on roads "
        f"(grid {params.grid_spacing_m:g} m, entrances every {params.access_spacing_m:g} m)",
    )


def coverage_params(ctx: MetricContext) -> CoverageParams:
    """``[params.coverage]`` as the coverage rows use it (catalog < manifest)."""
    return _params(ctx)


def preset_of(ctx: MetricContext, spec: Mapping[str, Any]) -> Preset:
    """The park preset a ``target = "parks"`` row names (``params.preset``).

    Raises
    ------
    ManifestError
        The preset is unknown.
    """
    presets = _presets(ctx)
    name = str(resolve_value(ctx, spec.get("preset", "gbt51346")))
    if name not in presets:
        raise ManifestError(
            f"indicator {spec.get('id', '')}: unknown coverage preset {name!r} "
            f"(known: {', '.join(sorted(presets))})"
        )
    return presets[name]


def _parks(ctx: MetricContext, spec: Mapping[str, Any], mode: str) -> MetricResult:
    preset = preset_of(ctx, spec)
    name = preset.name
    weight = _choice(spec, "weight", WEIGHTS, "area")
    parks, radii = park_facilities(ctx, preset)
    parts = _coverage_parts(ctx, parks, radii, key=f"parks:{name}", mode=mode, weight=weight)
    head = (bilingual_note(f"预设 {preset.describe('zh')}", f"preset {preset.describe('en')}"),
            _mode_note(mode, _params(ctx)))
    return _coverage_result(ctx, parts, head, weight)


def _points(ctx: MetricContext, spec: Mapping[str, Any], mode: str) -> MetricResult:
    params = _params(ctx)
    layer = str(spec.get("layer", "recycling_points"))
    entry = dict(spec)
    entry.setdefault("where", {"kind": params.recycling_kinds})
    frame = filter_frame(ctx, read_layer(ctx, layer), entry, layer_name=layer)
    # the note counts the layer's facilities, also where ctx reads a district's
    # neighbourhood only (read_layer(..., whole=True): the same frame otherwise)
    n_all = len(filter_frame(ctx, read_layer(ctx, layer, whole=True), entry, layer_name=layer))
    radius = float(resolve_value(ctx, spec.get("radius", params.recycling_radius_m)))
    weight = _choice(spec, "weight", WEIGHTS, "households")
    facilities = _geoms(frame)
    radii = np.full(len(facilities), radius)
    key = f"points:{spec.get('id', layer)}:{radius:g}"
    parts = _coverage_parts(ctx, facilities, radii, key=key, mode=mode, weight=weight)
    head = (
        bilingual_note(f"{_title_zh(layer)} {n_all} 处，服务半径 {radius:g} m",
                       f"{layer}: {n_all} sites, radius {radius:g} m"),
        _mode_note(mode, params),
    )
    return _coverage_result(ctx, parts, head, weight)


def _complete(ctx: MetricContext, spec: Mapping[str, Any], mode: str) -> MetricResult:
    require_communities(ctx)  # a share of complete communities needs communities
    params = _params(ctx)
    types = resolve_value(ctx, spec.get("facilities", params.complete_facilities))
    if not isinstance(types, Mapping) or not types:
        raise ManifestError(
            f"indicator {spec.get('id', '')}: params.facilities must be a table type = radius_m"
        )
    min_share = float(resolve_value(ctx, spec.get("min_share", params.complete_min_share)))
    facilities = read_layer(ctx, "facilities")
    n = len(ctx.communities)
    points, weights, zi, homes = _homes_or_centres(ctx)
    graph = walk_graph(ctx) if mode == "walk" else None
    walk = walk_options(ctx)
    total = np.bincount(zi, weights, minlength=n)
    complete = np.ones(n, dtype=bool)
    # per community, 1 where the type is present: a zone's note counts its own communities
    served = pd.DataFrame(index=community_codes(ctx))
    for ftype, radius in types.items():
        fac = _geoms(facilities[facilities["type"].astype(str) == str(ftype)])
        if len(fac) == 0:
            complete[:] = False
            served[str(ftype)] = 0.0
            continue
        key = f"coverage:complete:{mode}:{ftype}:{float(radius)!r}"  # HP-10 and HP-11 share
        if key not in ctx.cache:
            pc = point_coverage(
                points, fac, np.full(len(fac), float(radius)), mode=mode, graph=graph, walk=walk
            )
            ctx.cache[key] = np.bincount(zi, weights * pc.covered, minlength=n)
        covered: FloatArray = ctx.cache[key]
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = PERCENT * covered / total >= min_share
        complete &= ok
        served[str(ftype)] = ok.astype(float)
    per_household = assumed = 0.0
    if homes is not None:
        # the households weighing each community's share: its note counts its estimated homes
        served = pd.concat([served, homes.counts], axis=1)
        per_household, assumed = homes.per_household, homes.assumed_floors
    note_of = functools.partial(
        _complete_note, min_share=min_share,
        radii=tuple((str(t), float(r)) for t, r in types.items()),
        mode_note=_mode_note(mode, params), per_household=per_household,
        assumed_floors=assumed,
    )
    out = _frame(ctx, complete.astype(float), np.ones(n), "")
    return counted_result(out.values, served, note_of, scale=PERCENT,
                          estimated=HOME_ESTIMATES if homes is not None else ())


def _title_zh(layer: str) -> str:
    spec = layer_spec(layer)
    return spec.title_zh if spec else layer


def _complete_note(
    served: Mapping[str, float], *, min_share: float, radii: tuple[tuple[str, float], ...],
    mode_note: str, per_household: float = 0.0, assumed_floors: float = 0.0,
) -> str:
    """The note of a complete-community row from the communities served by each type.

    ``served`` also holds the zone's :data:`layers.demand.HOME_COUNTS` (homes whose
    households were estimated or left out, :func:`layers.demand.homes_note`).
    """
    def counts(lang: str) -> str:
        return ", ".join(f"{value_label('facilities', 'type', t, lang)} {r:g} m: "
                         f"{int(served[t])}" for t, r in radii)

    return "; ".join(t for t in (
        bilingual_note(f"完整社区：每类设施在半径内覆盖 ≥{min_share:g}% 户数",
                       f"complete when each type covers ≥{min_share:g}% of households"),
        bilingual_note(f"具备该类设施的社区数：{counts('zh')}",
                       f"communities served: {counts('en')}"),
        homes_note(served, per_household=per_household, assumed_floors=assumed_floors),
        mode_note,
    ) if t)


def _homes_or_centres(
    ctx: MetricContext,
) -> tuple[NDArray[np.object_], FloatArray, IntArray, Homes | None]:
    """Households; communities without any stand for themselves by a representative point.

    The homes (:func:`layers.demand.residential_homes`, None without any) come last.
    """
    homes: Homes | None
    try:
        homes = residential_homes(ctx)
        points, weights, zi = homes.points, homes.households, homes.zone
    except NoData:
        homes = None
        points, weights, zi = np.array([], dtype=object), np.zeros(0), np.zeros(0, np.int64)
    n = len(ctx.communities)
    has = np.bincount(zi, weights, minlength=n) > 0
    empty = np.flatnonzero(~has)
    centres = shapely.point_on_surface(community_geoms(ctx)[empty])
    return (
        np.concatenate([points, centres]),
        np.concatenate([weights, np.ones(len(empty))]),
        np.concatenate([zi, empty]).astype(np.int64),
        homes,
    )


def _coverage_reads(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """Store layers a ``service_coverage`` row reads (for the indicator reference)."""
    target = str(spec.get("target", "parks"))
    default_weight = "area" if target == "parks" else "households"
    if target == "parks":
        serving: tuple[str, ...] = ("green_spaces", "pocket_parks")
    elif target == "points":
        serving = (str(spec.get("layer", "recycling_points")),)
    else:
        serving = ("facilities",)
    weight = str(spec.get("weight", default_weight))
    base = ("landuse",) if weight == "area" and target != "complete_community" else ("buildings",)
    walk = ("roads",) if spec.get("mode", "straight") == "walk" else ()
    return serving + base + walk


@metric_kind("service_coverage", reads=_coverage_reads, themes=("coverage",))
def service_coverage(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Share of residential land or households within the service radius of facilities.

    Parameters
    ----------
    ctx : MetricContext
    spec : mapping
        The row's ``params`` (see the module docstring).

    Returns
    -------
    MetricResult
        Values: columns ``num`` and ``den`` per community; its note states the parameters.
    """
    target = _choice(spec, "target", ("parks", "points", "complete_community"), "parks")
    mode = _choice(spec, "mode", MODES, "straight")
    if target == "parks":
        return _parks(ctx, spec, mode)
    if target == "points":
        return _points(ctx, spec, mode)
    return _complete(ctx, spec, mode)


# ---------------------------------------------------------------- post-build step


def _context(project: Project) -> MetricContext:
    store = project.store
    comm = store.read("communities")
    comm["code"] = comm["code"].astype(str)
    comm = comm.set_index("code")
    if store.has("streets"):
        streets = store.read("streets")
        lookup = dict(
            zip(streets["code"].astype(str), streets["district_code"].astype(str), strict=True)
        )
        comm["district_code"] = comm["street_code"].astype(str).map(lookup)
    else:
        comm["district_code"] = None
    year = project.manifest.project.year or _dt.date.today().year
    return MetricContext(project=project, store=store, year=year, communities=comm)


def uncovered_residential(ctx: MetricContext) -> gpd.GeoDataFrame:
    """Residential land outside the straight-line park radius, one feature per community.

    Parameters
    ----------
    ctx : MetricContext

    Returns
    -------
    geopandas.GeoDataFrame
        ``community_code``, ``community_name``, ``street_code``, ``residential_m2``,
        ``uncovered_m2``, ``uncovered_pct``, ``preset``; only communities with uncovered
        residential land.
    """
    name = _params(ctx).uncovered_preset
    presets = _presets(ctx)
    if name not in presets:
        raise ManifestError(f"[params.coverage] uncovered_preset: unknown preset {name!r}")
    pieces, zi = _residential_pieces(ctx)
    try:
        parks, radii = park_facilities(ctx, presets[name])
    except NoData:
        parks, radii = np.array([], dtype=object), np.zeros(0)
    rest = uncovered_parts(pieces, parks, radii)
    n = len(ctx.communities)
    res_area = np.bincount(zi, shapely.area(pieces), minlength=n)
    unc_area = np.bincount(zi, shapely.area(rest), minlength=n)
    keep = np.flatnonzero(unc_area > 0)
    grouped = np.full(n, None, dtype=object)
    nonempty = ~shapely.is_empty(rest)
    if nonempty.any():
        parts, owner = shapely.get_parts(rest[nonempty], return_index=True)
        zone = zi[nonempty][owner]
        order = np.argsort(zone, kind="stable")  # the grouped constructor wants sorted ids
        shapely.multipolygons(parts[order], indices=zone[order], out=grouped)
    comm = ctx.communities
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = PERCENT * unc_area / res_area
    return gpd.GeoDataFrame(
        {
            "community_code": comm.index.to_numpy()[keep].astype(str),
            "community_name": comm["name"].to_numpy()[keep],
            "street_code": comm["street_code"].astype(str).to_numpy()[keep],
            "residential_m2": res_area[keep],
            "uncovered_m2": unc_area[keep],
            "uncovered_pct": pct[keep],
            "preset": name,
        },
        geometry=grouped[keep],
        crs=comm.crs,
    )


def build_step(project: Project) -> str:
    """Post-build step: write the store layer ``uncovered_residential``.

    Parameters
    ----------
    project : Project
        A built project.

    Returns
    -------
    str
        A one-line summary in Chinese and English (:func:`layers.labels.bilingual_note`;
        :func:`layers.labels.note_label` shows one language).
    """
    store = project.store
    missing = [n for n in ("communities", "landuse") if not store.has(n)]
    if missing:
        return bilingual_note(f"{UNCOVERED_LAYER}：已跳过（没有 {'、'.join(missing)} 图层）",
                              f"{UNCOVERED_LAYER}: skipped (no {', '.join(missing)} layer)")
    ctx = _context(project)
    try:
        layer = uncovered_residential(ctx)
    except NoData as e:
        return bilingual_note(f"{UNCOVERED_LAYER}：已跳过（{note_label(str(e), 'zh')}）",
                              f"{UNCOVERED_LAYER}: skipped ({e})")
    if layer.crs is None:
        raise StoreError(f"{store.path}: layer communities has no CRS")
    store.write_layers({UNCOVERED_LAYER: layer})
    pieces, _ = _residential_pieces(ctx)
    total = float(shapely.area(pieces).sum())
    unc = float(layer["uncovered_m2"].sum())
    share = PERCENT * unc / total if total > 0 else 0.0
    preset = _params(ctx).uncovered_preset
    return bilingual_note(
        f"{UNCOVERED_LAYER}：{total / M2_PER_HA:,.1f} ha 居住用地中 {unc / M2_PER_HA:,.1f} ha"
        f"（{share:.1f} %）在公园服务半径（{preset}）之外，涉及 {len(layer)} 个社区",
        f"{UNCOVERED_LAYER}: {unc / M2_PER_HA:,.1f} ha of {total / M2_PER_HA:,.1f} ha "
        "residential land "
        f"({share:.1f} %) outside the park radius ({preset}) "
        f"in {len(layer)} communities",
    )
