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
from fixtures.coverage import four_districts, make_project, strip_zones, two_districts
from shapely import LineString, Point, box

from gis import InputFileError
from gis.tasks import LOCAL_DASHBOARD
from layers.indicators.catalog import Catalog, IndicatorSpec, read_catalog
from layers.indicators.engine import compute_records, load_zones
from layers.indicators.partition import (
    ONE_PIECE,
    compute_partitioned,
    district_outcomes,
    partitions,
)
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


def test_neighbouring_districts_share_a_task(tmp_path: Path, client: Any) -> None:
    """Tasks take districts along the strip (D1 D3 | D4 D2), not in code order (D1 D2 | D3 D4)."""
    project = four_districts(tmp_path / "p")
    zones = load_zones(project)
    assert partitions(zones, 2) == [["D1", "D3"], ["D4", "D2"]]
    assert partitions(zones, 4) == [["D1"], ["D3"], ["D4"], ["D2"]]
    catalog = Catalog(list(SPECS))
    single = compute_records(project, catalog=catalog, scheduler="")
    split = compute_partitioned(project, client, catalog=catalog, zones=zones)
    assert _dicts(split) == _dicts(single)
    assert [r.zone_code for r in split] == [r.zone_code for r in single]


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
    assert bad.exit_code == 1 and "local:N" in bad.stderr  # one line (peakmap.cli), no trace


# ---------------------------------------------------------------- neighbourhood reads
#
# A 3000 m strip: D1 (x 0–1500, street S1, community C1) and D2 (x 1500–3000, S2, C2).
# gbt51346: parks ≥ 5000 m² serve 500 m, 2000–5000 m² serve 300 m. A task reads its
# communities' box grown by 500 m + 1 m: D1 x ≤ 2001, D2 x ≥ 999.
#
# - a park in D1 made of two touching pieces, A (x 990–1010, 2 000 m², inside D2's box) and
#   B (x 960–990, 3 000 m², outside it): 5 000 m² together → 500 m, A alone would be 300 m.
#   It serves the home H2 of D2 (centroid x 1502, 492 m from A, on foot too along the road);
# - H2's building straddles the border (x 1497–1507; its centroid is in C2), so does the
#   residential land (one polygon over the whole strip) and a G2 green piece (x 1450–1550);
# - the road y = 100 crosses the border; an island road (x 2900–3000, y 190) holds H5 (5
#   households) on a network part without parks: D2's walking rows compute again from the
#   whole layers, as that cannot be known from a neighbourhood;
# - a hook road (y 190, x 1400–2200, then down to the main road at x 2200) holds the home H6
#   of C1 (7 households, x 1400, 400 m from the park): in D1's box (roads to x 2153) the
#   hook's way down is missing and H6 looks cut off from every park; in the whole city it is
#   only too far on foot (1 790 m). D1's walking rows compute again from the whole layers;
# - a park P2 (x 2600–2700, 20 000 m²) far in D2, which D1's task does not read;
# - a recycling point on the border (x 1500): C1, listed first, holds it.
def _strip_layers() -> dict[str, list[dict[str, Any]]]:
    def home(bid: str, x: float, y: float, hh: int) -> dict[str, Any]:
        return {"id": bid, "use": "residential", "floors": 6, "households": hh,
                "geometry": box(x - 5, y - 5, x + 5, y + 5)}

    return {
        **strip_zones({1: 0.0, 2: 1500.0}, 1500.0),  # D1/S1/C1 x 0–1500, D2/S2/C2 1500–3000
        "landuse": [{"code": "R2", "geometry": box(0, 0, 3000, 200)}],
        "green_spaces": [
            {"id": "A", "class": "G11", "geometry": box(990, 0, 1010, 100)},
            {"id": "B", "class": "G11", "geometry": box(960, 0, 990, 100)},
            {"id": "P2", "class": "G11", "geometry": box(2600, 0, 2700, 200)},
            {"id": "G2", "class": "G2", "geometry": box(1450, 150, 1550, 200)},
        ],
        "buildings": [home("H1", 300, 100, 10), home("H2", 1502, 100, 20),
                      home("H3", 2900, 100, 30), home("H4", 2000, 100, 50),
                      home("H5", 2950, 190, 5), home("H6", 1400, 190, 7)],
        "roads": [
            {"id": "main", "geometry": LineString([(-50, 100), (3050, 100)])},
            {"id": "island", "geometry": LineString([(2900, 190), (3000, 190)])},
            {"id": "hook", "geometry": LineString([(1400, 190), (2200, 190)])},
            {"id": "down", "geometry": LineString([(2200, 190), (2200, 100)])},
        ],
        "recycling_points": [
            {"id": "r1", "kind": "community_point", "geometry": Point(1500, 100)},
            {"id": "r2", "kind": "community_point", "geometry": Point(2950, 100)},
        ],
        "facilities": [
            {"id": "k1", "type": "kindergarten", "geometry": Point(1500, 100)},
            {"id": "h1", "type": "clinic", "geometry": Point(2900, 100)},
        ],
        "pocket_parks": [],
    }


STRIP_SPECS = [
    _spec("PARK", "service_coverage"),
    _spec("PARK-WALK", "service_coverage", mode="walk"),
    _spec("PARK-HH", "service_coverage", weight="households"),
    _spec("PARK-HH-WALK", "service_coverage", weight="households", mode="walk"),
    _spec("RECYCLE", "service_coverage", target="points", layer="recycling_points"),
    _spec("RECYCLE-WALK", "service_coverage", target="points", layer="recycling_points",
          mode="walk"),
    _spec("COMPLETE", "service_coverage", target="complete_community",
          facilities={"kindergarten": 300.0, "clinic": 500.0}, min_share=10.0),
    _spec("GREEN", "area_share", layers=["green_spaces"]),
    _spec("POINTS", "count", unit="个", layer="recycling_points"),
    _spec("EACH", "each_zone_min", layer="recycling_points", min=1),
]


def test_neighbourhood_reads_equal_the_whole_city(tmp_path: Path, client: Any) -> None:
    from layers.indicators.engine import metric_context
    from layers.indicators.neighbourhood import read_scope_for

    layers = _strip_layers()
    layers.pop("pocket_parks")
    project = make_project(tmp_path / "p", change=layers)
    catalog = Catalog(list(STRIP_SPECS))
    single = compute_records(project, catalog=catalog, scheduler="")
    by = {(r.indicator, r.zone_code): r.value for r in single}
    # worked by hand: C2's homes H2 (20, 492 m from the two-piece park, on foot too), H3
    # (30, 200 m from P2), H5 (5, 250 m from P2; on the island road: not on foot), H4 (50,
    # 600 m from P2, 990 m from the park): straight 55 of 105, on foot 50 of 105
    assert by[("PARK-HH", "C2")] == pytest.approx(round(100 * 55 / 105, 2))
    assert by[("PARK-HH-WALK", "C2")] == pytest.approx(round(100 * 50 / 105, 2))
    # C1: H1 (10, x 300) 660 m from the park; H6 (7) 400 m, 1 790 m on foot
    assert by[("PARK-HH", "C1")] == pytest.approx(round(100 * 7 / 17, 2))
    assert by[("PARK-HH-WALK", "C1")] == 0.0
    assert (by[("POINTS", "C1")], by[("POINTS", "C2")]) == (1, 1)  # r1 on the border: C1
    # green share of the community: C1 the park (5 000 m²) and half of the straddling G2
    # piece (50 × 50 m²), C2 the other half and P2 (20 000 m²); each community 300 000 m²
    green = {r.zone_code: r.value for r in single if r.indicator == "GREEN"}
    assert green["C1"] == pytest.approx(round(100 * 7500 / 300_000, 2))
    assert green["C2"] == pytest.approx(round(100 * 22_500 / 300_000, 2))
    one_piece: list[str] = []
    split = compute_partitioned(project, client, catalog=catalog, zones=load_zones(project),
                                one_piece=one_piece)
    assert _dicts(split) == _dicts(single)
    assert one_piece == []
    inline = compute_partitioned(project, None, catalog=catalog, zones=load_zones(project))
    assert _dicts(inline) == _dicts(single)

    # what each district's task reads
    zones = load_zones(project)
    ctx = metric_context(project, catalog=catalog, zones=zones)
    ctx.all_communities = zones.communities
    ctx.communities = zones.communities.loc[["C1"]]
    scope = read_scope_for(ctx, STRIP_SPECS)
    assert scope is not None
    assert scope.box == pytest.approx((-501, -501, 2001, 701))
    # the whole two-piece park and G2 (reaching the box), not P2
    assert sorted(scope.frames["green_spaces"]["id"]) == ["A", "B", "G2"]
    assert sorted(project.store.read("buildings", bbox=scope.box)["id"]) == [
        "H1", "H2", "H4", "H6"]
    # roads: the box of the parks read (here the box itself) grown by the largest snapping
    # distance (150 m), the road vertex tolerance (1 m) and 1 m
    assert scope.boxes["roads"] == pytest.approx((-653, -653, 2153, 853))
    ctx.communities = zones.communities.loc[["C2"]]
    scope = read_scope_for(ctx, STRIP_SPECS)
    assert scope is not None
    assert scope.box[0] == pytest.approx(999)
    # piece A reaches D2's box, so B (touching it) is read too: the park is whole
    assert sorted(scope.frames["green_spaces"]["id"]) == ["A", "B", "G2", "P2"]


def test_district_task_alone_sees_the_whole_park(tmp_path: Path) -> None:
    """Without the pieces beyond the box, D2's task would give the park 300 m, not 500 m."""
    layers = _strip_layers()
    layers.pop("pocket_parks")
    project = make_project(tmp_path / "p", change=layers)
    out = district_outcomes(str(project.root), ["D2"], STRIP_SPECS[2:4], {}, None, None)
    for ident in ("PARK-HH", "PARK-HH-WALK"):
        values = out[ident].result.values  # type: ignore[union-attr]
        # H2 (20 households) is covered only by the whole park's 500 m
        assert values.loc["C2", "den"] == 105.0
        assert values.loc["C2", "num"] == (55.0 if ident == "PARK-HH" else 50.0)
    # the walking row's note: H5 on the island road, from the whole layers
    note = out["PARK-HH-WALK"].result.note  # type: ignore[union-attr]
    assert "5 on network parts without facilities" in note
    # D1: H6 is too far on foot, not cut off (its road leaves the box)
    out = district_outcomes(str(project.root), ["D1"], STRIP_SPECS[3:4], {}, None, None)
    note = out["PARK-HH-WALK"].result.note  # type: ignore[union-attr]
    assert "0 on network parts without facilities" in note
