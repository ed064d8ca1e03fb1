"""``peakmap site …`` tables show one language a cell: Chinese by default, English with
``--lang en`` (never ``模型 model``), on the tiny siting and pipe-renewal fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.i18n import (
    has_chinese,
    has_english_word,
    header_cells,
    table_cells,
    two_language_cells,
)
from fixtures.scenario import renewal_project
from fixtures.siting import make_siting_project
from typer.testing import CliRunner

from peakmap.cli import app


def _run(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def _rows(text: str) -> dict[str, list[str]]:
    """Rows of the printed tables by their first cell."""
    return {cells[0]: cells[1:] for cells in table_cells(text) if cells and cells[0]}


def _one_language(text: str, lang: str) -> None:
    assert not two_language_cells(text), two_language_cells(text)
    heads = header_cells(text)
    assert heads
    if lang == "zh":
        assert not [h for h in heads if has_english_word(h)], heads
    else:
        assert not [h for h in heads if has_chinese(h)], heads


def test_siting_tables_in_chinese_then_english(tmp_path: Path) -> None:
    project = make_siting_project(tmp_path / "p")
    zh = _run("site", "transfer", str(project.root), "--no-apply")
    _one_language(zh, "zh")
    rows = _rows(zh)
    assert rows["模型"][0] == "各街道 1-中位（户加权距离最小）"
    assert rows["求解状态"][0] == "最优" and rows["距离"][0] == "直线"
    assert rows["最优性间隙"] == ["0", "相对值；0 = 已证明最优"]
    assert "新增站点" in zh and "计算值（peakmap 计算，非填报统计）" in zh
    site = next(v for k, v in rows.items() if k.startswith("PR-TS-"))
    assert site[0] == "公共建筑首层"  # the source (public_building), in Chinese only
    en = _run("site", "transfer", str(project.root), "--no-apply", "--lang", "en")
    _one_language(en, "en")
    rows = _rows(en)
    assert rows["model"][0] == "1-median per street"
    assert rows["status"][0] == "optimal" and rows["distance"][0] == "straight line"
    assert rows["MIP gap"] == ["0", "relative; 0 = proven optimal"]
    assert "proposed sites" in en and "computed by peakmap (not reported statistics)" in en
    site = next(v for k, v in rows.items() if k.startswith("PR-TS-"))
    assert site[0] == "public building, ground floor"


def test_recording_line_in_chinese(tmp_path: Path) -> None:
    project = make_siting_project(tmp_path / "p", params="public_landuse_codes = []")
    zh = _run("site", "recycling", str(project.root), "--min-per-community", "1")
    _one_language(zh, "zh")
    assert "已写入方案：proposal__recycling_points：写入 2 个新站点（图层中共 2 个）" in zh
    assert _rows(zh)["模型"][0] == "集合覆盖（最少新增点覆盖全部住户）"


def test_pipe_renewal_tables_in_chinese_then_english(tmp_path: Path) -> None:
    renewal_project(tmp_path)
    zh = _run("site", "heating", str(tmp_path), "--max-km", "0.15")
    _one_language(zh, "zh")
    pipes = _rows(zh)
    assert pipes["1"][:5] == ["c", pipes["1"][1], "1980", "500", "一级管网"]
    assert "已写入方案：proposal__heating_renewal：写入 2 段管道，共 0.13 km" in zh
    en = _run("site", "heating", str(tmp_path), "--max-km", "0.15", "--no-apply",
              "--lang", "en")
    _one_language(en, "en")
    assert _rows(en)["1"][4] == "primary network"


@pytest.mark.parametrize(("key", "zh", "en"), [
    ("model", "模型", "model"),
    ("n_candidates", "候选点", "candidates"),
    ("each_zone_indicator", "每社区最少指标", "per-community row"),
])
def test_summary_words(key: str, zh: str, en: str) -> None:
    from peakmap.site_words import summary_row

    assert summary_row(key, "zh")[0] == zh  # type: ignore[index]
    assert summary_row(key, "en")[0] == en  # type: ignore[index]
    assert summary_row("n_variables", "zh") is None  # not shown


def test_every_table_word_is_in_one_language() -> None:
    from peakmap.cmd_site_heating import PIPE_COLUMNS, STREET_COLUMNS
    from peakmap.cmd_site_pv import COLUMNS, FLAG_LABELS, ZONE_COLUMNS
    from peakmap.site_words import SITE_WORDS, SUMMARY_LABELS

    pairs = [*SITE_WORDS.values(), *(p for row in SUMMARY_LABELS.values() for p in row),
             *(c[1:3] for c in (*PIPE_COLUMNS, *STREET_COLUMNS, *COLUMNS, *ZONE_COLUMNS)),
             *(words for _, words in FLAG_LABELS)]
    for zh, en in pairs:
        assert not has_english_word(zh), zh
        assert not has_chinese(en), en
