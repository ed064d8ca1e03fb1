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
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, calculate_default_transform, reproject

from gis import CRSError, InputFileError, LayerValidationError, PeakmapError
from gis import crs as gcrs
from gis.io import CHUNKED_SUFFIXES, read_vector
from gis.safefile import open_raster
from gis.validate import GeometryReport, polygon_outlines, repair_geometries
from layers.build_chunks import DEFAULT_CHUNK_SIZE, store_layer_chunked
from layers.floors import complete_floor_area
from layers.ingest_values import UnknownValuesError, convert_fields, geometry_notes
from layers.manifest import LayerSource, RasterSource
from layers.params import BuildingsParams
from layers.project import Project
from layers.schema import CANONICAL, LayerSpec
from layers.store import clean_stale_temp, store_transaction, writer_lock
from layers.store.pgurl import PgLocation

__all__ = [
    "POST_BUILD_STEPS",
    "BuildError",
    "BuildReport",
    "LayerReport",
    "build_project",
    "derive_fields",
    "ingest_layer",
    "ingest_part",
    "post_build_step",
    "run_post_build_steps",
    "settle_crs",
]

# Analyses run after ingest, by name (the name heads the step's summary line and is its
# stale mark after an upload); :func:`post_build_step` gives each one's function.
POST_BUILD_STEPS: tuple[str, ...] = ("coverage", "rooftop_pv")

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
class LayerReport:
    """What happened to one layer (or raster) during the build."""

    name: str
    source: str
    features_read: int = 0
    repaired: int = 0
    dropped: int = 0
    features_stored: int = 0
    crs_in: str = ""
    crs_out: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    """The result of a build."""

    metric_crs: str
    store: Path | PgLocation
    layers: list[LayerReport]
    steps: list[str] = field(default_factory=list)


def _feature_ids(gdf: pd.DataFrame, spec: LayerSpec, start: int = 0) -> pd.Series:
    """Ids for messages: ``id`` or ``code``, else the feature's number in the file from 1."""
    for key in ("id", "code"):
        if key in gdf.columns and spec.field(key) is not None:
            return gdf[key].astype("string").fillna("?").reset_index(drop=True)
    return pd.Series([f"#{start + i + 1}" for i in range(len(gdf))], dtype="string")


def _map_fields(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, src: LayerSource, label: str
) -> gpd.GeoDataFrame:
    """Rename source columns to canonical names; keep only canonical fields."""
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for canon, source_col in src.fields.items():
        if source_col not in columns:
            raise LayerValidationError(
                f"{label}, field {source_col}: no such column for canonical field {canon} "
                f"(columns: {', '.join(map(str, columns)) or 'none'})"
            )
    renamed = {s: c for c, s in src.fields.items()}
    out = gdf.drop(columns=[c for c in src.fields if c in columns and c not in renamed])
    out = out.rename(columns=renamed)
    missing = [f for f in spec.required if f not in out.columns]
    if missing:
        have = ", ".join(str(c) for c in columns) or "none"
        raise LayerValidationError(
            f"{label}, field {missing[0]}: required field missing (columns: {have}); "
            f"map it with [layers.{spec.name}.fields] {missing[0]} = \"<column>\""
        )
    keep = [f.name for f in spec.fields if f.name in out.columns]
    return out[[*keep, out.geometry.name]]


def settle_crs(
    gdf: gpd.GeoDataFrame, src: LayerSource, label: str, name: str
) -> tuple[gpd.GeoDataFrame, str]:
    """Return the layer in a real CRS (GCJ-02/BD-09 converted to WGS84) and the CRS-in text.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (or one chunk of it) as read.
    src : LayerSource
        Its manifest entry (``crs`` declared there wins over the file's).
    label : str
        File and layer, for messages.
    name : str
        Canonical layer name.

    Returns
    -------
    (GeoDataFrame, str)
        The layer with its CRS set, and the name of the CRS it came in.

    Raises
    ------
    CRSError
        No CRS declared anywhere, a bad declaration, or coordinates outside the CRS.
    """
    declared = (src.crs or "").strip()
    datum = gcrs.pseudo_datum_name(declared) if declared else None
    if datum is not None:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True)
        gcrs.check_coordinates(tuple(gdf.total_bounds), gdf.crs, where=label)
        geoms = gcrs.pseudo_to_wgs84(np.asarray(gdf.geometry.array, dtype=object), datum)
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
        return gdf, {"gcj02": "GCJ-02", "bd09": "BD-09"}[datum]
    if declared:
        crs = gcrs.parse_crs(declared, where=f"{label}: crs")
        gdf = gdf.set_crs(crs, allow_override=True)
    elif gdf.crs is None:
        raise CRSError(
            f"{label}: the file declares no CRS; set crs = \"EPSG:...\" (or \"gcj02\"/\"bd09\") "
            f"for [layers.{name}]"
        )
    if len(gdf):
        gcrs.check_coordinates(tuple(gdf.total_bounds), gdf.crs, where=label)
    return gdf, gcrs.crs_name(gdf.crs)


def ingest_layer(
    name: str,
    src: LayerSource,
    path: Path,
    *,
    strict: bool = False,
    label: str | None = None,
    report_year: int | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read, map, validate and repair one canonical layer (not yet reprojected).

    Parameters
    ----------
    name : str
        Canonical layer name.
    src : LayerSource
        The manifest entry (fields, encoding, crs, x/y, layer).
    path : pathlib.Path
        The resolved source file.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    label : str, optional
        How the source is named in messages.
    report_year : int, optional
        The project's report year (default: this year); later years are read as missing.

    Returns
    -------
    (GeoDataFrame, LayerReport)
        The layer in its source CRS (GCJ-02/BD-09 already converted to WGS84).

    Raises
    ------
    PeakmapError
        Any problem, with a one-line message naming file, layer, field and feature.
    """
    spec = CANONICAL[name]
    label = label or f"{path.name}, layer {name}"
    gdf = read_vector(path, layer=src.layer, encoding=src.encoding, x=src.x, y=src.y, label=label)
    report = LayerReport(name=name, source=str(src.path), features_read=len(gdf))
    if len(gdf) == 0:
        raise InputFileError(f"{label}: the layer has no features")
    gdf, value_notes, n_outlines, geo = ingest_part(
        gdf, spec, src, label, strict=strict,
        report_year=report_year if report_year is not None else date.today().year,
    )
    report.notes.extend(value_notes)
    if n_outlines:
        report.notes.append(f"{n_outlines} polygons used by their outlines")
    report.repaired, report.dropped = geo.repaired, geo.dropped
    report.notes.extend(geometry_notes(geo, spec.geometry))
    if len(gdf) == 0:
        raise InputFileError(f"{label}: no feature has a usable geometry")
    gdf, report.crs_in = settle_crs(gdf, src, label, name)
    return gdf, report


def ingest_part(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, src: LayerSource, label: str, *, strict: bool,
    report_year: int, start: int = 0, ids_out: list[pd.Series] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str], int, GeometryReport]:
    """Map, convert and repair the features of a layer read from feature ``start`` on.

    The steps of :func:`ingest_layer` between reading and settling the CRS, on the whole
    layer or on one chunk of it (``start``: how many features came before, so features
    without an id are named by their number in the file).

    Returns
    -------
    (GeoDataFrame, list of str, int, GeometryReport)
        The features, the notes of the value checks, how many polygons were replaced by their
        outlines, and what the geometry repair did.
    """
    gdf = _map_fields(gdf, spec, src, label)
    gdf, value_notes = convert_fields(
        gdf, spec, ids=_feature_ids(gdf, spec, start), label=label, report_year=report_year,
        value_maps=src.values, na_values=src.na_values,
    )
    if ids_out is not None and "id" in gdf.columns and spec.field("id") is not None:
        ids_out.append(gdf["id"].astype("string[pyarrow]").reset_index(drop=True))
    n_outlines = 0
    if spec.outlines_of_polygons:
        gdf, n_outlines = polygon_outlines(gdf)
    gdf, geo = repair_geometries(
        gdf, spec.geometry, ids=_feature_ids(gdf, spec, start), label=label, strict=strict
    )
    return gdf, value_notes, n_outlines, geo


def derive_fields(
    project: Project, name: str, gdf: gpd.GeoDataFrame, report: LayerReport
) -> gpd.GeoDataFrame:
    """Fields derived once layer ``name`` is in the metric CRS (build and upload alike).

    Reprojection moves every vertex, so a polygon that was valid in its source CRS can come
    out self-intersecting (a spike along an edge, a ring touching itself): such geometries
    are checked again and repaired here as :func:`gis.validate.repair_geometries` does
    (noted with their ids, and counted in ``report.repaired`` / ``report.dropped``).
    Buildings then get their floors and floor area completed
    (:func:`layers.floors.complete_floor_area`, ``[params.buildings]``); the notes go to
    ``report``.
    """
    gdf = _repair_reprojected(name, gdf, report)
    if name != "buildings":
        return gdf
    gdf, notes = complete_floor_area(gdf, project.params(BuildingsParams).model_dump())
    report.notes.extend(notes)
    return gdf


def _repair_reprojected(
    name: str, gdf: gpd.GeoDataFrame, report: LayerReport
) -> gpd.GeoDataFrame:
    """Repair the geometries of ``gdf`` that reprojection made invalid (see derive_fields)."""
    spec = CANONICAL.get(name)
    if spec is None or len(gdf) == 0:
        return gdf
    label = f"layer {name} (in {gcrs.crs_name(gdf.crs)})" if gdf.crs else f"layer {name}"
    fixed, geo = repair_geometries(gdf, spec.geometry, ids=_feature_ids(gdf, spec),
                                   label=label)
    if geo.repaired == 0 and geo.dropped == 0:
        return gdf
    for note in geometry_notes(geo, spec.geometry):
        report.notes.append(f"after reprojection to the metric CRS: {note}")
    report.repaired += geo.repaired
    report.dropped += geo.dropped
    return fixed


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
        With ``[project] metric_crs`` declared, layers in a GeoPackage, Shapefile or
        FlatGeobuf are read, checked, reprojected and written this many features at a time
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
            result.steps.append(f"kept from the previous store: {', '.join(kept)}")
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
        One summary line per step.
    """
    lines = []
    for name in POST_BUILD_STEPS:
        step = post_build_step(name)
        if on_step:
            on_step(name)
        fresh = project.fresh()  # a fresh store cache per step (same staging folder)
        lines.append(f"{name}: {step(fresh)}")
    return lines


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
        from layers.rooftop_pv import build_step as rooftop_pv_step

        return rooftop_pv_step
    raise KeyError(f"no post-build step {name!r}; known: {', '.join(POST_BUILD_STEPS)}")


def check_upload(
    project: Project,
    name: str,
    file_path: Path,
    *,
    strict: bool = False,
    **overrides: Any,
) -> tuple[LayerReport | None, list[str]]:
    """Validate an upload as ``layers.uploads.ingest_upload`` does; write nothing, list problems.

    The verdict is the build's own: the file passes exactly when :func:`ingest_layer` (and
    the reprojection to the store's CRS) accepts it. When it does not, the same checks are
    run once more field by field, so every problem found is listed at once (missing
    fields, bad values of each field, geometries, CRS), not only the first.

    Parameters
    ----------
    project : Project
        The built project.
    name : str
        Canonical layer name.
    file_path : pathlib.Path
        The uploaded file.
    strict : bool, default False
        Refuse invalid geometries instead of repairing them.
    **overrides
        As for :func:`layers.uploads.ingest_upload`.

    Returns
    -------
    (LayerReport or None, list of str)
        The report of what would be stored and no errors, or None and one line per problem
        (the build's own message first).
    """
    if name not in CANONICAL:
        return None, [f"layer {name}: not a canonical layer (known: {', '.join(CANONICAL)})"]
    try:
        crs_out = project.store.crs
    except PeakmapError as e:
        return None, [str(e)]
    # The same manifest entry as an upload builds (layers.uploads).
    base = project.manifest.layers.get(name)
    entry: dict[str, Any] = base.model_dump() if base is not None else {}
    entry.update({k: v for k, v in overrides.items() if v is not None})
    entry["path"] = str(Path(file_path).name)
    label = f"{Path(file_path).name}, layer {name}"
    try:
        src = LayerSource.model_validate(entry)
        gdf, report = ingest_layer(name, src, Path(file_path), strict=strict, label=label,
                                   report_year=project.report_year)
        gdf = derive_fields(project, name, gdf.to_crs(crs_out), report)
    except (PeakmapError, ValueError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        more = _every_problem(name, entry, Path(file_path), label, strict=strict,
                              report_year=project.report_year)
        return None, list(dict.fromkeys([first, *more]))
    report.crs_out = gcrs.crs_name(crs_out)
    report.features_stored = len(gdf)
    return report, []


def _every_problem(name: str, entry: dict[str, Any], path: Path, label: str, *,
                   strict: bool, report_year: int) -> list[str]:
    """The checks of :func:`ingest_layer` run one field at a time, collecting messages."""
    spec = CANONICAL[name]
    problems: list[str] = []
    try:
        src = LayerSource.model_validate(entry)
        gdf = read_vector(path, layer=src.layer, encoding=src.encoding, x=src.x, y=src.y,
                          label=label)
    except (PeakmapError, ValueError):
        return problems  # nothing more to check without the features
    try:
        mapped = _map_fields(gdf, spec, src, label)
    except PeakmapError as e:
        problems.append(str(e))
        # Go on with what can be mapped, and name every required field still missing.
        renamed = {s: c for c, s in src.fields.items() if s in gdf.columns}
        mapped = gdf.rename(columns=renamed)
        have = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "none"
        problems += [f"{label}, field {f}: required field missing (columns: {have}); map it "
                     f"with [layers.{name}.fields] {f} = \"<column>\""
                     for f in spec.required if f not in mapped.columns]
        keep = [f.name for f in spec.fields if f.name in mapped.columns]
        mapped = mapped[[*keep, mapped.geometry.name]]
    id_cols = [c for c in ("id", "code") if c in mapped.columns and spec.field(c)]
    for f in spec.fields:
        if f.name not in mapped.columns:
            continue
        cols = list(dict.fromkeys([f.name, *id_cols]))
        try:
            part = mapped[[*cols, mapped.geometry.name]]
            convert_fields(part, spec, ids=_feature_ids(part, spec), label=label,
                           report_year=report_year, value_maps=src.values,
                           na_values=src.na_values)
        except PeakmapError as e:
            problems.append(str(e))
    try:
        repaired, _ = repair_geometries(mapped, spec.geometry, ids=_feature_ids(mapped, spec),
                                        label=label, strict=strict)
        if len(repaired) == 0:
            problems.append(f"{label}: no feature has a usable geometry")
        else:
            settle_crs(repaired, src, label, name)
    except PeakmapError as e:
        problems.append(str(e))
    return problems
