"""``peakmap build``: raw files → one consistent store in the project's metric CRS.

For every ``[layers.<name>]`` of the manifest: read the source, map its fields to the
canonical schema, check types and values, check geometry types, drop empty and repair invalid
geometries, settle the CRS (including GCJ-02 / BD-09 sources), then reproject everything to
one metric CRS and write ``build/peakmap.gpkg`` through a staging folder. Rasters are
reprojected (or copied) to ``build/<name>.tif``. Nothing in ``build/`` changes unless every
layer passed and every post-build step succeeded: errors of all layers are collected and
reported together, one line each. The whole build holds the project's writer lock, so an
upload waits for it (and a build for an upload); siting proposals are carried over.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from gis import CRSError, InputFileError, PeakmapError
from gis import crs as gcrs
from gis.io import CHUNKED_SUFFIXES
from gis.safefile import open_raster
from layers.build_chunks import DEFAULT_CHUNK_SIZE, store_layer_chunked
from layers.ingest import LayerReport, derive_fields, ingest_layer
from layers.ingest_values import UnknownValuesError
from layers.labels import bilingual_note, note_label
from layers.manifest import RasterSource
from layers.project import Project
from layers.store import clean_stale_temp, store_transaction, writer_lock
from layers.store.pgurl import PgLocation

__all__ = [
    "POST_BUILD_STEPS",
    "BuildError",
    "BuildReport",
    "build_project",
    "post_build_step",
    "run_post_build_steps",
    "step_line",
]

# Analyses run after ingest, by name (the name heads the step's summary line and is its
# stale mark after an upload); :func:`post_build_step` gives each one's function.
POST_BUILD_STEPS: tuple[str, ...] = ("coverage", "rooftop_pv")
# The Chinese name of each step, heading its summary line on a Chinese console.
STEP_NAMES_ZH: dict[str, str] = {"coverage": "公园服务半径分析", "rooftop_pv": "屋顶光伏分析",
                                 "indicators": "指标"}

BUILD_REPORT_TABLE = "_build_report"
# the planner's own work in the store, carried over a rebuild
KEPT_PREFIXES: tuple[str, ...] = ("proposal__",)
KEPT_TABLES: tuple[str, ...] = ("siting_runs",)


class BuildError(PeakmapError, ValueError):
    """Several layers failed; ``errors`` holds one message per failure."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class BuildReport:
    """The result of a build."""

    metric_crs: str
    store: Path | PgLocation
    layers: list[LayerReport]
    steps: list[str] = field(default_factory=list)


def _declared_metric_crs(project: Project) -> CRS | None:
    """The manifest's ``[project] metric_crs`` (None when it names none)."""
    declared = project.manifest.project.metric_crs
    if not declared:
        return None
    crs = gcrs.parse_crs(declared, where="project.toml: [project] metric_crs")
    if crs.is_geographic:
        raise CRSError(
            f"project.toml: [project] metric_crs {declared} is geographic; "
            "measurements need a projected CRS in metres"
        )
    return crs


def _metric_crs(project: Project, frames: dict[str, gpd.GeoDataFrame]) -> CRS:
    declared = _declared_metric_crs(project)
    if declared is not None:
        return declared
    boxes = [f.to_crs("EPSG:4326").total_bounds for f in frames.values() if len(f)]
    if not boxes:
        raise CRSError("project.toml: no layer to choose a metric CRS from")
    b = np.array(boxes)
    lon = float((b[:, 0].min() + b[:, 2].max()) / 2)
    lat = float((b[:, 1].min() + b[:, 3].max()) / 2)
    return gcrs.auto_metric_crs(lon, lat)


def _stage_raster(
    project: Project, name: str, src: RasterSource, metric: CRS, dest: Path
) -> LayerReport:
    path = project.path(src.path, what=f"[rasters.{name}] path")
    label = f"{src.path}, raster {name}"
    declared = gcrs.parse_crs(src.crs, where=f"{label}: crs") if src.crs else None
    try:
        with open_raster(path, label=label) as ds:
            crs_in = declared or (CRS.from_wkt(ds.crs.to_wkt()) if ds.crs else None)
            if crs_in is None:
                raise CRSError(f"{label}: the raster declares no CRS; set crs = \"EPSG:...\"")
            if not 1 <= src.band <= ds.count:
                raise InputFileError(
                    f"{label}: band {src.band} does not exist (the raster has {ds.count} "
                    f"band{'s' if ds.count != 1 else ''}, numbered from 1)")
            report = LayerReport(
                name=name, source=str(src.path), features_read=ds.width * ds.height,
                crs_in=gcrs.crs_name(crs_in), crs_out=gcrs.crs_name(metric),
            )
            if crs_in == metric and src.band == 1 and ds.count == 1:
                shutil.copyfile(path, dest)
                report.notes.append(f"{ds.width}×{ds.height} px, {abs(ds.res[0]):g} m, copied")
                return report
            transform, width, height = calculate_default_transform(
                ds.crs or crs_in.to_wkt(), metric.to_wkt(), ds.width, ds.height, *ds.bounds
            )
            profile = ds.profile.copy()
            profile.update(
                crs=metric.to_wkt(), transform=transform, width=width, height=height, count=1,
                driver="GTiff", compress="deflate", tiled=True, blockxsize=256, blockysize=256,
            )
            with rasterio.open(dest, "w", **profile) as out:
                reproject(
                    source=rasterio.band(ds, src.band), destination=rasterio.band(out, 1),
                    src_crs=crs_in.to_wkt(), dst_crs=metric.to_wkt(),
                    resampling=Resampling.bilinear,
                )
            report.notes.append(f"{width}×{height} px, reprojected")
            return report
    except RasterioError as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputFileError(f"{label}: cannot be read as a raster ({msg})") from e


def build_project(
    project_dir: Path,
    *,
    strict: bool = False,
    run_steps: bool = True,
    on_layer: Callable[[str], None] | None = None,
    chunk_size: int | None = DEFAULT_CHUNK_SIZE,
) -> BuildReport:
    """Build ``PROJECT/build/`` from the manifest.

    Parameters
    ----------
    project_dir : pathlib.Path
        The project directory.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    run_steps : bool, default True
        Run the post-build analyses of :data:`POST_BUILD_STEPS`.
    on_layer : callable, optional
        Called with each layer's name as it starts (for a progress display).
    chunk_size : int or None, default :data:`layers.build_chunks.DEFAULT_CHUNK_SIZE`
        With ``[project] metric_crs`` declared, layers (of every format) are read,
        checked, reprojected and written this many features at a time
        (:mod:`layers.build_chunks`; the store is the same); None reads each layer whole.

    Returns
    -------
    BuildReport

    Raises
    ------
    BuildError
        One or more layers failed; the store is left exactly as it was.
    PeakmapError
        The manifest or the metric CRS is wrong.
    """
    root = Project(project_dir).root  # one-line errors for a missing or bad project
    with writer_lock(root, what="peakmap build"):
        clean_stale_temp(root)
        # the manifest is read again under the lock: an upload cannot slip in between
        return _build_locked(Project(root), strict=strict, run_steps=run_steps,
                             on_layer=on_layer, chunk_size=chunk_size)


def _build_locked(
    project: Project,
    *,
    strict: bool,
    run_steps: bool,
    on_layer: Callable[[str], None] | None,
    chunk_size: int | None,
) -> BuildReport:
    manifest = project.manifest
    try:
        # declared: each layer is stored as soon as it is read (a city holds one at a time)
        metric: CRS | None = _declared_metric_crs(project)
    except PeakmapError:
        metric = None  # raised again by _metric_crs, after the layers' own errors
    frames: dict[str, gpd.GeoDataFrame] = {}
    reports: dict[str, LayerReport] = {}
    errors: list[str] = []
    store_path = project.store.path
    with store_transaction(project, what="peakmap build", fresh=True) as staged:
        for name, src in manifest.layers.items():
            if on_layer:
                on_layer(name)
            try:
                path = project.path(src.path, what=f"project.toml: [layers.{name}] path")
                if (metric is not None and chunk_size is not None
                        and path.suffix.lower() in CHUNKED_SUFFIXES):
                    # after an error nothing is committed: the layer is only checked
                    reports[name] = store_layer_chunked(
                        project, None if errors else staged, name, src, path, metric,
                        label=f"{src.path}, layer {name}", strict=strict,
                        report_year=project.report_year, chunk_size=chunk_size)
                    continue
                gdf, reports[name] = ingest_layer(
                    name, src, path, strict=strict, label=f"{src.path}, layer {name}",
                    report_year=project.report_year,
                )
            except UnknownValuesError as e:
                errors.append(e.with_lines())
                continue
            except PeakmapError as e:
                errors.append(str(e))
                continue
            if metric is None:  # chosen from every layer's extent: hold them all first
                frames[name] = gdf
            elif not errors:  # after an error nothing is committed: only collect the rest
                _store_layer(project, staged, name, gdf, metric, reports[name])
            del gdf
        if errors:
            raise BuildError(errors)
        if metric is None:
            metric = _metric_crs(project, frames)
            for name in list(frames):
                _store_layer(project, staged, name, frames.pop(name), metric, reports[name])
        stage = staged.build_dir
        raster_reports = []
        for name, rsrc in manifest.rasters.items():
            if on_layer:
                on_layer(name)
            try:
                raster_reports.append(
                    _stage_raster(project, name, rsrc, metric, stage / f"{name}.tif")
                )
            except PeakmapError as e:
                errors.append(str(e))
        if errors:
            raise BuildError(errors)
        all_reports = [*reports.values(), *raster_reports]
        table = pd.DataFrame(
            [{**asdict(r), "notes": "; ".join(r.notes)} for r in all_reports]
        )
        staged.store.write_layers({BUILD_REPORT_TABLE: table})
        kept = _carry_over(project, staged)
        result = BuildReport(metric_crs=gcrs.crs_name(metric), store=store_path, layers=all_reports)
        if run_steps:
            # on the staged store: the store is replaced only when every step succeeded
            result.steps = run_post_build_steps(staged, on_step=on_layer)
        if kept:
            result.steps.append(bilingual_note(f"保留了上一版项目库中的：{'、'.join(kept)}",
                                               f"kept from the previous store: {', '.join(kept)}"))
    return result


def _store_layer(
    project: Project, staged: Project, name: str, gdf: gpd.GeoDataFrame, metric: CRS,
    report: LayerReport,
) -> None:
    """Reproject one ingested layer, derive its fields and write it to the staged store."""
    out = derive_fields(project, name, gdf.to_crs(metric), report)
    report.crs_out = gcrs.crs_name(metric)
    report.features_stored = len(out)
    staged.store.write_layers({name: out})


def _carry_over(project: Project, staged: Project) -> list[str]:
    """Copy the planner's own work (siting proposals and runs) into the new store."""
    old = project.store
    if not old.exists():
        return []
    names = [n for n in old.layers() if n.startswith(KEPT_PREFIXES) or n in KEPT_TABLES]
    staged.store.copy_layers_from(old, names)
    return names


def run_post_build_steps(
    project: Project, *, on_step: Callable[[str], None] | None = None
) -> list[str]:
    """Run the analyses of :data:`POST_BUILD_STEPS`, in order.

    Returns
    -------
    list of str
        One summary line per step (:func:`step_line`).
    """
    lines = []
    for name in POST_BUILD_STEPS:
        step = post_build_step(name)
        if on_step:
            on_step(name)
        fresh = project.fresh()  # a fresh store cache per step (same staging folder)
        lines.append(step_line(name, step(fresh)))
    return lines


def step_line(name: str, summary: str) -> str:
    """A step's summary line, ``name: summary``, in Chinese and English.

    ``summary`` may be bilingual (:func:`layers.labels.bilingual_note`) or English;
    :func:`layers.labels.note_label` shows the line in one language.

    Examples
    --------
    >>> line = step_line("rooftop_pv", bilingual_note("已跳过", "skipped"))
    >>> note_label(line, "zh"), note_label(line, "en")
    ('屋顶光伏分析：已跳过', 'rooftop_pv: skipped')
    """
    return bilingual_note(f"{STEP_NAMES_ZH.get(name, name)}：{note_label(summary, 'zh')}",
                          f"{name}: {note_label(summary, 'en')}")


def post_build_step(name: str) -> Callable[[Project], str]:
    """The function of post-build step ``name`` (one of :data:`POST_BUILD_STEPS`).

    The theme modules are imported here, not at the top: they read this module's
    neighbours, and every upload and ``peakmap build`` imports this module first.

    Parameters
    ----------
    name : str
        ``"coverage"`` or ``"rooftop_pv"``.

    Returns
    -------
    callable
        Takes the Project, writes its store layers or fields, returns a one-line summary.

    Examples
    --------
    >>> post_build_step("coverage").__module__
    'layers.coverage'
    """
    if name == "coverage":
        from layers.coverage import build_step as coverage_step

        return coverage_step
    if name == "rooftop_pv":
        from layers.rooftop_pv_build import build_step as rooftop_pv_step

        return rooftop_pv_step
    raise KeyError(f"no post-build step {name!r}; known: {', '.join(POST_BUILD_STEPS)}")
