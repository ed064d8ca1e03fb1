"""Tiny projects shaped like real deliveries (Shapefile habits, own spellings), by hand.

Geometry reuses the square district of :mod:`ingest_fixtures` (EPSG:4548, [500000, 500400] ×
[4330000, 4330400]); lengths and areas below are exact by construction.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from ingest_fixtures import GK, X0, Y0, admin_frames

CATALOGS = Path(__file__).resolve().parent.parent / "layers" / "catalogs"
REPORT_YEAR = 2025

# Heating pipes as a district delivers them: a plain Shapefile whose DBF cannot hold null,
# so "not renovated" is 0 (GZNF) and an unknown install year is 0 too (AZNF).
# id, install year, renovated year, length (m); every pipe lies in community C1/C2 (x < 200).
PIPES = [
    ("p1", 1980, 0, 300.0),  # 45 years, not renovated        -> old
    ("p2", 1985, 2015, 200.0),  # renovated                   -> not old
    ("p3", 2005, 0, 400.0),  # 20 years                        -> not old
    ("p4", 0, 0, 100.0),  # install year unknown              -> left out of the share
    ("p5", 1990, 0, 100.0),  # 35 years, not renovated        -> old
]
# Hand-worked HP-T4 (age > 30 a and not renovated) ÷ pipes of known age:
# (300 + 100) / (300 + 200 + 400 + 100) = 40 %. Reading 0 as a year gives 0 %.
HP_T4_SHARE = 40.0
HP_T4_LEFT_OUT_M = 100.0

MANIFEST = f"""\
[project]
name = "交付习惯测试"
metric_crs = "EPSG:4548"
year = {REPORT_YEAR}

[layers.districts]
path = "raw/admin.gpkg"
layer = "districts"

[layers.streets]
path = "raw/admin.gpkg"
layer = "streets"

[layers.communities]
path = "raw/admin.gpkg"
layer = "communities"

[layers.heating_pipes]
path = "raw/供热管网.shp"
encoding = "gbk"

[layers.heating_pipes.fields]
id = "GXBH"
install_year = "AZNF"
renovated_year = "GZNF"
network = "GWJB"
"""


def pipes_frame() -> gpd.GeoDataFrame:
    """The pipes, stacked 20 m apart, each starting at x = 10 m (community C1 or C2)."""
    geoms = [
        shapely.LineString([(X0 + 10, Y0 + 20 + 20 * i), (X0 + 10 + length / 2, Y0 + 20 + 20 * i),
                            (X0 + 10 + length / 2, Y0 + 20 + 20 * i + length / 2)])
        if length > 180 else
        shapely.LineString([(X0 + 10, Y0 + 20 + 20 * i), (X0 + 10 + length, Y0 + 20 + 20 * i)])
        for i, (_, _, _, length) in enumerate(PIPES)
    ]
    return gpd.GeoDataFrame(
        {
            "GXBH": [p[0] for p in PIPES],
            "AZNF": [p[1] for p in PIPES],
            "GZNF": [p[2] for p in PIPES],
            "GWJB": ["一级管网", "二次管网", "庭院管网", "一次网", "二级网"],
        },
        geometry=geoms,
        crs=GK,
    )


def write_delivery_project(root: Path, *, manifest: str = MANIFEST) -> Path:
    """Write the project under ``root`` (admin GeoPackage + pipes Shapefile in GBK)."""
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, frame in admin_frames().items():
        pyogrio.write_dataframe(frame, raw / "admin.gpkg", layer=name)
    pyogrio.write_dataframe(pipes_frame(), raw / "供热管网.shp", encoding="gbk")
    (root / "project.toml").write_text(manifest, encoding="utf-8")
    for catalog in CATALOGS.glob("*.toml"):  # targets.toml and the catalogs it includes
        shutil.copyfile(catalog, root / catalog.name)
    return root


# Buildings as footprints usually arrive: floors often missing (0 in the DBF), sometimes
# fractional (a half storey under the roof), sometimes only a height. Footprints 10 m × 10 m.
# id, floors, height_m, floor_area_m2, retrofit_year → expected floor area (m²) and its source
BUILDINGS = [
    ("b1", 2.5, 0.0, 0.0, 2022, 250.0, "floors"),  # 2.5 floors × 100 m²
    ("b2", 0.0, 10.0, 0.0, 2022, 300.0, "height"),  # round(10 / 3) = 3 floors
    ("b3", 0.0, 0.0, 0.0, 2022, None, None),  # nothing known: left out
    ("b4", 6.0, 18.0, 1000.0, 2022, 1000.0, "reported"),
]
# HP-12, Σ floor area of residential buildings retrofitted 2021–2025:
# 250 + 300 + 1000 = 1550 m², 2 estimated, 1 left out.
NEW_FLOOR_AREA_M2 = 1550.0

BUILDINGS_MANIFEST = MANIFEST + """
[layers.buildings]
path = "raw/建筑.shp"
encoding = "gbk"

[layers.buildings.fields]
id = "JZBH"
use = "YT"
floors = "CS"
height_m = "GD"
floor_area_m2 = "JZMJ"
retrofit_year = "GZNF"
"""


def buildings_frame() -> gpd.GeoDataFrame:
    """The buildings of :data:`BUILDINGS`, 10 m squares in community C1."""
    return gpd.GeoDataFrame(
        {
            "JZBH": [b[0] for b in BUILDINGS], "YT": ["住宅"] * len(BUILDINGS),
            "CS": [b[1] for b in BUILDINGS], "GD": [b[2] for b in BUILDINGS],
            "JZMJ": [b[3] for b in BUILDINGS], "GZNF": [b[4] for b in BUILDINGS],
        },
        geometry=[
            shapely.box(X0 + 20 + 15 * i, Y0 + 150, X0 + 30 + 15 * i, Y0 + 160)
            for i in range(len(BUILDINGS))
        ],
        crs=GK,
    )


def write_buildings_project(root: Path) -> Path:
    """The delivery project plus the buildings Shapefile."""
    write_delivery_project(root, manifest=BUILDINGS_MANIFEST)
    pyogrio.write_dataframe(buildings_frame(), root / "raw" / "建筑.shp", encoding="gbk")
    return root


# Zones as the data allows: district and streets only, from Shapefiles whose codes have
# leading zeros. HP-T4 by street (pipes of known age; p3 runs 190 m in the west street and
# 210 m in the east one): west (300 + 100) / (300 + 200 + 190 + 100) = 50.63 %, east 0 %.
HP_T4_WEST = 100.0 * 400.0 / 790.0
ZONE_CODES = {"district": "0120101", "west": "012010101", "east": "012010102"}


def zones_manifest(levels: int) -> str:
    """A manifest with the district (``levels`` = 1) or the district and streets (2)."""
    text = MANIFEST.split("[layers.districts]")[0] + """[layers.districts]
path = "raw/区界.shp"
encoding = "gbk"
"""
    if levels >= 2:
        text += """
[layers.streets]
path = "raw/街道.shp"
encoding = "gbk"

[layers.streets.fields]
code = "JDDM"
name = "JDMC"
district_code = "QDM"
"""
    return text + MANIFEST[MANIFEST.index("[layers.heating_pipes]"):]


def write_zones_project(root: Path, levels: int) -> Path:
    """The delivery project with one or two zone levels, codes with leading zeros."""
    write_delivery_project(root, manifest=zones_manifest(levels))
    admin = admin_frames()
    district = admin["districts"].assign(code=[ZONE_CODES["district"]])
    streets = gpd.GeoDataFrame(
        {"JDDM": [ZONE_CODES["west"], ZONE_CODES["east"]], "JDMC": ["西街道", "东街道"],
         "QDM": [ZONE_CODES["district"]] * 2},
        geometry=admin["streets"].geometry.to_numpy(), crs=GK,
    )
    pyogrio.write_dataframe(district, root / "raw" / "区界.shp", encoding="gbk")
    pyogrio.write_dataframe(streets, root / "raw" / "街道.shp", encoding="gbk")
    return root
