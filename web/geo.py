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
    "INLINE_SIMPLIFY_ZOOM",
    "MAP_DECIMALS",
    "WEB_MERCATOR",
    "WGS84",
    "ZONE_SIMPLIFY_ZOOM",
    "degrees_per_pixel",
    "display_bbox_to_wgs84",
    "fit_zoom",
    "grid_summary",
    "metres_per_pixel",
    "parse_bbox",
    "select_bbox",
    "shift_gcj02",
    "simplify_for_zoom",
    "simplify_on_map",
    "to_display",
    "to_feature_collection",
    "zone_display_zoom",
]

WGS84 = "EPSG:4326"
# The CRS of the web map (Leaflet draws in Web Mercator): one pixel at zoom z is the same
# number of its metres everywhere, so a tolerance in pixels is exact there.
WEB_MERCATOR = "EPSG:3857"
# 6 decimals of a degree are about 0.1 m: finer than any screen, and it halves the JSON.
COORD_DECIMALS = 6
# Zone polygons inlined in a map page: 5 decimals, about 1 m (1.1 m north-south, 0.9 m
# east-west at Tianjin's latitude).
MAP_DECIMALS = 5
TILE_PX = 256
# Half the equator in Web Mercator metres: the map at zoom 0 spans twice this in 256 pixels.
_MERCATOR_HALF = 20037508.342789244
# The viewport a map page is fitted to when working out its opening zoom (a laptop screen).
VIEWPORT_PX = (1280, 800)
# Inline layers are simplified to one pixel at this zoom (≈ 1 m): invisible, but lighter.
INLINE_SIMPLIFY_ZOOM = 17
# Zone polygons of an indicator map are simplified to one pixel at the zoom 3 levels in from
# the whole map (zone_display_zoom), but never coarser than one pixel at the zoom a level is
# read at: community names show from 15, so communities keep 1 px at 16 (1.9 m on the ground).
DETAIL_ZOOMS = 3
ZONE_SIMPLIFY_ZOOM = {"district": 14, "street": 15, "community": 16}
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


def metres_per_pixel(zoom: float) -> float:
    """Web Mercator metres covered by one screen pixel at web-map ``zoom``.

    On the ground that is this times cos(latitude): 0.93 m at zoom 17 in Tianjin (39.1° N).

    Examples
    --------
    >>> round(metres_per_pixel(0), 3), round(metres_per_pixel(17), 3)
    (156543.034, 1.194)
    """
    return 2 * _MERCATOR_HALF / (TILE_PX * 2.0 ** min(max(zoom, 0.0), MAX_ZOOM))


def fit_zoom(bounds: Sequence[float], viewport: tuple[int, int] = VIEWPORT_PX) -> int:
    """The zoom at which ``bounds`` (Web Mercator metres) fit ``viewport`` pixels.

    As Leaflet's ``fitBounds`` opens a map: whole zoom levels, at most :data:`MAX_ZOOM`.

    Examples
    --------
    >>> fit_zoom([0, 0, 1280 * metres_per_pixel(12), 10])
    12
    >>> fit_zoom([0, 0, 1281 * metres_per_pixel(12), 10])
    11
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    scale = min(viewport[0] / width, viewport[1] / height) * metres_per_pixel(0)
    return int(min(MAX_ZOOM, max(0, math.floor(math.log2(scale) + 1e-9))))


def simplify_on_map(gdf: gpd.GeoDataFrame, zoom: float, *, gcj02: bool = False
                    ) -> tuple[gpd.GeoDataFrame, float]:
    """Geometries for display: simplified in Web Mercator to one pixel at ``zoom``, in WGS84.

    Each geometry is projected to the map's CRS (EPSG:3857), simplified with
    ``shapely.simplify(preserve_topology=True)`` to a tolerance of one pixel at ``zoom``
    (:func:`metres_per_pixel`: Douglas-Peucker keeping every ring valid and non-empty, so
    no feature is lost), checked to stay within the tolerance of the original (Hausdorff
    distance; a feature GEOS took further is simplified again from another start vertex,
    then more finely), then returned in WGS84 (shifted to GCJ-02 when ``gcj02``). For display only:
    every figure is computed on the stored, full geometries.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in any CRS (the store's metric CRS); none of its rows is dropped.
    zoom : float
        Web-map zoom at which one pixel is the tolerance.
    gcj02 : bool, keyword-only
        Shift the result to GCJ-02 (Amap basemap).

    Returns
    -------
    GeoDataFrame
        The features in EPSG:4326, same rows and columns.
    float
        The tolerance used, in Web Mercator metres.

    Notes
    -----
    The pinned shapely (2.2, GEOS 3.14) has ``coverage_simplify``, which keeps shared edges
    shared; it is not used because its tolerance is Visvalingam-Whyatt's (the square root of
    a triangle's area), which bounds no distance, and it needs an edge-matched coverage.
    Adjacent zones simplified one by one may leave slivers of at most the tolerance: one
    pixel.
    """
    tol = metres_per_pixel(zoom)
    merc = gdf.to_crs(WEB_MERCATOR) if gdf.crs is not None else gdf.set_crs(WEB_MERCATOR)
    full = np.asarray(merc.geometry.values, dtype=object)
    geoms = shapely.simplify(full, tol, preserve_topology=True)
    # GEOS may also drop a ring's start vertex a little beyond the tolerance: measure, and
    # simplify those features again with their rings starting at an extreme vertex
    # (shapely.normalize), then more finely, keeping them whole as a last resort.
    for again in ("normalize", tol / 2, tol / 4, 0.0):
        over = np.flatnonzero(shapely.hausdorff_distance(full, geoms) > tol)
        if not len(over):
            break
        geoms[over] = (
            shapely.simplify(shapely.normalize(full[over]), tol, preserve_topology=True)
            if again == "normalize" else
            shapely.simplify(full[over], again, preserve_topology=True) if again
            else full[over])
    simple = merc.set_geometry(gpd.GeoSeries(geoms, index=merc.index, crs=WEB_MERCATOR))
    return to_display(simple, gcj02=gcj02), tol


def zone_display_zoom(bounds: Sequence[float], level: str) -> int:
    """Zoom whose pixel is the display tolerance of ``level``'s polygons on a map of ``bounds``.

    Three zoom levels in from the view that fits the map (:func:`web.geo.fit_zoom`, 8×
    closer), never coarser than the zoom the level is read at
    (:data:`ZONE_SIMPLIFY_ZOOM`) nor finer than :data:`INLINE_SIMPLIFY_ZOOM`.

    Parameters
    ----------
    bounds : sequence of float
        ``(minx, miny, maxx, maxy)`` of the map in Web Mercator metres.
    level : str
        ``district``, ``street`` or ``community``.

    Returns
    -------
    int

    Examples
    --------
    >>> zone_display_zoom([0, 0, 3_000, 3_000], "community")  # a few streets
    17
    >>> zone_display_zoom([0, 0, 200_000, 100_000], "community")  # a city
    16
    """
    return min(INLINE_SIMPLIFY_ZOOM, max(ZONE_SIMPLIFY_ZOOM.get(level, INLINE_SIMPLIFY_ZOOM),
                                         fit_zoom(bounds) + DETAIL_ZOOMS))


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
    gdf: gpd.GeoDataFrame, *, columns: Sequence[str] | None = None,
    decimals: int = COORD_DECIMALS,
) -> str:
    """GeoJSON FeatureCollection text of ``gdf``: NaN-safe values, coordinates rounded.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features in degrees.
    columns : sequence of str, optional
        Properties to keep (default: every non-geometry column).
    decimals : int, keyword-only
        Decimals of a degree kept (:data:`COORD_DECIMALS`; :data:`MAP_DECIMALS` for the
        zone polygons of a map page).

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
    geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
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
