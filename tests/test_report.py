"""Report writers and the ``peakmap report`` command on the tiny project."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from test_metrics import make_project
from typer.testing import CliRunner

from layers.indicators.engine import RECORD_FIELDS, IndicatorResult, compute_records
from layers.report import records_to_json, records_to_table, write_csv, write_xlsx
from peakmap.cli import app

TARGETS = """
[[indicator]]
id = "HP-17"
seq = 17
group = "低碳城区建设碳达峰行动"
title = "LED等高效节能灯具使用占比"
title_en = "Share of LED lamps"
level = "district"
kind = "attribute_share"
op = ">"
target = 80
unit = "%"
deadline = 2030
responsible = ["区城市管理委", "区商务局"]
[indicator.params]
layer = "streetlights"
condition = { lamp_type = "LED" }

[[indicator]]
id = "HP-04"
seq = 4
title = "城市绿地面积"
title_en = "Urban green area"
level = "district"
kind = "area_sum"
op = ">="
target = 2000
unit = "m²"
deadline = 2025
responsible = ["区城市管理委"]
[indicator.params]
layers = [{ layer = "green_spaces", where = { class = ["G11", "G12", "G2", "XG"] } }]

[[indicator]]
id = "HP-01"
title = "单位地区生产总值能源消耗"
title_en = "Energy per GDP"
kind = "reported"
unit = "%"
responsible = ["区商务局"]
"""


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    make_project(root, targets=TARGETS)
    return root


@pytest.fixture(scope="module")
def records(project_dir: Path) -> list[IndicatorResult]:
    from layers.project import Project

    return compute_records(Project(project_dir), year=2025)


def _district(records: list[IndicatorResult], ident: str) -> IndicatorResult:
    return next(r for r in records if r.indicator == ident and r.level == "district")


def test_values_behind_the_report(records: list[IndicatorResult]) -> None:
    led = _district(records, "HP-17")
    assert led.value == pytest.approx(50.0) and led.status == "fail"
    assert led.gap == pytest.approx(30.0)
    green = _district(records, "HP-04")
    # g1 ∪ g2 = 700, g3 = 400, g5 = 800 (no pocket parks in this row)
    assert green.value == pytest.approx(1900.0) and green.status == "fail"
    assert green.gap == pytest.approx(100.0)
    assert _district(records, "HP-01").source == "reported"


def test_json_is_a_list_of_records_with_the_architecture_fields(
    records: list[IndicatorResult],
) -> None:
    data = json.loads(records_to_json(records))
    assert isinstance(data, list) and len(data) == len(records)
    for row in data:
        assert list(row)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
    nodata = [row for row in data if row["status"] == "no-data"]
    assert nodata and all(row["value"] is None for row in nodata)  # null, not NaN


def test_csv_round_trip(records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(records, path)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(records)
    first = rows[0]
    assert first["indicator"] == records[0].indicator
    assert float(first["value"]) == pytest.approx(float(records[0].value))  # type: ignore[arg-type]
    assert first["responsible"] == "区城市管理委、区商务局"


def test_xlsx_annex_layout(records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "annex.xlsx"
    write_xlsx(records, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["区", "街道", "社区", "说明"]
    ws = wb["区"]
    header = [c.value for c in ws[1]]
    for col in ("序号", "指标", "区域", "现状值", "单位", "目标", "差距", "截止年", "责任单位",
                "状态", "来源"):
        assert col in header
    assert ws.freeze_panes == "A2"
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(2)]
    assert len(rows) == sum(r.level == "district" for r in records)
    led = next(r for r in rows if r["指标编号"] == "HP-17")
    assert led["现状值"] == pytest.approx(50.0)
    assert led["目标"] == "> 80"
    assert led["状态"] == "未达标"
    assert led["责任单位"] == "区城市管理委、区商务局"
    assert led["序号"] == 17
    status_cell = ws.cell(row=2 + rows.index(led), column=header.index("状态") + 1)
    assert status_cell.fill.fgColor.rgb.endswith("FFC7CE")  # red fill for a failure
    assert ws.column_dimensions["D"].width > 20
    assert len(wb["社区"]["A"]) - 1 == sum(r.level == "community" for r in records)


def test_xlsx_in_english(records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "annex_en.xlsx"
    write_xlsx(records, path, lang="en")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "District"
    header = [c.value for c in wb["District"][1]]
    assert "Indicator" in header
    assert "Share of LED lamps" in [c.value for c in wb["District"]["D"]]


def test_table_colours_pass_and_fail(records: list[IndicatorResult]) -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(records_to_table([r for r in records if r.level == "community"]))
    text = console.export_text(clear=False)
    assert "LED等高效节能灯具使用占比" in text
    assert "社区一" in text
    styled = console.export_text(styles=True)
    assert "\x1b[1;31m未达标" in styled  # bold red
    assert "\x1b[32m达标" in styled  # green


def test_cli_json(project_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(project_dir), "--format", "json",
                                      "--level", "street", "--year", "2025"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {row["level"] for row in data} == {"street"}
    s1 = next(r for r in data if r["indicator"] == "HP-17" and r["zone_code"] == "S1")
    assert s1["value"] == pytest.approx(66.67)


def test_cli_table_csv_xlsx(project_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(project_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Share of LED lamps" in result.stdout
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", str(project_dir), "--format", "xlsx", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames[:3] == ["区", "街道", "社区"]
    out_csv = tmp_path / "r.csv"
    result = runner.invoke(app, ["report", str(project_dir), "--format", "csv", "--out",
                                 str(out_csv), "--level", "all"])
    assert result.exit_code == 0, result.output
    with out_csv.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 2 * 8 + 1  # HP-01 is reported for D only


def test_cli_errors_are_one_line(project_dir: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "peakmap", "report", str(project_dir), "--format", "xlsx"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 1
    assert "--out" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "peakmap", "report", str(tmp_path / "nowhere")],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 1
    assert "nowhere" in proc.stderr and "Traceback" not in proc.stderr
