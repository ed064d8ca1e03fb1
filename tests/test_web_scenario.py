"""The scenario pages without a browser: pairs, shared class breaks, gaps before/after.

Fixture: the tiny project of tests/test_metrics.py with
- a pipe-renewal proposal renewing h1: HP-T4 45.45 % (100 of 220 m old) → 0 %, newly met;
- no counted park now (green spaces made EG, pocket parks planned), so the residential land
  R = box(0, 0, 100, 50) = 5,000 m² is all outside the park radius; a proposed 2,000 m²
  pocket park at box(110, 10, 160, 50) earns 300 m by its size (preset gbt51346) and lies
  within 111 m of all of it: 0 m².
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from fixtures.scenario import scenario_project
from fixtures.web import TestClient

from web.app import create_app
from web.scenario import classify, shared_breaks


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return TestClient(create_app(scenario_project(tmp_path_factory.mktemp("ws"))))


def test_shared_breaks_cover_both_sides() -> None:
    now, after = np.array([0.0, 100.0]), np.array([0.0, 0.0])
    classes = shared_breaks(now, after, k=5)
    assert [c.hi for c in classes] == [0.0, 100.0]
    assert classify(now, classes).tolist() == [0, 1]
    assert classify(after, classes).tolist() == [0, 0]


def test_scenario_page_counts_newly_met(client: TestClient) -> None:
    html = client.get("/scenario?level=district").text
    assert re.search(r"新达标: <b>1</b>", html)
    row = re.search(r'<tr class="newly-met">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[0] == "HP-T4" and cells[5:8] == ["45.45", "0", "-45.45"]
    api = client.get("/api/compare?level=district").json()
    assert [(r["indicator"], r["value_now"], r["value_proposal"], r["status_change"])
            for r in api] == [("HP-T4", 45.45, 0.0, "newly-met")]
    en = client.get("/scenario?level=district&lang=en").text
    assert "newly met: <b>1</b>" in en
    # streets: S1 83.33 → 0 % moves, S2 stays 0 %, S3 has no pipe; changed=1 keeps S1 only
    assert client.get("/scenario?level=street").text.count("<tr class=") == 3
    only = client.get("/scenario?level=street&changed=1").text
    assert only.count("<tr class=") == 1 and "街道一" in only


def test_compare_map_payload_uses_one_set_of_breaks(client: TestClient) -> None:
    html = client.get("/maps/compare?indicator=HP-T4&level=street").text
    payload = json.loads(re.search(r"const data = (\{.*?\});\n", html, re.S).group(1))
    # S1: 100 of 120 m old now (h1 + h3 renewed 2022) = 83.33 %, 0 % with h1 renewed;
    # S2: h2 (25 years) = 0 % both; S3: no pipe → no data
    # Target ≤ 0 %: two distinct values (0 and 83.33), so one class each (web.classes):
    # green at 0, red at 83.33 %.
    assert payload["bins"] == pytest.approx([0.0, 83.33])
    assert payload["left"]["S1"]["color"] != payload["left"]["S2"]["color"]
    assert payload["right"]["S1"]["color"] == payload["left"]["S2"]["color"]
    assert payload["left"]["S1"]["text"] == "83.33 %"
    assert client.get("/maps/compare?indicator=NOPE").status_code == 404
    # the proposals are drawn on the right map: the renewed pipe h1 and the proposed park
    sites = {s["name"]: len(s["geo"]["features"]) for s in payload["sites"]}
    assert sites == {"proposal__heating_renewal": 1, "proposal__pocket_parks": 1}
    assert sorted(payload["shown"]) == sorted(sites)


def test_gaps_before_after_areas(client: TestClient) -> None:
    html = client.get("/maps/compare?indicator=gaps").text
    payload = json.loads(re.search(r"const data = (\{.*?\});\n", html, re.S).group(1))
    assert payload["areas"] == {"left": "5,000 m²", "right": "0 m²"}
    assert len(payload["gaps"]["left"]["features"]) == 2  # C1 and C2 halves
    assert payload["gaps"]["right"]["features"] == []
    assert payload["shown"] == ["proposal__pocket_parks"]  # the pipes are off, one click away


def test_indicator_maps_now_and_proposal_share_breaks(client: TestClient) -> None:
    now = client.get("/maps/indicator?indicator=HP-T4&level=street").text
    after = client.get("/maps/indicator?indicator=HP-T4&level=street&scenario=proposal").text
    # with the proposal every street is at 0 % (S3: no data); alone it would have one class,
    # with shared classes its legend keeps the red class of S1's 83.33 % of today
    # (target ≤ 0 %, two distinct values: a class each, green 0 %, red 83.33 %)
    for html in (now, after):
        assert "达标 0 %" in html and "未达标 83.33 %" in html
