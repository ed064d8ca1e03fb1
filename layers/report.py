"""Writers of indicator results: terminal table, JSON, CSV and the annex-style XLSX.

Every writer takes the records of :func:`layers.indicators.engine.compute_records` and keeps
the record fields of architecture.md. Chinese comes first; ``lang="en"`` switches titles and
headers to English. Files are written to a temporary name and then moved into place, so an
interrupted export never leaves half a file.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis._errors import InputFileError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.table import Table

    from layers.indicators.engine import IndicatorResult

__all__ = [
    "LEVEL_LABELS",
    "STATUS_LABELS",
    "format_target",
    "records_to_json",
    "records_to_table",
    "write_csv",
    "write_json",
    "write_xlsx",
]

STATUS_LABELS = {
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "no-target": ("无定量目标", "no target"),
    "no-data": ("无数据", "no data"),
}
SOURCE_LABELS = {"computed": ("计算", "computed"), "reported": ("填报", "reported")}
LEVEL_LABELS = {
    "district": ("区", "District"),
    "street": ("街道", "Street"),
    "community": ("社区", "Community"),
}
OP_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
STATUS_STYLE = {"pass": "green", "fail": "bold red", "no-target": "cyan", "no-data": "yellow"}
STATUS_FILL = {"pass": "C6EFCE", "fail": "FFC7CE", "no-data": "FFEB9C"}
GAP_NOTE = (
    "差距 = 距目标还差多少（单位同现状值）：≥/> 目标为 目标−现状，≤/< 目标为 现状−目标；"
    "正数表示尚未达标，零或负数表示已达标（绝对值为余量）。 / Gap = how far from the target "
    "in the value's unit: target − value for ≥/> targets, value − target for ≤/< targets; "
    "positive = not met yet, zero or negative = met (its size is the margin)."
)
XLSX_COLUMNS: tuple[tuple[str, str, str, int], ...] = (
    # (record key, zh header, en header, width)
    ("group", "目标类型", "Target type", 16),
    ("seq", "序号", "No.", 6),
    ("indicator", "指标编号", "Id", 12),
    ("title", "指标", "Indicator", 34),
    ("zone_code", "区域代码", "Zone code", 12),
    ("zone_name", "区域", "Zone", 14),
    ("value", "现状值", "Value", 14),
    ("unit", "单位", "Unit", 9),
    ("target_text", "目标", "Target", 14),
    ("gap", "差距", "Gap", 12),
    ("deadline", "截止年", "Deadline", 8),
    ("responsible", "责任单位", "Responsible", 24),
    ("status_text", "状态", "Status", 11),
    ("source_text", "来源", "Source", 8),
    ("definition", "口径", "Definition", 48),
    ("remark", "备注", "Notes", 48),
)
HEADER_FILL = "D9E1F2"


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def format_value(value: Any) -> str:
    """Format a value for display: thousands separators, at most two decimals.

    Examples
    --------
    >>> format_value(1620000.0), format_value(53.333), format_value(None), format_value(3)
    ('1,620,000', '53.33', '—', '3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        return value
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def format_target(op: str | None, target: float | None) -> str:
    """Format a target as e.g. ``≥ 1,620,000`` (empty when there is none).

    Examples
    --------
    >>> format_target(">=", 50.0), format_target(None, None)
    ('≥ 50', '')
    """
    if op is None or target is None:
        return ""
    return f"{OP_SYMBOLS.get(op, op)} {format_value(target)}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def records_to_json(records: Iterable[IndicatorResult], *, indent: int | None = 2) -> str:
    """Return the records as a JSON list of objects (UTF-8 text, NaN written as null).

    Parameters
    ----------
    records : iterable of IndicatorResult
    indent : int or None

    Returns
    -------
    str
    """
    rows = [{k: _json_safe(v) for k, v in r.as_dict().items()} for r in records]
    return json.dumps(rows, ensure_ascii=False, indent=indent)


@contextmanager
def _atomic(path: Path, *, newline: str | None = None, binary: bool = False) -> Iterator[Any]:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if binary:
            yield tmp
        else:
            with open(tmp, "w", encoding="utf-8-sig" if newline == "" else "utf-8",
                      newline=newline) as fh:
                yield fh
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(records: Sequence[IndicatorResult], path: Path) -> None:
    """Write :func:`records_to_json` to ``path`` (atomically)."""
    with _atomic(Path(path)) as fh:
        fh.write(records_to_json(records))
        fh.write("\n")


def write_csv(records: Sequence[IndicatorResult], path: Path) -> None:
    """Write the records as CSV, one column per record field (UTF-8 with BOM for Excel).

    Parameters
    ----------
    records : sequence of IndicatorResult
    path : pathlib.Path
    """
    from layers.indicators.engine import IndicatorResult

    fields = list(IndicatorResult.__dataclass_fields__)
    with _atomic(Path(path), newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for r in records:
            writer.writerow({k: "" if v is None else v for k, v in r.as_dict().items()})


def _remark(r: IndicatorResult) -> str:
    return "；".join(t for t in (r.detail, r.note) if t)


def _xlsx_row(r: IndicatorResult, lang: str) -> dict[str, Any]:
    row = r.as_dict()
    if lang == "en":
        row["title"] = r.title_en or r.title
    row["target_text"] = format_target(r.op, r.target)
    row["status_text"] = _label(STATUS_LABELS, r.status, lang)
    row["source_text"] = _label(SOURCE_LABELS, r.source, lang)
    row["remark"] = _remark(r)
    return row


def write_xlsx(records: Sequence[IndicatorResult], path: Path, *, lang: str = "zh") -> None:
    """Write the annex-style workbook a planner hands on.

    One sheet per level (区 / 街道 / 社区) with one row per indicator × zone: target type,
    number, indicator, zone, value, unit, target, gap, deadline, responsible department,
    status (coloured) and source; header frozen, columns sized; a last sheet explains the
    statuses and the sign of the gap.

    Parameters
    ----------
    records : sequence of IndicatorResult
    path : pathlib.Path
    lang : {"zh", "en"}
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    idx = 0 if lang != "en" else 1
    for level, labels in LEVEL_LABELS.items():
        rows = [r for r in records if r.level == level]
        if not rows:
            continue
        ws = wb.create_sheet(labels[idx])
        ws.append([col[1 + idx] for col in XLSX_COLUMNS])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        status_col = [c[0] for c in XLSX_COLUMNS].index("status_text") + 1
        for r in rows:
            data = _xlsx_row(r, lang)
            ws.append([data.get(col[0]) for col in XLSX_COLUMNS])
            fill = STATUS_FILL.get(r.status)
            if fill:
                ws.cell(row=ws.max_row, column=status_col).fill = PatternFill(
                    "solid", fgColor=fill
                )
        for i, col in enumerate(XLSX_COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col[3]
            if col[0] in ("value", "gap"):
                for cell in ws[get_column_letter(i)][1:]:
                    cell.number_format = "#,##0.##"
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    notes = wb.create_sheet("说明" if lang != "en" else "Notes")
    notes.append(["项目 / Item", "说明 / Meaning"])
    for key, (zh, en) in STATUS_LABELS.items():
        notes.append([f"状态 {zh} / {en}", key])
    notes.append(["差距 / Gap", GAP_NOTE])
    notes.append(["来源 / Source", "计算 = 由空间数据计算；填报 = 取自 reported.csv / computed "
                  "from the spatial layers; reported = read from reported.csv"])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 120
    if not wb.sheetnames:
        wb.create_sheet("empty")
    with _atomic(Path(path), binary=True) as tmp:
        wb.save(tmp)


def records_to_table(
    records: Sequence[IndicatorResult], *, lang: str = "zh", title: str | None = None
) -> Table:
    """A rich table of the records: titles, zone, value, target, gap, department, status.

    Pass rows are green, fail rows red, no-data yellow.

    Parameters
    ----------
    records : sequence of IndicatorResult
    lang : {"zh", "en"}
    title : str, optional

    Returns
    -------
    rich.table.Table
    """
    from rich.table import Table

    en = lang == "en"
    heads = (
        ("Id", "Indicator", "Zone", "Value", "Unit", "Target", "Gap", "By", "Responsible",
         "Status", "Source")
        if en
        else ("编号", "指标", "区域", "现状值", "单位", "目标", "差距", "截止", "责任单位", "状态",
              "来源")
    )
    caption = (
        "Gap > 0: not met yet (target − value for ≥ targets, value − target for ≤ targets)"
        if en
        else "差距 > 0 表示尚未达标（≥ 目标：目标 − 现状；≤ 目标：现状 − 目标）"
    )
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    right = {3, 5, 6}
    for i, head in enumerate(heads):
        table.add_column(head, justify="right" if i in right else "left",
                         overflow="fold", no_wrap=i in (0, 9))
    fmt: Callable[[Any], str] = format_value
    for r in records:
        style = STATUS_STYLE.get(r.status, "")
        table.add_row(
            r.indicator,
            (r.title_en or r.title) if en else r.title,
            r.zone_name,
            fmt(r.value),
            r.unit,
            format_target(r.op, r.target),
            "" if r.gap is None else fmt(r.gap),
            "" if r.deadline is None else str(r.deadline),
            r.responsible,
            f"[{style}]{_label(STATUS_LABELS, r.status, lang)}[/]" if style else r.status,
            _label(SOURCE_LABELS, r.source, lang),
        )
    return table
