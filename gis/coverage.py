"""Service-radius coverage: how much of a base (land, homes) lies within reach of facilities.

Two distance modes share one demand model so that they can be compared:

``straight``
    A base polygon piece is covered where it lies inside the union of the facilities'
    buffers (each facility with its own radius). Areas are exact up to the buffer's polygon
    approximation (:data:`QUAD_SEGS` segments per quarter circle). Points (homes) are covered
    when their straight distance to a facility is at most its radius.
``walk``
    Distance along the road network (:mod:`gis.network`). Points are covered when their
    walking distance to a facility is at most its radius. Land is sampled on a regular grid
    (``grid_spacing``); a piece's walking-covered area is its area times the share of its
    samples reached, capped by its straight-line covered area. Walking distance is never
    shorter than straight distance, so walking coverage ≤ straight coverage by construction,
    zone by zone.

Overlapping radii are never counted twice: covered area is the area of the piece inside the
*union* of the buffers that touch it.

Walking mode needs a :class:`gis.network.WalkGraph`. Facilities reach the network through
access points: a polygon (a park) through points sampled along its boundary every
``access_spacing`` metres that lie within ``entrance_snap`` of a road; a point facility, and
every demand point, through the nearest road within ``demand_snap``. Demand that cannot be
reached is reported by reason (off the network, disconnected), not dropped.

The functions take and return plain arrays (shapely geometries, numpy numbers) in a metric
CRS; :mod:`layers.coverage` adapts them to the project's layers and indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.errors import GEOSException

from gis.network import DISCONNECTED, OFF_NETWORK, REACHED, TOO_FAR, WalkGraph
from gis.overlay import Pieces
from gis.overlay import split_by_zones as overlay_split
from gis.walkcover import walk_reach

__all__ = [
    "QUAD_SEGS",
    "AreaCoverage",
    "PointCoverage",
    "SizeRule",
    "WalkOptions",
    "area_coverage",
    "dissolve_touching",
    "grid_samples",
    "point_coverage",
    "polygon_parts",
    "polygonal",
    "radius_by_size",
    "split_by_zones",
    "uncovered_parts",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]

#: Segments per quarter circle of a buffer: 128-gon, area 0.04 % under the true circle.
QUAD_SEGS = 32


@dataclass(frozen=True)
class SizeRule:
    """One row of a size-class table: facilities of this size serve this radius.

    Attributes
    ----------
    radius : float
        Service radius in metres.
    min_area : float
        Smallest facility area (m², inclusive).
    max_area : float
        Largest facility area (m², exclusive).
    historic_only : bool
        The rule applies only to facilities in a historic district.
    """

    radius: float
    min_area: float = 0.0
    max_area: float = float("inf")
    historic_only: bool = False


@dataclass(frozen=True)
class WalkOptions:
    """Parameters of the walking mode.

    Attributes
    ----------
    demand_snap : float
        Demand points farther than this from every road are reported off-network (m).
    entrance_snap : float
        Boundary access points of polygon facilities farther than this from every road are
        not used (m). Point facilities snap like demand, within ``demand_snap``.
    access_spacing : float
        Spacing of access points along a polygon facility's boundary (m).
    grid_spacing : float
        Spacing of the sample grid over base land (m).
    """

    demand_snap: float = 150.0
    entrance_snap: float = 50.0
    access_spacing: float = 25.0
    grid_spacing: float = 10.0


@dataclass(frozen=True)
class AreaCoverage:
    """Covered area of each base piece.

    Attributes
    ----------
    area : ndarray of float
        Area of each piece (m²).
    covered : ndarray of float
        Covered area of each piece (m²).
    unreached : dict of str to ndarray of float
        Walking mode only: area of each piece whose samples are off the network or on a
        network part without facilities (``off_network``, ``disconnected``).
    """

    area: FloatArray
    covered: FloatArray
    unreached: dict[str, FloatArray]


@dataclass(frozen=True)
class PointCoverage:
    """Coverage of demand points.

    Attributes
    ----------
    covered : ndarray of bool
        Point within reach of a facility.
    distance : ndarray of float
        Distance to the nearest facility, measured in the mode used (inf when not reached
        within the largest radius).
    reason : ndarray of int
        :data:`gis.network.REASONS` code (straight mode: reached or too far).
    """

    covered: BoolArray
    distance: FloatArray
    reason: IntArray


def dissolve_touching(polygons: ArrayLike) -> GeomArray:
    """Merge polygons that touch or overlap into single polygons.

    Parameters
    ----------
    polygons : array_like of shapely Polygon or MultiPolygon

    Returns
    -------
    ndarray of shapely Polygon
        One polygon per connected group.

    Examples
    --------
    >>> parts = dissolve_touching([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1),
    ...                            shapely.box(5, 5, 6, 6)])
    >>> sorted(shapely.area(parts).tolist())
    [1.0, 2.0]
    """
    geoms = np.asarray(polygons, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if len(geoms) == 0:
        return np.array([], dtype=object)
    try:
        union = shapely.union_all(geoms)
    except GEOSException:
        # an invalid polygon (a store built before the build repaired what reprojection
        # broke): GEOS cannot node it; repair the invalid ones as the build does, once
        invalid = ~shapely.is_valid(geoms)
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        union = shapely.union_all(geoms)
    merged = shapely.get_parts(union)
    return merged[shapely.get_type_id(merged) == shapely.GeometryType.POLYGON]


def radius_by_size(
    areas: ArrayLike, rules: Sequence[SizeRule], *, historic: ArrayLike | None = None
) -> FloatArray:
    """Service radius of each facility from its area (largest matching rule; 0 for none).

    Parameters
    ----------
    areas : array_like of float
        Facility areas in m².
    rules : sequence of SizeRule
        The size-class table.
    historic : array_like of bool, optional
        Whether each facility lies in a historic district (for ``historic_only`` rules).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> rules = [SizeRule(500, min_area=5000), SizeRule(300, min_area=2000, max_area=5000)]
    >>> radius_by_size([6000, 4999, 1999], rules).tolist()
    [500.0, 300.0, 0.0]
    """
    a = np.asarray(areas, dtype=float)
    hist = np.zeros(len(a), dtype=bool) if historic is None else np.asarray(historic, bool)
    radius = np.zeros(len(a))
    for rule in rules:  # a handful of rules, vectorised over facilities
        hit = (a >= rule.min_area) & (a < rule.max_area)
        if rule.historic_only:
            hit &= hist
        radius = np.where(hit, np.maximum(radius, rule.radius), radius)
    return radius


def split_by_zones(
    geoms: ArrayLike, zones: ArrayLike
) -> tuple[GeomArray, IntArray, IntArray]:
    """Cut polygons by zones (:func:`gis.overlay.split_by_zones`, polygon parts only).

    Parameters
    ----------
    geoms : array_like of shapely Polygon
        The base polygons (e.g. residential land).
    zones : array_like of shapely Polygon
        The zones (e.g. communities).

    Returns
    -------
    pieces : ndarray of shapely geometry
        Non-empty polygonal pieces ``geom ∩ zone``.
    zone_idx : ndarray of int
        Index of each piece's zone.
    geom_idx : ndarray of int
        Index of each piece's source polygon.
    """
    g = np.asarray(geoms, dtype=object)
    return polygon_parts(overlay_split(g, np.asarray(zones, dtype=object), measure="area"))


def polygon_parts(parts: Pieces) -> tuple[GeomArray, IntArray, IntArray]:
    """The polygons of parts cut by zones (clipping may leave lines or points beside them).

    Parameters
    ----------
    parts : gis.overlay.Pieces
        Polygons cut by zones (:func:`gis.overlay.split_by_zones`).

    Returns
    -------
    pieces, zone_idx, geom_idx
        As :func:`split_by_zones` returns them.
    """
    pieces = parts.geometry.copy()
    polygon_types = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
    mixed = ~np.isin(shapely.get_type_id(pieces), polygon_types)
    pieces[mixed] = polygonal(pieces[mixed])
    return pieces, parts.zone.astype(np.int64), parts.feature.astype(np.int64)


def polygonal(geoms: ArrayLike) -> GeomArray:
    """Keep only the polygon parts of each geometry (as a MultiPolygon, or empty).

    Parameters
    ----------
    geoms : array_like of shapely geometry
        E.g. results of intersections, which may hold lines and points.

    Returns
    -------
    ndarray of shapely MultiPolygon
    """
    g = np.asarray(geoms, dtype=object)
    parts, idx = shapely.get_parts(g, return_index=True)
    poly = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    out = np.full(len(g), None, dtype=object)
    if poly.any():
        shapely.multipolygons(parts[poly], indices=idx[poly], out=out)
    out[shapely.is_missing(out)] = shapely.MultiPolygon()
    return out


def _buffers(facilities: GeomArray, radii: FloatArray) -> GeomArray:
    keep = radii > 0
    return np.asarray(
        shapely.buffer(facilities[keep], radii[keep], quad_segs=QUAD_SEGS), dtype=object
    )


def _local_unions(
    pieces: GeomArray, buffers: GeomArray
) -> tuple[BoolArray, IntArray, GeomArray]:
    """Classify pieces against the buffers.

    Returns the mask of pieces wholly inside one buffer, and for the pieces only partly
    covered their indices and the union of the buffers clipped to them (one union per
    piece, computed in one vectorised call on a padded array).
    """
    full = np.zeros(len(pieces), dtype=bool)
    if len(buffers) == 0 or len(pieces) == 0:
        return full, np.zeros(0, np.int64), np.array([], dtype=object)
    tree = shapely.STRtree(buffers)
    pw, _ = tree.query(pieces, predicate="within")
    full[pw] = True
    pi, bi = tree.query(pieces, predicate="intersects")
    part = ~full[pi]
    pi, bi = pi[part], bi[part]
    if len(pi) == 0:
        return full, np.zeros(0, np.int64), np.array([], dtype=object)
    order = np.argsort(pi, kind="stable")
    pi, bi = pi[order], bi[order]
    clipped = shapely.intersection(pieces[pi], buffers[bi])
    groups, start, size = np.unique(pi, return_index=True, return_counts=True)
    rank = np.arange(len(pi)) - np.repeat(start, size)
    padded = np.full((len(groups), int(size.max())), None, dtype=object)
    padded[np.repeat(np.arange(len(groups)), size), rank] = clipped
    unions = np.asarray(shapely.union_all(padded, axis=1), dtype=object)
    return full, groups.astype(np.int64), unions


def _straight_covered_area(pieces: GeomArray, buffers: GeomArray) -> FloatArray:
    area = shapely.area(pieces)
    full, groups, unions = _local_unions(pieces, buffers)
    covered = np.where(full, area, 0.0)
    covered[groups] = shapely.area(unions)
    return np.minimum(covered, area)


def uncovered_parts(pieces: ArrayLike, facilities: ArrayLike, radii: ArrayLike) -> GeomArray:
    """The part of each piece outside every facility's straight-line radius.

    Parameters
    ----------
    pieces : array_like of shapely Polygon
        Base pieces (e.g. residential land cut by communities).
    facilities : array_like of shapely geometry
        Facilities (points or polygons).
    radii : array_like of float
        Radius of each facility in metres (0: the facility does not serve).

    Returns
    -------
    ndarray of shapely MultiPolygon
        Empty where the piece is wholly covered.
    """
    p = np.asarray(pieces, dtype=object)
    buf = _buffers(np.asarray(facilities, dtype=object), np.asarray(radii, dtype=float))
    full, groups, unions = _local_unions(p, buf)
    out = polygonal(p)
    out[full] = shapely.MultiPolygon()
    if len(groups):
        out[groups] = polygonal(shapely.difference(p[groups], unions))
    return out


def grid_samples(
    polygons: ArrayLike, *, spacing: float
) -> tuple[NDArray[np.object_], IntArray]:
    """Sample polygons on a regular grid aligned to the CRS origin.

    Cell centres ``((i + 0.5) * spacing, (j + 0.5) * spacing)`` inside each polygon are
    returned; a polygon that holds no centre gets its representative point, so that every
    polygon has at least one sample.

    Parameters
    ----------
    polygons : array_like of shapely Polygon
    spacing : float
        Grid spacing in metres.

    Returns
    -------
    points : ndarray of shapely Point
    owner : ndarray of int
        Index of the polygon of each sample.

    Examples
    --------
    >>> pts, owner = grid_samples([shapely.box(0, 0, 20, 10), shapely.box(100, 100, 101, 101)],
    ...                           spacing=10)
    >>> owner.tolist()
    [0, 0, 1]
    """
    g = np.asarray(polygons, dtype=object)
    n = len(g)
    if n == 0:
        return np.array([], dtype=object), np.zeros(0, np.int64)
    shapely.prepare(g)
    b = shapely.bounds(g)
    i0 = np.ceil(b[:, 0] / spacing - 0.5).astype(np.int64)
    i1 = np.floor(b[:, 2] / spacing - 0.5).astype(np.int64)
    j0 = np.ceil(b[:, 1] / spacing - 0.5).astype(np.int64)
    j1 = np.floor(b[:, 3] / spacing - 0.5).astype(np.int64)
    nx = np.maximum(i1 - i0 + 1, 0)
    ny = np.maximum(j1 - j0 + 1, 0)
    counts = nx * ny
    owner = np.repeat(np.arange(n, dtype=np.int64), counts)
    local = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    x = (i0[owner] + local % np.maximum(nx[owner], 1) + 0.5) * spacing
    y = (j0[owner] + local // np.maximum(nx[owner], 1) + 0.5) * spacing
    inside = shapely.contains_xy(g[owner], x, y)
    owner, x, y = owner[inside], x[inside], y[inside]
    empty = np.setdiff1d(np.arange(n), owner)
    rep = shapely.get_coordinates(shapely.point_on_surface(g[empty]))
    pts = shapely.points(np.concatenate([np.column_stack([x, y]), rep]))
    return pts, np.concatenate([owner, empty]).astype(np.int64)


def _straight_point_distance(
    points: GeomArray, facilities: GeomArray, radii: FloatArray
) -> tuple[BoolArray, FloatArray]:
    """Covered flag (distance ≤ the facility's own radius) and nearest distance ≤ max radius."""
    covered = np.zeros(len(points), dtype=bool)
    nearest = np.full(len(points), np.inf)
    serve = radii > 0
    if not serve.any() or len(points) == 0:
        return covered, nearest
    fac, rad = facilities[serve], radii[serve]
    tree = shapely.STRtree(fac)
    pi, fi = tree.query(points, predicate="dwithin", distance=float(rad.max()))
    d = shapely.distance(points[pi], fac[fi])
    np.logical_or.at(covered, pi, d <= rad[fi])
    np.minimum.at(nearest, pi, d)
    return covered, nearest


def point_coverage(
    points: ArrayLike,
    facilities: ArrayLike,
    radii: ArrayLike,
    *,
    mode: str = "straight",
    graph: WalkGraph | None = None,
    walk: WalkOptions | None = None,
    report_all: bool = True,
) -> PointCoverage:
    """Which demand points lie within their radius of some facility.

    Parameters
    ----------
    points : array_like of shapely Point
        Demand points (e.g. residential building centroids).
    facilities : array_like of shapely geometry
        Facilities: points, or polygons (distance is measured to the polygon; in walking
        mode its boundary, sampled every ``walk.access_spacing`` m, gives the entrances).
    radii : array_like of float
        Radius of each facility (0: it does not serve).
    mode : {"straight", "walk"}
        Distance mode.
    graph : WalkGraph, optional
        Required in walking mode.
    walk : WalkOptions, optional
        Walking parameters.
    report_all : bool, default True
        Walking mode: also snap the points out of straight reach, so that every point
        off the network is reported as such (False: only those within straight reach).

    Returns
    -------
    PointCoverage

    Examples
    --------
    >>> cov = point_coverage([shapely.Point(0, 0), shapely.Point(400, 0)],
    ...                      [shapely.Point(0, 300)], [300.0])
    >>> cov.covered.tolist()
    [True, False]
    """
    pts = np.asarray(points, dtype=object)
    fac = np.asarray(facilities, dtype=object)
    rad = np.asarray(radii, dtype=float)
    if mode == "walk":
        if graph is None:
            raise ValueError("walking mode needs a road graph")
        opts = walk or WalkOptions()
        reach = walk_reach(
            pts, fac, rad, graph,
            straight_within=lambda idx: _straight_point_distance(pts[idx], fac, rad)[0],
            demand_snap=opts.demand_snap, entrance_snap=opts.entrance_snap,
            access_spacing=opts.access_spacing, report_all=report_all,
        )
        return PointCoverage(reach.covered, reach.distance, reach.reason)
    if mode != "straight":
        raise ValueError(f"unknown distance mode {mode!r} (straight or walk)")
    covered, nearest = _straight_point_distance(pts, fac, rad)
    reason = np.where(covered, REACHED, TOO_FAR).astype(np.int64)
    return PointCoverage(covered, nearest, reason)


def area_coverage(
    pieces: ArrayLike,
    facilities: ArrayLike,
    radii: ArrayLike,
    *,
    mode: str = "straight",
    graph: WalkGraph | None = None,
    walk: WalkOptions | None = None,
    samples: tuple[GeomArray, IntArray] | None = None,
) -> AreaCoverage:
    """Covered area of each base piece, straight-line or walking.

    Parameters
    ----------
    pieces : array_like of shapely Polygon
        Base pieces (e.g. residential land cut by communities, see :func:`split_by_zones`).
    facilities : array_like of shapely geometry
        Facilities (points or polygons).
    radii : array_like of float
        Radius of each facility in metres (0: it does not serve).
    mode : {"straight", "walk"}
        Distance mode (see the module docstring).
    graph : WalkGraph, optional
        Required in walking mode.
    walk : WalkOptions, optional
        Walking parameters.
    samples : (points, owner), optional
        Walking mode: ``grid_samples(pieces, spacing=walk.grid_spacing)`` if already at hand
        (rows over the same land share them).

    Returns
    -------
    AreaCoverage

    Examples
    --------
    A 100 m × 100 m square whose left half lies within 50 m of a line of facilities:

    >>> cov = area_coverage([shapely.box(0, 0, 100, 100)],
    ...                     [shapely.LineString([(-50, -200), (-50, 300)])], [100.0])
    >>> round(float(cov.covered[0]))
    5000
    """
    p = np.asarray(pieces, dtype=object)
    fac = np.asarray(facilities, dtype=object)
    rad = np.asarray(radii, dtype=float)
    area = shapely.area(p)
    straight = _straight_covered_area(p, _buffers(fac, rad))
    if mode == "straight":
        return AreaCoverage(area, straight, {})
    if mode != "walk":
        raise ValueError(f"unknown distance mode {mode!r} (straight or walk)")
    opts = walk or WalkOptions()
    points, owner = samples or grid_samples(p, spacing=opts.grid_spacing)
    cov = point_coverage(
        points, fac, rad, mode="walk", graph=graph, walk=opts, report_all=False
    )
    n_samples = np.bincount(owner, minlength=len(p)).astype(float)
    cell = area / np.maximum(n_samples, 1.0)  # area each sample stands for
    walked = np.bincount(owner, cov.covered.astype(float), minlength=len(p)) * cell
    unreached = {
        name: np.bincount(owner, (cov.reason == code).astype(float), minlength=len(p)) * cell
        for code, name in ((OFF_NETWORK, "off_network"), (DISCONNECTED, "disconnected"))
    }
    return AreaCoverage(area, np.minimum(walked, straight), unreached)
