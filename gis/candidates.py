"""Candidate points for siting: along lines, on a grid inside polygons, thinned to a grid.

Pure geometry on arrays of shapely geometries (vectorised, no per-feature loop). The domain
choices (which roads, which land is public) are made in ``layers.siting``.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["grid_cells_over", "grid_points_in", "points_along", "thin_to_grid"]

GeomArray = NDArray[np.object_]


def _valid(geoms: GeomArray) -> GeomArray:
    geoms = np.asarray(geoms, dtype=object).reshape(-1)
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def points_along(lines: GeomArray, *, spacing: float) -> GeomArray:
    """Points every ``spacing`` along each line, the end of each line included.

    Parameters
    ----------
    lines : array_like of shapely LineString
        Lines in a metric CRS.
    spacing : float
        Distance between consecutive points along a line.

    Returns
    -------
    numpy.ndarray of shapely Point

    Examples
    --------
    >>> pts = points_along([shapely.LineString([(0, 0), (25, 0)])], spacing=10)
    >>> shapely.get_coordinates(pts)[:, 0].tolist()
    [0.0, 10.0, 20.0, 25.0]
    """
    lines = _valid(lines)
    if lines.size == 0:
        return np.zeros(0, dtype=object)
    lengths = shapely.length(lines)
    counts = np.floor(lengths / spacing).astype(np.int64) + 1
    owner = np.repeat(np.arange(lines.size), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    offsets = (np.arange(owner.size) - start) * spacing
    pts = shapely.line_interpolate_point(lines[owner], offsets)
    ends = shapely.line_interpolate_point(lines, lengths)
    return np.concatenate([pts, ends])


def thin_to_grid(points: GeomArray, *, spacing: float) -> GeomArray:
    """Keep one point (the first met) per square grid cell of side ``spacing``.

    Examples
    --------
    >>> pts = shapely.points([[1, 1], [2, 2], [12, 1]])
    >>> len(thin_to_grid(pts, spacing=10))
    2
    """
    points = np.asarray(points, dtype=object).reshape(-1)
    if points.size == 0:
        return points
    cells = np.floor(shapely.get_coordinates(points) / spacing).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    return points[np.sort(first)]


def _grid_axes(bounds: NDArray[np.float64], size: float) -> tuple[NDArray[np.float64], ...]:
    x0, y0, x1, y1 = bounds
    xs = np.arange(math.floor(x0 / size), math.ceil(x1 / size)) * size
    ys = np.arange(math.floor(y0 / size), math.ceil(y1 / size)) * size
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def grid_points_in(polygons: GeomArray, *, spacing: float) -> GeomArray:
    """Grid cell centres inside the polygons, plus one point on every polygon.

    The extra point on each polygon makes sure small plots that hold no cell centre still
    get a candidate.

    Examples
    --------
    >>> pts = grid_points_in([shapely.box(0, 0, 20, 10)], spacing=10)
    >>> shapely.get_coordinates(pts).tolist()
    [[5.0, 5.0], [15.0, 5.0], [10.0, 5.0]]
    """
    polys = _valid(polygons)
    if polys.size == 0:
        return np.zeros(0, dtype=object)
    gx, gy = _grid_axes(shapely.total_bounds(polys), spacing)
    grid = shapely.points(gx + spacing / 2, gy + spacing / 2)
    inside = np.unique(shapely.STRtree(polys).query(grid, predicate="intersects")[0])
    return np.concatenate([grid[inside], shapely.point_on_surface(polys)])


def grid_cells_over(polygons: GeomArray, *, size: float) -> GeomArray:
    """Cut the polygons into pieces along a square grid of side ``size``.

    Returns
    -------
    numpy.ndarray of shapely geometry
        Non-empty pieces (polygon ∩ cell); their areas sum to the polygons' area.

    Examples
    --------
    >>> pieces = grid_cells_over([shapely.box(0, 0, 25, 10)], size=10)
    >>> sorted(shapely.area(pieces).tolist())
    [50.0, 100.0, 100.0]
    """
    polys = _valid(polygons)
    if polys.size == 0:
        return np.zeros(0, dtype=object)
    gx, gy = _grid_axes(shapely.total_bounds(polys), size)
    cells = shapely.box(gx, gy, gx + size, gy + size)
    cell_idx, poly_idx = shapely.STRtree(polys).query(cells, predicate="intersects")
    pieces = shapely.intersection(polys[poly_idx], cells[cell_idx])
    return pieces[shapely.area(pieces) > 0]
