"""Metric kinds on a tiny hand-made project whose every answer is worked out on paper.

The district D (300 m × 100 m) has three streets and four communities:

    y=100 +-----+-----+-----------+-----------+
          | C1  | C2  |    C3     |    C4     |
          | S1  | S1  |    S2     |    S3     |
    y=0   +-----+-----+-----------+-----------+
          x=0   50    100         200         300

Areas: C1 = C2 = 5,000 m², C3 = C4 = 10,000 m². C4 holds no green space, no built-up land and no
street light (the empty zone and the zone without a base).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures.tiny import CRS, YEAR, make_project
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from layers.indicators.catalog import Catalog, IndicatorSpec
from layers.indicators.engine import compute_records
from layers.indicators.registry import (
    KIND_READS,
    KIND_THEMES,
    KINDS,
    MetricContext,
    MetricResult,
    metric_kind,
)
from layers.labels import note_label
from layers.project import Project


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("tiny"))


def run(
    project: Project, kind: str, params: dict[str, Any], **row: Any
) -> dict[tuple[str, str], Any]:
    """Compute one ad-hoc row; return {(level, zone_code): record}."""
    defaults = row.pop("defaults", {"heating": {"renewal_age_years": 30}})
    spec = IndicatorSpec(id=row.pop("id", "X"), title="t", kind=kind, params=params, **row)
    records = compute_records(
        project, year=YEAR, catalog=Catalog([spec], params=defaults)
    )
    return {(r.level, r.zone_code): r for r in records}


def values(res: dict[tuple[str, str], Any]) -> dict[str, Any]:
    return {code: r.value for (_, code), r in res.items()}


GREEN = [
    {"layer": "green_spaces", "where": {"class": ["G11", "G12", "G13", "G14", "G2", "XG", "EG"]}},
    {"layer": "pocket_parks", "where": {"status": "existing"}},
]


def test_area_sum_counts_overlaps_once_and_splits_border_features(tiny: Project) -> None:
    res = values(run(tiny, "area_sum", {"layers": GREEN}, unit="m²"))
    # C1: g1 ∪ g2 = 700 (p3 inside g2 adds 0) + half of g3 = 200 → 900
    # C2: other half of g3 → 200; C3: g5 800 + p1 400 (g4 is a square, G3) → 1200; C4: nothing
    # (p4 is built after 2025)
    assert res == pytest.approx(
        {"C1": 900, "C2": 200, "C3": 1200, "C4": 0, "S1": 1100, "S2": 1200, "S3": 0, "D": 2300}
    )


def test_area_sum_without_dissolve_adds_every_part(tiny: Project) -> None:
    res = values(run(tiny, "area_sum", {"layers": GREEN, "dissolve": False}, unit="m²"))
    # C1: 400 + 400 + 200 + 100 (p3) = 1100
    assert res["C1"] == pytest.approx(1100)
    assert res["D"] == pytest.approx(2500)


def test_area_sum_year_window(tiny: Project) -> None:
    params = {"layers": [{"layer": "green_spaces",
                          "where": {"renovated_year": {">=": 2021, "<=": 2025}}}]}
    res = values(run(tiny, "area_sum", params, unit="m²"))
    # g1 (2022) 400 in C1, g3 (2024) 200 + 200; g5 (2026) is outside the window
    assert res["C1"] == pytest.approx(600)
    assert res["C2"] == pytest.approx(200)
    assert res["C3"] == pytest.approx(0)


SPONGE = {
    "layers": [{"layer": "sponge_zones", "where": {"compliant": True}}],
    "base": {"layers": [{"layer": "landuse", "where": {"built_up": True}}]},
}


def test_area_share_clips_to_base_and_recomputes_shares_from_sums(tiny: Project) -> None:
    res = run(tiny, "area_share", SPONGE, unit="%", op=">=", target=50.0)
    got = {code: r.value for (_, code), r in res.items()}
    # built-up: C1 2500, C2 2500, C3 10000, C4 0; compliant ∩ built-up: 2500, 500, 5000
    assert got["C1"] == pytest.approx(100.0)
    assert got["C2"] == pytest.approx(20.0)
    assert got["C3"] == pytest.approx(50.0)
    assert got["S1"] == pytest.approx(60.0)  # 3000 / 5000, not the mean of 100 and 20
    assert got["D"] == pytest.approx(53.33, abs=0.01)  # 8000 / 15000
    # a zone without base is no-data, not a division error
    assert res[("community", "C4")].status == "no-data"
    assert res[("community", "C4")].value is None
    assert res[("street", "S3")].status == "no-data"
    assert res[("community", "C2")].status == "fail"
    assert res[("community", "C2")].gap == pytest.approx(30.0)
    assert res[("community", "C3")].status == "pass"
    # parents name their failing children
    assert note_label(res[("street", "S1")].detail, "en").endswith(
        "communities below target: 社区二")
    assert note_label(res[("street", "S1")].detail, "zh").endswith("未达标社区：社区二")
    assert res[("district", "D")].detail == ""  # S1 60 %, S2 50 % pass; S3 has no data


def test_area_share_of_zone_area(tiny: Project) -> None:
    params = {"layers": GREEN, "base": "zone"}
    res = values(run(tiny, "area_share", params, unit="%"))
    assert res["C1"] == pytest.approx(18.0)  # 900 / 5000
    assert res["D"] == pytest.approx(2300 / 30000 * 100, abs=0.01)


def test_area_share_per_resident(tiny: Project) -> None:
    params = {"layers": GREEN, "base": {"field": "population"}, "scale": 1}
    res = run(tiny, "area_share", params, unit="m²/人")
    assert res[("community", "C1")].value == pytest.approx(9.0)  # 900 m² / 100
    assert res[("street", "S1")].value == pytest.approx(1100 / 150, abs=0.01)
    assert res[("community", "C4")].status == "no-data"  # nobody lives there


def test_count_points_and_polygons(tiny: Project) -> None:
    params = {"layer": "pocket_parks", "where": {"status": "existing"},
              "also": {"planned": {"where": {"status": "planned"}}}}
    res = run(tiny, "count", params, unit="个", op=">=", target=2.0)
    assert values(res) == {"C1": 1, "C2": 0, "C3": 1, "C4": 0, "S1": 1, "S2": 1, "S3": 0, "D": 2}
    assert res[("district", "D")].status == "pass"
    assert "planned: 1" in res[("district", "D")].detail
    pts = values(run(tiny, "count", {"layer": "recycling_points"}, unit="个"))
    # r2 lies on the C1/C2 border and is counted once, in C1
    assert pts == {"C1": 2, "C2": 0, "C3": 2, "C4": 1, "S1": 2, "S2": 2, "S3": 1, "D": 5}


def test_each_zone_min_over_communities(tiny: Project) -> None:
    params = {"layer": "recycling_points", "where": {"kind": "community_point"}, "min": 1}
    res = run(tiny, "each_zone_min", params, unit="%", op=">=", target=100.0)
    assert res[("community", "C1")].value == 2
    assert res[("community", "C1")].unit == "个"
    assert res[("community", "C2")].status == "fail"
    assert res[("street", "S1")].value == pytest.approx(50.0)
    assert res[("street", "S2")].value == pytest.approx(0.0)
    assert res[("street", "S3")].value == pytest.approx(100.0)
    assert res[("district", "D")].value == pytest.approx(50.0)
    assert res[("district", "D")].status == "fail"
    assert "社区二" in res[("district", "D")].detail and "社区三" in res[("district", "D")].detail
    assert "社区一" not in res[("district", "D")].detail


def test_each_zone_min_over_streets(tiny: Project) -> None:
    params = {"layer": "recycling_points", "where": {"kind": "transfer_station"},
              "over": "street"}
    res = run(tiny, "each_zone_min", params, unit="%", op=">=", target=100.0)
    assert ("community", "C1") not in res
    assert {c: res[("street", c)].value for c in ("S1", "S2", "S3")} == {"S1": 0, "S2": 1, "S3": 0}
    assert res[("district", "D")].value == pytest.approx(33.33, abs=0.01)
    assert res[("district", "D")].detail.startswith("1/3")


def test_attribute_share_by_count(tiny: Project) -> None:
    params = {"layer": "streetlights", "condition": {"lamp_type": "LED"}}
    res = run(tiny, "attribute_share", params, unit="%", op=">", target=80.0)
    got = values(res)
    assert got["C1"] == pytest.approx(100.0)
    assert got["C2"] == pytest.approx(50.0)
    assert got["C3"] == pytest.approx(0.0)
    assert got["S1"] == pytest.approx(66.67, abs=0.01)
    assert got["D"] == pytest.approx(50.0)
    assert res[("community", "C4")].status == "no-data"


def test_attribute_share_of_communities_per_street(tiny: Project) -> None:
    params = {"layer": "communities", "condition": {"green_community": True}}
    got = values(run(tiny, "attribute_share", params, unit="%", levels=["district", "street"]))
    assert got == pytest.approx({"D": 50.0, "S1": 50.0, "S2": 100.0, "S3": 0.0})


def test_attribute_share_by_floor_area_of_new_buildings(tiny: Project) -> None:
    params = {"layer": "buildings", "where": {"built_year": {">=": 2021}},
              "condition": {"green_building": {"not_in": ["none", ""]}}, "by": "floor_area_m2"}
    res = run(tiny, "attribute_share", params, unit="%")
    # b4 400 green, b5 100 not; b6 is built after 2025
    assert res[("community", "C3")].value == pytest.approx(80.0)
    assert res[("community", "C1")].status == "no-data"


def test_attribute_sum_splits_floor_area_by_area(tiny: Project) -> None:
    params = {"layer": "buildings", "field": "floor_area_m2",
              "where": {"use": "residential", "retrofit_year": {">=": 2021, "<=": 2025}}}
    got = values(run(tiny, "attribute_sum", params, unit="m²"))
    assert got == pytest.approx(
        {"C1": 600, "C2": 600, "C3": 0, "C4": 0, "S1": 1200, "S2": 0, "S3": 0, "D": 1200}
    )


OLD_PIPES = {
    "layer": "heating_pipes",
    "condition": {"install_year": {"age_over": "$heating.renewal_age_years"},
                  "renovated_year": {"by_year": False}},
}


def test_length_share_of_old_pipes(tiny: Project) -> None:
    res = run(tiny, "length_share", OLD_PIPES, unit="%", op="<=", target=0.0)
    got = values(res)
    # h1 (1980, 100 m, old) splits 50/50 into C1 and C2; h3 (renewed 2022) 10 m each side;
    # h2 (2000) is 25 years old in 2025
    assert got["C1"] == pytest.approx(83.33, abs=0.01)
    assert got["C3"] == pytest.approx(0.0)
    assert got["D"] == pytest.approx(100 / 220 * 100, abs=0.01)
    assert res[("community", "C4")].status == "no-data"
    assert res[("district", "D")].gap == pytest.approx(45.45, abs=0.01)


def test_parameter_without_catalog_value_uses_the_model_default(tiny: Project) -> None:
    # no [params.heating] in the catalog: the model's 30 years, as with the catalog's 30
    res = run(tiny, "length_share", OLD_PIPES, unit="%", defaults={})
    assert values(res)["D"] == pytest.approx(100 / 220 * 100, abs=0.01)
    assert "heating.renewal_age_years = 30" in res[("district", "D")].note


def test_unknown_parameter_reference_is_no_data(tiny: Project) -> None:
    misspelt = {**OLD_PIPES, "condition": {"install_year": {"age_over": "$heating.renewal_age"}}}
    rec = run(tiny, "length_share", misspelt, unit="%")[("district", "D")]
    assert rec.status == "no-data"
    assert "heating.renewal_age" in rec.note


def test_length_share_threshold_is_a_parameter(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with (tmp_path / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[params.heating]\nrenewal_age_years = 20\n")
    res = run(Project(tmp_path), "length_share", OLD_PIPES, unit="%")
    assert project.root == tmp_path.resolve()
    assert values(res)["C3"] == pytest.approx(100.0)  # h2 is now past its 20-year life
    assert "heating.renewal_age_years = 20" in res[("district", "D")].note


def test_reported_latest_year_not_after_report_year(tiny: Project) -> None:
    res = run(tiny, "reported", {}, id="HP-01", unit="吨标准煤/万元")
    rec = res[("district", "D")]
    assert rec.value == pytest.approx(3.5)
    assert rec.source == "reported"
    assert rec.status == "no-target"
    assert note_label(rec.detail, "zh") == "2023年"
    assert note_label(rec.detail, "en") == "value of 2023"
    text = run(tiny, "reported", {}, id="HP-08")[("district", "D")]
    assert text.value == "结构持续优化"
    assert text.status == "no-target"
    missing = run(tiny, "reported", {}, id="HP-99")[("district", "D")]
    assert missing.status == "no-data"
    assert missing.source == "reported"  # a value to be reported, even while it is missing


def test_heat_loss_change_in_percentage_points(tmp_path: Path) -> None:
    make_project(tmp_path)
    with (tmp_path / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n[params.heating]\nold_loss_w_per_m = 100.0\nnew_loss_w_per_m = 40.0\n"
            "heat_load_w_per_m2 = 50.0\nrenewal_age_years = 30\n"
        )
    res = run(Project(tmp_path), "heat_loss_change", {}, unit="百分点", op="<=", target=-5.0)
    # 2025: L = 100·100 (h1 old) + 100·40 (h2) + 20·40 (h3 renewed 2022) = 14,800 W;
    #       S = 50 W/m² × 3000 m² (b1–b5) = 150,000 W → 14,800 / 164,800
    # 2020: L = 10,000 + 4,000 + 20·100 = 16,000 W; S = 50 × 2500 (b4, b5 not built) = 125,000
    expected = (14800 / 164800 - 16000 / 141000) * 100
    rec = res[("district", "D")]
    assert rec.value == pytest.approx(expected, abs=0.01)
    assert rec.status == "fail"
    assert rec.gap == pytest.approx(expected + 5.0, abs=0.01)
    # C4 has neither pipes nor a change: 0 percentage points
    assert res[("community", "C4")].value == pytest.approx(0.0)


def test_metric_result_scale_note_and_combine_reach_the_records(tiny: Project) -> None:
    parts = pd.DataFrame(
        {"num": [1.0, 0.0, 0.0, 3.0], "den": [1.0, 2.0, 3.0, 4.0],
         "a": [5.0, 1.0, 0.0, 2.0], "b": [1.0, 1.0, 0.0, 0.0]},
        index=["C1", "C2", "C3", "C4"],
    )

    def per_mille(ctx: MetricContext, spec: Any) -> MetricResult:
        return MetricResult(parts[["num", "den"]].reindex(ctx.communities.index),
                            note="toy note", scale=1000.0)

    def difference(ctx: MetricContext, spec: Any) -> MetricResult:
        return MetricResult(parts[["a", "b"]].reindex(ctx.communities.index),
                            combine=lambda sums: sums["a"] - 2 * sums["b"])

    metric_kind("toy_per_mille")(per_mille)
    metric_kind("toy_difference")(difference)
    try:
        res = run(tiny, "toy_per_mille", {}, unit="‰")
        # shares from the sums × 1000: S1 = (1 + 0) / (1 + 2), D = 4 / 10 (not the mean 437.5)
        assert values(res) == pytest.approx(
            {"C1": 1000, "C2": 0, "C3": 0, "C4": 750, "S1": 333.33, "S2": 0, "S3": 750,
             "D": 400}, abs=0.01)
        assert {r.note for r in res.values()} == {"toy note"}
        diff = values(run(tiny, "toy_difference", {}, unit="个"))
        # a − 2b of the sums: S1 = (5 + 1) − 2 × (1 + 1) = 2, D = 8 − 2 × 2 = 4
        assert diff == pytest.approx(
            {"C1": 3, "C2": -1, "C3": 0, "C4": 2, "S1": 2, "S2": 0, "S3": 2, "D": 4})
    finally:
        for registry in (KINDS, KIND_READS, KIND_THEMES):
            registry.pop("toy_per_mille", None)
            registry.pop("toy_difference", None)


def test_unknown_kind_and_absent_layer_are_no_data(tmp_path: Path) -> None:
    project = make_project(tmp_path, skip=("streetlights",))
    res = run(project, "no_such_kind", {}, unit="%", op=">=", target=50.0)
    assert {r.status for r in res.values()} == {"no-data"}
    assert "no_such_kind" in next(iter(res.values())).note
    res = run(project, "attribute_share", {"layer": "streetlights"}, unit="%")
    assert {r.status for r in res.values()} == {"no-data"}
    assert "streetlights" in next(iter(res.values())).note


def test_absent_field_is_no_data(tiny: Project) -> None:
    res = run(tiny, "attribute_sum", {"layer": "buildings", "field": "pv_area_m2"}, unit="m²")
    rec = next(iter(res.values()))
    assert rec.status == "no-data"
    assert "pv_area_m2" in rec.note


def test_overlay_matches_geopandas_overlay_on_random_polygons() -> None:
    """Independent check of the fast path: geopandas.overlay + dissolve on random circles."""
    from gis.overlay import area_by_zone, intersection_area_by_zone

    rng = np.random.default_rng(7)
    zones = np.array(
        [box(x, y, x + 100, y + 100) for x in range(0, 400, 100) for y in range(0, 300, 100)]
    )
    centres = rng.uniform(0, 400, size=(150, 2)) * [1, 0.75]
    circles = shapely.buffer(shapely.points(centres), rng.uniform(5, 30, 150))
    squares = shapely.box(*(rng.uniform(0, 380, (2, 60)) * [[1], [0.75]]),
                          *(rng.uniform(0, 380, (2, 60)) * [[1], [0.75]] + 20))
    zgdf = gpd.GeoDataFrame({"z": range(len(zones))}, geometry=list(zones), crs=CRS)
    cgdf = gpd.GeoDataFrame(geometry=list(circles), crs=CRS).dissolve()
    ref = gpd.overlay(cgdf, zgdf, how="intersection")
    ref_area = ref.groupby("z").geometry.apply(lambda s: s.area.sum()).reindex(
        range(len(zones)), fill_value=0.0)
    fast = area_by_zone(circles, zones, dissolve=True, workers=2)
    np.testing.assert_allclose(fast, ref_area.to_numpy(), rtol=1e-9, atol=1e-6)
    sgdf = gpd.GeoDataFrame(geometry=list(squares), crs=CRS).dissolve()
    both = gpd.overlay(gpd.overlay(cgdf, sgdf, how="intersection"), zgdf, how="intersection")
    ref_both = both.groupby("z").geometry.apply(lambda s: s.area.sum()).reindex(
        range(len(zones)), fill_value=0.0)
    fast_both = intersection_area_by_zone(circles, squares, zones)
    np.testing.assert_allclose(fast_both, ref_both.to_numpy(), rtol=1e-9, atol=1e-6)


# ------------------------------------------------------------------ invariants of gis.overlay

ZONES_3X2 = np.array([box(x, y, x + 10, y + 10) for x in (0, 10, 20) for y in (0, 10)])
_boxes = st.lists(
    st.tuples(st.integers(-5, 30), st.integers(-5, 20), st.integers(1, 12), st.integers(1, 12)),
    min_size=0, max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(_boxes)
def test_overlay_areas_match_brute_force(rects: list[tuple[int, int, int, int]]) -> None:
    from gis.overlay import area_by_zone, intersection_area_by_zone

    geoms = np.array([box(x, y, x + w, y + h) for x, y, w, h in rects], dtype=object)
    union = shapely.union_all(geoms) if len(geoms) else Polygon()
    once = area_by_zone(geoms, ZONES_3X2, dissolve=True)
    np.testing.assert_allclose(once, shapely.area(shapely.intersection(union, ZONES_3X2)),
                               atol=1e-9)
    every = area_by_zone(geoms, ZONES_3X2, dissolve=False)
    brute = [sum(shapely.area(shapely.intersection(g, z)) for g in geoms) for z in ZONES_3X2]
    np.testing.assert_allclose(every, brute, atol=1e-9)
    half = shapely.box(-5, -5, 15, 25)
    both = intersection_area_by_zone(geoms, [half], ZONES_3X2)
    expected = shapely.area(shapely.intersection(shapely.intersection(union, half), ZONES_3X2))
    np.testing.assert_allclose(both, expected, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 32), st.integers(-2, 22)), max_size=30))
def test_points_are_assigned_once(coords: list[tuple[int, int]]) -> None:
    from gis.overlay import assign_points

    points = shapely.points(np.array(coords, dtype=float).reshape(-1, 2))
    zone = assign_points(points, ZONES_3X2)
    for p, z in zip(points, zone, strict=True):
        holders = np.flatnonzero(shapely.intersects(ZONES_3X2, p))
        assert z == (holders.min() if len(holders) else -1)


def test_reported_csv_in_gbk_with_thousands_separators(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (tmp_path / "reported.csv").write_bytes(
        'indicator,zone_code,year,value,note\nHP-19,D,2024,"168,000",区统计局\n'.encode("gbk")
    )
    rec = run(project, "reported", {}, id="HP-19")[("district", "D")]
    assert rec.value == pytest.approx(168000.0)
    assert rec.note == "区统计局"


def test_reported_csv_errors_name_the_file_and_line(tmp_path: Path) -> None:
    from gis import InputFileError

    project = make_project(tmp_path)
    (tmp_path / "reported.csv").write_text(
        "indicator,zone_code,year,value\nHP-19,D,二〇二四,1\n", encoding="utf-8"
    )
    with pytest.raises(InputFileError, match=r"reported\.csv, line 2: year"):
        run(project, "reported", {}, id="HP-19")
    (tmp_path / "reported.csv").write_text("indicator,zone,value\nHP-19,D,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"missing column\(s\) zone_code, year"):
        run(Project(tmp_path), "reported", {}, id="HP-19")
