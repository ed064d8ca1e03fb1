"""The upload page's dry run: the build's verdict, every problem at once, nothing written.

Files are those of the upload corpus (tests/test_web_api.py); the tiny project is
tests/fixtures/ingest.py (recycling points r1 社区回收点 and r2 中转站, parks g1 and g2).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import ingest as fx
from fixtures.web import UPLOAD_CORPUS, build_fixture, client_for, digest

from layers.ingest import check_upload
from layers.project import Project


@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")


@pytest.mark.parametrize("case", sorted(UPLOAD_CORPUS))
def test_check_gives_the_uploads_verdict_and_writes_nothing(
    case: str, built: Path, tmp_path: Path
) -> None:
    layer, filename, content, form, _words = UPLOAD_CORPUS[case]
    client = client_for(built)
    before = digest(built / "build")
    files = {"file": (filename, content(tmp_path))}
    r = client.post(f"/api/layers/{layer}/check", files=files, data=form)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False and body["report"] is None
    assert digest(built / "build") == before
    # The first problem is the message the real upload answers with.
    upload = client.post(f"/api/layers/{layer}", files=files, data=form)
    assert 400 <= upload.status_code < 500
    assert body["errors"][0] == upload.json()["detail"]
    assert all("\n" not in e and "Traceback" not in e for e in body["errors"])


def _two_problems() -> bytes:
    # r2 becomes a second r1 (ids not unique) and its kind 垃圾桶 is not in the value list.
    text = fx.recycling_csv().replace("r2,中转站", "r1,垃圾桶")
    assert "r1,垃圾桶" in text
    return text.encode("utf-8")


def test_check_lists_every_problem_at_once(built: Path) -> None:
    client = client_for(built)
    r = client.post("/api/layers/recycling_points/check",
                    files={"file": ("recycling.csv", _two_problems())})
    errors = r.json()["errors"]
    assert len(errors) == 2, errors
    assert any("field kind" in e and "垃圾桶" in e for e in errors)
    assert any("field id" in e and "not unique" in e for e in errors)


def test_check_passes_a_good_file_and_reports_what_would_be_stored(built: Path) -> None:
    client = client_for(built)
    before = digest(built / "build")
    r = client.post("/api/layers/recycling_points/check",
                    files={"file": ("recycling.csv", fx.recycling_csv().encode("utf-8"))})
    body = r.json()
    assert body["ok"] is True and body["errors"] == []
    assert body["report"]["features_read"] == 2 and body["report"]["features_stored"] == 2
    assert body["report"]["crs_in"] == "GCJ-02" and body["report"]["crs_out"] == "EPSG:4548"
    assert digest(built / "build") == before


def test_check_upload_needs_a_built_project(tmp_path: Path) -> None:
    root = fx.write_project(tmp_path / "p")
    report, errors = check_upload(Project(root), "recycling_points",
                                  root / "raw" / "recycling.csv")
    assert report is None and len(errors) == 1 and "build" in errors[0].lower()


def test_upload_page_lists_the_layers(built: Path) -> None:
    page = client_for(built).get("/upload").text
    assert 'value="recycling_points"' in page and "再生资源回收点" in page
    assert "/static/peakmap/upload.js" in page
    en = client_for(built).get("/upload?lang=en").text
    assert "Recycling points" in en and "Confirm upload" in en


def test_pages_that_post_share_one_csrf_module(built: Path) -> None:
    """post.js (CSRF header, answer as {status, body}) is loaded before each page's script."""
    client = client_for(built)
    page = client.get("/upload").text
    assert page.index("/static/peakmap/post.js") < page.index("/static/peakmap/upload.js")
    static = Path(__file__).resolve().parent.parent / "web" / "static"
    post = client.get("/static/peakmap/post.js")
    assert post.status_code == 200 and "X-CSRF-Token" in post.text
    with_token = [p.name for p in static.glob("*.js") if "peakmap_csrf" in p.read_text()]
    assert with_token == ["post.js"]  # read from the cookie in one place only
    template = (static.parent / "templates" / "scenario.html").read_text(encoding="utf-8")
    assert template.index("/static/peakmap/post.js") < template.index("scenario.js")


def test_check_messages_in_chinese_first(built: Path) -> None:
    """The page's language first (Chinese by default), the build's English kept beside."""
    client = client_for(built)
    files = {"file": ("recycling.csv", _two_problems())}
    body = client.post("/api/layers/recycling_points/check", files=files).json()
    place = "recycling.csv，图层 再生资源回收点（recycling_points）"
    assert body["errors_label"] == [
        f"{place}，字段 类型（kind），要素 r1：1 个值不在可选值（community_point, "
        "transfer_station, sorting_center, two_network_point）之内：'垃圾桶' (1)；请在 "
        "project.toml 的 [layers.recycling_points.values.kind] 中映射",
        f"{place}，字段 编号（id），要素 r1：编号不唯一（2 个要素编号重复）",
    ]
    assert body["errors"][1].endswith("id is not unique (2 features share ids)")
    en = client.post("/api/layers/recycling_points/check?lang=en", files=files).json()
    assert en["errors_label"] == en["errors"]
    # the upload's own refusal carries the Chinese line too
    r = client.post("/api/layers/recycling_points", files={"file": ("r.txt", b"x")})
    assert r.json()["detail_zh"] == (
        "r.txt，图层 再生资源回收点（recycling_points）：不支持的矢量格式 '.txt'（支持：.gpkg "
        ".geojson .json .shp .zip .fgb .parquet .csv）")


@pytest.mark.parametrize("case", sorted(UPLOAD_CORPUS))
def test_every_corpus_problem_has_chinese_words(case: str, built: Path, tmp_path: Path) -> None:
    layer, filename, content, form, _words = UPLOAD_CORPUS[case]
    body = client_for(built).post(f"/api/layers/{layer}/check",
                                  files={"file": (filename, content(tmp_path))}, data=form).json()
    for en, zh in zip(body["errors"], body["errors_label"], strict=True):
        problem = zh.split("：", 1)[-1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in problem), (en, zh)


def test_check_notes_of_a_delivery_in_chinese(built: Path, tmp_path: Path) -> None:
    # A Shapefile's 0 for "no install year": the check's notes, Chinese on the Chinese page.
    import io
    import zipfile

    import geopandas as gpd
    import shapely

    pipes = gpd.GeoDataFrame(
        {"id": ["p1", "p2", "p3"], "敷设年份": [0, 1990, 0]},
        geometry=[shapely.LineString([(fx.X0 + 10, fx.Y0 + 10 * i), (fx.X0 + 90, fx.Y0 + 10 * i)])
                  for i in range(1, 4)], crs=fx.GK)
    shp = tmp_path / "pipes.shp"
    pipes.to_file(shp, encoding="gbk")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sorted(tmp_path.glob("pipes.*")):
            zf.write(f, f.name)
    files = {"file": ("pipes.zip", buf.getvalue())}
    client = client_for(built)
    zh = client.post("/api/layers/heating_pipes/check", files=files).json()
    assert zh["ok"] is True
    assert zh["report"]["notes"] == ["敷设年份（install_year）：2 个值为 0，按无值读取"]
    en = client.post("/api/layers/heating_pipes/check?lang=en", files=files).json()
    assert en["report"]["notes"] == ["install_year: 2 values 0 read as missing"]


@pytest.mark.parametrize(("note", "zh"), [
    ("height_m: 3 values 0 (not above 0) read as missing",
     "高度（height_m）：3 个值为 0（不大于 0），按无值读取"),
    ("built_year: 3 values 0, 1 value 9999 (outside 1800…2026); 2 values 1900 (na_values) "
     "read as missing",
     "建成年份（built_year）：3 个值为 0，1 个值为 9999（不在 1800…2026 之间）；"
     "2 个值为 1900（na_values 所列），按无值读取"),
    ("floors: 5 estimated from height_m ÷ 3 m ([params.buildings] storey_height_m)",
     "层数（floors）：5 栋按高度 ÷ 3 m 估算（[params.buildings] storey_height_m）"),
    ("floor_area_m2: 2 buildings have no floor area, floors or height (left out of "
     "floor-area indicators)",
     "建筑面积（floor_area_m2）：2 栋无建筑面积、层数与高度（不计入建筑面积类指标）"),
    ("features 1–50000: after reprojection to the metric CRS: repaired 1 invalid geometry: g1",
     "要素 1–50000：重投影到米制坐标系后：修复了 1 个无效几何：g1"),
    ("dropped 3 zero-area polygons: w12, w40, w41", "删除了 3 个零面积多边形：w12, w40, w41"),
])
def test_build_notes_in_chinese(note: str, zh: str) -> None:
    from layers.messages import message_label

    assert message_label(note, "zh") == zh
    assert message_label(note, "en") == note
