"""Walking coverage of demand points: the walking mode of :func:`gis.coverage.point_coverage`.

A point is covered when its walking distance to a facility is at most that facility's radius
(:mod:`gis.coverage` explains the model). Computed per radius class (facilities sharing a
radius) with one bounded multi-source Dijkstra each (:func:`gis.network.source_field`,
remembered by the graph, so rows and runs asking for the same facilities share it), read for
every point at once (:func:`gis.network.target_distances`); points are snapped once and
remembered by the graph too.

The walking distance is never shorter than the straight one, so only points within a
facility's straight-line radius can be covered; which points those are decides what is
reported for the points *not* covered (off the network or on a network part without
facilities, counted only among them, against plain "too far"). Rather than testing every
point against every facility, the straight test is asked only where the walking distances do
not already answer it: a point walking to a facility well within its radius is within it in a
straight line too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.network import (
    DISCONNECTED,
    LIMIT_SLACK,
    OFF_NETWORK,
    REACHED,
    TOO_FAR,
    Snapped,
    WalkGraph,
    boundary_access_points,
    snap_to_graph,
    source_field,
    target_distances,
)

__all__ = ["WalkReach", "walk_reach"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]

#: A walk this much shorter than the radius settles the straight test without GEOS (metres;
#: far above the rounding of either distance).
SURE_MARGIN_M = 1e-3


@dataclass(frozen=True)
class WalkReach:
    """Walking coverage of demand points.

    Attributes
    ----------
    covered : ndarray of bool
    distance : ndarray of float
        Walking distance to the nearest facility reached within its radius; inf otherwise.
    reason : ndarray of int
        :data:`gis.network.REASONS` code.
    """

    covered: BoolArray
    distance: FloatArray
    reason: IntArray


def _sources(
    graph: WalkGraph, facilities: GeomArray, *, entrance_snap: float, demand_snap: float,
    access_spacing: float,
) -> Snapped:
    """Access points of facilities: polygon edges every ``access_spacing``, points as homes."""
    polygon = np.isin(
        shapely.get_type_id(facilities),
        [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON],
    )
    access, _ = boundary_access_points(facilities[polygon], spacing=access_spacing)
    # polygon entrances must lie near a road; a point facility (a door inside a block)
    # is reached like a home, from the nearest road within the demand snapping distance
    a = snap_to_graph(graph, access, max_distance=entrance_snap)
    b = snap_to_graph(graph, facilities[~polygon], max_distance=demand_snap)
    return Snapped(
        np.concatenate([a.edge, b.edge]),
        np.concatenate([a.t, b.t]),
        np.concatenate([a.offset, b.offset]),
    )


def walk_reach(
    points: GeomArray,
    facilities: GeomArray,
    radii: FloatArray,
    graph: WalkGraph,
    *,
    straight_within: Callable[[IntArray], BoolArray],
    demand_snap: float,
    entrance_snap: float,
    access_spacing: float,
    report_all: bool = True,
) -> WalkReach:
    """Which points walk to a facility within its radius, and why the others do not.

    Parameters
    ----------
    points : ndarray of shapely Point
        Demand points.
    facilities : ndarray of shapely geometry
        Facilities; polygons are entered through their boundary.
    radii : ndarray of float
        Radius of each facility (0: it does not serve).
    graph : WalkGraph
    straight_within : callable
        ``straight_within(idx)``: whether each point ``points[idx]`` lies within the straight
        radius of some facility (the test of straight mode, asked for few points).
    demand_snap, entrance_snap, access_spacing : float
        Snapping distances of points and of polygon entrances, and the entrance spacing (m).
    report_all : bool, default True
        Report every point off the network as such; False: only those within straight reach.

    Returns
    -------
    WalkReach
        As :func:`gis.coverage.point_coverage` in walking mode.
    """
    n = len(points)
    target = snap_to_graph(graph, points, max_distance=demand_snap)
    snapped = target.edge >= 0
    comp = np.where(snapped, graph.component[graph.u[np.maximum(target.edge, 0)]], -1)
    walk_cov = np.zeros(n, dtype=bool)
    sure = np.zeros(n, dtype=bool)
    connected = ~snapped
    nearest = np.full(n, np.inf)
    for r in np.unique(radii[radii > 0]):  # one field per radius class (a handful)
        source = _sources(
            graph, facilities[radii == r], entrance_snap=entrance_snap,
            demand_snap=demand_snap, access_spacing=access_spacing,
        )
        field = source_field(graph, source, limit=float(r))
        d = target_distances(graph, field, target, limit=float(r))
        walk_cov |= d <= r + LIMIT_SLACK
        sure |= d <= r - SURE_MARGIN_M
        nearest = np.minimum(nearest, d)
        connected |= np.isin(comp, field.components)
    # within straight reach: sure where the walk is well inside a radius; asked where the
    # answer matters (a walk just at the radius, no facility on the network part, off it)
    need = (walk_cov & ~sure) | (snapped & ~walk_cov & ~connected)
    if not report_all:
        need |= ~snapped
    within = sure.copy()
    ask = np.flatnonzero(need)
    if len(ask):
        within[ask] = straight_within(ask)
    covered = walk_cov & within
    reason = np.full(n, TOO_FAR, dtype=np.int64)
    reason[covered] = REACHED
    reason[within & snapped & ~connected] = DISCONNECTED
    reason[~snapped & (within | report_all)] = OFF_NETWORK
    return WalkReach(covered, np.where(within, nearest, np.inf), reason)
