"""The scenario view in headless Chromium: the now-vs-proposal table and the side-by-side map.

Tiny project of tests/test_metrics.py with a pipe-renewal proposal (h1 renewed): HP-T4 falls
from 45.45 % (100 of 220 m old) to 0 % and is newly met. Screenshots go to
``test-output/screenshots/scenario*.png``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from test_browser import CHROMIUM, CHROMIUM_ARGS, check_clean, open_page, shot
from test_heating import _write_renewal
from test_metrics import make_project

from web.app import create_app

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")

TARGETS = (
    '[params.heating]\nrenewal_age_years = 30\n\n'
    '[[indicator]]\nid = "HP-T4"\ntitle = "30年以上未改造老旧供热管网长度占比"\n'
    'kind = "length_share"\nunit = "%"\nop = "<="\ntarget = 0\nlevel = "district"\n'
    '[indicator.params]\nlayer = "heating_pipes"\ncondition = { install_year = { age_over = '
    '"$heating.renewal_age_years" }, renovated_year = { by_year = false } }\n'
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("scenario")
    project = make_project(root, targets=TARGETS)
    _write_renewal(project, ["h1"])
    app = create_app(Path(root))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_scenario_table_shows_change_and_newly_met(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/scenario?level=district")
    assert "新达标: 1" in page.locator("#pm-newly-met").inner_text()
    row = page.locator("#pm-scenario tbody tr.newly-met")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[0] == "HP-T4" and cells[5] == "45.45" and cells[6] == "0"
    assert cells[7] == "-45.45" and cells[10] == "新达标"
    shot(page, "scenario_table")
    check_clean(log, base_url)
    page.close()


def test_side_by_side_map_shares_breaks_and_follows(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/maps/compare?indicator=HP-T4&level=street")
    fills = page.evaluate("""() => ['left', 'right'].map(side => {
      const out = {};
      window.peakmapCompare[side].eachLayer(l => {
        if (l instanceof L.Path && l.feature) {
          out[l.feature.properties.code] = l.options.fillColor;
        }
      });
      return out;
    })""")
    left, right = fills
    # S1 (h1 100 % old now) and S2 (0 %) differ now; with h1 renewed S1 takes S2's colour:
    # the same value has the same colour on both sides (one set of breaks)
    assert left["S1"] != left["S2"]
    assert right["S1"] == right["S2"] == left["S2"]
    # moving one map moves the other
    before = page.evaluate("() => window.peakmapCompare.right.getZoom()")
    page.evaluate("() => { const m = window.peakmapCompare.left; "
                  "m.setZoom(m.getZoom() + 1, { animate: false }); }")
    page.wait_for_function("(z) => window.peakmapCompare.right.getZoom() === z + 1", arg=before,
                           timeout=5000)
    shot(page, "scenario_side_by_side")
    check_clean(log, base_url)
    page.close()


def test_gaps_before_after(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/maps/compare?indicator=gaps")
    heads = page.locator(".pm-side h3").all_inner_texts()
    assert heads[0].startswith("现状") and heads[1].startswith("方案")
    assert heads[0].endswith("m²")
    shot(page, "scenario_gaps")
    check_clean(log, base_url)
    page.close()
