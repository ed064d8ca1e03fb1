"""No Chinese page shows a bare code from the schema's value lists, a status or a source.

Codes are looked for in what a planner can read: the page text, the values of ``title``
attributes (matrix tooltips) and the tooltips of inline map layers. Codes whose Chinese
label contains the code itself (``G11 综合公园``, ``LED 灯``) are part of the Chinese usage and
are not looked for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.i18n import bare_codes, readable_text
from fixtures.web import TestClient, client_for

from web.app import create_app


def test_bare_codes_finds_them_by_hand() -> None:
    text = readable_text('<td title="状态: fail">现状</td><script>var x = "planned";</script>'
                         '{"_tip": "<b>点</b><br>类型: community_point"} 已达标 passes '
                         'reported.csv')
    assert sorted(bare_codes(text)) == ["community_point", "fail"]


FIXTURE_PAGES = ["/", "/?level=district", "/?level=street", "/?level=community",
                 "/?street=S1", "/maps/layers", "/maps/gaps", "/maps/pv",
                 "/maps/indicator?indicator=HP-04&level=street",
                 "/maps/indicator?indicator=HP-04&level=community"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from fixtures.web import build_fixture

    return client_for(build_fixture(tmp_path_factory.mktemp("i18n") / "proj"))


@pytest.mark.parametrize("path", FIXTURE_PAGES)
def test_fixture_pages_show_no_bare_code(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert bare_codes(readable_text(page.text)) == [], path


def test_english_pages_show_english_words(client: TestClient) -> None:
    page = readable_text(client.get("/?level=district&lang=en").text)
    assert "met" in page and "Urban green area" in page
    legend = readable_text(client.get("/maps/layers?lang=en").text)
    assert "Recycling points: community collection point" in legend


@pytest.mark.slow
def test_heping_chinese_pages_show_no_bare_code(heping_built: Path) -> None:
    c = TestClient(create_app(heping_built))
    paths = [*FIXTURE_PAGES[:5], "/?street=120101001", *FIXTURE_PAGES[5:8],
             "/maps/indicator?indicator=HP-18&level=street",
             "/maps/indicator?indicator=HP-11&level=community",
             "/maps/indicator?indicator=HP-T4&level=community"]
    for path in paths:
        if path == "/?street=S1":
            continue
        page = c.get(path)
        assert page.status_code == 200, path
        assert bare_codes(readable_text(page.text)) == [], path
