"""``peakmap report PROJECT --scenario proposal --compare``: now vs the proposal, per zone.

Columns: indicator, zone, unit, target, value now, value with the proposal, change
(proposal − now) and status change, as a table, JSON, CSV or XLSX (:mod:`layers.compare`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from gis import InputFileError
from layers.compare import (
    CHANGE_LABELS,
    compare,
    comparisons_to_json,
    comparisons_to_table,
    count_newly_met,
    write_comparison_csv,
    write_comparison_json,
    write_comparison_xlsx,
)
from layers.project import Project
from layers.report import LEVEL_LABELS
from peakmap.console import spinner

__all__ = ["report_compare"]

PIPE_WIDTH = 220


def report_compare(
    project: Project, *, scenario: str | None, level: str | None, fmt: str,
    out: Path | None, year: int | None, lang: str, ids: list[str] | None,
) -> None:
    """Print or write the now-vs-scenario comparison (see the module docstring).

    Raises
    ------
    InputFileError
        No scenario was given, or an XLSX without ``--out``.
    """
    if not scenario:
        raise InputFileError("--compare needs --scenario proposal (what to compare with)")
    if fmt == "xlsx" and out is None:
        raise InputFileError("--format xlsx needs --out FILE.xlsx")
    with spinner("现状 vs 方案 computing now and with the proposal"):
        pairs = compare(project, year=year, scenario=scenario, ids=ids)
    chosen_level = level or ("all" if fmt == "xlsx" else "district")
    if chosen_level != "all":
        pairs = [p for p in pairs if p.level == chosen_level]
    en = lang == "en"
    if fmt == "xlsx":
        assert out is not None
        write_comparison_xlsx(pairs, out, lang=lang)
    elif fmt == "csv":
        if out is None:
            write_comparison_csv(pairs, stream=sys.stdout, lang=lang)
        else:
            write_comparison_csv(pairs, out, lang=lang)
    elif fmt == "json":
        if out is None:
            sys.stdout.write(comparisons_to_json(pairs, lang=lang) + "\n")
        else:
            write_comparison_json(pairs, out, lang=lang)
    else:
        wide = out is not None or not sys.stdout.isatty()
        console = Console(width=PIPE_WIDTH if wide else None, record=out is not None)
        label = (LEVEL_LABELS[chosen_level][en] if chosen_level in LEVEL_LABELS else "all")
        vs = "now vs " + scenario if en else f"现状 vs 方案（{scenario}）"
        console.print(comparisons_to_table(
            pairs, lang=lang, title=f"{escape(project.name)} — {label} — {escape(vs)}"))
        newly = count_newly_met(pairs)
        console.print(f"{CHANGE_LABELS['newly-met'][en]}: {newly}", highlight=False)
        if out is not None:
            out.write_text(console.export_text(), encoding="utf-8")
    if out is not None:
        Console(stderr=True).print(f"wrote {out}", highlight=False)
