"""Coordinate reference systems, including the Chinese pseudo-datums GCJ-02 and BD-09.

PROJ has no GCJ-02 or BD-09 (OSGeo/PROJ#982, wontfix), so they are implemented here as
vectorised numpy functions: arrays of longitude and latitude in, arrays out. Points outside
China are returned unchanged, as the published algorithm does.

The forward transforms are the published formulas. The published one-step inverses are off
by up to about 4.4 m (GCJ-02) and 0.24 m (BD-09) over China (``scripts/bench_crs.py``), so
the inverses here iterate on the forward transform until the residual is below
:data:`INVERSE_TOLERANCE_DEG` (about a micrometre): round trips stay under a centimetre
everywhere in China (measured: below 1e-7 m).

The module also parses and checks ordinary CRSs (:func:`parse_crs`, :func:`check_coordinates`)
and chooses a metric CRS for a place (:func:`auto_metric_crs`). Coordinates are always taken
as ``x = longitude/easting``, ``y = latitude/northing`` (pyproj ``always_xy``), whatever the
CRS's official axis order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError as _PyprojCRSError

from gis._errors import CRSError

__all__ = [
    "PSEUDO_DATUMS",
    "GaussKrugerZone",
    "auto_metric_crs",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_coordinates",
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

FloatArray = NDArray[np.float64]
_PairFn = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

# --------------------------------------------------------------------------------------------
# Pseudo-datums
# --------------------------------------------------------------------------------------------

#: Names of the pseudo-datums a layer's source ``crs`` may take besides a real CRS.
PSEUDO_DATUMS = ("gcj02", "bd09")

# The rough box (degrees) inside which the published algorithm applies the GCJ-02 offset.
_CHINA_LON_MIN = 72.004
_CHINA_LON_MAX = 137.8347
_CHINA_LAT_MIN = 0.8293
_CHINA_LAT_MAX = 55.8271

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# Origin of the GCJ-02 offset polynomials (degrees).
_GCJ_LON0 = 105.0
_GCJ_LAT0 = 35.0

# BD-09 constants of the published algorithm.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
_BD_DR = 0.00002
_BD_DTHETA = 0.000003

#: Stop iterating an inverse when the forward residual is below this (degrees, ~1 µm).
INVERSE_TOLERANCE_DEG = 1e-11
#: Give up iterating an inverse after this many steps (it converges in 3–6).
INVERSE_MAX_ITER = 30
# Bound on the GCJ-02 + BD-09 offset (degrees; measured ≤ 0.02): inverses skip points
# further than this from the box, whose solutions cannot lie in China.
_MAX_OFFSET_DEG = 0.1
# A solution this close outside the box (degrees, ~0.1 mm) still counts as inside.
_BOX_SLACK_DEG = 1e-9


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where the point lies in the rough bounding box GCJ-02 applies to.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> bool(in_china(117.2, 39.1))
    True
    >>> bool(in_china(2.35, 48.85))
    False
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (
        (lon_a >= _CHINA_LON_MIN)
        & (lon_a <= _CHINA_LON_MAX)
        & (lat_a >= _CHINA_LAT_MIN)
        & (lat_a <= _CHINA_LAT_MAX)
    )


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (degrees) at a WGS84 point, per the published algorithm."""
    x = lon - _GCJ_LON0
    y = lat - _GCJ_LAT0
    # The published polynomial-plus-sines in "units" (later scaled to degrees); the term in
    # sin(6πx) and sin(2πx) is shared by both components.
    shared = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + shared
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + shared
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _gcj_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS84 → GCJ-02 without the outside-China test."""
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def _bd_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 without the outside-China test (published formula)."""
    z = np.hypot(lon, lat) + _BD_DR * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + _BD_DTHETA * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_closed_form(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Published one-step BD-09 → GCJ-02 (off by up to ~0.24 m): the iteration's start."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - _BD_DR * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - _BD_DTHETA * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _PairFn,
    lon: FloatArray,
    lat: FloatArray,
    *,
    start: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x) = target`` by fixed-point iteration ``x ← x − (forward(x) − target)``.

    The pseudo-datum transforms are the identity plus an offset whose derivative is small
    (≲ 0.02), so the iteration contracts fast. Non-finite points simply stay non-finite.
    """
    x, y = (lon.copy(), lat.copy()) if start is None else (start[0].copy(), start[1].copy())
    active = np.flatnonzero(np.isfinite(x) & np.isfinite(y))  # points still iterating
    for _ in range(INVERSE_MAX_ITER):
        fx, fy = forward(x[active], y[active])
        ex = fx - lon[active]
        ey = fy - lat[active]
        x[active] -= ex
        y[active] -= ey
        active = active[np.maximum(np.abs(ex), np.abs(ey)) > INVERSE_TOLERANCE_DEG]
        if active.size == 0:
            break
    return x, y


def _solve_gcj(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_gcj_raw, lon, lat)


def _solve_bd(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _invert(_bd_raw, lon, lat, start=_bd_inverse_closed_form(lon, lat))


def _solve_bd_wgs(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _solve_gcj(*_solve_bd(lon, lat))


def _as_float(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.astype(float), lat_a.astype(float)


def _in_box(lon: FloatArray, lat: FloatArray, *, margin: float) -> NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON_MIN - margin)
        & (lon <= _CHINA_LON_MAX + margin)
        & (lat >= _CHINA_LAT_MIN - margin)
        & (lat <= _CHINA_LAT_MAX + margin)
    )


def _forward_inside(raw: _PairFn, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Apply an unmasked forward transform to the points inside China only."""
    lon_a, lat_a = _as_float(lon, lat)
    out_lon, out_lat = lon_a.copy(), lat_a.copy()
    inside = in_china(lon_a, lat_a)
    out_lon[inside], out_lat[inside] = raw(lon_a[inside], lat_a[inside])
    return out_lon, out_lat


def _inverse_inside(
    solve: _PairFn, lon: ArrayLike, lat: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Apply an unmasked iterative inverse where its solution lies in China.

    Only points near the box are iterated (far away the offset formulas blow up at the poles
    and no solution can lie in China). A solution within :data:`_BOX_SLACK_DEG` of the box
    counts as inside, so points exactly on the edge survive the iteration's last ulp.
    """
    lon_a, lat_a = _as_float(lon, lat)
    out_lon, out_lat = lon_a.copy(), lat_a.copy()
    near = _in_box(lon_a, lat_a, margin=_MAX_OFFSET_DEG)
    sol_lon, sol_lat = solve(lon_a[near], lat_a[near])
    accept = _in_box(sol_lon, sol_lat, margin=_BOX_SLACK_DEG)
    idx = np.flatnonzero(near.ravel())[accept]
    out_lon.flat[idx] = sol_lon[accept]
    out_lat.flat[idx] = sol_lat[accept]
    return out_lon, out_lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude to GCJ-02 (the published forward algorithm).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude; points outside China unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.404, 39.915)  # published reference pair, Beijing
    >>> round(float(lon), 9), round(float(lat), 9)
    (116.410244499, 39.916404282)
    """
    return _forward_inside(_gcj_raw, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to WGS84 by iterating on the forward transform.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude. A point is returned unchanged when its WGS84 solution
        lies outside China (the forward transform would have left it unchanged).

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(117.2, 39.1))
    >>> round(float(lon), 9), round(float(lat), 9)
    (117.2, 39.1)
    """
    return _inverse_inside(_solve_gcj, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (the published forward formula).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude; points outside China unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)  # published reference pair, Beijing
    >>> round(float(lon), 9), round(float(lat), 9)
    (116.410369494, 39.921336994)
    """
    return _forward_inside(_bd_raw, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 longitude/latitude to GCJ-02 by iterating on the forward formula.

    The published closed-form inverse is off by up to 0.24 m; it is only the starting point.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude; unchanged where the solution lies outside China.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(*gcj02_to_bd09(117.2, 39.1))
    >>> round(float(lon), 9), round(float(lat), 9)
    (117.2, 39.1)
    """
    return _inverse_inside(_solve_bd, lon, lat)


def _wgs_to_bd_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _bd_raw(*_gcj_raw(lon, lat))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS84 longitude/latitude to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude; points whose WGS84 position is outside China unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(2.35, 48.85)
    >>> float(lon), float(lat)
    (2.35, 48.85)
    """
    return _forward_inside(_wgs_to_bd_raw, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 longitude/latitude to WGS84 (iterative inverse of :func:`wgs84_to_bd09`).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude; unchanged where the solution lies outside China.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(*wgs84_to_bd09(117.2, 39.1))
    >>> round(float(lon), 9), round(float(lat), 9)
    (117.2, 39.1)
    """
    return _inverse_inside(_solve_bd_wgs, lon, lat)


_TO_WGS84: dict[str, _PairFn] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84: dict[str, _PairFn] = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def pseudo_datum_name(value: object) -> str | None:
    """Return the canonical pseudo-datum name for a manifest ``crs`` value, else None.

    Parameters
    ----------
    value : object
        A manifest value such as ``"gcj02"``, ``"GCJ-02"``, ``"bd09"`` or ``"EPSG:4326"``.

    Returns
    -------
    str or None
        One of :data:`PSEUDO_DATUMS`, or None when ``value`` is not a pseudo-datum.

    Examples
    --------
    >>> pseudo_datum_name("GCJ-02"), pseudo_datum_name("EPSG:4548")
    ('gcj02', None)
    """
    if not isinstance(value, str):
        return None
    name = value.strip().lower().replace("-", "").replace("_", "")
    return name if name in PSEUDO_DATUMS else None


def _datum_fn(table: dict[str, _PairFn], datum: str) -> _PairFn:
    name = pseudo_datum_name(datum)
    if name is None:
        raise CRSError(
            f"unknown pseudo-datum {datum!r}: expected one of {', '.join(PSEUDO_DATUMS)}"
        )
    return table[name]


def _apply_to_vertices(geoms: Any, fn: _PairFn) -> NDArray[np.object_]:
    def transform(coords: FloatArray) -> FloatArray:
        out = np.array(coords, dtype=float, copy=True)
        out[:, 0], out[:, 1] = fn(coords[:, 0], coords[:, 1])
        return out

    arr = np.array(geoms, dtype=object, ndmin=1)
    result: NDArray[np.object_] = shapely.transform(arr, transform, include_z=None)
    return result


def pseudo_to_wgs84(geoms: Any, datum: str) -> NDArray[np.object_]:
    """Convert geometries from a pseudo-datum (GCJ-02 or BD-09) to WGS84, vertex by vertex.

    Parameters
    ----------
    geoms : geometry or array_like of geometries
        Shapely geometries (any type, 2D or 3D; a GeoSeries works) in ``datum`` longitude and
        latitude. Z values are kept unchanged.
    datum : {"gcj02", "bd09"}
        The pseudo-datum of the input (case and ``-``/``_`` are ignored).

    Returns
    -------
    numpy.ndarray of shapely geometries
        WGS84 geometries, one per input (a single geometry gives a one-element array).

    Raises
    ------
    gis._errors.CRSError
        If ``datum`` is not a pseudo-datum.

    Examples
    --------
    >>> from shapely import Point
    >>> out = pseudo_to_wgs84([Point(117.2, 39.1)], "gcj02")
    >>> round(out[0].x, 4), round(out[0].y, 4)
    (117.1937, 39.099)
    """
    return _apply_to_vertices(geoms, _datum_fn(_TO_WGS84, datum))


def wgs84_to_pseudo(geoms: Any, datum: str) -> NDArray[np.object_]:
    """Convert WGS84 geometries to a pseudo-datum (GCJ-02 or BD-09), vertex by vertex.

    Parameters
    ----------
    geoms : geometry or array_like of geometries
        Shapely geometries in WGS84 longitude and latitude.
    datum : {"gcj02", "bd09"}
        The pseudo-datum wanted (for instance GCJ-02 to overlay on an Amap basemap).

    Returns
    -------
    numpy.ndarray of shapely geometries

    Raises
    ------
    gis._errors.CRSError
        If ``datum`` is not a pseudo-datum.

    Examples
    --------
    >>> from shapely import Point
    >>> out = wgs84_to_pseudo(Point(117.2, 39.1), "bd09")
    >>> round(out[0].x, 4), round(out[0].y, 4)
    (117.2128, 39.1069)
    """
    return _apply_to_vertices(geoms, _datum_fn(_FROM_WGS84, datum))


# --------------------------------------------------------------------------------------------
# Parsing CRSs
# --------------------------------------------------------------------------------------------


_MAX_SHOWN_CHARS = 80


def _first_line(message: object) -> str:
    lines = str(message).strip().splitlines()
    return lines[0].strip() if lines else "not recognised"


def parse_crs(value: object, *, where: str) -> pyproj.CRS:
    """Parse a CRS given as an EPSG code, ``"EPSG:4548"``, WKT, PROJ string or pyproj CRS.

    Parameters
    ----------
    value : object
        The CRS as written in a manifest or carried by a file. A bare integer or string of
        digits is an EPSG code.
    where : str
        Where the value comes from (file, layer, manifest key), put in the error message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    gis._errors.CRSError
        One-line message naming ``where`` when the value is empty, unknown, or a
        pseudo-datum (``gcj02``/``bd09``, which PROJ cannot represent).

    Examples
    --------
    >>> parse_crs(4548, where="project.toml, metric_crs").to_epsg()
    4548
    >>> parse_crs("EPSG:4490", where="x").name
    'China Geodetic Coordinate System 2000'
    """
    if isinstance(value, pyproj.CRS):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CRSError(f"{where}: no CRS given (write e.g. EPSG:4548, a WKT or a PROJ string)")
    if isinstance(value, bool):
        raise CRSError(f"{where}: {value!r} is not a CRS (write e.g. EPSG:4548)")
    datum = pseudo_datum_name(value)
    if datum is not None:
        raise CRSError(
            f"{where}: {value!r} is the {datum.upper()} pseudo-datum, which PROJ cannot "
            "represent; it is only accepted as a layer's source crs in project.toml, where "
            "peakmap converts it to WGS84"
        )
    user_input: Any = value
    if isinstance(value, str):
        user_input = value.strip()
        if user_input.isdigit():
            user_input = int(user_input)
    try:
        if isinstance(user_input, int):
            return pyproj.CRS.from_epsg(user_input)
        return pyproj.CRS.from_user_input(user_input)
    except (_PyprojCRSError, TypeError, ValueError) as exc:
        shown = str(value)
        if len(shown) > _MAX_SHOWN_CHARS:
            shown = shown[:_MAX_SHOWN_CHARS] + "…"
        raise CRSError(f"{where}: unknown CRS {shown!r} ({_first_line(exc)})") from exc


# --------------------------------------------------------------------------------------------
# CGCS2000 Gauss-Krüger zones
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Automatic metric CRS
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Plausibility checks
# --------------------------------------------------------------------------------------------

_LON_LIMIT = 180.0
_LAT_LIMIT = 90.0
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
