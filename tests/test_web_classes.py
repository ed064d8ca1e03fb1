"""Classes of indicator maps, worked out by hand (web/classes.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from fixtures.web import TestClient, build_fixture, record

from web.app import create_app
from web.classes import (
    FAIL_COLORS,
    NEUTRAL_COLORS,
    PASS_COLORS,
    class_label,
    classify_indicator,
    legend_items,
)
from web.maps import NO_DATA_COLOR, ZONE_FILL_OPACITY
from web.settings import WebSettings


def test_target_splits_met_from_not_met() -> None:
    # ≥ 60 %: 10 and 50 fail, 60 / 80 / 100 pass. Five distinct values, more than k = 4
    # classes, so ranges: k = 4 allows two fail classes, 10 – 60 in two steps (10, 35, 60);
    # the pass side gets k // 2 = 2: 60, 80, 100.
    idx, cls = classify_indicator([10.0, 50.0, 60.0, 80.0, 100.0, np.nan], op=">=",
                                  target=60.0, unit="%", k=4)
    assert [(c.lo, c.hi, c.meets) for c in cls] == [
        (10.0, 35.0, False), (35.0, 60.0, False), (60.0, 80.0, True), (80.0, 100.0, True)]
    assert idx.tolist() == [0, 1, 2, 2, 3, -1]
    # Green means met on every map: darker further beyond, red darker further away.
    assert [c.color for c in cls] == [*FAIL_COLORS[2:], *PASS_COLORS[:2]]
    assert class_label(cls[1], 2, "%") == "35 – < 60 %"


def test_at_most_target_puts_green_below() -> None:
    # ≤ 0 %: a share of old pipes; 0 meets, 10 and 40 do not (three values, k = 2: ranges).
    idx, cls = classify_indicator([0.0, 10.0, 40.0], op="<=", target=0.0, unit="%", k=2)
    assert cls[0].meets is True and all(c.meets is False for c in cls[1:])
    assert cls[0].color in PASS_COLORS and all(c.color in FAIL_COLORS for c in cls[1:])
    assert [cls[i].meets for i in idx] == [True, False, False]
    assert class_label(cls[1], 2, "%").startswith("> 0")


def test_narrow_range_gets_no_more_classes_than_its_precision() -> None:
    # Three distinct values 0.01 apart at a precision of 0.01: never five classes.
    idx, cls = classify_indicator([29.00, 29.01, 29.01, 29.02], op=None, target=None,
                                  unit="%", k=5)
    assert len(cls) == 3 and idx.tolist() == [0, 1, 1, 2]
    # 64 shares between 29.0 and 31.2 %, far from a target of ≤ 0: one red class each
    # step of the fail side, never more than the three fail colours.
    vals = np.linspace(29.0, 31.2, 64)
    _, cls = classify_indicator(vals, op="<=", target=0.0, unit="%", k=5)
    assert len(cls) <= 3 and all(c.meets is False for c in cls)


def test_no_target_fixed_steps_for_wide_shares_quantiles_otherwise() -> None:
    # six distinct shares, more than k = 5: fixed steps of 20 points
    _, cls = classify_indicator([3.0, 27.0, 44.0, 55.0, 71.0, 98.0], op=None, target=None,
                                unit="%", k=5)
    assert [(c.lo, c.hi) for c in cls] == [(0, 20), (20, 40), (40, 60), (60, 80), (80, 100)]
    assert all(c.meets is None for c in cls)
    # Areas: quartiles of 1..9 × 1000 m² with k = 4 → 1000, 3000, 5000, 7000, 9000.
    idx, cls = classify_indicator([1000.0 * i for i in range(1, 10)], op=None, target=None,
                                  unit="m²", k=4)
    assert [(c.lo, c.hi) for c in cls] == [(1000, 3000), (3000, 5000), (5000, 7000),
                                           (7000, 9000)]
    assert idx.tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3]


def test_all_missing_has_no_class() -> None:
    idx, cls = classify_indicator([np.nan, np.nan], op=">=", target=1.0, unit="%")
    assert cls == [] and idx.tolist() == [-1, -1]


def test_two_values_are_two_classes_at_the_ends_of_the_scale() -> None:
    # HP-10 by community: every share is 0 or 100 %. Two classes, the values themselves;
    # 0 is the lightest blue and 100 the darkest (where they sit on 0 – 100), not five
    # 20-point steps of which three are empty.
    idx, cls = classify_indicator([0.0, 100.0, 100.0, np.nan, 0.0], op=None, target=None,
                                  unit="%", k=5)
    assert [(c.lo, c.hi, c.color) for c in cls] == [(0, 0, NEUTRAL_COLORS[0]),
                                                    (100, 100, NEUTRAL_COLORS[-1])]
    assert idx.tolist() == [0, 1, 1, -1, 0]
    assert [label for _, label in legend_items(cls, "%", "en")] == ["0 %", "100 %"]
    # HP-11 (≥ 60 %): 0 is as far below as a share goes (darkest red), 100 as far beyond
    # (darkest green); before, one light class each side read "0 – < 60" and "60 – 100".
    idx, cls = classify_indicator([0.0, 100.0, 0.0], op=">=", target=60.0, unit="%", k=5)
    assert [(c.lo, c.hi, c.meets, c.color) for c in cls] == [
        (0, 0, False, FAIL_COLORS[0]), (100, 100, True, PASS_COLORS[-1])]
    assert idx.tolist() == [0, 1, 0]
    assert [label for _, label in legend_items(cls, "%", "en")] == ["not met 0 %",
                                                                    "met 100 %"]


def test_at_most_k_values_one_class_each_more_get_ranges() -> None:
    # k = 3: three distinct areas are three classes, 1 / 2 / 3 m² at the start, middle
    # and end of the blues (no share, so the scale runs from the least to the most).
    idx, cls = classify_indicator([3.0, 1.0, 2.0], op=None, target=None, unit="m²", k=3)
    assert [(c.lo, c.hi, c.color) for c in cls] == [
        (1, 1, NEUTRAL_COLORS[0]), (2, 2, NEUTRAL_COLORS[2]), (3, 3, NEUTRAL_COLORS[5])]
    assert idx.tolist() == [2, 0, 1]
    # four distinct values, k = 3: tertiles of 1, 2, 3, 4 → 1, 2, 3, 4 at their quantiles
    _, cls = classify_indicator([1.0, 2.0, 3.0, 4.0], op=None, target=None, unit="m²", k=3)
    assert len(cls) == 3 and all(c.lo < c.hi for c in cls)
    # Shares 40 and 41 % would both sit at the middle blue: spread by rank instead, so
    # each value keeps a colour of its own.
    _, cls = classify_indicator([40.0, 41.0], op=None, target=None, unit="%", k=5)
    assert [c.color for c in cls] == [NEUTRAL_COLORS[0], NEUTRAL_COLORS[-1]]
    # A share of 50 % alone: the middle of the 0 – 100 scale (index 2.5 → 2).
    _, cls = classify_indicator([50.0, 50.0], op=None, target=None, unit="%", k=5)
    assert [(c.lo, c.color) for c in cls] == [(50, NEUTRAL_COLORS[2])]
    # ≥ 60 %: 50 fails (near the target: a light red), 30 further (darker); 70 and 100
    # pass, 100 the darkest green. Distance of each from 60 over 60 (below) or 40 (above),
    # times 3 steps: 30 → 1.5 → 2, 50 → 0.5 → 0 (rounded to even), 70 → 0.75 → 1, 100 → 3.
    _, cls = classify_indicator([30.0, 50.0, 70.0, 100.0], op=">=", target=60.0, unit="%",
                                k=5)
    assert [c.color for c in cls] == [FAIL_COLORS[1], FAIL_COLORS[3], PASS_COLORS[1],
                                      PASS_COLORS[3]]
    # Not a share: one scale of distance from the target on both sides, to the farthest
    # value (5,000 is 3,000 below 8,000: darkest red; 10,000 is 2,000 above: 2/3 × 3 = 2).
    _, cls = classify_indicator([5000.0, 10000.0], op=">=", target=8000.0, unit="m²")
    assert [c.color for c in cls] == [FAIL_COLORS[0], PASS_COLORS[2]]


def test_two_value_map_legend_and_fills(tmp_path: Path) -> None:
    """The page of a 0 / 100 % map: two swatches (the values) and two fills, the same
    opacity on the zones and in the legend."""
    project = build_fixture(tmp_path / "proj")
    shares = {"C1": 100.0, "C2": 0.0, "C3": 100.0}
    recs = [{**record("community", c, c, v, None, "no-target", None), "unit": "%"}
            for c, v in shares.items()]
    app = create_app(project, settings=WebSettings(), records_fn=lambda _p: recs)
    page = TestClient(app).get("/maps/indicator?indicator=HP-04&level=community&lang=en").text
    legend = page[page.index('id="pm-legend"'):]
    rows = re.findall(r'class="sw" style="background:(#[0-9a-f]{6});opacity:([0-9.]+)">'
                      r"</span>([^<]*)</div>", legend)
    assert rows == [(NEUTRAL_COLORS[0], str(ZONE_FILL_OPACITY), "0 %"),
                    (NEUTRAL_COLORS[-1], str(ZONE_FILL_OPACITY), "100 %"),
                    (NO_DATA_COLOR, str(ZONE_FILL_OPACITY), "no data")]
    assert "20 – 40" not in legend
    # the zones' styler: C1 and C3 (features 0 and 2) the darkest blue, C2 the lightest
    styler = page[page.index("_styler(feature)"):page.index("_pointToLayer")]
    fills = re.findall(r'"fillColor": "(#[0-9a-f]{6})", "fillOpacity": ([0-9.]+)', styler)
    assert "case 0: case 2:" in styler
    assert fills == [(NEUTRAL_COLORS[-1], str(ZONE_FILL_OPACITY)),
                     (NEUTRAL_COLORS[0], str(ZONE_FILL_OPACITY))]
