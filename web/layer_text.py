"""What the web maps and their printable exports say about a layer: title, legend, PV note.

Shared by :mod:`web.maps` (the Leaflet pages) and :mod:`web.exports_maps` (PDF/PNG), which
therefore do not import each other.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from layers.labels import note_label, value_label
from web.i18n import t
from web.styles import LayerStyle, colors_of

if TYPE_CHECKING:
    from web.data import ProjectData

__all__ = ["DERIVED_TITLES", "NOTES_CUT", "NOTE_CHARS", "NOTE_ITEM_LINES", "NOTE_LINES",
           "fit_notes", "layer_legend", "layer_title", "pv_sky_note", "row_notes",
           "simplified_note", "wrap_width"]

# Titles of layers the analyses write (not canonical); others show their base layer's title.
DERIVED_TITLES: dict[str, tuple[str, str]] = {
    "uncovered_residential": ("公园服务半径外的居住用地", "Residential land outside park reach"),
    "proposal__heating_renewal": ("选址方案: 拟改造供热管段", "Proposal: heating pipes to renew"),
}


def layer_title(data: ProjectData, name: str, lang: str) -> str:
    """The title of stored layer ``name`` in ``lang`` (a proposal layer says so).

    Parameters
    ----------
    data : web.data.ProjectData
    name : str
        A stored layer (canonical, ``proposal__…`` or one the analyses write).
    lang : {"zh", "en"}

    Returns
    -------
    str
        The layer's name itself when nothing better is known.
    """
    if name in DERIVED_TITLES:
        zh, en = DERIVED_TITLES[name]
        return zh if lang == "zh" else en
    if "uncovered" in name:
        return f"{t('uncovered', lang)}: {name}"
    for info in data.layer_info():
        if info.name == name:
            base = info.title_zh if lang == "zh" else info.title_en
            if name.startswith("proposal__"):
                return f"{t('proposal', lang)}: {base}"
            return base
    return name


def layer_legend(data: ProjectData, entries: Sequence[tuple[str, str, LayerStyle]],
                 lang: str) -> list[tuple[str, str]]:
    """Legend swatches: one per category value present in the layer, else one per layer.

    Parameters
    ----------
    data : web.data.ProjectData
    entries : sequence of (layer name, title, style)
    lang : {"zh", "en"}

    Returns
    -------
    list of (colour, label)
    """
    items: list[tuple[str, str]] = []
    for name, title, st in entries:
        if st.category is not None:
            frame = data.metric(name)
            field_name = st.category["field"]
            if field_name in frame.columns:
                present = dict.fromkeys(colors_of(frame, st))
                keys = [k for k, c in st.category["colors"].items() if c in present]
                items.extend((st.category["colors"][k],
                              f"{title}: {value_label(name, field_name, k, lang)}")
                             for k in keys)
                if st.color in present and st.color not in st.category["colors"].values():
                    items.append((st.color, title))
                continue
        if st.ramp is None:
            items.append((st.color, title))
    return items


def pv_sky_note(data: ProjectData, lang: str = "en") -> str:
    """The sky and layout the stored PV fields were computed with, in ``lang``.

    The PV step writes the note in Chinese and in English (:mod:`layers.rooftop_pv_note`);
    empty before a build.
    """
    from layers.rooftop_pv import read_sky_note

    return read_sky_note(data.project, "zh" if lang == "zh" else "en")


NOTE_CHARS = 80  # longest note a legend prints whole; longer ones end in "…" and say where
NOTE_LINES = 3  # distinct notes a legend prints; the rest are counted and pointed to
NOTE_ZONES = 4  # zones named before a note says "and N more"


def _shorten(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters, at a part boundary where one is near."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    cut = max(head.rfind("；"), head.rfind("; "))
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip(" ;；,，、") + "…", True


def row_notes(rows: Iterable[tuple[Any, dict[str, Any] | None]], lang: str, *,
              full_at: str) -> list[str]:
    """The notes of an indicator's rows as legend lines, in ``lang``, one per distinct note.

    A printed map has no tooltips, so the legend names each note with the zones it belongs
    to. A note longer than :data:`NOTE_CHARS` characters ends in ``…``; beyond
    :data:`NOTE_LINES` notes the rest are counted; either way the last line says where the
    full text is (``full_at``).

    Parameters
    ----------
    rows : iterable of (zone name, record or None)
        The zones of the map with their records (``note`` read through
        :func:`layers.labels.note_label`).
    lang : {"zh", "en"}
    full_at : str
        Where the whole notes are, in ``lang`` (the tooltip on the page, the report on paper).

    Returns
    -------
    list of str
        Empty when no row has a note.

    Examples
    --------
    >>> row_notes([("S1", {"note": ""}), ("S3", {"note": "no base in this zone "
    ...            "(denominator 0)"})], "zh", full_at="悬停提示")
    ['备注（S3）: 该区域无计算基数（分母为 0）']
    """
    by_note: dict[str, list[str]] = {}
    for name, rec in rows:
        text = note_label(rec.get("note"), lang).strip() if rec else ""
        if text:
            by_note.setdefault(text, []).append(str(name))
    lines: list[str] = []
    cut = False
    sep = "、" if lang == "zh" else ", "
    for text, names in list(by_note.items())[:NOTE_LINES]:
        shown = sep.join(names[:NOTE_ZONES])
        if len(names) > NOTE_ZONES:
            more = len(names) - NOTE_ZONES
            shown += f"等 {len(names)} 个" if lang == "zh" else f" and {more} more"
        short, was_cut = _shorten(text, NOTE_CHARS)
        cut = cut or was_cut
        lines.append(f"{t('note', lang)}（{shown}）: {short}" if lang == "zh"
                     else f"{t('note', lang)} ({shown}): {short}")
    rest = len(by_note) - NOTE_LINES
    if rest > 0:
        lines.append(f"另有 {rest} 条备注未列出" if lang == "zh"
                     else f"{rest} more note{'s' if rest > 1 else ''} not listed")
    if cut or rest > 0:
        lines.append(f"备注全文见{full_at}" if lang == "zh" else f"Full notes: {full_at}")
    return lines


def simplified_note(tolerance: float, bounds: Sequence[float] | None, lang: str) -> str:
    """The legend's note that boundaries are simplified for display.

    ``tolerance`` is in Web Mercator metres; the note gives it on the ground at the middle
    latitude of ``bounds`` (degrees), times cos(latitude).
    """
    lat = 0.0 if bounds is None else (float(bounds[1]) + float(bounds[3])) / 2
    ground = tolerance * math.cos(math.radians(lat if math.isfinite(lat) else 0.0))
    tol = f"{ground:.1f}"
    return (f"显示已简化：边界按约 {tol} 米（该缩放级别一个像素）简化显示，指标按原始边界计算"
            if lang == "zh" else
            f"Simplified for display: boundaries drawn to about {tol} m (one pixel at that "
            "zoom); every figure is computed on the full boundaries")


def wrap_width(text: str, width: int) -> str:
    """Wrap ``text`` to lines of at most ``width`` columns, a Chinese character being two.

    Examples
    --------
    >>> wrap_width("示例数据：区界为真实数据", 10).splitlines()
    ['示例数据：', '区界为真实', '数据']
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for word in re.findall(r"[A-Za-z0-9.,:;%()/=≥≤<>+\-–_'²³°]+\s*|\S\s*|\s+", paragraph):
            w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in word)
            if used + w > width and line:
                lines.append(line.rstrip())
                line, used = "", 0
            line += word
            used += w
        lines.append(line.rstrip())
    return "\n".join(lines)


NOTE_ITEM_LINES = 4  # wrapped lines one note of a printed sheet may take; more end in "…"
NOTES_CUT = {"zh": "…完整说明见 XLSX/网页", "en": "… full notes in the XLSX / web page"}


def _clip(line: str, width: int) -> str:
    """``line`` ending in ``…`` within ``width`` columns (a Chinese character being two)."""
    while line and len(wrap_width(line + "…", width).splitlines()) > 1:
        line = line[:-1]
    return line.rstrip(" ;；,，、") + "…"


def fit_notes(notes: Sequence[str], *, width: int, max_lines: int, lang: str) -> list[str]:
    """The notes of a printed sheet as wrapped lines that fit its notes column.

    Each note takes at most :data:`NOTE_ITEM_LINES` lines (its last one then ends in
    ``…``); all together at most ``max_lines``. Whenever something is left out, the last
    line says where the full text is (:data:`NOTES_CUT`, in ``lang``).

    Parameters
    ----------
    notes : sequence of str
    width : int
        Columns of a line (a Chinese character takes two).
    max_lines : int
        Lines the column holds (at least one is printed: the pointer to the full text).
    lang : {"zh", "en"}

    Returns
    -------
    list of str

    Examples
    --------
    >>> fit_notes(["短", "一二三四五六七八九十" * 3], width=10, max_lines=9, lang="zh")
    ['短', '一二三四五', '六七八九十', '一二三四五', '六七八九…', '…完整说明见 XLSX/网页']
    >>> fit_notes(["a", "b", "c"], width=10, max_lines=2, lang="en")
    ['a', '… full notes in the XLSX / web page']
    >>> fit_notes(["a", "b"], width=10, max_lines=2, lang="en")
    ['a', 'b']
    """
    lines: list[str] = []
    cut = False
    for note in notes:
        wrapped = wrap_width(note, width).splitlines()
        if len(wrapped) > NOTE_ITEM_LINES:
            wrapped = [*wrapped[:NOTE_ITEM_LINES - 1], _clip(wrapped[NOTE_ITEM_LINES - 1], width)]
            cut = True
        lines += wrapped
    if len(lines) > max_lines:
        cut = True
    if cut:
        lines = [*lines[:max(0, max_lines - 1)], NOTES_CUT.get(lang, NOTES_CUT["zh"])]
    return lines
