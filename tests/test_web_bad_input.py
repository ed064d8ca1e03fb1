"""Bad input on every route: one clear message naming the parameter, never pydantic's list.

Pages and map downloads (outside ``/api``) answer a small bilingual HTML page (status 422
for a missing or bad parameter, 404 for an unknown indicator or basemap) naming the
parameter, the values it takes and a link back to the dashboard; ``/api`` answers JSON with
one ``detail`` string (and ``detail_zh``) naming the field. Project: the tiny ingest
district of tests/fixtures/web.py, whose only indicator is HP-04.
"""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from fixtures.web import TestClient, build_fixture, records_fn

from web.app import create_app
from web.errors import validation_message
from web.settings import WebSettings

LEVELS = ["district", "street", "community"]
# method, URL, status, words the message must hold (parameter first, then allowed values)
PAGES: list[tuple[str, str, int, list[str]]] = [
    ("GET", "/?level=city", 422, ["level", "city", *LEVELS]),
    ("GET", "/?page=-1", 422, ["page", "≥ 0"]),
    ("GET", "/?page=two", 422, ["page", "whole number"]),
    ("GET", "/?page=9", 404, ["page 9: no such page (pages 0–0", "第 9 页不存在（页码 0–0"]),
    ("GET", "/?street=S1&page=1", 404, ["page 1: no such page (pages 0–0"]),
    ("GET", "/?page=99999999999999999999999", 404, ["no such page"]),
    ("GET", "/?level=street&page=1", 404, ["page 1: no such page (pages 0–0, at most 100"]),
    ("GET", "/?scenario=dream", 422, ["scenario", "dream", "proposal"]),
    ("GET", "/?status=late", 422, ["status", "late", "pass", "fail", "no-target", "no-data"]),
    ("GET", "/?street=S1&status=FAIL", 422, ["status", "FAIL", "no-target"]),
    ("GET", "/?q=" + "x" * 101, 422, ["q", "at most 100 characters", "至多 100 个字符"]),
    ("GET", "/?q=S&status=fail&page=1", 404, ["page 1: no such page (pages 0–0"]),
    ("GET", "/maps/layers?basemap=zz", 404, ["basemap", "zz", "none", "osm"]),
    ("GET", "/maps/indicator", 422, ["indicator", "missing"]),
    ("GET", "/maps/indicator?indicator=NOPE", 404, ["NOPE", "street", "HP-04"]),
    ("GET", "/maps/indicator?indicator=HP-04&level=city", 422, ["level", *LEVELS]),
    ("GET", "/maps/indicator?indicator=HP-04&scenario=x", 422, ["scenario", "proposal"]),
    ("GET", "/maps/gaps?basemap=zz", 404, ["basemap", "zz"]),
    ("GET", "/maps/pv?basemap=zz", 404, ["basemap", "zz"]),
    ("GET", "/maps/compare", 422, ["indicator", "missing"]),
    ("GET", "/maps/compare?indicator=NOPE", 404, ["NOPE", "HP-04"]),
    ("GET", "/maps/compare?indicator=HP-04&level=city", 422, ["level", *LEVELS]),
    ("GET", "/scenario?level=x", 422, ["level", *LEVELS]),
    ("GET", "/scenario?changed=maybe", 422, ["changed", "true", "false"]),
    ("GET", "/maps/indicator.pdf", 422, ["indicator", "missing"]),
    ("GET", "/maps/indicator.pdf?indicator=NOPE", 404, ["NOPE", "HP-04"]),
    ("GET", "/maps/indicator.png?indicator=HP-04&level=district", 422,
     ["level", "street", "community"]),
    ("GET", "/maps/indicator.svg?indicator=HP-04", 422, ["fmt", "svg", "pdf", "png"]),
    ("GET", "/maps/layers.svg", 422, ["fmt", "pdf", "png"]),
    ("GET", "/maps/gaps.svg", 422, ["fmt", "pdf", "png"]),
    ("GET", "/maps/gaps.pdf?compare=maybe", 422, ["compare", "true", "false"]),
    ("GET", "/maps/pv.svg", 422, ["fmt", "pdf", "png"]),
    ("GET", "/maps/nope", 404, ["/maps/nope", "没有此页面"]),
    ("GET", "/?lang=fr", 422, ["lang", "fr", "zh", "en"]),
    ("GET", "/upload?lang=fr", 422, ["lang", "fr", "zh", "en"]),
    ("GET", "/maps/indicator.pdf?indicator=HP-04&level=street&lang=EN", 422,
     ["lang", "EN", "zh", "en"]),
]
API: list[tuple[str, str, int, list[str]]] = [
    ("GET", "/api/basemap?zoom=99", 422, ["zoom", "≤ 24"]),
    ("GET", "/api/basemap?datum=bd09", 422, ["datum", "wgs84", "gcj02"]),
    ("GET", "/api/basemap?bbox=1,2", 400, ["bbox", "minx,miny,maxx,maxy"]),
    ("GET", "/api/indicators?level=city", 422, ["level", *LEVELS]),
    ("GET", "/api/indicators?scenario=dream", 422, ["scenario", "proposal"]),
    ("GET", "/api/status?scenario=dream", 422, ["scenario", "proposal"]),
    ("GET", "/api/compare?level=x", 422, ["level", *LEVELS]),
    ("GET", "/api/layers/nope", 404, ["nope"]),
    ("GET", "/api/layers/green_spaces?zoom=abc", 422, ["zoom", "number"]),
    ("GET", "/api/layers/green_spaces?zoom=-1", 422, ["zoom", "≥ 0"]),
    ("GET", "/api/layers/green_spaces?datum=bd09", 422, ["datum", "wgs84", "gcj02"]),
    ("GET", "/api/layers/green_spaces?bbox=1,2", 400, ["bbox"]),
    ("GET", "/api/layers/nope/gpkg", 404, ["nope"]),
    ("GET", "/api/report.xlsx?scenario=dream", 422, ["scenario", "proposal"]),
    ("GET", "/api/report.csv?scenario=dream", 422, ["scenario", "proposal"]),
    ("POST", "/api/layers/nope", 422, ["file", "missing"]),
    ("POST", "/api/layers/nope/check", 422, ["file", "missing"]),
    ("POST", "/api/proposals/move", 422, ["site_id", "missing"]),
    ("GET", "/api/report.xlsx?lang=fr", 422, ["lang", "fr", "zh", "en"]),
    ("GET", "/api/indicators?lang=", 422, ["lang", "''", "zh", "en"]),
]
# Routes whose own parameters take any value (free text read by the handler itself).
FREE = {"/login"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    project = build_fixture(tmp_path_factory.mktemp("bad") / "proj")

    def records(p: Any, scenario: str | None = None) -> list[dict[str, Any]]:
        return records_fn(p)

    app = create_app(project, settings=WebSettings(), records_fn=records)
    return TestClient(app, raise_server_exceptions=False)


def _send(client: TestClient, method: str, url: str) -> Any:
    if method == "POST":  # a form without its required fields (a stray field keeps it a form)
        return client.post(url, files={"other": ("x.txt", io.BytesIO(b"x"))})
    return client.get(url)


@pytest.mark.parametrize(("method", "url", "status", "words"), PAGES,
                         ids=[c[1] for c in PAGES])
def test_page_answers_a_bilingual_html_page(client: TestClient, method: str, url: str,
                                            status: int, words: list[str]) -> None:
    r = _send(client, method, url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    text = html.unescape(r.text)
    for word in words:
        assert word in text, (word, text)
    assert '"loc"' not in text and "Field required" not in text
    assert 'id="pm-back" href="/?lang=zh"' in r.text  # back to the dashboard
    zh = {422: "请求参数有误", 404: "未找到", 400: "无法完成请求"}[status]
    en = {422: "Bad request parameter", 404: "Not found", 400: "The request cannot be done"}
    assert zh in text and en[status] in text
    assert text.index(zh) < text.index(en[status])  # Chinese first


@pytest.mark.parametrize(("method", "url", "status", "words"), API, ids=[c[1] for c in API])
def test_api_answers_one_json_message(client: TestClient, method: str, url: str, status: int,
                                      words: list[str]) -> None:
    r = _send(client, method, url)
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["detail"], str) and isinstance(body["detail_zh"], str)
    for word in words:
        assert word in body["detail"], (word, body)
    assert words[0] in body["detail_zh"]


def test_unknown_api_path_stays_json(client: TestClient) -> None:
    r = client.get("/api/nope")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_error_page_follows_the_language_and_escapes_input(client: TestClient) -> None:
    r = client.get("/?level=<b>x</b>&lang=en")
    assert r.status_code == 422 and "<b>x</b>" not in r.text
    assert "&#x27;&lt;b&gt;x&lt;/b&gt;&#x27;" in r.text
    assert 'href="/?lang=en"' in r.text and '<html lang="en">' in r.text


def test_several_bad_parameters_are_all_named() -> None:
    names, en, zh = validation_message([
        {"type": "missing", "loc": ("body", "site_id")},
        {"type": "float_parsing", "loc": ("query", "zoom"), "input": "abc"}])
    assert names == ["site_id", "zoom"]
    assert en == ("form field 'site_id' is missing; query parameter 'zoom': 'abc' is not "
                  "allowed; it must be a number")
    assert zh == "缺少表单字段 site_id；查询参数 zoom 的值 'abc' 无效；须为数字"


def _schema_routes(client: TestClient) -> list[tuple[str, str, set[str]]]:
    """(method, path, parameter names) of every route in the app's OpenAPI schema.

    The schema, not ``app.routes``: FastAPI 0.165 keeps included routers as one
    ``_IncludedRouter`` entry each, so ``app.routes`` holds no ``APIRoute`` of theirs. A
    form body counts as the parameter ``body``. Routes left out of the schema (``/login``,
    ``/logout``, ``/admin``, ``/docs``) read no language or query of their own.
    """
    out = []
    for path, ops in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, op in ops.items():
            names = {q["name"] for q in op.get("parameters", [])}
            if "requestBody" in op:
                names.add("body")
            out.append((method.upper(), path, names))
    return out


def test_every_route_with_parameters_has_a_bad_input_case(client: TestClient) -> None:
    """A new route with its own query, path or form parameters needs a case above."""
    covered = {url.split("?")[0] for _, url, _, _ in PAGES + API}
    covered.discard("/maps/nope")
    routes = _schema_routes(client)
    assert len(routes) >= 25  # the schema is read (an empty list would prove nothing)
    missing = []
    for _method, path, names in routes:
        if not names or path in FREE:
            continue
        probe = path.replace("{fmt}", "svg").replace("{name}", "nope")
        if probe not in covered and path not in covered:
            missing.append(path)
    assert missing == []


def _lang_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, probe path) of every route that reads ``?lang=`` (through web.deps)."""
    return [(m, path.replace("{fmt}", "pdf").replace("{name}", "green_spaces"))
            for m, path, names in _schema_routes(client) if "lang" in names]


def test_an_unsupported_language_is_refused_on_every_route(client: TestClient) -> None:
    """``?lang=fr`` anywhere: the bilingual 422 naming lang and zh, en (no fall-back to
    Chinese); HTML outside /api, JSON detail/detail_zh under /api."""
    routes = _lang_routes(client)
    assert ("GET", "/api/report.xlsx") in routes and ("GET", "/") in routes
    assert len(routes) >= 15  # the pages, the maps and their exports, the API
    for method, path in routes:
        r = _send(client, method, f"{path}?lang=fr")
        assert r.status_code == 422, (method, path, r.status_code)
        if path.startswith("/api"):
            body = r.json()
            assert "lang" in body["fields"], (path, body)
            assert "'lang': 'fr' is not allowed; choose one of zh, en" in body["detail"]
            assert "查询参数 lang 的值 'fr' 无效；可选值：zh、en" in body["detail_zh"]
        else:
            text = html.unescape(r.text)
            assert r.headers["content-type"].startswith("text/html"), path
            assert "查询参数 lang 的值 'fr' 无效；可选值：zh、en" in text, path
            assert "'lang': 'fr' is not allowed; choose one of zh, en" in text, path
        ok = _send(client, method, f"{path}?lang=en")  # other parameters may still be wrong
        assert ok.status_code != 422 or "'lang'" not in html.unescape(ok.text), path


def test_bad_input_changes_nothing(client: TestClient) -> None:
    before = client.get("/api/layers").json()
    for method, url, _, _ in API:
        _send(client, method, url)
    assert client.get("/api/layers").json() == before
