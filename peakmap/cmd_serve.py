"""``peakmap serve PROJECT``: the dashboard and maps on http://127.0.0.1:8000.

A non-loopback ``--host`` is refused until the project has accounts (``peakmap user add``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    typer.echo(f"peakmap: serving {project} on http://{settings.host}:{settings.port}/")
    users = app.state.users.users()
    if users:
        typer.echo(f"  {len(users)} accounts: login required; hosts accepted: "
                   f"{', '.join(settings.trusted_hosts())}")
    else:
        typer.echo("  no accounts: login-free, loopback only (peakmap user add ... to share)")
    # Idle keep-alive connections are kept 65 s (uvicorn's 5 s default closes connections a
    # browser or a client pool is about to reuse: the load test saw those as read errors).
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_S)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``peakmap`` command line."""
    app.command("serve")(serve)
