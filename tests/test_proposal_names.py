"""Proposed sites' names on English pages: the siting models' words in English, same ids.

The tiny siting project (tests/fixtures/siting.py) proposes, as tests/test_siting.py works
out by hand: two community points (one per community: C2 and C3), one transfer station in
street S2, and two pocket parks on the strip (plots A and B). The models store their names
in Chinese (``拟建回收点 PR-RC-0001``); a page in English shows ``Proposed recycling point
PR-RC-0001`` — inline tooltips (Python) and tooltips of layers loaded by bounding box
(peakmap.js) alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.siting import make_siting_project
from fixtures.web import TestClient

from layers.labels import PROPOSED_NAMES, proposal_name
from layers.project import Project
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture(scope="module")
def sited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from layers.siting import (
        apply_proposal,
        site_pocket_parks,
        site_recycling,
        site_transfer,
        siting_params,
    )

    root = tmp_path_factory.mktemp("names") / "p"
    project = make_siting_project(root)
    params = siting_params(project, {"candidate_sources": ["public_building"],
                                     "min_per_community": 1,
                                     "pocket_park_indicator": "T-STRIP",
                                     "pocket_park_cell_m": 20.0})
    apply_proposal(project, site_recycling(project, params))
    apply_proposal(project, site_transfer(project, params))
    apply_proposal(project, site_pocket_parks(project, params, count=2))
    return root


def _street_s2(root: Path) -> str:
    streets = Project(root).store.read("streets")
    return str(streets.loc[streets["code"] == "S2", "name"].item())


def _expected(root: Path, lang: str) -> list[str]:
    s2 = _street_s2(root)
    if lang == "zh":
        return ["拟建回收点 PR-RC-0001", "拟建回收点 PR-RC-0002", f"拟建中转站 {s2}",
                "拟建口袋公园 PR-PP-0001", "拟建口袋公园 PR-PP-0002"]
    return ["Proposed recycling point PR-RC-0001", "Proposed recycling point PR-RC-0002",
            f"Proposed transfer station {s2}", "Proposed pocket park PR-PP-0001",
            "Proposed pocket park PR-PP-0002"]


def test_stored_names_stay_chinese_and_translate_by_their_words(sited: Path) -> None:
    store = Project(sited).store
    names = sorted(store.read("proposal__recycling_points")["name"].astype(str)) + sorted(
        store.read("proposal__pocket_parks")["name"].astype(str))
    assert sorted(names) == sorted(_expected(sited, "zh"))
    assert sorted(proposal_name(n, "en") for n in names) == sorted(_expected(sited, "en"))
    assert [proposal_name(n, "zh") for n in names] == names
    # a planner's own name, or a word that only starts like a model's, stays as it is
    assert proposal_name("拟建回收点甲", "en") == "拟建回收点甲"
    assert proposal_name("西街道口袋公园", "en") == "西街道口袋公园"
    assert len({zh for zh, _ in PROPOSED_NAMES.values()}) == len(PROPOSED_NAMES)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_gaps_map_tooltips_name_the_sites_in_the_page_language(sited: Path, lang: str
                                                               ) -> None:
    page = TestClient(create_app(sited, settings=WebSettings())).get(
        f"/maps/gaps?lang={lang}").text
    for name in _expected(sited, lang):
        assert name in page, name
    if lang == "en":
        assert "拟建" not in page
    else:
        assert "Proposed recycling point" not in page


@pytest.mark.browser
def test_loaded_proposal_layer_tooltips_in_english(sited: Path) -> None:
    """Above the inline limit the layers load from the API: peakmap.js names the sites."""
    from fixtures.browser import (
        LOAD_TIMEOUT_MS,
        launch_chromium,
        open_page,
        open_tooltip,
        require_chromium,
        serve_app,
        shot,
    )

    require_chromium()
    app = create_app(sited, settings=WebSettings(inline_feature_limit=0, detail_zoom=0))
    browser: Any
    with serve_app(app) as url, launch_chromium() as browser:
        for lang, (point, park) in (("en", ("Proposed recycling point PR-RC-0002",
                                            "Proposed pocket park PR-PP-0001")),
                                    ("zh", ("拟建回收点 PR-RC-0002", "拟建口袋公园 PR-PP-0001"))):
            page, _ = open_page(browser, f"{url}/maps/gaps?lang={lang}")
            page.wait_for_function(
                "() => window.peakmapLoaded && 'proposal__recycling_points' in "
                "window.peakmapLoaded && 'proposal__pocket_parks' in window.peakmapLoaded",
                timeout=LOAD_TIMEOUT_MS)
            assert point in open_tooltip(page, "PR-RC-0002")
            page.close()
            page, _ = open_page(browser, f"{url}/maps/gaps?lang={lang}")
            page.wait_for_function(
                "() => window.peakmapLoaded && 'proposal__pocket_parks' in "
                "window.peakmapLoaded", timeout=LOAD_TIMEOUT_MS)
            text = open_tooltip(page, "PR-PP-0001")
            assert park in text
            shot(page, f"proposal_names_loaded_{lang}")
            page.close()
