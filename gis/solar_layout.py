"""Module layouts on roofs: row spacing, ground coverage ratio and row-to-row shading.

Flat roofs carry one of three layouts (:class:`Layout`):

``rows``
    Rows of modules tilted ``tilt_deg`` towards ``azimuth_deg`` (south in the northern
    hemisphere). The ground coverage ratio (GCR = module slant length ÷ row pitch, i.e. module
    area ÷ roof area) is either given or derived from the latitude so that no row shades the
    next between ``window_start_h`` and ``window_end_h`` solar time on the winter solstice
    (:func:`solstice_pitch`), the usual design rule for fixed rows.
``east_west``
    Low-tilt modules back to back, half facing east and half west, at a high GCR.
``flat``
    Modules laid flat (no tilt, no row shading) at a packing ratio.

Pitched roofs are fitted flush: the modules lie in the roof plane and their area is the
roof surface times ``flush_fill``.

Row-to-row shading (for ``rows`` and ``east_west``) follows the standard 2-D geometry of
infinitely long rows: the fraction of a module's slant height in the shadow of the row in
front is ``f = 1 − sin αₚ / (GCR · sin(β + αₚ))`` (clipped to [0, 1]), with β the tilt and αₚ
the sun's elevation projected on the plane across the rows (:func:`shaded_fraction`). Beam
and circumsolar light on the shaded part is lost (a linear, i.e. optimistic, electrical
model). The isotropic sky the row in front hides is Passias & Källbäck's (1984) average
masking loss (pvlib's :func:`pvlib.shading.sky_diffuse_passias`); Perez's horizon band is
scaled by the same loss (:meth:`Layout.horizon_view`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "LAYOUTS",
    "SOLSTICE_DECLINATION_DEG",
    "Layout",
    "make_layout",
    "shaded_fraction",
    "solstice_pitch",
]

FloatArray = NDArray[np.float64]
LAYOUTS = ("rows", "east_west", "flat")
# Declination of the sun at the solstices (degrees).
SOLSTICE_DECLINATION_DEG = 23.44
DEG_PER_HOUR = 15.0
NOON_H = 12.0
# Solar times checked within the no-shade window (minutes apart).
WINDOW_STEP_MIN = 5.0


def _sun_at(
    latitude_deg: float, declination_deg: float, hour_angle_deg: float
) -> tuple[float, float]:
    """Sun elevation and azimuth (degrees, azimuth clockwise from north) at a solar time."""
    phi, dec, h = (math.radians(v) for v in (latitude_deg, declination_deg, hour_angle_deg))
    sin_el = math.sin(phi) * math.sin(dec) + math.cos(phi) * math.cos(dec) * math.cos(h)
    el = math.asin(max(-1.0, min(1.0, sin_el)))
    # azimuth from north, clockwise: atan2(east, north) components of the sun vector
    east = -math.cos(dec) * math.sin(h)
    north = math.sin(dec) * math.cos(phi) - math.cos(dec) * math.cos(h) * math.sin(phi)
    return math.degrees(el), math.degrees(math.atan2(east, north)) % 360.0


def solstice_pitch(
    latitude_deg: float,
    tilt_deg: float,
    module_length_m: float,
    *,
    azimuth_deg: float | None = None,
    window_start_h: float = 9.0,
    window_end_h: float = 15.0,
) -> float:
    """Row pitch (m, horizontal) that keeps rows unshaded through a winter-solstice window.

    On the winter solstice (declination −23.44° north of the equator, +23.44° south of it)
    the top edge of a row, ``L·sin β`` above its foot, casts a shadow reaching
    ``L·sin β · cos(γₛ − γ) / tan αₛ`` across the rows; the pitch is the module's horizontal
    depth ``L·cos β`` plus the longest such shadow between ``window_start_h`` and
    ``window_end_h`` solar time.

    Parameters
    ----------
    latitude_deg : float
        Site latitude.
    tilt_deg : float
        Module tilt from horizontal.
    module_length_m : float
        Slant length of a row (the module side across the row).
    azimuth_deg : float, optional
        Direction the rows face (clockwise from north); the equator by default.
    window_start_h, window_end_h : float
        Solar-time window without row-to-row shade.

    Returns
    -------
    float
        Horizontal distance from one row's foot to the next (m).

    Raises
    ------
    ValueError
        The sun does not rise above the horizon throughout the window.

    Examples
    --------
    >>> round(solstice_pitch(39.0, 30.0, 2.0), 2)  # 09–15 h at 39° N: GCR = 2 / 4.56 ≈ 0.44
    4.56
    """
    north = latitude_deg >= 0
    dec = -SOLSTICE_DECLINATION_DEG if north else SOLSTICE_DECLINATION_DEG
    face = (180.0 if north else 0.0) if azimuth_deg is None else azimuth_deg
    beta = math.radians(tilt_deg)
    height = module_length_m * math.sin(beta)
    depth = module_length_m * math.cos(beta)
    n = max(math.ceil((window_end_h - window_start_h) * 60.0 / WINDOW_STEP_MIN), 1)
    longest = 0.0
    for hour in np.linspace(window_start_h, window_end_h, n + 1):
        el, az = _sun_at(latitude_deg, dec, (float(hour) - NOON_H) * DEG_PER_HOUR)
        if el <= 0.0:
            raise ValueError(
                f"the sun is below the horizon at {hour:.2f} h solar time on the winter "
                f"solstice at latitude {latitude_deg:g}°: shorten the no-shade window"
            )
        across = math.cos(math.radians(az - face))
        longest = max(longest, height * across / math.tan(math.radians(el)))
    return depth + longest


def shaded_fraction(
    elevation_deg: ArrayLike, azimuth_deg: ArrayLike, *, tilt_deg: float, face_deg: float,
    gcr: float,
) -> FloatArray:
    """Fraction of a row's slant height in the shadow of the row in front (infinite rows).

    Parameters
    ----------
    elevation_deg, azimuth_deg : array_like
        Sun (or sky direction) position; azimuth clockwise from north.
    tilt_deg, face_deg : float
        Row tilt and the azimuth the modules face.
    gcr : float
        Ground coverage ratio (slant length ÷ pitch).

    Returns
    -------
    ndarray
        Shaded fraction in [0, 1]; 0 when the direction is behind the modules or below the
        horizon.

    Examples
    --------
    >>> round(float(shaded_fraction(30.0, 180.0, tilt_deg=30.0, face_deg=180.0, gcr=1.0)), 3)
    0.423
    """
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    across = np.cos(np.radians(np.asarray(azimuth_deg, dtype=float) - face_deg))
    beta = math.radians(tilt_deg)
    if beta <= 0.0 or gcr <= 0.0:
        return np.zeros(np.broadcast(el, across).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha_p = np.arctan2(np.tan(el), across)  # projected elevation across the rows
        f = 1.0 - np.sin(alpha_p) / (gcr * np.sin(beta + alpha_p))
    ok = (el > 0.0) & (across > 0.0)
    return np.where(ok, np.clip(np.nan_to_num(f), 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class Layout:
    """How modules are laid out on flat roofs.

    Attributes
    ----------
    kind : str
        ``rows``, ``east_west`` or ``flat`` (see the module docstring).
    tilt_deg : float
        Module tilt.
    azimuth_deg : float
        Direction the modules face (``rows``); ``east_west`` uses 90° and 270°.
    gcr : float
        Module area ÷ roof area within the usable roof.
    pitch_m : float
        Row pitch (m) for ``rows`` and ``east_west`` (0 for ``flat``).
    module_length_m : float
        Slant length of a row.
    """

    kind: str = "rows"
    tilt_deg: float = 30.0
    azimuth_deg: float = 180.0
    gcr: float = 0.44
    pitch_m: float = 4.56
    module_length_m: float = 2.0

    def planes(self) -> tuple[tuple[float, float, float], ...]:
        """(tilt, azimuth, share of the modules) of each module plane."""
        if self.kind == "east_west":
            return ((self.tilt_deg, 90.0, 0.5), (self.tilt_deg, 270.0, 0.5))
        if self.kind == "flat":
            return ((0.0, self.azimuth_deg, 1.0),)
        return ((self.tilt_deg, self.azimuth_deg, 1.0),)

    def beam_factor(self, elevation_deg: float, azimuth_deg: float, *, rows: bool) -> float:
        """Mean cos(angle of incidence) over the modules, less row shade when ``rows``."""
        s_el, c_el = math.sin(math.radians(elevation_deg)), math.cos(math.radians(elevation_deg))
        total = 0.0
        for tilt, face, share in self.planes():
            t = math.radians(tilt)
            cos_i = s_el * math.cos(t) + c_el * math.sin(t) * math.cos(
                math.radians(azimuth_deg - face)
            )
            if cos_i <= 0.0:
                continue
            lit = 1.0
            if rows and self.kind != "flat":
                lit -= float(shaded_fraction(elevation_deg, azimuth_deg, tilt_deg=tilt,
                                             face_deg=face, gcr=self.gcr))
            total += share * cos_i * lit
        return total

    def sky_view(self) -> float:
        """Mean isotropic sky view of the modules, ``(1 + cos β)/2`` less row masking."""
        if self.kind == "flat":
            return 1.0
        import pvlib

        beta = self.tilt_deg
        masking = pvlib.shading.masking_angle_passias(beta, self.gcr)
        loss = float(pvlib.shading.sky_diffuse_passias(masking))
        return (1.0 + math.cos(math.radians(beta))) / 2.0 * (1.0 - loss)

    def horizon_view(self) -> float:
        """Mean weight of Perez's horizon band on the modules: ``sin β`` less row masking.

        The row in front hides the low sky ahead; the band is scaled by the same Passias
        masking loss as the isotropic sky (an approximation: the band lies below 6.5° and is
        hidden from most of a row behind another).
        """
        if self.kind == "flat":
            return 0.0
        iso = (1.0 + math.cos(math.radians(self.tilt_deg))) / 2.0
        return math.sin(math.radians(self.tilt_deg)) * self.sky_view() / iso

    def ground_view(self) -> float:
        """Mean view of the ground (for reflection), ``(1 − cos β)/2``."""
        return (1.0 - math.cos(math.radians(self.tilt_deg if self.kind != "flat" else 0.0))) / 2

    def describe(self) -> str:
        """Short text for reports, e.g. ``rows 30° S, GCR 0.44, pitch 4.6 m``."""
        if self.kind == "flat":
            return f"flat-mounted, fill {self.gcr:.2f}"
        if self.kind == "east_west":
            return f"east-west {self.tilt_deg:g}°, GCR {self.gcr:.2f}, pitch {self.pitch_m:.1f} m"
        face = {180.0: "S", 0.0: "N", 90.0: "E", 270.0: "W"}.get(self.azimuth_deg % 360.0)
        return (
            f"rows {self.tilt_deg:g}° {face or f'{self.azimuth_deg:g}°'}, GCR {self.gcr:.2f}, "
            f"pitch {self.pitch_m:.1f} m"
        )


def make_layout(
    kind: str,
    *,
    latitude_deg: float,
    tilt_deg: float = 30.0,
    module_length_m: float = 2.0,
    gcr: float = 0.0,
    azimuth_deg: float | None = None,
    window_start_h: float = 9.0,
    window_end_h: float = 15.0,
    east_west_tilt_deg: float = 10.0,
    east_west_gcr: float = 0.85,
    flat_fill: float = 0.85,
) -> Layout:
    """The flat-roof layout of ``kind`` at a latitude (``gcr`` 0 = from the solstice rule).

    Parameters
    ----------
    kind : str
        One of :data:`LAYOUTS`.
    latitude_deg : float
        Site latitude.
    tilt_deg, module_length_m, azimuth_deg : float
        Tilted rows: tilt, slant length, facing (the equator by default).
    gcr : float
        Ground coverage ratio of tilted rows; 0 derives it from :func:`solstice_pitch`.
    window_start_h, window_end_h : float
        No-shade window on the winter solstice (solar time).
    east_west_tilt_deg, east_west_gcr : float
        East-west layout.
    flat_fill : float
        Module area ÷ usable roof area of flat-mounted modules.

    Returns
    -------
    Layout

    Raises
    ------
    ValueError
        Unknown kind or a ratio outside (0, 1].
    """
    if kind not in LAYOUTS:
        raise ValueError(f"unknown layout {kind!r} (use one of: {', '.join(LAYOUTS)})")
    face = (180.0 if latitude_deg >= 0 else 0.0) if azimuth_deg is None else azimuth_deg
    if kind == "flat":
        ratio, tilt, pitch = flat_fill, 0.0, 0.0
    elif kind == "east_west":
        ratio, tilt = east_west_gcr, east_west_tilt_deg
        pitch = module_length_m / ratio if ratio > 0 else 0.0
    else:
        tilt = tilt_deg
        if gcr > 0:
            ratio, pitch = gcr, module_length_m / gcr
        else:
            pitch = solstice_pitch(latitude_deg, tilt_deg, module_length_m, azimuth_deg=face,
                                   window_start_h=window_start_h, window_end_h=window_end_h)
            ratio = module_length_m / pitch
    if not 0.0 < ratio <= 1.0:
        raise ValueError(f"layout {kind}: coverage ratio {ratio:g} is outside (0, 1]")
    return Layout(kind=kind, tilt_deg=tilt, azimuth_deg=face, gcr=ratio, pitch_m=pitch,
                  module_length_m=module_length_m)
