"""The scenario page's move form in headless Chromium (tests/test_proposal_move.py's project).

PR-RC-0001 at (20, 190) covers no one new: STD-RECYCLE-300 50 % with the proposal. Moved to
(350, 100) it covers b3 and b4: 100 %. A place on water is refused with one message and the
page keeps the old figures. Screenshot: ``test-output/screenshots/scenario_move*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.browser import open_page, require_chromium, serve_app, shot
from fixtures.siting import CRS, X0, Y0, proposed_point_project
from pyproj import Transformer

from web.app import create_app

pytestmark = pytest.mark.browser
require_chromium()

TO_WGS = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    project = proposed_point_project(tmp_path_factory.mktemp("move") / "p")
    with serve_app(create_app(Path(project.root))) as url:
        yield url


def _proposal_value(page: Any, indicator: str) -> str:
    for row in page.locator("#pm-scenario tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if cells[0] == indicator:
            return str(cells[6])
    raise AssertionError(indicator)


def test_move_form_refuses_water_then_moves_and_recomputes(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/scenario?level=district")
    assert _proposal_value(page, "STD-RECYCLE-300") == "50"
    lon, lat = TO_WGS.transform(X0 + 220, Y0 + 80)  # on the water parcel
    page.fill("#pm-move-lon", f"{lon:.7f}")
    page.fill("#pm-move-lat", f"{lat:.7f}")
    page.click("#pm-move-go")
    page.wait_for_function("() => window.peakmapMoved !== undefined", timeout=20000)
    message = page.locator("#pm-move-result").inner_text()
    assert "(422)" in message and "水域" in message and "on water" in message
    shot(page, "scenario_move_refused")
    lon, lat = TO_WGS.transform(X0 + 350, Y0 + 100)
    page.fill("#pm-move-lon", f"{lon:.7f}")
    page.fill("#pm-move-lat", f"{lat:.7f}")
    with page.expect_navigation(timeout=60000):
        page.click("#pm-move-go")
    assert _proposal_value(page, "STD-RECYCLE-300") == "100"
    assert page.locator("#pm-moved").inner_text() == "已移动 PR-RC-0001，下表已重算"
    assert f"{lon:.6f}" in page.locator("#pm-move-site").inner_text()
    shot(page, "scenario_move_done")
    # clean but for the refusal asked for: one 422, which the browser logs as a failed load
    assert log.failed == [f"422 {base_url}/api/proposals/move"]
    assert all("422" in e for e in log.errors) and len(log.errors) <= 1, log.errors
    assert log.dialogs == []
    assert [u for u in log.requests if not u.startswith(base_url + "/")] == []
    page.close()


def test_move_form_in_project_metres(browser: Any, base_url: str) -> None:
    """The coordinate choice (default WGS84) switches to X, Y in metres and moves by them.

    Runs after the test above (PR-RC-0001 at (350, 100), 100 %): moved back to (20, 190) by
    its X, Y the figure returns to 50 %.
    """
    page, log = open_page(browser, f"{base_url}/scenario?level=district")
    assert page.locator("#pm-move-crs").input_value() == "wgs84"
    assert page.locator("#pm-move-ll").is_visible() and not page.locator("#pm-move-xy").is_visible()
    page.select_option("#pm-move-crs", "xy")
    assert page.locator("#pm-move-xy").is_visible() and not page.locator("#pm-move-ll").is_visible()
    # the site's own place in metres is filled in
    assert float(page.locator("#pm-move-x").input_value()) == pytest.approx(X0 + 350, abs=0.1)
    assert float(page.locator("#pm-move-y").input_value()) == pytest.approx(Y0 + 100, abs=0.1)
    page.fill("#pm-move-x", "abc")
    page.click("#pm-move-go")
    page.wait_for_function("() => window.peakmapMoved !== undefined", timeout=20000)
    message = page.locator("#pm-move-result").inner_text()
    assert "(422)" in message and "X,Y" in message and "metres in the project CRS" in message
    shot(page, "scenario_move_xy_refused")
    page.fill("#pm-move-x", f"{X0 + 20}")
    page.fill("#pm-move-y", f"{Y0 + 190}")
    with page.expect_navigation(timeout=60000):
        page.click("#pm-move-go")
    assert _proposal_value(page, "STD-RECYCLE-300") == "50"
    assert page.locator("#pm-moved").inner_text() == "已移动 PR-RC-0001，下表已重算"
    shot(page, "scenario_move_xy_done")
    assert log.failed == [f"422 {base_url}/api/proposals/move"]
    assert log.dialogs == []
    page.close()
