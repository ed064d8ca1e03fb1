"""The upload page and its dry run: drop a file, choose the layer, see every problem, confirm.

``POST /api/layers/{name}/check`` validates a file exactly as ``peakmap build`` does
(:func:`layers.ingest.check_upload`) and writes nothing; the page then sends the same form
to ``POST /api/layers/{name}``, which stores it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from layers.ingest import check_upload
from layers.messages import message_label
from layers.schema import CANONICAL
from layers.store import project_temp_dir
from web.deps import DataDep, LangDep, SettingsDep
from web.i18n import t
from web.receive import save_upload, upload_name

__all__ = ["router"]

router = APIRouter()
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
# Words the page script writes (zh, en).
SCRIPT_TEXT: dict[str, tuple[str, str]] = {
    "read": ("读取要素", "features read"), "stored": ("入库要素", "features stored"),
    "crs": ("坐标系", "CRS"), "repaired": ("已修复几何", "geometries repaired"),
    "dropped": ("已剔除空几何", "empty geometries dropped"),
    "checking": ("正在检查…", "Checking…"), "storing": ("正在上传…", "Uploading…"),
    "rejected": ("未通过，请修改后重试", "Rejected: fix these and try again"),
    "passed": ("检查通过，可以确认上传", "Passed: you can confirm the upload"),
    "stored_ok": ("已上传，指标将按新数据重新计算", "Stored; indicators are recomputed with it"),
    "failed": ("请求失败", "Request failed"),
}


@router.get("/upload", response_class=HTMLResponse, tags=["pages"])
def upload_page(data: DataDep, lang: LangDep, settings: SettingsDep) -> HTMLResponse:
    """Drag a file, choose the layer, check it (every problem at once), then confirm."""
    counts = {i.name: i.features for i in data.layer_info()}
    layers = [{"name": s.name, "title": s.title_zh if lang == "zh" else s.title_en,
               "geometry": s.geometry, "features": counts.get(s.name),
               "required": ", ".join(s.required)} for s in CANONICAL.values()]
    html = TEMPLATES.get_template("upload.html").render(
        t=lambda key: t(key, lang), lang=lang, other_lang="en" if lang == "zh" else "zh",
        project_name=data.project.name, layers=layers, scenario="", sq="",
        max_mb=settings.max_upload_mb, lang_href=f"?lang={'en' if lang == 'zh' else 'zh'}",
        text={"lang": lang, "original": "原文" if lang == "zh" else "original",
              **{k: v[0] if lang == "zh" else v[1] for k, v in SCRIPT_TEXT.items()}},
    )
    return HTMLResponse(html)


@router.post("/api/layers/{name}/check", tags=["api"])
def check_layer(
    name: str,
    data: DataDep,
    settings: SettingsDep,
    lang: LangDep,
    file: Annotated[UploadFile, File(description="the file to check")],
    crs: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    layer: Annotated[str | None, Form()] = None,
    x: Annotated[str | None, Form()] = None,
    y: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """Dry run of an upload: every problem the build would find, or what it would store.

    Nothing is written. The answer is 200 either way: ``ok``, ``errors`` (one line each,
    the build's own message first, in English), ``errors_label`` (the same lines in
    ``lang``, Chinese by default) and ``report`` (features read and stored, repairs, CRS)
    when the file passes.
    """
    with project_temp_dir(data.project_dir, "check") as tmp:
        target = Path(tmp) / upload_name(file.filename)
        size = save_upload(file, target, settings)
        report, errors = check_upload(data.project, name, target, crs=crs,
                                      encoding=encoding, layer=layer, x=x, y=y)
    body: dict[str, Any] = {"layer": name, "file": file.filename, "bytes": size,
                            "ok": report is not None, "errors": errors,
                            "errors_label": [message_label(e, lang) for e in errors],
                            "report": None}
    if report is not None:
        body["report"] = {"features_read": report.features_read,
                          "features_stored": report.features_stored,
                          "repaired": report.repaired, "dropped": report.dropped,
                          "crs_in": report.crs_in, "crs_out": report.crs_out,
                          "notes": [message_label(n, lang) for n in report.notes]}
    return body
