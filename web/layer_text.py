"""What the web maps and their printable exports say about a layer: title, legend, PV note.

Shared by :mod:`web.maps` (the Leaflet pages) and :mod:`web.exports_maps` (PDF/PNG), which
therefore do not import each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from layers.labels import value_label
from web.i18n import t
from web.styles import LayerStyle, colors_of

if TYPE_CHECKING:
    from web.data import ProjectData

__all__ = ["DERIVED_TITLES", "layer_legend", "layer_title", "pv_sky_note"]

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
