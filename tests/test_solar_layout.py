"""Module layouts and the sky: hand-worked row spacing, pvlib's row and transposition models."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from gis import InputFileError
from gis.solar import SolarOptions, irradiation
from gis.solar_layout import make_layout, shaded_fraction, solstice_pitch
from gis.solar_sky import hourly_components, plane_poa, read_weather, sun_sample

TMY3 = Path(pvlib.__file__).parent / "data" / "703165TY.csv"  # Sand Point, Alaska (NREL TMY3)
RES = 2.0


def test_solstice_pitch_by_hand() -> None:
    """39° N, 2 m modules at 30°, no shade 09-15 h solar time on the winter solstice.

    At 09 h (hour angle −45°, declination −23.44°): sin α = sin 39° sin(−23.44°) +
    cos 39° cos 23.44° cos 45° = −0.2503 + 0.5042 = 0.2539, α = 14.71°; the sun stands
    42.1° east of south (sin = cos δ sin 45° / cos α = 0.6706). A row's top is 2 sin 30° = 1 m
    high and throws a shadow 1 · cos 42.1° / tan 14.71° = 0.7418 / 0.2625 = 2.826 m across the
    rows; with the row's own depth 2 cos 30° = 1.732 m the pitch is 4.56 m, GCR 0.44.
    """
    pitch = solstice_pitch(39.0, 30.0, 2.0)
    assert pitch == pytest.approx(1.732 + 2.826, abs=0.01)
    layout = make_layout("rows", latitude_deg=39.0)
    assert layout.gcr == pytest.approx(2.0 / 4.558, abs=0.002)
    assert layout.describe() == "rows 30° S, GCR 0.44, pitch 4.6 m"
    # south of the equator the rows face north and the solstice is in June
    assert solstice_pitch(-39.0, 30.0, 2.0) == pytest.approx(pitch, rel=1e-6)
    # a chosen GCR wins over the solstice rule
    assert make_layout("rows", latitude_deg=39.0, gcr=0.5).pitch_m == pytest.approx(4.0)
    with pytest.raises(ValueError, match="below the horizon"):
        solstice_pitch(70.0, 30.0, 2.0)


def test_pitch_leaves_rows_unshaded_inside_the_window_only() -> None:
    """pvlib's shaded_fraction1d (Anderson & Jensen 2024) on the solstice at that pitch."""
    lat, lon = 39.0, 117.0
    pitch = solstice_pitch(lat, 30.0, 2.0)
    # solar noon in UTC at 117° E on 2023-12-22, from pvlib's equation of time
    eot = float(pvlib.solarposition.equation_of_time_spencer71(356))
    noon = pd.Timestamp("2023-12-22", tz="UTC") + pd.Timedelta(hours=12 - lon / 15 - eot / 60)
    times = noon + pd.to_timedelta([-3.5, -3.0, 0.0, 3.0, 3.5], unit="h")
    pos = pvlib.solarposition.get_solarposition(times, lat, lon)
    fs = pvlib.shading.shaded_fraction1d(
        pos["zenith"], pos["azimuth"], 90.0, 30.0, collector_width=2.0, pitch=pitch
    ).to_numpy()
    assert fs[1] == pytest.approx(0.0, abs=0.01) and fs[3] == pytest.approx(0.0, abs=0.01)
    assert fs[2] == 0.0
    assert fs[0] > 0.05 and fs[4] > 0.05  # 08:30 and 15:30: the next row is in shade


@pytest.mark.parametrize("gcr", [0.3, 0.44, 0.7])
def test_shaded_fraction_equals_pvlib(gcr: float) -> None:
    el = np.array([3.0, 8.0, 15.0, 25.0, 40.0, 60.0, 20.0, 10.0])
    az = np.array([120.0, 140.0, 160.0, 180.0, 200.0, 180.0, 235.0, 100.0])
    ours = shaded_fraction(el, az, tilt_deg=30.0, face_deg=180.0, gcr=gcr)
    ref = pvlib.shading.shaded_fraction1d(
        90.0 - el, az, 90.0, 30.0, collector_width=2.0, pitch=2.0 / gcr
    )
    np.testing.assert_allclose(ours, np.clip(ref, 0, 1), atol=1e-9)


@pytest.fixture(scope="module")
def tmy() -> tuple[pd.DataFrame, float, float]:
    weather, fmt = read_weather(TMY3)
    assert fmt == "TMY3" and len(weather) == 8760
    _, meta = pvlib.iotools.read_tmy3(TMY3, map_variables=True)
    return weather, float(meta["latitude"]), float(meta["longitude"])


def _pvlib_year(
    weather: pd.DataFrame, lat: float, lon: float, tilt: float, az: float,
    model: str = "perez",
) -> float:
    """pvlib's own transposition of the same records, hour by hour (kWh/m²/yr)."""
    h = hourly_components(lat, lon, weather, transposition=model)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, az, h["zenith"], h["azimuth"], h["dni"], h["ghi"], h["dhi"],
        dni_extra=h["dni_extra"], model=model, albedo=0.2,
        airmass=pvlib.atmosphere.get_relative_airmass(h["zenith"]),
    )["poa_global"]
    return float((poa.fillna(0.0) * h["hours"]).sum()) / 1000.0


@pytest.mark.parametrize("model", ["perez", "haydavies"])
@pytest.mark.parametrize(("tilt", "az"), [(30.0, 180.0), (45.0, 135.0), (20.0, 270.0)])
def test_unshaded_plane_equals_pvlib_transposition(
    tmy: tuple[pd.DataFrame, float, float], tilt: float, az: float, model: str
) -> None:
    """A tilted plane on a DSM, TMY3 weather: peakmap's sky vs pvlib's transposition."""
    weather, lat, lon = tmy
    ref = _pvlib_year(weather, lat, lon, tilt, az, model)
    sun = sun_sample(lat, lon, weather, transposition=model)
    assert plane_poa(sun, tilt, az) == pytest.approx(ref, rel=0.01)
    # the same plane drawn as a DSM (a uniform slope), computed with shading and all
    n = 21
    drop = RES * math.tan(math.radians(tilt))
    r, c = np.mgrid[0:n, 0:n].astype(np.float32)
    down_e, down_n = math.sin(math.radians(az)), math.cos(math.radians(az))
    z = (100.0 - drop * (c * down_e - r * down_n)).astype(np.float32)
    out = irradiation(z, sun, res=RES, opts=SolarOptions(min_sun_elevation_deg=0.0))
    assert float(out["slope_deg"][10, 10]) == pytest.approx(tilt, abs=0.01)
    assert float(out["aspect_deg"][10, 10]) == pytest.approx(az, abs=0.01)
    assert float(out["poa_kwh_m2"][10, 10]) == pytest.approx(ref, rel=0.01)


def test_perez_split_equals_pvlib_components(tmy: tuple[pd.DataFrame, float, float]) -> None:
    """Hour by hour, the three parts carried for shading rebuild pvlib.irradiance.perez's
    isotropic, circumsolar and horizon components on any plane."""
    weather, lat, lon = tmy
    h = hourly_components(lat, lon, weather)
    up = (h["zenith"] < 88.0) & (h["dhi"] > 0)
    h = h[up]
    for tilt, az in ((30.0, 180.0), (60.0, 100.0), (90.0, 0.0)):
        ref = pvlib.irradiance.perez(
            tilt, az, h["dhi"], h["dni"], h["dni_extra"], h["zenith"], h["azimuth"],
            pvlib.atmosphere.get_relative_airmass(h["zenith"]), return_components=True,
        )
        cos_i = pvlib.irradiance.aoi_projection(tilt, az, h["zenith"], h["azimuth"]).clip(0)
        iso = h["iso"] * (1 + math.cos(math.radians(tilt))) / 2
        hor = h["horizon"] * math.sin(math.radians(tilt))
        circ = h["circ"] * cos_i
        kept = ref["poa_sky_diffuse"] > 0  # pvlib zeroes all parts when their sum is < 0
        np.testing.assert_allclose(iso[kept], ref["poa_isotropic"][kept], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(hor[kept], ref["poa_horizon"][kept], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(circ[kept], ref["poa_circumsolar"][kept], rtol=1e-9,
                                   atol=1e-9)
    with pytest.raises(ValueError, match="unknown transposition"):
        hourly_components(lat, lon, weather, transposition="klucher")


def test_rows_on_a_flat_roof_equal_pvlib_row_model(tmy: tuple[pd.DataFrame, float, float]) -> None:
    """Flat roof with 30° rows at GCR 0.6: beam and circumsolar less pvlib's shaded fraction,
    isotropic sky less pvlib's Passias masking loss, hour by hour."""
    weather, lat, lon = tmy
    gcr = 0.6
    h = hourly_components(lat, lon, weather, transposition="haydavies")
    comp = pvlib.irradiance.get_total_irradiance(
        30.0, 180.0, h["zenith"], h["azimuth"], h["dni"], h["ghi"], h["dhi"],
        dni_extra=h["dni_extra"], model="haydavies", albedo=0.2,
    )
    iso = pvlib.irradiance.haydavies(
        30.0, 180.0, h["dhi"], h["dni"], h["dni_extra"], h["zenith"], h["azimuth"],
        return_components=True,
    )
    fs = pvlib.shading.shaded_fraction1d(
        h["zenith"], h["azimuth"], 90.0, 30.0, collector_width=2.0, pitch=2.0 / gcr
    ).clip(0, 1)
    fs[h["zenith"] >= 90] = 0.0
    loss = pvlib.shading.sky_diffuse_passias(pvlib.shading.masking_angle_passias(30.0, gcr))
    hourly = (
        (comp["poa_direct"] + iso["poa_circumsolar"]) * (1 - fs)
        + iso["poa_isotropic"] * (1 - loss) + comp["poa_ground_diffuse"]
    )
    ref = float((hourly * h["hours"]).sum()) / 1000.0
    sun = sun_sample(lat, lon, weather, transposition="haydavies")
    layout = make_layout("rows", latitude_deg=lat, gcr=gcr)
    z = np.full((9, 9), 10.0, np.float32)
    opts = SolarOptions(layout=layout, min_sun_elevation_deg=0.0)
    ours = float(irradiation(z, sun, res=RES, opts=opts)["poa_kwh_m2"][4, 4])
    assert ours == pytest.approx(ref, rel=0.01)
    # and row shading costs something against the unshaded plane
    assert ours < 0.99 * _pvlib_year(weather, lat, lon, 30.0, 180.0, "haydavies")


def test_east_west_and_flat_layouts() -> None:
    ew = make_layout("east_west", latitude_deg=39.0)
    assert [p[1] for p in ew.planes()] == [90.0, 270.0]
    # at noon in the south, both halves see the sun equally
    noon = ew.beam_factor(40.0, 180.0, rows=False)
    assert noon == pytest.approx(math.sin(math.radians(40)) * math.cos(math.radians(10)))
    flat = make_layout("flat", latitude_deg=39.0)
    assert flat.beam_factor(30.0, 100.0, rows=True) == pytest.approx(0.5)
    assert flat.sky_view() == 1.0
    with pytest.raises(ValueError, match="unknown layout"):
        make_layout("tracker", latitude_deg=39.0)


def test_weather_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_weather(tmp_path / "x.epw")
    bad = tmp_path / "bad.epw"
    bad.write_text("LOCATION,nowhere\nnot an epw\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad\.epw: cannot be read"):
        read_weather(bad)


def test_monthly_climatology_is_reproduced(tmp_path: Path) -> None:
    """A made-up monthly table (not a real climate): the folded year returns its months."""
    from gis.solar_climate import monthly_year, read_monthly_climate

    ghi = [70, 90, 130, 160, 185, 180, 165, 155, 135, 105, 75, 62]
    frac = [0.45, 0.47, 0.50, 0.52, 0.55, 0.60, 0.65, 0.62, 0.55, 0.50, 0.47, 0.45]
    csv = tmp_path / "monthly.csv"
    pd.DataFrame({"month": range(1, 13), "ghi_kwh_m2": ghi, "diffuse_fraction": frac,
                  "source": "test table"}).to_csv(csv, index=False)
    table, source = read_monthly_climate(csv)
    assert source == "test table"
    year = monthly_year(39.1, 117.2, table)
    mid = year.index + pd.Timedelta(minutes=30)
    by_month = year.groupby(mid.month)[["ghi", "dhi"]].sum() / 1000.0
    np.testing.assert_allclose(by_month["ghi"], ghi, rtol=1e-6)
    np.testing.assert_allclose(by_month["dhi"] / by_month["ghi"], frac, atol=0.01)
    sun = sun_sample(39.1, 117.2, year)
    assert sun.annual_ghi_kwh == pytest.approx(sum(ghi), rel=1e-6)
    assert sun.diffuse_fraction == pytest.approx(
        np.dot(ghi, frac) / sum(ghi), abs=0.01
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("month,ghi_kwh_m2,diffuse_fraction\n1,70,0.4\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="one row for each month"):
        read_monthly_climate(bad)


def test_erbs_monthly_correlation_by_hand() -> None:
    """Erbs et al. (1982) monthly correlation at 39.1° N, K̄t = 0.5.

    January (mean day 17, δ = −20.9°): ωs = arccos(tan 39.1° · tan 20.9°) = 71.9° ≤ 81.4°,
    H̄d/H̄ = 1.391 − 3.560·0.5 + 4.189·0.25 − 2.137·0.125 = 0.3911. July (day 198,
    δ = +21.2°): ωs = 108.3° > 81.4°, 1.311 − 3.022·0.5 + 3.427·0.25 − 1.821·0.125 = 0.4291.
    """
    from gis.solar_climate import erbs_monthly_diffuse_fraction

    frac = erbs_monthly_diffuse_fraction(39.1, [0.5] * 12)
    assert frac[0] == pytest.approx(0.3911, abs=1e-4)
    assert frac[6] == pytest.approx(0.4291, abs=1e-4)
    # outside the fitted range K̄t is clipped to 0.3..0.8
    assert erbs_monthly_diffuse_fraction(39.1, [0.1] * 12)[0] == pytest.approx(
        1.391 - 3.560 * 0.3 + 4.189 * 0.09 - 2.137 * 0.027)


def test_monthly_clearness_against_the_daily_formula() -> None:
    """Extraterrestrial horizontal irradiation per month from pvlib, hour by hour, against
    Duffie & Beckman's daily formula on Klein's mean day × the days of the month:
    H0 = 24/π · Gsc (1 + 0.033 cos(360 n/365)) (cos φ cos δ sin ωs + π ωs/180 sin φ sin δ)."""
    from gis.solar_climate import MEAN_DAY_OF_MONTH, monthly_clearness

    lat = 39.1
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    n = np.array(MEAN_DAY_OF_MONTH, float)
    dec = np.radians(23.45 * np.sin(np.radians(360.0 * (284 + n) / 365)))
    phi = math.radians(lat)
    ws = np.arccos(-math.tan(phi) * np.tan(dec))
    h0 = (24 / math.pi * 1.367 * (1 + 0.033 * np.cos(np.radians(360 * n / 365)))
          * (math.cos(phi) * np.cos(dec) * np.sin(ws) + ws * math.sin(phi) * np.sin(dec)))
    kt = monthly_clearness(lat, 117.2, h0 * days)
    np.testing.assert_allclose(kt, 1.0, atol=0.03)  # mean-day formula vs hourly midpoint sums


def test_catalog_climatology_is_the_sky(tmp_path: Path) -> None:
    """The catalog's monthly table of [params.pv] (Tianjin, CSWD) becomes an hourly year with
    its monthly GHI and diffuse fractions; without fractions the Erbs ones are reproduced."""
    import tomllib

    from gis.solar_climate import monthly_table
    from layers.indicators.catalog import PACKAGED_DIR

    params = tomllib.loads((PACKAGED_DIR / "pv.toml").read_text("utf-8"))["params"]["pv"]
    ghi = params["monthly_ghi_kwh_m2"]
    for given in (params["monthly_diffuse_fraction"], None):
        table = monthly_table(39.1, 117.2, ghi, given)
        year = monthly_year_for(table)
        mid = year.index + pd.Timedelta(minutes=30)
        by_month = year.groupby(mid.month)[["ghi", "dhi"]].sum()
        np.testing.assert_allclose(by_month["ghi"] / 1000.0, ghi, rtol=1e-6)
        np.testing.assert_allclose((by_month["dhi"] / by_month["ghi"]).to_numpy(),
                                   table["diffuse_fraction"], atol=0.01)
    with pytest.raises(ValueError, match="12 positive"):
        monthly_table(39.1, 117.2, ghi[:11])


def monthly_year_for(table: pd.DataFrame) -> pd.DataFrame:
    from gis.solar_climate import monthly_year

    return monthly_year(39.1, 117.2, table)
