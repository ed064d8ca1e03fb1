"""Public names live on public modules: packages re-export them, nobody imports ``_`` modules.

Checks issue 15's rules: error classes are imported from ``gis`` and ``layers`` (not from
their ``_errors`` modules), a package's ``_``-prefixed modules are imported only inside that
package, and the packages that replaced ``gis/crs.py`` and ``gis/siting.py`` still offer
every name the old modules did.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import gis
import layers

ROOT = Path(__file__).resolve().parents[1]
OURS = ("gis", "layers", "web", "peakmap", "sample")
CHECKED = (*OURS, "scripts", "tests")

# The __all__ of gis/crs.py and gis/siting.py before they became packages.
OLD_PUBLIC = {
    "gis.crs": [
        "PSEUDO_DATUMS", "GaussKrugerZone", "auto_metric_crs", "bd09_to_gcj02", "bd09_to_wgs84",
        "check_coordinates", "gauss_kruger_zone", "gcj02_to_bd09", "gcj02_to_wgs84", "in_china",
        "parse_crs", "pseudo_datum_name", "pseudo_to_wgs84", "wgs84_to_bd09", "wgs84_to_gcj02",
        "wgs84_to_pseudo",
    ],
    "gis.siting": [
        "CoverPairs", "SitingError", "SitingResult", "pairs_by_walking", "pairs_from_cost_matrix",
        "pairs_within_distance", "solve_max_cover", "solve_p_median", "solve_set_cover",
    ],
}


def private_module_imports(source: str, own_package: str) -> list[str]:
    """Absolute imports of another of our packages' ``_``-prefixed modules in ``source``.

    >>> private_module_imports("from gis._errors import CRSError\\nimport gis.io", "web")
    ['gis._errors']
    >>> private_module_imports("from gis.siting._highs import Mip", "gis")
    []
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        for module in modules:
            parts = module.split(".")
            private = any(p.startswith("_") for p in parts[1:])
            if private and parts[0] in OURS and parts[0] != own_package:
                found.append(module)
    return found


def test_private_module_imports_flags_only_other_packages() -> None:
    assert private_module_imports("import layers._errors as e", "layers") == []
    assert private_module_imports("import typer._click as click", "peakmap") == []
    assert private_module_imports("def f():\n    import layers._errors\n", "web") == [
        "layers._errors"
    ]


@pytest.mark.parametrize("folder", CHECKED)
def test_no_module_imports_another_packages_private_modules(folder: str) -> None:
    wrong = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        bad = private_module_imports(path.read_text(encoding="utf-8"), folder)
        if bad:
            wrong[path.relative_to(ROOT).as_posix()] = bad
    assert not wrong, f"import these from the package instead: {wrong}"


@pytest.mark.parametrize(
    ("package", "names"),
    [
        (gis, ["PeakmapError", "InputFileError", "LayerValidationError", "CRSError",
               "SitingError"]),
        (layers, ["ManifestError", "StoreError", "StoreBusyError"]),
    ],
)
def test_error_classes_are_public_on_their_package(package: object, names: list[str]) -> None:
    for name in names:
        cls = getattr(package, name)
        assert issubclass(cls, gis.PeakmapError), name
        assert name in package.__all__  # type: ignore[attr-defined]
    assert issubclass(layers.StoreBusyError, layers.StoreError)


@pytest.mark.parametrize("module", sorted(OLD_PUBLIC))
def test_split_packages_keep_every_old_public_name(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in OLD_PUBLIC[module] if not hasattr(mod, name)]
    assert not missing
    assert set(OLD_PUBLIC[module]) <= set(mod.__all__)
    unexported = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not unexported


def test_one_before_after_definition() -> None:
    """Indicators now vs with a proposal are paired in one place, ``layers.compare``.

    ``layers.scenario`` had its own ``compare``/``compare_frame`` (a DataFrame with other
    status-change words); they were removed (issue 11 review) and every caller uses
    :func:`layers.compare.compare`.
    """
    import layers.compare
    import layers.scenario

    defined = {}
    for path in sorted((ROOT / "layers").rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name in (
                "compare", "compare_frame", "compare_records"
            ):
                defined.setdefault(node.name, []).append(path.relative_to(ROOT).as_posix())
    assert defined == {"compare": ["layers/compare.py"],
                       "compare_records": ["layers/compare.py"]}
    assert not hasattr(layers.scenario, "compare")
    assert {"compare", "compare_records"} <= set(layers.compare.__all__)


def private_name_imports(source: str, own_module: str) -> list[str]:
    """``module._name`` imported by ``own_module`` from another module of our packages.

    Modules of one subpackage (``layers.store.pg`` and ``layers.store.gpkg``) share their
    private helpers, as a package shares its ``_`` modules.

    >>> private_name_imports("from layers.build import _derive, ingest_layer", "layers.uploads")
    ['layers.build._derive']
    >>> private_name_imports("from layers.build import _derive", "layers.build")
    []
    >>> private_name_imports("from layers.store.gpkg import _rectangle", "layers.store.pg")
    []
    >>> private_name_imports("from gis import __version__", "web.app")
    []
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
            continue
        if node.module.split(".")[0] not in OURS or node.module == own_module:
            continue
        parent = node.module.rsplit(".", 1)[0]
        if parent.count(".") >= 1 and own_module.rsplit(".", 1)[0] == parent:
            continue  # one subpackage
        found += [f"{node.module}.{alias.name}" for alias in node.names
                  if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


# Every folder is clean: layers.uploads took build's _crs_name/_derive until issue 11's
# review; web took maps' and exports' helpers, scripts sample.raster's, until session 5;
# gis (solar_climate took solar_sky's) and tests until session 6.


@pytest.mark.parametrize("folder", CHECKED)
def test_no_module_imports_another_modules_private_names(folder: str) -> None:
    wrong = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad = private_name_imports(path.read_text(encoding="utf-8"), module)
        if bad:
            wrong[path.relative_to(ROOT).as_posix()] = bad
    assert not wrong, f"make these public where they are defined: {wrong}"


def imported_modules(source: str) -> set[str]:
    """Modules (and ``module.name``) imported anywhere in ``source``, functions included.

    >>> sorted(imported_modules("import a.b\\ndef f():\\n    from c import d\\n"))
    ['a.b', 'c', 'c.d']
    """
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


# annex_xlsx ↔ report went in session 5 (layers.report_format); in session 6 the last
# pairs of layers: build ↔ build_chunks (layers.ingest), indicators engine ↔ partition
# (indicators.rows), rooftop_pv ↔ rooftop_pv_plan (rooftop_pv_build), siting ↔
# siting.proposal, store.gpkg ↔ store.pg (store.base).
TWO_WAY_FOLDERS = ("gis", "layers", "peakmap", "sample", "web")


@pytest.mark.parametrize("folder", TWO_WAY_FOLDERS)
def test_no_two_modules_import_each_other(folder: str) -> None:
    """Not even inside a function or under ``TYPE_CHECKING``: a shared piece goes to a third
    module (web.layer_text, layers.ingest)."""
    imports = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
            ".__init__")
        imports[module] = imported_modules(path.read_text(encoding="utf-8"))
    two_way = sorted({tuple(sorted((a, b))) for a, seen in imports.items() for b in seen
                      if b != a and b in imports and a in imports[b]})
    assert two_way == [], "move what both modules need to a third one"
