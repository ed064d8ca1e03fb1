"""Classes of indicator maps, worked out by hand (web/classes.py)."""

from __future__ import annotations

import numpy as np

from web.classes import FAIL_COLORS, PASS_COLORS, class_label, classify_indicator


def test_target_splits_met_from_not_met() -> None:
    # ≥ 60 %: 10 and 50 fail, 60 / 80 / 100 pass. k = 5 allows three fail classes, but
    # two distinct failing values give two: 10 – 60 in two steps (10, 35, 60); the pass
    # side gets k // 2 = 2: 60, 80, 100.
    idx, cls = classify_indicator([10.0, 50.0, 60.0, 80.0, 100.0, np.nan], op=">=",
                                  target=60.0, unit="%", k=5)
    assert [(c.lo, c.hi, c.meets) for c in cls] == [
        (10.0, 35.0, False), (35.0, 60.0, False), (60.0, 80.0, True), (80.0, 100.0, True)]
    assert idx.tolist() == [0, 1, 2, 2, 3, -1]
    # Green means met on every map: darker further beyond, red darker further away.
    assert [c.color for c in cls] == [*FAIL_COLORS[2:], *PASS_COLORS[:2]]
    assert class_label(cls[1], 2, "%") == "35 – < 60 %"


def test_at_most_target_puts_green_below() -> None:
    # ≤ 0 %: a share of old pipes; 0 meets, 10 and 40 do not.
    idx, cls = classify_indicator([0.0, 10.0, 40.0], op="<=", target=0.0, unit="%", k=5)
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
    _, cls = classify_indicator([3.0, 27.0, 55.0, 71.0, 98.0], op=None, target=None,
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
