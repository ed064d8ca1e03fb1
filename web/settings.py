"""Settings of the web app, read from the environment with the prefix ``PEAKMAP_``.

Every value has a default that works offline; for example ``PEAKMAP_BASEMAP=osm`` selects
OpenStreetMap tiles by default and ``PEAKMAP_TIANDITU_TOKEN`` enables the Tianditu basemap.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

try:
    from pydantic_settings import BaseSettings, SettingsConfigDict
except ModuleNotFoundError:  # pragma: no cover - only until the pin is installed
    # Same behaviour for the flat settings below: fields from PEAKMAP_<NAME> variables.
    class BaseSettings(BaseModel):  # type: ignore[no-redef]
        """Stand-in for pydantic-settings: reads ``PEAKMAP_<FIELD>`` variables."""

        @model_validator(mode="before")
        @classmethod
        def _from_env(cls, values: Any) -> Any:
            merged = {name: os.environ[f"{ENV_PREFIX}{name.upper()}"]
                      for name in cls.model_fields if f"{ENV_PREFIX}{name.upper()}" in os.environ}
            merged.update(values if isinstance(values, dict) else {})
            return merged

    def SettingsConfigDict(**kwargs: Any) -> ConfigDict:  # type: ignore[no-redef]  # noqa: N802
        """Stand-in: keep the model options, drop the environment ones."""
        kwargs.pop("env_prefix", None)
        return ConfigDict(**kwargs)  # type: ignore[typeddict-item]

__all__ = ["BASEMAPS", "Basemap", "WebSettings"]

Basemap = Literal["none", "osm", "amap", "tianditu", "custom"]
BASEMAPS: tuple[str, ...] = ("none", "osm", "amap", "tianditu", "custom")

MEBIBYTE = 1024 * 1024
ENV_PREFIX = "PEAKMAP_"


class WebSettings(BaseSettings):
    """Adjustable settings of ``peakmap serve``.

    Attributes
    ----------
    host, port
        Where the server listens; 127.0.0.1 unless told otherwise.
    basemap
        Default basemap: ``none`` (offline), ``osm``, ``amap`` (GCJ-02), ``tianditu`` or
        ``custom``. A page may override it with ``?basemap=``.
    tianditu_token
        Key for Tianditu tiles (``PEAKMAP_TIANDITU_TOKEN``); without it Tianditu is not offered.
    custom_tiles_url, custom_tiles_attribution
        A user's own XYZ tile URL template (``{z}/{x}/{y}``) and its attribution.
    max_upload_mb
        Largest accepted upload in MiB; larger ones are refused with HTTP 413.
    inline_feature_limit
        Layers with more features than this are not inlined in map pages: a small script
        loads them by bounding box and zoom from ``/api/layers/{name}``, so the page stays
        small whatever the data size.
    matrix_page_rows
        Most streets (or communities of one street) on a page of the dashboard's matrix; a
        district's streets stay on one page with its summary row when they fit.
    detail_zoom
        Below this zoom, a view holding more than ``aggregate_feature_limit`` features of
        a layer gets a grid summary instead of the features.
    aggregate_feature_limit
        See ``detail_zoom``.
    max_features_per_request
        Above this many features in a bounding box the API aggregates at any zoom.
    grid_cell_px
        Size of an aggregation cell, in screen pixels at the requested zoom.
    classes
        Most classes of indicator maps (split at the target where there is one, see
        :mod:`web.classes`).
    allowed_hosts
        Comma-separated host names or addresses planners type in the browser
        (``PEAKMAP_ALLOWED_HOSTS``, e.g. ``planning-pc,192.168.1.20``); requests naming
        any other ``Host`` are refused (DNS rebinding). 127.0.0.1 and localhost are always
        allowed. Needed when serving on 0.0.0.0.
    trusted_origins
        Comma-separated origins (``PEAKMAP_TRUSTED_ORIGINS``, e.g.
        ``https://peakmap.district.gov.cn``) from which browsers may send state-changing
        requests besides this server's own ``Host``: the address planners open when a
        reverse proxy passes requests on with another ``Host`` header.
    session_hours
        How long a browser login lasts.
    work_processes
        Child processes of ``peakmap serve`` for uploads, derived results and the indicator
        engine (``PEAKMAP_WORK_PROCESSES``, default 1; 0 = the server's own threads, which
        then hold the interpreter lock for seconds and slow every request down).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    basemap: Basemap = "none"
    tianditu_token: str | None = None
    custom_tiles_url: str | None = None
    custom_tiles_attribution: str = "custom tiles"
    max_upload_mb: float = Field(default=200.0, gt=0)
    inline_feature_limit: int = Field(default=200, ge=0)
    matrix_page_rows: int = Field(default=30, ge=1)
    detail_zoom: int = Field(default=16, ge=0, le=22)
    aggregate_feature_limit: int = Field(default=3000, ge=0)
    max_features_per_request: int = Field(default=10000, ge=1)
    grid_cell_px: int = Field(default=48, ge=4)
    classes: int = Field(default=5, ge=2, le=9)
    allowed_hosts: str = ""
    trusted_origins: str = ""
    session_hours: float = Field(default=8.0, gt=0)
    work_processes: int = Field(default=1, ge=0, le=8)

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes."""
        return int(self.max_upload_mb * MEBIBYTE)

    @property
    def loopback(self) -> bool:
        """Whether the server listens on a loopback address only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def trusted_hosts(self) -> list[str]:
        """Host names accepted in the ``Host`` header."""
        extra = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        own = [] if self.host in ("0.0.0.0", "::", "") else [self.host]
        return list(dict.fromkeys(["127.0.0.1", "localhost", *own, *extra]))

    def trusted_origin_set(self) -> frozenset[str]:
        """The trusted origins, normalised (``scheme://host[:port]``, lower case).

        Raises
        ------
        ValueError
            An entry is not an ``http(s)://host[:port]`` origin.
        """
        from urllib.parse import urlsplit

        out = set()
        for item in (x.strip() for x in self.trusted_origins.split(",")):
            if not item:
                continue
            parts = urlsplit(item)
            if parts.scheme not in ("http", "https") or not parts.netloc or \
                    parts.path.strip("/") or parts.query:
                raise ValueError(f"PEAKMAP_TRUSTED_ORIGINS: {item!r} is not an origin such as "
                                 "https://peakmap.example.cn or http://10.0.0.5:8080")
            out.add(f"{parts.scheme}://{parts.netloc.lower()}")
        return frozenset(out)

    def available_basemaps(self) -> list[str]:
        """Basemaps this server can offer (Tianditu needs a token, custom needs a URL)."""
        out = ["none", "osm", "amap"]
        if self.tianditu_token:
            out.append("tianditu")
        if self.custom_tiles_url:
            out.append("custom")
        return out
