"""``generate_sample``: write the whole Heping sample project (raw files and manifest)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gis import InputFileError
from sample.district import MAX_COPIES, generate_district
from sample.project_files import (
    GENERATED_MARK,
    manifest_text,
    source_text,
    write_catalogs,
)
from sample.stream import RawWriter
from sample.write import reproducible_gdal

__all__ = ["DISTRICT_STEPS", "WRITE_STEPS", "SampleResult", "generate_sample"]

DISTRICT_STEPS = 13
"""Progress steps reported per copy of the district (12 to generate it, 1 to write it)."""
WRITE_STEPS = 4
"""Progress steps reported after the last copy (finish files, replace raw/, texts)."""
DEFAULT_SEED = 42

ProgressFn = Callable[[str], None]


@dataclass
class SampleResult:
    """What ``generate_sample`` wrote and the aims it measured on its own output."""

    out: Path
    files: list[Path] = field(default_factory=list)
    facts: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def _prefixed(tick: ProgressFn, prefix: str) -> ProgressFn:
    def step(label: str) -> None:
        tick(prefix + label)

    return step


def generate_sample(
    out: Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    dsm: bool = True,
    progress: ProgressFn | None = None,
    copy_catalogs: bool = False,
) -> SampleResult:
    """Generate the Heping sample project into ``out``.

    Parameters
    ----------
    out : pathlib.Path
        Project directory to write (created if needed). ``raw/`` is replaced as a whole;
        ``build/`` and other files are left alone.
    seed : int, keyword-only
        Seed of every random draw: the same seed gives byte-identical raw files.
    scale : int, keyword-only
        Number of side-by-side copies of the district (1 to ``MAX_COPIES`` = 200), for
        benchmarks; each copy is written as soon as it is generated, so memory stays that of
        one copy (about 0.3 GB) whatever the scale.
    dsm : bool, keyword-only
        Write the DSM raster (``False`` skips it, for quick large runs).
    progress : callable, keyword-only, optional
        Called with a label at each step (``DISTRICT_STEPS`` per copy, then ``WRITE_STEPS``).
    copy_catalogs : bool, keyword-only
        Copy the catalogs packaged with peakmap into ``out`` (to be edited); by default the
        project's ``targets.toml`` includes them (``include = ["peakmap:targets.toml"]``).

    Returns
    -------
    SampleResult

    Raises
    ------
    InputFileError
        ``scale`` is out of range, ``out`` is an existing file, or ``out`` holds a project
        that ``peakmap sample`` did not generate (its ``raw/`` would be replaced).
    """
    t0 = time.perf_counter()
    if not 1 <= scale <= MAX_COPIES:
        raise InputFileError(f"--scale {scale}: must be between 1 and {MAX_COPIES}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputFileError(f"{out}: exists and is not a directory")
    manifest_path = out / "project.toml"
    if manifest_path.is_file() and not manifest_path.read_text(
        encoding="utf-8", errors="replace"
    ).startswith(GENERATED_MARK):
        raise InputFileError(
            f"{manifest_path}: a project not made by 'peakmap sample'; refusing to replace "
            "its raw/ (choose another --out)"
        )
    tick = progress or (lambda _label: None)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".raw.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    facts: list[dict[str, float]] = []
    # each copy is written as soon as it is generated: memory stays one copy (sample.stream)
    writer = RawWriter(tmp, scale=scale, seed=seed, dsm=dsm)
    try:
        with reproducible_gdal():
            for k in range(scale):
                step = _prefixed(tick, f"copy {k + 1}/{scale}: ")
                district = generate_district(k, seed, step=step)
                step("writing")
                writer.add(district)
                facts.append(district.facts)
                del district
            tick("finishing files")
            files = writer.close()
    except BaseException:
        writer.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tick("replacing raw/")
    raw = out / "raw"
    if raw.exists():
        shutil.rmtree(raw)
    os.replace(tmp / "raw", raw)
    shutil.rmtree(tmp, ignore_errors=True)
    files = [raw / f.relative_to(tmp / "raw") for f in files]
    tick("writing project.toml")
    manifest = manifest_text(seed=seed, scale=scale, with_dsm=dsm)
    (out / "project.toml").write_text(manifest, encoding="utf-8")
    (out / "SOURCE.md").write_text(
        source_text(seed=seed, scale=scale, with_dsm=dsm), encoding="utf-8"
    )
    files += [out / "project.toml", out / "SOURCE.md"]
    tick("writing targets.toml and reported.csv")
    files += write_catalogs(out, copy=copy_catalogs)
    return SampleResult(
        out=out, files=files, facts=facts,
        seconds=time.perf_counter() - t0,
    )
