"""``peakmap map PROJECT ID --level street --out FILE.pdf|png``: one indicator's printable map."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from gis._errors import InputFileError
from layers.report import atomic_path


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
    indicator: Annotated[str, typer.Argument(metavar="ID", help="indicator id, e.g. HP-18")],
    out: Annotated[Path, typer.Option("--out", help="FILE.pdf or FILE.png (A4 landscape)")],
    level: Annotated[MapLevel, typer.Option("--level", help="街道/社区 zones")] = MapLevel.street,
    lang: Annotated[MapLang, typer.Option("--lang", help="text in zh or en")] = MapLang.zh,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="apply a stored proposal, e.g. proposal")
    ] = None,
) -> None:
    """指标地图导出 — one indicator's map with legend, scale bar, north arrow and source."""
    from layers.indicators.engine import compute_records
    from web.data import ProjectData
    from web.exports import indicator_map_file
    from web.settings import WebSettings

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise InputFileError(f"{out}: the map is written as .pdf or .png")
    ident = indicator.strip()

    def only_this(proj: Any, scenario: str | None = None) -> list[Any]:
        return list(compute_records(proj, ids=[ident], scenario=scenario))

    data = ProjectData(project, records_fn=only_this)
    body = indicator_map_file(data, ident, level=level.value, lang=lang.value, fmt=fmt,
                              settings=WebSettings(), scenario=scenario)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        fh.write(body)
    Console(stderr=True).print(f"wrote {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``map`` command to ``app``."""
    app.command("map")(map_command)
