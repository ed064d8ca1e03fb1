"""Heating network: heat-loss rate now vs the 2020 baseline (Heping annex row 15).

The plan's target is "城市供热管网热损失比2020年下降5%" — read as percentage points of the
network's heat-loss rate [C]. The rate of a year is

    loss rate = L / (S + L) × 100 %

with L = Σ pipe length × loss per metre (W) and S = the heat delivered, Σ heated floor area of
the buildings standing that year × a design heat load (W/m²). A pipe's loss per metre depends
on its state that year: a pipe whose insulation is older than ``renewal_age_years`` (counted
from ``renovated_year`` when it was renewed by then, else from ``install_year``) loses
``old_loss_w_per_m``, any other pipe ``new_loss_w_per_m``. Pipes installed after the year do
not count. All four figures are parameters of ``[params.heating]`` (defaults [U]).

The metric returns additive parts per community (L and S for both years), so the engine can
recompute the rate of every street and district from sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gis.overlay import split_by_zones
from layers.indicators.inputs import NoData, community_codes, community_geoms, read_layer
from layers.indicators.registry import MetricContext, metric_kind

__all__ = ["HEATING_DEFAULTS", "heat_loss_change", "loss_rate_percent", "pipe_loss_w_per_m"]

# Defaults of [params.heating]; every one is [U] (common practice, not fixed by a standard).
HEATING_DEFAULTS: dict[str, Any] = {
    "baseline_year": 2020,  # the plan's baseline [C]
    "renewal_age_years": 30,  # "30年以上老旧供热管网" (plan text) used as insulation life [U]
    "old_loss_w_per_m": 150.0,  # W per metre of an old pipe pair [U]
    "new_loss_w_per_m": 50.0,  # W per metre of a renewed, pre-insulated pipe pair [U]
    "heat_load_w_per_m2": 40.0,  # design heat load of heated floor area [U]
}
PERCENT = 100.0


def pipe_loss_w_per_m(
    install_year: np.ndarray,
    renovated_year: np.ndarray,
    year: int,
    *,
    renewal_age_years: float,
    old_loss_w_per_m: float,
    new_loss_w_per_m: float,
) -> np.ndarray:
    """Loss per metre of each pipe in ``year`` (0 for pipes not yet installed).

    Parameters
    ----------
    install_year, renovated_year : numpy.ndarray of float
        NaN where unknown (an unknown install year counts as old; no renewal).
    year : int
    renewal_age_years, old_loss_w_per_m, new_loss_w_per_m : float

    Returns
    -------
    numpy.ndarray
        W per metre.

    Examples
    --------
    >>> pipe_loss_w_per_m(np.array([1980., 2000., 1985.]), np.array([np.nan, np.nan, 2022.]),
    ...                   2025, renewal_age_years=30, old_loss_w_per_m=100,
    ...                   new_loss_w_per_m=40).tolist()
    [100.0, 40.0, 40.0]
    """
    installed = np.asarray(install_year, dtype=float)
    renewed = np.asarray(renovated_year, dtype=float)
    with np.errstate(invalid="ignore"):
        renewed_by = renewed <= year
        since = np.where(renewed_by, renewed, installed)
        old = ~(year - since <= renewal_age_years)  # NaN age (unknown) counts as old
        exists = ~(installed > year)
    rate = np.where(old, old_loss_w_per_m, new_loss_w_per_m)
    return np.where(exists, rate, 0.0)


def loss_rate_percent(loss_w: Any, supply_w: Any) -> Any:
    """Loss rate L / (S + L) in percent (NaN where there is neither loss nor supply).

    Examples
    --------
    >>> float(loss_rate_percent(10.0, 90.0))
    10.0
    """
    total = np.asarray(loss_w, dtype=float) + np.asarray(supply_w, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, PERCENT * np.asarray(loss_w, dtype=float) / total, np.nan)


def _combine(sums: pd.DataFrame) -> np.ndarray:
    now = loss_rate_percent(sums["loss_now"], sums["supply_now"])
    base = loss_rate_percent(sums["loss_base"], sums["supply_base"])
    return np.asarray(now - base, dtype=float)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _supply(ctx: MetricContext, years: tuple[int, ...], load: float) -> list[np.ndarray]:
    """Heat delivered per community in each of ``years`` (W): heated floor area × load.

    Buildings are split between communities once; each year keeps those standing then.
    """
    buildings = read_layer(ctx, "buildings", as_of_year=False)
    built = _column(buildings, "built_year")
    area = _column(buildings, "floor_area_m2")
    if "floors" in buildings.columns:
        estimate = np.asarray(buildings.geometry.area, dtype=float) * _column(buildings, "floors")
        area = np.where(np.isnan(area), estimate, area)
    area = np.nan_to_num(area)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    pieces = split_by_zones(geoms, community_geoms(ctx))
    base = area[pieces.feature] * pieces.fraction * load
    out = []
    for year in years:
        standing = ~(built[pieces.feature] > year)
        out.append(
            np.bincount(pieces.zone, weights=np.where(standing, base, 0.0),
                        minlength=len(ctx.communities)).astype(float)
        )
    return out


@metric_kind(
    "heat_loss_change", reads=lambda spec: ("heating_pipes", "buildings"), themes=("heating",)
)
def heat_loss_change(ctx: MetricContext, spec: Mapping[str, Any]) -> pd.DataFrame:
    """Change of the heating network's loss rate from the baseline year to the report year.

    Parameters (catalog ``params``)
    -------------------------------
    None required; ``[params.heating]`` (manifest over catalog over
    :data:`HEATING_DEFAULTS`) sets the baseline year, renewal age, losses and heat load.

    Returns
    -------
    DataFrame with ``loss_base``, ``loss_now``, ``supply_base``, ``supply_now`` (W) per
    community; ``attrs["combine"]`` turns their sums into percentage points.
    """
    defaults = {**HEATING_DEFAULTS, **ctx.cache.get("catalog_params", {}).get("heating", {})}
    p = ctx.project.params("heating", defaults)
    pipes = read_layer(ctx, "heating_pipes", as_of_year=False)
    if "install_year" not in pipes.columns:
        raise NoData("layer heating_pipes has no field install_year")
    baseline = int(p["baseline_year"])
    zones = community_geoms(ctx)
    pieces = split_by_zones(
        np.asarray(pipes.geometry.values, dtype=object), zones, measure="length"
    )
    installed = _column(pipes, "install_year")
    renovated = _column(pipes, "renovated_year")
    kwargs = {
        "renewal_age_years": float(p["renewal_age_years"]),
        "old_loss_w_per_m": float(p["old_loss_w_per_m"]),
        "new_loss_w_per_m": float(p["new_loss_w_per_m"]),
    }
    n = len(ctx.communities)
    years = (baseline, ctx.year)
    supply = _supply(ctx, years, float(p["heat_load_w_per_m2"]))
    columns: dict[str, np.ndarray] = {}
    for i, (label, year) in enumerate(zip(("base", "now"), years, strict=True)):
        rate = pipe_loss_w_per_m(installed, renovated, year, **kwargs)
        columns[f"loss_{label}"] = np.bincount(
            pieces.zone, weights=pieces.measure * rate[pieces.feature], minlength=n
        ).astype(float)
        columns[f"supply_{label}"] = supply[i]
    out = pd.DataFrame(columns, index=community_codes(ctx))
    out.attrs["combine"] = _combine
    out.attrs["note"] = (
        f"{baseline}→{ctx.year}; old {kwargs['old_loss_w_per_m']:g} W/m, renewed "
        f"{kwargs['new_loss_w_per_m']:g} W/m, age > {kwargs['renewal_age_years']:g} a, "
        f"load {float(p['heat_load_w_per_m2']):g} W/m² [U]"
    )
    return out
