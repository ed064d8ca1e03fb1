"""Indicators by district on a Dask cluster equal the single-process run (issue 16 item 4).

The tiny two-district project is ``tests/fixtures/coverage.py``'s strip cut in two: district D1
(x 0–500: street S1, community C1) and D2 (x 500–1000: S2, C2). The park P1 (x 0–100) lies in
D1 and serves homes and residential land of D2 (C2 from x 500 to 600, home B2 at x 550); a
small pocket park in D1's historic street S1 (x 490–497.5) gets its 300 m radius only because
its street is historic, and serves C2 in D2 up to x 797.5. D2's task must find both, with the
same radius, as the whole-city run does; and a facility on the border between the districts
goes to the same community in both runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.coverage import make_project, tiny_layers
from shapely import Point, box

from gis import InputFileError
from gis.tasks import LOCAL_DASHBOARD
from layers.indicators.catalog import Catalog, IndicatorSpec, read_catalog
from layers.indicators.engine import compute_records, load_zones
from layers.indicators.partition import ONE_PIECE, compute_partitioned, district_outcomes
from layers.project import Project


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A 2-worker LocalCluster (processes, one thread each), as ``local:2`` opens."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=LOCAL_DASHBOARD) as c:
        yield c


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    from distributed import Client

    with Client(cluster) as c:
        yield c


def two_districts(root: Path, *, params: str = "") -> Project:
    layers = tiny_layers()
    layers["districts"] = [
        {"code": "D1", "name": "区一", "geometry": box(0, 0, 500, 200)},
        {"code": "D2", "name": "区二", "geometry": box(500, 0, 1000, 200)},
    ]
    layers["streets"][0]["district_code"] = "D1"
    layers["streets"][1]["district_code"] = "D2"
    # 1 500 m² pocket park in C1 near the border: 300 m only in a historic street
    layers["pocket_parks"] = [
        {"id": "h", "status": "existing", "geometry": box(490, 0, 497.5, 200)}]
    # a facility on the district border: the community listed first (C1) holds it
    layers["facilities"].append({"id": "k2", "type": "kindergarten", "geometry": Point(500, 100)})
    return make_project(root, change=layers, params=params)


def _spec(ident: str, kind: str, unit: str = "%", **params: Any) -> IndicatorSpec:
    return IndicatorSpec(id=ident, title=ident, kind=kind, unit=unit, params=params)


SPECS = [
    _spec("PARK", "service_coverage", preset="garden_city"),
    _spec("PARK-HH", "service_coverage", preset="garden_city", weight="households"),
    _spec("PARK-WALK", "service_coverage", preset="garden_city", weight="households",
          mode="walk"),
    _spec("GREEN", "area_share", layers=["green_spaces"]),
    _spec("POINTS", "count", unit="个", layer="recycling_points"),
    _spec("EACH", "each_zone_min", layer="facilities", min=1),
    _spec("COMPLETE", "service_coverage", target="complete_community"),
]


def _dicts(records: list[Any]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in records]


def test_border_park_serves_the_other_district(tmp_path: Path, client: Any) -> None:
    project = two_districts(tmp_path / "p", params='historic_streets = ["S1"]')
    catalog = Catalog(list(SPECS))
    single = compute_records(project, catalog=catalog, scheduler="")
    by = {(r.indicator, r.zone_code): r.value for r in single}
    # garden_city: P1 (20 000 m², 500 m) covers x ≤ 600; the historic pocket park (1 500 m²,
    # 300 m) x 190–797.5; residential land is x 100–1000: C1 (80 000 m²) all covered, C2
    # (100 000 m²) x 500–797.5 = 59 500 m²
    assert by[("PARK", "C1")] == 100.0
    assert by[("PARK", "C2")] == pytest.approx(59.5)
    # homes of C2: B2 (x 550, 20 households) covered, B3 (x 800, 30) not
    assert by[("PARK-HH", "C2")] == pytest.approx(40.0)
    one_piece: list[str] = []
    split = compute_partitioned(project, client, catalog=catalog, zones=load_zones(project),
                                one_piece=one_piece)
    assert _dicts(split) == _dicts(single)
    assert "PARK" not in one_piece and "PARK-WALK" not in one_piece
    # in this process, one district after the other: what a worker keeps between its
    # districts (layers, walking graph, parks) must not carry one district's parts over
    inline = compute_partitioned(project, None, catalog=catalog, zones=load_zones(project))
    assert _dicts(inline) == _dicts(single)
    # k1 (x 300) and k2 (x 500, on the border) in C1, h1 (x 900) in C2
    assert (by[("EACH", "C1")], by[("EACH", "C2")]) == (2, 1)


def test_district_task_holds_only_its_district(tmp_path: Path) -> None:
    project = two_districts(tmp_path / "p", params='historic_streets = ["S1"]')
    out = district_outcomes(str(project.root), ["D2"], SPECS[:3], {}, None, None)
    for ident in ("PARK", "PARK-HH", "PARK-WALK"):
        result = out[ident].result
        assert result is not None
        assert list(result.values.index) == ["C2"]
    # C2: P1 (in D1) covers x 500–600, D1's historic park x 500–797.5 → 59.5 %
    values = out["PARK"].result.values  # type: ignore[union-attr]
    assert 100 * values.loc["C2", "num"] / values.loc["C2", "den"] == pytest.approx(59.5)
    # homes: B2 (x 550, 20 households) reached, B3 (x 800, 30) not
    hh = out["PARK-HH"].result.values  # type: ignore[union-attr]
    assert (hh.loc["C2", "num"], hh.loc["C2", "den"]) == (20.0, 50.0)


def test_empty_catalog_gives_no_record(tmp_path: Path) -> None:
    project = two_districts(tmp_path / "p")
    assert compute_partitioned(project, None, catalog=Catalog([]),
                               zones=load_zones(project)) == []


def test_scheduler_address_from_the_environment(tmp_path: Path, cluster: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    project = two_districts(tmp_path / "p")
    catalog = Catalog(list(SPECS[:2]))
    single = compute_records(project, catalog=catalog, scheduler="")
    monkeypatch.setenv("PEAKMAP_DASK_SCHEDULER", cluster.scheduler_address)
    assert _dicts(compute_records(project, catalog=catalog)) == _dicts(single)


def test_bad_scheduler_is_one_line(tmp_path: Path) -> None:
    project = two_districts(tmp_path / "p")
    with pytest.raises(InputFileError, match="local:N"):
        compute_records(project, catalog=Catalog(list(SPECS[:1])), scheduler="local:two")


@pytest.mark.slow
def test_sample_tiled_twice_equal_on_two_workers(tmp_path: Path, cluster: Any) -> None:
    """The Heping sample tiled ×2 (two districts): every record equal, to the last digit."""
    from layers.build import build_project
    from sample.generate import generate_sample

    root = tmp_path / "x2"
    generate_sample(root, scale=2, dsm=False)
    build_project(root, run_steps=False)
    project = Project(root)
    zones = load_zones(project)
    assert len(zones.names["district"]) == 2
    catalog = read_catalog(project.targets_path, root=project.root)
    ids = ["HP-04", "HP-04-walk", "HP-09", "HP-12", "HP-13", "HP-18", "HP-17", "STD-PARK-500",
           "HP-10", "HP-15", "HP-01"]
    ids = [s.id for s in catalog.indicators if s.id in ids]
    single = compute_records(project, catalog=catalog, ids=ids, scheduler="")
    from distributed import Client

    one_piece: list[str] = []
    with Client(cluster) as client:
        split = compute_partitioned(project, client, catalog=catalog, zones=zones, ids=ids,
                                    one_piece=one_piece)
    assert _dicts(split) == _dicts(single)
    kinds = {s.id: s.kind for s in catalog.indicators}
    assert {"HP-04", "HP-18", "STD-PARK-500"} <= set(ids) - set(one_piece)
    assert all(kinds[i] in ONE_PIECE or i == "HP-10" for i in one_piece), one_piece
    assert os.environ.get("PEAKMAP_DASK_SCHEDULER") is None


CLI_CATALOG = '''[[indicator]]
id = "PARK"
title = "公园服务半径覆盖率"
level = "district"
kind = "service_coverage"
unit = "%"
params = { preset = "garden_city" }
'''


def test_cli_report_with_scheduler(tmp_path: Path, cluster: Any) -> None:
    import json

    from typer.testing import CliRunner

    from peakmap.cli import app

    project = two_districts(tmp_path / "p", params='historic_streets = ["S1"]')
    (project.root / "targets.toml").write_text(CLI_CATALOG, encoding="utf-8")
    runner = CliRunner()
    args = ["report", str(project.root), "--format", "json", "--level", "all"]
    split = runner.invoke(app, [*args, "--id", "PARK", "--scheduler", cluster.scheduler_address])
    assert split.exit_code == 0, split.output
    single = runner.invoke(app, [*args, "--id", "PARK", "--scheduler", ""])
    assert single.exit_code == 0, single.output
    values = {r["zone_code"]: r["value"] for r in json.loads(split.stdout)}
    assert values["C2"] == pytest.approx(59.5) and values["C1"] == 100.0
    assert json.loads(split.stdout) == json.loads(single.stdout)
    bad = runner.invoke(app, [*args, "--scheduler", "local:two"])
    assert bad.exit_code != 0 and "local:N" in str(bad.exception)
