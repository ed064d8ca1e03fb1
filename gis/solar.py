"""Annual solar irradiation on every pixel of a surface model (DSM), with neighbour shading.

The method, step by step (every constant below is an option of :class:`SolarOptions`):

1. **Sky.** Hourly weather (a file, a monthly climatology, or pvlib's clear-sky model × a
   clearness factor) folded into a few hundred sun directions that carry beam and circumsolar
   light, plus the year's isotropic diffuse, Perez horizon band and global irradiation:
   :mod:`gis.solar_sky`.
2. **Slope and aspect** per pixel from central differences, taken only between pixels of the
   same roof when roof labels are given (so walls do not tilt roof edges).
3. **Shadows.** Whatever the DSM holds casts shadows: neighbouring buildings and tree canopy
   alike. For each sun position, a pixel is shaded when some pixel ``k`` steps towards the
   sun is higher than the sun ray: ``max_k z(p + k·d) − k·Δz > z(p)``. The maximum over
   ``k`` is built by doubling (``S₂ₘ(p) = max(Sₘ(p), Sₘ(p + m·d) − m·Δz)``), so one sun
   position costs ``log₂(steps)`` whole-array operations instead of ``steps``, on int16
   heights (1 cm steps above the lowest pixel) to halve memory traffic. Ray offsets are
   rounded to pixels per doubling block, so the ray may stray by up to ½ pixel per block
   (≤ 5 px at 512 px, i.e. < 0.6° of azimuth). Shadows are followed as far as the DSM's
   height range allows at that sun elevation, capped at ``max_shadow_m``; the beam of a sun
   lower than ``min_sun_elevation_deg`` is left out (a negligible share of the year's energy
   in a built-up area).
4. **Plane of array.** The anisotropic sky (Perez by default, :mod:`gis.solar_sky`) is split
   by where its light comes from, and each part is blocked by what blocks that part of the
   sky. Beam and circumsolar = Σ DNI · max(cos AOI, 0) · lit: the circumsolar disc is
   shaded exactly as the sun. The isotropic diffuse is reduced by the sky the neighbours
   hide: ``DHI_iso · (1 + cos β)/2 · F``, where ``F`` is the fraction of the visible sky
   (weighted by solid angle and cos AOI) that is not blocked, found by casting shadows for
   ``sky_azimuths × 3`` sky directions (elevations 15°, 45°, 75°). Perez's horizon band
   ``DHI·F2 · sin β`` is reduced by ``F_low``, the same fraction over the lowest band's
   directions only (elevation 15°; the band itself lies below 6.5°, so ``F_low`` is an upper
   bound of what stays visible of it). Ground reflection ``GHI · albedo · (1 − cos β)/2 · F``:
   the ground a surface sees among tall neighbours is shaded in proportion to the sky they
   hide (a roof whose sky is half hidden sees ground and walls lit by half the sky; light
   reflected by sunlit walls is not modelled). A pixel whose whole sky is blocked receives
   nothing. Nearly flat pixels (slope below
   ``flat_slope_deg``) carry the modules of a :class:`~gis.solar_layout.Layout` (tilted rows
   with row-to-row shading, east-west or flat-mounted) when one is given, otherwise one
   plane tilted ``flat_tilt_deg`` towards ``flat_azimuth_deg``.
5. **Tiles.** Large rasters are processed in tiles of ``tile_px`` with a margin as long as the
   longest shadow, so results equal one pass (:func:`irradiation_raster`).

Outputs per pixel: annual plane-of-array irradiation (kWh/m²/yr) with shading, the ratio of
that to the same plane without neighbour shading, slope and aspect (degrees clockwise from
north).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.features
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from gis._errors import InputFileError
from gis.solar_layout import Layout
from gis.solar_sky import (
    SunSample,
    plane_poa,
    read_weather,
    read_weather_csv,
    sun_sample,
    sun_sample_clearsky,
    sun_sample_weather,
)
from gis.tasks import run_tasks
from gis.zonal import iter_windows, window_box, window_transform

__all__ = [
    "BANDS",
    "SolarOptions",
    "SunSample",
    "irradiation",
    "irradiation_raster",
    "lit_mask",
    "plane_poa",
    "raster_location",
    "read_weather",
    "read_weather_csv",
    "slope_aspect",
    "small_gdal_cache",
    "sun_sample",
    "sun_sample_clearsky",
    "sun_sample_weather",
]

FloatArray = NDArray[np.float64]
F32 = NDArray[np.float32]

# Sky directions for the diffuse obstruction: band centres of three equal-elevation bands.
SKY_BANDS_DEG = ((0.0, 30.0), (30.0, 60.0), (60.0, 90.0))
# Band names of the output raster, in order.
BANDS = ("poa_kwh_m2", "unshaded_ratio", "slope_deg", "aspect_deg")
WH_PER_KWH = 1000.0
# Shadow casting runs on int16 heights above the lowest pixel (half the memory traffic of
# float32): 1 cm steps, coarser only when the height range exceeds INT16_SPAN cm.
HEIGHT_QUANTUM_M = 0.01
INT16_SPAN = 30_000
INT16_MAX = 32_767
# A pixel counts as shaded when the ray passes this many quanta above it (rounding noise).
SHADE_TOLERANCE_Q = 1
I16 = NDArray[np.int16]
# GDAL block cache (bytes; rasterio passes it to GDAL as bytes) around tile I/O: tiles are
# read once, so a bigger cache only costs memory.
GDAL_CACHE_BYTES = 64 * 2**20
# Extra margin pixels for rounding of ray offsets (½ px per doubling level) and the slope.
MARGIN_SLACK_PX = 32


@dataclass(frozen=True)
class SolarOptions:
    """Parameters of the irradiation model (see the module docstring for their role).

    Attributes
    ----------
    albedo : float
        Ground reflectance for the reflected component (0.2, a common default [U]).
    min_sun_elevation_deg : float
        Beam from lower suns is left out.
    max_shadow_m : float
        Longest shadow followed, in metres (also sets the tile margin).
    flat_slope_deg : float
        Pixels flatter than this are treated as flat roofs.
    flat_tilt_deg, flat_azimuth_deg : float
        Module tilt and azimuth assumed on flat roofs when no ``layout`` is given.
    sky_azimuths : int
        Number of azimuths per sky band for the diffuse obstruction.
    tile_px : int
        Core tile edge in pixels for :func:`irradiation_raster`.
    layout : Layout, optional
        Module layout on flat roofs (rows with row-to-row shading, east-west, flat).
    """

    albedo: float = 0.2
    min_sun_elevation_deg: float = 5.0
    max_shadow_m: float = 500.0
    flat_slope_deg: float = 10.0
    flat_tilt_deg: float = 30.0
    flat_azimuth_deg: float = 180.0
    sky_azimuths: int = 8
    tile_px: int = 2048
    layout: Layout | None = None


def slope_aspect(
    dsm: NDArray[Any], *, res: float, labels: NDArray[Any] | None = None
) -> tuple[F32, F32]:
    """Slope and aspect of every pixel from central differences.

    Parameters
    ----------
    dsm : 2-D ndarray
        Heights (m), rows from north to south.
    res : float
        Pixel size (m).
    labels : 2-D ndarray of int, optional
        Surface labels (e.g. building ids, 0 for ground); differences are taken only between
        pixels of the same label (one-sided at a label's edge, 0 for a lone pixel).

    Returns
    -------
    slope_deg, aspect_deg : ndarray of float32
        Slope from horizontal, and the direction the surface faces (degrees clockwise from
        north; NaN where the surface is exactly flat).

    Examples
    --------
    >>> z = np.array([[2.0, 2.0], [1.0, 1.0]])  # drops 1 m towards south over 1 m
    >>> s, a = slope_aspect(z, res=1.0)
    >>> float(s[0, 0]), float(a[0, 0])
    (45.0, 180.0)
    """
    z = np.asarray(dsm, dtype=np.float32)
    lab = np.zeros(z.shape, np.int32) if labels is None else np.asarray(labels)

    def diff(axis: int) -> F32:
        zp = np.pad(z, 1, mode="edge")
        lp = np.pad(lab, 1, mode="constant", constant_values=-1)
        sl_c = (slice(1, -1), slice(1, -1))
        if axis == 1:
            lo, hi = (slice(1, -1), slice(0, -2)), (slice(1, -1), slice(2, None))
        else:
            lo, hi = (slice(0, -2), slice(1, -1)), (slice(2, None), slice(1, -1))
        same_lo = lp[lo] == lab
        same_hi = lp[hi] == lab
        d_hi = zp[hi] - zp[sl_c]
        d_lo = zp[sl_c] - zp[lo]
        both = (d_hi + d_lo) / 2.0
        out = np.where(same_lo & same_hi, both, np.where(same_hi, d_hi, np.where(same_lo, d_lo, 0)))
        return np.asarray(out / np.float32(res), dtype=np.float32)

    dz_east = diff(1)
    dz_north = -diff(0)
    slope = np.degrees(np.arctan(np.hypot(dz_east, dz_north)))
    flat = (dz_east == 0) & (dz_north == 0)
    aspect = np.where(flat, np.nan, np.degrees(np.arctan2(-dz_east, -dz_north)) % 360.0)
    return slope.astype(np.float32), aspect.astype(np.float32)


def _ray(azimuth_deg: float) -> tuple[float, float, float]:
    """Unit step towards the sun in (row, col) pixels (dominant component ±1) and its length."""
    az = math.radians(azimuth_deg)
    drow, dcol = -math.cos(az), math.sin(az)
    m = max(abs(drow), abs(dcol))
    return drow / m, dcol / m, 1.0 / m


def _offset(ur: float, uc: float, k: int) -> tuple[int, int]:
    return math.floor(k * ur + 0.5), math.floor(k * uc + 0.5)


def _shift_max(s: I16, dr: int, dc: int, drop: int, scratch: I16) -> None:
    """In place: ``s[p] = max(s[p], s[p + (dr, dc)] - drop)`` where ``p + (dr, dc)`` exists.

    ``scratch`` is a flat buffer of at least ``s.size`` values, reused to avoid allocations.
    """
    h, w = s.shape
    if abs(dr) >= h or abs(dc) >= w:
        return
    dst = (slice(max(-dr, 0), h - max(dr, 0)), slice(max(-dc, 0), w - max(dc, 0)))
    src = (slice(max(dr, 0), h - max(-dr, 0)), slice(max(dc, 0), w - max(-dc, 0)))
    tmp = scratch[: (h - abs(dr)) * (w - abs(dc))].reshape(h - abs(dr), w - abs(dc))
    np.subtract(s[src], np.int16(drop), out=tmp)
    np.maximum(s[dst], tmp, out=s[dst])


def _steps(elevation_deg: float, *, res: float, azimuth_deg: float, reach_m: float) -> int:
    """Number of ray steps needed to follow a shadow of at most ``reach_m`` metres."""
    step_m = _ray(azimuth_deg)[2] * res
    return max(math.ceil(reach_m / step_m) + 1, 1)


def lit_mask(
    dsm: F32,
    *,
    res: float,
    azimuth_deg: float,
    elevation_deg: float,
    reach_m: float,
) -> NDArray[np.bool_]:
    """Pixels the sun reaches, with shadows of neighbours followed up to ``reach_m``.

    Parameters
    ----------
    dsm : 2-D ndarray of float32
        Heights (m), rows from north to south; no NaN.
    res : float
        Pixel size (m).
    azimuth_deg, elevation_deg : float
        Sun position (azimuth clockwise from north).
    reach_m : float
        Horizontal distance within which obstacles are looked for.

    Returns
    -------
    ndarray of bool
        True where the pixel is sunlit.

    Examples
    --------
    >>> z = np.zeros((1, 8), np.float32); z[0, 7] = 3.0  # a 3 m wall at the east end
    >>> lit_mask(z, res=1.0, azimuth_deg=90.0, elevation_deg=45.0, reach_m=20.0).tolist()
    [[True, True, True, True, True, False, False, True]]
    """
    z = np.asarray(dsm, dtype=np.float32)
    quantum = _quantum(float(z.max() - z.min()))
    zq = _quantise(z, base=float(z.min()), quantum=quantum)
    work = np.empty(z.shape, np.int16)
    scratch = np.empty(z.size, np.int16)
    _shade_height(zq, work, scratch, res=res, azimuth_deg=azimuth_deg,
                  elevation_deg=elevation_deg, reach_m=reach_m, quantum=quantum)
    return np.asarray(work <= zq + SHADE_TOLERANCE_Q)


def _quantum(height_range: float) -> float:
    """Height step (m) of the int16 heights for this range."""
    return max(HEIGHT_QUANTUM_M, height_range / INT16_SPAN)


def _quantise(z: F32, *, base: float, quantum: float) -> I16:
    """int16 heights above ``base`` in steps of ``quantum``."""
    q = np.rint((z - np.float32(base)) / np.float32(quantum))
    return np.clip(q, 0, INT16_SPAN + SHADE_TOLERANCE_Q).astype(np.int16)


def _shade_height(
    zq: I16, s: I16, scratch: I16, *, res: float, azimuth_deg: float, elevation_deg: float,
    reach_m: float, quantum: float,
) -> None:
    """Fill ``s`` with ``max_k z(p + k·d) − k·Δz`` over the steps within ``reach_m``.

    Heights are in quanta; each block's drop is rounded to a quantum (≤ ½ quantum per
    doubling level). ``s`` never drops below 0, so ``s − drop`` stays within int16.
    """
    ur, uc, step = _ray(azimuth_deg)
    dz = step * res * math.tan(math.radians(elevation_deg)) / quantum
    n = _steps(elevation_deg, res=res, azimuth_deg=azimuth_deg, reach_m=reach_m)

    def drop(k: int) -> int:
        return min(round(k * dz), INT16_MAX)

    np.copyto(s, zq)
    m = 1
    while 2 * m <= n:
        _shift_max(s, *_offset(ur, uc, m), drop(m), scratch)
        m *= 2
    if n > m:
        r = n - m
        _shift_max(s, *_offset(ur, uc, r), drop(r), scratch)


def _reach(elevation_deg: float, height_range: float, opts: SolarOptions) -> float:
    tan_e = math.tan(math.radians(max(elevation_deg, 1e-3)))
    return min(height_range / tan_e, opts.max_shadow_m)


def _sky_directions(opts: SolarOptions) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Azimuth, elevation and solid-angle weight of the sky directions for diffuse."""
    n = opts.sky_azimuths
    az = (np.arange(n) + 0.5) * 360.0 / n
    azs, els, ws = [], [], []
    for lo, hi in SKY_BANDS_DEG:
        solid = (math.sin(math.radians(hi)) - math.sin(math.radians(lo))) / n
        azs.append(az)
        els.append(np.full(n, (lo + hi) / 2))
        ws.append(np.full(n, solid))
    return np.concatenate(azs), np.concatenate(els), np.concatenate(ws)


def _cos_aoi(
    ct: F32, sx: F32, sy: F32, azimuth_deg: float, elevation_deg: float, *, scale: float,
    out: F32, tmp: F32,
) -> F32:
    """``scale`` × cos(angle of incidence) of a direction on every pixel's plane (0 behind)."""
    zen = math.radians(90.0 - elevation_deg)
    az = math.radians(azimuth_deg)
    cz, sz = math.cos(zen) * scale, math.sin(zen) * scale
    np.multiply(sx, np.float32(math.sin(az) * sz), out=out)
    np.multiply(sy, np.float32(math.cos(az) * sz), out=tmp)
    out += tmp
    np.multiply(ct, np.float32(cz), out=tmp)
    out += tmp
    return np.maximum(out, np.float32(0.0), out=out)


def max_reach_m(sun: SunSample, height_range: float, opts: SolarOptions) -> float:
    """Longest shadow followed for this sun sample and height range (sets the tile margin)."""
    sky_az, sky_el, _ = _sky_directions(opts)
    del sky_az
    beam = sun.elevation_deg >= opts.min_sun_elevation_deg
    elev = np.concatenate([sun.elevation_deg[beam], sky_el])
    return max((_reach(float(e), height_range, opts) for e in elev), default=0.0)


def irradiation(
    dsm: NDArray[Any],
    sun: SunSample,
    *,
    res: float,
    labels: NDArray[Any] | None = None,
    height_range: float | None = None,
    fill_height: float | None = None,
    opts: SolarOptions | None = None,
) -> dict[str, F32]:
    """Annual plane-of-array irradiation of every pixel of a DSM, in one pass.

    Parameters
    ----------
    dsm : 2-D ndarray
        Heights (m), rows from north to south; NaN is treated as the lowest height.
    sun : SunSample
        Sun positions and irradiation of the year.
    res : float
        Pixel size (m).
    labels : 2-D ndarray of int, optional
        Roof labels for slopes (see :func:`slope_aspect`).
    height_range : float, optional
        Height range used to bound shadow lengths; by default that of ``dsm`` (pass the
        whole raster's range when ``dsm`` is a tile, so tiles match one pass).
    fill_height : float, optional
        Height given to NaN pixels for shading; by default the lowest height of ``dsm``.
    opts : SolarOptions, optional
        Model options.

    Returns
    -------
    dict of str to ndarray of float32
        ``poa_kwh_m2``, ``unshaded_ratio``, ``slope_deg``, ``aspect_deg`` (see :data:`BANDS`).
    """
    o = opts or SolarOptions()
    raw = np.asarray(dsm, dtype=np.float32)
    nan = ~np.isfinite(raw)
    if fill_height is None:
        fill_height = float(np.nanmin(raw)) if (~nan).any() else 0.0
    z = np.where(nan, np.float32(fill_height), raw).astype(np.float32)
    hr = float(z.max() - z.min()) if height_range is None else float(height_range)
    slope, aspect = slope_aspect(z, res=res, labels=labels)
    flat = slope < o.flat_slope_deg
    lay = o.layout
    tilt = np.radians(np.where(flat, o.flat_tilt_deg, slope)).astype(np.float32)
    azim = np.radians(np.where(flat, o.flat_azimuth_deg, np.nan_to_num(aspect))).astype(
        np.float32
    )
    ct = np.cos(tilt)
    sx = np.sin(tilt) * np.sin(azim)
    sy = np.sin(tilt) * np.cos(azim)
    del tilt, azim
    sky_view = (1.0 + ct) / 2.0
    ground_view = (1.0 - ct) / 2.0
    horizon_view = np.sqrt(np.maximum(1.0 - ct * ct, 0.0))  # sin β
    flat_f = flat.astype(np.float32)
    if lay is not None:
        # flat pixels take the layout's modules: one scalar per direction, added below
        sky_view[flat] = lay.sky_view()
        ground_view[flat] = lay.ground_view()
        horizon_view[flat] = lay.horizon_view()
        ct[flat], sx[flat], sy[flat] = 0.0, 0.0, 0.0

    quantum = _quantum(hr)
    zq = _quantise(z, base=fill_height, quantum=quantum)
    shade = np.empty(z.shape, np.int16)
    scratch = np.empty(z.size, np.int16)
    cos_i = np.empty(z.shape, np.float32)
    tmp = np.empty(z.shape, np.float32)
    lit = np.empty(z.shape, np.bool_)
    z_tol = zq + np.int16(SHADE_TOLERANCE_Q)

    def accumulate(
        az: float, el: float, weight: float, every: F32, unblocked: F32, *, rows: bool
    ) -> None:
        """Add weight·cos AOI to ``every``, and to ``unblocked`` where nothing blocks it."""
        _cos_aoi(ct, sx, sy, az, el, scale=weight, out=cos_i, tmp=tmp)
        if lay is not None:
            f = lay.beam_factor(el, az, rows=rows) * weight
            if f > 0:
                np.multiply(flat_f, np.float32(f), out=tmp)
                np.add(cos_i, tmp, out=cos_i)
        every += cos_i
        _shade_height(zq, shade, scratch, res=res, azimuth_deg=az, elevation_deg=el,
                      reach_m=_reach(el, hr, o), quantum=quantum)
        np.less_equal(shade, z_tol, out=lit)
        np.add(unblocked, cos_i, out=unblocked, where=lit)

    beam_lit = np.zeros(z.shape, np.float32)
    beam_all = np.zeros(z.shape, np.float32)
    for az, el, dni in zip(sun.azimuth_deg, sun.elevation_deg, sun.dni_wh, strict=True):
        if el >= o.min_sun_elevation_deg and dni > 0:
            accumulate(float(az), float(el), dni / WH_PER_KWH, beam_all, beam_lit, rows=True)

    # the visible sky, all bands and the lowest band (for the horizon brightening) apart
    seen = np.zeros(z.shape, np.float32)
    visible = np.zeros(z.shape, np.float32)
    seen_low = np.zeros(z.shape, np.float32)
    visible_low = np.zeros(z.shape, np.float32)
    n_low = o.sky_azimuths
    for i, (az, el, w) in enumerate(zip(*_sky_directions(o), strict=True)):
        if i < n_low:
            accumulate(float(az), float(el), float(w), visible_low, seen_low, rows=False)
        else:
            accumulate(float(az), float(el), float(w), visible, seen, rows=False)
    horizon_free = _ratio(seen_low, visible_low)
    sky_free = _ratio(seen + seen_low, visible + visible_low)
    del seen, visible, seen_low, visible_low

    ghi = float(sun.ghi_wh.sum()) / WH_PER_KWH
    diffuse = sun.iso_kwh * sky_view
    horizon = sun.horizon_kwh * horizon_view
    reflected = ghi * o.albedo * ground_view
    poa = beam_lit + (diffuse + reflected) * sky_free + horizon * horizon_free
    unshaded = beam_all + diffuse + horizon + reflected
    ratio = np.where(unshaded > 0, poa / np.where(unshaded > 0, unshaded, 1), 0.0)
    out = {
        "poa_kwh_m2": poa.astype(np.float32),
        "unshaded_ratio": ratio.astype(np.float32),
        "slope_deg": slope,
        "aspect_deg": aspect,
    }
    for arr in out.values():
        arr[nan] = np.nan
    return out


def _ratio(part: F32, whole: F32) -> F32:
    """``part / whole``, 1 where ``whole`` is 0 (a plane that sees none of those directions)."""
    return np.asarray(np.where(whole > 0, part / np.where(whole > 0, whole, 1), 1.0), np.float32)


def small_gdal_cache() -> Any:
    """GDAL environment with a small block cache, for reading or writing a tile once.

    Only I/O runs inside it: GDAL's rasterizer works in cache-sized chunks, so rasterising
    under a small cache is many times slower.
    """
    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES)


_small_cache = small_gdal_cache


def raster_location(path: Path) -> tuple[float, float]:
    """Latitude and longitude (WGS84) of a raster's centre."""
    with rasterio.open(path) as ds:
        if ds.crs is None:
            raise InputFileError(f"{path}: the raster declares no CRS")
        left, bottom, right, top = ds.bounds
        tr = Transformer.from_crs(CRS.from_wkt(ds.crs.to_wkt()), "EPSG:4326", always_xy=True)
        lon, lat = tr.transform((left + right) / 2, (bottom + top) / 2)
    return float(lat), float(lon)


def _height_limits(ds: Any, tile_px: int) -> tuple[float, float]:
    lo, hi = math.inf, -math.inf
    for core, _ in iter_windows(ds.height, ds.width, tile_px=tile_px):
        a = ds.read(1, window=core, masked=True).astype(np.float64).filled(np.nan)
        if np.isfinite(a).any():
            lo, hi = min(lo, float(np.nanmin(a))), max(hi, float(np.nanmax(a)))
    return (0.0, 0.0) if lo > hi else (lo, hi)


def _tile_bands(
    dsm_path: str, padded: Any, core: Any, sun: SunSample, opts: SolarOptions,
    roofs: NDArray[np.object_] | None, height_range: float, fill_height: float,
) -> tuple[Any, F32]:
    """One tile (run in this process or on a worker): its core's bands, stacked."""
    with rasterio.open(dsm_path) as src:
        tf, res = src.transform, float(src.transform.a)
        with _small_cache():
            z = src.read(1, window=padded, masked=True)
    z = z.astype(np.float32).filled(np.nan)
    ptf = window_transform(tf, padded)
    labels = None
    if roofs is not None:
        labels = np.zeros(z.shape, np.int32) if len(roofs) == 0 else rasterio.features.rasterize(
            [(g, i + 1) for i, g in enumerate(roofs)], out_shape=z.shape, transform=ptf,
            fill=0, dtype="int32",
        )
    out = irradiation(z, sun, res=res, labels=labels, height_range=height_range,
                      fill_height=fill_height, opts=opts)
    r0, c0 = core.row_off - padded.row_off, core.col_off - padded.col_off
    inner = (slice(r0, r0 + core.height), slice(c0, c0 + core.width))
    return core, np.stack([out[name][inner] for name in BANDS])


def irradiation_raster(
    dsm_path: Path,
    out_path: Path,
    sun: SunSample,
    *,
    roofs: Sequence[Any] | NDArray[np.object_] | None = None,
    opts: SolarOptions | None = None,
    client: Any = None,
) -> dict[str, Any]:
    """Write the annual irradiation of a DSM to a 4-band GeoTIFF, tile by tile.

    Parameters
    ----------
    dsm_path : pathlib.Path
        DSM GeoTIFF in a metric, north-up CRS.
    out_path : pathlib.Path
        Output GeoTIFF (same grid; bands :data:`BANDS`, float32, NaN = no data). Written to
        a temporary file first and moved in place at the end.
    sun : SunSample
        Sun positions and irradiation of the year.
    roofs : sequence of shapely polygons, optional
        Building footprints in the DSM's CRS, so slopes are taken within each roof.
    opts : SolarOptions, optional
        Model options (``tile_px`` sets the tile size).
    client : distributed.Client, optional
        Compute the tiles on this Dask cluster (:func:`gis.tasks.dask_client`); this process
        only reads the tile list and writes the results, keeping two tiles per worker in
        flight. The workers read ``dsm_path`` themselves. Results equal one process's.

    Returns
    -------
    dict
        ``tiles``, ``margin_px``, ``height_range_m``, ``pixels``, ``sun_positions``,
        ``workers``.
    """
    o = opts or SolarOptions()
    roof_index = None
    if roofs is not None:
        garr = np.asarray(roofs, dtype=object)
        roof_index = (garr, shapely.STRtree(garr))
    try:
        src = rasterio.open(dsm_path)
    except rasterio.errors.RasterioIOError as e:
        raise InputFileError(f"{dsm_path}: cannot be read as a raster ({e})") from e
    with src:
        tf = src.transform
        if tf.b != 0 or tf.d != 0 or tf.e >= 0:
            raise InputFileError(f"{dsm_path}: the DSM grid is rotated or not north-up")
        res = float(tf.a)
        if not math.isclose(res, -tf.e, rel_tol=1e-6):
            raise InputFileError(f"{dsm_path}: DSM pixels are not square ({tf.a} × {-tf.e})")
        with _small_cache():
            lo, hi = _height_limits(src, o.tile_px)
        height, width = src.height, src.width
        profile = {
            "driver": "GTiff", "height": height, "width": width, "count": len(BANDS),
            "dtype": "float32", "crs": src.crs, "transform": tf, "nodata": np.nan,
            "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256,
        }
    hr = hi - lo
    margin = math.ceil(max_reach_m(sun, hr, o) / res) + MARGIN_SLACK_PX
    workers = 1 if client is None else max(len(client.scheduler_info().get("workers", {})), 1)

    def tasks() -> Iterator[tuple[Any, ...]]:
        for core, padded in iter_windows(height, width, tile_px=o.tile_px, margin_px=margin):
            geoms = None
            if roof_index is not None:
                box = window_box(window_transform(tf, padded), padded)
                hits = roof_index[1].query(box, predicate="intersects")
                geoms = roof_index[0][np.sort(hits)]
            yield str(dsm_path), padded, core, sun, o, geoms, hr, lo

    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".tif", dir=out_path.parent)
    os.close(fd)
    try:
        with rasterio.open(tmp_name, "w", **profile) as dst:
            for i, name in enumerate(BANDS, start=1):
                dst.set_band_description(i, name)

            def write(result: tuple[Any, F32]) -> None:
                core, bands = result
                with _small_cache():
                    for i in range(len(BANDS)):
                        dst.write(bands[i], i + 1, window=core)

            n_tiles = run_tasks(_tile_bands, tasks(), write, client=client,
                                max_in_flight=2 * workers)
        os.replace(tmp_name, out_path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return {
        "tiles": n_tiles, "margin_px": margin, "height_range_m": hr,
        "pixels": height * width, "sun_positions": len(sun.azimuth_deg), "workers": workers,
    }
