"""Writers of indicator results: terminal table, JSON, CSV and the annex-style XLSX.

Every writer takes the records of :func:`layers.indicators.engine.compute_records` and keeps
the record fields of architecture.md. Chinese comes first; ``lang="en"`` switches titles and
headers to English. Files are written to a temporary name and then moved into place, so an
interrupted export never leaves half a file.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from layers.labels import (
    EXPORT_COLUMNS,
    LEVEL_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    export_record,
    responsible_label,
)
from layers.numfmt import figures
from layers.report_format import atomic_file, atomic_path
from layers.sheets import write_csv_rows

if TYPE_CHECKING:
    from rich.table import Table

    from layers.indicators.engine import IndicatorResult

__all__ = [
    "LEVEL_LABELS",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "atomic_path",
    "records_to_json",
    "records_to_table",
    "write_csv",
    "write_json",
    "write_records_csv",
    "write_records_json",
    "write_xlsx",
]

STATUS_STYLE = {"pass": "green", "fail": "bold red", "no-target": "cyan", "no-data": "yellow"}




def _label(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


# the C encoder with the separators of ``indent=2`` inside a row (json.dumps with an indent
# runs Python's pure encoder: seconds for a city's records); allow_nan=False: a NaN or an
# infinity raises, and the rows are then cleaned to null
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                                separators=(",\n    ", ": "))


def _rows_json(rows: list[dict[str, Any]]) -> str | None:
    r"""``json.dumps(rows, ensure_ascii=False, indent=2)``, byte for byte, or None.

    None when a row is empty or holds a list, an object or a float that is not finite. Rows
    are encoded at once by the C encoder with the row's separator
    ``",\n    "``; the separators between rows and around each row are then set to those
    of ``indent=2``. An encoded string never holds a raw newline (it is written ``\n``),
    so the newlines found are the separators'.
    """
    if not rows:
        return "[]"
    if not all(rows):  # an empty object is written "{}" by indent=2
        return None
    try:
        text = _ROW_ENCODER.encode(rows)
    except ValueError:  # NaN or infinity
        return None
    if '": [' in text or '": {' in text:  # a list or an object as a value (or a text with
        return None  # these characters in it, ``\": [``: then the slow way, to be sure)
    inner = text[2:-2].replace("},\n    {", "\n  },\n  {\n    ")
    return "[\n  {\n    " + inner + "\n  }\n]"


def records_to_json(records: Iterable[IndicatorResult], *, indent: int | None = 2,
                    lang: str = "zh") -> str:
    """Return the records as a JSON list of objects (UTF-8 text, NaN written as null).

    Each object holds the record's fields, ``note`` and ``detail`` in plain Chinese, then
    ``note_en``, ``detail_en`` and ``status_label``, ``source_label``, ``note_label`` in
    ``lang`` (:func:`layers.labels.export_record`), as ``/api/indicators``.

    Parameters
    ----------
    records : iterable of IndicatorResult
    indent : int or None
    lang : {"zh", "en"}

    Returns
    -------
    str
        The text of ``json.dumps(rows, ensure_ascii=False, indent=indent)``; with
        ``indent=2`` it is made by the C encoder (:func:`write_records_json`).
    """
    if indent != 2:
        rows = [{k: _json_safe(v) for k, v in row.items()} for row in _label_rows(records, lang)]
        return json.dumps(rows, ensure_ascii=False, indent=indent)
    out = io.StringIO()
    write_records_json(records, out, lang=lang)
    return out.getvalue()


def _label_rows(records: Iterable[IndicatorResult], lang: str) -> Iterator[dict[str, Any]]:
    for r in records:
        yield export_record(r.as_dict(), lang)


# rows encoded at once: the text of one batch is held, not the whole report's (a city's
# report is ~100 MB of text: three copies of it were a quarter of the command's peak memory)
JSON_BATCH = 2000


def write_records_json(records: Iterable[IndicatorResult], fh: TextIO, *,
                       lang: str = "zh") -> None:
    """Write :func:`records_to_json` (``indent=2``) to an open text file, batch by batch.

    The text is that of ``json.dumps(rows, ensure_ascii=False, indent=2)``, byte for byte,
    without a final newline; each batch of :data:`JSON_BATCH` rows is encoded by the C
    encoder (:func:`_rows_json`), or by Python's where that cannot.

    Parameters
    ----------
    records : iterable of IndicatorResult
    fh : text file
    lang : {"zh", "en"}
    """
    rows = _label_rows(records, lang)
    first = True
    while batch := list(itertools.islice(rows, JSON_BATCH)):
        text = _rows_json(batch)
        if text is None:
            batch = [{k: _json_safe(v) for k, v in row.items()} for row in batch]
            text = _rows_json(batch)
        if text is None:
            text = json.dumps(batch, ensure_ascii=False, indent=2)
        # "[\n  {...},\n  {...}\n]": the items of this batch are text[2:-2]
        fh.write(("[\n" if first else ",\n") + text[2:-2])
        first = False
    fh.write("[]" if first else "\n]")


def write_json(records: Sequence[IndicatorResult], path: Path, *, lang: str = "zh") -> None:
    """Write :func:`records_to_json` to ``path`` (atomically)."""
    with atomic_file(Path(path)) as fh:
        write_records_json(records, fh, lang=lang)
        fh.write("\n")


def write_csv(records: Sequence[IndicatorResult], path: Path, *, lang: str = "zh") -> None:
    """Write the records as CSV, one column per record field (UTF-8 with BOM for Excel).

    The codes (``status``, ``source``) are followed by their words in ``lang``:
    ``status_label``, ``source_label``; ``note`` and ``detail`` are plain Chinese, with
    ``note_en`` and ``detail_en`` in English and ``note_label`` in ``lang``
    (:func:`layers.labels.export_record`).

    Text cells that a spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``)
    are neutralised by :func:`layers.sheets.csv_cell`.

    Parameters
    ----------
    records : sequence of IndicatorResult
    path : pathlib.Path
    lang : {"zh", "en"}
    """
    with atomic_file(Path(path), newline="") as fh:
        write_records_csv(records, fh, lang=lang)


def write_records_csv(records: Sequence[IndicatorResult], fh: TextIO, *,
                      lang: str = "zh") -> None:
    """Write the CSV of the records to an open text file (``newline=""``): header + rows.

    Parameters
    ----------
    records : sequence of IndicatorResult
    fh : text file
    lang : {"zh", "en"}
        Language of the label columns.
    """
    from layers.indicators.engine import IndicatorResult

    fields = [*IndicatorResult.__dataclass_fields__, *EXPORT_COLUMNS]
    rows = (export_record(r.as_dict(), lang) for r in records)
    write_csv_rows(fh, fields, rows)


def write_xlsx(
    records: Sequence[IndicatorResult],
    path: Path,
    *,
    lang: str = "zh",
    project_name: str | None = None,
    notice: str | None = None,
) -> None:
    """Write the annex-style workbook a planner prints and hands on.

    See :func:`layers.annex_xlsx.write_annex_xlsx`: one sheet per level (区 / 街道 / 社区)
    with a title row, merged group and indicator cells, numeric targets with unit columns and
    print setup, a street matrix sheet and a notes sheet.

    Parameters
    ----------
    records : sequence of IndicatorResult
    path : pathlib.Path
    lang : {"zh", "en"}
    project_name : str, optional
        Shown in the title rows.
    notice : str, optional
        The sample-data notice, shown under the titles.
    """
    from layers.annex_xlsx import write_annex_xlsx

    write_annex_xlsx(records, path, lang=lang, project_name=project_name, notice=notice)


def records_to_table(
    records: Sequence[IndicatorResult], *, lang: str = "zh", title: str | None = None
) -> Table:
    """A rich table of the records: titles, zone, value, target, gap, department, status.

    Value, target and gap are printed with their units as on the dashboard
    (:func:`layers.numfmt.figures`). Pass rows are green, fail rows red, no-data yellow.

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
    from rich.text import Text

    en = lang == "en"
    heads = (
        ("Id", "Indicator", "Zone", "Value", "Target", "Gap", "By", "Responsible", "Status",
         "Source")
        if en
        else ("编号", "指标", "区域", "现状值", "目标", "差距", "截止", "责任单位", "状态", "来源")
    )
    caption = (
        "Gap > 0: not met yet (target − value for ≥ targets, value − target for ≤ targets; "
        "percentage points for shares)"
        if en
        else "差距 > 0 表示尚未达标（≥ 目标：目标 − 现状；≤ 目标：现状 − 目标；占比的差距为百分点）"
    )
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    right = {3, 4, 5}
    for i, head in enumerate(heads):
        table.add_column(head, justify="right" if i in right else "left",
                         overflow="fold", no_wrap=i in (0, 8))
    for r in records:
        style = STATUS_STYLE.get(r.status, "")
        shown = figures(r, lang)
        table.add_row(
            r.indicator,
            (r.title_en or r.title) if en else r.title,
            r.zone_name,
            shown.value,
            shown.target,
            shown.gap,
            "" if r.deadline is None else str(r.deadline),
            responsible_label(r, lang),
            Text(_label(STATUS_LABELS, r.status, lang), style=style) if style else r.status,
            _label(SOURCE_LABELS, r.source, lang),
        )
    return table
