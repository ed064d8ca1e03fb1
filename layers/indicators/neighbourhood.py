"""What a district's task reads: the features that can reach its communities, not the city.

A task of :mod:`layers.indicators.partition` computes the rows of some communities. It reads
each layer in the box of its communities grown by the largest distance any of its catalog
rows looks across a border (:func:`reach`), through :class:`~layers.indicators.inputs.ReadScope`
(``Store.read(name, bbox=...)``, the GeoPackage's R-tree). Why that is the whole-city answer:

- Features are assigned to zones among every community of the project
  (:func:`layers.indicators.inputs.zone_index`); a feature assigned to, or clipped by, one of
  the task's communities intersects it, so it is read.
- ``service_coverage`` (:mod:`layers.coverage`): a facility serving a home within its radius
  ``r`` lies within ``r`` of the communities; a walking path of length ≤ ``r`` stays within
  ``r`` of the home (walking distance ≥ straight distance). The box is grown by the largest
  radius of the rows (a park preset's largest rule, the row's ``radius``, the largest radius
  of the complete-community facility table).
- A park's radius comes from the size of its dissolved polygon (touching pieces merged), so
  parks are read whole: the green spaces and pocket parks read are the connected groups
  (pieces touching, or parts of one feature) that reach the box, grown until every group is
  complete (:func:`whole_parks`).
- Walking rows: every point that snaps to the roads (homes within ``demand_snap_m``, point
  facilities likewise, park entrances within ``entrance_snap_m``) finds the same nearest road
  as in the whole city: roads are read in the box of all parks and facilities read, grown by
  the largest snapping distance and ``road_snap_tolerance_m``.

What is not known from the neighbourhood: whether a home on a network part without
facilities (in the neighbourhood's roads) is joined to one far away. A task whose row reports
such demand computes that row again from the whole layers (:mod:`layers.indicators.partition`).

Unknown metric kinds, scenarios (proposals can lie anywhere) and a store that cannot read
a box make the task read every layer whole (:func:`read_scope_for` returns None).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from layers.indicators.catalog import IndicatorSpec
from layers.indicators.inputs import ReadScope, resolve_value, theme_params
from layers.indicators.registry import MetricContext
from layers.params import CoverageParams

__all__ = ["LOCAL_KINDS", "PARK_LAYERS", "describe", "reach", "read_scope_for", "whole_parks"]

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]

#: Metric kinds whose rows read only features assigned to, or clipped by, the communities
#: computed (reach 0); ``service_coverage`` reaches its radius (:func:`reach`).
LOCAL_KINDS = frozenset({
    "area_sum", "area_share", "count", "each_zone_min", "attribute_share", "attribute_sum",
    "length_share", "pv", "reported", "heat_loss_change",
})
#: Layers whose touching pieces form one park (:func:`layers.coverage.park_facilities`).
PARK_LAYERS = ("green_spaces", "pocket_parks")
#: Metres added to every box, beyond the reach (rounding of coordinates).
MARGIN_M = 1.0


def reach(ctx: MetricContext, spec: IndicatorSpec) -> tuple[float, float] | None:
    """How far a row looks beyond its communities: (radius, snapping) in metres.

    ``radius``: the largest service radius of the row (0 for :data:`LOCAL_KINDS`);
    ``snapping``: walking rows, the largest distance a point snaps to a road plus the road
    vertex tolerance (0 otherwise). None: not known (the task reads every layer whole).
    """
    if spec.kind in LOCAL_KINDS:
        return 0.0, 0.0
    if spec.kind != "service_coverage":
        return None
    from layers.coverage import preset_of

    p = dict(spec.params)
    params = theme_params(ctx, CoverageParams)
    target = str(p.get("target", "parks"))
    if target == "parks":
        radius = max((r.radius for r in preset_of(ctx, p).rules), default=0.0)
    elif target == "points":
        radius = float(resolve_value(ctx, p.get("radius", params.recycling_radius_m)))
    else:
        types = resolve_value(ctx, p.get("facilities", params.complete_facilities))
        if not isinstance(types, Mapping):
            return None
        radius = max((float(r) for r in types.values()), default=0.0)
    snap = 0.0
    if str(p.get("mode", "straight")) == "walk":
        snap = max(float(params.demand_snap_m), float(params.entrance_snap_m)) + float(
            params.road_snap_tolerance_m)
    return float(radius), snap


def _grow(box: Sequence[float], by: float) -> Box:
    return (float(box[0]) - by, float(box[1]) - by, float(box[2]) + by, float(box[3]) + by)


def _within(inner: Sequence[float], outer: Sequence[float]) -> bool:
    return bool(inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2]
                and inner[3] <= outer[3])


def whole_parks(store: Any, names: Sequence[str],
                box: Box) -> tuple[dict[str, gpd.GeoDataFrame], Box]:
    """The features of ``names`` in groups that reach ``box``, each group whole.

    A group: pieces connected by touching or overlapping, or by being parts of one feature
    (what :func:`gis.coverage.dissolve_touching` merges into one park, and more). Reads the
    layers in ``box``, then in the box of the groups reaching ``box`` until those groups lie
    inside what was read.

    Returns
    -------
    frames : dict
        Layer name → its features in those groups, in the layer's order.
    bounds : tuple
        The box holding them (``box`` when there is none).
    """
    read_box = box
    target = shapely.box(*box)
    while True:
        frames = {n: store.read(n, bbox=read_box) for n in names}
        geoms = np.concatenate([np.asarray(f.geometry.values, dtype=object)
                                for f in frames.values()]) if frames else np.zeros(0, object)
        parts, owner = shapely.get_parts(geoms, return_index=True)
        n = len(parts)
        if n == 0:
            return {k: f.iloc[:0] for k, f in frames.items()}, box
        i, j = shapely.STRtree(parts).query(parts, predicate="intersects")
        same = np.flatnonzero(owner[1:] == owner[:-1])  # parts of one feature
        u = np.concatenate([i, same])
        v = np.concatenate([j, same + 1])
        graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        seeds = np.unique(label[shapely.intersects(parts, target)])
        kept = np.isin(label, seeds)
        if not kept.any():
            return {k: f.iloc[:0] for k, f in frames.items()}, box
        b = shapely.total_bounds(parts[kept])
        bounds: Box = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        if _within(bounds, read_box):
            keep_feature = np.zeros(len(geoms), dtype=bool)
            keep_feature[owner[kept]] = True
            out: dict[str, gpd.GeoDataFrame] = {}
            start = 0
            for name, frame in frames.items():
                mask = keep_feature[start:start + len(frame)]
                start += len(frame)
                out[name] = frame[mask].reset_index(drop=True)
            return out, (min(bounds[0], box[0]), min(bounds[1], box[1]),
                         max(bounds[2], box[2]), max(bounds[3], box[3]))
        read_box = (min(read_box[0], bounds[0]), min(read_box[1], bounds[1]),
                    max(read_box[2], bounds[2]), max(read_box[3], bounds[3]))


def read_scope_for(ctx: MetricContext, specs: Sequence[IndicatorSpec]) -> ReadScope | None:
    """What the task of ``ctx.communities`` reads for ``specs`` (see the module docstring).

    Returns
    -------
    ReadScope or None
        None: read every layer whole (an unknown kind, a scenario, no communities, a row
        whose reach cannot be worked out, or a store without boxed reads).
    """
    if ctx.scenario or ctx.proposals or not len(ctx.communities):
        return None
    if not hasattr(ctx.store, "read") or not hasattr(ctx.store, "layers"):
        return None
    radius, snap = 0.0, 0.0
    parks = False
    for spec in specs:
        try:
            r = reach(ctx, spec)
        except Exception as e:  # the row itself will say what is wrong; read whole
            log.info("indicator %s: reach unknown (%s); reading whole layers", spec.id, e)
            return None
        if r is None:
            return None
        radius, snap = max(radius, r[0]), max(snap, r[1])
        parks = parks or (spec.kind == "service_coverage"
                          and str(spec.params.get("target", "parks")) == "parks")
    extent = ctx.communities.total_bounds
    if not np.isfinite(extent).all():
        return None
    near = _grow(extent, radius + MARGIN_M)
    frames: dict[str, gpd.GeoDataFrame] = {}
    served = near
    stored = set(ctx.store.layers())
    present = [n for n in PARK_LAYERS if n in stored]
    if parks and present:
        frames, served = whole_parks(ctx.store, present, near)
    boxes: dict[str, Box] = {}
    if snap > 0:
        boxes["roads"] = _grow(served, snap + MARGIN_M)
    return ReadScope(box=near, boxes=boxes, frames=frames)


def describe(scope: ReadScope | None) -> str:
    """One line for the log: the boxes' sizes in km."""
    if scope is None:
        return "whole layers"
    b = scope.box
    text = f"box {(b[2] - b[0]) / 1e3:.1f} × {(b[3] - b[1]) / 1e3:.1f} km"
    for name, x in scope.boxes.items():
        text += f", {name} {(x[2] - x[0]) / 1e3:.1f} × {(x[3] - x[1]) / 1e3:.1f} km"
    return text + "".join(f", {k} {len(f)} features" for k, f in scope.frames.items())
