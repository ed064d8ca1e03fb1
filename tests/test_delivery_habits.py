"""Real-delivery habits, each on a tiny hand-worked fixture (issue 10 "must show").

DBF 0 as "no value" in every year field, value spellings mapped through the manifest and
the built-in aliases, na_values, unknown coded values, plain numbers in messages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures.delivery import (
    BUILDINGS,
    HP_T4_LEFT_OUT_M,
    HP_T4_SHARE,
    HP_T4_WEST,
    MANIFEST,
    NEW_FLOOR_AREA_M2,
    REPORT_YEAR,
    X0,
    Y0,
    ZONE_CODES,
    write_buildings_project,
    write_delivery_project,
    write_zones_project,
    zones_manifest,
)
from fixtures.ingest import GK

from gis import LayerValidationError
from layers import ManifestError
from layers.build import BuildError, build_project
from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records, load_zones
from layers.ingest_values import UnknownValuesError, convert_fields
from layers.manifest import load_manifest
from layers.project import Project
from layers.schema import CANONICAL
from peakmap.cli import main

CATALOG = Path(__file__).resolve().parent.parent / "layers" / "catalogs" / "targets.toml"

YEAR_FIELDS = [
    (layer, f.name) for layer, spec in CANONICAL.items() for f in spec.fields if f.role == "year"
]


def _hp_t4(root: Path) -> tuple[float, str]:
    project = Project(root)
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=["HP-T4"])
    district = next(r for r in records if r.level == "district")
    assert isinstance(district.value, float)
    return district.value, district.note


def test_hp_t4_with_dbf_zero_gives_the_hand_worked_share(tmp_path: Path) -> None:
    root = write_delivery_project(tmp_path / "p")
    report = build_project(root, run_steps=False)
    pipes = next(r for r in report.layers if r.name == "heating_pipes")
    assert "renovated_year: 4 values 0 read as missing" in pipes.notes
    assert "install_year: 1 value 0 read as missing" in pipes.notes
    stored = Project(root).store.read("heating_pipes").set_index("id")
    assert stored["renovated_year"].isna().tolist() == [True, False, True, True, True]
    assert stored["network"].tolist() == [
        "primary", "secondary", "secondary", "primary", "secondary"
    ]
    value, note = _hp_t4(root)
    assert value == pytest.approx(HP_T4_SHARE)
    assert f"1 of 5 features of heating_pipes, {HP_T4_LEFT_OUT_M:,.0f} m left out" in note


def test_hp_t4_na_values_from_the_manifest(tmp_path: Path) -> None:
    # a delivery that writes 9999 for "not renovated": 9999 is outside 1800…2026 anyway,
    # and 1900 is a real year unless the manifest says it means "no value"
    manifest = MANIFEST + '\n[layers.heating_pipes.na_values]\nrenovated_year = [2015]\n'
    root = write_delivery_project(tmp_path / "p", manifest=manifest)
    report = build_project(root, run_steps=False)
    notes = next(r for r in report.layers if r.name == "heating_pipes").notes
    assert "renovated_year: 1 value 2015 (na_values); 4 values 0 read as missing" in notes
    # p2 (1985, 200 m) is now not renovated and old: (300 + 200 + 100) / 1000
    assert _hp_t4(root)[0] == pytest.approx(60.0)


@pytest.mark.parametrize(("layer", "field"), YEAR_FIELDS)
def test_every_year_field_reads_dbf_zero_and_impossible_years_as_missing(
    layer: str, field: str
) -> None:
    spec = CANONICAL[layer]
    frame = pd.DataFrame({field: [0, 1990, REPORT_YEAR + 1, REPORT_YEAR + 2, 1799, None]})
    ids = pd.Series([f"f{i}" for i in range(len(frame))])
    out, notes = convert_fields(frame, spec, ids=ids, label="x.shp", report_year=REPORT_YEAR)
    assert out[field].tolist() == [pd.NA, 1990, REPORT_YEAR + 1, pd.NA, pd.NA, pd.NA]
    assert notes == [
        f"{field}: 1 value 0; 1 value 1799, 1 value {REPORT_YEAR + 2} "
        f"(outside 1800…{REPORT_YEAR + 1}) read as missing",
        f"{field}: 1 empty",
    ]


def test_negative_counts_and_areas_are_missing() -> None:
    frame = pd.DataFrame({"households": [-1, 40, -9999], "floor_area_m2": [-1.0, 250.5, 0.0]})
    out, notes = convert_fields(
        frame, CANONICAL["buildings"], ids=pd.Series(["a", "b", "c"]), label="b.shp",
        report_year=REPORT_YEAR,
    )
    assert out["households"].tolist() == [pd.NA, 40, pd.NA]
    assert out["floor_area_m2"].tolist() == [pd.NA, 250.5, pd.NA]
    assert notes == [
        "floor_area_m2: 1 value -1, 1 value 0 (not above 0) read as missing",
        "households: 1 value -1, 1 value -9999 (negative) read as missing",
    ]


def test_value_map_in_the_manifest_maps_local_spellings(tmp_path: Path) -> None:
    # "庭院管网" is built in; "街坊管" is this district's own word, mapped in the manifest
    manifest = MANIFEST + '\n[layers.heating_pipes.values.network]\n"街坊管" = "secondary"\n'
    root = write_delivery_project(tmp_path / "p", manifest=manifest)
    shp = root / "raw" / "供热管网.shp"
    frame = pyogrio.read_dataframe(shp, encoding="gbk")
    frame["GWJB"] = ["一级管网", "街坊管", "街坊管", "一次网", "二级网"]
    pyogrio.write_dataframe(frame, shp, encoding="gbk")
    build_project(root, run_steps=False)
    stored = Project(root).store.read("heating_pipes").set_index("id")
    assert stored["network"].tolist() == [
        "primary", "secondary", "secondary", "primary", "secondary"
    ]


def test_unknown_value_names_field_counts_and_prints_the_manifest_lines(tmp_path: Path) -> None:
    root = write_delivery_project(tmp_path / "p")
    shp = root / "raw" / "供热管网.shp"
    frame = pyogrio.read_dataframe(shp, encoding="gbk")
    frame["GWJB"] = ["街坊管", "街坊管", "一次网", "户线[入户]", "街坊管"]
    pyogrio.write_dataframe(frame, shp, encoding="gbk")
    with pytest.raises(BuildError) as err:
        build_project(root, run_steps=False)
    lines = str(err.value).splitlines()
    assert lines[0] == (
        "raw/供热管网.shp, layer heating_pipes, field network, feature p1: 4 values not one of "
        "primary, secondary: '街坊管' (3), '户线[入户]' (1); map them in project.toml under "
        "[layers.heating_pipes.values.network]"
    )
    assert lines[1:] == [
        "    [layers.heating_pipes.values.network]",
        '    "街坊管" = ""  # one of primary, secondary',
        '    "户线[入户]" = ""',
    ]
    # pasted as printed, the empty canonical values are refused with a one-line message
    (root / "project.toml").write_text(MANIFEST + "\n" + "\n".join(lines[1:]) + "\n", "utf-8")
    with pytest.raises(ManifestError, match=r"values\.network\] '街坊管' = '': the canonical "
                       r"value must be one of primary, secondary"):
        Project(root)
    fixed = "\n".join(lines[1:]).replace('= ""', '= "secondary"')
    (root / "project.toml").write_text(MANIFEST + "\n" + fixed + "\n", "utf-8")
    build_project(root, run_steps=False)
    stored = Project(root).store.read("heating_pipes")
    assert stored["network"].value_counts().to_dict() == {"secondary": 4, "primary": 1}


def test_manifest_refuses_value_maps_of_unknown_fields(tmp_path: Path) -> None:
    manifest = MANIFEST + '\n[layers.heating_pipes.values.colour]\n"红" = "red"\n'
    root = write_delivery_project(tmp_path / "p", manifest=manifest)
    with pytest.raises(ManifestError, match=r"\[layers\.heating_pipes\.values\] names unknown "
                       r"field 'colour'"):
        Project(root)


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        # GB 50137-2011 codes and names, any case
        ("R2", "R2"), ("r2", "R2"), (" G1 ", "G1"), ("二类居住用地", "R2"), ("公园绿地", "G1"),
        ("道路与交通设施用地", "S"),
        # 2020 国土空间调查、规划、用途管制用地用海分类 codes and names
        ("0701", "R"), ("07", "R"), ("1207", "S1"), ("1401", "G1"), ("1403", "G3"),
        ("0804", "A3"), ("1701", "E1"), ("城镇住宅用地", "R"), ("绿地与开敞空间用地", "G"),
        ("陆地水域", "E1"),
        # 三调 names
        ("商服用地", "B"), ("公园与绿地", "G1"),
    ],
)
def test_landuse_codes_of_both_classifications(source: str, canonical: str) -> None:
    # the major class stays in code, a finer class goes to subcode
    frame = pd.DataFrame({"code": [source]})
    out, _ = convert_fields(frame, CANONICAL["landuse"], ids=pd.Series(["l1"]), label="lu",
                            report_year=REPORT_YEAR)
    assert out["code"].tolist() == [canonical[0]]
    assert out["subcode"].tolist() == [canonical if len(canonical) > 1 else pd.NA]


def test_unknown_landuse_code_is_refused_not_passed_through() -> None:
    frame = pd.DataFrame({"code": ["住宅小区", "R2", "住宅小区"]})
    with pytest.raises(UnknownValuesError, match=r"field code, feature l1: 2 values not a code "
                       r"matching .*'住宅小区' \(2\)") as err:
        convert_fields(frame, CANONICAL["landuse"], ids=pd.Series(["l1", "l2", "l3"]),
                       label="lu", report_year=REPORT_YEAR)
    assert "\n" not in str(err.value)  # one line for the API; the lines to paste apart
    assert err.value.manifest_lines[0] == "[layers.landuse.values.code]"
    assert err.value.manifest_lines[1].startswith('"住宅小区" = ""  # a code matching')


@pytest.mark.parametrize(
    ("layer", "field", "source", "canonical"),
    [
        ("streetlights", "lamp_type", "LED路灯", "LED"),
        ("streetlights", "lamp_type", "led", "LED"),
        ("streetlights", "lamp_type", "陶瓷金卤灯", "MH"),
        ("streetlights", "lamp_type", "无极灯", "other"),
        ("recycling_points", "kind", "回收亭", "community_point"),
        ("recycling_points", "kind", "再生资源中转站", "transfer_station"),
        ("recycling_points", "kind", "分拣站", "sorting_center"),
        ("recycling_points", "kind", "两网融合", "two_network_point"),
        ("pocket_parks", "status", "已建成", "existing"),
        ("pocket_parks", "status", "拟建", "planned"),
        ("heating_pipes", "network", "一次管网", "primary"),
        ("heating_pipes", "network", "庭院管网", "secondary"),
        ("green_spaces", "class", "社区公园", "G12"),
        ("green_spaces", "class", "g14", "G14"),
        ("green_spaces", "class", "附属绿地", "XG"),
        ("recycling_points", "kind", "再生资源回收点", "community_point"),
        ("buildings", "roof_shape", "平屋顶", "flat"),
        ("buildings", "roof_shape", "双坡", "gable"),
        ("buildings", "roof_shape", "四坡屋顶", "hip"),
    ],
)
def test_built_in_chinese_spellings(layer: str, field: str, source: str, canonical: str) -> None:
    frame = pd.DataFrame({field: [source]})
    out, _ = convert_fields(frame, CANONICAL[layer], ids=pd.Series(["f1"]), label="x",
                            report_year=REPORT_YEAR)
    assert out[field].tolist() == [canonical]


def test_messages_show_plain_numbers_not_numpy_reprs() -> None:
    frame = pd.DataFrame({"households": [2.0, 3.5]})
    with pytest.raises(LayerValidationError) as err:
        convert_fields(frame, CANONICAL["buildings"], ids=pd.Series(["b1", "b2"]), label="b",
                       report_year=REPORT_YEAR)
    assert str(err.value) == (
        "b, field households, feature b2: 3.5 is not a whole number (1 such value)"
    )


def test_missing_and_fractional_floors(tmp_path: Path) -> None:
    root = write_buildings_project(tmp_path / "p")
    report = build_project(root, run_steps=False)
    notes = next(r for r in report.layers if r.name == "buildings").notes
    assert "floors: 1 estimated from height_m ÷ 3 m ([params.buildings] storey_height_m)" in notes
    assert "floor_area_m2: 2 estimated as footprint × floors" in notes
    assert any(n.startswith("floor_area_m2: 1 buildings have no floor area") for n in notes)
    stored = Project(root).store.read("buildings").set_index("id")
    for bid, *_, area, source in BUILDINGS:
        got = stored.loc[bid, "floor_area_m2"]
        assert (pd.isna(got) if area is None else got == pytest.approx(area)), bid
        assert (pd.isna(stored.loc[bid, "floor_area_source"]) if source is None
                else stored.loc[bid, "floor_area_source"] == source), bid
    assert stored.loc["b1", "floors"] == 2.5
    # an indicator summing floor area says how many buildings were estimated or left out
    records = compute_records(Project(root), catalog=read_catalog(CATALOG), ids=["HP-12"])
    district = next(r for r in records if r.level == "district")
    assert district.value == pytest.approx(NEW_FLOOR_AREA_M2)
    assert ("floor area: 2 of 4 buildings estimated (1 from floors × footprint, 1 from height), "
            "1 left out") in district.note


def test_storey_height_is_a_parameter(tmp_path: Path) -> None:
    root = write_buildings_project(tmp_path / "p")
    text = (root / "project.toml").read_text("utf-8")
    (root / "project.toml").write_text(
        text + "\n[params.buildings]\nstorey_height_m = 2.5\n", "utf-8"
    )
    build_project(root, run_steps=False)
    stored = Project(root).store.read("buildings").set_index("id")
    assert stored.loc["b2", "floors"] == 4.0  # 10 m ÷ 2.5 m
    assert stored.loc["b2", "floor_area_m2"] == pytest.approx(400.0)


def test_console_prints_bracket_text_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_delivery_project(tmp_path / "p")
    shp = root / "raw" / "供热管网.shp"
    frame = pyogrio.read_dataframe(shp, encoding="gbk")
    frame["GWJB"] = ["户线[入户]"] * 5
    pyogrio.write_dataframe(frame, shp, encoding="gbk")
    argv, sys.argv = sys.argv, ["peakmap", "build", str(root), "--no-steps", "--lang", "en"]
    try:
        with pytest.raises(SystemExit):
            main()
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    text = out.out + out.err
    assert ("error: raw/供热管网.shp, layer heating_pipes, field network, feature p1: "
            "5 values") in text
    assert "'户线[入户]' (5)" in text
    assert "[layers.heating_pipes.values.network]" in text
    assert '"户线[入户]" = ""  # one of primary, secondary' in text


def test_zero_area_rings_dropped_and_repairs_listed_by_id(tmp_path: Path) -> None:

    root = write_delivery_project(
        tmp_path / "p",
        manifest=MANIFEST + '\n[layers.green_spaces]\npath = "raw/green.geojson"\n',
    )
    ring = [(X0 + 10, Y0 + 10), (X0 + 60, Y0 + 10), (X0 + 110, Y0 + 10), (X0 + 10, Y0 + 10)]
    green = gpd.GeoDataFrame(
        {"id": ["z1", "ok", "bow", "z2"], "class": ["G14"] * 4},
        geometry=[
            shapely.Polygon(ring),  # OSM-style way tracing a line back: zero area
            shapely.box(X0 + 100, Y0 + 100, X0 + 150, Y0 + 150),
            shapely.Polygon([(X0 + 250, Y0 + 250), (X0 + 350, Y0 + 350), (X0 + 350, Y0 + 250),
                             (X0 + 250, Y0 + 350)]),  # bow-tie: repaired
            shapely.Polygon([(X0 + 5, Y0 + 5)] * 4),  # all nodes in one place
        ],
        crs=GK,
    )
    green.to_crs("EPSG:4326").to_file(root / "raw" / "green.geojson", driver="GeoJSON")
    report = build_project(root, run_steps=False)
    rep = next(r for r in report.layers if r.name == "green_spaces")
    assert rep.notes == [
        "repaired 1 invalid geometry: bow",
        "dropped 2 zero-area polygons: z1, z2",
    ]
    assert (rep.features_read, rep.repaired, rep.dropped, rep.features_stored) == (4, 1, 2, 2)
    stored = Project(root).store.read("green_spaces").set_index("id")
    assert stored.geometry.area.round(3).to_dict() == {"ok": 2500.0, "bow": 5000.0}


def test_district_and_streets_only_report_at_the_levels_they_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_zones_project(tmp_path / "p", levels=2)
    build_project(root)  # with the post-build steps: they must cope without communities
    records = compute_records(Project(root), catalog=read_catalog(CATALOG), ids=["HP-T4"])
    by_zone = {(r.level, r.zone_code): r.value for r in records}
    assert by_zone == pytest.approx({
        ("district", ZONE_CODES["district"]): HP_T4_SHARE,
        ("street", ZONE_CODES["west"]): HP_T4_WEST,
        ("street", ZONE_CODES["east"]): 0.0,
    }, abs=0.005)  # values are kept to 0.01 %
    zones = load_zones(Project(root))
    assert zones.levels == ("district", "street")
    assert "no community level (no communities layer)" in zones.missing

    for level in ("district", "community"):
        argv, sys.argv = sys.argv, ["peakmap", "report", str(root), "--level", level, "--id",
                                    "HP-T4"]
        try:
            main()
        finally:
            sys.argv = argv
        out = capsys.readouterr().out
        assert out.count("this project has no community level") == 1
    # the whole catalog runs: nothing fails because communities are absent
    every = compute_records(Project(root), catalog=read_catalog(CATALOG))
    assert {r.level for r in every} <= {"district", "street"}
    assert all("computation failed" not in r.note for r in every)


def test_district_only(tmp_path: Path) -> None:
    root = write_zones_project(tmp_path / "p", levels=1)
    build_project(root, run_steps=False)
    records = compute_records(Project(root), catalog=read_catalog(CATALOG), ids=["HP-T4"])
    assert [(r.level, r.zone_code, r.value) for r in records] == [
        ("district", ZONE_CODES["district"], pytest.approx(HP_T4_SHARE))
    ]
    assert load_zones(Project(root)).levels == ("district",)


def test_zone_codes_keep_their_digits() -> None:
    # text codes keep leading zeros; a numeric code column with a gap (read as float) gives
    # "120101", not "120101.0"
    text = pd.DataFrame({"code": ["0101", "0102"], "name": ["甲", "乙"],
                         "district_code": ["001", "001"]})
    out, _ = convert_fields(text, CANONICAL["streets"], ids=pd.Series(["a", "b"]), label="s",
                            report_year=REPORT_YEAR)
    assert out["code"].tolist() == ["0101", "0102"]
    assert out["district_code"].tolist() == ["001", "001"]
    numeric = pd.DataFrame({"code": [120101.0, 120102.0], "name": ["和平区", "河西区"]})
    out, _ = convert_fields(numeric, CANONICAL["districts"], ids=pd.Series(["a", "b"]),
                            label="d", report_year=REPORT_YEAR)
    assert out["code"].tolist() == ["120101", "120102"]


def test_forest_reserves_and_shorelines_compute_the_tj_rows(tmp_path: Path) -> None:
    # district 400 m × 400 m = 160,000 m²; forest 100 m × 80 m = 8,000 m² → 5 %;
    # land (landuse other than water) 400 × 300 = 120,000 m², reserve 60 × 200 = 12,000 m²
    # → 10 %; shorelines: a natural bank 100 m (line) and an embanked pond delivered as a
    # polygon 50 m × 50 m (outline 200 m) → 100 / 300 = 33.33 %
    manifest = MANIFEST + """
[layers.landuse]
path = "raw/eco.gpkg"
layer = "landuse"

[layers.forest]
path = "raw/eco.gpkg"
layer = "forest"

[layers.nature_reserves]
path = "raw/eco.gpkg"
layer = "reserves"

[layers.shorelines]
path = "raw/eco.gpkg"
layer = "shore"

[layers.shorelines.fields]
natural = "岸线类型"
"""
    root = write_delivery_project(tmp_path / "p", manifest=manifest)

    def box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
        return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)

    gpkg = root / "raw" / "eco.gpkg"
    frames = {
        "landuse": gpd.GeoDataFrame({"code": ["0701", "陆地水域"]},
                                    geometry=[box(0, 0, 400, 300), box(0, 300, 400, 100)]),
        "forest": gpd.GeoDataFrame({"id": ["f1"], "kind": ["乔木林地"]},
                                   geometry=[box(10, 10, 100, 80)]),
        "reserves": gpd.GeoDataFrame({"id": ["n1"], "category": ["湿地公园"]},
                                     geometry=[box(300, 50, 60, 200)]),
        "shore": gpd.GeoDataFrame(
            {"id": ["s1", "s2"], "岸线类型": ["自然岸线", "人工岸线"]},
            geometry=[shapely.LineString([(X0 + 0, Y0 + 300), (X0 + 100, Y0 + 300)]),
                      box(220, 320, 50, 50)],
        ),
    }
    for name, frame in frames.items():
        pyogrio.write_dataframe(frame.set_crs(GK), gpkg, layer=name)
    report = build_project(root, run_steps=False)
    notes = next(r for r in report.layers if r.name == "shorelines").notes
    assert "1 polygons used by their outlines" in notes
    stored = Project(root).store.read("nature_reserves")
    assert stored["category"].tolist() == ["nature_park"]
    records = compute_records(Project(root), catalog=read_catalog(CATALOG),
                              ids=["TJ-FOREST", "TJ-PROTECT", "TJ-SHORE"])
    district = {r.indicator: r.value for r in records if r.level == "district"}
    assert district == pytest.approx(
        {"TJ-FOREST": 5.0, "TJ-PROTECT": 10.0, "TJ-SHORE": 100 / 3}, abs=0.005
    )


def test_communities_without_streets_are_linked_to_their_district(tmp_path: Path) -> None:
    manifest = zones_manifest(1) + (
        '\n[layers.communities]\npath = "raw/admin.gpkg"\nlayer = "communities"\n'
    )
    root = write_zones_project(tmp_path / "p", levels=1)
    (root / "project.toml").write_text(manifest, "utf-8")
    build_project(root, run_steps=False)
    zones = load_zones(Project(root))
    assert zones.levels == ("district", "community")
    assert zones.communities["district_code"].tolist() == [ZONE_CODES["district"]] * 3
    records = compute_records(Project(root), catalog=read_catalog(CATALOG), ids=["HP-T4"])
    by_zone = {(r.level, r.zone_code): r.value for r in records}
    # C1 holds p1, p2, p4 (unknown age), p5 and 190 m of p3; C2 no pipe; C3 210 m of p3
    assert by_zone == pytest.approx({
        ("district", ZONE_CODES["district"]): HP_T4_SHARE,
        ("community", "C1"): HP_T4_WEST, ("community", "C2"): None, ("community", "C3"): 0.0,
    }, abs=0.005)


def test_class_from_osm_style_tag_columns(tmp_path: Path) -> None:
    # A green layer exported from OpenStreetMap keeps its tags as columns: leisure=park on
    # parks, landuse=grass on lawns, neither on a plaza. class = ["leisure", "landuse"]
    # takes each feature's first value, then the value map names the classes.
    from fixtures.ingest import ADMIN_MANIFEST, admin_frames

    root = tmp_path / "p"
    (root / "raw").mkdir(parents=True)
    for name, frame in admin_frames().items():
        pyogrio.write_dataframe(frame, root / "raw" / "admin.gpkg", layer=name)
    green = gpd.GeoDataFrame(
        {"osm_id": ["w1", "w2", "w3"], "leisure": ["park", None, ""],
         "landuse": [None, "grass", "grass"]},
        geometry=[shapely.box(X0 + 10, Y0 + 10, X0 + 60, Y0 + 60),
                  shapely.box(X0 + 100, Y0 + 10, X0 + 120, Y0 + 30),
                  shapely.box(X0 + 250, Y0 + 10, X0 + 280, Y0 + 30)], crs=GK).to_crs(4326)
    green.to_file(root / "raw" / "green.geojson", driver="GeoJSON")
    manifest = (f'[project]\nname = "osm"\nmetric_crs = "{GK}"\n\n{ADMIN_MANIFEST}\n'
                '[layers.green_spaces]\npath = "raw/green.geojson"\n\n'
                '[layers.green_spaces.fields]\nid = "osm_id"\nclass = ["leisure", "landuse"]\n\n'
                '[layers.green_spaces.values.class]\n"park" = "G12"\n"grass" = "XG"\n')
    (root / "project.toml").write_text(manifest, encoding="utf-8")
    build_project(root, run_steps=False)
    stored = Project(root).store.read("green_spaces").set_index("id")
    assert stored["class"].to_dict() == {"w1": "G12", "w2": "XG", "w3": "XG"}
    # a feature with none of the columns set is named, as any required value left empty
    green.loc[0, "leisure"] = None
    green.to_file(root / "raw" / "green.geojson", driver="GeoJSON")
    with pytest.raises(BuildError, match="feature w1: required value is empty"):
        build_project(root, run_steps=False)
    # an empty list names no column: refused with the key
    (root / "project.toml").write_text(manifest.replace('["leisure", "landuse"]', "[]"),
                                       encoding="utf-8")
    with pytest.raises(ManifestError, match=r"\[layers.green_spaces.fields\] class"):
        load_manifest(root)
