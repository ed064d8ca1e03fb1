"""The engine on the built Heping sample against independent plain shapely/geopandas sums.

Each check recomputes an indicator the obvious way — one union of the whole layer, then an
intersection with each zone polygon; spatial joins for points — and compares it with the
engine (STRtree pairs, clipping only border features, unions only where features overlap).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.indicators.engine import IndicatorResult, compute_records
from layers.project import Project

pytestmark = pytest.mark.slow

IDS = ["HP-04", "HP-18", "HP-T1", "HP-T2", "HP-T3", "HP-29", "HP-17", "HP-T4", "HP-15"]
GREEN_CLASSES = ["G11", "G12", "G13", "G14", "G2", "XG", "EG"]
AREA_TOL = 0.05  # m²: the engine rounds to 0.01
SHARE_TOL = 0.006  # percentage points: the engine rounds to 0.01


@pytest.fixture(scope="module")
def project(heping_built: Path) -> Project:
    return Project(heping_built)


@pytest.fixture(scope="module")
def year(project: Project) -> int:
    from layers.indicators.engine import default_year

    return default_year(project)


@pytest.fixture(scope="module")
def results(project: Project, year: int) -> dict[tuple[str, str, str], IndicatorResult]:
    records = compute_records(project, year=year, ids=IDS)
    return {(r.indicator, r.level, r.zone_code): r for r in records}


@pytest.fixture(scope="module")
def zones(project: Project) -> dict[str, gpd.GeoDataFrame]:
    return {
        level: gpd.read_file(project.store.path, layer=layer).set_index("code")
        for level, layer in (("district", "districts"), ("street", "streets"),
                             ("community", "communities"))
    }


def _layer(project: Project, name: str, year: int, year_field: str | None) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(project.store.path, layer=name)
    if year_field and year_field in gdf.columns:
        gdf = gdf[~(pd.to_numeric(gdf[year_field], errors="coerce") > year)]
    return gdf


def _values(results: dict[tuple[str, str, str], IndicatorResult], ident: str,
            level: str) -> pd.Series:
    return pd.Series(
        {code: r.value for (i, lev, code), r in results.items() if i == ident and lev == level},
        dtype=float,
    )


def _clipped_area(union: shapely.Geometry, zone_geoms: gpd.GeoSeries) -> pd.Series:
    return pd.Series(
        shapely.area(shapely.intersection(union, zone_geoms.values)), index=zone_geoms.index
    )


def test_hp04_green_area(project: Project, year: int, results: dict, zones: dict) -> None:
    green = _layer(project, "green_spaces", year, "built_year")
    green = green[green["class"].isin(GREEN_CLASSES)]
    parks = _layer(project, "pocket_parks", year, "built_year")
    parks = parks[parks["status"].isna() | (parks["status"] == "existing")]
    union = shapely.union_all(np.concatenate([green.geometry.values, parks.geometry.values]))
    for level in ("district", "street"):
        expected = _clipped_area(union, zones[level].geometry)
        got = _values(results, "HP-04", level).reindex(expected.index)
        np.testing.assert_allclose(got, expected, atol=AREA_TOL, rtol=1e-9)
    district = results[("HP-04", "district", zones["district"].index[0])]
    assert district.status == ("pass" if district.value >= 1_620_000 else "fail")


def test_hp18_sponge_share(project: Project, results: dict, zones: dict) -> None:
    sponge = gpd.read_file(project.store.path, layer="sponge_zones")
    landuse = gpd.read_file(project.store.path, layer="landuse")
    compliant = shapely.union_all(sponge[sponge["compliant"].astype(bool)].geometry.values)
    built = shapely.union_all(landuse[landuse["built_up"].astype(bool)].geometry.values)
    covered = shapely.intersection(compliant, built)
    for level in ("district", "street", "community"):
        num = _clipped_area(covered, zones[level].geometry)
        den = _clipped_area(built, zones[level].geometry)
        expected = 100 * num / den.where(den > 0)
        got = _values(results, "HP-18", level).reindex(expected.index)
        np.testing.assert_allclose(got, expected, atol=SHARE_TOL)


def _points_in(points: gpd.GeoDataFrame, zone: gpd.GeoDataFrame) -> pd.Series:
    """Number of points inside each zone (a point on a shared border counts once)."""
    joined = gpd.sjoin(points, zone[["geometry"]], predicate="intersects", how="inner")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined.groupby("code").size().reindex(zone.index, fill_value=0)


def test_hpt1_pocket_parks(project: Project, year: int, results: dict, zones: dict) -> None:
    parks = _layer(project, "pocket_parks", year, "built_year")
    existing = parks[parks["status"].isna() | (parks["status"] == "existing")]
    points = existing.set_geometry(existing.geometry.representative_point())
    for level in ("district", "street"):
        expected = _points_in(points, zones[level].rename_axis("code"))
        got = _values(results, "HP-T1", level).reindex(expected.index)
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy(dtype=float))
    code = zones["district"].index[0]
    planned = int((parks["status"] == "planned").sum())
    assert f"planned: {planned}" in results[("HP-T1", "district", code)].detail


def _each_zone(points: gpd.GeoDataFrame, child: gpd.GeoDataFrame, parent_of: pd.Series,
               parents: pd.Index) -> pd.Series:
    has = _points_in(points, child.rename_axis("code")) >= 1
    return 100 * has.groupby(parent_of.reindex(has.index)).mean().reindex(parents)


def test_recycling_rows(project: Project, year: int, results: dict, zones: dict) -> None:
    points = _layer(project, "recycling_points", year, "opened_year")
    comm, streets = zones["community"], zones["street"]
    district = zones["district"].index
    comm_street = comm["street_code"].astype(str)
    comm_district = comm_street.map(streets["district_code"].astype(str))
    street_district = streets["district_code"].astype(str)
    service = points[points["kind"].isin(["community_point", "two_network_point"])]
    np.testing.assert_allclose(
        _values(results, "HP-T2", "street").reindex(streets.index),
        _each_zone(service, comm, comm_street, streets.index), atol=SHARE_TOL,
    )
    np.testing.assert_allclose(
        _values(results, "HP-T2", "district").reindex(district),
        _each_zone(service, comm, comm_district, district), atol=SHARE_TOL,
    )
    for ident, kind in (("HP-T3", "transfer_station"), ("HP-29", "two_network_point")):
        chosen = points[points["kind"] == kind]
        np.testing.assert_allclose(
            _values(results, ident, "district").reindex(district),
            _each_zone(chosen, streets, street_district, district), atol=SHARE_TOL,
        )
        counts = _points_in(chosen, streets.rename_axis("code"))
        np.testing.assert_array_equal(
            _values(results, ident, "street").reindex(streets.index).to_numpy(),
            counts.to_numpy(dtype=float),
        )


def test_hp17_led_share(project: Project, results: dict, zones: dict) -> None:
    lights = gpd.read_file(project.store.path, layer="streetlights")
    led = lights[lights["lamp_type"] == "LED"]
    for level in ("district", "street"):
        zone = zones[level].rename_axis("code")
        expected = 100 * _points_in(led, zone) / _points_in(lights, zone)
        got = _values(results, "HP-17", level).reindex(expected.index)
        np.testing.assert_allclose(got, expected, atol=SHARE_TOL)


def test_hpt4_old_pipes(project: Project, year: int, results: dict, zones: dict) -> None:
    pipes = _layer(project, "heating_pipes", year, "install_year")
    install = pd.to_numeric(pipes["install_year"], errors="coerce")
    renovated = pd.to_numeric(pipes.get("renovated_year"), errors="coerce")
    old = (year - install > 30) & ~(renovated <= year)
    for level in ("district", "street"):
        geoms = zones[level].geometry
        total = pd.Series(
            [pipes.clip(g).length.sum() for g in geoms.values], index=geoms.index
        )
        aged = pd.Series(
            [pipes[old.to_numpy()].clip(g).length.sum() for g in geoms.values], index=geoms.index
        )
        got = _values(results, "HP-T4", level).reindex(geoms.index)
        np.testing.assert_allclose(got, 100 * aged / total, atol=SHARE_TOL)


def test_hp15_heat_loss_change_is_reported_in_points(results: dict, zones: dict) -> None:
    rec = results[("HP-15", "district", zones["district"].index[0])]
    assert rec.unit == "百分点"
    assert rec.status in ("pass", "fail")
    assert -100 < rec.value < 100
