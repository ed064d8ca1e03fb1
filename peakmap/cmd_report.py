"""``peakmap report PROJECT``: every plan indicator against its target, per zone."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gis import InputFileError
from layers.indicators.cache import cached_records
from layers.indicators.catalog import LEVELS
from layers.indicators.result import IndicatorResult
from layers.indicators.zones import missing_levels_note
from layers.project import Project
from layers.report import (
    LEVEL_LABELS,
    STATUS_LABELS,
    records_to_table,
    write_csv,
    write_json,
    write_records_csv,
    write_records_json,
    write_xlsx,
)
from layers.store.proposals import proposal_states
from peakmap.console import Lang, lang_option, plain_console, spinner
from web.i18n import sample_notice

# Columns of the table when it goes to a file or a pipe (a terminal sets its own width).
PIPE_WIDTH = 220


class Level(StrEnum):
    """Zone level of the report."""

    district = "district"
    street = "street"
    community = "community"
    all = "all"


class Format(StrEnum):
    """Output format."""

    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


def _select(
    records: list[IndicatorResult], level: Level | None, fmt: Format
) -> tuple[list[IndicatorResult], Level]:
    """Records of the chosen level (default: districts; every level for a workbook)."""
    if level is None:
        level = Level.all if fmt is Format.xlsx else Level.district
    if level is Level.all:
        return records, level
    return [r for r in records if r.level == level.value], level


def report(
    project: Annotated[Path, typer.Argument(help="项目目录 project directory")],
    more_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID", show_default=False, help="indicator ids, as with --id "
                       "(so --id HP-04 HP-18 works too)"),
    ] = None,
    level: Annotated[
        Level | None,
        typer.Option(
            "--level", help="区/街道/社区 zone level; all = every level (default: district; "
            "xlsx: all, one sheet per level)"
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="output format")] = Format.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="write to this file (xlsx needs it)")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="report year (default: manifest or this year)")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="apply a stored proposal, e.g. proposal")
    ] = None,
    lang: Annotated[Lang, lang_option("titles, words and errors in zh or en")] = Lang.zh,
    only: Annotated[
        list[str] | None,
        typer.Option("--id", help="only these indicator ids: --id HP-04 --id HP-18 or "
                     "--id HP-04,HP-18"),
    ] = None,
    explain_id: Annotated[
        str | None,
        typer.Option(
            "--explain", metavar="ID",
            help="where indicator ID is defined and computed, with the parameters in force",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", metavar="ADDRESS",
                     help="compute by district on Dask: tcp://host:8786 or local:N (default: "
                     "[params.compute] scheduler, else PEAKMAP_DASK_SCHEDULER, else here)"),
    ] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="现状 vs 方案 now vs the scenario, with the change "
                           "and status change (needs --scenario)")
    ] = False,
) -> None:
    """指标对照表：现状值、目标、差距、责任单位 — indicators against their targets."""
    proj = Project(project)
    if explain_id is not None:
        print_explanation(proj, explain_id)
        return
    warn_stale(proj, scenario)
    ids = split_ids([*(only or []), *(more_ids or [])])
    if compare:
        from peakmap.cmd_report_compare import report_compare

        report_compare(proj, scenario=scenario, level=None if level is None else level.value,
                       fmt=fmt.value, out=out, year=year, lang=lang.value, ids=ids or None)
        return
    with few_collections():
        _report(project, proj, ids, level=level, fmt=fmt, out=out, year=year, scenario=scenario,
                lang=lang, scheduler=scheduler)


@contextmanager
def few_collections() -> Iterator[None]:
    """Collect cyclic garbage rarely while one report is made (a command that then ends).

    CPython's collector re-scans every live container at each full collection: a city's
    report makes hundreds of thousands of records, rows and strings, and the collections
    took 2.7 s of 17 s CPU (full report, Heping ×10). The objects alive now (the modules
    imported) are frozen out of the scans and the first threshold raised: 0.4 s, with the
    same peak memory. The collector's state is restored afterwards.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _report(project: Path, proj: Project, ids: list[str], *, level: Level | None, fmt: Format,
            out: Path | None, year: int | None, scenario: str | None, lang: Lang,
            scheduler: str | None) -> None:
    """Compute (or read from the cache) and write the report: the body of :func:`report`."""
    with spinner("计算指标 computing indicators (cached per store version)"):
        records = cached_records(proj, year=year, scenario=scenario, ids=ids or None,
                                 scheduler=scheduler)
    unknown = [i for i in ids if not any(r.indicator == i for r in records)]
    if unknown:
        raise typer.BadParameter(
            f"no indicator {', '.join(unknown)} in {proj.targets_path.name} or its includes",
            param_hint="'--id'")
    chosen, level = _select(records, level, fmt)
    # a level the data lacks (the engine reports at the levels the project has): said once
    missing = missing_levels_note(
        [lv for lv in LEVELS if not any(r.level == lv for r in records)] if records else [])
    if missing and fmt is not Format.table:
        plain_console(stderr=True).print(missing)
    if fmt is Format.xlsx:
        if out is None:
            raise InputFileError("--format xlsx needs --out FILE.xlsx")
        with spinner(f"写入 writing {out.name}"):
            write_xlsx(chosen, out, lang=lang.value, project_name=proj.name,
                       notice=sample_notice(proj, lang.value))
    elif fmt is Format.pdf:
        if out is None:
            raise InputFileError("--format pdf needs --out FILE.pdf")
        with spinner(f"合规报告 PDF compliance report → {out.name}"):
            write_pdf(project, records, out, lang=lang.value, scenario=scenario)
    elif fmt is Format.csv:
        if out is None:
            write_records_csv(chosen, sys.stdout, lang=lang.value)
        else:
            write_csv(chosen, out, lang=lang.value)
    elif fmt is Format.json:
        if out is None:
            write_records_json(chosen, sys.stdout, lang=lang.value)
            sys.stdout.write("\n")
        else:
            write_json(chosen, out, lang=lang.value)
    else:
        wide = out is not None or not sys.stdout.isatty()
        console = plain_console(width=PIPE_WIDTH if wide else None, record=out is not None)
        label = LEVEL_LABELS[level.value][lang is Lang.en] if level is not Level.all else "all"
        title = f"{proj.name} — {label}"
        console.print(records_to_table(chosen, lang=lang.value, title=title))
        counts = {s: sum(r.status == s for r in chosen) for s in STATUS_LABELS}
        console.print(
            "  ".join(f"{STATUS_LABELS[s][lang is Lang.en]}: {n}" for s, n in counts.items()),
            highlight=False,
        )
        if missing:
            console.print(missing)
        if out is not None:
            out.write_text(console.export_text(), encoding="utf-8")
    if out is not None:
        plain_console(stderr=True).print(f"wrote {out}")


def write_pdf(project: Path, records: list[IndicatorResult], out: Path, *, lang: str,
              scenario: str | None) -> None:
    """Write the one-file PDF compliance report of ``records`` (every level) to ``out``."""
    from web.data import ProjectData
    from web.report_pdf import write_report_pdf
    from web.settings import WebSettings

    def computed(_proj: object, scenario: str | None = None) -> list[IndicatorResult]:
        return records

    data = ProjectData(project, records_fn=computed)
    write_report_pdf(data, out, lang=lang, settings=WebSettings(), scenario=scenario)


def print_explanation(proj: Project, ident: str) -> None:
    """Print where indicator ``ident`` is defined and computed, with its parameters in force."""
    from layers.indicators.catalog import read_catalog
    from layers.indicators.reference import explain

    catalog = read_catalog(proj.targets_path)
    text = explain(
        ident.strip(), catalog=catalog, manifest_params=proj.manifest.params, root=proj.root
    )
    sys.stdout.write(text + "\n")


def warn_stale(proj: Project, scenario: str | None) -> None:
    """Say on stderr which proposals and derived results are stale (one line each)."""
    store = proj.store
    if not store.exists():
        return
    meta = store.meta()
    lines = [f"note: {key} results are being recomputed ({reason})"
             for key, reason in meta.stale.items()]
    if scenario is not None:
        lines += [f"warning: {s.message()}" for s in proposal_states(meta) if s.stale]
    if lines:  # the console (and rich) only when there is something to say
        err = plain_console(stderr=True)
        for line in lines:
            err.print(line, highlight=False, markup=False, soft_wrap=True)


def split_ids(values: list[str] | None) -> list[str]:
    """Indicator ids from repeated and comma-separated ``--id`` values, in order, once each.

    Examples
    --------
    >>> split_ids(["HP-04,HP-18", " HP-T1 ", "HP-04"])
    ['HP-04', 'HP-18', 'HP-T1']
    >>> split_ids(None)
    []
    """
    out: list[str] = []
    for value in values or []:
        for part in value.replace("，", ",").split(","):
            ident = part.strip()
            if ident and ident not in out:
                out.append(ident)
    return out


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(report)
