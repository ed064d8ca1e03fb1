"""The catalog's Tianjin sky against its source: the CSWD typical year of station 54527.

The reference is the monthly solar table of the EnergyPlus statistics file of that weather
file, transcribed as data into ``tests/fixtures/data/cswd_tianjin_545270_solar.stat``: monthly
means of the daily global and diffuse horizontal totals (Wh/m²/day, rounded to 1). The
catalog's ``[params.pv]`` holds monthly sums (kWh/m²) taken from the EPW's hourly values.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from layers.indicators.catalog import PACKAGED_DIR
from layers.project import Project
from layers.rooftop_pv import pv_params, sun_for_project

STAT = Path(__file__).parent / "fixtures" / "data" / "cswd_tianjin_545270_solar.stat"
DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _stat_row(name: str) -> np.ndarray:
    """One row of the STAT table (``Global Avg``, ``Diffuse Avg``): 12 values, Wh/m²/day."""
    for line in STAT.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) > 2 and cells[1] == name:
            values = [float(c) for c in cells[2:] if c]
            assert len(values) == 12, line
            return np.array(values)
    raise AssertionError(f"{name} not in {STAT}")


def _catalog() -> dict:
    return tomllib.loads((PACKAGED_DIR / "pv.toml").read_text("utf-8"))["params"]["pv"]


def test_stat_fixture_is_tianjin_54527() -> None:
    text = STAT.read_text(encoding="utf-8")
    assert "Statistics for CHN_Tianjin.Tianjin.545270_CSWD" in text
    assert "WMO Station 545270" in text


def test_catalog_table_equals_the_source_months() -> None:
    """Each month's total ÷ its days = the STAT's mean daily total (rounding: ±1 Wh/m²/day
    in the STAT, ±0.005 kWh/m² in the catalog), and the diffuse fraction = Diffuse / Global."""
    params = _catalog()
    ghi = np.array(params["monthly_ghi_kwh_m2"], float)
    frac = np.array(params["monthly_diffuse_fraction"], float)
    stat_ghi, stat_dhi = _stat_row("Global Avg"), _stat_row("Diffuse Avg")
    np.testing.assert_allclose(ghi * 1000.0 / DAYS, stat_ghi, atol=1.5)
    np.testing.assert_allclose(frac, stat_dhi / stat_ghi, atol=0.002)
    assert params["monthly_site_lat_lon"] == [39.08, 117.07]
    assert "CSWD" in params["monthly_source"] and "54527" in params["monthly_source"]
    assert "[U]" not in params["monthly_source"] + params["monthly_source_zh"]


def test_model_annual_ghi_equals_the_source(tmp_path: Path) -> None:
    """The sky the PV step builds from the catalog's table, on a DSM in Heping (117.2° E,
    39.1° N), gives the source's annual GHI and diffuse fraction (within 1 %)."""
    root = tmp_path / "p"
    (root / "build").mkdir(parents=True)
    dsm = root / "build" / "dsm.tif"
    with rasterio.open(dsm, "w", driver="GTiff", height=8, width=8, count=1, dtype="float32",
                       crs="EPSG:4548", transform=Affine(2.0, 0, 517_000.0, 0, -2.0,
                                                         4_329_000.0)) as ds:
        ds.write(np.full((8, 8), 5.0, np.float32), 1)
    (root / "project.toml").write_text('[project]\nname = "p"\n\n[params.pv]\nstep_minutes = 60\n',
                                       encoding="utf-8")
    project = Project(root)
    sun = sun_for_project(project, pv_params(project, _catalog()), dsm)
    stat_ghi, stat_dhi = _stat_row("Global Avg"), _stat_row("Diffuse Avg")
    annual = float(stat_ghi @ DAYS) / 1000.0  # 1,355.2 kWh/m²
    assert sun.source.startswith("monthly climatology of [params.pv] monthly_ghi_kwh_m2 (CSWD")
    assert sun.annual_ghi_kwh == pytest.approx(annual, rel=0.01)
    assert sun.diffuse_fraction == pytest.approx(float(stat_dhi @ DAYS) / annual / 1000.0,
                                                 rel=0.01)
