"""Pitched roofs of the sample: slope and aspect from the DSM equal the roof planes drawn."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import shapely.affinity
from affine import Affine
from rasterio.features import rasterize

from gis.solar import slope_aspect
from sample.roofs import roof_axes, roof_rise

SAMPLE = Path(__file__).parents[1] / "data" / "heping" / "raw"
RES = 0.5
EAVE = 10.0


def _draw(shape: str, pitch: float, angle: float) -> tuple[np.ndarray, ...]:
    """A 24 × 12 m footprint turned ``angle``° anticlockwise, its DSM and roof labels."""
    g = shapely.affinity.rotate(shapely.box(10, 10, 34, 22), angle, origin=(22, 16))
    n = round(44 / RES)
    tf = Affine(RES, 0, 0, 0, -RES, 32)
    geoms = np.array([g], dtype=object)
    lab = rasterize([(g, 1)], out_shape=(n, n), transform=tf, fill=0, dtype="int32")
    rise = roof_rise(geoms, np.array([shape]), np.array([pitch]), transform=tf,
                     out_shape=(n, n))
    z = np.where(lab > 0, EAVE + rise, 0.0).astype(np.float32)
    rows, cols = np.mgrid[0:n, 0:n]
    x, y = (cols + 0.5) * RES, 32 - (rows + 0.5) * RES
    return z, lab, x, y, geoms


def _planes(
    geoms: np.ndarray, x: np.ndarray, y: np.ndarray, shape: str
) -> tuple[np.ndarray, np.ndarray]:
    """Expected aspect of each pixel's plane, and a mask of pixels 2 px clear of any fold."""
    cx, cy, ux, uy, half_l, half_w = (float(v[0]) for v in roof_axes(geoms))
    a = (x - cx) * ux + (y - cy) * uy
    b = -(x - cx) * uy + (y - cy) * ux
    side, end = half_w - abs(b), half_l - abs(a)
    # the plane falls away from the ridge along ±n (sides) or ±u (hip ends)
    nx, ny = np.sign(b) * -uy, np.sign(b) * ux
    if shape == "hip":
        on_end = end < side
        nx = np.where(on_end, np.sign(a) * ux, nx)
        ny = np.where(on_end, np.sign(a) * uy, ny)
        clear = (np.minimum(side, end) > 2 * RES) & (abs(side - end) > 3 * RES) & (abs(b) > 2 * RES)
    else:
        clear = (side > 2 * RES) & (end > 2 * RES) & (abs(b) > 2 * RES)
    return np.degrees(np.arctan2(nx, ny)) % 360.0, clear


@pytest.mark.parametrize(("shape", "pitch", "angle"),
                         [("gable", 30.0, 0.0), ("gable", 27.5, 20.0), ("hip", 32.0, -35.0)])
def test_slope_and_aspect_equal_the_planes_drawn(shape: str, pitch: float, angle: float) -> None:
    z, lab, x, y, geoms = _draw(shape, pitch, angle)
    slope, aspect = slope_aspect(z, res=RES, labels=lab)
    expected, clear = _planes(geoms, x, y, shape)
    inside = clear & (lab > 0)
    assert inside.sum() > 200
    np.testing.assert_allclose(slope[inside], pitch, atol=0.05)
    off = (aspect[inside] - expected[inside] + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(off, 0.0, atol=0.1)
    if shape == "hip":  # all four planes are there
        assert len(np.unique(np.round(expected[inside]))) == 4
    # the ridge (gable) or the peak (hip) stands at eave + tan(pitch) × half width
    half_w = float(roof_axes(geoms)[5][0])
    assert z.max() == pytest.approx(EAVE + math.tan(math.radians(pitch)) * half_w, abs=0.3)


def test_committed_sample_has_pitched_old_town_roofs() -> None:
    """The sample's DSM holds the gable and hipped roofs its buildings declare."""
    b = gpd.read_file(SAMPLE / "buildings_cgcs2000.gpkg")
    pitched = b[b["roof_shape"].isin(("gable", "hip"))]
    assert len(pitched) > 50 and set(pitched["roof_shape"]) == {"gable", "hip"}
    assert (pitched["built_year"] < 1960).all() and (pitched["floors"] <= 4).all()
    assert (b.loc[b["roof_shape"] == "flat", "roof_pitch_deg"] == 0).all()
    with rasterio.open(SAMPLE / "dsm_2m_cgcs2000.tif") as ds:
        z = ds.read(1)
        tf = ds.transform
        crs = ds.crs
    geoms = np.asarray(pitched.to_crs(crs).geometry.values, dtype=object)  # delivered in 4490
    lab = rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=z.shape, transform=tf,
                    fill=0, dtype="int32")
    slope, _ = slope_aspect(z, res=tf.a, labels=lab)
    # median slope of each roof's pixels equals its drawn pitch (folds and eaves are few)
    k = lab[lab > 0] - 1
    med = np.array([np.median(slope[lab > 0][k == i]) if (k == i).sum() >= 9 else np.nan
                    for i in range(len(geoms))])
    ok = np.isfinite(med)
    assert ok.sum() > 0.8 * len(geoms)
    err = np.abs(med[ok] - pitched["roof_pitch_deg"].to_numpy()[ok])
    assert np.median(err) < 1.5 and np.quantile(err, 0.9) < 4.0
