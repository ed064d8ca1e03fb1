"""``peakmap build`` stores each layer as soon as it is read when the metric CRS is declared.

A city-size project (``peakmap sample --scale 200``) would otherwise hold every layer's source
frame and then its metric copy; with ``[project] metric_crs`` declared, the frame of one layer
is let go before the next is read. Without it the CRS is chosen from every layer's extent,
so the frames are held first (and the result is the same store).
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from fixtures import ingest as fx

import layers.build as build_mod
from layers.build import BuildError, build_project
from layers.manifest import load_manifest


def _track(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch ingest_layer: before each call, count the earlier frames still alive."""
    alive: list[weakref.ref[Any]] = []
    held: list[int] = []
    real = build_mod.ingest_layer

    def tracked(*args: Any, **kw: Any) -> Any:
        gc.collect()
        held.append(sum(r() is not None for r in alive))
        gdf, report = real(*args, **kw)
        alive.append(weakref.ref(gdf))
        return gdf, report

    monkeypatch.setattr(build_mod, "ingest_layer", tracked)
    return held


def _layers(root: Path) -> dict[str, int]:
    store = root / "build" / "peakmap.gpkg"
    return {n: int(c) for n, _, c in (
        (row[0], row[1], pyogrio.read_info(store, layer=row[0])["features"])
        for row in pyogrio.list_layers(store)
    ) if not n.startswith("_")}


def test_declared_metric_crs_holds_one_layer_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = fx.write_project(tmp_path / "p")
    assert 'metric_crs = "EPSG:4548"' in (root / "project.toml").read_text(encoding="utf-8")
    held = _track(monkeypatch)
    report = build_project(root, run_steps=False, chunk_size=None)  # whole layers
    assert len(held) == len(load_manifest(root).layers) > 3
    assert held == [0] * len(held)
    stored = _layers(root)
    assert {r.name: r.features_stored for r in report.layers if r.name in stored} == stored


def test_chosen_metric_crs_holds_every_layer_then_stores_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = fx.write_project(tmp_path / "a")
    build_project(declared, run_steps=False)
    root = fx.write_project(tmp_path / "b")
    toml = root / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('metric_crs = "EPSG:4548"\n', ""),
                    encoding="utf-8")
    held = _track(monkeypatch)
    report = build_project(root, run_steps=False)
    assert held == list(range(len(held)))  # every frame kept until the CRS is chosen
    assert report.metric_crs == "EPSG:4548"  # 117° E: the same 3° zone as declared
    assert _layers(root) == _layers(declared)


def test_a_bad_layer_after_stored_ones_leaves_no_store(tmp_path: Path) -> None:
    root = fx.write_project(tmp_path / "p")
    # the last layer's file goes missing: the earlier ones were already staged
    last = list(load_manifest(root).layers.values())[-1]
    (root / last.path).unlink()
    with pytest.raises(BuildError) as e:
        build_project(root, run_steps=False)
    assert len(e.value.errors) == 1 and str(last.path) in e.value.errors[0], e.value.errors
    assert not (root / "build" / "peakmap.gpkg").exists()
