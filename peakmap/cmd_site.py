"""``peakmap site recycling|transfer|pocket-parks|pv PROJECT``: where the missing sites go.

Each command chooses new sites with :mod:`layers.siting`, prints a table (Chinese first) or
GeoJSON (WGS84, every candidate with ``selected`` and what it covers) to standard output or
``--out``, and records the proposal in the store as the ``proposal`` scenario (unless
``--no-apply``), so that ``peakmap report PROJECT --scenario proposal`` shows the indicators
after the change.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from layers.project import Project
from layers.siting import (
    SOURCE_LABELS,
    SitingOutcome,
    apply_proposal,
    site_pocket_parks,
    site_recycling,
    site_transfer,
    siting_params,
)

__all__ = ["register", "site_app"]

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
    OutputFormat, typer.Option("--format", help="table (中文表格) or geojson (WGS84)")
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

_SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    # key: (中文 label, unit / definition)
    "model": ("模型 model", ""),
    "objective": (
        "目标值 objective", "新增站点数、覆盖量或加权距离 sites, covered amount or weighted m"
    ),
    "mip_gap": ("最优性间隙 MIP gap", "相对值 relative; 0 = 已证明最优 proven optimal"),
    "solve_time_s": ("求解时间 solve time", "s"),
    "status": ("求解状态 status", ""),
    "distance": ("距离 distance", "straight 直线 / walk 步行路网"),
    "radius_m": ("服务半径 radius", "m"),
    "min_per_community": ("每社区最少 min per community", "个 points (0 = 关闭 off)"),
    "capacity_households": ("单点容量 capacity", "户 households (0 = 关闭 off)"),
    "n_candidates": ("候选点 candidates", "个 (不含现状 excluding existing)"),
    "n_existing": ("现状站点 existing", "个"),
    "n_new": ("新增 new sites", "个"),
    "n_demand": ("居住建筑 residential buildings", "栋"),
    "households": ("户数 households", "户"),
    "coverage_before_pct": ("覆盖率（现状）coverage now", "%，半径内户数或居住用地面积占比"),
    "coverage_after_pct": ("覆盖率（方案）coverage with proposal", "%"),
    "communities_without_point_before": ("无回收点社区（现状）communities without", "个"),
    "communities_without_point_after": ("无回收点社区（方案）with proposal", "个"),
    "streets_without_station_before": ("无中转站街道（现状）streets without", "个"),
    "streets_without_station_after": ("无中转站街道（方案）with proposal", "个"),
    "parks_there": ("现有及规划口袋公园 parks there", "个"),
    "residential_m2": ("居住用地 residential land", "m²"),
    "newly_covered_m2": ("新增覆盖居住用地 newly covered", "m²"),
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _summary_table(outcome: SitingOutcome, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("项目 item")
    table.add_column("数值 value", justify="right")
    table.add_column("单位/定义 unit / definition")
    for key, value in outcome.summary.items():
        if key not in _SUMMARY_LABELS:
            continue
        label, unit = _SUMMARY_LABELS[key]
        table.add_row(label, escape(_fmt(value)), unit)
    table.caption = "计算值 computed by peakmap (not reported statistics)"
    return table


def _sites_table(outcome: SitingOutcome) -> Table:
    new = outcome.candidates[outcome.candidates["new"]]
    table = Table(title="新增站点 proposed sites", title_justify="left")
    cols = ["编号 id", "来源 source", "社区/街道 zone"]
    if outcome.kind == "pocket-parks":
        cols += ["面积 area m²", "新增覆盖 newly covered m²"]
    elif outcome.kind == "transfer":
        cols += ["服务户数 households", "户均距离 mean distance m"]
    else:
        cols += ["覆盖户数 households in range", "服务户数 households served"]
    cols += ["X", "Y"]
    for i, c in enumerate(cols):
        # ids and coordinates must stay whole; the text columns may wrap.
        whole = i == 0 or c in ("X", "Y")
        table.add_column(c, overflow="fold", no_wrap=whole, min_width=11 if i == 0 else None)
    pts = new.geometry.representative_point()
    for (_, row), p in zip(new.iterrows(), pts, strict=True):
        zone = row.get("community_code") or row.get("street_code") or ""
        values = [str(row["proposal_id"]), SOURCE_LABELS.get(row["source"], row["source"]),
                  str(zone or "")]
        if outcome.kind == "pocket-parks":
            values += [_fmt(row["area_m2"]), _fmt(row["newly_covered_m2"])]
        elif outcome.kind == "transfer":
            values += [_fmt(row["serves_households"]), _fmt(row["mean_distance_m"])]
        else:
            values += [_fmt(row["covers_households"]), _fmt(row["serves_households"])]
        values += [f"{p.x:.0f}", f"{p.y:.0f}"]
        table.add_row(*[escape(v) for v in values])
    return table


def _geojson(outcome: SitingOutcome) -> str:
    frame = outcome.candidates.to_crs(WGS84)
    data = json.loads(frame.to_json(na="null", drop_id=True))
    data["peakmap"] = {"kind": outcome.kind, "crs": WGS84, "summary": outcome.summary}
    return json.dumps(data, ensure_ascii=False, default=str)


def _emit(
    outcome: SitingOutcome, *, fmt: OutputFormat, out: Path | None, title: str, note: str | None
) -> None:
    if fmt is OutputFormat.geojson:
        text = _geojson(outcome)
        if out is None:
            typer.echo(text)
        else:
            out.write_text(text, encoding="utf-8")
        if note:
            Console(stderr=True).print(note, highlight=False, markup=False)
        return
    if out is None:
        console = Console()
        _print(console, outcome, title, note)
        return
    with out.open("w", encoding="utf-8") as fh:
        _print(Console(file=fh, width=160), outcome, title, note)


def _print(console: Console, outcome: SitingOutcome, title: str, note: str | None) -> None:
    console.print(_summary_table(outcome, title))
    if len(outcome.proposal):
        console.print(_sites_table(outcome))
    if note:
        console.print(note, highlight=False, markup=False)


def _finish(project: Project, outcome: SitingOutcome, *, apply: bool) -> str | None:
    if not apply:
        return "未写入项目库 not recorded (--no-apply)"
    line = apply_proposal(project, outcome)
    return f"已写入方案 recorded: {line}; 'peakmap report PROJECT --scenario proposal'"


@site_app.command("recycling")
def recycling(
    project: ProjectArg,
    radius: Annotated[
        float | None, typer.Option("--radius", help="服务半径 service radius, m [default 300]")
    ] = None,
    distance: Annotated[
        Distance | None, typer.Option("--distance", help="straight (直线) or walk (步行路网)")
    ] = None,
    min_per_community: Annotated[
        int | None,
        typer.Option("--min-per-community", help="每社区最少回收点 N per community (0 = off)"),
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
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
) -> None:
    """新增社区回收点：最少点数覆盖全部居住建筑 — fewest new points covering every home."""
    proj = Project(project)
    params = siting_params(proj, {
        "radius_m": radius, "distance": None if distance is None else distance.value,
        "min_per_community": min_per_community, "capacity_households": capacity,
        "budget": budget, "time_limit_s": time_limit,
    })
    outcome = site_recycling(proj, params)
    note = _finish(proj, outcome, apply=apply)
    _emit(outcome, fmt=fmt, out=out, title=f"回收点选址 Recycling points — {proj.name}", note=note)


@site_app.command("transfer")
def transfer(
    project: ProjectArg,
    distance: Annotated[
        Distance | None, typer.Option("--distance", help="straight (直线) or walk (步行路网)")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
) -> None:
    """每个缺少中转站的街道新增一处，户加权距离最小 — a transfer station per street lacking one."""
    proj = Project(project)
    params = siting_params(proj, {
        "distance": None if distance is None else distance.value, "time_limit_s": time_limit,
    })
    outcome = site_transfer(proj, params)
    note = _finish(proj, outcome, apply=apply)
    _emit(outcome, fmt=fmt, out=out, title=f"中转站选址 Transfer stations — {proj.name}", note=note)


@site_app.command("pocket-parks")
def pocket_parks(
    project: ProjectArg,
    count: Annotated[
        int | None,
        typer.Option(
            "--count", help="新增数量 parks to add [default: target 20 minus parks there]"
        ),
    ] = None,
    radius: Annotated[
        float | None, typer.Option("--radius", help="覆盖半径 radius, m [default 300]")
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    apply: ApplyOpt = True,
    time_limit: TimeOpt = None,
) -> None:
    """口袋公园选址：最大化新增覆盖的居住用地 — pocket parks covering the most uncovered homes."""
    proj = Project(project)
    params = siting_params(proj, {"pocket_park_radius_m": radius, "time_limit_s": time_limit})
    outcome = site_pocket_parks(proj, params, count=count)
    note = _finish(proj, outcome, apply=apply)
    _emit(outcome, fmt=fmt, out=out, title=f"口袋公园选址 Pocket parks — {proj.name}", note=note)


def register(app: typer.Typer) -> None:
    """Add the ``site`` command group (and ``site pv`` when the PV module exists) to ``app``."""
    if importlib.util.find_spec("peakmap.cmd_site_pv") is not None:
        pv = importlib.import_module("peakmap.cmd_site_pv").pv
        site_app.command("pv")(pv)
    if importlib.util.find_spec("peakmap.cmd_site_heating") is not None:
        heating = importlib.import_module("peakmap.cmd_site_heating").heating
        site_app.command("heating")(heating)
    app.add_typer(site_app, name="site")
