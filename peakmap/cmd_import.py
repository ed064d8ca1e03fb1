"""``peakmap import osm EXTRACT --boundary FILE --out PROJECT``: a project from OpenStreetMap."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from layers.messages import message_label
from layers.osm_import import import_osm
from peakmap.console import Lang, lang_option, plain_console

__all__ = ["osm", "register"]

import_app = typer.Typer(
    help="导入外部数据建立项目 — bootstrap a project from outside data.", no_args_is_help=True
)


@import_app.command("osm")
def osm(
    extract: Annotated[Path, typer.Argument(help="OpenStreetMap extract (.osm.pbf)")],
    boundary: Annotated[
        Path, typer.Option("--boundary", help="区界 the district boundary (any vector file)")
    ],
    out: Annotated[Path, typer.Option("--out", help="项目目录 project directory to write")],
    name: Annotated[str | None, typer.Option("--name", help="district name")] = None,
    code: Annotated[str | None, typer.Option("--code", help="district code, e.g. 120101")] = None,
    boundary_crs: Annotated[
        str | None, typer.Option("--boundary-crs", help="CRS of a boundary file that has none")
    ] = None,
    lang: Annotated[Lang, lang_option()] = Lang.zh,
) -> None:
    """从 OpenStreetMap 数据建立项目 — write a project from an OSM extract and a boundary."""
    result = import_osm(
        extract, boundary, out, name=name, code=code, boundary_crs=boundary_crs
    )
    console = plain_console(soft_wrap=True)  # a note (its ids) is never cut into lines
    en = lang is Lang.en
    console.print(f"wrote {result.out} from {extract.name} (© OpenStreetMap contributors, ODbL)"
                  if en else
                  f"已由 {extract.name} 写出 {result.out}（© OpenStreetMap 贡献者，ODbL）")
    for layer, n in result.counts.items():
        console.print(f"  {layer}: {n:,} features" if en else f"  {layer}：{n:,} 个要素")
    for note in result.notes:
        console.print(f"  note: {note}" if en else f"  注：{message_label(note, 'zh')}")
    console.print(f"next: peakmap build {result.out}; the tag mapping is in {result.out}/SOURCE.md"
                  if en else
                  f"下一步：peakmap build {result.out}；标签对应关系见 {result.out}/SOURCE.md")


def register(app: typer.Typer) -> None:
    """Add the ``import`` command group to ``app``."""
    app.add_typer(import_app, name="import")
