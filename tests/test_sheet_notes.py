"""The notes column of a printed sheet (PDF/PNG) stays between the notice and the legend.

A note takes at most NOTE_ITEM_LINES wrapped lines (the last one ending in "…"); the column
takes what the space under the legend holds, measured on the drawn page; whenever something
is left out the last line says where the full text is ("…完整说明见 XLSX/网页"). Checked on the
drawn figure's layout (bounding boxes), not on timing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fixtures.web import RECORDS, build_fixture

from web.app import create_app
from web.exports import indicator_figure
from web.layer_text import NOTE_ITEM_LINES, NOTES_CUT, fit_notes, wrap_width
from web.printed import NOTE_WIDTH, MapSheet, new_page, page_style
from web.settings import WebSettings

LONG = "本指标按街道汇总，分母为街道内全部路灯数量，分子为其中 LED 等高效节能灯具数量；" * 12
NOTES = [f"口径: {LONG}", *(f"备注{i}: {LONG[: 40 + 10 * i]}" for i in range(30))]
LEGEND = [("#a50026", f"类 {i}") for i in range(14)]


def test_fit_notes_by_hand() -> None:
    # "一二三四五六七八九十" is 20 columns: 4 lines of 10 columns + 2 more are cut after 4
    lines = fit_notes(["甲", "一二三四五六七八九十" * 3], width=10, max_lines=20, lang="zh")
    assert lines == ["甲", "一二三四五", "六七八九十", "一二三四五", "六七八九…",
                     "…完整说明见 XLSX/网页"]
    assert NOTE_ITEM_LINES == 4
    # the column holds 3 lines: 2 of the notes, then where the rest is
    assert fit_notes(["a", "b", "c", "d"], width=10, max_lines=3, lang="en") == [
        "a", "b", "… full notes in the XLSX / web page"]
    assert fit_notes(["a", "b"], width=10, max_lines=3, lang="en") == ["a", "b"]  # all fit


def _layout(fig: Any) -> dict[str, Any]:
    """The drawn page's notes, notice and legend: text and extent (figure fractions)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    height = fig.bbox.height

    def span(artist: Any) -> tuple[float, float]:
        box = artist.get_window_extent(renderer)
        return box.y0 / height, box.y1 / height

    texts = [x for x in fig.texts if x.get_fontsize() == 7.5]
    notes = next(x for x in texts if x.get_color() == "#303030")
    notice = [x for x in texts if x.get_color() == "#b2182b"]
    return {"lines": notes.get_text().split("\n"), "notes": span(notes),
            "notice": span(notice[0]) if notice else None, "legend": span(fig.legends[0])}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_many_long_notes_stop_under_the_legend(lang: str) -> None:
    sheet = MapSheet(title="HP-17", subtitle="sub", legend=LEGEND, notes=NOTES,
                     notice="示例数据：区界为真实数据，其余为合成数据。" * 3)
    with page_style():
        page = _layout(new_page(sheet, lang))
    every = [line for n in NOTES for line in wrap_width(n, NOTE_WIDTH).splitlines()]
    assert len(every) > 100  # unlimited, the notes ran far off the page
    lines = page["lines"]
    assert lines[-1] == NOTES_CUT[lang]
    assert 10 <= len(lines) < 40
    # the definition: its first NOTE_ITEM_LINES lines, the last one cut with "…"
    assert lines[:NOTE_ITEM_LINES - 1] == every[:NOTE_ITEM_LINES - 1]
    assert lines[NOTE_ITEM_LINES - 1].endswith("…")
    assert lines[NOTE_ITEM_LINES] == wrap_width(NOTES[1], NOTE_WIDTH).splitlines()[0]
    low, high = page["notes"]
    assert page["notice"] is not None and page["notice"][1] < low  # above the notice
    assert high <= page["legend"][0]  # below the legend
    assert page["notice"][0] >= 0.0 and high <= 1.0


def test_few_notes_are_printed_whole() -> None:
    notes = ["目标: ≥ 12,000 m²", "数据来源: 测试"]
    with page_style():
        page = _layout(new_page(MapSheet("t", "s", LEGEND[:3], notes), "zh"))
    assert page["lines"] == notes
    assert page["notice"] is None and page["notes"][1] <= page["legend"][0]


def test_indicator_sheet_of_a_row_with_many_long_notes(tmp_path: Any) -> None:
    """The whole indicator sheet: a record whose definition and notes are very long."""
    parts = [f"参数{i}: {LONG[: 60 + i]}" for i in range(40)]
    records = [{**r, "definition": LONG * 3, "note": "; ".join(parts)} for r in RECORDS]
    app = create_app(build_fixture(tmp_path / "proj"),
                     records_fn=lambda *_a, **_k: [dict(r) for r in records])
    with page_style():
        fig = indicator_figure(app.state.data, "HP-04", level="street", lang="zh",
                               settings=WebSettings())
        page = _layout(fig)
    assert page["lines"][-1] == NOTES_CUT["zh"]
    assert page["notes"][1] <= page["legend"][0]
    assert page["notes"][0] >= 0.0
