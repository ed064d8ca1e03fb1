"""Printable layers, gaps (now | proposal) and PV maps (issue 12 item 4).

Fixture: the scenario project of tests/test_web_scenario.py (the tiny project of
tests/test_metrics.py, residential land box(0, 0, 100, 50) = 5,000 m² all outside the park
radius now, 0 m² with the proposed pocket park box(110, 10, 160, 50)), with installed PV on
two roofs: b1 (20 m × 20 m = 400 m²) 100 m² → 25 %, b3 (400 m²) 300 m² → 75 %. The web
styles (web/styles.py PV_BREAKS 0, 10, 30, 50, 100) put 25 % in the third class (#ffca28)
and 75 % in the fifth (#e65100); the roofs without PV at 0 % in the first (#e0e0e0).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from fixtures.pdf import OUT, needs_poppler, page_size, pdf_text
from fixtures.scenario import scenario_project
from matplotlib.colors import to_hex
from typer.testing import CliRunner

from layers.project import Project
from peakmap.cli import app
from web.app import create_app
from web.data import ProjectData
from web.exports_maps import layers_figure, pv_figure
from web.printed import page_style

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

A4_LANDSCAPE_PT = (841.89, 595.28)


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scenario_project(tmp_path_factory.mktemp("sheets"))
    store = Project(root).store
    buildings = store.read("buildings")
    buildings["pv_area_m2"] = buildings["id"].map({"b1": 100.0, "b3": 300.0}).fillna(0.0)
    store.write_layers({"buildings": buildings})
    return root


@pytest.fixture(scope="module")
def client(project_dir: Path) -> TestClient:
    return TestClient(create_app(project_dir))


def _first_page_png(pdf: Path, name: str) -> Path:
    OUT.mkdir(exist_ok=True)
    prefix = OUT / name
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(prefix)], check=True)
    return prefix.with_suffix(".png")


FURNITURE_ZH = ("图例", "北", "制图日期", "数据来源", "EPSG:4548", "街道一", "街道二", "街道三",
                "50 m")


@needs_poppler
@pytest.mark.parametrize(("kind", "query", "pieces"), [
    ("layers", "", ("图层地图", "绿地: EG 区域绿地", "口袋公园: 规划",
                    "再生资源回收点: 社区回收点", "再生资源回收点: 中转站")),
    ("gaps", "", ("服务盲区与选址方案", "选址方案: 口袋公园", "口袋公园: 规划")),
    ("gaps", "compare=true", ("现状 | 方案", "现状: 5,000 m²", "方案: 0 m²",
                              "现状 5,000 m² → 方案 0 m²", "(-5,000 m²)", "选址方案（右图）")),
    ("pv", "", ("光伏覆盖率", "0 – 10 %", "10 – 30 %", "30 – 50 %", "50 – 100 %")),
])
def test_pdf_sheets_have_the_furniture(client: TestClient, tmp_path: Path, kind: str,
                                       query: str, pieces: tuple[str, ...]) -> None:
    r = client.get(f"/maps/{kind}.pdf?{query}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(r.content)
    assert page_size(pdf) == pytest.approx(A4_LANDSCAPE_PT, abs=1.0)
    text = pdf_text(pdf)
    for piece in (*FURNITURE_ZH, *pieces):
        assert piece in text, piece
    png = _first_page_png(pdf, f"map-export-{kind}{'-compare' if query else ''}")
    assert png.stat().st_size > 10_000


def test_english_sheet_and_png(client: TestClient) -> None:
    r = client.get("/maps/pv.png?lang=en")
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert 'filename="peakmap-pv.png"' in r.headers["content-disposition"]
    assert client.get("/maps/layers.svg").status_code == 422


def _facecolors(fig: object) -> set[str]:
    out: set[str] = set()
    for ax in fig.axes:  # type: ignore[attr-defined]
        for coll in ax.collections:
            out |= {to_hex(c, keep_alpha=False) for c in coll.get_facecolors()}
    return out


def test_pv_roofs_in_the_page_classes(project_dir: Path) -> None:
    data = ProjectData(project_dir)
    with page_style():
        colours = _facecolors(pv_figure(data, lang="zh"))
    # b1 25 % → third class, b3 75 % → fifth, the other roofs 0 % → first
    assert {"#ffca28", "#e65100", "#e0e0e0"} <= colours
    assert "#fff59d" not in colours and "#fb8c00" not in colours  # no roof at 10–30 / 50–75


def test_layers_sheet_uses_the_page_colours(project_dir: Path) -> None:
    data = ProjectData(project_dir)
    with page_style():
        colours = _facecolors(layers_figure(data, lang="zh"))
    # green spaces are all EG in the fixture; pocket parks planned; recycling point kinds
    assert {"#aed581", "#ffb300", "#00897b", "#f4511e", "#8e24aa"} <= colours


def test_compare_without_a_proposal_is_one_clear_message(tmp_path: Path) -> None:
    from fixtures.tiny import make_project

    make_project(tmp_path)
    client = TestClient(create_app(tmp_path))
    r = client.get("/maps/gaps.pdf?compare=true")
    assert r.status_code == 404 and "no proposal stored" in r.text
    proc = subprocess.run([sys.executable, "-m", "peakmap", "map", str(tmp_path), "gaps",
                           "--compare", "--out", str(tmp_path / "g.pdf")],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 1 and "no proposal stored" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "g.pdf").exists()


@needs_poppler
def test_cli_writes_every_sheet(project_dir: Path, tmp_path: Path) -> None:
    for kind, extra in (("layers", []), ("pv", ["--lang", "en"]), ("gaps", ["--compare"])):
        out = tmp_path / f"{kind}.pdf"
        result = CliRunner().invoke(app, ["map", str(project_dir), kind, "--out", str(out),
                                          *extra])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"%PDF")
    assert "Share of PV" in pdf_text(tmp_path / "pv.pdf") or "PV coverage" in pdf_text(
        tmp_path / "pv.pdf")


def test_pages_link_their_exports(client: TestClient) -> None:
    for page, link in (("/maps/layers", "/maps/layers.pdf?lang=zh"),
                       ("/maps/gaps", "/maps/gaps.pdf?compare=true&amp;lang=zh"),
                       ("/maps/pv", "/maps/pv.png?lang=zh"),
                       ("/maps/compare?indicator=gaps",
                        "/maps/gaps.pdf?compare=true&amp;lang=zh"),
                       ("/maps/compare?indicator=HP-T4&level=street",
                        "/maps/indicator.pdf?indicator=HP-T4&amp;level=street&amp;lang=zh"
                        "&amp;scenario=proposal"),
                       ("/?level=street", "/maps/indicator.pdf?indicator=HP-T4&amp;level=street")):
        html = client.get(page).text
        assert link in html, page
        assert "/static/peakmap/exports.css" in html, page


def test_indicator_pdf_with_a_proposal_keeps_the_shared_classes(client: TestClient,
                                                                tmp_path: Path) -> None:
    # as the pages (tests/test_web_scenario.py): with the proposal every street is at 0 %;
    # the classes computed on both sides keep today's red class of 83.33 % (two distinct
    # values, 0 and 83.33: a class each, web.classes)
    for q in ("", "&scenario=proposal"):
        pdf = tmp_path / "t4.pdf"
        pdf.write_bytes(client.get(f"/maps/indicator.pdf?indicator=HP-T4&level=street{q}")
                        .content)
        text = pdf_text(pdf)
        assert "达标 0 %" in text and "未达标 83.33 %" in text, q


def test_pv_sheet_outlines_the_flags_and_names_the_sky(tmp_path: Path) -> None:
    """With the PV analysis stored, the printed PV map outlines roofs already fitted,
    historic ones and TJ-PV50's denominator, names them in the legend and quotes the sky."""
    import json

    from matplotlib.text import Text

    root = scenario_project(tmp_path / "p")
    project = Project(root)
    b = project.store.read("buildings")
    n = len(b)
    b["roof_area_m2"] = 100.0
    b["pv_suitable_area_m2"] = 50.0
    b["pv_kwp"] = 5.0
    b["pv_kwh_year"] = 6000.0
    b["has_pv"] = [i == 0 for i in range(n)]
    b["historic"] = [i == 1 for i in range(n)]
    b["tj_pv50"] = [i == 2 for i in range(n)]
    project.store.write_layers({"buildings": b})
    (project.build_dir / "solar_irradiation.json").write_text(
        json.dumps({"note": "sky: test sky, Perez 1990 transposition"}), encoding="utf-8")
    with page_style():
        fig = pv_figure(ProjectData(root), lang="en")
    edges: set[str] = set()
    for ax in fig.axes:
        for coll in ax.collections:
            edges |= {to_hex(c, keep_alpha=False) for c in coll.get_edgecolors()}
    assert {"#1565c0", "#6d4c41", "#8e24aa"} <= edges
    text = "".join("".join(t.get_text().split()) for t in fig.findobj(Text))  # notes wrap
    for piece in ("Outline: Already fitted with PV", "Outline: Historic",
                  "Outline: In TJ-PV50's denominator",
                  "Sky and layout used: sky: test sky, Perez 1990 transposition"):
        assert "".join(piece.split()) in text, piece


@needs_poppler
def test_printed_sheets_show_no_bare_code(client: TestClient, tmp_path: Path) -> None:
    """The no-bare-code check of the Chinese pages (tests/test_web_i18n.py) on the PDFs."""
    from fixtures.i18n import bare_codes

    for path in ("/maps/layers.pdf", "/maps/gaps.pdf", "/maps/gaps.pdf?compare=true",
                 "/maps/pv.pdf", "/maps/indicator.pdf?indicator=HP-T4&level=street",
                 "/maps/indicator.pdf?indicator=HP-T4&level=street&scenario=proposal"):
        pdf = tmp_path / "s.pdf"
        pdf.write_bytes(client.get(path).content)
        text = pdf_text(pdf)
        assert bare_codes(text) == [], path
        # the manifest's parameter names are what a planner edits: the rows' notes name the
        # ones used ("参数：heating.renewal_age_years = 30", web.layer_text.row_notes)
        assert "_" not in text.replace("proposal__", "").replace("uncovered_preset", "")\
            .replace("heating.renewal_age_years", ""), path


def test_map_pages_have_the_whole_bar(client: TestClient) -> None:
    """Map pages link the same places as the other pages' bar (matrix, list, upload)."""
    html = client.get("/maps/indicator?indicator=HP-T4&level=street&lang=en").text
    bar = html[html.index('<div class="pm-bar">'):html.index("</div>", html.index("pm-bar"))]
    for href in ('href="/?lang=en"', 'href="/?level=district&amp;lang=en"',
                 'href="/upload?lang=en"', 'href="/maps/gaps?lang=en&amp;basemap=none'):
        assert href in bar, href
