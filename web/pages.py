"""HTML pages: the dashboard and the Folium maps (outside ``/api``)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BeforeValidator

from gis import PeakmapError
from layers.labels import (
    RESPONSIBLE_SEPARATORS,
    codes_in_text,
    note_label,
    responsible_label,
)
from layers.numfmt import figures
from web import basemap, maps, upload
from web.data import LEVELS, ProjectData
from web.deps import BasemapDep, DataDep, LangDep, SettingsDep
from web.errors import NotFoundError
from web.i18n import Lang, sample_notice, t
from web.matrix import (
    STATUSES,
    build_matrix,
    matching_records,
    matching_zones,
    page_groups,
    status_counts,
)

__all__ = ["DASHBOARD_PAGE_ROWS", "router"]

router = APIRouter(tags=["pages"])
# The offline reference basemap's JSON is served next to the maps that draw it.
router.include_router(basemap.router)
router.include_router(upload.router)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
# Rows per dashboard page: the page stays small whatever the number of zones.
DASHBOARD_PAGE_ROWS = 100
# Pages named on each side of the current one in a page list (the others by first and last).
PAGER_WINDOW = 3
Level = Literal["district", "street", "community"]
# Longest matrix search text (?q=): zone names are short; a longer query is refused (422).
MAX_QUERY = 100
# The form's "all" option sends ``status=`` (empty): the same as no status filter.
Status = Annotated[Literal["pass", "fail", "no-target", "no-data"] | None,
                   BeforeValidator(lambda v: v or None)]
Scenario = Literal["proposal"]


def _street_pass(records: list[dict[str, Any]]) -> dict[str, str]:
    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for r in records:
        if r.get("status") in ("pass", "fail"):
            total[r["indicator"]] += 1
            passed[r["indicator"]] += r["status"] == "pass"
    return {k: f"{passed[k]}/{n}" for k, n in total.items()}


def _district_of(data: ProjectData) -> dict[str, str]:
    """Street code → district code, from the streets layer (empty without it)."""
    if "streets" not in data.layer_names():
        return {}
    streets = data.metric("streets")
    if "district_code" not in streets.columns:
        return {}
    return dict(zip(streets["code"].astype(str), streets["district_code"].astype(str),
                    strict=True))


def _street_of(data: ProjectData) -> dict[str, str]:
    """Community code → street code, from the communities layer (empty without it)."""
    if "communities" not in data.layer_names():
        return {}
    comm = data.metric("communities")
    if "street_code" not in comm.columns:
        return {}
    return dict(zip(comm["code"].astype(str), comm["street_code"].astype(str), strict=True))


@router.get("/", response_class=HTMLResponse)
def dashboard(
    data: DataDep,
    lang: LangDep,
    settings: SettingsDep,
    level: Level | None = None,
    street: str | None = None,
    page: Annotated[int, Query(ge=0, description="page number, from 0")] = 0,
    scenario: Scenario | None = None,
    q: Annotated[str | None, Query(max_length=MAX_QUERY,
                                   description="zone name or code searched")] = None,
    status: Annotated[Status, Query(description="zones with a cell of this status")] = None,
) -> HTMLResponse:
    """The first view: the street × indicator compliance matrix with the district summary.

    ``?street=CODE`` shows the communities of one street; ``?level=`` the detailed table.
    The matrix is paged (``?page=``, from 0): at most ``settings.matrix_page_rows`` streets
    or communities a page, a district's streets kept together with its summary row
    (:func:`web.matrix.page_groups`); the status counts are those of every district.
    The row filters ``?q=`` (zone name or code) and ``?status=`` pick the zones before
    paging (:func:`web.matrix.matching_zones`), so the pages hold only matching zones; on
    the detailed table they pick its rows (:func:`web.matrix.matching_records`). A ``q`` of
    only spaces is no filter.
    """
    q = (q or "").strip() or None
    filters = (f"&q={quote(q)}" if q else "") + (f"&status={status}" if status else "")
    if level is not None:
        return _table(data, lang, level, page, scenario, q=q, status=status, filters=filters)
    error = None
    try:
        records = data.records(scenario=scenario)
        street_of = _street_of(data)
        district_of = _district_of(data)
    except PeakmapError as e:
        records, street_of, district_of, error = [], {}, {}, str(e)
    names = {(str(r.get("level")), str(r.get("zone_code"))): str(r.get("zone_name"))
             for r in records if r.get("level") in ("district", "street")}
    street_name = None
    if street is not None and not error:
        streets = {c: n for (lv, c), n in names.items() if lv == "street"}
        if street not in streets:  # a mistyped or stale link: say so, not an empty matrix
            listed = ", ".join(f"{c} {n}" for c, n in sorted(streets.items())) or "none"
            raise NotFoundError(f"street {street!r}: no such street (streets: {listed})")
    per_page = settings.matrix_page_rows
    if street is not None:
        codes = matching_zones(records, [c for c, s in street_of.items() if s == street],
                               row_level="community", q=q, status=status)
        pages = page_groups([(street, codes)], per_page)
        chunk = _page_of(pages, page, per_page)
        matrix = build_matrix(records, row_level="community",
                              row_codes=[c for _, cs in chunk for c in cs],
                              parent_of=None, lang=lang, head=("street", street))
        street_name = names.get(("street", street), street)
        community = {str(r.get("zone_code")): str(r.get("zone_name")) for r in records
                     if r.get("level") == "community"}
        labels = [_page_label([community.get(c, c) for _, cs in p for c in cs])
                  for p in pages]
    else:
        order = matching_zones(records, list(dict.fromkeys(
            str(r.get("zone_code")) for r in records if r.get("level") == "street")),
            row_level="street", q=q, status=status)
        by_district: dict[str, list[str]] = defaultdict(list)
        for code in order:
            by_district[district_of.get(code, "")].append(code)
        pages = page_groups(list(by_district.items()), per_page)
        chunk = _page_of(pages, page, per_page)
        matrix = build_matrix(
            records, row_level="street", row_codes=[c for _, cs in chunk for c in cs],
            parent_of=street_of, lang=lang,
            head_rows={d for d, _ in chunk} if district_of else None)
        labels = [_page_label([names.get(("district", d), d) for d, _ in p]) for p in pages]
    summary = status_counts(r for r in records if r.get("level") == "district")
    departments = sorted({d for c in matrix.columns for d in c.departments})
    base = f"/?lang={lang}" + (f"&street={quote(street)}" if street else "") + (
        f"&scenario={scenario}" if scenario else "") + filters
    html = TEMPLATES.get_template("matrix.html").render(
        t=lambda key: t(key, lang), lang=lang, other_lang="en" if lang == "zh" else "zh",
        project_name=data.project.name, matrix=matrix, summary=summary, statuses=STATUSES,
        departments=departments, dept_sep=RESPONSIBLE_SEPARATORS[lang],
        groups=[g for g, _ in matrix.groups], error=error,
        street=street, street_name=street_name, scenario=scenario or "",
        q=q or "", status=status or "", max_query=MAX_QUERY, filters=filters,
        sq=f"&scenario={scenario}" if scenario else "", has_proposals=data.has_proposals(),
        notices=_notices(data, lang, scenario), sample_notice=sample_notice(data.project, lang),
        pager=_pager(page, len(pages), base, labels=labels,
                     total=sum(len(cs) for p in pages for _, cs in p), per_page=per_page),
    )
    return HTMLResponse(html)


def _page_of(pages: list[list[tuple[str, list[str]]]], page: int, per_page: int
             ) -> list[tuple[str, list[str]]]:
    """Page ``page`` of ``pages``; a page past the last is named, with the pages there are."""
    if page >= len(pages):
        raise NotFoundError(f"page {page}: no such page (pages 0–{len(pages) - 1}, "
                            f"at most {per_page} rows a page)")
    return pages[page]


def _page_label(names: list[str]) -> str:
    """First – last of the zones named on one page (``和平区 – 河西区``), for the page list."""
    if not names:
        return ""
    return names[0] if names[0] == names[-1] else f"{names[0]} – {names[-1]}"


def _pager(page: int, pages: int, base: str, *, total: int, per_page: int,
           labels: list[str] | None = None) -> dict[str, Any]:
    """What the page list of a paged view needs: numbers around ``page``, first and last.

    ``links`` holds the first and last pages and those within ``PAGER_WINDOW`` of ``page``
    (None between them: a gap), so the list stays short whatever the number of pages;
    ``labels`` (optional) every page's label for the jump list.
    """
    near = {0, pages - 1, *range(max(0, page - PAGER_WINDOW),
                                 min(pages, page + PAGER_WINDOW + 1))}
    links: list[int | None] = []
    for p in sorted(near):
        if links and links[-1] is not None and p - links[-1] > 1:
            links.append(None)
        links.append(p)
    return {"page": page, "pages": pages, "links": links, "labels": labels or [],
            "base": base, "total": total, "per_page": per_page}


def _table(data: ProjectData, lang: Lang, level: str, page: int,
           scenario: str | None, *, q: str | None, status: str | None,
           filters: str) -> HTMLResponse:
    """Indicator table by district, street or community (no geometry inline).

    ``q`` and ``status`` pick the rows before paging (:func:`web.matrix.matching_records`);
    ``filters`` is their query text, kept by the page list and the language switch.

    Each row: value with unit, target, status, gap, deadline, responsible department,
    computed or reported. Value, target and gap are printed by :func:`layers.numfmt.figures`
    (with their unit; the gap signed, a share's gap in percentage points), as on the maps,
    the printed sheets and the workbook.
    """
    error = None
    map_level = "street" if level == "district" else level
    try:
        rows = [dict(r) for r in matching_records(data.records(level, scenario=scenario),
                                                  q=q, status=status)]
        on_map = {r.get("indicator") for r in data.records(map_level, scenario=scenario)
                  if r.get("value") is not None}
        street_pass = (_street_pass(data.records("street", scenario=scenario))
                       if level == "district" else {})
    except PeakmapError as e:
        rows, street_pass, on_map, error = [], {}, set(), str(e)
    pages = max(1, math.ceil(len(rows) / DASHBOARD_PAGE_ROWS))
    if page >= pages:
        _page_of([[]] * pages, page, DASHBOARD_PAGE_ROWS)  # names the pages there are
    shown = []
    for r in rows[page * DASHBOARD_PAGE_ROWS:(page + 1) * DASHBOARD_PAGE_ROWS]:
        title = r.get("title") if lang == "zh" else (r.get("title_en") or r.get("title"))
        shown_figures = figures(r, lang)
        shown.append({
            **r,
            "title_shown": title,
            "value_text": shown_figures.value,
            "target_text": shown_figures.target,
            "gap_text": shown_figures.gap,
            "streets_pass": street_pass.get(r.get("indicator", "")),
            "mappable": r.get("source") != "reported" and r.get("indicator") in on_map,
            "responsible_shown": responsible_label(r, lang),
            "definition_shown": (r.get("definition_en") or r.get("definition")
                                 if lang == "en" else codes_in_text(r.get("definition"), lang)),
            "note_shown": ("；" if lang == "zh" else "; ").join(
                x for x in (note_label(r.get("note"), lang), note_label(r.get("detail"), lang))
                if x),
        })
    html = TEMPLATES.get_template("dashboard.html").render(
        t=lambda key: t(key, lang), lang=lang, other_lang="en" if lang == "zh" else "zh",
        project_name=data.project.name, rows=shown, level=level, levels=LEVELS,
        map_level=map_level, page=page, pages=pages, error=error,
        scenario=scenario or "", sq=f"&scenario={scenario}" if scenario else "",
        q=q or "", status=status or "", statuses=STATUSES, max_query=MAX_QUERY,
        filters=filters,
        has_proposals=data.has_proposals(), notices=_notices(data, lang, scenario),
        sample_notice=sample_notice(data.project, lang),
        pager=_pager(page, pages, f"/?lang={lang}&level={level}"
                     + (f"&scenario={scenario}" if scenario else "") + filters,
                     total=len(rows), per_page=DASHBOARD_PAGE_ROWS),
    )
    return HTMLResponse(html)


def _notices(data: ProjectData, lang: Lang, scenario: str | None = None) -> list[str]:
    """Results being updated, stale proposals and derived results, one line each."""
    status = data.status(scenario)
    out = []
    if status["updating"] and status["computed_at"]:
        out.append(t("updating", lang).format(time=status["computed_at"]))
    out += [t("proposal_stale", lang).format(layer=p["layer"], made=p["made_at"],
                                            changed=", ".join(p["changed_after"]))
           for p in data.proposals() if p["stale"]]
    out += [t("derived_stale", lang).format(what=k, why=v)
            for k, v in data.stale_results().items()]
    return out


@router.get("/maps/layers", response_class=HTMLResponse)
def layers_page(data: DataDep, settings: SettingsDep, lang: LangDep,
                basemap: BasemapDep) -> HTMLResponse:
    """Every stored layer with a layer control and a legend."""
    return HTMLResponse(maps.layers_map(data, settings=settings, basemap=basemap, lang=lang))


@router.get("/maps/indicator", response_class=HTMLResponse)
def indicator_page(
    data: DataDep, settings: SettingsDep, lang: LangDep, basemap: BasemapDep,
    indicator: str, level: Level = "street", scenario: Scenario | None = None,
) -> HTMLResponse:
    """Choropleth of one indicator by street or community, with pass/fail outlines."""
    return HTMLResponse(maps.indicator_map(data, indicator, level=level, settings=settings,
                                           basemap=basemap, lang=lang, scenario=scenario))


@router.get("/maps/gaps", response_class=HTMLResponse)
def gaps_page(data: DataDep, settings: SettingsDep, lang: LangDep,
              basemap: BasemapDep) -> HTMLResponse:
    """Uncovered areas and siting proposals."""
    return HTMLResponse(maps.gaps_map(data, settings=settings, basemap=basemap, lang=lang))


@router.get("/maps/pv", response_class=HTMLResponse)
def pv_page(data: DataDep, settings: SettingsDep, lang: LangDep,
            basemap: BasemapDep) -> HTMLResponse:
    """Rooftop PV coverage per building."""
    return HTMLResponse(maps.pv_map(data, settings=settings, basemap=basemap, lang=lang))
