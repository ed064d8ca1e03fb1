"""Report writers and the ``peakmap report`` command on the tiny project."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.tiny import sheet_rows
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

import layers.report
from layers.indicators.engine import RECORD_FIELDS, IndicatorResult
from layers.labels import export_record
from layers.report import records_to_json, records_to_table, write_csv, write_xlsx
from peakmap.cli import app


def _district(records: list[IndicatorResult], ident: str) -> IndicatorResult:
    return next(r for r in records if r.indicator == ident and r.level == "district")


def test_values_behind_the_report(tiny_records: list[IndicatorResult]) -> None:
    led = _district(tiny_records, "HP-17")
    assert led.value == pytest.approx(50.0) and led.status == "fail"
    assert led.gap == pytest.approx(30.0)
    green = _district(tiny_records, "HP-04")
    # g1 ∪ g2 = 700, g3 = 400, g5 = 800 (no pocket parks in this row)
    assert green.value == pytest.approx(1900.0) and green.status == "fail"
    assert green.gap == pytest.approx(100.0)
    assert _district(tiny_records, "HP-01").source == "reported"


def test_json_is_a_list_of_records_with_the_architecture_fields(
    tiny_records: list[IndicatorResult],
) -> None:
    data = json.loads(records_to_json(tiny_records))
    assert isinstance(data, list) and len(data) == len(tiny_records)
    for row in data:
        assert list(row)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
    nodata = [row for row in data if row["status"] == "no-data"]
    assert nodata and all(row["value"] is None for row in nodata)  # null, not NaN


def test_csv_round_trip(tiny_records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(tiny_records, path)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(tiny_records)
    first = rows[0]
    assert first["indicator"] == tiny_records[0].indicator
    value = tiny_records[0].value
    assert float(first["value"]) == pytest.approx(float(value))  # type: ignore[arg-type]
    assert first["responsible"] == "区城市管理委、区商务局"




def test_xlsx_annex_layout(tiny_records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "annex.xlsx"
    write_xlsx(tiny_records, path, project_name="测试项目", notice="示例数据 sample")
    wb = load_workbook(path)
    assert wb.sheetnames == ["区", "街道", "社区", "街道指标矩阵", "说明"]
    ws = wb["区"]
    # title row and notice row merged over the 18 columns, header on row 3
    assert ws["A1"].value == "测试项目 — 主要指标分工表 — 评估结果（区）"
    assert "示例数据 sample" in ws["A2"].value
    assert {"A1:R1", "A2:R2"} <= {str(m) for m in ws.merged_cells.ranges}
    header, rows = sheet_rows(ws)
    for col in ("目标类型", "序号", "指标", "区域", "现状值", "单位", "目标条件", "目标值",
                "目标单位", "差距", "期限", "责任单位", "状态", "来源", "口径", "备注"):
        assert col in header
    assert ws.freeze_panes == "E4"
    assert len(rows) == sum(r.level == "district" for r in tiny_records)
    led = next(r for r in rows if r["指标编号"] == "HP-17")
    assert led["现状值"] == pytest.approx(50.0)
    assert (led["目标条件"], led["目标值"], led["目标单位"]) == (">", 80, "%")
    assert led["差距"] == pytest.approx(30.0)
    assert led["状态"] == "未达标"
    assert led["责任单位"] == "区城市管理委、区商务局"
    assert led["序号"] == 17
    led_row = 4 + rows.index(led)
    status_cell = ws.cell(row=led_row, column=header.index("状态") + 1)
    assert status_cell.fill.fgColor.rgb.endswith("FFC7CE")  # red fill for a failure
    target_cell = ws.cell(row=led_row, column=header.index("目标值") + 1)
    assert target_cell.data_type == "n"  # a number, not the text "> 80"
    # no-target rows leave the target and its unit empty
    energy = next(r for r in rows if r["指标编号"] == "HP-01")
    assert energy["目标值"] is None and energy["目标单位"] is None
    assert ws.column_dimensions["D"].width > 20
    assert ws.cell(row=led_row, column=header.index("口径") + 1).alignment.wrap_text


def test_xlsx_number_formats_have_no_trailing_dot(
    tiny_records: list[IndicatorResult], tmp_path: Path
) -> None:
    path = tmp_path / "annex.xlsx"
    write_xlsx(tiny_records, path)
    wb = load_workbook(path)
    formats: dict[tuple[str, str, str], str] = {}
    for name in ("区", "街道"):
        ws = wb[name]
        header = [c.value for c in ws[3]]
        ident = header.index("指标编号")
        current = None
        for row in ws.iter_rows(min_row=4):
            current = row[ident].value or current
            cell = row[header.index("现状值")]
            if cell.data_type == "n" and cell.value is not None:
                formats[(name, current, row[header.index("区域代码")].value)] = cell.number_format
    # whole figures (1,900 m², 50 %) without decimals; 66.67 % (2 LED of 3 lamps in S1) and
    # 3.5 (reported) with two; never "#,##0.##", which prints "1,900." with a trailing dot
    assert formats[("区", "HP-04", "D")] == "#,##0"
    assert formats[("区", "HP-17", "D")] == "#,##0"
    assert formats[("区", "HP-01", "D")] == "#,##0.00"
    assert formats[("街道", "HP-17", "S1")] == "#,##0.00"
    assert formats[("街道", "HP-04", "S2")] == "#,##0"
    assert not any(f.endswith(".") or f.endswith("#") for f in formats.values())


def test_xlsx_merges_groups_and_indicators_and_prints_landscape(
    tiny_records: list[IndicatorResult], tmp_path: Path
) -> None:
    path = tmp_path / "annex.xlsx"
    write_xlsx(tiny_records, path)
    wb = load_workbook(path)
    ws = wb["街道"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    # rows 4–6: HP-17 for S1..S3 (group 低碳城区建设碳达峰行动), rows 7–9: HP-04 (no group)
    assert ws["C4"].value == "HP-17" and ws["C7"].value == "HP-04"
    assert ws["A4"].value == "低碳城区建设碳达峰行动" and ws["A7"].value == "其他"
    assert {"A4:A6", "A7:A9"} <= merged  # 目标类型 merged over its rows
    for col in ("B", "C", "D", "I", "J", "K", "M", "N", "Q"):  # the indicator's own cells
        assert f"{col}4:{col}6" in merged and f"{col}7:{col}9" in merged
    assert not any(m.startswith(("E4", "G4", "O4")) for m in merged)  # per-zone cells
    assert [ws[f"F{i}"].value for i in (4, 5, 6)] == ["街道一", "街道二", "街道三"]
    for sheet in ("区", "街道", "社区", "街道指标矩阵"):
        ws = wb[sheet]
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows == "$3:$3"  # the header row repeats on every page
        assert "&P" in ws.oddFooter.center.text


def test_xlsx_street_matrix(tiny_records: list[IndicatorResult], tmp_path: Path) -> None:
    path = tmp_path / "annex.xlsx"
    write_xlsx(tiny_records, path)
    ws = load_workbook(path)["街道指标矩阵"]
    header = [c.value for c in ws[3]]
    assert header[:6] == ["目标类型", "序号", "指标编号", "指标", "单位", "目标"]
    assert header[6:] == ["区D", "街道一", "街道二", "街道三", "达标街道"]
    led = next(r for r in ws.iter_rows(min_row=4) if r[2].value == "HP-17")
    assert led[5].value == "> 80"
    assert [c.value for c in led[6:10]] == [50, pytest.approx(66.67), 0, "无数据"]
    fills = [c.fill.fgColor.rgb[-6:] for c in led[6:10]]
    assert fills == ["FFC7CE", "FFC7CE", "FFC7CE", "FFEB9C"]  # fail, fail, fail, no data
    assert led[10].value == "0/2"  # no street passes; S3 has no data
    green = next(r for r in ws.iter_rows(min_row=4) if r[2].value == "HP-04")
    assert [c.value for c in green[6:10]] == [1900, 1100, 800, 0]
    assert green[7].fill.fgColor.rgb.endswith("F2F2F2")  # streets: no target
    counts = {r[0].value: [c.value for c in r[6:10]] for r in ws.iter_rows(min_row=4)
              if isinstance(r[0].value, str) and r[0].value.endswith("（个）")}
    # district: HP-17 (50 % ≤ 80) and HP-04 (1,900 < 2,000 m²) fail; streets: only HP-17
    assert counts["未达标（个）"] == [2, 1, 1, 0]
    assert counts["无数据（个）"] == [0, 0, 0, 1]


def test_table_colours_pass_and_fail(tiny_records: list[IndicatorResult]) -> None:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(records_to_table([r for r in tiny_records if r.level == "community"]))
    text = console.export_text(clear=False)
    assert "LED等高效节能灯具使用占比" in text
    assert "社区一" in text
    styled = console.export_text(styles=True)
    assert "\x1b[1;31m未达标" in styled  # bold red
    assert "\x1b[32m达标" in styled  # green


def test_cli_json(tiny_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tiny_dir), "--format", "json",
                                      "--level", "street", "--year", "2025"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {row["level"] for row in data} == {"street"}
    s1 = next(r for r in data if r["indicator"] == "HP-17" and r["zone_code"] == "S1")
    assert s1["value"] == pytest.approx(66.67)


def test_cli_table_csv_xlsx(tiny_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(tiny_dir), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Share of LED lamps" in result.stdout
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", str(tiny_dir), "--format", "xlsx", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames[:3] == ["区", "街道", "社区"]
    out_csv = tmp_path / "r.csv"
    result = runner.invoke(app, ["report", str(tiny_dir), "--format", "csv", "--out",
                                 str(out_csv), "--level", "all"])
    assert result.exit_code == 0, result.output
    with out_csv.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 2 * 8 + 1  # HP-01 is reported for D only


def test_cli_errors_are_one_line(tiny_dir: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "peakmap", "report", str(tiny_dir), "--format", "xlsx"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 1
    assert "--out" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "peakmap", "report", str(tmp_path / "nowhere")],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 1
    assert "nowhere" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("ids", [
    ["--id", "HP-04", "--id", "HP-17"],
    ["--id", "HP-04,HP-17"],
    ["--id", "HP-04, HP-17"],
    ["--id", "HP-04", "HP-17"],  # what the old README suggested: ids after one flag
    ["HP-17", "HP-04"],
])
def test_cli_ids_as_a_user_types_them(tiny_dir: Path, ids: list[str]) -> None:
    result = CliRunner().invoke(app, ["report", str(tiny_dir), "--format", "json", *ids])
    assert result.exit_code == 0, result.output
    assert {row["indicator"] for row in json.loads(result.stdout)} == {"HP-04", "HP-17"}


def test_cli_unknown_id_is_a_usage_error(tiny_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "peakmap", "report", str(tiny_dir), "--id", "HP-04,HP-99"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert proc.returncode == 2
    assert "HP-99" in proc.stderr and "HP-04" not in proc.stderr.split("HP-99")[1]
    assert "Traceback" not in proc.stderr


def _record(**kw: object) -> IndicatorResult:
    base: dict[str, object] = dict(
        indicator="HP-04", title="公园绿地", title_en="Park green", level="community",
        zone_code="120101001", zone_name="甲社区", value=1.5, unit="m²", op=">=",
        target=2.0, deadline=2025, status="fail", gap=0.5, responsible="区城市管理委",
        source="computed")
    base.update(kw)
    return IndicatorResult(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("indent", [2, None, 4])
def test_json_text_equals_pythons_encoder(indent: int | None) -> None:
    """The C-encoder path writes exactly what ``json.dumps(indent=2)`` writes."""
    tricky = '},\n    {"a": 1}\n  },\n  {\t"\\ 引号 \u2028 \x00 ]'
    listy = 'x": [1], "y": {}'
    records = [
        _record(),
        _record(value=float("nan"), gap=float("inf"), target=None, status="no-data",
                note="no base in this zone (denominator 0)"),
        _record(zone_name=tricky, note=tricky, detail="{}", value=True, seq=3, op=None),
        _record(value=-0.0, gap=1e300, target=12345678901234567890, deadline=None),
        _record(value="达标", title="", title_en='"quoted"'),
    ]
    with_listy = [*records[:1], _record(detail=listy)]  # looks nested once encoded

    def want(recs: list[IndicatorResult]) -> str:
        rows = []
        for r in recs:
            row = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                   for k, v in dataclasses.asdict(r).items()}
            rows.append(export_record(row, "zh"))
        return json.dumps(rows, ensure_ascii=False, indent=indent)

    for chosen in (records, records[:1], records[2:3], [], with_listy):
        assert records_to_json(chosen, indent=indent) == want(chosen)
    with pytest.MonkeyPatch.context() as mp:  # batches of 2: joined, one falls back
        mp.setattr(layers.report, "JSON_BATCH", 2)
        assert records_to_json([*records, *with_listy], indent=indent) == want(
            [*records, *with_listy])
    nested = [_record(group=["not", "a", "scalar"])]  # type: ignore[arg-type]
    assert records_to_json(nested, indent=indent) == json.dumps(
        [export_record(dataclasses.asdict(nested[0]), "zh")], ensure_ascii=False, indent=indent)
