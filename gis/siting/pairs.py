"""Demand-candidate pairs allowed by distance, in sparse form.

Only pairs within the service radius are ever built, so unreachable pairs (``inf`` in a
walking cost matrix) never reach a solver (spopt #362, #396). Three sources: a dense cost
matrix, straight-line distance (k-d tree) and walking distance on the road graph (one
bounded Dijkstra per batch of candidates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gis._errors import SitingError
from gis.network import WalkGraph, dedupe_edges, insert_points, snap_to_graph
from gis.siting._arrays import FloatArray, IntArray

__all__ = [
    "WALK_BATCH",
    "CoverPairs",
    "pairs_by_walking",
    "pairs_from_cost_matrix",
    "pairs_within_distance",
]

#: Candidates per Dijkstra batch when building walking pairs (bounds memory: batch × nodes).
WALK_BATCH = 128


@dataclass(frozen=True)
class CoverPairs:
    """Demand-candidate pairs allowed by distance, in sparse (COO) form.

    Attributes
    ----------
    demand, candidate : numpy.ndarray of int
        Row (demand) and column (candidate) index of each pair.
    cost : numpy.ndarray of float
        Distance (or any cost) of each pair; always finite.
    n_demand, n_candidate : int
        Sizes of the full problem (demand or candidates with no pair still count).
    """

    demand: IntArray
    candidate: IntArray
    cost: FloatArray
    n_demand: int
    n_candidate: int

    def matrix(self) -> sp.csr_matrix:
        """Return the 0/1 coverage matrix (demand × candidate) in CSR form."""
        data = np.ones(self.demand.size, dtype=np.float64)
        return sp.csr_matrix(
            (data, (self.demand, self.candidate)), shape=(self.n_demand, self.n_candidate)
        )

    def within(self, radius: float) -> CoverPairs:
        """Return the pairs whose cost is at most ``radius``."""
        keep = self.cost <= radius
        return CoverPairs(
            self.demand[keep], self.candidate[keep], self.cost[keep],
            self.n_demand, self.n_candidate,
        )



def pairs_from_cost_matrix(cost: ArrayLike, *, radius: float | None = None) -> CoverPairs:
    """Turn a dense cost matrix into pairs, dropping infinite and out-of-radius entries.

    Parameters
    ----------
    cost : array_like, shape (n_demand, n_candidate)
        Distances; ``inf`` or NaN marks an unreachable pair.
    radius : float, optional
        Keep only pairs with cost at most this.

    Returns
    -------
    CoverPairs

    Examples
    --------
    >>> p = pairs_from_cost_matrix([[1.0, float("inf")], [5.0, 2.0]], radius=3)
    >>> p.demand.tolist(), p.candidate.tolist()
    ([0, 1], [0, 1])
    """
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise SitingError(f"cost matrix must be 2-dimensional, got shape {c.shape}")
    ok = np.isfinite(c)
    if radius is not None:
        ok &= c <= radius
    d, j = np.nonzero(ok)
    return CoverPairs(d.astype(np.int64), j.astype(np.int64), c[d, j], c.shape[0], c.shape[1])


def pairs_within_distance(
    demand_xy: ArrayLike, candidate_xy: ArrayLike, radius: float
) -> CoverPairs:
    """Straight-line pairs within ``radius`` (k-d tree, never a dense matrix).

    Parameters
    ----------
    demand_xy, candidate_xy : array_like, shape (n, 2)
        Coordinates in a metric CRS.
    radius : float
        Service radius in the same unit.

    Returns
    -------
    CoverPairs

    Examples
    --------
    >>> p = pairs_within_distance([[0, 0], [10, 0]], [[3, 4], [50, 0]], 5.0)
    >>> p.demand.tolist(), p.candidate.tolist(), p.cost.tolist()
    ([0], [0], [5.0])
    """
    dxy = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    cxy = np.asarray(candidate_xy, dtype=np.float64).reshape(-1, 2)
    if dxy.shape[0] == 0 or cxy.shape[0] == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        return CoverPairs(empty_i, empty_i.copy(), np.zeros(0), dxy.shape[0], cxy.shape[0])
    res = cKDTree(dxy).sparse_distance_matrix(cKDTree(cxy), radius, output_type="ndarray")
    order = np.lexsort((res["j"], res["i"]))
    res = res[order]
    return CoverPairs(
        res["i"].astype(np.int64), res["j"].astype(np.int64), res["v"].astype(np.float64),
        dxy.shape[0], cxy.shape[0],
    )


def pairs_by_walking(
    graph: WalkGraph,
    demand_points: ArrayLike,
    candidate_points: ArrayLike,
    *,
    radius: float,
    max_snap: float,
    batch: int = WALK_BATCH,
) -> CoverPairs:
    """Walking-distance pairs within ``radius``, by one bounded Dijkstra per candidate batch.

    Demand and candidates are snapped to the nearest road edge (``gis.network``); the
    distance is lateral offset + distance along roads + lateral offset. Pairs beyond the
    radius or on disconnected network parts are simply absent: ``inf`` never reaches a
    solver. Points farther than ``max_snap`` from every road get no pair at all.

    Parameters
    ----------
    graph : gis.network.WalkGraph
        Walking graph built with :func:`gis.network.graph_from_lines`.
    demand_points, candidate_points : array_like of shapely Point
        Points in the graph's CRS.
    radius : float
        Largest walking distance of a pair (metres); ``inf`` gives every reachable pair.
    max_snap : float
        Largest distance from a point to its road (metres).
    batch : int
        Candidates per Dijkstra call.

    Returns
    -------
    CoverPairs

    Examples
    --------
    >>> import shapely
    >>> from gis.network import graph_from_lines
    >>> g = graph_from_lines([shapely.LineString([(0, 0), (100, 0)])])
    >>> p = pairs_by_walking(g, [shapely.Point(60, -3)], [shapely.Point(0, 5)],
    ...                      radius=100, max_snap=10)
    >>> p.cost.tolist()
    [68.0]
    """
    dpts = np.asarray(demand_points, dtype=object).reshape(-1)
    cpts = np.asarray(candidate_points, dtype=object).reshape(-1)
    n_d, n_c = dpts.size, cpts.size
    sd = snap_to_graph(graph, dpts, max_distance=max_snap)
    sc = snap_to_graph(graph, cpts, max_distance=max_snap)
    d_ok, c_ok = np.flatnonzero(sd.edge >= 0), np.flatnonzero(sc.edge >= 0)
    empty = np.zeros(0, dtype=np.int64)
    if d_ok.size == 0 or c_ok.size == 0:
        return CoverPairs(empty, empty.copy(), np.zeros(0), n_d, n_c)
    u, v, w, point_node = insert_points(
        graph,
        np.concatenate([sd.edge[d_ok], sc.edge[c_ok]]),
        np.concatenate([sd.t[d_ok], sc.t[c_ok]]),
    )
    u, v, w = dedupe_edges(u, v, w)
    n = graph.n_nodes + d_ok.size + c_ok.size
    mat = sp.coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
    d_node, c_node = point_node[: d_ok.size], point_node[d_ok.size :]
    d_off, c_off = sd.offset[d_ok], sc.offset[c_ok]
    out_d, out_c, out_cost = [], [], []
    for lo in range(0, c_ok.size, batch):
        hi = min(lo + batch, c_ok.size)
        dist = dijkstra(mat, directed=False, indices=c_node[lo:hi], limit=radius)
        total = dist[:, d_node] + d_off[None, :] + c_off[lo:hi, None]
        ci, di = np.nonzero(np.isfinite(total) & (total <= radius))
        out_d.append(d_ok[di])
        out_c.append(c_ok[lo + ci])
        out_cost.append(total[ci, di])
    dd, cc, co = np.concatenate(out_d), np.concatenate(out_c), np.concatenate(out_cost)
    order = np.lexsort((cc, dd))
    return CoverPairs(
        dd[order].astype(np.int64), cc[order].astype(np.int64), co[order], n_d, n_c
    )


