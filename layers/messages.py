"""Build and validation messages in Chinese: the build writes them in English, one per line.

Every message of the build names where the problem is (``FILE, layer NAME, field F,
feature X: problem``). :func:`message_label` translates that place and the problems the
build, the readers and the value checks raise most (value lists, ids, required fields,
columns, coordinates, geometry types, CRS, formats, encodings); a problem without a rule
keeps its English words after the translated place. The English original is always kept
by the callers (the upload page shows it under the Chinese line).

Examples
--------
>>> message_label("a.csv, layer streets, field id, feature r1: id is not unique "
...               "(2 features share ids)", "zh")
'a.csv，图层 街道（streets），字段 编号（id），要素 r1：编号不唯一（2 个要素编号重复）'
>>> message_label("/srv/p: project directory not found", "zh")
'/srv/p：找不到项目目录'
>>> message_label("anything", "en")
'anything'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from layers.labels import LEVEL_LABELS, field_label

__all__ = ["message_label"]

_PLACE = re.compile(
    r"^(?P<file>[^\n]+?), layer (?P<layer>[a-z_]+)"
    r"(?:, field (?P<field>[^,:]+))?"
    r"(?:, feature (?P<feature>[^:]+?))?: (?P<rest>.+)$", re.S)
_PASTE = "\n    "  # lines to paste into project.toml follow the message, indented
_LAYER_ONLY = re.compile(r"^layer (?P<layer>[a-z_]+): (?P<rest>.+)$", re.S)
GEOMETRY_ZH = {"point": "点", "line": "线", "polygon": "面", "multipoint": "多点",
               "multilinestring": "多线", "multipolygon": "多面", "linestring": "线"}


def _allowed(text: str) -> str:
    if text.startswith("one of "):
        return "可选值（" + text[len("one of "):] + "）"
    if text.startswith("a code matching "):
        return "符合 " + text[len("a code matching "):] + " 的代码"
    return "已知值" if text == "a known value" else text


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_RULES: list[Rule] = [
    (re.compile(r"^(\d+) values? not (.+?): (.+); map them in project\.toml under (\[.+\])$",
                re.S),
     lambda m: f"{m[1]} 个值不在{_allowed(m[2])}之内：{m[3]}；请在 project.toml 的 {m[4]} "
               "中映射"),
    (re.compile(r"^id is not unique \((\d+) features share ids\)$"),
     lambda m: f"编号不唯一（{m[1]} 个要素编号重复）"),
    (re.compile(r"^required value is empty \((\d+) empty\)$"),
     lambda m: f"必填值为空（{m[1]} 个为空）"),
    (re.compile(r"^required field missing \(columns: (.*)\); map it with (.+)$", re.S),
     lambda m: f"缺少必填字段（现有列：{m[1]}）；请用 {m[2]} 指定对应列"),
    (re.compile(r"^no such column for canonical field (\S+) \(columns: (.*)\)$", re.S),
     lambda m: f"文件中没有该列，无法对应标准字段 {m[1]}（现有列：{m[2]}）"),
    (re.compile(r"^(x|y) column not found \(columns: (.*)\)$", re.S),
     lambda m: f"找不到 {m[1]} 坐标列（现有列：{m[2]}）"),
    (re.compile(r"^no (x|y) column found; name it with (.+) for this layer$"),
     lambda m: f"找不到 {m[1]} 坐标列；请为该图层设置 {m[2]}"),
    (re.compile(r"^coordinates (.+), (.+) are not numbers \((\d+) such rows\)$"),
     lambda m: f"坐标 {m[1]}, {m[2]} 不是数字（共 {m[3]} 行）"),
    (re.compile(r"^geometry is (\w+), the layer needs (\w+?)s? \((\d+) features of the wrong "
                r"type\)$"),
     lambda m: f"几何类型为{GEOMETRY_ZH.get(m[1], m[1])}，该图层需要{GEOMETRY_ZH.get(m[2], m[2])}"
               f"（{m[3]} 个要素类型不符）"),
    (re.compile(r"^the file declares no CRS; set (.+)$", re.S),
     lambda m: f"文件未声明坐标系；请设置 {m[1]}"),
    (re.compile(r"^the layer has no features$"), lambda m: "图层没有要素"),
    (re.compile(r"^(.+?): indicator catalog not found(?: \(included from (.+)\))?$", re.S),
     lambda m: f"{m[1]}：找不到指标目录" + (f"（由 {m[2]} 引用）" if m[2] else "")),
    (re.compile(r"^no feature has a usable geometry$"), lambda m: "没有要素带有可用的几何"),
    (re.compile(r"^unknown vector format '(.*)' \(known: (.+)\)$"),
     lambda m: f"不支持的矢量格式 '{m[1]}'（支持：{m[2]}）"),
    (re.compile(r"^the file is empty \(0 bytes\)$"), lambda m: "文件为空（0 字节）"),
    (re.compile(r"^the CSV file is empty$"), lambda m: "CSV 文件为空"),
    (re.compile(r"^not a readable CSV \((.+)\)$", re.S), lambda m: f"无法读取为 CSV（{m[1]}）"),
    (re.compile(r"^text is not (.+?); set (.+) for this layer$"),
     lambda m: f"文本不是 {m[1]} 编码；请为该图层设置 {m[2]}"),
    (re.compile(r"^unknown encoding (.+)$"), lambda m: f"未知编码 {m[1]}"),
    (re.compile(r"^cannot be read as vector data \((.+)\)$", re.S),
     lambda m: f"无法读取为矢量数据（{m[1]}）"),
    (re.compile(r"^the file holds several layers \((.+)\); (.+)$", re.S),
     lambda m: f"文件含多个图层（{m[1]}）；请指定其一：{m[2]}"),
    (re.compile(r"^no layer (.+) in the file \(layers: (.+)\)$"),
     lambda m: f"文件中没有图层 {m[1]}（现有图层：{m[2]}）"),
    (re.compile(r"^the zip holds no shapefile(.*)$"), lambda m: f"压缩包中没有 shapefile{m[1]}"),
    (re.compile(r"^not a canonical layer \(known: (.+)\)$"),
     lambda m: f"不是标准图层（可选：{m[1]}）"),
    (re.compile(r"^not a valid zip archive \(corrupt or truncated\)$"),
     lambda m: "不是有效的 zip 压缩包（已损坏或不完整）"),
    (re.compile(r"^the zip (.+)$", re.S), lambda m: f"zip 压缩包问题：{m[1]}"),
    (re.compile(r"^zip member (\S+) (.+)$", re.S),
     lambda m: f"压缩包成员 {m[1]} 无法读取：{m[2]}"),
    (re.compile(r"^not a (.+?) file: (.+)$", re.S),
     lambda m: f"不是 {m[1]} 文件：{m[2]}"),
    (re.compile(r"^looks like latitude/longitude are swapped \((.+); x must be the longitude\): "
                r"swap the columns or axes$", re.S),
     lambda m: f"经纬度似乎颠倒了（{m[1]}；x 应为经度）：请交换两列或坐标轴"),
    (re.compile(r"^coordinates \((.+)\) look like metres of a projected CRS, but (.+) is "
                r"geographic \(degrees\): (.+)$", re.S),
     lambda m: f"坐标（{m[1]}）像是投影坐标系的米，但 {m[2]} 是地理坐标系（度）："
               "请声明数据实际使用的投影坐标系"),
    (re.compile(r"^coordinates \((.+)\) are not valid longitude/latitude in (.+)$", re.S),
     lambda m: f"坐标（{m[1]}）在 {m[2]} 中不是有效的经纬度"),
    (re.compile(r"^coordinates \((.+)\) look like longitude/latitude in degrees, but (.+) is "
                r"projected: (.+)$", re.S),
     lambda m: f"坐标（{m[1]}）像是以度为单位的经纬度，但 {m[2]} 是投影坐标系："
               "请声明地理坐标系，如 EPSG:4326"),
    (re.compile(r"^northings and eastings look swapped \((.+)\): (.+)$", re.S),
     lambda m: f"北坐标与东坐标似乎颠倒了（{m[1]}）：请交换两列或坐标轴"),
    (re.compile(r"^eastings (.+)$", re.S), lambda m: f"东坐标问题：{m[1]}"),
    (re.compile(r"^street '(.*)': no such street \(streets: (.*)\)$", re.S),
     lambda m: f"街道 '{m[1]}' 不存在（现有街道：{m[2]}）"),
    (re.compile(r"^page (\d+): no such page \(pages 0–(\d+), at most (\d+) rows a page\)$"),
     lambda m: f"第 {m[1]} 页不存在（页码 0–{m[2]}，每页至多 {m[3]} 行）"),
    (re.compile(r"^indicator '(.*)': no results at level (\w+) \(indicators with results "
                r"there: (.*)\)$", re.S),
     lambda m: f"指标 '{m[1]}' 在{LEVEL_LABELS.get(m[2], (m[2],))[0]}层级没有结果"
               f"（该层级有结果的指标：{m[3]}）"),
    (re.compile(r"^basemap '(.*)' is not available here \(available: ([^;]*); (.*)\)$", re.S),
     lambda m: f"底图 '{m[1]}' 在此不可用（可用：{m[2]}；天地图需设置 PEAKMAP_TIANDITU_TOKEN，"
               "自定义瓦片需设置 PEAKMAP_CUSTOM_TILES_URL）"),
    (re.compile(r"^data \((.+)\) lie far outside the area of use of (.+?): (.+)$", re.S),
     lambda m: f"数据（{m[1]}）远在 {m[2]} 的适用范围之外：{m[3]}"),
    # the project, its manifest, store and output paths (what ends a CLI command most)
    (re.compile(r"^(.+): project directory not found$", re.S),
     lambda m: f"{m[1]}：找不到项目目录"),
    (re.compile(r"^(.+): no project manifest here \(expected (.+)\)$", re.S),
     lambda m: f"{m[1]}：此处没有项目清单（应为 {m[2]}）"),
    (re.compile(r"^(.+): the project has not been built yet \(run '(.+)'\)$", re.S),
     lambda m: f"{m[1]}：项目尚未构建（请先运行 '{m[2]}'）"),
    (re.compile(r"^(.+): the folder (.+) does not exist$", re.S),
     lambda m: f"{m[1]}：文件夹 {m[2]} 不存在"),
    (re.compile(r"^(.+): included catalog '(.+)' not found \((.+)\)$", re.S),
     lambda m: f"{m[1]}：找不到引用的指标目录 '{m[2]}'（{m[3]}）"),
    (re.compile(r"^(.+): no layer '(.+)' in the store$", re.S),
     lambda m: f"{m[1]}：项目库中没有图层 '{m[2]}'"),
    (re.compile(r"^(.+): file not found$", re.S), lambda m: f"{m[1]}：找不到文件"),
    (re.compile(r"^(--[a-z][a-z-]* \S+): must be between (\S+) and (\S+)$"),
     lambda m: f"{m[1]}：须在 {m[2]} 与 {m[3]} 之间"),
    # serving to the office network and its accounts (web.app, web.users)
    (re.compile(r"^serving on (\S+) \(not loopback\) needs accounts: add one with '(.+)' "
                r"first$", re.S),
     lambda m: f"在 {m[1]}（非本机地址）上提供服务需要账户：请先运行 '{m[2]}' 添加一个"),
    (re.compile(r"^serving on (\S+) needs PEAKMAP_ALLOWED_HOSTS \(or --allowed-hosts\): the "
                r"names or addresses planners type in the browser, e\.g\. (\S+)$", re.S),
     lambda m: f"在 {m[1]} 上提供服务需要设置 PEAKMAP_ALLOWED_HOSTS（或 --allowed-hosts）："
               f"规划人员在浏览器中输入的名称或地址，例如 {m[2]}"),
    (re.compile(r"^account (.+) exists already \(remove it first\)$", re.S),
     lambda m: f"账户 {m[1]} 已存在（请先删除）"),
    (re.compile(r"^no account (.+) \(accounts: (.*)\)$", re.S),
     lambda m: f"没有账户 {m[1]}（现有账户：{'无' if m[2] == 'none' else m[2]}）"),
    (re.compile(r"^account name (.+): use 1–64 letters, digits, Chinese, \. _ -$", re.S),
     lambda m: f"账户名 {m[1]}：须为 1–64 个字母、数字、汉字或 . _ -"),
    (re.compile(r"^role (.+): not one of (.+)$", re.S),
     lambda m: f"角色 {m[1]}：须为 {m[2]} 之一"),
    (re.compile(r"^password for (.+): at least (\d+) characters$", re.S),
     lambda m: f"{m[1]} 的密码：至少 {m[2]} 个字符"),
    (re.compile(r"^(.+): not a peakmap accounts file \((.+)\)$", re.S),
     lambda m: f"{m[1]}：不是 peakmap 账户文件（{m[2]}）"),
    # what peakmap site … recorded (layers.siting.apply_proposal, layers.heating_renewal)
    (re.compile(r"^(proposal__\w+): (\d+) new site\(s\) written \((\d+) in the layer\)$"),
     lambda m: f"{m[1]}：写入 {m[2]} 个新站点（图层中共 {m[3]} 个）"),
    (re.compile(r"^(proposal__\w+): (\d+) pipe\(s\), (\S+) km written$"),
     lambda m: f"{m[1]}：写入 {m[2]} 段管道，共 {m[3]} km"),
    # peakmap import osm: its refusals (layers.osm_import)
    (re.compile(r"^(.+): OSM extract not found$", re.S),
     lambda m: f"{m[1]}：找不到 OSM 提取文件"),
    (re.compile(r"^(.+): not a readable OSM extract \((.*)\)$", re.S),
     lambda m: f"{m[1]}：无法读取为 OSM 提取文件（{m[2]}）"),
    (re.compile(r"^(.+): already holds a project\.toml; choose a new --out$", re.S),
     lambda m: f"{m[1]}：已有 project.toml；请另选 --out 目录"),
    (re.compile(r"^(.+) \(boundary\): the file declares no CRS; give (.+)$", re.S),
     lambda m: f"{m[1]}（边界）：文件未声明坐标系；请用 {m[2]} 指定"),
    (re.compile(r"^(.+) \(boundary\): no polygon in the boundary file$", re.S),
     lambda m: f"{m[1]}（边界）：边界文件中没有面要素"),
    (re.compile(r"^(.+): rule (\d+): layer (.+) is not canonical$", re.S),
     lambda m: f"{m[1]}：第 {m[2]} 条规则：图层 {m[3]} 不是标准图层"),
]


_REASON_ZH = {"": "", " (not above 0)": "（不大于 0）", " (negative)": "（负数）",
              " (na_values)": "（na_values 所列）"}


def _missing_parts(text: str) -> str:
    """``3 values 0, 1 value 9999 (outside 1800…2026); 2 values -1 (na_values)`` in Chinese."""
    out = []
    for part in text.split("; "):
        m = re.fullmatch(r"(.*?)( \((?:not above 0|negative|na_values|outside [^)]*)\))?", part)
        counts, reason = (m[1], m[2] or "") if m else (part, "")
        counts = re.sub(r"(\d+) values? (.+?)(?=, \d+ values? |$)", r"\1 个值为 \2", counts)
        counts = counts.replace(", ", "，")
        if reason.startswith(" (outside "):
            reason = f"（不在 {reason[len(' (outside '):-1]} 之间）"
        out.append(counts + _REASON_ZH.get(reason, reason))
    return "；".join(out)


def _field(name: str) -> str:
    zh = field_label(name, "zh")
    return f"{zh}（{name}）" if zh != name else name


# The notes of a layer's build summary (and of an upload's check): ``field: what`` or a
# geometry repair; ``features A–B: note`` when the layer was read in chunks.
_NOTE_RULES: list[Rule] = [
    (re.compile(r"^features (\d+)–(\d+): (.+)$", re.S),
     lambda m: f"要素 {m[1]}–{m[2]}：{_problem(m[3])}"),
    (re.compile(r"^after reprojection to the metric CRS: (.+)$", re.S),
     lambda m: f"重投影到米制坐标系后：{_problem(m[1])}"),
    (re.compile(r"^([a-z_0-9]+): (.+) read as missing$", re.S),
     lambda m: f"{_field(m[1])}：{_missing_parts(m[2])}，按无值读取"),
    (re.compile(r"^([a-z_0-9]+): (\d+) empty$"), lambda m: f"{_field(m[1])}：{m[2]} 个为空"),
    (re.compile(r"^floors: (\d+) estimated from height_m ÷ (\S+) m \((.+)\)$"),
     lambda m: f"层数（floors）：{m[1]} 栋按高度 ÷ {m[2]} m 估算（{m[3]}）"),
    (re.compile(r"^floor_area_m2: (\d+) estimated as footprint × floors$"),
     lambda m: f"建筑面积（floor_area_m2）：{m[1]} 栋按基底面积 × 层数估算"),
    (re.compile(r"^floor_area_m2: (\d+) buildings have no floor area, floors or height "
                r"\(left out of floor-area indicators\)$"),
     lambda m: f"建筑面积（floor_area_m2）：{m[1]} 栋无建筑面积、层数与高度"
               "（不计入建筑面积类指标）"),
    (re.compile(r"^repaired (\d+) invalid geometr(?:y|ies): (.+)$", re.S),
     lambda m: f"修复了 {m[1]} 个无效几何：{m[2]}"),
    (re.compile(r"^dropped (\d+) zero-area polygons?: (.+)$", re.S),
     lambda m: f"删除了 {m[1]} 个零面积多边形：{m[2]}"),
    (re.compile(r"^dropped (\d+) zero-length lines?: (.+)$", re.S),
     lambda m: f"删除了 {m[1]} 条零长度线：{m[2]}"),
    (re.compile(r"^dropped (\d+) empty geometr(?:y|ies): (.+)$", re.S),
     lambda m: f"删除了 {m[1]} 个空几何：{m[2]}"),
    (re.compile(r"^(\d+) polygons used by their outlines$"),
     lambda m: f"{m[1]} 个面要素取其边界线"),
    # the notes of peakmap import osm (layers.osm_import.import_osm)
    (re.compile(r"^(\d+) OSM objects a rule wanted have no complete geometry in the extract "
                r"\(cut at its edge, or broken\) and were left out: (.+)$", re.S),
     lambda m: f"{m[1]} 个符合映射规则的 OSM 对象在提取文件中没有完整几何（被提取范围边缘截断"
               f"或已损坏），已略去：{m[2]}"),
    (re.compile(r"^no feature in the extract for: (.+)$", re.S),
     lambda m: "提取文件中没有以下图层的要素：" + "、".join(
         _layer(name)[len("图层 "):] for name in m[1].split(", "))),
    (re.compile(r"^buildings: floors from building:levels, height_m from height where tagged; "
                r"the build estimates the rest \(see its notes\)$"),
     lambda m: "建筑（buildings）：有标注的，层数（floors）取自 building:levels，高度（height_m）"
               "取自 height；其余由构建估算（见构建的说明）"),
    (re.compile(r"^buildings: (\d+) of unknown use \(building=yes\) took the use of the land use "
                r"they stand on \((\[.+\])\)$"),
     lambda m: f"建筑（buildings）：{m[1]} 栋用途不明（building=yes）的建筑采用所在用地的用途"
               f"（{m[2]}）"),
    # a raster's line (layers.build._stage_raster)
    (re.compile(r"^(\d+)×(\d+) px, (\S+) m, copied$"),
     lambda m: f"{m[1]}×{m[2]} 像元，{m[3]} m，原样复制"),
    (re.compile(r"^(\d+)×(\d+) px, reprojected$"),
     lambda m: f"{m[1]}×{m[2]} 像元，已重投影"),
]


def _problem(rest: str) -> str:
    for pattern, words in (*_RULES, *_NOTE_RULES):
        m = pattern.match(rest)
        if m:
            return words(m)
    return rest


def _layer(name: str) -> str:
    from layers.schema import CANONICAL

    spec = CANONICAL.get(name)
    return f"图层 {spec.title_zh}（{name}）" if spec is not None else f"图层 {name}"


def message_label(message: str, lang: str) -> str:
    """A build or validation message in ``lang`` (English messages are returned as given).

    Parameters
    ----------
    message : str
        One line of the build (``FILE, layer NAME[, field F][, feature X]: problem``),
        possibly followed by indented lines to paste into ``project.toml`` (kept as they
        are but for their ``# one of`` comment).
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    if lang == "en" or not message:
        return message
    message, block, lines = message.partition(_PASTE)
    if block:  # the manifest lines to paste stay exact; only their comment is translated
        return message_label(message, lang) + block + re.sub(
            r"  # one of ", "  # 可选值：", lines)
    m = _PLACE.match(message)
    if m:
        place = [m["file"], _layer(m["layer"])]
        if m["field"]:
            field = m["field"].strip()
            zh = field_label(field, "zh")
            place.append(f"字段 {zh}（{field}）" if zh != field else f"字段 {field}")
        if m["feature"]:
            feature = m["feature"].strip()
            place.append(f"第 {feature[4:]} 行" if feature.startswith("row ")
                         else f"要素 {feature}")
        return "，".join(place) + "：" + _problem(m["rest"])
    m = _LAYER_ONLY.match(message)
    if m:
        return f"{_layer(m['layer'])}：{_problem(m['rest'])}"
    return _problem(message)
