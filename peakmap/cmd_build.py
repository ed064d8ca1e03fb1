"""``peakmap build PROJECT``: raw files → ``PROJECT/build/peakmap.gpkg``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gis import PeakmapError
from layers.build import BuildError, BuildReport, build_project
from layers.build_chunks import DEFAULT_CHUNK_SIZE
from peakmap.console import error_text, plain_console


def _short_crs(name: str) -> str:
    return name.removeprefix("EPSG:")


def summary_table(report: BuildReport) -> Table:
    """The per-layer summary a planner reads after a build (fits 80 columns)."""
    table = Table(
        title=f"构建结果 Build summary: {report.store.name}, metric CRS {report.metric_crs}",
        caption="读取/修复/丢弃/入库 = features read / repaired / dropped / stored; "
        "CRS as EPSG codes where they have one",
    )
    for col, justify in (
        ("图层 layer", "left"), ("来源 source", "left"), ("读取", "right"),
        ("修复", "right"), ("丢弃", "right"), ("入库", "right"), ("CRS", "left"),
    ):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for r in report.layers:
        table.add_row(
            r.name, Path(r.source).name, f"{r.features_read:,}", str(r.repaired),
            str(r.dropped), f"{r.features_stored:,}" if r.features_stored else "-",
            f"{_short_crs(r.crs_in)}→{_short_crs(r.crs_out)}",
        )
    return table


def build(
    project: Annotated[Path, typer.Argument(help="项目目录 project directory")],
    strict: Annotated[
        bool, typer.Option("--strict", help="refuse invalid geometries instead of repairing them")
    ] = False,
    steps: Annotated[
        bool,
        typer.Option("--steps/--no-steps", help="run the analyses after ingest (PV, coverage)"),
    ] = True,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", metavar="ADDRESS",
                     help="compute the indicators by district on Dask: tcp://host:8786 or "
                     "local:N (default: [params.compute] scheduler, else "
                     "PEAKMAP_DASK_SCHEDULER, else here)"),
    ] = None,
    chunk_size: Annotated[
        int,
        typer.Option("--chunk-size", min=0,
                     help="features read, checked and written at a time from a layer of any "
                     "format when [project] metric_crs is declared "
                     f"(bounds the memory of a city; 0 = whole layers; default "
                     f"{DEFAULT_CHUNK_SIZE:,})"),
    ] = DEFAULT_CHUNK_SIZE,
) -> None:
    """读取原始数据、校验、统一坐标系并写入项目库 — build the project store."""
    console = plain_console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task("building", total=None)

        def on_layer(name: str) -> None:
            progress.update(task, description=f"构建 building: {name}")

        try:
            report = build_project(project, strict=strict, run_steps=steps, on_layer=on_layer,
                                   chunk_size=chunk_size or None)
            if steps:
                on_layer("indicators")
                report.steps.append(_warm_indicators(project, scheduler))
        except BuildError as e:
            progress.stop()
            for line in e.errors:
                console.print(error_text(line), soft_wrap=True)
            console.print(
                f"build failed: {len(e.errors)} problem(s); the store is unchanged", style="red"
            )
            raise typer.Exit(1) from e
    console.print(summary_table(report))
    for r in report.layers:
        for note in r.notes:
            console.print(f"  {r.name}: {note}")
    for line in report.steps:
        console.print(f"  {line}")


def _warm_indicators(project: Path, scheduler: str | None = None) -> str:
    """Compute the indicators of the new store once and keep them beside it."""
    from layers.indicators.cache import cached_records
    from layers.project import Project

    try:
        records = cached_records(Project(project), scheduler=scheduler)
    except PeakmapError as e:
        return f"indicators: not computed ({e})"
    return f"indicators: {len(records):,} results computed and cached (build/cache)"


def register(app: typer.Typer) -> None:
    """Add the ``build`` command to ``app``."""
    app.command("build")(build)
