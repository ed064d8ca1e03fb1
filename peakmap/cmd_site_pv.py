"""``peakmap site pv PROJECT --top N [--class C]``: the roofs that should get PV first.

Ranks the roofs of a project built with a DSM by annual PV yield (``pv_kwh_year``, computed
by :mod:`layers.rooftop_pv`), optionally within one NEA building class, and prints a table
(Chinese first), CSV or GeoJSON (WGS84).
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layers.project import Project
from layers.rooftop_pv import NEA_CLASSES, OTHER_CLASS, rank_roofs
from layers.sheets import frame_to_csv

__all__ = ["PvFormat", "pv"]

WGS84 = "EPSG:4326"
TABLE_WIDTH = 160
# Columns of the table: field, Chinese and English header, unit, decimals.
COLUMNS = (
    ("rank", "序号", "rank", "", 0),
    ("id", "建筑编号", "building", "", -1),
    ("nea_class", "类别", "NEA class", "", -1),
    ("roof_area_m2", "屋顶面积", "roof area", "m²", 0),
    ("pv_suitable_area_m2", "适宜面积", "suitable area", "m²", 0),
    ("pv_kwp", "可装容量", "installable", "kWp", 1),
    ("pv_kwh_year", "年发电量", "annual yield", "kWh/yr", 0),
    ("pv_specific_yield", "单位容量发电量", "specific yield", "kWh/kWp", 0),
)


class PvFormat(StrEnum):
    """Output formats of ``site pv``."""

    table = "table"
    csv = "csv"
    geojson = "geojson"


def _class_label(cls: str) -> str:
    zh, en, share = NEA_CLASSES.get(cls, ("其他", "other", 0.0))
    return f"{zh} {en}" + (f" (≥ {share:g} %)" if share else "")


def pv(
    project: Annotated[Path, typer.Argument(help="项目目录 project directory")],
    top: Annotated[int, typer.Option("--top", min=1, help="屋顶数 number of roofs")] = 20,
    nea_class: Annotated[
        str | None,
        typer.Option(
            "--class",
            help="国家能源局试点类别 NEA class: "
            + ", ".join((*NEA_CLASSES, OTHER_CLASS)),
        ),
    ] = None,
    format: Annotated[
        PvFormat, typer.Option("--format", help="table (中文表格), csv or geojson (WGS84)")
    ] = PvFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="write to this file instead of standard output")
    ] = None,
) -> None:
    """屋顶光伏优先排序 — rank roofs by annual PV yield (computed from the DSM)."""
    proj = Project(project)
    ranked = rank_roofs(proj, top=top, nea_class=nea_class)
    fmt = PvFormat(format)
    if fmt is PvFormat.geojson:
        text = ranked.to_crs(WGS84).to_json(drop_id=True, ensure_ascii=False)
    elif fmt is PvFormat.csv:
        text = frame_to_csv(ranked.drop(columns=ranked.geometry.name))
    else:
        title = "屋顶光伏潜力排序 Rooftop PV ranking" + (
            f" — {_class_label(nea_class)}" if nea_class else ""
        )
        table = Table(
            title=title,
            caption=escape(
                "计算值 computed from the DSM. 年发电量 = 可装容量 × 年辐照量 × 系统效率; "
                "yield = installable kWp × annual irradiation × performance ratio "
                "(parameters: [params.pv] of project.toml)"
            ),
        )
        for _, zh, en, unit, _ in COLUMNS:
            table.add_column(f"{zh}\n{en}" + (f" ({unit})" if unit else ""), justify="right")
        for _, row in ranked.iterrows():
            cells = []
            for field, *_, decimals in COLUMNS:
                value = row.get(field)
                if field == "nea_class":
                    value = f"{NEA_CLASSES.get(str(value), ('其他',))[0]} {value}"
                cell = str(value) if decimals < 0 else f"{float(value):,.{decimals}f}"
                cells.append(escape(cell))
            table.add_row(*cells)
        console = Console(record=True, width=TABLE_WIDTH, file=io.StringIO())
        console.print(table)
        text = console.export_text()
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{len(ranked)} roofs → {out}")
