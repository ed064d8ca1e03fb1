"""Printable map exports (issue 12 item 4): ``peakmap map`` and ``/maps/indicator.pdf|png``.

On the tiny project of tests/test_metrics.py (three streets 100 m × 100 m; LED shares by
hand: S1 2 of 3 lamps = 66.67 %, S2 0 of 1 = 0 %, S3 no lamps = no data). The PDF's first
page is converted to PNG with pdftoppm (poppler) and kept under test-output/ to look at;
its text is read back with pdftotext.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from fixtures.pdf import OUT, needs_poppler, page_size, pdf_text
from PIL import Image
from typer.testing import CliRunner

from layers.project import GENERATED_MARK
from peakmap.cli import app
from web import printed
from web.app import create_app
from web.classes import FAIL_COLORS, classify_indicator

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

A4_LANDSCAPE_PT = (841.89, 595.28)


@pytest.fixture(scope="module")
def sample_like(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tiny project with the manifest header ``peakmap sample`` writes."""
    root = tmp_path_factory.mktemp("sample_like") / "tiny"
    shutil.copytree(tiny_template, root)
    manifest = root / "project.toml"
    manifest.write_text(f"{GENERATED_MARK} --seed 1 --scale 1`.\n" + manifest.read_text(
        encoding="utf-8"), encoding="utf-8")
    return root






@needs_poppler
def test_cli_pdf_has_title_legend_scale_north_date_source(sample_like: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "HP-17.pdf"
    result = CliRunner().invoke(app, ["map", str(sample_like), "HP-17", "--level", "street",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert page_size(out) == pytest.approx(A4_LANDSCAPE_PT, abs=1.0)
    text = pdf_text(out)
    for piece in ("HP-17", "LED等高效节能灯具使用占比", "图例", "北", "街道一", "街道二",
                  "街道三", "无数据", "目标: > 80 %", "达标: 0 / 2 街道", "制图日期", "数据来源",
                  "EPSG:4548", "示例数据", "区域边框：绿色 = 达标，红色 = 未达标"):
        assert piece in text, piece
    assert "50 m" in text  # the metric scale bar: 300 m wide → 50 m (1-2-5 steps)
    OUT.mkdir(exist_ok=True)
    prefix = OUT / "map-export-HP-17-street"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(out), str(prefix)], check=True)
    with Image.open(prefix.with_suffix(".png")) as page:
        assert page.width > page.height  # landscape


@needs_poppler
def test_notice_only_on_the_sample(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.pdf"
    result = CliRunner().invoke(app, ["map", str(tiny_dir), "HP-17", "--out", str(out),
                                      "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = pdf_text(out)
    assert "Sample data" not in text and "示例数据" not in text
    assert "Legend" in text and "Share of LED lamps" in text and "N" in text
    assert "pass_border" not in text and "Zone outline: green = met, red = not met" in text


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    with Image.open(io.BytesIO(png)) as im:
        return {c for _, c in im.convert("RGB").getcolors(maxcolors=1 << 20) or []}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def test_route_png_draws_the_class_colours(tiny_dir: Path) -> None:
    client = TestClient(create_app(tiny_dir))
    r = client.get("/maps/indicator.png?indicator=HP-17&level=street")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert "peakmap-HP-17-street.png" in r.headers["content-disposition"]
    seen = _colours(r.content)
    # S3 has no lamps: the no-data grey; S1 (66.67 %) and S2 (0 %) both miss the target
    # > 80 %, so their fills are two different reds of the not-met side (web.classes)
    assert _rgb(printed.NO_DATA_FILL) in seen
    idx, classes = classify_indicator([66.67, 0.0, float("nan")], op=">", target=80.0,
                                      unit="%", k=5)
    assert idx[2] == -1 and idx[0] != idx[1]
    for i in idx[:2]:
        assert classes[i].meets is False and classes[i].color in FAIL_COLORS
        assert _rgb(classes[i].color) in seen


@needs_poppler
def test_pdf_legend_is_the_pages_legend(tiny_dir: Path, tmp_path: Path) -> None:
    """The printed map uses the interactive map's classes: every legend line of the page
    (web.maps, class bounds and met/not-met words) is printed in the PDF."""
    client = TestClient(create_app(tiny_dir))
    page = client.get("/maps/indicator?indicator=HP-17&level=street&lang=zh").text
    legend = re.search(r'<details class="pm-legend".*?</details>', page, re.S)
    assert legend is not None
    labels = [html.unescape(x) for x in
              re.findall(r'<span class="sw"[^>]*></span>([^<]+)</div>', legend.group(0))]
    assert any("未达标" in x for x in labels) and "无数据" in labels
    pdf = tmp_path / "legend.pdf"
    pdf.write_bytes(client.get("/maps/indicator.pdf?indicator=HP-17&level=street").content)
    text = pdf_text(pdf)
    for label in labels:
        assert label in text, label


def test_route_pdf_and_errors(tiny_dir: Path) -> None:
    client = TestClient(create_app(tiny_dir))
    r = client.get("/maps/indicator.pdf?indicator=HP-17&level=community&lang=en")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.get("/maps/indicator.pdf?indicator=HP-99&level=street")
    assert r.status_code == 404 and "&#x27;HP-99&#x27;: no results at level street" in r.text
    assert client.get("/maps/indicator.svg?indicator=HP-17").status_code == 422


def test_cli_errors_are_one_line(tiny_dir: Path, tmp_path: Path) -> None:
    for args, needle in ((["HP-17", "--out", str(tmp_path / "m.svg")], ".pdf or .png"),
                         (["HP-99", "--out", str(tmp_path / "m.pdf")], "HP-99")):
        proc = subprocess.run([sys.executable, "-m", "peakmap", "map", str(tiny_dir), *args],
                              capture_output=True, text=True, check=False, timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert needle in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printed, "CJK_FONT_NAMES", ("No Such Font",))
    with pytest.raises(printed.ExportError, match="fonts-wqy-microhei"):
        printed.cjk_font()


@needs_poppler
def test_pdf_compliance_report(sample_like: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(app, ["report", str(sample_like), "--format", "pdf", "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True,
                          check=True).stdout
    # district table (3 rows) + street matrix (2 rows) + one street map per indicator the
    # district fails: HP-17 (50 % ≤ 80 %) and HP-04 (1,900 < 2,000 m²); HP-01 has no target
    assert "Pages:           4" in info
    pages = [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(out), "-"],
                            capture_output=True, text=True, check=True).stdout
             for i in range(1, 5)]
    assert "区D: 达标 0, 未达标 2, 无定量目标 1, 无数据 0" in pages[0]
    assert all(p in pages[0] for p in ("HP-01", "HP-04", "HP-17", "区城市管理委、区商务局"))
    # figures as the dashboard prints them (layers.numfmt): 50 % against > 80 % is 30
    # percentage points short; 1,900 m² against ≥ 2,000 m² is 100 m² short
    hp17 = next(line for line in pages[0].splitlines() if "HP-17" in line)
    assert re.search(r"50 %\s+> 80 %\s+\+30 百分点", hp17), hp17
    hp04 = next(line for line in pages[0].splitlines() if "HP-04" in line)
    assert re.search(r"1,900 m²\s+≥ 2,000 m²\s+\+100 m²", hp04), hp04
    assert "街道 × 指标达标情况" in pages[1] and "66.67" in pages[1] and "街道三" in pages[1]
    assert "HP-17 LED等高效节能灯具使用占比" in pages[2] and "图例" in pages[2]
    assert "HP-04 城市绿地面积" in pages[3]
    assert all("示例数据" in p for p in pages)  # the sample notice on every page
    OUT.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(out),
                    str(OUT / "report-pdf-tiny")], check=True)
    proc = subprocess.run([sys.executable, "-m", "peakmap", "report", str(sample_like),
                           "--format", "pdf"], capture_output=True, text=True, check=False,
                          timeout=120)
    assert proc.returncode == 1 and "--out" in proc.stderr and "Traceback" not in proc.stderr


@needs_poppler
def test_cli_map_reads_the_results_cache(tiny_template: Path, tmp_path: Path) -> None:
    """``peakmap map`` takes the indicator from the cache the build leaves: a cached record
    (S2 made 90 %, above the target > 80 %) shows in the printed map; computed afresh S2 has
    0 %, so no zone would meet the target."""
    from dataclasses import replace

    from layers.indicators.cache import cache_key, save_records
    from layers.indicators.engine import compute_records
    from layers.project import Project

    shutil.copytree(tiny_template, tmp_path / "p")
    project = Project(tmp_path / "p")
    records = [replace(r, value=90.0, status="pass") if (r.indicator, r.zone_code) ==
               ("HP-17", "S2") else r for r in compute_records(project)]
    save_records(project, cache_key(project), records)
    out = tmp_path / "m.pdf"
    result = CliRunner().invoke(app, ["map", str(tmp_path / "p"), "HP-17", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "达标: 1 / 2 街道" in pdf_text(out)
