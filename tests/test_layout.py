"""The package layout: imports point one way (README "Layout").

``gis`` imports none of our packages, ``layers`` only ``gis``, ``web`` only ``layers`` and
``gis``; the sample generator (``sample``) is a consumer like the scripts: it may import
``layers`` and ``gis``, and none of ``gis``, ``layers`` and ``web`` imports it. Every import
statement counts, also the ones inside functions. Libraries only the tests or the benchmarks
use are extras (``dev``, ``bench``), and peakmap's packages import none of them.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"gis", "layers", "web", "peakmap", "sample"}
ALLOWED = {
    "gis": {"gis"},
    "layers": {"gis", "layers"},
    "web": {"gis", "layers", "web"},
    "sample": {"gis", "layers", "sample"},
}


def imported_packages(source: str) -> set[str]:
    """Top-level names of the absolute imports in ``source`` that are our packages.

    >>> sorted(imported_packages("import gis.crs\\nfrom layers import x\\nimport numpy"))
    ['gis', 'layers']
    >>> sorted(imported_packages("def f():\\n    from sample.outline import STREETS"))
    ['sample']
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def test_imported_packages_sees_lazy_and_from_imports() -> None:
    src = "import os\nimport web.app as w\ndef f():\n    from sample import generate_sample\n"
    assert imported_packages(src) == {"web", "sample"}
    assert imported_packages("from . import sibling\nimport numpy") == set()


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path.read_text(encoding="utf-8")) - ALLOWED[package]
        if bad:
            wrong[path.relative_to(ROOT).as_posix()] = sorted(bad)
    assert not wrong, f"{package}/ may import only {sorted(ALLOWED[package])}: {wrong}"


# import name of each distribution of the dev and bench extras (where it differs)
IMPORT_NAMES = {"PuLP": "pulp", "playwright": "playwright"}


def _extras_only() -> dict[str, str]:
    """Import name → extra, for every library of the extras that is not a runtime dependency."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {re.split(r"[=<>\[ ]", d)[0].lower() for d in data["dependencies"]}
    out = {}
    for extra, deps in data["optional-dependencies"].items():
        for dep in deps:
            dist = re.split(r"[=<>\[ ]", dep)[0]
            if dist.lower() not in runtime and dist != "peakmap":
                out[IMPORT_NAMES.get(dist, dist.lower().replace("-", "_"))] = extra
    return out


def test_test_and_bench_libraries_are_extras_not_used_by_peakmap() -> None:
    extras = _extras_only()
    assert {"networkx", "spopt", "pulp", "pytest"} <= {k for k, v in extras.items() if v == "dev"}
    assert {"rasterstats", "psutil"} <= {k for k, v in extras.items() if v == "bench"}
    used = {}
    for package in ("gis", "layers", "web", "peakmap", "sample"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.module
                         and node.level == 0 else [])
                for name in names:
                    if name.split(".")[0] in extras:
                        used[path.relative_to(ROOT).as_posix()] = name
    assert not used, f"peakmap imports libraries that are only extras: {used}"


def test_test_modules_share_fixtures_not_each_other() -> None:
    """Shared helpers live in tests/fixtures/ and tests/conftest.py (issue 15 item 6)."""
    modules = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    wrong = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            hits = [n for n in names if n.removeprefix("tests.").split(".")[0] in modules]
            if hits:
                wrong[path.relative_to(ROOT).as_posix()] = hits
    assert not wrong, f"test modules importing test modules (use tests/fixtures/): {wrong}"
