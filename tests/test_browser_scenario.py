"""The scenario view in headless Chromium: the now-vs-proposal table and the side-by-side map.

Tiny project of tests/test_metrics.py (see tests/test_web_scenario.py for the fixture): a
pipe-renewal proposal (h1 renewed) makes HP-T4 fall from 45.45 % (100 of 220 m old) to 0 %,
newly met; no park counts now, so the residential land (5,000 m²) is all uncovered, and the
proposed pocket park covers all of it. Screenshots go to
``test-output/screenshots/scenario*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.browser import check_clean, open_page, require_chromium, serve_app, shot
from fixtures.scenario import scenario_project

from web.app import create_app

pytestmark = pytest.mark.browser
require_chromium()



@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = scenario_project(tmp_path_factory.mktemp("scenario"))
    app = create_app(Path(root))
    with serve_app(app) as url:
        yield url


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
    assert heads == ["现状 — 5,000 m²", "方案 — 0 m²"]
    drawn = page.evaluate("""() => ['left', 'right'].map(side => {
      let n = 0;
      window.peakmapCompare[side].eachLayer(l => {
        const f = l.feature;
        if (l instanceof L.Path && f && !f.properties.code && !f.properties.layer) { n += 1; }
      });
      return n;
    })""")
    assert drawn[0] >= 1 and drawn[1] == 0  # uncovered land drawn now, none with the park
    sites = page.evaluate("""() => {
      const out = [];
      window.peakmapCompare.right.eachLayer(l => {
        if (l.feature && l.feature.properties.layer) { out.push(l.feature.properties.layer); }
      });
      return out.sort();
    }""")
    assert sites == ["proposal__pocket_parks"]  # on the right; the renewed pipes are switched off
    assert page.locator(".leaflet-control-layers-overlays label").count() == 2
    shot(page, "scenario_gaps")
    check_clean(log, base_url)
    page.close()
