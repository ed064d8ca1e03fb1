"""The FastAPI application: ``create_app(project_dir)`` composes routers, assets and errors."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from gis._errors import PeakmapError
from web import api, pages
from web.data import ProjectData, RecordsFn
from web.errors import add_exception_handlers
from web.settings import WebSettings

__all__ = ["STATIC_DIR", "create_app", "leaflet_dir"]

STATIC_DIR = Path(__file__).parent / "static"


def leaflet_dir() -> Path:
    """Folder of the Leaflet files shipped by the XStatic-Leaflet package."""
    import xstatic.pkg.leaflet as xs_leaflet

    return Path(xs_leaflet.BASE_DIR)


def _warm(data: ProjectData) -> None:
    with contextlib.suppress(PeakmapError):
        data.records()


def create_app(
    project_dir: Path | str,
    *,
    settings: WebSettings | None = None,
    records_fn: RecordsFn | None = None,
    warm: bool = False,
) -> FastAPI:
    """Build the web app of one project.

    Parameters
    ----------
    project_dir : pathlib.Path or str
        The project directory (built with ``peakmap build``).
    settings : WebSettings, optional
        Defaults come from the ``PEAKMAP_*`` environment variables.
    records_fn : callable, optional
        Replaces the indicator engine (tests).
    warm : bool, keyword-only
        Compute the indicator records in a background thread right away, so the first
        dashboard request does not wait for them.

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or WebSettings()
    app = FastAPI(title="peakmap", description="碳达峰实施方案空间评估 — spatial indicators "
                  "of carbon-peak plans. JSON under /api, maps and dashboard outside it.")
    app.state.settings = settings
    app.state.data = ProjectData(Path(project_dir), records_fn=records_fn)
    _ = app.state.data.project  # fail early on a missing directory or a bad manifest
    add_exception_handlers(app)
    if warm:
        threading.Thread(target=_warm, args=(app.state.data,), daemon=True).start()

    @app.middleware("http")
    async def limit_upload(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # Refuse a declared oversize body before reading it; chunked bodies are counted
        # while they are copied (web.api.upload_layer).
        length = request.headers.get("content-length")
        if request.method == "POST" and length and length.isdigit() \
                and int(length) > settings.max_upload_bytes:
            return api.too_large_response(settings.max_upload_mb)
        return await call_next(request)

    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dir()), name="leaflet")
    app.mount("/static/peakmap", StaticFiles(directory=STATIC_DIR), name="peakmap-static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
