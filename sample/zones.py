"""Zones of the sample: the district, its six real streets and 64 synthetic communities."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from sample.outline import STREETS

__all__ = [
    "LLOYD_ITERATIONS",
    "community_names",
    "partition",
    "random_points_in",
    "street_zones",
]

LLOYD_ITERATIONS = 6
"""Lloyd relaxations of community seeds: even, compact communities."""
OVERSAMPLE = 4
MIN_PIECE_M2 = 1e-6

_NAME_FIRST = tuple("福安兴和平康宁庆春华昌德仁义荣泰裕丰嘉瑞鑫永长新乐")
_NAME_SECOND = ("里", "园", "苑", "坊", "庄", "邨", "楼", "村")


def random_points_in(
    polys: NDArray[np.object_], counts: NDArray[np.int64], rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Draw uniform random points inside each polygon (vectorised rejection sampling).

    Parameters
    ----------
    polys : array of shapely polygons
    counts : array of int
        Number of points wanted in each polygon.
    rng : numpy.random.Generator

    Returns
    -------
    xy : ndarray of shape (sum(counts), 2)
    owner : ndarray of int
        Index of the polygon each point belongs to.
    """
    counts = np.asarray(counts, dtype=np.int64)
    bounds = shapely.bounds(polys)
    shapely.prepare(polys)
    got_xy: list[NDArray[np.float64]] = []
    got_owner: list[NDArray[np.int64]] = []
    need = counts.copy()
    while need.sum() > 0:
        owner = np.repeat(np.arange(len(polys)), need * OVERSAMPLE)
        b = bounds[owner]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(polys[owner], x, y)
        owner, x, y = owner[inside], x[inside], y[inside]
        # keep the first `need` hits of each polygon
        order = np.argsort(owner, kind="stable")
        owner, x, y = owner[order], x[order], y[order]
        start = np.searchsorted(owner, np.arange(len(polys)))
        rank = np.arange(owner.size) - start[owner]
        keep = rank < need[owner]
        got_xy.append(np.column_stack([x[keep], y[keep]]))
        got_owner.append(owner[keep])
        need = need - np.bincount(owner[keep], minlength=len(polys))
    xy = np.concatenate(got_xy) if got_xy else np.empty((0, 2))
    own = np.concatenate(got_owner) if got_owner else np.empty(0, dtype=np.int64)
    order = np.argsort(own, kind="stable")
    return xy[order], own[order]


def partition(
    region: BaseGeometry, seeds: NDArray[np.float64], *, relax: int = 0
) -> NDArray[np.object_]:
    """Split ``region`` into Voronoi cells of ``seeds`` (optionally Lloyd-relaxed).

    Parameters
    ----------
    region : shapely polygon
    seeds : ndarray of shape (n, 2)
    relax : int, keyword-only
        Number of Lloyd iterations (seeds move to their cells' centroids).

    Returns
    -------
    ndarray of polygons, one per seed, in seed order.
    """
    pts = np.asarray(seeds, dtype=float)
    cells: NDArray[np.object_] = np.empty(0, dtype=object)
    for it in range(relax + 1):
        vor = shapely.voronoi_polygons(
            shapely.multipoints(pts), extend_to=region, ordered=True
        )
        cells = shapely.intersection(shapely.get_parts(vor), region)
        if it < relax:
            c = shapely.centroid(cells)
            pts = np.column_stack([shapely.get_x(c), shapely.get_y(c)])
    return _single_parts(cells, region)


def _largest(geom: BaseGeometry) -> BaseGeometry:
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))] if parts.size > 1 else geom


def _single_parts(cells: NDArray[np.object_], region: BaseGeometry) -> NDArray[np.object_]:
    """Keep each cell's largest piece; give stray pieces to the neighbour sharing most edge."""
    out = np.array([_largest(c) for c in cells], dtype=object)
    rest = shapely.difference(region, shapely.union_all(out))
    for piece in shapely.get_parts(rest):
        if shapely.area(piece) <= MIN_PIECE_M2:
            continue
        shared = shapely.length(shapely.intersection(shapely.boundary(out), piece.buffer(0.01)))
        j = int(np.argmax(shared))
        out[j] = _largest(shapely.union(out[j], piece))
    return out


def street_zones(outline: BaseGeometry, centres: NDArray[np.float64]) -> gpd.GeoDataFrame:
    """Return the six streets as Voronoi cells of their centres clipped to the outline."""
    return gpd.GeoDataFrame(
        {"code": [s.code for s in STREETS], "name": [s.name for s in STREETS]},
        geometry=partition(outline, centres),
    )


def community_names(n: int, rng: np.random.Generator) -> list[str]:
    """Draw ``n`` distinct community names such as 福安里社区."""
    pool = [a + b + "社区" for a in _NAME_FIRST for b in _NAME_SECOND]
    if n > len(pool):
        pool += [f"第{i}社区" for i in range(n - len(pool))]
    idx = rng.choice(len(pool), size=n, replace=False)
    return [pool[i] for i in idx]
