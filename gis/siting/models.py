"""The siting models: set cover, maximal cover and p-median, solved with HiGHS.

Each takes allowed pairs (:mod:`gis.siting.pairs`) or a cost matrix and returns a
:class:`SitingResult`. Infeasibility is diagnosed before the solver wherever it can be.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from gis._errors import SitingError
from gis.siting._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    as_flags,
    as_weights,
    group_minimums,
    ids_text,
    unique_rows,
    weighted_bincount,
)
from gis.siting._highs import DEFAULT_MIP_REL_GAP, DEFAULT_TIME_LIMIT_S, Mip, run_highs
from gis.siting.pairs import CoverPairs

__all__ = [
    "LARGE_MODEL_NNZ",
    "SELECTED_THRESHOLD",
    "SitingResult",
    "greedy_capacity_start",
    "solve_max_cover",
    "solve_p_median",
    "solve_set_cover",
]

#: Values of x above this count as "selected" (HiGHS returns 0.9999999 for 1).
SELECTED_THRESHOLD = 0.5
#: Max-cover models with more non-zeros than this are solved without presolve: HiGHS's
#: presolve does not watch the clock and alone ran for minutes past a 30 s limit on the
#: scale-10 pocket-park instance (2.8 M non-zeros).
LARGE_MODEL_NNZ = 1_000_000


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



def _check_coverable(pairs: CoverPairs, demand_ids: Sequence[object] | None) -> None:
    reach = np.bincount(pairs.demand, minlength=pairs.n_demand)
    lonely = np.flatnonzero(reach == 0)
    if lonely.size:
        raise SitingError(
            f"{lonely.size} demand point(s) have no candidate site within the radius: "
            f"{ids_text(demand_ids, lonely)} (add candidates or enlarge the radius)"
        )



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
    >>> from gis.siting import pairs_from_cost_matrix
    >>> p = pairs_from_cost_matrix([[1, 1, 9], [9, 1, 9], [9, 1, 1]], radius=2)
    >>> r = solve_set_cover(p)
    >>> r.selected.tolist(), r.objective
    ([False, True, False], 1.0)
    """
    start = time.perf_counter()
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    is_fixed = as_flags(fixed, n_c, what="fixed")
    w = as_weights(weights, n_d, what="weights")
    g, mins = group_minimums(groups, min_per_group, n_c, n_groups)
    _check_coverable(pairs, demand_ids)
    n_g = mins.size
    if n_g:
        in_group = g >= 0
        have = np.bincount(g[in_group], minlength=n_g)
        short = np.flatnonzero(have < mins)
        if short.size:
            raise SitingError(
                f"{short.size} group(s) have fewer candidate sites than the minimum of "
                f"{int(mins[short].max())}: {ids_text(group_ids, short)} "
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
        first, _ = unique_rows(rows)
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
        mip = Mip(
            cost=np.ones(free.size), col_lower=np.zeros(free.size),
            col_upper=np.ones(free.size), integer=np.ones(free.size, dtype=bool),
            a=a, row_lower=np.concatenate(lower), row_upper=np.full(n_rows, np.inf),
        )
        x, objective, gap, status = run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    selected = is_fixed.copy()
    selected[free] = x > SELECTED_THRESHOLD
    assignment = _nearest_open(pairs, selected)
    load = weighted_bincount(assignment[assignment >= 0], w[assignment >= 0], n_c)
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
            f"range ({capacity:g} each): {ids_text(demand_ids, too_big)} "
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
        cover = cover[unique_rows(cover)[0]]
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
    mip = Mip(
        cost=cost, col_lower=col_lower, col_upper=np.ones(n_c + n_p),
        integer=np.concatenate([np.ones(n_c, dtype=bool), np.zeros(n_p, dtype=bool)]),
        a=a, row_lower=np.concatenate(lo), row_upper=np.concatenate(hi),
        start=greedy_capacity_start(pairs, w=w, capacity=capacity, is_fixed=is_fixed, g=g,
                                    mins=mins),
    )
    v, objective, gap, status = run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    selected = v[:n_c] > SELECTED_THRESHOLD
    y = v[n_c:]
    load = weighted_bincount(pairs.candidate, w[pairs.demand] * y, n_c)
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


def greedy_capacity_start(
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
    :func:`solve_set_cover` with a ``capacity`` hands it to HiGHS as the MIP start.

    Parameters
    ----------
    pairs : CoverPairs
        Demand–candidate pairs within range, with their costs ("nearest" is the lowest).
    w : ndarray of float
        Weight of each demand point (e.g. households).
    capacity : float
        Most demand weight one site serves.
    is_fixed : ndarray of bool
        Candidates open from the start (existing sites).
    g : ndarray of int
        Group of each candidate (-1: none).
    mins : ndarray of int
        Least open sites of each group.

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
    >>> from gis.siting import pairs_from_cost_matrix
    >>> p = pairs_from_cost_matrix([[1, 9], [1, 9], [9, 1]], radius=2)
    >>> r = solve_max_cover(p, weights=[1, 1, 5], budget=1)
    >>> r.selected.tolist(), r.objective
    ([False, True], 5.0)
    """
    start = time.perf_counter()
    n_d, n_c = pairs.n_demand, pairs.n_candidate
    w = as_weights(weights, n_d, what="weights")
    is_fixed = as_flags(fixed, n_c, what="fixed")
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
        first, inverse = unique_rows(cover)
        w_rows = weighted_bincount(inverse, w_rows, first.size)
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
        mip = Mip(
            cost=np.concatenate([np.zeros(n_free), w_rows]),
            col_lower=np.zeros(n_free + n_open), col_upper=np.ones(n_free + n_open),
            integer=np.concatenate([np.ones(n_free, dtype=bool), np.zeros(n_open, dtype=bool)]),
            a=a, row_lower=np.full(n_rows, -np.inf),
            row_upper=np.concatenate([np.zeros(n_open), [float(budget)]]),
            maximize=True,
            start=_greedy_max_cover(cover, w_rows, budget),
            presolve=a.nnz <= LARGE_MODEL_NNZ,
        )
        v, _, gap, status = run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        x = v[:n_free]
    selected = is_fixed.copy()
    selected[free] = x > SELECTED_THRESHOLD
    assignment = _nearest_open(pairs, selected)
    covered = assignment >= 0
    load = weighted_bincount(assignment[covered], w[covered], n_c)
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
    w = as_weights(weights, n_d, what="weights")
    if n_c < p or p < 1:
        raise SitingError(f"cannot open {p} site(s) among {n_c} candidate(s)")
    finite = np.isfinite(c)
    unreachable = np.flatnonzero(~finite.any(axis=1))
    if unreachable.size:
        raise SitingError(
            f"{unreachable.size} demand point(s) are reached by no candidate: "
            f"{ids_text(None, unreachable)}"
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
        mip = Mip(
            cost=np.concatenate([np.zeros(n_c), w[d_idx] * c[d_idx, j_idx]]),
            col_lower=np.zeros(n_vars), col_upper=np.ones(n_vars),
            integer=np.concatenate([np.ones(n_c, dtype=bool), np.zeros(n_p, dtype=bool)]),
            a=a,
            row_lower=np.concatenate([np.ones(n_d), np.full(n_p, -np.inf), [float(p)]]),
            row_upper=np.concatenate([np.ones(n_d), np.zeros(n_p), [float(p)]]),
        )
        v, objective, gap, status = run_highs(mip, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        selected = v[:n_c] > SELECTED_THRESHOLD
    masked = np.where(selected[None, :] & finite, c, np.inf)
    assignment = np.argmin(masked, axis=1).astype(np.int64)
    assignment[~np.isfinite(masked.min(axis=1))] = -1
    ok = assignment >= 0
    load = weighted_bincount(assignment[ok], w[ok], n_c)
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
