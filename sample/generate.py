"""``generate_sample``: write the whole Heping sample project (raw files and manifest)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import InputFileError
from sample.district import MAX_COPIES, District, generate_district
from sample.project_files import (
    GENERATED_MARK,
    manifest_text,
    source_text,
    write_catalogs,
)
from sample.raster import write_dsm
from sample.write import (
    DSM_FILE,
    GEOJSON_LAYERS,
    reproducible_gdal,
    write_admin,
    write_buildings,
    write_geojson,
    write_pipes_zip,
    write_recycling_csv,
)

__all__ = ["DISTRICT_STEPS", "WRITE_STEPS", "SampleResult", "generate_sample"]

DISTRICT_STEPS = 12
"""Progress steps reported per copy of the district."""
WRITE_STEPS = 8 + len(GEOJSON_LAYERS)
"""Progress steps reported while writing."""
WRITE_SEED_TAG = 11
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


def _concat(parts: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry")


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
        Number of side-by-side copies of the district (1 to 50), for benchmarks.
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
    copies: list[District] = []
    for k in range(scale):
        copies.append(generate_district(k, seed, step=_prefixed(tick, f"copy {k + 1}/{scale}: ")))
    layers = {name: _concat([c.layers[name] for c in copies]) for name in copies[0].layers}

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".raw.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "raw").mkdir(parents=True)
    files: list[Path] = []
    rng = np.random.default_rng([seed, WRITE_SEED_TAG])
    with reproducible_gdal():
        tick("writing admin boundaries and land use")
        files.append(write_admin(tmp, layers))
        tick("writing buildings")
        files.append(write_buildings(tmp, layers["buildings"]))
        tick("writing recycling points")
        files.append(write_recycling_csv(tmp, layers["recycling_points"]))
        tick("writing heating pipes")
        files.append(write_pipes_zip(tmp, layers["heating_pipes"], rng))
        for name in GEOJSON_LAYERS:
            tick(f"writing {name}")
            files.append(write_geojson(tmp, name, layers[name]))
    tick("writing DSM")
    if dsm:
        files.append(write_dsm(tmp / DSM_FILE, copies, seed=seed))
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
        out=out, files=files, facts=[c.facts for c in copies],
        seconds=time.perf_counter() - t0,
    )
