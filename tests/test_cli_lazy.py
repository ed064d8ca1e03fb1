"""The command line loads a command's module only when that command is used."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from peakmap.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "peakmap", *args],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def _run_python(code: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a fresh interpreter at the project root; its stdout, stripped."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, env=env)
    return done.stdout.strip()


def test_help_lists_every_command_without_importing_them() -> None:
    done = subprocess.run([sys.executable, "-m", "peakmap", "--help"], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert done.returncode == 0
    for name in COMMANDS:
        assert f" {name} " in done.stdout, name
    modules = _imported_modules("--help")
    assert "geopandas" not in modules and "shapely" not in modules and "pandas" not in modules
    assert not any(module in modules for module, _ in COMMANDS.values())
    # ``python -m peakmap.cli`` runs the same command line (it printed nothing, exit 0)
    done = subprocess.run([sys.executable, "-m", "peakmap.cli", "--help"], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    assert done.returncode == 0 and " report " in done.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_module_registers_its_command(name: str) -> None:
    sub = typer.Typer()
    importlib.import_module(COMMANDS[name][0]).register(sub)
    assert name in typer.main.get_group(sub).commands


def test_report_from_cached_results_loads_no_geometry_stack(tmp_path: Path) -> None:
    """Answering from the results cache needs neither the engine nor GDAL, GEOS or the web."""
    import json

    from fixtures.web import build_fixture

    from layers.indicators.cache import cached_records
    from layers.project import Project

    project = build_fixture(tmp_path / "proj")
    want = [r.as_dict() for r in cached_records(Project(project))]  # fills the cache
    args = ("report", str(project), "--level", "all", "--format", "json")
    modules = _imported_modules(*args)
    heavy = {"geopandas", "pyogrio", "rasterio", "scipy", "fastapi", "matplotlib",
             "layers.indicators.engine", "web.exports", "rich", "filelock"}
    assert not heavy & modules, sorted(heavy & modules)
    done = subprocess.run([sys.executable, "-m", "peakmap", *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    got = json.loads(done.stdout)
    assert [(r["indicator"], r["zone_code"], r["value"]) for r in got] == [
        (r["indicator"], r["zone_code"], r["value"]) for r in want]


def test_straight_line_rows_load_no_graph_library() -> None:
    """The engine with the area and coverage kinds imports scipy only when a row walks."""
    code = (
        "import sys\n"
        "from layers.indicators.engine import import_themes\n"
        "assert not import_themes(['area_sum', 'area_share', 'service_coverage'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    assert _run_python(code) == "[]"


def test_pv_rows_and_roof_ranking_load_no_scipy() -> None:
    """``peakmap site pv`` and the engine's pv rows read stored PV fields: only the PV build
    step labels roof patches (``scipy.ndimage``), so only it imports scipy."""
    code = (
        "import sys\n"
        "import peakmap.cmd_site_pv\n"
        "from layers.indicators.engine import import_themes\n"
        "assert not import_themes(['pv'])\n"
        "assert 'layers.rooftop_pv' in sys.modules\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n"
    )
    assert _run_python(code) == "[]"


def test_computed_json_report_into_a_pipe_loads_only_what_it_uses(tmp_path: Path) -> None:
    """An area row computed (not cached) as JSON into a pipe: no console library, no lock
    library (nothing is written), no raster, graph, plotting or web library."""
    import json

    from fixtures.web import build_fixture

    project = build_fixture(tmp_path / "proj")
    args = ("report", str(project), "--id", "HP-04", "--level", "all",
            "--format", "json")
    modules = _imported_modules(*args)
    assert "layers.indicators.engine" in modules  # computed, not read from the cache
    unused = {"rich", "filelock", "rasterio", "scipy", "networkx", "matplotlib", "folium",
              "fastapi", "web.exports", "layers.walkgraph"}
    assert not unused & modules, sorted(unused & modules)
    done = subprocess.run([sys.executable, "-m", "peakmap", *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    assert {r["indicator"] for r in json.loads(done.stdout)} == {"HP-04"}


def _pydantic_scans(env: dict[str, str]) -> str:
    """Build a pydantic model after the CLI's start-up settings; print whether the plugin
    entry points were scanned (``importlib.metadata.entry_points`` called)."""
    code = (
        "import importlib.metadata as md\n"
        "calls = []\n"
        "real = md.entry_points\n"
        "md.entry_points = lambda **kw: calls.append(kw) or real(**kw)\n"
        "from peakmap.cli import short_lived_process\n"
        "short_lived_process()\n"
        "import pydantic\n"
        "class Model(pydantic.BaseModel):\n"
        "    x: int\n"
        "assert Model(x='3').x == 3\n"
        "print(bool(calls))\n"
    )
    return _run_python(code, env)


def test_cli_skips_the_pydantic_plugin_scan_unless_the_environment_asks() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    assert _pydantic_scans(env) == "False"
    # an explicit setting wins: empty = load the installed plugins
    assert _pydantic_scans({**env, "PYDANTIC_DISABLE_PLUGINS": ""}) == "True"


def test_quiet_collector_pauses_collection_during_the_import_only() -> None:
    """Collection resumes after the import, even a failed one; nothing is frozen."""
    code = (
        "import gc\n"
        "from peakmap.cli import quiet_collector\n"
        "before = gc.get_freeze_count()\n"
        "with quiet_collector():\n"
        "    assert not gc.isenabled()\n"
        "    kept = [[i] for i in range(1000)]\n"
        "assert gc.isenabled() and gc.get_freeze_count() == before\n"
        "try:\n"
        "    with quiet_collector():\n"
        "        import peakmap.no_such_module  # noqa: F401\n"
        "except ImportError:\n"
        "    pass\n"
        "assert gc.isenabled()\n"
        "gc.disable()\n"
        "with quiet_collector():\n"
        "    pass\n"
        "print(gc.isenabled())\n"
    )
    assert _run_python(code) == "False"  # a collector paused by the caller stays paused
