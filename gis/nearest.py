"""Nearest segment of many points among many straight segments, vectorised.

The walking graph (:mod:`gis.network`) snaps every demand point (up to a million grid samples
of residential land) to its nearest road edge. GEOS's nearest search through an STRtree does
that one point at a time (≈ 13 µs each); :class:`SegmentIndex` answers whole arrays at once
with a k-d tree over points sampled along the segments and numpy arithmetic, with the same
result:

1. Every segment is cut into pieces no longer than ``step``; the piece midpoints go into a
   ``scipy.spatial.cKDTree`` labelled with their segment. Every point of a segment then lies
   within ``step / 2`` of one of its samples.
2. For each query point the ``k`` nearest samples give candidate segments; the exact distance
   to each is computed with the formula GEOS uses (``Distance::pointToSegment``), and the
   nearest candidate wins (on an exact tie, the lowest segment number).
3. A segment at distance ``d`` has a sample within ``d + step / 2``: when the ``k``-th sample
   lies farther than the winner's distance plus ``step / 2``, no segment was missed. Points
   not yet sure are asked again with four times ``k``; the few left after that are reported
   as unsure, for the caller to settle another way.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

__all__ = ["SegmentIndex", "segment_distance", "thread_count"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_K_FIRST, _K_LAST = 8, 128  # samples asked for first, and at most
_BLOCK = 65_536  # query points per vectorised block (bounds the (n, k) temporaries)
_EPS = 1e-6  # metres: rounding of the sample positions


def thread_count() -> int:
    """Threads worth using for numpy/scipy work: the cores this process may use, at most two."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cores or 1))


def segment_distance(p: FloatArray, a: FloatArray, b: FloatArray) -> FloatArray:
    """Distance from points to segments ``a``–``b``, by GEOS's formula (same floating result).

    Parameters
    ----------
    p, a, b : ndarray of shape (..., 2)
        Points and segment ends (broadcast together).

    Returns
    -------
    ndarray of float

    Examples
    --------
    >>> segment_distance(np.array([[5.0, 3.0], [-4.0, 3.0]]), np.zeros(2), np.array([10.0, 0]))
    array([3., 5.])
    """
    px, py, ax, ay, bx, by = p[..., 0], p[..., 1], a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / len2
        s = ((ay - py) * dx - (ax - px) * dy) / len2
    to_a = np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    to_b = np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    out = np.where(r >= 1.0, to_b, np.abs(s) * np.sqrt(len2))
    return np.asarray(np.where((r <= 0.0) | (len2 == 0), to_a, out))


class SegmentIndex:
    """Find the nearest of many segments for whole arrays of points.

    Parameters
    ----------
    a, b : ndarray of shape (m, 2)
        Segment ends.
    step : float, default 10.0
        Largest spacing of the samples along a segment (metres).

    Examples
    --------
    >>> idx = SegmentIndex(np.array([[0.0, 0], [0, 50]]), np.array([[100.0, 0], [100, 50]]))
    >>> seg, dist, unsure = idx.nearest(np.array([[30.0, 10], [30, 40], [30, 400]]), 100.0)
    >>> seg.tolist(), dist.tolist(), bool(unsure.any())
    ([0, 1, -1], [10.0, 10.0, inf], False)
    """

    def __init__(self, a: FloatArray, b: FloatArray, *, step: float = 10.0) -> None:
        self.a = np.asarray(a, dtype=float).reshape(-1, 2)
        self.b = np.asarray(b, dtype=float).reshape(-1, 2)
        self.step = float(step)
        length = np.hypot(*(self.b - self.a).T)
        pieces = np.maximum(np.ceil(length / self.step), 1).astype(np.int64)
        self.owner = np.repeat(np.arange(len(pieces), dtype=np.int64), pieces)
        start = np.cumsum(pieces) - pieces
        frac = (np.arange(len(self.owner)) - start[self.owner] + 0.5) / pieces[self.owner]
        a_s, b_s = self.a[self.owner], self.b[self.owner]
        from scipy.spatial import cKDTree  # not at import: see gis.network

        self.tree = cKDTree(a_s + frac[:, None] * (b_s - a_s)) if len(self.owner) else None

    def nearest(
        self, xy: FloatArray, max_distance: float, *, workers: int | None = None
    ) -> tuple[IntArray, FloatArray, BoolArray]:
        """Nearest segment of each point within ``max_distance``.

        Parameters
        ----------
        xy : ndarray of shape (n, 2)
            Query points.
        max_distance : float
            Farther segments are not looked at (metres).
        workers : int, optional
            Threads over blocks of points (default :func:`thread_count`).

        Returns
        -------
        segment : ndarray of int
            -1 where no segment lies within ``max_distance``.
        distance : ndarray of float
            inf where -1.
        unsure : ndarray of bool
            Points whose neighbourhood was too crowded to settle (rare): their answer is not
            given (-1, inf); settle them otherwise.
        """
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        n = len(xy)
        if n == 0 or self.tree is None:
            return np.full(n, -1, np.int64), np.full(n, np.inf), np.zeros(n, dtype=bool)
        blocks = [xy[i:i + _BLOCK] for i in range(0, n, _BLOCK)]
        workers = thread_count() if workers is None else workers
        if workers <= 1 or len(blocks) == 1:
            parts = [self._block(b, max_distance) for b in blocks]
        else:  # the k-d tree and numpy release the GIL
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(lambda b: self._block(b, max_distance), blocks))
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def _block(
        self, xy: FloatArray, max_distance: float
    ) -> tuple[IntArray, FloatArray, BoolArray]:
        n = len(xy)
        seg = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        todo = np.arange(n)
        bound = max_distance + self.step / 2 + _EPS
        k = _K_FIRST
        while len(todo) and k <= _K_LAST:
            s, d, sure = self._candidates(xy[todo], k, bound)
            hit = sure & (d <= max_distance)
            seg[todo[hit]], dist[todo[hit]] = s[hit], d[hit]
            todo, k = todo[~sure], k * 4
        unsure = np.zeros(n, dtype=bool)
        unsure[todo] = True
        return seg, dist, unsure

    def _candidates(
        self, xy: FloatArray, k: int, bound: float
    ) -> tuple[IntArray, FloatArray, BoolArray]:
        """Best of the segments of the ``k`` nearest samples, and whether it is sure."""
        assert self.tree is not None
        n_samples = len(self.owner)
        dk, ik = self.tree.query(xy, k=k, distance_upper_bound=bound)
        valid = ik < n_samples
        cand = self.owner[np.minimum(ik, n_samples - 1)]
        d = segment_distance(xy[:, None, :], self.a[cand], self.b[cand])
        d[~valid] = np.inf
        best = d.min(axis=1)
        seg = np.where(valid & (d == best[:, None]), cand, np.iinfo(np.int64).max).min(axis=1)
        sure = ~valid.any(axis=1) | (dk[:, -1] > best + self.step / 2 + _EPS)
        return seg, best, sure
