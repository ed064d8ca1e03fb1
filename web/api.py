"""JSON API under ``/api`` (OpenAPI at ``/docs``): health, indicators, layers, uploads, exports."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
import pandas as pd
import pyogrio
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask

from gis import PeakmapError
from layers.labels import export_record, note_label
from layers.report import write_csv, write_xlsx
from layers.store import project_temp_dir
from layers.store.lock import clean_old_temp, owned_temp_dir
from layers.uploads import accept_upload
from web.data import ProjectData
from web.deps import DataDep, LangDep, SettingsDep
from web.geo import (
    degrees_per_pixel,
    grid_summary,
    parse_bbox,
    select_bbox,
    simplify_for_zoom,
    to_feature_collection,
)
from web.i18n import sample_notice
from web.receive import save_upload, upload_name

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])

GEOJSON_MEDIA = "application/geo+json"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG_MEDIA = "application/geopackage+sqlite3"
# an export folder this old is a cut-off download's: removed at the next export
EXPORT_MAX_AGE_S = 3600.0
Level = Literal["district", "street", "community"]
Scenario = Literal["proposal"]


@router.get("/health", responses={503: {"description": "the PostGIS store cannot be reached"}})
async def health(data: DataDep) -> JSONResponse:
    """Whether the server runs and the project's store is built (503 when it is down).

    Answered on the event loop without any lock the pages or the background work take,
    so it stays fast under load (a few file-system look-ups). A PostGIS store is asked at
    most every few seconds (``web.data.HEALTH_TTL_S``), in a thread of its own so a slow
    database never holds the event loop; when it cannot be reached the answer is 503 with
    ``status`` ``"error"`` and the message in ``detail``.
    """
    body = data.cached_health()
    if body is None:  # a limiter of its own: never queued behind the pages' worker threads
        body = await anyio.to_thread.run_sync(data.health, limiter=anyio.CapacityLimiter(1))
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get("/indicators")
def indicators(data: DataDep, response: Response, lang: LangDep, level: Level | None = None,
               scenario: Scenario | None = None) -> list[dict[str, Any]]:
    """Indicator records (the same as ``peakmap report --format json``), optionally one level.

    ``scenario=proposal`` computes them with the stored siting proposals added. After an
    upload or a rebuild the previous records are answered at once while new ones are
    computed in the background: the header ``X-Peakmap-Updating: 1`` says so, and
    ``X-Peakmap-Computed-At`` gives the time of the records answered. ``note`` and
    ``detail`` are plain Chinese, ``note_en`` and ``detail_en`` English; each record also
    carries ``status_label``, ``source_label`` and ``note_label`` in ``lang`` (zh by
    default, ``en``): :func:`layers.labels.export_record`, as the CSV and JSON exports.
    """
    records = [export_record(r, lang) for r in data.records(level, scenario=scenario)]
    status = data.status(scenario)
    response.headers["X-Peakmap-Updating"] = "1" if status["updating"] else "0"
    response.headers["X-Peakmap-Computed-At"] = status["computed_at"] or ""
    return records


@router.get("/status")
def status(data: DataDep, scenario: Scenario | None = None) -> dict[str, Any]:
    """Whether indicators are being recomputed, and which derived results are stale.

    ``computed_at`` is the time of the indicator records answered now; ``stale`` lists
    derived results (PV fields) being recomputed after an upload.
    """
    return {**data.status(scenario), "stale": data.stale_results()}


@router.get("/proposals")
def proposals(data: DataDep) -> list[dict[str, Any]]:
    """Stored siting proposals: when each was made, and whether it is stale.

    A proposal is ``stale`` when a layer it was computed from changed after it
    (``changed_after`` names them): re-run ``peakmap site``.
    """
    return data.proposals()


@router.get("/layers")
def layers(data: DataDep) -> list[dict[str, Any]]:
    """Stored layers: name, titles, geometry type, feature count."""
    return [info.as_dict() for info in data.layer_info()]


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        return parse_bbox(text)
    except ValueError as e:
        raise PeakmapError(f"query bbox: {e}") from e


@router.get("/layers/{name}", response_class=Response,
            responses={200: {"content": {GEOJSON_MEDIA: {}}}})
def layer_geojson(
    name: str,
    data: DataDep,
    settings: SettingsDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in degrees")] = None,
    zoom: Annotated[float | None, Query(ge=0, le=24, description="map zoom: simplify and "
                                        "aggregate for it; omit for full detail")] = None,
    datum: Annotated[Literal["wgs84", "gcj02"], Query(description="gcj02 for Amap")] = "wgs84",
    fields: Annotated[str | None, Query(description="comma-separated properties to keep "
                                        "(default: all)")] = None,
    sums: Annotated[str | None, Query(description="comma-separated numeric properties "
                                      "summed per cell of a grid summary")] = None,
) -> Response:
    """Layer ``name`` as GeoJSON in WGS84 (or GCJ-02), cut to ``bbox``.

    With ``zoom``, geometry is simplified to one pixel, and when more features fall in the
    box than the map can draw smoothly (or the zoom is below the detail zoom for a large
    layer) a grid summary is returned instead: squares with ``_agg``, ``count`` and
    ``measure`` (area in m² or length in m).
    """
    gcj02 = datum == "gcj02"
    gdf = select_bbox(data.display(name, gcj02=gcj02), _bbox(bbox))
    if zoom is not None:
        too_many = len(gdf) > settings.max_features_per_request
        coarse = zoom < settings.detail_zoom and len(gdf) > settings.aggregate_feature_limit
        if too_many or coarse:
            measure = (gdf["area_m2"] if "area_m2" in gdf.columns
                       else gdf["length_m"] if "length_m" in gdf.columns else None)
            summed = {f: pd.to_numeric(gdf[f], errors="coerce").to_numpy(dtype=float)
                      for f in (sums or "").split(",") if f in gdf.columns}
            cells = grid_summary(gdf, degrees_per_pixel(zoom) * settings.grid_cell_px,
                                 measure=None if measure is None else measure.to_numpy(),
                                 sums=summed)
            cells.insert(0, "_agg", True)
            return Response(to_feature_collection(cells), media_type=GEOJSON_MEDIA)
        gdf = simplify_for_zoom(gdf, zoom)
    keep = None if not fields else [f for f in fields.split(",") if f]
    return Response(to_feature_collection(gdf, columns=keep), media_type=GEOJSON_MEDIA)


@router.post("/layers/{name}", status_code=201)
def upload_layer(
    name: str,
    data: DataDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="GeoPackage, GeoJSON, zipped Shapefile "
                                     "or CSV of points")],
    crs: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    layer: Annotated[str | None, Form()] = None,
    x: Annotated[str | None, Form()] = None,
    y: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Replace layer ``name`` with an uploaded file, validated exactly as ``peakmap build``.

    The manifest's entry for the layer (field mapping, CRS, encoding) applies; the form
    fields override it. The file is written into the project (``raw/uploads`` + manifest,
    the previous manifest kept under ``backup/``) and the layer into the store before the
    answer (201), so ``peakmap build`` reproduces it. Derived results too slow for the
    request (PV fields of buildings) are listed in ``stale`` and recomputed in the
    background, as are the indicators. ``pruned`` lists earlier uploads and manifest
    backups removed by ``[params.retention]``. A rejected upload changes nothing.
    """
    with project_temp_dir(data.project_dir, "upload") as tmp:
        target = Path(tmp) / upload_name(file.filename)
        size = save_upload(file, target, settings)
        # in a child process when the server has them (web.work): no interpreter lock held
        result = data.work.run(accept_upload, data.project_dir, name, target,
                               filename=target.name, crs=crs, encoding=encoding, layer=layer,
                               x=x, y=y)
    data.after_write(recompute=bool(result.stale))
    report = result.report
    return {"layer": name, "file": file.filename, "bytes": size,
            "features_read": report.features_read, "features_stored": report.features_stored,
            "repaired": report.repaired, "dropped": report.dropped,
            "crs_in": report.crs_in, "crs_out": report.crs_out, "notes": list(report.notes),
            "raw_path": result.raw_path, "manifest_backup": result.backup,
            "steps": [note_label(s, "en") for s in result.steps], "stale": result.stale,
            "pruned": result.pruned}


@contextlib.contextmanager
def _export_file(data: ProjectData, suffix: str) -> Iterator[tuple[Path, BackgroundTask]]:
    """A file to write an export to, removed after the answer is sent.

    It lives in an owned folder of the project (``.peakmap-tmp/export-<pid>-…``): removed by
    the answer's background task, at once when writing it fails, and otherwise at the next
    start (a killed server) or at the next export once an hour old (a cut-off download).
    """
    clean_old_temp(data.project_dir, "export", EXPORT_MAX_AGE_S)
    tmp = owned_temp_dir(data.project_dir, "export")
    try:
        yield tmp / f"export{suffix}", BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@router.get("/layers/{name}/gpkg", response_class=FileResponse)
def layer_gpkg(name: str, data: DataDep) -> FileResponse:
    """Layer ``name`` as a GeoPackage in the project's metric CRS."""
    data.require_layer(name)
    gdf = data.project.store.read(name)
    with _export_file(data, ".gpkg") as (path, cleanup):
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
        return FileResponse(path, media_type=GPKG_MEDIA, filename=f"{name}.gpkg",
                            background=cleanup)


@router.get("/report.xlsx", response_class=FileResponse)
def report_xlsx(data: DataDep, lang: LangDep, scenario: Scenario | None = None) -> FileResponse:
    """The indicator table as an Excel workbook (all levels, annex layout, ready to print).

    Text cells are stored as text, never as formulas (see ``layers/sheets.py``).
    """
    project = data.project
    with _export_file(data, ".xlsx") as (path, cleanup):
        write_xlsx(data.raw_records(scenario=scenario), path, lang=lang,
                   project_name=project.name, notice=sample_notice(project, lang))
        return FileResponse(path, media_type=XLSX_MEDIA, filename="peakmap-indicators.xlsx",
                            background=cleanup)


@router.get("/report.csv", response_class=FileResponse)
def report_csv(data: DataDep, lang: LangDep, scenario: Scenario | None = None
               ) -> FileResponse:
    """The indicator table as CSV (UTF-8, all levels); formula-like text is neutralised."""
    with _export_file(data, ".csv") as (path, cleanup):
        write_csv(data.raw_records(scenario=scenario), path, lang=lang)
        return FileResponse(path, media_type="text/csv; charset=utf-8",
                            filename="peakmap-indicators.csv", background=cleanup)

