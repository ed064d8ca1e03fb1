"""Geometry for display: WGS84 / GCJ-02, bounding boxes, zoom simplification, grid summaries.

Pure functions on GeoDataFrames; the routers and map builders call them. Everything is
vectorised (shapely 2 arrays, the GeoDataFrame's STRtree, numpy grouping).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.crs import wgs84_to_gcj02, wgs84_to_pseudo

__all__ = [
    "COORD_DECIMALS",
    "WGS84",
    "degrees_per_pixel",
    "display_bbox_to_wgs84",
    "grid_summary",
    "parse_bbox",
    "select_bbox",
    "shift_gcj02",
    "simplify_for_zoom",
    "to_display",
    "to_feature_collection",
]

WGS84 = "EPSG:4326"
# 6 decimals of a degree are about 0.1 m: finer than any screen, and it halves the JSON.
COORD_DECIMALS = 6
TILE_PX = 256
# Leaflet's default maximum zoom; tolerances below this are meaningless on screen.
MAX_ZOOM = 22


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``"minx,miny,maxx,maxy"`` (longitude/latitude degrees).

    Parameters
    ----------
    text : str or None
        The query parameter; None or empty means no box.

    Returns
    -------
    tuple of float or None

    Raises
    ------
    ValueError
        Not four numbers, or min above max.

    Examples
    --------
    >>> parse_bbox("117.1,39.0,117.3,39.2")
    (117.1, 39.0, 117.3, 39.2)
    """
    if not text:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"bbox must be minx,miny,maxx,maxy; got {text!r}")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as e:
        raise ValueError(f"bbox must be four numbers; got {text!r}") from e
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or minx > maxx or miny > maxy:
        raise ValueError(f"bbox must have min <= max and finite numbers; got {text!r}")
    return minx, miny, maxx, maxy


def shift_gcj02(geoms: NDArray[Any] | gpd.GeoSeries) -> NDArray[Any]:
    """Shift WGS84 geometries to GCJ-02 so they line up with Amap tiles.

    Parameters
    ----------
    geoms : array of shapely geometries or GeoSeries
        Longitude/latitude geometries.

    Returns
    -------
    numpy.ndarray of shapely geometries
    """
    arr = np.asarray(geoms.values if isinstance(geoms, gpd.GeoSeries) else geoms, dtype=object)
    return np.asarray(wgs84_to_pseudo(arr, "gcj02"), dtype=object)


def display_bbox_to_wgs84(
    bbox: tuple[float, float, float, float], *, gcj02: bool
) -> tuple[float, float, float, float]:
    """Turn a bounding box seen on a GCJ-02 basemap back into WGS84 (approximately).

    The GCJ-02 offset varies by a few metres across a city view; the box is moved by the
    offset at its centre and grown by the offset's spread over its corners, so it always
    contains what is on screen.
    """
    if not gcj02:
        return bbox
    minx, miny, maxx, maxy = bbox
    xs = np.array([minx, maxx, minx, maxx, (minx + maxx) / 2])
    ys = np.array([miny, miny, maxy, maxy, (miny + maxy) / 2])
    gx, gy = wgs84_to_gcj02(xs, ys)
    dx, dy = gx - xs, gy - ys
    pad_x = float(np.ptp(dx))
    pad_y = float(np.ptp(dy))
    return (
        minx - float(dx[4]) - pad_x,
        miny - float(dy[4]) - pad_y,
        maxx - float(dx[4]) + pad_x,
        maxy - float(dy[4]) + pad_y,
    )


def to_display(gdf: gpd.GeoDataFrame, *, gcj02: bool = False) -> gpd.GeoDataFrame:
    """Reproject to WGS84 and optionally shift to GCJ-02.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer in any CRS (the store's metric CRS).
    gcj02 : bool, keyword-only
        Shift the result to GCJ-02 (Amap basemap).

    Returns
    -------
    GeoDataFrame
        In EPSG:4326 (coordinates shifted when ``gcj02``).
    """
    out = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
    if gcj02:
        out = out.set_geometry(gpd.GeoSeries(shift_gcj02(out.geometry), index=out.index,
                                             crs=WGS84))
    return out


def select_bbox(gdf: gpd.GeoDataFrame, bbox: tuple[float, float, float, float] | None
                ) -> gpd.GeoDataFrame:
    """Features whose geometry intersects ``bbox`` (STRtree query), in their original order."""
    if bbox is None or gdf.empty:
        return gdf
    idx = gdf.sindex.query(shapely.box(*bbox), predicate="intersects")
    return gdf.iloc[np.sort(idx)]


def degrees_per_pixel(zoom: float) -> float:
    """Longitude degrees covered by one screen pixel at web-map ``zoom``.

    Examples
    --------
    >>> degrees_per_pixel(0) == 360 / 256
    True
    """
    return 360.0 / (TILE_PX * 2.0 ** min(max(zoom, 0.0), MAX_ZOOM))


def simplify_for_zoom(gdf: gpd.GeoDataFrame, zoom: float | None) -> gpd.GeoDataFrame:
    """Simplify to one pixel at ``zoom`` (topology preserved per feature); None keeps all."""
    if zoom is None or gdf.empty:
        return gdf
    tol = degrees_per_pixel(zoom)
    geoms = shapely.simplify(np.asarray(gdf.geometry.values, dtype=object), tol,
                             preserve_topology=True)
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


def grid_summary(
    gdf: gpd.GeoDataFrame,
    cell_deg: float,
    *,
    measure: Sequence[float] | NDArray[np.float64] | None = None,
    sums: Mapping[str, Sequence[float] | NDArray[np.float64]] | None = None,
) -> gpd.GeoDataFrame:
    """Summarise features on a square grid of ``cell_deg`` degrees (by representative point).

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in degrees.
    cell_deg : float
        Cell size in degrees.
    measure : array of float, optional
        A value per feature to sum per cell (e.g. area in m²).
    sums : mapping of str to array of float, optional
        More values per feature summed per cell, each in a column of its name (missing
        values count as 0), e.g. suitable and total roof area for a share per cell.

    Returns
    -------
    GeoDataFrame
        One square per non-empty cell, with ``count`` and ``measure`` (sum; 0 without one),
        in ``gdf``'s CRS.
    """
    cols = ["count", "measure", "geometry"]
    if gdf.empty:
        return gpd.GeoDataFrame({c: [] for c in cols[:-1]}, geometry=[], crs=gdf.crs)
    pts = shapely.point_on_surface(np.asarray(gdf.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    ij = np.floor(xy / cell_deg).astype(np.int64)
    cells, inverse = np.unique(ij, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    count = np.bincount(inverse, minlength=len(cells))
    weights = np.zeros(len(gdf)) if measure is None else np.asarray(measure, dtype=float)
    total = np.bincount(inverse, weights=np.nan_to_num(weights), minlength=len(cells))
    x0 = cells[:, 0] * cell_deg
    y0 = cells[:, 1] * cell_deg
    boxes = shapely.box(x0, y0, x0 + cell_deg, y0 + cell_deg)
    extra = {name: np.bincount(inverse, weights=np.nan_to_num(np.asarray(v, dtype=float)),
                               minlength=len(cells))
             for name, v in (sums or {}).items() if name not in ("count", "measure")}
    return gpd.GeoDataFrame({"count": count, "measure": total, **extra}, geometry=boxes,
                            crs=gdf.crs)


def to_feature_collection(
    gdf: gpd.GeoDataFrame, *, columns: Sequence[str] | None = None
) -> str:
    """GeoJSON FeatureCollection text of ``gdf``: NaN-safe values, coordinates rounded.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in degrees.
    columns : sequence of str, optional
        Properties to keep (default: every non-geometry column).

    Returns
    -------
    str
        ``{"type": "FeatureCollection", "features": [...]}``; property values are plain
        JSON (NaN and missing become null), never HTML-escaped: escaping is the job of
        whatever shows them.
    """
    cols = [c for c in (columns if columns is not None else gdf.columns)
            if c != gdf.geometry.name and c in gdf.columns]
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))
    geo_json = shapely.to_geojson(geoms)
    frame = pd.DataFrame(gdf[cols]).reset_index(drop=True)
    # pandas writes the properties in C (NaN -> null, numpy scalars, dates as ISO text).
    props = json.loads(
        frame.to_json(orient="records", force_ascii=False, date_format="iso",
                      default_handler=str)
    ) if cols else [{} for _ in range(len(gdf))]
    parts = [
        '{"type":"Feature","properties":' + json.dumps(p, ensure_ascii=False)
        + ',"geometry":' + (g if g is not None else "null") + "}"
        for p, g in zip(props, geo_json, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
