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

Modules
-------
pairs
    Demand-candidate pairs within a radius: from a cost matrix, straight-line (k-d tree) and
    walking (bounded Dijkstra on the road graph).
models
    The models: set cover (with group minimums and capacity), maximal cover, p-median.
_highs
    The HiGHS adapter: a MIP in column-wise form in, values, objective and gap out.
_arrays
    Input checks and small array helpers shared by the models.
"""

from gis._errors import SitingError
from gis.siting._highs import DEFAULT_MIP_REL_GAP, DEFAULT_TIME_LIMIT_S, HIGHS_LOG_ENV
from gis.siting.models import (
    LARGE_MODEL_NNZ,
    SELECTED_THRESHOLD,
    SitingResult,
    solve_max_cover,
    solve_p_median,
    solve_set_cover,
)
from gis.siting.pairs import (
    WALK_BATCH,
    CoverPairs,
    pairs_by_walking,
    pairs_from_cost_matrix,
    pairs_within_distance,
)

__all__ = [
    "DEFAULT_MIP_REL_GAP",
    "DEFAULT_TIME_LIMIT_S",
    "HIGHS_LOG_ENV",
    "LARGE_MODEL_NNZ",
    "SELECTED_THRESHOLD",
    "WALK_BATCH",
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
