"""Rooftop PV on a tiny hand-made scene: suitability, kWp/kWh by hand, exactextract, indicators.

The scene (2 m DSM, 160 × 160 px, EPSG:4548 near Tianjin; ground 4 m), rows from the north:

- B1 flat roof, 20 × 20 m, 13 m high, nothing tall near it         → all 400 m² suitable
- B2 roof facing north at 45° (rises 2 m per 2 m southwards)        → unsuitable (north)
- B3 roof facing south at 45°                                       → all suitable, kWp / cos 45°
- B4 low roof (11 m) directly north of the tall block B5 (49 m)     → southern part too shaded
- B6 flat 2 × 4 m roof                                              → below the 10 m² patch rule
- B7 flat roof whose footprint is offset 0.7 m from the pixel grid  → exact fractions

Communities: C1 holds x < 160 m (B1, B2, B4, B5), C2 the rest (B3, B6, B7).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from shapely.geometry import box

from gis.solar import SolarOptions, irradiation, plane_poa, sun_sample_clearsky
from gis.solar_layout import make_layout
from layers import ManifestError, StoreError
from layers.indicators.catalog import Catalog, IndicatorSpec
from layers.indicators.engine import compute_records
from layers.labels import note_label
from layers.project import Project
from layers.rooftop_pv import DEFAULTS, nea_classes
from layers.rooftop_pv_build import build_step
from layers.rooftop_pv_plan import potential_by_zone, rank_roofs, roof_table

CRS = "EPSG:4548"
RES = 2.0
X0, TOP = 500_000.0, 4_330_320.0
N_PX = 160
GROUND = 4.0
STEP_MINUTES = 120  # coarser sun sampling keeps the test fast
PR = DEFAULTS["performance_ratio"]
DENSITY = DEFAULTS["power_density_kwp_m2"]


def _fp(r0: int, r1: int, c0: int, c1: int, dx: float = 0.0) -> shapely.Polygon:
    """Footprint of pixel rows r0..r1-1 and columns c0..c1-1."""
    return box(X0 + c0 * RES + dx, TOP - r1 * RES, X0 + c1 * RES + dx, TOP - r0 * RES)


# (id, use, built_year, public_institution, pv_area_m2, rows, cols)
BUILDINGS: list[tuple[str, str, int, bool, float, tuple[int, int], tuple[int, int]]] = [
    ("B1", "government", 2022, True, 200.0, (10, 20), (10, 20)),
    ("B2", "industrial", 2023, False, 0.0, (10, 20), (50, 60)),
    ("B3", "school", 2022, True, 100.0, (10, 20), (110, 120)),
    ("B4", "residential", 2010, False, 0.0, (40, 60), (10, 20)),
    ("B5", "commercial", 2005, False, 50.0, (60, 70), (5, 25)),
    ("B6", "industrial", 2024, False, 0.0, (10, 11), (140, 142)),
    ("B7", "hospital", 1990, True, 0.0, (60, 70), (110, 120)),
]
OFFSET = {"B7": 0.7}


# the plan's TJ-PV50 row (as in tianjin.toml): its population is what the ranking flags
TJ_PV50_ROW = """
[[indicator]]
id = "TJ-PV50"
title = "新建公共机构建筑、新建厂房屋顶光伏覆盖率"
level = "district"
kind = "pv"
unit = "%"
op = ">="
target = 50

[indicator.params]
where = { built_year = { ">=" = 2021 } }
where_any = [{ public_institution = true }, { use = "industrial" }]
"""


def _dsm() -> np.ndarray:
    z = np.full((N_PX, N_PX), GROUND, np.float32)
    z[10:20, 10:20] = 13.0  # B1
    rows = np.arange(10, 20)
    z[10:20, 50:60] = (13.0 + (rows - 10) * RES)[:, None]  # B2 rises southwards: faces north
    z[10:20, 110:120] = (13.0 + (19 - rows) * RES)[:, None]  # B3 faces south
    z[40:60, 10:20] = 11.0  # B4
    z[60:70, 5:25] = 49.0  # B5
    z[10:11, 140:142] = 10.0  # B6
    z[60:70, 110:120] = 13.0  # B7 (the footprint is offset 0.7 m east)
    return z


def _write_project(root: Path, *, with_dsm: bool = True, params: str = "") -> Project:
    build = root / "build"
    build.mkdir(parents=True)
    store = build / "peakmap.gpkg"
    half = X0 + N_PX * RES / 2
    zones: dict[str, list[dict[str, Any]]] = {
        "districts": [{"code": "D", "name": "区", "geometry": _fp(0, N_PX, 0, N_PX)}],
        "streets": [{"code": "S", "name": "街", "district_code": "D",
                     "geometry": _fp(0, N_PX, 0, N_PX)}],
        "communities": [
            {"code": "C1", "name": "一", "street_code": "S",
             "geometry": box(X0, TOP - N_PX * RES, half, TOP)},
            {"code": "C2", "name": "二", "street_code": "S",
             "geometry": box(half, TOP - N_PX * RES, X0 + N_PX * RES, TOP)},
        ],
    }
    for name, rows in zones.items():
        gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS).to_file(store, layer=name)
    b = [
        {"id": i, "use": u, "floors": 3, "built_year": y, "public_institution": p,
         "pv_area_m2": a, "geometry": _fp(*r, *c, dx=OFFSET.get(i, 0.0))}
        for i, u, y, p, a, r, c in BUILDINGS
    ]
    gpd.GeoDataFrame(b, geometry="geometry", crs=CRS).to_file(store, layer="buildings")
    if with_dsm:
        with rasterio.open(
            build / "dsm.tif", "w", driver="GTiff", height=N_PX, width=N_PX, count=1,
            dtype="float32", crs=CRS, transform=Affine(RES, 0, X0, 0, -RES, TOP),
        ) as ds:
            ds.write(_dsm(), 1)
    (root / "project.toml").write_text(
        '[project]\nname = "pv"\ntargets = "targets.toml"\n\n'
        f"[params.pv]\nstep_minutes = {STEP_MINUTES}\nheritage_year = 1995\n{params}",
        encoding="utf-8",
    )
    (root / "targets.toml").write_text(TJ_PV50_ROW, encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = _write_project(tmp_path_factory.mktemp("pv"))
    summary = build_step(project)
    assert "solar_irradiation.tif" in summary
    return Project(project.root)


@pytest.fixture(scope="module")
def fields(built: Project) -> gpd.GeoDataFrame:
    return built.store.read("buildings").set_index("id")


# Rows of 2 m modules tilted 30° S at 39.09° N, unshaded 09-15 h solar time on the winter
# solstice (δ = -23.44°): at 09 h the sun is 14.7° high, 42.2° east of south, so a row's top
# (1 m up) throws a shadow 1 · cos 42.2° / tan 14.7° = 2.84 m across the rows; pitch =
# 2 cos 30° + 2.84 = 4.57 m and GCR = 2 / 4.57 = 0.437.
HAND_GCR = 0.437
SETBACK = DEFAULTS["setback_m"]


def test_flat_unshaded_roof_by_hand(built: Project, fields: gpd.GeoDataFrame) -> None:
    b1 = fields.loc["B1"]
    assert b1["roof_area_m2"] == pytest.approx(400.0)
    inner = (20.0 - 2 * SETBACK) ** 2  # 1 m setback from each edge of the 20 m square
    assert b1["pv_suitable_area_m2"] == pytest.approx(inner)
    assert b1["pv_layout"] == "rows"
    assert b1["pv_gcr"] == pytest.approx(HAND_GCR, abs=0.002)
    assert b1["pv_module_area_m2"] == pytest.approx(inner * b1["pv_gcr"])
    assert b1["pv_kwp"] == pytest.approx(inner * HAND_GCR * DENSITY, rel=0.005)
    # by hand: 324 m² × GCR 0.437 = 141.6 m² of modules, i.e. 70.8 modules of 2.0 m² at
    # 420 W (21 % efficient, 0.21 kWp per m² of module) = 29.7 kWp
    assert b1["pv_kwp"] == pytest.approx(70.8 * 0.420, rel=0.005)
    # every pixel suitable: yield = kWp × mean irradiation × PR
    assert b1["pv_kwh_year"] == pytest.approx(b1["pv_kwp"] * b1["pv_poa_kwh_m2"] * PR, rel=0.005)
    # nearly what an open roof with the same rows gets (the nearest tall roof is 60 m away)
    lat, lon = 39.09, 117.0  # the scene's centre (EPSG:4548 x = 500 km is 117° E)
    sun = sun_sample_clearsky(lat, lon, step_minutes=STEP_MINUTES)
    opts = SolarOptions(layout=make_layout("rows", latitude_deg=lat))
    plate = float(irradiation(np.full((9, 9), 5.0, np.float32), sun, res=RES,
                              opts=opts)["poa_kwh_m2"][4, 4])
    assert b1["pv_poa_kwh_m2"] == pytest.approx(plate, rel=0.03)
    assert b1["nea_class"] == "government"


def test_north_facing_45_roof_unsuitable(fields: gpd.GeoDataFrame) -> None:
    assert fields.loc["B2", "pv_suitable_area_m2"] == 0.0
    assert fields.loc["B2", "pv_kwh_year"] == 0.0
    assert np.isnan(fields.loc["B2", "pv_specific_yield"])


def test_south_facing_45_roof_counts_its_surface(fields: gpd.GeoDataFrame) -> None:
    b3 = fields.loc["B3"]
    inner = (20.0 - 2 * SETBACK) ** 2
    assert b3["pv_suitable_area_m2"] == pytest.approx(inner)
    assert b3["pv_layout"] == "flush"
    surface = inner / math.cos(math.radians(45.0))  # modules lie in the roof plane
    assert b3["pv_kwp"] == pytest.approx(surface * DEFAULTS["flush_fill"] * DENSITY, rel=1e-5)
    assert b3["pv_specific_yield"] > fields.loc["B1", "pv_specific_yield"] * 0.9


def test_pitched_roof_yield_by_hand(fields: gpd.GeoDataFrame) -> None:
    """B3: a 20 m square roof sloping 45° to the south, nothing near it.

    Modules flush on the 18 × 18 m left inside the setback: 324 / cos 45° = 458.2 m² of roof
    surface × 0.9 fill × 0.21 kWp per m² of module = 86.6 kWp; yield = kWp × the annual
    irradiation of an open 45° south plane (the same sky transposed by
    :func:`gis.solar_sky.plane_poa`, which the sky tests check against pvlib) × PR 0.8.
    """
    b3 = fields.loc["B3"]
    surface = (20.0 - 2 * SETBACK) ** 2 / math.cos(math.radians(45.0))
    kwp = surface * DEFAULTS["flush_fill"] * DENSITY
    assert b3["pv_kwp"] == pytest.approx(kwp, rel=1e-5)
    assert b3["pv_kwp"] == pytest.approx(86.6, abs=0.1)
    sun = sun_sample_clearsky(39.09, 117.0, step_minutes=STEP_MINUTES)
    poa = plane_poa(sun, 45.0, 180.0, albedo=DEFAULTS["albedo"],
                    min_elevation_deg=DEFAULTS["min_sun_elevation_deg"])
    assert b3["pv_kwh_year"] == pytest.approx(kwp * poa * PR, rel=0.01)


def test_low_roof_north_of_tall_block_partly_unsuitable(
    built: Project, fields: gpd.GeoDataFrame
) -> None:
    with rasterio.open(built.build_dir / "solar_irradiation.tif") as ds:
        ratio = ds.read(2)[40:60, 10:20]
    # the unshaded ratio falls towards the block (south)
    col = ratio[:, 5]
    assert (np.diff(col) <= 1e-6).all() and col[0] > col[-1]
    # the 1 m setback keeps half of each edge pixel (a quarter of a corner one)
    frac = np.ones(ratio.shape)
    frac[[0, -1], :] *= 0.5
    frac[:, [0, -1]] *= 0.5
    expected = float((frac * (ratio >= DEFAULTS["min_unshaded_ratio"])).sum()) * RES * RES
    b4 = fields.loc["B4"]
    assert 0.0 < b4["pv_suitable_area_m2"] < 400.0
    assert b4["pv_suitable_area_m2"] == pytest.approx(expected)


def test_small_roof_below_patch_rule(fields: gpd.GeoDataFrame) -> None:
    assert fields.loc["B6", "roof_area_m2"] == pytest.approx(8.0)
    assert fields.loc["B6", "pv_suitable_area_m2"] == 0.0


def test_patch_rule_is_a_parameter(tmp_path: Path) -> None:
    project = _write_project(tmp_path, params="min_patch_m2 = 5.0\nsetback_m = 0.0\n")
    build_step(project)
    b6 = Project(project.root).store.read("buildings").set_index("id").loc["B6"]
    assert b6["pv_suitable_area_m2"] == pytest.approx(8.0)


def test_roof_irradiation_agrees_with_exactextract(
    built: Project, fields: gpd.GeoDataFrame
) -> None:
    exactextract = pytest.importorskip("exactextract")
    frame = fields.reset_index()
    ref = exactextract.exact_extract(
        str(built.build_dir / "solar_irradiation.tif"), frame[["geometry"]], ["mean"],
        output="pandas",
    )  # one row per feature, in order; band 1 is the annual irradiation
    ours = frame["pv_poa_kwh_m2"].to_numpy()
    np.testing.assert_allclose(ours, ref.filter(like="band_1").iloc[:, 0], rtol=0.005)
    # the offset footprint takes partial ground pixels: below B1's value
    assert fields.loc["B7", "pv_poa_kwh_m2"] != pytest.approx(fields.loc["B1", "pv_poa_kwh_m2"])


def test_nea_classes() -> None:
    frame = gpd.GeoDataFrame({"use": ["government", "hospital", "warehouse", "residential"]})
    assert nea_classes(frame).tolist() == ["government", "public", "industry_commerce", "other"]
    mine = nea_classes(frame, uses={"public": ["residential"]})
    assert mine.tolist() == ["other", "other", "other", "public"]


def _records(project: Project, **params: Any) -> dict[tuple[str, str], Any]:
    spec = IndicatorSpec(id="X", title="t", kind="pv", unit="%", params=params)
    recs = compute_records(project, year=2025, catalog=Catalog([spec]))
    return {(r.level, r.zone_code): r for r in recs}


NEW_PUBLIC_OR_INDUSTRY = {
    "where": {"built_year": {">=": 2021}},
    "where_any": [{"public_institution": True}, {"use": "industrial"}],
}


def test_tj_pv50_coverage_by_hand(built: Project) -> None:
    # new public or industrial: B1 (400 m², PV 200), B2 (400, 0), B3 (400, 100), B6 (8, 0)
    res = _records(built, **NEW_PUBLIC_OR_INDUSTRY)
    assert res[("district", "D")].value == pytest.approx(100 * 300 / 1208, abs=0.01)
    # C1: B1, B2 → 200 / 800; C2: B3, B6 → 100 / 408
    assert res[("community", "C1")].value == pytest.approx(25.0)
    assert res[("community", "C2")].value == pytest.approx(100 * 100 / 408, abs=0.01)
    assert "buildings_with_pv: 2" in res[("district", "D")].detail
    count = _records(built, measure="count_share", **NEW_PUBLIC_OR_INDUSTRY)
    assert count[("district", "D")].value == pytest.approx(50.0)


def test_nea_suitable_share_and_sums(built: Project, fields: gpd.GeoDataFrame) -> None:
    res = _records(built, measure="suitable_share", nea_class="public")
    # public: B3 (400 of 400 suitable) and B7 (offset, 400 m² roof)
    b7 = fields.loc["B7"]
    expected = 100 * (fields.loc["B3", "pv_suitable_area_m2"] + b7["pv_suitable_area_m2"]) / 800.0
    assert res[("district", "D")].value == pytest.approx(expected, abs=0.01)
    kwh = _records(built, measure="kwh_year")
    assert kwh[("district", "D")].value == pytest.approx(fields["pv_kwh_year"].sum(), rel=1e-3)


def test_rank_roofs(built: Project, fields: gpd.GeoDataFrame) -> None:
    # by default roofs already fitted (B1, B3, B5 carry pv_area_m2) and historic buildings
    # (B7, built 1990 < heritage_year 1995 here) are left out
    ranked = rank_roofs(built, top=3)
    free = fields.drop(index=["B1", "B3", "B5", "B7"])
    best = free.loc[free["pv_kwh_year"] > 0, "pv_kwh_year"].sort_values(ascending=False)
    assert ranked["id"].tolist() == best.index[:3].tolist()
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    every = rank_roofs(built, top=10, include_existing=True, include_historic=True)
    assert every["id"].tolist() == (
        fields.loc[fields["pv_kwh_year"] > 0, "pv_kwh_year"].sort_values(ascending=False)
        .index.tolist()
    )
    gov = rank_roofs(built, top=5, nea_class="government", include_existing=True)
    assert gov["id"].tolist() == ["B1"]
    assert rank_roofs(built, top=5, nea_class="government").empty  # B1 has PV already
    with pytest.raises(ManifestError, match="unknown NEA class"):
        rank_roofs(built, top=3, nea_class="palace")


def test_without_dsm(tmp_path: Path) -> None:
    project = _write_project(tmp_path, with_dsm=False)
    summary = build_step(project)  # bilingual (layers.labels.bilingual_note)
    assert note_label(summary, "en").startswith("skipped: no DSM raster")
    assert note_label(summary, "zh").startswith("已跳过：没有 DSM 栅格")
    with pytest.raises(StoreError, match="field roof_area_m2"):
        rank_roofs(project, top=3)
    # coverage needs no DSM
    res = _records(project, **NEW_PUBLIC_OR_INDUSTRY)
    assert res[("district", "D")].value == pytest.approx(100 * 300 / 1208, abs=0.01)
    no = _records(project, measure="suitable_share")
    assert no[("district", "D")].status == "no-data"


def test_cli_pv_outputs(
    built: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fixtures.i18n import has_chinese, has_english_word, header_cells, two_language_cells

    from peakmap.cmd_site_pv import PvFormat, pv
    from peakmap.console import Lang

    def run(**kw: Any) -> None:
        args: dict[str, Any] = {
            "top": 2, "nea_class": None, "tj_pv50": False, "with_existing": False,
            "with_historic": False, "by": None, "format": PvFormat.table, "out": None,
        }
        pv(built.root, **{**args, **kw})

    run()  # one language a cell: Chinese by default, English with --lang en
    table = capsys.readouterr().out
    assert "年发电量" in table and "annual yield" not in table and "[params.pv]" in table
    assert "街道" in table and "GCJ-02" in table and "天空：pvlib Ineichen" in table
    assert "sky:" not in table and not two_language_cells(table)
    assert not [h for h in header_cells(table) if has_english_word(h)]
    run(lang=Lang.en)
    table = capsys.readouterr().out
    assert "annual yield" in table and "年发电量" not in table and "sky: pvlib Ineichen" in table
    assert not [h for h in header_cells(table) if has_chinese(h)]
    out = tmp_path / "top.geojson"
    run(format=PvFormat.geojson, out=out, with_existing=True)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == 2
    x, y = shapely.geometry.shape(data["features"][0]["geometry"]).centroid.coords[0]
    assert 116 < x < 118 and 38 < y < 40  # WGS84
    assert "2 个屋顶 → " in capsys.readouterr().out  # the summary line in --lang (zh default)
    run(format=PvFormat.geojson, out=out, with_existing=True, lang=Lang.en)
    assert "2 roofs → " in capsys.readouterr().out
    run(top=5, nea_class="government", with_existing=True, format=PvFormat.csv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("1,B1,government,True,True,False,S,街,C1,一,")
    run(by="street", format=PvFormat.csv)
    zones = capsys.readouterr().out.splitlines()
    assert zones[0].startswith("code,name,roofs,roofs_with_pv,historic_roofs,roofs_to_fit,")
    assert zones[1].startswith("S,街,7,3,1,")


def test_pv_catalog_rows(built: Project, fields: gpd.GeoDataFrame) -> None:
    from layers.indicators.catalog import read_catalog

    catalog = read_catalog(Path(__file__).parents[1] / "layers" / "catalogs" / "pv.toml")
    recs = compute_records(built, year=2025, catalog=catalog)
    by = {(r.indicator, r.level, r.zone_code): r for r in recs}
    gov = by[("NEA-PV-GOV", "district", "D")]  # B1 only: 324 of 400 m² suitable (setback)
    assert gov.value == pytest.approx(81.0) and gov.status == "pass" and gov.unit == "%"
    assert "sky: pvlib Ineichen clear sky" in gov.detail + gov.note
    assert "rows 30° S, GCR 0.44" in by[("PV-POT-KWH", "district", "D")].note
    assert by[("NEA-PV-RURAL", "district", "D")].status == "no-data"  # no rural homes
    kwp = by[("PV-POT-KWP", "district", "D")]
    assert kwp.value == pytest.approx(fields["pv_kwp"].sum(), rel=1e-3)
    assert kwp.status == "no-target"
    c1 = by[("PV-POT-AREA", "community", "C1")].value  # the roofs of B1, B2, B4 and B5
    assert c1 == pytest.approx(fields.loc[["B1", "B2", "B4", "B5"], "pv_suitable_area_m2"].sum(),
                               rel=1e-3)


def test_pv_record_notes_chinese_first(built: Project) -> None:
    """A Chinese page shows every PV record's note in Chinese, the sky used and the layout
    (GCR and pitch as worked out by hand above), and an English page the English one."""
    import re

    from layers.indicators.catalog import read_catalog
    from layers.labels import note_label

    catalog = read_catalog(Path(__file__).parents[1] / "layers" / "catalogs" / "pv.toml")
    recs = [r for r in compute_records(built, year=2025, catalog=catalog) if r.status != "no-data"]
    with_sky = [r for r in recs if "sky" in (r.note or "")]
    assert {r.indicator for r in with_sky} >= {"NEA-PV-GOV", "PV-POT-KWP", "PV-POT-KWH"}
    pitch = 2 / HAND_GCR  # 4.57 m
    for r in with_sky:
        zh, en = note_label(r.note, "zh"), note_label(r.note, "en")
        assert zh.startswith("天空：pvlib Ineichen 晴空 × 晴朗指数 0.76，Erbs 直散分离，"), zh
        assert f"平屋顶：南向阵列 倾角 30°，GCR {HAND_GCR:.2f}，排间距 {pitch:.1f} m" in zh
        assert not re.search(r"\b(sky|flat roofs|setback|clear)\b", zh), zh
        assert en.startswith("sky: pvlib Ineichen clear sky × clearness 0.76, Erbs split")
        assert f"flat roofs: rows 30° S, GCR {HAND_GCR:.2f}" in en
        assert not re.search(r"[\u4e00-\u9fff]", en), en


def test_weather_csv_replaces_clear_sky(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "raw").mkdir()
    import pvlib

    local = pd.date_range("2023-01-01 00:00", "2023-12-31 23:00", freq="1h")
    mid_utc = (local - pd.Timedelta(hours=8)).tz_localize("UTC") + pd.Timedelta(minutes=30)
    zen = pvlib.solarposition.get_solarposition(mid_utc, 39.09, 117.0)["apparent_zenith"]
    ghi = np.clip(700.0 * np.cos(np.radians(zen.to_numpy())), 0, None)  # W/m², hourly means
    pd.DataFrame({"time": local.strftime("%Y-%m-%dT%H:%M"), "ghi": ghi}).to_csv(
        tmp_path / "raw" / "weather.csv", index=False
    )
    project = _write_project(tmp_path / "p", params='weather_csv = "../raw/weather.csv"\n')
    from gis import InputFileError

    with pytest.raises(InputFileError, match="outside the project"):
        build_step(project)
    (tmp_path / "p" / "raw").mkdir()
    (tmp_path / "raw" / "weather.csv").rename(tmp_path / "p" / "raw" / "weather.csv")
    project = _write_project(tmp_path / "q", params='weather_csv = "raw/nope.csv"\n')
    with pytest.raises(InputFileError, match=r"raw/nope\.csv"):
        build_step(project)
    (tmp_path / "p" / "project.toml").write_text(
        (tmp_path / "p" / "project.toml").read_text(encoding="utf-8").replace("../raw", "raw"),
        encoding="utf-8",
    )
    summary = note_label(build_step(Project(tmp_path / "p")), "en")
    expected = ghi.sum() / 1000.0  # kWh/m² of the file
    got = float(summary.split(" kWh/m² GHI")[0].rsplit(" ", 1)[-1].replace(",", ""))
    sky = "sky: CSV weather file raw/weather.csv (8760 records), Perez 1990 transposition"
    assert sky in summary
    assert got == pytest.approx(expected, rel=0.01)
    # the PV step wrote the note in both languages; Chinese pages read the Chinese one
    from layers.rooftop_pv import read_sky_note

    assert read_sky_note(Project(tmp_path / "p")).startswith(sky)
    assert read_sky_note(Project(tmp_path / "p"), "zh").startswith(
        "天空：CSV 气象文件 raw/weather.csv（8760 条记录），Perez 1990 斜面辐照模型，年水平总辐照 ")


@pytest.mark.slow
def test_heping_sample_pv(heping_built: Path) -> None:
    """On the built sample: raster on the DSM grid, PV fields, exactextract agreement."""
    exactextract = pytest.importorskip("exactextract")
    project = Project(heping_built)
    tif = project.build_dir / "solar_irradiation.tif"
    with rasterio.open(project.store.raster_path("dsm")) as dsm, rasterio.open(tif) as out:
        assert (out.width, out.height, out.transform, out.crs) == (
            dsm.width, dsm.height, dsm.transform, dsm.crs
        )
    b = project.store.read("buildings")
    assert (b["pv_suitable_area_m2"] <= b["roof_area_m2"] + 1e-6).all()
    assert b["pv_kwp"].sum() > 0
    ok = b["pv_kwp"] > 0
    # every suitable pixel gets >= 70 % of its plane's unshaded output, and no roof beats an
    # unshaded plane at the best tilt and azimuth under the same sky (independent: plane_poa)
    from gis.solar_sky import plane_poa
    from layers.rooftop_pv import pv_params, sun_for_project

    params = pv_params(project)
    sun = sun_for_project(project, params, project.store.raster_path("dsm"))
    assert "CSWD" in sun.source and "Perez" in sun.source  # the catalog's Tianjin sky
    best = max(plane_poa(sun, t, a) for t in range(0, 61, 5) for a in range(90, 271, 15))
    top = best * float(params["performance_ratio"])
    # a well-tilted unshaded plane at 39° N gains 10–25 % over the horizontal (1,355 kWh/m²
    # GHI of the CSWD year, diffuse fraction 0.42: 1,595 kWh/m², 1,276 kWh/kWp at PR 0.80)
    assert 1.10 < best / sun.annual_ghi_kwh < 1.25
    # the NREL rule's floor: 70 % of the worst plane it admits (tilt 60°, 67.5° off north)
    worst = min(plane_poa(sun, 60, a) for a in (67.5, 90, 270, 292.5))
    floor = float(params["min_unshaded_ratio"]) * worst * float(params["performance_ratio"])
    assert b.loc[ok, "pv_specific_yield"].between(floor, top * 1.005).all()
    ref = exactextract.exact_extract(str(tif), b[["geometry"]], ["mean"], output="pandas")
    np.testing.assert_allclose(
        b["pv_poa_kwh_m2"].to_numpy(), ref.filter(like="band_1").iloc[:, 0], rtol=0.005
    )


def test_tj_pv50_count_row(built: Project) -> None:
    from layers.indicators.catalog import read_catalog

    catalog = read_catalog(Path(__file__).parents[1] / "layers" / "catalogs" / "pv.toml")
    recs = compute_records(built, year=2025, catalog=catalog, ids=["TJ-PV50-count"])
    by = {(r.level, r.zone_code): r for r in recs}
    # new public or industrial: B1 (PV), B2, B3 (PV), B6 -> 2 of 4; C1: B1, B2 -> 1 of 2
    assert by[("district", "D")].value == pytest.approx(50.0)
    assert by[("community", "C1")].value == pytest.approx(50.0)
    assert by[("district", "D")].status == "no-target"


def test_roof_flags_and_where(built: Project, fields: gpd.GeoDataFrame) -> None:
    t = roof_table(built).set_index("id")
    # PV already: the buildings with pv_area_m2 > 0
    assert sorted(t.index[t["has_pv"]]) == ["B1", "B3", "B5"]
    # TJ-PV50's population: built since 2021 and public institution or industrial
    assert sorted(t.index[t["tj_pv50"]]) == ["B1", "B2", "B3", "B6"]
    # historic: built before heritage_year 1995 (B7, 1990)
    assert sorted(t.index[t["historic"]]) == ["B7"]
    assert t.loc["B1", "community_name"] == "一" and t.loc["B3", "community_code"] == "C2"
    assert (t["street_name"] == "街").all()
    # B1's centre (x 500030, y 4330290 in EPSG:4548, CM 117° E) in WGS84 and GCJ-02
    from pyproj import Transformer

    from gis.crs import wgs84_to_gcj02

    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(
        X0 + 15 * RES, TOP - 15 * RES
    )
    assert t.loc["B1", "lon_wgs84"] == pytest.approx(lon, abs=1e-6)
    assert t.loc["B1", "lat_wgs84"] == pytest.approx(lat, abs=1e-6)
    glon, glat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    assert t.loc["B1", "lon_gcj02"] == pytest.approx(float(glon[0]), abs=1e-6)
    assert t.loc["B1", "lat_gcj02"] == pytest.approx(float(glat[0]), abs=1e-6)
    assert t.loc["B1", "lat_gcj02"] - t.loc["B1", "lat_wgs84"] > 1e-4  # the GCJ-02 offset


def test_protection_flag_marks_historic(tmp_path: Path) -> None:
    project = _write_project(tmp_path)
    b = project.store.read("buildings")
    b["protected"] = [0, 0, 0, 1, 0, 0, 0]  # B4 is a listed building (0 = no, as in a DBF)
    project.store.write_layers({"buildings": b})
    build_step(project)
    t = roof_table(Project(project.root)).set_index("id")
    assert sorted(t.index[t["historic"]]) == ["B4", "B7"]


def test_potential_per_zone_by_hand(built: Project, fields: gpd.GeoDataFrame) -> None:
    # roofs to fit: suitable, no PV yet (not B1, B3, B5), not historic (not B7)
    fit = fields.loc[["B2", "B4", "B6"]]
    fit = fit[fit["pv_kwp"] > 0]
    street = potential_by_zone(built, level="street").set_index("code").loc["S"]
    assert street["roofs"] == 7 and street["roofs_with_pv"] == 3
    assert street["historic_roofs"] == 1 and street["roofs_to_fit"] == len(fit)
    assert street["kwp"] == pytest.approx(fit["pv_kwp"].sum())
    assert street["mwh_year"] == pytest.approx(fit["pv_kwh_year"].sum() / 1000.0)
    factor = DEFAULTS["grid_emission_factor_t_per_mwh"]
    assert street["tco2_year"] == pytest.approx(street["mwh_year"] * factor)
    comm = potential_by_zone(built, level="community").set_index("code")
    assert comm["kwp"].sum() == pytest.approx(street["kwp"])
    assert comm.loc["C1", "street_name"] == "街"
    with pytest.raises(ManifestError, match="unknown level"):
        potential_by_zone(built, level="district")


def test_build_on_a_dask_cluster_equals_one_process(
    built: Project, fields: gpd.GeoDataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PEAKMAP_DASK_SCHEDULER=local:2 and 64 px tiles: the same raster and roof figures."""
    from gis.tasks import SCHEDULER_ENV

    monkeypatch.setenv(SCHEDULER_ENV, "local:2")
    project = _write_project(tmp_path, params="tile_px = 64\n")
    summary = build_step(project)
    assert "9 tiles on 2 worker(s)" in summary
    with rasterio.open(built.build_dir / "solar_irradiation.tif") as a, rasterio.open(
        project.build_dir / "solar_irradiation.tif"
    ) as b:
        np.testing.assert_allclose(np.nan_to_num(b.read()), np.nan_to_num(a.read()),
                                   rtol=1e-5, atol=1e-3)
    got = Project(project.root).store.read("buildings").set_index("id")
    for col in ("pv_suitable_area_m2", "pv_kwp", "pv_kwh_year"):
        np.testing.assert_allclose(got[col], fields[col], rtol=1e-5)


def test_monthly_climatology_of_params_is_the_sky(tmp_path: Path) -> None:
    """[params.pv] monthly_ghi_kwh_m2 is the sky near its site; far from it the clear-sky
    fallback is used and the note says why."""
    from layers.rooftop_pv import pv_params, sun_for_project

    ghi = [70, 90, 130, 160, 185, 180, 165, 155, 135, 105, 75, 62]
    table = f"monthly_ghi_kwh_m2 = {ghi}\nmonthly_source = \"test table\"\n"
    near = _write_project(tmp_path / "near",
                          params=table + "monthly_site_lat_lon = [39.1, 117.2]\n")
    sun = sun_for_project(near, pv_params(near), near.build_dir / "dsm.tif")
    assert sun.annual_ghi_kwh == pytest.approx(sum(ghi), rel=1e-6)
    assert "monthly climatology of [params.pv] monthly_ghi_kwh_m2 (test table)" in sun.source
    far = _write_project(tmp_path / "far",
                         params=table + "monthly_site_lat_lon = [31.2, 121.5]\n")
    sun = sun_for_project(far, pv_params(far), far.build_dir / "dsm.tif")
    assert sun.source.startswith("pvlib Ineichen clear sky")
    assert "[31.2, 121.5], more than 1°" in sun.source
    assert sun.meta["source_zh"] == (
        "pvlib Ineichen 晴空 × 晴朗指数 0.76，Erbs 直散分离，Perez 1990 斜面辐照模型"
        "（[params.pv] 的月气候表适用于 [31.2, 121.5]，与本 DSM 相距超过 1°，未采用）")
    bad = _write_project(tmp_path / "bad", params="monthly_ghi_kwh_m2 = [1, 2]\n")
    with pytest.raises(ManifestError, match="monthly_ghi_kwh_m2"):
        sun_for_project(bad, pv_params(bad), bad.build_dir / "dsm.tif")


def _walk(table: dict) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in table.items():
        out.extend(_walk(value) if isinstance(value, dict) else [(key, value)])
    return out


def test_every_pv_sky_note_is_made_in_both_languages() -> None:
    """For every sky the PV step can use, every transposition and every layout, the note is
    made in Chinese (no English words on a Chinese page: model and product names, units,
    codes and file names aside) and in English (no Chinese), from the same values."""
    import re
    import tomllib

    from gis.solar_layout import make_layout
    from layers.indicators.catalog import PACKAGED_DIR
    from layers.rooftop_pv_note import (
        TRANSPOSITION_LABELS,
        far_remark,
        sky_note,
        sky_source,
        with_transposition,
    )

    params = dict(_walk(tomllib.loads((PACKAGED_DIR / "pv.toml").read_text("utf-8"))))
    assert params["monthly_source_zh"]  # the catalog's cited source has its Chinese words
    skies = [
        (sky_source("monthly_params", params), ("", "")),
        (sky_source("monthly_file", params, name="climate/tianjin.csv", cited=""), ("", "")),
        (sky_source("weather", params, fmt="EPW", name="tianjin.epw", records=8760), ("", "")),
        (sky_source("clear_sky", params, clearness=0.76), far_remark([39.1, 117.2], 1.0)),
    ]
    layouts = [make_layout(k, latitude_deg=39.1) for k in ("rows", "east_west", "flat")]
    allowed = {"pvlib", "Ineichen", "Erbs", "Perez", "Hay-Davies", "CSWD", "GCR",
               "EPW", "epw", "tianjin", "csv", "toml", "climate", "params",
               "monthly_ghi_kwh_m2", "DSM"}
    for (zh, en), tail in skies:
        for model, (_, trans_en) in TRANSPOSITION_LABELS.items():
            for layout in layouts:
                note_zh, note_en = sky_note(
                    (with_transposition(zh, model, tail[0]), f"{en}, {trans_en}{tail[1]}"),
                    ghi_kwh=1514.0, diffuse_fraction=0.4, layout=layout, flush_fill=0.9,
                    setback_m=1.0)
                words = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}", note_zh)
                         if w not in allowed and not w.startswith("kWh")}
                assert not words, (note_zh, words)
                assert not re.search(r"[\u4e00-\u9fff]", note_en), note_en
                assert note_en.startswith("sky: ") and note_zh.startswith("天空：")
