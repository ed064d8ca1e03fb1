"""Location-allocation on arrays: set cover, maximal coverage and p-median, solved with HiGHS.

The models follow spopt's shapes (``LSCP``, ``MCLP``, ``PMedian`` built ``from_cost_matrix``)
but add what district planners ask for and spopt lacks:

- a per-group minimum (at least N facilities in every community), counting existing sites;
- a capacity (at most H households per facility) with continuous assignment variables
  (a building's households may be split between two points, as they are in practice);
- existing facilities as fixed, already-open candidates that cover demand but cost nothing;
- sparse input: only demand-candidate pairs within the radius are ever built, so unreachable
  pairs (``inf`` in a walking cost matrix) never reach the solver (spopt #362, #396).

Infeasibility is diagnosed *before* the solver wherever it can be: a demand point with no
candidate in range, a group with fewer candidates than its minimum, demand beyond the
capacity in reach. Each raises :class:`SitingError` naming the demand or group ids.

Everything here works on plain numpy arrays; the domain adapter is ``layers.siting``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gis._errors import SitingError
from gis.network import WalkGraph, dedupe_edges, insert_points, snap_to_graph

__all__ = [
    "CoverPairs",
    "SitingError",
    "SitingResult",
    "pairs_by_walking",
    "pairs_from_cost_matrix",
    "pairs_within_distance",
    "solve_max_cover",
    "solve_p_median",
    "solve_set_cover",
]

#: Default relative MIP gap at which HiGHS stops (0.01 %).
DEFAULT_MIP_REL_GAP = 1e-4
#: Default wall-clock limit of one solve, in seconds.
DEFAULT_TIME_LIMIT_S = 120.0
#: How many ids an error message lists before it says "and N more".
MAX_IDS_IN_MESSAGE = 8
#: Values of x above this count as "selected" (HiGHS returns 0.9999999 for 1).
SELECTED_THRESHOLD = 0.5
#: Max-cover models with more non-zeros than this are solved without presolve: HiGHS's
#: presolve does not watch the clock and alone ran for minutes past a 30 s limit on the
#: scale-10 pocket-park instance (2.8 M non-zeros).
LARGE_MODEL_NNZ = 1_000_000
#: Set this environment variable to see HiGHS's log (on standard output).
HIGHS_LOG_ENV = "PEAKMAP_HIGHS_LOG"
#: Candidates per Dijkstra batch when building walking pairs (bounds memory: batch × nodes).
WALK_BATCH = 128
#: Seed of the random keys used to find identical coverage rows.
_ROW_KEY_SEED = 20230915

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


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


@dataclass
class SitingResult:
    """The answer of one siting model.

    Attributes
    ----------
    selected : numpy.ndarray of bool
        One flag per candidate: open in the solution (fixed candidates included).
    new : numpy.ndarray of bool
        Selected and not fixed: the facilities to build.
    assignment : numpy.ndarray of int
        For each demand point, the candidate serving it (the nearest open one in range, or
        the one carrying the largest share under a capacity); -1 when none.
    load : numpy.ndarray of float
        Demand weight assigned to each candidate.
    objective : float
        Objective value (facilities opened, weight covered, or weighted distance).
    mip_gap : float
        Relative optimality gap reported by the solver (0 when proven optimal).
    solve_time_s : float
        Wall-clock time of the solve, model building included.
    status : str
        ``"optimal"`` or ``"time_limit"`` (a feasible solution, gap as reported).
    n_variables, n_constraints : int
        Size of the model given to the solver (0 when solved by enumeration).
    """

    selected: BoolArray
    new: BoolArray
    assignment: IntArray
    load: FloatArray
    objective: float
    mip_gap: float
    solve_time_s: float
    status: str
    n_variables: int = 0
    n_constraints: int = 0
    extra: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- pairs


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


# --------------------------------------------------------------------------- helpers


def _ids(ids: Sequence[object] | None, idx: ArrayLike) -> str:
    """Format the ids at ``idx`` for a message, listing at most a few."""
    index = np.asarray(idx, dtype=np.int64)
    names = [str(ids[i]) if ids is not None else str(i) for i in index[:MAX_IDS_IN_MESSAGE]]
    more = index.size - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _as_weights(weights: ArrayLike | None, n: int, *, what: str) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size != n:
        raise SitingError(f"{what}: {w.size} values for {n} demand points")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SitingError(f"{what}: weights must be finite and non-negative")
    return w


def _as_flags(flags: ArrayLike | None, n: int, *, what: str) -> BoolArray:
    if flags is None:
        return np.zeros(n, dtype=bool)
    f = np.asarray(flags, dtype=bool).reshape(-1)
    if f.size != n:
        raise SitingError(f"{what}: {f.size} flags for {n} candidates")
    return f


@dataclass
class _Mip:
    """A MIP in HiGHS's column-wise form."""

    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray
    a: sp.csc_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    maximize: bool = False
    start: FloatArray | None = None
    presolve: bool = True


def _run_highs(
    mip: _Mip, *, time_limit: float, mip_rel_gap: float
) -> tuple[FloatArray, float, float, str]:
    """Solve ``mip`` with HiGHS; return values, objective, gap and status."""
    h = highspy.Highs()
    if not os.environ.get(HIGHS_LOG_ENV):
        h.silent()
    lp = highspy.HighsLp()
    lp.num_col_ = int(mip.cost.size)
    lp.num_row_ = int(mip.a.shape[0])
    lp.col_cost_ = mip.cost
    lp.col_lower_ = mip.col_lower
    lp.col_upper_ = mip.col_upper
    lp.row_lower_ = mip.row_lower
    lp.row_upper_ = mip.row_upper
    a = mip.a.tocsc()
    a.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if mip.maximize else highspy.ObjSense.kMinimize
    if mip.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
            for f in mip.integer
        ]
    h.passModel(lp)
    if mip.start is not None:
        # A feasible start gives the branch and bound an incumbent from the first second.
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(mip.start, dtype=np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", 1)
    if not mip.presolve:
        h.setOptionValue("presolve", "off")
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif status in (
        highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt,
    ) and info.primal_solution_status == highspy.kSolutionStatusFeasible:
        label = "time_limit"
    elif status == highspy.HighsModelStatus.kInfeasible:
        raise SitingError("the siting model is infeasible (no set of sites meets every rule)")
    else:
        raise SitingError(
            f"the solver stopped without a solution ({h.modelStatusToString(status)}); "
            "raise the time limit or relax the rules"
        )
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    gap = float(info.mip_gap) if mip.integer.any() else 0.0
    if not np.isfinite(gap):  # no bound yet: nothing is proven about the incumbent
        gap = 1.0
    return values, float(info.objective_function_value), gap, label


def _bincount(idx: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Sum ``weights`` by ``idx`` into ``n`` float bins."""
    return np.bincount(idx, weights=weights, minlength=n).astype(np.float64)


def _nearest_open(pairs: CoverPairs, is_open: BoolArray) -> IntArray:
    """Index of the nearest open candidate in range of each demand point, -1 if none."""
    assignment = np.full(pairs.n_demand, -1, dtype=np.int64)
    keep = is_open[pairs.candidate]
    d, j, c = pairs.demand[keep], pairs.candidate[keep], pairs.cost[keep]
    order = np.lexsort((c, d))
    d, j = d[order], j[order]
    first = np.ones(d.size, dtype=bool)
    first[1:] = d[1:] != d[:-1]
    assignment[d[first]] = j[first]
    return assignment


def _unique_rows(m: sp.csr_matrix) -> tuple[IntArray, IntArray]:
    """Group identical sparse rows: return one representative per group and each row's group.

    Rows are keyed by two random projections and their length; identical rows get the same
    keys bit for bit (same entries summed in the same order).
    """
    rng = np.random.default_rng(_ROW_KEY_SEED)
    r = rng.random((m.shape[1], 2))
    m = m.copy()
    m.sort_indices()
    keys = np.column_stack([m @ r, np.diff(m.indptr)])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def _check_coverable(pairs: CoverPairs, demand_ids: Sequence[object] | None) -> None:
    reach = np.bincount(pairs.demand, minlength=pairs.n_demand)
    lonely = np.flatnonzero(reach == 0)
    if lonely.size:
        raise SitingError(
            f"{lonely.size} demand point(s) have no candidate site within the radius: "
            f"{_ids(demand_ids, lonely)} (add candidates or enlarge the radius)"
        )


def _group_minimums(
    groups: ArrayLike | None,
    min_per_group: int | ArrayLike,
    n_candidate: int,
    n_groups: int | None,
) -> tuple[IntArray, IntArray]:
    """Return candidate group index (-1 = none) and the minimum of every group."""
    if groups is None:
        return np.full(n_candidate, -1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64).reshape(-1)
    if g.size != n_candidate:
        raise SitingError(f"groups: {g.size} values for {n_candidate} candidates")
    count = int(n_groups if n_groups is not None else (g.max() + 1 if g.size else 0))
    if g.size and (g.max() >= count or g.min() < -1):
        raise SitingError(f"groups: indices must lie in -1..{count - 1}")
    mins = np.broadcast_to(np.asarray(min_per_group, dtype=np.int64), (count,)).copy()
    return g, mins


# --------------------------------------------------------------------------- models


def solve_set_cover(
    pairs: CoverPairs,
    *,
    fixed: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    n_groups: int | None = None,
    min_per_group: int | ArrayLike = 0,
    weights: ArrayLike | None = None,
    capacity: float = 0.0,
    demand_ids: Sequence[object] | None = None,
    group_ids: Sequence[object] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
) -> SitingResult:
    """Open the fewest new sites so that every demand point has one in range.

    Without groups and capacity this is the location set covering problem (LSCP, Toregas
    1971), the model of ``spopt.locate.LSCP``.

    Parameters
    ----------
    pairs : CoverPairs
        Allowed demand-candidate pairs (already cut to the service radius).
    fixed : array_like of bool, optional
        Candidates that are open already (existing sites): they cover and count towards
        group minimums but not towards the objective.
    groups : array_like of int, optional
        Group index of every candidate (-1 for none), e.g. its community.
    n_groups : int, optional
        Number of groups (default: largest index + 1).
    min_per_group : int or array_like of int
        At least this many open sites (fixed ones included) in each group; 0 turns it off.
    weights : array_like of float, optional
        Demand of each point (households); used by the capacity.
    capacity : float
        At most this much demand assigned to one site; 0 turns the capacity off.
    demand_ids, group_ids : sequence, optional
        Names used in error messages.
    time_limit : float
        Seconds before the solver stops with its best solution.
    mip_rel_gap : float
        Relative optimality gap at which the solver stops.

    Returns
    -------
    SitingResult

    Raises
    ------
    SitingError
        A demand point has no candidate in range, a group has fewer candidates than its
        minimum, the capacity cannot serve the demand in reach, or the solver finds the
        model infeasible.

    Examples
    --------
    >>> p = pairs_from_cost_matrix([[1, 1, 9], [9, 1, 9], [9, 1, 1]], radius=2)
    >>> r = solve_set_cover(p)
    >>> r.selected.tolist(), r.objective
    ([False, True, False], 1.0)
    """
    start = time.perf_counter()
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    is_fixed = _as_flags(fixed, n_c, what="fixed")
    w = _as_weights(weights, n_d, what="weights")
    g, mins = _group_minimums(groups, min_per_group, n_c, n_groups)
    _check_coverable(pairs, demand_ids)
    n_g = mins.size
    if n_g:
        in_group = g >= 0
        have = np.bincount(g[in_group], minlength=n_g)
        short = np.flatnonzero(have < mins)
        if short.size:
            raise SitingError(
                f"{short.size} group(s) have fewer candidate sites than the minimum of "
                f"{int(mins[short].max())}: {_ids(group_ids, short)} "
                "(add candidate land there or lower the per-community minimum)"
            )
    if capacity > 0:
        return _set_cover_capacity(
            pairs, is_fixed=is_fixed, g=g, mins=mins, w=w, capacity=capacity,
            demand_ids=demand_ids, start=start, time_limit=time_limit, mip_rel_gap=mip_rel_gap,
        )

    # Demand already served by a fixed site needs no row; identical rows need only one.
    served = np.zeros(n_d, dtype=bool)
    served[pairs.demand[is_fixed[pairs.candidate]]] = True
    cover = pairs.matrix()
    free = np.flatnonzero(~is_fixed)
    rows = cover[np.flatnonzero(~served)][:, free].tocsr()
    if rows.shape[0]:
        first, _ = _unique_rows(rows)
        rows = rows[first]
    row_blocks = [rows]
    lower = [np.ones(rows.shape[0])]
    if n_g:
        fixed_per_group = np.bincount(g[is_fixed & (g >= 0)], minlength=n_g)
        need = mins - fixed_per_group
        active = np.flatnonzero(need > 0)
        gf = g[free]
        sel = np.isin(gf, active)
        grp = sp.csr_matrix(
            (np.ones(int(sel.sum())), (np.searchsorted(active, gf[sel]), np.flatnonzero(sel))),
            shape=(active.size, free.size),
        )
        row_blocks.append(grp)
        lower.append(need[active].astype(np.float64))
    a = sp.vstack(row_blocks).tocsc()
    n_rows = a.shape[0]
    x = np.zeros(free.size)
    objective, gap, status = 0.0, 0.0, "optimal"
    if n_rows:
        mip = _Mip(
            cost=np.ones(free.size), col_lower=np.zeros(free.size),
            col_upper=np.ones(free.size), integer=np.ones(free.size, dtype=bool),
            a=a, row_lower=np.concatenate(lower), row_upper=np.full(n_rows, np.inf),
        )
        x, objective, gap, status = _run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    selected = is_fixed.copy()
    selected[free] = x > SELECTED_THRESHOLD
    assignment = _nearest_open(pairs, selected)
    load = _bincount(assignment[assignment >= 0], w[assignment >= 0], n_c)
    return SitingResult(
        selected=selected, new=selected & ~is_fixed, assignment=assignment, load=load,
        objective=float(round(objective)), mip_gap=gap,
        solve_time_s=time.perf_counter() - start, status=status,
        n_variables=int(free.size), n_constraints=int(n_rows),
    )


def _set_cover_capacity(
    pairs: CoverPairs,
    *,
    is_fixed: BoolArray,
    g: IntArray,
    mins: IntArray,
    w: FloatArray,
    capacity: float,
    demand_ids: Sequence[object] | None,
    start: float,
    time_limit: float,
    mip_rel_gap: float,
) -> SitingResult:
    """Set cover with a capacity: assignment variables y_ij in [0, 1] per allowed pair."""
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    reach = np.bincount(pairs.demand, minlength=n_d).astype(np.float64)
    too_big = np.flatnonzero(w > capacity * reach)
    if too_big.size:
        raise SitingError(
            f"{too_big.size} demand point(s) need more than the capacity of every site in "
            f"range ({capacity:g} each): {_ids(demand_ids, too_big)} "
            "(raise the capacity or the radius)"
        )
    if w.sum() > capacity * n_c:
        raise SitingError(
            f"total demand {w.sum():g} exceeds the capacity of all {n_c} candidate sites "
            f"({capacity:g} each); raise the capacity or add candidates"
        )
    # Columns: x_j (n_c), then y_k for each pair k (demand d_k, candidate j_k).
    n_p = pairs.demand.size
    k = np.arange(n_p)
    # sum_j y_ij = 1 for every demand point with positive weight (others need no service).
    need = w > 0
    kd = need[pairs.demand]
    demand_rows = np.cumsum(need) - 1
    a_assign = sp.csr_matrix(
        (np.ones(int(kd.sum())), (demand_rows[pairs.demand[kd]], n_c + k[kd])),
        shape=(int(need.sum()), n_c + n_p),
    )
    # sum_i w_i y_ij - H x_j <= 0 for every candidate.
    a_cap = sp.csr_matrix(
        (
            np.concatenate([w[pairs.demand], np.full(n_c, -capacity)]),
            (
                np.concatenate([pairs.candidate, np.arange(n_c)]),
                np.concatenate([n_c + k, np.arange(n_c)]),
            ),
        ),
        shape=(n_c, n_c + n_p),
    )
    # Every served point needs an open site in range: sum_j x_j >= 1 over its (distinct)
    # coverage sets. The same bound as the uncapacitated cover, at a fraction of the size
    # of the per-pair links y_ij <= x_j (which made the root LP of the sample too slow).
    cover = pairs.matrix()[np.flatnonzero(need)].tocsr()
    if cover.shape[0]:
        cover = cover[_unique_rows(cover)[0]]
    a_cover = sp.hstack([cover, sp.csr_matrix((cover.shape[0], n_p))]).tocsr()
    blocks = [a_assign, a_cap, a_cover]
    lo = [np.ones(a_assign.shape[0]), np.full(n_c, -np.inf), np.ones(cover.shape[0])]
    hi = [np.ones(a_assign.shape[0]), np.zeros(n_c), np.full(cover.shape[0], np.inf)]
    n_g = mins.size
    if n_g:
        active = np.flatnonzero(mins > 0)
        sel = np.isin(g, active)
        grp = sp.csr_matrix(
            (np.ones(int(sel.sum())), (np.searchsorted(active, g[sel]), np.flatnonzero(sel))),
            shape=(active.size, n_c + n_p),
        )
        blocks.append(grp)
        lo.append(mins[active].astype(np.float64))
        hi.append(np.full(active.size, np.inf))
    a = sp.vstack(blocks).tocsc()
    cost = np.concatenate([(~is_fixed).astype(np.float64), np.zeros(n_p)])
    col_lower = np.concatenate([is_fixed.astype(np.float64), np.zeros(n_p)])
    mip = _Mip(
        cost=cost, col_lower=col_lower, col_upper=np.ones(n_c + n_p),
        integer=np.concatenate([np.ones(n_c, dtype=bool), np.zeros(n_p, dtype=bool)]),
        a=a, row_lower=np.concatenate(lo), row_upper=np.concatenate(hi),
        start=_greedy_capacity(pairs, w=w, capacity=capacity, is_fixed=is_fixed, g=g, mins=mins),
    )
    v, objective, gap, status = _run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    selected = v[:n_c] > SELECTED_THRESHOLD
    y = v[n_c:]
    load = _bincount(pairs.candidate, w[pairs.demand] * y, n_c)
    assignment = np.full(n_d, -1, dtype=np.int64)
    order = np.lexsort((-y, pairs.demand))
    d_sorted = pairs.demand[order]
    first = np.ones(d_sorted.size, dtype=bool)
    first[1:] = d_sorted[1:] != d_sorted[:-1]
    assignment[d_sorted[first]] = pairs.candidate[order][first]
    assignment[~need] = _nearest_open(pairs, selected)[~need]
    return SitingResult(
        selected=selected, new=selected & ~is_fixed, assignment=assignment, load=load,
        objective=float(round(objective)), mip_gap=gap,
        solve_time_s=time.perf_counter() - start, status=status,
        n_variables=int(n_c + n_p), n_constraints=int(a.shape[0]),
    )


def _greedy_capacity(
    pairs: CoverPairs,
    *,
    w: FloatArray,
    capacity: float,
    is_fixed: BoolArray,
    g: IntArray,
    mins: IntArray,
) -> FloatArray | None:
    """A feasible start for the capacitated cover: fill the nearest open sites, open more.

    Group minimums are met first with the candidates that reach the most demand; then each
    demand point (fewest options first) fills the nearest open sites with capacity left and,
    when they are full, opens the unopened site in range that reaches the most demand.

    Returns
    -------
    numpy.ndarray or None
        Values of (x, y) in the model's column order, or None when the greedy gets stuck.
    """
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    is_open = is_fixed.copy()
    reach_w = np.bincount(pairs.candidate, weights=w[pairs.demand], minlength=n_c)
    if mins.size:
        have = np.bincount(g[is_open & (g >= 0)], minlength=mins.size)
        for grp in np.flatnonzero(have < mins):  # one pass per short group
            cand = np.flatnonzero((g == grp) & ~is_open)
            is_open[cand[np.argsort(-reach_w[cand])][: mins[grp] - have[grp]]] = True
    left = np.full(n_c, float(capacity))
    y = np.zeros(pairs.demand.size)
    order = np.lexsort((pairs.cost, pairs.demand))
    starts = np.searchsorted(pairs.demand[order], np.arange(n_d + 1))
    by_cand = np.argsort(pairs.candidate, kind="stable")
    c_starts = np.searchsorted(pairs.candidate[by_cand], np.arange(n_c + 1))
    remaining = w.astype(np.float64).copy()  # demand not yet served
    tol = 1e-9 * max(capacity, 1.0)
    for i in np.argsort(np.diff(starts), kind="stable"):
        need = float(w[i])
        ks = order[starts[i] : starts[i + 1]]
        js = pairs.candidate[ks]
        while need > tol:
            avail = np.where(is_open[js], left[js], 0.0)
            take = np.clip(need - (np.cumsum(avail) - avail), 0.0, avail)
            left[js] -= take
            y[ks] += take / w[i]
            need -= float(take.sum())
            remaining[i] = max(need, 0.0)
            if need <= tol:
                break
            closed = js[~is_open[js]]
            if closed.size == 0:
                return None
            # Open the site in range that reaches the most demand still unserved.
            gain = [remaining[pairs.demand[by_cand[c_starts[j] : c_starts[j + 1]]]].sum()
                    for j in closed]
            is_open[closed[int(np.argmax(gain))]] = True
    return np.concatenate([is_open.astype(np.float64), y])


def _greedy_max_cover(cover: sp.csr_matrix, w: FloatArray, budget: int) -> FloatArray:
    """Greedy start for max cover: repeatedly open the site adding the most weight.

    Returns the (x, z) values in the model's column order; greedy is within 1 - 1/e of the
    optimum (Nemhauser, Wolsey and Fisher 1978), a good incumbent for the branch and bound.
    """
    n_rows, n_cols = cover.shape
    x = np.zeros(n_cols)
    z = np.zeros(n_rows)
    by_col = cover.tocsc()
    for _ in range(budget):  # one sparse product per site opened
        gain = by_col.T @ (w * (1.0 - z))
        gain[x > 0] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        x[j] = 1.0
        z[by_col.indices[by_col.indptr[j] : by_col.indptr[j + 1]]] = 1.0
    return np.concatenate([x, z])


def solve_max_cover(
    pairs: CoverPairs,
    *,
    weights: ArrayLike,
    budget: int,
    fixed: ArrayLike | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
) -> SitingResult:
    """Open at most ``budget`` new sites to cover the most demand weight (MCLP).

    The maximal covering location problem (Church and ReVelle 1974), the model of
    ``spopt.locate.MCLP``; demand already covered by a fixed site is counted as covered and
    left out of the model.

    Parameters
    ----------
    pairs : CoverPairs
        Allowed demand-candidate pairs (within the service radius).
    weights : array_like of float
        Demand weight of each point (households, m² of residential land).
    budget : int
        Number of new sites to open (at most).
    fixed : array_like of bool, optional
        Candidates already open.
    time_limit, mip_rel_gap : float
        Solver limits.

    Returns
    -------
    SitingResult
        ``objective`` is the weight covered by the new sites only (the newly covered
        demand); ``extra["covered_total"]`` adds the weight covered by fixed sites.

    Examples
    --------
    >>> p = pairs_from_cost_matrix([[1, 9], [1, 9], [9, 1]], radius=2)
    >>> r = solve_max_cover(p, weights=[1, 1, 5], budget=1)
    >>> r.selected.tolist(), r.objective
    ([False, True], 5.0)
    """
    start = time.perf_counter()
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    w = _as_weights(weights, n_d, what="weights")
    is_fixed = _as_flags(fixed, n_c, what="fixed")
    if budget < 0:
        raise SitingError(f"budget must be 0 or more, got {budget}")
    served = np.zeros(n_d, dtype=bool)
    served[pairs.demand[is_fixed[pairs.candidate]]] = True
    open_rows = np.flatnonzero(~served & (w > 0))
    cover = pairs.matrix()[open_rows].tocsc()
    # Only candidates that reach some demand not yet served can gain anything.
    free = np.flatnonzero(~is_fixed & (np.diff(cover.indptr) > 0))
    cover = cover[:, free].tocsr()
    w_rows = w[open_rows]
    if cover.shape[0]:
        # Demand points with the same coverage set act as one, with their weights summed.
        first, inverse = _unique_rows(cover)
        w_rows = _bincount(inverse, w_rows, first.size)
        cover = cover[first]
    n_free, n_open = free.size, cover.shape[0]
    x = np.zeros(n_free)
    gap, status = 0.0, "optimal"
    n_rows = 0
    if budget > 0 and n_open and n_free:
        # Columns: x_j (binary), z_i (continuous in [0, 1]; integral at the optimum).
        # Rows: z_i - sum_j a_ij x_j <= 0, then sum_j x_j <= budget.
        link = sp.hstack([-cover, sp.identity(n_open, format="csr")])
        budget_row = sp.csr_matrix(np.concatenate([np.ones(n_free), np.zeros(n_open)]))
        a = sp.vstack([link, budget_row]).tocsc()
        n_rows = a.shape[0]
        mip = _Mip(
            cost=np.concatenate([np.zeros(n_free), w_rows]),
            col_lower=np.zeros(n_free + n_open), col_upper=np.ones(n_free + n_open),
            integer=np.concatenate([np.ones(n_free, dtype=bool), np.zeros(n_open, dtype=bool)]),
            a=a, row_lower=np.full(n_rows, -np.inf),
            row_upper=np.concatenate([np.zeros(n_open), [float(budget)]]),
            maximize=True,
            start=_greedy_max_cover(cover, w_rows, budget),
            presolve=a.nnz <= LARGE_MODEL_NNZ,
        )
        v, _, gap, status = _run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        x = v[:n_free]
    selected = is_fixed.copy()
    selected[free] = x > SELECTED_THRESHOLD
    assignment = _nearest_open(pairs, selected)
    covered = assignment >= 0
    load = _bincount(assignment[covered], w[covered], n_c)
    new_cov = covered & ~served
    return SitingResult(
        selected=selected, new=selected & ~is_fixed, assignment=assignment, load=load,
        objective=float(w[new_cov].sum()), mip_gap=gap,
        solve_time_s=time.perf_counter() - start, status=status,
        n_variables=int(n_free + n_open), n_constraints=int(n_rows),
        extra={"covered_total": float(w[covered].sum()), "weight_total": float(w.sum())},
    )


def solve_p_median(
    cost: ArrayLike,
    *,
    weights: ArrayLike,
    p: int = 1,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
) -> SitingResult:
    """Open ``p`` sites minimising the weighted distance of every demand to its nearest one.

    The p-median problem (Hakimi 1964; ReVelle and Swain 1970), the model of
    ``spopt.locate.PMedian``. For ``p == 1`` the exact answer is found by enumeration
    (one matrix-vector product); otherwise the assignment MIP is solved with HiGHS.

    Parameters
    ----------
    cost : array_like, shape (n_demand, n_candidate)
        Distances; ``inf`` marks an unreachable pair (never assigned).
    weights : array_like of float
        Demand weight of each point (households).
    p : int
        Number of sites to open.
    time_limit, mip_rel_gap : float
        Solver limits.

    Returns
    -------
    SitingResult
        ``objective`` is the weighted distance; ``extra["mean_distance"]`` its weighted mean
        and ``extra["unreached_weight"]`` the demand the chosen site cannot reach (with
        ``p == 1`` on a network in several parts, the site reaching the most demand wins).

    Raises
    ------
    SitingError
        No candidate, fewer candidates than ``p``, or a demand point no candidate reaches.

    Examples
    --------
    >>> r = solve_p_median([[0, 4], [1, 3], [9, 1]], weights=[1, 1, 1], p=1)
    >>> r.selected.tolist(), r.objective
    ([False, True], 8.0)
    """
    start = time.perf_counter()
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2:
        raise SitingError(f"cost matrix must be 2-dimensional, got shape {c.shape}")
    n_d, n_c = c.shape
    w = _as_weights(weights, n_d, what="weights")
    if n_c < p or p < 1:
        raise SitingError(f"cannot open {p} site(s) among {n_c} candidate(s)")
    finite = np.isfinite(c)
    unreachable = np.flatnonzero(~finite.any(axis=1))
    if unreachable.size:
        raise SitingError(
            f"{unreachable.size} demand point(s) are reached by no candidate: "
            f"{_ids(None, unreachable)}"
        )
    n_vars = n_rows = 0
    gap, status = 0.0, "optimal"
    if p == 1:
        # The site must reach as much demand as any single site can (all of it on a
        # connected network); among those, the least weighted distance wins.
        reach = finite.T.astype(np.float64) @ w
        valid = reach >= reach.max() * (1.0 - 1e-12)
        total = np.where(valid, np.nan_to_num(c, posinf=0.0).T @ w, np.inf)
        best = int(np.argmin(total))
        selected = np.zeros(n_c, dtype=bool)
        selected[best] = True
        objective = float(total[best])
    else:
        d_idx, j_idx = np.nonzero(finite)
        n_p = d_idx.size
        k = np.arange(n_p)
        a_assign = sp.csr_matrix((np.ones(n_p), (d_idx, n_c + k)), shape=(n_d, n_c + n_p))
        a_link = sp.csr_matrix(
            (np.concatenate([np.ones(n_p), -np.ones(n_p)]),
             (np.concatenate([k, k]), np.concatenate([n_c + k, j_idx]))),
            shape=(n_p, n_c + n_p),
        )
        a_p = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_p)]))
        a = sp.vstack([a_assign, a_link, a_p]).tocsc()
        n_rows = a.shape[0]
        n_vars = n_c + n_p
        mip = _Mip(
            cost=np.concatenate([np.zeros(n_c), w[d_idx] * c[d_idx, j_idx]]),
            col_lower=np.zeros(n_vars), col_upper=np.ones(n_vars),
            integer=np.concatenate([np.ones(n_c, dtype=bool), np.zeros(n_p, dtype=bool)]),
            a=a,
            row_lower=np.concatenate([np.ones(n_d), np.full(n_p, -np.inf), [float(p)]]),
            row_upper=np.concatenate([np.ones(n_d), np.zeros(n_p), [float(p)]]),
        )
        v, objective, gap, status = _run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        selected = v[:n_c] > SELECTED_THRESHOLD
    masked = np.where(selected[None, :] & finite, c, np.inf)
    assignment = np.argmin(masked, axis=1).astype(np.int64)
    assignment[~np.isfinite(masked.min(axis=1))] = -1
    ok = assignment >= 0
    load = _bincount(assignment[ok], w[ok], n_c)
    w_sum = float(w.sum())
    return SitingResult(
        selected=selected, new=selected.copy(), assignment=assignment, load=load,
        objective=objective, mip_gap=gap, solve_time_s=time.perf_counter() - start,
        status=status, n_variables=n_vars, n_constraints=n_rows,
        extra={
            "mean_distance": objective / float(w[ok].sum()) if w[ok].sum() > 0 else 0.0,
            "unreached_weight": w_sum - float(w[ok].sum()),
        },
    )
