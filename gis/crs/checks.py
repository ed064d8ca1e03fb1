"""Plausibility of coordinates for their declared CRS.

Catches metres declared as degrees (and the reverse), swapped latitude/longitude, swapped
Gauss-Krüger northings/eastings, a zone prefix in an unprefixed CRS (and the reverse), and
data far outside the CRS's area of use; each as a one-line :class:`gis.CRSError`.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj

from gis._errors import CRSError
from gis.crs.pseudo import (
    _CHINA_LAT_MAX,
    _CHINA_LAT_MIN,
    _CHINA_LON_MAX,
    _CHINA_LON_MIN,
    in_china,
)
from gis.crs.zones import (
    _GK_FAMILIES,
    _LAT_LIMIT,
    _LON_LIMIT,
    GK_ZONE_PREFIX_UNIT,
    GaussKrugerZone,
    _zone_from_prefix,
    auto_metric_crs,
    gauss_kruger_zone,
)

__all__ = ["AREA_OF_USE_MARGIN_DEG", "check_coordinates"]

#: Geographic coordinates beyond this (degrees) are surely metres of a projected CRS.
_DEGREES_SURELY_METRES = 360.0
#: Data further than this outside a CRS's area of use (degrees) is reported as implausible.
AREA_OF_USE_MARGIN_DEG = 1.5
#: Largest plausible northing (metres) in a Chinese Gauss-Krüger zone (55.8°N ≈ 6.19e6 m).
_GK_NORTHING_MAX = 6_500_000.0


def _fmt_range(lo: float, hi: float, *, digits: int) -> str:
    return f"{lo:.{digits}f}–{hi:.{digits}f}"


def _crs_label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg is not None else crs.name


def _check_geographic(bounds: tuple[float, float, float, float], crs: pyproj.CRS) -> str | None:
    minx, miny, maxx, maxy = bounds
    label = _crs_label(crs)
    extent = f"x {_fmt_range(minx, maxx, digits=4)}, y {_fmt_range(miny, maxy, digits=4)}"
    biggest = max(abs(minx), abs(maxx), abs(miny), abs(maxy))
    if biggest > _DEGREES_SURELY_METRES:
        return (
            f"coordinates ({extent}) look like metres of a projected CRS, but {label} is "
            "geographic (degrees): declare the projected CRS the data were made in"
        )
    lat_bad = max(abs(miny), abs(maxy)) > _LAT_LIMIT
    x_fits_lat = max(abs(minx), abs(maxx)) <= _LAT_LIMIT
    swapped_in_china = bool(
        np.all(in_china([miny, maxy], [minx, maxx]))
        and not np.any(in_china([minx, maxx], [miny, maxy]))
    )
    if (lat_bad and x_fits_lat) or swapped_in_china:
        return (
            f"looks like latitude/longitude are swapped ({extent} in {label}; x must be the "
            "longitude): swap the columns or axes"
        )
    if lat_bad or max(abs(minx), abs(maxx)) > _LON_LIMIT:
        return f"coordinates ({extent}) are not valid longitude/latitude in {label}"
    return None


def _check_projected_degrees(
    bounds: tuple[float, float, float, float], crs: pyproj.CRS
) -> str | None:
    """Longitude/latitude in degrees declared as a projected CRS land at its false origin."""
    minx, miny, maxx, maxy = bounds
    if max(abs(minx), abs(maxx)) > _LON_LIMIT or max(abs(miny), abs(maxy)) > _LAT_LIMIT:
        return None
    extent = f"x {_fmt_range(minx, maxx, digits=4)}, y {_fmt_range(miny, maxy, digits=4)}"
    return (
        f"coordinates ({extent}) look like longitude/latitude in degrees, but "
        f"{_crs_label(crs)} is projected: declare a geographic CRS such as EPSG:4326"
    )


def _check_gauss_kruger(
    bounds: tuple[float, float, float, float], crs: pyproj.CRS, zone: GaussKrugerZone
) -> str | None:
    minx, miny, maxx, maxy = bounds
    label = _crs_label(crs)
    extent = f"x {_fmt_range(minx, maxx, digits=0)} m, y {_fmt_range(miny, maxy, digits=0)} m"
    easting_span = GK_ZONE_PREFIX_UNIT
    prefixed_min = min(f.first_zone for f in _GK_FAMILIES) * GK_ZONE_PREFIX_UNIT

    def looks_easting(lo: float, hi: float) -> bool:
        unprefixed = lo >= 0.0 and hi <= easting_span
        prefixed = (
            lo >= prefixed_min
            and math.floor(lo / easting_span) == math.floor(hi / easting_span)
            and _zone_from_prefix(math.floor(lo / easting_span)) is not None
        )
        return unprefixed or prefixed

    def looks_northing(lo: float, hi: float) -> bool:
        return easting_span < lo and hi <= _GK_NORTHING_MAX

    if looks_northing(minx, maxx) and looks_easting(miny, maxy):
        return (
            f"northings and eastings look swapped ({extent} in {label}; x must be the "
            "easting): swap the columns or axes"
        )
    prefix_lo = math.floor(minx / easting_span)
    prefix_hi = math.floor(maxx / easting_span)
    if not zone.prefixed and minx >= prefixed_min:
        found = _zone_from_prefix(prefix_lo) if prefix_lo == prefix_hi else None
        if found is None:
            return f"eastings ({extent}) are out of range for {label}"
        return (
            f"eastings carry a Gauss-Krüger zone prefix ({prefix_lo}: {extent}) but {label} "
            f"has none: use EPSG:{found.epsg} ({pyproj.CRS.from_epsg(found.epsg).name}) instead"
        )
    if zone.prefixed and minx >= 0.0 and maxx <= easting_span:
        plain = zone.variant(prefixed=False)
        return (
            f"eastings lack the zone prefix {zone.zone} of {label} ({extent}): use "
            f"EPSG:{plain.epsg} ({pyproj.CRS.from_epsg(plain.epsg).name}) instead"
        )
    if zone.prefixed and prefix_lo != zone.zone and prefix_lo == prefix_hi:
        found = _zone_from_prefix(prefix_lo)
        if found is not None:
            return (
                f"eastings carry zone prefix {prefix_lo} but {label} is zone {zone.zone} "
                f"({extent}): use EPSG:{found.epsg} instead"
            )
    return None


def _area_envelope(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """Area of use (west, south, east, north) widened for CGCS2000 and Gauss-Krüger zones."""
    aou = crs.area_of_use
    if aou is None:
        return None
    west, south, east, north = aou.bounds
    geodetic = crs.geodetic_crs
    if geodetic is not None and geodetic.to_epsg() == _CGCS2000_EPSG:
        # pyproj's CGCS2000 areas are onshore boxes; islands down to the GCJ box are still China.
        south, north = min(south, _CHINA_LAT_MIN), max(north, _CHINA_LAT_MAX)
        if crs.is_geographic:
            west, east = min(west, _CHINA_LON_MIN), max(east, _CHINA_LON_MAX)
    zone = gauss_kruger_zone(crs)
    if zone is not None:
        half = zone.width / 2.0
        west = min(west, zone.central_meridian - half)
        east = max(east, zone.central_meridian + half)
    return west, south, east, north


_CGCS2000_EPSG = 4490
_DENSIFY_POINTS = 21


def _lonlat_bounds(
    bounds: tuple[float, float, float, float], crs: pyproj.CRS
) -> tuple[float, float, float, float] | None:
    if crs.is_geographic:
        return bounds
    geodetic = crs.geodetic_crs
    if geodetic is None:
        return None
    transformer = pyproj.Transformer.from_crs(crs, geodetic, always_xy=True)
    out = transformer.transform_bounds(*bounds, densify_pts=_DENSIFY_POINTS, errcheck=False)
    return (float(out[0]), float(out[1]), float(out[2]), float(out[3]))


def _check_area_of_use(bounds: tuple[float, float, float, float], crs: pyproj.CRS) -> str | None:
    envelope = _area_envelope(crs)
    if envelope is None:
        return None
    west, south, east, north = envelope
    lonlat = _lonlat_bounds(bounds, crs)
    if lonlat is None:
        return None
    label = _crs_label(crs)
    area = f"lon {west:g}–{east:g}, lat {south:g}–{north:g}"
    if not all(math.isfinite(v) for v in lonlat):
        return f"coordinates {bounds} cannot be placed on the earth in {label} (area of use {area})"
    lon_min, lat_min, lon_max, lat_max = lonlat
    margin = AREA_OF_USE_MARGIN_DEG
    lon_out = west <= east and (lon_min < west - margin or lon_max > east + margin)
    lat_out = lat_min < south - margin or lat_max > north + margin
    if not (lon_out or lat_out):
        return None
    message = (
        f"data (lon {_fmt_range(lon_min, lon_max, digits=3)}, lat "
        f"{_fmt_range(lat_min, lat_max, digits=3)}) lie far outside the area of use of {label}: "
        f"{area}"
    )
    centre_lon, centre_lat = (lon_min + lon_max) / 2.0, (lat_min + lat_max) / 2.0
    if gauss_kruger_zone(crs) is not None and bool(in_china(centre_lon, centre_lat)):
        better = auto_metric_crs(centre_lon, centre_lat).to_epsg()
        message += f"; is the CRS wrong? This longitude falls in EPSG:{better}"
    return message


def check_coordinates(
    bounds: tuple[float, float, float, float], crs: pyproj.CRS, *, where: str
) -> None:
    """Raise when coordinates are implausible for their declared CRS.

    Detects, in this order: metres declared as degrees and degrees declared as metres;
    swapped latitude/longitude (``x ≈ 39, y ≈ 117`` for Tianjin, or any box that lands in
    China only when swapped); values that are not longitude/latitude; for the
    CGCS2000 Gauss-Krüger zones (EPSG:4491–4554) swapped northings/eastings, eastings with a
    zone prefix in an unprefixed CRS (naming the prefixed EPSG code to use) and the reverse;
    and data more than :data:`AREA_OF_USE_MARGIN_DEG` outside the CRS's area of use.

    Parameters
    ----------
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` with x = longitude/easting (``GeoDataFrame.total_bounds``).
    crs : pyproj.CRS
        The declared CRS of the data.
    where : str
        Where the data come from (file, layer), put in the error message.

    Raises
    ------
    gis._errors.CRSError
        One-line message naming ``where`` and the problem.

    Examples
    --------
    >>> import pyproj
    >>> check_coordinates((117.18, 39.10, 117.22, 39.14), pyproj.CRS(4326), where="a.csv")
    >>> check_coordinates((39.10, 117.18, 39.14, 117.22), pyproj.CRS(4326), where="a.csv")
    Traceback (most recent call last):
    ...
    gis._errors.CRSError: a.csv: looks like latitude/longitude are swapped ...
    """
    values = tuple(float(v) for v in bounds)
    if len(values) != len(("minx", "miny", "maxx", "maxy")):
        raise CRSError(f"{where}: bounds must be (minx, miny, maxx, maxy), got {bounds!r}")
    if not all(math.isfinite(v) for v in values):
        return  # no coordinates (empty layer): nothing to check
    box = (values[0], values[1], values[2], values[3])
    problem: str | None
    if crs.is_geographic:
        problem = _check_geographic(box, crs)
    else:
        zone = gauss_kruger_zone(crs)
        problem = _check_projected_degrees(box, crs)
        if problem is None and zone is not None:
            problem = _check_gauss_kruger(box, crs, zone)
    if problem is None:
        problem = _check_area_of_use(box, crs)
    if problem is not None:
        raise CRSError(f"{where}: {problem}")
