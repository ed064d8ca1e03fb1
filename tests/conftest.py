"""Shared fixtures.

``heping_built`` builds the committed Heping sample once per test session into a temporary
copy (the committed ``data/heping/`` is never written by tests), running the post-build
analyses too; ``heping_built_pg`` the same into PostGIS (the session's throw-away cluster,
``pg_url``). Every slow test on the sample should use it instead of building its own.

``tiny_dir`` is the tiny project of the report tests (tests/fixtures/tiny.py, catalog
``TARGETS``), written once per session and copied for each test module, so what one module
writes there (exports, the results cache ``build/cache/``) never reaches another;
``tiny_records`` its records for the report year 2025, a fresh copy per module.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from layers.indicators.result import IndicatorResult

# Starlette's TestClient sends "Host: testserver"; real servers accept only loopback names and
# the hosts configured in PEAKMAP_ALLOWED_HOSTS (web.settings).
os.environ.setdefault("PEAKMAP_ALLOWED_HOSTS", "testserver")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "heping"


@pytest.fixture(scope="session")
def heping_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a built copy of the Heping sample (with the post-build analyses)."""
    from layers.build import build_project

    if not (SAMPLE / "project.toml").is_file():
        pytest.fail(f"{SAMPLE} has no project.toml: run 'peakmap sample' and commit the result")
    dest = tmp_path_factory.mktemp("heping") / "heping"
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("build"))
    build_project(dest)
    return dest


@pytest.fixture(scope="session")
def heping_built_pg(tmp_path_factory: pytest.TempPathFactory, pg_url: str) -> Path:
    """The Heping sample built (with the post-build analyses) into the session's PostGIS."""
    from fixtures.pg import use_postgis

    from layers.build import build_project

    dest = tmp_path_factory.mktemp("heping_pg") / "heping"
    shutil.copytree(SAMPLE, dest, ignore=shutil.ignore_patterns("build"))
    use_postgis(dest, pg_url, "heping_sample")
    build_project(dest)
    return dest


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with the catalog ``TARGETS``, written once; tests use copies of it."""
    from fixtures.tiny import TARGETS, make_project

    root = tmp_path_factory.mktemp("tiny_template") / "tiny"
    make_project(root, targets=TARGETS)
    return root


@pytest.fixture(scope="module")
def tiny_dir(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test module's own copy of ``tiny_template`` (its writes stay in the module)."""
    dest = tmp_path_factory.mktemp("tiny") / "tiny"
    shutil.copytree(tiny_template, dest)
    return dest


@pytest.fixture(scope="session")
def tiny_records_2025(tiny_template: Path) -> list[IndicatorResult]:
    """The records of ``tiny_template`` for 2025, computed once (the engine writes nothing)."""
    from layers.indicators.engine import compute_records
    from layers.project import Project

    return compute_records(Project(tiny_template), year=2025)


@pytest.fixture(scope="module")
def tiny_records(tiny_records_2025: list[IndicatorResult]) -> list[IndicatorResult]:
    """The records of the tiny project for 2025: the module's own deep copy."""
    return copy.deepcopy(tiny_records_2025)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium (playwright) for the test module (tests/fixtures/browser.py)."""
    from fixtures.browser import launch_chromium

    with launch_chromium() as b:
        yield b


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a throw-away PostGIS cluster for the session (tests/fixtures/pg.py).

    Fails (never skips) when PostgreSQL or PostGIS is not installed, naming the packages.
    """
    from fixtures.pg import local_cluster

    try:
        cm = local_cluster()
        pg = cm.__enter__()
    except RuntimeError as e:
        pytest.fail(str(e))
    try:
        yield pg.url()
    finally:
        from layers.store import close_pooled

        close_pooled()  # before the server stops
        cm.__exit__(None, None, None)
