"""Words shown to planners for the codes the data and the records carry, in zh and en.

One table for every way out (web pages, tooltips, legends, CSV/XLSX, the API's
``status_label``): statuses, sources, levels, the value lists of the canonical schema
(:mod:`layers.schema`) and the other codes the sample and real deliveries use, field names
with their units, units, and the fixed notes the indicator engine writes.

Examples
--------
>>> value_label("recycling_points", "kind", "community_point", "zh")
'社区回收点'
>>> status_label("no-target", "en")
'no target'
>>> field_label("pv_kwh_year", "zh")
'年发电量'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from layers.schema import CANONICAL

__all__ = [
    "BOOL_LABELS",
    "CHANGE_LABELS",
    "EXPORT_COLUMNS",
    "FIELD_LABELS",
    "LEVEL_LABELS",
    "NOTE_FIELDS",
    "PROPOSED_NAMES",
    "RESPONSIBLE_SEPARATORS",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "UNIT_LABELS",
    "VALUE_LABELS",
    "bilingual_note",
    "codes_in_text",
    "export_record",
    "field_label",
    "field_unit",
    "label",
    "level_label",
    "note_label",
    "proposal_name",
    "record_labels",
    "responsible_departments",
    "responsible_label",
    "source_label",
    "status_label",
    "unit_label",
    "value_label",
]

Pair = tuple[str, str]

# Names the siting models give the sites they propose: ``<words> <id>`` (a transfer station:
# ``<words> <street name>``), stored in Chinese; English pages show the English words with
# the same id (:func:`proposal_name`).
PROPOSED_NAMES: dict[str, Pair] = {
    "recycling_point": ("拟建回收点", "Proposed recycling point"),
    "transfer_station": ("拟建中转站", "Proposed transfer station"),
    "pocket_park": ("拟建口袋公园", "Proposed pocket park"),
}

STATUS_LABELS: dict[str, Pair] = {
    "pass": ("达标", "met"),
    "fail": ("未达标", "not met"),
    "no-target": ("无定量目标", "no target"),
    "no-data": ("无数据", "no data"),
}
SOURCE_LABELS: dict[str, Pair] = {"computed": ("计算", "computed"),
                                  "estimated": ("估算", "estimated"),
                                  "reported": ("填报", "reported")}
LEVEL_LABELS: dict[str, Pair] = {"district": ("区", "District"), "street": ("街道", "Street"),
                                 "community": ("社区", "Community")}
# Between a record's responsible departments: ``responsible`` (Chinese, as the annex writes
# them) and ``responsible_en`` (their English names, layers/catalogs/departments.toml).
RESPONSIBLE_SEPARATORS: dict[str, str] = {"zh": "、", "en": "; "}
BOOL_LABELS: dict[str, Pair] = {"true": ("是", "yes"), "false": ("否", "no")}
# Status change of an indicator with a proposal (layers/compare.py).
CHANGE_LABELS: dict[str, Pair] = {"newly-met": ("新达标", "newly met"),
                                  "no-longer-met": ("不再达标", "no longer met"),
                                  "unchanged": ("不变", "unchanged")}

_GREEN: dict[str, Pair] = {
    # CJJ/T 85-2017 绿地分类; the code stays in the label, planners know the classes by it.
    "G11": ("G11 综合公园", "G11 comprehensive park"),
    "G12": ("G12 社区公园", "G12 community park"),
    "G13": ("G13 专类公园", "G13 specialised park"),
    "G14": ("G14 游园", "G14 pocket garden"),
    "G2": ("G2 防护绿地", "G2 protective green"),
    "G3": ("G3 广场用地", "G3 square"),
    "XG": ("XG 附属绿地", "XG attached green"),
    "EG": ("EG 区域绿地", "EG regional green"),
}
_LANDUSE: dict[str, Pair] = {
    # GB 50137-2011 城市用地分类 (major classes).
    "R": ("R 居住用地", "R residential"), "A": ("A 公共管理与公共服务用地", "A public services"),
    "B": ("B 商业服务业设施用地", "B commercial"), "M": ("M 工业用地", "M industrial"),
    "W": ("W 物流仓储用地", "W logistics and storage"),
    "S": ("S 道路与交通设施用地", "S roads and transport"),
    "U": ("U 公用设施用地", "U utilities"), "G": ("G 绿地与广场用地", "G green space and squares"),
    "E": ("E 水域及非建设用地", "E water and non-built land"),
    "H": ("H 建设用地", "H built-up land"),
}
VALUE_LABELS: dict[tuple[str, str], dict[str, Pair]] = {
    ("recycling_points", "kind"): {
        "community_point": ("社区回收点", "community collection point"),
        "transfer_station": ("中转站", "transfer station"),
        "sorting_center": ("分拣中心", "sorting centre"),
        "two_network_point": ("两网衔接网点", "two-network point"),
    },
    ("recycling_points", "status"): {"existing": ("现状", "existing"),
                                     "planned": ("规划", "planned")},
    ("pocket_parks", "status"): {"existing": ("现状", "existing"),
                                 "planned": ("规划", "planned")},
    ("streetlights", "lamp_type"): {
        "LED": ("LED 灯", "LED"), "HPS": ("高压钠灯", "high-pressure sodium"),
        "MH": ("金属卤化物灯", "metal halide"), "other": ("其他", "other"),
    },
    ("heating_pipes", "network"): {"primary": ("一级管网", "primary network"),
                                   "secondary": ("二级管网", "secondary network")},
    ("green_spaces", "class"): _GREEN,
    ("landuse", "code"): _LANDUSE,
    ("facilities", "type"): {
        "kindergarten": ("幼儿园", "kindergarten"), "clinic": ("社区卫生服务站", "clinic"),
        "elderly_care": ("养老服务设施", "elderly care"), "supermarket": ("超市", "supermarket"),
        "community_service": ("社区综合服务站", "community service centre"),
        "sports": ("体育设施", "sports"), "canteen": ("社区食堂", "community canteen"),
        "primary_school": ("小学", "primary school"), "hospital": ("医院", "hospital"),
    },
    ("roads", "class"): {"primary": ("主干路", "primary road"),
                         "secondary": ("次干路", "secondary road"),
                         "local": ("支路", "local road"), "lane": ("里巷", "lane"),
                         "footway": ("步行道", "footway")},
    ("buildings", "use"): {
        "residential": ("居住", "residential"), "commercial": ("商业", "commercial"),
        "school": ("学校", "school"), "government": ("党政机关", "government"),
        "public": ("公共建筑", "public building"), "transport": ("交通", "transport"),
        "industrial": ("工业", "industrial"), "warehouse": ("仓储", "warehouse"),
        "utility": ("公用设施", "utility"), "hospital": ("医院", "hospital"),
    },
    ("buildings", "green_building"): {
        "none": ("无", "none"), "basic": ("基本级", "basic"), "one_star": ("一星级", "one star"),
        "two_star": ("二星级", "two stars"), "three_star": ("三星级", "three stars"),
    },
    ("nature_reserves", "category"): {
        # 《关于建立以国家公园为主体的自然保护地体系的指导意见》 (2019) three categories.
        "national_park": ("国家公园", "national park"),
        "nature_reserve": ("自然保护区", "nature reserve"),
        "nature_park": ("自然公园", "nature park"),
    },
    ("buildings", "roof_shape"): {"flat": ("平屋顶", "flat"), "gable": ("双坡屋顶", "gable"),
                                  "hip": ("四坡屋顶", "hip")},
    # NEA pilot classes (layers/rooftop_pv.py NEA_CLASSES holds their roof shares)
    ("buildings", "nea_class"): {
        "government": ("党政机关", "Party and government buildings"),
        "public": ("学校、医院等公共建筑", "Schools, hospitals and other public buildings"),
        "industry_commerce": ("工商业厂房", "Industrial and commercial buildings"),
        "rural_home": ("农村居民住宅", "Rural homes"), "other": ("其他", "other"),
    },
    ("buildings", "pv_layout"): {
        "rows": ("南向倾斜阵列", "tilted rows"), "east_west": ("东西向低倾角", "east-west"),
        "flat": ("平铺", "flat-mounted"), "flush": ("顺坡平铺（坡屋顶）", "flush (pitched roof)"),
        "mixed": ("平、坡屋顶混合", "mixed flat and pitched"),
    },
    # where a proposed site comes from (layers/siting)
    ("proposals", "source"): {
        "existing": ("现状站点", "existing site"), "roadside": ("路侧", "roadside"),
        "public_land": ("公共用地", "public land"),
        "public_building": ("公共建筑首层", "public building, ground floor"),
        "plot": ("地块", "plot"), "manual": ("人工添加", "added by hand"),
        "moved": ("规划师移动后的位置", "moved by the planner"),
    },
}
# Fields shared by several layers translate the same everywhere.
_SHARED_FIELDS: dict[str, tuple[str, str, str]] = {
    "id": ("编号", "id", ""), "code": ("代码", "code", ""), "name": ("名称", "name", ""),
    "district_code": ("所属区代码", "district code", ""),
    "street_code": ("所属街道代码", "street code", ""),
    "community_code": ("所属社区代码", "community code", ""),
    "community_name": ("社区", "community", ""),
    "households": ("户数", "households", "户"), "population": ("人口", "population", "人"),
    "green_community": ("绿色社区", "green community", ""),
    "waste_sorting": ("垃圾分类示范", "waste sorting", ""),
    "subcode": ("用地中类", "land-use subclass", ""), "built_up": ("建设用地", "built-up", ""),
    "use": ("用途", "use", ""), "floors": ("层数", "floors", "层"),
    "height_m": ("高度", "height", "m"), "built_year": ("建成年份", "year built", ""),
    "floor_area_m2": ("建筑面积", "floor area", "m²"),
    "retrofit_year": ("节能改造年份", "year retrofitted", ""),
    "public_institution": ("公共机构", "public institution", ""),
    "green_building": ("绿色建筑等级", "green building rating", ""),
    "prefab": ("装配式", "prefabricated", ""), "five_step": ("五步节能", "five-step standard", ""),
    "large_mall": ("大型商场", "large mall", ""), "green_mall": ("绿色商场", "green mall", ""),
    "thrifty_agency": ("节约型机关", "thrifty agency", ""),
    "pv_area_m2": ("已建光伏面积", "installed PV area", "m²"),
    "area_m2": ("面积", "area", "m²"), "length_m": ("长度", "length", "m"),
    "class": ("类别", "class", ""), "renovated_year": ("改造年份", "year renovated", ""),
    "public_access": ("对公众开放", "open to the public", ""), "status": ("状态", "status", ""),
    "compliant": ("达到海绵城市要求", "meets sponge-city standard", ""),
    "runoff_control_rate": ("年径流总量控制率", "annual runoff control rate", "%"),
    "canopy_cover": ("郁闭度", "canopy cover", ""), "category": ("类别", "category", ""),
    "level": ("级别", "level", ""), "established_year": ("设立年份", "year established", ""),
    "natural": ("自然岸线", "natural shoreline", ""),
    "target_rate": ("目标控制率", "target rate", "%"),
    "completed_year": ("完成年份", "year completed", ""), "kind": ("类型", "kind", ""),
    "opened_year": ("启用年份", "year opened", ""),
    "install_year": ("敷设年份", "year laid", ""), "network": ("管网级别", "network", ""),
    "diameter_mm": ("管径", "diameter", "mm"), "loss_w_per_m": ("热损失", "heat loss", "W/m"),
    "lamp_type": ("灯具类型", "lamp type", ""), "power_w": ("功率", "power", "W"),
    "type": ("设施类型", "facility type", ""), "walkable": ("可步行", "walkable", ""),
    "roof_area_m2": ("屋顶面积", "roof area", "m²"),
    "pv_suitable_area_m2": ("光伏适宜面积", "PV-suitable area", "m²"),
    "pv_kwp": ("装机容量", "capacity", "kWp"), "pv_kwh_year": ("年发电量", "yield per year", "kWh"),
    "pv_specific_yield": ("单位发电量", "specific yield", "kWh/kWp"),
    "pv_poa_kwh_m2": ("年辐照量（倾斜面）", "plane-of-array irradiation", "kWh/m²"),
    "nea_class": ("国家能源局试点分类", "NEA pilot class", ""),
    "pv_module_area_m2": ("组件面积", "module area", "m²"),
    "pv_layout": ("组件布置", "module layout", ""),
    "pv_gcr": ("组件面积比（GCR）", "ground coverage ratio (GCR)", ""),
    "has_pv": ("已装光伏", "already has PV", ""),
    "tj_pv50": ("属 TJ-PV50 统计范围", "in TJ-PV50's denominator", ""),
    "historic": ("历史建筑", "historic building", ""),
    "residential_m2": ("居住用地面积", "residential land", "m²"),
    "uncovered_m2": ("服务半径外面积", "area outside the reach", "m²"),
    "uncovered_pct": ("服务半径外比例", "share outside the reach", "%"),
    "preset": ("半径预设", "radius preset", ""), "count": ("数量", "count", "个"),
    "measure": ("面积或长度合计", "total area or length", ""),
    "pv_share": ("光伏适宜面积比例", "suitable roof share", "%"),
}
FIELD_LABELS: dict[str, tuple[str, str, str]] = dict(_SHARED_FIELDS)
UNIT_LABELS: dict[str, Pair] = {
    "个": ("个", "count"), "百分点": ("百分点", "pp"), "m²/人": ("m²/人", "m²/person"),
    "kWh/yr": ("kWh/年", "kWh/yr"), "户": ("户", "households"), "人": ("人", "persons"),
    "层": ("层", "floors"), "处": ("处", "sites"), "年": ("年", "years"),
}
# Notes the indicator engine writes in English only: (pattern, zh template, en template).
# A template may be a function of the match's groups (to translate a group's words).
_NOTES: tuple[tuple[re.Pattern[str], str | Callable[[dict[str, str]], str], str], ...] = (
    (re.compile(r"no value for (?P<id>\S+) up to (?P<year>\d+) in (?P<file>\S+)"),
     "{file} 中没有 {id} 截至 {year} 年的填报值",
     "no value for {id} up to {year} in {file}"),
    (re.compile(r"no base in this zone \(denominator 0\)"),
     "该区域无计算基数（分母为 0）", "no base in this zone (denominator 0)"),
    (re.compile(r"(?:(?P<kind>\w+): )?layer (?P<layer>\w+) is not in the store"),
     "数据库中没有图层 {layer}", "layer {layer} is not in the store"),
    (re.compile(r"(?:(?P<kind>\w+): )?layer (?P<layer>\w+) has no field (?P<field>\w+)"),
     "图层 {layer} 没有字段 {field}", "layer {layer} has no field {field}"),
    (re.compile(r"layer (?P<layer>\w+) holds points: a share by (?P<by>\w+) is undefined"),
     "图层 {layer} 为点图层，无法按 {by} 计算比例",
     "layer {layer} holds points: a share by {by} is undefined"),
    (re.compile(r"layer roads has no walkable road"),
     "道路图层中没有可步行的道路", "layer roads has no walkable road"),
    (re.compile(r"no park layer"), "没有公园绿地图层", "no park layer"),
    (re.compile(r"needs the (?P<level>district|street|community) level, which this project "
                r"does not have"),
     lambda g: f"需要{LEVEL_LABELS[g['level']][0]}层级，本项目没有该层级",
     "needs the {level} level, which this project does not have"),
    (re.compile(r"no reported values file \((?P<file>[^)]+)\)"),
     "没有填报值文件（{file}）", "no reported values file ({file})"),
    (re.compile(r"layer buildings has no building with use in (?P<uses>.+)"),
     "建筑图层中没有用途为 {uses} 的建筑", "layer buildings has no building with use in {uses}"),
    (re.compile(r"no zone of this project carries a value"),
     "本项目没有任何区域有该项数值", "no zone of this project carries a value"),
    (re.compile(r"buildings have no (?P<field>\w+): build the project with a DSM"),
     "建筑图层没有 {field} 字段：需用 DSM 构建项目后计算",
     "buildings have no {field}: build the project with a DSM"),
    (re.compile(r"buildings have no pv_area_m2 field: installed PV counted as 0"),
     "建筑图层没有 pv_area_m2 字段：已装光伏按 0 计",
     "buildings have no pv_area_m2 field: installed PV counted as 0"),
)
# A note part written in both languages by :func:`bilingual_note`, ``⟪中文⟫ / ⟪English⟫``:
# unlike the short ``中文 / English: value`` parts below, either side may hold ``/``, ``:``
# and ``; `` (the PV step's sky and layout note does).
_BOTH = re.compile(r"⟪(?P<zh>[^⟪⟫]*)⟫ / ⟪(?P<en>[^⟪⟫]*)⟫")
_KEPT = re.compile("\ue000(\\d+)\ue001")


# "中文 / English" halves of the engine's bilingual notes; a tail after ":" is kept.
_BILINGUAL = re.compile(r"^(?P<zh>[^/]*[\u4e00-\u9fff][^/]*?)\s*/\s*(?P<en>[A-Za-z][^:：/]*?)"
                        r"(?P<rest>\s*[:：].*)?$")
# Words inside notes: facility types (coverage notes) and the heating model's figures.
_NOTE_WORDS: dict[str, Pair] = {
    **VALUE_LABELS[("facilities", "type")],
    "communities served": ("", "communities served"),
    # HP-15's sums (layers.heating.heat_loss_change), in W
    "loss_base": ("基准年管网散热（W）", "heat loss, base year (W)"),
    "supply_base": ("基准年供热量（W）", "heat supplied, base year (W)"),
    "loss_now": ("现状管网散热（W）", "heat loss now (W)"),
    "supply_now": ("现状供热量（W）", "heat supplied now (W)"),
    "synthetic example": ("", "synthetic example"),
    # the note of the sample's reported values (sample/heping_reported.csv), one language each
    "示例数据（非真实统计）synthetic example": ("示例数据（非真实统计）",
                                       "synthetic example, not real statistics"),
    # the counts of the PV rows' detail (layers.rooftop_pv.pv)
    "buildings_with_pv": ("装有光伏的建筑数", "buildings with PV"),
    "buildings": ("建筑数", "buildings"),
}
_WORD = re.compile(r"(?<![A-Za-z_])(" + "|".join(
    re.escape(w) for w in sorted(_NOTE_WORDS, key=len, reverse=True)) + r")(?![A-Za-z_])")


def _schema_codes() -> dict[str, Pair]:
    """Code → labels for the value lists of the canonical schema (layers.schema)."""
    out: dict[str, Pair] = {}
    for layer in CANONICAL.values():
        for f in layer.fields:
            for code in f.choices or ():
                pair = VALUE_LABELS.get((layer.name, f.name), {}).get(code)
                if pair is not None and code not in pair[0]:
                    out.setdefault(code, pair)
    return out


_CODES = _schema_codes()
_CODE = re.compile(r"(?<![A-Za-z0-9_\-])(" + "|".join(
    re.escape(c) for c in sorted(_CODES, key=len, reverse=True)) + r")(?![A-Za-z0-9_\-])")


def codes_in_text(text: str | None, lang: str) -> str:
    """``text`` with the schema's value-list codes written as words (Chinese pages only).

    Definitions in the catalogs name filters by code (``kind = two_network_point``); on a
    Chinese page the code reads as its Chinese label. English text is left as it is.

    Examples
    --------
    >>> codes_in_text("至少有1个两网衔接网点（kind = two_network_point）的街道", "zh")
    '至少有1个两网衔接网点（kind = 两网衔接网点）的街道'
    """
    if not text or lang == "en":
        return text or ""
    return _CODE.sub(lambda m: _CODES[m.group(1)][0], text)


def _pick(pair: Pair, lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def label(table: dict[str, Pair], key: Any, lang: str) -> str:
    """``table[key]`` in ``lang``; an unknown key comes back as text.

    Examples
    --------
    >>> label(SOURCE_LABELS, "reported", "zh"), label(SOURCE_LABELS, "x", "zh")
    ('填报', 'x')
    """
    pair = table.get(str(key))
    return _pick(pair, lang) if pair is not None else str(key)


def status_label(status: str | None, lang: str) -> str:
    """The status as planners read it: 达标 / 未达标 / 无定量目标 / 无数据."""
    return label(STATUS_LABELS, status, lang)


def source_label(source: str | None, lang: str) -> str:
    """计算 (computed), 估算 (estimated: computed from partly estimated inputs) or 填报."""
    return label(SOURCE_LABELS, source, lang)


def level_label(level: str | None, lang: str) -> str:
    """区 / 街道 / 社区."""
    return label(LEVEL_LABELS, level, lang)


def _text_key(value: Any) -> str:
    if value is True or (hasattr(value, "dtype") and value.dtype == bool and bool(value)):
        return "true"
    if value is False or (hasattr(value, "dtype") and value.dtype == bool):
        return "false"
    return str(value)


def proposal_name(name: str, lang: str) -> str:
    """A proposed site's stored name in ``lang``: its words translated, its id kept.

    Names that are not a siting model's (a planner's own) come back as they are.

    Examples
    --------
    >>> proposal_name("拟建回收点 PR-RC-0003", "en")
    'Proposed recycling point PR-RC-0003'
    >>> proposal_name("拟建口袋公园 PR-PP-0001", "zh"), proposal_name("新华口袋公园1", "en")
    ('拟建口袋公园 PR-PP-0001', '新华口袋公园1')
    """
    if lang != "en":
        return name
    for zh, en in PROPOSED_NAMES.values():
        if name.startswith(zh + " "):
            return en + name[len(zh):]
    return name


def value_label(layer: str, field: str, value: Any, lang: str) -> str:
    """A stored value as a planner reads it (codes of the value lists, yes/no for booleans).

    Layers written by the analyses (``proposal__recycling_points``) use their base
    layer's list; their sites' ``name`` is translated by :func:`proposal_name`. Values
    outside the lists come back as text.

    Examples
    --------
    >>> value_label("streetlights", "lamp_type", "HPS", "zh")
    '高压钠灯'
    >>> value_label("communities", "waste_sorting", True, "en")
    'yes'
    >>> value_label("proposal__pocket_parks", "status", "planned", "zh")
    '规划'
    >>> value_label("proposal__pocket_parks", "name", "拟建口袋公园 PR-PP-0002", "en")
    'Proposed pocket park PR-PP-0002'
    """
    key = _text_key(value)
    if field == "name" and layer.startswith("proposal__"):
        return proposal_name(key, lang)
    base = layer.split("__", 1)[-1]
    table = VALUE_LABELS.get((base, field))
    if table is not None and key in table:
        return _pick(table[key], lang)
    if key in BOOL_LABELS:
        return _pick(BOOL_LABELS[key], lang)
    return key


def field_label(field: str, lang: str) -> str:
    """A field's name as a planner reads it (the name itself when unknown)."""
    entry = FIELD_LABELS.get(field)
    if entry is None:
        return field
    return entry[1] if lang == "en" else entry[0]


def unit_label(unit: str | None, lang: str) -> str:
    """A unit in ``lang`` (``个`` → ``count`` in English; symbols stay as they are).

    Examples
    --------
    >>> unit_label("百分点", "en"), unit_label("m²", "en"), unit_label(None, "zh")
    ('pp', 'm²', '')
    """
    if not unit:
        return ""
    return label(UNIT_LABELS, unit, lang)


def field_unit(field: str, lang: str) -> str:
    """The unit of a field's values in ``lang`` (empty when it has none)."""
    entry = FIELD_LABELS.get(field)
    return unit_label(entry[2], lang) if entry else ""


def note_label(note: str | None, lang: str) -> str:
    """A record's note in ``lang``: the engine's fixed English phrases are translated.

    Parts are separated by ``; ``; a part made by :func:`bilingual_note` shows its ``lang``
    side; parts already bilingual (``中文 / English: value``) show theirs; unknown parts stay
    as written.

    Examples
    --------
    >>> note_label("no value for HP-05 up to 2025 in reported.csv", "zh")
    'reported.csv 中没有 HP-05 截至 2025 年的填报值'
    >>> note_label("x; no base in this zone (denominator 0)", "zh")
    'x；该区域无计算基数（分母为 0）'
    >>> note_label("未达标社区 / communities below target: 甲社区、乙社区", "zh")
    '未达标社区: 甲社区、乙社区'
    >>> note_label("未达标社区 / communities below target: 甲社区", "en")
    'communities below target: 甲社区'
    >>> note_label("具备该类设施的社区数 communities served: kindergarten 300 m: 48", "zh")
    '具备该类设施的社区数: 幼儿园 300 m: 48'
    """
    if not note:
        return ""
    return _note_label(str(note), lang)


def bilingual_note(zh: str, en: str) -> str:
    """One note part in both languages, Chinese first; :func:`note_label` shows one of them.

    Either text alone (or both equal) comes back as it is.

    Examples
    --------
    >>> note = bilingual_note("天空：晴空；退距 1 m", "sky: clear sky; setback 1 m")
    >>> note
    '⟪天空：晴空；退距 1 m⟫ / ⟪sky: clear sky; setback 1 m⟫'
    >>> note_label(note + "; no base in this zone (denominator 0)", "zh")
    '天空：晴空；退距 1 m；该区域无计算基数（分母为 0）'
    >>> note_label(note, "en")
    'sky: clear sky; setback 1 m'
    """
    zh, en = (t.replace("⟪", "《").replace("⟫", "》") for t in (zh or "", en or ""))
    if not zh or zh == en:
        return en
    if not en:
        return zh
    return f"⟪{zh}⟫ / ⟪{en}⟫"


@functools.lru_cache(maxsize=8192)
def _note_label(note: str, lang: str) -> str:
    """:func:`note_label` of a non-empty note (a row's records share their note: asked once)."""
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:  # a bilingual part, set aside whole
        kept.append(m["en"] if lang == "en" else m["zh"])
        return f"\ue000{len(kept) - 1}\ue001"

    note = _BOTH.sub(keep, note)
    parts = []
    for part in note.split("; "):
        for pattern, zh, en in _NOTES:
            m = pattern.fullmatch(part.strip())
            if m:
                template = en if lang == "en" else zh
                part = (template(m.groupdict()) if callable(template)
                        else template.format(**m.groupdict()))
                break
        else:
            m = _BILINGUAL.match(part.strip())
            if m:
                part = (m["en"] if lang == "en" else m["zh"]).strip() + (m["rest"] or "")
            part = _WORD.sub(lambda w: _pick(_NOTE_WORDS[w.group(1)], lang), part)
            part = re.sub(r"\s+([:：])", r"\1", part).strip()
        parts.append(part)
    text = codes_in_text(("; " if lang == "en" else "；").join(p for p in parts if p), lang)
    return _KEPT.sub(lambda m: kept[int(m[1])], text)


def record_labels(record: Mapping[str, Any], lang: str) -> dict[str, str]:
    """The words of an indicator record in ``lang``: status, source and note.

    The keys every export adds beside the codes (API, JSON, CSV): ``status_label``,
    ``source_label``, ``note_label``.

    Examples
    --------
    >>> record_labels({"status": "no-target", "source": "computed", "note": None}, "en")
    {'status_label': 'no target', 'source_label': 'computed', 'note_label': ''}
    """
    return {"status_label": status_label(record.get("status"), lang),
            "source_label": source_label(record.get("source"), lang),
            "note_label": note_label(record.get("note"), lang)}


# The record's free-text fields an export writes as plain words, Chinese in the field itself
# and English in ``<field>_en`` (as ``title``/``title_en``), never with the marks of
# :func:`bilingual_note`.
NOTE_FIELDS = ("note", "detail")
# The columns every export (CSV, JSON, ``/api/indicators``) adds after the record's fields.
EXPORT_COLUMNS = ("note_en", "detail_en", "status_label", "source_label", "note_label")


def export_record(record: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A record as the CSV and JSON exports write it: notes in plain words, labels in ``lang``.

    ``note`` and ``detail`` are rewritten in Chinese and added in English as ``note_en`` and
    ``detail_en`` (by :func:`note_label`: no ``⟪…⟫`` mark and no ``中文 / English`` pair
    reaches a planner), followed by :func:`record_labels` in ``lang``
    (:data:`EXPORT_COLUMNS`). The other fields are kept as they are.

    Parameters
    ----------
    record : mapping
        An indicator record (``IndicatorResult.as_dict()`` or the web's cached dicts).
    lang : {"zh", "en"}
        Language of ``status_label``, ``source_label`` and ``note_label``.

    Returns
    -------
    dict
        A new dict; ``record`` is not changed.

    Examples
    --------
    >>> row = export_record({"status": "no-data", "source": "computed",
    ...                      "note": "no base in this zone (denominator 0)",
    ...                      "detail": bilingual_note("2024年", "value of 2024")}, "en")
    >>> row["note"], row["note_en"]
    ('该区域无计算基数（分母为 0）', 'no base in this zone (denominator 0)')
    >>> row["detail"], row["detail_en"]
    ('2024年', 'value of 2024')
    >>> row["note_label"], row["status_label"]
    ('no base in this zone (denominator 0)', 'no data')
    """
    row = dict(record)
    words = {field: (note_label(record.get(field), "zh"), note_label(record.get(field), "en"))
             for field in NOTE_FIELDS}
    for field, (zh, _) in words.items():
        row[field] = zh
    for field, (_, en) in words.items():
        row[f"{field}_en"] = en
    row.update(record_labels(record, lang))
    return row


def responsible_label(record: Mapping[str, Any] | Any, lang: str) -> str:
    """The responsible departments of a record (dict or IndicatorResult) in ``lang``.

    English reads ``responsible_en`` (filled from the catalog's ``[departments]``), Chinese
    ``responsible``; a record without English names shows the Chinese ones.

    Examples
    --------
    >>> rec = {"responsible": "区商务局、区民政局",
    ...        "responsible_en": "District Commerce Bureau; District Civil Affairs Bureau"}
    >>> responsible_label(rec, "en")
    'District Commerce Bureau; District Civil Affairs Bureau'
    >>> responsible_label(rec, "zh")
    '区商务局、区民政局'
    """
    get = record.get if isinstance(record, Mapping) else (
        lambda key: getattr(record, key, None))
    text = get("responsible_en") if lang == "en" else None
    return str(text or get("responsible") or "")


def responsible_departments(record: Mapping[str, Any] | Any, lang: str) -> tuple[str, ...]:
    """The responsible departments of a record in ``lang``, one name each.

    Examples
    --------
    >>> responsible_departments({"responsible": "区商务局、区民政局"}, "zh")
    ('区商务局', '区民政局')
    """
    text = responsible_label(record, lang)
    get = record.get if isinstance(record, Mapping) else (
        lambda key: getattr(record, key, None))
    sep = RESPONSIBLE_SEPARATORS["en" if lang == "en" and get("responsible_en") else "zh"]
    return tuple(d.strip() for d in text.split(sep) if d.strip())
