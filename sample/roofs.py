"""Pitched roofs drawn into the sample DSM: gable and hipped roofs on rectangular footprints.

A footprint's oriented rectangle gives its long axis ``u`` (half length ``L``), its short axis
``n`` (half width ``W``) and its centre ``c``. For a pixel centre ``p`` with
``a = (p − c)·u`` and ``b = (p − c)·n``, the roof rises above the eave by

* gable (ridge along the long axis): ``tan(pitch) · (W − |b|)``;
* hip (four planes of equal pitch): ``tan(pitch) · min(W − |b|, L − |a|)``.

So a gable's two planes face ``±n`` and a hip adds the two ends facing ``±u``, each at the
drawn pitch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.features import rasterize

__all__ = ["PITCHED", "roof_axes", "roof_rise"]

PITCHED = ("gable", "hip")


def roof_axes(geoms: NDArray[np.object_]) -> tuple[NDArray[np.float64], ...]:
    """Centre x, y, long-axis unit vector ux, uy, half length and half width of each footprint.

    The axes come from the footprint's oriented (minimum rotated) rectangle.
    """
    env = shapely.oriented_envelope(geoms)
    xy = shapely.get_coordinates(shapely.get_exterior_ring(env)).reshape(len(geoms), 5, 2)
    e1 = xy[:, 1] - xy[:, 0]
    e2 = xy[:, 2] - xy[:, 1]
    l1, l2 = np.hypot(*e1.T), np.hypot(*e2.T)
    long_is_1 = l1 >= l2
    u = np.where(long_is_1[:, None], e1, e2) / np.maximum(np.maximum(l1, l2), 1e-9)[:, None]
    centre = (xy[:, 0] + xy[:, 2]) / 2
    return (centre[:, 0], centre[:, 1], u[:, 0], u[:, 1],
            np.maximum(l1, l2) / 2, np.minimum(l1, l2) / 2)


def roof_rise(
    geoms: NDArray[np.object_], shapes: NDArray[Any], pitch_deg: NDArray[Any], *,
    transform: Affine, out_shape: tuple[int, int],
) -> NDArray[np.float32]:
    """Height of the roof above the eave on every pixel whose centre is under a pitched roof.

    Parameters
    ----------
    geoms : ndarray of shapely polygons
        Footprints (metric CRS).
    shapes : ndarray of str
        ``flat``, ``gable`` or ``hip``.
    pitch_deg : ndarray of float
        Roof pitch.
    transform : affine.Affine
        North-up transform of the raster.
    out_shape : tuple of int
        ``(height, width)``.

    Returns
    -------
    ndarray of float32
        Rise (m), 0 outside pitched roofs.

    Examples
    --------
    >>> g = np.array([shapely.box(0, 0, 8, 4)], dtype=object)  # ridge along x at y = 2
    >>> r = roof_rise(g, np.array(["gable"]), np.array([45.0]),
    ...               transform=Affine(1, 0, 0, 0, -1, 4), out_shape=(4, 8))
    >>> r[:, 3].tolist()  # pixel centres 0.5, 1.5 m from the eaves
    [0.5, 1.5, 1.5, 0.5]
    """
    out = np.zeros(out_shape, np.float32)
    sel = np.flatnonzero(np.isin(np.asarray(shapes, dtype=object), PITCHED))
    if sel.size == 0:
        return out
    labels = rasterize(
        ((geoms[i], k + 1) for k, i in enumerate(sel)),
        out_shape=out_shape, transform=transform, fill=0, dtype="int32",
    )
    rows, cols = np.nonzero(labels)
    if rows.size == 0:
        return out
    k = labels[rows, cols] - 1
    cx, cy, ux, uy, half_l, half_w = (v[k] for v in roof_axes(geoms[sel]))
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    a = (x - cx) * ux + (y - cy) * uy
    b = -(x - cx) * uy + (y - cy) * ux
    run = half_w - np.abs(b)
    hip = np.asarray(shapes, dtype=object)[sel][k] == "hip"
    run = np.where(hip, np.minimum(run, half_l - np.abs(a)), run)
    tan = np.tan(np.radians(np.asarray(pitch_deg, dtype=float)[sel][k]))
    out[rows, cols] = np.maximum(run, 0.0) * tan
    return out
