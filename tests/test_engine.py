"""The engine end to end: catalog format and errors, includes, levels, scenario, the annex."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import geopandas as gpd
import pytest
from fixtures.tiny import CRS, make_project
from shapely.geometry import Point

from layers import ManifestError
from layers.indicators.catalog import load_catalog, read_catalog
from layers.indicators.engine import RECORD_FIELDS, compute_records
from layers.project import Project

CATALOGS = Path(__file__).resolve().parent.parent / "layers" / "catalogs"
SEEDS = Path("/work/shared/seeds/heping-carbon-peak-plan.txt")

ROW = """
[[indicator]]
id = "{id}"
title = "公园"
title_en = "Parks"
level = "district"
kind = "count"
op = ">="
target = 2
unit = "个"
deadline = 2025
responsible = ["区城市管理委", "区住房建设委"]
[indicator.params]
layer = "pocket_parks"
where = {{ status = "existing" }}
"""

POINTS_ROW = """
[[indicator]]
id = "T2"
title = "回收点"
kind = "each_zone_min"
op = ">="
target = 100
unit = "%"
[indicator.params]
layer = "recycling_points"
where = { kind = "community_point" }
"""


def test_catalog_row_becomes_records_at_every_level(tmp_path: Path) -> None:
    project = make_project(tmp_path, targets=ROW.format(id="P1"))
    records = compute_records(project, year=2025)
    assert [r.level for r in records] == ["district"] + ["street"] * 3 + ["community"] * 4
    district = records[0].as_dict()
    assert list(district)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
    assert district["value"] == 2
    assert district["status"] == "pass"
    assert district["gap"] == 0
    assert district["responsible"] == "区城市管理委、区住房建设委"
    assert district["zone_name"] == "区D"
    # a count's target is set for the district only
    street = records[1]
    assert street.status == "no-target" and street.target is None


def test_include_and_parameter_defaults(tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text(
        '[params.heating]\nrenewal_age_years = 20\n' + ROW.format(id="P2"), encoding="utf-8"
    )
    main = tmp_path / "main.toml"
    main.write_text('include = ["other.toml"]\n' + ROW.format(id="P1"), encoding="utf-8")
    catalog = read_catalog(main)
    assert [s.id for s in catalog.indicators] == ["P1", "P2"]
    assert catalog.params["heating"]["renewal_age_years"] == 20


def test_missing_include_names_the_catalog(tmp_path: Path) -> None:
    main = tmp_path / "targets.toml"
    main.write_text('include = ["nowhere.toml"]\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"targets\.toml: included catalog 'nowhere\.toml'"):
        load_catalog(main)


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text(ROW.format(id="P1"), encoding="utf-8")
    main = tmp_path / "a.toml"
    main.write_text('include = ["b.toml"]\n' + ROW.format(id="P1"), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"b\.toml: indicator P1 is defined twice.*a\.toml"):
        load_catalog(main)


def test_include_cycle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('include = ["b.toml"]\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('include = ["a.toml"]\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="includes itself"):
        load_catalog(tmp_path / "a.toml")


def test_packaged_include_reads_the_catalogs_of_peakmap(tmp_path: Path) -> None:
    """``peakmap:targets.toml`` reads layers/catalogs with its own includes; own rows first."""
    main = tmp_path / "targets.toml"
    main.write_text('include = ["peakmap:targets.toml"]\n' + ROW.format(id="OWN-1"),
                    encoding="utf-8")
    packaged = read_catalog(CATALOGS / "targets.toml")
    got = read_catalog(main)
    assert [s.id for s in got.indicators] == ["OWN-1", *(s.id for s in packaged.indicators)]
    assert got.files[1:] == packaged.files
    assert {f.name for f in got.files[1:]} == {
        "targets.toml", "tianjin.toml", "standards.toml", "pv.toml", "departments.toml",
        "groups.toml"}
    assert all(f.parent == CATALOGS.resolve() for f in got.files[1:])
    assert got.params == packaged.params
    by_id = {s.id: s for s in got.indicators}
    assert by_id["HP-04"].source_file == str((CATALOGS / "targets.toml").resolve())


@pytest.mark.parametrize("name", ["peakmap:nowhere.toml", "peakmap:../manifest.py",
                                  "peakmap:catalogs/targets.toml", "peakmap:"])
def test_packaged_include_must_name_a_packaged_catalog(tmp_path: Path, name: str) -> None:
    main = tmp_path / "targets.toml"
    main.write_text(f'include = ["{name}"]\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r"targets\.toml: included catalog .* not a catalog "
                       r"packaged with peakmap \(known: .*peakmap:targets\.toml"):
        read_catalog(main)


def test_packaged_id_defined_again_in_the_project_is_refused(tmp_path: Path) -> None:
    main = tmp_path / "targets.toml"
    main.write_text('include = ["peakmap:pv.toml"]\n'
                    + ROW.format(id="NEA-PV-GOV"), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"pv\.toml: indicator NEA-PV-GOV is defined twice"):
        read_catalog(main)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ROW.format(id="P1").replace('op = ">="', 'op = "=>"'), r"indicator P1: op"),
        (ROW.format(id="P1").replace('level = "district"', 'level = "city"'),
         r"indicator P1: level"),
        (ROW.format(id="P1").replace('kind = "count"', 'kinds = "count"'), r"indicator P1: "),
        ('[[indicator]]\nid = "X"\n', r"indicator X: title"),
        ("[[indicator]\n", r"not valid TOML"),
        ('targets = 3\n', r"unknown top-level key"),
    ],
)
def test_malformed_catalog_messages(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError, match=message) as err:
        load_catalog(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_scenario_reads_base_plus_proposal(tmp_path: Path) -> None:
    project = make_project(tmp_path, targets=POINTS_ROW)
    proposal = gpd.GeoDataFrame(
        {"id": ["n1"], "kind": ["community_point"]}, geometry=[Point(75, 50)], crs=CRS
    )
    proposal.to_file(project.store.path, layer="proposal__recycling_points", driver="GPKG")
    base = {(r.level, r.zone_code): r for r in compute_records(project, year=2025)}
    project = Project(tmp_path)
    prop = {
        (r.level, r.zone_code): r
        for r in compute_records(project, year=2025, scenario="proposal")
    }
    assert base[("district", "D")].value == pytest.approx(50.0)  # C1 and C4 of four
    assert prop[("district", "D")].value == pytest.approx(75.0)  # + C2
    assert prop[("community", "C2")].value == 1
    assert base[("community", "C2")].value == 0


def test_year_changes_what_exists(tmp_path: Path) -> None:
    project = make_project(tmp_path, targets=ROW.format(id="P1"))
    by_year = {
        y: compute_records(project, year=y)[0].value for y in (2019, 2020, 2021, 2027)
    }
    # p3 built 2020, p1 built 2021, p4 built 2027
    assert by_year == {2019: 0, 2020: 1, 2021: 2, 2027: 3}


def test_year_defaults_to_the_manifest(tmp_path: Path) -> None:
    project = make_project(tmp_path, targets=ROW.format(id="P1"))
    assert compute_records(project)[0].value == 2  # [project] year = 2025


# ------------------------------------------------------------------ the Heping catalog


def _annex_rows() -> dict[int, tuple[str, list[str]]]:
    """(target text, departments) of the 29 annex rows, parsed from the plan text."""
    text = SEEDS.read_text(encoding="utf-8")
    annex = text[text.rindex("和平区碳达峰实施方案主要指标分工表") :]
    rows: dict[int, tuple[str, list[str]]] = {}
    for m in re.finditer(r"\n\t(\d{1,2})\n\t(.+?)\n\t(.+?)(?=\n\t[^\n]*\n\t\d{1,2}\n|\Z)", annex,
                         flags=re.S):
        depts = [d for d in re.split(r"\n+", m.group(3).strip()) if d.strip()]
        rows[int(m.group(1))] = (m.group(2), depts)
    return rows


def _join_depts(lines: list[str]) -> list[str]:
    """The annex wraps 区机关事务管理局 over two lines; join wrapped fragments."""
    out: list[str] = []
    for line in (s.strip() for s in lines):
        if out and not line.startswith(("区", "公安", "各", "市")):
            out[-1] += line
        else:
            out.append(line)
    return out


@pytest.mark.skipif(not SEEDS.is_file(), reason="plan text not available")
def test_heping_catalog_has_every_annex_row_with_its_departments() -> None:
    specs = {s.id: s for s in load_catalog(CATALOGS / "targets.toml")}
    annex = _annex_rows()
    assert sorted(annex) == list(range(1, 30))
    for seq, (text, depts) in annex.items():
        spec = specs[f"HP-{seq:02d}"]
        assert spec.seq == seq
        assert spec.responsible == _join_depts(depts), spec.id
        assert re.sub(r"\s", "", spec.text) == re.sub(r"\s", "", text), spec.id


def test_heping_catalog_rows_and_kinds() -> None:
    specs = {s.id: s for s in load_catalog(CATALOGS / "targets.toml")}
    for ident in ("HP-T1", "HP-T2", "HP-T3", "HP-T4", "TJ-PV50", "TJ-FOREST", "TJ-GREENOUT"):
        assert ident in specs
    assert specs["HP-04"].target == 1_620_000 and specs["HP-04"].unit == "m²"
    assert specs["HP-15"].kind == "heat_loss_change" and specs["HP-15"].target == -5
    assert specs["HP-10"].kind == specs["HP-11"].kind == "service_coverage"
    assert specs["TJ-PV50"].kind == "pv"
    assert specs["HP-29"].deadline == 2023
    with (CATALOGS.parents[1] / "sample" / "heping_reported.csv").open(encoding="utf-8") as fh:
        ids = {r["indicator"] for r in csv.DictReader(fh)}
    reported = {s.id for s in specs.values() if s.kind == "reported"}
    assert ids <= set(specs)
    assert reported - ids <= {"HP-05", "HP-06", "HP-07"}  # 2030 rows: nothing to report yet


def test_heping_catalog_on_the_tiny_project_never_crashes(tmp_path: Path) -> None:
    """Every row of the real catalog runs on a project missing most layers (no-data, no crash)."""
    project = make_project(tmp_path, skip=("streetlights", "heating_pipes", "sponge_zones"))
    for name in ("targets.toml", "tianjin.toml", "standards.toml", "pv.toml", "departments.toml",
                 "groups.toml"):
        (tmp_path / name).write_bytes((CATALOGS / name).read_bytes())
    records = compute_records(project, year=2025)
    by = {(r.indicator, r.level, r.zone_code): r for r in records}
    assert by[("HP-17", "district", "D")].status == "no-data"
    assert by[("HP-T4", "district", "D")].status == "no-data"
    assert by[("TJ-FOREST", "district", "D")].status == "no-data"
    assert by[("HP-04", "district", "D")].value == pytest.approx(2300.0)
    assert {r.status for r in records} <= {"pass", "fail", "no-target", "no-data"}


def test_a_failing_kind_gives_no_data_and_other_rows_survive(tmp_path: Path) -> None:
    from layers.indicators.registry import KINDS, metric_kind

    def broken(ctx: object, spec: object) -> None:
        raise ZeroDivisionError("boom")

    metric_kind("test_broken")(broken)  # type: ignore[arg-type]
    try:
        project = make_project(tmp_path, targets=ROW.format(id="P1") + ROW.format(id="P2")
                               .replace('kind = "count"', 'kind = "test_broken"'))
        records = compute_records(project, year=2025)
    finally:
        KINDS.pop("test_broken", None)
    p1 = [r for r in records if r.indicator == "P1"]
    p2 = [r for r in records if r.indicator == "P2"]
    assert p1[0].value == 2
    assert [r.status for r in p2] == ["no-data"]
    assert "ZeroDivisionError" in p2[0].note


def test_unbuilt_project_says_so(tmp_path: Path) -> None:
    from layers import StoreError

    project = make_project(tmp_path, targets=ROW.format(id="P1"))
    project.store.path.unlink()
    with pytest.raises(StoreError, match="has not been built yet"):
        compute_records(Project(tmp_path), year=2025)


def test_import_themes_imports_every_theme_and_registers_its_kinds() -> None:
    import sys

    from layers.indicators import rows
    from layers.indicators.registry import KINDS, THEME_MODULES

    assert tuple(rows._THEME_LOADERS) == THEME_MODULES  # one plain import per listed theme
    assert rows.import_themes() == {}
    assert all(module in sys.modules for module in THEME_MODULES)
    # one kind from each theme module (registered on import)
    assert {"area_share", "heat_loss_change", "service_coverage", "pv"} <= set(KINDS)


def test_kind_modules_match_the_registry() -> None:
    from layers.indicators import engine
    from layers.indicators.registry import KIND_MODULES, KINDS

    engine.import_themes()
    assert set(KIND_MODULES) == set(KINDS)  # every kind mapped, no stale entry
    for kind, fn in KINDS.items():
        assert fn.__module__ == KIND_MODULES[kind], kind


def test_a_few_rows_import_only_their_themes(tmp_path: Path) -> None:
    """Rows of one kind load that kind's theme only (a fresh process: nothing imported yet)."""
    import subprocess
    import sys

    make_project(tmp_path, targets=ROW.format(id="A"))
    code = (
        "import sys\n"
        "from layers.indicators.engine import compute_records\n"
        "from layers.project import Project\n"
        f"recs = compute_records(Project({str(tmp_path)!r}), year=2025, ids=['A'])\n"
        "print(sorted(m for m in ('layers.metrics', 'layers.heating', 'layers.coverage',"
        " 'layers.rooftop_pv') if m in sys.modules), len(recs))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=root)
    assert done.stdout.split("]")[0] + "]" == "['layers.metrics']"
    assert int(done.stdout.split("]")[1]) > 0
