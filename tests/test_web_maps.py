"""Map pages and the dashboard: offline HTML, escaping, classes, colours, page weight."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures.web import RECORDS, XSS, TestClient, build_fixture, client_for, record

from gis.crs import wgs84_to_gcj02
from layers.project import Project
from web.geo import degrees_per_pixel, grid_summary, parse_bbox, simplify_for_zoom
from web.maps import tip_html
from web.pages import DASHBOARD_PAGE_ROWS
from web.styles import MISSING_COLOR, PV_COLORS, PV_STYLE, colors_of, style_for

PAGES = ["/", "/?level=street", "/?lang=en", "/maps/layers", "/maps/layers?lang=en",
         "/maps/indicator?indicator=HP-04", "/maps/indicator?indicator=HP-04&level=community",
         "/maps/gaps", "/maps/pv", "/docs"]
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.\-{}]+""")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_fixture(tmp_path_factory.mktemp("maps") / "proj")
    # A name a planner might paste, and a building layer so the dynamic loader is used.
    store = Project(root).store
    comm = store.read("communities")
    comm.loc[comm["code"] == "C2", "name"] = XSS
    b = gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "use": [XSS, "residential"], "floors": [3, 6],
         "pv_area_m2": [40.0, 0.0]},
        geometry=[shapely.box(500_010, 4_330_010, 500_030, 4_330_020),
                  shapely.box(500_100, 4_330_300, 500_120, 4_330_320)],
        crs=store.crs,
    )
    store.write_layers({"communities": comm, "buildings": b})
    return root


@pytest.fixture(scope="module")
def client(built: Path) -> TestClient:
    return client_for(built)


def external_hosts(text: str) -> set[str]:
    """Hosts named by absolute or protocol-relative URLs in ``text``."""
    return {m.group(0).split("//", 1)[1] for m in URL.finditer(text)
            if not m.group(0).startswith("//www.w3.org")}


@pytest.mark.parametrize("path", PAGES)
def test_pages_name_no_external_host_when_basemap_none(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert external_hosts(r.text) == set()
    for src in re.findall(r"""(?:src|href)=["']([^"']+)""", r.text):
        assert src.startswith(("/", "?", "#", "data:")), src


def test_scanner_sees_tile_hosts_when_a_basemap_is_chosen(client: TestClient) -> None:
    """Positive control: the scan above would have caught a tile server."""
    assert "tile.openstreetmap.org" in external_hosts(client.get("/maps/layers?basemap=osm").text)
    assert "webrd0{s}.is.autonavi.com" in external_hosts(
        client.get("/maps/layers?basemap=amap").text)


def test_tianditu_and_custom_need_settings(built: Path) -> None:
    c = client_for(built, tianditu_token="TOKEN123",
                   custom_tiles_url="http://127.0.0.1:9/{z}/{x}/{y}.png")
    page = c.get("/maps/layers?basemap=tianditu").text
    assert "tianditu.gov.cn" in page and "tk=TOKEN123" in page
    assert "127.0.0.1:9/{z}/{x}/{y}.png" in c.get("/maps/layers?basemap=custom").text


def _first_lonlat(page: str, marker: str) -> tuple[float, float]:
    i = page.index(marker)
    m = re.search(r"\[(1\d\d\.\d+),\s?(\d\d\.\d+)\]", page[i:])
    assert m is not None
    return float(m.group(1)), float(m.group(2))


def test_amap_basemap_shifts_inline_overlays(client: TestClient) -> None:
    plain = client.get("/maps/indicator?indicator=HP-04").text
    shifted = client.get("/maps/indicator?indicator=HP-04&basemap=amap").text
    lon, lat = _first_lonlat(plain, '"features"')
    glon, glat = _first_lonlat(shifted, '"features"')
    elon, elat = wgs84_to_gcj02(lon, lat)
    # both pages round to web.geo.MAP_DECIMALS (1e-5 degree): up to one unit apart
    assert (glon, glat) == pytest.approx((float(elon), float(elat)), abs=1.01e-5)
    assert (glon, glat) != pytest.approx((lon, lat), abs=1e-4)  # shifted by hundreds of m
    assert "datum" not in plain or '"datum": "wgs84"' in plain


def test_xss_name_is_escaped_everywhere(client: TestClient, built: Path) -> None:
    for path in ["/maps/layers", "/maps/indicator?indicator=HP-04&level=community"]:
        page = client.get(path).text
        assert "<img" not in page
    # Raw in the API (JSON data, not HTML) ...
    feats = client.get("/api/layers/communities").json()["features"]
    assert XSS in [f["properties"]["name"] for f in feats]


def test_layer_names_are_escaped_in_the_layer_control(tmp_path: Path) -> None:
    root = build_fixture(tmp_path / "proj")
    store = Project(root).store
    odd = store.read("green_spaces").head(1)
    store.write_layers({"uncovered_<i>x</i>": odd})
    page = client_for(root).get("/maps/gaps").text
    assert "<i>x" not in page
    # Legend (HTML) and layer control (a JS string folium writes with innerHTML): the
    # control's entry must hold the escaped text, i.e. "&lt;i&gt;" as JSON \u0026lt;.
    assert "uncovered_&lt;i&gt;x" in page
    assert '"\\u672a\\u8986\\u76d6\\u533a\\u57df: uncovered_\\u0026lt;i\\u0026gt;x' in page


def test_dashboard_escapes_record_text(built: Path) -> None:
    recs = [*RECORDS, record("street", "S9", XSS, 1.0, 2.0, "fail", 1.0)]
    from web.app import create_app

    c = TestClient(create_app(built, records_fn=lambda p: recs))
    page = c.get("/?level=street").text
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_dashboard_shows_units_status_department_source(client: TestClient) -> None:
    page = client.get("/?level=district").text
    assert "城市绿地面积" in page and "区城市管理委" in page
    # value, target and gap all whole: no decimals on any (web.pages.row_figures)
    assert "15,000 m²" in page and "≥ 12,000 m²" in page and "15,000.00" not in page
    assert "达标" in page and "计算" in page
    assert "1/2" in page  # one of the two streets passes
    en = client.get("/?lang=en&level=street").text
    assert "Urban green area" in en and "not met" in en and "computed" in en


def test_dashboard_stays_small_with_many_zones(built: Path) -> None:
    from web.app import create_app

    many = [record("community", f"C{i:05d}", f"社区{i}", float(i), 10.0,
                   "pass" if i >= 10 else "fail", max(0.0, 10.0 - i))
            for i in range(20_000)]
    c = TestClient(create_app(built, records_fn=lambda p: many))
    page = c.get("/?level=community").text
    assert page.count("<tr data-indicator") == DASHBOARD_PAGE_ROWS
    assert len(page.encode()) < 200_000
    assert "coordinates" not in page
    last = c.get(f"/?level=community&page={20_000 // DASHBOARD_PAGE_ROWS - 1}").text
    assert "社区19999" in last
    # 200 pages: the page list names the first, the last and those near the current one
    assert len(re.findall(r"&page=\d+", page)) < 12 and "&page=199" in page
    assert c.get("/?level=community&page=200").status_code == 404


def test_buildings_are_not_inlined(client: TestClient) -> None:
    page = client.get("/maps/layers").text
    assert "peakmapDynamicLayer" in page and '"url": "/api/layers/buildings"' in page
    # No building is in the page (the tooltip script only knows how to name codes).
    assert '"b1"' not in page and '"b2"' not in page
    assert '"residential": "居住"' in page


def test_large_layers_go_dynamic_above_the_limit(built: Path) -> None:
    c = client_for(built, inline_feature_limit=1)
    page = c.get("/maps/layers").text
    assert '"url": "/api/layers/green_spaces"' in page
    assert "中心公园" not in page  # the park's name is only in the API answer


def test_indicator_map_not_found(client: TestClient) -> None:
    r = client.get("/maps/indicator?indicator=HP-99")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    # the page names the id and the indicators that have results at that level
    assert "&#x27;HP-99&#x27;: no results at level street (indicators with results there: " \
        "HP-04)" in r.text


def test_tip_html_escapes_labels_and_values() -> None:
    html = tip_html("<t>", [("a<", "x&y"), ("skip", None), ("n", float("nan")), ("b", 3)])
    assert html == ('<b>&lt;t&gt;</b><br><span class="pm-k">a&lt;:</span> x&amp;y<br>'
                    '<span class="pm-k">b:</span> 3')


def test_colors_category_and_ramp_by_hand() -> None:
    sponge = pd.DataFrame({"compliant": [True, False, None]})
    assert colors_of(sponge, style_for("sponge_zones")).tolist() == [
        "#1e88e5", "#ef6c00", style_for("sponge_zones").color]
    landuse = pd.DataFrame({"code": ["R2", "G1", "Q"]})
    assert colors_of(landuse, style_for("landuse")).tolist() == ["#f6e3a1", "#81c784", "#cccccc"]
    # PV share = 100 × pv / roof: 0 %, 5 %, 40 %, 60 %, no roof, no value
    pv = pd.DataFrame({"pv_area_m2": [0.0, 5.0, 40.0, 60.0, 1.0, np.nan],
                       "area_m2": [100.0, 100.0, 100.0, 100.0, 0.0, 100.0]})
    assert colors_of(pv, PV_STYLE).tolist() == [
        PV_COLORS[0], PV_COLORS[1], PV_COLORS[3], PV_COLORS[4], MISSING_COLOR, MISSING_COLOR]


def test_grid_summary_by_hand() -> None:
    pts = gpd.GeoDataFrame(geometry=shapely.points([(0.1, 0.1), (0.2, 0.9), (0.9, 0.5),
                                                    (1.5, 0.5)]), crs="EPSG:4326")
    cells = grid_summary(pts, 1.0, measure=[1.0, 2.0, 3.0, 4.0])
    got = sorted(zip(cells.geometry.bounds["minx"], cells["count"], cells["measure"],
                     strict=True))
    assert got == [(0.0, 3, 6.0), (1.0, 1, 4.0)]


def test_simplify_for_zoom_drops_sub_pixel_vertices() -> None:
    # A 1 km line with a 1 m kink: gone at zoom 10 (≈ 150 m per pixel), kept at zoom 22.
    line = shapely.LineString([(117.0, 39.0), (117.005, 39.00001), (117.01, 39.0)])
    gdf = gpd.GeoDataFrame(geometry=[line], crs="EPSG:4326")
    assert shapely.get_num_coordinates(simplify_for_zoom(gdf, 10).geometry.iloc[0]) == 2
    assert shapely.get_num_coordinates(simplify_for_zoom(gdf, 22).geometry.iloc[0]) == 3
    assert degrees_per_pixel(1) == pytest.approx(360 / 512)


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "3,0,1,1", "nan,0,1,1"])
def test_parse_bbox_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="bbox"):
        parse_bbox(text)



# --- the built Heping sample --------------------------------------------------------------


@pytest.fixture(scope="module")
def heping_client(heping_built: Path) -> TestClient:
    from web.app import create_app

    return TestClient(create_app(heping_built))


@pytest.mark.slow
def test_heping_pages_offline_and_small(heping_client: TestClient) -> None:
    for path in ["/", "/?level=street", "/maps/layers", "/maps/gaps", "/maps/pv"]:
        r = heping_client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert external_hosts(r.text) == set(), path
    assert len(heping_client.get("/maps/layers").content) < 400_000
    assert len(heping_client.get("/").content) < 120_000


@pytest.mark.slow
def test_heping_every_computed_indicator_has_a_street_map(heping_client: TestClient) -> None:
    streets = heping_client.get("/api/indicators?level=street").json()
    ids = sorted({r["indicator"] for r in streets if r["source"] == "computed"})
    assert len(ids) >= 10
    for ind in ids:
        r = heping_client.get(f"/maps/indicator?indicator={ind}&level=street")
        assert r.status_code == 200, (ind, r.text[:300])
        assert r.text.count('"type": "Feature"') + r.text.count('"type":"Feature"') >= 6


@pytest.mark.slow
def test_heping_buildings_grid_counts_every_building(heping_client: TestClient,
                                                     heping_built: Path) -> None:
    import pyogrio

    n = int(pyogrio.read_info(heping_built / "build" / "peakmap.gpkg",
                              layer="buildings")["features"])
    cells = heping_client.get("/api/layers/buildings?zoom=13&bbox=116,38,119,41").json()
    assert all(f["properties"]["_agg"] for f in cells["features"])
    assert sum(f["properties"]["count"] for f in cells["features"]) == n
    # At street zoom a 300 m box holds individual buildings.
    lon, lat = 117.20, 39.118
    box = f"{lon - 0.0018},{lat - 0.0014},{lon + 0.0018},{lat + 0.0014}"
    near = heping_client.get(f"/api/layers/buildings?zoom=17&bbox={box}").json()["features"]
    assert 0 < len(near) < 1500 and not any(f["properties"].get("_agg") for f in near)


def test_docs_fallback_without_swagger_bundle(built: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", None)
    page = client_for(built).get("/docs").text
    assert "/api/layers/{name}" in page and "/openapi.json" in page
    assert external_hosts(page) == set()


@pytest.mark.slow
def test_heping_every_dashboard_map_link_opens(heping_client: TestClient) -> None:
    for level in ("district", "street", "community"):
        page = heping_client.get(f"/?level={level}").text
        links = set(re.findall(r'href="(/maps/indicator\?[^"]+)"', page))
        assert links or level == "community"
        for link in sorted(links):
            r = heping_client.get(link.replace("&amp;", "&"))
            assert r.status_code == 200, (link, r.text[:200])


def test_pv_flag_outlines_by_hand() -> None:
    """The first true flag outlines a roof: PV first, then historic, then TJ-PV50."""
    from web.styles import PV_FLAG_OUTLINES, PV_POTENTIAL_STYLE, outlines_of

    roofs = pd.DataFrame({"has_pv": [True, False, False, False, True],
                          "historic": [True, True, False, False, False],
                          "tj_pv50": [True, True, True, False, np.nan]})
    got = outlines_of(roofs, PV_POTENTIAL_STYLE)
    colors = {r["field"]: r["color"] for r in PV_FLAG_OUTLINES}
    assert got["color"].tolist() == [colors["has_pv"], colors["historic"], colors["tj_pv50"],
                                     PV_POTENTIAL_STYLE.stroke, colors["has_pv"]]
    assert got["weight"].tolist() == [2.5, 2.5, 2.5, PV_POTENTIAL_STYLE.weight, 2.5]


def test_pv_map_shows_the_flags(tmp_path: Path) -> None:
    """With the PV analysis in the store, the PV map outlines the three flags, says so in its
    legend in both languages, asks the API for the flag fields and translates their tooltips."""
    root = build_fixture(tmp_path / "proj")
    store = Project(root).store
    b = gpd.GeoDataFrame(
        {"id": ["b1", "b2"], "use": ["school", "residential"], "roof_area_m2": [200.0, 400.0],
         "pv_suitable_area_m2": [150.0, 0.0], "pv_kwp": [14.0, 0.0],
         "pv_kwh_year": [17000.0, 0.0], "pv_layout": ["rows", ""], "has_pv": [False, True],
         "tj_pv50": [True, False], "historic": [False, False]},
        geometry=[shapely.box(500_010, 4_330_010, 500_030, 4_330_020),
                  shapely.box(500_100, 4_330_300, 500_120, 4_330_320)],
        crs=store.crs,
    )
    store.write_layers({"buildings": b})
    (Project(root).build_dir / "solar_irradiation.json").write_text(
        '{"note": "sky: test sky, Perez 1990 transposition", '
        '"note_zh": "天空：试验天空，Perez 1990 斜面辐照模型"}', encoding="utf-8")
    client = client_for(root)
    zh = client.get("/maps/pv").text
    # the note the PV step wrote in each language, as written (no word replaced)
    assert "计算所用天空与布置：天空：试验天空，Perez 1990 斜面辐照模型" in zh
    en = client.get("/maps/pv?lang=en").text
    assert "Sky and layout used: sky: test sky, Perez 1990 transposition" in en
    for text in ("已装光伏（pv_area_m2 &gt; 0）", "历史建筑（早于 [params.pv] heritage_year",
                 "TJ-PV50 统计范围", "#1565c0", "属 TJ-PV50 统计范围", "南向倾斜阵列"):
        assert text in zh, text
    for text in ("Already fitted with PV", "Historic (built before", "In TJ-PV50&#x27;s",
                 "already has PV", "tilted rows"):
        assert text in en or text.replace("&#x27;", "'") in en, text
    fields = re.search(r'"fields": "([^"]+)"', zh)
    assert fields is not None
    assert {"has_pv", "tj_pv50", "historic"} <= set(fields.group(1).split(","))
    api = client.get("/api/layers/buildings", params={
        "bbox": "116,38,118,40", "zoom": 18, "fields": "id,has_pv,tj_pv50,historic"}).json()
    props = {f["properties"]["id"]: f["properties"] for f in api["features"]}
    assert props["b2"]["has_pv"] is True and props["b1"]["tj_pv50"] is True
