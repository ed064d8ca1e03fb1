"""The sample DSM: ground (3–5 m above sea level) plus buildings and tree canopy over parks.

Written as a tiled, deflate-compressed float32 GeoTIFF in the metric CRS at 2 m. Each copy of
the district is rasterised and written into its own window, so memory stays bounded by one
copy whatever ``--scale`` is. Heights are quantised (ground to 5 cm, canopy to 50 cm) so the
file compresses well; roofs are flat at ``height_m`` except the gable and hipped roofs of the
old-town streets, drawn above their eave height by :func:`sample.roofs.roof_rise`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.windows import Window

from sample.district import District
from sample.outline import METRIC_CRS
from sample.roofs import roof_rise

__all__ = ["DSM_RESOLUTION_M", "DsmWriter", "dsm_box", "dsm_surface", "north_up", "snap_to_grid",
           "write_dsm"]

DSM_RESOLUTION_M = 2.0
DSM_MARGIN_M = 20.0
DSM_NODATA = -9999.0
DSM_TILE_PX = 256
DSM_ZLEVEL = 6  # deflate level: 9 is 3x slower for 15 % less
GROUND_M = (3.0, 5.0)
GROUND_WAVELENGTH_M = (1500.0, 4000.0)
GROUND_STEP_M = 0.05
CANOPY_HEIGHT_M = (8.0, 15.0)
CANOPY_STEP_M = 0.5
CANOPY_COVER = 0.55
CANOPY_CLUMP_PX = 5
DSM_SEED_TAG = 7


def north_up(west: float, north: float) -> Affine:
    """The DSM grid's transform with its top-left corner at (``west``, ``north``).

    Examples
    --------
    >>> north_up(10.0, 20.0).c, north_up(10.0, 20.0).f, north_up(10.0, 20.0).e
    (10.0, 20.0, -2.0)
    """
    # built directly: rasterio's from_origin multiplies with `*`, which affine deprecates
    return Affine(DSM_RESOLUTION_M, 0.0, west, 0.0, -DSM_RESOLUTION_M, north)


def snap_to_grid(v: float, down: bool) -> float:
    """``v`` moved down (or up) onto the DSM grid (multiples of ``DSM_RESOLUTION_M``).

    Examples
    --------
    >>> snap_to_grid(5.0, True), snap_to_grid(5.0, False)
    (4.0, 6.0)
    """
    q = DSM_RESOLUTION_M
    return float(np.floor(v / q) * q if down else np.ceil(v / q) * q)


def dsm_surface(
    d: District, bounds: tuple[float, float, float, float], rng: np.random.Generator
) -> NDArray[np.float32]:
    """The DSM of copy ``d`` over ``bounds`` (on the grid): ground, buildings, trees.

    Parameters
    ----------
    d : District
        One copy of the sample district.
    bounds : (minx, miny, maxx, maxy)
        Snapped to the grid (:func:`snap_to_grid`).
    rng : numpy.random.Generator
        The copy's generator (its seed decides the ground waves and the canopy).

    Returns
    -------
    ndarray of float32
        Heights in metres, north-up, ``DSM_RESOLUTION_M`` cells.
    """
    minx, miny, maxx, maxy = bounds
    r = DSM_RESOLUTION_M
    w, h = round((maxx - minx) / r), round((maxy - miny) / r)
    transform = north_up(minx, maxy)
    x = minx + (np.arange(w) + 0.5) * r - d.frame.shift_x
    y = maxy - (np.arange(h) + 0.5) * r - d.frame.shift_y
    lam = rng.uniform(*GROUND_WAVELENGTH_M, size=2)
    phase = rng.uniform(0, 2 * np.pi, size=2)
    # ground = lo + (hi - lo) * (0.5 + 0.25 sin(x) + 0.25 sin(y)), built in place in float32
    span = GROUND_M[1] - GROUND_M[0]
    sx = (0.25 * span * np.sin(2 * np.pi * x / lam[0] + phase[0])).astype(np.float32)
    sy = (GROUND_M[0] + 0.5 * span
          + 0.25 * span * np.sin(2 * np.pi * y / lam[1] + phase[1])).astype(np.float32)
    surf = np.add(sy[:, None], sx[None, :], dtype=np.float32)
    np.divide(surf, GROUND_STEP_M, out=surf)
    np.round(surf, out=surf)
    np.multiply(surf, GROUND_STEP_M, out=surf)
    b = d.layers["buildings"]
    shapes = zip(b.geometry.values, b["height_m"].to_numpy(dtype=float), strict=True)
    cover = rasterize(shapes, out_shape=(h, w), transform=transform, fill=0.0, dtype="float32")
    if "roof_shape" in b.columns:  # pitched roofs rise above the eave height
        cover += roof_rise(
            np.asarray(b.geometry.values, dtype=object), b["roof_shape"].to_numpy(),
            b["roof_pitch_deg"].to_numpy(dtype=float), transform=transform, out_shape=(h, w),
        )
    in_park = rasterize(
        ((g, 1) for g in d.canopy if not shapely.is_empty(g)),
        out_shape=(h, w), transform=transform, fill=0, dtype="uint8",
    ).astype(bool)
    ch, cw = h // CANOPY_CLUMP_PX + 1, w // CANOPY_CLUMP_PX + 1
    clumps = rng.random((ch, cw)) < CANOPY_COVER
    heights = rng.uniform(*CANOPY_HEIGHT_M, size=(ch, cw))
    tree = np.where(clumps, np.round(heights / CANOPY_STEP_M) * CANOPY_STEP_M, 0.0)
    tree = tree.astype(np.float32)
    tree = np.repeat(np.repeat(tree, CANOPY_CLUMP_PX, axis=0), CANOPY_CLUMP_PX, axis=1)[:h, :w]
    np.maximum(cover, tree, out=cover, where=in_park)
    np.add(surf, cover, out=surf)
    return surf


def dsm_box(
    outline_bounds: NDArray[np.float64] | Sequence[float],
) -> tuple[float, float, float, float]:
    """The DSM window of one copy: its outline's bounds plus the margin, snapped to pixels."""
    bx = outline_bounds
    return (
        snap_to_grid(bx[0] - DSM_MARGIN_M, True), snap_to_grid(bx[1] - DSM_MARGIN_M, True),
        snap_to_grid(bx[2] + DSM_MARGIN_M, False), snap_to_grid(bx[3] + DSM_MARGIN_M, False),
    )


class DsmWriter:
    """Write the DSM one copy of the district at a time, each into its own window.

    Parameters
    ----------
    path : pathlib.Path
        Output GeoTIFF (opened at once; close with :meth:`close` or use as a context manager).
    boxes : sequence of (minx, miny, maxx, maxy)
        :func:`dsm_box` of every copy, known before any copy is generated.
    seed : int
        Seed of the run (the DSM draws its own stream from it, one per copy).
    """

    def __init__(
        self, path: Path, boxes: Sequence[tuple[float, float, float, float]], *, seed: int
    ) -> None:
        self.path = path
        self.boxes = list(boxes)
        self.seed = seed
        arr = np.array(self.boxes)
        self.minx, self.maxy = float(arr[:, 0].min()), float(arr[:, 3].max())
        r = DSM_RESOLUTION_M
        profile = {
            "driver": "GTiff", "dtype": "float32", "count": 1, "crs": METRIC_CRS,
            "width": round((arr[:, 2].max() - self.minx) / r),
            "height": round((self.maxy - arr[:, 1].min()) / r),
            "transform": north_up(self.minx, self.maxy), "nodata": DSM_NODATA,
            "tiled": True, "blockxsize": DSM_TILE_PX, "blockysize": DSM_TILE_PX,
            "compress": "deflate", "predictor": 3, "zlevel": DSM_ZLEVEL,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        self._dst = rasterio.open(path, "w", **profile)

    def add(self, k: int, d: District) -> None:
        """Rasterise copy ``k`` into its window (the box must be the one given for ``k``)."""
        box = dsm_box(d.layers["districts"].total_bounds)
        if box != self.boxes[k]:
            raise ValueError(f"copy {k}: DSM box {box} differs from the planned {self.boxes[k]}")
        surf = dsm_surface(d, box, np.random.default_rng([self.seed, k, DSM_SEED_TAG]))
        r = DSM_RESOLUTION_M
        win = Window(
            round((box[0] - self.minx) / r), round((self.maxy - box[3]) / r),
            surf.shape[1], surf.shape[0],
        )
        self._dst.write(surf, 1, window=win)

    def close(self) -> Path:
        """Close the file and return its path."""
        self._dst.close()
        return self.path

    def __enter__(self) -> DsmWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dst.close()


def write_dsm(path: Path, districts: Sequence[District], *, seed: int) -> Path:
    """Write the DSM covering every copy of the district (all copies in memory).

    Parameters
    ----------
    path : pathlib.Path
        Output GeoTIFF.
    districts : sequence of District
        The generated copies (metric CRS).
    seed : int
        Seed of the run (the DSM draws its own stream from it).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    boxes = [dsm_box(d.layers["districts"].total_bounds) for d in districts]
    with DsmWriter(path, boxes, seed=seed) as w:
        for k, d in enumerate(districts):
            w.add(k, d)
    return path
