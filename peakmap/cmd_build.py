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
from peakmap.console import Lang, error_text, lang_option, plain_console


def _short_crs(name: str) -> str:
    return name.removeprefix("EPSG:")


# The summary table's words: (Chinese, English).
_TABLE_TEXT: dict[str, tuple[str, str]] = {
    "title": ("构建结果：{store}，米制坐标系 {crs}", "Build summary: {store}, metric CRS {crs}"),
    "caption": ("读取/修复/丢弃/入库 = 要素数；坐标系尽量写作 EPSG 代码",
                "read / repaired / dropped / stored = features; CRS as EPSG codes where they "
                "have one"),
    "layer": ("图层", "layer"), "source": ("来源", "source"), "read": ("读取", "read"),
    "repaired": ("修复", "repaired"), "dropped": ("丢弃", "dropped"),
    "stored": ("入库", "stored"), "crs": ("坐标系", "CRS"),
    "building": ("构建", "building"),
    "failed": ("构建失败：{n} 个问题；项目库未改动",
               "build failed: {n} problem(s); the store is unchanged"),
}


def _text(key: str, lang: str, **values: object) -> str:
    zh, en = _TABLE_TEXT[key]
    return (en if lang == "en" else zh).format(**values)


def _layer_name(name: str, lang: str) -> str:
    """A layer as the table names it: ``buildings`` in English, ``建筑 buildings`` in Chinese."""
    from layers.schema import CANONICAL

    spec = CANONICAL.get(name)
    return f"{spec.title_zh} {name}" if lang == "zh" and spec is not None else name


def summary_table(report: BuildReport, lang: str = "zh") -> Table:
    """The per-layer summary a planner reads after a build (fits 80 columns), in ``lang``."""
    table = Table(
        title=_text("title", lang, store=report.store.name, crs=report.metric_crs),
        caption=_text("caption", lang),
    )
    for col, justify in (
        ("layer", "left"), ("source", "left"), ("read", "right"),
        ("repaired", "right"), ("dropped", "right"), ("stored", "right"), ("crs", "left"),
    ):
        table.add_column(_text(col, lang), justify=justify,  # type: ignore[arg-type]
                         overflow="fold")
    for r in report.layers:
        table.add_row(
            _layer_name(r.name, lang), Path(r.source).name, f"{r.features_read:,}",
            str(r.repaired), str(r.dropped),
            f"{r.features_stored:,}" if r.features_stored else "-",
            f"{_short_crs(r.crs_in)}→{_short_crs(r.crs_out)}",
        )
    return table


def note_lines(report: BuildReport, lang: str = "zh") -> list[str]:
    """The build's notes and step summaries, one line each, in ``lang``.

    Layer notes are translated by :func:`layers.messages.message_label`, step summaries
    (bilingual, :func:`layers.build.step_line`) shown by :func:`layers.labels.note_label`.
    """
    from layers.labels import note_label
    from layers.messages import message_label

    lines: list[str] = []
    for r in report.layers:
        head = _layer_name(r.name, lang) + (": " if lang == "en" else "：")
        lines.extend(head + message_label(note, lang) for note in r.notes)
    lines.extend(note_label(line, lang) for line in report.steps)
    return lines


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
    lang: Annotated[Lang, lang_option("summary, notes and errors in zh or en")] = Lang.zh,
) -> None:
    """读取原始数据、校验、统一坐标系并写入项目库 — build the project store."""
    from layers.messages import message_label

    console = plain_console()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        task = progress.add_task(_text("building", lang), total=None)

        def on_layer(name: str) -> None:
            progress.update(task, description=f"{_text('building', lang)}: {name}")

        try:
            report = build_project(project, strict=strict, run_steps=steps, on_layer=on_layer,
                                   chunk_size=chunk_size or None)
            if steps:
                on_layer("indicators")
                report.steps.append(_warm_indicators(project, scheduler))
        except BuildError as e:
            progress.stop()
            for line in e.errors:
                console.print(error_text(message_label(line, lang), lang), soft_wrap=True)
            console.print(_text("failed", lang, n=len(e.errors)), style="red")
            raise typer.Exit(1) from e
    console.print(summary_table(report, lang))
    for line in note_lines(report, lang):
        console.print(f"  {line}")


def _warm_indicators(project: Path, scheduler: str | None = None) -> str:
    """Compute the indicators of the new store once and keep them beside it (a step line)."""
    from layers.build import step_line
    from layers.indicators.cache import cached_records
    from layers.labels import bilingual_note
    from layers.messages import message_label
    from layers.project import Project

    try:
        records = cached_records(Project(project), scheduler=scheduler)
    except PeakmapError as e:
        return step_line("indicators", bilingual_note(
            f"未计算（{message_label(str(e), 'zh')}）", f"not computed ({e})"))
    return step_line("indicators", bilingual_note(
        f"已计算并缓存 {len(records):,} 条结果（build/cache）",
        f"{len(records):,} results computed and cached (build/cache)"))


def register(app: typer.Typer) -> None:
    """Add the ``build`` command to ``app``."""
    app.command("build")(build)
