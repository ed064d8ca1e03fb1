"""Spellings of coded values found in real Chinese deliveries, mapped to canonical values.

Applied on ingest before validation, after the manifest's own value maps
(``[layers.<name>.values.<field>]``), which win. Matching ignores case and surrounding
blanks. A value of a coded field that neither maps nor is canonical stops the build with a
message listing the values found and the manifest lines that would map them.

Land use is stored in the codes of GB 50137-2011 (城市用地分类与规划建设用地标准: ``R``, ``R2``,
``A1``, ``G1``, ``E1`` …). Deliveries in the 2020 classification of 国土空间调查、规划、用途管制
用地用海分类指南（试行） give numeric codes (``0701``, ``1401``); they are mapped to the nearest
GB 50137 class below, by code and by name. The older 第三次全国国土调查 (三调, GB/T 21010-2017)
numeric codes clash with the 2020 ones (``05`` is 商服用地 in 三调 but 湿地 in 2020), so only
三调 *names* are mapped here; map its numeric codes with a value map in the manifest.
"""

from __future__ import annotations

import re

__all__ = ["LANDUSE_ALIASES", "LANDUSE_CODE_PATTERN", "VALUE_ALIASES"]

# GB 50137-2011 class codes: one capital of the major class, then up to three digits.
LANDUSE_CODE_PATTERN = re.compile(r"^[RABMWSUGHE]\d{0,3}$")

# 2020 国土空间 classification (codes and names) → GB 50137-2011.
_GUOKONG_2020: dict[str, tuple[str, str]] = {
    # code: (name, GB 50137 class)
    "01": ("耕地", "E2"), "02": ("园地", "E2"), "03": ("林地", "E2"), "04": ("草地", "E2"),
    "05": ("湿地", "E"), "06": ("农业设施建设用地", "E2"),
    "07": ("居住用地", "R"), "0701": ("城镇住宅用地", "R"),
    "0702": ("城镇社区服务设施用地", "R"), "0703": ("农村宅基地", "H14"),
    "0704": ("农村社区服务设施用地", "H14"),
    "08": ("公共管理与公共服务用地", "A"), "0801": ("机关团体用地", "A1"),
    "0802": ("科研用地", "A35"), "0803": ("文化用地", "A2"), "0804": ("教育用地", "A3"),
    "0805": ("体育用地", "A4"), "0806": ("医疗卫生用地", "A5"), "0807": ("社会福利用地", "A6"),
    "09": ("商业服务业用地", "B"), "0901": ("商业用地", "B1"), "0902": ("商务金融用地", "B2"),
    "0903": ("娱乐用地", "B3"), "0904": ("其他商业服务业用地", "B9"),
    "10": ("工矿用地", "M"), "1001": ("工业用地", "M"), "1002": ("采矿用地", "H5"),
    "1003": ("盐田", "H5"),
    "11": ("仓储用地", "W"), "1101": ("物流仓储用地", "W"), "1102": ("储备库用地", "W"),
    "12": ("交通运输用地", "S"), "1201": ("铁路用地", "H21"), "1202": ("公路用地", "H22"),
    "1203": ("机场用地", "H24"), "1204": ("港口码头用地", "H23"), "1205": ("管道运输用地", "H25"),
    "1206": ("城市轨道交通用地", "S2"), "1207": ("城镇村道路用地", "S1"),
    "1208": ("交通场站用地", "S4"), "1209": ("其他交通设施用地", "S9"),
    "13": ("公用设施用地", "U"),
    "14": ("绿地与开敞空间用地", "G"), "1401": ("公园绿地", "G1"), "1402": ("防护绿地", "G2"),
    "1403": ("广场用地", "G3"),
    "15": ("特殊用地", "H4"), "16": ("留白用地", "H9"),
    "17": ("陆地水域", "E1"), "1701": ("河流水面", "E1"), "1702": ("湖泊水面", "E1"),
    "1703": ("水库水面", "E1"), "1704": ("坑塘水面", "E1"), "1705": ("沟渠", "E1"),
    "23": ("其他土地", "E9"), "2301": ("空闲地", "E9"),
}

# GB 50137-2011 class names (and common shortenings, and 三调 names) → code.
_LANDUSE_NAMES: dict[str, str] = {
    "居住用地": "R", "住宅用地": "R", "一类居住用地": "R1", "二类居住用地": "R2",
    "三类居住用地": "R3",
    "公共管理与公共服务设施用地": "A", "公共管理与公共服务用地": "A", "行政办公用地": "A1",
    "文化设施用地": "A2", "教育科研用地": "A3", "体育用地": "A4", "医疗卫生用地": "A5",
    "社会福利设施用地": "A6", "社会福利用地": "A6", "文物古迹用地": "A7", "外事用地": "A8",
    "宗教设施用地": "A9", "宗教用地": "A9",
    "商业服务业设施用地": "B", "商业服务业用地": "B", "商业设施用地": "B1", "商务设施用地": "B2",
    "娱乐康体设施用地": "B3", "公用设施营业网点用地": "B4", "其他服务设施用地": "B9",
    "工业用地": "M", "物流仓储用地": "W", "仓储用地": "W",
    "道路与交通设施用地": "S", "城市道路用地": "S1", "道路用地": "S1", "城市轨道交通用地": "S2",
    "交通枢纽用地": "S3", "交通场站用地": "S4", "其他交通设施用地": "S9",
    "公用设施用地": "U", "供应设施用地": "U1", "环境设施用地": "U2", "安全设施用地": "U3",
    "绿地与广场用地": "G", "公园绿地": "G1", "防护绿地": "G2", "广场用地": "G3",
    "建设用地": "H", "特殊用地": "H4", "采矿用地": "H5", "其他建设用地": "H9",
    "非建设用地": "E", "水域": "E1", "农林用地": "E2", "其他非建设用地": "E9",
    # 三调 (GB/T 21010-2017) names whose meaning is unambiguous
    "城镇住宅用地": "R", "商服用地": "B", "机关团体新闻出版用地": "A1",
    "科教文卫用地": "A", "公园与绿地": "G1", "街巷用地": "S1", "城镇村道路用地": "S1",
    "交通服务场站用地": "S4", "河流水面": "E1", "湖泊水面": "E1", "水库水面": "E1",
    "坑塘水面": "E1", "沟渠": "E1", "水域及水利设施用地": "E1", "空闲地": "E9",
}

LANDUSE_ALIASES: dict[str, str] = {
    **{code: gb for code, (_, gb) in _GUOKONG_2020.items()},
    **{name: gb for _, (name, gb) in _GUOKONG_2020.items()},
    **_LANDUSE_NAMES,
}

# CJJ/T 85-2017 green-space classes (城市绿地分类标准) by name.
_GREEN_CLASSES = {
    "综合公园": "G11", "社区公园": "G12", "专类公园": "G13", "游园": "G14", "街旁绿地": "G14",
    "带状公园": "G14", "防护绿地": "G2", "广场用地": "G3", "广场": "G3", "附属绿地": "XG",
    "区域绿地": "EG",
}

_STATUS = {
    "现状": "existing", "已建": "existing", "已建成": "existing", "建成": "existing",
    "现有": "existing", "在用": "existing", "运营": "existing", "正常": "existing",
    "规划": "planned", "拟建": "planned", "新建": "planned", "规划新建": "planned",
    "在建": "planned", "待建": "planned", "计划": "planned",
}

VALUE_ALIASES: dict[tuple[str, str], dict[str, str]] = {
    ("recycling_points", "kind"): {
        "社区回收点": "community_point", "回收服务点": "community_point",
        "再生资源回收服务点": "community_point", "回收点": "community_point",
        "社区回收站": "community_point", "回收站": "community_point", "回收亭": "community_point",
        "交投点": "community_point", "再生资源回收站点": "community_point",
        "再生资源回收网点": "community_point", "回收网点": "community_point",
        "再生资源回收点": "community_point", "社区回收服务点": "community_point",
        "中转站": "transfer_station", "回收中转站": "transfer_station",
        "再生资源中转站": "transfer_station", "转运站": "transfer_station",
        "分拣中心": "sorting_center", "分拣站": "sorting_center",
        "再生资源分拣中心": "sorting_center", "分拣场": "sorting_center",
        "集散场": "sorting_center", "集散中心": "sorting_center",
        "两网衔接网点": "two_network_point", "两网融合点": "two_network_point",
        "两网融合": "two_network_point", "两网衔接": "two_network_point",
        "两网融合站点": "two_network_point", "两网融合网点": "two_network_point",
    },
    ("recycling_points", "status"): _STATUS,
    ("streetlights", "lamp_type"): {
        "led": "LED", "led灯": "LED", "led路灯": "LED", "发光二极管": "LED", "发光二极管灯": "LED",
        "高压钠灯": "HPS", "钠灯": "HPS", "hps": "HPS", "金卤灯": "MH", "金属卤化物灯": "MH",
        "陶瓷金卤灯": "MH", "mh": "MH", "其他": "other", "其它": "other", "无极灯": "other",
        "荧光灯": "other", "节能灯": "other", "低压钠灯": "other", "汞灯": "other",
        "高压汞灯": "other", "太阳能灯": "other",
    },
    ("pocket_parks", "status"): _STATUS,
    ("buildings", "roof_shape"): {
        "平屋顶": "flat", "平顶": "flat", "平屋面": "flat", "平": "flat",
        "双坡": "gable", "双坡屋顶": "gable", "双坡顶": "gable", "人字顶": "gable",
        "硬山": "gable", "悬山": "gable", "四坡": "hip", "四坡屋顶": "hip", "四坡顶": "hip",
        "庑殿": "hip", "庑殿顶": "hip",
    },
    ("heating_pipes", "network"): {
        "一级": "primary", "一次网": "primary", "一级网": "primary", "一级管网": "primary",
        "一次管网": "primary", "一次": "primary", "主干网": "primary", "主管网": "primary",
        "二级": "secondary", "二次网": "secondary", "二级网": "secondary",
        "二级管网": "secondary", "二次管网": "secondary", "二次": "secondary",
        "庭院管网": "secondary", "小区管网": "secondary", "支线": "secondary",
    },
    ("green_spaces", "class"): _GREEN_CLASSES,
    ("nature_reserves", "category"): {
        "国家公园": "national_park", "自然保护区": "nature_reserve",
        "国家级自然保护区": "nature_reserve", "省级自然保护区": "nature_reserve",
        "市级自然保护区": "nature_reserve", "自然公园": "nature_park",
        "湿地公园": "nature_park", "森林公园": "nature_park", "地质公园": "nature_park",
        "海洋公园": "nature_park", "风景名胜区": "nature_park", "沙漠公园": "nature_park",
        "草原公园": "nature_park",
    },
    ("shorelines", "natural"): {
        "自然岸线": "true", "自然": "true", "生态岸线": "true", "natural": "true",
        "人工岸线": "false", "人工": "false", "硬质岸线": "false", "artificial": "false",
    },
    ("landuse", "code"): LANDUSE_ALIASES,
    ("landuse", "subcode"): LANDUSE_ALIASES,
    ("buildings", "use"): {
        "住宅": "residential", "居住": "residential", "居民住宅": "residential",
        "办公": "government", "行政办公": "government", "机关": "government",
        "公共建筑": "public", "公建": "public", "学校": "school", "教育": "school",
        "医院": "hospital", "医疗": "hospital", "商业": "commercial", "商服": "commercial",
        "商业服务": "commercial", "工业": "industrial", "厂房": "industrial",
        "仓储": "warehouse", "仓库": "warehouse", "交通": "transport",
        "市政": "utility", "公用设施": "utility",
    },
    ("facilities", "type"): {
        "幼儿园": "kindergarten", "托儿所": "kindergarten",
        "养老服务站": "elderly_care", "养老院": "elderly_care", "日间照料中心": "elderly_care",
        "社区养老服务设施": "elderly_care", "超市": "supermarket", "菜市场": "market",
        "社区服务中心": "community_service", "社区服务站": "community_service",
        "社区党群服务中心": "community_service", "社区卫生服务站": "clinic",
        "社区卫生服务中心": "clinic", "卫生站": "clinic", "诊所": "clinic",
        "小学": "primary_school", "医院": "hospital",
    },
}
