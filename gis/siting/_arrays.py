"""Input checks and small array helpers shared by the siting models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from gis._errors import SitingError

#: How many ids an error message lists before it says "and N more".
MAX_IDS_IN_MESSAGE = 8
#: Seed of the random keys used to find identical coverage rows.
_ROW_KEY_SEED = 20230915

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def ids_text(ids: Sequence[object] | None, idx: ArrayLike) -> str:
    """Format the ids at ``idx`` for a message, listing at most a few."""
    index = np.asarray(idx, dtype=np.int64)
    names = [str(ids[i]) if ids is not None else str(i) for i in index[:MAX_IDS_IN_MESSAGE]]
    more = index.size - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def as_weights(weights: ArrayLike | None, n: int, *, what: str) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size != n:
        raise SitingError(f"{what}: {w.size} values for {n} demand points")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SitingError(f"{what}: weights must be finite and non-negative")
    return w


def as_flags(flags: ArrayLike | None, n: int, *, what: str) -> BoolArray:
    if flags is None:
        return np.zeros(n, dtype=bool)
    f = np.asarray(flags, dtype=bool).reshape(-1)
    if f.size != n:
        raise SitingError(f"{what}: {f.size} flags for {n} candidates")
    return f




def weighted_bincount(idx: IntArray, weights: FloatArray, n: int) -> FloatArray:
    """Sum ``weights`` by ``idx`` into ``n`` float bins."""
    return np.bincount(idx, weights=weights, minlength=n).astype(np.float64)



def unique_rows(m: sp.csr_matrix) -> tuple[IntArray, IntArray]:
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



def group_minimums(
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


