"""A value a delivery left out is said in the figure's note, never read silently.

Figures by hand on the tiny metric project (tests/fixtures/tiny.py, report year 2025).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from fixtures.tiny import CRS, make_project
from shapely.geometry import LineString, box

from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records
from layers.indicators.result import IndicatorResult
from layers.labels import note_label

CATALOG = Path(__file__).resolve().parent.parent / "layers" / "catalogs" / "targets.toml"


def _district(records: list[IndicatorResult], row: str) -> IndicatorResult:
    return next(r for r in records if r.indicator == row and r.level == "district")


def test_share_says_how_many_features_a_missing_value_turned_down(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    store = project.store
    # 绿色社区 left blank for 社区二 (a "是/否" column with an empty cell)
    comm = store.read("communities")
    comm["green_community"] = comm["green_community"].astype("boolean")
    comm.loc[comm["code"] == "C2", "green_community"] = None
    # a new home of unknown build year beside the tiny project's b4 (2022, one_star,
    # 400 m²) and b5 (2023, no rating, 100 m²); b6 is built after 2025
    buildings = store.read("buildings")
    extra = gpd.GeoDataFrame(
        [{"id": "b7", "use": "residential", "floors": 1, "floor_area_m2": 300.0,
          "built_year": None, "green_building": "one_star", "geometry": box(60, 60, 70, 70)}],
        geometry="geometry", crs=CRS)
    store.write_layers({"communities": comm,
                        "buildings": gpd.GeoDataFrame(
                            [*buildings.to_dict("records"), *extra.to_dict("records")],
                            geometry="geometry", crs=CRS)})
    records = compute_records(project, catalog=read_catalog(CATALOG),
                              ids=["HP-26", "HP-14-green"])
    # HP-26: 社区一 and 社区三 green, 社区四 not, 社区二 blank counted as not: 2 / 4
    hp26 = _district(records, "HP-26")
    assert hp26.value == pytest.approx(50.0)
    assert note_label(hp26.note, "en") == (
        "green_community has no value: 1 of 4 features counted as not meeting the condition")
    assert note_label(hp26.note, "zh") == (
        "绿色社区（green_community）无值：统计范围内 4 个要素中 1 个按不满足条件计")
    # HP-14-green by floor area: b4 400 of b4 + b5 = 500 m² → 80 %; b5 has no rating
    # (counted as not green), b7's build year is unknown (not in the population)
    green = _district(records, "HP-14-green")
    assert green.value == pytest.approx(80.0)
    en = note_label(green.note, "en")
    assert "built_year has no value: 1 features of buildings cannot be placed in the " \
           "population and are left out of the share" in en
    assert "green_building has no value: 1 of 2 features counted as not meeting" in en
    assert "建成年份（built_year）无值：建筑中 1 个要素无法判断是否属于统计范围" in note_label(
        green.note, "zh")


def test_share_without_missing_values_has_no_such_note(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=["HP-26"])
    assert _district(records, "HP-26").note in ("", None)


def test_heat_loss_says_what_it_assumed_for_missing_pipe_values(tmp_path: Path) -> None:
    # the tiny project's pipes h1 (100 m), h2 (100 m), h3 (20 m) carry an install year but
    # no diameter or level; h4 (50 m) has none of them: a DBF 0 read as missing
    project = make_project(tmp_path)
    pipes = project.store.read("heating_pipes")
    h4 = {"id": "h4", "install_year": None, "renovated_year": None,
          "geometry": LineString([(200, 5), (250, 5)])}
    project.store.write_layers({"heating_pipes": gpd.GeoDataFrame(
        [*pipes.to_dict("records"), h4], geometry="geometry", crs=CRS)})
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=["HP-15"])
    hp15 = _district(records, "HP-15")
    en = note_label(hp15.note, "en").split("; ")
    assert "install year unknown: 1 of 4 pipes (50 m) counted as past the renewal age" in en
    assert "diameter unknown: 4 pipes (270 m) taken as DN 150" in en
    assert "level unknown: 4 pipes (270 m) primary from DN 300" in en
    zh = note_label(hp15.note, "zh").split("；")
    assert "敷设年份未知：4 段中 1 段（50 m）按超过更新年限计" in zh
    assert "管径未知：4 段（270 m）按 DN 150 计" in zh


def test_complete_communities_need_communities(tmp_path: Path) -> None:
    # The coverage strip (tests/fixtures/coverage.py) with one required facility, the
    # kindergarten at (300, 100), radius 300 m: C1's homes B1 (10 households, 0 m) and B4
    # (40, 180 m) are all in reach → complete; C2's B2 (20, 250 m) in, B3 (30, 500 m) out:
    # 40 % < 80 % → not. HP-10 = 1 of 2 communities = 50 %.
    from fixtures.coverage import make_project as strip_project

    params = "complete_facilities = { kindergarten = 300 }"
    whole = strip_project(tmp_path / "whole", params=params)
    records = compute_records(whole, catalog=read_catalog(CATALOG), ids=["HP-10"])
    assert _district(records, "HP-10").value == pytest.approx(50.0)
    # Without the communities layer its streets stand in for the finest zones; a share of
    # complete *communities* over them would be a share of streets: no data, and why.
    streets_only = strip_project(tmp_path / "streets", params=params,
                                 change={"communities": []})
    records = compute_records(streets_only, catalog=read_catalog(CATALOG),
                              ids=["HP-10", "HP-11-walk"])
    for row in ("HP-10", "HP-11-walk"):
        rec = _district(records, row)
        assert rec.value is None and rec.status == "no-data"
        assert note_label(rec.note, "zh") == "需要社区层级，本项目没有该层级"


def test_a_row_whose_level_the_project_lacks_still_shows(tmp_path: Path) -> None:
    # HP-26 is a street-level row about communities; a district-only delivery has neither:
    # the row says so at the district instead of dropping out of the report.
    from fixtures.delivery import ZONE_CODES, write_zones_project

    from layers.build import build_project
    from layers.project import Project

    root = write_zones_project(tmp_path / "p", levels=1)
    build_project(root, run_steps=False)
    records = compute_records(Project(root), catalog=read_catalog(CATALOG), ids=["HP-26"])
    assert [(r.level, r.zone_code, r.status) for r in records] == [
        ("district", ZONE_CODES["district"], "no-data")]
    assert note_label(records[0].note, "zh") == "数据库中没有图层 communities"


def test_pv_share_says_which_buildings_it_could_not_place(tmp_path: Path) -> None:
    # TJ-PV50: public-institution buildings and factories built since 2021, PV area ÷ roof.
    # p1 (public, 2022, 20 m × 20 m roof, 40 m² PV) is in: 40 / 400 = 10 %; p2 (public, build
    # year unknown, 50 m² PV) cannot be placed and is left out, and the note says so.
    project = make_project(tmp_path)
    buildings = project.store.read("buildings").assign(public_institution=False,
                                                       pv_area_m2=0.0)
    extra = [
        {"id": "p1", "use": "school", "floors": 2, "floor_area_m2": 800.0, "built_year": 2022,
         "public_institution": True, "pv_area_m2": 40.0, "geometry": box(10, 60, 30, 80)},
        {"id": "p2", "use": "school", "floors": 2, "floor_area_m2": 200.0, "built_year": None,
         "public_institution": True, "pv_area_m2": 50.0, "geometry": box(60, 80, 70, 90)},
    ]
    project.store.write_layers({"buildings": gpd.GeoDataFrame(
        [*buildings.to_dict("records"), *extra], geometry="geometry", crs=CRS)})
    catalog = read_catalog(CATALOG.parent / "tianjin.toml")
    records = compute_records(project, catalog=catalog, ids=["TJ-PV50"])
    rec = _district(records, "TJ-PV50")
    assert rec.value == pytest.approx(10.0)
    assert note_label(rec.note, "en") == (
        "built_year has no value: 1 features of buildings cannot be placed in the population "
        "and are left out of the share")
    assert note_label(rec.detail, "zh").startswith("建筑数: 1；装有光伏的建筑数: 1；")
