"""Walking distance on a street network built from road lines.

The graph is built once from the road lines (:func:`graph_from_lines`): every vertex of the
lines is a node, lines that cross are noded, and vertices closer than a snapping tolerance are
merged so that roads digitised with small gaps still connect. Points (demand: homes, grid
samples; supply: facility entrances) are snapped to the nearest *edge*, not node, within a
maximum distance; the snapped positions are inserted into the graph, and one multi-source
Dijkstra (``scipy.sparse.csgraph``) from a virtual source joined to every supply point gives
each demand point its distance to the nearest facility.

Walking distance = lateral offset of the demand point to the road + distance along the roads +
lateral offset of the facility's access point. Every edge is a straight segment, so by the
triangle inequality the walking distance is never shorter than the straight-line distance.

Demand that cannot be reached is reported, never dropped: each demand point gets a
:data:`REASONS` code — reached, off the network (no road within the snapping distance), on a
network part that holds no facility (disconnected), or farther than the search limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from gis.nearest import SegmentIndex

# scipy (sparse graphs, k-d tree) is imported inside the functions that build or walk a graph:
# importing it costs about half a second, which the straight-line coverage rows and every
# command that does not walk (they import this module for its reason codes) need not pay.

__all__ = [
    "DEFAULT_SNAP_TOLERANCE_M",
    "LIMIT_SLACK",
    "REACHED",
    "REASONS",
    "Snapped",
    "WalkGraph",
    "WalkResult",
    "boundary_access_points",
    "dedupe_edges",
    "graph_from_lines",
    "insert_points",
    "snap_to_graph",
    "source_field",
    "target_distances",
    "walk_distances",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Road vertices closer than this (metres) are treated as one junction.
DEFAULT_SNAP_TOLERANCE_M = 1.0
#: Smallest edge weight: scipy's sparse graphs treat stored zeros as absent edges.
_MIN_WEIGHT = 1e-9
_SNAP_MEMO_POINTS = 2_000_000  # points remembered per graph and distance
#: Slack on distance limits (metres), so that the tiny edge weights above never push a
#: point lying exactly at the limit out of reach.
LIMIT_SLACK = 1e-6

#: Reason codes of :attr:`WalkResult.reason`.
REACHED = 0
OFF_NETWORK = 1
DISCONNECTED = 2
TOO_FAR = 3
REASONS: dict[int, str] = {
    REACHED: "reached",
    OFF_NETWORK: "off_network",
    DISCONNECTED: "disconnected",
    TOO_FAR: "too_far",
}


@dataclass(frozen=True)
class WalkGraph:
    """An undirected walking graph of straight segments.

    Attributes
    ----------
    xy : ndarray of shape (n, 2)
        Node coordinates (metric CRS).
    u, v : ndarray of int
        End nodes of each edge.
    length : ndarray of float
        Edge lengths in metres.
    component : ndarray of int
        Connected-component label of each node.
    """

    xy: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    component: IntArray
    _tree: shapely.STRtree = field(repr=False, compare=False)
    # snapped points per snapping distance (see snap_to_graph)
    _snaps: dict[float, _SnapMemo] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # the edge sample index of the snapping, and recent source fields (see source_field)
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.xy)

    @property
    def n_components(self) -> int:
        """Number of connected parts of the network."""
        return int(self.component.max()) + 1 if len(self.component) else 0


@dataclass(frozen=True)
class Snapped:
    """Points snapped to the nearest edge of a :class:`WalkGraph`.

    Attributes
    ----------
    edge : ndarray of int
        Edge index, -1 where no edge lies within the snapping distance.
    t : ndarray of float
        Distance along the edge from its node ``u`` (metres).
    offset : ndarray of float
        Straight distance from the point to the edge (metres); inf where not snapped.
    """

    edge: IntArray
    t: FloatArray
    offset: FloatArray


@dataclass(frozen=True)
class WalkResult:
    """Distance of each demand point to its nearest source along the network.

    Attributes
    ----------
    distance : ndarray of float
        Walking distance in metres; inf where not reached within the limit.
    reason : ndarray of int
        :data:`REASONS` code of each point.
    """

    distance: FloatArray
    reason: IntArray

    def counts(self) -> dict[str, int]:
        """Return how many points fall under each reason."""
        return {name: int((self.reason == code).sum()) for code, name in REASONS.items()}


def graph_from_lines(
    lines: ArrayLike,
    *,
    snap_tolerance: float = DEFAULT_SNAP_TOLERANCE_M,
    node_crossings: bool = True,
) -> WalkGraph:
    """Build a walking graph from road lines.

    Parameters
    ----------
    lines : array_like of shapely LineString or MultiLineString
        Road centre lines in a metric CRS.
    snap_tolerance : float, default 1.0
        Vertices closer than this (metres) become one node.
    node_crossings : bool, default True
        Split lines where they cross, so crossing roads connect (set False when the data
        has bridges digitised as crossings).

    Returns
    -------
    WalkGraph

    Examples
    --------
    >>> g = graph_from_lines([shapely.LineString([(0, 0), (10, 0)]),
    ...                       shapely.LineString([(10.5, 0), (10.5, 10)])])
    >>> g.n_nodes, g.n_components, round(float(g.length.sum()), 1)
    (3, 1, 20.3)
    """
    geoms = np.asarray(lines, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = shapely.get_parts(shapely.line_merge(geoms)) if len(geoms) else geoms
    geoms = geoms[shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING]
    if node_crossings and len(geoms):
        geoms = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
    coords, line_idx = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return _make_graph(np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64))
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    # merge vertices within the tolerance (union-find through connected components)
    pairs = cKDTree(coords).query_pairs(r=snap_tolerance, output_type="ndarray")
    n = len(coords)
    link = coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)
    ) if len(pairs) else coo_matrix((n, n))
    _, label = connected_components(link, directed=False)
    node_xy = np.zeros((label.max() + 1, 2))
    count = np.bincount(label)
    node_xy[:, 0] = np.bincount(label, coords[:, 0]) / count
    node_xy[:, 1] = np.bincount(label, coords[:, 1]) / count
    consecutive = line_idx[1:] == line_idx[:-1]
    u = label[:-1][consecutive].astype(np.int64)
    v = label[1:][consecutive].astype(np.int64)
    return _make_graph(node_xy, u, v)


def dedupe_edges(
    u: IntArray, v: IntArray, w: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Drop loops, orient edges (low, high) and keep the shortest of parallel edges.

    Parameters
    ----------
    u, v : numpy.ndarray of int
        Edge end nodes.
    w : numpy.ndarray of float
        Edge weights (metres).

    Returns
    -------
    (u, v, w)
        The cleaned edge list, ready for a symmetric sparse matrix.
    """
    keep = u != v
    a, b, w = np.minimum(u, v)[keep], np.maximum(u, v)[keep], w[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[first], b[first], w[first]


def _make_graph(xy: FloatArray, u: IntArray, v: IntArray) -> WalkGraph:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    length = np.hypot(*(xy[v] - xy[u]).T) if len(u) else np.zeros(0)
    u, v, length = dedupe_edges(u, v, length)
    n = len(xy)
    adj = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, component = connected_components(adj, directed=False)
    segs = shapely.linestrings(np.stack([xy[u], xy[v]], axis=1)) if len(u) else np.array([])
    return WalkGraph(
        xy=xy, u=u, v=v, length=length, component=component.astype(np.int64),
        _tree=shapely.STRtree(segs),
    )


def snap_to_graph(graph: WalkGraph, points: ArrayLike, *, max_distance: float) -> Snapped:
    """Snap points to the nearest edge of the graph.

    Parameters
    ----------
    graph : WalkGraph
        The walking graph.
    points : array_like of shapely Point
        Points in the graph's CRS.
    max_distance : float
        Points farther than this (metres) from every edge are left unsnapped (edge -1).

    Returns
    -------
    Snapped
    """
    pts = np.asarray(points, dtype=object)
    n = len(pts)
    if n == 0 or len(graph.u) == 0:
        return _snap(graph, pts, max_distance)
    coords, index = shapely.get_coordinates(pts, return_index=True)
    if len(coords) != n or not np.array_equal(index, np.arange(n)) or not np.isfinite(
            coords).all():
        return _snap(graph, pts, max_distance)  # not one finite point each: no memo
    # Every coverage row, and the runs now and with a proposal, snap mostly the same points
    # (homes, park entrances): the graph remembers each point's snap, so only new points are
    # queried. A point's snap does not depend on the other points of the call.
    key = coords[:, 0] + 1j * coords[:, 1]
    memo = graph._snaps.setdefault(float(max_distance), _SnapMemo.empty())
    where, known = memo.find(key)
    if not known.all():
        new_keys, first = np.unique(key[~known], return_index=True)
        fresh = _snap_xy(graph, coords[~known][first], max_distance)
        memo = memo.merged(new_keys, fresh)
        if len(memo.keys) > _SNAP_MEMO_POINTS:  # bound the memory: start again
            memo = _SnapMemo.empty()
            graph._snaps[float(max_distance)] = memo
            return _snap_xy(graph, coords, max_distance)
        graph._snaps[float(max_distance)] = memo
        where, _ = memo.find(key)  # every point is in the memo now
    return Snapped(memo.edge[where], memo.t[where], memo.offset[where])


@dataclass(frozen=True)
class _SnapMemo:
    """Snaps of distinct points, sorted by the point as a complex number ``x + iy``."""

    keys: NDArray[np.complex128]
    edge: IntArray
    t: FloatArray
    offset: FloatArray

    @classmethod
    def empty(cls) -> _SnapMemo:
        return cls(np.zeros(0, np.complex128), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    def find(self, key: NDArray[np.complex128]) -> tuple[IntArray, BoolArray]:
        """Position of each key in the memo (clipped) and whether it is there."""
        if not len(self.keys):
            return np.zeros(len(key), dtype=np.int64), np.zeros(len(key), dtype=bool)
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1).astype(np.int64)
        return pos, self.keys[pos] == key

    def merged(self, keys: NDArray[np.complex128], snapped: Snapped) -> _SnapMemo:
        """The memo with ``keys`` (distinct, not yet present) and their snaps added."""
        all_keys = np.concatenate([self.keys, keys])
        order = np.argsort(all_keys, kind="stable")
        return _SnapMemo(
            all_keys[order],
            np.concatenate([self.edge, snapped.edge])[order],
            np.concatenate([self.t, snapped.t])[order],
            np.concatenate([self.offset, snapped.offset])[order],
        )


def _unsnapped(n: int) -> Snapped:
    """``n`` points on no edge (edge -1, t 0, offset inf): what the snaps start from.

    Examples
    --------
    >>> s = _unsnapped(2)
    >>> s.edge.tolist(), s.t.tolist(), s.offset.tolist()
    ([-1, -1], [0.0, 0.0], [inf, inf])
    """
    return Snapped(np.full(n, -1, dtype=np.int64), np.zeros(n), np.full(n, np.inf))


def _snap(graph: WalkGraph, pts: NDArray[np.object_], max_distance: float) -> Snapped:
    """Snap points, missing or empty ones too (GEOS nearest through the graph's STRtree)."""
    out = _unsnapped(len(pts))
    if len(pts) == 0 or len(graph.u) == 0:
        return out
    (idx_pt, idx_edge), dist = graph._tree.query_nearest(
        pts, max_distance=max_distance, return_distance=True, all_matches=False
    )
    xy = shapely.get_coordinates(pts[idx_pt])
    out.edge[idx_pt] = idx_edge
    out.t[idx_pt] = _position(graph, xy, idx_edge)
    out.offset[idx_pt] = dist
    return out


def _position(graph: WalkGraph, xy: FloatArray, edge: IntArray) -> FloatArray:
    """Distance from ``u`` along each edge of the point's projection on it (clipped)."""
    a, b = graph.xy[graph.u[edge]], graph.xy[graph.v[edge]]
    seg_len = graph.length[edge]
    frac = np.einsum("ij,ij->i", xy - a, b - a) / np.maximum(seg_len**2, _MIN_WEIGHT)
    return np.asarray(np.clip(frac, 0.0, 1.0) * seg_len)


def _snap_xy(graph: WalkGraph, xy: FloatArray, max_distance: float) -> Snapped:
    """Snap points given by coordinates: nearest edge within ``max_distance``, vectorised.

    The same answer as GEOS's nearest search (:func:`_snap`; :class:`gis.nearest.SegmentIndex`
    computes the distance by the same formula); where two edges are exactly as near, the one
    with the lower number. Points the index cannot settle go to GEOS.
    """
    out = _unsnapped(len(xy))
    if len(xy) == 0 or len(graph.u) == 0:
        return out
    index: SegmentIndex | None = graph._memo.get("segments")
    if index is None:
        index = SegmentIndex(graph.xy[graph.u], graph.xy[graph.v])
        graph._memo["segments"] = index
    edge, offset, unsure = index.nearest(xy, max_distance)
    if unsure.any():
        rest = _snap(graph, shapely.points(xy[unsure]), max_distance)
        edge[unsure], offset[unsure] = rest.edge, rest.offset
    ok = edge >= 0
    out.t[ok] = _position(graph, xy[ok], edge[ok])
    return Snapped(edge, out.t, offset)


def boundary_access_points(
    polygons: ArrayLike, *, spacing: float
) -> tuple[NDArray[np.object_], IntArray]:
    """Sample access points along polygon boundaries (e.g. park edges as entrances).

    Parameters
    ----------
    polygons : array_like of shapely Polygon or MultiPolygon
        Facility outlines.
    spacing : float
        Largest gap between two access points along a boundary (metres).

    Returns
    -------
    points : ndarray of shapely Point
        Boundary vertices after densifying to ``spacing``.
    owner : ndarray of int
        Index of the polygon each point belongs to.
    """
    polys = np.asarray(polygons, dtype=object)
    rings = shapely.segmentize(shapely.boundary(polys), spacing)
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    return shapely.points(coords), owner.astype(np.int64)


def insert_points(
    graph: WalkGraph, edge: IntArray, t: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Split edges at snapped positions; return the new edge list and each point's node.

    Parameters
    ----------
    graph : WalkGraph
        The road graph.
    edge : numpy.ndarray of int
        Edge index of each snapped point (from :func:`snap_to_graph`).
    t : numpy.ndarray of float
        Distance of each point along its edge, from ``graph.u`` (metres).

    Returns
    -------
    (u, v, w, point_node)
        Edges of the graph with every point inserted as a node (numbered from
        ``graph.n_nodes``), and the node of each point.
    """
    n_base = graph.n_nodes
    k = len(edge)
    point_node = n_base + np.arange(k, dtype=np.int64)
    order = np.lexsort((t, edge))
    e_s, t_s, node_s = edge[order], t[order], point_node[order]
    first = np.ones(k, dtype=bool)
    first[1:] = e_s[1:] != e_s[:-1]
    last = np.ones(k, dtype=bool)
    last[:-1] = e_s[1:] != e_s[:-1]
    prev_node = np.where(first, graph.u[e_s], np.roll(node_s, 1))
    prev_t = np.where(first, 0.0, np.roll(t_s, 1))
    split = np.zeros(len(graph.u), dtype=bool)
    split[e_s] = True
    u = np.concatenate([graph.u[~split], prev_node, node_s[last]])
    v = np.concatenate([graph.v[~split], node_s, graph.v[e_s[last]]])
    w = np.concatenate(
        [graph.length[~split], t_s - prev_t, graph.length[e_s[last]] - t_s[last]]
    )
    return u, v, np.maximum(w, _MIN_WEIGHT), point_node


@dataclass(frozen=True)
class SourceField:
    """Walking distance from the nearest of a set of sources to every road node, up to a limit.

    Computed once (:func:`source_field`) and read for any number of demand points
    (:func:`target_distances`): a demand point lies on an edge, and its distance is that of
    the edge's end, or of a source on the same edge, plus the way along the edge.

    Attributes
    ----------
    node : ndarray of float
        Distance at each graph node (metres); inf beyond :attr:`limit` or unreachable.
    limit : float
        Search limit the distances were computed with.
    edge, t, dist : ndarray
        The snapped sources sorted by edge and position along it, and the distance at each.
    components : ndarray of int
        Network parts (:attr:`WalkGraph.component`) holding a source, sorted.
    """

    node: FloatArray
    limit: float
    edge: IntArray
    t: FloatArray
    dist: FloatArray
    components: IntArray


_FIELDS_KEPT = 24  # source fields a graph remembers (one per facility set and radius)


def source_field(
    graph: WalkGraph,
    sources: Snapped,
    *,
    limit: float = np.inf,
    source_extra: ArrayLike | None = None,
) -> SourceField:
    """Distances from the nearest source to every node: one bounded multi-source Dijkstra.

    The sources are inserted into the road graph and joined to one virtual node by edges as
    long as their lateral offset (plus ``source_extra``); one Dijkstra from that node
    (``scipy.sparse.csgraph.dijkstra`` with ``limit``) gives every node its distance. The
    graph remembers recent fields: the same sources asked again with the same or a smaller
    limit are not searched again (a bounded search finds the same distances within its
    bound, whatever the bound).

    Parameters
    ----------
    graph : WalkGraph
    sources : Snapped
        Supply points snapped to the graph; unsnapped ones are ignored.
    limit : float, default inf
        Largest walking distance searched (metres).
    source_extra : array_like of float, optional
        Extra distance at each source.

    Returns
    -------
    SourceField
    """
    extra = np.zeros(len(sources.edge)) if source_extra is None else np.asarray(
        source_extra, dtype=float
    )
    ok = sources.edge >= 0
    edge, t = sources.edge[ok], sources.t[ok]
    start = np.maximum(sources.offset[ok] + extra[ok], _MIN_WEIGHT)
    digest = hashlib.blake2b(digest_size=16)
    for a in (edge, t, start):
        digest.update(np.ascontiguousarray(a).tobytes())
    key = ("field", digest.hexdigest())
    fields: dict[Any, SourceField] = graph._memo.setdefault("fields", {})
    known = fields.get(key)
    if known is not None and known.limit >= limit:
        return known
    n_src = len(edge)
    if n_src == 0:
        dist = np.full(graph.n_nodes, np.inf)
        point_node = np.zeros(0, np.int64)
    else:
        u, v, w, point_node = insert_points(graph, edge, t)
        hub = graph.n_nodes + n_src
        u, v, w = dedupe_edges(
            np.concatenate([u, np.full(n_src, hub)]), np.concatenate([v, point_node]),
            np.concatenate([w, start]),
        )
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        mat = coo_matrix((w, (u, v)), shape=(hub + 1, hub + 1)).tocsr()
        dist = dijkstra(mat, directed=False, indices=hub, limit=limit + LIMIT_SLACK)
    order = np.lexsort((t, edge))
    out = SourceField(
        node=dist[: graph.n_nodes], limit=float(limit), edge=edge[order], t=t[order],
        dist=dist[point_node][order],
        components=np.unique(graph.component[graph.u[edge]]),
    )
    if len(fields) >= _FIELDS_KEPT:
        fields.pop(next(iter(fields)))
    fields[key] = out
    return out


def target_distances(
    graph: WalkGraph, field: SourceField, targets: Snapped, *, limit: float = np.inf
) -> FloatArray:
    """Walking distance of each demand point from the nearest source of a field.

    Parameters
    ----------
    graph : WalkGraph
    field : SourceField
        From :func:`source_field` on the same graph.
    targets : Snapped
        Demand points snapped to the graph.
    limit : float, default inf
        Farther points (and unsnapped ones) get inf; at most the field's limit counts.

    Returns
    -------
    ndarray of float
        Lateral offset + distance along the roads to the nearest source (incl. its offset).
    """
    limit = min(float(limit), field.limit)
    out = np.full(len(targets.edge), np.inf)
    ok = np.flatnonzero(targets.edge >= 0)
    e, t = targets.edge[ok], targets.t[ok]
    ends = graph.length[e] - t
    d = np.minimum(field.node[graph.u[e]] + t, field.node[graph.v[e]] + ends)
    has = np.zeros(len(graph.u), dtype=bool)
    has[field.edge] = True
    shared = np.flatnonzero(has[e])
    if len(shared):  # on an edge holding sources: the nearest source on either side
        d[shared] = _between_sources(graph, field, e[shared], t[shared])
    d += targets.offset[ok]
    d[d > limit + LIMIT_SLACK] = np.inf
    out[ok] = d
    return out


def _between_sources(
    graph: WalkGraph, field: SourceField, e: IntArray, t: FloatArray
) -> FloatArray:
    """Distance along the edge of points on edges that hold sources (no lateral offset)."""
    m = len(field.edge)
    all_e = np.concatenate([field.edge, e])
    all_t = np.concatenate([field.t, t])
    order = np.lexsort((np.arange(len(all_e)), all_t, all_e))  # sources first at a tie
    is_src = order < m
    pos = np.arange(len(order))
    prev = np.maximum.accumulate(np.where(is_src, pos, -1))
    nxt = np.minimum.accumulate(np.where(is_src, pos, len(order))[::-1])[::-1]
    at = np.flatnonzero(~is_src)  # sorted positions of the points
    who = order[at] - m  # which point
    edge = all_e[order[at]]
    p = prev[at]
    q = nxt[at]
    p_src = order[np.maximum(p, 0)]
    q_src = order[np.minimum(q, len(order) - 1)]
    p_ok = (p >= 0) & (field.edge[np.minimum(p_src, m - 1)] == edge)
    q_ok = (q < len(order)) & (field.edge[np.minimum(q_src, m - 1)] == edge)
    p_src, q_src = np.minimum(p_src, m - 1), np.minimum(q_src, m - 1)
    tt = t[who]
    back = np.where(
        p_ok, field.dist[p_src] + (tt - field.t[p_src]), field.node[graph.u[edge]] + tt
    )
    ahead = np.where(
        q_ok, field.dist[q_src] + (field.t[q_src] - tt),
        field.node[graph.v[edge]] + (graph.length[edge] - tt),
    )
    out = np.empty(len(e))
    out[who] = np.minimum(back, ahead)
    return out


def walk_distances(
    graph: WalkGraph,
    sources: Snapped,
    targets: Snapped,
    *,
    limit: float = np.inf,
    source_extra: ArrayLike | None = None,
) -> WalkResult:
    """Network distance from each target to its nearest source (multi-source Dijkstra).

    Parameters
    ----------
    graph : WalkGraph
        The walking graph.
    sources : Snapped
        Supply points (facility access points) snapped to the graph; unsnapped ones are
        ignored.
    targets : Snapped
        Demand points snapped to the graph.
    limit : float, default inf
        Stop searching beyond this walking distance (metres); farther targets get inf and
        reason ``too_far``.
    source_extra : array_like of float, optional
        Extra distance added at each source (e.g. from an entrance to the facility).

    Returns
    -------
    WalkResult
        Distances include both lateral offsets (point to road).

    Examples
    --------
    >>> g = graph_from_lines([shapely.LineString([(0, 0), (100, 0)])])
    >>> s = snap_to_graph(g, [shapely.Point(0, 5)], max_distance=10)
    >>> d = snap_to_graph(g, [shapely.Point(60, -3)], max_distance=10)
    >>> float(walk_distances(g, s, d).distance[0])
    68.0
    """
    tgt_ok = targets.edge >= 0
    reason = np.full(len(targets.edge), OFF_NETWORK, dtype=np.int64)
    if not tgt_ok.any():
        return WalkResult(np.full(len(targets.edge), np.inf), reason)
    field = source_field(graph, sources, limit=limit, source_extra=source_extra)
    distance = target_distances(graph, field, targets, limit=limit)
    # why a point is not reached: its network part holds no source, or it is too far
    reached = np.isin(graph.component[graph.u[targets.edge[tgt_ok]]], field.components)
    d_t = distance[tgt_ok]
    reason[tgt_ok] = np.where(
        np.isfinite(d_t), REACHED, np.where(reached, TOO_FAR, DISCONNECTED)
    )
    return WalkResult(distance, reason)
