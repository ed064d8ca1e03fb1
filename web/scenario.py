"""The scenario view: every indicator now and with the proposals, and side-by-side maps.

- ``/scenario?level=`` — the table of :mod:`layers.compare` pairs (now, proposal, change,
  status change) with the count of targets newly met;
- ``/maps/compare?indicator=&level=`` — two synchronised Leaflet maps (now | proposal) of
  one indicator, coloured with the *same* class breaks (:func:`shared_breaks`, computed on
  both sets of values), so a colour means the same value on both sides;
- ``/maps/compare?indicator=gaps`` — residential land outside the park service radius, now
  and with the proposed pocket parks;
- ``/api/compare?level=`` — the pairs as JSON;
- ``POST /api/proposals/move`` (form fields ``site_id``, ``lon``, ``lat``, WGS84) — move one
  proposed site (:func:`layers.siting.move_site`, the siting model's candidate rules) and
  answer with the recomputed before → after rows of the indicators it touches; the scenario
  page's small form sends it (editor role and CSRF token, as every state-changing request).

Plain Leaflet from the vendored xstatic package; nothing is fetched from outside.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import shapely
from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gis import LayerValidationError, PeakmapError
from layers.compare import CHANGE_LABELS, NEWLY_MET, compare_records, count_newly_met
from layers.labels import unit_label
from layers.numfmt import gap_text, target_text, value_text
from web.classes import MapClass, assign_classes, class_label, classify_indicator
from web.data import LEVELS, ProjectData
from web.deps import DataDep, LangDep, SettingsDep
from web.exports import export_buttons
from web.geo import (
    MAP_DECIMALS,
    WEB_MERCATOR,
    simplify_on_map,
    to_feature_collection,
    zone_display_zoom,
)
from web.i18n import leaflet_text_script, t
from web.layer_text import simplified_note

__all__ = ["classify", "move_and_compare", "other_side_values", "router", "shared_breaks"]

router = APIRouter(tags=["pages"])
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
ZONE_LAYERS = {"district": "districts", "street": "streets", "community": "communities"}
SCENARIO = "proposal"
WGS84 = "EPSG:4326"
GAP_COLORS = {"now": "#d73027", "proposal": "#4575b4"}
SITE_COLOR = "#6a3d9a"
Level = Literal["district", "street", "community"]


def shared_breaks(*values: np.ndarray, k: int, op: str | None = None,
                  target: float | None = None, unit: str = "") -> list[MapClass]:
    """Classes computed on every given set of values together (web.classes).

    Maps of the same indicator now and with a proposal use these classes on both sides, so
    one colour is one value range on both; green means the target is met, as on every map.

    Examples
    --------
    >>> [c.hi for c in shared_breaks(np.array([1.0, 2.0]), np.array([3.0, np.nan]), k=5)]
    [1.0, 2.0, 3.0]
    """
    joined = np.concatenate([np.asarray(v, dtype=float) for v in values]) if values else (
        np.empty(0))
    return classify_indicator(joined, op=op, target=target, unit=unit, k=k)[1]


def other_side_values(data: ProjectData, indicator: str, level: str, codes: list[str],
                      scenario: str | None) -> np.ndarray:
    """Values of ``indicator`` per zone code on the other side (proposal ↔ now), NaN if none."""
    other = None if scenario else SCENARIO
    by_code = {str(r.get("zone_code")): r.get("value") for r in data.records(level, scenario=other)
               if r.get("indicator") == indicator}
    return np.array([float(v) if isinstance(v := by_code.get(c), (int, float))
                     and not isinstance(v, bool) else np.nan for c in codes])


def classify(values: np.ndarray, classes: list[MapClass], *, op: str | None = None,
             target: float | None = None) -> np.ndarray:
    """Class index of each value under ``classes`` (−1 for NaN or no classes).

    Examples
    --------
    >>> cls = shared_breaks(np.array([1.0, 2.0, 3.0]), k=5)
    >>> classify(np.array([1.0, 2.0, 3.0, np.nan]), cls).tolist()
    [0, 1, 2, -1]
    """
    return assign_classes(values, classes, op=op, target=target)


def _pairs(data: ProjectData, level: str | None) -> list[Any]:
    now = [SimpleNamespace(**r) for r in data.records(level)]
    after = [SimpleNamespace(**r) for r in data.records(level, scenario=SCENARIO)]
    return compare_records(now, after, scenario=SCENARIO)  # type: ignore[arg-type]


@router.get("/api/compare", tags=["api"])
def compare_api(data: DataDep, level: Level | None = None) -> list[dict[str, Any]]:
    """Every indicator now and with the proposals, at one level or all.

    Fields of :class:`layers.compare.Comparison`: ``value_now``, ``value_proposal``,
    ``change``, ``status_now``, ``status_proposal``, ``status_change`` ...
    """
    return [p.as_dict() for p in _pairs(data, level)]


def move_and_compare(project_dir: Path, site_id: str, x: float, y: float,
                     xy: bool = False) -> dict[str, Any]:
    """Move a proposed site and recompute its before → after (run in a worker process).

    ``x``, ``y`` are longitude and latitude (WGS84), or with ``xy`` metres in the store's CRS.

    Returns
    -------
    dict
        ``site_id``, ``layer``, ``features`` (in the proposal layer), ``newly_met`` and
        ``changes`` (district rows of :func:`layers.compare.compare`).
    """
    from layers.compare import compare
    from layers.indicators.cache import refresh
    from layers.project import Project
    from layers.siting import move_site

    project = Project(project_dir)
    crs = project.store.crs.to_string() if xy and project.store.crs is not None else WGS84
    layer, stored = move_site(project, site_id, x, y, crs=crs)
    for scenario in (None, SCENARIO):  # every result of the new store version, cached: the
        refresh(project_dir, scenario=scenario)  # reloaded page shows them, not "updating"
    pairs = compare(project, layers=[layer], levels=["district"])
    return {"site_id": site_id, "layer": layer, "features": len(stored),
            "newly_met": count_newly_met(pairs), "changes": [p.as_dict() for p in pairs]}


#: Coordinate choices of the move form: form value → (Chinese, English) label.
MOVE_CRS = {
    "wgs84": ("经纬度（WGS84，与地图一致）", "longitude, latitude (WGS84, as on the map)"),
    "xy": ("项目坐标系 X,Y（米）", "X, Y in the project CRS (metres)"),
}


def _missing(name: str, zh: str) -> LayerValidationError:
    return LayerValidationError(f"移动表单缺少字段 {name}（{zh}）/ move form: field {name} "
                                "is missing")


@router.post("/api/proposals/move", tags=["api"])
def move_proposed_site(data: DataDep, site_id: Annotated[str, Form()],
                       lon: Annotated[str | None, Form()] = None,
                       lat: Annotated[str | None, Form()] = None,
                       crs: Annotated[str, Form()] = "wgs84",
                       x: Annotated[str | None, Form()] = None,
                       y: Annotated[str | None, Form()] = None,
                       ) -> dict[str, Any]:
    """Move one proposed site and recompute the scenario.

    ``crs = "wgs84"`` (default): ``lon``, ``lat`` in WGS84, as on the map; ``crs = "xy"``:
    ``x``, ``y`` in metres in the project CRS (as ``peakmap site move --xy``). A place the
    siting model would not take as a candidate (outside the project area, on water, too
    close to an existing point, on a park), an unknown id, an unknown ``crs``, a missing
    field or a position that is not two numbers is answered 422 with one message (Chinese /
    English); nothing changes.
    """
    from layers.siting import parse_position

    if crs not in MOVE_CRS:
        raise LayerValidationError(
            f"移动表单字段 crs = {crs!r}：应为 wgs84（经纬度）或 xy（项目坐标系，米）/ move "
            f"form: field crs = {crs!r}, expected wgs84 (longitude, latitude) or xy (metres "
            "in the project CRS)"
        )
    xy = crs == "xy"
    first, second = (x, y) if xy else (lon, lat)
    names = (("x", "X"), ("y", "Y")) if xy else (("lon", "经度"), ("lat", "纬度"))
    for value, (name, zh) in zip((first, second), names, strict=True):
        if value is None or not value.strip():
            raise _missing(name, zh)
    px, py = parse_position(f"{first},{second}", xy=xy)
    result = data.work.run(move_and_compare, data.project_dir, site_id.strip(), px, py, xy)
    data.after_write()
    return result


def _proposed_sites(data: ProjectData, lang: str) -> list[dict[str, str]]:
    """Recycling points, stations and pocket parks proposed: id, kind (words), position.

    The position is the point a move puts at the new place (the site itself, a pocket
    park's inside point), in WGS84 (``lon``, ``lat``) and in the project CRS (``x``, ``y``).
    """
    from layers.labels import value_label

    out = []
    for name in ("proposal__recycling_points", "proposal__pocket_parks"):
        if name not in data.layer_names():
            continue
        frame = data.metric(name)
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
        points = frame.geometry.representative_point()
        wgs = points.to_crs(WGS84)
        park = "口袋公园" if lang == "zh" else "pocket park"
        kinds = ([value_label("recycling_points", "kind", k, lang)
                  for k in frame["kind"].astype(str)] if "kind" in frame.columns
                 else [park] * len(frame))
        for ident, kind, pt, ll in zip(frame["id"].astype(str), kinds, points, wgs,
                                       strict=True):
            out.append({"id": ident, "kind": kind, "lon": f"{ll.x:.6f}", "lat": f"{ll.y:.6f}",
                        "x": f"{pt.x:.1f}", "y": f"{pt.y:.1f}"})
    return out


@router.get("/scenario", response_class=HTMLResponse)
def scenario_page(data: DataDep, lang: LangDep, level: Level = "district",
                  changed: bool = False, moved: str | None = None) -> HTMLResponse:
    """Every indicator now and with the proposals: value, change, status change.

    ``changed=1`` keeps the rows whose value or status changes; ``moved=ID`` (the move
    form's reload) says which proposed site was just moved.
    """
    error = None
    try:
        pairs = _pairs(data, level)
    except PeakmapError as e:
        pairs, error = [], str(e)
    rows = []
    for p in pairs:
        row_moved = bool(p.change) or p.status_now != p.status_proposal or (
            p.change is None and p.value_now != p.value_proposal)
        if changed and not row_moved:
            continue
        rows.append({
            "indicator": p.indicator,
            "title": p.title if lang == "zh" else (p.title_en or p.title),
            "zone": p.zone_name, "unit": unit_label(p.unit, lang),
            "target": target_text(p.op, p.target, p.unit, lang, with_unit=False),
            "now": value_text(p.value_now, p.unit, lang, with_unit=False),
            "proposal": value_text(p.value_proposal, p.unit, lang, with_unit=False),
            "change": gap_text(p.change, p.unit, lang, with_unit=False) or "—",
            "status_now": t(f"status_{p.status_now}", lang),
            "status_proposal": t(f"status_{p.status_proposal}", lang),
            "status_change": CHANGE_LABELS[p.status_change][lang == "en"],
            "css": p.status_change, "moved": row_moved,
            "value_css": "num" if isinstance(p.value_now, (int, float)) else "txt",
            "map_level": "street" if p.level == "district" else p.level,
        })
    en = lang == "en"
    html = TEMPLATES.get_template("scenario.html").render(
        t=lambda key: t(key, lang), lang=lang, other_lang="zh" if en else "en",
        project_name=data.project.name, rows=rows, level=level, levels=LEVELS,
        newly_met=count_newly_met(pairs), moved=sum(r["moved"] for r in rows), changed=changed,
        newly_label=CHANGE_LABELS[NEWLY_MET][en], error=error,
        has_proposals=data.has_proposals(), sites=_proposed_sites(data, lang),
        moved_site=moved, move_crs=MOVE_CRS,
        heads=(["Id", "Indicator", "Zone", "Unit", "Target", "Now", "With proposal", "Change",
                "Status now", "Status with proposal", "Status change", "Map"] if en else
               ["编号", "指标", "区域", "单位", "目标", "现状值", "方案值", "变化", "现状状态",
                "方案状态", "状态变化", "地图"]),
        title=("Scenario: now vs the siting proposals" if en else "情景对比：现状 vs 选址方案"),
    )
    return HTMLResponse(html)


def _zones_geojson(data: ProjectData, level: str) -> tuple[dict[str, Any], list[str], str]:
    """Zones of ``level`` for the compare maps: GeoJSON, codes, the note on simplification.

    Simplified for display as the indicator maps are (``web.geo.simplify_on_map``).
    """
    layer = ZONE_LAYERS[level]
    data.require_layer(layer)
    full = data.metric(layer)
    full = full[~(full.geometry.isna() | full.geometry.is_empty)]
    bounds = gpd.GeoSeries([shapely.box(*full.total_bounds)], crs=full.crs).to_crs(
        WEB_MERCATOR).total_bounds
    zones, tol = simplify_on_map(full, zone_display_zoom(bounds, level))
    codes = zones["code"].astype(str).tolist()
    names = zones["name"].astype(str).tolist() if "name" in zones.columns else codes
    geo = json.loads(to_feature_collection(zones[["geometry"]].assign(code=codes, name=names),
                                           decimals=MAP_DECIMALS))
    return geo, codes, simplified_note(tol, zones.total_bounds, "zh") + " / " + \
        simplified_note(tol, zones.total_bounds, "en")


SITE_LABELS = {
    "proposal__pocket_parks": ("拟建口袋公园", "proposed pocket parks"),
    "proposal__recycling_points": ("拟建回收点、中转站", "proposed recycling points, stations"),
    "proposal__heating_renewal": ("拟改造供热管段", "heating pipes to renew"),
}


def _sites(data: ProjectData, lang: str) -> list[dict[str, Any]]:
    """Every stored proposal layer (``proposal__*``): name, label and GeoJSON (WGS84)."""
    out = []
    for name in data.layer_names():
        if not name.startswith("proposal__"):
            continue
        frame = data.display(name)
        zh, en = SITE_LABELS.get(name, (name, name))
        geo = json.loads(frame[["geometry"]].assign(layer=name).to_json(drop_id=True)) if len(
            frame) else {"type": "FeatureCollection", "features": []}
        out.append({"name": name, "label": en if lang == "en" else zh, "geo": geo})
    return out


def _site_legend(lang: str) -> dict[str, str]:
    return {"color": SITE_COLOR, "label": "选址与改造方案（右图）" if lang == "zh"
            else "proposed sites and renewals (right map)"}


def _safe_json(value: Any) -> str:
    """JSON for a <script> block: no closing tag or comment opener can appear in it."""
    return (json.dumps(value, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _indicator_sides(data: ProjectData, indicator: str, level: str, k: int,
                     lang: str) -> dict[str, Any]:
    rows_now = data.indicator_records(indicator, level)  # NotFoundError names the ids there
    rows_after = [r for r in data.records(level, scenario=SCENARIO)
                  if r.get("indicator") == indicator]
    recs = {s: {str(r.get("zone_code")): r for r in rows}
            for s, rows in ((None, rows_now), (SCENARIO, rows_after))}
    geo, codes, simplified = _zones_geojson(data, level)

    def vals(side: str | None) -> np.ndarray:
        return np.array([float(v) if isinstance(v := recs[side].get(c, {}).get("value"),
                                                (int, float)) else np.nan for c in codes])

    now, after = vals(None), vals(SCENARIO)
    from web.maps import NO_DATA_COLOR

    first = next(iter(recs[None].values()))
    unit = str(first.get("unit") or "")
    with_target = next((r for r in recs[None].values() if r.get("target") is not None), {})
    op, target = with_target.get("op"), with_target.get("target")
    classes = shared_breaks(now, after, k=k, op=op, target=target, unit=unit)
    bins = [c.hi for c in classes]

    def side(values: np.ndarray, key: str | None) -> dict[str, Any]:
        cls = classify(values, classes, op=op, target=target)
        return {c: {"color": classes[i].color if i >= 0 else NO_DATA_COLOR,
                    "text": value_text(v if np.isfinite(v) else None, unit, lang),
                    "status": str(recs[key].get(c, {}).get("status", "no-data"))}
                for c, i, v in zip(codes, cls, values, strict=True)}

    legend = [{"color": c.color,
               "label": ("" if c.meets is None else
                         t("status_pass" if c.meets else "status_fail", lang) + " ")
               + class_label(c, 2, unit_label(unit, lang))} for c in classes]
    legend.append({"color": NO_DATA_COLOR, "label": t("status_no-data", lang)})
    legend.append(_site_legend(lang))
    title = str(first.get("title") if lang == "zh" else (first.get("title_en")
                                                          or first.get("title")))
    return {"geo": geo, "left": side(now, None), "right": side(after, SCENARIO),
            "legend": legend, "title": f"{indicator} {title}", "bins": bins,
            "note": (f"{unit_label(unit, lang)}; " if unit else "") + (
                "同一分级（现状与方案合并计算，以目标值为界：绿色达标，红色未达标）" if lang == "zh"
                else "one set of classes for both sides (now and proposal together, split at "
                "the target: green met, red not met)") + "; " + _one_lang(simplified, lang)}


def _gap_sides(data: ProjectData, lang: str) -> dict[str, Any]:
    from layers.coverage import uncovered_residential
    from layers.indicators.engine import default_year, load_zones
    from layers.indicators.registry import MetricContext

    project = data.project
    zones = load_zones(project)
    geo_sides = {}
    area = {}
    for key, scenario in (("left", None), ("right", SCENARIO)):
        ctx = MetricContext(project=project, store=project.store, year=default_year(project),
                            communities=zones.communities, scenario=scenario)
        layer = uncovered_residential(ctx)
        area[key] = float(layer["uncovered_m2"].sum()) if len(layer) else 0.0
        shown = layer.to_crs("EPSG:4326") if len(layer) else layer
        geo_sides[key] = json.loads(shown[["geometry"]].to_json(drop_id=True)) if len(layer) \
            else {"type": "FeatureCollection", "features": []}
    geo, _, simplified = _zones_geojson(data, "community")
    en = lang == "en"
    unc = "Residential land outside the park radius" if en else "公园服务半径外的居住用地"
    return {"geo": geo, "gaps": geo_sides, "title": unc,
            "legend": [{"color": GAP_COLORS["now"], "label": f"{unc} ({'now' if en else '现状'})"},
                       {"color": GAP_COLORS["proposal"],
                        "label": f"{unc} ({'with proposal' if en else '方案'})"},
                       _site_legend(lang)],
            "areas": {k: value_text(v, "m²", lang) for k, v in area.items()},
            "note": ("computed: residential land (R) outside the service radius of park green "
                     "(preset of [params.coverage] uncovered_preset), proposal adds the "
                     "proposed pocket parks" if en else
                     "计算值：公园绿地服务半径（[params.coverage] uncovered_preset）之外的居住用地"
                     "（R）；方案侧计入拟建口袋公园") + "; " + _one_lang(simplified, lang)}


def _one_lang(both: str, lang: str) -> str:
    """The ``lang`` half of a ``"中文 / English"`` note."""
    zh, _, en = both.partition(" / ")
    return en if lang == "en" else zh


@router.get("/maps/compare", response_class=HTMLResponse)
def compare_map(data: DataDep, settings: SettingsDep, lang: LangDep, indicator: str,
                level: Level = "street") -> HTMLResponse:
    """Now | proposal side by side, two synchronised maps with one set of class breaks."""
    if indicator == "gaps":
        payload = _gap_sides(data, lang)
        kind = "gaps"
    else:
        payload = _indicator_sides(data, indicator, level, settings.classes, lang)
        kind = "indicator"
    payload["sites"] = _sites(data, lang)
    # the gaps view shows the proposed parks (what closes the gaps); the layer control on the
    # right map switches every proposal layer on or off
    payload["shown"] = (["proposal__pocket_parks"] if kind == "gaps"
                        else [site["name"] for site in payload["sites"]])
    en = lang == "en"
    if kind == "gaps":
        exports = export_buttons("/maps/gaps", {"compare": "true", "lang": lang}, lang)
    else:  # the two sides are two indicator sheets with the same classes (web.classes)
        q = urlencode({"indicator": indicator, "level": level, "lang": lang,
                       "scenario": SCENARIO})
        side = "方案" if lang == "zh" else "Proposal"
        exports = export_buttons(
            "/maps/indicator", {"indicator": indicator, "level": level, "lang": lang}, lang,
            [(f"/maps/indicator.pdf?{q}", f"{side} PDF"),
             (f"/maps/indicator.png?{q}", f"{side} PNG")])
    html = TEMPLATES.get_template("scenario_map.html").render(
        lang=lang, title=payload["title"], kind=kind, payload=_safe_json(payload),
        legend=payload["legend"], note=payload["note"], areas=payload.get("areas"),
        left_label="Now" if en else "现状", right_label="With proposal" if en else "方案",
        back="Back to the scenario table" if en else "返回情景对比表", exports=exports,
        project_name=data.project.name, leaflet_text=leaflet_text_script(lang),
    )
    return HTMLResponse(html)
