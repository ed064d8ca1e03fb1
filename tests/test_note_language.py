"""Indicator notes read in one language: Chinese on a Chinese page, English on an English one.

The notes a delivery brings out (floor areas estimated, pipes of unknown age left out,
households estimated, a field the layer lacks, walking reach) used to be English only, or
came out half-translated on the Chinese page ("【未经标准确认: …", an English tail after a
Chinese sentence, both halves of the households note).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures.coverage import make_project
from fixtures.delivery import write_buildings_project
from shapely import box

from layers.build import build_project
from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records
from layers.indicators.result import IndicatorResult
from layers.labels import note_label
from layers.project import Project
from layers.schema import CANONICAL

CATALOG = Path(__file__).resolve().parent.parent / "layers" / "catalogs" / "targets.toml"
# canonical layer and field names are identifiers: they may stand in a Chinese note
IDENTIFIERS = re.compile(r"\b(" + "|".join(sorted(
    {name for name in CANONICAL} | {f.name for s in CANONICAL.values() for f in s.fields},
    key=len, reverse=True)) + r")\b")
# two English words in a row: a phrase, not a unit, code or identifier
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]+[ -][A-Za-z]{2,}\b")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _check(records: list[IndicatorResult], names: set[str]) -> set[str]:
    """Ids of the rows whose notes were checked; assert each language is clean."""
    seen = set()
    for r in records:
        text = "; ".join(t for t in (r.note, r.detail) if t)
        if not text:
            continue
        seen.add(r.indicator)
        zh = note_label(text, "zh")
        assert not ENGLISH_PHRASE.search(IDENTIFIERS.sub("", zh)), (r.indicator, zh)
        en = note_label(text, "en")
        for name in (n for n in names if len(n) > 1):  # names stay as they are
            en = en.replace(name, "")
        assert not CJK.search(en), (r.indicator, en)
    return seen


def test_delivery_notes_in_one_language(tmp_path: Path) -> None:
    # pipes of unknown age (HP-T4), floor areas from height (HP-12), the heat-loss model
    # (HP-15), a field the layer lacks (HP-14-green), households estimated (STD-PARK-500-HH)
    root = write_buildings_project(tmp_path / "p")
    build_project(root, run_steps=False)
    project = Project(root)
    ids = ["HP-T4", "HP-12", "HP-15", "HP-14-green", "STD-PARK-500", "STD-PARK-500-HH",
           "STD-RECYCLE-300"]
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=ids)
    names = {r.zone_name for r in records}
    assert _check(records, names) == set(ids)
    t4 = next(r for r in records if r.indicator == "HP-T4" and r.level == "district")
    assert note_label(t4.note, "zh").startswith(
        "敷设年份（install_year）未知：供热管网 5 个要素中 1 个，100 m不计入比例")
    assert note_label(t4.note, "en").startswith(
        "install_year unknown: 1 of 5 features of heating_pipes, 100 m left out of the share")
    hp12 = next(r for r in records if r.indicator == "HP-12" and r.level == "district")
    assert note_label(hp12.note, "zh") == (
        "建筑面积：4 栋建筑中 2 栋为估算值（1 栋按层数 × 基底面积，1 栋按高度），"
        "1 栋无建筑面积、层数与高度，未计入")


def test_walking_and_household_notes_in_one_language(tmp_path: Path) -> None:
    # the coverage strip with one home of unknown households: walking reach and estimates
    homes = [{"id": "B9", "use": "residential", "floors": 3, "households": None,
              "geometry": box(295, 95, 305, 105)}]
    project = make_project(tmp_path, change={"buildings": homes})
    ids = ["STD-PARK-500-walk", "STD-PARK-500-HH-walk", "STD-RECYCLE-300-walk", "HP-10-walk"]
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=ids)
    names = {r.zone_name for r in records}
    assert _check(records, names) == set(ids)
    hh = next(r for r in records
              if r.indicator == "STD-PARK-500-HH-walk" and r.level == "district")
    zh = note_label(hh.note, "zh")
    assert "户数估算：1 栋住宅无户数，1 栋按建筑面积 ÷ 90 m²/户" in zh
    assert "【未经标准确认】" in zh and "not confirmed" not in zh
    assert ("households estimated for 1 residential buildings: 1 as floor area ÷ 90 m²"
            in note_label(hh.note, "en"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_data_reasons_are_translated(lang: str) -> None:
    zh = {"layer communities has no field households": "图层 communities 没有字段 households",
          "area_sum: layer green_spaces has no field renovated_year":
              "图层 green_spaces 没有字段 renovated_year",
          "layer roads has no walkable road": "道路图层中没有可步行的道路"}
    for en, expected in zh.items():
        shown = note_label(en, lang)
        assert shown == (expected if lang == "zh" else en.split(": ", 1)[-1]
                         if en.startswith("area_sum") else en)


def test_detail_of_planned_parks_in_one_language(tmp_path: Path) -> None:
    # HP-T1 counts existing pocket parks and names the planned ones in its detail: the tiny
    # metric project (tests/fixtures/tiny.py) has one, p2.
    from fixtures.tiny import make_project as tiny_project

    records = compute_records(tiny_project(tmp_path), catalog=read_catalog(CATALOG),
                              ids=["HP-T1"])
    district = next(r for r in records if r.level == "district")
    assert note_label(district.detail, "zh") == "规划: 1"
    assert note_label(district.detail, "en") == "planned: 1"


def test_heat_loss_sums_say_their_unit() -> None:
    # HP-15's detail lists the sums behind the rate, in W (layers.heating)
    detail = "loss_base: 12.5; supply_base: 250; loss_now: 11; supply_now: 260"
    assert note_label(detail, "zh") == (
        "基准年管网散热（W）: 12.5；基准年供热量（W）: 250；"
        "现状管网散热（W）: 11；现状供热量（W）: 260")
    assert note_label(detail, "en").startswith("heat loss, base year (W): 12.5; ")
