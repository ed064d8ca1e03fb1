"""The rows' notes on the indicator map's legend and on its printed sheet (no tooltips there).

Tiny fixture (tests/fixtures/tiny.py): HP-17 by street has no lamp in 街道三 (S3), so its
row carries the engine's note "no base in this zone (denominator 0)"; 街道一 and 街道二 have
none.
"""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import pytest
from fixtures.pdf import needs_poppler, pdf_text

from web.app import create_app
from web.layer_text import NOTE_CHARS, NOTE_LINES, row_notes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

S3_ZH = "备注（街道三）: 该区域无计算基数（分母为 0）"
S3_EN = "Note (街道三): no base in this zone (denominator 0)"


@pytest.fixture(scope="module")
def client(tiny_dir: Path) -> TestClient:
    return TestClient(create_app(tiny_dir))


def _legend_lines(page: str) -> list[str]:
    legend = re.search(r'<details class="pm-legend".*?</details>', page, re.S)
    assert legend is not None
    return [html.unescape(p) for p in re.findall(r"<p>([^<]*)</p>", legend.group(0))]


@pytest.mark.parametrize(("lang", "line"), [("zh", S3_ZH), ("en", S3_EN)])
def test_page_legend_lists_the_rows_note(client: TestClient, lang: str, line: str) -> None:
    r = client.get(f"/maps/indicator?indicator=HP-17&level=street&lang={lang}")
    assert r.status_code == 200, r.text
    lines = _legend_lines(r.text)
    assert line in lines
    notes = [x for x in lines if x.startswith(("备注", "Note"))]
    assert notes == [line]  # 街道一/街道二 have no note; a short note is not cut
    assert not any("…" in x for x in lines)


@needs_poppler
@pytest.mark.parametrize(("lang", "line"), [("zh", S3_ZH), ("en", S3_EN)])
def test_printed_sheet_lists_the_rows_note(client: TestClient, tmp_path: Path, lang: str,
                                           line: str) -> None:
    r = client.get(f"/maps/indicator.pdf?indicator=HP-17&level=street&lang={lang}")
    assert r.status_code == 200, r.text
    pdf = tmp_path / "notes.pdf"
    pdf.write_bytes(r.content)
    text = pdf_text(pdf)
    assert line in text
    assert ("备注（街道一" not in text) and ("Note (街道一" not in text)


def test_community_level_names_its_zone(client: TestClient) -> None:
    # C4 has no lamp: its row alone has the note (tests/fixtures/tiny.py)
    lines = _legend_lines(client.get("/maps/indicator?indicator=HP-17&level=community"
                                     "&lang=en").text)
    notes = [x for x in lines if x.startswith("Note")]
    assert len(notes) == 1 and notes[0].endswith(": no base in this zone (denominator 0)")


def test_long_and_many_notes_are_cut_and_say_so() -> None:
    assert (NOTE_CHARS, NOTE_LINES) == (80, 3)  # the figures below are worked out for these
    part = "x" * 30
    long_note = "; ".join([part] * 6)  # 6 × 30 + 5 × 2 = 190 characters
    rows = [("A", {"note": long_note}), ("B", {"note": long_note}), ("C", None),
            *((f"Z{i}", {"note": f"note {i}"}) for i in range(4))]
    lines = row_notes(rows, "en", full_at="the report")
    # the long note: cut at the last "; " within 80 characters: 2 parts = 62 characters
    assert lines[0] == f"Note (A, B): {part}; {part}…"
    # 3 lines shown: the long one and notes 0-1; notes 2 and 3 counted
    assert lines[1:3] == ["Note (Z0): note 0", "Note (Z1): note 1"]
    assert lines[3:] == ["2 more notes not listed", "Full notes: the report"]
    zh = row_notes(rows, "zh", full_at="报告")
    assert zh[-2:] == ["另有 2 条备注未列出", "备注全文见报告"]
    # no boundary in the second half of the limit: cut at the limit itself
    assert row_notes([("A", {"note": "y" * 81})], "en", full_at="r") == [
        f"Note (A): {'y' * 80}…", "Full notes: r"]


def test_many_zones_with_one_note_are_counted() -> None:
    rows = [(f"社区{i}", {"note": "示例"}) for i in range(7)]
    assert row_notes(rows, "zh", full_at="报告") == [
        "备注（社区0、社区1、社区2、社区3等 7 个）: 示例"]
    assert row_notes(rows, "en", full_at="r") == [
        "Note (社区0, 社区1, 社区2, 社区3 and 3 more): 示例"]
    assert row_notes([("A", {"note": ""}), ("B", None)], "en", full_at="r") == []
