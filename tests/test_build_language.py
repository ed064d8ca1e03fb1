"""``peakmap build`` prints in one language: Chinese by default, English with ``--lang en``.

The build's summary, its notes (repairs, empty fields, a raster copied), the post-build steps'
lines and its errors used to be English (or half of each) whatever the language.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fixtures import ingest as fx
from fixtures.web import TARGETS
from typer.testing import CliRunner

from layers.schema import CANONICAL
from peakmap.cli import app

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# two English words in a row: a phrase, not a unit, code, file or identifier
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z][a-z]+[ -][A-Za-z]{2,}\b")
IDENTIFIERS = re.compile(r"\b(" + "|".join(sorted(
    {name for name in CANONICAL} | {f.name for s in CANONICAL.values() for f in s.fields},
    key=len, reverse=True)) + r")\b")


def _build(root: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["build", str(root), *args], env={"COLUMNS": "200"})
    return res.exit_code, res.output


def _project(tmp_path: Path) -> Path:
    root = fx.write_project(tmp_path / "p")  # green space g2 is a bow-tie: repaired
    (root / "targets.toml").write_text(TARGETS, encoding="utf-8")
    return root


def _no_english_phrase(text: str) -> None:
    text = re.sub(r"\S+\.(?:gpkg|geojson|csv|zip|toml|tif)\b|\[[a-z_.]+\]", "", text)
    text = IDENTIFIERS.sub("", text)
    assert not ENGLISH_PHRASE.findall(text), ENGLISH_PHRASE.findall(text)


def test_build_speaks_chinese_by_default(tmp_path: Path) -> None:
    code, out = _build(_project(tmp_path))
    assert code == 0, out
    assert "构建结果：peakmap.gpkg，米制坐标系 EPSG:4548" in out
    assert "绿地 green_spaces：修复了 1 个无效几何：g2" in out
    assert "公园服务半径分析：uncovered_residential：已跳过（没有 landuse 图层）" in out
    assert "屋顶光伏分析：已跳过：没有 DSM 栅格（请在 project.toml 中加入 [rasters.dsm]）" in out
    # the one-row catalog (fixtures.web.TARGETS) on 3 communities, 2 streets, 1 district
    assert "指标：已计算并缓存 6 条结果（build/cache）" in out
    _no_english_phrase(out)


def test_build_speaks_english_when_asked(tmp_path: Path) -> None:
    code, out = _build(_project(tmp_path), "--lang", "en")
    assert code == 0, out
    assert "Build summary: peakmap.gpkg, metric CRS EPSG:4548" in out
    assert "green_spaces: repaired 1 invalid geometry: g2" in out
    assert "coverage: uncovered_residential: skipped (no landuse layer)" in out
    assert "rooftop_pv: skipped: no DSM raster (add [rasters.dsm] to the manifest)" in out
    assert "indicators: 6 results computed and cached (build/cache)" in out
    assert not CJK.search(out), CJK.findall(out)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_build_errors_in_the_chosen_language(tmp_path: Path, lang: str) -> None:
    root = _project(tmp_path)
    csv = root / "raw" / "recycling.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("社区回收点", "废品站", 1),
                   encoding="utf-8")
    code, out = _build(root, "--lang", lang)
    assert code == 1, out
    if lang == "zh":
        assert ("错误：raw/recycling.csv，图层 再生资源回收点（recycling_points），"
                "字段 类型（kind）") in out
        assert "1 个值不在可选值" in out and "'废品站' (1)" in out
        assert "构建失败：1 个问题；项目库未改动" in out
        _no_english_phrase(out)
    else:
        assert "error: raw/recycling.csv, layer recycling_points, field kind" in out
        assert "build failed: 1 problem(s); the store is unchanged" in out
    # the manifest lines to paste stay exact in both languages
    assert "[layers.recycling_points.values.kind]" in out and '"废品站" = ""' in out


def test_a_missing_catalog_is_said_in_chinese(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "targets.toml").unlink()
    code, out = _build(root)
    assert code == 0, out
    assert f"指标：未计算（{root / 'targets.toml'}：找不到指标目录）" in out
