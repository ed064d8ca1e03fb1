"""Indicator results computed once per store version, cached beside the store, refreshed in
the background after an upload.

The project is the tiny ingest project with the one-row catalog of tests/test_web_api.py:
HP-04 urban green area = the union of parks of class G11/G14 = 15,000 m² in the district
(a 100 m square and a bow-tie repaired to 5,000 m²). Uploading one 50 m × 50 m G11 park
makes it 2,500 m².
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from fixtures.web import build_fixture, district_green, park_upload
from starlette.exceptions import StarletteDeprecationWarning

import web.data
from layers.indicators import cache
from layers.project import Project
from web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")






def count_computations(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The scenario of every engine run the cache makes from now on (appended as they happen)."""
    calls: list[str | None] = []
    real = cache.compute_records

    def counting(project: Project, **kw: Any) -> list[Any]:
        calls.append(kw.get("scenario"))
        return real(project, **kw)

    monkeypatch.setattr(cache, "compute_records", counting)
    return calls


def test_key_follows_store_and_project_files_only(built: Path) -> None:
    import os

    project = Project(built)
    k1 = cache.cache_key(project)
    assert k1 and cache.cache_key(Project(built)) == k1
    targets = built / "targets.toml"
    os.utime(targets, ns=(1, 1))  # a touch without a change keeps the results
    assert cache.cache_key(Project(built)) == k1
    targets.write_text(targets.read_text("utf-8") + "\n# edited\n", encoding="utf-8")
    k2 = cache.cache_key(Project(built))
    assert k2 != k1
    assert cache.cache_key(Project(built), scenario="proposal") != k2
    store = Project(built).store
    store.write_layers({"proposal__green_spaces": store.read("green_spaces").head(1)})
    assert cache.cache_key(Project(built)) != k2  # any store write invalidates


def test_cli_and_server_share_the_cache(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_computations(monkeypatch)
    first = cache.cached_records(Project(built))
    assert district_green([r.as_dict() for r in first]) == pytest.approx(15_000.0)
    again = cache.cached_records(Project(built))
    assert calls == [None] and [r.as_dict() for r in again] == [r.as_dict() for r in first]
    assert len(list((built / "build" / cache.CACHE_DIR).glob("indicators-*.json"))) == 1
    # the web app reads the file the CLI wrote: no computation
    monkeypatch.setattr(web.data, "_engine_records",
                        lambda *a, **k: pytest.fail("the cache was not used"))
    client = TestClient(create_app(built))
    assert district_green(client.get("/api/indicators").json()) == pytest.approx(15_000.0)


def test_upload_answers_old_results_while_new_ones_compute(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    computing = threading.Event()
    real = web.data._engine_records
    state = {"hold": False}

    def held(project: Project, **kw: Any) -> list[Any]:
        if state["hold"]:
            computing.set()
            assert release.wait(120)
        return real(project, **kw)

    monkeypatch.setattr(web.data, "_engine_records", held)
    app = create_app(built)
    client = TestClient(app)
    r = client.get("/api/indicators")
    assert r.headers["X-Peakmap-Updating"] == "0"
    assert district_green(r.json()) == pytest.approx(15_000.0)
    state["hold"] = True
    up = client.post("/api/layers/green_spaces", files={"file": ("park.gpkg",
                                                                 park_upload(tmp_path))})
    assert up.status_code == 201, up.text
    assert computing.wait(60)  # the recomputation started in the background...
    r = client.get("/api/indicators")  # ...and the request did not wait for it
    assert r.headers["X-Peakmap-Updating"] == "1"
    assert district_green(r.json()) == pytest.approx(15_000.0)
    page = client.get("/").text
    assert "指标正在更新" in page and r.headers["X-Peakmap-Computed-At"] in page
    assert client.get("/api/status").json()["updating"] is True
    release.set()
    app.state.data.wait_background(120)
    r = client.get("/api/indicators")
    assert r.headers["X-Peakmap-Updating"] == "0"
    assert district_green(r.json()) == pytest.approx(2_500.0)
    assert "指标正在更新" not in client.get("/").text
    # the new results are on disk for the CLI
    state["hold"] = False
    monkeypatch.setattr(cache, "compute_records",
                        lambda *a, **k: pytest.fail("the server's results were not cached"))
    assert district_green([r.as_dict() for r in cache.cached_records(Project(built))]) == \
        pytest.approx(2_500.0)


def test_report_compare_reads_the_cache(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from layers.compare import compare

    store = Project(built).store
    store.write_layers({"proposal__green_spaces": store.read("green_spaces").head(1)})
    calls = count_computations(monkeypatch)
    first = compare(Project(built))
    assert sorted(calls, key=str) == [None, "proposal"]  # now and with the scenario, once each
    second = compare(Project(built))
    assert len(calls) == 2 and second == first  # the second run computed nothing
    district = [p for p in first if p.level == "district"]
    # the fixture's one indicator is its green area (15,000 m²); the proposal repeats a stored
    # green space, so the union does not grow
    assert len(district) == 1
    assert district[0].value_now == pytest.approx(15_000.0)
    assert district[0].value_proposal == pytest.approx(15_000.0)


def test_saved_file_is_what_the_python_encoder_writes(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Non-finite floats become null; the file's text is json.dumps of the cleaned rows."""
    import json
    import math

    from layers.indicators.result import IndicatorResult

    project = Project(built)

    def rec(value: object, gap: object, note: str = "") -> IndicatorResult:
        return IndicatorResult(
            indicator="HP-04", title="绿地 \"x\"", title_en="green", level="district",
            zone_code="120101", zone_name="和平区", value=value, unit="m²",  # type: ignore[arg-type]
            op=">=", target=2.0, deadline=2025, status="pass", gap=gap,  # type: ignore[arg-type]
            responsible="区城市管理委", source="computed", note=note)

    def clean(row: dict[str, Any]) -> dict[str, Any]:
        return {k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in row.items()}

    for batch, records in ((2000, [rec(1.5, -0.5), rec("达标", None, "a\nb")]),
                           (2000, [rec(float("nan"), float("inf")), rec(3, 1e300)]),
                           (2, [rec(1.0, 0.0), rec(float("nan"), 1.0), rec(2.0, 3.0)]),
                           (2, [])):
        monkeypatch.setattr(cache, "BATCH", batch)
        cache.save_records(project, "k" * 32, records)
        text = (project.build_dir / cache.CACHE_DIR / f"indicators-{'k' * 32}.json").read_text(
            encoding="utf-8")
        rows = [clean(r.as_dict()) for r in records]
        assert text == json.dumps({"key": "k" * 32, "records": rows}, ensure_ascii=False)
        loaded = cache.load_records(project, "k" * 32)
        assert loaded is not None and [r.as_dict() for r in loaded] == rows
