"""Proposals as editable data: apply a siting outcome, export and re-import a proposal layer.

A proposal is stored as the scenario layer ``proposal__<layer>``
(:func:`layers.scenario.write_proposal`); every siting run is logged in :data:`RUNS_TABLE`.
A planner edits a proposal by re-running with ``--fix``/``--drop``, or by exporting it as
GeoJSON (WGS84), moving, deleting or adding features in any GIS, and importing it back
(:func:`import_proposal`): the whole layer is replaced and the scenario recomputed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis import InputFileError, LayerValidationError
from layers.project import Project
from layers.scenario import proposal_layer, read_proposal, write_proposal
from layers.siting import parks, recycling
from layers.siting.common import COMMUNITY_POINT, PLANNED, SitingOutcome, new_ids

__all__ = [
    "EDITABLE_LAYERS",
    "PROPOSAL_INPUTS",
    "PROPOSAL_PARKS",
    "PROPOSAL_POINTS",
    "RUNS_TABLE",
    "apply_proposal",
    "export_proposal",
    "import_proposal",
]

PROPOSAL_POINTS = proposal_layer("recycling_points")
PROPOSAL_PARKS = proposal_layer("pocket_parks")
#: The layers each siting proposal is computed from, as its model declares them.
PROPOSAL_INPUTS: dict[str, tuple[str, ...]] = {
    PROPOSAL_POINTS: recycling.INPUTS,
    PROPOSAL_PARKS: parks.INPUTS,
}
#: Attribute table of the store recording each siting run (model, gap, time, parameters).
RUNS_TABLE = "siting_runs"
#: Layers a proposal can add to, their geometry and id prefix.
EDITABLE_LAYERS: dict[str, tuple[tuple[str, ...], str]] = {
    "recycling_points": (("Point",), "PR-RC-"),
    "pocket_parks": (("Polygon", "MultiPolygon"), "PR-PP-"),
}
#: GeoJSON exchange CRS.
WGS84 = "EPSG:4326"
RECYCLING_KINDS = ("community_point", "transfer_station", "sorting_center", "two_network_point")


def apply_proposal(project: Project, outcome: SitingOutcome) -> str:
    """Write the outcome's new sites into the store as the ``proposal`` scenario.

    Rows of the same kind from an earlier run are replaced; other rows are kept (so the
    recycling points and transfer stations of two runs live side by side). The run's model,
    gap, solve time and figures are appended to :data:`RUNS_TABLE` in the same write.

    Returns
    -------
    str
        A one-line summary.
    """
    store = project.store
    runs = pd.DataFrame([{
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": outcome.kind,
        "layer": proposal_layer(outcome.layer),
        "model": outcome.summary.get("model"),
        "n_new": int(outcome.summary.get("n_new", 0)),
        "objective": float(outcome.summary.get("objective", float("nan"))),
        "mip_gap": float(outcome.summary.get("mip_gap", float("nan"))),
        "solve_time_s": float(outcome.summary.get("solve_time_s", float("nan"))),
        "status": outcome.summary.get("status"),
        "summary_json": json.dumps(outcome.summary, ensure_ascii=False, default=str),
    }])
    if store.has(RUNS_TABLE):
        runs = pd.concat([pd.DataFrame(store.read(RUNS_TABLE)), runs], ignore_index=True)
        runs = runs.drop(columns=[c for c in runs.columns if c == "geometry"])
    layer = write_proposal(
        project, outcome.layer, outcome.proposal, replace_kinds=outcome.replace_kinds,
        extra_tables={RUNS_TABLE: runs}, inputs=outcome.inputs or None,
    )
    return (
        f"{proposal_layer(outcome.layer)}: {len(outcome.proposal)} new site(s) written "
        f"({len(layer)} in the layer)"
    )


def export_proposal(project: Project, layer: str, out: Path) -> int:
    """Write the stored proposal of ``layer`` as GeoJSON in WGS84; return the feature count.

    Raises
    ------
    LayerValidationError
        No proposal is stored for that layer.
    """
    frame = read_proposal(project, layer)
    if frame is None:
        raise LayerValidationError(
            f"{project.store.path}: no proposal for layer {layer} (run 'peakmap site' first)"
        )
    out.write_text(frame.to_crs(WGS84).to_json(na="null", drop_id=True), encoding="utf-8")
    return len(frame)


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    if path.suffix.lower() not in (".geojson", ".json"):
        raise InputFileError(f"{path}: a proposal is imported from a .geojson file")
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    try:
        frame = gpd.read_file(path, driver="GeoJSON")
    except Exception as e:  # pyogrio raises several classes for unreadable files
        raise InputFileError(f"{path}: not readable as GeoJSON ({type(e).__name__}: {e})") from e
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame


def import_proposal(project: Project, layer: str, path: Path) -> gpd.GeoDataFrame:
    """Replace the stored proposal of ``layer`` by an edited GeoJSON file.

    Features keep their ``id`` (new ones without an id get a fresh one); recycling points
    need a ``kind`` of the canonical values (missing: ``community_point``). Every feature is
    checked before anything is written; a bad feature is named and nothing changes.

    Returns
    -------
    geopandas.GeoDataFrame
        The stored layer.

    Raises
    ------
    LayerValidationError
        Unknown layer, wrong geometry type, empty or invalid geometry, unknown kind,
        duplicate id.
    """
    if layer not in EDITABLE_LAYERS:
        raise LayerValidationError(
            f"layer {layer}: proposals can be imported for {', '.join(EDITABLE_LAYERS)}"
        )
    types, prefix = EDITABLE_LAYERS[layer]
    frame = _read_geojson(path)
    where = f"{path}, layer {layer}"
    if "id" not in frame.columns:
        frame["id"] = None
    ids = frame["id"].astype(object).where(frame["id"].notna(), None)
    for i, (geom, ident) in enumerate(zip(frame.geometry, ids, strict=True), start=1):
        label = f"feature {ident or i}"
        if geom is None or geom.is_empty:
            raise LayerValidationError(f"{where}, {label}: empty geometry")
        if geom.geom_type not in types:
            raise LayerValidationError(
                f"{where}, {label}: geometry {geom.geom_type}, expected {' or '.join(types)}"
            )
        if not shapely.is_valid(geom):
            raise LayerValidationError(f"{where}, {label}: invalid geometry")
    given = [str(x) for x in ids if x is not None]
    dup = sorted({x for x in given if given.count(x) > 1})
    if dup:
        raise LayerValidationError(f"{where}, field id: duplicate id(s) {', '.join(dup)}")
    fresh = iter(new_ids(prefix, int(sum(x is None for x in ids)), set(given)))
    frame["id"] = [str(x) if x is not None else next(fresh) for x in ids]
    if layer == "recycling_points":
        kind = frame["kind"] if "kind" in frame.columns else pd.Series(None, index=frame.index)
        kind = kind.fillna(COMMUNITY_POINT).astype(str)
        bad = sorted(set(kind) - set(RECYCLING_KINDS))
        if bad:
            raise LayerValidationError(
                f"{where}, field kind: unknown value(s) {', '.join(bad)} "
                f"(expected {', '.join(RECYCLING_KINDS)})"
            )
        frame["kind"] = kind
    frame["status"] = PLANNED
    if "origin" not in frame.columns:
        frame["origin"] = "planner"
    frame["origin"] = frame["origin"].fillna("planner")
    keep = [c for c in frame.columns if c != "geometry"]
    out = gpd.GeoDataFrame(frame[keep], geometry=np.asarray(frame.geometry.values), crs=frame.crs)
    # the planner edited it against the data as it is now: the model's inputs, now
    return write_proposal(project, layer, out, inputs=PROPOSAL_INPUTS.get(proposal_layer(layer)))
