"""The pages in headless Chromium: drawn features, no failed or outside request, escaping.

Chromium is the Debian package (``/usr/bin/chromium``, installed by ``make test`` through
scripts/ensure_system_deps.sh); playwright only drives it (never ``playwright install``).
Screenshots go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures import ingest as fx
from fixtures.browser import (
    LOAD_TIMEOUT_MS,
    check_clean,
    open_page,
    open_tooltip,
    require_chromium,
    serve_app,
    serve_records_site,
    shot,
)
from fixtures.web import RECORDS, XSS

from web.app import create_app
from web.classes import FAIL_COLORS, PASS_COLORS

pytestmark = pytest.mark.browser


require_chromium()

# JavaScript: the folium map object of the page and the number of vector layers drawn
# (the offline reference basemap underneath, pane pmBase, is not counted).
COUNT_DRAWN = """() => {
  const m = window[document.querySelector('.folium-map').id];
  let n = 0;
  m.eachLayer(l => { if (l instanceof L.Path && l.options.pane !== 'pmBase') { n += 1; } });
  return n;
}"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_records_site(tmp_path_factory.mktemp("browser") / "proj") as url:
        yield url










def test_dashboard_renders(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/?level=street")
    rows = page.locator("#pm-indicators tbody tr")
    assert rows.count() == 2
    assert "未达标" in rows.nth(1).inner_text()
    shot(page, "dashboard")
    check_clean(log, base_url)
    page.close()


def test_matrix_filters_and_drills_down(browser: Any, base_url: str) -> None:
    """Rows: 和平区, 西街道 S1 (HP-04 pass), 东街道 S2 (HP-04 fail); C2 (S1) fails HP-T2."""
    page, log = open_page(browser, f"{base_url}/")
    rows = page.locator("#pm-matrix tbody tr")
    assert rows.count() == 3
    assert page.evaluate("() => window.peakmapMatrixShown") == {"rows": 3, "columns": 1}
    # The failing community of S1 is named on its row, as text (its name is a script).
    assert XSS in rows.nth(1).locator("th.zone").inner_text()
    shot(page, "matrix")
    # The status goes to the server (every page): the page reloads with the failing street.
    with page.expect_navigation():
        page.select_option("#pm-status", "fail")
    assert "status=fail" in page.url
    assert page.evaluate("() => window.peakmapMatrixShown") == {"rows": 1, "columns": 1}
    assert rows.count() == 2 and rows.nth(1).get_attribute("data-zone") == "S2"
    assert not rows.nth(0).is_visible()  # the district row has no failing cell
    with page.expect_navigation():
        page.select_option("#pm-status", "")
    assert rows.count() == 3
    page.fill("#pm-search", "西")  # typing filters the page shown at once
    assert page.evaluate("() => window.peakmapMatrixShown") == {"rows": 1, "columns": 1}
    with page.expect_navigation():  # Enter asks the server
        page.press("#pm-search", "Enter")
    assert "q=%E8%A5%BF" in page.url and rows.count() == 2
    assert page.evaluate("() => window.peakmapMatrixShown") == {"rows": 1, "columns": 1}
    page.fill("#pm-search", "")
    with page.expect_navigation():
        page.click("#pm-summary button[data-status=pass]")
    assert page.evaluate("() => window.peakmapMatrixShown") == {"rows": 2, "columns": 1}
    page.click("#pm-matrix tbody tr[data-zone=S1] th a")
    page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
    assert "street=S1" in page.url
    zones = page.locator("#pm-matrix tbody tr").evaluate_all(
        "trs => trs.map(tr => tr.dataset.zone)")
    assert zones == ["S1", "C1", "C2"]
    shot(page, "matrix_street")
    check_clean(log, base_url)
    page.close()
    page, log = open_page(browser, f"{base_url}/?lang=en")
    assert "Street × indicator compliance" in page.inner_text("h2")
    shot(page, "matrix_en")
    check_clean(log, base_url)
    page.close()


def test_layers_map_draws_inline_and_loaded_layers(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/maps/layers")
    page.wait_for_function("() => window.peakmapLoaded && 'buildings' in window.peakmapLoaded",
                           timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("() => window.peakmapLoaded.buildings") == 3
    # Shown by default: district 1 + streets 2 + parks 2 + recycling 2 + buildings 3.
    assert page.evaluate(COUNT_DRAWN) == 10
    # Districts, streets, communities, land use, buildings, green, recycling, pipes, roads.
    assert page.locator(".leaflet-control-layers-overlays label").count() == 9
    assert page.locator("#pm-legend").is_visible()
    shot(page, "layers_map")
    check_clean(log, base_url)
    page.close()


def test_indicator_map_draws_zones_with_status(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/maps/indicator?indicator=HP-04&level=street")
    assert page.evaluate(COUNT_DRAWN) == 2
    fills = page.evaluate("""() => {
      const m = window[document.querySelector('.folium-map').id];
      const out = [];
      m.eachLayer(l => { if (l instanceof L.Path && l.options.pane !== 'pmBase') {
        out.push(l.options.fillColor); } });
      return out.sort();
    }""")
    # Target ≥ 8,000 m²: two values, a class each (web.classes). S2 (5,000) is the
    # farthest from the target (3,000): the darkest red; S1 (10,000) is 2,000 beyond it,
    # 2/3 of the way on the 4 greens: index 2.
    assert fills == sorted([PASS_COLORS[2], FAIL_COLORS[0]])
    # The offline reference basemap: 2 land-use parcels + 2 roads, under the zones.
    page.wait_for_function("() => window.peakmapBasemapLoaded === 4", timeout=LOAD_TIMEOUT_MS)
    labels = page.locator(".pm-label").all_inner_texts()
    assert sorted(labels) == ["东街道", "西街道"]
    scale = page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0])
    shot(page, "indicator_map_labels_basemap")
    check_clean(log, base_url)
    page.close()


# JavaScript: how far the header bar's content runs past its width, and the right edge of
# its last item (the language switch) — both must stay inside the window.
BAR_FIT = """() => {
  const bar = document.querySelector('.pm-bar');
  return [bar.scrollWidth - bar.clientWidth,
          document.getElementById('pm-lang').getBoundingClientRect().right];
}"""


@pytest.mark.parametrize("path", ["/?lang=en", "/?lang=en&level=district", "/upload?lang=en",
                                  "/maps/indicator?indicator=HP-04&level=street&lang=en",
                                  "/maps/gaps?lang=en"])
def test_english_bar_fits_1400_px(browser: Any, base_url: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{base_url}{path}", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=LOAD_TIMEOUT_MS)
    overflow, right = page.evaluate(BAR_FIT)
    assert overflow <= 0 and right <= 1400
    shot(page, "bar_en_1400_" + re.sub(r"\W+", "_", path).strip("_"))
    page.close()


def test_script_in_a_name_shows_as_text(browser: Any, base_url: str) -> None:
    # Inline layer: the community choropleth (tooltip HTML built server-side, escaped).
    page, log = open_page(browser, f"{base_url}/maps/indicator?indicator=HP-T2&level=community")
    text = open_tooltip(page, "onerror")
    assert XSS in text
    assert page.locator(".leaflet-tooltip img").count() == 0
    shot(page, "xss_inline_tooltip")
    check_clean(log, base_url)
    page.close()
    # Loaded layer: buildings from the API (tooltip built with textContent in peakmap.js).
    page, log = open_page(browser, f"{base_url}/maps/layers")
    page.wait_for_function("() => window.peakmapLoaded && 'buildings' in window.peakmapLoaded",
                           timeout=LOAD_TIMEOUT_MS)
    text = open_tooltip(page, "onerror")
    assert XSS in text
    assert page.locator(".leaflet-tooltip img").count() == 0
    shot(page, "xss_loaded_tooltip")
    check_clean(log, base_url)
    page.close()


def test_tooltips_translate_fields_and_codes(browser: Any, base_url: str) -> None:
    # Loaded layer (peakmap.js): building b2, residential, 6 floors, 40 × 30 m.
    page, log = open_page(browser, f"{base_url}/maps/layers")
    page.wait_for_function("() => window.peakmapLoaded && 'buildings' in window.peakmapLoaded",
                           timeout=LOAD_TIMEOUT_MS)
    text = open_tooltip(page, "residential")
    assert "用途: 居住" in text and "层数: 6 层" in text and "面积: 1,200 m²" in text
    assert "residential" not in text and "floors" not in text
    shot(page, "tooltip_loaded_zh")
    check_clean(log, base_url)
    page.close()
    # Inline layer (Python): recycling point r1, delivered as 社区回收点 → community_point.
    page, log = open_page(browser, f"{base_url}/maps/layers?lang=en")
    text = open_tooltip(page, "</span> r1<")
    assert "kind: community collection point" in text and "community_point" not in text
    check_clean(log, base_url)
    page.close()


def test_pv_and_gaps_maps(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/maps/pv?lang=en")
    page.wait_for_function("() => window.peakmapLoaded && 'buildings' in window.peakmapLoaded",
                           timeout=LOAD_TIMEOUT_MS)
    fills = page.evaluate("""() => {
      const m = window[document.querySelector('.folium-map').id];
      const out = {};
      m.eachLayer(l => { if (l.feature && l.feature.properties.id) {
        out[l.feature.properties.id] = l.options.fillColor; } });
      return out;
    }""")
    # Roofs 20×20, 40×30, 30×30 m; PV 40, 0, 150 m² → 10 %, 0 %, 16.7 %.
    assert fills == {"b1": "#fff59d", "b2": "#e0e0e0", "b3": "#ffca28"}
    shot(page, "pv_map")
    check_clean(log, base_url)
    page.close()
    page, log = open_page(browser, f"{base_url}/maps/gaps")
    assert page.evaluate(COUNT_DRAWN) >= 2
    shot(page, "gaps_map")
    check_clean(log, base_url)
    page.close()


def test_api_docs_render_offline(browser: Any, base_url: str) -> None:
    page, log = open_page(browser, f"{base_url}/docs")
    page.locator(".opblock").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    assert page.locator(".opblock").count() >= 8  # health, indicators, layers, uploads...
    shot(page, "api_docs")
    check_clean(log, base_url)
    page.close()


def test_upload_page_rejects_then_accepts(browser: Any, base_url: str, tmp_path: Path) -> None:
    """A CSV with two problems is refused with both listed; the good one is checked, stored."""
    bad = tmp_path / "recycling.csv"
    bad.write_text(fx.recycling_csv().replace("r2,中转站", "r1,垃圾桶"), encoding="utf-8")
    good = tmp_path / "good" / "recycling.csv"
    good.parent.mkdir()
    good.write_text(fx.recycling_csv(), encoding="utf-8")
    page, log = open_page(browser, f"{base_url}/upload")
    page.select_option("#pm-layer", "recycling_points")
    page.set_input_files("#pm-file", str(bad))
    page.click("#pm-check")
    page.wait_for_function("() => window.peakmapUploadChecked", timeout=LOAD_TIMEOUT_MS)
    items = page.locator("#pm-result li").all_inner_texts()
    assert len(items) == 2 and any("垃圾桶" in i for i in items)
    # Chinese first (layers.messages), the build's English under it
    assert any(i.startswith("recycling.csv，图层 再生资源回收点") and "编号不唯一" in i
               and "原文: recycling.csv, layer recycling_points" in i for i in items), items
    assert page.locator("#pm-confirm").is_disabled()
    shot(page, "upload_rejected")
    # The good file, dropped on the drop zone as a planner would.
    content = good.read_text(encoding="utf-8")
    page.evaluate("""(text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'recycling.csv', { type: 'text/csv' }));
      document.getElementById('pm-drop').dispatchEvent(
        new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }""", content)
    assert page.inner_text("#pm-file-name").startswith("recycling.csv")
    page.evaluate("() => { window.peakmapUploadChecked = null; }")
    page.click("#pm-check")
    page.wait_for_function("() => window.peakmapUploadChecked", timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("() => window.peakmapUploadChecked.ok") is True
    shot(page, "upload_checked")
    page.click("#pm-confirm")
    page.wait_for_function("() => window.peakmapUploadStored", timeout=LOAD_TIMEOUT_MS)
    assert page.evaluate("() => window.peakmapUploadStored.status") == 201
    assert "读取要素: 2" in page.inner_text("#pm-result")
    shot(page, "upload_stored")
    check_clean(log, base_url)
    page.close()


def test_records_fixture_is_the_shared_one() -> None:
    assert RECORDS[0]["indicator"] == "HP-04"


@pytest.mark.slow
def test_heping_layers_map_in_chromium(browser: Any, heping_built: Path) -> None:
    app = create_app(heping_built)
    app.state.data.records()  # computed once before the pages (the first one would wait)
    with serve_app(app) as base:
        page, log = open_page(browser, f"{base}/")
        # The sample's six streets under the district row, every one with its cells.
        assert page.locator("#pm-matrix tbody tr[data-level=street]").count() == 6
        shot(page, "heping_matrix")
        check_clean(log, base)
        page.close()
        page, log = open_page(browser, f"{base}/maps/layers")
        page.wait_for_function("""() => window.peakmapLoaded && Object.keys(
            window.peakmapLoaded).length >= (window.peakmapExpected || 0)""",
                               timeout=LOAD_TIMEOUT_MS)
        assert page.evaluate(COUNT_DRAWN) > 500
        shot(page, "heping_layers_map")
        check_clean(log, base)
        page.close()
        page, log = open_page(browser, f"{base}/maps/indicator?indicator=HP-18&level=community")
        assert page.evaluate(COUNT_DRAWN) == 64
        shot(page, "heping_hp18_communities")
        check_clean(log, base)
        page.close()
