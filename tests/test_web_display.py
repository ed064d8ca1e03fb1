"""Zone polygons drawn on the indicator maps: simplified for display, within tolerance, none lost.

The map pages simplify in the web map's CRS (Web Mercator) to one pixel at a zoom, round
coordinates to about 1 m and say each figure shared by every zone once (legend), not in
every tooltip. The checks measure against the stored geometries with shapely's Hausdorff
distance, an independent measure of how far the drawn boundary strays.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fixtures.web import TestClient, build_fixture, record

from layers.project import Project
from web.app import create_app
from web.geo import (
    MAP_DECIMALS,
    WEB_MERCATOR,
    fit_zoom,
    metres_per_pixel,
    simplify_on_map,
    zone_display_zoom,
)
from web.maps import zone_tips

# 1e-5 degree rounding moves a vertex by at most half a unit on each axis; in Web Mercator
# metres at ≈ 39° N that is ≤ 0.56 m east-west and ≤ 0.72 m north-south (0.91 m across).
ROUNDING_M = 1.0


def _noisy_ring(cx: float, cy: float, r: float, n: int, wobble: float, seed: int
                ) -> shapely.Polygon:
    """A polygon of ``n`` vertices on a circle whose radius wobbles by ``wobble`` metres."""
    rng = np.random.default_rng(seed)
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rr = r + rng.uniform(-wobble, wobble, n)
    return shapely.Polygon(np.c_[cx + rr * np.cos(a), cy + rr * np.sin(a)])


def _zones() -> gpd.GeoDataFrame:
    """Dense community outlines in EPSG:4548 (Tianjin), a sliver far below the tolerance and
    a two-part zone."""
    big = _noisy_ring(500_000, 4_330_000, 300, 2_000, 0.4, 1)
    small = _noisy_ring(501_000, 4_330_000, 80, 400, 0.5, 2)
    sliver = shapely.box(502_000, 4_330_000, 502_000.3, 4_330_040)  # 0.3 m wide
    multi = shapely.MultiPolygon([_noisy_ring(503_000, 4_330_000, 50, 300, 1.0, 3),
                                  shapely.box(503_200, 4_330_000, 503_230, 4_330_030)])
    return gpd.GeoDataFrame({"code": ["A", "B", "C", "D"]},
                            geometry=[big, small, sliver, multi], crs="EPSG:4548")


@pytest.mark.parametrize("zoom", [12, 14, 16, 17])
def test_simplified_zones_stay_within_tolerance_and_are_all_kept(zoom: int) -> None:
    zones = _zones()
    shown, tol = simplify_on_map(zones, zoom)
    assert tol == pytest.approx(metres_per_pixel(zoom))
    assert shown.crs.to_epsg() == 4326
    assert shown["code"].tolist() == ["A", "B", "C", "D"]  # every zone, in order
    assert not shown.geometry.is_empty.any() and shown.geometry.notna().all()
    before = zones.to_crs(WEB_MERCATOR).geometry.to_numpy()
    after = shown.to_crs(WEB_MERCATOR).geometry.to_numpy()
    distance = shapely.hausdorff_distance(before, after)
    # the WGS84 round trip costs micrometres, not metres
    assert (distance <= tol + 1e-3).all(), (zoom, tol, distance)
    # and it does simplify: the dense outlines lose most of their vertices
    assert shapely.get_num_coordinates(after[0]) < shapely.get_num_coordinates(before[0]) / 2


def test_fit_zoom_and_zone_zoom_by_hand() -> None:
    # 1280 px of 1.194 m is zoom 17's width; a city 200 km wide opens at zoom 9
    assert fit_zoom([0, 0, 1280 * 1.194, 10]) == 17
    assert fit_zoom([0, 0, 200_000, 50_000]) == 9  # 200 km / 1280 px = 156 m > 152.9 (z10)
    assert zone_display_zoom([0, 0, 200_000, 50_000], "community") == 16  # floor of 16
    assert zone_display_zoom([0, 0, 200_000, 50_000], "street") == 15
    assert zone_display_zoom([0, 0, 5_000, 5_000], "street") == 17  # 14 + 3, cap 17


def _features(page: str) -> list[dict[str, Any]]:
    """The inline GeoJSON features of a map page (folium's ``…_add({...})`` call)."""
    i = page.index('_add({"type":"FeatureCollection"') + len("_add(")
    data, _ = json.JSONDecoder().raw_decode(page, i)
    return list(data["features"])


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny web project whose three communities get dense, wobbly outlines."""
    root = build_fixture(tmp_path_factory.mktemp("display") / "proj")
    store = Project(root).store
    comm = store.read("communities")
    comm = comm.set_geometry([
        shapely.Polygon(shapely.segmentize(g.exterior, 0.5).coords).buffer(0)
        for g in comm.geometry])
    store.write_layers({"communities": comm})
    return root


RECS = [record("community", "C1", "甲社区", 10_000.0, 5_000.0, "pass", 0.0),
        record("community", "C2", "乙社区", 0.0, 5_000.0, "fail", 5_000.0),
        record("community", "C3", "丙社区", 5_000.0, 5_000.0, "pass", 0.0)]


def test_community_map_polygons_within_tolerance_of_the_store(dense: Path) -> None:
    client = TestClient(create_app(dense, records_fn=lambda p: [dict(r) for r in RECS]))
    page = client.get("/maps/indicator?indicator=HP-04&level=community").text
    feats = _features(page)
    stored = Project(dense).store.read("communities")
    assert len(feats) == len(stored) == 3  # every zone drawn
    merc = stored.to_crs(WEB_MERCATOR)
    extent = merc.total_bounds
    tol = metres_per_pixel(zone_display_zoom(extent, "community"))
    for feat in feats:
        tip = html.unescape(feat["properties"]["_tip"])
        code = re.search(r"\((C\d)\)", tip)
        assert code is not None, tip
        coords = np.array(shapely.get_coordinates(shapely.geometry.shape(feat["geometry"])))
        # about 1 m: at most MAP_DECIMALS decimals
        assert np.allclose(coords, np.round(coords, MAP_DECIMALS), atol=1e-12, rtol=0)
        drawn = gpd.GeoSeries([shapely.geometry.shape(feat["geometry"])],
                              crs="EPSG:4326").to_crs(WEB_MERCATOR).iloc[0]
        original = merc.loc[merc["code"] == code.group(1)].geometry.iloc[0]
        assert shapely.hausdorff_distance(original, drawn) <= tol + ROUNDING_M
        assert shapely.get_num_coordinates(drawn) < shapely.get_num_coordinates(original)
    # each tooltip once (folium keyed its style table by the tooltip before: twice)
    for code in ("C1", "C2", "C3"):
        assert page.count(f"({code})") == 1
    assert '"_c"' not in page and '"_s"' not in page
    legend = html.unescape(page[page.index('id="pm-legend"'):])
    assert "显示已简化" in legend and "指标按原始边界计算" in legend
    ground = tol * math.cos(math.radians(39.1))
    assert f"约 {ground:.1f} 米" in legend
    en = html.unescape(client.get("/maps/indicator?indicator=HP-04&level=community&lang=en").text)
    assert "Simplified for display" in en


def test_tooltips_leave_what_every_zone_shares_to_the_legend() -> None:
    recs = [dict(r) for r in RECS]
    recs[1]["responsible"] = "区住房建设委"  # one zone's department differs: stays per zone
    tips, common = zone_tips(["甲社区", "乙社区", "丙社区", "丁社区"], ["C1", "C2", "C3", "C4"],
                             [*recs, None], "HP-04", "城市绿地面积", "zh")
    # same in all three records: indicator, target, deadline, source; not value, status, gap
    assert common == [("指标", "HP-04 城市绿地面积"), ("目标", "≥ 5,000 m²"),
                      ("期限", "2025"), ("来源", "计算")]
    text = [html.unescape(tip) for tip in tips]
    assert all("期限" not in s and "2025" not in s and "来源" not in s for s in text)
    # the gap signed (layers.numfmt)
    assert "现状值:</span> 10,000 m²" in text[0] and "差距:</span> +5,000 m²" in text[1]
    assert "区住房建设委" in text[1] and "区城市管理委" in text[0]
    assert text[3] == "<b>丁社区 (C4)</b><br><span class=\"pm-k\">状态:</span> 无数据"
    # one zone: nothing is "shared", every row stays in its tooltip
    one, none = zone_tips(["甲社区"], ["C1"], recs[:1], "HP-04", "城市绿地面积", "zh")
    assert none == [] and "2025" in one[0]


def test_indicator_map_legend_says_the_shared_rows_once(dense: Path) -> None:
    client = TestClient(create_app(dense, records_fn=lambda p: [dict(r) for r in RECS]))
    page = html.unescape(client.get("/maps/indicator?indicator=HP-04&level=community").text)
    legend = page[page.index('id="pm-legend"'):]
    assert "各区域相同 — 期限: 2025；责任单位: 区城市管理委" in legend
    assert page.count("区城市管理委") == 1
