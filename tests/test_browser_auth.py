"""Login page and an editor's upload in headless Chromium; a real cross-origin form post.

The upload page (issue 12) is not on main yet, so the editor uploads from the logged-in page
with ``fetch`` and the session's CSRF token, as that page's script will. A page served from
another origin (127.0.0.1 on another port, so the same *site*: the SameSite cookie is sent)
auto-submits a form to the upload URL: the server refuses it from its ``Origin`` header.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from fixtures import ingest as fx
from fixtures.browser import VIEWPORT, require_chromium, serve_app, shot
from fixtures.web import build_fixture, digest, records_fn

from web.app import create_app
from web.settings import WebSettings
from web.users import AuditLog, UserStore

pytestmark = pytest.mark.browser
require_chromium()

EDITOR, PASSWORD = "ed", "editor-pass-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_fixture(tmp_path_factory.mktemp("browser-auth") / "proj")
    UserStore.for_project(root).add(EDITOR, "editor", PASSWORD)
    return root


@pytest.fixture(scope="module")
def base_url(project: Path) -> Iterator[str]:
    app = create_app(project, settings=WebSettings(), records_fn=records_fn)
    with serve_app(app) as url:
        yield url


def _park_geojson(tmp: Path) -> str:
    gdf = gpd.GeoDataFrame({"id": ["n1"], "类别": ["G2"]}, geometry=[fx._box(0, 0, 50, 50)],
                           crs=fx.GK).to_crs("EPSG:4326")
    path = tmp / "park.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return path.read_text(encoding="utf-8")


UPLOAD_JS = """async ([text, withToken]) => {
  const token = document.cookie.split('; ').find(c => c.startsWith('peakmap_csrf='));
  const form = new FormData();
  form.append('file', new Blob([text], {type: 'application/geo+json'}), 'park.geojson');
  const headers = withToken ? {'X-CSRF-Token': token.split('=')[1]} : {};
  const r = await fetch('/api/layers/green_spaces', {method: 'POST', body: form, headers});
  return [r.status, await r.text()];
}"""


def _login(page: Any, base_url: str) -> None:
    page.goto(base_url + "/", timeout=20_000)
    assert page.url.startswith(base_url + "/login?next=")
    shot(page, "login")
    page.fill("#username", EDITOR)
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.inner_text("[role=alert]")
    page.fill("#username", EDITOR)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle", timeout=20_000)
    assert page.url == base_url + "/"


def test_login_then_editor_uploads(browser: Any, base_url: str, project: Path,
                                   tmp_path: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    _login(page, base_url)
    shot(page, "logged-in-dashboard")
    text = _park_geojson(tmp_path)
    before = digest(project / "build")
    status, body = page.evaluate(UPLOAD_JS, [text, False])
    assert status == 403 and "CSRF" in body  # the session cookie alone cannot write
    assert digest(project / "build") == before
    status, body = page.evaluate(UPLOAD_JS, [text, True])
    assert status == 201, body
    stored = gpd.read_file(project / "build" / "peakmap.gpkg", layer="green_spaces")
    assert list(stored["id"]) == ["n1"]
    assert round(float(stored.area.iloc[0])) == 2_500
    assert ("ed", "POST", "/api/layers/green_spaces", 201) in [
        (e["user"], e["action"], e["target"], e["status"])
        for e in AuditLog.for_project(project).entries()]
    page.close()


def test_cross_origin_form_post_is_refused_in_the_browser(browser: Any, base_url: str,
                                                          project: Path) -> None:
    evil_page = (f'<!DOCTYPE html><form id="f" method="post" enctype="multipart/form-data" '
                 f'action="{base_url}/api/layers/green_spaces"><input name="file" value="x">'
                 '</form><script>document.getElementById("f").submit()</script>').encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(evil_page)

        def log_message(self, *args: Any) -> None:
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        _login(page, base_url)  # the victim is logged in as an editor
        before = digest(project / "build")
        page.goto(f"http://127.0.0.1:{evil.server_address[1]}/", timeout=20_000)
        page.wait_for_url(f"{base_url}/api/layers/green_spaces", timeout=20_000)
        assert "cross-site request refused" in page.content()
        assert digest(project / "build") == before
        context.close()
    finally:
        evil.shutdown()
        evil.server_close()
