"""The walking graph of a project: one definition for indicators, siting and the web.

Built from the store's ``roads`` layer: every road except those marked ``walkable = false``
(when ``[params.coverage] walkable_only``, the default; a missing value counts as walkable),
vertices closer than ``road_snap_tolerance_m`` merged (:func:`gis.network.graph_from_lines`).
Points reach it within ``demand_snap_m`` (homes, point facilities, candidate sites) and park
boundaries within ``entrance_snap_m`` (:func:`walk_options`).

The graph is built once per store version (path, size and modification time of the store
file) and kept in memory for the life of the process; a rebuilt store gets a new graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gis.coverage import WalkOptions
from gis.network import WalkGraph, graph_from_lines
from layers.indicators.inputs import NoData, read_layer, read_scope, theme_params
from layers.indicators.registry import MetricContext
from layers.params import CoverageParams

__all__ = ["walk_graph", "walk_options", "walk_params"]

# (store path, size, mtime_ns, walkable_only, tolerance) → graph; one store version kept.
_GRAPHS: dict[tuple[Any, ...], WalkGraph] = {}


def walk_params(ctx: MetricContext) -> CoverageParams:
    """Walking parameters: ``[params.coverage]`` of the run (snapping, spacing, roads)."""
    return theme_params(ctx, CoverageParams)


def walk_options(ctx: MetricContext) -> WalkOptions:
    """The snapping distances and sample spacings of walking mode."""
    p = walk_params(ctx)
    return WalkOptions(
        demand_snap=float(p.demand_snap_m),
        entrance_snap=float(p.entrance_snap_m),
        access_spacing=float(p.access_spacing_m),
        grid_spacing=float(p.grid_spacing_m),
    )


def _version(ctx: MetricContext) -> tuple[Any, ...]:
    path = ctx.store.path
    if not isinstance(path, Path):  # a PostGIS store: its version changes at every write
        return (str(path), ctx.store.version())
    try:
        st = path.stat()
        return (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        return (str(path), None, None)


def walk_graph(ctx: MetricContext) -> WalkGraph:
    """The walking graph of the store's roads (built once per store version).

    Raises
    ------
    NoData
        The store has no roads layer, or no walkable road.
    """
    if "walk:graph" in ctx.cache:
        cached: WalkGraph = ctx.cache["walk:graph"]
        return cached
    params = walk_params(ctx)
    scope = read_scope(ctx)  # a district's neighbourhood only: a graph of its own
    key = (*_version(ctx), bool(params.walkable_only), float(params.road_snap_tolerance_m),
           None if scope is None else scope.boxes.get("roads", scope.box))
    graph = _GRAPHS.get(key)
    if graph is None:
        roads = read_layer(ctx, "roads")
        if params.walkable_only and "walkable" in roads.columns:
            roads = roads[roads["walkable"].astype(object).ne(False).to_numpy()]
        if len(roads) == 0:
            raise NoData("layer roads has no walkable road")
        graph = graph_from_lines(
            np.asarray(roads.geometry.values, dtype=object),
            snap_tolerance=float(params.road_snap_tolerance_m),
        )
        _GRAPHS.clear()
        _GRAPHS[key] = graph
    ctx.cache["walk:graph"] = graph
    return graph
