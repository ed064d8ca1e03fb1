"""Before → after: every indicator now and with a scenario (the stored proposals), side by side.

:func:`compare` takes the indicator results without and with the scenario (from the results
cache of the store version, computed on a miss) and pairs the records of the same indicator
and zone: value now, value with the proposal, change
(proposal − now, in the indicator's unit) and status change (新达标 newly met, 不再达标 no
longer met, or unchanged). The writers give the same columns as a terminal table, JSON, CSV
and a small workbook (one sheet per level). The web's scenario page uses the same pairs.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis import InputFileError
from layers.labels import CHANGE_LABELS, LEVEL_LABELS, STATUS_LABELS, unit_label
from layers.numfmt import (
    NO_DATA,
    excel_format,
    excel_gap,
    figure_decimals,
    gap_text,
    is_number,
    target_text,
    value_text,
)

if TYPE_CHECKING:
    import geopandas as gpd
    from rich.table import Table

    from layers.indicators.catalog import Catalog
    from layers.indicators.engine import IndicatorResult
    from layers.project import Project

__all__ = [
    "CHANGE_LABELS",
    "Comparison",
    "compare",
    "compare_records",
    "comparisons_to_json",
    "comparisons_to_table",
    "count_newly_met",
    "sheet_cell",
    "status_change",
    "write_comparison_csv",
    "write_comparison_json",
    "write_comparison_xlsx",
]

NEWLY_MET, LOST, SAME = "newly-met", "no-longer-met", "unchanged"
# (field, zh header, en header)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("indicator", "编号", "Id"),
    ("title", "指标", "Indicator"),
    ("zone_name", "区域", "Zone"),
    ("unit", "单位", "Unit"),
    ("target_text", "目标", "Target"),
    ("value_now", "现状值", "Now"),
    ("value_proposal", "方案值", "Proposal"),
    ("change", "变化", "Change"),
    ("status_now", "现状状态", "Status now"),
    ("status_proposal", "方案状态", "Status with proposal"),
    ("status_change", "状态变化", "Status change"),
)


@dataclass
class Comparison:
    """One indicator for one zone, now and with the scenario.

    ``change`` is ``value_proposal − value_now`` (None unless both are numbers);
    ``status_change`` is ``newly-met``, ``no-longer-met`` or ``unchanged``.
    """

    indicator: str
    title: str
    title_en: str
    level: str
    zone_code: str
    zone_name: str
    unit: str
    op: str | None
    target: float | None
    deadline: int | None
    value_now: float | int | str | None
    value_proposal: float | int | str | None
    change: float | None
    status_now: str
    status_proposal: str
    status_change: str
    gap_now: float | None
    gap_proposal: float | None
    scenario: str = "proposal"
    source: str = ""
    definition: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the pair as a dict (NaN as None)."""
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def status_change(before: str, after: str) -> str:
    """``newly-met`` when only ``after`` passes, ``no-longer-met`` the other way round.

    Examples
    --------
    >>> status_change("fail", "pass"), status_change("pass", "fail"), status_change("fail", "fail")
    ('newly-met', 'no-longer-met', 'unchanged')
    """
    if after == "pass" and before != "pass":
        return NEWLY_MET
    if before == "pass" and after != "pass":
        return LOST
    return SAME


def compare_records(
    now: Iterable[IndicatorResult], proposal: Iterable[IndicatorResult], *,
    scenario: str = "proposal",
) -> list[Comparison]:
    """Pair the records of the same indicator, level and zone (order of ``now``).

    A record present on one side only is paired with an empty one (value None, no-data).

    Parameters
    ----------
    now, proposal : iterable of IndicatorResult
    scenario : str
        The scenario's name, carried in each pair.

    Returns
    -------
    list of Comparison
    """
    after = {(r.indicator, r.level, r.zone_code): r for r in proposal}
    out: list[Comparison] = []
    seen: set[tuple[str, str, str]] = set()
    for a in now:
        key = (a.indicator, a.level, a.zone_code)
        seen.add(key)
        b = after.get(key)
        out.append(_pair(a, b, scenario))
    for key, b in after.items():
        if key not in seen:
            out.append(_pair(None, b, scenario))
    return out


def _pair(a: IndicatorResult | None, b: IndicatorResult | None, scenario: str) -> Comparison:
    ref = a if a is not None else b
    assert ref is not None
    v0 = a.value if a is not None else None
    v1 = b.value if b is not None else None
    n0, n1 = _number(v0), _number(v1)
    s0 = a.status if a is not None else "no-data"
    s1 = b.status if b is not None else "no-data"
    return Comparison(
        indicator=ref.indicator, title=ref.title, title_en=ref.title_en, level=ref.level,
        zone_code=ref.zone_code, zone_name=ref.zone_name, unit=ref.unit, op=ref.op,
        target=ref.target, deadline=ref.deadline, value_now=v0, value_proposal=v1,
        change=None if n0 is None or n1 is None else round(n1 - n0, 10),
        status_now=s0, status_proposal=s1, status_change=status_change(s0, s1),
        gap_now=a.gap if a is not None else None, gap_proposal=b.gap if b is not None else None,
        scenario=scenario, source=ref.source, definition=ref.definition,
    )


def compare(
    project: Project, *, year: int | None = None, scenario: str = "proposal",
    ids: Sequence[str] | None = None, layers: Iterable[str] | None = None,
    proposals: Mapping[str, gpd.GeoDataFrame] | None = None,
    levels: Sequence[str] | None = None, catalog: Catalog | None = None,
) -> list[Comparison]:
    """Compute every (or the chosen) indicator now and with ``scenario``, and pair them.

    The one before → after of peakmap: ``peakmap report --compare``, every ``peakmap site``
    run, the web's scenario API and the exports use it.

    Parameters
    ----------
    project : Project
    year : int, optional
        Report year (default: the manifest's, else this year).
    scenario : str
    ids : sequence of str, optional
        Rows to compare (default: the rows touching ``layers``, else every row).
    layers : iterable of str, optional
        Canonical layers the proposal changes: picks the rows
        (:func:`layers.scenario.indicators_touching`).
    proposals : mapping of str to GeoDataFrame, optional
        Proposed features not stored yet (a preview, ``--no-apply``), per canonical layer
        (:func:`layers.scenario.merge_proposal`).
    levels : sequence of str, optional
        Keep only these levels (default: all).
    catalog : Catalog, optional
        Another catalog than the project's (computed, not read from the results cache).

    Returns
    -------
    list of Comparison
    """
    from layers.indicators.cache import cached_records
    from layers.indicators.catalog import read_catalog
    from layers.indicators.engine import compute_records
    from layers.scenario import indicators_touching

    own_catalog = catalog is None
    chosen = list(ids) if ids is not None else None
    if chosen is None and layers is not None:
        chosen = indicators_touching(catalog or read_catalog(project.targets_path), layers)
    # the stored results of this store version when there are any (the key covers the
    # scenario, the year, the catalogs and the code; a build, upload or siting run renews it)
    if own_catalog:
        now = cached_records(project, year=year, ids=chosen)
    else:
        now = compute_records(project, year=year, catalog=catalog, ids=chosen)
    if own_catalog and proposals is None:
        after = cached_records(project, year=year, scenario=scenario, ids=chosen)
    else:  # a preview of proposals not stored yet, or another catalog: compute
        after = compute_records(project, year=year, catalog=catalog, ids=chosen,
                                scenario=scenario, proposals=proposals)
    pairs = compare_records(now, after, scenario=scenario)
    return pairs if levels is None else [p for p in pairs if p.level in set(levels)]


def count_newly_met(pairs: Iterable[Comparison], *, level: str | None = None) -> int:
    """How many (indicator, zone) targets the scenario newly meets (at ``level`` if given)."""
    return sum(p.status_change == NEWLY_MET for p in pairs if level is None or p.level == level)


def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def _row(p: Comparison, lang: str) -> dict[str, Any]:
    row = p.as_dict()
    if lang == "en":
        row["title"] = p.title_en or p.title
    row["unit"] = unit_label(p.unit, lang)
    row["target_text"] = target_text(p.op, p.target, p.unit, lang, with_unit=False)
    row["status_now"] = _label(STATUS_LABELS, p.status_now, lang)
    row["status_proposal"] = _label(STATUS_LABELS, p.status_proposal, lang)
    row["status_change"] = _label(CHANGE_LABELS, p.status_change, lang)
    return row


def comparisons_to_table(
    pairs: Sequence[Comparison], *, lang: str = "zh", title: str | None = None
) -> Table:
    """A rich table: indicator, zone, unit, target, now, proposal, change, statuses.

    Rows newly meeting their target are green, rows no longer meeting it red.
    """
    from rich.table import Table

    idx = 2 if lang == "en" else 1
    caption = (f"{_label(CHANGE_LABELS, NEWLY_MET, lang)}: {count_newly_met(pairs)}; "
               + ("change = proposal − now, in the indicator's unit (percentage points for shares)"
                  if lang == "en" else "变化 = 方案值 − 现状值（单位同指标，占比为百分点）"))
    table = Table(title=title, caption=caption, header_style="bold")
    for field, *heads in COLUMNS:
        table.add_column(heads[idx - 1],
                         justify="right" if field in ("value_now", "value_proposal", "change")
                         else "left", overflow="fold", no_wrap=field == "indicator")
    style = {NEWLY_MET: "green", LOST: "bold red"}
    for p in pairs:
        row = _row(p, lang)
        shown = {"value_now": value_text(p.value_now, p.unit, lang, with_unit=False),
                 "value_proposal": value_text(p.value_proposal, p.unit, lang, with_unit=False),
                 "change": gap_text(p.change, p.unit, lang, with_unit=False) or "—"}
        cells = [shown[f] if f in shown else str(row[f] or "") for f, *_ in COLUMNS]
        table.add_row(*cells, style=style.get(p.status_change))
    return table


def _labelled(p: Comparison, lang: str) -> dict[str, Any]:
    """The pair's fields, then its statuses in words (:mod:`layers.labels`) in ``lang``."""
    return {**p.as_dict(),
            "status_now_label": _label(STATUS_LABELS, p.status_now, lang),
            "status_proposal_label": _label(STATUS_LABELS, p.status_proposal, lang),
            "status_change_label": _label(CHANGE_LABELS, p.status_change, lang)
            if p.status_change else ""}


LABEL_FIELDS = ("status_now_label", "status_proposal_label", "status_change_label")
# the workbook columns that hold figures (:func:`sheet_cell`)
FIGURES = ("value_now", "value_proposal", "change")


def comparisons_to_json(pairs: Iterable[Comparison], *, indent: int | None = 2,
                        lang: str = "zh") -> str:
    """The pairs as a JSON list: fields of :class:`Comparison`, then statuses in words.

    NaN is written as null; the words are in ``lang``.
    """
    return json.dumps([_labelled(p, lang) for p in pairs], ensure_ascii=False, indent=indent)


def _atomic_target(path: Path) -> str:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputFileError(f"{path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    return tmp


def _replace(tmp: str, path: Path) -> None:
    try:
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_comparison_json(pairs: Sequence[Comparison], path: Path, *,
                          lang: str = "zh") -> None:
    """Write :func:`comparisons_to_json` to ``path`` (atomically)."""
    tmp = _atomic_target(path)
    try:
        Path(tmp).write_text(comparisons_to_json(pairs, lang=lang) + "\n", encoding="utf-8")
    finally:
        _replace(tmp, Path(path))


def comparison_rows(pairs: Iterable[Comparison], *, lang: str = "zh"
                    ) -> tuple[list[str], list[dict[str, Any]]]:
    """Field names and rows (as dicts) of the CSV of the pairs, statuses also in words."""
    fields = [*Comparison.__dataclass_fields__, *LABEL_FIELDS]
    return fields, [_labelled(p, lang) for p in pairs]


def write_comparison_csv(pairs: Sequence[Comparison], path: Path | None = None,
                         stream: Any = None, *, lang: str = "zh") -> None:
    """Write the pairs as CSV (UTF-8 with BOM for Excel), to ``path`` or ``stream``."""
    from layers.sheets import write_csv_rows

    fields, rows = comparison_rows(pairs, lang=lang)

    def _write(fh: Any) -> None:
        write_csv_rows(fh, fields, rows)

    if path is None:
        _write(stream)
        return
    tmp = _atomic_target(path)
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            _write(fh)
    finally:
        _replace(tmp, Path(path))


def sheet_cell(p: Comparison, key: str, lang: str) -> tuple[Any, str | None]:
    """The value and number format of column ``key`` of a pair's workbook row.

    Values now and with the proposal are numbers in the format of :mod:`layers.numfmt`
    (the unit's decimals, whole when whole, as the terminal table prints them), a missing one
    reads 无数据 / no data; the change is signed with its unit (percentage points for shares)
    as :func:`layers.numfmt.gap_text` prints it (a change that rounds to zero is written 0),
    ``—`` when there is none. Other columns are text without a format.

    Examples
    --------
    >>> p = Comparison("HP-17", "LED", "LED", "district", "D", "区", "%", ">", 80.0, 2030,
    ...                50.0, 66.666, 16.666, "fail", "fail", "unchanged", 30.0, 13.334)
    >>> sheet_cell(p, "value_now", "en"), sheet_cell(p, "value_proposal", "en")
    ((50.0, '#,##0'), (66.666, '#,##0.00'))
    >>> sheet_cell(p, "change", "zh")
    (16.666, '+#,##0.00" 百分点";-#,##0.00" 百分点";#,##0" 百分点"')
    """
    value = getattr(p, key) if key in ("value_now", "value_proposal", "change") else None
    if key in ("value_now", "value_proposal"):
        if is_number(value):
            return value, excel_format(p.unit, lang, figure_decimals(p.unit or None, value))
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return NO_DATA.get(lang, NO_DATA["zh"]), None
        return value, None
    if key == "change":
        if value is None or not is_number(value):
            return "—", None
        places = figure_decimals(p.unit or None, value)
        return excel_gap(float(value), places), excel_format(p.unit, lang, places, gap=True)
    return _row(p, lang)[key], None


def write_comparison_xlsx(pairs: Sequence[Comparison], path: Path, *, lang: str = "zh") -> None:
    """A workbook with one sheet per level: now, proposal, change and status change.

    Rows that newly meet their target are green, rows no longer meeting it red. Figures are
    numbers in the formats of :mod:`layers.numfmt` (:func:`sheet_cell`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from layers.sheets import set_cell

    idx = 2 if lang == "en" else 1
    wb = Workbook()
    wb.remove(wb.active)
    fill = {NEWLY_MET: "C6EFCE", LOST: "FFC7CE"}
    for level, labels in LEVEL_LABELS.items():
        rows = [p for p in pairs if p.level == level]
        if not rows:
            continue
        ws = wb.create_sheet(labels[idx - 1])
        for col, c in enumerate(COLUMNS, start=1):
            set_cell(ws.cell(row=1, column=col), c[idx])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for p in rows:
            data = _row(p, lang)
            line = ws.max_row + 1
            for col, (key, *_) in enumerate(COLUMNS, start=1):
                value, number_format = (sheet_cell(p, key, lang) if key in FIGURES
                                        else (data[key], None))
                cell = set_cell(ws.cell(row=line, column=col), value)
                if number_format:
                    cell.number_format = number_format
                if key in FIGURES:
                    cell.alignment = Alignment(horizontal="right")
            if p.status_change in fill:
                for cell in ws[ws.max_row]:
                    cell.fill = PatternFill("solid", fgColor=fill[p.status_change])
        for i, (field, *_) in enumerate(COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = 34 if field == "title" else 13
        ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明" if lang != "en" else "Notes")
    en = lang == "en"
    for line, texts in enumerate((
        ("Change", "proposal − now, in the indicator's unit (percentage points for shares); "
                   "figures shown with the unit's decimals, the cells keep the full value") if en
        else ("变化", "方案值 − 现状值，单位同指标（占比为百分点）；"
                      "按单位的精度显示，单元格保存完整数值"),
        (f"newly met: {count_newly_met(pairs)}", "targets met only with the proposal") if en
        else (f"新达标：{count_newly_met(pairs)}", "现状未达标、方案达标的指标×区域数"),
    ), start=1):
        for col, text in enumerate(texts, start=1):
            set_cell(notes.cell(row=line, column=col), text)
    if not any(ws.title != notes.title for ws in wb.worksheets):
        wb.create_sheet("empty")
    tmp = _atomic_target(path)
    try:
        wb.save(tmp)
    finally:
        _replace(tmp, Path(path))
