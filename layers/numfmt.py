"""How an indicator figure is printed, wherever it is printed: one definition of each rule.

The dashboard, the map tooltips and legends, the scenario page, the printed sheets (PDF/PNG),
the PDF report, the workbook's number formats and the terminal tables all print a record's
value, target and gap through this module, so the same record reads the same everywhere.

Rules:

* the unit is printed beside the number, in the page language (:func:`layers.labels.unit_label`);
* thousands separators (``51,731``);
* the precision the unit needs (:data:`UNIT_DECIMALS`): areas, energy, capacity and counts
  whole, shares and per-person figures two decimals (a unit not listed: two); a record's
  value, target and gap share their decimals, and when all three are whole numbers they are
  printed whole (``50 %``, ``≥ 80 %``, ``+30 百分点``; but ``66.67 %``, ``≥ 80.00 %``);
* a missing figure reads ``无数据`` / ``no data`` (never ``nan``, ``None`` or ``0``);
* a gap carries its sign (``+`` = not met yet, ``-`` = met with that margin), ASCII
  ``+``/``-`` as a spreadsheet reads them, and a gap of a share is in percentage points
  (``百分点`` / ``pp``, :data:`GAP_UNITS`); a gap that rounds to zero reads ``0``, unsigned
  and whole (``0 百分点``, never ``+0.00``), in a workbook too (:func:`excel_gap`);
* a reported text value (words, not a number) is printed as it is, without a unit.

Examples
--------
>>> value_text(51731.4, "m²", "zh"), value_text(None, "%", "zh"), value_text(None, "%", "en")
('51,731 m²', '无数据', 'no data')
>>> gap_text(-3.25, "%", "zh"), gap_text(-3.25, "%", "en"), gap_text(51730.63, "m²", "en")
('-3.25 百分点', '-3.25 pp', '+51,731 m²')
>>> target_text(">=", 80.0, "%", "zh")
'≥ 80 %'
>>> figures({"value": 66.666, "unit": "%", "op": ">", "target": 80.0, "gap": 13.334}, "en")
Figures(value='66.67 %', target='> 80.00 %', gap='+13.33 pp')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from layers.labels import STATUS_LABELS, unit_label

__all__ = [
    "GAP_UNITS",
    "NO_DATA",
    "OP_SYMBOLS",
    "UNIT_DECIMALS",
    "Figures",
    "excel_format",
    "excel_gap",
    "figure_decimals",
    "figures",
    "gap_text",
    "gap_unit",
    "is_number",
    "number_text",
    "op_symbol",
    "record_decimals",
    "target_text",
    "value_text",
]

NO_DATA = dict(zip(("zh", "en"), STATUS_LABELS["no-data"], strict=True))  # the status's words
OP_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
# Decimals each catalog unit needs. Areas are whole m² (the catalog's unit), energy and
# capacity whole kWh and kWp, counts whole; shares (0-100) and per-person areas two decimals.
UNIT_DECIMALS: dict[str, int] = {
    "m²": 0, "m": 0, "kWh/yr": 0, "kWh": 0, "kWp": 0, "个": 0, "户": 0, "人": 0, "处": 0,
    "层": 0, "年": 0,
    "%": 2, "百分点": 2, "m²/人": 2, "hm²": 2, "km": 2,
}
# A gap (target - value or value - target) of a share is a difference of percentages.
GAP_UNITS = {"%": "百分点"}
UNKNOWN_DECIMALS = 2  # a unit not in UNIT_DECIMALS: whole figures whole, others two decimals


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool): a figure that can be printed as a number.

    Examples
    --------
    >>> is_number(3), is_number(float("nan")), is_number(True), is_number("3")
    (True, False, False, False)
    """
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value)) or (
        isinstance(value, str) and not value.strip())


def op_symbol(op: str | None) -> str:
    """The comparison as printed in plans (``>=`` → ``≥``); empty for None."""
    return OP_SYMBOLS.get(op, op) if op else ""


def figure_decimals(unit: str | None, *figures: Any) -> int:
    """Decimals of figures in ``unit`` printed together (a record's value, target and gap).

    The unit's precision (:data:`UNIT_DECIMALS`; two for a unit not listed), or none when
    every figure given is a whole number.

    Parameters
    ----------
    unit : str or None
        The catalog's unit (``m²``, ``%``, ...), not its translation.
    *figures : Any
        The figures printed together; those that are not numbers are left out.

    Examples
    --------
    >>> figure_decimals("m²", 51730.63), figure_decimals("%", 66.67, 80.0, 13.33)
    (0, 2)
    >>> figure_decimals("%", 50.0, 80.0, 30.0), figure_decimals("t", 2.5), figure_decimals("%")
    (0, 2, 0)
    """
    most = UNIT_DECIMALS.get(unit or "", UNKNOWN_DECIMALS)
    if most and not all(float(v).is_integer() for v in figures if is_number(v)):
        return most
    return 0


def record_decimals(record: Mapping[str, Any] | Any) -> int:
    """:func:`figure_decimals` of a record's value, target and gap (a dict or a result)."""
    get = _getter(record)
    return figure_decimals(get("unit") or None, get("value"), get("target"), get("gap"))


def _getter(record: Mapping[str, Any] | Any) -> Any:
    if isinstance(record, Mapping):
        return record.get
    return lambda key: getattr(record, key, None)


def number_text(value: float, decimals: int, *, signed: bool = False) -> str:
    """``value`` with thousands separators and ``decimals`` decimals.

    ``signed``: ``+`` before a positive figure; a figure that rounds to zero is unsigned.

    Examples
    --------
    >>> number_text(1568269.37, 0), number_text(13.333, 2, signed=True)
    ('1,568,269', '+13.33')
    >>> number_text(-0.001, 2, signed=True), number_text(-3.25, 2, signed=True)
    ('0.00', '-3.25')
    """
    text = f"{value:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        return text.lstrip("-")
    return f"+{text}" if signed and value > 0 else text


def gap_unit(unit: str | None) -> str | None:
    """The unit of a gap of figures in ``unit`` (percentage points for ``%``).

    Examples
    --------
    >>> gap_unit("%"), gap_unit("m²"), gap_unit(None)
    ('百分点', 'm²', None)
    """
    return GAP_UNITS.get(unit, unit) if unit else unit


def _with_unit(text: str, unit: str | None, lang: str, with_unit: bool) -> str:
    shown = unit_label(unit, lang) if with_unit else ""
    return f"{text} {shown}" if shown else text


def value_text(value: Any, unit: str | None, lang: str, *, with_unit: bool = True,
               decimals: int | None = None) -> str:
    """A record's value as printed: ``51,731 m²``, ``66.67 %``, ``无数据``, or its words.

    Parameters
    ----------
    value : float, int, str or None
    unit : str or None
        The catalog's unit.
    lang : {"zh", "en"}
    with_unit : bool, keyword-only
        False where a column of its own gives the unit (workbook, scenario table).
    decimals : int, optional
        Shared with the record's target and gap (:func:`figures`); by default the value's
        own (:func:`figure_decimals`).

    Examples
    --------
    >>> value_text(66.666, "%", "en"), value_text(float("nan"), "m²", "en")
    ('66.67 %', 'no data')
    >>> value_text("结构持续优化", "%", "zh"), value_text(3, "个", "en")
    ('结构持续优化', '3 count')
    """
    if _missing(value):
        return NO_DATA.get(lang, NO_DATA["zh"])
    if not is_number(value):
        return str(value)
    places = figure_decimals(unit, value) if decimals is None else decimals
    return _with_unit(number_text(float(value), places), unit, lang, with_unit)


def target_text(op: str | None, target: Any, unit: str | None, lang: str, *,
                with_unit: bool = True, decimals: int | None = None) -> str:
    """A target as printed: ``≥ 1,620,000 m²``; empty when there is none.

    Examples
    --------
    >>> target_text("<=", 15.5, "%", "en"), target_text(None, None, "m²", "zh")
    ('≤ 15.50 %', '')
    >>> target_text(">=", 1620000.0, "m²", "zh", with_unit=False)
    '≥ 1,620,000'
    """
    if op is None or not is_number(target):
        return ""
    places = figure_decimals(unit, target) if decimals is None else decimals
    number = number_text(float(target), places)
    return _with_unit(f"{op_symbol(op)} {number}", unit, lang, with_unit)


def gap_text(gap: Any, unit: str | None, lang: str, *, with_unit: bool = True,
             decimals: int | None = None) -> str:
    """A gap as printed, signed and in the gap's unit: ``+51,731 m²``; empty when none.

    Positive = not met yet, negative = met with that margin (``layers.report_format.GAP_NOTE``).

    Examples
    --------
    >>> gap_text(13.333, "%", "zh"), gap_text(0.0, "m²", "en"), gap_text(None, "%", "en")
    ('+13.33 百分点', '0 m²', '')
    >>> gap_text(0.0, "%", "en", decimals=2), gap_text(0.004, "%", "zh", decimals=2)
    ('0 pp', '0 百分点')
    """
    if not is_number(gap):
        return ""
    places = figure_decimals(unit, gap) if decimals is None else decimals
    number = number_text(float(gap), places, signed=True)
    if float(number.replace(",", "")) == 0:  # met exactly (at the printed precision): 0
        number = "0"
    return _with_unit(number, gap_unit(unit), lang, with_unit)


class Figures(NamedTuple):
    """A record's value, target and gap as printed (each with its unit unless asked not)."""

    value: str
    target: str
    gap: str


def figures(record: Mapping[str, Any] | Any, lang: str, *, with_unit: bool = True) -> Figures:
    """Value, target and gap of one record (a dict or an ``IndicatorResult``) as printed.

    Examples
    --------
    >>> figures({"value": 1568269.37, "unit": "m²", "op": ">=", "target": 1620000.0,
    ...          "gap": 51730.63}, "zh")
    Figures(value='1,568,269 m²', target='≥ 1,620,000 m²', gap='+51,731 m²')
    """
    get = _getter(record)
    unit = get("unit") or None
    places = record_decimals(record)
    return Figures(value_text(get("value"), unit, lang, with_unit=with_unit, decimals=places),
                   target_text(get("op"), get("target"), unit, lang, with_unit=with_unit,
                               decimals=places),
                   gap_text(get("gap"), unit, lang, with_unit=with_unit, decimals=places))


def excel_format(unit: str | None, lang: str, decimals: int, *, gap: bool = False) -> str:
    """The spreadsheet number format that prints a figure as this module does.

    Values and targets have a unit column of their own: their format is the number only. A
    gap's format carries its sign and unit, as :func:`gap_text` prints it, and reads a zero
    gap ``0`` (its third section, whole); write the gap as :func:`excel_gap` gives it, so a
    gap that rounds to zero is that zero and not ``+0.00``.

    Parameters
    ----------
    unit : str or None
    lang : {"zh", "en"}
    decimals : int
        The record's (:func:`record_decimals`).
    gap : bool, keyword-only

    Examples
    --------
    >>> excel_format("m²", "zh", 0), excel_format("%", "en", 2, gap=True)
    ('#,##0', '+#,##0.00" pp";-#,##0.00" pp";#,##0" pp"')
    """
    number = "#,##0" + ("." + "0" * decimals if decimals else "")
    if not gap:
        return number
    shown = unit_label(gap_unit(unit), lang).replace('"', "")
    suffix = f'" {shown}"' if shown else ""
    return f"+{number}{suffix};-{number}{suffix};#,##0{suffix}"


def excel_gap(gap: float, decimals: int) -> float:
    """A gap as written to a spreadsheet cell: 0 when it rounds to zero at ``decimals``.

    A spreadsheet picks the section of :func:`excel_format` by the cell's value, before
    rounding: a gap of ``0.001`` would read ``+0.00``. Such a gap is written as 0 (the zero
    section: ``0``, as :func:`gap_text` prints it); any other gap is written as it is (CSV
    and JSON keep every gap's full value).

    Examples
    --------
    >>> excel_gap(0.004, 2), excel_gap(-0.4, 0), excel_gap(13.334, 2), excel_gap(-0.0, 2)
    (0.0, 0.0, 13.334, 0.0)
    """
    if float(f"{gap:.{decimals}f}") == 0:
        return 0.0
    return float(gap)
