"""A tiny project with every raw-file shape `peakmap build` must read, written on demand.

Geometry is laid out in EPSG:4548 (CGCS2000 GK CM 117E) near Tianjin so areas and
positions can be worked out by hand: the district is the square [500000, 500400] ×
[4330000, 4330400] (160,000 m²), split into two streets of 200 m × 400 m.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from gis.crs import wgs84_to_gcj02

DBF_LDID_OFFSET = 29
X0, Y0 = 500_000.0, 4_330_000.0
GK = "EPSG:4548"

MANIFEST = """\
[project]
name = "测试项目"
metric_crs = "EPSG:4548"

[layers.districts]
path = "raw/admin.gpkg"
layer = "districts"

[layers.streets]
path = "raw/admin.gpkg"
layer = "streets"

[layers.communities]
path = "raw/admin.gpkg"
layer = "communities"

[layers.green_spaces]
path = "raw/green.geojson"

[layers.green_spaces.fields]
class = "类别"

[layers.recycling_points]
path = "raw/recycling.csv"
crs = "GCJ-02"
x = "lng"
y = "lat"

[layers.recycling_points.fields]
kind = "类型"

[layers.heating_pipes]
path = "raw/pipes.zip"
encoding = "gbk"

[layers.heating_pipes.fields]
install_year = "敷设年份"
"""

# WGS84 positions of the two recycling points (the CSV holds them in GCJ-02)
RECYCLING_WGS84 = [(117.0005, 39.1002), (117.0030, 39.1010)]


def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def admin_frames() -> dict[str, gpd.GeoDataFrame]:
    district = gpd.GeoDataFrame(
        {"code": ["120101"], "name": ["和平区"]}, geometry=[_box(0, 0, 400, 400)], crs=GK
    )
    streets = gpd.GeoDataFrame(
        {"code": ["S1", "S2"], "name": ["西街道", "东街道"], "district_code": ["120101"] * 2},
        geometry=[_box(0, 0, 200, 400), _box(200, 0, 200, 400)],
        crs=GK,
    )
    communities = gpd.GeoDataFrame(
        {
            "code": ["C1", "C2", "C3"],
            "name": ["甲社区", "乙社区", "丙社区"],
            "street_code": ["S1", "S1", "S2"],
            "households": [100, 200, 300],
        },
        geometry=[_box(0, 0, 200, 200), _box(0, 200, 200, 200), _box(200, 0, 200, 400)],
        crs=GK,
    )
    return {"districts": district, "streets": streets, "communities": communities}


def green_frame() -> gpd.GeoDataFrame:
    """Two parks in WGS84: a 100 m square and a self-intersecting bow-tie."""
    bow = shapely.Polygon(
        [(X0 + 250, Y0 + 250), (X0 + 350, Y0 + 350), (X0 + 350, Y0 + 250), (X0 + 250, Y0 + 350)]
    )
    gdf = gpd.GeoDataFrame(
        {"id": ["g1", "g2"], "类别": ["G11", "G14"], "name": ["中心公园", "蝴蝶园"]},
        geometry=[_box(50, 50, 100, 100), bow],
        crs=GK,
    )
    return gdf.to_crs("EPSG:4326")


def recycling_csv() -> str:
    lon, lat = zip(*RECYCLING_WGS84, strict=True)
    glon, glat = wgs84_to_gcj02(list(lon), list(lat))
    df = pd.DataFrame(
        {"id": ["r1", "r2"], "类型": ["社区回收点", "中转站"], "lng": glon, "lat": glat}
    )
    return df.to_csv(index=False, float_format="%.9f")


def pipes_zip(*, cpg: bool = False) -> bytes:
    """A zipped GBK shapefile of two pipes, 300 m and 400 m long, with no .cpg."""
    gdf = gpd.GeoDataFrame(
        {"id": ["p1", "p2"], "敷设年份": [1985, 2010], "name": ["老干线", "新支线"]},
        geometry=[
            shapely.LineString([(X0 + 50, Y0 + 10), (X0 + 350, Y0 + 10)]),
            shapely.LineString([(X0 + 10, Y0), (X0 + 10, Y0 + 400)]),
        ],
        crs=GK,
    )
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as d:
        shp = Path(d) / "pipes.shp"
        pyogrio.write_dataframe(gdf, shp, encoding="gbk")
        dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
        dbf[DBF_LDID_OFFSET] = 0  # as delivered: no language driver id, no .cpg
        shp.with_suffix(".dbf").write_bytes(bytes(dbf))
        with zipfile.ZipFile(buf, "w") as zf:
            for f in sorted(Path(d).iterdir()):
                if f.suffix == ".cpg" and not cpg:
                    continue
                zf.write(f, f.name)
    return buf.getvalue()


def write_project(root: Path) -> Path:
    """Write the tiny project under ``root`` and return its directory."""
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, frame in admin_frames().items():
        pyogrio.write_dataframe(frame, raw / "admin.gpkg", layer=name)
    pyogrio.write_dataframe(green_frame(), raw / "green.geojson", driver="GeoJSON")
    (raw / "recycling.csv").write_text(recycling_csv(), encoding="utf-8")
    (raw / "pipes.zip").write_bytes(pipes_zip())
    (root / "project.toml").write_text(MANIFEST, encoding="utf-8")
    return root


def to_gk(lon: float, lat: float) -> tuple[float, float]:
    t = Transformer.from_crs("EPSG:4326", GK, always_xy=True)
    x, y = t.transform(lon, lat)
    return float(x), float(y)
