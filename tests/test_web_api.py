"""The JSON API with FastAPI's test client, on the tiny ingest project (values by hand).

The project (tests/fixtures/ingest.py) is a 400 m × 400 m district in EPSG:4548 with two
streets, three communities, two parks (a 100 m square = 10,000 m² and a bow-tie repaired
into two triangles = 5,000 m²), two recycling points and two heating pipes.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx
from fixtures.web import (
    RECORDS,
    UPLOAD_CORPUS,
    TestClient,
    build_fixture,
    client_for,
    digest,
    gpkg_bytes,
)
from pyproj import Transformer

from gis import CRSError, InputFileError, LayerValidationError, PeakmapError
from gis.crs import wgs84_to_gcj02
from layers import ManifestError, StoreError
from web.app import create_app
from web.errors import NotFoundError, UploadTooLargeError, status_for
from web.settings import WebSettings

TO_GK = Transformer.from_crs("EPSG:4326", fx.GK, always_xy=True)
















@pytest.fixture
def built(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "proj")


@pytest.fixture
def client(built: Path) -> TestClient:
    return client_for(built)


def gk_area(feature: dict[str, Any]) -> float:
    geom = shapely.geometry.shape(feature["geometry"])
    return float(shapely.area(shapely.transform(geom, lambda c: np.column_stack(
        TO_GK.transform(c[:, 0], c[:, 1])))))


# --- reading ------------------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "project": "测试项目", "built": True, "layers": 6}


def test_layers_list_counts(client: TestClient) -> None:
    rows = {r["name"]: r for r in client.get("/api/layers").json()}
    assert {n: r["features"] for n, r in rows.items()} == {
        "districts": 1, "streets": 2, "communities": 3, "green_spaces": 2,
        "recycling_points": 2, "heating_pipes": 2,
    }
    assert rows["green_spaces"]["title_zh"] == "绿地"


def test_layer_geojson_in_wgs84_with_areas(client: TestClient) -> None:
    r = client.get("/api/layers/green_spaces")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    feats = {f["properties"]["id"]: f for f in r.json()["features"]}
    assert feats["g1"]["properties"]["area_m2"] == pytest.approx(10_000.0)
    assert feats["g2"]["properties"]["area_m2"] == pytest.approx(5_000.0)
    lon, lat = feats["g1"]["geometry"]["coordinates"][0][0][0]
    assert 116.99 < lon < 117.01 and 39.0 < lat < 39.2
    # Back in metres the square is still 100 m × 100 m (6 decimals ≈ 0.1 m per vertex).
    assert gk_area(feats["g1"]) == pytest.approx(10_000.0, rel=2e-3)


def test_layer_bbox_selects_features(client: TestClient) -> None:
    to_wgs = Transformer.from_crs(fx.GK, "EPSG:4326", always_xy=True)
    # A box around park g1 only (x 50–150 m, y 50–150 m from the district's corner).
    x0, y0 = to_wgs.transform(fx.X0 + 40, fx.Y0 + 40)
    x1, y1 = to_wgs.transform(fx.X0 + 160, fx.Y0 + 160)
    r = client.get(f"/api/layers/green_spaces?bbox={x0},{y0},{x1},{y1}")
    assert [f["properties"]["id"] for f in r.json()["features"]] == ["g1"]
    far = client.get("/api/layers/green_spaces?bbox=100,30,100.1,30.1").json()
    assert far["features"] == []


def test_bad_bbox_is_a_clear_400(client: TestClient) -> None:
    r = client.get("/api/layers/green_spaces?bbox=1,2,3")
    assert r.status_code == 400
    assert "bbox" in r.json()["detail"] and "1,2,3" in r.json()["detail"]


def test_unknown_layer_is_404(client: TestClient) -> None:
    r = client.get("/api/layers/rivers")
    assert r.status_code == 404
    assert "rivers" in r.json()["detail"]


def test_gcj02_datum_shifts_points(client: TestClient) -> None:
    wgs = client.get("/api/layers/recycling_points").json()["features"]
    gcj = client.get("/api/layers/recycling_points?datum=gcj02").json()["features"]
    p_wgs = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in wgs}
    p_gcj = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in gcj}
    # The CSV held GCJ-02; the store holds WGS84 again, within a few centimetres.
    assert p_wgs["r1"] == pytest.approx(list(fx.RECYCLING_WGS84[0]), abs=2e-6)
    glon, glat = wgs84_to_gcj02(*fx.RECYCLING_WGS84[0])
    assert p_gcj["r1"] == pytest.approx([float(glon), float(glat)], abs=2e-6)
    dx, dy = TO_GK.transform(*p_gcj["r1"]), TO_GK.transform(*p_wgs["r1"])
    assert 400 < float(np.hypot(dx[0] - dy[0], dx[1] - dy[1])) < 700  # ≈ 0.5 km in Tianjin


def test_zoom_aggregates_to_grid(built: Path) -> None:
    client = client_for(built, aggregate_feature_limit=1, detail_zoom=16, grid_cell_px=4096)
    r = client.get("/api/layers/green_spaces?zoom=12&bbox=116,38,118,40").json()
    feats = r["features"]
    assert all(f["properties"]["_agg"] for f in feats)
    assert sum(f["properties"]["count"] for f in feats) == 2
    assert sum(f["properties"]["measure"] for f in feats) == pytest.approx(15_000.0)
    # At the detail zoom the features themselves come back, with the fields asked for.
    detail = client.get("/api/layers/green_spaces?zoom=17&bbox=116,38,118,40&fields=id,class"
                        ).json()
    assert sorted(f["properties"]["id"] for f in detail["features"]) == ["g1", "g2"]
    assert {tuple(f["properties"]) for f in detail["features"]} == {("id", "class")}


def test_max_features_per_request_forces_grid(built: Path) -> None:
    client = client_for(built, max_features_per_request=1)
    feats = client.get("/api/layers/recycling_points?zoom=18").json()["features"]
    assert feats and all(f["properties"].get("_agg") for f in feats)
    assert sum(f["properties"]["count"] for f in feats) == 2


def test_indicators_by_level(client: TestClient) -> None:
    rows = client.get("/api/indicators?level=street").json()
    assert [(r["zone_code"], r["status"]) for r in rows] == [("S1", "pass"), ("S2", "fail")]
    assert len(client.get("/api/indicators").json()) == len(RECORDS)
    assert client.get("/api/indicators?level=city").status_code == 422


def test_layer_export_gpkg(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/api/layers/green_spaces/gpkg")
    assert r.status_code == 200
    path = tmp_path / "out.gpkg"
    path.write_bytes(r.content)
    gdf = pyogrio.read_dataframe(path)
    assert gdf.crs.to_epsg() == 4548
    assert dict(zip(gdf["id"], gdf.geometry.area.round(6), strict=True)) == {
        "g1": 10_000.0, "g2": 5_000.0}


def test_basemap_not_available_is_404(client: TestClient) -> None:
    r = client.get("/maps/layers?basemap=tianditu")
    assert r.status_code == 404
    assert "PEAKMAP_TIANDITU_TOKEN" in r.text and "底图 &#x27;tianditu&#x27; 在此不可用" in r.text


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEAKMAP_MAX_UPLOAD_MB", "1.5")
    monkeypatch.setenv("PEAKMAP_BASEMAP", "osm")
    monkeypatch.setenv("PEAKMAP_TIANDITU_TOKEN", "abc")
    s = WebSettings()
    assert s.max_upload_bytes == 1_572_864
    assert s.basemap == "osm"
    assert s.available_basemaps() == ["none", "osm", "amap", "tianditu"]


@pytest.mark.parametrize(("exc", "status"), [
    (UploadTooLargeError, 413), (NotFoundError, 404), (LayerValidationError, 422),
    (CRSError, 422), (InputFileError, 400), (ManifestError, 422), (StoreError, 404),
    (PeakmapError, 400),
])
def test_error_table(exc: type[PeakmapError], status: int) -> None:
    assert status_for(exc("x")) == status


# --- uploads ------------------------------------------------------------------------------




def test_upload_replaces_layer(client: TestClient, built: Path, tmp_path: Path) -> None:
    new = gpd.GeoDataFrame({"id": ["n1"], "类别": ["G2"]},
                           geometry=[fx._box(0, 0, 50, 50)], crs=fx.GK)
    r = client.post("/api/layers/green_spaces",
                    files={"file": ("new.gpkg", gpkg_bytes(new, tmp_path))})
    assert r.status_code == 201, r.text
    assert r.json()["features_stored"] == 1
    feats = client.get("/api/layers/green_spaces").json()["features"]
    assert [(f["properties"]["id"], f["properties"]["area_m2"]) for f in feats] == [
        ("n1", 2_500.0)]














@pytest.mark.parametrize("case", sorted(UPLOAD_CORPUS))
def test_bad_upload_is_4xx_and_changes_nothing(
    case: str, client: TestClient, built: Path, tmp_path: Path
) -> None:
    layer, filename, content, form, words = UPLOAD_CORPUS[case]
    before = digest(built / "build")
    r = client.post(f"/api/layers/{layer}", files={"file": (filename, content(tmp_path))},
                    data=form)
    assert 400 <= r.status_code < 500, r.text
    detail = r.json()["detail"]
    assert "\n" not in detail and "Traceback" not in detail
    for w in words:
        assert w in detail, (w, detail)
    assert digest(built / "build") == before
    # The layer still reads as before.
    assert len(client.get("/api/layers/green_spaces").json()["features"]) == 2


def test_oversize_upload_is_413(built: Path) -> None:
    client = client_for(built, max_upload_mb=0.001)  # 1,048 bytes
    before = digest(built / "build")
    r = client.post("/api/layers/green_spaces",
                    files={"file": ("big.geojson", b" " * 5_000)})
    assert r.status_code == 413
    assert "limit" in r.json()["detail"]
    assert digest(built / "build") == before


def test_oversize_chunked_upload_is_413(built: Path) -> None:
    """Without a Content-Length the body is counted as it arrives (web.limits)."""
    client = client_for(built, max_upload_mb=0.001)
    before = digest(built / "build")
    boundary = "pmboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.geojson\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + b" " * 5_000 + f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Any:
        yield from (body[i:i + 512] for i in range(0, len(body), 512))

    r = client.post("/api/layers/green_spaces", content=chunks(),
                    headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413, r.text
    assert "PEAKMAP_MAX_UPLOAD_MB" in r.json()["detail"]
    assert digest(built / "build") == before


# --- the real engine and report writers, when they are installed ---------------------------


HAVE_ENGINE = importlib.util.find_spec("layers.indicators.engine") is not None
HAVE_REPORT = importlib.util.find_spec("layers.report") is not None


@pytest.mark.skipif(not HAVE_ENGINE or not HAVE_REPORT, reason="engine not written yet")
def test_indicators_match_engine_and_report_json(built: Path) -> None:
    """``/api/indicators`` = ``peakmap report --format json``, with the values by hand."""
    from layers.indicators.engine import compute_records
    from layers.project import Project
    from layers.report import records_to_json

    client = TestClient(create_app(built))
    expected = json.loads(records_to_json(compute_records(Project(built))))
    body = client.get("/api/indicators").json()
    assert body == expected  # the words too (layers.labels.record_labels), in zh by default
    values = {(r["level"], r["zone_code"]): r["value"] for r in body}
    assert values == pytest.approx({
        ("district", "120101"): 15_000.0, ("street", "S1"): 10_000.0,
        ("street", "S2"): 5_000.0, ("community", "C1"): 10_000.0,
        ("community", "C2"): 0.0, ("community", "C3"): 5_000.0,
    }, rel=1e-6)
    district = next(r for r in body if r["level"] == "district")
    assert district["status"] == "pass" and district["source"] == "computed"
    assert (district["status_label"], district["source_label"]) == ("达标", "计算")
    en = client.get("/api/indicators?level=district&lang=en").json()[0]
    assert (en["status_label"], en["source_label"]) == ("met", "computed")


@pytest.mark.skipif(not HAVE_ENGINE or not HAVE_REPORT, reason="report writers not written yet")
def test_report_exports(built: Path) -> None:
    import openpyxl

    client = TestClient(create_app(built))
    csv = client.get("/api/report.csv")
    assert csv.status_code == 200, csv.text
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 6  # header + district, 2 streets, 3 communities
    assert "HP-04" in lines[1] and "15000" in lines[1]
    xlsx = client.get("/api/report.xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "HP-04" in cells


def test_cli_serve_wires_host_port_and_app(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import uvicorn

    from peakmap import cli

    seen: dict[str, Any] = {}

    def fake_run(app: Any, *, host: str, port: int, log_level: str, **kw: Any) -> None:
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(sys, "argv", ["peakmap", "serve", str(built), "--port", "8765"])
    cli.main()
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8765)
    health = TestClient(seen["app"]).get("/api/health").json()
    assert health["project"] == "测试项目" and health["built"] is True


def test_cli_serve_missing_project_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from peakmap import cli

    monkeypatch.setattr(sys, "argv", ["peakmap", "serve", str(tmp_path / "nope")])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    # serve has no --lang: Chinese, as every command by default
    assert err == f"错误：{tmp_path / 'nope'}：找不到项目目录\n"


def test_proposal_scenario_adds_the_proposed_park(built: Path) -> None:
    """A proposed 50 m × 50 m park in community C2 adds 2,500 m² there (engine, by hand)."""
    from layers.project import Project

    store = Project(built).store
    green = store.read("green_spaces")
    proposal = green.head(1).copy()
    proposal["id"] = "new1"
    proposal["class"] = "G14"
    proposal = proposal.set_geometry([fx._box(50, 250, 50, 50)], crs=green.crs)
    store.write_layers({"proposal__green_spaces": proposal})
    client = TestClient(create_app(built))
    now = {r["zone_code"]: r["value"] for r in client.get("/api/indicators").json()}
    then = {r["zone_code"]: r["value"]
            for r in client.get("/api/indicators?scenario=proposal").json()}
    assert now["C2"] == pytest.approx(0.0) and then["C2"] == pytest.approx(2_500.0)
    assert then["120101"] == pytest.approx(17_500.0)
    assert client.get("/api/indicators?scenario=dream").status_code == 422
    page = client.get("/?level=district&scenario=proposal").text
    assert "方案情景" in page and "17,500 m²" in page  # whole figures: no decimals
    matrix = client.get("/?scenario=proposal").text
    assert "方案情景" in matrix and ">17,500</td>" in matrix
    assert 'id="pm-scenario"' in client.get("/").text


def test_settings_read_the_environment_without_pydantic_settings() -> None:
    """The stand-in used until pydantic-settings is installed behaves the same."""
    import os
    import subprocess
    import sys

    code = ("import sys; sys.modules['pydantic_settings'] = None\n"
            "from web.settings import WebSettings\n"
            "s = WebSettings(port=9000)\n"
            "print(s.max_upload_bytes, s.basemap, s.port, s.host)")
    env = {**os.environ, "PEAKMAP_MAX_UPLOAD_MB": "2", "PEAKMAP_BASEMAP": "osm",
           "PEAKMAP_PORT": "7000"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, check=True)
    assert out.stdout.split() == ["2097152", "osm", "9000", "127.0.0.1"]


def test_cache_stamp_follows_included_catalogs_and_reported_values(built: Path) -> None:
    import os

    from web.data import ProjectData

    data = ProjectData(built)
    before = data.stamp()
    included = built / "standards.toml"  # a catalog the targets file could include
    included.write_text("# included catalog\n", encoding="utf-8")
    after_new = data.stamp()
    assert after_new != before
    os.utime(included, ns=(1, 1))
    assert data.stamp() != after_new
    (built / "my_reported.csv").write_text("indicator,zone_code,year,value\n", encoding="utf-8")
    assert data.stamp() != after_new
