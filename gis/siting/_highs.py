"""The HiGHS adapter: a MIP in HiGHS's column-wise form in; values, objective, gap out.

The one place that knows highspy. Infeasible models and stops without a solution raise
:class:`SitingError`; a time limit with a feasible incumbent returns it with its gap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from gis._errors import SitingError
from gis.siting._arrays import BoolArray, FloatArray

#: Default relative MIP gap at which HiGHS stops (0.01 %).
DEFAULT_MIP_REL_GAP = 1e-4
#: Default wall-clock limit of one solve, in seconds.
DEFAULT_TIME_LIMIT_S = 120.0
#: Set this environment variable to see HiGHS's log (on standard output).
HIGHS_LOG_ENV = "PEAKMAP_HIGHS_LOG"


@dataclass
class Mip:
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


def run_highs(
    mip: Mip, *, time_limit: float, mip_rel_gap: float
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
