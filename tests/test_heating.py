"""Heat loss per metre, HP-15 and the pipe-renewal proposal, on hand-worked tiny fixtures.

The tiny project is the one of tests/test_metrics.py (district D, streets S1–S3, communities
C1–C4; 2025 is the report year). Its pipes: h1 (0,5)–(100,5) laid 1980, h2 (100,5)–(200,5)
laid 2000, h3 (40,95)–(60,95) laid 1985 and renewed 2022; buildings b1–b5 standing in 2025
hold 3,000 m² of floor area, b1–b3 (2,500 m²) stood in 2020.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.scenario import TARGETS, renewal_project, write_renewal
from fixtures.tiny import YEAR, make_project
from typer.testing import CliRunner

from layers.compare import compare, status_change
from layers.heating import (
    HEATING_DEFAULTS,
    calibration_factor,
    pair_conduction_w_per_m,
    pipe_loss_w_per_m,
)
from layers.heating_renewal import RENEWAL_LAYER, apply_renewal, propose_renewal
from layers.indicators.catalog import Catalog, IndicatorSpec
from layers.indicators.engine import compute_records
from layers.project import Project
from peakmap.cli import app

SOIL = {"soil_c": 6.0, "soil_w_per_mk": 1.5, "cover_m": 0.8, "pipe_gap_m": 0.25}
P = dict(HEATING_DEFAULTS)


def test_pair_conduction_worked_by_hand() -> None:
    # DN100: steel 114.3 mm, casing 200 mm; depth h = 0.8 + 0.1 = 0.9 m, s = 0.45 m
    # R  = ln(0.200/0.1143)/(2π·0.033) + arcosh(9)/(2π·1.5) = 2.69835 + 0.30635 = 3.00470
    # R0 = ln√(1 + (1.8/0.45)²)/(2π·1.5) = ln√17 / 9.42478 = 0.150307
    # q1 = (54·3.00470 − 39·0.150307)/(3.00470² − 0.150307²) = 156.3918/9.005624 = 17.366
    # q2 = (39·3.00470 − 54·0.150307)/9.005624 = 109.0667/9.005624 = 12.111
    got = float(pair_conduction_w_per_m(100, 60.0, 45.0, 0.033, SOIL))
    assert got == pytest.approx(17.366 + 12.111, abs=0.01)
    # DN 90 rounds up to DN100; far apart pipes (huge gap) lose (54 + 39)/R each
    assert float(pair_conduction_w_per_m(90, 60.0, 45.0, 0.033, SOIL)) == pytest.approx(got)
    far = {**SOIL, "pipe_gap_m": 1e9}
    assert float(pair_conduction_w_per_m(100, 60.0, 45.0, 0.033, far)) == pytest.approx(
        93 / 3.00470, abs=0.01)
    # wet insulation (λ 0.30): R = 0.559490/(2π·0.30) + 0.30635 = 0.29682 + 0.30635 = 0.60317
    wet = float(pair_conduction_w_per_m(100, 60.0, 45.0, 0.30, SOIL))
    det = 0.60317**2 - 0.150307**2
    expected = ((54 * 0.60317 - 39 * 0.150307) + (39 * 0.60317 - 54 * 0.150307)) / det
    assert wet == pytest.approx(expected, abs=0.05)
    assert wet > 3 * got  # an old pipe loses several times a new one


def test_pipe_loss_by_state_age_diameter_and_level() -> None:
    frame = pd.DataFrame({
        "install_year": [1980.0, 2000.0, 1985.0, np.nan, 2030.0, 1990.0, 1970.0],
        "renovated_year": [np.nan, np.nan, 2022.0, np.nan, np.nan, np.nan, np.nan],
        "diameter_mm": [100.0, 100.0, 100.0, 100.0, 100.0, np.nan, 500.0],
        "network": ["secondary"] * 6 + [None],
        "loss_w_per_m": [np.nan, np.nan, np.nan, np.nan, np.nan, 77.0, np.nan],
    })
    got = pipe_loss_w_per_m(frame, 2025, P)
    f = P["fittings_factor"]
    old = float(pair_conduction_w_per_m(100, 60, 45, 0.30, P)) * f + P["old_leak_w_per_m"]
    aged25 = float(pair_conduction_w_per_m(100, 60, 45, 0.033 * 1.25, P)) * f
    aged3 = float(pair_conduction_w_per_m(100, 60, 45, 0.033 * 1.03, P)) * f
    # DN500 without a level is primary (≥ 300): 95/55 °C, old
    primary = float(pair_conduction_w_per_m(500, 95, 55, 0.30, P)) * f + P["old_leak_w_per_m"]
    np.testing.assert_allclose(got, [old, aged25, aged3, old, 0.0, 77.0, primary], rtol=1e-9)
    assert aged3 < aged25 < old
    # a measured loss does not apply before the pipe's later renewal: modelled instead
    # (2020: laid 1990, 30 a — not past 30 — so aged PUR, default DN150)
    frame2 = frame.assign(renovated_year=[np.nan] * 5 + [2024.0, np.nan])
    assert pipe_loss_w_per_m(frame2, 2020, P)[5] == pytest.approx(
        float(pair_conduction_w_per_m(150, 60, 45, 0.033 * 1.30, P)) * f)
    assert pipe_loss_w_per_m(frame2, 2025, P)[5] == 77.0


def _heating_catalog(params: dict[str, object]) -> Catalog:
    rows = [
        IndicatorSpec(id="HP-15", title="热损失", kind="heat_loss_change", unit="百分点",
                      op="<=", target=-5.0),
        IndicatorSpec(
            id="HP-T4", title="老旧管网", kind="length_share", unit="%", op="<=", target=0.0,
            params={"layer": "heating_pipes", "condition": {
                "install_year": {"age_over": "$heating.renewal_age_years"},
                "renovated_year": {"by_year": False}}},
        ),
    ]
    return Catalog(rows, params={"heating": {"renewal_age_years": 30, **params}})


@pytest.fixture
def hpt4_catalog() -> str:
    """The HP-T4-only catalog (pipes over 30 years old, target 0 %) with a formula-like title.

    fixtures.scenario's catalog; the title starting with "=" must stay text in the exports.
    """
    title = 'title = "30年以上未改造老旧供热管网长度占比"'
    assert title in TARGETS
    return TARGETS.replace(title, 'title = "=老旧管网"')


def _district(records: list, ident: str) -> float:
    return next(r.value for r in records if r.indicator == ident and r.level == "district")


def test_hp15_physical_model_sums_length_times_loss(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    cat = _heating_catalog({})
    recs = compute_records(project, year=YEAR, catalog=cat, ids=["HP-15"])
    # supply 36 W/m² × the floor area standing: 3,000 m² in 2025, 2,500 m² in 2020
    assert _district(recs, "HP-15") == pytest.approx(_hp15_by_hand(36.0 * 3000, 36.0 * 2500),
                                                     abs=0.01)


def test_calibration_sets_the_baseline_rate(tmp_path: Path) -> None:
    assert calibration_factor(2.0, 98.0, 10.0) == pytest.approx(0.1 * 98 / (0.9 * 2))
    project = make_project(tmp_path)
    plain = compute_records(project, year=YEAR, catalog=_heating_catalog({}), ids=["HP-15"])
    cal = compute_records(project, year=YEAR, catalog=_heating_catalog(
        {"baseline_rate_percent": 10.0}), ids=["HP-15"])
    rec = next(r for r in cal if r.level == "district")
    parts = {k: float(v) for k, v in (p.split(": ") for p in rec.detail.split("; "))}
    assert 100 * parts["loss_base"] / (parts["loss_base"] + parts["supply_base"]) == (
        pytest.approx(10.0, abs=1e-6))
    raw = next(
        float(p.split(": ")[1]) for p in next(r for r in plain if r.level == "district")
        .detail.split("; ") if p.startswith("loss_base"))
    # k = r·S / ((1 − r)·L) on the modelled 2020 figures; both years' losses scaled by k
    k = 0.1 * parts["supply_base"] / (0.9 * raw)
    assert parts["loss_base"] == pytest.approx(k * raw, rel=1e-6)
    assert f"losses × {k:.3g}" in rec.note and "calibrated to 10 %" in rec.note




def test_renewal_scenario_moves_hp15_and_hpt4_by_hand(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    write_renewal(project, ["h1"])
    cat = _heating_catalog({"old_loss_w_per_m": 100.0, "new_loss_w_per_m": 40.0,
                            "heat_load_w_per_m2": 50.0})
    now = compute_records(project, year=YEAR, catalog=cat)
    after = compute_records(project, year=YEAR, catalog=cat, scenario="proposal")
    # now (test_metrics): L = 100·100 + 100·40 + 20·40 = 14,800 W, S = 150,000 W
    # with h1 renewed by 2025: L = 100·40 + 100·40 + 20·40 = 8,800 W; 2020 unchanged
    base = 16000 / 141000
    assert _district(now, "HP-15") == pytest.approx(100 * (14800 / 164800 - base), abs=0.01)
    assert _district(after, "HP-15") == pytest.approx(100 * (8800 / 158800 - base), abs=0.01)
    # HP-T4: h1 (100 m of 220 m) is old now; none with the proposal
    assert _district(now, "HP-T4") == pytest.approx(100 * 100 / 220, abs=0.01)
    assert _district(after, "HP-T4") == pytest.approx(0.0, abs=1e-9)




def test_propose_renewal_ranks_leakiest_then_oldest_by_street(tmp_path: Path) -> None:
    project = renewal_project(tmp_path)
    out = propose_renewal(project, year=YEAR)
    prop = out.proposal
    # c (DN500 primary) saves the most per metre; a and b (same DN, both old) save the same,
    # so the older b comes first; d (15 a) and e (renewed 2015) are not old
    assert prop["id"].tolist() == ["c", "b", "a"]
    # c lies 20 m in S2 and 60 m in S3 → S3
    assert prop["street_code"].tolist() == ["S3", "S2", "S1"]
    f = P["fittings_factor"]
    q_old = float(pair_conduction_w_per_m(100, 60, 45, 0.30, P)) * f + P["old_leak_w_per_m"]
    q_new = float(pair_conduction_w_per_m(100, 60, 45, 0.033, P)) * f  # renewed in 2025
    a = prop.set_index("id").loc["a"]
    assert a["saving_kw"] == pytest.approx(100 * (q_old - q_new) / 1000, abs=0.01)
    assert a["age_years"] == 55 and a["length_m"] == pytest.approx(100.0)
    streets = out.by_street.set_index("street_code")
    assert streets.loc["S2", "n_pipes"] == 1 and streets.loc["S3", "length_km"] == 0.08
    assert out.summary["n_old"] == 3 and out.summary["renew_km"] == pytest.approx(0.23)
    # a 0.15 km budget keeps c (80 m) and b (→ 130 m); a would pass it
    assert propose_renewal(project, year=YEAR, max_km=0.15).proposal["id"].tolist() == ["c", "b"]


def test_site_heating_records_the_scenario_and_compare_matches(tmp_path: Path,
                                                              hpt4_catalog: str) -> None:
    project = renewal_project(tmp_path)
    (tmp_path / "targets.toml").write_text(hpt4_catalog, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["site", "heating", str(tmp_path), "--max-km", "0.15"])
    assert res.exit_code == 0, res.output
    assert project.store.read(RENEWAL_LAYER)["id"].tolist() == ["c", "b"]
    res = runner.invoke(app, ["report", str(tmp_path), "--scenario", "proposal", "--compare",
                              "--format", "json", "--id", "HP-T4"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.output)[0]
    # old now: a 100 + b 50 + c 80 = 230 of 410 m; with c and b renewed: a 100 of 410 m
    assert row["value_now"] == pytest.approx(100 * 230 / 410, abs=0.01)
    assert row["value_proposal"] == pytest.approx(100 * 100 / 410, abs=0.01)
    assert row["change"] == pytest.approx(row["value_proposal"] - row["value_now"])
    assert row["status_now"] == row["status_proposal"] == "fail"
    assert row["status_change"] == "unchanged"
    # renewing every old pipe meets HP-T4: newly met
    apply_renewal(project, propose_renewal(project, year=YEAR))
    pairs = compare(project, year=YEAR, ids=["HP-T4"])
    district = next(p for p in pairs if p.level == "district")
    assert district.value_proposal == pytest.approx(0.0, abs=1e-9)
    assert district.status_change == "newly-met"
    assert status_change("pass", "pass") == "unchanged"
    assert not math.isnan(district.change or math.nan)


def test_compare_csv_and_xlsx_carry_the_same_columns(tmp_path: Path,
                                                     hpt4_catalog: str) -> None:
    from openpyxl import load_workbook

    project = make_project(tmp_path)
    write_renewal(project, ["h1"])
    (tmp_path / "targets.toml").write_text(hpt4_catalog, encoding="utf-8")
    runner = CliRunner()
    base = ["report", str(tmp_path), "--scenario", "proposal", "--compare", "--id", "HP-T4"]
    csv_path, xlsx_path = tmp_path / "c.csv", tmp_path / "c.xlsx"
    assert runner.invoke(app, [*base, "--format", "csv", "--out", str(csv_path)]).exit_code == 0
    rows = pd.read_csv(csv_path, encoding="utf-8-sig")
    district = rows[rows["level"] == "district"].iloc[0]
    # h1 (100 m of 220 m) old now, renewed in the proposal: 45.45 % → 0 %, newly met
    assert district["value_now"] == pytest.approx(100 * 100 / 220, abs=0.01)
    assert district["change"] == pytest.approx(-100 * 100 / 220, abs=0.01)
    assert district["status_change"] == "newly-met"
    assert district["title"] == "'=老旧管网"  # a title starting like a formula stays text
    res = runner.invoke(app, [*base, "--format", "xlsx", "--out", str(xlsx_path)])
    assert res.exit_code == 0, res.output
    ws = load_workbook(xlsx_path)["区"]
    head = [c.value for c in ws[1]]
    assert head[5:] == ["现状值", "方案值", "变化", "现状状态", "方案状态", "状态变化"]
    row = [c.value for c in ws[2]]
    assert row[0] == "HP-T4" and row[1] == "=老旧管网" and ws.cell(2, 2).data_type == "s"
    assert row[5] == pytest.approx(100 * 100 / 220, abs=0.01) and row[6] == 0
    assert row[10] == "新达标"
    # the table says how many targets are newly met
    res = runner.invoke(app, base)
    assert res.exit_code == 0 and "新达标: 1" in res.output


def test_renewal_savings_carry_the_calibration(tmp_path: Path) -> None:
    project = renewal_project(tmp_path)
    plain = propose_renewal(project, year=YEAR).proposal.set_index("id")
    with (tmp_path / "project.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[params.heating]\nbaseline_rate_percent = 10.0\n")
    out = propose_renewal(Project(tmp_path), year=YEAR)
    # k = 0.1 × S / (0.9 × L) with the 2020 figures: S = 36 W/m² × 2,500 m² (b1–b3 standing);
    # L = Σ length × modelled loss in 2020 of a–e
    pipes = project.store.read("heating_pipes")
    loss_2020 = float((pipes.geometry.length * pipe_loss_w_per_m(pipes, 2020, P)).sum())
    k = 0.1 * 36.0 * 2500 / (0.9 * loss_2020)
    assert out.summary["calibration"] == pytest.approx(k, rel=1e-3)
    got = out.proposal.set_index("id")
    assert got.loc["a", "loss_w_per_m"] == pytest.approx(plain.loc["a", "loss_w_per_m"] * k,
                                                         abs=0.1)
    assert len(got) == 3  # the same pipes, only the figures scaled


def test_site_heating_csv_neutralises_formula_like_names(tmp_path: Path) -> None:
    """``site heating --format csv`` writes through layers.sheets like every other export."""
    project = renewal_project(tmp_path)
    streets = project.store.read("streets")
    streets["name"] = ["=HYPERLINK(\"http://x\")", "-2+3", "@SUM(A1)"][: len(streets)]
    project.store.write_layers({"streets": streets})
    out = tmp_path / "pipes.csv"
    res = CliRunner().invoke(app, ["site", "heating", str(tmp_path), "--format", "csv",
                                   "--out", str(out), "--no-apply"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    by_id = {r["id"]: r for r in rows}
    # c lies mostly in S3, b in S2, a in S1 (test above); names as written, apostrophe first
    names = dict(zip(streets["code"], streets["name"], strict=True))
    assert by_id["c"]["street_name"] == "'" + names["S3"]
    assert by_id["b"]["street_name"] == "'" + names["S2"]
    assert by_id["a"]["street_name"] == "'" + names["S1"]
    # numbers stay numbers (no apostrophe on the negative-free numeric columns)
    assert float(by_id["a"]["length_m"]) == pytest.approx(100.0)


def test_hp15_note_counts_the_estimated_floor_areas(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    store = project.store
    b = store.read("buildings")
    # b1 from floors × footprint, b2 from height, b6 (built after the report year) not counted
    source = {"b1": "floors", "b2": "height", "b6": "floors"}
    b["floor_area_source"] = [source.get(i, "reported") for i in b["id"].astype(str)]
    store.write_layers({"buildings": b})
    recs = compute_records(project, year=YEAR, catalog=_heating_catalog({}), ids=["HP-15"])
    note = next(r.note for r in recs if r.level == "district")
    # b1–b5 stand in 2025 (b6 is built in 2030)
    assert ("floor area: 2 of 5 buildings estimated (1 from floors × footprint, "
            "1 from height), 0 left out") in note


def _hp15_by_hand(s_now: float, s_base: float) -> float:
    """HP-15 of the tiny project's pipes for given supplies (W), by hand.

    No DN, no level: DN150 secondary pipes; 2025: h1 old (100 m), h2 aged 25 a (100 m), h3
    renewed 2022, aged 3 a (20 m); 2020: h1 old, h2 aged 20 a, h3 old (35 a, renewed later).
    """
    f = P["fittings_factor"]

    def q(lam: float, leak: float = 0.0) -> float:
        return float(pair_conduction_w_per_m(150, 60, 45, lam, P)) * f + leak

    old = q(0.30, P["old_leak_w_per_m"])
    l_now = 100 * old + 100 * q(0.033 * 1.25) + 20 * q(0.033 * 1.03)
    l_base = 100 * old + 100 * q(0.033 * 1.20) + 20 * old
    return 100 * (l_now / (s_now + l_now) - l_base / (s_base + l_base))


def test_hp15_uses_the_ingested_floor_area_and_estimates_only_without_it(
    tmp_path: Path,
) -> None:
    load = P["heat_load_w_per_m2"]
    # Ingested layer (floor_area_source present): b2 (10 × 10 m, 5 floors) has no floor area
    # and no source — the build left it out, so HP-15 does not estimate it again: supply 2025
    # = (3000 − 500) m², 2020 = (2500 − 500) m².
    project = make_project(tmp_path / "ingested")
    b = project.store.read("buildings")
    b["floor_area_source"] = pd.array(["reported"] * len(b), dtype="string")
    two = b["id"].astype(str) == "b2"
    b["floor_area_m2"] = b["floor_area_m2"].astype("Float64").mask(two)
    b["floor_area_source"] = b["floor_area_source"].mask(two)
    project.store.write_layers({"buildings": b})
    recs = compute_records(project, year=YEAR, catalog=_heating_catalog({}), ids=["HP-15"])
    value = _district(recs, "HP-15")
    assert value == pytest.approx(_hp15_by_hand(load * 2500, load * 2000), abs=0.01)
    assert "0 of 5 buildings estimated" in next(r.note for r in recs if r.level == "district")
    assert "1 left out" in next(r.note for r in recs if r.level == "district")
    # A layer written without the build's completion (no floor_area_source): b2 with neither
    # floor area nor floors but 15 m high gets 15 ÷ 3 m = 5 floors × 100 m² = 500 m², as
    # ingest would have done: supplies 3000 and 2500 m², and the note says so.
    raw = make_project(tmp_path / "raw")
    b = raw.store.read("buildings")
    two = b["id"].astype(str) == "b2"
    b["floor_area_m2"] = b["floor_area_m2"].astype("Float64").mask(two)
    b["floors"] = b["floors"].astype("Float64").mask(two)
    b["height_m"] = np.where(two, 15.0, np.nan)
    raw.store.write_layers({"buildings": b})
    recs = compute_records(raw, year=YEAR, catalog=_heating_catalog({}), ids=["HP-15"])
    assert _district(recs, "HP-15") == pytest.approx(
        _hp15_by_hand(load * 3000, load * 2500), abs=0.01)
    assert "1 from height" in next(r.note for r in recs if r.level == "district")
