"""Proposals as editable data: apply a siting outcome, export and re-import a proposal layer.

A proposal is stored as the scenario layer ``proposal__<layer>``
(:func:`layers.scenario.write_proposal`); every siting run is logged in :data:`RUNS_TABLE`.
A planner edits a proposal by re-running with ``--fix``/``--drop``, by moving one site to
a longitude/latitude (:func:`move_site`, checked against the siting model's candidate rules),
or by exporting it as GeoJSON (WGS84), moving, deleting or adding features in any GIS, and
importing it back (:func:`import_proposal`): the whole layer is replaced and the scenario
recomputed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity

from gis import InputFileError, LayerValidationError
from layers.indicators.inputs import zone_index
from layers.project import Project
from layers.scenario import proposal_layer, read_proposal, write_proposal
from layers.siting.common import (
    COMMUNITY_POINT,
    PLANNED,
    SitingOutcome,
    as_flags,
    codes_match,
    new_ids,
    read_or_none,
    siting_context,
    siting_params,
)
from layers.siting.parks import INPUTS as PARK_INPUTS
from layers.siting.recycling import INPUTS as RECYCLING_INPUTS

__all__ = [
    "EDITABLE_LAYERS",
    "PROPOSAL_INPUTS",
    "PROPOSAL_PARKS",
    "PROPOSAL_POINTS",
    "RUNS_TABLE",
    "apply_proposal",
    "export_proposal",
    "import_proposal",
    "move_site",
    "parse_position",
]

PROPOSAL_POINTS = proposal_layer("recycling_points")
PROPOSAL_PARKS = proposal_layer("pocket_parks")
#: The layers each siting proposal is computed from, as its model declares them.
PROPOSAL_INPUTS: dict[str, tuple[str, ...]] = {
    PROPOSAL_POINTS: RECYCLING_INPUTS,
    PROPOSAL_PARKS: PARK_INPUTS,
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
    need a ``kind`` of the canonical values (missing: ``community_point``). A feature that
    stands elsewhere than the stored site of its id is marked ``moved``, as by
    :func:`move_site`. Every feature is
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
    frame["moved"] = _moved_in_import(project, layer, frame)
    if "origin" not in frame.columns:
        frame["origin"] = "planner"
    frame["origin"] = frame["origin"].fillna("planner")
    keep = [c for c in frame.columns if c != "geometry"]
    out = gpd.GeoDataFrame(frame[keep], geometry=np.asarray(frame.geometry.values), crs=frame.crs)
    # the planner edited it against the data as it is now: the model's inputs, now
    return write_proposal(project, layer, out, inputs=PROPOSAL_INPUTS.get(proposal_layer(layer)))


def _moved_in_import(project: Project, layer: str, frame: gpd.GeoDataFrame) -> list[bool]:
    """Per imported feature: moved (a stored site of its id stood elsewhere) or not.

    A feature keeps the ``moved`` it had; one whose geometry differs by more than 1 cm from
    the stored site of the same id (and that names a candidate) becomes moved, as
    :func:`move_site` would mark it.
    """
    had = as_flags(frame["moved"]) if "moved" in frame.columns else np.zeros(len(frame), bool)
    stored = read_proposal(project, layer)
    if stored is None or "id" not in stored.columns:
        return [bool(v) for v in had]
    where = dict(zip(stored["id"].astype(str), stored.geometry.values, strict=True))
    mine = frame.geometry.to_crs(stored.crs).values
    out = []
    for ident, geom, was in zip(frame["id"].astype(str), mine, had, strict=True):
        old = where.get(ident)
        out.append(bool(was) or (old is not None and not shapely.equals_exact(geom, old, 0.01)))
    return out


def _refuse(zh: str, en: str) -> LayerValidationError:
    """A refusal of a move, Chinese first then English (one line)."""
    return LayerValidationError(f"{zh} / {en}")


def parse_position(text: str, *, xy: bool = False) -> tuple[float, float]:
    """``"LON,LAT"`` (or, with ``xy``, ``"X,Y"`` in metres) as two finite numbers.

    Examples
    --------
    >>> parse_position(" 117.2, 39.12 ")
    (117.2, 39.12)

    Raises
    ------
    LayerValidationError
        Not two comma-separated numbers.
    """
    parts = str(text).replace("，", ",").split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        x = y = float("nan")
    if not (np.isfinite(x) and np.isfinite(y)):
        if xy:
            raise _refuse(f"位置 {text!r}：应为两个数 X,Y（项目坐标系，米，如 500350,4330100）",
                          f"position {text!r}: expected two numbers X,Y (metres in the project "
                          "CRS, e.g. 500350,4330100)")
        raise _refuse(f"位置 {text!r}：应为两个数 经度,纬度（如 117.20,39.12）",
                      f"position {text!r}: expected two numbers LON,LAT (e.g. 117.20,39.12)")
    return x, y


def _find_site(project: Project, site_id: str) -> tuple[str, gpd.GeoDataFrame, int]:
    """The editable layer, its stored proposal and the row of the proposed site ``site_id``."""
    known: list[str] = []
    for layer in EDITABLE_LAYERS:
        frame = read_proposal(project, layer)
        if frame is None or "id" not in frame.columns:
            continue
        ids = frame["id"].astype(str).tolist()
        if site_id in ids:
            return layer, frame, ids.index(site_id)
        known += ids
    where = project.store.path
    if not known:
        raise _refuse(
            f"{where}：没有方案站点 {site_id}，项目尚无选址方案（先运行 peakmap site "
            "recycling|transfer|pocket-parks）",
            f"{where}: no proposed site {site_id} — no proposal stored "
            "(run 'peakmap site recycling|transfer|pocket-parks' first)",
        )
    shown = ", ".join(sorted(known)[:12]) + (" …" if len(known) > 12 else "")
    raise _refuse(f"{where}：没有方案站点 {site_id}（方案站点：{shown}）",
                  f"{where}: no proposed site {site_id} (proposed sites: {shown})")


def _check_place(
    project: Project, layer: str, site_id: str, geom: Any, kind: str | None, where: str
) -> None:
    """Refuse a moved site the siting model would not have as a candidate (module docs)."""
    ctx = siting_context(project)
    params = siting_params(project)
    zh, en = f"方案站点 {site_id}（{where}）", f"proposed site {site_id} at {where}"
    area = shapely.union_all(np.asarray(ctx.communities.geometry.values, dtype=object))
    if zone_index(ctx, [geom])[0] < 0 or not shapely.covers(area, geom):
        raise _refuse(f"{zh}：不在项目范围（各社区）内",
                      f"{en}: outside the project area (its communities)")
    landuse = read_or_none(ctx, "landuse")
    if landuse is not None and len(landuse):
        water = landuse[codes_match(landuse, params["water_landuse_codes"])]
        hit = water[water.geometry.intersects(geom)]
        if len(hit):
            first = hit.iloc[0]
            name = first.get("id", first.get("subcode", first.get("code")))
            raise _refuse(
                f"{zh}：位于水域（用地 {name}，代码 {first['code']}；[params.siting] "
                "water_landuse_codes），不能设站",
                f"{en}: on water (land-use parcel {name}, code {first['code']}; "
                "[params.siting] water_landuse_codes): no site goes there",
            )
    if layer == "recycling_points":
        base = read_or_none(ctx, "recycling_points")
        if base is not None and len(base) and kind is not None and "kind" in base.columns:
            same = base[base["kind"].astype(str) == kind]
            spacing = float(params["min_spacing_m"])
            dist = same.geometry.distance(geom)
            if len(same) and float(dist.min()) < spacing:
                near = same.loc[dist.idxmin()]
                gap, ident = float(dist.min()), near.get("id", "")
                raise _refuse(
                    f"{zh}：距现有 {kind} {ident} 仅 {gap:.0f} m，小于 [params.siting] "
                    f"min_spacing_m {spacing:g} m",
                    f"{en}: {gap:.0f} m from the existing {kind} {ident}, closer than "
                    f"[params.siting] min_spacing_m {spacing:g} m",
                )
    else:  # a pocket park on a plot mostly a park already (park_plots leaves those out)
        taken = []
        pocket = read_or_none(ctx, "pocket_parks")
        if pocket is not None and len(pocket):
            taken += list(pocket.geometry.values)
        green = read_or_none(ctx, "green_spaces")
        if green is not None and len(green) and "class" in green.columns:
            taken += list(green.geometry[green["class"].astype(str).str.startswith("G1")])
        if taken:
            shared = float(shapely.area(shapely.intersection(shapely.union_all(taken), geom)))
            if shared >= 0.5 * float(geom.area):
                raise _refuse(
                    f"{zh}：{geom.area:,.0f} m² 中有 {shared:,.0f} m² 已是公园",
                    f"{en}: {shared:,.0f} of its {geom.area:,.0f} m² are a park already",
                )


def move_site(
    project: Project, site_id: str, x: float, y: float, *, crs: str = WGS84
) -> tuple[str, gpd.GeoDataFrame]:
    """Move the proposed site ``site_id`` to ``(x, y)`` and store the edited proposal.

    A point goes to the position; a pocket park (a polygon) is shifted so that its point
    inside (``representative_point``) lies there. The place is checked with the siting
    model's candidate rules: inside the project area (a community), not on water
    (``[params.siting] water_landuse_codes``), a recycling point or transfer station not
    closer than ``min_spacing_m`` to an existing one of its kind, a pocket park not mostly a
    park already. The model allows sites on buildings (public-institution footprints are
    candidates), so buildings are not refused. Nothing is written when a check fails. The
    site keeps its id, its ``origin`` becomes ``planner`` and ``moved`` true; its
    ``cand_id`` (the candidate it came from) is kept, so a later run's ``--fix ID`` keeps the
    site at its new place and ``--drop ID`` leaves it (and that candidate) out
    (:func:`layers.siting.common.resolve_edits`).

    Parameters
    ----------
    project : Project
    site_id : str
        Id of a stored proposed site (``PR-RC-0001``, ``PR-PP-0002`` …).
    x, y : float
        Longitude and latitude (WGS84) by default, else coordinates in ``crs``.
    crs : str
        CRS of ``x``, ``y`` (``"EPSG:4326"``; the store's CRS for projected metres).

    Returns
    -------
    tuple of (str, geopandas.GeoDataFrame)
        The canonical layer (``recycling_points`` or ``pocket_parks``) and the stored
        proposal layer after the move.

    Raises
    ------
    LayerValidationError
        Unknown id (the message lists the proposed ids), coordinates that are not a place
        on Earth, or a place the candidate rules refuse; Chinese, then `` / `` English.
    """
    layer, frame, row = _find_site(project, str(site_id))
    if not (np.isfinite(x) and np.isfinite(y)):
        raise _refuse(f"方案站点 {site_id}：位置 {x}, {y} 不是数",
                      f"proposed site {site_id}: position {x}, {y} is not a number")
    if crs == WGS84 and not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
        raise _refuse(f"方案站点 {site_id}：{x:g}, {y:g} 不是经度、纬度（WGS84）",
                      f"proposed site {site_id}: {x:g}, {y:g} is not a longitude, latitude "
                      "(WGS84)")
    where = f"{x:.6f}, {y:.6f}" if crs == WGS84 else f"{x:.1f}, {y:.1f} ({crs})"
    target = gpd.GeoSeries([shapely.Point(x, y)], crs=crs).to_crs(frame.crs).iloc[0]
    if not np.isfinite(shapely.get_coordinates(target)).all():
        raise _refuse(f"方案站点 {site_id}：{where} 在 {frame.crs} 中无对应位置",
                      f"proposed site {site_id}: {where} has no place in {frame.crs}")
    old = frame.geometry.iloc[row]
    if old.geom_type == "Point":
        geom = target
    else:
        anchor = old.representative_point()
        geom = shapely.affinity.translate(old, target.x - anchor.x, target.y - anchor.y)
    kind = str(frame["kind"].iloc[row]) if "kind" in frame.columns else None
    _check_place(project, layer, str(site_id), geom, kind, where)
    out = frame.copy()
    geoms = np.asarray(out.geometry.values, dtype=object)
    geoms[row] = geom
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=frame.crs))
    out.loc[out.index[row], "origin"] = "planner"
    out["moved"] = as_flags(out["moved"]) if "moved" in out.columns else False
    out.loc[out.index[row], "moved"] = True
    stored = write_proposal(project, layer, out,
                            inputs=PROPOSAL_INPUTS.get(proposal_layer(layer)))
    return layer, stored
