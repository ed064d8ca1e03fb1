"""``peakmap sample``: generate the Heping sample project (real outline, synthetic inside)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from peakmap.console import plain_console
from sample import DISTRICT_STEPS, WRITE_STEPS, generate_sample

__all__ = ["register", "sample"]

DEFAULT_OUT = Path("data/heping")
DEFAULT_SEED = 42


def sample(
    out: Annotated[Path, typer.Option("--out", help="Project directory to write.")] = DEFAULT_OUT,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same files).")
    ] = DEFAULT_SEED,
    scale: Annotated[
        int, typer.Option("--scale", help="Side-by-side copies of the district (1–50).")
    ] = 1,
    dsm: Annotated[bool, typer.Option("--dsm/--no-dsm", help="Write the DSM raster.")] = True,
    copy_catalogs: Annotated[
        bool,
        typer.Option(
            "--copy-catalogs",
            help="Copy the packaged catalogs into the project to edit them (default: "
            "targets.toml includes them).",
        ),
    ] = False,
) -> None:
    """生成和平区示例项目（区界真实，内部要素为合成数据）/ Generate the Heping sample project."""
    console = plain_console(stderr=True)
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
    console.print(
        f"wrote {len(result.files)} files ({size / 1e6:.1f} MB) to {result.out} "
        f"in {result.seconds:.1f} s — the outline is real, everything inside is synthetic "
        "(see SOURCE.md)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``sample`` command to ``app``."""
    app.command("sample")(sample)
