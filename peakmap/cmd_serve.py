"""``peakmap serve PROJECT``: the dashboard and maps on http://127.0.0.1:8000.

A non-loopback ``--host`` is refused until the project has accounts (``peakmap user add``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from peakmap.console import Lang, lang_option

__all__ = ["register", "serve"]

KEEP_ALIVE_S = 65


def serve(
    project: Annotated[Path, typer.Argument(help="Project directory (built with peakmap build)")],
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1, "
                                             "or PEAKMAP_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000, or PEAKMAP_PORT)")] = None,
    allowed_hosts: Annotated[str | None, typer.Option(
        help="Host names/addresses planners type in the browser, comma-separated "
             "(or PEAKMAP_ALLOWED_HOSTS); needed with --host 0.0.0.0")] = None,
    trusted_origins: Annotated[str | None, typer.Option(
        help="Origins browsers use behind a reverse proxy, comma-separated, e.g. "
             "https://peakmap.district.gov.cn (or PEAKMAP_TRUSTED_ORIGINS)")] = None,
    lang: Annotated[Lang, lang_option("start-up lines and errors in zh or en (each page has "
                                      "its own language switch)")] = Lang.zh,
) -> None:
    """Serve the dashboard, the maps and the JSON API (offline: no CDN, no tiles by default)."""
    import uvicorn

    from web.app import create_app
    from web.settings import WebSettings

    settings = WebSettings()
    overrides = {k: v for k, v in {"host": host, "port": port, "allowed_hosts": allowed_hosts,
                                   "trusted_origins": trusted_origins}.items()
                 if v is not None}
    settings = settings.model_copy(update=overrides)
    app = create_app(project, settings=settings, warm=True, processes=True)
    url = f"http://{settings.host}:{settings.port}/"
    users = app.state.users.users()
    hosts = ", ".join(settings.trusted_hosts())
    if lang is Lang.en:
        typer.echo(f"peakmap: serving {project} on {url}")
        typer.echo(f"  {len(users)} accounts: login required; hosts accepted: {hosts}" if users
                   else "  no accounts: login-free, loopback only (peakmap user add ... to share)")
    else:
        typer.echo(f"peakmap：在 {url} 提供 {project}")
        typer.echo(f"  {len(users)} 个账户：需要登录；接受的主机名：{hosts}" if users
                   else "  没有账户：无需登录，只在本机地址提供服务（共享请先 peakmap user add …）")
    # Idle keep-alive connections are kept 65 s (uvicorn's 5 s default closes connections a
    # browser or a client pool is about to reuse: the load test saw those as read errors).
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_S)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``peakmap`` command line."""
    app.command("serve")(serve)
