"""Heating network: heat-loss rate now vs the 2020 baseline (Heping annex row 15).

The plan's target is "城市供热管网热损失比2020年下降5%" — read as percentage points of the
network's heat-loss rate [C]. The rate of a year is

    loss rate = L / (S + L) × 100 %

with L = Σ pipe length × loss per metre of the pipe pair (W) and S = the heat delivered,
Σ heated floor area of the buildings standing that year × the heating-season mean load
(W/m²). Pipes installed after the year do not count.

Loss per metre (:func:`pipe_loss_w_per_m`) of a supply + return pair buried side by side:

- conduction, by diameter, insulation and age: the steady two-pipe formula for buried pipes
  (insulation resistance ln(D/d)/(2πλ) plus soil resistance arcosh(2h/D)/(2πλₛ), and the
  mutual resistance ln√(1 + (2h/s)²)/(2πλₛ) of the neighbouring pipe; the form used by
  CJJ/T 81 and by Minenergo-278 app. 5.1) with seasonal mean water temperatures by network
  level, the casing diameter D of the pipe's DN (:data:`CASING_MM`), the insulation's
  conductivity λ: polyurethane foam of a pre-insulated pipe (0.033 W/(m·K), the limit of
  GB/T 29047), rising by ``ageing_per_year`` with the insulation's age; pipes past
  ``renewal_age_years`` (counted from ``renovated_year`` when renewed by then, else from
  ``install_year``; an unknown year counts as old) have the degraded, wet insulation of an
  old trench network (``old_insulation_w_per_mk``); times ``fittings_factor`` for valves,
  supports and chambers;
- leakage: heat carried away by the make-up water of old pipes (``old_leak_w_per_m``).

A measured ``loss_w_per_m`` of a pipe, where given (> 0), replaces the model in the years
since the pipe's last renewal (or installation). With both ``old_loss_w_per_m`` and
``new_loss_w_per_m`` set in ``[params.heating]`` the flat two-value model of earlier
versions is used instead. All parameters are in ``[params.heating]``; the sources of their
defaults are in :class:`layers.params.HeatingParams` and the catalog.

The metric returns additive parts per community (L and S for both years), so the engine can
recompute the rate of every street and district from sums.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.overlay import split_by_zones
from layers.floors import (
    FLOOR_AREA_COUNTS,
    FLOOR_AREA_ESTIMATES,
    FLOOR_AREA_SOURCE,
    complete_floor_area,
    floor_area_flags,
    floor_area_note_of,
)
from layers.indicators.inputs import (
    NoData,
    community_codes,
    community_geoms,
    read_layer,
    theme_params,
    zone_index,
)
from layers.indicators.registry import MetricContext, MetricResult, counted_result, metric_kind
from layers.labels import bilingual_note
from layers.params import BuildingsParams, HeatingParams

__all__ = [
    "CASING_MM",
    "HEATING_DEFAULTS",
    "PIPE_GAPS",
    "calibration_factor",
    "heat_loss_change",
    "heating_params",
    "loss_rate_percent",
    "missing_values_note",
    "pair_conduction_w_per_m",
    "pipe_gaps",
    "pipe_gaps_note",
    "pipe_loss_w_per_m",
]

#: Defaults of ``[params.heating]`` as a dict (the values and their sources:
#: :class:`layers.params.HeatingParams`).
HEATING_DEFAULTS: dict[str, Any] = HeatingParams().model_dump()
PERCENT = 100.0

# Steel pipe outside diameter and the casing diameter of a pre-insulated pipe by DN (mm):
# the standard series of GB/T 29047 / EN 253 (series 1) [U: manufacturers offer thicker series].
CASING_MM: dict[int, tuple[float, float]] = {
    25: (33.7, 90.0), 32: (42.4, 110.0), 40: (48.3, 110.0), 50: (60.3, 125.0),
    65: (76.1, 140.0), 80: (88.9, 160.0), 100: (114.3, 200.0), 125: (139.7, 225.0),
    150: (168.3, 250.0), 200: (219.1, 315.0), 250: (273.0, 400.0), 300: (323.9, 450.0),
    350: (355.6, 500.0), 400: (406.4, 560.0), 450: (457.0, 630.0), 500: (508.0, 710.0),
    600: (610.0, 800.0), 700: (711.0, 900.0), 800: (813.0, 1000.0), 900: (914.0, 1100.0),
    1000: (1016.0, 1200.0),
}
_DN = np.array(sorted(CASING_MM), dtype=float)
_OD = np.array([CASING_MM[int(d)][0] for d in _DN]) / 1000.0
_CASING = np.array([CASING_MM[int(d)][1] for d in _DN]) / 1000.0


def heating_params(ctx_or_project: Any) -> dict[str, Any]:
    """``[params.heating]`` in force: defaults < catalog < manifest (:class:`HeatingParams`).

    Parameters
    ----------
    ctx_or_project : MetricContext or Project
        A metric context (the run's catalog) or a project (its catalog file).

    Returns
    -------
    dict
        Key → value, as the loss model reads them.
    """
    if isinstance(ctx_or_project, MetricContext):
        return theme_params(ctx_or_project, HeatingParams).model_dump()
    return dict(ctx_or_project.params(HeatingParams).model_dump())


def pair_conduction_w_per_m(
    diameter_mm: Any, supply_c: Any, return_c: Any, insulation_w_per_mk: Any,
    p: Mapping[str, Any],
) -> np.ndarray:
    """Conduction loss of a buried supply + return pair (W per metre of the pair).

    Two pipes of the same DN side by side at depth h = cover + D/2, centre distance
    s = D + gap: R = ln(D/d)/(2πλ) + arcosh(2h/D)/(2πλₛ), R₀ = ln√(1 + (2h/s)²)/(2πλₛ),
    q₁ = ((t₁ − t₀)R − (t₂ − t₀)R₀)/(R² − R₀²), q₂ likewise, loss = q₁ + q₂. The DN is
    rounded up to the next size of :data:`CASING_MM`.

    Parameters
    ----------
    diameter_mm, supply_c, return_c, insulation_w_per_mk : array_like
        DN (mm), seasonal mean water temperatures (°C), insulation conductivity (W/(m·K)).
    p : mapping
        ``soil_c``, ``soil_w_per_mk``, ``cover_m``, ``pipe_gap_m``.

    Returns
    -------
    numpy.ndarray
        W/m.

    Examples
    --------
    >>> p = {"soil_c": 6.0, "soil_w_per_mk": 1.5, "cover_m": 0.8, "pipe_gap_m": 0.25}
    >>> round(float(pair_conduction_w_per_m(100, 60.0, 45.0, 0.033, p)), 1)
    29.5
    """
    dn = np.asarray(diameter_mm, dtype=float)
    i = np.clip(np.searchsorted(_DN, dn), 0, len(_DN) - 1)
    d, casing = _OD[i], _CASING[i]
    soil = float(p["soil_w_per_mk"])
    depth = float(p["cover_m"]) + casing / 2.0
    spacing = casing + float(p["pipe_gap_m"])
    lam = np.asarray(insulation_w_per_mk, dtype=float)
    r = (np.log(casing / d) / (2 * np.pi * lam)
         + np.arccosh(2 * depth / casing) / (2 * np.pi * soil))
    r0 = np.log(np.sqrt(1.0 + (2 * depth / spacing) ** 2)) / (2 * np.pi * soil)
    t0 = float(p["soil_c"])
    dt1 = np.asarray(supply_c, dtype=float) - t0
    dt2 = np.asarray(return_c, dtype=float) - t0
    det = r * r - r0 * r0
    out: np.ndarray = ((dt1 * r - dt2 * r0) + (dt2 * r - dt1 * r0)) / det
    return out


def _flat(p: Mapping[str, Any]) -> bool:
    return p.get("old_loss_w_per_m") is not None and p.get("new_loss_w_per_m") is not None


def pipe_loss_w_per_m(
    pipes: pd.DataFrame, year: int, p: Mapping[str, Any]
) -> np.ndarray:
    """Loss per metre of each pipe pair in ``year`` (0 for pipes not yet installed).

    Parameters
    ----------
    pipes : pandas.DataFrame
        ``install_year`` and, where known, ``renovated_year``, ``diameter_mm``, ``network``
        (primary / secondary), ``loss_w_per_m`` (measured).
    year : int
    p : mapping
        ``[params.heating]`` (see :data:`HEATING_DEFAULTS`).

    Returns
    -------
    numpy.ndarray
        W per metre.

    Examples
    --------
    >>> frame = pd.DataFrame({"install_year": [1980.0, 2000.0, 1985.0],
    ...                       "renovated_year": [np.nan, np.nan, 2022.0]})
    >>> flat = {**HEATING_DEFAULTS, "old_loss_w_per_m": 100, "new_loss_w_per_m": 40}
    >>> pipe_loss_w_per_m(frame, 2025, flat).tolist()
    [100.0, 40.0, 40.0]
    """
    installed = _column(pipes, "install_year")
    renewed = _column(pipes, "renovated_year")
    with np.errstate(invalid="ignore"):
        renewed_by = renewed <= year
        since = np.where(renewed_by, renewed, installed)
        age = year - since
        old = ~(age <= float(p["renewal_age_years"]))  # NaN age (unknown) counts as old
        exists = ~(installed > year)
    if _flat(p):
        rate = np.where(old, float(p["old_loss_w_per_m"]), float(p["new_loss_w_per_m"]))
    else:
        dn = _column(pipes, "diameter_mm")
        dn = np.where(np.isfinite(dn) & (dn > 0), dn, float(p["default_diameter_mm"]))
        level = (pipes["network"].astype("string").str.strip().str.lower()
                 if "network" in pipes.columns else pd.Series(pd.NA, index=pipes.index,
                                                              dtype="string"))
        known = level.isin(["primary", "secondary"]).to_numpy(dtype=bool)
        primary = np.where(known, (level == "primary").fillna(False).to_numpy(dtype=bool),
                           dn >= float(p["primary_min_diameter_mm"]))
        supply = np.where(primary, float(p["primary_supply_c"]), float(p["secondary_supply_c"]))
        ret = np.where(primary, float(p["primary_return_c"]), float(p["secondary_return_c"]))
        ageing = 1.0 + float(p["ageing_per_year"]) * np.clip(np.nan_to_num(age), 0.0, None)
        lam = np.where(old, float(p["old_insulation_w_per_mk"]),
                       float(p["insulation_w_per_mk"]) * ageing)
        rate = pair_conduction_w_per_m(dn, supply, ret, lam, p) * float(p["fittings_factor"])
        rate = rate + np.where(old, float(p["old_leak_w_per_m"]), 0.0)
    measured = _column(pipes, "loss_w_per_m")
    use = (measured > 0) & ~(renewed > year)
    rate = np.where(use, measured, rate)
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


def calibration_factor(loss_w: float, supply_w: float, rate_percent: Any) -> float:
    """Factor k on the modelled losses so that k·L / (S + k·L) equals ``rate_percent``.

    k = r·S / ((1 − r)·L) with r the rate as a fraction; 1 when no rate is given or the
    model has no loss or supply.

    Examples
    --------
    >>> round(calibration_factor(2.0, 98.0, 10.0), 4)  # 2 % modelled, 10 % measured
    5.4444
    >>> calibration_factor(2.0, 98.0, None)
    1.0
    """
    if rate_percent is None:
        return 1.0
    r = float(rate_percent) / PERCENT
    if not 0.0 < r < 1.0:
        raise NoData(f"[params.heating] baseline_rate_percent = {rate_percent}: give 0–100")
    if not (loss_w > 0 and supply_w > 0):
        return 1.0
    return r * supply_w / ((1.0 - r) * loss_w)


def _combine(sums: pd.DataFrame) -> np.ndarray:
    now = loss_rate_percent(sums["loss_now"], sums["supply_now"])
    base = loss_rate_percent(sums["loss_base"], sums["supply_base"])
    return np.asarray(now - base, dtype=float)


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _with_floor_areas(ctx: MetricContext) -> gpd.GeoDataFrame:
    """Buildings (every year) with the floor areas the build completed.

    Ingest fills ``floor_area_m2`` once (:func:`layers.floors.complete_floor_area`, with
    ``floor_area_source`` saying reported, floors × footprint or height); those values are
    used as they are. Only a layer that did not pass through it (no ``floor_area_source``:
    a store built before, or written directly) is completed here, by the same function.
    """
    buildings = read_layer(ctx, "buildings", as_of_year=False)
    if FLOOR_AREA_SOURCE not in buildings.columns:
        buildings, _ = complete_floor_area(
            buildings, ctx.project.params(BuildingsParams).model_dump())
    return buildings


def _supply(ctx: MetricContext, buildings: gpd.GeoDataFrame, years: tuple[int, ...],
            load: float) -> list[np.ndarray]:
    """Heat delivered per community in each of ``years`` (W): heated floor area × load.

    ``buildings`` as :func:`_with_floor_areas` gives them; a building without a floor area
    counts 0 (the note says how many). Buildings are split between communities once; each
    year keeps those standing then.
    """
    built = _column(buildings, "built_year")
    area = np.nan_to_num(_column(buildings, "floor_area_m2"))
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
def heat_loss_change(ctx: MetricContext, spec: Mapping[str, Any]) -> MetricResult:
    """Change of the heating network's loss rate from the baseline year to the report year.

    Parameters (catalog ``params``)
    -------------------------------
    None required; ``[params.heating]`` (:class:`layers.params.HeatingParams`; catalog <
    manifest) sets the baseline year, renewal age, losses and heat load.

    Returns
    -------
    MetricResult
        Values: ``loss_base``, ``loss_now``, ``supply_base``, ``supply_now`` (W) per
        community; its ``combine`` turns their sums into percentage points.
    """
    p = heating_params(ctx)
    pipes = read_layer(ctx, "heating_pipes", as_of_year=False)
    if "install_year" not in pipes.columns:
        raise NoData("layer heating_pipes has no field install_year")
    baseline = int(p["baseline_year"])
    zones = community_geoms(ctx)
    pieces = split_by_zones(
        np.asarray(pipes.geometry.values, dtype=object), zones, measure="length"
    )
    n = len(ctx.communities)
    years = (baseline, ctx.year)
    buildings = _with_floor_areas(ctx)
    supply = _supply(ctx, buildings, years, float(p["heat_load_w_per_m2"]))
    columns: dict[str, np.ndarray] = {}
    for i, (label, year) in enumerate(zip(("base", "now"), years, strict=True)):
        rate = pipe_loss_w_per_m(pipes, year, p)
        columns[f"loss_{label}"] = np.bincount(
            pieces.zone, weights=pieces.measure * rate[pieces.feature], minlength=n
        ).astype(float)
        columns[f"supply_{label}"] = supply[i]
    scale = calibration_factor(columns["loss_base"].sum(), columns["supply_base"].sum(),
                               p.get("baseline_rate_percent"))
    for label in ("base", "now"):
        columns[f"loss_{label}"] = columns[f"loss_{label}"] * scale
    out = pd.DataFrame(columns, index=community_codes(ctx))
    note = _note(p, baseline, ctx.year)
    if scale != 1.0:
        measured = f"{float(p['baseline_rate_percent']):g} %"
        note += "; " + bilingual_note(
            f"按 {baseline} 年实测热损失率 {measured} 校准（管网散热 × {scale:.3g}）",
            f"calibrated to {measured} in {baseline} (losses × {scale:.3g})")
    # per community: the pipes' assumed values (counted where each pipe lies, lengths split
    # as the losses are) and the floor areas the heat delivered rests on (report year)
    gaps = pipe_gaps(pipes, p)
    counts: dict[str, np.ndarray] = {}
    at = zone_index(ctx, np.asarray(pipes.geometry.values, dtype=object))
    for c in PIPE_GAPS:
        values = gaps[c].to_numpy(dtype=float)
        if c.endswith("_m"):  # a length: split between communities like the pipe
            counts[c] = np.bincount(pieces.zone, values[pieces.feature] * pieces.fraction,
                                    minlength=n)
        else:
            counts[c] = np.bincount(at[at >= 0], values[at >= 0], minlength=n)
    standing = buildings[~(_column(buildings, "built_year") > ctx.year)]
    flags = floor_area_flags(standing) if FLOOR_AREA_SOURCE in standing.columns else None
    if flags is not None:
        home = zone_index(ctx, np.asarray(standing.geometry.values, dtype=object))
        for c in FLOOR_AREA_COUNTS:
            counts[c] = np.bincount(home[home >= 0], flags[c].to_numpy(dtype=float)[home >= 0],
                                    minlength=n)
    note_of = functools.partial(_hp15_note, head=note,
                                default_dn=float(p["default_diameter_mm"]),
                                primary_dn=float(p["primary_min_diameter_mm"]))
    return counted_result(out, pd.DataFrame(counts, index=out.index).astype(float), note_of,
                          estimated=("ins_n", "dn_n", "lvl_n", *FLOOR_AREA_ESTIMATES),
                          combine=_combine)



#: Per-pipe columns of :func:`pipe_gaps`: every pipe, then for each assumed value the pipes
#: (``_n``) and their length in m (``_m``).
PIPE_GAPS = ("pipes", "ins_n", "ins_m", "dn_n", "dn_m", "lvl_n", "lvl_m")


def pipe_gaps(pipes: gpd.GeoDataFrame, p: Mapping[str, Any]) -> pd.DataFrame:
    """Per pipe, the values the loss model assumed (columns of :data:`PIPE_GAPS`).

    As :func:`pipe_loss_w_per_m` computes them: a pipe of unknown age is past the renewal
    age in every year; without a diameter (or 0) it has ``default_diameter_mm``; without a
    level it is primary from ``primary_min_diameter_mm`` up (the last two not with the
    flat two-value model).
    """
    length = np.asarray(pipes.geometry.length, dtype=float) if len(pipes) else np.zeros(0)
    ins = ~np.isfinite(_column(pipes, "install_year"))
    dn_gap = lvl_gap = np.zeros(len(pipes), dtype=bool)
    if not _flat(p):
        dn = _column(pipes, "diameter_mm")
        dn_gap = ~(np.isfinite(dn) & (dn > 0))
        level = (pipes["network"].astype("string").str.strip().str.lower()
                 if "network" in pipes.columns else pd.Series(pd.NA, index=pipes.index,
                                                              dtype="string"))
        lvl_gap = ~level.isin(["primary", "secondary"]).to_numpy(dtype=bool)
    return pd.DataFrame({
        "pipes": np.ones(len(pipes)),
        "ins_n": ins.astype(float), "ins_m": np.where(ins, length, 0.0),
        "dn_n": dn_gap.astype(float), "dn_m": np.where(dn_gap, length, 0.0),
        "lvl_n": lvl_gap.astype(float), "lvl_m": np.where(lvl_gap, length, 0.0),
    }, index=pipes.index)


def pipe_gaps_note(totals: Mapping[str, float], *, default_dn: float,
                   primary_dn: float) -> str:
    """The note of :func:`missing_values_note` from summed :data:`PIPE_GAPS` of a zone."""
    n = int(totals.get("pipes", 0.0))
    parts = []

    def part(key: str, zh: str, en: str) -> None:
        k = int(totals.get(f"{key}_n", 0.0))
        if k:
            m = f"{float(totals.get(f'{key}_m', 0.0)):,.0f} m"
            parts.append(bilingual_note(zh.format(k=k, m=m, n=n), en.format(k=k, m=m, n=n)))

    part("ins", "敷设年份未知：{n} 段中 {k} 段（{m}）按超过更新年限计",
         "install year unknown: {k} of {n} pipes ({m}) counted as past the renewal age")
    part("dn", "管径未知：{k} 段（{m}）按 DN " + f"{default_dn:g}" + " 计",
         "diameter unknown: {k} pipes ({m}) taken as DN " + f"{default_dn:g}")
    part("lvl", "管网级别未知：{k} 段（{m}）按管径 DN ≥ " + f"{primary_dn:g}" + " 为一级管网计",
         "level unknown: {k} pipes ({m}) primary from DN " + f"{primary_dn:g}")
    return "; ".join(parts)


def missing_values_note(pipes: gpd.GeoDataFrame, p: Mapping[str, Any]) -> str:
    """What the loss model assumed for pipes without an install year, diameter or level.

    Over all of ``pipes`` (:func:`pipe_gaps`, :func:`pipe_gaps_note`); HP-15's records
    state each zone's own. Empty when every pipe has them.

    Examples
    --------
    >>> import shapely
    >>> pipes = gpd.GeoDataFrame(
    ...     {"install_year": [1990.0, np.nan], "diameter_mm": [0.0, 200.0]},
    ...     geometry=[shapely.LineString([(0, 0), (120, 0)]),
    ...               shapely.LineString([(0, 0), (30, 0)])])
    >>> from layers.labels import note_label
    >>> for part in note_label(missing_values_note(pipes, HEATING_DEFAULTS), "en").split("; "):
    ...     print(part)
    install year unknown: 1 of 2 pipes (30 m) counted as past the renewal age
    diameter unknown: 1 pipes (120 m) taken as DN 150
    level unknown: 2 pipes (150 m) primary from DN 300
    """
    gaps = pipe_gaps(pipes, p)
    return pipe_gaps_note({c: float(gaps[c].sum()) for c in PIPE_GAPS},
                          default_dn=float(p["default_diameter_mm"]),
                          primary_dn=float(p["primary_min_diameter_mm"]))


def _hp15_note(totals: Mapping[str, float], *, head: str, default_dn: float,
               primary_dn: float) -> str:
    """HP-15's note of a zone: the model, then its pipes' assumed values and floor areas."""
    return "; ".join(t for t in (
        head, pipe_gaps_note(totals, default_dn=default_dn, primary_dn=primary_dn),
        floor_area_note_of(totals)) if t)


def _note(p: Mapping[str, Any], baseline: int, year: int) -> str:
    """The model and its parameters, in both languages (:func:`layers.labels.bilingual_note`)."""
    g = {k: f"{float(v):g}" for k, v in p.items() if isinstance(v, int | float)}
    if _flat(p):
        return bilingual_note(
            f"{baseline}→{year}；超龄管 {g['old_loss_w_per_m']} W/m，更新管 "
            f"{g['new_loss_w_per_m']} W/m，管龄超过 {g['renewal_age_years']} 年为超龄，"
            f"热负荷 {g['heat_load_w_per_m2']} W/m² [U]",
            f"{baseline}→{year}; old {g['old_loss_w_per_m']} W/m, renewed "
            f"{g['new_loss_w_per_m']} W/m, age > {g['renewal_age_years']} a, "
            f"load {g['heat_load_w_per_m2']} W/m² [U]",
        )
    return bilingual_note(
        f"{baseline}→{year}；直埋供回水管对按管径计，保温 λ {g['insulation_w_per_mk']} "
        f"W/(m·K)（每年 +{100 * float(p['ageing_per_year']):g} %），超龄管 "
        f"{g['old_insulation_w_per_mk']} W/(m·K)、失水 {g['old_leak_w_per_m']} W/m，管件 ×"
        f"{g['fittings_factor']}，一级管网 {g['primary_supply_c']}/{g['primary_return_c']} °C，"
        f"二级管网 {g['secondary_supply_c']}/{g['secondary_return_c']} °C，土壤 {g['soil_c']} °C，"
        f"管龄超过 {g['renewal_age_years']} 年为超龄，热负荷 {g['heat_load_w_per_m2']} W/m² [U]",
        f"{baseline}→{year}; buried pair by DN, λ {g['insulation_w_per_mk']} "
        f"(+{100 * float(p['ageing_per_year']):g} %/a) / old "
        f"{g['old_insulation_w_per_mk']} W/(m·K), old leak {g['old_leak_w_per_m']} W/m, "
        f"fittings ×{g['fittings_factor']}, primary {g['primary_supply_c']}/"
        f"{g['primary_return_c']} °C, secondary {g['secondary_supply_c']}/"
        f"{g['secondary_return_c']} °C, soil {g['soil_c']} °C, "
        f"age > {g['renewal_age_years']} a, load {g['heat_load_w_per_m2']} W/m² [U]",
    )
