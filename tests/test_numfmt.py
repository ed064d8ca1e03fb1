"""One number format for every indicator figure (layers.numfmt), checked by hand and across outputs.

Hand-worked figures: 51,731.4 m² is printed whole (m² needs no decimals) with a thousands
separator, 51,731 m²; a missing value reads 无数据 / no data; a share's gap of −3.25 is in
percentage points, -3.25 百分点 / -3.25 pp; a gap above zero (not met yet) carries "+".

The consistency test feeds the same hand-made records to the web app and reads them back as
a planner sees them: the dashboard's cells, the map's tooltips (from the page's GeoJSON), the
workbook's cells rendered through their number formats by a small renderer written here (not
by peakmap), and the terminal table; each must print the figures written out below.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from pathlib import Path

import pytest
from fixtures.tiny import sheet_rows
from fixtures.web import TestClient, build_fixture
from openpyxl import load_workbook
from rich.console import Console

from layers.compare import Comparison, write_comparison_xlsx
from layers.indicators.result import IndicatorResult
from layers.numfmt import (
    excel_format,
    figure_decimals,
    figures,
    gap_text,
    number_text,
    target_text,
    value_text,
)
from layers.report import records_to_table, write_xlsx
from web.app import create_app


def test_hand_worked_figures() -> None:
    assert value_text(51731.4, "m²", "zh") == "51,731 m²"
    assert value_text(None, "m²", "zh") == "无数据"
    assert value_text(None, "%", "en") == "no data"
    assert value_text(math.nan, "%", "en") == "no data"
    assert gap_text(-3.25, "%", "zh") == "-3.25 百分点"
    assert gap_text(-3.25, "%", "en") == "-3.25 pp"
    assert gap_text(51730.63, "m²", "zh") == "+51,731 m²"
    assert gap_text(0.0, "m²", "zh") == "0 m²"  # exactly met: no sign
    assert gap_text(None, "m²", "zh") == ""
    assert target_text(">=", 1_620_000.0, "m²", "zh") == "≥ 1,620,000 m²"
    assert target_text(None, None, "m²", "zh") == ""
    assert value_text(3, "个", "zh") == "3 个"
    assert value_text(12.345, "m²/人", "en") == "12.35 m²/person"
    assert value_text(1_234_567.8, "kWh/yr", "zh") == "1,234,568 kWh/年"
    assert value_text("结构持续优化", "%", "zh") == "结构持续优化"  # reported words, no unit


def test_a_records_figures_share_decimals() -> None:
    # 66.67 % against > 80 %: the target takes the value's two decimals
    rec = {"value": 66.666, "unit": "%", "op": ">", "target": 80.0, "gap": 13.334}
    assert figures(rec, "zh") == ("66.67 %", "> 80.00 %", "+13.33 百分点")
    # all whole: no decimals on any of them
    whole = {"value": 50.0, "unit": "%", "op": ">", "target": 80.0, "gap": 30.0}
    assert tuple(figures(whole, "en")) == ("50 %", "> 80 %", "+30 pp")
    assert tuple(figures(whole, "en", with_unit=False)) == ("50", "> 80", "+30")
    assert figure_decimals("m²", 0.5) == 0 and figure_decimals("unknown", 0.5) == 2


def test_rounding_to_zero_is_unsigned() -> None:
    assert number_text(-0.004, 2, signed=True) == "0.00"
    assert number_text(0.004, 2, signed=True) == "0.00"
    assert number_text(-0.4, 0) == "0"


def test_nothing_prints_nan_none_or_zero_for_missing() -> None:
    for missing in (None, math.nan, math.inf, ""):
        for lang in ("zh", "en"):
            text = value_text(missing, "m²", lang)
            assert text in ("无数据", "no data")
            assert gap_text(missing, "%", lang) == ""
            assert target_text(">=", missing, "%", lang) == ""


# --- the same record on the dashboard, the map tooltip, the workbook and the terminal --------


def _rec(indicator: str, unit: str, op: str, code: str, name: str, value: float | None,
         target: float, status: str, gap: float | None) -> IndicatorResult:
    return IndicatorResult(
        indicator=indicator, title=f"指标 {indicator}", title_en=f"Indicator {indicator}",
        level="street", zone_code=code, zone_name=name, value=value, unit=unit, op=op,
        target=target, deadline=2025, status=status, gap=gap, responsible="区城市管理委",
        source="computed")


RECORDS = [
    # LED share: 2 of 3 lamps = 66.666… % against > 80 %: gap 13.333… points
    _rec("HP-17", "%", ">", "S1", "西街道", 200 / 3, 80.0, "fail", 80 - 200 / 3),
    _rec("HP-17", "%", ">", "S2", "东街道", 92.5, 80.0, "pass", -12.5),
    # green area 51,731.4 m² against ≥ 60,000 m²: gap 8,268.6 m²
    _rec("HP-04", "m²", ">=", "S1", "西街道", 51_731.4, 60_000.0, "fail", 8_268.6),
    _rec("HP-04", "m²", ">=", "S2", "东街道", None, 60_000.0, "no-data", None),
    # met exactly (80.5 % against ≥ 80.5 %), and short by 0.004 points, 0 at two decimals
    # (80.496 %): both read 0, unsigned and whole (a workbook used to show the second +0.00)
    _rec("HP-22", "%", ">=", "S1", "西街道", 80.5, 80.5, "pass", 0.0),
    _rec("HP-22", "%", ">=", "S2", "东街道", 80.496, 80.5, "fail", 80.5 - 80.496),
]
# (indicator, zone code) → value, target, gap as a planner reads them, worked out by hand
EXPECTED = {
    "zh": {
        ("HP-17", "S1"): ("66.67 %", "> 80.00 %", "+13.33 百分点"),
        ("HP-17", "S2"): ("92.50 %", "> 80.00 %", "-12.50 百分点"),
        ("HP-04", "S1"): ("51,731 m²", "≥ 60,000 m²", "+8,269 m²"),
        ("HP-04", "S2"): ("无数据", "≥ 60,000 m²", ""),
        ("HP-22", "S1"): ("80.50 %", "≥ 80.50 %", "0 百分点"),
        ("HP-22", "S2"): ("80.50 %", "≥ 80.50 %", "0 百分点"),
    },
    "en": {
        ("HP-17", "S1"): ("66.67 %", "> 80.00 %", "+13.33 pp"),
        ("HP-17", "S2"): ("92.50 %", "> 80.00 %", "-12.50 pp"),
        ("HP-04", "S1"): ("51,731 m²", "≥ 60,000 m²", "+8,269 m²"),
        ("HP-04", "S2"): ("no data", "≥ 60,000 m²", ""),
        ("HP-22", "S1"): ("80.50 %", "≥ 80.50 %", "0 pp"),
        ("HP-22", "S2"): ("80.50 %", "≥ 80.50 %", "0 pp"),
    },
}
NAMES = {"S1": "西街道", "S2": "东街道"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    project = build_fixture(tmp_path_factory.mktemp("numfmt") / "proj")
    return TestClient(create_app(project, records_fn=lambda *_a, **_k: list(RECORDS)))


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _dashboard(client: TestClient, lang: str) -> dict[tuple[str, str], tuple[str, ...]]:
    page = client.get(f"/?level=street&lang={lang}").text
    out = {}
    for ident, body in re.findall(r'<tr data-indicator="([^"]+)"[^>]*>(.*?)</tr>', page, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        code = next(c for c in NAMES if f"> {c}<" in cells[1] or f">{c}<" in cells[1])
        nums = [_text(n) for n in re.findall(r'<td class="num">(.*?)</td>', body, re.S)]
        out[(ident, code)] = tuple(nums[:3])
    return out


def _tooltips(client: TestClient, ident: str, lang: str) -> dict[str, dict[str, str]]:
    """Zone code → tooltip rows (label → text), read from the page's GeoJSON ``_tip``.

    A row every zone shares is said once in the legend instead (web.maps.zone_tips): such
    rows are read from the legend's "label: text" lines.
    """
    page = client.get(f"/maps/indicator?indicator={ident}&level=street&lang={lang}").text
    legend = _text(page[page.index('id="pm-legend"'):])
    target_label = "目标" if lang == "zh" else "Target"
    said = re.search(rf"{target_label}: (.+? (?:%|m²))", legend)
    shared = {target_label: said.group(1).strip()} if said else {}
    out = {}
    for raw in re.findall(r'"_tip":\s*("(?:[^"\\]|\\.)*")', page):
        tip = json.loads(raw)
        head, *rows = tip.split("<br>")
        code = re.search(r"\((S\d)\)", head).group(1)  # type: ignore[union-attr]
        out[code] = {**shared, **dict(_text(r).split(": ", 1) for r in rows)}
    return out


def _excel(value: object, fmt: str) -> str:
    """A number as a spreadsheet shows it under ``fmt`` (sections: positive;negative;zero)."""
    if not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    sections = fmt.split(";")
    section = sections[0]
    if len(sections) > 1 and value < 0:
        section = sections[1]
    elif len(sections) > 2 and value == 0:
        section = sections[2]
    pattern = re.search(r"#,##0(?:\.(0+))?", section)
    assert pattern, fmt
    decimals = len(pattern.group(1) or "")
    number = f"{abs(value) if len(sections) > 1 else value:,.{decimals}f}"
    return (section[:pattern.start()] + number + section[pattern.end():]).replace('"', "")


def _workbook(client: TestClient, lang: str) -> dict[tuple[str, str], tuple[str, ...]]:
    wb = load_workbook(io.BytesIO(client.get(f"/api/report.xlsx?lang={lang}").content))
    ws = wb["街道" if lang == "zh" else "Street"]
    header = [c.value for c in ws[3]]
    col = {k: header.index(v) for k, v in (
        ("id", "指标编号" if lang == "zh" else "Id"),
        ("code", "区域代码" if lang == "zh" else "Zone code"),
        ("value", "现状值" if lang == "zh" else "Value"),
        ("unit", "单位" if lang == "zh" else "Unit"),
        ("op", "目标条件" if lang == "zh" else "Condition"),
        ("target", "目标值" if lang == "zh" else "Target"),
        ("target_unit", "目标单位" if lang == "zh" else "Target unit"),
        ("gap", "差距" if lang == "zh" else "Gap"))}
    out, ident, op, target, target_unit = {}, None, None, "", None
    for row in ws.iter_rows(min_row=4):
        if row[col["id"]].value:  # merged per indicator: the first zone's row holds them
            ident, op = row[col["id"]].value, row[col["op"]].value
            cell = row[col["target"]]
            target, target_unit = _excel(cell.value, cell.number_format), \
                row[col["target_unit"]].value
        value = row[col["value"]]
        shown = _excel(value.value, value.number_format)
        if isinstance(value.value, (int, float)):
            shown += f" {row[col['unit']].value}"
        gap = row[col["gap"]]
        out[(str(ident), str(row[col["code"]].value))] = (
            shown, f"{op} {target} {target_unit}", _excel(gap.value, gap.number_format))
    return out


def _terminal(lang: str) -> str:
    console = Console(record=True, width=250, force_terminal=False)
    console.print(records_to_table(RECORDS, lang=lang))
    return console.export_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_same_record_prints_the_same_everywhere(client: TestClient, lang: str) -> None:
    expected = EXPECTED[lang]
    assert _dashboard(client, lang) == expected
    assert _workbook(client, lang) == expected
    value_label, target_label, gap_label = (("现状值", "目标", "差距") if lang == "zh"
                                            else ("Value", "Target", "Gap"))
    for ident in ("HP-17", "HP-04"):
        tips = _tooltips(client, ident, lang)
        for code in NAMES:
            value, target, gap = expected[(ident, code)]
            assert tips[code][value_label] == value
            assert tips[code][target_label] == target
            assert tips[code].get(gap_label, "") == gap
    lines = _terminal(lang).splitlines()
    for (ident, code), texts in expected.items():
        line = next(x for x in lines if ident in x and NAMES[code] in x)
        cells = [c.strip() for c in line.split("│")]  # "", id, title, zone, value, target, gap
        assert tuple(cells[4:7]) == texts


def test_excel_formats_carry_sign_and_unit() -> None:
    fmt = excel_format("%", "zh", 2, gap=True)
    assert _excel(-3.25, fmt) == "-3.25 百分点"
    assert _excel(13.333, fmt) == "+13.33 百分点"
    assert _excel(0.0, excel_format("m²", "en", 0, gap=True)) == "0 m²"
    assert _excel(51731.4, excel_format("m²", "zh", 0)) == "51,731"



def test_workbook_gap_cells_zero_and_full(tmp_path: Path) -> None:
    """The gap cells as stored: the format's zero section is whole; a near-zero gap is 0."""
    path = tmp_path / "r.xlsx"
    write_xlsx(RECORDS, path, lang="en")
    _, rows = sheet_rows(load_workbook(path)["Street"])
    gap = {(r["Id"], r["Zone code"]): r["Gap"] for r in rows}
    fmt = '+#,##0.00" pp";-#,##0.00" pp";#,##0" pp"'
    ws = load_workbook(path)["Street"]
    header = [c.value for c in ws[3]]
    col = header.index("Gap")
    formats = {}
    ident = None
    for row in ws.iter_rows(min_row=4):
        ident = row[header.index("Id")].value or ident
        formats[(ident, row[header.index("Zone code")].value)] = row[col].number_format
    # 0.004 points short prints 0.00: written 0 so the zero section ("0 pp") applies
    assert gap[("HP-22", "S2")] == 0 and formats[("HP-22", "S2")] == fmt
    assert gap[("HP-22", "S1")] == 0 and formats[("HP-22", "S1")] == fmt
    # any other gap keeps its full value
    assert gap[("HP-17", "S1")] == pytest.approx(80 - 200 / 3, abs=1e-12)
    assert gap[("HP-04", "S1")] == pytest.approx(8_268.6) and formats[("HP-04", "S1")] == (
        '+#,##0" m²";-#,##0" m²";#,##0" m²"')


def _pair(indicator: str, unit: str, now: float | None, proposal: float | str | None,
          change: float | None, status_change: str = "unchanged") -> Comparison:
    return Comparison(indicator, f"指标 {indicator}", f"Indicator {indicator}", "district",
                      "D", "和平区", unit, ">=", 80.0, 2030, now, proposal, change, "fail",
                      "pass" if status_change == "newly-met" else "fail", status_change,
                      None, None)


# pairs and how their figures read, worked out by hand: 50 → 66.666 % (+16.666 points),
# 3 → 3 points (no change), 0.5 → 0.501 % (+0.001 points: 0 at two decimals), a missing
# value with the proposal (no change to speak of) and a reported text value
PAIRS = [_pair("HP-17", "%", 50.0, 66.666, 16.666),
         _pair("HP-T2", "个", 3, 3, 0.0),
         _pair("HP-18", "%", 0.5, 0.501, 0.001),
         _pair("HP-04", "m²", 51_731.4, None, None),
         _pair("HP-08", "%", None, "结构持续优化", None)]
COMPARED = {
    "zh": {"HP-17": ("%", "50", "66.67", "+16.67 百分点"), "HP-T2": ("个", "3", "3", "0 个"),
           "HP-18": ("%", "0.50", "0.50", "0 百分点"),
           "HP-04": ("m²", "51,731", "无数据", "—"), "HP-08": ("%", "无数据", "结构持续优化", "—")},
    "en": {"HP-17": ("%", "50", "66.67", "+16.67 pp"), "HP-T2": ("count", "3", "3", "0 count"),
           "HP-18": ("%", "0.50", "0.50", "0 pp"),
           "HP-04": ("m²", "51,731", "no data", "—"),
           "HP-08": ("%", "no data", "结构持续优化", "—")},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_comparison_workbook_has_the_number_formats(tmp_path: Path, lang: str) -> None:
    path = tmp_path / "c.xlsx"
    write_comparison_xlsx(PAIRS, path, lang=lang)
    ws = load_workbook(path)["区" if lang == "zh" else "District"]
    header = [c.value for c in ws[1]]
    col = {k: header.index(v) for k, v in (
        ("id", "编号" if lang == "zh" else "Id"), ("unit", "单位" if lang == "zh" else "Unit"),
        ("now", "现状值" if lang == "zh" else "Now"),
        ("proposal", "方案值" if lang == "zh" else "Proposal"),
        ("change", "变化" if lang == "zh" else "Change"))}
    seen = {}
    for row in ws.iter_rows(min_row=2):
        cells = {k: row[i] for k, i in col.items()}
        seen[cells["id"].value] = (cells["unit"].value, *(
            _excel(cells[k].value, cells[k].number_format) for k in ("now", "proposal",
                                                                      "change")))
        if isinstance(cells["now"].value, float):  # the full value is kept
            assert cells["now"].value == next(p.value_now for p in PAIRS
                                              if p.indicator == cells["id"].value)
    assert seen == COMPARED[lang]
    # the cells themselves: numbers with formats; near-zero change written 0
    rows = {r[col["id"]].value: r for r in ws.iter_rows(min_row=2)}
    assert rows["HP-17"][col["proposal"]].value == 66.666
    assert rows["HP-17"][col["proposal"]].number_format == "#,##0.00"
    assert rows["HP-18"][col["change"]].value == 0
    assert rows["HP-17"][col["change"]].number_format == (
        '+#,##0.00" 百分点";-#,##0.00" 百分点";#,##0" 百分点"' if lang == "zh"
        else '+#,##0.00" pp";-#,##0.00" pp";#,##0" pp"')
