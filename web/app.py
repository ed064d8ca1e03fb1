"""The FastAPI application: ``create_app(project_dir)`` composes routers, assets and errors."""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from gis import PeakmapError
from layers.store import close_pooled
from web import api, auth, exports, exports_maps, pages, scenario
from web.auth import AuthMiddleware
from web.cache import ResponseCacheMiddleware
from web.data import ProjectData, RecordsFn
from web.errors import add_exception_handlers
from web.limits import BodyLimitMiddleware
from web.sessions import SESSIONS_FILE, Sessions
from web.settings import WebSettings
from web.users import AuditLog, UserStore
from web.work import WorkPool

__all__ = ["STATIC_DIR", "create_app", "leaflet_dir"]

STATIC_DIR = Path(__file__).parent / "static"
# Threads for the synchronous handlers (Starlette's default is 40). Pages are CPU-bound
# Python: fewer threads contend less for the GIL, so the event loop (/api/health) and the
# requests already running finish sooner; the others wait their turn without CPU.
WORKER_THREADS = 4


@contextlib.asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    try:
        yield
    finally:
        _app.state.data.work.close()
        close_pooled()  # a PostGIS store's idle read connections


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
    processes: bool = False,
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
    processes : bool, keyword-only
        Run uploads, derived results and the indicator engine in
        ``settings.work_processes`` child processes (:mod:`web.work`; ``peakmap serve``
        does) instead of the server's threads.

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or WebSettings()
    app = FastAPI(title="peakmap", description="碳达峰实施方案空间评估 — spatial indicators "
                  "of carbon-peak plans. JSON under /api, maps and dashboard outside it.",
                  docs_url=None, redoc_url=None, lifespan=_lifespan)
    app.state.settings = settings
    work = WorkPool(settings.work_processes if processes else 0)
    app.state.data = ProjectData(Path(project_dir), records_fn=records_fn, work=work)
    _ = app.state.data.project  # fail early on a missing directory or a bad manifest
    add_exception_handlers(app)
    users = UserStore.for_project(app.state.data.project.root)
    if not settings.loopback and not users.any():
        raise PeakmapError(
            f"serving on {settings.host} (not loopback) needs accounts: add one with "
            f"'peakmap user add {project_dir} NAME --role admin' first")
    if settings.host in ("0.0.0.0", "::") and not settings.allowed_hosts:
        raise PeakmapError(
            f"serving on {settings.host} needs PEAKMAP_ALLOWED_HOSTS (or --allowed-hosts): the "
            "names or addresses planners type in the browser, e.g. planning-pc,192.168.1.20")
    app.state.users = users
    app.state.sessions = Sessions(users.path.parent / SESSIONS_FILE, settings.session_hours)
    app.state.audit = AuditLog.for_project(app.state.data.project.root)
    if warm:
        threading.Thread(target=_warm, args=(app.state.data,), daemon=True).start()

    # Innermost first: the upload size is counted as the body arrives (web.limits); pages
    # and reads kept per data version (web.cache), behind the checks of who asks; login,
    # roles, CSRF and the audit log (web.auth); the Host header (DNS rebinding) outermost.
    app.add_middleware(BodyLimitMiddleware, limit_bytes=settings.max_upload_bytes,
                       limit_mb=settings.max_upload_mb)
    app.add_middleware(ResponseCacheMiddleware, version=app.state.data.version)
    try:
        origins = settings.trusted_origin_set()
    except ValueError as e:
        raise PeakmapError(str(e)) from e
    app.add_middleware(AuthMiddleware, users=users, sessions=app.state.sessions,
                       audit=app.state.audit, trusted_origins=origins)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts())

    app.mount("/static/leaflet", StaticFiles(directory=leaflet_dir()), name="leaflet")
    app.mount("/static/peakmap", StaticFiles(directory=STATIC_DIR), name="peakmap-static")
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(scenario.router)
    app.include_router(exports.router)
    app.include_router(exports_maps.router)
    _add_docs(app)
    return app


def _add_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from local files (swagger-ui-bundle), never from a CDN.

    Without the package, a plain offline page lists the endpoints of the OpenAPI schema.
    """
    try:
        import swagger_ui_bundle
    except ModuleNotFoundError:
        swagger_dir = None
    else:
        swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)
    if swagger_dir is not None:
        app.mount("/static/swagger", StaticFiles(directory=swagger_dir), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if swagger_dir is not None:
            return get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json", title="peakmap API",
                swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                swagger_css_url="/static/swagger/swagger-ui.css",
                swagger_favicon_url="/static/swagger/favicon-32x32.png",
                # No badge from the public validator service: the page stays offline.
                swagger_ui_parameters={"validatorUrl": None},
            )
        rows = "".join(
            f"<tr><td>{html.escape(method.upper())}</td><td>{html.escape(path)}</td>"
            f"<td>{html.escape(str(op.get('summary', '')))}</td></tr>"
            for path, ops in app.openapi()["paths"].items() for method, op in ops.items()
        )
        return HTMLResponse(
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>peakmap API</title>'
            '<link rel="icon" href="data:,"></head><body><h1>peakmap API</h1>'
            '<p>OpenAPI schema: <a href="/openapi.json">/openapi.json</a></p>'
            f"<table>{rows}</table></body></html>")
