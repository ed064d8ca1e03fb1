"""Coordinate reference systems, including the Chinese pseudo-datums GCJ-02 and BD-09.

PROJ has no GCJ-02 or BD-09 (OSGeo/PROJ#982, wontfix), so they are implemented here as
vectorised numpy functions: arrays of longitude and latitude in, arrays out. Points outside
China are returned unchanged, as the published algorithm does.

The forward transforms are the published formulas. The published one-step inverses are off
by up to about 4.4 m (GCJ-02) and 0.24 m (BD-09) over China (``scripts/bench_crs.py``), so
the inverses here iterate on the forward transform until the residual is below
:data:`INVERSE_TOLERANCE_DEG` (about a micrometre): round trips stay under a centimetre
everywhere in China (measured: below 1e-7 m).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from gis._errors import CRSError

__all__ = [
    "INVERSE_MAX_ITER",
    "INVERSE_TOLERANCE_DEG",
    "PSEUDO_DATUMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "pseudo_datum_name",
    "pseudo_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "wgs84_to_pseudo",
]

FloatArray = NDArray[np.float64]
_PairFn = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


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

