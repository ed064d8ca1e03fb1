"""Scenarios: proposed features stored beside the base layers, and what they change.

A scenario (``"proposal"``) is the base layers plus the features of the store layers
``proposal__<layer>`` (``proposal__recycling_points``, ``proposal__pocket_parks``, …). The
indicator engine reads them as built (:func:`layers.indicators.inputs.read_layer`), so every
indicator a proposal touches moves.

Public functions, for siting, the CLI and the web:

- :func:`write_proposal` stores proposed features of one layer (replacing earlier rows of
  the same kinds);
- :func:`merge_proposal` gives the layer a write would store (a preview);
- :func:`indicators_touching` lists the catalog rows that read a layer.

Indicators now and with the scenario, side by side, are :func:`layers.compare.compare`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from layers.indicators.catalog import Catalog
from layers.project import Project

__all__ = [
    "PROPOSAL",
    "indicators_touching",
    "merge_proposal",
    "proposal_layer",
    "read_proposal",
    "write_proposal",
]

#: Name of the scenario every siting run writes.
PROPOSAL = "proposal"
# Metric kinds whose rows read park layers through a coverage preset (pocket parks count).
_PARK_KINDS = ("service_coverage",)


def proposal_layer(layer: str, scenario: str = PROPOSAL) -> str:
    """Store name of a scenario's layer, e.g. ``proposal__pocket_parks``."""
    return f"{scenario}__{layer}"


def read_proposal(
    project: Project, layer: str, scenario: str = PROPOSAL
) -> gpd.GeoDataFrame | None:
    """The stored proposed features of ``layer``, or None."""
    name = proposal_layer(layer, scenario)
    return project.store.read(name) if project.store.has(name) else None


def write_proposal(
    project: Project,
    layer: str,
    features: gpd.GeoDataFrame,
    *,
    replace_kinds: Sequence[str] | None = None,
    scenario: str = PROPOSAL,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    inputs: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Store proposed features of ``layer`` as the scenario's ``<scenario>__<layer>``.

    Parameters
    ----------
    project : Project
    layer : str
        Canonical layer name (``recycling_points``, ``pocket_parks``, ``heating_pipes``…).
    features : geopandas.GeoDataFrame
        The proposed features in the layer's canonical fields, any CRS.
    replace_kinds : sequence of str, optional
        Replace only the stored rows whose ``kind`` is one of these (the other rows stay:
        recycling points and transfer stations of two runs live side by side). Default:
        replace the whole layer.
    scenario : str
    extra_tables : mapping, optional
        Further layers or tables written in the same transaction.
    inputs : sequence of str, optional
        The layers the proposal was computed from, recorded with their digests (the
        proposal is stale when one of them changes). With ``replace_kinds`` the record of
        the rows kept is merged in. None: unknown (the cautious rule applies).

    Returns
    -------
    geopandas.GeoDataFrame
        The whole stored proposal layer after the write (store CRS).
    """
    new = merge_proposal(project, layer, features, replace_kinds=replace_kinds, scenario=scenario)
    name = proposal_layer(layer, scenario)
    project.store.write_layers(
        {name: new, **dict(extra_tables or {})},
        inputs=None if inputs is None else {name: tuple(inputs)},
        # rows of other kinds kept: their inputs' digests stay as recorded
        merge_inputs=(name,) if len(new) > len(features) else (),
    )
    return new


def merge_proposal(
    project: Project,
    layer: str,
    features: gpd.GeoDataFrame,
    *,
    replace_kinds: Sequence[str] | None = None,
    scenario: str = PROPOSAL,
) -> gpd.GeoDataFrame:
    """The proposal layer :func:`write_proposal` would store, without storing it.

    Used to preview a proposal (``--no-apply``): pass the result to
    :func:`layers.compare.compare` as ``proposals={layer: ...}``.
    """
    crs = project.store.crs or features.crs
    new = features.to_crs(crs) if features.crs is not None and crs is not None else features
    old = read_proposal(project, layer, scenario)
    if replace_kinds is not None and old is not None and "kind" in old.columns:
        keep = old[~old["kind"].isin(list(replace_kinds))]
        if len(keep):
            new = pd.concat([keep.to_crs(new.crs), new], ignore_index=True)
    return gpd.GeoDataFrame(new, geometry=new.geometry.name, crs=crs)


def _mentions(value: Any, names: set[str]) -> bool:
    if isinstance(value, str):
        return value in names
    if isinstance(value, Mapping):
        return any(_mentions(v, names) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions(v, names) for v in value)
    return False


def indicators_touching(catalog: Catalog, layers: Iterable[str]) -> list[str]:
    """Ids of the catalog rows that read any of ``layers`` (catalog order).

    A row reads a layer when its parameters name it; park-coverage rows
    (``service_coverage`` with ``target = "parks"``) read ``pocket_parks`` and
    ``green_spaces``.
    """
    names = set(layers)
    out = []
    for spec in catalog.indicators:
        park_row = spec.kind in _PARK_KINDS and str(spec.params.get("target", "parks")) == "parks"
        if _mentions(spec.params, names) or (
            park_row and names & {"pocket_parks", "green_spaces"}
        ):
            out.append(spec.id)
    return out
