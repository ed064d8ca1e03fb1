"""CGCS2000 Gauss-Krüger zones (EPSG:4491–4554) and the automatic choice of a metric CRS.

Inside China the metric CRS is the 3-degree Gauss-Krüger zone of the longitude, elsewhere
UTM (with the Norway and Svalbard exceptions).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import pyproj

from gis._errors import CRSError
from gis.crs.pseudo import in_china

__all__ = [
    "GK_FALSE_EASTING",
    "GK_FIRST_CM",
    "GK_LAST_CM",
    "GK_ZONE_PREFIX_UNIT",
    "GaussKrugerZone",
    "auto_metric_crs",
    "gauss_kruger_zone",
]

#: Central meridian (degrees E) of the westernmost CGCS2000 Gauss-Krüger zone.
GK_FIRST_CM = 75
#: Central meridian (degrees E) of the easternmost CGCS2000 Gauss-Krüger zone.
GK_LAST_CM = 135
#: Gauss-Krüger false easting without zone prefix (metres).
GK_FALSE_EASTING = 500_000.0
#: A zone-prefixed easting is ``zone * GK_ZONE_PREFIX_UNIT + easting`` (metres).
GK_ZONE_PREFIX_UNIT = 1_000_000.0


class _GKFamily(NamedTuple):
    first_epsg: int
    width: int  # zone width in degrees of longitude
    first_zone: int  # zone number of the CM 75E zone
    prefixed: bool

    @property
    def n_zones(self) -> int:
        return (GK_LAST_CM - GK_FIRST_CM) // self.width + 1


# EPSG blocks of the four CGCS2000 Gauss-Krüger families, ordered by central meridian.
_GK_6_PREFIXED = _GKFamily(4491, 6, 13, True)  # "Gauss-Kruger zone 13" … "zone 23"
_GK_6 = _GKFamily(4502, 6, 13, False)  # "Gauss-Kruger CM 75E" … "CM 135E"
_GK_3_PREFIXED = _GKFamily(4513, 3, 25, True)  # "3-degree Gauss-Kruger zone 25" … "zone 45"
_GK_3 = _GKFamily(4534, 3, 25, False)  # "3-degree Gauss-Kruger CM 75E" … "CM 135E"
_GK_FAMILIES = (_GK_6_PREFIXED, _GK_6, _GK_3_PREFIXED, _GK_3)


class GaussKrugerZone(NamedTuple):
    """A CGCS2000 Gauss-Krüger zone as identified by its EPSG code."""

    epsg: int
    width: int
    """Zone width in degrees of longitude (3 or 6)."""
    zone: int
    """Zone number (the easting prefix of the prefixed variant)."""
    central_meridian: int
    prefixed: bool
    """True when eastings carry the zone number (``39 500 000`` m at the CM of zone 39)."""

    @property
    def false_easting(self) -> float:
        """False easting in metres, including the zone prefix when there is one."""
        prefix = self.zone * GK_ZONE_PREFIX_UNIT if self.prefixed else 0.0
        return prefix + GK_FALSE_EASTING

    def variant(self, *, prefixed: bool) -> GaussKrugerZone:
        """Return the same zone with or without the easting prefix."""
        family = _family(self.width, prefixed=prefixed)
        return _zone_of(family, self.zone - family.first_zone)


def _family(width: int, *, prefixed: bool) -> _GKFamily:
    return next(f for f in _GK_FAMILIES if f.width == width and f.prefixed == prefixed)


def _zone_of(family: _GKFamily, index: int) -> GaussKrugerZone:
    return GaussKrugerZone(
        epsg=family.first_epsg + index,
        width=family.width,
        zone=family.first_zone + index,
        central_meridian=GK_FIRST_CM + family.width * index,
        prefixed=family.prefixed,
    )


def gauss_kruger_zone(crs: pyproj.CRS | int) -> GaussKrugerZone | None:
    """Identify a CGCS2000 Gauss-Krüger CRS (EPSG:4491–4554) from its EPSG code.

    Parameters
    ----------
    crs : pyproj.CRS or int
        A CRS or an EPSG code.

    Returns
    -------
    GaussKrugerZone or None
        None when the CRS is not one of the CGCS2000 Gauss-Krüger zones.

    Examples
    --------
    >>> z = gauss_kruger_zone(4548)
    >>> z.central_meridian, z.zone, z.prefixed, z.variant(prefixed=True).epsg
    (117, 39, False, 4527)
    """
    epsg = crs if isinstance(crs, int) else crs.to_epsg()
    if epsg is None:
        return None
    for family in _GK_FAMILIES:
        index = epsg - family.first_epsg
        if 0 <= index < family.n_zones:
            return _zone_of(family, index)
    return None


def _zone_from_prefix(zone: int) -> GaussKrugerZone | None:
    """The prefixed zone whose eastings start with ``zone`` (13–23: 6°, 25–45: 3°)."""
    for family in (_GK_3_PREFIXED, _GK_6_PREFIXED):
        index = zone - family.first_zone
        if 0 <= index < family.n_zones:
            return _zone_of(family, index)
    return None


# Automatic metric CRS

# Valid longitude and latitude (degrees).
_LON_LIMIT = 180.0
_LAT_LIMIT = 90.0
_UTM_ZONE_WIDTH = 6
_UTM_ZONE_COUNT = 60
_UTM_NORTH_EPSG_BASE = 32600
_UTM_SOUTH_EPSG_BASE = 32700
# Irregular UTM zones: south-west Norway (zone 32 widened) and Svalbard (31/33/35/37 only).
_NORWAY_LAT = (56.0, 64.0)
_NORWAY_LON = (3.0, 12.0)
_NORWAY_ZONE = 32
_SVALBARD_LAT = (72.0, 84.0)
_SVALBARD_ZONES = ((0.0, 9.0, 31), (9.0, 21.0, 33), (21.0, 33.0, 35), (33.0, 42.0, 37))


def _utm_zone(lon: float, lat: float) -> int:
    if _NORWAY_LAT[0] <= lat < _NORWAY_LAT[1] and _NORWAY_LON[0] <= lon < _NORWAY_LON[1]:
        return _NORWAY_ZONE
    if _SVALBARD_LAT[0] <= lat <= _SVALBARD_LAT[1]:
        for west, east, zone in _SVALBARD_ZONES:
            if west <= lon < east:
                return zone
    zone = math.floor((lon + 180.0) / _UTM_ZONE_WIDTH) + 1
    return min(max(zone, 1), _UTM_ZONE_COUNT)


def _gk3_zone_for(lon: float) -> GaussKrugerZone:
    width = _GK_3.width
    cm = width * math.floor(lon / width + 0.5)
    cm = min(max(cm, GK_FIRST_CM), GK_LAST_CM)
    return _zone_of(_GK_3, (cm - GK_FIRST_CM) // width)


def auto_metric_crs(lon: float, lat: float) -> pyproj.CRS:
    """Choose a metric CRS for a place given in WGS84 longitude/latitude.

    Inside China (the GCJ-02 box of :func:`in_china`) this is the CGCS2000 3-degree
    Gauss-Krüger zone without easting prefix whose central meridian is nearest,
    ``CM = 3·round(lon/3)`` clamped to 75–135 °E (EPSG:4534 … EPSG:4554); elsewhere the WGS84
    UTM zone (EPSG:326xx north, 327xx south, with the Norway and Svalbard exceptions).

    Parameters
    ----------
    lon, lat : float
        Longitude and latitude in degrees, typically the centre of the data.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    gis._errors.CRSError
        If the coordinates are not finite longitude/latitude values.

    Examples
    --------
    >>> auto_metric_crs(117.2, 39.1).to_epsg()
    4548
    >>> auto_metric_crs(2.35, 48.85).to_epsg()
    32631
    """
    if (
        not (math.isfinite(lon) and math.isfinite(lat))
        or abs(lon) > _LON_LIMIT
        or abs(lat) > _LAT_LIMIT
    ):
        raise CRSError(
            f"cannot choose a metric CRS for longitude {lon!r}, latitude {lat!r}: "
            "not a longitude/latitude in degrees"
        )
    if bool(in_china(lon, lat)):
        return pyproj.CRS.from_epsg(_gk3_zone_for(lon).epsg)
    base = _UTM_NORTH_EPSG_BASE if lat >= 0 else _UTM_SOUTH_EPSG_BASE
    return pyproj.CRS.from_epsg(base + _utm_zone(lon, lat))

