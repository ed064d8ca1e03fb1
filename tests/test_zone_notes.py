"""A zone's note counts the zone's own features; the row's total is the district's note.

The coverage strip (tests/fixtures/coverage.py): district D, streets S1 / S2, communities
C1 (x 0–500) and C2 (x 500–1000). Before, a note's counts were the row's totals, copied
onto every zone (C2 read "1 of 3 buildings estimated" although its building was not).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from fixtures.coverage import make_project
from shapely import LineString, box

from layers.indicators.catalog import read_catalog
from layers.indicators.engine import compute_records
from layers.indicators.result import IndicatorResult
from layers.labels import note_label

CATALOG = Path(__file__).resolve().parent.parent / "layers" / "catalogs" / "targets.toml"


def _records(tmp_path: Path, ids: list[str], **change: list[dict[str, Any]]
             ) -> dict[tuple[str, str], IndicatorResult]:
    project = make_project(tmp_path, change=change)
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=ids)
    return {(r.indicator, r.zone_code): r for r in records}


def _retrofit(bid: str, x: float, area: float | None, source: str | None) -> dict[str, Any]:
    return {"id": bid, "use": "residential", "retrofit_year": 2022, "floor_area_m2": area,
            "floor_area_source": source, "households": 10,
            "geometry": box(x - 10, 90, x + 10, 110)}


def test_floor_area_note_counts_each_zones_buildings(tmp_path: Path) -> None:
    # HP-12, residential floor area retrofitted 2021–2025: C1 holds a reported 1,000 m² and
    # an estimated 1,200 m² (floors × footprint); C2 one building without floor data (left
    # out, 0 m²). C1 = 2,200 m², C2 = 0, D = 2,200
    buildings = [_retrofit("A", 100, 1000.0, "reported"), _retrofit("B", 300, 1200.0, "floors"),
                 _retrofit("C", 700, None, None)]
    rec = _records(tmp_path, ["HP-12"], buildings=buildings)
    d, c1, c2 = (rec[("HP-12", z)] for z in ("D", "C1", "C2"))
    assert (d.value, c1.value, c2.value) == (2200, 2200, 0)
    assert note_label(c1.note, "zh") == (
        "建筑面积：2 栋建筑中 1 栋为估算值（1 栋按层数 × 基底面积，0 栋按高度），"
        "0 栋无建筑面积、层数与高度，未计入")
    assert note_label(c2.note, "en") == (
        "floor area: 0 of 1 buildings estimated (0 from floors × footprint, 0 from height), "
        "1 left out (no floor area, floors or height)")
    assert note_label(d.note, "en").startswith("floor area: 1 of 3 buildings estimated")
    # C2's 0 m² rests on no estimate; C1's and D's on one
    assert (d.source, c1.source, c2.source) == ("estimated", "estimated", "computed")


def test_unknown_age_note_counts_each_zones_pipes(tmp_path: Path) -> None:
    # HP-T4, old pipes (reported by street): S1 (C1) has a 100 m pipe of unknown install
    # year (left out) and a 200 m one laid 1980 (old); S2 (C2) a 300 m one laid 2010.
    # S1 = 200 / 200 = 100 %, S2 = 0 %, D = 200 / 500 = 40 %
    pipes = [
        {"id": "p1", "install_year": None, "geometry": LineString([(50, 50), (150, 50)])},
        {"id": "p2", "install_year": 1980, "geometry": LineString([(200, 50), (400, 50)])},
        {"id": "p3", "install_year": 2010, "geometry": LineString([(600, 50), (900, 50)])},
    ]
    pipes = [{**p, "renovated_year": None} for p in pipes]  # none renovated
    rec = _records(tmp_path, ["HP-T4"], heating_pipes=pipes)
    d, s1, s2 = (rec[("HP-T4", z)] for z in ("D", "S1", "S2"))
    assert (d.value, s1.value, s2.value) == (40, 100, 0)
    assert note_label(s1.note, "zh").startswith(
        "敷设年份（install_year）未知：供热管网 2 个要素中 1 个，100 m不计入比例")
    assert note_label(d.note, "en").startswith(
        "install_year unknown: 1 of 3 features of heating_pipes, 100 m left out of the share")
    assert "install_year" not in note_label(s2.note, "en")


def test_heat_loss_note_counts_each_zones_assumptions(tmp_path: Path) -> None:
    # HP-15: C1's 100 m pipe and building have every value (nothing assumed); C2's 300 m
    # pipe has no diameter (DN 150 assumed) and its building a floor area from height
    pipes = [
        {"id": "p1", "install_year": 1980, "diameter_mm": 200.0, "network": "primary",
         "geometry": LineString([(50, 50), (150, 50)])},
        {"id": "p2", "install_year": 2010, "diameter_mm": None, "network": "primary",
         "geometry": LineString([(600, 50), (900, 50)])},
    ]
    buildings = [_retrofit("A", 100, 1000.0, "reported"), _retrofit("C", 700, 600.0, "height")]
    rec = _records(tmp_path, ["HP-15"], heating_pipes=pipes, buildings=buildings)
    d, c1, c2 = (rec[("HP-15", z)] for z in ("D", "C1", "C2"))
    en = {z: note_label(r.note, "en") for z, r in (("D", d), ("C1", c1), ("C2", c2))}
    assert "diameter unknown" not in en["C1"] and "floor area" not in en["C1"]
    assert "diameter unknown: 1 pipes (300 m) taken as DN 150" in en["C2"]
    assert "floor area: 1 of 1 buildings estimated (0 from floors × footprint, 1 from " \
        "height)" in en["C2"]
    assert "floor area: 1 of 2 buildings estimated" in en["D"]
    assert (c1.source, c2.source, d.source) == ("computed", "estimated", "estimated")


def test_blank_condition_note_counts_each_zones_communities(tmp_path: Path) -> None:
    # HP-26, green communities: 社一's 绿色社区 cell is blank (counted as not green), 社二 is
    # green. S1 = 0 %, S2 = 100 %, D = 50 %; only S1 and D say a value was missing
    project = make_project(tmp_path)
    comm = project.store.read("communities")
    comm["green_community"] = pd.array([None, True], dtype="boolean")
    project.store.write_layers({"communities": comm})
    records = compute_records(project, catalog=read_catalog(CATALOG), ids=["HP-26"])
    d, s1, s2 = (next(r for r in records if r.zone_code == z) for z in ("D", "S1", "S2"))
    assert (d.value, s1.value, s2.value) == (50, 0, 100)
    said = "green_community has no value: 1 of 1 features counted as not meeting the condition"
    assert note_label(s1.note, "en") == said
    assert note_label(d.note, "en") == said.replace("1 of 1", "1 of 2")
    assert s2.note == ""
