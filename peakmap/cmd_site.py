"""``peakmap site recycling|transfer|pocket-parks|pv PROJECT``: where the missing sites go.

Each command chooses new sites with :mod:`layers.siting`, prints a table (in ``--lang``) or
GeoJSON (WGS84, every candidate with ``selected`` and what it covers) to standard output or
``--out``, and records the proposal in the store as the ``proposal`` scenario (unless
``--no-apply``), so that ``peakmap report PROJECT --scenario proposal`` shows the indicators
after the change. ``site export``/``site import`` round-trip a proposal through GeoJSON and
``site move`` moves one proposed site; each prints the before → after table.
"""

from __future__ import annotations

import json
import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gis.crs import wgs84_to_gcj02
from layers.compare import Comparison, compare, comparisons_to_table
from layers.labels import note_label, value_label
from layers.messages import message_label
from layers.project import Project
from layers.scenario import merge_proposal
from layers.siting import (
    SitingOutcome,
    apply_proposal,
    export_proposal,
    import_proposal,
    move_site,
    parse_position,
    site_pocket_parks,
    site_recycling,
    site_transfer,
    siting_params,
)
from peakmap.cmd_site_heating import heating
from peakmap.cmd_site_pv import pv
from peakmap.console import Lang, lang_option, spinner
from peakmap.site_words import summary_row, summary_value, word

__all__ = ["MESSAGES", "register", "say", "site_app"]

#: Characters per line of a table written to a file or a pipe.
WIDE = 160
#: GeoJSON output CRS (web maps, GIS exchange).
WGS84 = "EPSG:4326"

site_app = typer.Typer(
    name="site",
    help="选址：新增回收点、中转站、口袋公园 — siting of new recycling points, transfer "
    "stations and pocket parks.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    """Output formats of the siting commands."""

    table = "table"
    geojson = "geojson"


class Distance(StrEnum):
    """Distance measures."""

    straight = "straight"
    walk = "walk"


ProjectArg = Annotated[Path, typer.Argument(help="项目目录 project directory")]
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", help="table (表格, in --lang) or geojson (WGS84)")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="write to this file instead of standard output")
]
ApplyOpt = Annotated[
    bool,
    typer.Option(
        "--apply/--no-apply",
        help="record the proposal in the store (scenario 'proposal') / only show it",
    ),
]
TimeOpt = Annotated[
    float | None, typer.Option("--time-limit", help="solver time limit in seconds")
]
LangOpt = Annotated[Lang, lang_option("tables, messages and errors in zh or en")]

# The lines the siting commands print, (中文, English), formatted with their fields.
MESSAGES: dict[str, tuple[str, str]] = {
    "recorded": ("已写入方案：{line}；查看：'peakmap report PROJECT --scenario proposal'",
                 "recorded: {line}; see 'peakmap report PROJECT --scenario proposal'"),
    "not_recorded": ("未写入项目库（--no-apply）：表中“方案”为预览",
                     "not recorded (--no-apply): the proposal in the table is a preview"),
    "demand": ("需求：{text}", "demand: {text}"),
    "exported": ("{n} 个方案要素已导出：{out}", "{n} proposed features exported: {out}"),
    "imported": ("已导入方案：proposal__{layer} 中 {n} 个要素",
                 "imported: {n} features in proposal__{layer}"),
    "moved": ("已移动：{site} → {position}（proposal__{layer} 中 {n} 个要素）",
              "moved: {site} → {position} ({n} features in proposal__{layer})"),
    "id_stays": ("编号 {site} 不变：重新选址时 'peakmap site {command} PROJECT --fix {site}' "
                 "保留于新位置，'--drop {site}' 排除它及其原候选点",
                 "the id stays {site}: in a later run, 'peakmap site {command} PROJECT --fix "
                 "{site}' keeps it at the new place, '--drop {site}' leaves it and the "
                 "candidate it came from out"),
    "change_title": ("方案前后指标（指标引擎计算，同 peakmap report --scenario proposal）",
                     "indicators now → with the proposal (indicator engine, as peakmap report "
                     "--scenario proposal)"),
}
# The spinners (transient, on stderr) say both, as every command's do.
COMPARING = "方案前后指标 indicators now → with the proposal"
RECORDING = "写入方案 recording the proposal"


def say(key: str, lang: str, **fields: Any) -> str:
    """Line ``key`` of :data:`MESSAGES` in ``lang``, with ``fields`` filled in.

    Examples
    --------
    >>> say("exported", "zh", n=3, out="p.geojson"), say("exported", "en", n=3, out="p.geojson")
    ('3 个方案要素已导出：p.geojson', '3 proposed features exported: p.geojson')
    """
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh).format(**fields)

def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _summary_table(outcome: SitingOutcome, title: str, lang: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(word("item", lang))
    table.add_column(word("value", lang), justify="right")
    table.add_column(word("unit", lang))
    for key, value in outcome.summary.items():
        row = summary_row(key, lang)
        if row is None:
            continue
        label, unit = row
        table.add_row(label, escape(_fmt(summary_value(key, value, lang))), unit)
    table.caption = word("computed", lang)
    return table


def _zone_names(project: Project) -> tuple[dict[str, str], dict[str, str]]:
    """Names of communities and streets by code (empty when the store lacks them)."""
    out = []
    for layer in ("communities", "streets"):
        if project.store.has(layer):
            frame = project.store.read(layer)
            out.append(dict(zip(frame["code"].astype(str), frame["name"].astype(str),
                                strict=True)))
        else:
            out.append({})
    return out[0], out[1]


def _lonlat(points: gpd.GeoSeries) -> tuple[Any, Any, Any, Any]:
    """WGS84 and GCJ-02 longitude/latitude of metric points (for Amap/Baidu look-ups)."""
    wgs = points.to_crs(WGS84)
    lon, lat = wgs.x.to_numpy(), wgs.y.to_numpy()
    glon, glat = wgs84_to_gcj02(lon, lat)
    return lon, lat, glon, glat


def _whole(value: Any) -> str:
    """A count or area rounded to a whole number with thousands separators."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(number) else f"{number:,.0f}"


def _sites_table(project: Project, outcome: SitingOutcome, lang: str) -> Table:
    new = outcome.candidates[outcome.candidates["new"]]
    table = Table(title=word("sites", lang), title_justify="left")
    keys = ["id", "source", "street", "community"]
    if outcome.kind == "pocket-parks":
        keys += ["area", "radius", "newly_covered"]
    elif outcome.kind == "transfer":
        keys += ["households", "mean_distance"]
    else:
        keys += ["in_range", "served"]
    keys += ["wgs84", "gcj02"]
    for i, key in enumerate(keys):
        # ids and numbers must stay whole; the names may wrap.
        text = key in keys[1:4]
        table.add_column(word(key, lang), overflow="fold", no_wrap=not text,
                         min_width=10 if text else None,
                         justify="left" if i < 4 or key in ("wgs84", "gcj02") else "right")
    communities, streets = _zone_names(project)
    pts = new.geometry.representative_point()
    lon, lat, glon, glat = _lonlat(pts) if len(new) else ([], [], [], [])
    for k, (_, row) in enumerate(new.iterrows()):
        comm = str(row.get("community_code") or "")
        street = str(row.get("street_code") or "")
        source = value_label("proposals", "source", row["source"], lang)
        if bool(row.get("fixed_by_planner", False)):
            source += word("fixed", lang)
        values = [
            str(row["proposal_id"]), source,
            streets.get(street, street) or "-", communities.get(comm, comm) or "-",
        ]
        if outcome.kind == "pocket-parks":
            values += [_whole(row["area_m2"]), _whole(row["radius_m"]),
                       _whole(row["covers_uncovered_m2"])]
        elif outcome.kind == "transfer":
            values += [_whole(row["serves_households"]), _whole(row["mean_distance_m"])]
        else:
            values += [_whole(row["covers_households"]), _whole(row["serves_households"])]
        values += [f"{lon[k]:.6f}, {lat[k]:.6f}", f"{glon[k]:.6f}, {glat[k]:.6f}"]
        table.add_row(*[escape(v) for v in values])
    table.caption = word("where", lang)
    return table


def _change_table(pairs: list[Comparison], lang: str) -> Table:
    """The before → after table of a run (district level), as ``report --compare`` shows it."""
    table = comparisons_to_table(pairs, lang=lang, title=say("change_title", lang))
    table.title_justify = "left"
    return table


def _geojson(outcome: SitingOutcome) -> str:
    frame = outcome.candidates.to_crs(WGS84)
    data = json.loads(frame.to_json(na="null", drop_id=True))
    data["peakmap"] = {"kind": outcome.kind, "crs": WGS84, "summary": outcome.summary}
    return json.dumps(data, ensure_ascii=False, default=str)




def _emit(
    project: Project, outcome: SitingOutcome, *, fmt: OutputFormat, out: Path | None,
    title: str, note: str | None, changes: list[Comparison], lang: str,
) -> None:
    if fmt is OutputFormat.geojson:
        text = _geojson(outcome)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text, encoding="utf-8")
        console = Console(stderr=True)
        console.print(_change_table(changes, lang))
        if note:
            console.print(note, highlight=False, markup=False)
        return
    if out is None:
        # A pipe or file gets a wide page; a terminal keeps its own width.
        console = Console() if sys.stdout.isatty() else Console(width=WIDE)
        _print(console, project, outcome, title, note, changes, lang)
        return
    with out.open("w", encoding="utf-8") as fh:
        _print(Console(file=fh, width=WIDE), project, outcome, title, note, changes, lang)


def _print(
    console: Console, project: Project, outcome: SitingOutcome, title: str,
    note: str | None, changes: list[Comparison], lang: str,
) -> None:
    console.print(_summary_table(outcome, title, lang))
    demand = outcome.summary.get("demand_note")
    if demand:
        console.print(say("demand", lang, text=note_label(demand, lang)),
                      highlight=False, markup=False)
    if len(outcome.proposal):
        console.print(_sites_table(project, outcome, lang))
    console.print(_change_table(changes, lang))
    if note:
        console.print(note, highlight=False, markup=False)


def _finish(
    project: Project, outcome: SitingOutcome, *, apply: bool, fmt: OutputFormat,
    out: Path | None, title: str, lang: str,
) -> None:
    """Record (or preview) the proposal, then print it with its before → after table."""
    layers = [outcome.layer]
    with spinner(COMPARING) as step:
        if apply:
            step(RECORDING)
            line = apply_proposal(project, outcome)
            note = say("recorded", lang, line=message_label(line, lang))
            step(COMPARING)
            changes = compare(project, layers=layers, levels=["district"])
        else:
            note = say("not_recorded", lang)
            preview = merge_proposal(
                project, outcome.layer, outcome.proposal, replace_kinds=outcome.replace_kinds
            )
            changes = compare(
                project, layers=layers, levels=["district"], proposals={outcome.layer: preview}
            )
    _emit(project, outcome, fmt=fmt, out=out, title=title, note=note, changes=changes,
          lang=lang)


IndicatorOpt = Annotated[
    str | None,
    typer.Option("--indicator", help="所服务的覆盖率指标 the coverage row served (catalog id)"),
]
FixOpt = Annotated[
    list[str] | None,
    typer.Option("--fix", help="保留/指定站点 keep this candidate or proposed site (repeatable)"),
]
DropOpt = Annotated[
    list[str] | None,
    typer.Option("--drop", help="排除站点 leave this candidate or proposed site out (repeatable)"),
]


@site_app.command("recycling")
def recycling(
    project: ProjectArg,
    indicator: IndicatorOpt = None,
    distance: Annotated[
        Distance | None,
        typer.Option("--distance", help="straight (直线) or walk (步行路网: the -walk row)"),
    ] = None,
    min_per_community: Annotated[
        int | None,
        typer.Option(
            "--min-per-community",
            help="每社区最少回收点 N per community [default: the HP-T2 row's, 1] (0 = off)",
        ),
    ] = None,
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="单点最多服务户数 households per point (0 = off)"),
    ] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget", help="固定新增数量，最大化覆盖户数 fixed number (0 = minimum cover)"
        ),
    ] = None,
    fix: FixOpt = None,
    drop: DropOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """新增社区回收点：服务 STD-RECYCLE-300 与 HP-T2 — fewest new points covering every home."""
    proj = Project(project)
    params = siting_params(proj, {
        "distance": None if distance is None else distance.value,
        "min_per_community": min_per_community,
        "capacity_households": capacity, "budget": budget, "time_limit_s": time_limit,
    })
    with spinner("回收点选址模型 siting model: recycling points"):
        outcome = site_recycling(proj, params, indicator=indicator, fix=fix or (), drop=drop or ())
    _finish(proj, outcome, apply=apply, fmt=fmt, out=out,
            title=f"{word('recycling', lang.value)} — {escape(proj.name)}",
            lang=lang.value)


@site_app.command("transfer")
def transfer(
    project: ProjectArg,
    indicator: IndicatorOpt = None,
    distance: Annotated[
        Distance | None, typer.Option("--distance", help="straight (直线) or walk (步行路网)")
    ] = None,
    fix: FixOpt = None,
    drop: DropOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """每个缺少中转站的街道新增一处（HP-T3），户加权距离最小 — a station per street lacking one."""
    proj = Project(project)
    params = siting_params(proj, {
        "distance": None if distance is None else distance.value, "time_limit_s": time_limit,
    })
    with spinner("中转站选址模型 siting model: transfer stations"):
        outcome = site_transfer(proj, params, indicator=indicator, fix=fix or (), drop=drop or ())
    _finish(proj, outcome, apply=apply, fmt=fmt, out=out,
            title=f"{word('transfer', lang.value)} — {escape(proj.name)}",
            lang=lang.value)


@site_app.command("pocket-parks")
def pocket_parks(
    project: ProjectArg,
    count: Annotated[
        int | None,
        typer.Option(
            "--count", help="新增数量 parks to add [default: HP-T1 target 20 minus parks there]"
        ),
    ] = None,
    indicator: IndicatorOpt = None,
    fix: FixOpt = None,
    drop: DropOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """口袋公园选址：服务 STD-PARK-500，最大化新增覆盖居住用地 — parks covering uncovered homes."""
    proj = Project(project)
    params = siting_params(proj, {"time_limit_s": time_limit})
    with spinner("口袋公园选址模型 siting model: pocket parks"):
        outcome = site_pocket_parks(
            proj, params, count=count, indicator=indicator, fix=fix or (), drop=drop or ()
        )
    _finish(proj, outcome, apply=apply, fmt=fmt, out=out,
            title=f"{word('pocket-parks', lang.value)} — {escape(proj.name)}",
            lang=lang.value)


class ProposalLayer(StrEnum):
    """Layers a proposal can be exported from and imported into."""

    recycling_points = "recycling_points"
    pocket_parks = "pocket_parks"


LayerOpt = Annotated[ProposalLayer, typer.Option("--layer", help="方案图层 proposal layer")]


@site_app.command("export")
def export(
    project: ProjectArg,
    layer: LayerOpt,
    out: Annotated[Path, typer.Option("--out", help="GeoJSON file (WGS84) to write")],
    lang: LangOpt = Lang.zh,
) -> None:
    """导出方案图层（GeoJSON，WGS84）供编辑 — export a proposal layer for editing."""
    proj = Project(project)
    n = export_proposal(proj, layer.value, out)
    Console().print(say("exported", lang, n=n, out=out), highlight=False, markup=False)


@site_app.command("import")
def import_(
    project: ProjectArg,
    layer: LayerOpt,
    path: Annotated[Path, typer.Argument(help="编辑后的 GeoJSON edited GeoJSON file")],
    lang: LangOpt = Lang.zh,
) -> None:
    """导入编辑后的方案（移动、删除、新增要素），并重算指标 — import an edited proposal."""
    proj = Project(project)
    with spinner(f"导入方案 importing proposal__{layer.value}") as step:
        stored = import_proposal(proj, layer.value, path)
        step(COMPARING)
        changes = compare(proj, layers=[layer.value], levels=["district"])
    console = Console()
    console.print(say("imported", lang, n=len(stored), layer=layer.value), highlight=False,
                  markup=False)
    console.print(_change_table(changes, lang))


@site_app.command("move")
def move(
    project: ProjectArg,
    site_id: Annotated[str, typer.Argument(help="方案站点编号 proposed site id, e.g. PR-RC-0001")],
    position: Annotated[
        str, typer.Argument(help="新位置 new place: LON,LAT (WGS84, as on the map)")
    ],
    xy: Annotated[
        bool, typer.Option("--xy", help="位置为项目坐标系 X,Y（米）/ POSITION is X,Y in the "
                           "project CRS (metres)")
    ] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """移动一个方案站点并重算指标 — move one proposed site and recompute the scenario.

    The place is checked with the siting model's candidate rules (inside the project area,
    not on water, spacing to existing points); a refused place changes nothing.
    """
    proj = Project(project)
    x, y = parse_position(position)
    crs = proj.store.crs.to_string() if xy else WGS84
    with spinner(f"移动方案站点 moving {site_id}") as step:
        layer, stored = move_site(proj, site_id, x, y, crs=crs)
        step(COMPARING)
        changes = compare(proj, layers=[layer], levels=["district"])
    console = Console() if sys.stdout.isatty() else Console(width=WIDE)
    console.print(say("moved", lang, site=site_id, position=position, n=len(stored),
                      layer=layer), highlight=False, markup=False)
    command = "pocket-parks" if layer == "pocket_parks" else (
        "transfer" if str(site_id).startswith("PR-TS-") else "recycling")
    console.print(say("id_stays", lang, site=site_id, command=command),
                  highlight=False, markup=False, soft_wrap=True)
    console.print(_change_table(changes, lang))


def register(app: typer.Typer) -> None:
    """Add the ``site`` command group (with ``site pv`` and ``site heating``) to ``app``."""
    site_app.command("pv")(pv)
    site_app.command("heating")(heating)
    app.add_typer(site_app, name="site")
