"""``peakmap build`` in chunks (layers.build_chunks) stores exactly what a whole-layer build does.

The tiny project of tests/fixtures/ingest.py plus a buildings GeoPackage in WGS84 and five
features in each other format (:func:`_formats`: a GeoJSON, a CSV of x/y points in GCJ-02, a
zipped GBK Shapefile without .cpg, a GeoParquet) built with ``chunk_size=2`` (every layer of
more than two features then comes in chunks of two) and with ``chunk_size=None`` (every
layer whole): every stored layer, its declared geometry type, its digest and the build
report's counts must be equal. The buildings hold what needs the whole layer: Polygons first
and a MultiPolygon in the second chunk (GDAL then declares the layer MultiPolygon and promotes
every Polygon: the chunks already written are written again), a self-intersecting polygon to
repair, an empty geometry to drop, floors to estimate, a floor count read as missing. The
other formats each have a numeric column empty in the first chunk (a whole read types it
from every value, the first chunk's read has no value to type it from).
"""

from __future__ import annotations

import gc
import re
import tempfile
import weakref
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx
from fixtures.pg import STORES

import layers.build_chunks as chunks_mod
from layers.build import BuildError, build_project

BUILDINGS_TOML = """
[layers.buildings]
path = "raw/buildings.gpkg"
layer = "buildings"
"""


def _buildings(ids: list[str] | None = None) -> gpd.GeoDataFrame:
    box = fx._box
    bow = shapely.Polygon([(fx.X0 + 250, fx.Y0 + 250), (fx.X0 + 300, fx.Y0 + 300),
                           (fx.X0 + 300, fx.Y0 + 250), (fx.X0 + 250, fx.Y0 + 300)])
    geoms = [box(10, 10, 20, 20), box(40, 10, 20, 20), box(70, 10, 20, 20),
             shapely.MultiPolygon([box(10, 50, 10, 10), box(30, 50, 10, 10)]),
             bow, shapely.Polygon(), box(100, 100, 30, 30)]
    frame = gpd.GeoDataFrame({
        "id": ids or [f"b{i}" for i in range(1, 8)],
        "use": ["住宅"] * 7,
        "floors": [3.0, None, 0.0, 2.0, 5.0, 1.0, None],
        "height_m": [None, 10.0, None, None, None, None, None],
    }, geometry=geoms, crs=fx.GK)
    return frame.to_crs("EPSG:4326")


FORMATS_TOML = """
[layers.streetlights]
path = "raw/lights.parquet"
"""


def _formats(raw: Path) -> None:
    """Five features in GeoJSON, CSV, zipped GBK Shapefile and GeoParquet (see the notes).

    Each overwrites the tiny project's file of that layer; numbers empty in features 1–2.
    """
    gaps: list[float | None] = [None, None, 1990.0, 2004.0, 2015.0]
    green = gpd.GeoDataFrame({
        "id": [f"g{i}" for i in range(1, 6)], "类别": ["G11", "G12", "G14", "G11", "G2"],
        "name": ["中心公园", None, "蝴蝶园", "河畔", "街角"],
        "built_year": pd.array(gaps, dtype="Int64"),
        "public_access": pd.array([None, None, True, False, True], dtype="boolean"),
    }, geometry=[fx._box(10 + 60 * i, 10, 40, 40) for i in range(5)], crs=fx.GK)
    (raw / "green.geojson").unlink()
    pyogrio.write_dataframe(green.to_crs("EPSG:4326"), raw / "green.geojson", driver="GeoJSON")
    lon = [117.0005 + 0.0005 * i for i in range(5)]
    csv = pd.DataFrame({"id": [f"r{i}" for i in range(1, 6)],
                        "类型": ["社区回收点", "中转站", "社区回收点", "分拣中心", "中转站"],
                        "lng": lon, "lat": [39.1002] * 5,
                        "opened_year": ["", "", "2019", " 2020", "2021.0"]})
    (raw / "recycling.csv").write_text(csv.to_csv(index=False, float_format="%.9f"),
                                       encoding="utf-8")
    pipes = gpd.GeoDataFrame({
        "id": [f"管{i}" for i in range(1, 6)], "敷设年份": [None, None, 1985, 1999, 2001],
        "name": ["老干线", "新支线", "东支线", "西支线", "南干线"],
    }, geometry=[shapely.LineString([(fx.X0 + 10, fx.Y0 + 10 + 50 * i),
                                     (fx.X0 + 350, fx.Y0 + 10 + 50 * i)]) for i in range(5)],
        crs=fx.GK)
    with tempfile.TemporaryDirectory() as d:
        shp = Path(d) / "pipes.shp"
        pyogrio.write_dataframe(pipes, shp, encoding="gbk")
        dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
        dbf[fx.DBF_LDID_OFFSET] = 0  # as delivered: no language driver id, no .cpg
        shp.with_suffix(".dbf").write_bytes(bytes(dbf))
        with zipfile.ZipFile(raw / "pipes.zip", "w") as zf:
            for f in sorted(Path(d).iterdir()):
                if f.suffix != ".cpg":
                    zf.write(f, f.name)
    lights = gpd.GeoDataFrame({
        "id": [f"l{i}" for i in range(1, 7)], "lamp_type": ["LED", "hps", "LED", "MH", "x", "LED"],
        "power_w": [None, None, 60.0, 150.0, 1.0, 80.0],
        "street_code": ["S1", "S1", "S2", "S2", "S2", "S1"],
    }, geometry=[shapely.Point(fx.X0 + 30 + 60 * i, fx.Y0 + 100) for i in range(6)], crs=fx.GK)
    # a row left out: the file keeps its index (1, 2, ...) in the pandas metadata
    lights.drop(index=[4]).to_parquet(raw / "lights.parquet", row_group_size=3)


def _project(root: Path, buildings: gpd.GeoDataFrame | None = None) -> Path:
    fx.write_project(root)
    _formats(root / "raw")
    frame = _buildings() if buildings is None else buildings
    # as delivered: Polygons and a MultiPolygon in a layer of any geometry type
    pyogrio.write_dataframe(frame, root / "raw" / "buildings.gpkg", layer="buildings",
                            promote_to_multi=False)
    toml = root / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + BUILDINGS_TOML + FORMATS_TOML,
                    encoding="utf-8")
    return root


def _store(root: Path) -> Path:
    return root / "build" / "peakmap.gpkg"


def _content(root: Path) -> dict[str, Any]:
    """Every layer of the store: declared geometry type, attributes, geometries as WKB."""
    out: dict[str, Any] = {}
    for name, _ in pyogrio.list_layers(_store(root)):
        if name in ("_store_meta", "_build_report"):
            continue
        frame = pyogrio.read_dataframe(_store(root), layer=name)
        if name == "_layer_versions":
            # the build report differs by design (notes listing values are per chunk)
            out[name] = {k: v for k, v in zip(frame["layer"], frame["digest"], strict=True)
                         if k != "_build_report"}
            continue
        geom = [] if not isinstance(frame, gpd.GeoDataFrame) else \
            list(shapely.to_wkb(frame.geometry.values))
        attrs = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        out[name] = (pyogrio.read_info(_store(root), layer=name)["geometry_type"], attrs, geom)
    return out


def _report(root: Path) -> pd.DataFrame:
    rep = pyogrio.read_dataframe(_store(root), layer="_build_report")
    # a note listing values is given per chunk, prefixed with the chunk's features
    rep["notes"] = rep["notes"].str.replace(r"features \d+–\d+: ", "", regex=True)
    return pd.DataFrame(rep)


def test_chunked_build_equals_whole_build_feature_for_feature(tmp_path: Path) -> None:
    whole = _project(tmp_path / "whole")
    chunked = _project(tmp_path / "chunked")
    build_project(whole, run_steps=False, chunk_size=None)
    build_project(chunked, run_steps=False, chunk_size=2)
    a, b = _content(whole), _content(chunked)
    assert a.keys() == b.keys() and "buildings" in a and "communities" in a
    for name in a:
        if name == "_layer_versions":
            assert a[name] == b[name]  # the digests of every layer
            continue
        kind_a, attrs_a, geom_a = a[name]
        kind_b, attrs_b, geom_b = b[name]
        assert kind_a == kind_b, name
        pd.testing.assert_frame_equal(attrs_a, attrs_b, obj=name)
        assert geom_a == geom_b, name
    # by hand (_formats): numbers empty in the first chunk of each format, then read
    green = a["green_spaces"][1]
    assert green["built_year"].fillna(-1).tolist() == [-1, -1, 1990, 2004, 2015]
    assert green["public_access"].fillna(-1).tolist() == [-1, -1, 1, 0, 1]
    assert green["class"].tolist() == ["G11", "G12", "G14", "G11", "G2"]
    recycling = a["recycling_points"][1]
    assert recycling["opened_year"].fillna(-1).tolist() == [-1, -1, 2019, 2020, 2021]
    assert recycling["kind"].tolist()[3] == "sorting_center"
    pipes = a["heating_pipes"][1]
    assert pipes["install_year"].fillna(-1).tolist() == [-1, -1, 1985, 1999, 2001]
    assert pipes["id"].tolist() == ["管1", "管2", "管3", "管4", "管5"]  # GBK without .cpg
    lights = a["streetlights"][1]
    assert lights["id"].tolist() == ["l1", "l2", "l3", "l4", "l6"]
    assert lights["lamp_type"].tolist() == ["LED", "HPS", "LED", "MH", "LED"]
    assert lights["power_w"].tolist()[2:] == [60.0, 150.0, 80.0]
    assert lights["power_w"].isna().tolist()[:2] == [True, True]
    kind, attrs, geom = a["buildings"]
    # by hand: 7 read, b6 empty dropped, b5 (bow-tie) repaired into two triangles; b4 a
    # MultiPolygon in chunk 2, so the layer is MultiPolygon and every Polygon promoted
    assert kind == "MultiPolygon"
    assert attrs["id"].tolist() == ["b1", "b2", "b3", "b4", "b5", "b7"]
    assert {shapely.from_wkb(g).geom_type for g in geom} == {"MultiPolygon"}
    assert attrs["floors"].tolist()[:2] == [3.0, 3.0]  # b2: round(10 m ÷ 3 m)
    assert attrs["floor_area_source"].fillna("-").tolist()[:3] == ["floors", "height", "-"]
    rep_a, rep_b = _report(whole), _report(chunked)
    pd.testing.assert_frame_equal(rep_a, rep_b)
    notes = rep_a.set_index("name").loc["buildings", "notes"]
    assert "repaired 1 invalid geometry: b5" in notes and "dropped 1 empty geometry: b6" in notes
    assert "floors: 1 estimated from height_m" in notes
    raw = pyogrio.read_dataframe(_store(chunked), layer="_build_report").set_index("name")
    assert re.search(r"features 3–4: floors: 1 value 0 \(not above 0\)",
                     raw.loc["buildings", "notes"])


def test_polygons_only_are_not_promoted(tmp_path: Path) -> None:
    frame = _buildings().drop(index=[3, 4]).reset_index(drop=True)  # no multi part anywhere
    whole = _project(tmp_path / "whole", frame)
    chunked = _project(tmp_path / "chunked", frame)
    build_project(whole, run_steps=False, chunk_size=None)
    build_project(chunked, run_steps=False, chunk_size=2)
    assert _content(whole)["buildings"][0] == _content(chunked)["buildings"][0] == "Polygon"
    assert _content(whole)["_layer_versions"] == _content(chunked)["_layer_versions"]


def test_an_id_repeated_in_another_chunk_is_refused_as_without_chunks(tmp_path: Path) -> None:
    ids = ["b1", "b2", "b3", "b4", "b5", "b6", "b2"]  # b2 in chunks 1 and 4
    messages = []
    for size in (None, 2):
        root = _project(tmp_path / f"p{size}", _buildings(ids))
        with pytest.raises(BuildError) as e:
            build_project(root, run_steps=False, chunk_size=size)
        messages.append(e.value.errors)
        assert not _store(root).exists()
    assert messages[0] == messages[1] == [
        "raw/buildings.gpkg, layer buildings, field id, feature b2: id is not unique "
        "(2 features share ids)"]


def test_a_bad_feature_in_a_late_chunk_is_named_and_nothing_is_stored(tmp_path: Path) -> None:
    frame = _buildings()
    frame.loc[6, "use"] = None  # required: b7, in the fourth chunk
    messages = []
    for size in (None, 2):
        root = _project(tmp_path / f"p{size}")
        build_project(root, run_steps=False, chunk_size=None)  # a good store first
        before = _store(root).read_bytes()
        (root / "raw" / "buildings.gpkg").unlink()
        pyogrio.write_dataframe(frame, root / "raw" / "buildings.gpkg", layer="buildings",
                                promote_to_multi=False)
        with pytest.raises(BuildError) as e:
            build_project(root, run_steps=False, chunk_size=size)
        messages.append(e.value.errors)
        assert _store(root).read_bytes() == before  # the previous store is intact
    assert messages[0] == messages[1]
    assert messages[0][0].startswith(
        "raw/buildings.gpkg, layer buildings, field use, feature b7: required value is empty")


def test_after_a_failed_layer_every_later_layer_is_checked_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three layers fail, each in a late chunk: all three messages, the same as whole.

    green_spaces (the 4th layer) fails first; every layer after it is still read and checked
    chunk by chunk, through a writer that keeps nothing.
    """
    frame = _buildings()
    frame.loc[6, "use"] = None  # required: b7, in the fourth chunk
    messages = []
    discarded: list[str] = []
    real = chunks_mod.DiscardingWriter

    def discarding(name: str) -> Any:
        discarded.append(name)
        return real(name)

    monkeypatch.setattr(chunks_mod, "DiscardingWriter", discarding)
    for size in (None, 2):
        root = _project(tmp_path / f"p{size}", frame)
        raw = root / "raw"
        green = pyogrio.read_dataframe(raw / "green.geojson")
        green.loc[4, "类别"] = "草地"  # g5, third chunk: not a green-space class
        (raw / "green.geojson").unlink()
        pyogrio.write_dataframe(green, raw / "green.geojson", driver="GeoJSON")
        lights = gpd.read_parquet(raw / "lights.parquet")
        lights.loc[5, "lamp_type"] = "蜡烛"  # l6, third chunk
        lights.to_parquet(raw / "lights.parquet", row_group_size=3)
        with pytest.raises(BuildError) as e:
            build_project(root, run_steps=False, chunk_size=size)
        messages.append(e.value.errors)
        assert not _store(root).exists()
        # no GeoPackage (nor a staged or temporary one) but the raw ones
        assert sorted(root.rglob("*.gpkg*")) == [raw / "admin.gpkg", raw / "buildings.gpkg"]
    assert messages[0] == messages[1]
    firsts = [m.splitlines()[0] for m in messages[1]]
    assert len(firsts) == 3, firsts
    assert firsts[0].startswith("raw/green.geojson, layer green_spaces, field class, feature g5: "
                                "1 value not one of G11")
    assert firsts[1].startswith(
        "raw/buildings.gpkg, layer buildings, field use, feature b7: required value is empty")
    assert firsts[2].startswith("raw/lights.parquet, layer streetlights, field lamp_type, "
                                "feature l6: 1 value not one of LED")
    # chunk_size None: no writer at all; 2: the layers after green_spaces are only checked
    assert discarded == ["recycling_points", "heating_pipes", "buildings", "streetlights"]


def test_one_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "p")
    alive: list[weakref.ref[Any]] = []
    held: list[int] = []
    real = chunks_mod.read_vector_chunks

    chunks: dict[str, list[int]] = {}

    def tracked(*args: Any, **kw: Any) -> Iterator[gpd.GeoDataFrame]:
        sizes = chunks.setdefault(Path(args[0]).name + (f":{kw['layer']}" if kw.get("layer")
                                                        else ""), [])
        for chunk in real(*args, **kw):
            sizes.append(len(chunk))
            gc.collect()
            held.append(sum(r() is not None for r in alive))
            alive.append(weakref.ref(chunk))
            yield chunk
            del chunk

    monkeypatch.setattr(chunks_mod, "read_vector_chunks", tracked)
    build_project(root, run_steps=False, chunk_size=2)
    # buildings: 4 chunks, twice (written again as MultiPolygon); every format in chunks
    assert chunks == {
        "admin.gpkg:districts": [1], "admin.gpkg:streets": [2], "admin.gpkg:communities": [2, 1],
        "buildings.gpkg:buildings": [2, 2, 2, 1, 2, 2, 2, 1], "green.geojson": [2, 2, 1],
        "recycling.csv": [2, 2, 1], "pipes.zip": [2, 2, 1], "lights.parquet": [2, 2, 1]}
    assert len(held) == sum(map(len, chunks.values())) and held == [0] * len(held)


@pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")
@pytest.mark.parametrize("kind", STORES)
def test_aware_times_written_in_chunks_read_back_as_written_whole(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """Chunks of aware times with other UTC offsets than the first chunk's, on both stores.

    Worked out by hand (five rows in chunks of 2, 2, 1): ``berlin`` is +01:00 in the first
    chunk (January) and +02:00 in the second (July): several offsets, so it reads back in UTC
    (08:00+01:00 → 07:00Z); ``late`` has no value in the first chunk and +08:00 after: one
    offset, so it reads back in +08:00 with its wall-clock times; ``never`` has no value at
    all: it reads back naive, as from one write of the whole layer.
    """
    from fixtures.pg import use_postgis

    from layers.project import Project
    from layers.store.txn import store_transaction

    root = fx.write_project(tmp_path / "p")
    if kind == "postgis":
        use_postgis(root, request.getfixturevalue("pg_url"))
    build_project(root, run_steps=False)
    wall = pd.to_datetime(["2020-01-15 08:00", "2020-01-16 09:30", "2020-07-01 12:00",
                           "2020-07-02 12:00", "2020-07-03 00:30"])
    frame = gpd.GeoDataFrame({
        "berlin": wall.tz_localize("Europe/Berlin"),
        "late": wall.tz_localize("Asia/Shanghai").where([False, False, True, True, True]),
        "never": wall.tz_localize("Asia/Shanghai").where([False] * 5),
    }, geometry=[fx._box(10 * i, 0, 5, 5) for i in range(5)], crs=fx.GK)
    with store_transaction(Project(root), what="test") as staged:
        staged.store.write_layers({"proposal__whole": frame})
        writer = staged.store.layer_writer("proposal__chunked")
        for lo, hi in ((0, 2), (2, 4), (4, 5)):
            writer.write(frame.iloc[lo:hi])
        assert writer.close() is None
    store = Project(root).store
    whole, chunked = store.read("proposal__whole"), store.read("proposal__chunked")
    pd.testing.assert_frame_equal(pd.DataFrame(chunked), pd.DataFrame(whole))
    assert store.meta().digest_of("proposal__chunked") == store.meta().digest_of(
        "proposal__whole")
    assert [str(v) for v in chunked["berlin"]][:3] == [
        "2020-01-15 07:00:00+00:00", "2020-01-16 08:30:00+00:00", "2020-07-01 10:00:00+00:00"]
    assert [str(v) for v in chunked["late"]] == [
        "NaT", "NaT", "2020-07-01 12:00:00+08:00", "2020-07-02 12:00:00+08:00",
        "2020-07-03 00:30:00+08:00"]
    assert str(chunked["never"].dtype) == "datetime64[ms]" and chunked["never"].isna().all()


def test_chunked_build_into_postgis_equals_whole_build(tmp_path: Path, pg_url: str) -> None:
    """On a PostGIS store the chunks are copied into the layer's table as they come."""
    from fixtures.pg import use_postgis

    from layers.project import Project

    roots = {}
    for size in (None, 2):
        roots[size] = _project(tmp_path / f"p{size}")
        use_postgis(roots[size], pg_url)
        build_project(roots[size], run_steps=False, chunk_size=size)
    a, b = Project(roots[None]).store, Project(roots[2]).store
    # name, declared geometry type (buildings: MultiPolygon, every Polygon promoted), count
    assert a.layer_infos() == b.layer_infos()  # type: ignore[union-attr]
    assert ("buildings", "MultiPolygon", 6) in a.layer_infos()  # type: ignore[union-attr]
    names = [n for n in a.layers() if not n.startswith("_")]
    assert "buildings" in names and "communities" in names
    for name in names:
        fa, fb = a.read(name), b.read(name)
        pd.testing.assert_frame_equal(pd.DataFrame(fa.drop(columns="geometry")),
                                      pd.DataFrame(fb.drop(columns="geometry")), obj=name)
        assert list(shapely.to_wkb(fa.geometry.values)) == \
            list(shapely.to_wkb(fb.geometry.values)), name
        assert a.meta().digest_of(name) == b.meta().digest_of(name), name


def _write_any(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write ``frame`` as the format of ``path`` (a zipped Shapefile for .zip)."""
    if path.suffix == ".csv":
        pts = frame.to_crs("EPSG:4326")
        text = pd.DataFrame(pts.drop(columns="geometry")).assign(
            x=pts.geometry.x.map("{:.7f}".format), y=pts.geometry.y.map("{:.7f}".format))
        text.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, row_group_size=3)
    elif path.suffix == ".zip":
        shp = path.with_suffix(".shp")
        pyogrio.write_dataframe(frame, shp)
        with zipfile.ZipFile(path, "w") as zf:
            for f in sorted(path.parent.glob("b.*")):
                if f.suffix != ".zip":
                    zf.write(f, f.name)
    else:
        pyogrio.write_dataframe(frame, path)


SUFFIXES = [".gpkg", ".shp", ".fgb", ".geojson", ".zip", ".csv", ".parquet"]


# GDAL's note on a GeoPackage time not in UTC, read as written
@pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_read_vector_chunks_join_to_the_whole_layer(tmp_path: Path, suffix: str) -> None:
    """Every format's chunks joined are the whole read, values and dtypes.

    Points (every format holds them) with a number empty only in the first chunk, a code
    column of digits, and (where the format holds times) Berlin times: +01:00 in the first
    chunk, +02:00 after. A whole read would give one UTC offset for a column whose values
    share one and UTC otherwise, so a chunk's would depend on its neighbours: each time is
    converted to UTC on its own (2020-01-15T08:00:00+01:00 is 07:00 UTC), in every chunk
    alike (tests/test_read_times.py has dates and zoneless times too).
    """
    from gis.io import read_vector, read_vector_chunks

    n = 7
    frame = gpd.GeoDataFrame({
        "id": [f"b{i}" for i in range(1, n + 1)],
        "count": [None, None, 3.0, 4.0, 5.0, 6.0, 7.0],
        "code": ["120101", "120102", "120103", "1", "2", "3", "4"],
    }, geometry=[shapely.Point(fx.X0 + 10 * i, fx.Y0 + 5 * i) for i in range(n)], crs=fx.GK)
    frame["count"] = frame["count"].astype("Int64")
    timed = suffix in (".gpkg", ".fgb", ".geojson", ".parquet")
    if timed:
        wall = pd.to_datetime(["2020-01-15 08:00", "2020-01-16 09:30"] + ["2020-07-01 12:00"] * 5)
        frame["when"] = wall.tz_localize("Europe/Berlin")
    path = tmp_path / f"b{suffix}"
    _write_any(frame, path)
    whole = read_vector(path)
    parts = list(read_vector_chunks(path, chunk_size=2))
    assert [len(p) for p in parts] == [2, 2, 2, 1]
    assert all(list(p.index) == list(range(len(p))) for p in parts)
    joined = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(pd.DataFrame(joined.drop(columns="geometry")),
                                  pd.DataFrame(whole.drop(columns="geometry")))
    assert list(shapely.to_wkb(joined.geometry.values)) == \
        list(shapely.to_wkb(whole.geometry.values))
    assert sorted(joined["id"]) == frame["id"].tolist()  # FlatGeobuf: in its index's order
    if timed and suffix != ".parquet":  # each value with its own offset, in UTC
        when = dict(zip(joined["id"], joined["when"], strict=True))
        assert [str(when[b]) for b in ("b1", "b2", "b3")] == [
            "2020-01-15 07:00:00+00:00", "2020-01-16 08:30:00+00:00",
            "2020-07-01 10:00:00+00:00"]


def test_read_vector_chunks_of_an_empty_layer_give_one_empty_frame(tmp_path: Path) -> None:
    from gis.io import read_vector, read_vector_chunks

    for suffix in (".geojson", ".csv", ".parquet"):
        path = tmp_path / f"b{suffix}"
        empty = gpd.GeoDataFrame({"id": pd.Series([], dtype="str")},
                                 geometry=gpd.GeoSeries([], crs=fx.GK))
        if suffix == ".csv":
            path.write_text("id,x,y\n", encoding="utf-8")
        else:
            _write_any(empty, path)
        parts = list(read_vector_chunks(path, chunk_size=2))
        assert [len(p) for p in parts] == [0], suffix
        assert list(parts[0].columns) == list(read_vector(path).columns), suffix


def test_a_bad_csv_row_in_a_late_chunk_is_named_by_its_row(tmp_path: Path) -> None:
    from gis import LayerValidationError
    from gis.io import read_vector, read_vector_chunks

    path = tmp_path / "p.csv"
    path.write_text("id,x,y\na,117,39\nb,117,39\nc,117,39\nd,east,39\n", encoding="utf-8")
    for read in (lambda: read_vector(path, label="p.csv"),
                 lambda: list(read_vector_chunks(path, chunk_size=2, label="p.csv"))):
        with pytest.raises(LayerValidationError) as e:
            read()
        # row 5 of the file (the header is row 1), in the second chunk
        assert str(e.value) == ("p.csv, feature row 5: coordinates 'east', '39' are not "
                                "numbers (1 such rows)")
