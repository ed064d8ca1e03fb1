"""The compliance matrix of the dashboard: zones × indicators, cells by status.

Rows are the streets of the district (or the communities of one street), columns the
indicators in catalog order, grouped as the plan's annex groups them (目标类型). Pure
functions over indicator records, so the page and the tests share them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from layers.labels import (
    RESPONSIBLE_SEPARATORS,
    note_label,
    responsible_departments,
    unit_label,
)
from layers.numfmt import (
    figure_decimals,
    figures,
    is_number,
    number_text,
    record_decimals,
    target_text,
)
from web.i18n import t

__all__ = [
    "STATUSES",
    "Cell",
    "Column",
    "Matrix",
    "Row",
    "build_matrix",
    "cell_text",
    "matching_records",
    "matching_zones",
    "page_groups",
    "status_counts",
]

STATUSES: tuple[str, ...] = ("pass", "fail", "no-target", "no-data")
# Characters of a text value shown in a cell (the whole text is in its tooltip).
MAX_TEXT = 8
# Child zones named on a row before "… and N more".
MAX_NAMED_CHILDREN = 8
_CHILD = {"district": "street", "street": "community"}


@dataclass
class Column:
    """One indicator column."""

    indicator: str
    title: str
    group: str
    unit: str
    target_text: str
    departments: tuple[str, ...]


@dataclass
class Cell:
    """One zone × indicator cell."""

    status: str
    text: str
    tip: str
    failing_children: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One zone: its cells (None where the indicator has no record at that zone)."""

    code: str
    name: str
    level: str
    cells: list[Cell | None]
    failing_children: list[tuple[str, int]]
    link: bool = False

    @property
    def counts(self) -> Counter[str]:
        """Cells per status."""
        return Counter(c.status for c in self.cells if c is not None)


@dataclass
class Matrix:
    """Columns, their groups (name, span) in order, and rows."""

    columns: list[Column]
    groups: list[tuple[str, int]]
    rows: list[Row]


def cell_text(value: Any, unit: str | None = None, decimals: int | None = None) -> str:
    """A value short enough for a matrix cell: the number of :func:`layers.numfmt.value_text`.

    The unit is in the column's header; ``decimals`` are the record's
    (:func:`layers.numfmt.record_decimals`, by default the value's own); a long text value
    is cut; a missing value is ``—`` (the cell's colour and the legend say "no data").

    Examples
    --------
    >>> cell_text(1568269.4, "m²"), cell_text(29.04, "%"), cell_text(None), cell_text(0.0)
    ('1,568,269', '29.04', '—', '0')
    >>> cell_text(-0.004, "%"), cell_text(-0.4, "%"), cell_text(50.0, "%", 2)
    ('0.00', '-0.40', '50.00')
    >>> cell_text("现代服务业增加值占比持续提高")
    '现代服务业增加…'
    """
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
    if not is_number(value):
        return "—"
    places = figure_decimals(unit, value) if decimals is None else decimals
    return number_text(float(value), places)


def status_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many records have each status (every status present, zero if none).

    Examples
    --------
    >>> status_counts([{"status": "pass"}, {"status": "fail"}, {"status": "pass"}])
    {'pass': 2, 'fail': 1, 'no-target': 0, 'no-data': 0}
    """
    c = Counter(str(r.get("status")) for r in records)
    return {s: c.get(s, 0) for s in STATUSES}


def _group_name(rec: Mapping[str, Any], lang: str) -> str:
    group = str((rec.get("group_en") if lang == "en" else None) or rec.get("group") or "")
    return group or t("group_other", lang)


def _column(rec: Mapping[str, Any], lang: str) -> Column:
    title = rec.get("title") if lang == "zh" else (rec.get("title_en") or rec.get("title"))
    unit = unit_label(str(rec.get("unit") or ""), lang)
    return Column(indicator=str(rec["indicator"]), title=str(title or rec["indicator"]),
                  group=_group_name(rec, lang), unit=unit,
                  target_text=target_text(rec.get("op"), rec.get("target"), rec.get("unit"),
                                          lang),
                  departments=responsible_departments(rec, lang))


def _tip(rec: Mapping[str, Any], col: Column, lang: str, failing: Sequence[str]) -> str:
    shown = figures(rec, lang)
    # The indicator's title is in the sticky column header; the tip says zone and figures.
    parts = [f"{col.indicator} · {rec.get('zone_name')}", f"{t('value', lang)}: {shown.value}"]
    if shown.target:
        parts.append(f"{t('target', lang)}: {shown.target}")
    parts.append(f"{t('status', lang)}: {t('status_' + str(rec.get('status')), lang)}")
    note = note_label(rec.get("note"), lang)
    if note and rec.get("status") == "no-data":
        parts.append(f"{t('note', lang)}: {note}")
    if failing:
        named = RESPONSIBLE_SEPARATORS["zh" if lang == "zh" else "en"].join(
            failing[:MAX_NAMED_CHILDREN])
        more = len(failing) - MAX_NAMED_CHILDREN
        if more > 0:
            named += t("and_more", lang).format(n=more)
        parts.append(f"{t('failing_children', lang)}: {named}")
    return "\n".join(parts)


def build_matrix(
    records: Sequence[Mapping[str, Any]],
    *,
    row_level: str,
    row_codes: Sequence[str] | None = None,
    parent_of: Mapping[str, str] | None = None,
    lang: str = "zh",
    head: tuple[str, str | None] | None = ("district", None),
    head_rows: Collection[str] | None = None,
) -> Matrix:
    """The zone × indicator matrix of ``records`` (all levels, catalog order).

    Parameters
    ----------
    records : sequence of dict
        Indicator records of every level.
    row_level : str
        ``street`` (rows: every street) or ``community``.
    row_codes : sequence of str, optional
        Only these zones as rows (the communities of one street), in this order.
    parent_of : mapping, optional
        Child zone code → row zone code (community → street), used to list the failing
        children of each row and cell. Without it no children are listed.
    lang : str
        ``zh`` or ``en``.
    head : (level, code) or None
        Zones put first as summary rows: ``("district", None)`` every district,
        ``("street", "S1")`` the street whose communities are the rows; None: no head rows.
    head_rows : collection of str, optional
        Only these head zones as summary rows (the districts of one page's streets); the
        columns stay those of every head zone, so every page has the same columns.

    Returns
    -------
    Matrix
        Columns are the indicators with a record at ``row_level`` or at the head zones.
    """
    child_level = _CHILD.get(row_level)
    head_level, head_code = head if head is not None else (row_level, None)
    levels = {row_level, head_level}
    columns: dict[str, Column] = {}
    for r in records:
        if r.get("level") in levels and r["indicator"] not in columns and (
                head_code is None or r.get("level") == row_level
                or str(r.get("zone_code")) == head_code):
            columns[str(r["indicator"])] = _column(r, lang)
    # Keep catalog order inside each group, groups in order of first appearance.
    by_group: dict[str, list[Column]] = defaultdict(list)
    for col in columns.values():
        by_group[col.group].append(col)
    ordered = [c for cols in by_group.values() for c in cols]
    index = {c.indicator: i for i, c in enumerate(ordered)}

    failing: dict[tuple[str, str], list[str]] = defaultdict(list)
    failing_count: dict[str, Counter[str]] = defaultdict(Counter)
    if parent_of is not None and child_level is not None:
        for r in records:
            if r.get("level") == child_level and r.get("status") == "fail":
                parent = parent_of.get(str(r.get("zone_code")))
                if parent is None:
                    continue
                name = str(r.get("zone_name"))
                failing[(parent, str(r["indicator"]))].append(name)
                failing_count[parent][name] += 1

    rows: dict[tuple[str, str], Row] = {}
    order: list[tuple[str, str]] = []
    wanted = None if row_codes is None else set(row_codes)
    for r in records:
        level = str(r.get("level"))
        if level not in levels or str(r["indicator"]) not in index:
            continue
        code = str(r.get("zone_code"))
        if level == row_level and wanted is not None and code not in wanted:
            continue
        if level != row_level and head_code is not None and code != head_code:
            continue
        if level != row_level and head_rows is not None and code not in head_rows:
            continue
        key = (level, code)
        if key not in rows:
            named = (failing_count[code].most_common() if level == row_level
                     else [])
            rows[key] = Row(code=code, name=str(r.get("zone_name")), level=level,
                            cells=[None] * len(ordered), failing_children=named,
                            link=level == "street" == row_level)
            order.append(key)
        col = columns[str(r["indicator"])]
        kids = failing.get((code, col.indicator), []) if level == row_level else []
        rows[key].cells[index[col.indicator]] = Cell(
            status=str(r.get("status")),
            text=cell_text(r.get("value"), r.get("unit"), record_decimals(r)),
            tip=_tip(r, col, lang, kids), failing_children=kids)
    district = [rows[k] for k in order if k[0] != row_level]
    zone_rows = [rows[k] for k in order if k[0] == row_level]
    if row_codes is not None:
        pos = {c: i for i, c in enumerate(row_codes)}
        zone_rows.sort(key=lambda row: pos.get(row.code, len(pos)))
    groups: list[tuple[str, int]] = [(g, len(cols)) for g, cols in by_group.items()]
    return Matrix(columns=ordered, groups=groups, rows=district + zone_rows)


def matching_zones(
    records: Iterable[Mapping[str, Any]],
    codes: Sequence[str],
    *,
    row_level: str,
    q: str | None = None,
    status: str | None = None,
) -> list[str]:
    """The zones of ``codes`` (in order) whose matrix row matches the dashboard's row filters.

    Applied before paging (:func:`page_groups`), so the filters act on every zone, not on
    the rows of one page.

    Parameters
    ----------
    records : iterable of dict
        Indicator records of every level.
    codes : sequence of str
        The candidate zones (codes at ``row_level``), in display order.
    row_level : str
        Level of the rows (``street`` or ``community``).
    q : str, optional
        Text searched, case-insensitively, in each zone's code and name. When it is in no
        zone of ``codes`` but names an indicator (its code or title, Chinese or English),
        the zones are kept: the query then picks columns, which the page's script narrows.
    status : str, optional
        Keep the zones with at least one cell (record at ``row_level``) of this status.

    Returns
    -------
    list of str
        The matching zones of ``codes``, in order.

    Examples
    --------
    >>> recs = [{"level": "street", "zone_code": "S1", "zone_name": "西街道",
    ...          "indicator": "HP-01", "title": "绿地率", "status": "pass"},
    ...         {"level": "street", "zone_code": "S2", "zone_name": "东街道",
    ...          "indicator": "HP-01", "title": "绿地率", "status": "fail"}]
    >>> matching_zones(recs, ["S1", "S2"], row_level="street", status="fail")
    ['S2']
    >>> matching_zones(recs, ["S1", "S2"], row_level="street", q="西")
    ['S1']
    >>> matching_zones(recs, ["S1", "S2"], row_level="street", q="绿地")  # an indicator
    ['S1', 'S2']
    >>> matching_zones(recs, ["S1", "S2"], row_level="street", q="北")
    []
    """
    names: dict[str, str] = {}
    seen: dict[str, set[str]] = defaultdict(set)
    titles: set[str] = set()
    for r in records:
        titles.update(str(r.get(k) or "").casefold() for k in ("indicator", "title", "title_en"))
        if r.get("level") == row_level:
            code = str(r.get("zone_code"))
            names.setdefault(code, str(r.get("zone_name") or ""))
            seen[code].add(str(r.get("status")))
    keep = list(codes)
    needle = (q or "").strip().casefold()
    if needle:
        hits = [c for c in keep if needle in c.casefold() or needle in names.get(c, "").casefold()]
        if hits or not any(needle in title for title in titles if title):
            keep = hits
    if status:
        keep = [c for c in keep if status in seen.get(c, ())]
    return keep


def matching_records(records: Iterable[Mapping[str, Any]], *, q: str | None = None,
                     status: str | None = None) -> list[Mapping[str, Any]]:
    """The rows of the detailed table (one record each) that match ``?q=`` and ``?status=``.

    Applied before paging, as :func:`matching_zones` is for the matrix.

    Parameters
    ----------
    records : iterable of dict
        Indicator records of one level, in display order.
    q : str, optional
        Text searched, case-insensitively, in the zone's code and name and the indicator's
        code and title (Chinese or English); blank: no filter.
    status : str, optional
        Keep the records of this status.

    Returns
    -------
    list of dict
        The matching records, in order.

    Examples
    --------
    >>> recs = [{"zone_code": "S1", "zone_name": "西街道", "indicator": "HP-01",
    ...          "title": "绿地率", "title_en": "Green ratio", "status": "pass"},
    ...         {"zone_code": "S2", "zone_name": "东街道", "indicator": "HP-02",
    ...          "title": "水面率", "title_en": "Water ratio", "status": "fail"}]
    >>> [r["zone_code"] for r in matching_records(recs, q="东")]
    ['S2']
    >>> [r["zone_code"] for r in matching_records(recs, q="green", status="pass")]
    ['S1']
    >>> len(matching_records(recs, q="  ")), len(matching_records(recs, status="no-data"))
    (2, 0)
    """
    needle = (q or "").strip().casefold()
    fields = ("zone_code", "zone_name", "indicator", "title", "title_en")
    return [r for r in records
            if (not needle or any(needle in str(r.get(f) or "").casefold() for f in fields))
            and (not status or r.get("status") == status)]


def page_groups(groups: Sequence[tuple[str, Sequence[str]]], per_page: int
                ) -> list[list[tuple[str, list[str]]]]:
    """Pack zones grouped by parent into pages of at most ``per_page`` zones.

    A parent's zones stay on one page when they fit (so its summary row is shown once);
    a parent with more than ``per_page`` zones gets pages of its own, its zones cut in
    order. Every zone is on exactly one page, in the given order.

    Parameters
    ----------
    groups : sequence of (parent, zones)
        Parent code and its zone codes, in display order.
    per_page : int
        Most zones on a page (at least 1).

    Returns
    -------
    list of list of (parent, zones)
        The pages; each holds (parent, the parent's zones on that page) in order. No
        zones: one empty page.

    Examples
    --------
    >>> page_groups([("D1", ["a", "b"]), ("D2", ["c"]), ("D3", ["d", "e", "f"])], 3)
    [[('D1', ['a', 'b']), ('D2', ['c'])], [('D3', ['d', 'e', 'f'])]]
    >>> page_groups([("D1", ["a"]), ("D2", ["b", "c", "d"])], 2)
    [[('D1', ['a'])], [('D2', ['b', 'c'])], [('D2', ['d'])]]
    """
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1; got {per_page}")
    pages: list[list[tuple[str, list[str]]]] = []
    current: list[tuple[str, list[str]]] = []
    used = 0
    for parent, zones in groups:
        zones = list(zones)
        if not zones:
            continue
        if used and used + len(zones) > per_page:
            pages.append(current)
            current, used = [], 0
        for start in range(0, len(zones), per_page):
            chunk = zones[start:start + per_page]
            if used and used + len(chunk) > per_page:
                pages.append(current)
                current, used = [], 0
            current.append((parent, chunk))
            used += len(chunk)
    if current or not pages:
        pages.append(current)
    return pages
