"""Text of the web interface, Chinese first with English available (``?lang=en``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from layers.labels import LEVEL_LABELS, SOURCE_LABELS, STATUS_LABELS
from layers.numfmt import OP_SYMBOLS, op_symbol

if TYPE_CHECKING:
    from layers.project import Project

__all__ = ["LANGS", "OP_SYMBOLS", "TEXT", "Lang", "lang_of", "leaflet_text_script", "op_symbol",
           "sample_notice", "t"]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"zh": "碳达峰实施方案空间评估", "en": "Carbon-peak plan spatial assessment"},
    "dashboard": {"zh": "指标总览", "en": "Indicator dashboard"},
    "synthetic_note": {
        "zh": "示例数据：区界为真实数据，区内设施、公园、管网等均为合成数据，并非真实位置。",
        "en": "Sample data: the district outline is real; facilities, parks and pipes inside "
        "it are synthetic, not real locations.",
    },
    "level": {"zh": "层级", "en": "Level"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "zone": {"zh": "区域", "en": "Zone"},
    "value": {"zh": "现状值", "en": "Value"},
    "unit": {"zh": "单位", "en": "Unit"},
    "target": {"zh": "目标", "en": "Target"},
    "deadline": {"zh": "期限", "en": "Deadline"},
    "status": {"zh": "状态", "en": "Status"},
    "gap": {"zh": "差距", "en": "Gap"},
    "responsible": {"zh": "责任单位", "en": "Responsible"},
    "source": {"zh": "来源", "en": "Source"},
    "definition": {"zh": "口径", "en": "Definition"},
    "note": {"zh": "备注", "en": "Note"},
    "map": {"zh": "地图", "en": "Map"},
    "no_indicators": {
        "zh": "暂无指标结果（请先运行 peakmap build，并检查指标目录）。",
        "en": "No indicator results yet (run peakmap build and check the catalog).",
    },
    "indicators_error": {"zh": "指标计算失败", "en": "Indicator computation failed"},
    "layers_map": {"zh": "图层地图", "en": "Layers map"},
    "gaps_map": {"zh": "服务盲区与选址方案", "en": "Uncovered areas and siting proposals"},
    "pv_map": {"zh": "屋顶光伏", "en": "Rooftop PV"},
    "exports": {"zh": "导出", "en": "Exports"},
    "export_xlsx": {"zh": "指标表 Excel", "en": "Indicator table (Excel)"},
    "export_csv": {"zh": "指标表 CSV", "en": "Indicator table (CSV)"},
    "api_docs": {"zh": "接口文档", "en": "API docs"},
    "basemap": {"zh": "底图", "en": "Basemap"},
    "basemap_none": {"zh": "无（离线）", "en": "none (offline)"},
    "basemap_osm": {"zh": "OpenStreetMap", "en": "OpenStreetMap"},
    "basemap_amap": {"zh": "高德（GCJ-02）", "en": "Amap (GCJ-02)"},
    "basemap_tianditu": {"zh": "天地图", "en": "Tianditu"},
    "basemap_custom": {"zh": "自定义瓦片", "en": "custom tiles"},
    "legend": {"zh": "图例", "en": "Legend"},
    "features": {"zh": "要素", "en": "features"},
    "count": {"zh": "数量", "en": "count"},
    "aggregated": {"zh": "按网格汇总（放大查看单体）", "en": "grid summary (zoom in for features)"},
    "computed_note": {
        "zh": "现状值由空间数据计算（计算）或由统计填报（填报）；部分输入为估算值（如缺失的户数）"
        "时标为估算，备注说明估算了多少、如何估算。",
        "en": "Values are computed from the spatial data (computed) or read from reported "
        "statistics (reported); a value resting partly on estimated inputs (missing "
        "households...) is marked estimated and its note says how many and how.",
    },
    "no_layer": {"zh": "该图层不存在", "en": "layer not in the store"},
    "uncovered": {"zh": "未覆盖区域", "en": "uncovered areas"},
    "proposal": {"zh": "选址方案", "en": "proposal"},
    "pv_share": {"zh": "光伏覆盖率", "en": "PV coverage"},
    "language": {"zh": "English", "en": "中文"},
    "scenario_proposal": {"zh": "方案情景（含选址方案）", "en": "with the siting proposals"},
    "proposal_stale": {
        "zh": "选址方案已过期：{layer} 生成于 {made} UTC，此后 {changed} 已更新，"
        "请重新运行 peakmap site",
        "en": "Stale proposal: {layer} was made at {made} UTC, before {changed} changed; "
        "re-run peakmap site",
    },
    "updating": {"zh": "指标正在更新（数据已变更）；当前显示 {time} 的计算结果",
                 "en": "Indicators are updating after a change; showing the results of {time}"},
    "derived_stale": {"zh": "正在重新计算：{what}（{why}）",
                      "en": "Being recomputed: {what} ({why})"},
    "scenario_current": {"zh": "现状", "en": "current state"},
    "scenario": {"zh": "情景", "en": "Scenario"},
    "matrix": {"zh": "达标矩阵", "en": "Compliance matrix"},
    # the header bar's links: short, so the English bar fits 1,400 px (full text as title)
    "nav_matrix": {"zh": "达标矩阵", "en": "Matrix"},
    "nav_list": {"zh": "明细表", "en": "Table"},
    "nav_layers": {"zh": "图层地图", "en": "Layers"},
    "nav_gaps": {"zh": "服务盲区与选址方案", "en": "Gaps & sites"},
    "nav_pv": {"zh": "屋顶光伏", "en": "Rooftop PV"},
    "nav_upload": {"zh": "上传图层", "en": "Upload"},
    "nav_xlsx": {"zh": "指标表 Excel", "en": "Excel"},
    "nav_csv": {"zh": "指标表 CSV", "en": "CSV"},
    "nav_api": {"zh": "接口文档", "en": "API"},
    "matrix_street": {"zh": "街道 × 指标达标矩阵", "en": "Street × indicator compliance"},
    "matrix_community": {"zh": "社区 × 指标达标矩阵", "en": "Community × indicator compliance"},
    "summary": {"zh": "全区指标汇总", "en": "District summary"},
    "summary_note": {"zh": "区级指标按状态计数（点击数字筛选）",
                     "en": "district-level indicators by status (click a count to filter)"},
    "list_view": {"zh": "明细表", "en": "Detailed table"},
    "group_other": {"zh": "标准与分析指标", "en": "Standards and analysis indicators"},
    "and_more": {"zh": " 等，另 {n} 个", "en": " and {n} more"},
    "failing_children": {"zh": "未达标社区", "en": "Communities below target"},
    "failing_children_row": {"zh": "未达标社区（未达标指标数）",
                             "en": "Communities below target (indicators failed)"},
    "search": {"zh": "搜索", "en": "Search"},
    "search_hint": {"zh": "街道、社区或指标", "en": "street, community or indicator"},
    "department": {"zh": "责任单位", "en": "Department"},
    "group": {"zh": "目标类型", "en": "Group"},
    "all": {"zh": "全部", "en": "all"},
    "back_to_streets": {"zh": "返回街道矩阵", "en": "back to the street matrix"},
    "open_communities": {"zh": "查看该街道各社区", "en": "open this street's communities"},
    "no_match": {"zh": "没有符合筛选条件的结果", "en": "nothing matches the filters"},
    "pages": {"zh": "分页", "en": "Pages"},
    "page_of": {"zh": "第 {page}/{pages} 页（每页至多 {n} 行，共 {total} 行）",
                "en": "page {page} of {pages} (at most {n} rows a page, {total} in all)"},
    "prev_page": {"zh": "上一页", "en": "previous"},
    "next_page": {"zh": "下一页", "en": "next"},
    "go": {"zh": "转到", "en": "Go"},
    "filter_all_pages": {"zh": "搜索（街道、社区名称或代码）和状态筛选作用于全部分页；"
                         "责任单位和目标类型只隐藏本页的列。",
                         "en": "Search (street or community name or code) and status pick "
                         "the zones of every page; department and group only hide columns."},
    "apply_filters": {"zh": "筛选", "en": "Filter"},
    "clear_filters": {"zh": "清除筛选", "en": "clear filters"},
    "matrix_note": {
        "zh": "单元格颜色表示状态，数字为现状值（单位见表头）；悬停查看目标与未达标社区。",
        "en": "Cell colour = status, number = value (unit in the header); hover for the "
        "target and the communities below it.",
    },
    "upload": {"zh": "上传图层", "en": "Upload a layer"},
    "upload_intro": {
        "zh": "选择要替换的图层，拖入文件，先检查（按 peakmap build 的规则校验，列出全部问题，"
        "不写入任何数据），通过后再确认上传。",
        "en": "Choose the layer to replace, drop a file, check it first (validated as "
        "peakmap build does, every problem listed, nothing written), then confirm.",
    },
    "upload_layer": {"zh": "图层", "en": "Layer"},
    "upload_drop": {"zh": "将文件拖到此处，或选择文件", "en": "Drop a file here, or choose one"},
    "upload_formats": {"zh": "GeoPackage、GeoJSON、Shapefile（zip）、CSV 点表",
                       "en": "GeoPackage, GeoJSON, zipped Shapefile, CSV of points"},
    "upload_limit": {"zh": "上限", "en": "limit"},
    "upload_options": {"zh": "高级选项（覆盖项目清单中的设置）",
                       "en": "Options (override the project manifest)"},
    "upload_crs": {"zh": "坐标系", "en": "CRS"},
    "upload_encoding": {"zh": "编码", "en": "Encoding"},
    "upload_sublayer": {"zh": "文件内图层名", "en": "Layer inside the file"},
    "upload_check": {"zh": "检查", "en": "Check"},
    "upload_confirm": {"zh": "确认上传", "en": "Confirm upload"},
    "cell_share": {"zh": "本格面积比例", "en": "share in this cell"},
    "classes_target": {
        "zh": "分级：以目标值为界，红色未达标（越深离目标越远），绿色达标（越深超出越多）；"
        "取值种类不多于分级数时每个取值一级。",
        "en": "Classes split at the target: reds where it is not met (darker = further "
        "away), greens where it is met (darker = further beyond); one class per value "
        "when the values are no more than the classes.",
    },
    "classes_plain": {
        "zh": "分级：无定量目标，按固定间隔（百分比）或分位数分级，取值种类不多于分级数时"
        "每个取值一级；蓝色不表示达标与否。",
        "en": "Classes: no target, so fixed steps (shares) or quantiles, or one class per "
        "value when the values are no more than the classes; blue says nothing about "
        "meeting a target.",
    },
}

# Leaflet's own control titles (English in leaflet.js), by the CSS selector of their element.
LEAFLET_TITLES: dict[str, dict[str, str]] = {
    ".leaflet-control-zoom-in": {"zh": "放大", "en": "Zoom in"},
    ".leaflet-control-zoom-out": {"zh": "缩小", "en": "Zoom out"},
    ".leaflet-control-layers-toggle": {"zh": "图层", "en": "Layers"},
    ".leaflet-control-attribution a[title]":  # Leaflet's own link (no URL here: offline)
        {"zh": "交互式地图的 JavaScript 库", "en": "A JavaScript library for interactive maps"},
}

# Statuses, sources and levels come from the table every output shares (layers.labels).
for _prefix, _table in (("status_", STATUS_LABELS), ("source_", SOURCE_LABELS),
                        ("level_", LEVEL_LABELS)):
    for _key, (_zh, _en) in _table.items():
        TEXT[_prefix + _key] = {"zh": _zh, "en": _en}

def lang_of(value: str | None) -> Lang:
    """Return ``"en"`` when asked for English, else Chinese (the default).

    The routes refuse any value but ``zh``/``en`` before this (``web.deps.get_lang``).

    Examples
    --------
    >>> lang_of("en"), lang_of(None), lang_of("fr")
    ('en', 'zh', 'zh')
    """
    return "en" if value == "en" else "zh"


def t(key: str, lang: str) -> str:
    """Return the text ``key`` in ``lang``; unknown keys come back as themselves.

    Examples
    --------
    >>> t("status_pass", "zh")
    '达标'
    """
    entry = TEXT.get(key)
    if entry is None:
        return key
    return entry.get(lang, entry["zh"])


def leaflet_text_script(lang: str) -> str:
    """A ``<script>`` giving a map page its language: ``<html lang>`` and Leaflet's titles.

    Leaflet writes its zoom buttons', layer control's and attribution link's titles in
    English; on a Chinese page they are replaced (:data:`LEAFLET_TITLES`) once the page has
    loaded. Placed in the page's ``<head>``.

    Examples
    --------
    >>> "放大" in leaflet_text_script("zh"), "Zoom in" in leaflet_text_script("en")
    (True, False)
    """
    import json

    code = "zh-CN" if lang == "zh" else "en"
    titles = {sel: text[lang] for sel, text in LEAFLET_TITLES.items()
              if text[lang] != text["en"]}
    script = f"document.documentElement.lang={json.dumps(code)};"
    if titles:
        script += (
            "window.addEventListener('load',function(){var t="
            + json.dumps(titles, ensure_ascii=False)
            + ";Object.keys(t).forEach(function(s){document.querySelectorAll(s).forEach("
            "function(e){e.title=t[s];if(e.hasAttribute('aria-label'))"
            "e.setAttribute('aria-label',t[s]);});});});")
    return f"<script>{script}</script>"


def sample_notice(project: Project, lang: str) -> str | None:
    """The pages' sample-data notice when ``project`` is the generated sample, else None.

    Parameters
    ----------
    project : layers.project.Project
    lang : {"zh", "en"}

    Returns
    -------
    str or None
    """
    return t("synthetic_note", lang) if project.is_sample else None
