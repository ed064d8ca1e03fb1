"""Dependencies shared by the routers: the project data, the settings, validated queries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from web.data import ProjectData
from web.errors import NotFoundError
from web.i18n import Lang, lang_of
from web.settings import BASEMAPS, WebSettings

__all__ = ["BasemapDep", "DataDep", "LangDep", "SettingsDep"]


def get_data(request: Request) -> ProjectData:
    """The app's :class:`ProjectData`."""
    data: ProjectData = request.app.state.data
    return data


def get_settings(request: Request) -> WebSettings:
    """The app's :class:`WebSettings`."""
    settings: WebSettings = request.app.state.settings
    return settings


def get_lang(lang: Annotated[str | None, Query(description="zh (default) or en")] = None
             ) -> Lang:
    """Page language from ``?lang=``."""
    return lang_of(lang)


def get_basemap(
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
