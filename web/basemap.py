"""An offline reference basemap drawn from the project's own layers, zone labels, scale.

No tile server is needed to see where a zone lies: land use (water in blue) and roads are
served by ``/api/basemap`` for the visible box, simplified to the zoom, and drawn by
``static/peakmap.js`` in a pane under every overlay. Zone names are permanent labels; the
scale bar is metric only.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from fastapi import APIRouter, Query
from fastapi.responses import Response
from jinja2 import Template

from gis import PeakmapError
from web.data import ProjectData
from web.deps import DataDep
from web.geo import parse_bbox, select_bbox, simplify_for_zoom, to_feature_collection

__all__ = ["BASEMAP_LAYERS", "MetricScale", "OfflineBasemap", "ZoneLabels", "basemap_features",
           "router", "zone_labels"]

router = APIRouter(prefix="/api", tags=["api"])

# Stored layers the reference basemap draws, bottom first.
BASEMAP_LAYERS = ("landuse", "roads")
# Road classes drawn below the detail zoom (the rest appear from DETAIL_ROADS_ZOOM on).
MAJOR_ROADS = ("primary", "secondary", "local", "trunk", "motorway", "tertiary")
DETAIL_ROADS_ZOOM = 15
# Land-use codes drawn as water (GB 50137: E1 水域).
WATER_PREFIX = "E1"


def basemap_features(data: ProjectData, *, bbox: tuple[float, float, float, float] | None,
                     zoom: float, gcj02: bool) -> gpd.GeoDataFrame:
    """Land use and roads inside ``bbox``, simplified for ``zoom``, with ``k`` and ``c``.

    ``k`` is ``landuse``, ``water`` or ``road``; ``c`` the land-use major class (first
    letter of ``code``) or the road class.
    """
    names = data.layer_names()
    parts = []
    if "landuse" in names:
        lu = select_bbox(data.display("landuse", gcj02=gcj02), bbox)
        code = lu["code"].astype(str)
        sub = lu["subcode"].astype(str) if "subcode" in lu.columns else code
        water = sub.str.startswith(WATER_PREFIX) | (code == WATER_PREFIX)
        parts.append(gpd.GeoDataFrame(
            {"k": np.where(water, "water", "landuse"), "c": code.str.slice(0, 1)},
            geometry=lu.geometry.to_numpy(), crs=lu.crs))
    if "roads" in names:
        rd = select_bbox(data.display("roads", gcj02=gcj02), bbox)
        cls = (rd["class"].astype(object).where(rd["class"].notna(), "")
               if "class" in rd.columns else pd.Series("", index=rd.index))
        if zoom < DETAIL_ROADS_ZOOM and (cls != "").any():
            keep = cls.isin(MAJOR_ROADS).to_numpy()
            rd, cls = rd[keep], cls[keep]
        parts.append(gpd.GeoDataFrame({"k": "road", "c": cls.astype(str).to_numpy()},
                                      geometry=rd.geometry.to_numpy(), crs=rd.crs))
    if not parts:
        return gpd.GeoDataFrame({"k": [], "c": []}, geometry=[], crs="EPSG:4326")
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    return simplify_for_zoom(out, zoom)


@router.get("/basemap", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def basemap(
    data: DataDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in degrees")] = None,
    zoom: Annotated[float, Query(ge=0, le=24)] = 14,
    datum: Annotated[Literal["wgs84", "gcj02"], Query()] = "wgs84",
) -> Response:
    """The offline reference basemap (land use, water, roads) for the visible box."""
    try:
        box = parse_bbox(bbox)
    except ValueError as e:
        raise PeakmapError(f"query bbox: {e}") from e
    gdf = basemap_features(data, bbox=box, zoom=zoom, gcj02=datum == "gcj02")
    return Response(to_feature_collection(gdf), media_type="application/geo+json")


def zone_labels(zones: gpd.GeoDataFrame, name_field: str = "name") -> list[list[Any]]:
    """``[lat, lon, name]`` at a point inside each zone (the label anchors).

    Examples
    --------
    >>> z = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[shapely.box(0, 0, 2, 2)])
    >>> zone_labels(z)
    [[1.0, 1.0, '甲']]
    """
    if zones.empty or name_field not in zones.columns:
        return []
    pts = shapely.point_on_surface(np.asarray(zones.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    return [[round(float(y), 6), round(float(x), 6), str(n)]
            for (x, y), n in zip(xy, zones[name_field], strict=True)]


def _json(value: Any) -> str:
    # "<" written as its JSON escape: no value can close the script element or read as a tag.
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


class OfflineBasemap(MacroElement):
    """Runs ``peakmapBasemap`` for the map: the project's land use and roads underneath."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        peakmapBasemap({{ this._parent.get_name() }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, *, datum: str) -> None:
        super().__init__()
        self._name = "PeakmapBasemap"
        self.config = _json({"url": "/api/basemap", "datum": datum})


class ZoneLabels(MacroElement):
    """Permanent zone-name labels (text only, never parsed as HTML), from ``min_zoom`` on."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        peakmapLabels({{ this._parent.get_name() }}, {{ this.labels }}, {{ this.min_zoom }},
                      {{ this.css }});
        {% endmacro %}
    """)

    def __init__(self, labels: list[list[Any]], *, min_zoom: int, css: str) -> None:
        super().__init__()
        self._name = "PeakmapLabels"
        self.labels = _json(labels)
        self.min_zoom = int(min_zoom)
        self.css = _json(css)


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "PeakmapMetricScale"
