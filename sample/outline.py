"""The real part of the Heping sample: the district outline and its six streets.

The outline is DataV.GeoAtlas' polygon of 和平区 (adcode 120101) in GCJ-02 coordinates; it is
converted to WGS84 with :func:`gis.crs.gcj02_to_wgs84` and measured in the metric CRS
(EPSG:4548, ≈ 10.02 km²). Street codes, names and rough centres are real; the partition of
the outline between them (Voronoi cells of the centres) is an approximation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon

from gis.crs import gcj02_to_wgs84

__all__ = [
    "DISTRICT_CODE",
    "DISTRICT_NAME",
    "METRIC_CRS",
    "NAMED_PARKS",
    "STREETS",
    "NamedPark",
    "StreetSeed",
    "outline_metric",
    "outline_wgs84",
    "river_edge",
    "to_metric",
]

METRIC_CRS = "EPSG:4548"
"""CGCS2000 / 3-degree Gauss-Krüger CM 117E: the metric CRS of Tianjin."""

DISTRICT_CODE = "120101"
DISTRICT_NAME = "和平区"
OUTLINE_RESOURCE = "heping_outline_gcj02.geojson"

# Outward normals of the outline edges that face the Haihe (north to east), in degrees
# counter-clockwise from east: the river bounds the district on those sides.
RIVER_NORMAL_MIN_DEG = -35.0
RIVER_NORMAL_MAX_DEG = 120.0


@dataclass(frozen=True)
class StreetSeed:
    """A real street (街道): code, name, approximate WGS84 centre, number of communities."""

    code: str
    name: str
    lon: float
    lat: float
    communities: int


STREETS: tuple[StreetSeed, ...] = (
    StreetSeed("120101001", "劝业场街道", 117.198, 39.124, 11),
    StreetSeed("120101002", "小白楼街道", 117.212, 39.118, 9),
    StreetSeed("120101003", "五大道街道", 117.200, 39.111, 12),
    StreetSeed("120101004", "新兴街道", 117.188, 39.118, 10),
    StreetSeed("120101005", "南营门街道", 117.186, 39.107, 11),
    StreetSeed("120101006", "南市街道", 117.186, 39.130, 11),
)
"""The six streets of 和平区 (64 communities in all, as in the plan text)."""


@dataclass(frozen=True)
class NamedPark:
    """A well-known park: name, CJJ/T 85 class and an approximate WGS84 location."""

    name: str
    klass: str
    lon: float
    lat: float


NAMED_PARKS: tuple[NamedPark, ...] = (
    NamedPark("中心公园", "G12", 117.2005, 39.1262),
    NamedPark("睦南公园", "G12", 117.1950, 39.1115),
    NamedPark("南市公园", "G12", 117.1850, 39.1310),
    NamedPark("五大道公园", "G11", 117.2040, 39.1128),
)
"""Parks placed on the block nearest to their location (海河带状公园 follows the river)."""

RIVER_PARK_NAME = "海河带状公园"

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def outline_wgs84() -> Polygon:
    """Return the real outline of 和平区 converted from GCJ-02 to WGS84.

    Returns
    -------
    shapely.Polygon
        Longitude/latitude in WGS84.
    """
    text = resources.files("sample").joinpath(OUTLINE_RESOURCE).read_text("utf-8")
    ring = np.asarray(json.loads(text)["features"][0]["geometry"]["coordinates"][0], dtype=float)
    lon, lat = gcj02_to_wgs84(ring[:, 0], ring[:, 1])
    return Polygon(np.column_stack([lon, lat]))


def to_metric(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Project WGS84 longitude/latitude arrays to the metric CRS; returns an (n, 2) array."""
    x, y = _TO_METRIC.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.column_stack([x, y])


def outline_metric() -> Polygon:
    """Return the outline in the metric CRS (EPSG:4548), oriented counter-clockwise.

    Examples
    --------
    >>> round(outline_metric().area / 1e6, 1)
    10.0
    """
    wgs = outline_wgs84()
    xy = np.asarray(wgs.exterior.coords)
    poly = Polygon(to_metric(xy[:, 0], xy[:, 1]))
    return shapely.orient_polygons(poly)


def river_edge(outline: Polygon) -> shapely.MultiLineString:
    """Return the edges of ``outline`` that face north to east (the Haihe bank).

    Parameters
    ----------
    outline : shapely.Polygon
        Counter-clockwise polygon in a metric CRS.

    Returns
    -------
    shapely.MultiLineString
    """
    ring = np.asarray(shapely.orient_polygons(outline).exterior.coords)
    d = np.diff(ring, axis=0)
    # For a counter-clockwise ring the outward normal is the edge direction turned clockwise.
    angle = np.degrees(np.arctan2(-d[:, 0], d[:, 1]))
    keep = (angle >= RIVER_NORMAL_MIN_DEG) & (angle <= RIVER_NORMAL_MAX_DEG)
    segments = [shapely.LineString(ring[i : i + 2]) for i in np.flatnonzero(keep)]
    merged = shapely.line_merge(shapely.MultiLineString(segments))
    if isinstance(merged, shapely.LineString):
        return shapely.MultiLineString([merged])
    return merged
