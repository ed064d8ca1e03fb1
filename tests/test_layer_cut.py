"""A stored layer is cut by the communities once per run, whatever rows read it.

On the tiny project of tests/fixtures/tiny.py (communities C1 = x 0–50, C2 = 50–100,
C3 = 100–200, C4 = 200–300; y 0–100): landuse R (0–100 × 0–50, built up), E (0–100 × 50–100,
not built up) and B (100–200 × 0–100, built up).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fixtures.tiny import YEAR, make_project

import layers.indicators.cut as cut
from layers.demand import residential_land
from layers.indicators.engine import metric_context
from layers.indicators.inputs import NoData, read_layer
from layers.project import Project


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("tiny_cut"))


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many features each call of the cut receives."""
    calls: list[int] = []
    real = cut.split_by_zones

    def counted(geoms: Any, zones: Any, **kw: Any) -> Any:
        calls.append(len(geoms))
        return real(geoms, zones, **kw)

    monkeypatch.setattr(cut, "split_by_zones", counted)
    return calls


def test_each_feature_is_cut_once_and_each_filter_gets_its_own_parts(
    tiny: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    ctx = metric_context(tiny, year=YEAR)
    built, _ = cut.cut_layers(ctx, [{"layer": "landuse", "where": {"built_up": True}}],
                              what="t")
    # R splits 2,500 + 2,500 over C1 | C2, B lies in C3 (10,000)
    assert built.sum_by_zone(None, 4).tolist() == pytest.approx([2500, 2500, 10000, 0])
    assert calls == [2]  # R and B
    # residential land (R, part of the built-up land): no new cut, R's two parts
    pieces, zone = residential_land(ctx)
    assert calls == [2]
    assert sorted(zone.tolist()) == [0, 1]
    assert np.asarray([p.area for p in pieces]).tolist() == pytest.approx([2500, 2500])
    # the whole layer now: only E is cut (C1 | C2, 2,500 each)
    every, _ = cut.cut_layers(ctx, [{"layer": "landuse"}], what="t")
    assert calls == [2, 1]
    assert every.sum_by_zone(None, 4).tolist() == pytest.approx([5000, 5000, 10000, 0])
    # feature numbers are the rows of the layer (R 0, E 1, B 2)
    frame = read_layer(ctx, "landuse")
    rows = dict(zip(frame["code"].tolist(), range(len(frame)), strict=True))
    assert sorted(set(every.feature.tolist())) == sorted(rows.values())
    assert set(built.feature.tolist()) == {rows["R"], rows["B"]}


def test_entries_number_their_features_apart_and_absent_layers_are_noted(
    tiny: Project,
) -> None:
    ctx = metric_context(tiny, year=YEAR)
    entries = [{"layer": "landuse", "where": {"code": "B"}}, {"layer": "no_such_layer"},
               {"layer": "landuse", "where": {"code": "B"}}]
    pieces, notes = cut.cut_layers(ctx, entries, what="t")
    assert len(notes) == 1 and "no_such_layer" in notes[0]
    assert len(pieces.feature) == 2 and pieces.feature[0] != pieces.feature[1]
    with pytest.raises(NoData, match=r"t: .*no_such_layer"):
        cut.cut_layers(ctx, [{"layer": "no_such_layer"}], what="t")


def test_a_new_context_cuts_again(tiny: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    for _ in range(2):
        ctx = metric_context(tiny, year=YEAR)
        cut.cut_layers(ctx, [{"layer": "landuse"}], what="t")
    assert calls == [3, 3]
