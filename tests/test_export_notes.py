"""Every CSV/JSON export writes notes as plain words: no ``⟪…⟫`` mark reaches a planner.

The tiny project (tests/fixtures/tiny.py, year 2025) has notes of the three kinds the engine
writes, worked out by hand:

- HP-17 district: detail ``bilingual_note`` of the failing streets (街道一 and 街道二 have
  LED shares below 80 %);
- HP-17 street S3 (no lamps): the engine's English note "no base in this zone
  (denominator 0)";
- HP-01 district: reported value of 2023 (the latest year up to 2025 in reported.csv), so the
  detail is ``bilingual_note("2023年", "value of 2023")``, and the reported row's note "示例".

``note``/``detail`` hold the Chinese, ``note_en``/``detail_en`` the English (as
``title``/``title_en``), ``note_label`` the language asked.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures.web import TestClient
from typer.testing import CliRunner

from layers.report import records_to_json, write_csv, write_json
from peakmap.cli import app
from web.app import create_app

EXPECTED = {
    ("HP-17", "D"): {"detail": "未达标街道：街道一、街道二",
                     "detail_en": "streets below target: 街道一, 街道二",
                     "note": "", "note_en": ""},
    ("HP-17", "S3"): {"note": "该区域无计算基数（分母为 0）",
                      "note_en": "no base in this zone (denominator 0)",
                      "detail": "", "detail_en": ""},
    ("HP-01", "D"): {"note": "示例", "note_en": "示例",
                     "detail": "2023年", "detail_en": "value of 2023"},
}


def test_the_fixture_notes_carry_the_marks(tiny_records: list) -> None:
    # the records themselves keep both languages (the pages pick one): what the exports fix
    raw = {(r.indicator, r.zone_code): r for r in tiny_records}
    assert raw[("HP-17", "D")].detail == ("⟪未达标街道：街道一、街道二⟫ / "
                                          "⟪streets below target: 街道一, 街道二⟫")
    assert raw[("HP-01", "D")].detail == "⟪2023年⟫ / ⟪value of 2023⟫"
    assert raw[("HP-17", "S3")].note == "no base in this zone (denominator 0)"


def _check(rows: list[dict[str, Any]], lang: str) -> None:
    """No mark anywhere; the known notes in plain words, ``note_label`` in ``lang``."""
    assert rows
    for row in rows:
        for key, value in row.items():
            assert "⟪" not in str(value) and "⟫" not in str(value), (key, value)
    by_key = {(r["indicator"], r["zone_code"]): r for r in rows}
    for key, want in EXPECTED.items():
        got = by_key[key]
        assert {k: got[k] or "" for k in want} == want, key
        assert (got["note_label"] or "") == want["note_en" if lang == "en" else "note"]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows and {"note_en", "detail_en", "note_label"} <= set(rows[0])
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_csv_and_json_files(tiny_records: list, tmp_path: Path, lang: str) -> None:
    path = tmp_path / "r.csv"
    write_csv(tiny_records, path, lang=lang)
    _check(_csv_rows(path.read_text(encoding="utf-8-sig")), lang)
    path = tmp_path / "r.json"
    write_json(tiny_records, path, lang=lang)
    _check(json.loads(path.read_text(encoding="utf-8")), lang)
    # the C encoder's batches (indent=2) and json.dumps (any other indent) alike
    _check(json.loads(records_to_json(tiny_records, indent=None, lang=lang)), lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_report_csv_and_json(tiny_dir: Path, tmp_path: Path, lang: str) -> None:
    runner = CliRunner()
    base = ["report", str(tiny_dir), "--level", "all", "--lang", lang]
    res = runner.invoke(app, [*base, "--format", "csv"])
    assert res.exit_code == 0, res.output
    _check(_csv_rows(res.stdout), lang)
    res = runner.invoke(app, [*base, "--format", "json"])
    assert res.exit_code == 0, res.output
    _check(json.loads(res.stdout), lang)
    for fmt in ("csv", "json"):
        out = tmp_path / f"r.{fmt}"
        res = runner.invoke(app, [*base, "--format", fmt, "--out", str(out)])
        assert res.exit_code == 0, res.output
        text = out.read_text(encoding="utf-8-sig")
        _check(_csv_rows(text) if fmt == "csv" else json.loads(text), lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_api_indicators_and_csv(tiny_dir: Path, lang: str) -> None:
    client = TestClient(create_app(tiny_dir))
    r = client.get(f"/api/indicators?lang={lang}")
    assert r.status_code == 200, r.text
    _check(r.json(), lang)
    r = client.get(f"/api/report.csv?lang={lang}")
    assert r.status_code == 200, r.text
    _check(_csv_rows(r.content.decode("utf-8-sig")), lang)
