"""Printable A4 pages of the other maps: layers, uncovered land (now | with proposal), PV.

Same furniture as the indicator maps (``web.printed``): title, legend, metric scale bar,
north arrow, date, data source, CRS and the sample-data notice where it applies, drawn in
the project's metric CRS with the project's own water, roads and district outline
underneath. Colours are the pages' (``web.styles``), so a printed layer looks as it does on
screen. Served at ``/maps/layers|gaps|pv.pdf|png`` and written by ``peakmap map PROJECT
layers|gaps|pv --out FILE``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response

from layers.numfmt import gap_text, value_text
from web.classes import break_label
from web.deps import DataDep, LangDep
from web.errors import NotFoundError
from web.i18n import sample_notice, t
from web.layer_text import layer_legend, layer_title, pv_sky_note
from web.printed import (
    MAP_FORMATS,
    ExportError,
    MapSheet,
    Overlay,
    draw_panel,
    export_text,
    map_figure,
    new_page,
    page_style,
    reference_layers,
    save_figure,
)
from web.styles import LayerStyle, colors_of, outlines_of, style_for

if TYPE_CHECKING:
    import geopandas as gpd

    from web.data import ProjectData

__all__ = ["MAP_KINDS", "gaps_compare_figure", "gaps_figure", "layers_figure", "map_file",
           "pv_figure", "router"]

MAP_KINDS = ("layers", "gaps", "pv")
ZONE_LAYERS = ("districts", "streets", "communities")
GAP_NOW = "#d73027"
GAP_AFTER = "#4575b4"
SITE_COLOR = "#6a3d9a"  # proposals, as on the compare page (web.scenario)
PV_EDGE = "#757575"


def _t2(zh: str, en: str, lang: str) -> str:
    return en if lang == "en" else zh


def _streets(data: ProjectData) -> gpd.GeoDataFrame:
    """The zones every sheet draws and labels: streets (else the district)."""
    names = data.layer_names()
    for name in ("streets", "districts"):
        if name in names:
            zones = data.metric(name)
            if zones.crs is None or not zones.crs.is_projected:
                raise ExportError("map export needs the zones in a projected (metric) CRS")
            return zones
    raise NotFoundError("no streets or districts layer in the store: run peakmap build")


def _labels(zones: gpd.GeoDataFrame) -> list[str] | None:
    return [str(n) for n in zones["name"]] if "name" in zones.columns else None


def _overlay(data: ProjectData, name: str, style: LayerStyle | None = None,
             frame: gpd.GeoDataFrame | None = None) -> Overlay:
    st = style or style_for(name)
    gdf = data.metric(name) if frame is None else frame
    return Overlay(gdf, list(colors_of(gdf, st)), fill=st.fill, width=0.4 * st.weight + 0.2,
                   size=max(2.0, st.radius ** 2 / 2), edge=st.stroke,
                   alpha=min(1.0, st.fill_opacity + 0.25) if st.fill else 1.0)


def _source(data: ProjectData, layers: list[str], lang: str, today: date | None) -> list[str]:
    titles = ("、" if lang == "zh" else ", ").join(layer_title(data, n, lang)
                                                   for n in layers)
    project = data.project
    return [f"{export_text('data_source', lang)}: {project.name}, {project.store.path.name}"
            + (f" ({titles})" if titles else ""),
            f"{export_text('export_date', lang)}: {(today or date.today()).isoformat()}"]


def _sheet(data: ProjectData, title: str, legend: list[tuple[str, str]], notes: list[str],
           zones: gpd.GeoDataFrame, lang: str) -> MapSheet:
    project = data.project
    crs = zones.crs.to_string() if zones.crs else "—"
    return MapSheet(title=title,
                    subtitle=f"{project.name} · {t('level', lang)}: "
                             f"{t('level_street', lang)}",
                    legend=legend, notes=[*notes, f"CRS: {crs}"],
                    notice=sample_notice(project, lang))


def _legend_of(data: ProjectData, names: list[str], lang: str) -> list[tuple[str, str]]:

    return layer_legend(data, [(n, layer_title(data, n, lang), style_for(n)) for n in names],
                         lang)


def layers_figure(data: ProjectData, *, lang: str, today: date | None = None) -> Any:
    """The layers map as an A4 page: the layers the page opens with, streets labelled.

    The layers the page shows when it opens (``show`` in ``web.styles``) are drawn in the
    page's colours; proposals and uncovered land have their own sheets (``gaps``).
    """
    zones = _streets(data)
    drawn = [n for n in data.layer_names()
             if n not in ZONE_LAYERS and n not in ("roads", "landuse")
             and not n.startswith("proposal__") and "uncovered" not in n
             and style_for(n).show and data.feature_count(n) > 0]
    overlays = [_overlay(data, n) for n in drawn]
    legend = _legend_of(data, drawn, lang)
    notes = [_t2("按页面默认显示的图层绘制（开关图层请用网页）；道路、水域、区界为参考底图",
                 "Layers as the page shows them when it opens (switch layers on the page); "
                 "roads, water and the district outline for reference", lang),
             *_source(data, drawn, lang, today)]
    sheet = _sheet(data, f"{t('layers_map', lang)} — {data.project.name}", legend, notes,
                   zones, lang)
    return map_figure(zones, ["none"] * len(zones), sheet, context=reference_layers(data, zones),
                      labels=_labels(zones), overlays=overlays, lang=lang)


def _gap_parts(data: ProjectData) -> tuple[list[str], list[str], list[str]]:
    """As the gaps page opens: the proposals' base layers, uncovered land, proposals."""
    names = data.layer_names()
    gaps = [n for n in names if "uncovered" in n]
    proposals = [n for n in names if n.startswith("proposal__")]
    bases = [b for n in proposals if (b := n.split("__", 1)[1]) in names]
    return bases, gaps, proposals


def gaps_figure(data: ProjectData, *, lang: str, today: date | None = None) -> Any:
    """The uncovered-land map as an A4 page: stored uncovered layers, proposals, facilities."""
    zones = _streets(data)
    bases, gaps, proposals = _gap_parts(data)
    overlays = [_overlay(data, n) for n in [*bases, *gaps, *proposals]]
    legend = _legend_of(data, [*bases, *gaps, *proposals], lang)
    notes = []
    for name in gaps:
        frame = data.metric(name)
        if "uncovered_m2" in frame.columns:
            area = float(frame["uncovered_m2"].sum())
            notes.append(f"{layer_title(data, name, lang)}: {value_text(area, 'm²', lang)} "
                         + _t2("（计算值）", "(computed)", lang))
    if not gaps and not proposals:
        notes.append(_t2("尚无盲区或选址图层（运行 peakmap site）。",
                         "No uncovered or proposal layers yet (run peakmap site).", lang))
    notes += _source(data, [*gaps, *proposals], lang, today)
    sheet = _sheet(data, t("gaps_map", lang), legend, notes, zones, lang)
    return map_figure(zones, ["none"] * len(zones), sheet, context=reference_layers(data, zones),
                      labels=_labels(zones), overlays=overlays, lang=lang)


def gaps_compare_figure(data: ProjectData, *, lang: str, today: date | None = None) -> Any:
    """Residential land outside the park radius now | with the proposal, side by side.

    The same computation as ``/maps/compare?indicator=gaps`` (``layers.coverage``), both
    maps at one scale.

    Raises
    ------
    NotFoundError
        No proposal is stored (nothing to compare).
    """
    from layers.coverage import uncovered_residential
    from layers.indicators.engine import default_year, load_zones
    from layers.indicators.registry import MetricContext

    if not data.has_proposals():
        raise NotFoundError("no proposal stored: run peakmap site pocket-parks (or recycling) "
                            "first, then export the before/after map")
    zones = _streets(data)
    project = data.project
    comm = load_zones(project).communities
    sides = {}
    for key, scenario in (("now", None), ("proposal", "proposal")):
        ctx = MetricContext(project=project, store=project.store, year=default_year(project),
                            communities=comm, scenario=scenario)
        layer = uncovered_residential(ctx)
        sides[key] = layer.to_crs(zones.crs) if len(layer) else layer
    area = {k: float(v["uncovered_m2"].sum()) if len(v) else 0.0 for k, v in sides.items()}
    proposals = [n for n in data.layer_names() if n.startswith("proposal__")]
    unc = _t2("公园服务半径外的居住用地", "Residential land outside the park radius", lang)
    now_w, after_w = _t2("现状", "now", lang), _t2("方案", "with proposal", lang)
    legend = [(GAP_NOW, f"{unc} ({now_w})"), (GAP_AFTER, f"{unc} ({after_w})"),
              (SITE_COLOR, _t2("选址方案（右图）", "proposed sites (right map)", lang))]
    if "pocket_parks" in data.layer_names():
        legend += _legend_of(data, ["pocket_parks"], lang)
    change = area["proposal"] - area["now"]
    notes = [f"{unc}: {now_w} {value_text(area['now'], 'm²', lang)} → {after_w} "
             f"{value_text(area['proposal'], 'm²', lang)} "
             f"({gap_text(change, 'm²', lang)})",
             _t2("计算值：公园绿地服务半径（[params.coverage] uncovered_preset）之外的居住用地"
                 "（R）；方案侧计入拟建口袋公园",
                 "Computed: residential land (R) outside the service radius of park green "
                 "(preset of [params.coverage] uncovered_preset); the proposal side counts the "
                 "proposed pocket parks", lang),
             *_source(data, proposals, lang, today)]
    sheet = _sheet(data, f"{unc} — {now_w} | {after_w}", legend, notes, zones, lang)
    fig = new_page(sheet, lang)
    context = reference_layers(data, zones)
    extent = tuple(float(v) for v in zones.total_bounds)
    parks = [_overlay(data, "pocket_parks")] if "pocket_parks" in data.layer_names() else []
    sites = [Overlay(data.metric(n), SITE_COLOR, width=1.2, size=30.0, edge=SITE_COLOR)
             for n in proposals]
    for i, (key, label, colour) in enumerate((("now", now_w, GAP_NOW),
                                              ("proposal", after_w, GAP_AFTER))):
        ax = fig.add_axes((0.03 + 0.295 * i, 0.07, 0.285, 0.78))
        gap = [Overlay(sides[key], colour, width=0.2, alpha=0.6)] if len(sides[key]) else []
        draw_panel(ax, zones, ["none"] * len(zones), context=context, labels=_labels(zones),
                   overlays=[*parks, *gap, *(sites if key == "proposal" else [])],
                   extent=extent)  # type: ignore[arg-type]
        ax.set_title(f"{label}: {value_text(area[key], 'm²', lang)}", fontsize=10)
    return fig


def pv_figure(data: ProjectData, *, lang: str, today: date | None = None) -> Any:
    """Rooftop PV per building as an A4 page, in the PV page's colours and classes.

    With the rooftop-PV analysis stored, roofs are coloured by their suitable share
    (suitable area ÷ roof area); otherwise by installed PV over the footprint.
    """
    from web.styles import (
        MISSING_COLOR,
        PV_BREAKS,
        PV_COLORS,
        PV_POTENTIAL_BREAKS,
        PV_POTENTIAL_STYLE,
        PV_STYLE,
    )

    zones = _streets(data)
    names = data.layer_names()
    if "buildings" not in names:
        raise NotFoundError("no buildings layer in the store: run peakmap build")
    buildings = data.metric("buildings")
    potential = {"pv_suitable_area_m2", "roof_area_m2"} <= set(buildings.columns)
    style, breaks = (PV_POTENTIAL_STYLE, PV_POTENTIAL_BREAKS) if potential else (
        PV_STYLE, PV_BREAKS)
    colors = colors_of(buildings, style)
    overlays = [Overlay(buildings, list(colors), width=0.1, edge=PV_EDGE)]
    flagged = outlines_of(buildings, style)["color"]
    flag_legend: list[tuple[str, str]] = []
    if potential:
        from web.maps import PV_FLAG_TEXT

        for rule in style.outline:  # roofs already fitted, historic, TJ-PV50 (first flag wins)
            hit = (flagged == rule["color"]).to_numpy()
            if hit.any():
                overlays.append(Overlay(buildings[hit], rule["color"], fill=False, width=0.8))
                flag_legend.append((rule["color"], _t2(
                    f"描边：{PV_FLAG_TEXT[rule['field']][0]}",
                    f"Outline: {PV_FLAG_TEXT[rule['field']][1]}", lang)))
    lows = [None, *breaks[:-1]]
    legend = [(c, break_label(lo, hi, "%"))
              for c, lo, hi in zip(PV_COLORS, lows, breaks, strict=True)]
    if (colors == MISSING_COLOR).any():
        legend.append((MISSING_COLOR, t("status_no-data", lang)))
    legend += flag_legend
    title = (_t2("屋顶光伏适宜面积比例", "Roof share suitable for PV", lang) if potential
             else t("pv_share", lang))
    if potential:
        kwp = float(buildings["pv_kwp"].sum()) if "pv_kwp" in buildings.columns else None
        kwh = (float(buildings["pv_kwh_year"].sum()) if "pv_kwh_year" in buildings.columns
               else None)
        notes = [_t2("适宜面积比例 = 光伏适宜面积 ÷ 屋顶面积 × 100（屋顶光伏分析计算值，参数见 "
                     "pv.toml）", "Suitable share = PV-suitable area ÷ roof area × 100, "
                     "computed by the rooftop PV analysis (parameters in pv.toml)", lang)]
        if kwp is not None and kwh is not None:
            kwp_text = value_text(kwp, "kWp", lang)
            kwh_text = value_text(kwh, "kWh/yr", lang)
            notes.append(_t2(f"全区可装容量 {kwp_text}，年发电量 {kwh_text}（计算值）",
                             f"District: {kwp_text} installable, {kwh_text} (computed)", lang))
        sky = pv_sky_note(data, lang)
        if sky:
            notes.append(_t2(f"计算所用天空与布置：{sky}", f"Sky and layout used: {sky}", lang))
    else:
        notes = [_t2("光伏覆盖率 = 已建光伏面积 ÷ 屋顶面积（建筑基底面积）× 100，计算值；"
                     "运行 peakmap site pv 得到适宜面积",
                     "PV coverage = installed PV area ÷ roof (footprint) area × 100, computed; "
                     "run peakmap site pv for the suitable area", lang)]
    notes += _source(data, ["buildings"], lang, today)
    sheet = _sheet(data, f"{title} — {data.project.name}", legend, notes, zones, lang)
    return map_figure(zones, ["none"] * len(zones), sheet, context=reference_layers(data, zones),
                      labels=_labels(zones), overlays=overlays, lang=lang)


def map_file(data: ProjectData, kind: str, *, lang: str, fmt: str, compare: bool = False,
             today: date | None = None) -> bytes:
    """The ``kind`` map (``layers``, ``gaps``, ``pv``) as PDF or PNG bytes.

    ``compare`` (gaps only): now | with the proposal side by side.

    Raises
    ------
    ExportError
        Unknown kind or format, no metric CRS, no Chinese font.
    NotFoundError
        A layer the map needs is not stored, or ``compare`` without a proposal.
    """
    if fmt not in MAP_FORMATS:
        raise ExportError(f"map format {fmt!r}: choose pdf or png")
    if kind not in MAP_KINDS:
        raise ExportError(f"map {kind!r}: choose an indicator id or one of "
                          + ", ".join(MAP_KINDS))
    if compare and kind != "gaps":
        raise ExportError(f"map {kind!r}: --compare is for the gaps map only")
    with page_style():
        if kind == "layers":
            fig = layers_figure(data, lang=lang, today=today)
        elif kind == "pv":
            fig = pv_figure(data, lang=lang, today=today)
        elif compare:
            fig = gaps_compare_figure(data, lang=lang, today=today)
        else:
            fig = gaps_figure(data, lang=lang, today=today)
        return save_figure(fig, fmt, str(fig.get_label()))


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(tags=["exports"])
MEDIA = {"pdf": "application/pdf", "png": "image/png"}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA["pdf"]: {}, MEDIA["png"]: {}}}}


def _send(body: bytes, name: str, fmt: str) -> Response:
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/maps/layers.{fmt}", response_class=Response, responses=_RESPONSES)
def layers_export(fmt: Literal["pdf", "png"], data: DataDep, lang: LangDep) -> Response:
    """The layers map as a printable A4 page (PDF or PNG)."""
    return _send(map_file(data, "layers", lang=lang, fmt=fmt), "peakmap-layers", fmt)


@router.get("/maps/gaps.{fmt}", response_class=Response, responses=_RESPONSES)
def gaps_export(fmt: Literal["pdf", "png"], data: DataDep, lang: LangDep,
                compare: bool = False) -> Response:
    """Uncovered land and proposals as a printable A4 page; ``compare``: now | proposal."""
    body = map_file(data, "gaps", lang=lang, fmt=fmt, compare=compare)
    return _send(body, "peakmap-gaps-compare" if compare else "peakmap-gaps", fmt)


@router.get("/maps/pv.{fmt}", response_class=Response, responses=_RESPONSES)
def pv_export(fmt: Literal["pdf", "png"], data: DataDep, lang: LangDep) -> Response:
    """Rooftop PV per building as a printable A4 page (PDF or PNG)."""
    return _send(map_file(data, "pv", lang=lang, fmt=fmt), "peakmap-pv", fmt)

