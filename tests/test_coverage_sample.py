"""Coverage on the built Heping sample: walking ≤ straight; an independent buffer-union check."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from layers.coverage import PRESETS_PATH, UNCOVERED_LAYER, load_presets
from layers.indicators.catalog import Catalog, read_catalog
from layers.indicators.engine import compute_records
from layers.params import CoverageParams
from layers.project import Project

pytestmark = pytest.mark.slow

STANDARDS = PRESETS_PATH.parent / "standards.toml"
PAIRS = (
    "STD-PARK-500", "STD-PARK-500-HH", "STD-PARK-SIZE", "STD-GREEN-300", "STD-RECYCLE-300",
)
TOLERANCE_PP = 0.1


@pytest.fixture(scope="module")
def records(heping_built: Path) -> pd.DataFrame:
    cat = read_catalog(STANDARDS)
    ids = [*PAIRS, *(f"{i}-walk" for i in PAIRS)]
    recs = compute_records(Project(heping_built), catalog=Catalog(
        [s for s in cat.indicators if s.id in ids], params=cat.params
    ))
    return pd.DataFrame([r.as_dict() for r in recs])


def _values(records: pd.DataFrame, ident: str) -> pd.Series:
    rows = records[records["indicator"] == ident]
    return rows.set_index(["level", "zone_code"])["value"].astype(float)


@pytest.mark.parametrize("ident", PAIRS)
def test_walking_never_above_straight_in_any_zone(records: pd.DataFrame, ident: str) -> None:
    straight = _values(records, ident)
    walk = _values(records, f"{ident}-walk")
    assert len(straight) > 0 and straight.index.equals(walk.index)
    assert straight.notna().any()
    both = straight.notna() & walk.notna()
    # records carry two decimals: allow the rounding step
    assert (walk[both] <= straight[both] + 0.01).all(), (walk - straight)[both].max()


def test_park500_per_street_matches_geopandas_buffer_union(
    records: pd.DataFrame, heping_built: Path
) -> None:
    """Independent method: geopandas union + size classes + buffer + overlay, per street."""
    store = Project(heping_built).store
    preset = load_presets()["gbt51346"]
    green = store.read("green_spaces")
    parks = green[green["class"].isin(preset.green_classes)].geometry
    pocket = store.read("pocket_parks")
    pocket = pocket[pocket["status"].fillna("existing") != "planned"]
    if "built_year" in pocket.columns:
        pocket = pocket[~(pd.to_numeric(pocket["built_year"], errors="coerce") > 2025)]
    if "built_year" in green.columns:
        parks = parks[~(pd.to_numeric(green["built_year"], errors="coerce") > 2025)]
    allparks = gpd.GeoSeries(pd.concat([parks, pocket.geometry]), crs=green.crs)
    # Merged parks, each with the radius its merged size earns (GB/T 50563 classes):
    # ≥ 5000 m² 500 m, 2000–5000 m² 300 m, ≥ 1000 m² 300 m in the historic streets.
    merged = gpd.GeoDataFrame(geometry=list(allparks.union_all().geoms), crs=green.crs)
    merged = merged[merged.geometry.geom_type == "Polygon"].reset_index(drop=True)
    historic = set(Project(heping_built).params(CoverageParams).historic_streets)
    streets_all = store.read("streets")[["code", "geometry"]]
    where = gpd.sjoin(
        merged.set_geometry(merged.representative_point()), streets_all, predicate="within"
    )
    in_historic = merged.index.isin(where.index[where["code"].isin(historic)])
    area = merged.area.to_numpy()
    radius = np.where(area >= 5000, 500.0, np.where(area >= 2000, 300.0, 0.0))
    radius = np.where((radius == 0) & in_historic & (area >= 1000), 300.0, radius)
    keep = radius > 0
    served = gpd.GeoSeries(merged.geometry[keep]).buffer(
        radius[keep], quad_segs=32
    ).union_all()
    landuse = store.read("landuse")
    res = landuse[landuse["code"].astype(str).str.upper().str.startswith("R")][["geometry"]]
    streets = store.read("streets")[["code", "geometry"]]
    pieces = gpd.overlay(res, streets, how="intersection")
    pieces["covered"] = pieces.geometry.intersection(served).area
    pieces["area"] = pieces.geometry.area
    by_street = pieces.groupby("code")[["covered", "area"]].sum()
    expect = 100.0 * by_street["covered"] / by_street["area"]
    got = _values(records, "STD-PARK-500").loc["street"]
    assert len(expect) >= 1
    for code, value in expect.items():
        assert got[code] == pytest.approx(value, abs=TOLERANCE_PP), code


def test_uncovered_layer_matches_indicator(records: pd.DataFrame, heping_built: Path) -> None:
    store = Project(heping_built).store
    layer = store.read(UNCOVERED_LAYER)
    assert {"community_code", "street_code", "uncovered_m2", "residential_m2"} <= set(
        layer.columns
    )
    np.testing.assert_allclose(layer.geometry.area, layer["uncovered_m2"], rtol=1e-6)
    got = _values(records, "STD-PARK-500").loc["community"]
    share = 100.0 - 100.0 * layer["uncovered_m2"] / layer["residential_m2"]
    for code, value in zip(layer["community_code"], share, strict=True):
        assert got[code] == pytest.approx(value, abs=0.01)
    # communities absent from the layer are fully covered (or hold no residential land)
    absent = set(got.index) - set(layer["community_code"])
    assert all(np.isnan(got[c]) or got[c] == pytest.approx(100.0) for c in absent)
    assert bool(shapely.is_valid(np.asarray(layer.geometry.values)).all())
