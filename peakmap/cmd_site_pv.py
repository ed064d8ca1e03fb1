"""``peakmap site pv PROJECT``: the roofs that should get PV first, and the potential per zone.

Ranks the roofs of a project built with a DSM by annual PV yield (``pv_kwp`` and
``pv_kwh_year`` from :mod:`layers.rooftop_pv`), leaving out roofs already fitted and historic
buildings unless asked (:mod:`layers.rooftop_pv_plan`), optionally within one NEA class or
TJ-PV50's denominator. Each roof says where it is (street, community, WGS84 and GCJ-02
coordinates). With ``--by street|community`` it prints the potential per zone instead (kWp,
MWh/yr, tCO₂/yr). Output: a table (in ``--lang``, one language a cell), CSV or GeoJSON (WGS84).
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layers.labels import value_label
from layers.project import Project
from layers.rooftop_pv import NEA_CLASSES, OTHER_CLASS
from layers.rooftop_pv_plan import emission_note, potential_by_zone, rank_roofs
from layers.sheets import frame_to_csv
from peakmap.console import Lang, lang_option, spinner
from peakmap.site_words import header

__all__ = ["PvFormat", "cell_text", "class_label", "pv"]

WGS84 = "EPSG:4326"
TABLE_WIDTH = 200
FLAG_LABELS = (("tj_pv50", ("TJ-PV50", "TJ-PV50")), ("has_pv", ("已装光伏", "has PV")),
               ("historic", ("历史建筑", "historic")))
# Columns of the roof table: field, Chinese and English header, unit, decimals (-1 = text).
COLUMNS = (
    ("rank", "序号", "rank", "", 0),
    ("id", "建筑编号", "building", "", -1),
    ("nea_class", "类别", "NEA class", "", -1),
    ("street_name", "街道", "street", "", -1),
    ("community_name", "社区", "community", "", -1),
    ("wgs84", "经纬度 WGS84", "lon, lat WGS84", "", -1),
    ("gcj02", "经纬度 GCJ-02", "lon, lat GCJ-02", "", -1),
    ("flags", "标记", "flags", "", -1),
    ("roof_area_m2", "屋顶面积", "roof area", "m²", 0),
    ("pv_suitable_area_m2", "适宜面积", "suitable area", "m²", 0),
    ("pv_layout", "布置", "layout", "", -1),
    ("pv_kwp", "可装容量", "installable", "kWp", 1),
    ("pv_kwh_year", "年发电量", "annual yield", "kWh/yr", 0),
    ("pv_specific_yield", "单位容量发电量", "specific yield", "kWh/kWp", 0),
)
ZONE_COLUMNS = (
    ("code", "代码", "code", "", -1),
    ("name", "名称", "name", "", -1),
    ("street_name", "街道", "street", "", -1),
    ("roofs", "建筑数", "roofs", "", 0),
    ("roofs_with_pv", "已装光伏", "with PV", "", 0),
    ("historic_roofs", "历史建筑", "historic", "", 0),
    ("roofs_to_fit", "待装屋顶", "roofs to fit", "", 0),
    ("suitable_area_m2", "适宜面积", "suitable area", "m²", 0),
    ("kwp", "可装容量", "installable", "kWp", 0),
    ("mwh_year", "年发电量", "annual yield", "MWh/yr", 0),
    ("tco2_year", "年减排", "CO₂ avoided", "tCO₂/yr", 0),
)
class PvFormat(StrEnum):
    """Output formats of ``site pv``."""

    table = "table"
    csv = "csv"
    geojson = "geojson"


class ZoneLevel(StrEnum):
    """Levels of ``site pv --by``."""

    street = "street"
    community = "community"


def class_label(cls: str, lang: str = "zh") -> str:
    """An NEA class in ``lang``, with its pilot's minimum share.

    Parameters
    ----------
    cls : str
        A key of :data:`layers.rooftop_pv.NEA_CLASSES` (or ``other``).
    lang : {"zh", "en"}

    Returns
    -------
    str
        E.g. ``"学校、医院等公共建筑（≥ 40 %）"`` or, in English, ``"Schools, hospitals and
        other public buildings (≥ 40 %)"``; no share for ``other``.
    """
    share = NEA_CLASSES.get(cls, ("", "", 0.0))[2]
    words = value_label("buildings", "nea_class", cls, lang)
    if not share:
        return words
    return words + (f" (≥ {share:g} %)" if lang == "en" else f"（≥ {share:g} %）")


def _with_display_columns(ranked: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Coordinates as ``lon, lat`` pairs and the flags in one column, for the table."""
    out = ranked.copy()
    for crs in ("wgs84", "gcj02"):
        out[crs] = [f"{x:.6f}, {y:.6f}" for x, y in zip(out[f"lon_{crs}"], out[f"lat_{crs}"],
                                                          strict=True)]
    out["flags"] = [
        " · ".join(words[lang == "en"] for field, words in FLAG_LABELS if bool(row[field]))
        for _, row in out.iterrows()
    ]
    return out


def cell_text(field: str, value: Any, decimals: int, lang: str = "zh") -> str:
    """One cell of the roof or zone table, in one language.

    Parameters
    ----------
    field : str
        The column: ``nea_class`` and ``pv_layout`` show their words in ``lang``.
    value : object
        The value (None or NaN: empty text, or ``—`` for a number).
    decimals : int
        Decimal places of a number, with thousands separators; ``-1`` for text.
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    if field in ("nea_class", "pv_layout"):
        if value is None or str(value) == "":
            return ""
        return value_label("buildings", field, value, lang)
    if decimals < 0:
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.{decimals}f}"


def _table(
    frame: pd.DataFrame, columns: tuple[tuple[str, str, str, str, int], ...], title: str,
    caption: str, lang: str,
) -> str:
    table = Table(title=title, caption=escape(caption))
    cols = [c for c in columns if c[0] in frame.columns]
    for _, zh, en, unit, _ in cols:
        table.add_column(header(zh, en, unit, lang), justify="right")
    for _, row in frame.iterrows():
        table.add_row(*(escape(cell_text(f, row.get(f), d, lang)) for f, *_, d in cols))
    console = Console(record=True, width=TABLE_WIDTH, file=io.StringIO())
    console.print(table)
    return console.export_text()


def _rounded(frame: pd.DataFrame, columns: tuple[tuple[str, str, str, str, int], ...]) -> Any:
    out = frame.copy()
    for field, *_, decimals in columns:
        if field in out.columns and decimals >= 0:
            out[field] = pd.to_numeric(out[field], errors="coerce").round(decimals)
    return out


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
    tj_pv50: Annotated[
        bool,
        typer.Option("--tj-pv50", help="只列 TJ-PV50 统计范围内的建筑 only TJ-PV50's buildings"),
    ] = False,
    with_existing: Annotated[
        bool, typer.Option("--with-existing", help="包括已装光伏的屋顶 keep roofs already fitted")
    ] = False,
    with_historic: Annotated[
        bool, typer.Option("--with-historic", help="包括历史建筑 keep historic buildings")
    ] = False,
    by: Annotated[
        ZoneLevel | None,
        typer.Option("--by", help="按街道或社区汇总潜力 potential per street or community"),
    ] = None,
    format: Annotated[
        PvFormat, typer.Option("--format", help="table (表格, in --lang), csv or geojson (WGS84)")
    ] = PvFormat.table,
    out: Annotated[
        Path | None, typer.Option("--out", help="write to this file instead of standard output")
    ] = None,
    lang: Annotated[Lang, lang_option("tables, messages and errors in zh or en")]
    = Lang.zh,
) -> None:
    """屋顶光伏优先排序 — rank roofs by annual PV yield, or sum the potential per zone."""
    proj = Project(project)
    fmt = PvFormat(format)
    note = emission_note(proj, lang.value)
    en = lang is Lang.en
    if by is not None:
        with spinner(f"屋顶光伏潜力汇总 PV potential per {ZoneLevel(by).value}"):
            zones = _rounded(potential_by_zone(proj, level=ZoneLevel(by).value), ZONE_COLUMNS)
        if fmt is PvFormat.geojson:
            raise typer.BadParameter("--by gives a table: use --format table or csv")
        if fmt is PvFormat.csv:
            text = frame_to_csv(zones)
        else:
            level_zh = "街道" if by == ZoneLevel.street else "社区"
            text = _table(
                zones, ZONE_COLUMNS,
                f"Rooftop PV potential per {ZoneLevel(by).value}" if en
                else f"屋顶光伏潜力（按{level_zh}）",
                ("computed: suitable roofs without PV, not historic; " if en
                 else "计算值：未装光伏、非历史建筑的适宜屋顶；") + note, lang.value,
            )
        count = len(zones)
    else:
        with spinner("屋顶光伏排序 ranking roofs by annual yield"):
            ranked = rank_roofs(proj, top=top, nea_class=nea_class, tj_pv50_only=tj_pv50,
                                include_existing=with_existing, include_historic=with_historic)
        if fmt is PvFormat.geojson:
            text = ranked.to_crs(WGS84).to_json(drop_id=True, ensure_ascii=False)
        elif fmt is PvFormat.csv:
            text = frame_to_csv(_rounded(ranked.drop(columns=ranked.geometry.name), COLUMNS))
        else:
            title = ("Rooftop PV ranking" if en else "屋顶光伏潜力排序") + (
                f" — {class_label(nea_class, lang.value)}" if nea_class else ""
            ) + (" — TJ-PV50" if tj_pv50 else "")
            caption = (
                "computed from the DSM. yield = installable kWp × annual irradiation × "
                "performance ratio (parameters: [params.pv] of project.toml); "
                + ("" if with_existing else "roofs with PV left out; ")
                + ("" if with_historic else "historic buildings left out; ")
            ) if en else (
                "计算值，由 DSM 计算。年发电量 = 可装容量 × 年辐照量 × 系统效率"
                "（参数：project.toml 的 [params.pv]）；"
                + ("" if with_existing else "不含已装光伏屋顶；")
                + ("" if with_historic else "不含历史建筑；")
            )
            text = _table(_with_display_columns(ranked, lang.value), COLUMNS, title,
                          caption + note, lang.value)
        count = len(ranked)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        what = (("个区域", "zones") if by is not None else ("个屋顶", "roofs"))[en]
        typer.echo(f"{count} {what} → {out}")
