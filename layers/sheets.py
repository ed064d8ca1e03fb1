"""Spreadsheet-safe cells: the one place where CSV and XLSX writers make text inert.

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(and some treat a leading tab or carriage return the same way), so a zone or facility named
``=HYPERLINK("http://…")`` or ``=cmd|' /C calc'!A0`` would become a live formula in the
exported table (CSV injection, OWASP). Every CSV and XLSX writer of peakmap — the report
(CLI and API), the site and roof tables — writes its cells through this module:

- CSV: such a text cell gets a leading apostrophe (``'=HYPERLINK(…)``), which every
  spreadsheet shows as text; numbers are written as they are (``-3.5`` stays a number).
- XLSX: every text cell is stored as a string cell (openpyxl would otherwise store a text
  beginning with ``=`` as a formula and ``#N/A`` as an error), with Excel's "quote prefix"
  set on the dangerous ones, so the text is kept unchanged and stays text when edited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd
    from openpyxl.cell.cell import Cell

__all__ = [
    "FORMULA_TRIGGERS",
    "csv_cell",
    "frame_to_csv",
    "is_formula_like",
    "set_cell",
    "write_csv_rows",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a text cell as a formula (OWASP list)."""

QUOTE = "'"


def is_formula_like(value: Any) -> bool:
    """Whether ``value`` is text a spreadsheet could run as a formula.

    Examples
    --------
    >>> is_formula_like("=1+1"), is_formula_like("-x"), is_formula_like("和平区")
    (True, True, False)
    >>> is_formula_like(-3)
    False
    """
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_cell(value: Any) -> Any:
    """The CSV form of one cell: None → empty, formula-like text → apostrophe first.

    Examples
    --------
    >>> csv_cell("=1+1"), csv_cell(None), csv_cell(-2.5), csv_cell("@SUM(A1)")
    ("'=1+1", '', -2.5, "'@SUM(A1)")
    """
    if value is None:
        return ""
    if is_formula_like(value):
        return QUOTE + value
    return value


def write_csv_rows(
    fh: TextIO, fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]
) -> None:
    """Write a header and ``rows`` (mappings by field name) as CSV with every cell made safe.

    Parameters
    ----------
    fh : text file
        Opened with ``newline=""``.
    fieldnames : sequence of str
        Column order; header cells are made safe too.
    rows : iterable of mapping
        Missing keys are written empty.
    """
    writer = csv.writer(fh)
    writer.writerow([csv_cell(name) for name in fieldnames])
    for row in rows:
        writer.writerow([csv_cell(row.get(name)) for name in fieldnames])


def frame_to_csv(frame: pd.DataFrame) -> str:
    """A DataFrame as CSV text (no index), with every text cell made safe.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    str
    """
    buffer = io.StringIO(newline="")
    columns = [str(c) for c in frame.columns]
    records = (
        {name: (None if _missing(v) else v) for name, v in zip(columns, values, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    )
    write_csv_rows(buffer, columns, records)
    return buffer.getvalue()


def _missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN and NA are not equal to themselves
    except (TypeError, ValueError):
        return False


def set_cell(cell: Cell, value: Any) -> Cell:
    """Put ``value`` into an openpyxl ``cell``; text is always stored as a string cell.

    Parameters
    ----------
    cell : openpyxl.cell.cell.Cell
    value : Any
        Numbers, booleans, dates and None are stored as they are.

    Returns
    -------
    openpyxl.cell.cell.Cell
        The same cell.
    """
    cell.value = value
    if isinstance(value, str) and value:
        cell.data_type = "s"  # not "f" (formula) nor "e" (error) as openpyxl would infer
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell
