"""The indicator reference (docs/indicators.md, ``peakmap report --explain``)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from layers.indicators.catalog import read_catalog
from layers.indicators.engine import import_themes, load_zones
from layers.indicators.inputs import NoData
from layers.indicators.reference import indicator_references
from layers.indicators.registry import KIND_READS, KINDS, MetricContext
from layers.project import Project

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "layers" / "catalogs"
SAMPLE = ROOT / "data" / "heping"


def _refs() -> dict[str, Any]:
    refs = indicator_references(read_catalog(CATALOGS / "targets.toml"), root=ROOT)
    return {r.id: r for r in refs}


def _line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` equal to ``text`` (stripped)."""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    return lines.index(text) + 1


def test_docs_page_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_indicator_docs.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr


def test_every_catalog_row_is_in_the_page() -> None:
    page = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    ids = [s.id for s in read_catalog(CATALOGS / "targets.toml").indicators]
    assert len(ids) > 60
    for ident in ids:
        assert f"\n| {ident} | " in page, ident


def test_hp04_points_at_its_row_and_function() -> None:
    ref = _refs()["HP-04"]
    assert ref.catalog == "layers/catalogs/targets.toml"
    assert ref.line == _line_of(CATALOGS / "targets.toml", 'id = "HP-04"')
    assert ref.kind == "area_sum"
    assert ref.function == "layers.metrics.area_sum"
    assert ref.function_file == "layers/metrics.py"
    assert ref.function_line == _line_of(ROOT / "layers" / "metrics.py", '@metric_kind("area_sum")')
    # the row reads green space and existing pocket parks (targets.toml, HP-04's params)
    assert ref.reads == ("green_spaces", "pocket_parks")


def test_rows_in_included_catalogs_name_their_own_file() -> None:
    refs = _refs()
    park = refs["STD-PARK-500-walk"]
    assert park.catalog == "layers/catalogs/standards.toml"
    assert park.line == _line_of(CATALOGS / "standards.toml", 'id = "STD-PARK-500-walk"')
    # park green, measured against residential land, on the walking network
    assert park.reads == ("green_spaces", "pocket_parks", "landuse", "roads")
    assert refs["STD-RECYCLE-300"].reads == ("recycling_points", "buildings")
    assert refs["HP-15"].reads == ("heating_pipes", "buildings")
    assert refs["HP-01"].reads == ()


def _peakmap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "peakmap", *args], capture_output=True, text=True, check=False,
        cwd=ROOT,
    )


def test_explain_shows_parameters_in_force(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(SAMPLE, project, ignore=shutil.ignore_patterns("build", "raw"))
    manifest = project / "project.toml"
    text = manifest.read_text(encoding="utf-8")
    assert "[params.coverage]\n" in text
    manifest.write_text(
        text.replace("[params.coverage]\n", "[params.coverage]\nrecycling_radius_m = 250.0\n"),
        encoding="utf-8",
    )
    done = _peakmap("report", str(project), "--explain", "STD-RECYCLE-300")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # the sample includes the packaged catalogs: shown from the source root, as code paths are
    assert "catalog:      layers/catalogs/standards.toml:" in out
    assert "layers.coverage.service_coverage (layers/coverage.py:" in out
    assert "radius = $coverage.recycling_radius_m → 250.0" in out
    assert "recycling_radius_m = 250.0  (manifest)" in out
    assert "recycling_kinds = ['community_point']  (catalog)" in out


def test_explain_unknown_id_is_one_line(tmp_path: Path) -> None:
    done = _peakmap("report", str(SAMPLE), "--explain", "HP-99")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "HP-99" in lines[0] and "HP-04" in lines[0], done.stderr


class _RecordingStore:
    """A store that remembers which layers were read through it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.read_names: set[str] = set()

    def read(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.read_names.add(name)
        return self._store.read(name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@pytest.mark.slow
def test_declared_layers_cover_what_each_row_reads(heping_built: Path) -> None:
    """Run every computed row on the sample with a fresh context: it reads only declared layers."""
    import_themes()
    project = Project(heping_built)
    catalog = read_catalog(project.targets_path)
    zones = load_zones(project)
    checked = 0
    for spec in catalog.indicators:
        if spec.kind == "reported" or spec.kind not in KINDS:
            continue
        store = _RecordingStore(project.store)
        ctx = MetricContext(
            project=project, store=store,  # type: ignore[arg-type]
            year=2025, communities=zones.communities,
        )
        ctx.cache["catalog_params"] = catalog.params
        params: Mapping[str, Any] = {**spec.params, "id": spec.id, "level": spec.level}
        with contextlib.suppress(NoData):  # a row without data still read what it read
            KINDS[spec.kind](ctx, params)
        declared = set(KIND_READS[spec.kind](spec.params))
        assert store.read_names <= declared, (spec.id, store.read_names - declared)
        checked += 1
    assert checked > 30
