"""Siting of new recycling points, transfer stations and pocket parks (HP-T1/T2/T3).

The domain side of location-allocation: each model *serves catalog rows* — its coverage
constraint is the indicator's definition read from the catalog (facility set, radius,
distance mode), its demand is :mod:`layers.demand`'s, its walking graph
:mod:`layers.walkgraph`'s and its zone assignment
:func:`layers.indicators.inputs.zone_index` — so the model's coverage before and after
equals the indicator's. The models of :mod:`gis.siting` choose among the candidates, and
the choice is written back as the ``proposal`` scenario (:mod:`layers.scenario`) that the
indicator engine reads.

Modules
-------
common
    Parameters (:data:`DEFAULTS`, ``[params.siting]``), the rows served, candidates, pairs,
    planner edits (``--fix``/``--drop``).
recycling
    :func:`site_recycling` (STD-RECYCLE-300 + HP-T2), :func:`site_transfer` (HP-T3).
parks
    :func:`site_pocket_parks` (STD-PARK-500, HP-T1).
proposal
    :func:`apply_proposal`, GeoJSON export and re-import of an edited proposal,
    :func:`move_site` (one site to a new place, checked with the candidate rules);
    :data:`PROPOSAL_INPUTS`, the layers each model reads (each model module's ``INPUTS``),
    recorded with every proposal so that it is stale exactly when one of them changes.
"""

from layers.siting.common import (
    DEFAULTS as DEFAULTS,
)
from layers.siting.common import (
    SitingOutcome as SitingOutcome,
)
from layers.siting.common import (
    point_candidates as point_candidates,
)
from layers.siting.common import (
    siting_params as siting_params,
)
from layers.siting.parks import park_plots as park_plots
from layers.siting.parks import site_pocket_parks as site_pocket_parks
from layers.siting.proposal import (
    EDITABLE_LAYERS as EDITABLE_LAYERS,
)
from layers.siting.proposal import (
    PROPOSAL_INPUTS as PROPOSAL_INPUTS,
)
from layers.siting.proposal import (
    PROPOSAL_PARKS as PROPOSAL_PARKS,
)
from layers.siting.proposal import (
    PROPOSAL_POINTS as PROPOSAL_POINTS,
)
from layers.siting.proposal import (
    RUNS_TABLE as RUNS_TABLE,
)
from layers.siting.proposal import (
    apply_proposal as apply_proposal,
)
from layers.siting.proposal import (
    export_proposal as export_proposal,
)
from layers.siting.proposal import (
    import_proposal as import_proposal,
)
from layers.siting.proposal import (
    move_site as move_site,
)
from layers.siting.proposal import (
    parse_position as parse_position,
)
from layers.siting.recycling import site_recycling as site_recycling
from layers.siting.recycling import site_transfer as site_transfer

__all__ = [
    "DEFAULTS",
    "EDITABLE_LAYERS",
    "PROPOSAL_INPUTS",
    "PROPOSAL_PARKS",
    "PROPOSAL_POINTS",
    "RUNS_TABLE",
    "SitingOutcome",
    "apply_proposal",
    "export_proposal",
    "import_proposal",
    "move_site",
    "park_plots",
    "parse_position",
    "point_candidates",
    "site_pocket_parks",
    "site_recycling",
    "site_transfer",
    "siting_params",
]
