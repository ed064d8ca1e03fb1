"""``peakmap site heating PROJECT [--max-km K]``: which old heating pipes to renew first.

Chooses the pipes older than the renewal age (HP-T4), leakiest per metre and oldest first
(:mod:`layers.heating_renewal`), prints them by street with what they save, records them as
the ``proposal`` scenario (``proposal__heating_renewal``, unless ``--no-apply``) and ends
with the before → after table of HP-15 and HP-T4 computed by the indicator engine (the same
figures as ``peakmap report PROJECT --scenario proposal --compare``).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layers.compare import compare, comparisons_to_table
from layers.heating_renewal import apply_renewal, propose_renewal
from layers.labels import value_label
from layers.messages import message_label
from layers.project import Project
from layers.sheets import frame_to_csv
from peakmap.console import Lang, lang_option, spinner
from peakmap.site_words import header

__all__ = ["HeatingFormat", "heating"]

WGS84 = "EPSG:4326"
MOVED = ["HP-15", "HP-T4"]  # the indicators a pipe renewal moves
TABLE_WIDTH = 200
STREET_COLUMNS = (
    ("street_name", "街道", "street", ""),
    ("n_pipes", "管段数", "pipes", ""),
    ("length_km", "长度", "length", "km"),
    ("saving_kw", "减少散热", "loss saved", "kW"),
)
PIPE_COLUMNS = (
    ("rank", "序号", "rank", ""),
    ("id", "管段编号", "pipe", ""),
    ("street_name", "街道", "street", ""),
    ("install_year", "敷设年份", "laid", ""),
    ("diameter_mm", "管径", "DN", "mm"),
    ("network", "级别", "level", ""),
    ("length_m", "长度", "length", "m"),
    ("loss_w_per_m", "现散热", "loss now", "W/m"),
    ("loss_after_w_per_m", "改造后", "renewed", "W/m"),
    ("saving_kw", "减少", "saved", "kW"),
)


class HeatingFormat(StrEnum):
    """Output formats of ``site heating``."""

    table = "table"
    csv = "csv"
    geojson = "geojson"


def _table(frame: object, columns: tuple[tuple[str, str, str, str], ...], title: str,
           lang: str) -> Table:
    """A table of ``frame``: headers and level words in ``lang`` only, units in brackets."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    table = Table(title=title, header_style="bold")
    for _, zh, en, unit in columns:
        table.add_column(header(zh, en, unit, lang), overflow="fold")
    for row in frame.itertuples(index=False):
        d = row._asdict()
        table.add_row(*["" if pd.isna(d.get(field)) else escape(
            value_label("heating_pipes", field, d.get(field), lang)
            if field == "network" else str(d.get(field))) for field, *_ in columns])
    return table


def heating(
    project: Annotated[Path, typer.Argument(help="项目目录 project directory")],
    max_km: Annotated[
        float | None,
        typer.Option("--max-km", help="改造长度上限 length budget, km [default: every old pipe]"),
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="report year (default: manifest or this year)")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="管段表行数 pipes listed")] = 20,
    fmt: Annotated[HeatingFormat, typer.Option("--format", help="output format")] = (
        HeatingFormat.table
    ),
    out: Annotated[Path | None, typer.Option("--out", help="write to this file")] = None,
    apply: Annotated[
        bool, typer.Option("--apply/--no-apply", help="写入方案 record as the proposal scenario")
    ] = True,
    lang: Annotated[Lang, lang_option("tables, messages and errors in zh or en")]
    = Lang.zh,
) -> None:
    """老旧供热管网改造：先改散热最大、最老的管段，按街道汇总 — pipes to renew, by street."""
    proj = Project(project)
    with spinner("供热管网改造排序 ranking pipes to renew"):
        outcome = propose_renewal(proj, year=year, max_km=max_km)
    proposal = outcome.proposal
    if fmt is HeatingFormat.geojson:
        text = proposal.to_crs(WGS84).to_json(ensure_ascii=False, drop_id=True)
        _write(text, out)
    elif fmt is HeatingFormat.csv:
        _write(frame_to_csv(proposal.drop(columns="geometry")), out)
    s = outcome.summary
    en = lang == "en"
    note = "not recorded (--no-apply)" if en else "未写入项目库（--no-apply）"
    pairs = []
    if apply:
        with spinner("写入方案 recording the proposal") as step:
            line = apply_renewal(proj, outcome)
            note = f"recorded: {line}" if en else f"已写入方案：{message_label(line, 'zh')}"
            step("方案前后指标 indicators now → with the proposal")
            pairs = [p for p in compare(proj, year=s["year"], ids=MOVED)
                     if p.level == "district"]
    wide = out is not None or not sys.stdout.isatty()
    console = Console(width=TABLE_WIDTH if wide else None,
                      stderr=fmt is not HeatingFormat.table, record=out is not None)
    if fmt is HeatingFormat.table:
        shown = min(top, len(proposal))
        console.print(_table(outcome.by_street, STREET_COLUMNS,
                             f"{'Pipe renewal' if en else '供热管网改造'} — {escape(proj.name)}"
                             f" — {s['year']}", lang.value))
        console.print(_table(proposal.head(top), PIPE_COLUMNS,
                             f"first {shown} pipes" if en else f"前 {shown} 段", lang.value))
    console.print(
        f"old pipes: {s['n_old']} ({s['old_km']:g} of {s['network_km']:g} km); renewed: "
        f"{s['n_new']} ({s['renew_km']:g} km), heat loss saved {s['saving_kw']:g} kW" if en
        else f"老旧管段：{s['n_old']} 段（{s['old_km']:g} / {s['network_km']:g} km）；改造："
        f"{s['n_new']} 段（{s['renew_km']:g} km），减少散热 {s['saving_kw']:g} kW",
        highlight=False, markup=False,
    )
    console.print(note, highlight=False, markup=False)
    if apply:
        console.print(comparisons_to_table(
            pairs, lang=lang.value, title="indicators before → after" if en else "指标变化"))
    if fmt is HeatingFormat.table and out is not None:
        out.write_text(console.export_text(), encoding="utf-8")


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
