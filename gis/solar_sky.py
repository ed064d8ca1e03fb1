"""The sky of a year: hourly weather (file or clear-sky model) turned into a sun sample.

Hourly records come from one of

* a weather file the project gives: EPW (:func:`pvlib.iotools.read_epw`), TMY3
  (:func:`pvlib.iotools.read_tmy3`), PVGIS TMY (:func:`pvlib.iotools.read_pvgis_tmy`, ``.json``)
  or a plain CSV with ``time, ghi[, dni, dhi]`` (:func:`read_weather`);
* pvlib's Ineichen clear-sky model (Linke turbidity from pvlib's monthly climatology) scaled
  by a clearness factor (:func:`clearsky_year`) when no file is given.

Missing beam and diffuse are split from GHI hour by hour with the Erbs model. Diffuse light
is transposed with an anisotropic sky model (``transposition``), split into three parts that
the DSM shades differently (:mod:`gis.solar`):

``perez`` (default; Perez et al. 1990, the ``allsitescomposite1990`` coefficients pvlib uses)
    ``DHI·[(1 − F1)(1 + cos β)/2 + F1·a/b + F2·sin β]`` with ``a = max(cos AOI, 0)``,
    ``b = max(cos Z, cos 85°)``, F1 and F2 from the sky's clearness ε and brightness Δ
    (relative air mass: Kasten & Young 1989). The circumsolar part ``DHI·F1/b`` travels with
    the beam (same direction, same shadows), the isotropic part ``DHI·(1 − F1)`` with the
    visible sky, and the horizon band ``DHI·F2`` (× sin β on the plane; F2 may be negative)
    with the visible sky near the horizon.
``haydavies`` (Hay & Davies 1980)
    A share ``A = DNI / DNI_extra`` (anisotropy index) of the diffuse comes from the sun's
    direction (circumsolar, ``DHI·A / max(cos Z, cos 89°)``) and the rest from an isotropic
    sky; no horizon band.

:func:`sun_sample` folds the hourly records into a few hundred sun directions for shadow
casting: records are grouped by month and time-of-day step, and each group becomes one
direction carrying the vector sum ``V = Σ E·ŝ`` of its records' sun unit vectors ``ŝ``
weighted by their beam-plus-circumsolar energy ``E``; the sample stores ``|V|`` along
``V/|V|``. As the beam on a plane is ``n·ŝ·E``, the sample reproduces Σ over the hours of the
beam and circumsolar light on every plane that faces all of a group's suns — the
plane-of-array irradiation equals the hour-by-hour transposition (:func:`plane_poa`), only
the shadow directions are grouped. The isotropic and horizon parts do not depend on the sun's
direction and are carried as yearly sums.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis._errors import InputFileError

__all__ = [
    "TRANSPOSITIONS",
    "SunSample",
    "clearsky_year",
    "irradiance_frame",
    "plane_poa",
    "read_weather",
    "read_weather_csv",
    "solar_positions",
    "sun_sample",
    "sun_sample_clearsky",
    "sun_sample_weather",
]

FloatArray = NDArray[np.float64]
WH_PER_KWH = 1000.0
MINUTES_PER_HOUR = 60.0
HOURS_PER_YEAR = 8760.0
MONTHS = 12
# pvlib's Hay-Davies floor on cos(zenith) (GH 432): 1°.
MIN_COS_ZENITH = 0.01745
# Below ~86° from zenith the beam is left in the diffuse when a month is rescaled.
MIN_COS_BEAM = 0.07
# pvlib's Perez floor on cos(zenith) in the circumsolar term: cos 85°.
PEREZ_MIN_COS_ZENITH = math.cos(math.radians(85.0))
PEREZ_KAPPA = 1.041  # Perez et al. (1990), zenith in radians
# Upper edges of Perez's sky-clearness bins 1..7 (bin 8 is above the last).
PEREZ_EPSILON_BINS = (1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2)
TRANSPOSITIONS = ("perez", "haydavies")
TRANSPOSITION_NAMES = {"perez": "Perez 1990 transposition",
                       "haydavies": "Hay-Davies transposition"}


@dataclass(frozen=True)
class SunSample:
    """Sun directions standing for a year, with the irradiation each represents.

    Attributes
    ----------
    azimuth_deg, elevation_deg : ndarray
        Direction (azimuth clockwise from north), only above the horizon.
    dni_wh : ndarray
        Beam-normal irradiation (Wh/m²) along that direction over the year, including the
        circumsolar diffuse (Perez or Hay–Davies) when the sample was built from hourly records.
    dhi_wh, ghi_wh : ndarray
        Diffuse and global horizontal irradiation (Wh/m²); only their sums are used.
    dhi_iso_wh : ndarray, optional
        Isotropic part of the diffuse (Wh/m²); ``dhi_wh`` when absent (isotropic sky).
    source : str
        Which sky was used (for every PV figure's note).
    horizon_wh : float
        Perez horizon-band irradiation of the year, ``Σ DHI·F2`` (Wh/m²; × sin β on a plane
        of tilt β); 0 for Hay–Davies or an isotropic sky.
    """

    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    dni_wh: FloatArray
    dhi_wh: FloatArray
    ghi_wh: FloatArray
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    dhi_iso_wh: FloatArray | None = None
    horizon_wh: float = 0.0

    @property
    def annual_ghi_kwh(self) -> float:
        """Global horizontal irradiation of the year (kWh/m²)."""
        return float(self.ghi_wh.sum() / WH_PER_KWH)

    @property
    def iso_kwh(self) -> float:
        """Isotropic diffuse horizontal irradiation of the year (kWh/m²)."""
        iso = self.dhi_wh if self.dhi_iso_wh is None else self.dhi_iso_wh
        return float(iso.sum() / WH_PER_KWH)

    @property
    def horizon_kwh(self) -> float:
        """Perez horizon-band irradiation of the year (kWh/m², × sin β on a plane)."""
        return self.horizon_wh / WH_PER_KWH

    @property
    def diffuse_fraction(self) -> float:
        """DHI ÷ GHI over the year."""
        ghi = float(self.ghi_wh.sum())
        return float(self.dhi_wh.sum()) / ghi if ghi > 0 else 0.0


@contextlib.contextmanager
def quiet_pvlib() -> Iterator[None]:
    """Silence pvlib 0.16's use of ``DatetimeIndex.dayofyear`` (deprecated in pandas 3.1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        yield


def irradiance_frame(
    ghi: Any, dni: Any, dhi: Any, start: pd.DatetimeIndex, hours: float
) -> pd.DataFrame:
    """Irradiance records as the sun samples hold them.

    Parameters
    ----------
    ghi, dni, dhi : array-like
        Global horizontal, direct normal and diffuse horizontal irradiance of each record
        (W/m², the mean over the record).
    start : pandas.DatetimeIndex
        When each record starts.
    hours : float
        How long each record lasts (h), the same for all.

    Returns
    -------
    pandas.DataFrame
        Columns ``ghi``, ``dni``, ``dhi`` (float) and ``hours``, indexed by ``start``.
    """
    out = pd.DataFrame(
        {"ghi": np.asarray(ghi, float), "dni": np.asarray(dni, float),
         "dhi": np.asarray(dhi, float)},
        index=start,
    )
    out["hours"] = hours
    return out


def clearsky_year(
    latitude: float, longitude: float, *, clearness: float = 0.76,
    linke_turbidity: float | None = None, altitude_m: float = 0.0, year: int = 2023,
) -> pd.DataFrame:
    """An hourly year of Ineichen clear-sky GHI × ``clearness``, split by Erbs.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_weather` (UTC interval starts, ``ghi``, ``dni``, ``dhi``, ``hours``).
    """
    import pvlib

    start = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="1h", tz="UTC")
    mid = start + pd.Timedelta(minutes=30)
    loc = pvlib.location.Location(latitude, longitude, altitude=altitude_m)
    with quiet_pvlib():
        pos = loc.get_solarposition(mid)
        if linke_turbidity is None:
            tl = pvlib.clearsky.lookup_linke_turbidity(mid, latitude, longitude)
        else:
            tl = pd.Series(float(linke_turbidity), index=mid)
        cs = loc.get_clearsky(mid, model="ineichen", solar_position=pos, linke_turbidity=tl)
    ghi = clearness * cs["ghi"].to_numpy()
    split = pvlib.irradiance.erbs(ghi, pos["apparent_zenith"].to_numpy(), mid.day_of_year)
    return irradiance_frame(ghi, np.nan_to_num(np.asarray(split["dni"])),
                  np.nan_to_num(np.asarray(split["dhi"])), start, 1.0)


def read_weather_csv(path: Path, *, utc_offset_hours: float = 8.0) -> pd.DataFrame:
    """Read a plain weather CSV: a time column and GHI, optionally DNI and DHI.

    Parameters
    ----------
    path : pathlib.Path
        CSV with columns ``time`` (ISO timestamps; local time at ``utc_offset_hours`` when
        they carry no zone), ``ghi`` and optionally ``dni``, ``dhi`` (W/m², interval means
        labelled at the interval start). Column names are matched case-insensitively.
    utc_offset_hours : float
        Offset of zone-less timestamps (8 = Beijing time).

    Returns
    -------
    pandas.DataFrame
        Indexed by UTC interval start, with ``ghi`` (and ``dni``, ``dhi`` when present) and
        ``hours`` (the interval length).

    Raises
    ------
    InputFileError
        The file is missing, unreadable or lacks a time or ghi column.
    """
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise InputFileError(f"{path}: cannot be read as a weather CSV ({e})") from e
    df.columns = [str(c).strip().lower() for c in df.columns]
    for col in ("time", "ghi"):
        if col not in df.columns:
            raise InputFileError(f"{path}, field {col}: missing in the weather CSV")
    try:
        t = pd.to_datetime(df["time"])
    except (ValueError, TypeError) as e:
        raise InputFileError(f"{path}, field time: not a timestamp ({e})") from e
    if t.dt.tz is None:
        t = t - pd.Timedelta(hours=utc_offset_hours)
        t = t.dt.tz_localize("UTC")
    else:
        t = t.dt.tz_convert("UTC")
    out = df[[c for c in ("ghi", "dni", "dhi") if c in df.columns]].astype(float)
    out.index = pd.DatetimeIndex(t)
    return _with_hours(out, path)


def _with_hours(out: pd.DataFrame, path: Path) -> pd.DataFrame:
    if len(out) < 2:
        raise InputFileError(f"{path}: the weather file needs at least two records")
    if not np.isfinite(out["ghi"].to_numpy()).all():
        raise InputFileError(f"{path}, field ghi: missing or non-numeric values")
    step_h = float(pd.Series(out.index).diff().median().total_seconds()) / 3600.0
    out["hours"] = step_h
    return out.sort_index()


def read_weather(path: Path, *, utc_offset_hours: float = 8.0) -> tuple[pd.DataFrame, str]:
    """Read hourly weather from an EPW, TMY3, PVGIS TMY (JSON) or plain CSV file.

    Parameters
    ----------
    path : pathlib.Path
        ``.epw`` (EnergyPlus), ``.json`` (PVGIS TMY), a TMY3 ``.csv`` (first line: station
        header, as NREL writes them) or a plain CSV (see :func:`read_weather_csv`).
    utc_offset_hours : float
        Offset of zone-less timestamps in a plain CSV.

    Returns
    -------
    (pandas.DataFrame, str)
        Records by UTC interval start (``ghi``, ``dni``, ``dhi`` when given, ``hours``) and
        the format read (``EPW``, ``TMY3``, ``PVGIS TMY``, ``CSV``).

    Raises
    ------
    InputFileError
        The file is missing or cannot be read in its format.
    """
    import pvlib

    if not path.is_file():
        raise InputFileError(f"{path}: weather file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".epw":
            data, _ = pvlib.iotools.read_epw(path)
            fmt, shift = "EPW", 0.0  # pvlib labels EPW hours at their start
        elif suffix == ".json":
            data, *_ = pvlib.iotools.read_pvgis_tmy(path, pvgis_format="json")
            fmt, shift = "PVGIS TMY", 0.0
        elif suffix == ".csv" and _looks_tmy3(path):
            data, _ = pvlib.iotools.read_tmy3(path, map_variables=True)
            fmt, shift = "TMY3", -1.0  # TMY3 labels hours at their end
        else:
            return read_weather_csv(path, utc_offset_hours=utc_offset_hours), "CSV"
    except InputFileError:
        raise
    except Exception as e:  # pvlib raises many types on malformed files
        raise InputFileError(f"{path}: cannot be read as {suffix or 'a'} weather file ({e})") from e
    cols = [c for c in ("ghi", "dni", "dhi") if c in data.columns]
    if "ghi" not in cols:
        raise InputFileError(f"{path}, field ghi: missing in the weather file")
    out = data[cols].astype(float).copy()
    idx = pd.DatetimeIndex(data.index)
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    out.index = idx.tz_convert("UTC") + pd.Timedelta(hours=shift)
    return _with_hours(out, path), fmt


def _looks_tmy3(path: Path) -> bool:
    with open(path, encoding="utf-8", errors="replace") as f:
        first, second = f.readline(), f.readline()
    return "Date (MM/DD/YYYY)" in second or (
        first.count(",") in (6, 7) and "GHI" in second
    )


def solar_positions(
    latitude: float, longitude: float, mid: pd.DatetimeIndex, altitude_m: float
) -> pd.DataFrame:
    """The sun's position and the extraterrestrial irradiance at each time (pvlib).

    Parameters
    ----------
    latitude, longitude : float
        The site (degrees, WGS84).
    mid : pandas.DatetimeIndex
        The times (tz-aware), usually the middle of each record.
    altitude_m : float
        The site's altitude (m).

    Returns
    -------
    pandas.DataFrame
        :func:`pvlib.solarposition.get_solarposition`'s columns (``apparent_zenith``,
        ``azimuth``, ``apparent_elevation``, …, degrees) plus ``dni_extra`` (W/m²).
    """
    import pvlib

    with quiet_pvlib():
        pos = pvlib.solarposition.get_solarposition(mid, latitude, longitude, altitude=altitude_m)
        pos["dni_extra"] = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    return pos


def perez_coefficients(
    dhi: FloatArray, dni: FloatArray, dni_extra: FloatArray, zenith_deg: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Perez's circumsolar and horizon brightening coefficients F1, F2 of each record.

    The ``allsitescomposite1990`` coefficients and the binning of
    :func:`pvlib.irradiance.perez` (Perez et al. 1990), relative air mass by Kasten & Young
    (1989). Records with no diffuse or the sun below the horizon get F1 = F2 = 0.

    Returns
    -------
    F1, F2 : ndarray
        ``F1 ≥ 0``; F2 may be negative (a horizon darker than the isotropic sky).
    """
    import pvlib

    z = np.radians(zenith_deg)
    airmass = np.asarray(pvlib.atmosphere.get_relative_airmass(zenith_deg), float)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = dhi * airmass / dni_extra
        eps = ((dhi + dni) / dhi + PEREZ_KAPPA * z**3) / (1.0 + PEREZ_KAPPA * z**3)
    ok = (dhi > 0) & np.isfinite(airmass) & np.isfinite(eps)
    ebin = np.digitize(np.where(ok, eps, 1.0), PEREZ_EPSILON_BINS)
    f1c, f2c = pvlib.irradiance._get_perez_coefficients("allsitescomposite1990")
    f1c, f2c = np.asarray(f1c, float)[ebin], np.asarray(f2c, float)[ebin]
    d = np.where(ok, delta, 0.0)
    f1 = np.maximum(f1c[:, 0] + f1c[:, 1] * d + f1c[:, 2] * z, 0.0)
    f2 = f2c[:, 0] + f2c[:, 1] * d + f2c[:, 2] * z
    return np.where(ok, f1, 0.0), np.where(ok, f2, 0.0)


def hourly_components(
    latitude: float, longitude: float, weather: pd.DataFrame, *, altitude_m: float = 0.0,
    transposition: str = "perez",
) -> pd.DataFrame:
    """Sun position and the diffuse split of every record (at its interval's middle).

    Parameters
    ----------
    transposition : {"perez", "haydavies"}
        Anisotropic sky model (module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by the interval middle: ``zenith`` (apparent), ``azimuth``, ``ghi``, ``dni``,
        ``dhi``, ``dni_extra``, ``circ`` (circumsolar beam-normal equivalent: Perez
        ``DHI·F1 / max(cos Z, cos 85°)``, Hay–Davies ``DHI·A / max(cos Z, 0.01745)``), ``iso``
        (isotropic horizontal: ``DHI·(1 − F1)`` or ``DHI·(1 − A)``), ``horizon`` (Perez
        ``DHI·F2``, else 0), ``hours``.

    Raises
    ------
    ValueError
        Unknown transposition model.
    """
    import pvlib

    if transposition not in TRANSPOSITIONS:
        raise ValueError(
            f"unknown transposition {transposition!r} (use one of: {', '.join(TRANSPOSITIONS)})"
        )
    mid = weather.index + pd.to_timedelta(weather["hours"].to_numpy() / 2, unit="h")
    pos = solar_positions(latitude, longitude, pd.DatetimeIndex(mid), altitude_m)
    zen = pos["apparent_zenith"].to_numpy()
    ghi = np.clip(weather["ghi"].to_numpy(float), 0.0, None)
    if "dni" in weather and "dhi" in weather:
        dni = np.clip(np.nan_to_num(weather["dni"].to_numpy(float)), 0.0, None)
        dhi = np.clip(np.nan_to_num(weather["dhi"].to_numpy(float)), 0.0, None)
    else:
        split = pvlib.irradiance.erbs(ghi, zen, pd.DatetimeIndex(mid).day_of_year)
        dni = np.nan_to_num(np.asarray(split["dni"], float))
        dhi = np.nan_to_num(np.asarray(split["dhi"], float))
    extra = pos["dni_extra"].to_numpy()
    if transposition == "perez":
        f1, f2 = perez_coefficients(dhi, dni, extra, zen)
        circ = dhi * f1 / np.maximum(np.cos(np.radians(zen)), PEREZ_MIN_COS_ZENITH)
        iso, horizon = dhi * (1.0 - f1), dhi * f2
    else:
        ai = dni / extra
        cos_z = np.maximum(np.cos(np.radians(zen)), MIN_COS_ZENITH)
        circ, iso, horizon = dhi * ai / cos_z, dhi * (1.0 - ai), np.zeros_like(dhi)
    return pd.DataFrame(
        {
            "zenith": zen, "azimuth": pos["azimuth"].to_numpy(), "ghi": ghi, "dni": dni,
            "dhi": dhi, "dni_extra": extra, "circ": np.maximum(circ, 0.0), "iso": iso,
            "horizon": horizon, "hours": weather["hours"].to_numpy(),
        },
        index=mid,
    )


def sun_sample(
    latitude: float, longitude: float, weather: pd.DataFrame, *, step_minutes: float = 60.0,
    altitude_m: float = 0.0, source: str = "", transposition: str = "perez",
) -> SunSample:
    """Fold hourly records into one sun direction per month and time-of-day step.

    Parameters
    ----------
    latitude, longitude : float
        Location in degrees (WGS84).
    weather : pandas.DataFrame
        As returned by :func:`read_weather` (several years are averaged per year).
    step_minutes : float
        Time-of-day step of the groups (UTC).
    altitude_m : float
        Site altitude.
    source : str
        Description of the sky for reports; the transposition model is appended.
    transposition : {"perez", "haydavies"}
        Anisotropic sky model (module docstring).

    Returns
    -------
    SunSample
        Directions above the horizon carrying beam + circumsolar (see the module docstring).
    """
    if not 0 < step_minutes <= MINUTES_PER_HOUR * 24:
        raise ValueError(f"step_minutes must be in (0, 1440], got {step_minutes}")
    h = hourly_components(latitude, longitude, weather, altitude_m=altitude_m,
                          transposition=transposition)
    hours = h["hours"].to_numpy()
    n_years = max(round(float(hours.sum()) / HOURS_PER_YEAR), 1)
    n_steps = math.ceil(24 * MINUTES_PER_HOUR / step_minutes)
    idx = pd.DatetimeIndex(h.index)
    minute = idx.hour.to_numpy() * MINUTES_PER_HOUR + idx.minute.to_numpy()
    slot = (idx.month.to_numpy() - 1) * n_steps + np.floor(minute / step_minutes).astype(int)
    n = MONTHS * n_steps
    up = h["zenith"].to_numpy() < 90.0
    energy = (h["dni"].to_numpy() + h["circ"].to_numpy()) * hours * up / n_years
    el = np.radians(90.0 - h["zenith"].to_numpy())
    az = np.radians(h["azimuth"].to_numpy())
    vec = [np.bincount(slot, weights=energy * c, minlength=n)
           for c in (np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el))]
    norm = np.sqrt(vec[0] ** 2 + vec[1] ** 2 + vec[2] ** 2)
    keep = (norm > 0) & (vec[2] > 0)

    def total(col: str) -> FloatArray:
        return np.bincount(slot, weights=h[col].to_numpy() * hours, minlength=n)[keep] / n_years

    circ_share = np.bincount(slot, weights=h["circ"].to_numpy() * hours * up, minlength=n)
    # diffuse and global of groups without a sun above the horizon go to the first group kept
    dhi, ghi, iso = total("dhi"), total("ghi"), total("iso")
    rest = ~keep
    for arr, col in ((dhi, "dhi"), (ghi, "ghi"), (iso, "iso")):
        if len(arr):
            arr[0] += float((h[col].to_numpy() * hours)[rest[slot]].sum()) / n_years
    return SunSample(
        azimuth_deg=np.degrees(np.arctan2(vec[0], vec[1]))[keep] % 360.0,
        elevation_deg=np.degrees(np.arcsin(vec[2][keep] / norm[keep])),
        dni_wh=norm[keep],
        dhi_wh=dhi,
        ghi_wh=ghi,
        dhi_iso_wh=iso,
        horizon_wh=float((h["horizon"].to_numpy() * hours).sum()) / n_years,
        source=", ".join(t for t in (source, TRANSPOSITION_NAMES[transposition]) if t),
        meta={"step_minutes": step_minutes, "records": len(weather),
              "transposition": transposition,
              "circumsolar_kwh": float(circ_share.sum()) / n_years / WH_PER_KWH},
    )


def sun_sample_clearsky(
    latitude: float, longitude: float, *, clearness: float = 0.76,
    linke_turbidity: float | None = None, altitude_m: float = 0.0, step_minutes: float = 60.0,
    year: int = 2023, transposition: str = "perez",
) -> SunSample:
    """Sun sample of a clear-sky year × clearness (:func:`clearsky_year`)."""
    weather = clearsky_year(latitude, longitude, clearness=clearness,
                            linke_turbidity=linke_turbidity, altitude_m=altitude_m, year=year)
    return sun_sample(
        latitude, longitude, weather, step_minutes=step_minutes, altitude_m=altitude_m,
        source=f"pvlib Ineichen clear sky × clearness {clearness:g}, Erbs split",
        transposition=transposition,
    )


def sun_sample_weather(
    latitude: float, longitude: float, weather: pd.DataFrame, *, step_minutes: float = 60.0,
    altitude_m: float = 0.0, source: str = "weather file", transposition: str = "perez",
) -> SunSample:
    """Sun sample of hourly weather records (:func:`read_weather`)."""
    return sun_sample(latitude, longitude, weather, step_minutes=step_minutes,
                      altitude_m=altitude_m, source=source, transposition=transposition)


def plane_poa(
    sun: SunSample, tilt_deg: float, azimuth_deg: float, *, albedo: float = 0.2,
    min_elevation_deg: float = 0.0,
) -> float:
    """Annual irradiation (kWh/m²) on an unshaded plane from a sun sample.

    Beam + circumsolar ``Σ dni_wh · max(cos AOI, 0)``, isotropic sky ``iso · (1 + cos β)/2``,
    horizon band ``horizon · sin β``, ground ``GHI · albedo · (1 − cos β)/2``.
    """
    t, a = math.radians(tilt_deg), math.radians(azimuth_deg)
    el, az = np.radians(sun.elevation_deg), np.radians(sun.azimuth_deg)
    cos_i = np.sin(el) * math.cos(t) + np.cos(el) * math.sin(t) * np.cos(az - a)
    beam = float((sun.dni_wh * np.clip(cos_i, 0.0, None))[
        sun.elevation_deg >= min_elevation_deg].sum())
    iso = sun.iso_kwh * WH_PER_KWH * (1 + math.cos(t)) / 2
    horizon = sun.horizon_wh * math.sin(t)
    ground = float(sun.ghi_wh.sum()) * albedo * (1 - math.cos(t)) / 2
    return (beam + iso + horizon + ground) / WH_PER_KWH
