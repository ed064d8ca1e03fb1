"""``peakmap sample``: generate the Heping sample project (real outline, synthetic inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from peakmap.console import Lang, lang_option, plain_console
from sample import DISTRICT_STEPS, WRITE_STEPS, generate_sample

__all__ = ["dsm_note", "register", "sample", "wrote_line"]

DEFAULT_OUT = Path("data/heping")
DEFAULT_SEED = 42
DSM_NOTE_ABOVE = 20
"""Above this many copies with a DSM, say what the PV step will cost before generating."""
PV_CPU_S_PER_COPY = 16.0
"""CPU seconds of the rooftop-PV step per copy (156 s at scale 10, docs/benchmarks.md)."""


def dsm_note(scale: int, dsm: bool, lang: str = "zh") -> str | None:
    """The warning printed before a large sample with a DSM (None when there is nothing to say).

    >>> dsm_note(20, True) is None, dsm_note(200, False) is None
    (True, True)
    >>> "about 53 CPU-minutes" in dsm_note(200, True, "en")
    True
    >>> "约需 53 CPU 分钟" in dsm_note(200, True)
    True
    """
    if not dsm or scale <= DSM_NOTE_ABOVE:
        return None
    minutes = scale * PV_CPU_S_PER_COPY / 60
    if lang != "en":
        return (
            f"注意：DSM 覆盖 {scale} 个副本，`peakmap build` 的屋顶光伏步骤约需 {minutes:.0f} "
            f"CPU 分钟（每个副本 {PV_CPU_S_PER_COPY:g} CPU 秒，见 docs/benchmarks.md）。加 "
            "--no-dsm 则示例项目没有 DSM，构建跳过光伏，报告中的光伏指标为无数据（无 DSM）。"
        )
    return (
        f"note: the DSM covers {scale} copies: the rooftop-PV step of `peakmap build` will "
        f"need about {minutes:.0f} CPU-minutes ({PV_CPU_S_PER_COPY:g} CPU-s a copy, "
        "docs/benchmarks.md). With --no-dsm the sample has no DSM, the build skips PV and the "
        "PV rows of the report read no data (no DSM)."
    )


def sample(
    out: Annotated[Path, typer.Option("--out", help="Project directory to write.")] = DEFAULT_OUT,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same files).")
    ] = DEFAULT_SEED,
    scale: Annotated[
        int,
        typer.Option("--scale", help="Copies of the district, in rows of 20 (1–200; 200 ≈ "
                     "central Tianjin's built-up area)."),
    ] = 1,
    dsm: Annotated[
        bool,
        typer.Option("--dsm/--no-dsm", help="Write the DSM raster (without it the build skips "
                     "rooftop PV: its rows read no data; advised above --scale 20)."),
    ] = True,
    copy_catalogs: Annotated[
        bool,
        typer.Option(
            "--copy-catalogs",
            help="Copy the packaged catalogs into the project to edit them (default: "
            "targets.toml includes them).",
        ),
    ] = False,
    lang: Annotated[Lang, lang_option()] = Lang.zh,
) -> None:
    """生成和平区示例项目（区界真实，内部要素为合成数据）/ Generate the Heping sample project."""
    console = plain_console(stderr=True)
    note = dsm_note(scale, dsm, lang.value)
    if note:
        console.print(note, style="yellow", highlight=False, soft_wrap=True)
    total = scale * DISTRICT_STEPS + WRITE_STEPS
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:
        task = bar.add_task("sample", total=total)

        def tick(label: str) -> None:
            bar.update(task, advance=1, description=label)

        result = generate_sample(
            out, seed=seed, scale=scale, dsm=dsm, progress=tick, copy_catalogs=copy_catalogs
        )
    size = sum(f.stat().st_size for f in result.files if f.is_file())
    console.print(wrote_line(len(result.files), size, result.out, result.seconds, lang.value),
                  highlight=False)


def wrote_line(n_files: int, size: int, out: Path, seconds: float, lang: str = "zh") -> str:
    """The line printed once the sample is written.

    >>> wrote_line(3, 2_500_000, Path("data/heping"), 1.25, "en")[:44]
    'wrote 3 files (2.5 MB) to data/heping in 1.2'
    >>> wrote_line(3, 2_500_000, Path("data/heping"), 1.25)[:30]
    '已写入 3 个文件（2.5 MB）到 data/heping'
    """
    if lang == "en":
        return (f"wrote {n_files} files ({size / 1e6:.1f} MB) to {out} in {seconds:.1f} s — "
                "the outline is real, everything inside is synthetic (see SOURCE.md)")
    return (f"已写入 {n_files} 个文件（{size / 1e6:.1f} MB）到 {out}，用时 {seconds:.1f} s——"
            "区界真实，内部要素均为合成数据（见 SOURCE.md）")


def register(app: typer.Typer) -> None:
    """Add the ``sample`` command to ``app``."""
    app.command("sample")(sample)
