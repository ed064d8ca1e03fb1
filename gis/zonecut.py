"""Cutting features by zones: which pairs meet, which lie inside, the exact clip of the rest.

The steps of :func:`gis.overlay.split_by_zones` that do the GEOS work, each able to run on
several threads (shapely releases the GIL inside GEOS): the predicate tests against prepared
zones (each thread with its own prepared copy), and the clip of the features crossing a zone
border, where a large feature is first cut to a box around the zone (:func:`trimmed`).

Examples
--------
>>> import numpy as np, shapely
>>> zones = np.asarray(shapely.box([0, 1], 0, [1, 2], 1), dtype=object)
>>> feats = np.asarray([shapely.box(0.5, 0, 1.5, 1), shapely.box(0.1, 0.1, 0.2, 0.2)])
>>> meets, inside = zone_tests(zones, np.array([0, 1, 0]), feats, np.array([0, 0, 1]),
...                            workers=1)
>>> meets.tolist(), inside.tolist()
([True, True, True], [False, False, True])
>>> shapely.area(cut(feats[[0, 0]], zones)).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = [
    "PARALLEL_MIN_ITEMS",
    "TRIM_MARGIN_M",
    "TRIM_MARGIN_SHARE",
    "TRIM_MIN_VERTICES",
    "chunked",
    "cut",
    "trimmed",
    "zone_tests",
]

GeomArray = NDArray[np.object_]
IntArray = NDArray[np.intp]

# Below this many geometries the thread pool costs more than it saves.
PARALLEL_MIN_ITEMS = 2000
# A feature with at least this many vertices crossing a zone border is first cut to a box a
# little larger than the zone (GEOS's rectangle clip, linear and cheap) before the exact
# intersection, which then works on the few vertices near the zone instead of all of them:
# a road-land polygon with hundreds of holes crossing 64 communities is clipped 64 times.
TRIM_MIN_VERTICES = 64
# Margin of that box around the zone's bounding box: this share of the zone's larger side
# plus TRIM_MARGIN_M (coordinate units), so the box's edges lie well outside the zone.
TRIM_MARGIN_SHARE = 0.01
TRIM_MARGIN_M = 1.0


def chunked(
    fn: Callable[..., Any], arrays: Sequence[GeomArray], *, workers: int
) -> NDArray[Any]:
    """Apply a vectorised shapely function over chunks of its arrays, on ``workers`` threads.

    Parameters
    ----------
    fn : callable
        Takes as many equal-length arrays as ``arrays`` holds and returns one array of that
        length (e.g. ``shapely.intersection``); it must not touch prepared geometries that
        another thread uses.
    arrays : sequence of numpy.ndarray
        The arguments, cut into ``4 × workers`` chunks.
    workers : int
        Threads; 1 (or fewer than :data:`PARALLEL_MIN_ITEMS` items) runs ``fn`` here at once.

    Returns
    -------
    numpy.ndarray
        The chunks' results one after another.
    """
    n = len(arrays[0])
    if workers <= 1 or n < PARALLEL_MIN_ITEMS:
        return np.asarray(fn(*arrays))
    bounds = np.linspace(0, n, workers * 4 + 1).astype(int)

    def run(span: tuple[int, int]) -> Any:
        return fn(*(a[span[0] : span[1]] for a in arrays))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(run, itertools.pairwise(bounds.tolist())))
    return np.concatenate(parts)


def zone_tests(
    z: GeomArray, zi: IntArray, g: GeomArray, fi: IntArray, *, workers: int
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Whether zone ``z[zi[k]]`` meets feature ``g[fi[k]]``, and whether it covers it.

    Parameters
    ----------
    z : numpy.ndarray of shapely polygons
        The zones.
    zi, fi : numpy.ndarray of int
        Zone and feature of each pair.
    g : numpy.ndarray of shapely geometries
        The features.
    workers : int
        Threads.

    Returns
    -------
    meets, covers : numpy.ndarray of bool
        One flag per pair each (``covers`` is False where ``meets`` is).

    Notes
    -----
    The zones are prepared (in place: later calls with the same zones reuse them). A prepared
    geometry builds its indexes on first use, so it must not be shared between threads: on
    ``workers`` threads each thread tests its share of the pairs against its own prepared
    copy of the zones (the same coordinates, read back from WKB).
    """
    shapely.prepare(z)

    def run(zones: GeomArray, lo: int, hi: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        zz, gg = zones[zi[lo:hi]], g[fi[lo:hi]]
        hit = np.asarray(shapely.intersects(zz, gg), dtype=bool)
        inside = np.zeros(hi - lo, dtype=bool)
        inside[hit] = np.asarray(shapely.covers(zz[hit], gg[hit]), dtype=bool)
        return hit, inside

    n = len(fi)
    if workers <= 1 or n < PARALLEL_MIN_ITEMS:
        return run(z, 0, n)
    copies = [z] + [np.asarray(shapely.from_wkb(shapely.to_wkb(z)), dtype=object)
                    for _ in range(workers - 1)]
    for copy in copies[1:]:
        shapely.prepare(copy)
    ends = np.linspace(0, n, workers + 1).astype(int).tolist()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = list(pool.map(run, copies, ends[:-1], ends[1:]))
    return (np.concatenate([hit for hit, _ in done]),
            np.concatenate([inside for _, inside in done]))


def cut(geoms: GeomArray, zones: GeomArray) -> GeomArray:
    """``geoms[k] ∩ zones[k]``, large features trimmed first (:func:`trimmed`).

    Parameters
    ----------
    geoms, zones : numpy.ndarray of shapely geometries
        Equal length: feature and zone of each pair.

    Returns
    -------
    numpy.ndarray of shapely geometries
    """
    return np.asarray(shapely.intersection(trimmed(geoms, zones), zones), dtype=object)


def trimmed(geoms: GeomArray, zones: GeomArray) -> GeomArray:
    """``geoms`` with each large one cut to a box around its zone (same part inside the zone).

    Parameters
    ----------
    geoms, zones : numpy.ndarray of shapely geometries
        Equal length: feature and zone of each pair.

    Returns
    -------
    numpy.ndarray of shapely geometries
        A copy of ``geoms``, its large features replaced by their trimmed versions.

    Notes
    -----
    Features of :data:`TRIM_MIN_VERTICES` vertices or more reaching beyond the box are
    clipped to the zone's bounding box grown by a margin (``shapely.clip_by_rect``). The box
    holds the whole zone with room to spare, so ``clipped ∩ zone`` is ``feature ∩ zone``; only
    the few new vertices on the box's edges, all outside the zone, are rounded. GEOS does not
    promise a valid result from the rectangle clip: an invalid one is dropped and the feature
    is intersected whole, as without the trim.
    """
    out = geoms.copy()
    big = np.flatnonzero(np.asarray(shapely.get_num_coordinates(geoms)) >= TRIM_MIN_VERTICES)
    if len(big) == 0:
        return out
    box = np.asarray(shapely.bounds(zones[big]), dtype=float)
    pad = TRIM_MARGIN_SHARE * np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    pad += TRIM_MARGIN_M
    box += np.column_stack([-pad, -pad, pad, pad])
    own = np.asarray(shapely.bounds(geoms[big]), dtype=float)
    beyond = ((own[:, :2] < box[:, :2]) | (own[:, 2:] > box[:, 2:])).any(axis=1)
    big, box = big[beyond], box[beyond]
    # one GEOS call per large feature and zone (the rectangle is a scalar argument); few
    clipped = np.array(
        [shapely.clip_by_rect(geoms[i], *b) for i, b in zip(big.tolist(), box.tolist(),
                                                            strict=True)] + [None],
        dtype=object)[:-1]
    ok = np.asarray(shapely.is_valid(clipped), dtype=bool)
    out[big[ok]] = clipped[ok]
    return out
