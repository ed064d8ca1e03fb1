"""A sky from monthly figures: monthly GHI and diffuse fraction turned into an hourly year.

When a project has no hourly weather file, :func:`monthly_year` builds one from a monthly
climatology (:func:`monthly_table`, or a CSV read by :func:`read_monthly_climate`): pvlib's
clear-sky hours (Ineichen, Linke turbidity climatology) give each day its shape, every hour
of a month is scaled so the month's GHI equals the table, GHI is split hour by hour with the
Erbs model and the month's diffuse is scaled to the table's fraction. When the table gives no
diffuse fraction it follows from the month's clearness index with the Erbs, Klein & Duffie
(1982) monthly-average correlation (:func:`erbs_monthly_diffuse_fraction`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gis._errors import InputFileError
from gis.solar_sky import (
    MIN_COS_BEAM,
    MONTHS,
    WH_PER_KWH,
    FloatArray,
    clearsky_year,
    irradiance_frame,
    quiet_pvlib,
    solar_positions,
)

__all__ = [
    "erbs_monthly_diffuse_fraction",
    "monthly_clearness",
    "monthly_table",
    "monthly_year",
    "read_monthly_climate",
]

def monthly_year(
    latitude: float, longitude: float, monthly: pd.DataFrame, *, altitude_m: float = 0.0,
    year: int = 2023,
) -> pd.DataFrame:
    """An hourly year matching a monthly climatology of GHI and diffuse fraction.

    Each hour of pvlib's clear-sky year (:func:`clearsky_year` shape) is scaled so that the
    month's GHI equals ``monthly.ghi_kwh_m2``; GHI is split hour by hour with Erbs, then the
    month's diffuse is scaled to ``monthly.diffuse_fraction`` × GHI (capped at GHI) and the
    beam is what is left, ``DNI = (GHI − DHI) / cos Z``. Days within a month share one shape:
    the mix of clear and overcast days is not represented.

    Parameters
    ----------
    monthly : pandas.DataFrame
        12 rows indexed by month 1..12 with ``ghi_kwh_m2`` (the month's total, kWh/m²) and
        ``diffuse_fraction`` (DHI ÷ GHI over the month).

    Returns
    -------
    pandas.DataFrame
        As :func:`read_weather`.
    """
    base = clearsky_year(latitude, longitude, clearness=1.0, altitude_m=altitude_m, year=year)
    mid = base.index + pd.Timedelta(minutes=30)
    month = mid.month.to_numpy()
    import pvlib

    with quiet_pvlib():
        zen = pvlib.solarposition.get_solarposition(mid, latitude, longitude)[
            "apparent_zenith"].to_numpy()
    clear = np.bincount(month, weights=base["ghi"].to_numpy(), minlength=13) / WH_PER_KWH
    target = monthly["ghi_kwh_m2"].reindex(range(1, 13)).to_numpy(float)
    ghi = base["ghi"].to_numpy() * (target / np.maximum(clear[1:], 1e-9))[month - 1]
    dhi = np.nan_to_num(np.asarray(
        pvlib.irradiance.erbs(ghi, zen, mid.day_of_year)["dhi"], float))
    sums = np.bincount(month, weights=dhi, minlength=13)[1:]
    want = monthly["diffuse_fraction"].reindex(range(1, 13)).to_numpy(float) * target * WH_PER_KWH
    dhi = np.minimum(dhi * (want / np.maximum(sums, 1e-9))[month - 1], ghi)
    cos_z = np.cos(np.radians(zen))
    dni = np.where(cos_z > MIN_COS_BEAM, (ghi - dhi) / np.maximum(cos_z, MIN_COS_BEAM), 0.0)
    dhi = np.where(cos_z > MIN_COS_BEAM, dhi, ghi)  # keep GHI whole at the horizon
    return irradiance_frame(ghi, dni, dhi, pd.DatetimeIndex(base.index), 1.0)


# Klein's (1977) mean day of each month (Duffie & Beckman, Solar Engineering of Thermal
# Processes, Table 1.6.1): day of year.
MEAN_DAY_OF_MONTH = (17, 47, 75, 105, 135, 162, 198, 228, 258, 288, 318, 344)
# Erbs, Klein & Duffie (1982) monthly-average diffuse fraction: sunset hour angle split (°),
# cubic coefficients below and above it, and the clearness range the fit covers.
ERBS_MONTHLY_SPLIT_DEG = 81.4
ERBS_MONTHLY_LOW = (1.391, -3.560, 4.189, -2.137)
ERBS_MONTHLY_HIGH = (1.311, -3.022, 3.427, -1.821)
ERBS_MONTHLY_KT = (0.3, 0.8)


def monthly_clearness(
    latitude: float, longitude: float, ghi_kwh_m2: Any, *, year: int = 2023
) -> FloatArray:
    """Monthly clearness index K̄t = GHI ÷ extraterrestrial horizontal irradiation.

    The extraterrestrial horizontal irradiation of each month is pvlib's
    ``DNI_extra · max(cos Z, 0)`` summed hour by hour (interval middles) over that month.

    Parameters
    ----------
    ghi_kwh_m2 : array_like of 12 floats
        Monthly GHI totals (kWh/m²).

    Returns
    -------
    ndarray of 12 floats
    """
    start = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="1h", tz="UTC")
    mid = pd.DatetimeIndex(start + pd.Timedelta(minutes=30))
    pos = solar_positions(latitude, longitude, mid, 0.0)
    h0 = pos["dni_extra"].to_numpy() * np.clip(np.cos(np.radians(pos["zenith"].to_numpy())),
                                               0.0, None)
    month_h0 = np.bincount(mid.month.to_numpy(), weights=h0, minlength=13)[1:] / WH_PER_KWH
    return np.asarray(ghi_kwh_m2, float) / month_h0


def erbs_monthly_diffuse_fraction(latitude: float, clearness: Any) -> FloatArray:
    """Monthly-average diffuse fraction from the monthly clearness index (Erbs et al. 1982).

    ``H̄d/H̄ = a₀ + a₁K̄t + a₂K̄t² + a₃K̄t³`` with (1.391, −3.560, 4.189, −2.137) when the mean
    day's sunset hour angle ωs ≤ 81.4° and (1.311, −3.022, 3.427, −1.821) above it; ωs from
    the declination of Klein's mean day of the month. K̄t is clipped to the fitted range
    0.3–0.8 (Erbs, D.G., Klein, S.A., Duffie, J.A., 1982. Estimation of the diffuse radiation
    fraction for hourly, daily and monthly-average global radiation. Solar Energy 28,
    293–302).

    Parameters
    ----------
    latitude : float
        Site latitude (degrees).
    clearness : array_like of 12 floats
        Monthly clearness index K̄t (:func:`monthly_clearness`).

    Returns
    -------
    ndarray of 12 floats

    Examples
    --------
    >>> round(float(erbs_monthly_diffuse_fraction(39.1, [0.5] * 12)[0]), 3)  # January
    0.391
    """
    import pvlib

    kt = np.clip(np.asarray(clearness, float), *ERBS_MONTHLY_KT)
    dec = np.asarray(pvlib.solarposition.declination_spencer71(np.array(MEAN_DAY_OF_MONTH)))
    cos_ws = np.clip(-math.tan(math.radians(latitude)) * np.tan(dec), -1.0, 1.0)
    ws = np.degrees(np.arccos(cos_ws))
    low = np.polynomial.polynomial.polyval(kt, ERBS_MONTHLY_LOW)
    high = np.polynomial.polynomial.polyval(kt, ERBS_MONTHLY_HIGH)
    return np.asarray(np.where(ws <= ERBS_MONTHLY_SPLIT_DEG, low, high), float)


def monthly_table(
    latitude: float, longitude: float, ghi_kwh_m2: Any, diffuse_fraction: Any = None
) -> pd.DataFrame:
    """The table :func:`monthly_year` takes: 12 monthly GHI totals and diffuse fractions.

    Parameters
    ----------
    ghi_kwh_m2 : array_like of 12 floats
        Monthly GHI totals (kWh/m²), January first.
    diffuse_fraction : array_like of 12 floats, optional
        Monthly DHI ÷ GHI; by default from the Erbs et al. (1982) monthly correlation
        (:func:`erbs_monthly_diffuse_fraction`).

    Raises
    ------
    ValueError
        Not 12 positive totals, or a fraction outside 0..1.
    """
    ghi = np.asarray(ghi_kwh_m2, float)
    if ghi.shape != (MONTHS,) or not (ghi > 0).all():
        raise ValueError("needs 12 positive monthly GHI totals (kWh/m²), January first")
    if diffuse_fraction is None or len(diffuse_fraction) == 0:
        frac = erbs_monthly_diffuse_fraction(
            latitude, monthly_clearness(latitude, longitude, ghi))
    else:
        frac = np.asarray(diffuse_fraction, float)
        if frac.shape != (MONTHS,) or not ((frac >= 0) & (frac <= 1)).all():
            raise ValueError("needs 12 monthly diffuse fractions within 0..1, January first")
    return pd.DataFrame({"ghi_kwh_m2": ghi, "diffuse_fraction": frac},
                        index=pd.RangeIndex(1, MONTHS + 1, name="month"))


def read_monthly_climate(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a monthly climatology CSV: ``month, ghi_kwh_m2, diffuse_fraction[, source]``.

    Returns
    -------
    (pandas.DataFrame, str)
        The table indexed by month and its source text (the ``source`` column, joined).

    Raises
    ------
    InputFileError
        Missing file, column or month, or values out of range.
    """
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise InputFileError(f"{path}: cannot be read as a monthly climatology ({e})") from e
    df.columns = [str(c).strip().lower() for c in df.columns]
    for col in ("month", "ghi_kwh_m2", "diffuse_fraction"):
        if col not in df.columns:
            raise InputFileError(f"{path}, field {col}: missing in the monthly climatology")
    table = df.set_index(pd.to_numeric(df["month"], errors="coerce"))
    if sorted(table.index.dropna().astype(int)) != list(range(1, 13)):
        raise InputFileError(f"{path}, field month: needs one row for each month 1..12")
    ghi = pd.to_numeric(table["ghi_kwh_m2"], errors="coerce")
    frac = pd.to_numeric(table["diffuse_fraction"], errors="coerce")
    if not ((ghi > 0).all() and frac.between(0.0, 1.0).all()):
        raise InputFileError(
            f"{path}: ghi_kwh_m2 must be > 0 and diffuse_fraction within 0..1 for every month"
        )
    source = "; ".join(dict.fromkeys(df["source"].dropna().astype(str))) if "source" in df else ""
    return pd.DataFrame({"ghi_kwh_m2": ghi, "diffuse_fraction": frac}), source
