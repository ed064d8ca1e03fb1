"""Residential demand: the one definition of homes and residential land in peakmap.

Indicators (:mod:`layers.coverage`), siting (:mod:`layers.siting`) and the web read demand
from here, so that the same question always gets the same answer.

Homes
    Buildings whose ``use`` is one of ``residential_uses``, as their centroid, weighted by
    their ``households``. Where ``households`` is missing it is *estimated*: floor area
    (``floor_area_m2``, else footprint × ``floors``) ÷ ``household_area_m2`` [U], rounded up,
    at least 1; a building with neither gets 1. The estimate is stated in every note
    (:attr:`Homes.note`). Homes outside every community are left out.
Residential land
    Land-use polygons whose ``code`` starts with ``residential_landuse_prefix``, cut by the
    communities (area-weighted demand of the park-coverage indicators); in walking mode
    sampled on a regular grid (:func:`residential_samples`).

Parameters live in ``[params.coverage]`` (:class:`layers.params.CoverageParams`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.coverage import grid_samples, polygon_parts
from layers.indicators.cut import layer_pieces
from layers.indicators.inputs import NoData, read_layer, theme_params, zone_index
from layers.indicators.registry import MetricContext
from layers.labels import bilingual_note
from layers.params import CoverageParams

__all__ = [
    "Homes",
    "demand_params",
    "homes_note",
    "residential_homes",
    "residential_land",
    "residential_samples",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Homes:
    """Residential buildings as demand points.

    Attributes
    ----------
    building_id : ndarray of str
    points : ndarray of shapely Point
        Building centroids (metric CRS).
    households : ndarray of float
        Households of each building (estimated where :attr:`estimated`).
    zone : ndarray of int
        Community row position (:func:`layers.indicators.inputs.zone_index`).
    estimated : ndarray of bool
        Households estimated from floor area.
    note : str
        How missing households were estimated (empty when none was).
    n_estimated, n_blind : int
        Homes in the context's communities whose households were estimated, and among them
        those with neither floor area nor floors (counted as 1 household); the note is
        :func:`homes_note` of these.
    """

    building_id: NDArray[np.object_]
    points: NDArray[np.object_]
    households: FloatArray
    zone: IntArray
    estimated: NDArray[np.bool_]
    note: str
    n_estimated: int = 0
    n_blind: int = 0


def demand_params(ctx: MetricContext) -> CoverageParams:
    """Demand parameters: ``[params.coverage]`` of the run (residential land and uses)."""
    return theme_params(ctx, CoverageParams)


def _estimate(res: pd.DataFrame,
              per_household: float) -> tuple[pd.Series, pd.Series, NDArray[np.bool_]]:
    """Households, whether estimated, and which buildings had nothing to estimate from."""
    hh = pd.Series(np.nan, index=res.index, dtype=float)
    if "households" in res.columns:
        hh = pd.to_numeric(res["households"], errors="coerce").astype(float)
    missing = hh.isna()
    floor = pd.Series(np.nan, index=res.index, dtype=float)
    if "floor_area_m2" in res.columns:
        floor = pd.to_numeric(res["floor_area_m2"], errors="coerce").astype(float)
    if "floors" in res.columns:
        floors = pd.to_numeric(res["floors"], errors="coerce").astype(float)
        floor = floor.fillna(res.geometry.area * floors.where(floors > 0))
    est = np.maximum(np.ceil(floor / per_household), 1.0)
    blind = (missing & est.isna()).to_numpy(dtype=bool)
    hh = hh.fillna(est).fillna(1.0).clip(lower=0.0)
    return hh, missing, blind


def residential_homes(ctx: MetricContext) -> Homes:
    """The homes of the store (see the module docstring), cached per run.

    Raises
    ------
    NoData
        No buildings layer, or no residential building in it.
    """
    key = "demand:homes"
    if key in ctx.cache:
        cached: Homes = ctx.cache[key]
        return cached
    params = demand_params(ctx)
    buildings = read_layer(ctx, "buildings")
    uses = [str(u) for u in params.residential_uses]
    res = buildings[buildings["use"].astype(str).isin(uses)]
    if len(res) == 0:
        raise NoData(f"layer buildings has no building with use in {uses}")
    per_household = float(params.household_area_m2)
    hh, estimated, blind = _estimate(res, per_household)
    points = shapely.centroid(np.asarray(res.geometry.values, dtype=object))
    zone = zone_index(ctx, points).astype(np.int64)
    inside = zone >= 0
    # The note counts the homes of every community read, also when ctx computes one
    # district of them; n_estimated / n_blind count this context's communities only, so
    # that a run by district sums them (the note of layers.coverage is made from the sums).
    anywhere = inside if ctx.all_communities is None else zone_index(
        ctx, points, everywhere=True) >= 0
    estimated_ = estimated.to_numpy(dtype=bool)
    note = homes_note(int(estimated_[anywhere].sum()), int(blind[anywhere].sum()),
                      per_household)
    ids = res["id"].astype(str).to_numpy() if "id" in res.columns else res.index.astype(str)
    homes = Homes(
        building_id=np.asarray(ids, dtype=object)[inside],
        points=points[inside],
        households=hh.to_numpy(dtype=float)[inside],
        zone=zone[inside],
        estimated=estimated_[inside],
        note=note,
        n_estimated=int(estimated_[inside].sum()),
        n_blind=int(blind[inside].sum()),
    )
    ctx.cache[key] = homes
    return homes


def homes_note(n_estimated: float, n_blind: float, per_household: float) -> str:
    """The note of :attr:`Homes.note`: how many homes had their households estimated.

    Parameters
    ----------
    n_estimated : float
        Homes whose households were estimated.
    n_blind : float
        Of them, those with neither floor area nor floors (counted as 1 household).
    per_household : float
        ``household_area_m2`` (m² of floor area per household).

    Returns
    -------
    str
        Empty when no home was estimated.
    """
    n_est, blind = int(n_estimated), int(n_blind)
    if not n_est:
        return ""
    return bilingual_note(
        f"户数缺失的 {n_est} 栋住宅按建筑面积 ÷ {per_household:g} m²/户 估算"
        + (f"（{blind} 栋无面积与层数，按 1 户计）" if blind else ""),
        f"households missing for {n_est} residential buildings: estimated as floor "
        f"area ÷ {per_household:g} m² per household"
        + (f" ({blind} without floor area or floors count as 1)" if blind else ""),
    )


def residential_land(ctx: MetricContext) -> tuple[NDArray[np.object_], IntArray]:
    """Residential land cut by the communities: pieces and their community index.

    Raises
    ------
    NoData
        No landuse layer.
    """
    key = "demand:land"
    if key not in ctx.cache:
        prefix = str(demand_params(ctx).residential_landuse_prefix).upper()
        landuse = read_layer(ctx, "landuse")
        codes = landuse["code"].astype(str).str.strip().str.upper()
        residential = codes.str.startswith(prefix).to_numpy(dtype=bool)
        # the cut of the landuse layer is shared with the other rows over land (HP-18)
        pieces, zi, _ = polygon_parts(layer_pieces(ctx, landuse, residential))
        ctx.cache[key] = (pieces, zi)
    cached: tuple[NDArray[np.object_], IntArray] = ctx.cache[key]
    return cached


def residential_samples(
    ctx: MetricContext, spacing: float
) -> tuple[NDArray[np.object_], IntArray]:
    """Grid samples of the residential land pieces (:func:`gis.coverage.grid_samples`).

    Every walking row over residential land uses the same samples: computed once per run.

    Parameters
    ----------
    ctx : MetricContext
    spacing : float
        Grid spacing in metres.

    Returns
    -------
    points : ndarray of shapely Point
    owner : ndarray of int
        Index of each sample's piece in :func:`residential_land`.
    """
    key = f"demand:samples:{float(spacing)!r}"
    if key not in ctx.cache:
        pieces, _ = residential_land(ctx)
        ctx.cache[key] = grid_samples(pieces, spacing=float(spacing))
    cached: tuple[NDArray[np.object_], IntArray] = ctx.cache[key]
    return cached
