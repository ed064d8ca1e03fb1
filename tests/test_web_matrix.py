"""The dashboard's compliance matrix: rows, columns, groups, counts, failing children, pages.

The records are written out below; every expected figure is read off them by hand. The
project is the tiny ingest fixture: streets S1 (西街道: C1, C2) and S2 (东街道: C3).
"""

from __future__ import annotations

import re
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest
from fixtures.web import RECORDS, TestClient, build_fixture, record

from web.app import create_app
from web.matrix import STATUSES, build_matrix, cell_text, status_counts


def _rec(level: str, code: str, name: str, value: Any, status: str, *, indicator: str,
         group: str = "", responsible: str = "区城市管理委") -> dict[str, Any]:
    r = record(level, code, name, value, None, status, None, indicator=indicator)
    r.update(group=group, responsible=responsible, title=f"{indicator} 标题",
             title_en=f"{indicator} title")
    return r


# Two annex groups: A holds HP-04 (district, streets, communities) and HP-11 (streets and
# communities), B holds HP-01 (district only, reported by another department).
MATRIX_RECORDS = [
    {**r, "group": "A"} for r in RECORDS
] + [
    _rec("district", "120101", "和平区", 12.4, "no-target", indicator="HP-01", group="B",
         responsible="区商务局"),
    _rec("street", "S1", "西街道", 50.0, "fail", indicator="HP-11", group="A"),
    _rec("street", "S2", "东街道", 100.0, "pass", indicator="HP-11", group="A"),
    _rec("community", "C1", "甲社区", 0.0, "fail", indicator="HP-11", group="A"),
    _rec("community", "C2", "乙社区", 100.0, "pass", indicator="HP-11", group="A"),
    _rec("community", "C3", "丙社区", None, "no-data", indicator="HP-11", group="A"),
]
# HP-04 at community level: C2 fails, to list it on its street.
MATRIX_RECORDS[4] = {**MATRIX_RECORDS[4], "status": "fail", "target": 1.0}
PARENT = {"C1": "S1", "C2": "S1", "C3": "S2"}


def test_matrix_rows_columns_groups_by_hand() -> None:
    m = build_matrix(MATRIX_RECORDS, row_level="street", parent_of=PARENT)
    # Columns in catalog order inside groups, groups in order of first appearance.
    assert [c.indicator for c in m.columns] == ["HP-04", "HP-11", "HP-01"]
    assert m.groups == [("A", 2), ("B", 1)]
    assert [(r.level, r.code) for r in m.rows] == [
        ("district", "120101"), ("street", "S1"), ("street", "S2")]
    district, s1, s2 = m.rows
    assert [c.status if c else None for c in district.cells] == ["pass", None, "no-target"]
    assert [c.status if c else None for c in s1.cells] == ["pass", "fail", None]
    assert [c.text if c else None for c in s2.cells] == ["5,000", "100", None]
    # Failing communities: C1 fails HP-11, C2 fails HP-04 (both in S1); S2 has none.
    assert s1.failing_children == [("乙社区", 1), ("甲社区", 1)]  # order of the records
    assert s1.cells[1].failing_children == ["甲社区"]
    assert s1.cells[0].failing_children == ["乙社区"]
    assert s2.failing_children == []
    assert s1.link and not district.link
    assert m.columns[2].departments == ("区商务局",)


def test_matrix_of_one_street_has_its_communities() -> None:
    m = build_matrix(MATRIX_RECORDS, row_level="community", row_codes=["C2", "C1"],
                     head=("street", "S1"))
    assert [(r.level, r.code) for r in m.rows] == [
        ("street", "S1"), ("community", "C2"), ("community", "C1")]
    assert [c.indicator for c in m.columns] == ["HP-04", "HP-11"]
    assert [c.status if c else None for c in m.rows[2].cells] == ["no-target", "fail"]


def test_cell_text_and_counts() -> None:
    # the dashboard's precision (layers.numfmt): m² whole, % two decimals (was one)
    assert cell_text(1_568_269.4, "m²") == "1,568,269"
    assert cell_text(29.04, "%") == "29.04"
    assert cell_text(50.0, "%") == "50" and cell_text(50.0, "%", 2) == "50.00"
    assert cell_text(-0.004, "%") == "0.00"  # rounds to zero: no sign
    assert cell_text(None) == "—"
    assert status_counts(r for r in MATRIX_RECORDS if r["level"] == "district") == {
        "pass": 1, "fail": 0, "no-target": 1, "no-data": 0}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    built: Path = build_fixture(tmp_path_factory.mktemp("matrix") / "proj")
    return TestClient(create_app(built, records_fn=lambda p: [dict(r) for r in MATRIX_RECORDS]))


def test_dashboard_first_view_is_the_matrix(client: TestClient) -> None:
    page = client.get("/").text
    assert 'id="pm-matrix"' in page
    counts = dict(re.findall(r'data-status="([a-z-]+)">\s*<span class="n">(\d+)</span>', page))
    assert counts == {"pass": "1", "fail": "0", "no-target": "1", "no-data": "0"}
    # Street rows link to their communities; the failing ones are named on the row.
    assert 'href="/?lang=zh&street=S1"' in page
    row_s1 = page[page.index('data-zone="S1"'):page.index('data-zone="S2"')]
    assert "甲社区 (1)" in row_s1 and "乙社区 (1)" in row_s1
    assert page.count('<td class="c st-fail"') == 2  # S1 × HP-11, S2 × HP-04
    assert '<option value="区商务局">' in page and '<option value="B">' in page


def test_dashboard_street_drill_down(client: TestClient) -> None:
    page = client.get("/?street=S1&lang=en").text
    assert "西街道" in page and "甲社区" in page and "乙社区" in page
    assert "丙社区" not in page  # C3 lies in S2
    assert "Community × indicator compliance" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sample_notice_only_on_the_generated_sample(tmp_path: Path, lang: str) -> None:
    # A district's own data is not "synthetic": the notice is the sample's alone
    # (Project.is_sample, the first line `peakmap sample` writes into project.toml).
    from layers.project import GENERATED_MARK
    from web.i18n import t

    notice = t("synthetic_note", lang)
    built = build_fixture(tmp_path / "proj")
    app = create_app(built, records_fn=lambda p: [dict(r) for r in MATRIX_RECORDS])
    pages = [f"/?lang={lang}", f"/?level=district&lang={lang}", f"/?street=S1&lang={lang}",
             f"/maps/layers?lang={lang}"]
    with TestClient(app) as own:
        for url in pages:
            res = own.get(url)
            assert res.status_code == 200 and notice not in res.text, url
    manifest = built / "project.toml"
    manifest.write_text(f"{GENERATED_MARK} --seed 42`.\n" + manifest.read_text("utf-8"),
                        encoding="utf-8")
    app = create_app(built, records_fn=lambda p: [dict(r) for r in MATRIX_RECORDS])
    with TestClient(app) as sample:
        for url in pages:
            assert notice in sample.get(url).text, url


def test_unknown_street_is_named_not_an_empty_matrix(client: TestClient) -> None:
    import html

    res = client.get("/?street=NOPE")
    assert res.status_code == 404
    page = html.unescape(res.text)
    assert "街道 'NOPE' 不存在（现有街道：S1 西街道, S2 东街道）" in page
    assert "street 'NOPE': no such street (streets: S1 西街道, S2 东街道)" in page
    assert client.get("/?street=S1").status_code == 200


def _rows(page: str) -> dict[tuple[str, str], str]:
    """(level, zone code) → the row's HTML, of every matrix row of a page."""
    rows = re.findall(r'(<tr data-zone="([^"]+)" data-level="([a-z]+)".*?</tr>)', page, re.S)
    return {(level, code): row for row, code, level in rows}


def test_page_groups_every_zone_once_brute_force() -> None:
    import random

    from web.matrix import page_groups

    rng = random.Random(7)
    for _ in range(200):
        groups = [(f"D{d}", [f"D{d}-S{s}" for s in range(rng.randint(0, 9))])
                  for d in range(rng.randint(0, 8))]
        flat = [z for _, zs in groups for z in zs]
        for per in range(1, 12):
            pages = page_groups(groups, per)
            got = [z for p in pages for _, zs in p for z in zs]
            assert got == flat  # every zone exactly once, in order
            assert all(sum(len(zs) for _, zs in p) <= per for p in pages)
            assert all(p for p in pages) or pages == [[]]
            # a district that fits on a page is not cut
            for parent, zones in groups:
                on = [i for i, p in enumerate(pages) for d, _ in p if d == parent]
                if 0 < len(zones) <= per:
                    assert len(on) == 1, (parent, per, pages)
    with pytest.raises(ValueError, match="per_page"):
        page_groups([("D", ["a"])], 0)


def test_paged_matrix_rows_equal_the_unpaged_ones_by_brute_force() -> None:
    # Three districts (one street of D2 has no district), 1-3 streets each: the rows of
    # the pages together are those of the unpaged matrix, each street exactly once.
    from web.matrix import page_groups

    recs, parent = [], {}
    streets = {"D1": ["A", "B", "C"], "D2": ["E"], "D3": ["F", "G"]}
    for d, codes in streets.items():
        recs.append(_rec("district", d, f"区{d}", 1.0, "pass", indicator="HP-01"))
        for c in codes:
            recs.append(_rec("street", c, f"街{c}", 2.0, "fail", indicator="HP-01"))
            parent[c] = d
    full = build_matrix(recs, row_level="street")
    full_rows = {(r.level, r.code): r for r in full.rows}
    for per in (1, 2, 3, 4, 6):
        seen: list[str] = []
        for page in page_groups(list(streets.items()), per):
            m = build_matrix(recs, row_level="street",
                             row_codes=[c for _, cs in page for c in cs],
                             head_rows={d for d, _ in page})
            assert [c.indicator for c in m.columns] == [c.indicator for c in full.columns]
            heads = [r.code for r in m.rows if r.level == "district"]
            assert heads == [d for d, _ in page]  # the page's districts, in order
            for r in m.rows:
                assert r == full_rows[(r.level, r.code)]
            seen += [r.code for r in m.rows if r.level == "street"]
        assert sorted(seen) == sorted(parent) and len(seen) == len(parent)


def test_dashboard_pages_hold_every_street_once(tmp_path: Path) -> None:
    import html

    from web.settings import WebSettings

    built = build_fixture(tmp_path / "proj")

    def client_with(rows: int) -> TestClient:
        app = create_app(built, settings=WebSettings(matrix_page_rows=rows),
                         records_fn=lambda p: [dict(r) for r in MATRIX_RECORDS])
        return TestClient(app)

    for url, level in (("/?lang=zh", "street"), ("/?lang=zh&street=S1", "community")):
        unpaged = _rows(client_with(1000).get(url).text)
        paged = client_with(1)
        first = paged.get(url).text
        assert "第 1/2 页（每页至多 1 行，共 2 行）" in first
        assert f'href="{url}&page=1"' in html.unescape(first)
        seen: dict[tuple[str, str], str] = {}
        for page in range(2):
            rows = _rows(paged.get(f"{url}&page={page}").text)
            zones = [k for k in rows if k[0] == level]
            assert len(zones) == 1
            assert all(k not in seen for k in zones)  # no zone on two pages
            seen.update(rows)
        assert seen == unpaged  # same rows, same cells, nothing lost
        assert paged.get(f"{url}&page=2").status_code == 404
    # the district counts are those of every district on every page
    page1 = client_with(1).get("/?page=1").text
    counts = dict(re.findall(r'data-status="([a-z-]+)">\s*<span class="n">(\d+)</span>', page1))
    assert counts == {"pass": "1", "fail": "0", "no-target": "1", "no-data": "0"}


# Five streets without a district (codes not in the fixture's streets layer), two
# indicators; the statuses are chosen so each filter picks a different set, read by hand:
# fail: X2, X5; pass: X1, X2, X4; no-data: X3, X5; no-target: X4 (HP-11 only).
FILTER_STREETS = [("X1", "北街道", "pass", "pass"), ("X2", "南街道", "fail", "pass"),
                  ("X3", "中街道", "no-data", None), ("X4", "湖滨街道", "pass", "no-target"),
                  ("X5", "港口街道", "fail", "no-data")]
FILTER_RECORDS = [
    _rec("district", "120101", "和平区", 12.4, "no-target", indicator="HP-01"),
    *[_rec("street", code, name, 1.0, st, indicator="HP-01", group="A")
      for code, name, st, _ in FILTER_STREETS],
    *[_rec("street", code, name, 2.0, st, indicator="HP-11", group="B")
      for code, name, _, st in FILTER_STREETS if st is not None],
]


@pytest.fixture(scope="module")
def one_row_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from web.settings import WebSettings

    built: Path = build_fixture(tmp_path_factory.mktemp("filter") / "proj")
    app = create_app(built, settings=WebSettings(matrix_page_rows=1),
                     records_fn=lambda p: [dict(r) for r in FILTER_RECORDS])
    return TestClient(app)


def _zones_of_every_page(client: TestClient, url: str, level: str = "street"
                         ) -> tuple[list[str], int]:
    """The zones at ``level`` of every page of ``url`` in page order, and the page count."""
    zones: list[str] = []
    page = 0
    while True:
        res = client.get(f"{url}&page={page}")
        if res.status_code == 404:
            return zones, page
        assert res.status_code == 200, res.text
        zones += [code for lv, code in _rows(res.text) if lv == level]
        page += 1


# Every status the page offers (web.matrix.STATUSES) is one ?status= takes (web.pages).
@pytest.mark.parametrize("status", STATUSES)
def test_status_filter_acts_on_every_page_brute_force(one_row_client: TestClient,
                                                      status: str) -> None:
    import html

    # Expected: the rows of the unpaged matrix holding a cell of that status.
    full = build_matrix(FILTER_RECORDS, row_level="street")
    expected = [r.code for r in full.rows if r.level == "street"
                and any(c is not None and c.status == status for c in r.cells)]
    by_hand = {"pass": ["X1", "X2", "X4"], "fail": ["X2", "X5"], "no-target": ["X4"],
               "no-data": ["X3", "X5"]}
    assert expected == by_hand[status]
    zones, pages = _zones_of_every_page(one_row_client, f"/?lang=zh&status={status}")
    assert zones == expected  # every match, once, in display order, on 1 row a page
    assert pages == len(expected)  # the page count follows the filter
    unfiltered, all_pages = _zones_of_every_page(one_row_client, "/?lang=zh")
    assert unfiltered == ["X1", "X2", "X3", "X4", "X5"] and all_pages == 5
    first = one_row_client.get(f"/?lang=zh&status={status}").text
    if len(expected) > 1:  # the page list keeps the filter in its links and its jump form
        assert f"第 1/{len(expected)} 页（每页至多 1 行，共 {len(expected)} 行）" in first
        assert f'href="/?lang=zh&status={status}&page=1"' in html.unescape(first)
        assert f'<input type="hidden" name="status" value="{status}">' in first
    assert f'<option value="{status}" selected>' in first
    # the district counts stay those of every district
    counts = dict(re.findall(r'data-status="([a-z-]+)">\s*<span class="n">(\d+)</span>',
                             first))
    assert counts == {"pass": "0", "fail": "0", "no-target": "1", "no-data": "0"}


def test_text_query_finds_a_zone_on_the_last_page(one_row_client: TestClient) -> None:
    unfiltered, pages = _zones_of_every_page(one_row_client, "/?lang=zh")
    assert unfiltered[-1] == "X5" and pages == 5  # 港口街道 sits on the last page
    page = one_row_client.get("/?lang=zh&q=港口").text
    assert [k for k in _rows(page)] == [("street", "X5")]
    assert "第 1/" not in page  # one page: no page list
    assert 'name="q" value="港口"' in page
    # by code, case-insensitively; several matches are paged; combined with the status
    assert _zones_of_every_page(one_row_client, "/?lang=zh&q=x")[0] == unfiltered
    assert _zones_of_every_page(one_row_client, "/?q=%E8%A1%97%E9%81%93&status=fail") == (
        ["X2", "X5"], 2)  # 街道 is in every name; fail keeps X2 and X5
    # a query naming an indicator, not a zone, keeps the zones (the script picks columns)
    assert _zones_of_every_page(one_row_client, "/?lang=zh&q=HP-11")[0] == unfiltered
    # nothing matches: said, not "no indicators"; the empty status of the form is no filter
    none = one_row_client.get("/?lang=zh&q=不存在").text
    assert _rows(none) == {} and '<p id="pm-nomatch" class="pm-def">' in none
    assert _zones_of_every_page(one_row_client, "/?lang=zh&q=&status=")[0] == unfiltered


def test_filters_on_the_communities_of_one_street(client: TestClient) -> None:
    # MATRIX_RECORDS: C1 fails HP-11, C2 fails HP-04 and passes HP-11 (both in S1).
    full = build_matrix(MATRIX_RECORDS, row_level="community", row_codes=["C1", "C2"],
                        head=("street", "S1"))
    for status in ("fail", "pass", "no-data"):
        expected = [r.code for r in full.rows if r.level == "community"
                    and any(c is not None and c.status == status for c in r.cells)]
        rows = _rows(client.get(f"/?street=S1&status={status}").text)
        assert [c for lv, c in rows if lv == "community"] == expected, status
        assert ("street", "S1") in rows  # the street's own row stays at the head
    assert [c for lv, c in _rows(client.get("/?street=S1&q=乙").text)
            if lv == "community"] == ["C2"]


def _table_rows(page: str) -> list[tuple[str, str, str]]:
    """(indicator, zone code, status) of every row of a detailed-table page, in order."""
    rows = re.findall(r'<tr data-indicator="([^"]+)" data-status="([^"]+)"[^>]*>.*?'
                      r'<span class="pm-def">([^<]*)</span>', page, re.S)
    return [(ind, code, st) for ind, st, code in rows]


def test_filters_pick_the_rows_of_the_table_at_every_level(client: TestClient) -> None:
    # Read off MATRIX_RECORDS: streets S1 (西街道) HP-04 pass, HP-11 fail; S2 (东街道) HP-04
    # fail, HP-11 pass. Communities C1 (甲) HP-04 no-target, HP-11 fail; C2 (乙) HP-04
    # fail, HP-11 pass; C3 (丙) HP-04 no-target, HP-11 no-data. District: HP-04 pass,
    # HP-01 no-target.
    def rows(url: str) -> set[tuple[str, str, str]]:
        res = client.get(url)
        assert res.status_code == 200, res.text
        return set(_table_rows(res.text))

    assert rows("/?level=street&status=fail") == {("HP-11", "S1", "fail"),
                                                   ("HP-04", "S2", "fail")}
    assert rows("/?level=street&q=西") == {("HP-04", "S1", "pass"), ("HP-11", "S1", "fail")}
    assert rows("/?level=community&q=乙") == {("HP-04", "C2", "fail"), ("HP-11", "C2", "pass")}
    # by indicator code (case-insensitive) or title, with a status
    assert rows("/?level=community&q=hp-11&status=pass") == {("HP-11", "C2", "pass")}
    assert rows("/?level=community&q=HP-04&status=no-target") == {
        ("HP-04", "C1", "no-target"), ("HP-04", "C3", "no-target")}
    assert rows("/?level=district&status=no-target&lang=en") == {
        ("HP-01", "120101", "no-target")}
    # nothing matches: said as such, not "no indicators"
    none = client.get("/?level=street&q=不存在").text
    assert _table_rows(none) == [] and 'id="pm-nomatch"' in none
    # the form, the clear link, the level links and the language switch keep the filters
    page = html_unescape(client.get("/?level=street&q=西&status=fail").text)
    assert 'name="q" value="西"' in page and '<option value="fail" selected>' in page
    assert 'id="pm-clear" href="/?lang=zh&level=street"' in page
    assert 'href="?lang=zh&level=community&q=%E8%A5%BF&status=fail"' in page
    assert 'href="?lang=en&level=street&q=%E8%A5%BF&status=fail"' in page


@pytest.mark.parametrize("url", ["/?level=street", "/?level=community", "/?level=district",
                                 "/", "/?street=S1"])
def test_a_blank_query_is_no_filter(client: TestClient, url: str) -> None:
    sep = "&" if "?" in url else "?"
    plain, blank = client.get(url).text, client.get(f"{url}{sep}q=%20%20%09").text
    if "level=" in url:
        assert _table_rows(blank) == _table_rows(plain) and _table_rows(plain)
    else:
        assert _rows(blank).keys() == _rows(plain).keys() and _rows(plain)
    assert 'id="pm-clear"' not in blank and 'name="q" value=""' in blank
    assert 'id="pm-clear"' in client.get(f"{url}{sep}q=%20S%20").text  # stripped, kept


def test_filtered_table_pages_equal_the_filtered_unpaged_table(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    unpaged = _table_rows(client.get("/?level=community&q=社区").text)
    assert len(unpaged) == 6  # every community row (社区 is in every name)
    by_hand = {"fail": {("HP-04", "C2", "fail"), ("HP-11", "C1", "fail")},
               "no-data": {("HP-11", "C3", "no-data")}}
    monkeypatch.setattr("web.pages.DASHBOARD_PAGE_ROWS", 1)
    for status, rows in by_hand.items():
        want = [r for r in unpaged if r[2] == status]  # the unpaged table's order
        assert set(want) == rows
        got, page = [], 0
        while (res := client.get(f"/?level=community&q=社区&status={status}&page={page}")
               ).status_code == 200:
            got += _table_rows(res.text)
            page += 1
        assert res.status_code == 404 and got == want and page == len(want)
