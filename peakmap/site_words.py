"""Words of the ``peakmap site recycling|transfer|pocket-parks`` tables, one language a cell.

Every label, unit and caption is a (中文, English) pair; the tables show the side of the
chosen language (Chinese by default, English with ``--lang en``), never both in one cell.

Examples
--------
>>> summary_row("mip_gap", "zh"), summary_row("mip_gap", "en")
(('最优性间隙', '相对值；0 = 已证明最优'), ('MIP gap', 'relative; 0 = proven optimal'))
>>> model_label("max-cover (budget 3)", "zh"), model_label("max-cover (budget 3)", "en")
('最大覆盖（新增 3 处）', 'max-cover (budget 3)')
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SITE_WORDS", "SUMMARY_LABELS", "header", "model_label", "summary_row",
           "summary_value", "word"]

Pair = tuple[str, str]

#: Summary rows of a siting run: key → ((label 中文, English), (unit/definition 中文, English)).
SUMMARY_LABELS: dict[str, tuple[Pair, Pair]] = {
    "model": (("模型", "model"), ("", "")),
    "objective": (("目标值", "objective"),
                  ("新增站点数、覆盖量或户加权距离（米）", "sites, covered amount or weighted m")),
    "mip_gap": (("最优性间隙", "MIP gap"),
                ("相对值；0 = 已证明最优", "relative; 0 = proven optimal")),
    "solve_time_s": (("求解时间", "solve time"), ("s", "s")),
    "status": (("求解状态", "status"), ("", "")),
    "distance": (("距离", "distance"), ("直线或步行路网", "straight line or walking network")),
    "radius_m": (("服务半径", "radius"), ("m", "m")),
    "min_per_community": (("每社区最少点数", "min per community"),
                          ("个（0 = 关闭）", "points (0 = off)")),
    "capacity_households": (("单点容量", "capacity"), ("户（0 = 关闭）", "households (0 = off)")),
    "n_candidates": (("候选点", "candidates"), ("个（不含现状）", "count, excluding existing")),
    "n_existing": (("现状站点", "existing"), ("个", "count")),
    "n_new": (("新增", "new sites"), ("个", "count")),
    "n_demand": (("居住建筑", "residential buildings"), ("栋", "buildings")),
    "households": (("户数", "households"), ("户", "households")),
    "coverage_before_pct": (("覆盖率（现状）", "coverage now"),
                            ("%，半径内户数或居住用地面积占比",
                             "%, share of households or residential land within the radius")),
    "coverage_after_pct": (("覆盖率（方案）", "coverage with proposal"), ("%", "%")),
    "communities_without_point_before": (("无回收点社区（现状）", "communities without, now"),
                                         ("个", "count")),
    "communities_without_point_after": (("无回收点社区（方案）",
                                         "communities without, with proposal"), ("个", "count")),
    "streets_without_station_before": (("无中转站街道（现状）", "streets without, now"),
                                       ("个", "count")),
    "streets_without_station_after": (("无中转站街道（方案）", "streets without, with proposal"),
                                      ("个", "count")),
    "parks_there": (("现有及规划口袋公园", "parks there"), ("个", "count")),
    "residential_m2": (("居住用地", "residential land"), ("m²", "m²")),
    "newly_covered_m2": (("新增覆盖居住用地", "newly covered"), ("m²", "m²")),
    "indicator": (("服务指标", "indicator served"),
                  ("覆盖约束即该指标定义", "its definition is the constraint")),
    "each_zone_indicator": (("每社区最少指标", "per-community row"), ("", "")),
    "preset": (("服务半径预设", "radius preset"), ("", "")),
    "n_earning_radius": (("有服务半径的地块", "plots earning a radius"), ("个", "count")),
    "n_filled_without_coverage": (("补足个数（无新增覆盖）", "filled to the count"),
                                  ("个，按面积从大到小", "count, largest plots first")),
    "n_fixed": (("指定保留", "fixed by planner"), ("个", "count")),
    "n_dropped": (("排除", "dropped by planner"), ("个", "count")),
}

#: Values of the summary that are words, by row: value → (中文, English).
_VALUES: dict[str, dict[str, Pair]] = {
    "status": {"optimal": ("最优", "optimal"),
               "time_limit": ("达到时限（可行解，未证明最优）",
                              "time limit (feasible, not proven optimal)")},
    "distance": {"straight": ("直线", "straight line"), "walk": ("步行路网", "walking network")},
}

#: Headers, titles and captions of the tables.
SITE_WORDS: dict[str, Pair] = {
    "item": ("项目", "item"),
    "value": ("数值", "value"),
    "unit": ("单位/定义", "unit / definition"),
    "computed": ("计算值（peakmap 计算，非填报统计）",
                 "computed by peakmap (not reported statistics)"),
    "sites": ("新增站点", "proposed sites"),
    "id": ("编号", "id"),
    "source": ("来源", "source"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
    "area": ("面积（m²）", "area m²"),
    "radius": ("服务半径（m）", "radius m"),
    "newly_covered": ("新增覆盖（m²）", "newly covered m²"),
    "households": ("服务户数", "households"),
    "mean_distance": ("户均距离（m）", "mean distance m"),
    "in_range": ("覆盖户数", "households in range"),
    "served": ("服务户数", "households served"),
    "wgs84": ("经纬度 WGS84", "lon, lat WGS84"),
    "gcj02": ("经纬度 GCJ-02", "lon, lat GCJ-02"),
    "fixed": ("（指定）", " (fixed by planner)"),
    "where": ("坐标为选址点（面状地块取内部点）；GCJ-02 供高德/百度地图查询",
              "coordinates of the site (a point inside a plot); GCJ-02 for Amap/Baidu look-ups"),
    "recycling": ("回收点选址", "Recycling points"),
    "transfer": ("中转站选址", "Transfer stations"),
    "pocket-parks": ("口袋公园选址", "Pocket parks"),
}

_MODELS: list[tuple[re.Pattern[str], Pair]] = [
    (re.compile(r"^set-cover$"), ("集合覆盖（最少新增点覆盖全部住户）", "set-cover")),
    (re.compile(r"^max-cover \(budget (\d+)\)$"),
     ("最大覆盖（新增 {0} 处）", "max-cover (budget {0})")),
    (re.compile(r"^1-median per street$"),
     ("各街道 1-中位（户加权距离最小）", "1-median per street")),
]


def _pick(pair: Pair, lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def word(key: str, lang: str) -> str:
    """:data:`SITE_WORDS` ``key`` in ``lang``."""
    return _pick(SITE_WORDS[key], lang)


def header(zh: str, en: str, unit: str, lang: str) -> str:
    """A table column's header in ``lang``, its unit (if any) in brackets.

    >>> header("装机容量", "capacity", "kWp", "zh"), header("管径", "diameter", "", "en")
    ('装机容量 (kWp)', 'diameter')
    """
    return _pick((zh, en), lang) + (f" ({unit})" if unit else "")


def summary_row(key: str, lang: str) -> tuple[str, str] | None:
    """The label and the unit/definition of summary row ``key`` in ``lang`` (None: not shown).

    Parameters
    ----------
    key : str
        A key of a siting run's summary.
    lang : {"zh", "en"}

    Returns
    -------
    tuple of str, or None
    """
    entry = SUMMARY_LABELS.get(key)
    if entry is None:
        return None
    return _pick(entry[0], lang), _pick(entry[1], lang)


def model_label(model: str, lang: str) -> str:
    """The siting model's name in ``lang`` (an unknown name comes back as it is).

    Parameters
    ----------
    model : str
        ``set-cover``, ``max-cover (budget N)`` or ``1-median per street``.
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    for pattern, pair in _MODELS:
        m = pattern.match(model)
        if m:
            return _pick(pair, lang).format(*m.groups())
    return model


def summary_value(key: str, value: Any, lang: str) -> Any:
    """A summary value as shown: the model, solver status and distance in ``lang`` words.

    Parameters
    ----------
    key : str
        The summary row.
    value : object
        Its value (numbers and ids come back as they are).
    lang : {"zh", "en"}

    Returns
    -------
    object
    """
    if key == "model" and isinstance(value, str):
        return model_label(value, lang)
    pair = _VALUES.get(key, {}).get(str(value))
    if pair is None:
        return value
    return _pick(pair, lang)
