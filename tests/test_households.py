"""Households a planner can trust: homes without floor data, HP-22-sorting, notes per zone.

The coverage strip (tests/fixtures/coverage.py): one district D, streets S1 (x 0–500) and
S2 (x 500–1000), communities C1 (社一) and C2 (社二), none carrying households. Five homes,
``household_area_m2`` 90 m² [U], ``assumed_floors`` 6 [U]:

==== ===== ====== ========= ============ =====================================================
home comm. centre footprint given        households
==== ===== ====== ========= ============ =====================================================
A1   C1    x 100  400 m²    10, 6 floors 10 (given)
A2   C1    x 250  400 m²    5 floors     400 × 5 = 2,000 m² ÷ 90 = 22.2 → 23 (floor area)
A3   C1    x 450  400 m²    nothing      C1's median floors (6, 5) = 5.5: 2,200 ÷ 90 → 25
B1   C2    x 700  900 m²    nothing      no floors in C2: 900 × 6 = 5,400 ÷ 90 = 60 (assumed)
B2   C2    x 900  400 m²    40           40 (given)
==== ===== ====== ========= ============ =====================================================

C1 = 10 + 23 + 25 = 58 households, C2 = 60 + 40 = 100, D = 158. Before, A3 and B1 counted
1 household each (C1 34, C2 41).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fixtures.coverage import make_project
from shapely import Point, box

from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records
from layers.indicators.result import IndicatorResult
from layers.labels import note_label

CATALOG = Path(__file__).resolve().parent.parent / "layers" / "catalogs" / "targets.toml"


def _home(bid: str, x: float, *, side: float = 20.0, **fields: Any) -> dict[str, Any]:
    h = side / 2
    return {"id": bid, "use": "residential", "floors": None, "households": None,
            **fields, "geometry": box(x - h, 100 - h, x + h, 100 + h)}


HOMES = [
    _home("A1", 100, households=10, floors=6),
    _home("A2", 250, floors=5),
    _home("A3", 450),
    _home("B1", 700, side=30.0),
    _home("B2", 900, households=40),
]


def _communities(households: tuple[float | None, float | None] = (None, None),
                 sorting: tuple[bool, bool] = (True, False)) -> list[dict[str, Any]]:
    return [{"code": f"C{k}", "name": name, "street_code": f"S{k}", "households": hh,
             "waste_sorting": ws, "geometry": box(500 * (k - 1), 0, 500 * k, 200)}
            for k, name, hh, ws in zip((1, 2), ("社一", "社二"), households, sorting,
                                       strict=True)]


def _records(tmp_path: Path, ids: list[str], *, params: str = "",
             **change: list[dict[str, Any]]) -> dict[tuple[str, str], IndicatorResult]:
    layers = {"buildings": HOMES, "communities": _communities(), **change}
    project = make_project(tmp_path, params=params, change=layers)
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=ids)
    return {(r.indicator, r.zone_code): r for r in records}


def _zh(r: IndicatorResult) -> str:
    return note_label(r.note, "zh")


def _en(r: IndicatorResult) -> str:
    return note_label(r.note, "en")


C1_HOMES_ZH = ("户数估算：2 栋住宅无户数，1 栋按建筑面积 ÷ 90 m²/户，"
               "1 栋按基底面积 × 同社区住宅层数中位数 ÷ 90 m²/户")
C2_HOMES_ZH = "户数估算：1 栋住宅无户数，1 栋按基底面积 × 假定 6 层（assumed_floors） ÷ 90 m²/户"
D_HOMES_EN = ("households estimated for 3 residential buildings: 1 as floor area ÷ 90 m² per "
              "household, 1 as footprint × the median floors of its community's homes ÷ 90 m², "
              "1 as footprint × 6 assumed floors (assumed_floors) ÷ 90 m²")


def test_sorting_falls_back_to_the_homes_households(tmp_path: Path) -> None:
    # C1 sorts, C2 does not: D = 58 ÷ 158 = 36.71 %; before: no data (no households field)
    rec = _records(tmp_path, ["HP-22-sorting"])
    d, c1, c2 = (rec[("HP-22-sorting", z)] for z in ("D", "C1", "C2"))
    assert d.value == pytest.approx(100 * 58 / 158, abs=0.005)
    assert (c1.value, c2.value) == (100, 0)
    assert rec[("HP-22-sorting", "S1")].value == 100
    assert {r.source for r in rec.values()} == {"estimated"}
    assert _zh(c1) == f"户数估算：1 个社区无户数，按其住宅建筑户数合计；{C1_HOMES_ZH}"
    assert _zh(c2) == f"户数估算：1 个社区无户数，按其住宅建筑户数合计；{C2_HOMES_ZH}"
    assert _en(d) == ("households estimated for 2 communities without any: the sum of their "
                      f"residential buildings' households; {D_HOMES_EN}")


def test_sorting_keeps_a_communitys_own_count(tmp_path: Path) -> None:
    # C1 carries 70 households, C2 none: D = 70 ÷ (70 + 100) = 41.18 %; C1's record states
    # no estimate (the homes of C1 are not used), C2's and D's state C2's only
    rec = _records(tmp_path, ["HP-22-sorting"], communities=_communities((70, None)))
    d, c1, c2 = (rec[("HP-22-sorting", z)] for z in ("D", "C1", "C2"))
    assert d.value == pytest.approx(100 * 70 / 170, abs=0.005)
    assert c1.note == "" and c1.source == "computed"
    assert (c2.source, d.source) == ("estimated", "estimated")
    assert _zh(d) == _zh(c2) == f"户数估算：1 个社区无户数，按其住宅建筑户数合计；{C2_HOMES_ZH}"


def test_sorting_without_households_or_homes_stays_no_data(tmp_path: Path) -> None:
    # C2 has neither households nor homes: no data there, C1 and D from C1's 58 households
    c1_homes = [h for h in HOMES if h["id"].startswith("A")]
    rec = _records(tmp_path, ["HP-22-sorting"], buildings=c1_homes)
    c2 = rec[("HP-22-sorting", "C2")]
    assert (c2.value, c2.status) == (None, "no-data")
    assert "户数估算" not in _zh(c2)
    assert rec[("HP-22-sorting", "D")].value == 100


def test_assumed_floors_zero_leaves_homes_out(tmp_path: Path) -> None:
    # assumed_floors = 0: B1 (no floor data, none in C2) is left out: C2 = 40,
    # D = 58 ÷ 98 = 59.18 %
    rec = _records(tmp_path, ["HP-22-sorting"], params="assumed_floors = 0")
    d, c2 = rec[("HP-22-sorting", "D")], rec[("HP-22-sorting", "C2")]
    assert d.value == pytest.approx(100 * 58 / 98, abs=0.005)
    assert _zh(c2) == ("户数估算：1 个社区无户数，按其住宅建筑户数合计；1 栋住宅无户数、建筑面积、"
                       "层数与高度，同社区亦无层数，未计入户数（assumed_floors = 0）")


def test_recycling_coverage_weighs_estimated_homes_per_zone(tmp_path: Path) -> None:
    # one community point at x 100, radius 300 m: A1 (0 m) and A2 (150 m) covered, A3
    # (350 m), B1, B2 not: D = (10 + 23) ÷ 158 = 20.89 % (before: 33 ÷ 75 = 44 %),
    # C1 = 33 ÷ 58 = 56.90 %, C2 = 0 %
    point = [{"id": "r1", "kind": "community_point", "geometry": Point(100, 100)}]
    rec = _records(tmp_path, ["STD-RECYCLE-300"], recycling_points=point)
    d, c1, c2 = (rec[("STD-RECYCLE-300", z)] for z in ("D", "C1", "C2"))
    assert d.value == pytest.approx(100 * 33 / 158, abs=0.005)
    assert c1.value == pytest.approx(100 * 33 / 58, abs=0.005)
    assert c2.value == 0
    # each zone's note counts its own homes; the district's all three
    assert C1_HOMES_ZH in _zh(c1) and "假定" not in _zh(c1)
    assert C2_HOMES_ZH in _zh(c2) and "中位数" not in _zh(c2)
    assert D_HOMES_EN in _en(d)
    assert {d.source, c1.source, c2.source} == {"estimated"}


def test_a_zone_without_estimates_is_computed(tmp_path: Path) -> None:
    # B1 given 60 households: C2 rests on no estimate; its note says none, its source is
    # computed, while C1 and D still state C1's two estimated homes
    homes = [*HOMES[:3], _home("B1", 700, side=30.0, households=60), HOMES[4]]
    point = [{"id": "r1", "kind": "community_point", "geometry": Point(100, 100)}]
    rec = _records(tmp_path, ["STD-RECYCLE-300"], buildings=homes, recycling_points=point)
    d, c1, c2 = (rec[("STD-RECYCLE-300", z)] for z in ("D", "C1", "C2"))
    assert "户数估算" not in _zh(c2) and c2.source == "computed"
    assert C1_HOMES_ZH in _zh(c1) and C1_HOMES_ZH in _zh(d)
    assert (c1.source, d.source) == ("estimated", "estimated")


def test_xlsx_and_web_pages_show_each_zones_note(tmp_path: Path) -> None:
    import html
    import warnings

    from fixtures.tiny import sheet_rows
    from openpyxl import load_workbook

    from layers.report import write_xlsx
    from web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    layers = {"buildings": HOMES, "communities": _communities()}
    project = make_project(tmp_path / "p", change=layers)
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=["HP-22-sorting"])
    c1_zh = f"户数估算：1 个社区无户数，按其住宅建筑户数合计；{C1_HOMES_ZH}"
    for lang, source in (("zh", "估算"), ("en", "estimated")):
        path = tmp_path / f"r-{lang}.xlsx"
        write_xlsx(records, path, lang=lang)
        _, rows = sheet_rows(load_workbook(path)["社区" if lang == "zh" else "Community"])
        zone, src, notes = (("区域代码", "来源", "备注") if lang == "zh"
                            else ("Zone code", "Source", "Notes"))
        c1 = next(r for r in rows if r[zone] == "C1")
        assert c1[src] == source
        c1_record = next(r for r in records if r.zone_code == "C1")
        assert c1[notes] == note_label(c1_record.note, lang)
        assert (lang == "en") == ("households estimated for 1 communities" in c1[notes])
    (tmp_path / "p" / "targets.toml").write_text('include = ["peakmap:targets.toml"]\n',
                                                 encoding="utf-8")
    client = TestClient(create_app(tmp_path / "p"))
    page = html.unescape(client.get("/?level=community&lang=zh").text)
    assert c1_zh in page and "<td>估算</td>" in page
    legend = html.unescape(client.get(
        "/maps/indicator?indicator=HP-22-sorting&level=community&lang=zh").text)
    assert "备注（社二）: 户数估算：1 个社区无户数" in legend


# Complete communities (HP-10 / HP-11 and their -walk twins): kindergarten (300, 100) and
# clinic (900, 100) of the strip, radii 300 m / 500 m, ≥ 40 % of households [U, here]:
# kindergarten covers A1 (200 m), A2 (50 m), A3 (150 m): C1 100 %, C2 0 %;
# clinic covers A3 (450 m), B1 (200 m), B2: C1 25 ÷ 58 = 43.1 %, C2 100 %.
# C1 complete (it rests on A3's estimated 25 households: as 1 household it was 1 ÷ 34), C2
# not: D = 1 of 2 communities = 50 %, S1 = C1 = 100 %, S2 = C2 = 0 %.
COMPLETE = ("complete_facilities = { kindergarten = 300.0, clinic = 500.0 }\n"
            "complete_min_share = 40")
COMPLETE_IDS = ["HP-10", "HP-11", "HP-10-walk"]


def _served(zone: str) -> str:
    # communities served by each type, each zone its own: C1 1 / 1, C2 0 / 1, D 1 / 2
    kg, clinic = {"C1": (1, 1), "C2": (0, 1), "D": (1, 2)}[zone]
    return f"communities served: kindergarten 300 m: {kg}, clinic 500 m: {clinic}"


def test_complete_communities_say_they_rest_on_estimated_households(tmp_path: Path) -> None:
    rec = _records(tmp_path, COMPLETE_IDS, params=COMPLETE)
    d, c1, c2 = (rec[("HP-10", z)] for z in ("D", "C1", "C2"))
    assert (d.value, c1.value, c2.value) == (50, 100, 0)
    assert rec[("HP-11", "D")].value == 50
    # each zone's note counts its own estimated homes, beside its own served counts
    assert C1_HOMES_ZH in _zh(c1) and "假定" not in _zh(c1)
    assert C2_HOMES_ZH in _zh(c2) and "中位数" not in _zh(c2)
    assert D_HOMES_EN in _en(d)
    for zone in ("C1", "C2", "D"):
        assert _served(zone) in _en(rec[("HP-10", zone)])
    assert {r.source for r in rec.values()} == {"estimated"}


def test_complete_communities_with_every_households_given_are_computed(tmp_path: Path) -> None:
    # A2, A3 and B1 given the households estimated above: the same values, no estimate
    given = [*HOMES[:1], _home("A2", 250, floors=5, households=23), _home("A3", 450,
             households=25), _home("B1", 700, side=30.0, households=60), HOMES[4]]
    rec = _records(tmp_path / "all", COMPLETE_IDS, params=COMPLETE, buildings=given)
    assert [rec[("HP-10", z)].value for z in ("D", "C1", "C2")] == [50, 100, 0]
    assert {r.source for r in rec.values()} == {"computed"}
    assert not any("户数估算" in _zh(r) or "estimated" in _en(r) for r in rec.values())
    # only C2's B1 estimated: C1 and S1 stay computed, C2, S2 and D are estimated
    mixed = [*given[:3], HOMES[3], HOMES[4]]
    rec = _records(tmp_path / "mixed", COMPLETE_IDS, params=COMPLETE, buildings=mixed)
    source = {z: rec[("HP-10", z)].source for z in ("C1", "S1", "C2", "S2", "D")}
    assert source == {"C1": "computed", "S1": "computed", "C2": "estimated",
                      "S2": "estimated", "D": "estimated"}
    assert "户数估算" not in _zh(rec[("HP-10", "C1")])
    assert _zh(rec[("HP-10", "C2")]).count(C2_HOMES_ZH) == 1
    assert C2_HOMES_ZH in _zh(rec[("HP-10", "D")]) and "中位数" not in _zh(rec[("HP-10", "D")])
