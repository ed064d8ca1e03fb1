"""Polygons that reprojection makes invalid are repaired by the build, not left to GEOS.

At scale 200 the sample's park 120299G00011 was valid in WGS84 (7 decimals) and
self-intersecting in EPSG:4548: its ring runs P1 → P2 and back to P3, a vertex on the edge
P1–P2 (a zero-width spike), and the projected P3 lands a few µm across that edge. The
coverage step's union of the parks then stopped on a GEOS TopologyException. The park here is
the same shape, found inside the tiny project's district (coordinates below, WGS84, rounded
to 7 decimals as delivered): valid as given, invalid once projected.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from fixtures import ingest as fx
from pyproj import Transformer

from gis.coverage import dissolve_touching
from layers.build import build_project

# P0, P1, P2, P3 (on P1–P2: the spike's tip returns there), P4
SPIKE = [(117.0008619, 39.1049202), (117.0009775, 39.104785), (117.0027117, 39.1055056),
         (117.0016446, 39.1050622), (117.0014134, 39.1053325)]


def _to_gk(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    t = Transformer.from_crs("EPSG:4326", fx.GK, always_xy=True)
    return [tuple(map(float, t.transform(x, y))) for x, y in points]  # type: ignore[misc]


def _shoelace(points: list[tuple[float, float]]) -> float:
    xy = np.asarray(points)
    x, y = xy[:, 0], xy[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _parks() -> gpd.GeoDataFrame:
    p = _to_gk(SPIKE)
    # a neighbour below the edge P3–P2, sharing both vertices (as the scale-200 pair did)
    below = Transformer.from_crs(fx.GK, "EPSG:4326", always_xy=True).transform(
        p[3][0] + 40.0, p[3][1] - 50.0)
    neighbour = [SPIKE[3], SPIKE[2], (round(below[0], 7), round(below[1], 7))]
    return gpd.GeoDataFrame(
        {"id": ["spike", "next"], "类别": ["G11", "G11"], "name": ["尖角园", "邻园"]},
        geometry=[shapely.Polygon(SPIKE), shapely.Polygon(neighbour)], crs="EPSG:4326")


def test_fixture_is_valid_as_given_and_invalid_once_projected() -> None:
    parks = _parks()
    assert parks.geometry.is_valid.all()
    assert not parks.to_crs(fx.GK).geometry.iloc[0].is_valid
    with pytest.raises(shapely.errors.GEOSException):
        shapely.union_all(np.asarray(parks.to_crs(fx.GK).geometry.array, dtype=object))


@pytest.mark.parametrize("chunk_size", [None, 1])
def test_build_repairs_what_reprojection_broke(tmp_path: Path, chunk_size: int | None) -> None:
    root = fx.write_project(tmp_path)
    # a GeoPackage, so that chunk_size=1 reads and projects the parks one at a time
    pyogrio.write_dataframe(_parks(), root / "raw" / "green.gpkg", layer="green")
    manifest = (root / "project.toml").read_text(encoding="utf-8")
    (root / "project.toml").write_text(
        manifest.replace('path = "raw/green.geojson"', 'path = "raw/green.gpkg"'),
        encoding="utf-8")
    result = build_project(root, run_steps=False, chunk_size=chunk_size)
    green = pyogrio.read_dataframe(root / "build" / "peakmap.gpkg", layer="green_spaces")
    assert green["id"].tolist() == ["spike", "next"]
    assert green.geometry.is_valid.all()
    rep = next(r for r in result.layers if r.name == "green_spaces")
    assert (rep.repaired, rep.dropped, rep.features_stored) == (1, 0, 2)
    assert any("after reprojection to the metric CRS: repaired 1 invalid geometry: spike" in n
               for n in rep.notes)
    # by hand: the spike has no area, so the park is the quadrilateral P0 P1 P3 P4
    p = _to_gk(SPIKE)
    quad = _shoelace([p[0], p[1], p[3], p[4]])
    assert green.geometry.iloc[0].area == pytest.approx(quad, abs=0.01)
    # and the parks now union (the coverage step's dissolve): without the spike they touch
    # at P3 only, so they stay two parks of their own areas
    parts = dissolve_touching(np.asarray(green.geometry.array, dtype=object))
    assert sorted(shapely.area(parts)) == pytest.approx(sorted(green.geometry.area), abs=0.01)


def test_dissolve_repairs_an_invalid_park_from_an_older_store() -> None:
    parks = _parks().to_crs(fx.GK)  # as a store built before the repair holds them
    geoms = np.asarray(parks.geometry.array, dtype=object)
    parts = dissolve_touching(geoms)
    p = _to_gk(SPIKE)
    quad = _shoelace([p[0], p[1], p[3], p[4]])
    # the spike repaired as the build does: the quadrilateral and the neighbour (which takes
    # the spike's sliver, 0.002 m², along their shared edge P3–P2), touching at P3
    assert sorted(shapely.area(parts)) == pytest.approx(sorted([quad, geoms[1].area]), abs=0.01)
