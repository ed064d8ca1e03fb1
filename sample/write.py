"""Write the generated layers as a planner would receive them (``raw/``), reproducibly.

The deliveries deliberately differ (sample-city.md):

==========================  ====================================  ===========================
file                        content                               format, CRS, encoding
==========================  ====================================  ===========================
``admin_landuse.gpkg``      districts, streets, communities,      GeoPackage, EPSG:4548,
                            land use (Chinese layer names)        Chinese community fields
``buildings.gpkg``          buildings                             GeoPackage, EPSG:4490
``recycling_points.csv``    recycling points                      UTF-8 CSV, ``lng,lat`` GCJ-02
``heating_pipes.zip``       heating pipes                         zipped Shapefile, GBK, no .cpg
``*.geojson``               the other vector layers               GeoJSON, WGS84
``dsm.tif``                 DSM                                   GeoTIFF float32, EPSG:4548
==========================  ====================================  ===========================

Every writer fixes what would otherwise change from run to run (GeoPackage and DBF dates,
zip entry times), so the same seed gives byte-identical files.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from gis.crs import wgs84_to_gcj02
from gis.validate import keep_dimension
from layers.schema import CANONICAL
from sample.outline import METRIC_CRS

__all__ = [
    "ADMIN_FILE",
    "ADMIN_LAYERS",
    "BUILDINGS_CRS",
    "COMMUNITY_FIELDS",
    "GEOJSON_LAYERS",
    "PIPE_FIELDS",
    "RECYCLING_FIELDS",
    "fit_to_precision",
    "reproducible_gdal",
    "write_admin",
    "write_buildings",
    "write_geojson",
    "write_pipes_shp",
    "write_pipes_zip",
    "write_recycling_csv",
    "zip_pipes",
]

FIXED_DATE = "2025-01-01"
FIXED_DATETIME = "2025-01-01T00:00:00.000Z"
ZIP_DATE_TIME = (2025, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644 << 16
GEOJSON_PRECISION = 7
GCJ02_DECIMALS = 6
WGS84 = "EPSG:4326"
BUILDINGS_CRS = "EPSG:4490"
PIPES_ENCODING = "GBK"
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj")
ZIP_CHUNK = 1 << 20

ADMIN_FILE = "raw/admin_landuse_cgcs2000_gk117.gpkg"
ADMIN_LAYERS = {
    "districts": "区界", "streets": "街道界", "communities": "社区界", "landuse": "用地现状",
}
COMMUNITY_FIELDS = {
    "code": "社区代码", "name": "社区名称", "street_code": "所属街道", "households": "户数",
    "population": "常住人口", "green_community": "绿色社区", "waste_sorting": "垃圾分类",
}
BUILDINGS_FILE = "raw/buildings_cgcs2000.gpkg"
RECYCLING_FILE = "raw/recycling_points_amap.csv"
RECYCLING_FIELDS = {
    "id": "编号", "name": "名称", "kind": "类型", "community_code": "社区代码",
    "opened_year": "开业年份", "status": "状态",
}
PIPES_FILE = "raw/heating_pipes.zip"
PIPE_FIELDS = {
    "id": "管段编号", "network": "级别", "diameter_mm": "管径", "install_year": "敷设年份",
    "renovated_year": "改造年份",
}
PIPE_EXTRA_ZH = {"primary": "一级网", "secondary": "二级网"}
HEAT_SOURCES = ("陈塘热电厂", "和平供热站", "南营门锅炉房")
PIPE_MATERIAL = "预制直埋保温管"
GEOJSON_LAYERS = (
    "green_spaces", "pocket_parks", "sponge_zones", "streetlights", "facilities", "roads",
    "forest", "nature_reserves", "shorelines",
)
DSM_FILE = "raw/dsm_2m_cgcs2000.tif"


@contextmanager
def reproducible_gdal() -> Iterator[None]:
    """Fix the timestamps GDAL writes into GeoPackages for the duration of the block."""
    key = "OGR_CURRENT_DATE"
    old = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: FIXED_DATETIME})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: old})


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.set_crs(METRIC_CRS, allow_override=True)


def write_admin(
    out: Path, layers: dict[str, gpd.GeoDataFrame], *, append: bool = False
) -> Path:
    """Write zones and land use into one EPSG:4548 GeoPackage with Chinese layer names.

    With ``append`` the features are added to the layers an earlier call wrote (one copy
    of the district at a time); otherwise the file is replaced.
    """
    path = out / ADMIN_FILE
    if not append:
        path.unlink(missing_ok=True)
    for name, layer_name in ADMIN_LAYERS.items():
        gdf = _metric(layers[name])
        if name == "communities":
            gdf = gdf.rename(columns=COMMUNITY_FIELDS)
        _write_gpkg_layer(gdf, path, layer_name)
    return path


def _write_gpkg_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write or append one GeoPackage layer, keeping the layer's geometry type.

    A first copy with mixed Polygon/MultiPolygon parts creates a MULTIPOLYGON layer (pyogrio
    promotes mixed frames); a later copy with single polygons only is then promoted too, so the
    layer stays one conformant type instead of GDAL inserting POLYGONs with a warning.
    """
    append = path.exists() and layer in {str(n) for n in pyogrio.list_layers(path)[:, 0]}
    promote = bool(append and str(pyogrio.read_info(path, layer=layer)["geometry_type"])
                   .startswith("Multi"))
    pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG", append=path.exists(),
                            promote_to_multi=True if promote else None)


def write_buildings(out: Path, buildings: gpd.GeoDataFrame, *, append: bool = False) -> Path:
    """Write the buildings as an EPSG:4490 (CGCS2000 geographic) GeoPackage.

    With ``append`` the buildings are added to the layer an earlier call wrote.
    """
    path = out / BUILDINGS_FILE
    if not append:
        path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        _metric(buildings).to_crs(BUILDINGS_CRS), path, layer="buildings", driver="GPKG",
        append=append,
    )
    return path


def write_geojson(out: Path, name: str, gdf: gpd.GeoDataFrame) -> Path:
    """Write one layer as WGS84 GeoJSON (``raw/<name>.geojson``).

    Coordinates are written to :data:`GEOJSON_PRECISION` decimals (≈ 1 cm). A feature that
    this rounding would spoil (a road a few millimetres long collapses to a point, a sliver
    part of a polygon to a line: GDAL then writes a Point or a GeometryCollection) is
    repaired on the rounded grid, keeping only parts of the layer's kind, or left out when
    nothing of that kind remains (:func:`fit_to_precision`). Other features are untouched.
    """
    path = out / "raw" / f"{name}.geojson"
    path.unlink(missing_ok=True)
    wgs = _metric(gdf).to_crs(WGS84)
    geoms, keep = fit_to_precision(
        np.asarray(wgs.geometry.array, dtype=object), CANONICAL[name].geometry,
        10.0 ** -GEOJSON_PRECISION,
    )
    if not keep.all() or any(g is not o for g, o in zip(geoms, wgs.geometry.array, strict=True)):
        wgs = wgs.set_geometry(geoms)[keep].reset_index(drop=True)
    pyogrio.write_dataframe(
        wgs, path, driver="GeoJSON", layer=name,
        layer_options={"COORDINATE_PRECISION": GEOJSON_PRECISION, "RFC7946": "YES"},
    )
    return path


_KIND_TYPES = {"point": (0, 4), "line": (1, 5), "polygon": (3, 6)}
_KIND_DIM = {"point": 0, "line": 1, "polygon": 2}


def _sound(geoms: NDArray[np.object_], kind: str) -> NDArray[np.bool_]:
    """Valid, non-empty geometries of ``kind`` with a length (lines) or area (polygons)."""
    ok = (np.isin(shapely.get_type_id(geoms), _KIND_TYPES[kind])
          & ~shapely.is_empty(geoms) & shapely.is_valid(geoms))
    if kind == "line":
        ok &= shapely.length(geoms) > 0
    elif kind == "polygon":
        ok &= shapely.area(geoms) > 0
    return np.asarray(ok, dtype=bool)


def fit_to_precision(
    geoms: NDArray[np.object_], kind: str, grid: float
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Make each geometry survive rounding its coordinates to ``grid``.

    Parameters
    ----------
    geoms : numpy.ndarray of object
        Geometries of one layer.
    kind : {"point", "line", "polygon"}
        The layer's geometry kind.
    grid : float
        The grid the writer rounds coordinates to (``1e-7`` for 7 decimals).

    Returns
    -------
    (numpy.ndarray of object, numpy.ndarray of bool)
        The geometries (those sound once rounded are returned unchanged, the others repaired
        on the grid keeping only parts of ``kind``, already rounded) and which to keep (False
        where a geometry has nothing of its kind left once rounded).
    """
    out = np.asarray(geoms, dtype=object).copy()
    keep = np.ones(len(out), dtype=bool)
    bad = np.flatnonzero(~_sound(shapely.set_precision(out, grid, mode="pointwise"), kind))
    if len(bad) == 0:
        return out, keep
    for i in bad:
        out[i] = _repair_on_grid(out[i], kind, grid)
        keep[i] = out[i] is not None
    return out, keep


REPAIR_ROUNDS = 3
"""Repair-then-round passes before a feature is given up (a repair adds vertices off the grid,
rounding them may spoil the repair again)."""


def _repair_on_grid(geom: shapely.Geometry, kind: str, grid: float) -> shapely.Geometry | None:
    """Round ``geom`` to ``grid``, repairing it until it is sound; None if nothing is left."""
    one = np.array([geom], dtype=object)
    for _ in range(REPAIR_ROUNDS):
        one = shapely.set_precision(one, grid, mode="pointwise")
        if _sound(one, kind)[0]:
            return one[0]
        one = keep_dimension(
            shapely.make_valid(one, method="structure", keep_collapsed=False), _KIND_DIM[kind])
        if one[0] is None:
            return None
    return None


def write_recycling_csv(
    out: Path, points: gpd.GeoDataFrame, *, append: bool = False
) -> Path:
    """Write recycling points as a UTF-8 CSV with Chinese headers and GCJ-02 ``lng,lat``.

    With ``append`` the rows are added, without a header, to the file an earlier call wrote.
    """
    path = out / RECYCLING_FILE
    tr = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
    lon, lat = tr.transform(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    glon, glat = wgs84_to_gcj02(lon, lat)
    table = pd.DataFrame({RECYCLING_FIELDS[k]: points[k].to_numpy() for k in RECYCLING_FIELDS})
    table["lng"] = np.round(glon, GCJ02_DECIMALS)
    table["lat"] = np.round(glat, GCJ02_DECIMALS)
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n",
                 float_format=f"%.{GCJ02_DECIMALS}f", mode="a" if append else "w",
                 header=not append)
    return path


def write_pipes_zip(out: Path, pipes: gpd.GeoDataFrame, rng: np.random.Generator) -> Path:
    """Write heating pipes as a zipped GBK Shapefile without a .cpg (as often delivered).

    Parameters
    ----------
    out : pathlib.Path
        Project directory.
    pipes : GeoDataFrame
        Canonical pipes plus the ``road`` they follow (metric CRS).
    rng : numpy.random.Generator
        Draws the heat source of each pipe.

    Returns
    -------
    pathlib.Path
    """
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / "heating_pipes.shp"
        write_pipes_shp(shp, pipes, rng)
        return zip_pipes(shp, out)


def write_pipes_shp(
    shp: Path, pipes: gpd.GeoDataFrame, rng: np.random.Generator, *, append: bool = False
) -> Path:
    """Write (or, with ``append``, add to) the GBK Shapefile of the heating pipes.

    Parameters
    ----------
    shp : pathlib.Path
        The ``.shp`` to write, in a scratch folder; :func:`zip_pipes` packs it.
    pipes : GeoDataFrame
        Canonical pipes plus the ``road`` they follow (metric CRS).
    rng : numpy.random.Generator
        Draws the heat source of each pipe.
    append : bool, keyword-only
        Add the pipes to the file an earlier call wrote (one copy of the district at a time).

    Returns
    -------
    pathlib.Path
        ``shp``.
    """
    src = np.array(HEAT_SOURCES, dtype=object)[rng.integers(0, len(HEAT_SOURCES), len(pipes))]
    road = pipes["road"].fillna("小区").to_numpy()
    level = pipes["network"].map(PIPE_EXTRA_ZH).to_numpy()
    table = gpd.GeoDataFrame(
        {
            **{PIPE_FIELDS[k]: pipes[k].to_numpy() for k in PIPE_FIELDS},
            "管段名称": [f"{r}{lv}" for r, lv in zip(road, level, strict=True)],
            "热源": src,
            "材质": PIPE_MATERIAL,
        },
        geometry=pipes.geometry.values,
        crs=METRIC_CRS,
    )
    table[PIPE_FIELDS["renovated_year"]] = pipes["renovated_year"].astype("Int64").to_numpy()
    pyogrio.write_dataframe(
        table, shp, driver="ESRI Shapefile", encoding=PIPES_ENCODING, append=append,
        layer_options=None if append else {"DBF_DATE_LAST_UPDATE": FIXED_DATE},
    )
    return shp


def zip_pipes(shp: Path, out: Path) -> Path:
    """Pack the Shapefile :func:`write_pipes_shp` wrote into ``out/raw/heating_pipes.zip``.

    The DBF header keeps :data:`FIXED_DATE` as its last-update date (GDAL writes today's date
    when features are appended), and every zip entry a fixed time, so the bytes depend on the
    seed alone. Each part is streamed into the archive, never read whole.
    """
    _fix_dbf_date(shp.with_suffix(".dbf"))
    path = out / PIPES_FILE
    path.unlink(missing_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for ext in SHAPEFILE_PARTS:
            info = zipfile.ZipInfo(f"heating_pipes{ext}", date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ZIP_FILE_MODE
            with shp.with_suffix(ext).open("rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, ZIP_CHUNK)
    return path


def _fix_dbf_date(dbf: Path) -> None:
    """Set the last-update date of a DBF header (bytes 1–3: years since 1900, month, day)."""
    y, m, d = (int(v) for v in FIXED_DATE.split("-"))
    with dbf.open("r+b") as f:
        f.seek(1)
        f.write(bytes([y - 1900, m, d]))
