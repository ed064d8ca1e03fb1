"""Typed theme parameters: one model per ``[params.<theme>]`` table, one merge, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from fixtures.tiny import make_project

from layers import ManifestError
from layers.indicators.catalog import read_catalog
from layers.params import (
    THEMES,
    CoverageParams,
    HeatingParams,
    PvParams,
    SitingParams,
    check_table,
    merge_params,
    origins,
)
from layers.project import Project

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "layers" / "catalogs"
# Values the shipped catalog sets for its site (Tianjin's monthly sky): the model's defaults
# stay site-neutral (no table: pvlib's clear sky).
SITE_VALUES = {("pv", "monthly_ghi_kwh_m2"), ("pv", "monthly_diffuse_fraction"),
               ("pv", "monthly_source"), ("pv", "monthly_source_zh"),
               ("pv", "monthly_site_lat_lon")}


def _project(root: Path, *, catalog: str = "", manifest: str = "") -> Project:
    """A project of the tiny test store with extra catalog and manifest text."""
    make_project(root)
    (root / "targets.toml").write_text(catalog, encoding="utf-8")
    with (root / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write(manifest)
    return Project(root)


def test_model_defaults_equal_the_shipped_catalog() -> None:
    tables: dict[str, dict[str, object]] = {}
    for path in sorted(CATALOGS.glob("*.toml")):
        for theme, table in tomllib.loads(path.read_text("utf-8")).get("params", {}).items():
            tables.setdefault(theme, {}).update(table)
    assert set(tables) == {"coverage", "heating", "pv"}
    checked = 0
    for theme, table in tables.items():
        defaults = THEMES[theme]()
        for key, value in table.items():
            if (theme, key) in SITE_VALUES:
                continue
            got = getattr(defaults, key)
            assert got == value and type(got) is type(value), (theme, key, got, value)
            checked += 1
    # 10 coverage keys (complete_facilities one table), 18 heating, 3 pv
    assert checked == 31


def test_precedence_catalog_then_manifest_then_command_line(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        catalog="[params.siting]\ntime_limit_s = 60.0\nbudget = 2\nmin_spacing_m = 40.0\n",
        manifest="\n[params.siting]\ntime_limit_s = 30.0\nmin_spacing_m = 35.0\n",
    )
    cli = {"time_limit_s": 10.0, "budget": None}
    got = project.params(SitingParams, cli=cli)
    # command line over manifest over catalog over the model default
    assert got.time_limit_s == 10.0
    assert got.min_spacing_m == 35.0
    assert got.budget == 2
    assert got.grid_spacing_m == 50.0
    where = origins(SitingParams, *project.param_sources(SitingParams, cli=cli))
    assert (where["time_limit_s"], where["min_spacing_m"], where["budget"],
            where["grid_spacing_m"]) == (
        "command line", "project.toml [params.siting]", "targets.toml [params.siting]",
        "default")
    # the siting commands read the same merge (they skipped the catalog before)
    from layers.siting import siting_params

    assert siting_params(project, cli)["budget"] == 2


def test_pv_reads_the_catalog_defaults(tmp_path: Path) -> None:
    from layers.rooftop_pv_plan import emission_note

    project = _project(tmp_path, catalog="[params.pv]\ngrid_emission_factor_t_per_mwh = 0.6\n")
    assert project.params(PvParams).grid_emission_factor_t_per_mwh == 0.6
    assert "MWh × 0.6 t/MWh" in emission_note(project)


def test_pv_emission_note_gives_the_sky_in_chinese_first(tmp_path: Path) -> None:
    import json

    from layers.rooftop_pv import IRRADIATION_RASTER
    from layers.rooftop_pv_plan import emission_note

    project = _project(tmp_path, catalog="[params.pv]\ngrid_emission_factor_t_per_mwh = 0.6\n")
    project.build_dir.mkdir(parents=True, exist_ok=True)
    sidecar = project.build_dir / f"{IRRADIATION_RASTER}.json"
    sidecar.write_text(json.dumps({"note": "sky: CSWD 54527", "note_zh": "天空：CSWD 54527"}),
                       encoding="utf-8")
    note = emission_note(project)
    assert note.index("天空：CSWD 54527") < note.index("sky: CSWD 54527")
    sidecar.write_text(json.dumps({"note": "sky: old build"}), encoding="utf-8")
    assert emission_note(project).endswith("；sky: old build")


def test_misspelt_manifest_key_names_the_table_and_the_closest_key(tmp_path: Path) -> None:
    make_project(tmp_path)
    with (tmp_path / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[params.coverage]\nrecycling_radus_m = 250.0\n")
    with pytest.raises(ManifestError) as err:
        Project(tmp_path)
    text = str(err.value)
    assert "project.toml [params.coverage]" in text
    assert "unknown key 'recycling_radus_m'" in text
    assert "did you mean 'recycling_radius_m'?" in text
    assert "\n" not in text


def test_misspelt_catalog_key_names_the_catalog_file(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text("[params.heating]\nrenewal_age_yeers = 20\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"targets\.toml \[params\.heating\]: unknown key "
                       r"'renewal_age_yeers' \(did you mean 'renewal_age_years'\?\)"):
        read_catalog(path)


def test_unknown_table_and_far_key_list_the_valid_names() -> None:
    with pytest.raises(ManifestError, match=r"unknown table \[params\.heatng\] .*'heating'"):
        check_table("heatng", {}, where="project.toml")
    with pytest.raises(ManifestError, match=r"unknown key 'zzz' \(valid: storey_height_m\)"):
        check_table("buildings", {"zzz": 1}, where="project.toml")


def test_bad_value_names_table_key_and_value() -> None:
    with pytest.raises(ManifestError) as err:
        check_table("pv", {"clearness": "abc"}, where="project.toml")
    assert str(err.value).startswith("project.toml [params.pv] clearness: ")
    assert "'abc'" in str(err.value)
    with pytest.raises(ManifestError, match=r"command line distance: .*'walking'"):
        merge_params(SitingParams, ("command line", {"distance": "walking"}))
    with pytest.raises(ManifestError, match=r"\[params\.siting\] grid_spacing_m: .*greater than 0"):
        check_table("siting", {"grid_spacing_m": 0}, where="project.toml")


def test_whole_tables_replace_and_numbers_become_text() -> None:
    got = merge_params(
        CoverageParams,
        ("catalog", {"complete_facilities": {"clinic": 500.0, "kindergarten": 300.0}}),
        ("manifest", {"complete_facilities": {"clinic": 400.0}, "historic_streets": [1201]}),
    )
    assert got.complete_facilities == {"clinic": 400.0}
    assert got.historic_streets == ["1201"]
    assert merge_params(HeatingParams).baseline_rate_percent is None


def test_cli_and_web_show_the_error_without_traceback(tmp_path: Path) -> None:
    from starlette.exceptions import StarletteDeprecationWarning

    from web.app import create_app

    with warnings.catch_warnings():
        # as in test_web_api: starlette asks for httpx2, httpx works the same
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient

    make_project(tmp_path)
    client = TestClient(create_app(tmp_path))
    manifest = tmp_path / "project.toml"
    with manifest.open("a", encoding="utf-8") as fh:
        fh.write("\n[params.pv]\nalbdo = 0.3\n")
    stat = manifest.stat()  # a later mtime, so the server re-reads the manifest
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    r = client.get("/api/indicators")
    assert r.status_code == 422
    assert "did you mean 'albedo'?" in r.text
    done = subprocess.run(
        [sys.executable, "-m", "peakmap", "report", str(tmp_path)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "[params.pv]: unknown key 'albdo' (did you mean 'albedo'?)" in lines[0]
