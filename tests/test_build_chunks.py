"""``peakmap build`` in chunks (layers.build_chunks) stores exactly what a whole-layer build does.

The tiny project of tests/fixtures/ingest.py plus a buildings GeoPackage in WGS84 built with
``chunk_size=2`` (the admin layers and the buildings then come in chunks of two features)
and with ``chunk_size=None`` (every layer whole): every stored layer, its declared geometry
type, its digest and the build report's counts must be equal. The buildings hold what needs
the whole layer: Polygons first and a MultiPolygon in the second chunk (GDAL then declares the
layer MultiPolygon and promotes every Polygon: the chunks already written are written again),
a self-intersecting polygon to repair, an empty geometry to drop, floors to estimate, a floor
count read as missing.
"""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx

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


def _project(root: Path, buildings: gpd.GeoDataFrame | None = None) -> Path:
    fx.write_project(root)
    frame = _buildings() if buildings is None else buildings
    # as delivered: Polygons and a MultiPolygon in a layer of any geometry type
    pyogrio.write_dataframe(frame, root / "raw" / "buildings.gpkg", layer="buildings",
                            promote_to_multi=False)
    toml = root / "project.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + BUILDINGS_TOML, encoding="utf-8")
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


def test_one_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path / "p")
    alive: list[weakref.ref[Any]] = []
    held: list[int] = []
    real = chunks_mod.read_vector_chunks

    def tracked(*args: Any, **kw: Any) -> Iterator[gpd.GeoDataFrame]:
        for chunk in real(*args, **kw):
            gc.collect()
            held.append(sum(r() is not None for r in alive))
            alive.append(weakref.ref(chunk))
            yield chunk
            del chunk

    monkeypatch.setattr(chunks_mod, "read_vector_chunks", tracked)
    build_project(root, run_steps=False, chunk_size=2)
    # admin: 1 + 1 + 2 chunks; buildings 4 chunks, twice (written again as MultiPolygon)
    assert len(held) == 1 + 1 + 2 + 4 + 4
    assert held == [0] * len(held)


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


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".fgb", ".geojson"])
def test_read_vector_chunks_join_to_the_whole_layer(tmp_path: Path, suffix: str) -> None:
    from gis.io import read_vector, read_vector_chunks

    path = tmp_path / f"b{suffix}"
    pyogrio.write_dataframe(_buildings().drop(index=[5]), path)  # no empty geometry
    whole = read_vector(path)
    parts = list(read_vector_chunks(path, chunk_size=2))
    # random access: 6 features in chunks of 2; GeoJSON is read whole
    assert [len(p) for p in parts] == ([6] if suffix == ".geojson" else [2, 2, 2])
    joined = pd.concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(pd.DataFrame(joined.drop(columns="geometry")),
                                  pd.DataFrame(whole.drop(columns="geometry")))
    assert list(shapely.to_wkb(joined.geometry.values)) == \
        list(shapely.to_wkb(whole.geometry.values))
