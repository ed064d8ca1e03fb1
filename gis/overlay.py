"""Exact area, length and count of layer features inside zones, without a full overlay.

The naive way (``geopandas.overlay`` of a dissolved layer with the zones) clips every feature
and unions the whole layer. Here the work is limited to what the answer needs:

1. one STRtree query gives the (feature, zone) pairs that intersect;
2. pairs where the feature lies inside the zone keep the feature as it is; only the
   features crossing a zone border are clipped;
3. "counted once" (a union) is needed only among parts whose interiors overlap another part
   of the same zone: those parts are unioned per zone, every other part passes through
   untouched (a large feature crossing many zones is first cut to a box around each zone, so
   its clipping and overlap tests work on its few vertices near that zone);
4. the clipping and the per-zone unions can run on a second core (shapely releases the GIL
   inside GEOS), with ``workers=2``.

Everything works on numpy arrays of shapely geometries and integer indexes; nothing here
knows about plans or layers. Zones are expected not to overlap one another (a partition such
as communities); a feature crossing a border is split between the zones by area (polygons)
or length (lines), and a point on a border goes to the zone of lowest index.

Examples
--------
>>> import shapely
>>> zones = shapely.box([0, 1], 0, [1, 2], 1)          # two unit squares side by side
>>> square = shapely.box(0.5, 0, 1.5, 1)               # a square across their border
>>> area_by_zone([square, square], zones, dissolve=True).tolist()
[0.5, 0.5]
>>> area_by_zone([square, square], zones, dissolve=False).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray

from gis.zonecut import PARALLEL_MIN_ITEMS, chunked, cut, zone_tests

__all__ = [
    "PARALLEL_MIN_ITEMS",
    "PARALLEL_MIN_UNION_PARTS",
    "Pieces",
    "area_by_zone",
    "assign_points",
    "concat_pieces",
    "features_in_pieces_area",
    "intersection_area_by_zone",
    "length_by_zone",
    "merge_overlaps",
    "overlapping",
    "pieces_intersection_area",
    "split_by_zones",
    "union_groups",
    "zone_pieces",
]

GeomArray = NDArray[np.object_]
IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
Measure = Literal["area", "length"]

# DE-9IM pattern: the interiors of the two geometries share at least one point.
INTERIORS_INTERSECT = "T********"
# Unions go to threads from this many parts on (a union costs tens of times a predicate
# test, so far fewer parts pay for the pool than PARALLEL_MIN_ITEMS).
PARALLEL_MIN_UNION_PARTS = 256


def _as_array(geoms: Sequence[Any] | GeomArray) -> GeomArray:
    arr = np.asarray(geoms, dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


def _measure(geoms: GeomArray, kind: Measure) -> FloatArray:
    values = shapely.area(geoms) if kind == "area" else shapely.length(geoms)
    return np.asarray(values, dtype=float)


@dataclass(frozen=True)
class Pieces:
    """The parts of features that fall in each zone.

    Attributes
    ----------
    feature : numpy.ndarray of int
        Index of the source feature of each part (``-1`` for a part merged from several
        overlapping features by :func:`zone_pieces`).
    zone : numpy.ndarray of int
        Index of the zone that holds the part.
    measure : numpy.ndarray of float
        Area (polygons) or length (lines) of the part.
    fraction : numpy.ndarray of float
        ``measure`` divided by the measure of the whole feature (1.0 for features of zero
        measure, NaN for merged parts).
    geometry : numpy.ndarray of shapely geometries
        The part itself (the unclipped feature when it lies inside the zone).
    """

    feature: IntArray
    zone: IntArray
    measure: FloatArray
    fraction: FloatArray
    geometry: GeomArray

    def sum_by_zone(self, values: FloatArray | None, n_zones: int) -> FloatArray:
        """Sum ``values`` (one per part; default: the part's measure) per zone.

        Parameters
        ----------
        values : numpy.ndarray or None
            One value per part, or None to sum :attr:`measure`.
        n_zones : int
            Number of zones (length of the result).

        Returns
        -------
        numpy.ndarray
            One sum per zone (0.0 where no part falls).
        """
        weights = self.measure if values is None else values
        return np.bincount(self.zone, weights=weights, minlength=n_zones).astype(float)

    def take(self, rows: NDArray[Any]) -> Pieces:
        """The parts at ``rows`` (a boolean mask or integer positions), in that order."""
        return Pieces(self.feature[rows], self.zone[rows], self.measure[rows],
                      self.fraction[rows], self.geometry[rows])


def concat_pieces(parts: Sequence[Pieces]) -> Pieces:
    """The parts of several :class:`Pieces` one after another (feature indexes as they are).

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> one = split_by_zones([shapely.box(0.5, 0, 1.5, 1)], zones)
    >>> concat_pieces([one, one.take([1])]).zone.tolist()
    [0, 1, 1]
    """
    if not parts:
        return _no_pieces()
    return Pieces(*(np.concatenate([getattr(p, f) for p in parts])
                    for f in ("feature", "zone", "measure", "fraction", "geometry")))


def _no_pieces() -> Pieces:
    return Pieces(
        np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0), np.empty(0), np.empty(0, object)
    )


def split_by_zones(
    geoms: Sequence[Any] | GeomArray,
    zones: Sequence[Any] | GeomArray,
    *,
    measure: Measure = "area",
    workers: int = 1,
) -> Pieces:
    """Split features between the zones they intersect.

    Parameters
    ----------
    geoms : array of shapely geometries
        Polygons (``measure="area"``) or lines (``measure="length"``).
    zones : array of shapely polygons
        Non-overlapping zones.
    measure : {"area", "length"}
        What to measure for each part.
    workers : int
        Threads used for clipping.

    Returns
    -------
    Pieces
        One row per (feature, zone) pair with a positive measure inside the zone. A line
        stretch lying on the border two zones share counts half in each (not whole in both).

    Examples
    --------
    >>> import shapely
    >>> p = split_by_zones([shapely.box(0.5, 0, 1.5, 1)], shapely.box([0, 1], 0, [1, 2], 1))
    >>> p.zone.tolist(), p.measure.tolist(), p.fraction.tolist()
    ([0, 1], [0.5, 0.5], [0.5, 0.5])
    >>> on_border = shapely.LineString([(1, 0), (1, 1)])  # the edge both boxes share
    >>> split_by_zones([on_border], shapely.box([0, 1], 0, [1, 2], 1), measure="length").measure
    array([0.5, 0.5])
    """
    g = _as_array(geoms)
    z = _as_array(zones)
    empty = _no_pieces()
    valid = ~(shapely.is_missing(g) | shapely.is_empty(g))
    if not valid.any() or len(z) == 0:
        return empty
    # bounding-box pairs, then the few zones tested as prepared geometries (cheaper than a
    # predicate query, which prepares every feature)
    fi, zi = shapely.STRtree(z).query(g)
    keep = valid[fi]
    fi, zi = fi[keep], zi[keep]
    keep, inside = zone_tests(z, zi, g, fi, workers=workers)
    fi, zi, inside = fi[keep], zi[keep], inside[keep]
    if len(fi) == 0:
        return empty
    parts = g[fi].copy()
    cross = ~inside
    if cross.any():
        parts[cross] = chunked(cut, [g[fi[cross]], z[zi[cross]]], workers=workers)
    part_measure = _measure(parts, measure)
    if measure == "length":
        part_measure = part_measure - _shared_border_halves(parts, z, fi, zi)
    whole = _measure(g, measure)[fi]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(whole > 0, part_measure / np.where(whole > 0, whole, 1.0), 1.0)
    positive = part_measure > 0
    return Pieces(
        fi[positive].astype(np.intp),
        zi[positive].astype(np.intp),
        part_measure[positive],
        fraction[positive],
        parts[positive],
    )


def _shared_border_halves(parts: GeomArray, z: GeomArray, fi: IntArray, zi: IntArray) -> FloatArray:
    """Half the length of each line part that lies on a border its zone shares with another.

    A line drawn exactly along the border of two zones (a pipe or a lamp row on the road
    that separates two communities) is covered by both closed polygons, so each would
    count its full length. Each of the two zones counts half of such a stretch instead, so
    a feature's parts add up to its length. Stretches on a zone's outer edge count whole.
    Zones are non-overlapping, so a stretch lies on the border of at most two of them.
    """
    out = np.zeros(len(fi))
    counts = np.bincount(fi)
    cand = np.flatnonzero(counts[fi] > 1)  # features in two zones or more
    if len(cand) == 0:
        return out
    on_border = shapely.intersection(parts[cand], shapely.boundary(z[zi[cand]]))
    touching = np.asarray(shapely.length(on_border), dtype=float) > 0
    cand, on_border = cand[touching], on_border[touching]
    if len(cand) < 2:
        return out
    order = np.argsort(fi[cand], kind="stable")
    cand, on_border = cand[order], on_border[order]
    _, starts = np.unique(fi[cand], return_index=True)
    ends = np.append(starts[1:], len(cand))
    left: list[int] = []
    right: list[int] = []
    for start, end in zip(starts, ends, strict=True):  # pairs within each feature (few)
        for i in range(start, end):
            for j in range(i + 1, end):
                left.append(i)
                right.append(j)
    if not left:
        return out
    a, b = np.asarray(left), np.asarray(right)
    shared = np.asarray(shapely.length(shapely.intersection(on_border[a], on_border[b])),
                        dtype=float)
    np.add.at(out, cand[a], shared / 2.0)
    np.add.at(out, cand[b], shared / 2.0)
    return out


def overlapping(
    geoms: Sequence[Any] | GeomArray,
    *,
    exact: bool = False,
    workers: int = 1,
    groups: IntArray | None = None,
) -> NDArray[np.bool_]:
    """Flag the features that may share area with another feature.

    Parameters
    ----------
    geoms : array of shapely geometries
    exact : bool
        False (default): a feature is flagged when its bounding box meets another one's;
        one STRtree query, no geometry computation. True: only when their interiors
        overlap (DE-9IM ``T********``), at the cost of a relate per pair of meeting
        bounding boxes (features that only touch along a border are not flagged).
        Either way every feature left unflagged is disjoint from the others, which is what
        "counted once" needs.
    workers : int
        Threads used for the relates (``exact``).
    groups : numpy.ndarray of int, optional
        One label per feature: only features of the same group are compared (the parts of
        one zone, :func:`zone_pieces`).

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> import shapely
    >>> squares = shapely.box([0, 1, 1.5, 5], 0, [1, 2, 1.8, 6], 1)
    >>> overlapping(squares).tolist()
    [True, True, True, False]
    >>> overlapping(squares, exact=True).tolist()
    [False, True, True, False]
    >>> overlapping(squares, exact=True, groups=np.array([0, 0, 1, 1])).tolist()
    [False, False, False, False]
    """
    g = _as_array(geoms)
    flags = np.zeros(len(g), dtype=bool)
    if len(g) < 2:
        return flags
    a, b = shapely.STRtree(g).query(g)
    pair = a < b
    if groups is not None:
        pair &= groups[a] == groups[b]
    a, b = a[pair], b[pair]
    if len(a) == 0:
        return flags
    if exact:
        # a prepared geometry caches indexes on first use: never share one between threads
        threads = 1 if np.asarray(shapely.is_prepared(g), dtype=bool).any() else workers
        hit = np.asarray(
            chunked(_interiors_meet, [g[a], g[b]], workers=threads), dtype=bool
        )
        a, b = a[hit], b[hit]
    flags[a] = True
    flags[b] = True
    return flags


def _interiors_meet(a: GeomArray, b: GeomArray) -> NDArray[np.bool_]:
    """Whether the interiors of ``a[i]`` and ``b[i]`` share a point (one relate per pair)."""
    return np.asarray(shapely.relate_pattern(a, b, INTERIORS_INTERSECT), dtype=bool)


def _union_rows(padded: GeomArray) -> GeomArray:
    """Union of each row of a 2-D array of geometries (None pads the short rows)."""
    return np.asarray(shapely.union_all(padded, axis=1), dtype=object)


def union_groups(
    parts: GeomArray, labels: IntArray, *, workers: int
) -> tuple[IntArray, GeomArray]:
    """Union the parts sharing a label; return the labels and one union per label.

    The groups of two parts or more are laid out as the rows of padded arrays (groups of
    similar size together, so little padding) and unioned by one vectorised call per chunk
    of rows, the chunks on ``workers`` threads: no Python call per group.

    Parameters
    ----------
    parts : ndarray of shapely geometries
        The parts.
    labels : ndarray of int
        The group of each part.
    workers : int
        Threads for the chunks (1: this thread; threads only from
        :data:`PARALLEL_MIN_UNION_PARTS` parts on).

    Returns
    -------
    (ndarray of int, ndarray of shapely geometries)
        The labels, sorted and unique, and the union of each label's parts (a part alone
        is returned as it is).

    Examples
    --------
    >>> import numpy as np, shapely
    >>> parts = shapely.box([0, 1, 5], 0, [2, 3, 6], 1)
    >>> ids, unions = union_groups(parts, np.array([7, 7, 2]), workers=1)
    >>> ids.tolist(), shapely.area(unions).tolist()
    ([2, 7], [1.0, 3.0])
    """
    order = np.argsort(labels, kind="stable")
    parts, labels = parts[order], labels[order]
    uniq, starts, sizes = np.unique(labels, return_index=True, return_counts=True)
    out = np.empty(len(uniq), dtype=object)
    out[sizes == 1] = parts[starts[sizes == 1]]
    many = np.flatnonzero(sizes > 1)
    if len(many) == 0:
        return uniq.astype(np.intp), out
    group = np.repeat(np.arange(len(uniq)), sizes)  # group of each part
    rank = np.arange(len(parts)) - starts[group]  # its place in the group
    many = many[np.argsort(sizes[many], kind="stable")]
    n_chunks = workers * 4 if workers > 1 and len(parts) >= PARALLEL_MIN_UNION_PARTS else 1
    chunks = [c for c in np.array_split(many, n_chunks) if len(c)]

    def run(groups: IntArray) -> GeomArray:
        row = np.full(len(uniq), -1, dtype=np.intp)
        row[groups] = np.arange(len(groups))
        sel = row[group] >= 0
        padded = np.full((len(groups), int(sizes[groups].max())), None, dtype=object)
        padded[row[group[sel]], rank[sel]] = parts[sel]
        return _union_rows(padded)

    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            merged = list(pool.map(run, chunks))
    else:
        merged = [run(c) for c in chunks]
    out[np.concatenate(chunks)] = np.concatenate(merged)
    return uniq.astype(np.intp), out


def zone_pieces(
    geoms: Sequence[Any] | GeomArray,
    zones: Sequence[Any] | GeomArray,
    *,
    dissolve: bool = True,
    workers: int = 1,
) -> Pieces:
    """Parts of polygon features per zone, with overlaps merged so each point counts once.

    Parameters
    ----------
    geoms : array of shapely polygons
    zones : array of shapely polygons
        Non-overlapping zones.
    dissolve : bool
        When True, the parts whose interiors overlap another part of the same zone
        (:func:`overlapping` with ``exact=True`` and the zones as ``groups``) are unioned per
        zone (one merged part per zone, ``feature == -1``); the other parts, which share no
        area with any other, are kept as they are. The returned parts of one zone then never
        overlap.
    workers : int
        Threads used for clipping and unions.

    Returns
    -------
    Pieces
    """
    pieces = split_by_zones(geoms, zones, measure="area", workers=workers)
    return merge_overlaps(pieces, workers=workers) if dissolve else pieces


def merge_overlaps(pieces: Pieces, *, workers: int = 1) -> Pieces:
    """Union the parts of a zone whose interiors overlap, so each point of a zone counts once.

    Parameters
    ----------
    pieces : Pieces
        Polygon parts cut by zones (:func:`split_by_zones`, or a selection of its parts).
    workers : int
        Threads used for the overlap tests and unions.

    Returns
    -------
    Pieces
        The parts that overlap no other part of their zone as they are, then one merged part
        per zone that had overlapping ones (``feature == -1``, ``fraction`` NaN).

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> squares = shapely.box([0, 0.5, 1.2], 0, [0.5, 1.5, 1.4], [1, 0.5, 0.2])
    >>> merged = merge_overlaps(split_by_zones(squares, zones))
    >>> merged.feature.tolist(), merged.zone.tolist(), merged.measure.tolist()
    ([0, 1, -1], [0, 0, 1], [0.5, 0.25, 0.25])
    """
    if len(pieces.feature) == 0:
        return pieces
    shared = overlapping(pieces.geometry, exact=True, workers=workers, groups=pieces.zone)
    if not shared.any():
        return pieces
    zone_ids, merged = union_groups(pieces.geometry[shared], pieces.zone[shared], workers=workers)
    merged_area = _measure(merged, "area")
    keep = ~shared
    return Pieces(
        np.concatenate([pieces.feature[keep], np.full(len(merged), -1, np.intp)]),
        np.concatenate([pieces.zone[keep], zone_ids]),
        np.concatenate([pieces.measure[keep], merged_area]),
        np.concatenate([pieces.fraction[keep], np.full(len(merged), np.nan)]),
        np.concatenate([pieces.geometry[keep], merged]),
    )


def area_by_zone(
    geoms: Sequence[Any] | GeomArray,
    zones: Sequence[Any] | GeomArray,
    *,
    dissolve: bool = True,
    workers: int = 1,
) -> FloatArray:
    """Area of polygon features inside each zone.

    Parameters
    ----------
    geoms : array of shapely polygons
    zones : array of shapely polygons
    dissolve : bool
        True: area of the union (overlaps counted once). False: sum of the parts' areas.
    workers : int
        Threads used.

    Returns
    -------
    numpy.ndarray
        One area per zone, in the square units of the coordinates.
    """
    z = _as_array(zones)
    return zone_pieces(geoms, z, dissolve=dissolve, workers=workers).sum_by_zone(None, len(z))


def intersection_area_by_zone(
    geoms_a: Sequence[Any] | GeomArray,
    geoms_b: Sequence[Any] | GeomArray,
    zones: Sequence[Any] | GeomArray,
    *,
    workers: int = 1,
) -> FloatArray:
    """Area of (union of A) ∩ (union of B) inside each zone.

    Both layers are cut into non-overlapping parts per zone (:func:`zone_pieces`), then only
    the pairs of parts that meet in the same zone are intersected.

    Parameters
    ----------
    geoms_a, geoms_b : arrays of shapely polygons
    zones : array of shapely polygons
    workers : int

    Returns
    -------
    numpy.ndarray
        One area per zone.

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> intersection_area_by_zone([shapely.box(0, 0, 2, 0.5)], [shapely.box(0.5, 0, 2, 1)],
    ...                           zones).tolist()
    [0.25, 0.5]
    """
    z = _as_array(zones)
    pa = zone_pieces(geoms_a, z, dissolve=True, workers=workers)
    pb = zone_pieces(geoms_b, z, dissolve=True, workers=workers)
    return pieces_intersection_area(pa, pb, len(z), workers=workers)


def pieces_intersection_area(
    pa: Pieces, pb: Pieces, n_zones: int, *, workers: int = 1
) -> FloatArray:
    """Area of (parts A) ∩ (parts B) per zone, for parts already cut by the same zones.

    Each of ``pa`` and ``pb`` must hold non-overlapping parts within a zone (as
    :func:`zone_pieces` returns them with ``dissolve=True``). Only parts of the same zone
    whose bounding boxes meet are compared; where one part covers the other the smaller
    one's area is taken as it is, the others are intersected.

    Parameters
    ----------
    pa, pb : Pieces
    n_zones : int
        Number of zones (length of the result).
    workers : int
        Threads used for the tests and intersections.

    Returns
    -------
    numpy.ndarray
        One area per zone.

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> pa = zone_pieces([shapely.box(0, 0, 2, 0.5)], zones)
    >>> pb = zone_pieces([shapely.box(0.5, 0, 2, 1)], zones)
    >>> pieces_intersection_area(pa, pb, 2).tolist()
    [0.25, 0.5]
    """
    out = np.zeros(n_zones)
    if len(pa.zone) == 0 or len(pb.zone) == 0:
        return out
    ia, ib = shapely.STRtree(pb.geometry).query(pa.geometry)
    same = pa.zone[ia] == pb.zone[ib]
    ia, ib = ia[same], ib[same]
    if len(ia) == 0:
        return out
    a, b = pa.geometry[ia], pb.geometry[ib]
    # the covers tests here (a part may be a prepared geometry), the intersections on threads
    area = np.zeros(len(ia))
    b_in_a = np.asarray(shapely.covers(a, b), dtype=bool)
    area[b_in_a] = pb.measure[ib[b_in_a]]
    rest = np.flatnonzero(~b_in_a)
    a_in_b = np.asarray(shapely.covers(b[rest], a[rest]), dtype=bool)
    area[rest[a_in_b]] = pa.measure[ia[rest[a_in_b]]]
    rest = rest[~a_in_b]
    shared = chunked(shapely.intersection, [a[rest], b[rest]], workers=workers)
    area[rest] = _measure(np.asarray(shared), "area")
    return np.bincount(pa.zone[ia], weights=area, minlength=n_zones).astype(float)


def features_in_pieces_area(
    geoms: Sequence[Any] | GeomArray, base: Pieces, n_zones: int, *, workers: int = 1
) -> FloatArray:
    """Area of (union of ``geoms``) ∩ (parts ``base``) per zone, ``geoms`` not cut by zones.

    The parts of ``base`` already lie in their zone, so each is met with the whole features:
    a part inside a feature counts whole (a prepared covers test), a part meeting no feature
    counts nothing, only the others are intersected. Features whose interiors overlap are
    unioned first, so each point counts once.

    Parameters
    ----------
    geoms : array of shapely polygons
    base : Pieces
        Non-overlapping parts within each zone (:func:`zone_pieces` with ``dissolve=True``).
    n_zones : int
        Number of zones (length of the result).
    workers : int
        Threads used for the intersections.

    Returns
    -------
    numpy.ndarray
        One area per zone.

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> pb = zone_pieces([shapely.box(0.5, 0, 2, 1)], zones)
    >>> features_in_pieces_area([shapely.box(0, 0, 2, 0.5)], pb, 2).tolist()
    [0.25, 0.5]
    """
    out = np.zeros(n_zones)
    g = _as_array(geoms)
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))]
    if len(g) == 0 or len(base.zone) == 0:
        return out
    shared = overlapping(g, exact=True, workers=workers)
    if shared.any():
        g = np.concatenate([g[~shared], shapely.get_parts(shapely.union_all(g[shared]))])
    # a prepared copy: the features may be a layer's own geometries, shared with other rows
    g = np.asarray(shapely.from_wkb(shapely.to_wkb(g)), dtype=object)
    shapely.prepare(g)
    ib, ig = shapely.STRtree(g).query(base.geometry)
    if len(ib) == 0:
        return out
    b = base.geometry[ib]
    area = np.zeros(len(ib))
    inside = np.asarray(shapely.covers(g[ig], b), dtype=bool)
    area[inside] = base.measure[ib[inside]]
    rest = np.flatnonzero(~inside)
    rest = rest[np.asarray(shapely.intersects(g[ig[rest]], b[rest]), dtype=bool)]
    shapely.destroy_prepared(g)  # the intersections below may run on threads
    cut = chunked(shapely.intersection, [b[rest], g[ig[rest]]], workers=workers)
    area[rest] = _measure(np.asarray(cut), "area")
    return np.bincount(base.zone[ib], weights=area, minlength=n_zones).astype(float)


def length_by_zone(
    lines: Sequence[Any] | GeomArray,
    zones: Sequence[Any] | GeomArray,
    *,
    weights: FloatArray | None = None,
    workers: int = 1,
) -> FloatArray:
    """Length of line features inside each zone (optionally times a per-feature weight).

    Parameters
    ----------
    lines : array of shapely lines
    zones : array of shapely polygons
    weights : numpy.ndarray, optional
        One factor per line (e.g. W/m of heat loss); the result is Σ length × weight.
    workers : int

    Returns
    -------
    numpy.ndarray
        One value per zone.
    """
    z = _as_array(zones)
    pieces = split_by_zones(lines, z, measure="length", workers=workers)
    values = None if weights is None else pieces.measure * np.asarray(weights)[pieces.feature]
    return pieces.sum_by_zone(values, len(z))


def assign_points(
    points: Sequence[Any] | GeomArray, zones: Sequence[Any] | GeomArray
) -> IntArray:
    """Index of the zone holding each point (``-1`` outside every zone).

    A point on the border of two zones goes to the zone of lowest index, so each point is
    counted exactly once whatever the order of the query.

    Parameters
    ----------
    points : array of shapely points
    zones : array of shapely polygons

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> import shapely
    >>> zones = shapely.box([0, 1], 0, [1, 2], 1)
    >>> assign_points(shapely.points([0.5, 1.0, 3.0], 0.5), zones).tolist()
    [0, 0, -1]
    """
    p = _as_array(points)
    z = _as_array(zones)
    out = np.full(len(p), -1, dtype=np.intp)
    if len(p) == 0 or len(z) == 0:
        return out
    pi, zi = shapely.STRtree(z).query(p, predicate="intersects")
    if len(pi) == 0:
        return out
    best = np.full(len(p), np.iinfo(np.intp).max, dtype=np.intp)
    np.minimum.at(best, pi, zi)
    hit = best != np.iinfo(np.intp).max
    out[hit] = best[hit]
    return out
