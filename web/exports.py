"""Indicator maps as printable PDF/PNG sheets, the export buttons of the map pages, routes.

The sheet's furniture (font, legend, notes, scale bar, north arrow) is :mod:`web.printed`;
the same text as the pages (``web/i18n.py``) goes into every export, so a Chinese page and
its printed map never disagree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response

from layers.labels import unit_label
from layers.numfmt import target_text
from web.classes import STATUS_COLORS, legend_items, zone_classes
from web.data import ZONE_LAYERS
from web.deps import DataDep, LangDep, SettingsDep
from web.errors import NotFoundError
from web.i18n import sample_notice, t
from web.layer_text import row_notes
from web.printed import (
    MAP_FORMATS,
    NO_DATA_FILL,
    ZONE_EDGE,
    ExportError,
    MapSheet,
    export_text,
    map_figure,
    page_style,
    reference_layers,
    save_figure,
)

if TYPE_CHECKING:
    from web.data import ProjectData
    from web.settings import WebSettings


__all__ = [
    "export_buttons",
    "export_links",
    "indicator_figure",
    "indicator_map_file",
    "router",
]


def indicator_map_file(
    data: ProjectData,
    indicator: str,
    *,
    level: str,
    lang: str,
    fmt: str,
    settings: WebSettings,
    scenario: str | None = None,
    today: date | None = None,
) -> bytes:
    """One indicator's map by street or community as a printable PDF or PNG page.

    See :func:`indicator_figure`.
    """
    if fmt not in MAP_FORMATS:
        raise ExportError(f"map format {fmt!r}: choose pdf or png")
    with page_style():
        fig = indicator_figure(data, indicator, level=level, lang=lang, settings=settings,
                               scenario=scenario, today=today)
        return save_figure(fig, fmt, str(fig.get_label()))


def indicator_figure(
    data: ProjectData,
    indicator: str,
    *,
    level: str,
    lang: str,
    settings: WebSettings,
    scenario: str | None = None,
    today: date | None = None,
) -> Any:
    """One indicator's map by street or community as an A4 page (call in page_style).

    The same records, zone layer, classes and colours as ``/maps/indicator``; drawn in the
    project's metric CRS with zone names, a legend, a metric scale bar, a north arrow, the
    date, the data source and the sample-data notice where it applies.

    Raises
    ------
    NotFoundError
        No record of ``indicator`` at ``level``.
    ExportError
        Unknown format or no Chinese font.
    """
    import numpy as np

    if level not in ZONE_LAYERS:
        raise NotFoundError(f"level {level!r}: choose district, street or community")
    recs = data.indicator_records(indicator, level, scenario=scenario)
    zone_layer = ZONE_LAYERS[level]
    data.require_layer(zone_layer)
    zones = data.metric(zone_layer)
    codes = [str(c) for c in zones["code"]]
    by_code = {str(r.get("zone_code")): r for r in recs}
    zrecs = [by_code.get(c) for c in codes]
    first = recs[0]
    unit = unit_label(str(first.get("unit") or ""), lang)
    title = str((first.get("title_en") if lang == "en" else None) or first.get("title")
                or indicator)
    values = np.array([np.nan if r is None or not isinstance(r.get("value"), (int, float))
                       or isinstance(r.get("value"), bool) else float(r["value"])
                       for r in zrecs], dtype=float)
    # the page's classes (web.classes): split at the target, shared with the proposal's map
    zc = zone_classes(data, indicator, level, recs, values, codes, scenario=scenario,
                      k=settings.classes)
    colors = [zc.classes[i].color if i >= 0 else NO_DATA_FILL for i in zc.idx]
    legend = [*legend_items(zc.classes, unit, lang), (NO_DATA_FILL, t("status_no-data", lang))]
    edges = [STATUS_COLORS[str(r.get("status"))] if r and r.get("status") in ("pass", "fail")
             else ZONE_EDGE for r in zrecs]  # the pages' pass/fail outlines
    project = data.project
    level_name = t(f"level_{level}", lang)
    target = (f"{t('target', lang)}: {target_text(zc.op, zc.target, first.get('unit'), lang)}"
              if zc.target is not None else
              f"{t('target', lang)}: {t('status_no-target', lang)}")
    sources = sorted({t(f"source_{r.get('source')}", lang) for r in recs})
    judged = [r for r in recs if r.get("status") in ("pass", "fail")]
    passing = sum(r.get("status") == "pass" for r in judged)
    definition = str((first.get("definition_en") if lang == "en" else None)
                     or first.get("definition") or "")
    notes = [target,
             f"{t('status_pass', lang)}: {passing} / {len(judged)} {level_name}" if judged
             else "",
             f"{t('definition', lang)}: {definition}" if definition else "",
             f"{export_text('data_source', lang)}: {project.name}, {project.store.path.name} "
             f"({', '.join(sources)})",
             f"{export_text('export_date', lang)}: {(today or date.today()).isoformat()}",
             f"CRS: {zones.crs.to_string() if zones.crs else '—'}",
             export_text("pass_border", lang) if judged else "",
             *row_notes(zip(zones["name"], zrecs, strict=True), lang,
                        full_at=export_text("notes_full_at", lang))]
    scen = f" — {t('scenario_proposal', lang)}" if scenario else ""
    sheet = MapSheet(
        title=f"{indicator} {title}{scen}",
        subtitle=f"{project.name} · {t('level', lang)}: {level_name} · {t('unit', lang)}: "
                 f"{unit or '—'}",
        legend=legend, notes=[n for n in notes if n], notice=sample_notice(project, lang))
    return map_figure(zones, colors, sheet, context=reference_layers(data, zones), edges=edges,
                      labels=[str(n) for n in zones["name"]], lang=lang)




def export_buttons(path: str, query: dict[str, str], lang: str,
                   extra: Sequence[tuple[str, str]] = ()) -> str:
    """HTML of a map page's export buttons (PDF, PNG of ``path``, print), escaped.

    Parameters
    ----------
    path : str
        The export route without its extension, e.g. ``/maps/gaps``.
    query : dict
        Query parameters of both files.
    lang : {"zh", "en"}
    extra : sequence of (href, label)
        Further download links (e.g. the before/after sheet), escaped here.

    Examples
    --------
    >>> "/maps/pv.png?lang=en" in export_buttons("/maps/pv", {"lang": "en"}, "en")
    True
    """
    from urllib.parse import urlencode

    q = html.escape(urlencode(query))
    pdf, png, prn = (html.escape(export_text(k, lang)) for k in ("export_pdf", "export_png",
                                                                 "print"))
    more = "".join(f'<a href="{html.escape(href)}" download>{html.escape(label)}</a>'
                   for href, label in extra)
    return (f'<div class="pm-export"><a href="{path}.pdf?{q}" download>{pdf}</a>'
            f'<a href="{path}.png?{q}" download>{png}</a>{more}'
            f'<button type="button" onclick="window.print()">{prn}</button></div>')


def export_links(indicator: str, level: str, lang: str, scenario: str | None = None) -> str:
    """HTML of the export buttons of an indicator map page (PDF, PNG, print), escaped.

    Examples
    --------
    >>> "/maps/indicator.pdf?indicator=HP-18&amp;level=street&amp;lang=zh" in export_links(
    ...     "HP-18", "street", "zh")
    True
    """
    query = {"indicator": indicator, "level": level, "lang": lang}
    if scenario:
        query["scenario"] = scenario
    return export_buttons("/maps/indicator", query, lang)


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(tags=["exports"])
MEDIA = {"pdf": "application/pdf", "png": "image/png"}
_SAFE_FILE = re.compile(r"[^A-Za-z0-9._\-]")


@router.get("/maps/indicator.{fmt}", response_class=Response,
            responses={200: {"content": {MEDIA["pdf"]: {}, MEDIA["png"]: {}}}})
def indicator_export(
    fmt: Literal["pdf", "png"],
    data: DataDep,
    settings: SettingsDep,
    lang: LangDep,
    indicator: str,
    level: Literal["street", "community"] = "street",
    scenario: Literal["proposal"] | None = None,
) -> Response:
    """One indicator's map as a printable A4 page (PDF or PNG).

    With title, legend, metric scale bar, north arrow, date, data source and the sample-data
    notice where it applies.
    """
    body = indicator_map_file(data, indicator, level=level, lang=lang, fmt=fmt,
                              settings=settings, scenario=scenario)
    name = _SAFE_FILE.sub("_", f"peakmap-{indicator}-{level}") + f".{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
