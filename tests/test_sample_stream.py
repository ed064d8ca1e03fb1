"""The copy-by-copy generator (``sample.stream``) against one write of every copy at once.

The reference is the generator's former path, rebuilt here: every copy generated into memory,
each layer concatenated and written once by the same writers, the DSM rasterised into one
full array. At scale 2 the streamed GeoJSON, CSV and DSM are byte/pixel-identical, the
GeoPackages and the zipped Shapefile hold the same values.
"""

from __future__ import annotations

import gc
import weakref
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import typer
from typer.testing import CliRunner

from gis import InputFileError
from peakmap import cmd_sample
from sample import District, SampleResult, generate_district, generate_sample
from sample import generate as generate_mod
from sample.district import MAX_COPIES, copy_outline
from sample.raster import DSM_NODATA, DSM_RESOLUTION_M, dsm_box, dsm_surface
from sample.stream import pipe_rng
from sample.write import (
    ADMIN_FILE,
    ADMIN_LAYERS,
    BUILDINGS_FILE,
    DSM_FILE,
    GEOJSON_LAYERS,
    HEAT_SOURCES,
    RECYCLING_FILE,
    reproducible_gdal,
    write_admin,
    write_buildings,
    write_geojson,
    write_recycling_csv,
)

SEED, SCALE = 3, 2


@pytest.fixture(scope="module")
def copies() -> list[District]:
    return [generate_district(k, SEED) for k in range(SCALE)]


@pytest.fixture(scope="module")
def streamed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("streamed")
    generate_sample(out, seed=SEED, scale=SCALE)
    return out


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory, copies: list[District]) -> Path:
    """Every copy in memory, each layer concatenated and written at once."""
    out = tmp_path_factory.mktemp("whole")
    (out / "raw").mkdir()
    layers = {
        name: gpd.GeoDataFrame(pd.concat([c.layers[name] for c in copies], ignore_index=True),
                               geometry="geometry")
        for name in copies[0].layers
    }
    with reproducible_gdal():
        write_admin(out, layers)
        write_buildings(out, layers["buildings"])
        write_recycling_csv(out, layers["recycling_points"])
        for name in GEOJSON_LAYERS:
            write_geojson(out, name, layers[name])
    return out


def _gpkg(path: Path, layer: str) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)


def test_geojson_and_csv_are_byte_identical(streamed: Path, whole: Path) -> None:
    for rel in [RECYCLING_FILE, *(f"raw/{n}.geojson" for n in GEOJSON_LAYERS)]:
        assert (streamed / rel).read_bytes() == (whole / rel).read_bytes(), rel


def test_geopackages_hold_the_same_values(streamed: Path, whole: Path) -> None:
    pairs = [(ADMIN_FILE, layer) for layer in ADMIN_LAYERS.values()]
    for rel, layer in [*pairs, (BUILDINGS_FILE, "buildings")]:
        a, b = _gpkg(streamed / rel, layer), _gpkg(whole / rel, layer)
        assert len(a) > 0 and a.crs == b.crs, (rel, layer)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist(), (rel, layer)


def test_pipes_hold_every_copy_with_its_own_heat_source_draws(
    streamed: Path, copies: list[District]
) -> None:
    path = streamed / "raw/heating_pipes.zip"
    pipes = pyogrio.read_dataframe(f"/vsizip/{path}", encoding="GBK")
    whole = pd.concat([c.layers["heating_pipes"] for c in copies], ignore_index=True)
    assert pipes["管段编号"].tolist() == whole["id"].tolist()
    assert pipes["管径"].tolist() == whole["diameter_mm"].tolist()
    expected = np.concatenate([
        np.array(HEAT_SOURCES)[pipe_rng(SEED, k).integers(0, len(HEAT_SOURCES), len(c.layers[
            "heating_pipes"]))] for k, c in enumerate(copies)
    ])
    assert pipes["热源"].tolist() == expected.tolist()
    assert shapes_equal(pipes.geometry.values, whole.geometry.values)
    with zipfile.ZipFile(path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2025, 1, 1, 0, 0, 0)}
        dbf = zf.read("heating_pipes.dbf")
    # appending leaves GDAL's "today" in the DBF header; the writer puts the fixed date back
    assert tuple(dbf[1:4]) == (125, 1, 1)


def shapes_equal(a: np.ndarray, b: np.ndarray) -> bool:
    import shapely

    return bool(np.all(shapely.equals_exact(a, b, tolerance=1e-6)))


def test_dsm_equals_one_full_array(streamed: Path, copies: list[District]) -> None:
    """Every copy rasterised into one in-memory array, as the generator used to hold it."""
    boxes = [dsm_box(c.layers["districts"].total_bounds) for c in copies]
    arr = np.array(boxes)
    r = DSM_RESOLUTION_M
    minx, maxy = arr[:, 0].min(), arr[:, 3].max()
    full = np.full((round((maxy - arr[:, 1].min()) / r), round((arr[:, 2].max() - minx) / r)),
                   DSM_NODATA, dtype=np.float32)
    for k, (c, box) in enumerate(zip(copies, boxes, strict=True)):
        surf = dsm_surface(c, box, np.random.default_rng([SEED, k, 7]))
        r0, c0 = round((maxy - box[3]) / r), round((box[0] - minx) / r)
        full[r0:r0 + surf.shape[0], c0:c0 + surf.shape[1]] = surf
    with rasterio.open(streamed / DSM_FILE) as ds:
        assert ds.transform.c == minx and ds.transform.f == maxy
        assert np.array_equal(ds.read(1), full)


def test_copy_outline_is_known_before_generating(copies: list[District]) -> None:
    for k, c in enumerate(copies):
        assert tuple(copy_outline(k).bounds) == tuple(c.layers["districts"].total_bounds)


def test_generator_holds_one_copy_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When copy k is generated, copy k - 1 has already been written and let go."""
    alive: list[weakref.ref[District]] = []
    held: list[int] = []

    def tracked(k: int, seed: int, **kw: object) -> District:
        gc.collect()
        held.append(sum(r() is not None for r in alive))
        d = generate_district(k, seed, **kw)  # type: ignore[arg-type]
        alive.append(weakref.ref(d))
        return d

    monkeypatch.setattr(generate_mod, "generate_district", tracked)
    generate_sample(tmp_path, seed=SEED, scale=3, dsm=False)
    assert held == [0, 0, 0]
    assert not (tmp_path / DSM_FILE).exists()


@pytest.mark.parametrize("scale", [0, -3, MAX_COPIES + 1])
def test_scale_out_of_range_is_one_clear_message(tmp_path: Path, scale: int) -> None:
    app = typer.Typer()
    cmd_sample.register(app)
    done = CliRunner().invoke(app, ["--out", str(tmp_path), "--scale", str(scale)])
    assert isinstance(done.exception, InputFileError)
    assert str(done.exception) == f"--scale {scale}: must be between 1 and {MAX_COPIES}"
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize(("args", "warned"), [
    (["--scale", "21"], True), (["--scale", "20"], False), (["--scale", "200", "--no-dsm"], False),
])
def test_large_sample_with_a_dsm_says_what_pv_will_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], warned: bool
) -> None:
    seen: list[tuple[int, bool]] = []

    def fake(out: Path, *, scale: int, dsm: bool, **kw: object) -> SampleResult:
        seen.append((scale, dsm))
        return SampleResult(out=out)

    monkeypatch.setattr(cmd_sample, "generate_sample", fake)
    app = typer.Typer()
    cmd_sample.register(app)
    done = CliRunner().invoke(app, ["--out", str(tmp_path), *args, "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert seen == [(int(args[1]), "--no-dsm" not in args)]
    text = " ".join(done.output.split())
    # 21 copies × 16 CPU-s = 5.6 CPU-minutes
    assert ("about 6 CPU-minutes" in text and "--no-dsm" in text) is warned


def test_repaired_geometries_keep_only_parts_of_the_layer_kind() -> None:
    from shapely import GeometryCollection, LineString, Point, box

    from sample.district import parts_of_kind

    sq = box(0, 0, 1, 1)
    geoms = np.array([sq, GeometryCollection([sq, LineString([(2, 0), (3, 0)])]),
                      GeometryCollection([Point(5, 5)])], dtype=object)
    out, keep = parts_of_kind(geoms, "polygon")
    assert keep.tolist() == [True, True, False]
    assert out[1].equals(sq)
    out, keep = parts_of_kind(np.array([LineString([(0, 0), (1, 0)]), Point(0, 0)]), "line")
    assert keep.tolist() == [True, False]


def test_copies_fill_rows_of_twenty_inside_the_3_degree_zone() -> None:
    c0, c19, c20 = (copy_outline(k).bounds for k in (0, 19, 20))
    assert c20[0] == pytest.approx(c0[0]) and c20[1] > c0[3]  # row 2 starts above copy 0
    assert c19[1] == pytest.approx(c0[1]) and c19[0] > c0[2]
    far = gpd.GeoSeries([copy_outline(MAX_COPIES - 1)], crs="EPSG:4548").to_crs(4326)
    assert far.total_bounds[2] < 118.5  # EPSG:4548's area of use ends at 118.5° E


def test_geojson_writer_leaves_no_feature_its_rounding_would_spoil(tmp_path: Path) -> None:
    from shapely import LineString, MultiPolygon, Polygon, get_type_id, make_valid

    from gis.validate import repair_geometries

    # copy 52's road 120252D00172 (2.5 mm: both ends round to one 1e-7° point, GDAL then
    # wrote a Point) next to a 100 m road
    short = LineString([(562330.5806012813, 4339764.678661015),
                        (562330.5790760501, 4339764.680613222)])
    long_ = LineString([(562330.0, 4339700.0), (562430.0, 4339700.0)])
    roads = gpd.GeoDataFrame({"id": ["R1", "R2"]}, geometry=[short, long_], crs="EPSG:4548")
    # copy 104's green space 120354G00012: a polygon and a spike of ~1e-12 m² (GDAL wrote a
    # Polygon plus a LineString)
    body = Polygon([(534291.9736866443, 4352466.978953373), (534358.5423466718, 4352518.988090628),
                    (534393.0333514519, 4352471.985450626), (534319.1867927393, 4352432.147765941)])
    spike = Polygon([(534393.0333514519, 4352471.985450626), (534440.0659343975, 4352497.357915397),
                     (534393.0333514521, 4352471.985450626)])
    # copy 5's green space 120155G00008: a spike whose rounded vertices cross the ring (GEOS's
    # snap-rounding of it fails with "unable to assign free hole to a shell")
    crossed = Polygon([
        (534821.0367148098, 4333491.858646325), (534807.434934733, 4333509.268130917),
        (534814.473244231, 4333617.670965145), (534809.6279275732, 4333543.044230047),
        (534812.3025569471, 4333542.702384281), (534883.476026441, 4333540.641583031)])
    green = gpd.GeoDataFrame({"id": ["G1", "G2"]},
                             geometry=[MultiPolygon([body, spike]), crossed], crs="EPSG:4548")
    (tmp_path / "raw").mkdir()
    for name, gdf, kind in (("roads", roads, "line"), ("green_spaces", green, "polygon")):
        back = pyogrio.read_dataframe(write_geojson(tmp_path, name, gdf))
        # the build's own type check (raises on a wrong type) and nothing invalid to repair
        _, report = repair_geometries(back, kind, ids=back["id"], label=name)
        assert report.repaired == 0 and report.dropped == 0
        assert set(get_type_id(back.geometry.values)) <= ({1, 5} if kind == "line" else {3, 6})
        metric = back.to_crs("EPSG:4548")
        if name == "roads":
            assert back["id"].tolist() == ["R2"]  # the collapsed road is left out
            assert metric.length[0] == pytest.approx(100.0, abs=0.02)  # 1e-7° ≈ 1 cm
        else:
            assert back["id"].tolist() == ["G1", "G2"]  # the bodies kept, the spikes dropped
            assert metric.geometry[0].geom_type == "Polygon"
            assert metric.area[0] == pytest.approx(body.area, rel=1e-4)
            assert metric.area[1] == pytest.approx(make_valid(crossed).area, rel=1e-4)
