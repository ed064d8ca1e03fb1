"""Every export path says statuses, sources and notes in words from one table (layers/labels.py).

On the tiny project (tests/fixtures/tiny.py, ``tiny_dir``): HP-17 (LED share, > 80 %) is
50 % in the district (not met; streets 街道一 and 街道二 below target), no data in 街道三 (no
lamps: the engine's note "no base in this zone (denominator 0)"); HP-04 has no street target.
The proposal of tests/test_web_scenario.py renews pipe h1, so HP-T4 is newly met.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fixtures.scenario import scenario_project
from fixtures.tiny import sheet_rows
from openpyxl import load_workbook
from typer.testing import CliRunner

from layers.compare import compare, comparisons_to_json, write_comparison_csv
from layers.project import Project
from layers.report import write_csv, write_xlsx
from peakmap.cli import app

# status codes (the sources "computed"/"reported" are also their English words)
CODES = {"pass", "fail", "no-target", "no-data", "newly-met", "no-longer-met"}


@pytest.mark.parametrize(("lang", "words"), [
    ("zh", {"fail": "未达标", "no-data": "无数据", "no-target": "无定量目标", "computed": "计算",
            "note": "该区域无计算基数（分母为 0）"}),
    ("en", {"fail": "not met", "no-data": "no data", "no-target": "no target",
            "computed": "computed", "note": "no base in this zone (denominator 0)"}),
])
def test_csv_has_the_words_beside_the_codes(tiny_records: list, tmp_path: Path, lang: str,
                                            words: dict[str, str]) -> None:
    path = tmp_path / "r.csv"
    write_csv(tiny_records, path, lang=lang)
    with path.open(encoding="utf-8-sig") as fh:
        rows = {(r["indicator"], r["zone_code"]): r for r in csv.DictReader(fh)}
    d = rows[("HP-17", "D")]
    assert (d["status"], d["status_label"], d["source_label"]) == (
        "fail", words["fail"], words["computed"])
    s3 = rows[("HP-17", "S3")]
    assert (s3["status_label"], s3["note_label"]) == (words["no-data"], words["note"])
    assert rows[("HP-04", "S1")]["status_label"] == words["no-target"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_has_no_bare_code_and_translated_notes(tiny_records: list, tmp_path: Path,
                                                        lang: str) -> None:
    path = tmp_path / f"r-{lang}.xlsx"
    write_xlsx(tiny_records, path, lang=lang)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.value not in CODES, (ws.title, cell.coordinate, cell.value)
    street = wb["街道" if lang == "zh" else "Street"]
    _, rows = sheet_rows(street)
    key, status, notes = (("指标编号", "状态", "备注") if lang == "zh"
                          else ("Id", "Status", "Notes"))
    zone = "区域代码" if lang == "zh" else "Zone code"
    s3 = next(r for r in rows if r[key] == "HP-17" and r[zone] == "S3")
    s1 = next(r for r in rows if r[key] == "HP-17" and r[zone] == "S1")
    if lang == "zh":
        assert s3[status] == "无数据" and s3[notes] == "该区域无计算基数（分母为 0）"
        assert s1[notes] == "未达标社区：社区二"  # one language, not "未达标社区 / communities…"
    else:
        assert s3[status] == "no data" and s3[notes] == "no base in this zone (denominator 0)"
        assert s1[notes] == "communities below target: 社区二"


def test_cli_json_and_csv_in_english(tiny_dir: Path) -> None:
    res = CliRunner().invoke(app, ["report", str(tiny_dir), "--level", "street",
                                   "--format", "json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    rows = {(r["indicator"], r["zone_code"]): r for r in json.loads(res.stdout)}
    assert rows[("HP-17", "S3")]["status_label"] == "no data"
    assert rows[("HP-04", "S2")]["status_label"] == "no target"
    res = CliRunner().invoke(app, ["report", str(tiny_dir), "--level", "street",
                                   "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows_csv = list(csv.DictReader(io.StringIO(res.stdout.lstrip("\ufeff"))))
    assert {r["status_label"] for r in rows_csv} == {"未达标", "无数据", "无定量目标"}


def test_comparison_exports_have_the_words(tmp_path: Path) -> None:
    pairs = [p for p in compare(Project(scenario_project(tmp_path / "s")), scenario="proposal")
             if p.indicator == "HP-T4" and p.level == "district"]
    assert len(pairs) == 1
    out = io.StringIO()
    write_comparison_csv(pairs, stream=out, lang="zh")
    row = next(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert (row["status_change"], row["status_change_label"]) == ("newly-met", "新达标")
    assert (row["status_now_label"], row["status_proposal_label"]) == ("未达标", "达标")
    en = json.loads(comparisons_to_json(pairs, lang="en"))[0]
    assert (en["status_now_label"], en["status_proposal_label"], en["status_change_label"]) \
        == ("not met", "met", "newly met")


def test_pv_and_siting_words_come_from_the_one_table() -> None:
    from gis.solar_layout import LAYOUTS
    from layers.labels import VALUE_LABELS, value_label
    from layers.rooftop_pv import NEA_CLASSES, OTHER_CLASS
    from peakmap.cmd_site_pv import cell_text, class_label

    # every class and layout the PV model writes has words (no bare rural_home / east_west)
    for cls, (zh, en, _share) in NEA_CLASSES.items():
        assert (value_label("buildings", "nea_class", cls, "zh"),
                value_label("buildings", "nea_class", cls, "en")) == (zh, en)
    assert value_label("buildings", "nea_class", OTHER_CLASS, "zh") == "其他"
    for kind in (*LAYOUTS, "flush", "mixed"):
        assert kind in VALUE_LABELS[("buildings", "pv_layout")]
    # one language a cell (the table of peakmap site pv)
    assert cell_text("pv_layout", "east_west", -1) == "东西向低倾角"
    assert cell_text("nea_class", "rural_home", -1) == "农村居民住宅"
    assert cell_text("nea_class", "rural_home", -1, "en") == "Rural homes"
    assert class_label("public") == "学校、医院等公共建筑（≥ 40 %）"
    assert class_label("public", "en") == "Schools, hospitals and other public buildings (≥ 40 %)"
    assert value_label("proposals", "source", "public_building", "zh") == "公共建筑首层"
