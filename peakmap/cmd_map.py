"""``peakmap map PROJECT ID --out FILE.pdf|png``: a printable A4 map.

``ID`` is an indicator id (``--level street|community``, ``--scenario proposal``) or one of
the other maps: ``layers``, ``gaps`` (``--compare``: now | with the proposal), ``pv``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gis import InputFileError
from layers.report import atomic_path
from peakmap.console import lang_option, spinner


class MapLevel(StrEnum):
    """Zones of the map."""

    street = "street"
    community = "community"


class MapLang(StrEnum):
    """Language of the map's text."""

    zh = "zh"
    en = "en"


def map_command(
    project: Annotated[Path, typer.Argument(help="项目目录 project directory")],
    indicator: Annotated[str, typer.Argument(
        metavar="ID", help="indicator id (e.g. HP-18), or layers, gaps, pv")],
    out: Annotated[Path, typer.Option("--out", help="FILE.pdf or FILE.png (A4 landscape)")],
    level: Annotated[MapLevel, typer.Option("--level", help="街道/社区 zones")] = MapLevel.street,
    lang: Annotated[MapLang, lang_option("text and errors in zh or en")] = MapLang.zh,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="apply a stored proposal, e.g. proposal")
    ] = None,
    compare: Annotated[bool, typer.Option(
        "--compare", help="gaps: now | with the proposal side by side")] = False,
) -> None:
    """地图导出 — an indicator's map or the layers/gaps/pv map, ready to print."""
    from layers.indicators.cache import cached_records
    from web.data import ProjectData
    from web.exports import indicator_map_file
    from web.exports_maps import MAP_KINDS
    from web.settings import WebSettings

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise InputFileError(f"{out}: the map is written as .pdf or .png")
    ident = indicator.strip()
    if ident.lower() in MAP_KINDS:
        from web.exports_maps import map_file

        with spinner(f"地图 map {ident.lower()} → {out.name}"):
            body = map_file(ProjectData(project), ident.lower(), lang=lang.value, fmt=fmt,
                            compare=compare)
        _write(out, body)
        return
    if compare:
        raise InputFileError("--compare is for the gaps map; for an indicator use "
                             "--scenario proposal (same classes as the map now)")

    def only_this(proj: Any, scenario: str | None = None) -> list[Any]:
        # from the results cache `peakmap build` leaves (else this one indicator alone)
        return list(cached_records(proj, ids=[ident], scenario=scenario))

    data = ProjectData(project, records_fn=only_this)
    with spinner(f"地图 map {ident} → {out.name}"):
        body = indicator_map_file(data, ident, level=level.value, lang=lang.value, fmt=fmt,
                                  settings=WebSettings(), scenario=scenario)
    _write(out, body)


def _write(out: Path, body: bytes) -> None:
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        fh.write(body)
    Console(stderr=True).print(f"wrote {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``map`` command to ``app``."""
    app.command("map")(map_command)
