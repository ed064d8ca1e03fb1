"""Folium map pages: layers, one indicator, uncovered areas and proposals, rooftop PV.

Every page is offline by default: Leaflet comes from ``/static`` (XStatic-Leaflet), none of
folium's CDN scripts are loaded, and tile URLs appear only when a basemap other than
``none`` is chosen. Tooltip HTML is built from escaped values (:func:`tip_html`); layers
with more features than ``inline_feature_limit`` are not inlined but loaded by bounding box
and zoom by ``static/peakmap.js``.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.features import GeoJsonStyleMapper
from folium.template import Template as FoliumTemplate
from folium.utilities import get_obj_in_upper_tree
from jinja2 import Template

from layers.labels import codes_in_text, note_label, responsible_label, unit_label
from layers.numfmt import figures, is_number, target_text
from web.basemap import BASEMAP_LAYERS, MetricScale, OfflineBasemap, ZoneLabels, zone_labels
from web.classes import break_label, legend_items, zone_classes
from web.data import ZONE_LAYERS, ProjectData
from web.errors import NotFoundError
from web.exports import export_buttons, export_links
from web.geo import (
    COORD_DECIMALS,
    INLINE_SIMPLIFY_ZOOM,
    MAP_DECIMALS,
    WEB_MERCATOR,
    metres_per_pixel,
    simplify_on_map,
    to_feature_collection,
    zone_display_zoom,
)
from web.i18n import leaflet_text_script, sample_notice, t
from web.layer_text import layer_legend, layer_title, pv_sky_note, row_notes, simplified_note
from web.settings import WebSettings
from web.styles import LayerStyle, colors_of, style_for
from web.tips import tip_config, tip_rows

__all__ = [
    "OFFLINE_CSS",
    "OFFLINE_JS",
    "TILE_SOURCES",
    "gaps_map",
    "indicator_map",
    "layers_map",
    "new_map",
    "pv_map",
    "tip_html",
]

OFFLINE_JS = [("leaflet", "/static/leaflet/leaflet.js"), ("peakmap", "/static/peakmap/peakmap.js")]
OFFLINE_CSS = [("leaflet_css", "/static/leaflet/leaflet.css"),
               ("peakmap_css", "/static/peakmap/peakmap.css"),
               ("peakmap_exports_css", "/static/peakmap/exports.css")]

# Tile URL templates; they reach a page only when the user picks that basemap.
TILE_SOURCES: dict[str, tuple[str, str, str]] = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap contributors", "abc"),
    "amap": ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
             "&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi", "1234"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                 "&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                 "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=", "© 天地图 Tianditu",
                 "01234567"),
}
TIANDITU_LABELS = ("https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                   "&VERSION=1.0.0&LAYER=cva&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                   "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")
NO_DATA_COLOR = "#d9d9d9"
# Fill of an indicator map's zones: the darkest class still reads as the top of the scale
# over the basemap (0.7 made it look like the class below).
ZONE_FILL_OPACITY = 0.85
ZONE_OUTLINE = "#555555"
DEFAULT_CENTER = (39.12, 117.2)
DEFAULT_ZOOM = 14
# Community names appear from this zoom on (the district fits the screen at about 14).
COMMUNITY_LABEL_ZOOM = 15


def tip_html(title: str, rows: Iterable[tuple[str, Any]]) -> str:
    """Tooltip HTML in which every label and value is escaped.

    Examples
    --------
    >>> tip_html("<b>", [("name", "<img src=x onerror=alert(1)>")])
    '<b>&lt;b&gt;</b><br><span class="pm-k">name:</span> &lt;img src=x onerror=alert(1)&gt;'
    """
    parts = [f"<b>{html.escape(str(title))}</b>"]
    for label, value in rows:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            continue
        parts.append(f'<span class="pm-k">{html.escape(str(label))}:</span> '
                     f"{html.escape(str(value))}")
    return "<br>".join(parts)


def _tips(frame: pd.DataFrame, layer: str, title: str, fields: Sequence[str],
          lang: str) -> list[str]:
    """Tooltips with translated field names, translated codes and rounded values."""
    return [tip_html(title, rows) for rows in tip_rows(frame, layer, fields, lang)]


class _Html(Element):
    """Markup added to the page body as it is (already escaped; never parsed as a template)."""

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str) -> None:
        super().__init__()
        self._name = "PeakmapHtml"
        self.markup = markup


class _DynamicLayer(MacroElement):
    """Runs ``peakmapDynamicLayer`` for a feature group once the map exists."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        peakmapDynamicLayer({{ this.map_name }}, {{ this.group_name }}, {{ this.config }});
        {% endmacro %}
    """)

    def __init__(self, map_name: str, group_name: str, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PeakmapDynamicLayer"
        self.map_name = map_name
        self.group_name = group_name
        # json.dumps then neutralise "</" so no value can close the script element.
        self.config = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")


def _header(lang: str, basemap: str, settings: WebSettings, title: str,
            extra_query: str = "") -> str:
    # the same places as the other pages' bar (templates/_bar.html)
    nav = [("/", "matrix", "nav_matrix"), ("/?level=district", "list_view", "nav_list"),
           ("/maps/layers", "layers_map", "nav_layers"), ("/maps/gaps", "gaps_map", "nav_gaps"),
           ("/maps/pv", "pv_map", "nav_pv"), ("/upload", "upload", "nav_upload")]
    def query(href: str) -> str:  # the maps keep basemap and indicator, the others the language
        q = f"lang={lang}&basemap={basemap}{extra_query}" if href.startswith("/maps") else (
            f"lang={lang}")
        return f"{href}{'&' if '?' in href else '?'}{q}"

    links = " ".join(f'<a href="{html.escape(query(href))}" title="{html.escape(t(full, lang))}">'
                     f"{html.escape(t(short, lang))}</a>" for href, full, short in nav)
    opts = "".join(
        f'<option value="{b}"{" selected" if b == basemap else ""}>'
        f"{html.escape(t('basemap_' + b, lang))}</option>"
        for b in settings.available_basemaps()
    )
    other = "en" if lang == "zh" else "zh"
    switch = f"?lang={other}&basemap={basemap}{extra_query}"
    return (
        f'<div class="pm-bar"><span class="pm-title" title="{html.escape(title)}">'
        f"{html.escape(title)}</span>{links}"
        f'<span class="pm-right"><label>{html.escape(t("basemap", lang))} '
        f'<select id="pm-basemap" onchange="peakmapSetBasemap(this.value)">{opts}</select>'
        f'</label><a id="pm-lang" href="{html.escape(switch)}">'
        f"{html.escape(t('language', lang))}</a></span></div>"
    )


def _legend(title: str, items: Sequence[tuple[str, str]], notes: Sequence[str] = (),
            *, open_: bool = True, outlines: Sequence[tuple[str, str]] = (),
            fill_opacity: float = 1.0) -> str:
    # swatches as opaque as the map's fills, so a zone's colour matches its class's swatch
    op = "" if fill_opacity >= 1.0 else f";opacity:{fill_opacity:g}"
    rows = "".join(f'<div><span class="sw" style="background:{html.escape(c)}{op}"></span>'
                   f"{html.escape(label)}</div>" for c, label in items)
    rows += "".join(f'<div class="pm-outline"><span class="sw" style="background:#fff;'
                    f'border:2px solid {html.escape(c)}"></span>{html.escape(label)}</div>'
                    for c, label in outlines)
    ps = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    state = " open" if open_ else ""
    return (f'<details class="pm-legend" id="pm-legend"{state}><summary><b>'
            f"{html.escape(title)}</b></summary>{rows}{ps}</details>")


def new_map(
    *,
    basemap: str,
    settings: WebSettings,
    bounds: Sequence[float] | None,
    lang: str,
    title: str,
    extra_query: str = "",
) -> folium.Map:
    """An offline folium map with the chosen basemap and peakmap's header bar.

    Parameters
    ----------
    basemap : str, keyword-only
        ``none``, ``osm``, ``amap``, ``tianditu`` or ``custom``.
    settings : WebSettings, keyword-only
    bounds : sequence of float or None, keyword-only
        ``(minx, miny, maxx, maxy)`` in display degrees to fit the view to.
    lang : str, keyword-only
        ``zh`` or ``en``.
    title : str, keyword-only
        Page title shown in the bar.
    extra_query : str, keyword-only
        Query text kept by the language and basemap links (``&indicator=...``).

    Returns
    -------
    folium.Map
    """
    m = folium.Map(location=DEFAULT_CENTER, zoom_start=DEFAULT_ZOOM, tiles=None,
                   prefer_canvas=True, control_scale=False)
    m.add_child(MetricScale())
    m.default_js = list(OFFLINE_JS)
    m.default_css = list(OFFLINE_CSS)
    if basemap in TILE_SOURCES and basemap in settings.available_basemaps():
        url, attr, subs = TILE_SOURCES[basemap]
        if basemap == "tianditu":
            token = settings.tianditu_token or ""
            url = url + token
            folium.TileLayer(url, attr=attr, name=t("basemap_tianditu", lang),
                             subdomains=subs, max_zoom=18).add_to(m)
            folium.TileLayer(TIANDITU_LABELS + token, attr=attr, name="注记", overlay=True,
                             subdomains=subs, max_zoom=18).add_to(m)
        else:
            folium.TileLayer(url, attr=attr, name=t("basemap_" + basemap, lang),
                             subdomains=subs, max_zoom=19).add_to(m)
    elif basemap == "custom" and settings.custom_tiles_url:
        folium.TileLayer(settings.custom_tiles_url,
                         attr=html.escape(settings.custom_tiles_attribution),
                         name=html.escape(t("basemap_custom", lang))).add_to(m)
    if bounds is not None and all(math.isfinite(v) for v in bounds):
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    root = _figure(m)
    root.header.add_child(_Html(f"<title>{html.escape(title)}</title>"), name="pm_title")
    # No favicon request: every resource of the page is one the app serves.
    root.header.add_child(_Html('<link rel="icon" href="data:,">'), name="pm_icon")
    root.header.add_child(_Html(leaflet_text_script(lang)), name="pm_lang")
    root.html.add_child(_Html(_header(lang, basemap, settings, title, extra_query)))
    return m


def _reference(m: folium.Map, data: ProjectData, *, basemap: str, gcj02: bool,
               label_levels: Sequence[str] = ("street", "community")) -> None:
    """The offline reference basemap (without tiles) and the zone-name labels."""
    names = data.layer_names()
    if basemap == "none" and any(n in names for n in BASEMAP_LAYERS):
        m.add_child(OfflineBasemap(datum="gcj02" if gcj02 else "wgs84"))
    for level in label_levels:
        layer = ZONE_LAYERS[level]
        if layer in names:
            small = level == "community"
            m.add_child(ZoneLabels(zone_labels(data.display(layer, gcj02=gcj02)),
                                   min_zoom=COMMUNITY_LABEL_ZOOM if small else 0,
                                   css="pm-label-small" if small else ""))


def _figure(m: folium.Map) -> Figure:
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def _bounds(data: ProjectData, *, gcj02: bool) -> list[float] | None:
    for name in ("districts", "streets", "communities"):
        if name in data.layer_names():
            return [float(v) for v in data.display(name, gcj02=gcj02).total_bounds]
    names = data.layer_names()
    if names:
        return [float(v) for v in data.display(names[0], gcj02=gcj02).total_bounds]
    return None


class _GeoJson(folium.GeoJson):
    """folium's GeoJson, lighter: each tooltip once, no colour per feature, compact JSON.

    Features are told apart by a short ``id`` (folium would otherwise key its style table
    by the tooltip text, writing every tooltip twice); the properties that only choose a
    style (``_c``, ``_s``) are dropped once folium has turned them into that table; the
    data is written as compact UTF-8 JSON (folium writes a 6-byte escape for every Chinese
    character and a space after every comma). Used for inline layers with a style function,
    a circle marker for points and a :class:`folium.GeoJsonTooltip`.
    """

    _template = FoliumTemplate("""
        {% macro script(this, kwargs) %}
        function {{ this.get_name() }}_styler(feature) {
            switch(feature.id) {
                {%- for style, ids_list in this.style_map.items() if not style == 'default' %}
                {% for id_val in ids_list %}case {{ id_val }}: {% endfor %}
                    return {{ style }};
                {%- endfor %}
                default:
                    return {{ this.style_map.get('default', '{}') }};
            }
        }
        function {{ this.get_name() }}_pointToLayer(feature, latlng) {
            var opts = {{ this.marker.options | tojavascript }};
            Object.assign(opts, {{ this.get_name() }}_styler(feature));
            return new L.{{ this.marker._name }}(latlng, opts);
        }
        var {{ this.get_name() }} = L.geoJson(null, {
            style: {{ this.get_name() }}_styler,
            pointToLayer: {{ this.get_name() }}_pointToLayer,
            ...{{ this.options | tojavascript }}
        });
        function {{ this.get_name() }}_add(data) {
            {{ this.get_name() }}.addData(data);
        }
        {{ this.get_name() }}_add({{ this.data_js }});
        {% endmacro %}
    """)

    def render(self, **kwargs: Any) -> Any:
        if not getattr(self, "_styled", False):
            if self.data["features"]:
                self.style_map = GeoJsonStyleMapper(self.data, self.feature_identifier,
                                                    self).get_style_map(self.style_function)
            for feature in self.data["features"]:
                for key in ("_c", "_s"):
                    feature["properties"].pop(key, None)
            # "</" would close the script element: written "<\/" (the same string in JS)
            self.data_js = json.dumps(self.data, ensure_ascii=False, separators=(",", ":")
                                      ).replace("</", "<\\/").replace("<!--", "\\u003c!--")
            self._styled = True
        self.parent_map: Any = get_obj_in_upper_tree(self, folium.Map)
        # folium's Layer.render: GeoJson.render would build the style table again
        return super(folium.GeoJson, self).render(**kwargs)


def _add_inline(m: folium.Map, gdf: gpd.GeoDataFrame, style: LayerStyle, title: str,
                *, layer: str = "", lang: str = "zh", show: bool | None = None,
                colors: pd.Series | None = None, tips: list[str] | None = None,
                stroke: pd.Series | None = None, decimals: int = COORD_DECIMALS) -> None:
    fills = colors if colors is not None else colors_of(gdf, style)
    frame = gpd.GeoDataFrame(
        {
            "_tip": tips if tips is not None else _tips(gdf, layer, title, style.tip_fields,
                                                        lang),
            "_c": fills.to_numpy(),
            "_s": (stroke.to_numpy() if stroke is not None
                   else np.full(len(gdf), style.stroke or "", dtype=object)),
        },
        geometry=gdf.geometry.to_numpy(), crs=gdf.crs,
    )
    fc = json.loads(to_feature_collection(frame, decimals=decimals))
    for i, feature in enumerate(fc["features"]):
        feature["id"] = i  # folium's style table names features by this, not by tooltip
    weight, fill, opacity = style.weight, style.fill, style.fill_opacity

    def style_fn(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        return {"color": p["_s"] or p["_c"], "fillColor": p["_c"], "weight": weight,
                "fill": fill, "fillOpacity": opacity}

    _GeoJson(
        # The layer control writes names as HTML: escape them like every other text.
        fc, name=html.escape(title), style_function=style_fn,
        show=style.show if show is None else show,
        marker=folium.CircleMarker(radius=style.radius),
        tooltip=folium.GeoJsonTooltip(fields=["_tip"], labels=False, sticky=True),
        zoom_on_click=False,
    ).add_to(m)


def _add_dynamic(m: folium.Map, name: str, style: LayerStyle, title: str, *, lang: str,
                 gcj02: bool, show: bool | None = None) -> None:
    group = folium.FeatureGroup(name=html.escape(title), show=style.show if show is None else show)
    group.add_to(m)
    wanted = list(style.tip_fields)
    for rule in (style.category, style.ramp):
        if rule is not None:
            wanted += [rule["field"]] + ([rule["den"]] if rule.get("den") else [])
    wanted += [r["field"] for r in style.outline]
    config = {
        "name": name,
        "title": title,
        "url": f"/api/layers/{name}",
        "fields": ",".join(dict.fromkeys(wanted)),
        "datum": "gcj02" if gcj02 else "wgs84",
        "style": style.as_json(),
        "tip_fields": list(style.tip_fields),
        "tips": tip_config(name, style.tip_fields, lang),
        "text": {"count": t("count", lang), "aggregated": t("aggregated", lang),
                 "share": t("cell_share", lang)},
        # A ratio layer sums its numerator and denominator per grid cell (share per cell).
        "sums": (",".join([style.ramp["field"], style.ramp["den"]])
                 if style.ramp is not None and style.ramp.get("den") else ""),
    }
    m.add_child(_DynamicLayer(m.get_name(), group.get_name(), config))


def _add_layer(m: folium.Map, data: ProjectData, name: str, settings: WebSettings, *,
               lang: str, gcj02: bool, style: LayerStyle | None = None,
               show: bool | None = None) -> None:
    st = style or style_for(name)
    title = layer_title(data, name, lang)
    if name == "buildings" or data.feature_count(name) > settings.inline_feature_limit:
        _add_dynamic(m, name, st, title, lang=lang, gcj02=gcj02, show=show)
    else:
        gdf, _ = simplify_on_map(_drawable(data.metric(name)), INLINE_SIMPLIFY_ZOOM,
                                 gcj02=gcj02)
        _add_inline(m, gdf, st, title, layer=name, lang=lang, show=show,
                    decimals=MAP_DECIMALS)


def _drawable(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows with a geometry to draw (as ``ProjectData.display`` keeps them)."""
    return gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]


def _render(m: folium.Map, legend: str) -> str:
    folium.LayerControl(collapsed=False).add_to(m)
    root = _figure(m)
    root.html.add_child(_Html(legend))
    return str(root.render())


def layers_map(data: ProjectData, *, settings: WebSettings, basemap: str, lang: str) -> str:
    """HTML of the layers map: every stored layer with a layer control and a legend."""
    gcj02 = basemap == "amap"
    title = f"{t('layers_map', lang)} — {data.project.name}"
    bounds = _bounds(data, gcj02=gcj02)
    m = new_map(basemap=basemap, settings=settings, bounds=bounds, lang=lang, title=title)
    _reference(m, data, basemap=basemap, gcj02=gcj02)
    entries = []
    for name in data.layer_names():
        if name.startswith("proposal__") or "uncovered" in name:
            continue
        _add_layer(m, data, name, settings, lang=lang, gcj02=gcj02)
        entries.append((name, layer_title(data, name, lang), style_for(name)))
    notice = sample_notice(data.project, lang)
    notes = [notice] if notice else []
    notes.append(simplified_note(metres_per_pixel(INLINE_SIMPLIFY_ZOOM), bounds, lang))
    legend = _legend(t("legend", lang), layer_legend(data, entries, lang), notes, open_=False)
    return _render(m, legend + export_buttons("/maps/layers", {"lang": lang}, lang))


def indicator_map(
    data: ProjectData,
    indicator: str,
    *,
    level: str,
    settings: WebSettings,
    basemap: str,
    lang: str,
    scenario: str | None = None,
) -> str:
    """HTML of one indicator's choropleth by street or community.

    Fill: the value's class (:func:`web.classes.classify_indicator`, at most
    ``settings.classes`` classes): around the target where the level has one, reds for
    not met and greens for met; fixed steps or quantiles in blue otherwise. When proposals
    are stored, the classes are computed on the values now and with the proposal together,
    so both maps share them. Tooltips give
    the value with its unit, target, status, gap, deadline, responsible department, source
    (computed/reported) and note; the legend also lists the rows' notes with their zones
    (:func:`web.layer_text.row_notes`), as the printed sheet does.

    Raises
    ------
    NotFoundError
        No record of ``indicator``, or ``level`` has no zone layer.
    """
    if level not in ZONE_LAYERS:
        raise NotFoundError(f"level {level!r}: choose district, street or community")
    recs = data.indicator_records(indicator, level, scenario=scenario)
    zone_layer = ZONE_LAYERS[level]
    data.require_layer(zone_layer)
    gcj02 = basemap == "amap"
    full = _drawable(data.metric(zone_layer))
    merc = gpd.GeoSeries([shapely.box(*data.display(zone_layer).total_bounds)],
                         crs="EPSG:4326").to_crs(WEB_MERCATOR).total_bounds
    # Display only: the records were computed on the full geometries.
    zones, tolerance = simplify_on_map(full, zone_display_zoom(merc, level), gcj02=gcj02)
    by_code = {str(r.get("zone_code")): r for r in recs}
    codes = zones["code"].astype(str)
    zones = zones.assign(_rec=[by_code.get(c) for c in codes])
    first = recs[0]
    name_key = "title" if lang == "zh" else "title_en"
    ind_title = str(first.get(name_key) or first.get("title") or indicator)
    unit = unit_label(str(first.get("unit") or ""), lang)
    values = np.array([np.nan if r is None or not is_number(r.get("value"))
                       else float(r["value"]) for r in zones["_rec"]], dtype=float)
    # Classes around the target where this level has one, shared with the proposal's map
    zc = zone_classes(data, indicator, level, recs, values, codes.tolist(),
                      scenario=scenario, k=settings.classes)
    yb, classes, op, target = zc.idx, zc.classes, zc.op, zc.target
    fills = pd.Series([classes[i].color if i >= 0 else NO_DATA_COLOR for i in yb],
                      index=zones.index)
    stroke = pd.Series([ZONE_OUTLINE] * len(zones), index=zones.index)
    tips, common = zone_tips(zones["name"].tolist(), codes.tolist(), zones["_rec"].tolist(),
                             indicator, ind_title, lang)
    title = f"{indicator} {ind_title}"
    if scenario:
        title += f" — {t('scenario_proposal', lang)}"
    q = f"&indicator={indicator}&level={level}" + (f"&scenario={scenario}" if scenario else "")
    m = new_map(basemap=basemap, settings=settings,
                bounds=[float(v) for v in zones.total_bounds], lang=lang, title=title,
                extra_query=q)
    _reference(m, data, basemap=basemap, gcj02=gcj02, label_levels=(level,))
    st = LayerStyle(ZONE_OUTLINE, weight=1.5, fill_opacity=ZONE_FILL_OPACITY)
    _add_inline(m, zones.drop(columns="_rec"), st, ind_title, show=True, colors=fills,
                tips=tips, stroke=stroke, decimals=MAP_DECIMALS)
    items = legend_items(classes, unit, lang)
    items.append((NO_DATA_COLOR, t("status_no-data", lang)))
    src = {t(f"source_{r.get('source')}", lang) for r in recs}
    definition = (first.get("definition_en") or first.get("definition")) if lang == "en" \
        else codes_in_text(first.get("definition"), lang)
    # the records' own text of the target when every zone shares it (their decimals)
    target_line = dict(common).get(t("target", lang)) or (
        target_text(op, target, first.get("unit"), lang) if target is not None
        else t("status_no-target", lang))
    notes = [f"{t('unit', lang)}: {unit or '—'}",
             f"{t('target', lang)}: {target_line}",
             f"{t('definition', lang)}: {indicator} {ind_title}"
             + (f" — {definition}" if definition else ""),
             f"{t('source', lang)}: {', '.join(sorted(src))}",
             *row_notes(zip(zones["name"], zones["_rec"], strict=True), lang,
                        full_at="区域的悬停提示" if lang == "zh" else "the zone's tooltip"),
             t("classes_target" if target is not None else "classes_plain", lang)]
    # What every zone shares and the legend does not already say, once instead of per tooltip
    said = {t("indicator", lang), t("target", lang), t("source", lang)}
    shared = [f"{label}: {v}" for label, v in common if label not in said]
    if shared:
        notes.append(("各区域相同 — " if lang == "zh" else "Same for every zone — ")
                     + ("；" if lang == "zh" else "; ").join(shared))
    notes.append(simplified_note(tolerance, zones.total_bounds, lang))
    return _render(m, _legend(f"{indicator} {ind_title}", items, notes,
                              fill_opacity=ZONE_FILL_OPACITY)
                   + export_links(indicator, level, lang, scenario))


def _zone_rows(rec: dict[str, Any], indicator: str, ind_title: str, lang: str
               ) -> list[tuple[str, Any]]:
    """Tooltip rows of one zone with a record: figures as :func:`layers.numfmt.figures`."""
    shown = figures(rec, lang)
    return [
        (t("indicator", lang), f"{indicator} {ind_title}"),
        (t("value", lang), shown.value),
        (t("target", lang), shown.target or t("status_no-target", lang)),
        (t("status", lang), t(f"status_{rec.get('status')}", lang)),
        (t("gap", lang), shown.gap or None),
        (t("deadline", lang), rec.get("deadline")),
        (t("responsible", lang), responsible_label(rec, lang)),
        (t("source", lang), t(f"source_{rec.get('source')}", lang)),
        (t("note", lang), note_label(rec.get("note"), lang) or None),
    ]


def zone_tips(names: Sequence[Any], codes: Sequence[str],
              recs: Sequence[dict[str, Any] | None], indicator: str, ind_title: str,
              lang: str) -> tuple[list[str], list[tuple[str, Any]]]:
    """Tooltips of an indicator map's zones, without the rows every zone shares.

    A row with the same value in the tooltip of every zone that has a record (the
    indicator, its deadline and department, usually its target and source) is said once,
    in the legend, instead of in thousands of tooltips; the value is always in the tooltip.

    Returns
    -------
    tips : list of str
        Tooltip HTML per zone (:func:`tip_html`).
    common : list of (label, value)
        The rows left out of the tooltips, for the legend.
    """
    rows = [None if rec is None else _zone_rows(rec, indicator, ind_title, lang)
            for rec in recs]
    with_rec = [r for r in rows if r is not None]
    value_label = t("value", lang)
    common: list[tuple[str, Any]] = []
    if len(with_rec) > 1:
        common = [(label, v) for label, v in with_rec[0] if label != value_label
                  and v not in (None, "") and all(r2 == v for r in with_rec[1:]
                                                  for lab2, r2 in r if lab2 == label)]
    skip = {label for label, _ in common}
    no_data = [(t("status", lang), t("status_no-data", lang))]
    tips = [tip_html(f"{name} ({code})", no_data if r is None else
                     [(label, v) for label, v in r if label not in skip])
            for name, code, r in zip(names, codes, rows, strict=True)]
    return tips, common


def gaps_map(data: ProjectData, *, settings: WebSettings, basemap: str, lang: str) -> str:
    """HTML of the uncovered areas and the siting proposals, over the existing facilities."""
    gcj02 = basemap == "amap"
    title = t("gaps_map", lang)
    bounds = _bounds(data, gcj02=gcj02)
    m = new_map(basemap=basemap, settings=settings, bounds=bounds, lang=lang, title=title)
    _reference(m, data, basemap=basemap, gcj02=gcj02)
    names = data.layer_names()
    entries: list[tuple[str, str, LayerStyle]] = []
    for name in ("streets", "communities"):
        if name in names:
            _add_layer(m, data, name, settings, lang=lang, gcj02=gcj02, show=True)
    gap_layers = [n for n in names if "uncovered" in n]
    proposals = [n for n in names if n.startswith("proposal__")]
    bases = [n.split("__", 1)[1] for n in proposals if n.split("__", 1)[1] in names]
    context = [n for n in ("green_spaces", "pocket_parks", "recycling_points")
               if n in names and n not in bases]
    for name in context:
        _add_layer(m, data, name, settings, lang=lang, gcj02=gcj02, show=False)
    for name in [*bases, *gap_layers, *proposals]:
        _add_layer(m, data, name, settings, lang=lang, gcj02=gcj02, show=True)
        entries.append((name, layer_title(data, name, lang), style_for(name)))
    notes = [] if gap_layers or proposals else [
        "尚无盲区或选址图层（运行 peakmap site）。" if lang == "zh"
        else "No uncovered or proposal layers yet (run peakmap site)."]
    notes.append(simplified_note(metres_per_pixel(INLINE_SIMPLIFY_ZOOM), bounds, lang))
    extra = [(f"/maps/gaps.pdf?compare=true&lang={lang}",
              "现状｜方案 PDF" if lang == "zh" else "Now | proposal PDF")] if proposals else []
    return _render(m, _legend(t("legend", lang), layer_legend(data, entries, lang), notes)
                   + export_buttons("/maps/gaps", {"lang": lang}, lang, extra))


# Legend text of the PV flag outlines (web.styles.PV_FLAG_OUTLINES), Chinese and English.
PV_FLAG_TEXT: dict[str, tuple[str, str]] = {
    "has_pv": ("已装光伏（pv_area_m2 > 0）", "Already fitted with PV (pv_area_m2 > 0)"),
    "historic": ("历史建筑（早于 [params.pv] heritage_year 建成或受保护）",
                 "Historic (built before [params.pv] heritage_year, or protected)"),
    "tj_pv50": ("TJ-PV50 统计范围：2021 年起新建公共机构建筑和厂房",
                "In TJ-PV50's denominator: public-institution buildings and factories "
                "built since 2021"),
}


def pv_map(data: ProjectData, *, settings: WebSettings, basemap: str, lang: str) -> str:
    """HTML of rooftop PV per building.

    With the rooftop-PV analysis in the store (``pv_suitable_area_m2``, ``roof_area_m2``,
    ``pv_kwp``, ``pv_kwh_year`` on buildings) roofs are coloured by their suitable share;
    otherwise by installed PV (``pv_area_m2``) over the footprint.
    """
    from web.styles import PV_BREAKS, PV_COLORS, PV_POTENTIAL_BREAKS, PV_POTENTIAL_STYLE, PV_STYLE

    gcj02 = basemap == "amap"
    title = t("pv_map", lang)
    m = new_map(basemap=basemap, settings=settings, bounds=_bounds(data, gcj02=gcj02),
                lang=lang, title=title)
    _reference(m, data, basemap=basemap, gcj02=gcj02)
    names = data.layer_names()
    if "streets" in names:
        _add_layer(m, data, "streets", settings, lang=lang, gcj02=gcj02, show=True)
    potential = "buildings" in names and {"pv_suitable_area_m2", "roof_area_m2"} <= set(
        data.metric("buildings").columns)
    style, breaks = (PV_POTENTIAL_STYLE, PV_POTENTIAL_BREAKS) if potential else (
        PV_STYLE, PV_BREAKS)
    label = ("屋顶光伏适宜面积比例" if lang == "zh" else "Roof share suitable for PV") \
        if potential else t("pv_share", lang)
    if "buildings" in names:
        _add_dynamic(m, "buildings", style, label, lang=lang, gcj02=gcj02, show=True)
    lows = [None, *breaks[:-1]]
    items = [(c, break_label(lo, hi, "%")) for c, lo, hi in zip(PV_COLORS, lows, breaks,
                                                                 strict=True)]
    if potential:
        notes = ["适宜面积比例 = 光伏适宜面积 ÷ 屋顶面积 × 100（屋顶光伏分析计算值，参数见 "
                 "pv.toml）；提示框给出装机容量 kWp、年发电量 kWh 和国家能源局试点分类"
                 if lang == "zh" else
                 "Suitable share = PV-suitable area ÷ roof area × 100, computed by the "
                 "rooftop PV analysis (parameters in pv.toml); tooltips give kWp, kWh per year "
                 "and the NEA pilot class"]
    else:
        notes = ["光伏覆盖率 = 已建光伏面积 ÷ 屋顶面积（建筑基底面积）× 100，计算值"
                 if lang == "zh" else
                 "PV coverage = installed PV area ÷ roof (footprint) area × 100, computed"]
    notes.append("缩小时按网格汇总：每格颜色为格内建筑的合计比例" if lang == "zh" else
                 "Zoomed out, each grid cell is coloured by the share summed over its buildings")
    outlines: list[tuple[str, str]] = []
    if potential:
        outlines = [(r["color"], PV_FLAG_TEXT[r["field"]][0 if lang == "zh" else 1])
                    for r in PV_POTENTIAL_STYLE.outline]
        notes.append("描边标出屋顶光伏排序的三个标记（按此顺序取第一个）；已装光伏和历史建筑"
                     "不计入待开发潜力（peakmap site pv）" if lang == "zh" else
                     "Outlines mark the PV ranking's flags (the first that applies); roofs "
                     "already fitted and historic buildings are left out of the potential "
                     "still to fit (peakmap site pv)")
        sky = pv_sky_note(data, lang)
        if sky:
            notes.append(f"计算所用天空与布置：{sky}" if lang == "zh" else
                         f"Sky and layout used: {sky}")
    return _render(m, _legend(label, items, notes, outlines=outlines)
                   + export_buttons("/maps/pv", {"lang": lang}, lang))
