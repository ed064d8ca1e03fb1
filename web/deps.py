"""Dependencies shared by the routers: the project data, the settings, validated queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from web.data import ProjectData
from web.errors import NotFoundError
from web.i18n import Lang, lang_of
from web.settings import BASEMAPS, WebSettings

__all__ = ["BasemapDep", "DataDep", "LangDep", "SettingsDep"]


# The dependencies are ``async def`` although they never wait: FastAPI runs a plain ``def``
# dependency in the worker-thread pool, so under load even /api/health (answered on the
# event loop) queued behind the page handlers for a free thread just to fetch app state.


async def get_data(request: Request) -> ProjectData:
    """The app's :class:`ProjectData`."""
    data: ProjectData = request.app.state.data
    return data


async def get_settings(request: Request) -> WebSettings:
    """The app's :class:`WebSettings`."""
    settings: WebSettings = request.app.state.settings
    return settings


async def get_lang(
    lang: Annotated[Lang | None, Query(description="zh (default) or en")] = None,
) -> Lang:
    """Page language from ``?lang=`` (``zh`` when absent).

    Any other value is refused like every bad parameter (``web.errors``): the bilingual 422
    naming ``lang`` and the values it takes, rather than a silent fall-back to Chinese.
    """
    return lang_of(lang)


async def get_basemap(
    settings: Annotated[WebSettings, Depends(get_settings)],
    basemap: Annotated[str | None, Query(description=f"one of {', '.join(BASEMAPS)}")] = None,
) -> str:
    """Basemap from ``?basemap=``, else the settings' default; refuse unavailable ones."""
    choice = basemap or settings.basemap
    if choice not in settings.available_basemaps():
        raise NotFoundError(
            f"basemap {choice!r} is not available here "
            f"(available: {', '.join(settings.available_basemaps())}; Tianditu needs "
            "PEAKMAP_TIANDITU_TOKEN, custom needs PEAKMAP_CUSTOM_TILES_URL)"
        )
    return choice


DataDep = Annotated[ProjectData, Depends(get_data)]
SettingsDep = Annotated[WebSettings, Depends(get_settings)]
LangDep = Annotated[Lang, Depends(get_lang)]
BasemapDep = Annotated[str, Depends(get_basemap)]
