"""Tests of the Heping sample generator (``peakmap sample``).

The aims are checked on the raw files as a planner would read them (plain pyogrio /
geopandas / shapely, converting GCJ-02 and GBK by hand), not through the generator's own
bookkeeping, so a writer bug or a wrong CRS shows up here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
import typer
from typer.testing import CliRunner

from gis import InputFileError
from gis.crs import gcj02_to_wgs84
from layers.indicators.catalog import read_catalog
from layers.manifest import load_manifest
from layers.schema import CANONICAL
from peakmap import cmd_sample
from sample import DISTRICT_STEPS, WRITE_STEPS, generate_district, generate_sample
from sample.outline import STREETS, outline_metric, outline_wgs84
from sample.project_files import CATALOG_DIR, REPORTED_SOURCE, copy_catalogs

REPO = Path(__file__).resolve().parents[1]
METRIC = "EPSG:4548"
AS_OF = 2025


@pytest.fixture(scope="module")
def run_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_a")
    generate_sample(out, seed=42)
    return out


@pytest.fixture(scope="module")
def run_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_b")
    generate_sample(out, seed=42)
    return out


TICKS: list[str] = []


@pytest.fixture(scope="module")
def run_scaled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_s")
    generate_sample(out, seed=3, scale=2, progress=TICKS.append)
    return out


def _manifest_layers(out: Path) -> dict[str, gpd.GeoDataFrame]:
    """Read every declared layer by hand into EPSG:4548 with canonical field names."""
    man = load_manifest(out)
    result = {}
    for name, src in man.layers.items():
        path = out / src.path
        rename = {v: k for k, v in src.fields.items()}
        if path.suffix == ".csv":
            keep = {src.x: float, src.y: float}
            table = pd.read_csv(path, encoding="utf-8", dtype=str).astype(keep)
            lon, lat = gcj02_to_wgs84(table[src.x].to_numpy(), table[src.y].to_numpy())
            gdf = gpd.GeoDataFrame(
                table.drop(columns=[src.x, src.y]), geometry=gpd.points_from_xy(lon, lat),
                crs="EPSG:4326",
            )
        elif path.suffix == ".zip":
            gdf = pyogrio.read_dataframe(f"/vsizip/{path}", encoding=src.encoding)
        else:
            gdf = pyogrio.read_dataframe(path, layer=src.layer)
        result[name] = gdf.rename(columns=rename).to_crs(METRIC)
    return result


@pytest.fixture(scope="module")
def layers_a(run_a: Path) -> dict[str, gpd.GeoDataFrame]:
    return _manifest_layers(run_a)


def _files(out: Path) -> dict[str, bytes]:
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "raw").iterdir()}
    for name in ("project.toml", "targets.toml", "reported.csv", "SOURCE.md"):
        files[name] = (out / name).read_bytes()
    return files


# ---------------------------------------------------------------- real part and formats


def test_outline_area_is_the_real_one() -> None:
    assert outline_metric().area == pytest.approx(10.02e6, abs=0.01e6)
    # left in GCJ-02 the outline would sit about 560 m north-east of the truth
    gcj = shapely.Polygon(
        np.asarray(
            gpd.read_file(REPO / "sample/heping_outline_gcj02.geojson")
            .geometry.iloc[0].exterior.coords
        )
    )
    shift = shapely.centroid(gpd.GeoSeries([gcj, outline_wgs84()], crs=4326).to_crs(METRIC))
    assert 450 < shift.iloc[0].distance(shift.iloc[1]) < 650


def test_same_seed_gives_identical_bytes(run_a: Path, run_b: Path) -> None:
    a, b = _files(run_a), _files(run_b)
    assert sorted(a) == sorted(b)
    assert len(a) == 18  # 14 raw files + manifest, catalog, reported values, SOURCE.md
    for name in a:
        assert a[name] == b[name], name


def test_committed_sample_is_the_seed_42_output(run_a: Path) -> None:
    committed = REPO / "data/heping"
    a, c = _files(run_a), _files(committed)
    assert sorted(a) == sorted(c)
    for name in a:
        assert a[name] == c[name], f"data/heping/{name} is stale: run `peakmap sample`"


def test_repository_keeps_one_copy_of_catalogs_and_outline() -> None:
    """data/heping includes the packaged catalogs instead of holding copies of them."""
    committed = REPO / "data/heping"
    assert sorted(p.name for p in committed.glob("*.toml")) == ["project.toml", "targets.toml"]
    assert [p.name for p in committed.glob("*.csv")] == ["reported.csv"]
    outlines = [p.relative_to(REPO).as_posix() for d in ("data", "gis", "layers", "sample")
                for p in (REPO / d).rglob("heping_outline_gcj02.geojson")]
    assert outlines == ["sample/heping_outline_gcj02.geojson"]


def test_different_seed_differs(run_a: Path, run_scaled: Path) -> None:
    a = pyogrio.read_dataframe(run_a / "raw/buildings_cgcs2000.gpkg")
    s = pyogrio.read_dataframe(run_scaled / "raw/buildings_cgcs2000.gpkg")
    s0 = s[s["id"].str.startswith("120101")]
    assert len(a) != len(s0) or not a.geometry.geom_equals(s0.geometry).all()
    # the real part does not depend on the seed
    da = pyogrio.read_dataframe(run_a / "raw/admin_landuse_cgcs2000_gk117.gpkg", layer="区界")
    ds = pyogrio.read_dataframe(run_scaled / "raw/admin_landuse_cgcs2000_gk117.gpkg",
                                layer="区界")
    assert da.geometry.iloc[0].equals_exact(ds.geometry.iloc[0], 1e-6)


def test_manifest_declares_every_canonical_layer(run_a: Path) -> None:
    man = load_manifest(run_a)
    assert set(man.layers) == set(CANONICAL)
    assert man.project.metric_crs == METRIC
    for src in man.layers.values():
        assert (run_a / src.path).is_file()
    assert (run_a / man.rasters["dsm"].path).is_file()
    assert (run_a / "SOURCE.md").read_text(encoding="utf-8").count("synthetic") >= 2


def test_targets_include_the_packaged_catalogs(run_a: Path) -> None:
    assert sorted(p.name for p in run_a.glob("*.toml")) == ["project.toml", "targets.toml"]
    packaged = read_catalog(CATALOG_DIR / "targets.toml")
    project = read_catalog(run_a / "targets.toml", root=run_a)
    assert [s.id for s in project.indicators] == [s.id for s in packaged.indicators]
    assert project.indicators == packaged.indicators
    assert project.params == packaged.params
    assert project.files[0] == (run_a / "targets.toml").resolve()
    assert project.files[1:] == packaged.files
    man = load_manifest(run_a)
    assert man.project.reported == "reported.csv"
    assert (run_a / "reported.csv").read_bytes() == REPORTED_SOURCE.read_bytes()


def test_copy_catalogs_writes_editable_copies(tmp_path: Path) -> None:
    copied = copy_catalogs(tmp_path)
    assert {p.name for p in copied} == {p.name for p in CATALOG_DIR.glob("*.toml")}
    assert {"targets.toml", "tianjin.toml", "standards.toml", "pv.toml", "departments.toml"} <= {
        p.name for p in copied}
    for p in copied:
        assert p.read_bytes() == (CATALOG_DIR / p.name).read_bytes()
    own = read_catalog(tmp_path / "targets.toml")
    assert own.files[0] == (tmp_path / "targets.toml").resolve()
    assert all(f.parent == tmp_path.resolve() for f in own.files)  # nothing read from the package
    assert len(own.indicators) == len(read_catalog(CATALOG_DIR / "targets.toml").indicators)


def test_raw_files_crs_and_encodings(run_a: Path) -> None:
    raw = run_a / "raw"
    admin = raw / "admin_landuse_cgcs2000_gk117.gpkg"
    assert {n for n, _ in pyogrio.list_layers(admin)} == {"区界", "街道界", "社区界", "用地现状"}
    assert pyogrio.read_info(admin, layer="街道界")["crs"] == "EPSG:4548"
    assert pyogrio.read_info(raw / "buildings_cgcs2000.gpkg")["crs"] == "EPSG:4490"
    for name in ("green_spaces", "streetlights", "roads"):
        b = pyogrio.read_dataframe(raw / f"{name}.geojson").total_bounds
        assert 117.1 < b[0] < b[2] < 117.3 and 39.0 < b[1] < b[3] < 39.2

    # the CSV is UTF-8 with Chinese headers; its coordinates are GCJ-02
    text = (raw / "recycling_points_amap.csv").read_bytes().decode("utf-8")
    assert text.splitlines()[0] == "编号,名称,类型,社区代码,开业年份,状态,lng,lat"
    table = pd.read_csv(raw / "recycling_points_amap.csv")
    lon, lat = gcj02_to_wgs84(table["lng"].to_numpy(), table["lat"].to_numpy())
    outline = outline_wgs84()
    assert shapely.contains_xy(outline, lon, lat).all()
    # unconverted, a good share of them would fall outside (the offset is ≈ 560 m)
    assert not shapely.contains_xy(outline, table["lng"], table["lat"]).all()

    # the zipped Shapefile: GBK bytes in the .dbf, no .cpg
    with zipfile.ZipFile(raw / "heating_pipes.zip") as zf:
        names = zf.namelist()
        dbf = zf.read("heating_pipes.dbf")
    assert sorted(Path(n).suffix for n in names) == [".dbf", ".prj", ".shp", ".shx"]
    assert "敷设年份".encode("gbk") in dbf
    assert "一级网".encode("gbk") in dbf
    assert "一级网".encode() not in dbf
    with pytest.raises(UnicodeDecodeError):
        dbf.decode("utf-8")

    with rasterio.open(raw / "dsm_2m_cgcs2000.tif") as ds:
        assert ds.crs.to_epsg() == 4548
        assert ds.res == (2.0, 2.0)
        assert ds.dtypes[0] == "float32"
        assert ds.profile["compress"] == "deflate" and ds.profile["tiled"]
        assert ds.bounds.left <= outline_metric().bounds[0]
        assert ds.bounds.top >= outline_metric().bounds[3]
        dsm = ds.read(1)
    assert dsm.min() >= 3.0 and np.percentile(dsm, 20) <= 5.0 and dsm.max() < 160.0


def test_all_geometries_valid_and_inside(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    district = layers_a["districts"].geometry.iloc[0].buffer(1.0)
    for name, gdf in layers_a.items():
        assert gdf.is_valid.all(), name
        assert gdf.within(district).all(), name
        assert set(CANONICAL[name].required) <= set(gdf.columns), name
        if "id" in gdf.columns:
            assert gdf["id"].is_unique, name


# ---------------------------------------------------------------- zones


def test_zones(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    d, st, co = layers_a["districts"], layers_a["streets"], layers_a["communities"]
    assert d["code"].tolist() == ["120101"] and d["name"].tolist() == ["和平区"]
    assert dict(zip(st["code"], st["name"], strict=True)) == {s.code: s.name for s in STREETS}
    outline = d.geometry.iloc[0]
    assert st.union_all().symmetric_difference(outline).area < 1.0
    assert st.area.sum() == pytest.approx(outline.area, abs=1.0)
    assert len(co) == 64
    counts = co.groupby("street_code").size().to_dict()
    assert counts == {s.code: s.communities for s in STREETS}
    assert all(c.startswith(s) and len(c) == 12 for c, s in zip(co["code"], co["street_code"],
                                                                 strict=True))
    assert co.area.sum() == pytest.approx(outline.area, abs=1.0)
    # households of a community = households of the residential buildings inside it
    b = layers_a["buildings"]
    pts = b.set_geometry(b.representative_point())
    joined = gpd.sjoin(pts, co[["code", "geometry"]], predicate="within")
    per = joined.groupby("code")["households"].sum()
    assert (co.set_index("code")["households"] == per.reindex(co["code"]).fillna(0)).all()
    ratio = co["population"] / co["households"].where(co["households"] > 0)
    assert ratio.dropna().between(2.3, 2.7).all()


# ---------------------------------------------------------------- aims of sample-city.md


def test_buildings(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    b = layers_a["buildings"]
    assert 6000 <= len(b) <= 9000
    assert b["floors"].between(2, 30).all()
    assert b["built_year"].between(1900, 2024).all()
    assert set(b["use"]) >= {"residential", "school", "hospital", "commercial", "government",
                             "industrial"}
    # floor area = footprint × floors (footprint measured here after reprojection from 4490)
    np.testing.assert_allclose(b["floor_area_m2"], b.area * b["floors"], rtol=2e-3)
    res = b[b["use"] == "residential"]
    # households ≈ floor area / 80–100 m², rounded to whole homes
    fa, hh = res["floor_area_m2"], res["households"]
    assert ((hh >= fa / 100.0 - 0.5) & (hh <= fa / 80.0 + 0.5) & (hh >= 1)).all()
    assert b.loc[b["use"] != "residential", "households"].isna().all()
    assert (b["height_m"] > b["floors"] * 2.7).all()
    assert b["large_mall"].sum() > 5 and (b["green_mall"] <= b["large_mall"]).all()
    # installed rooftop PV (TJ-PV50): on some new public/industrial roofs, never beyond the roof
    assert (b["pv_area_m2"] <= b.area * 0.81).all()
    new_pub = b[(b["built_year"] >= 2021) & (b["public_institution"] | (b["use"] == "industrial"))]
    assert 0.1 < (new_pub["pv_area_m2"] > 0).mean() < 0.9
    assert b["public_institution"].eq(
        b["use"].isin(["government", "public", "school", "hospital"])
    ).all()


def test_green_area_hp04(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    g, p = layers_a["green_spaces"], layers_a["pocket_parks"]
    assert set(g["class"]) <= set(CANONICAL["green_spaces"].field("class").choices or ())
    counted = pd.concat([g[g["class"] != "G3"].geometry, p[p["status"] == "existing"].geometry])
    district = layers_a["districts"].geometry.iloc[0]
    area = shapely.intersection(shapely.union_all(counted.to_numpy()), district).area
    assert 1.55e6 <= area <= 1.60e6
    names = set(g["name"].dropna())
    assert {"中心公园", "睦南公园", "南市公园", "五大道公园", "海河带状公园"} <= names
    assert p["status"].value_counts().to_dict() == {"existing": 14, "planned": 3}


def test_sponge_share_hp18(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    lu, sz, st = layers_a["landuse"], layers_a["sponge_zones"], layers_a["streets"]
    assert lu["built_up"].eq(lu["code"] != "E").all()
    built = lu[lu["built_up"]].union_all()
    comp = sz[sz["compliant"]].union_all()
    assert 0.40 <= comp.intersection(built).area / built.area <= 0.45
    shares = [comp.intersection(s.intersection(built)).area / s.intersection(built).area
              for s in st.geometry]
    assert sum(s > 0.5 for s in shares) == 2
    assert (sz["compliant"] == (sz["runoff_control_rate"] >= sz["target_rate"])).all()
    district = layers_a["districts"].union_all()
    # zones tile the district (up to the 1 cm rounding of GeoJSON coordinates)
    assert sz.union_all().symmetric_difference(district).area < 1e-5 * district.area


def test_recycling(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    r, co, st = layers_a["recycling_points"], layers_a["communities"], layers_a["streets"]
    j = gpd.sjoin(r, co[["code", "street_code", "geometry"]].rename(columns={"code": "cc"}),
                  predicate="within")
    assert (j["cc"] == j["community_code"]).all()
    assert j.loc[j["kind"] == "community_point", "cc"].nunique() == 58
    assert j.loc[j["kind"] == "transfer_station", "street_code"].nunique() == 4
    assert j.loc[j["kind"] == "two_network_point", "street_code"].nunique() == 5
    assert (r["kind"] == "sorting_center").sum() >= 1
    assert set(r["kind"]) <= set(CANONICAL["recycling_points"].field("kind").choices or ())
    assert len(st) == 6


def test_street_lights_hp17(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    sl = layers_a["streetlights"]
    assert 5000 <= len(sl) <= 7000
    assert 0.70 <= (sl["lamp_type"] == "LED").mean() <= 0.75
    assert sl["street_code"].notna().all()


def test_heating_pipes_hp_t4(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    hp = layers_a["heating_pipes"]
    length = hp.length
    assert 150e3 <= length.sum() <= 250e3
    old = ((AS_OF - hp["install_year"]) > 30) & hp["renovated_year"].isna()
    assert 0.25 <= length[old].sum() / length.sum() <= 0.35
    assert set(hp["network"]) == {"primary", "secondary"}
    assert hp["管段名称"].str.contains("网").all()


def test_park_access_std_park_500(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    lu, g, p, st = (layers_a[k] for k in ("landuse", "green_spaces", "pocket_parks", "streets"))
    res = lu[lu["code"] == "R"].union_all()
    parks = pd.concat([
        g[g["class"].str.startswith("G1") | (g["class"] == "G3")].geometry,
        p[p["status"] == "existing"].geometry,
    ])
    reach = shapely.union_all(parks.buffer(500.0).to_numpy())
    overall = res.intersection(reach).area / res.area
    assert 0.75 <= overall <= 0.90
    per_street = [res.intersection(s).intersection(reach).area / res.intersection(s).area
                  for s in st.geometry]
    assert min(per_street) < overall - 0.10


def test_landuse_covers_the_district(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    lu = layers_a["landuse"]
    district = layers_a["districts"].geometry.iloc[0]
    assert lu.area.sum() == pytest.approx(district.area, rel=1e-6)
    assert lu.union_all().area == pytest.approx(district.area, rel=1e-6)
    share = lu.assign(a=lu.area).groupby("code")["a"].sum()
    assert share.idxmax() == "R"
    assert {"R", "A", "B", "S", "G", "E"} <= set(share.index)


def test_roads_are_a_walkable_network(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    roads = layers_a["roads"]
    assert roads["walkable"].mean() > 0.9
    graph = nx.Graph()
    for geom, length in zip(roads.geometry, roads.length, strict=True):
        a, b = np.round(geom.coords[0], 2), np.round(geom.coords[-1], 2)
        graph.add_edge(tuple(a), tuple(b), length=length)
    parts = sorted(nx.connected_components(graph), key=len, reverse=True)
    main = graph.subgraph(parts[0])
    assert main.size(weight="length") / graph.size(weight="length") > 0.9
    assert 1 < len(parts) < 40  # a few disconnected pieces, as in real data


def test_lanes_run_between_buildings_and_reach_the_streets(
    layers_a: dict[str, gpd.GeoDataFrame],
) -> None:
    roads, b, lu = layers_a["roads"], layers_a["buildings"], layers_a["landuse"]
    lanes = roads[roads["class"] == "lane"]
    streets = roads[~roads["class"].isin(["lane", "footway"])]
    assert len(lanes) > 500 and lanes["walkable"].all()
    assert lanes["name"].dropna().str.endswith("里").all() and lanes["name"].isna().any()
    # no lane runs through a footprint: not its centre line, nor a 2 m half-width around it
    tree = shapely.STRtree(b.geometry.values)
    li, bi = tree.query(lanes.geometry.values, predicate="intersects")
    assert li.size == 0
    li, bi = tree.query(lanes.buffer(2.0).values, predicate="intersects")
    overlap = shapely.area(shapely.intersection(lanes.buffer(2.0).values[li],
                                                b.geometry.values[bi]))
    assert overlap.max(initial=0.0) < 0.5
    # residential land lies close to a walkable line
    res = lu[lu["code"] == "R"].union_all()
    walk = roads[roads["walkable"]].union_all()
    assert res.intersection(walk.buffer(40.0)).area / res.area > 0.95
    # every lane is noded into a network part that holds a street
    graph = nx.Graph()
    for geom, cls in zip(roads.geometry, roads["class"], strict=True):
        a, c = tuple(np.round(geom.coords[0], 2)), tuple(np.round(geom.coords[-1], 2))
        graph.add_edge(a, c, cls=cls)
    for part in nx.connected_components(graph):
        kinds = {d["cls"] for _, _, d in graph.subgraph(part).edges(data=True)}
        assert "lane" not in kinds or kinds - {"lane", "footway"}
    # street lights and heating mains stay on the streets, not on the lanes
    lights = layers_a["streetlights"]
    near = shapely.STRtree(streets.geometry.values).query(
        lights.geometry.values, predicate="dwithin", distance=16.0
    )
    assert np.unique(near[0]).size == len(lights)


def test_facilities_for_complete_communities(layers_a: dict[str, gpd.GeoDataFrame]) -> None:
    f = layers_a["facilities"]
    assert {"kindergarten", "clinic", "elderly_care", "supermarket", "community_service"} <= set(
        f["type"]
    )


# ---------------------------------------------------------------- scale and CLI


def test_scale_two_copies(run_scaled: Path) -> None:
    lay = _manifest_layers(run_scaled)
    d = lay["districts"]
    assert d["code"].tolist() == ["120101", "120151"]
    assert d.geometry.iloc[0].area == pytest.approx(d.geometry.iloc[1].area, rel=1e-9)
    assert not d.geometry.iloc[0].intersects(d.geometry.iloc[1])
    assert len(lay["streets"]) == 12 and len(lay["communities"]) == 128
    assert lay["streets"]["code"].str[:6].isin(d["code"]).all()
    for name, gdf in lay.items():
        if "id" in gdf.columns:
            assert gdf["id"].is_unique, name
    b = lay["buildings"]
    assert b["id"].str.startswith("120151").sum() > 5000
    assert len(TICKS) == 2 * DISTRICT_STEPS + WRITE_STEPS  # the progress bar ends full
    with rasterio.open(run_scaled / "raw/dsm_2m_cgcs2000.tif") as ds:
        assert ds.bounds.left <= d.total_bounds[0] and ds.bounds.right >= d.total_bounds[2]
        right = ds.read(1, window=ds.window(*d.geometry.iloc[1].bounds))
    assert right.min() >= 3.0 and right.max() > 30.0


def test_bad_scale_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="--scale 0"):
        generate_sample(tmp_path, scale=0)
    app = typer.Typer()
    cmd_sample.register(app)
    done = CliRunner().invoke(app, ["--out", str(tmp_path), "--scale", "201"])
    # the command raises the peakmap error; peakmap.cli.main prints it as one line, exit 1
    assert isinstance(done.exception, InputFileError)
    assert "--scale 201" in str(done.exception)
    assert not (tmp_path / "raw").exists()


def test_refuses_to_replace_a_user_project(tmp_path: Path) -> None:
    (tmp_path / "project.toml").write_text('[project]\nname = "mine"\n', encoding="utf-8")
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "parks.shp").write_bytes(b"precious")
    with pytest.raises(InputFileError, match="not made by 'peakmap sample'"):
        generate_sample(tmp_path)
    assert (tmp_path / "raw" / "parks.shp").read_bytes() == b"precious"


def test_cli_without_dsm(tmp_path: Path) -> None:
    app = typer.Typer()
    cmd_sample.register(app)
    done = CliRunner().invoke(app, ["--out", str(tmp_path), "--seed", "5", "--no-dsm"])
    assert done.exit_code == 0, done.output
    man = load_manifest(tmp_path)
    assert "dsm" not in man.rasters
    assert not (tmp_path / "raw/dsm_2m_cgcs2000.tif").exists()
    assert "内部要素均为合成数据" in done.output  # Chinese by default (--lang en: synthetic)


@pytest.mark.parametrize("seed", [6])
def test_aims_hold_for_other_seeds(seed: int) -> None:
    lay = generate_district(0, seed).layers
    g, p, lu, st = (lay[k] for k in ("green_spaces", "pocket_parks", "landuse", "streets"))
    district = lay["districts"].geometry.iloc[0]
    counted = pd.concat([g[g["class"] != "G3"].geometry, p[p["status"] == "existing"].geometry])
    assert 1.55e6 <= shapely.union_all(counted.to_numpy()).intersection(district).area <= 1.60e6
    built = lu[lu["built_up"]].union_all()
    sz = lay["sponge_zones"]
    assert 0.40 <= sz[sz["compliant"]].union_all().intersection(built).area / built.area <= 0.45
    res = lu[lu["code"] == "R"].union_all()
    parks = pd.concat([g[g["class"].str.match(r"G1|G3")].geometry,
                       p[p["status"] == "existing"].geometry])
    reach = shapely.union_all(parks.buffer(500.0).to_numpy())
    assert 0.75 <= res.intersection(reach).area / res.area <= 0.90
    assert 6000 <= len(lay["buildings"]) <= 9000
    assert 5000 <= len(lay["streetlights"]) <= 7000
    assert 150e3 <= lay["heating_pipes"].length.sum() <= 250e3
    assert len(st) == 6 and len(lay["communities"]) == 64


@pytest.mark.slow
def test_built_store_matches_the_raw_files(heping_built: Path) -> None:
    """`peakmap build` reads every delivery of the sample the way the raw files mean it."""
    from layers.project import Project

    project = Project(heping_built)
    raw = _manifest_layers(heping_built)
    for name, gdf in raw.items():
        stored = project.store.read(name)
        assert len(stored) == len(gdf), name
        assert stored.crs.to_epsg() == 4548, name
    # GCJ-02 CSV points land in the community their record names
    rec = project.store.read("recycling_points")
    co = project.store.read("communities")
    j = gpd.sjoin(rec, co[["code", "geometry"]], predicate="within")
    assert len(j) == len(rec)
    assert (j["code"].astype(str) == j["community_code"].astype(str)).all()
    # GBK attributes and mapped Chinese columns survive the build
    pipes = project.store.read("heating_pipes")
    assert pipes["install_year"].between(1965, 2024).all()
    assert pipes["network"].isin(["primary", "secondary"]).all()
    assert project.store.read("buildings").area.sum() == pytest.approx(
        raw["buildings"].area.sum(), rel=1e-6
    )


# ---------------------------------------------------------------- building blocks, by hand


def test_frame_rotates_about_its_centre_and_shifts() -> None:
    from sample.frame import Frame

    f = Frame(0.0, 0.0, angle_deg=90.0, shift_x=100.0)
    p = f.to_world(shapely.Point(1.0, 0.0))
    assert (round(p.x, 9), round(p.y, 9)) == (100.0, 1.0)
    back = Frame(5.0, 7.0, angle_deg=30.0)
    g = shapely.box(0, 0, 3, 2)
    assert back.to_world(back.to_local(g)).equals_exact(g, 1e-9)


def test_river_edge_picks_the_north_and_east_sides() -> None:
    from sample.outline import river_edge

    edge = river_edge(shapely.box(0, 0, 2, 1))  # east side length 1, north side length 2
    assert edge.length == pytest.approx(3.0)
    assert edge.buffer(1e-9).contains(shapely.LineString([(2, 0), (2, 1), (0, 1)]))


def test_random_points_in_polygons() -> None:
    from sample.zones import random_points_in

    polys = np.array([shapely.box(0, 0, 1, 1), shapely.Polygon([(5, 0), (7, 0), (5, 2)])])
    xy, owner = random_points_in(polys, np.array([3, 50]), np.random.default_rng(0))
    assert owner.tolist() == [0] * 3 + [1] * 50
    assert shapely.contains_xy(polys[owner], xy[:, 0], xy[:, 1]).all()


def test_partition_of_a_rectangle_by_two_seeds() -> None:
    from sample.zones import partition

    cells = partition(shapely.box(0, 0, 2, 1), np.array([[0.5, 0.5], [1.5, 0.5]]))
    assert cells[0].equals(shapely.box(0, 0, 1, 1))
    assert cells[1].equals(shapely.box(1, 0, 2, 1))


def test_lots_of_a_block_by_hand() -> None:
    from sample.buildings import lay_lots

    # 100 m × 50 m block, 3 m setback: 94 × 44 m, lots of about 23 m -> 4 × 1 lots
    blocks = gpd.GeoDataFrame({"code": ["R"], "subcode": ["R2"]},
                              geometry=[shapely.box(0, 0, 100, 50)])
    lots = lay_lots(blocks, np.random.default_rng(1), skip=np.array([False]))
    assert len(lots.cells) == 4
    np.testing.assert_allclose(shapely.area(lots.cells), 23.5 * 44.0)
    assert shapely.bounds(lots.cells)[:, 0].tolist() == [3.0, 26.5, 50.0, 73.5]
    built = lots.footprint[lots.built]
    assert shapely.contains(lots.cells[lots.built], built).all()
    assert lay_lots(blocks, np.random.default_rng(1), skip=np.array([True])).cells.size == 0


def test_lanes_of_a_block_by_hand() -> None:
    from sample.buildings import lay_lots
    from sample.lanes import LANE_CLEARANCE_M

    # 150 m x 80 m block, 3 m setback: 144 x 74 m -> 6 x 3 lots of 24 x 24.67 m
    pitch_u, pitch_v = 144.0 / 6, 74.0 / 3
    for seed in range(8):
        blocks = gpd.GeoDataFrame({"code": ["R", "A"], "subcode": ["R2", "A33"]},
                                  geometry=[shapely.box(0, 0, 150, 80),
                                            shapely.box(200, 0, 350, 80)])
        lots = lay_lots(blocks, np.random.default_rng(seed), skip=np.array([False, False]),
                        lane_rng=np.random.default_rng(100 + seed))
        lanes = lots.lanes
        assert (lanes["block"] == 0).all()  # none across the school
        assert lanes["width_m"].between(4.0, 6.0).all()
        xy = shapely.get_coordinates(lanes.geometry.values).reshape(-1, 2, 2)
        vertical = xy[:, 0, 0] == xy[:, 1, 0]
        # lanes lie on lot boundaries and cross the whole block
        j_u = (xy[vertical, 0, 0] - 3.0) / pitch_u
        j_v = (xy[~vertical, 0, 1] - 3.0) / pitch_v
        np.testing.assert_allclose(j_u, np.round(j_u), atol=1e-9)
        np.testing.assert_allclose(j_v, np.round(j_v), atol=1e-9)
        assert set(np.round(j_u)) <= {1, 2, 3, 4, 5} and set(np.round(j_v)) <= {1, 2}
        assert vertical.any()
        np.testing.assert_allclose(np.sort(xy[vertical, :, 1], axis=1),
                                   [[0.0, 80.0]] * int(vertical.sum()))
        np.testing.assert_allclose(np.sort(xy[~vertical, :, 0], axis=1),
                                   [[0.0, 150.0]] * int((~vertical).sum()))
        foot = lots.footprint[lots.built & (lots.block == 0)]
        lane_geoms = np.asarray(lanes.geometry.values, dtype=object)
        gap = shapely.distance(foot[:, None], lane_geoms[None, :])
        assert gap.min() >= LANE_CLEARANCE_M - 1e-9
        single = lots.built & ~lots.merged
        assert shapely.contains(lots.cells[single], lots.footprint[single]).all()


def test_lanes_are_noded_into_the_streets_by_hand() -> None:
    from sample.lanes import tie_lanes

    segs = gpd.GeoDataFrame(
        {"class": ["local", "local", "footway"], "width_m": [14.0, 14.0, 4.0],
         "name": ["a路", "b路", None], "walkable": [True, True, True]},
        geometry=[shapely.LineString([(0, 0), (150, 0)]),
                  shapely.LineString([(0, 100), (150, 100)]),
                  shapely.LineString([(0, 200), (20, 200)])],
    )
    lanes = gpd.GeoDataFrame(
        {"class": ["lane", "lane"], "width_m": [4.0, 5.0], "name": ["安乐里", None]},
        # the first ends 10 m short of both streets; the second reaches no street
        geometry=[shapely.LineString([(50, 10), (50, 90)]),
                  shapely.LineString([(200, 10), (200, 90)])],
    )
    out = tie_lanes(segs, lanes, shapely.box(-10, -20, 300, 220))
    assert out["class"].tolist() == ["local"] * 4 + ["lane", "footway"]
    lane = out.geometry.iloc[4]
    assert sorted(lane.coords) == [(50.0, 0.0), (50.0, 100.0)]
    assert out["name"].iloc[4] == "安乐里" and out["walkable"].all()
    np.testing.assert_allclose(sorted(out.length.iloc[:4]), [50, 50, 100, 100])
    ends = {c for g in out.geometry.iloc[:4] for c in (g.coords[0], g.coords[-1])}
    assert {(50.0, 0.0), (50.0, 100.0)} <= ends
    # carried only where the way to the street stays inside the region
    out = tie_lanes(segs, lanes.iloc[:1], shapely.box(-10, 5, 300, 220))
    assert out["class"].tolist() == ["local"] * 3 + ["lane", "footway"]
    assert sorted(out.geometry.iloc[3].coords) == [(50.0, 10.0), (50.0, 100.0)]


def test_residential_cover_by_hand() -> None:
    from sample.green import ResidentialCover

    xy = np.array([[0.0, 0.0], [400.0, 0.0], [900.0, 0.0], [2000.0, 0.0]])
    cov = ResidentialCover(xy, np.array([0, 0, 1, 1]), np.array(["a", "a", "b", "b"], object))
    park = shapely.box(-10, -10, 10, 10)  # within 500 m of the first two points only
    assert cov.share(cov.reach(park)) == 0.5
    cov.add(park)
    assert cov.street_shares() == {"a": 1.0, "b": 0.0}
    cov.drop_block(1)
    assert cov.share() == 1.0


def test_recycling_csv_uses_gcj02(tmp_path: Path) -> None:
    from pyproj import Transformer

    from sample.write import write_recycling_csv

    # published pair: WGS84 (116.397128, 39.916527) is GCJ-02 (116.403372, 39.917931)
    x, y = Transformer.from_crs(4326, METRIC, always_xy=True).transform(116.397128, 39.916527)
    pts = gpd.GeoDataFrame(
        {"id": ["R1"], "name": ["回收点"], "kind": ["community_point"],
         "community_code": ["120101001001"], "opened_year": [2020], "status": ["existing"]},
        geometry=[shapely.Point(x, y)], crs=METRIC,
    )
    (tmp_path / "raw").mkdir()
    table = pd.read_csv(write_recycling_csv(tmp_path, pts), dtype=str)
    assert table.loc[0, "类型"] == "community_point"
    assert (table.loc[0, "lng"], table.loc[0, "lat"]) == ("116.403372", "39.917931")
    assert table.loc[0, "社区代码"] == "120101001001"


def test_pipes_zip_round_trip_in_gbk(tmp_path: Path) -> None:
    from sample.write import write_pipes_zip

    pipes = gpd.GeoDataFrame(
        {"id": ["H1", "H2"], "network": ["primary", "secondary"], "diameter_mm": [400.0, 80.0],
         "install_year": [1980, 2010], "renovated_year": pd.array([2015, None], dtype="Int64"),
         "road": ["南京路", None]},
        geometry=[shapely.LineString([(0, 0), (10, 0)]), shapely.LineString([(0, 0), (0, 5)])],
        crs=METRIC,
    )
    (tmp_path / "raw").mkdir()
    path = write_pipes_zip(tmp_path, pipes, np.random.default_rng(0))
    back = pyogrio.read_dataframe(f"/vsizip/{path}", encoding="gbk")
    assert back["管段名称"].tolist() == ["南京路一级网", "小区二级网"]
    assert back["敷设年份"].tolist() == [1980, 2010]
    assert back["改造年份"].iloc[0] == 2015 and pd.isna(back["改造年份"].iloc[1])
    with zipfile.ZipFile(path) as zf:
        assert not any(n.endswith(".cpg") for n in zf.namelist())
