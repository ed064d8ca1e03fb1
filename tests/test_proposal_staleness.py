"""A siting proposal is stale exactly when a layer its model read differs now.

The heating project is the one of tests/test_heating.py (pipes a–e, streets S1–S3); the
store metadata is exercised directly for the partly rewritten recycling layer.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from fixtures.scenario import renewal_project
from fixtures.tiny import YEAR

from layers.heating_renewal import INPUTS, RENEWAL_LAYER, apply_renewal, propose_renewal
from layers.project import Project
from layers.siting import PROPOSAL_INPUTS, PROPOSAL_PARKS, PROPOSAL_POINTS, parks, recycling
from layers.store.meta import StoreMeta
from layers.store.proposals import proposal_states


def _state(project: Project) -> tuple[bool, tuple[str, ...]]:
    (state,) = [s for s in proposal_states(project.store.meta()) if s.layer == RENEWAL_LAYER]
    return state.stale, state.changed_after


def _rewrite(project: Project, name: str, frame: gpd.GeoDataFrame | None = None) -> None:
    store = project.store
    store.write_layers({name: store.read(name) if frame is None else frame})


def test_heating_proposal_is_stale_only_when_pipes_or_streets_change(tmp_path: Path) -> None:
    project = renewal_project(tmp_path)
    for name in ("streets", "buildings", "communities"):
        _rewrite(project, name)  # every layer known to the store's versions
    outcome = propose_renewal(project, year=YEAR)
    assert outcome.inputs == INPUTS == ("heating_pipes", "streets")  # not calibrated here
    apply_renewal(project, outcome)
    assert set(project.store.meta().inputs[RENEWAL_LAYER].digests) == set(INPUTS)
    assert _state(project) == (False, ())
    # layers the ranking does not read: still fresh (the old rule said stale: every layer)
    b = project.store.read("buildings")
    _rewrite(project, "buildings", b.iloc[:-1])
    c = project.store.read("communities")
    _rewrite(project, "communities", c.iloc[:-1])
    assert _state(project) == (False, ())
    # a pipe changes: stale, naming the pipes
    pipes = project.store.read("heating_pipes")
    _rewrite(project, "heating_pipes", pipes[pipes["id"] != "d"])
    assert _state(project) == (True, ("heating_pipes",))
    # putting the pipes back as they were makes it fresh again (same content, same digest)
    _rewrite(project, "heating_pipes", pipes)
    assert _state(project) == (False, ())
    # streets change, then the model is re-run with the same result: fresh again (the old
    # rule kept it stale, as the proposal's own content did not change)
    streets = project.store.read("streets")
    streets.loc[0, "name"] = "新名字"
    _rewrite(project, "streets", streets)
    assert _state(project) == (True, ("streets",))
    again = propose_renewal(project, year=YEAR)
    assert again.proposal["id"].tolist() == outcome.proposal["id"].tolist()
    apply_renewal(project, again)
    assert _state(project) == (False, ())


def test_calibrated_heating_proposal_also_reads_the_buildings(tmp_path: Path) -> None:
    project = renewal_project(tmp_path)
    (tmp_path / "targets.toml").write_text(
        "[params.heating]\nbaseline_rate_percent = 10\nbaseline_year = 2020\n",
        encoding="utf-8")
    project = Project(tmp_path)
    _rewrite(project, "buildings")
    outcome = propose_renewal(project, year=YEAR)
    assert outcome.inputs == ("heating_pipes", "streets", "buildings")
    apply_renewal(project, outcome)
    b = project.store.read("buildings")
    _rewrite(project, "buildings", b.iloc[:-1])
    assert _state(project) == (True, ("buildings",))


def test_models_declare_their_inputs() -> None:
    assert PROPOSAL_INPUTS == {PROPOSAL_POINTS: recycling.INPUTS, PROPOSAL_PARKS: parks.INPUTS}
    assert "recycling_points" in recycling.INPUTS and "green_spaces" in parks.INPUTS
    assert "green_spaces" not in recycling.INPUTS and "heating_pipes" not in parks.INPUTS


def test_partly_rewritten_proposal_keeps_the_older_rows_inputs() -> None:
    """Recycling points and transfer stations share one layer, each kind replaced alone."""
    layer = "proposal__recycling_points"
    m = StoreMeta().next({"a": "a1", "b": "b1"}, {"a", "b"})
    # the first run (community points) read a and b; the layer is new, so nothing to merge
    m = m.next({layer: "p1"}, {"a", "b", layer}, inputs={layer: ["a", "b"]},
               merge_inputs=frozenset({layer}))
    assert proposal_states(m)[0].changed_after == ()
    m = m.next({"a": "a2"}, {"a", "b", layer})  # a changes
    assert proposal_states(m)[0].changed_after == ("a",)
    # the second kind is re-run on the new a: the first kind's rows still come from a1
    m = m.next({layer: "p2"}, {"a", "b", layer}, inputs={layer: ["a", "b"]},
               merge_inputs=frozenset({layer}))
    assert proposal_states(m)[0].changed_after == ("a",)
    # the whole layer re-run: fresh
    m = m.next({layer: "p3"}, {"a", "b", layer}, inputs={layer: ["a", "b"]})
    assert proposal_states(m)[0].changed_after == ()
    # an input that disappears counts as changed; a layer written by hand loses its record
    m = m.next({}, {"a", layer})
    assert proposal_states(m)[0].changed_after == ("b",)
    m = m.next({layer: "p4"}, {"a", layer})
    assert layer not in m.inputs
    # the records survive being written to and read from the store's tables
    m = m.next({layer: "p5"}, {"a", layer}, inputs={layer: ["a"]})
    table = m.tables()["_store_meta"]
    assert f"inputs:{layer}" in set(table["key"])
