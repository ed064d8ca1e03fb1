"""The indicator workbook in the layout of the plan's annex 主要指标分工表, ready to print.

Each level sheet (区 / 街道 / 社区) has a title row, a line saying what the figures are
(date, computed or reported, the sample-data notice where it applies), one header row that
repeats on every printed page, the annex's 目标类型 cells merged over their indicators, and
(in the street and community sheets) the indicator's own cells — number, title, target,
deadline, department, definition — merged over its zones, so a definition is printed once
per indicator and not once per zone. Values, targets and gaps are numbers with a unit column
and the number format of :mod:`layers.numfmt` (``#,##0`` or ``#,##0.00`` by the unit and the
record, never a trailing dot; the gap signed with its unit, a gap that rounds to zero written
0 and read ``0``: :func:`layers.numfmt.excel_gap`), so a cell reads as the dashboard prints the
figure.
A matrix sheet puts the indicators (grouped as the annex groups them) against the district and
every street, each cell coloured by status (green = meets the target). Every sheet prints
landscape on A4, fit to the page width. Every text cell goes through :mod:`layers.sheets`,
so no cell is a live formula.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.labels import (
    LEVEL_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    note_label,
    responsible_label,
    unit_label,
)
from layers.numfmt import (
    NO_DATA,
    OP_SYMBOLS,
    excel_format,
    excel_gap,
    record_decimals,
    target_text,
)
from layers.report_format import GAP_NOTES, atomic_path
from layers.report_format import STATUS_FILL as REPORT_STATUS_FILL
from layers.sheets import set_cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from layers.indicators.engine import IndicatorResult

__all__ = ["INTEGER_FORMAT", "write_annex_xlsx"]

INTEGER_FORMAT = "#,##0"

STATUS_FILL = {**REPORT_STATUS_FILL, "no-target": "F2F2F2"}
NUMBERS_NOTES = (
    "单元格保存完整数值；显示精度按单位：m²、kWh、kWp、个取整，%、百分点、m²/人 两位小数，"
    "同一行的现状值、目标值、差距均为整数时取整；差距带正负号，恰好达到目标（按显示精度为 0）"
    "的差距记为 0，占比的差距单位为百分点",
    "cells keep the full value; shown with the unit's precision: m², kWh, kWp and counts "
    "whole, %, pp and m²/person with two decimals, whole when a row's value, target and gap "
    "are all whole; gaps signed, a gap that is zero at that precision is written 0; a share's "
    "gap in percentage points (pp)")
HEADER_FILL = "D9E1F2"
GROUP_FILL = "EDEDED"
FONT = "Microsoft YaHei"  # Windows' CJK UI font; other systems substitute their own
POINTS_PER_LINE = 14.0
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1


@dataclass(frozen=True)
class Column:
    """One column of a level sheet.

    Attributes
    ----------
    key : str
        Field of the row dict.
    zh, en : str
        Header text.
    width : float
        Column width in characters.
    per_indicator : bool
        Same for every zone of an indicator: merged over them in street/community sheets.
    wrap : bool
        Long text, wrapped.
    numeric : bool
        A number with the indicator's number format.
    """

    key: str
    zh: str
    en: str
    width: float
    per_indicator: bool = False
    wrap: bool = False
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("group", "目标类型", "Target type", 11, wrap=True),
    Column("seq", "序号", "No.", 5, per_indicator=True),
    Column("indicator", "指标编号", "Id", 11, per_indicator=True, wrap=True),
    Column("title", "指标", "Indicator", 22, per_indicator=True, wrap=True),
    Column("zone_code", "区域代码", "Zone code", 11),
    Column("zone_name", "区域", "Zone", 11, wrap=True),
    Column("value", "现状值", "Value", 12, numeric=True, wrap=True),
    Column("unit", "单位", "Unit", 7),
    Column("op", "目标条件", "Condition", 6, per_indicator=True),
    Column("target", "目标值", "Target", 12, per_indicator=True, numeric=True),
    Column("target_unit", "目标单位", "Target unit", 7, per_indicator=True),
    Column("gap", "差距", "Gap", 12, numeric=True),
    Column("deadline", "期限", "Deadline", 6, per_indicator=True),
    Column("responsible", "责任单位", "Responsible", 14, per_indicator=True, wrap=True),
    Column("status", "状态", "Status", 8),
    Column("source", "来源", "Source", 6),
    Column("definition", "口径", "Definition", 34, per_indicator=True, wrap=True),
    Column("remark", "备注", "Notes", 30, wrap=True),
)
MATRIX_FIXED: tuple[Column, ...] = (
    Column("group", "目标类型", "Target type", 11, wrap=True),
    Column("seq", "序号", "No.", 5),
    Column("indicator", "指标编号", "Id", 11, wrap=True),
    Column("title", "指标", "Indicator", 22, wrap=True),
    Column("unit", "单位", "Unit", 7),
    Column("target_text", "目标", "Target", 11),
)
MATRIX_ZONE_WIDTH = 11
TEXT = {
    "title": ("主要指标分工表 — 评估结果（{level}）", "Main indicators — assessment ({level})"),
    "matrix_sheet": ("街道指标矩阵", "Street matrix"),
    "matrix_title": ("指标 × 街道达标情况", "Indicators × streets: status"),
    "notes_sheet": ("说明", "Notes"),
    "generated": ("生成日期 {date}", "generated {date}"),
    "values": ("现状值：计算 = 由空间数据计算，填报 = 取自 reported.csv",
               "values: computed from the spatial layers or reported in reported.csv"),
    "colours": ("颜色：绿 = 达标，红 = 未达标，黄 = 无数据，灰 = 无定量目标",
                "colours: green = meets the target, red = not met, yellow = no data, "
                "grey = no numeric target"),
    "streets_passing": ("达标街道", "streets passing"),
    "count_row": ("{status}（个）", "{status} (count)"),
    "other_group": ("其他", "Other"),
    "page": ("第 &P 页，共 &N 页", "page &P of &N"),
}


def _text(key: str, lang: str, **kw: Any) -> str:
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**kw)


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(value: Any, width: float) -> int:
    if value is None:
        return 1
    text = value if isinstance(value, str) else f"{value:,}"
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


def _group(r: IndicatorResult, lang: str) -> str:
    """The row's 目标类型 in ``lang`` (its English name from the catalog's ``[groups]``)."""
    return ((r.group_en if lang == "en" else "") or r.group) or _text("other_group", lang)


def _row_dict(r: IndicatorResult, lang: str) -> dict[str, Any]:
    has_target = r.op is not None and r.target is not None
    return {
        "group": _group(r, lang),
        "seq": r.seq,
        "indicator": r.indicator,
        "title": (r.title_en or r.title) if lang == "en" else r.title,
        "zone_code": r.zone_code,
        "zone_name": r.zone_name,
        "value": (r.value if isinstance(r.value, str) or _is_number(r.value)
                  else NO_DATA.get(lang, NO_DATA["zh"])),
        "unit": unit_label(r.unit, lang),
        "op": OP_SYMBOLS.get(r.op or "", r.op) if has_target else None,
        "target": r.target if has_target else None,
        "target_unit": unit_label(r.unit, lang) if has_target else None,
        "gap": (excel_gap(float(r.gap), record_decimals(r))
                if r.gap is not None and _is_number(r.gap) else None),
        "deadline": r.deadline,
        "responsible": responsible_label(r, lang),
        "status": _label(STATUS_LABELS, r.status, lang),
        "source": _label(SOURCE_LABELS, r.source, lang),
        "definition": (r.definition_en or r.definition) if lang == "en" else r.definition,
        "remark": ("；" if lang == "zh" else "; ").join(
            t for t in (note_label(r.detail, lang), note_label(r.note, lang)) if t),
    }


def _ordered(records: Sequence[IndicatorResult]) -> list[list[IndicatorResult]]:
    """Records by indicator (catalog order), indicators by annex group (first appearance)."""
    by_indicator: dict[str, list[IndicatorResult]] = {}
    for r in records:
        by_indicator.setdefault(r.indicator, []).append(r)
    groups: dict[str, list[list[IndicatorResult]]] = {}
    for rows in by_indicator.values():
        groups.setdefault(rows[0].group, []).append(rows)
    return [rows for block in groups.values() for rows in block]


class _Styles:
    """The few openpyxl styles of the workbook, built once."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=FONT, size=10)
        self.bold = Font(name=FONT, size=10, bold=True)
        self.title = Font(name=FONT, size=14, bold=True)
        self.small = Font(name=FONT, size=9, color="595959")
        self.header_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.group_fill = PatternFill("solid", fgColor=GROUP_FILL)
        self.status_fill = {k: PatternFill("solid", fgColor=v) for k, v in STATUS_FILL.items()}
        self.wrap = Alignment(wrap_text=True, vertical="center")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.right = Alignment(horizontal="right", vertical="center")
        self.left = Alignment(vertical="center")
        self.title_align = Alignment(horizontal="center", vertical="center")
        self.subtitle_align = Alignment(horizontal="left", vertical="center", wrap_text=True)


def _head(ws: Worksheet, st: _Styles, ncols: int, title: str, subtitle: str) -> None:
    """Title row, subtitle row (merged over the table's width)."""
    from openpyxl.utils import get_column_letter

    last = get_column_letter(ncols)
    set_cell(ws.cell(TITLE_ROW, 1), title).font = st.title
    ws.cell(TITLE_ROW, 1).alignment = st.title_align
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 26
    set_cell(ws.cell(SUBTITLE_ROW, 1), subtitle).font = st.small
    ws.cell(SUBTITLE_ROW, 1).alignment = st.subtitle_align
    ws.merge_cells(f"A{SUBTITLE_ROW}:{last}{SUBTITLE_ROW}")
    total = sum(ws.column_dimensions[get_column_letter(i)].width or 10
                for i in range(1, ncols + 1))
    ws.row_dimensions[SUBTITLE_ROW].height = POINTS_PER_LINE * _lines(subtitle, total)


def _header_cells(ws: Worksheet, st: _Styles, row: int, texts: Sequence[str]) -> None:
    for col, text in enumerate(texts, start=1):
        cell = set_cell(ws.cell(row, col), text)
        cell.font, cell.fill, cell.alignment, cell.border = (
            st.bold, st.header_fill, st.center, st.border)


def _print_setup(ws: Worksheet, *, title_rows: str, footer: str) -> None:
    """Landscape A4, fit to one page wide, header rows repeated, page numbers."""
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3,
                                  footer=0.3)
    ws.oddFooter.center.text = footer


def _merge_run(ws: Worksheet, col: int, first: int, last: int) -> None:
    if last > first:
        ws.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)


def _level_sheet(ws: Worksheet, st: _Styles, records: Sequence[IndicatorResult], *,
                 lang: str, title: str, subtitle: str, footer: str) -> None:
    from openpyxl.utils import get_column_letter

    idx = 1 if lang == "en" else 0
    for i, col in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    _head(ws, st, len(COLUMNS), title, subtitle)
    _header_cells(ws, st, HEADER_ROW, [(c.zh, c.en)[idx] for c in COLUMNS])
    ws.row_dimensions[HEADER_ROW].height = POINTS_PER_LINE * 2
    row = FIRST_DATA_ROW
    group_start, group_name = row, None
    heights: dict[int, float] = {}
    for rows in _ordered(records):
        first = row
        group = rows[0].group
        if group_name is not None and group != group_name:
            _merge_run(ws, 1, group_start, row - 1)
            group_start = row
        group_name = group
        merged_need: dict[int, int] = {}
        for r in rows:
            data = _row_dict(r, lang)
            places = record_decimals(r)
            lines = 1
            for c_idx, col in enumerate(COLUMNS, start=1):
                cell = set_cell(ws.cell(row, c_idx), data[col.key])
                cell.font, cell.border = st.font, st.border
                value = data[col.key]
                if col.numeric and _is_number(value):
                    cell.number_format = excel_format(r.unit, lang, places,
                                                      gap=col.key == "gap")
                    cell.alignment = st.right
                elif col.wrap:
                    cell.alignment = st.wrap
                else:
                    cell.alignment = st.left
                if col.key == "status" and r.status in st.status_fill:
                    cell.fill = st.status_fill[r.status]
                if col.key == "group":
                    cell.fill = st.group_fill
                need = _lines(value, col.width) if col.wrap else 1
                if col.per_indicator and len(rows) > 1:
                    merged_need[c_idx] = max(merged_need.get(c_idx, 1), need)
                elif col.key != "group":
                    lines = max(lines, need)
            heights[row] = POINTS_PER_LINE * lines
            row += 1
        last = row - 1
        if last > first:
            for c_idx, col in enumerate(COLUMNS, start=1):
                if col.per_indicator:
                    _merge_run(ws, c_idx, first, last)
            need_pts = POINTS_PER_LINE * max(merged_need.values(), default=1)
            have = sum(heights[i] for i in range(first, last + 1))
            if have < need_pts:
                extra = (need_pts - have) / (last - first + 1)
                for i in range(first, last + 1):
                    heights[i] += extra
    if group_name is not None:
        _merge_run(ws, 1, group_start, row - 1)
    for i, h in heights.items():
        ws.row_dimensions[i].height = round(h, 1)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 5)  # header and indicator columns stay
    _print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", footer=footer)


def _matrix_sheet(ws: Worksheet, st: _Styles, records: Sequence[IndicatorResult], *,
                  lang: str, title: str, subtitle: str, footer: str) -> None:
    """Indicators (rows, grouped) × district and streets (columns), coloured by status."""
    from openpyxl.utils import get_column_letter

    idx = 1 if lang == "en" else 0
    zones: dict[str, str] = {}
    for r in records:
        if r.level in ("district", "street"):
            zones.setdefault(r.zone_code, r.zone_name)
    ncols = len(MATRIX_FIXED) + len(zones) + 1
    for i, col in enumerate(MATRIX_FIXED, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    for i in range(len(MATRIX_FIXED) + 1, ncols + 1):
        ws.column_dimensions[get_column_letter(i)].width = MATRIX_ZONE_WIDTH
    _head(ws, st, ncols, title, subtitle)
    heads = [(c.zh, c.en)[idx] for c in MATRIX_FIXED]
    heads += [*zones.values(), _text("streets_passing", lang)]
    _header_cells(ws, st, HEADER_ROW, heads)
    ws.row_dimensions[HEADER_ROW].height = POINTS_PER_LINE * 2
    zone_col = {code: len(MATRIX_FIXED) + 1 + i for i, code in enumerate(zones)}
    pass_col = ncols
    row = FIRST_DATA_ROW
    group_start, group_name = row, None
    tallies = {code: dict.fromkeys(STATUS_LABELS, 0) for code in zones}
    matrix_rows = [[r for r in rows if r.level in ("district", "street")]
                   for rows in _ordered(records)]
    for rows in (rs for rs in matrix_rows if any(r.level == "street" for r in rs)):
        head = rows[0]
        if group_name is not None and head.group != group_name:
            _merge_run(ws, 1, group_start, row - 1)
            group_start = row
        group_name = head.group
        fixed = {
            "group": _group(head, lang),
            "seq": head.seq,
            "indicator": head.indicator,
            "title": (head.title_en or head.title) if lang == "en" else head.title,
            "unit": unit_label(head.unit, lang),
            "target_text": target_text(head.op, head.target, head.unit, lang, with_unit=False),
        }
        lines = 1
        for c_idx, col in enumerate(MATRIX_FIXED, start=1):
            cell = set_cell(ws.cell(row, c_idx), fixed[col.key])
            cell.font, cell.border = st.font, st.border
            cell.alignment = st.wrap if col.wrap else st.left
            if col.key == "group":
                cell.fill = st.group_fill
            elif col.wrap:
                lines = max(lines, _lines(fixed[col.key], col.width))
        for code in zones:
            cell = ws.cell(row, zone_col[code])
            cell.font, cell.border, cell.alignment = st.font, st.border, st.right
        for r in rows:
            cell = ws.cell(row, zone_col[r.zone_code])
            value = r.value if isinstance(r.value, str) or _is_number(r.value) else None
            set_cell(cell, value if value is not None else _label(STATUS_LABELS, r.status, lang))
            if _is_number(value):
                cell.number_format = excel_format(r.unit, lang, record_decimals(r))
            if r.status in st.status_fill:
                cell.fill = st.status_fill[r.status]
            tallies[r.zone_code][r.status] += 1
        judged = [r for r in rows if r.level == "street" and r.status in ("pass", "fail")]
        passing = sum(r.status == "pass" for r in judged)
        cell = set_cell(ws.cell(row, pass_col), f"{passing}/{len(judged)}" if judged else "—")
        cell.font, cell.border, cell.alignment = st.font, st.border, st.center
        ws.row_dimensions[row].height = POINTS_PER_LINE * lines
        row += 1
    if group_name is not None:
        _merge_run(ws, 1, group_start, row - 1)
    for status in ("pass", "fail", "no-data"):
        label = _text("count_row", lang, status=_label(STATUS_LABELS, status, lang))
        set_cell(ws.cell(row, 1), label).font = st.bold
        ws.merge_cells(start_row=row, start_column=1, end_row=row,
                       end_column=len(MATRIX_FIXED))
        for code in zones:
            cell = set_cell(ws.cell(row, zone_col[code]), tallies[code][status])
            cell.font, cell.border, cell.alignment = st.bold, st.border, st.right
            cell.number_format = INTEGER_FORMAT
            cell.fill = st.status_fill[status]
        row += 1
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, len(MATRIX_FIXED) + 1)
    _print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", footer=footer)


def _notes_sheet(ws: Worksheet, st: _Styles, *, notice: str | None, lang: str) -> None:
    """The sheet saying what the codes, gaps, sources, colours and numbers mean, in ``lang``."""
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = [(("项目", "Item"),
                                                             ("说明", "Meaning"))]
    for key, (zh, en) in STATUS_LABELS.items():
        pairs.append(((f"状态：{zh}", f"Status: {en}"),
                      (f"CSV/JSON 中的代码：{key}", f"code in CSV and JSON: {key}")))
    pairs.append((("差距", "Gap"), GAP_NOTES))
    pairs.append((("来源", "Source"), (
        "计算 = 由空间数据计算；估算 = 由空间数据计算，部分输入为估算值（如缺失的户数），备注说明"
        "估算了多少、如何估算；填报 = 取自 reported.csv",
        "computed from the spatial layers; estimated = computed, partly from estimated "
        "inputs (missing households...), the note says how many and how; reported = "
        "read from reported.csv")))
    pairs.append((("颜色", "Colours"), TEXT["colours"]))
    pairs.append((("数字格式", "Numbers"), NUMBERS_NOTES))
    side = 1 if lang == "en" else 0
    rows = [(a[side], b[side]) for a, b in pairs]
    if notice:
        rows.append((("示例数据", "Sample data")[side], notice))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 110
    for i, (a, b) in enumerate(rows, start=1):
        set_cell(ws.cell(i, 1), a).font = st.bold if i == 1 else st.font
        cell = set_cell(ws.cell(i, 2), b)
        cell.font, cell.alignment = st.bold if i == 1 else st.font, st.wrap
        ws.row_dimensions[i].height = POINTS_PER_LINE * _lines(b, 110)


def write_annex_xlsx(
    records: Sequence[IndicatorResult],
    path: Path,
    *,
    lang: str = "zh",
    project_name: str | None = None,
    notice: str | None = None,
    generated: date | None = None,
) -> None:
    """Write the annex-style, print-ready workbook (see the module docstring).

    Parameters
    ----------
    records : sequence of IndicatorResult
    path : pathlib.Path
        Written through a temporary file in the same folder, then moved into place.
    lang : {"zh", "en"}
    project_name : str, optional
        Put before the title of every sheet.
    notice : str, optional
        The sample-data notice, printed under every title when given.
    generated : datetime.date, optional
        Date printed under the titles (default: today).
    """
    from openpyxl import Workbook

    st = _Styles()
    wb = Workbook()
    wb.remove(wb.active)
    idx = 1 if lang == "en" else 0
    day = (generated or date.today()).isoformat()
    prefix = f"{project_name} — " if project_name else ""
    subtitle = " · ".join(t for t in (_text("generated", lang, date=day),
                                      _text("values", lang), _text("colours", lang), notice)
                          if t)
    footer = _text("page", lang)
    for level, labels in LEVEL_LABELS.items():
        rows = [r for r in records if r.level == level]
        if not rows:
            continue
        ws = wb.create_sheet(labels[idx])
        _level_sheet(ws, st, rows, lang=lang, footer=footer, subtitle=subtitle,
                     title=prefix + _text("title", lang, level=labels[idx]))
    if any(r.level == "street" for r in records):
        ws = wb.create_sheet(_text("matrix_sheet", lang))
        _matrix_sheet(ws, st, records, lang=lang, footer=footer, subtitle=subtitle,
                      title=prefix + _text("matrix_title", lang))
    _notes_sheet(wb.create_sheet(_text("notes_sheet", lang)), st, notice=notice, lang=lang)
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
