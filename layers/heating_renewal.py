"""Which heating pipes to renew: the old pipes, leakiest and oldest first, by street.

A renewal proposal is a scenario like the siting proposals: ``peakmap site heating`` writes
the chosen pipes into the store as ``proposal__heating_renewal`` (one row per pipe, its
``id`` and facts), and the indicator engine, asked for ``scenario="proposal"``, reads the
pipe layer with those pipes renewed by the report year (:data:`layers.indicators.inputs.
UPDATE_LAYERS`). HP-15 (heat-loss change) and HP-T4 (old-pipe share) move with it.

The candidates are the pipes that are old in the report year by the HP-T4 definition
(older than ``renewal_age_years`` and not renewed by then, an unknown install year counting
as old). Each is ranked by the heat its renewal saves per metre (loss now − loss of a
renewed pipe, :func:`layers.heating.pipe_loss_w_per_m`), then by age; a length budget
(``max_km``) keeps the best ones. Every pipe is placed in the street holding most of its
length. With ``baseline_rate_percent`` set, losses and savings carry HP-15's calibration
factor, so the kW saved are those of the indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis import PeakmapError
from gis.overlay import split_by_zones
from layers.heating import calibration_factor, heating_params, pipe_loss_w_per_m
from layers.indicators.zones import default_year
from layers.project import Project

__all__ = ["INPUTS", "RENEWAL_LAYER", "RenewalOutcome", "apply_renewal", "propose_renewal"]

RENEWAL_LAYER = "proposal__heating_renewal"
#: The layers the renewal ranking reads: the pipes and the streets they are placed in; the
#: buildings too when HP-15's calibration (``baseline_rate_percent``) scales the savings.
#: Recorded with the proposal, which is stale exactly when one of them changes.
INPUTS: tuple[str, ...] = ("heating_pipes", "streets")
CALIBRATION_INPUTS: tuple[str, ...] = ("buildings",)
KW = 1000.0


@dataclass
class RenewalOutcome:
    """The pipes proposed for renewal and what they save.

    Attributes
    ----------
    proposal : geopandas.GeoDataFrame
        One row per pipe, in rank order: ``rank, id, street_code, street_name,
        install_year, age_years, diameter_mm, network, length_m, loss_w_per_m,
        loss_after_w_per_m, saving_kw``; ``renovated_year`` empty (= by the report year).
    by_street : pandas.DataFrame
        Per street: ``n_pipes, length_km, saving_kw``.
    summary : dict
        Year, candidates, chosen, lengths, savings, parameters.
    inputs : tuple of str
        The layers read (:data:`INPUTS`, plus the buildings when calibrated).
    """

    proposal: gpd.GeoDataFrame
    by_street: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = INPUTS


def _street_of(pipes: gpd.GeoDataFrame, streets: gpd.GeoDataFrame) -> np.ndarray:
    """Index into ``streets`` of the street holding most of each pipe (-1: none)."""
    pieces = split_by_zones(
        np.asarray(pipes.geometry.values, dtype=object),
        np.asarray(streets.geometry.values, dtype=object), measure="length",
    )
    best = np.full(len(pipes), -1, dtype=np.intp)
    if len(pieces.feature):
        order = np.lexsort((-pieces.measure, pieces.feature))
        feat = pieces.feature[order]
        first = np.r_[True, feat[1:] != feat[:-1]]
        best[feat[first]] = pieces.zone[order][first]
    return best


def _calibration(project: Project, pipes: gpd.GeoDataFrame, length: np.ndarray,
                 p: dict[str, Any]) -> float:
    """The HP-15 calibration factor (1 without ``baseline_rate_percent``).

    As :func:`layers.heating.calibration_factor` on the whole store: modelled loss of every
    pipe and heat of every building standing in the baseline year (HP-15 sums the same over
    the communities).
    """
    if p.get("baseline_rate_percent") is None or not project.store.has("buildings"):
        return 1.0
    baseline = int(p["baseline_year"])
    loss = float((length * pipe_loss_w_per_m(pipes, baseline, p)).sum())
    b = project.store.read("buildings")
    area = (pd.to_numeric(b["floor_area_m2"], errors="coerce") if "floor_area_m2" in b.columns
            else pd.Series(np.nan, index=b.index))
    if "floors" in b.columns:
        area = area.fillna(b.geometry.area * pd.to_numeric(b["floors"], errors="coerce"))
    built = (pd.to_numeric(b["built_year"], errors="coerce") if "built_year" in b.columns
             else pd.Series(np.nan, index=b.index))
    supply = float(area[~(built > baseline)].fillna(0.0).sum()) * float(p["heat_load_w_per_m2"])
    return calibration_factor(loss, supply, p["baseline_rate_percent"])


def propose_renewal(
    project: Project, *, year: int | None = None, max_km: float | None = None
) -> RenewalOutcome:
    """Choose the old pipes to renew, leakiest per metre and oldest first.

    Parameters
    ----------
    project : Project
        A built project with ``heating_pipes`` and ``streets``.
    year : int, optional
        Report year (default: the manifest's, else this year).
    max_km : float, optional
        Length budget in km; the best-ranked pipes are kept while the running length stays
        within it. Default: every old pipe.

    Returns
    -------
    RenewalOutcome

    Raises
    ------
    PeakmapError
        The store lacks ``heating_pipes``, ``streets`` or the field ``install_year``, or the
        budget is not positive.
    """
    store = project.store
    for name in ("heating_pipes", "streets"):
        if not store.has(name):
            raise PeakmapError(f"{store.path}: layer {name} is needed for a renewal proposal")
    if max_km is not None and not max_km > 0:
        raise PeakmapError(f"--max-km {max_km}: give a positive length in km")
    year = int(year) if year is not None else default_year(project)
    p = heating_params(project)
    pipes = store.read("heating_pipes")
    if "install_year" not in pipes.columns:
        raise PeakmapError(f"{store.path}: layer heating_pipes has no field install_year")
    installed = pd.to_numeric(pipes["install_year"], errors="coerce").to_numpy(dtype=float)
    renewed = (pd.to_numeric(pipes["renovated_year"], errors="coerce").to_numpy(dtype=float)
               if "renovated_year" in pipes.columns else np.full(len(pipes), np.nan))
    with np.errstate(invalid="ignore"):
        since = np.where(renewed <= year, renewed, installed)
        age = year - since
        old = ~(age <= float(p["renewal_age_years"])) & ~(installed > year)
    loss = pipe_loss_w_per_m(pipes, year, p)
    after_frame = pipes.copy()
    after_frame["renovated_year"] = float(year)
    if "loss_w_per_m" in after_frame.columns:
        after_frame["loss_w_per_m"] = np.nan
    after = pipe_loss_w_per_m(after_frame, year, p)
    length = np.asarray(pipes.geometry.length, dtype=float)
    scale = _calibration(project, pipes, length, p)
    loss, after = loss * scale, after * scale
    streets = store.read("streets").to_crs(pipes.crs)
    street = _street_of(pipes, streets)
    codes = streets["code"].astype(str).to_numpy()
    names = (streets["name"].astype(str).to_numpy() if "name" in streets.columns else codes)
    cand = np.flatnonzero(old & (length > 0))
    saving_per_m = loss[cand] - after[cand]
    order = cand[np.lexsort((-np.nan_to_num(age[cand], nan=np.inf), -saving_per_m))]
    if max_km is not None:
        keep = np.cumsum(length[order]) <= max_km * 1000.0 + 1e-9
        order = order[keep]
    s = street[order]
    proposal = gpd.GeoDataFrame({
        "rank": np.arange(1, len(order) + 1),
        "id": pipes["id"].astype(str).to_numpy()[order],
        "street_code": np.where(s >= 0, codes[np.maximum(s, 0)], None),
        "street_name": np.where(s >= 0, names[np.maximum(s, 0)], None),
        "install_year": pd.array(installed[order], dtype="Float64").round().astype("Int64"),
        "age_years": pd.array(age[order], dtype="Float64").round().astype("Int64"),
        "diameter_mm": (pd.array(pd.to_numeric(pipes["diameter_mm"], errors="coerce")
                                 .to_numpy(dtype=float)[order], dtype="Float64").round()
                        .astype("Int64") if "diameter_mm" in pipes.columns
                        else pd.array([None] * len(order), dtype="Int64")),
        "network": (pipes["network"].to_numpy(dtype=object)[order]
                    if "network" in pipes.columns else None),
        "length_m": np.round(length[order], 1),
        "loss_w_per_m": np.round(loss[order], 1),
        "loss_after_w_per_m": np.round(after[order], 1),
        "saving_kw": np.round(length[order] * (loss[order] - after[order]) / KW, 2),
        "renovated_year": pd.array([None] * len(order), dtype="Int64"),
    }, geometry=pipes.geometry.values[order], crs=pipes.crs)
    by_street = (
        pd.DataFrame({"street_code": proposal["street_code"], "street_name":
                      proposal["street_name"], "length_m": proposal["length_m"],
                      "saving_kw": proposal["saving_kw"]})
        .groupby(["street_code", "street_name"], dropna=False)
        .agg(n_pipes=("length_m", "size"), length_km=("length_m", "sum"),
             saving_kw=("saving_kw", "sum"))
        .reset_index()
    )
    by_street["length_km"] = (by_street["length_km"] / 1000.0).round(2)
    by_street["saving_kw"] = by_street["saving_kw"].round(1)
    by_street = by_street.sort_values("saving_kw", ascending=False, ignore_index=True)
    exists = ~(installed > year)
    summary = {
        "kind": "heating",
        "year": year,
        "n_old": len(cand),
        "old_km": round(float(length[cand].sum()) / 1000.0, 2),
        "network_km": round(float(length[exists].sum()) / 1000.0, 2),
        "n_new": len(order),
        "renew_km": round(float(length[order].sum()) / 1000.0, 2),
        "saving_kw": round(float(proposal["saving_kw"].sum()), 1),
        "max_km": max_km,
        "renewal_age_years": float(p["renewal_age_years"]),
        "calibration": round(scale, 4),
    }
    calibrated = p.get("baseline_rate_percent") is not None and store.has("buildings")
    return RenewalOutcome(proposal, by_street, summary,
                          INPUTS + (CALIBRATION_INPUTS if calibrated else ()))


def apply_renewal(project: Project, outcome: RenewalOutcome) -> str:
    """Write the proposal into the store as ``proposal__heating_renewal`` (replacing it).

    The run is also appended to the siting runs table (``layers.siting.RUNS_TABLE``).

    Returns
    -------
    str
        A one-line summary.
    """
    from layers.siting import RUNS_TABLE  # the one runs table of every proposal kind

    store = project.store
    runs = pd.DataFrame([{
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "kind": "heating",
        "layer": RENEWAL_LAYER,
        "model": "rank by saving per metre, then age",
        "n_new": int(outcome.summary["n_new"]),
        "objective": float(outcome.summary["saving_kw"]),
        "mip_gap": 0.0,
        "solve_time_s": float("nan"),
        "status": "ranked",
        "summary_json": pd.Series([outcome.summary]).to_json(orient="records",
                                                             force_ascii=False)[1:-1],
    }])
    if store.has(RUNS_TABLE):
        runs = pd.concat([pd.DataFrame(store.read(RUNS_TABLE)), runs], ignore_index=True)
        runs = runs.drop(columns=[c for c in runs.columns if c == "geometry"])
    store.write_layers({RENEWAL_LAYER: outcome.proposal, RUNS_TABLE: runs},
                       inputs={RENEWAL_LAYER: outcome.inputs})
    return (f"{RENEWAL_LAYER}: {len(outcome.proposal)} pipe(s), "
            f"{outcome.summary['renew_km']:g} km written")
