"""Coordinate reference systems, including the Chinese pseudo-datums GCJ-02 and BD-09.

PROJ has no GCJ-02 or BD-09 (OSGeo/PROJ#982, wontfix), so they are implemented here as
vectorised numpy functions: arrays of longitude and latitude in, arrays out. Points outside
China are returned unchanged, as the published algorithm does.

The forward transforms are the published formulas. The published one-step inverses are off
by up to about 4.4 m (GCJ-02) and 0.24 m (BD-09) over China (``scripts/bench_crs.py``), so
the inverses here iterate on the forward transform until the residual is below
:data:`INVERSE_TOLERANCE_DEG` (about a micrometre): round trips stay under a centimetre
everywhere in China (measured: below 1e-7 m).

The package also parses and checks ordinary CRSs (:func:`parse_crs`, :func:`check_coordinates`)
and chooses a metric CRS for a place (:func:`auto_metric_crs`). Coordinates are always taken
as ``x = longitude/easting``, ``y = latitude/northing`` (pyproj ``always_xy``), whatever the
CRS's official axis order.

Modules
-------
pseudo
    GCJ-02 and BD-09: vectorised forward transforms, iterated inverses, whole geometries.
parse
    Parsing a CRS as written in a manifest or carried by a file.
zones
    CGCS2000 Gauss-Krüger zones and the automatic choice of a metric CRS (GK or UTM).
checks
    Plausibility of coordinates for their declared CRS (swapped axes, prefixes, degrees).
"""

from gis.crs.checks import AREA_OF_USE_MARGIN_DEG, check_coordinates
from gis.crs.parse import crs_name, parse_crs
from gis.crs.pseudo import (
    INVERSE_MAX_ITER,
    INVERSE_TOLERANCE_DEG,
    PSEUDO_DATUMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    pseudo_datum_name,
    pseudo_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    wgs84_to_pseudo,
)
from gis.crs.zones import (
    GK_FALSE_EASTING,
    GK_FIRST_CM,
    GK_LAST_CM,
    GK_ZONE_PREFIX_UNIT,
    GaussKrugerZone,
    auto_metric_crs,
    gauss_kruger_zone,
)

__all__ = [
    "AREA_OF_USE_MARGIN_DEG",
    "GK_FALSE_EASTING",
    "GK_FIRST_CM",
    "GK_LAST_CM",
    "GK_ZONE_PREFIX_UNIT",
    "INVERSE_MAX_ITER",
    "INVERSE_TOLERANCE_DEG",
    "PSEUDO_DATUMS",
    "GaussKrugerZone",
    "auto_metric_crs",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_coordinates",
    "crs_name",
    "gauss_kruger_zone",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "parse_crs",
    "pseudo_datum_name",
    "pseudo_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "wgs84_to_pseudo",
]
