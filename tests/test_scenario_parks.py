"""A proposal moves every indicator it touches, by amounts worked out by hand.

Fixture (metric CRS, metres; one district, one street, two communities):

- C1 = [0, 600] × [0, 200], C2 = [600, 1200] × [0, 200].
- Residential land R1 = [0, 100] × [0, 100] (10 000 m², in C1) and R2 = [1000, 1100] × [0, 100]
  (10 000 m², in C2).
- Park P (G11) = [0, 100] × [150, 200], 5 000 m²: it earns 500 m under every preset; the
  farthest point of R1, (100, 0), is 150 m away, so R1 is covered; R2 is ≥ 900 m away.
- Existing pocket park K = [200, 220] × [150, 170], 400 m² (below 2 000 m²: no radius under
  gbt51346; 300 m under green300_park500, which reaches R1 only).
- Candidate plots (vacant land): Q = [1000, 1050] × [150, 200], 2 500 m² (2 000–5 000 m² →
  300 m; farthest point of R2, (1100, 0), is √(50² + 150²) = 158.1 m away → R2 covered), and
  T = [700, 720] × [150, 170], 400 m² (earns nothing under gbt51346).

One pocket park for STD-PARK-500 (preset gbt51346): the model picks Q.
- STD-PARK-500: 10 000 / 20 000 = 50 % → 100 % (+50 points); the model's sampled coverage
  (25 m grid: 16 samples of 625 m² per piece, all inside or all outside) is the same 50 → 100.
- HP-T1 (existing pocket parks): 1 → 2.
- HP-04 (union of green incl. pocket parks): 5 000 + 400 = 5 400 m² → + 2 500 = 7 900 m².
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from gis.io import write_gpkg_atomic
from layers.indicators.engine import compute_records
from layers.project import Project
from sample.project_files import copy_catalogs

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_330_000.0


def _b(x0: float, y0: float, x1: float, y1: float):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _project(root) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    copy_catalogs(root)
    (root / "project.toml").write_text(
        '[project]\nname = "parks"\ntargets = "targets.toml"\nyear = 2025\n', encoding="utf-8"
    )

    def gdf(data, geoms):
        return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)

    layers = {
        "districts": gdf({"code": ["D"], "name": ["区"]}, [_b(0, 0, 1200, 200)]),
        "streets": gdf({"code": ["S"], "name": ["街"], "district_code": ["D"]},
                       [_b(0, 0, 1200, 200)]),
        "communities": gdf(
            {"code": ["C1", "C2"], "name": ["甲", "乙"], "street_code": ["S", "S"]},
            [_b(0, 0, 600, 200), _b(600, 0, 1200, 200)],
        ),
        "landuse": gdf(
            {"code": ["R", "R", "G", "E", "E"],
             "subcode": ["R2", "R2", "G1", "vacant", "vacant"]},
            [_b(0, 0, 100, 100), _b(1000, 0, 1100, 100), _b(0, 150, 100, 200),
             _b(1000, 150, 1050, 200), _b(700, 150, 720, 170)],
        ),
        "green_spaces": gdf({"id": ["P"], "class": ["G11"]}, [_b(0, 150, 100, 200)]),
        "pocket_parks": gdf({"id": ["K"], "status": ["existing"]}, [_b(200, 150, 220, 170)]),
    }
    write_gpkg_atomic(root / "build" / "peakmap.gpkg", layers)
    return Project(root)


def _district(project: Project, ids: list[str], *, scenario: str | None = None) -> dict:
    return {
        r.indicator: r.value
        for r in compute_records(project, ids=ids, scenario=scenario)
        if r.level == "district"
    }


IDS = ["STD-PARK-500", "HP-T1", "HP-04", "STD-GREEN-300"]


def test_pocket_park_proposal_moves_hp_t1_hp_04_and_std_park_500(tmp_path) -> None:
    from layers.compare import compare
    from layers.siting import apply_proposal, site_pocket_parks, siting_params

    project = _project(tmp_path / "p")
    before = _district(project, IDS)
    assert before["STD-PARK-500"] == pytest.approx(50.0)
    assert before["HP-T1"] == 1
    assert before["HP-04"] == pytest.approx(5400.0)
    # green300_park500: K (400 m²) earns 300 m and reaches only R1, already covered by P.
    assert before["STD-GREEN-300"] == pytest.approx(50.0)

    out = site_pocket_parks(project, siting_params(project), count=1)
    assert out.summary["indicator"] == "STD-PARK-500"
    (chosen,) = out.proposal.geometry
    assert chosen.equals(_b(1000, 150, 1050, 200))
    assert out.proposal["radius_m"].tolist() == [300.0]
    plots = out.candidates.set_index("area_m2")
    assert plots.loc[400.0, "radius_m"] == 0.0  # T earns nothing under gbt51346
    # The model's coverage equals the indicator's, before and after.
    assert out.summary["coverage_before_pct"] == pytest.approx(before["STD-PARK-500"])
    assert out.summary["coverage_after_pct"] == pytest.approx(100.0)

    apply_proposal(project, out)
    after = _district(project, IDS, scenario="proposal")
    assert after["STD-PARK-500"] == pytest.approx(100.0)
    assert after["HP-T1"] == 2
    assert after["HP-04"] == pytest.approx(7900.0)
    # Q (2 500 m²) earns 300 m under green300_park500 too: R2 is covered there as well.
    assert after["STD-GREEN-300"] == pytest.approx(100.0)
    table = {p.indicator: p for p in compare(project, layers=["pocket_parks"],
                                             levels=["district"])}
    assert table["STD-PARK-500"].change == pytest.approx(50.0)
    assert table["HP-T1"].change == pytest.approx(1.0)
    assert table["HP-04"].change == pytest.approx(2500.0)
    assert table["HP-T1"].status_now == "fail"  # 2 of 20: still short
    assert table["HP-T1"].status_change == "unchanged"


def test_small_pocket_park_earns_no_500_m_radius(tmp_path) -> None:
    from layers.siting import apply_proposal, site_pocket_parks, siting_params

    project = _project(tmp_path / "p")
    first = site_pocket_parks(project, siting_params(project), count=1)
    # The park's own land-use parcel is not a candidate: only Q and T are.
    assert sorted(first.candidates["area_m2"]) == [400.0, 2500.0]
    q = first.candidates.loc[first.candidates["area_m2"] == 2500.0, "cand_id"].item()
    # Q dropped, only T (400 m²) is left: it counts in HP-T1 and HP-04 but covers nothing
    # under gbt51346.
    out = site_pocket_parks(project, siting_params(project), count=1, drop=[q])
    (chosen,) = out.proposal.geometry
    assert chosen.equals(_b(700, 150, 720, 170))
    apply_proposal(project, out)
    after = _district(project, IDS, scenario="proposal")
    assert after["STD-PARK-500"] == pytest.approx(50.0)
    assert after["HP-T1"] == 2
    assert after["HP-04"] == pytest.approx(5800.0)


def test_moved_pocket_park_keeps_its_id_for_fix_and_drop(tmp_path) -> None:
    """PR-PP-0001 (on Q) moved to [275, 325] × [150, 200] in C1: --fix keeps it there, --drop
    leaves Q out.

    Moved, the 2 500 m² park still earns 300 m but reaches only R1, which P covers already:
    STD-PARK-500 stays 50 %; it still counts in HP-T1 (2) and HP-04 (7 900 m²). Dropped, Q is
    left out and T (400 m²) is chosen, as when Q's candidate is dropped: 50 %, 2, 5 800 m².
    """
    from layers.siting import apply_proposal, move_site, site_pocket_parks, siting_params

    project = _project(tmp_path / "p")
    params = siting_params(project)
    first = site_pocket_parks(project, params, count=1)
    assert first.proposal["id"].tolist() == ["PR-PP-0001"]
    assert first.proposal.geometry.iloc[0].equals(_b(1000, 150, 1050, 200))
    apply_proposal(project, first)
    # Q's inside point (1025, 175) is put at (300, 175)
    move_site(project, "PR-PP-0001", X0 + 300, Y0 + 175, crs=CRS)
    fixed = site_pocket_parks(project, params, count=1, fix=["PR-PP-0001"])
    row = fixed.proposal.iloc[0]
    assert row["id"] == "PR-PP-0001" and bool(row["moved"]) and row["origin"] == "planner"
    assert fixed.proposal.geometry.iloc[0].symmetric_difference(
        _b(275, 150, 325, 200)).area < 0.01
    assert row["radius_m"] == 300.0
    assert fixed.summary["coverage_after_pct"] == pytest.approx(50.0)
    apply_proposal(project, fixed)
    after = _district(project, IDS, scenario="proposal")
    assert after["STD-PARK-500"] == pytest.approx(50.0)  # the model's figure
    assert after["HP-T1"] == 2
    assert after["HP-04"] == pytest.approx(7900.0)
    dropped = site_pocket_parks(project, params, count=1, drop=["PR-PP-0001"])
    (chosen,) = dropped.proposal.geometry
    assert chosen.equals(_b(700, 150, 720, 170))  # T
    assert dropped.proposal["id"].tolist() == ["PR-PP-0002"]  # a new site, a new id
    apply_proposal(project, dropped)
    after = _district(project, IDS, scenario="proposal")
    assert after["STD-PARK-500"] == pytest.approx(50.0)
    assert after["HP-T1"] == 2
    assert after["HP-04"] == pytest.approx(5800.0)
