"""Tests of gis.crs: pseudo-datums, CRS parsing, plausibility checks, automatic metric CRS."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from gis import CRSError
from gis.crs import (
    PSEUDO_DATUMS,
    auto_metric_crs,
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_coordinates,
    gauss_kruger_zone,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    parse_crs,
    pseudo_datum_name,
    pseudo_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    wgs84_to_pseudo,
)

ROOT = Path(__file__).resolve().parents[1]
HEPING_OUTLINE = ROOT / "sample" / "heping_outline_gcj02.geojson"
GEOD = pyproj.Geod(ellps="WGS84")
ONE_CM = 0.01
PairFn = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]

# --------------------------------------------------------------------------------------------
# Independent scalar transcription of the published algorithm (math module only), written from
# the widely copied reference (eviltransform / coordTransform), not from gis.crs.
# --------------------------------------------------------------------------------------------
REF_PI = 3.1415926535897932384626
REF_A = 6378245.0
REF_EE = 0.00669342162296594323
REF_X_PI = 3.14159265358979324 * 3000.0 / 180.0


def ref_out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def ref_transform_lat(lng: float, lat: float) -> float:
    ret = -100.0 + 2.0 * lng + 3.0 * lat + 0.2 * lat * lat + 0.1 * lng * lat
    ret += 0.2 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * REF_PI) + 20.0 * math.sin(2.0 * lng * REF_PI)) * 2 / 3
    ret += (20.0 * math.sin(lat * REF_PI) + 40.0 * math.sin(lat / 3.0 * REF_PI)) * 2 / 3
    ret += (160.0 * math.sin(lat / 12.0 * REF_PI) + 320 * math.sin(lat * REF_PI / 30.0)) * 2 / 3
    return ret


def ref_transform_lng(lng: float, lat: float) -> float:
    ret = 300.0 + lng + 2.0 * lat + 0.1 * lng * lng + 0.1 * lng * lat
    ret += 0.1 * math.sqrt(math.fabs(lng))
    ret += (20.0 * math.sin(6.0 * lng * REF_PI) + 20.0 * math.sin(2.0 * lng * REF_PI)) * 2 / 3
    ret += (20.0 * math.sin(lng * REF_PI) + 40.0 * math.sin(lng / 3.0 * REF_PI)) * 2 / 3
    ret += (150.0 * math.sin(lng / 12.0 * REF_PI) + 300.0 * math.sin(lng / 30.0 * REF_PI)) * 2 / 3
    return ret


def ref_wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    if ref_out_of_china(lng, lat):
        return lng, lat
    dlat = ref_transform_lat(lng - 105.0, lat - 35.0)
    dlng = ref_transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * REF_PI
    magic = math.sin(radlat)
    magic = 1 - REF_EE * magic * magic
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((REF_A * (1 - REF_EE)) / (magic * sqrtmagic) * REF_PI)
    dlng = (dlng * 180.0) / (REF_A / sqrtmagic * math.cos(radlat) * REF_PI)
    return lng + dlng, lat + dlat


def ref_gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * REF_X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * REF_X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def ref_bd09_to_gcj02_one_step(lng: float, lat: float) -> tuple[float, float]:
    x = lng - 0.0065
    y = lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * REF_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * REF_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def ref_gcj02_to_wgs84_one_step(lng: float, lat: float) -> tuple[float, float]:
    glng, glat = ref_wgs84_to_gcj02(lng, lat)
    return lng * 2 - glng, lat * 2 - glat


SAMPLE_POINTS = [
    (116.404, 39.915),  # Beijing
    (117.2, 39.1),  # Tianjin Heping
    (121.4737, 31.2304),  # Shanghai
    (113.2644, 23.1291),  # Guangzhou
    (87.6168, 43.8256),  # Urumqi
    (91.1409, 29.6456),  # Lhasa
    (126.6425, 45.7567),  # Harbin
    (110.3312, 20.0311),  # Haikou
    (105.0, 35.0),  # origin of the offset polynomials (sqrt(|x|) kink)
    (72.01, 0.83),  # just inside the south-west corner of the box
    (137.83, 55.82),  # just inside the north-east corner
]


def metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    _, _, dist = GEOD.inv(np.ravel(lon1), np.ravel(lat1), np.ravel(lon2), np.ravel(lat2))
    return np.asarray(dist)


def china_grid(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """A grid over the GCJ box, plus points hugging its four edges from inside."""
    eps = 1e-6
    lons = np.linspace(72.004 + eps, 137.8347 - eps, n)
    lats = np.linspace(0.8293 + eps, 55.8271 - eps, n)
    glon, glat = np.meshgrid(lons, lats)
    edge_lon = np.concatenate([lons, lons, np.full(n, lons[0]), np.full(n, lons[-1])])
    edge_lat = np.concatenate([np.full(n, lats[0]), np.full(n, lats[-1]), lats, lats])
    return np.concatenate([glon.ravel(), edge_lon]), np.concatenate([glat.ravel(), edge_lat])


# --------------------------------------------------------------------------------------------
# Pseudo-datums
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lon", "lat"), SAMPLE_POINTS)
def test_wgs84_to_gcj02_matches_published_algorithm(lon: float, lat: float) -> None:
    got = wgs84_to_gcj02(lon, lat)
    want = ref_wgs84_to_gcj02(lon, lat)
    assert abs(float(got[0]) - want[0]) < 1e-9
    assert abs(float(got[1]) - want[1]) < 1e-9
    assert (float(got[0]), float(got[1])) != (lon, lat)  # the offset was applied


@pytest.mark.parametrize(("lon", "lat"), SAMPLE_POINTS)
def test_gcj02_to_bd09_matches_published_formula(lon: float, lat: float) -> None:
    got = gcj02_to_bd09(lon, lat)
    want = ref_gcj02_to_bd09(lon, lat)
    assert abs(float(got[0]) - want[0]) < 1e-9
    assert abs(float(got[1]) - want[1]) < 1e-9


def test_published_reference_pairs() -> None:
    # Reference values of coordTransform / Hutool CoordinateUtilTest for (116.404, 39.915).
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-12)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-12)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41036949371029, abs=1e-12)
    assert float(lat) == pytest.approx(39.92133699351021, abs=1e-12)
    # WGS84 -> BD-09 triple of coordtransform-rs.
    lon, lat = wgs84_to_bd09(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41662724378733, abs=1e-9)
    assert float(lat) == pytest.approx(39.922699552216216, abs=1e-9)


def test_iterative_inverses_beat_published_one_step_inverses() -> None:
    lon, lat = china_grid(60)
    inner = (lon > 73) & (lon < 137) & (lat > 2) & (lat < 55)  # one-step stays in the box
    lon, lat = lon[inner], lat[inner]
    gcj = wgs84_to_gcj02(lon, lat)
    ours = gcj02_to_wgs84(*gcj)
    one_step = np.array([ref_gcj02_to_wgs84_one_step(x, y) for x, y in zip(*gcj, strict=True)])
    err_one_step = metres(lon, lat, one_step[:, 0], one_step[:, 1])
    err_ours = metres(lon, lat, *ours)
    assert err_one_step.max() > 1.0  # the published one-step inverse is off by metres
    assert err_ours.max() < 0.001

    bd = gcj02_to_bd09(lon, lat)
    closed = np.array([ref_bd09_to_gcj02_one_step(x, y) for x, y in zip(*bd, strict=True)])
    assert metres(lon, lat, closed[:, 0], closed[:, 1]).max() > 0.05  # closed form: ~0.24 m
    assert metres(lon, lat, *bd09_to_gcj02(*bd)).max() < 0.001
    # The published closed form agrees with ours to within its own error.
    ours_bd = bd09_to_gcj02(116.404, 39.915)
    published = (116.39762729119315, 39.90865673957631)
    assert metres(np.array(published[0]), np.array(published[1]), *ours_bd).max() < 0.5


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (wgs84_to_bd09, bd09_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
    ],
)
def test_round_trip_within_one_cm_over_china(forward: PairFn, inverse: PairFn) -> None:
    lon, lat = china_grid()
    assert in_china(lon, lat).all()
    there = forward(lon, lat)
    moved = metres(lon, lat, *there)
    assert moved.min() > 1.0  # every grid point really was offset
    assert np.median(moved) > 100.0
    back = inverse(*there)
    assert metres(lon, lat, *back).max() <= ONE_CM


def test_reverse_round_trip_within_one_cm() -> None:
    lon, lat = china_grid(50)
    inner = (lon > 73) & (lon < 137) & (lat > 2) & (lat < 55)  # whose WGS84 lies in China
    lon, lat = lon[inner], lat[inner]
    assert metres(lon, lat, *wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))).max() <= ONE_CM
    assert metres(lon, lat, *wgs84_to_bd09(*bd09_to_wgs84(lon, lat))).max() <= ONE_CM


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    lon=st.floats(min_value=72.004, max_value=137.8347),
    lat=st.floats(min_value=0.8293, max_value=55.8271),
)
def test_round_trip_property(lon: float, lat: float) -> None:
    for forward, inverse in (
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (wgs84_to_bd09, bd09_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
    ):
        back = inverse(*forward(lon, lat))
        assert metres(np.array(lon), np.array(lat), *back)[0] <= ONE_CM


OUTSIDE = [
    (2.35, 48.85),  # Paris
    (-74.0, 40.7),  # New York
    (151.2, -33.9),  # Sydney
    (72.0, 30.0),  # just west of the box
    (138.0, 40.0),  # just east of the box
    (120.0, 56.0),  # just north of the box
    (110.0, 0.5),  # just south of the box
    (0.0, -90.0),
]


@pytest.mark.parametrize(
    "fn",
    [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84],
)
def test_points_outside_china_unchanged(fn: PairFn) -> None:
    lon = np.array([p[0] for p in OUTSIDE])
    lat = np.array([p[1] for p in OUTSIDE])
    out_lon, out_lat = fn(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


def test_shapes_and_nan_pass_through() -> None:
    lon = np.array([[117.2, np.nan], [2.35, 121.5]])
    lat = np.array([[39.1, 39.1], [48.85, 31.2]])
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, bd09_to_wgs84):
        out_lon, out_lat = fn(lon, lat)
        assert out_lon.shape == (2, 2)
        assert np.isnan(out_lon[0, 1])
        assert out_lon[1, 0] == 2.35
        assert out_lat[1, 0] == 48.85
    scalar = gcj02_to_wgs84(117.2, 39.1)
    assert np.ndim(scalar[0]) == 0


# --------------------------------------------------------------------------------------------
# Geometries
# --------------------------------------------------------------------------------------------


def test_pseudo_to_wgs84_transforms_every_vertex() -> None:
    poly = Polygon([(117.18, 39.10), (117.22, 39.10), (117.22, 39.14), (117.18, 39.10)])
    lines = MultiLineString([[(117.1, 39.0), (117.2, 39.1)], [(2.0, 48.0), (3.0, 49.0)]])
    point_z = Point(117.2, 39.1, 5.0)
    out = pseudo_to_wgs84([poly, lines, point_z, None], "GCJ-02")
    assert out.shape == (4,)
    coords = shapely.get_coordinates(poly)
    want = np.column_stack(gcj02_to_wgs84(coords[:, 0], coords[:, 1]))
    np.testing.assert_allclose(shapely.get_coordinates(out[0]), want, rtol=0, atol=1e-12)
    assert out[1].geom_type == "MultiLineString"
    # The part outside China is untouched, the part inside is moved.
    np.testing.assert_array_equal(shapely.get_coordinates(out[1].geoms[1]), [[2, 48], [3, 49]])
    assert out[1].geoms[0].coords[0] != (117.1, 39.0)
    assert out[2].has_z
    assert out[2].z == 5.0
    assert out[3] is None


def test_pseudo_geometry_round_trip_and_geoseries() -> None:
    series = gpd.GeoSeries([LineString([(117.0, 39.0), (117.3, 39.2)]), Point(121.47, 31.23)])
    for datum in PSEUDO_DATUMS:
        there = wgs84_to_pseudo(series, datum)
        back = pseudo_to_wgs84(there, datum)
        a = shapely.get_coordinates(series.values)
        b = shapely.get_coordinates(back)
        assert metres(a[:, 0], a[:, 1], b[:, 0], b[:, 1]).max() <= ONE_CM
        moved = shapely.get_coordinates(there)
        assert metres(a[:, 0], a[:, 1], moved[:, 0], moved[:, 1]).min() > 100.0
    single = wgs84_to_pseudo(Point(117.2, 39.1), "bd09")
    assert single.shape == (1,)


def test_unknown_datum_raises() -> None:
    with pytest.raises(CRSError, match="unknown pseudo-datum 'wgs84'"):
        pseudo_to_wgs84([Point(0, 0)], "wgs84")
    assert pseudo_datum_name("BD_09") == "bd09"
    assert pseudo_datum_name("EPSG:4326") is None
    assert pseudo_datum_name(4326) is None


def test_heping_outline_area_and_offset() -> None:
    data = json.loads(HEPING_OUTLINE.read_text(encoding="utf-8"))
    assert "GCJ-02" in data["source"]
    raw = shapely.geometry.shape(data["features"][0]["geometry"])
    wgs = pseudo_to_wgs84(raw, "gcj02")[0]
    to_gk = pyproj.Transformer.from_crs(4326, 4548, always_xy=True)

    def project(geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda c: np.column_stack(to_gk.transform(c[:, 0], c[:, 1])))

    converted = project(wgs)
    unconverted = project(raw)
    assert converted.area / 1e6 == pytest.approx(10.02, abs=0.05)
    offset = converted.centroid.distance(unconverted.centroid)
    assert 505.0 <= offset <= 592.0
    # The offset is north-east: the GCJ-02 outline sits east and north of the truth.
    assert unconverted.centroid.x > converted.centroid.x
    assert unconverted.centroid.y > converted.centroid.y


# --------------------------------------------------------------------------------------------
# Gauss-Krüger table and automatic metric CRS
# --------------------------------------------------------------------------------------------


def _tm_params(epsg: int) -> tuple[float, float]:
    crs = pyproj.CRS.from_epsg(epsg)
    assert crs.coordinate_operation is not None
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    return float(params["Longitude of natural origin"]), float(params["False easting"])


@pytest.mark.parametrize("epsg", range(4491, 4555))
def test_gauss_kruger_table_matches_epsg(epsg: int) -> None:
    zone = gauss_kruger_zone(epsg)
    assert zone is not None
    cm, false_easting = _tm_params(epsg)
    assert zone.central_meridian == cm
    assert zone.false_easting == false_easting
    name = pyproj.CRS.from_epsg(epsg).name
    assert ("3-degree" in name) == (zone.width == 3)
    other = zone.variant(prefixed=not zone.prefixed)
    assert _tm_params(other.epsg)[0] == cm


def test_gauss_kruger_zone_none_for_other_crs() -> None:
    assert gauss_kruger_zone(pyproj.CRS.from_epsg(4326)) is None
    assert gauss_kruger_zone(4490) is None
    assert gauss_kruger_zone(4555) is None
    assert gauss_kruger_zone(pyproj.CRS("+proj=tmerc +lon_0=117 +x_0=500000")) is None


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [
        (117.2, 39.1, 4548),  # Tianjin
        (87.6, 43.8, 4538),  # Urumqi: CM 87E
        (72.5, 39.0, 4534),  # west of the first zone: clamped to CM 75E
        (137.5, 45.0, 4554),  # east of the last zone: clamped to CM 135E
        (2.35, 48.85, 32631),  # Paris
        (151.2, -33.9, 32756),  # Sydney
        (-74.0, 40.7, 32618),  # New York
        (5.3, 60.4, 32632),  # Bergen: Norway exception (would be 31)
        (15.6, 78.2, 32633),  # Longyearbyen: Svalbard exception
    ],
)
def test_auto_metric_crs(lon: float, lat: float, epsg: int) -> None:
    assert auto_metric_crs(lon, lat).to_epsg() == epsg


def test_auto_metric_crs_picks_nearest_central_meridian_across_china() -> None:
    for lon in np.arange(73.6, 134.8, 0.37):
        crs = auto_metric_crs(float(lon), 35.0)
        cm, false_easting = _tm_params(crs.to_epsg() or 0)
        assert false_easting == 500_000.0
        assert abs(lon - cm) <= 1.5 + 1e-9
        assert "3-degree" in crs.name


def test_auto_metric_crs_rejects_non_degrees() -> None:
    with pytest.raises(CRSError, match="cannot choose a metric CRS"):
        auto_metric_crs(float("nan"), 39.0)
    with pytest.raises(CRSError, match="cannot choose a metric CRS"):
        auto_metric_crs(500_000.0, 4_330_000.0)


# --------------------------------------------------------------------------------------------
# parse_crs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        4548,
        "4548",
        "EPSG:4548",
        " epsg:4548 ",
        pyproj.CRS.from_epsg(4548).to_wkt(),
        pyproj.CRS.from_epsg(4548),
    ],
)
def test_parse_crs_accepts(value: object) -> None:
    assert parse_crs(value, where="project.toml").equals(pyproj.CRS.from_epsg(4548))


def test_parse_crs_proj_string() -> None:
    crs = parse_crs(
        "+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs",
        where="x",
    )
    assert crs.is_projected
    assert pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(117.0, 0.0) == (
        pytest.approx(500_000.0),
        pytest.approx(0.0, abs=1e-6),
    )


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        (None, "no CRS given"),
        ("", "no CRS given"),
        ("   ", "no CRS given"),
        ("EPSG:999999", "unknown CRS"),
        ("not a crs", "unknown CRS"),
        (True, "not a CRS"),
        ("gcj02", "GCJ02 pseudo-datum"),
        ("BD-09", "BD09 pseudo-datum"),
    ],
)
def test_parse_crs_rejects(value: object, pattern: str) -> None:
    where = "raw/parks.geojson, layer green_spaces"
    with pytest.raises(CRSError, match=pattern) as info:
        parse_crs(value, where=where)
    message = str(info.value)
    assert message.startswith(where + ": ")
    assert "\n" not in message


# --------------------------------------------------------------------------------------------
# check_coordinates
# --------------------------------------------------------------------------------------------

HEPING_LONLAT = (117.18, 39.10, 117.22, 39.14)


def _bounds_in(epsg: int, lonlat: tuple[float, float, float, float] = HEPING_LONLAT) -> tuple:
    t = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    return tuple(t.transform_bounds(*lonlat))


@pytest.mark.parametrize("epsg", [4326, 4490, 4548, 4527, 4509, 4498, 32650])
def test_check_coordinates_accepts_plausible(epsg: int) -> None:
    check_coordinates(_bounds_in(epsg), pyproj.CRS.from_epsg(epsg), where="a.gpkg")


def test_check_coordinates_accepts_elsewhere_and_empty() -> None:
    check_coordinates(_bounds_in(32631, (2.3, 48.8, 2.4, 48.9)), pyproj.CRS(32631), where="p")
    # Xisha islands (16.8°N) lie south of the onshore area of EPSG:4546 (CM 111E) but in China.
    check_coordinates(_bounds_in(4546, (112.3, 16.8, 112.4, 16.9)), pyproj.CRS(4546), where="x")
    nan = float("nan")
    check_coordinates((nan, nan, nan, nan), pyproj.CRS(4548), where="empty")


def _raises(bounds: tuple, epsg: int, pattern: str) -> str:
    where = "raw/pois.csv, layer recycling_points"
    with pytest.raises(CRSError, match=pattern) as info:
        check_coordinates(bounds, pyproj.CRS.from_epsg(epsg), where=where)
    message = str(info.value)
    assert message.startswith(where + ": ")
    assert "\n" not in message
    return message


def test_swapped_latitude_longitude() -> None:
    swapped = (39.10, 117.18, 39.14, 117.22)
    _raises(swapped, 4326, "latitude/longitude are swapped")
    _raises(swapped, 4490, "latitude/longitude are swapped")
    # Urumqi swapped stays within ±90 in both axes: caught because it lands in China swapped.
    _raises((43.8, 87.5, 43.9, 87.7), 4326, "latitude/longitude are swapped")


def test_metres_declared_as_degrees_and_degrees_as_metres() -> None:
    _raises(_bounds_in(4548), 4326, "look like metres")
    _raises(HEPING_LONLAT, 4548, "look like longitude/latitude")
    _raises((200.0, 10.0, 210.0, 20.0), 4326, "not valid longitude/latitude")


def test_zone_prefixed_eastings_in_unprefixed_crs() -> None:
    prefixed_3 = _bounds_in(4527)  # 39 5xx xxx m
    assert 39_000_000 < prefixed_3[0] < 40_000_000
    message = _raises(prefixed_3, 4548, "zone prefix")
    assert "EPSG:4527" in message
    prefixed_6 = _bounds_in(4498)  # 6-degree zone 20: 20 5xx xxx m
    assert "EPSG:4498" in _raises(prefixed_6, 4548, "zone prefix")
    _raises((99_500_000.0, 4.33e6, 99_510_000.0, 4.34e6), 4548, "out of range")


def test_prefixed_crs_with_wrong_or_missing_prefix() -> None:
    assert "EPSG:4548" in _raises(_bounds_in(4548), 4527, "lack the zone prefix 39")
    assert "EPSG:4528" in _raises(_bounds_in(4528, (120.1, 39.1, 120.2, 39.2)), 4527, "prefix 40")


def test_swapped_gauss_kruger_northing_easting() -> None:
    minx, miny, maxx, maxy = _bounds_in(4548)
    _raises((miny, minx, maxy, maxx), 4548, "northings and eastings look swapped")
    minx, miny, maxx, maxy = _bounds_in(4527)
    _raises((miny, minx, maxy, maxx), 4527, "northings and eastings look swapped")


def test_far_outside_area_of_use() -> None:
    # Data at 122°E expressed in the CM 117°E zone: 5° from the central meridian.
    message = _raises(_bounds_in(4548, (122.0, 39.0, 122.1, 39.1)), 4548, "far outside")
    assert "EPSG:4550" in message  # the zone whose CM is nearest to 122°E
    assert pyproj.CRS.from_epsg(4550).name.endswith("CM 123E")
    _raises((2.3, 48.8, 2.4, 48.9), 4490, "far outside the area of use")
    _raises(_bounds_in(32650, (2.3, 48.8, 2.4, 48.9)), 32650, "far outside")
