"""Residential demand: the one definition of homes and residential land in peakmap.

Indicators (:mod:`layers.coverage`), siting (:mod:`layers.siting`) and the web read demand
from here, so that the same question always gets the same answer.

Homes
    Buildings whose ``use`` is one of ``residential_uses``, as their centroid, weighted by
    their ``households``. Where ``households`` is missing it is *estimated* as floor area ÷
    ``household_area_m2`` [U], rounded up, at least 1, the floor area being, in this order:

    1. ``floor_area_m2`` (reported, or footprint × floors / height on ingest,
       :mod:`layers.floors`) — counted as ``hh_area``;
    2. footprint × the median ``floors`` of the homes of the same community that have
       floors (the neighbours) — ``hh_neighbours``;
    3. footprint × ``assumed_floors`` [U] (default 6, the top of 多层住宅) when no home of
       the community has floors — ``hh_assumed``; with ``assumed_floors = 0`` the home is
       left out of every household figure instead — ``hh_left_out``.

    A building with no floor data is never counted as one household. Every note says, per
    zone, how many homes were estimated and how (:func:`homes_note` of the zone's
    :attr:`Homes.counts`), and the values resting on them are marked estimated (估算).
    Homes outside every community are left out.
Residential land
    Land-use polygons whose ``code`` starts with ``residential_landuse_prefix``, cut by the
    communities (area-weighted demand of the park-coverage indicators); in walking mode
    sampled on a regular grid (:func:`residential_samples`).

Parameters live in ``[params.coverage]`` (:class:`layers.params.CoverageParams`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis.coverage import grid_samples, polygon_parts
from layers.indicators.cut import layer_pieces
from layers.indicators.inputs import (
    NoData,
    community_codes,
    read_layer,
    theme_params,
    zone_index,
)
from layers.indicators.registry import MetricContext
from layers.labels import bilingual_note
from layers.params import CoverageParams

__all__ = [
    "FROM_HOMES",
    "HOME_COUNTS",
    "HOME_ESTIMATES",
    "Homes",
    "community_households",
    "community_households_note",
    "demand_params",
    "estimate_households",
    "homes_note",
    "residential_homes",
    "residential_land",
    "residential_samples",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


#: Columns of :attr:`Homes.counts`: homes whose households were estimated by each rung of
#: the ladder (module docstring), and homes left out for want of any floor data.
HOME_COUNTS = ("hh_area", "hh_neighbours", "hh_assumed", "hh_left_out")
#: The columns of :data:`HOME_COUNTS` that mark a value estimated (估算).
HOME_ESTIMATES = HOME_COUNTS[:3]
_REPORTED, _LEFT_OUT = "", "hh_left_out"


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
        Households estimated (:attr:`how` says how).
    how : ndarray of str
        ``""`` where households were given, else the column of :data:`HOME_COUNTS`.
    counts : pandas.DataFrame
        Per community of the context (indexed by code), the homes of each column of
        :data:`HOME_COUNTS`; the left-out homes are counted here and absent above.
    note : str
        :func:`homes_note` of the column sums over every community read (empty when no
        home was estimated or left out).
    per_household, assumed_floors : float
        The parameters the estimates used.
    """

    building_id: NDArray[np.object_]
    points: NDArray[np.object_]
    households: FloatArray
    zone: IntArray
    estimated: NDArray[np.bool_]
    how: NDArray[np.object_]
    counts: pd.DataFrame
    note: str
    per_household: float = 90.0
    assumed_floors: float = 0.0

    def totals(self) -> dict[str, float]:
        """Column sums of :attr:`counts` (the context's communities)."""
        return {c: float(self.counts[c].sum()) for c in HOME_COUNTS}


def demand_params(ctx: MetricContext) -> CoverageParams:
    """Demand parameters: ``[params.coverage]`` of the run (residential land and uses)."""
    return theme_params(ctx, CoverageParams)


def _numbers(res: pd.DataFrame, name: str) -> pd.Series:
    if name not in res.columns:
        return pd.Series(np.nan, index=res.index, dtype=float)
    return pd.to_numeric(res[name], errors="coerce").astype(float)


def estimate_households(
    res: pd.DataFrame, community: NDArray[np.intp], per_household: float,
    assumed_floors: float,
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Households of residential buildings, estimated where missing (module docstring).

    Parameters
    ----------
    res : geopandas.GeoDataFrame
        Residential buildings (metric CRS) with optional ``households``, ``floor_area_m2``
        and ``floors``.
    community : ndarray of int
        Community of each building (-1 outside every community): the neighbours whose
        median floors stand in for a building without floor data.
    per_household : float
        m² of floor area per household.
    assumed_floors : float
        Floors where no neighbour has floors; 0 leaves the building out.

    Returns
    -------
    households : ndarray of float
        NaN for the buildings left out.
    how : ndarray of str
        ``""`` (given) or a column of :data:`HOME_COUNTS`.

    Examples
    --------
    Three 100 m² homes of one community: 3 floors, nothing, and 18 households given; a
    fourth alone in another community, with nothing:

    >>> import geopandas as gpd, shapely
    >>> res = gpd.GeoDataFrame({"floors": [3.0, None, None, None],
    ...                         "households": [None, None, 18.0, None]},
    ...                        geometry=[shapely.box(0, 0, 10, 10)] * 4)
    >>> hh, how = estimate_households(res, np.array([0, 0, 0, 1]), 90.0, 6.0)
    >>> hh.tolist(), how.tolist()
    ([4.0, 4.0, 18.0, 7.0], ['hh_area', 'hh_neighbours', '', 'hh_assumed'])
    >>> estimate_households(res, np.array([0, 0, 0, 1]), 90.0, 0.0)[0].tolist()
    [4.0, 4.0, 18.0, nan]
    """
    hh = _numbers(res, "households").to_numpy(dtype=float, copy=True)
    floors = _numbers(res, "floors")
    floors = floors.where(floors > 0).to_numpy(dtype=float)
    footprint = np.asarray(res.geometry.area, dtype=float)
    area = _numbers(res, "floor_area_m2").to_numpy(dtype=float)
    area = np.where(np.isnan(area), footprint * floors, area)
    # the neighbours: median floors of the community's homes that have floors
    known = (community >= 0) & ~np.isnan(floors)
    median = pd.Series(floors[known]).groupby(community[known]).median()
    near = pd.Series(community).map(median).to_numpy(dtype=float)
    missing = np.isnan(hh)
    how = np.full(len(res), _REPORTED, dtype=object)
    rungs = (("hh_area", area), ("hh_neighbours", footprint * near),
             ("hh_assumed", footprint * (assumed_floors if assumed_floors > 0 else np.nan)))
    todo = missing.copy()
    for name, floor_area in rungs:
        ok = todo & ~np.isnan(floor_area)
        hh[ok] = np.maximum(np.ceil(floor_area[ok] / per_household), 1.0)
        how[ok] = name
        todo &= ~ok
    how[todo] = _LEFT_OUT
    return np.clip(hh, 0.0, None), how


def _count_by(zone: IntArray, how: NDArray[np.object_], n: int, index: pd.Index) -> pd.DataFrame:
    """Homes of each :data:`HOME_COUNTS` column per community (rows of ``index``)."""
    ok = zone >= 0
    return pd.DataFrame(
        {c: np.bincount(zone[ok & (how == c)], minlength=n).astype(float) for c in HOME_COUNTS},
        index=index)


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
    assumed = float(params.assumed_floors)
    points = shapely.centroid(np.asarray(res.geometry.values, dtype=object))
    zone = zone_index(ctx, points).astype(np.int64)
    # The neighbours and the row-wide note are those of every community read, also when
    # ctx computes one district of them; counts are this context's communities only, so
    # that a run by district concatenates them.
    anywhere = zone if ctx.all_communities is None else zone_index(
        ctx, points, everywhere=True).astype(np.int64)
    hh, how = estimate_households(res, anywhere, per_household, assumed)
    n_all = len(ctx.communities if ctx.all_communities is None else ctx.all_communities)
    every = _count_by(anywhere, how, n_all, pd.RangeIndex(n_all))
    note = homes_note({c: float(every[c].sum()) for c in HOME_COUNTS},
                      per_household=per_household, assumed_floors=assumed)
    inside = (zone >= 0) & (how != _LEFT_OUT)
    ids = res["id"].astype(str).to_numpy() if "id" in res.columns else res.index.astype(str)
    homes = Homes(
        building_id=np.asarray(ids, dtype=object)[inside],
        points=points[inside],
        households=hh[inside],
        zone=zone[inside],
        estimated=(how != _REPORTED)[inside],
        how=how[inside],
        counts=_count_by(zone, how, len(ctx.communities), community_codes(ctx)),
        note=note,
        per_household=per_household,
        assumed_floors=assumed,
    )
    ctx.cache[key] = homes
    return homes


def homes_note(totals: Mapping[str, float], *, per_household: float,
               assumed_floors: float) -> str:
    """How many homes had their households estimated, and how (or were left out).

    Parameters
    ----------
    totals : mapping of str to float
        The :data:`HOME_COUNTS` of a zone (missing keys count 0).
    per_household : float
        ``household_area_m2`` (m² of floor area per household).
    assumed_floors : float
        ``assumed_floors`` (floors where no neighbour has floors).

    Returns
    -------
    str
        Empty when no home was estimated or left out.

    Examples
    --------
    >>> from layers.labels import note_label
    >>> n = homes_note({"hh_area": 2, "hh_neighbours": 1, "hh_assumed": 0, "hh_left_out": 0},
    ...                per_household=90, assumed_floors=6)
    >>> print(note_label(n, "en"))  # doctest: +ELLIPSIS
    households estimated for 3 residential buildings: 2 as floor area ÷ 90 m² per household, 1...
    >>> print(note_label(n, "zh"))  # doctest: +ELLIPSIS
    户数估算：3 栋住宅无户数，2 栋按建筑面积 ÷ 90 m²/户，1 栋按基底面积 × 同社区住宅层数中位数...
    """
    area, near, assumed, left = (int(totals.get(c, 0.0)) for c in HOME_COUNTS)
    n_est = area + near + assumed
    if not (n_est or left):
        return ""
    ph = f"{per_household:g}"
    zh: list[str] = []
    en: list[str] = []
    if area:
        zh.append(f"{area} 栋按建筑面积 ÷ {ph} m²/户")
        en.append(f"{area} as floor area ÷ {ph} m² per household")
    if near:
        zh.append(f"{near} 栋按基底面积 × 同社区住宅层数中位数 ÷ {ph} m²/户")
        en.append(f"{near} as footprint × the median floors of its community's homes ÷ {ph} m²")
    if assumed:
        zh.append(f"{assumed} 栋按基底面积 × 假定 {assumed_floors:g} 层（assumed_floors）"
                  f" ÷ {ph} m²/户")
        en.append(f"{assumed} as footprint × {assumed_floors:g} assumed floors "
                  f"(assumed_floors) ÷ {ph} m²")
    head_zh = f"户数估算：{n_est} 栋住宅无户数，" + "，".join(zh) if n_est else ""
    head_en = (f"households estimated for {n_est} residential buildings: " + ", ".join(en)
               if n_est else "")
    if left:
        tail_zh = (f"{left} 栋住宅无户数、建筑面积、层数与高度，同社区亦无层数，未计入户数"
                   "（assumed_floors = 0）")
        tail_en = (f"{left} residential buildings without households, floor area, floors or "
                   "height, and no floors in their community, left out (assumed_floors = 0)")
        head_zh = "；".join(t for t in (head_zh, tail_zh) if t)
        head_en = "; ".join(t for t in (head_en, tail_en) if t)
    return bilingual_note(head_zh, head_en)


#: Column of :func:`community_households` counts: communities whose households are the sum
#: of their homes' (the community carries none).
FROM_HOMES = "hh_communities"


def community_households(ctx: MetricContext) -> tuple[pd.Series, pd.DataFrame]:
    """Households of each community: its own ``households``, else the sum of its homes'.

    The one definition of a community's households (HP-22-sorting weighs communities by
    it): the count the communities layer carries; where it carries none, the households of
    the community's homes (:func:`residential_homes`, estimated where missing), marked
    estimated. A community with neither has none (NaN).

    Returns
    -------
    households : pandas.Series
        Indexed by community code (NaN: neither).
    counts : pandas.DataFrame
        Per community: :data:`FROM_HOMES` (1 where the homes were summed) and, for those
        communities, the homes' :data:`HOME_COUNTS`; :func:`community_households_note`
        states them.

    Raises
    ------
    NoData
        No community carries households and there are no homes to sum.
    """
    codes = community_codes(ctx)
    given = _numbers(ctx.communities, "households").where(lambda v: v >= 0)
    given.index = codes
    counts = pd.DataFrame(0.0, index=codes, columns=[FROM_HOMES, *HOME_COUNTS])
    need = given.isna().to_numpy()
    if not need.any():
        return given.astype(float), counts
    try:
        homes = residential_homes(ctx)
    except NoData as e:
        if need.all():
            raise NoData(f"layer communities has no field households; {e}") from e
        return given.astype(float), counts
    n = len(codes)
    summed = np.bincount(homes.zone, homes.households, minlength=n).astype(float)
    has = np.bincount(homes.zone, minlength=n) > 0
    # a community with homes but all left out (assumed_floors = 0) has none either
    use = need & has
    out = given.to_numpy(dtype=float, copy=True)
    out[use] = summed[use]
    counts[FROM_HOMES] = use.astype(float)
    mine = homes.counts.to_numpy(dtype=float)
    counts[list(HOME_COUNTS)] = np.where(need[:, None], mine, 0.0)
    return pd.Series(out, index=codes, name="households"), counts


def community_households_note(totals: Mapping[str, float], *, per_household: float,
                              assumed_floors: float) -> str:
    """The note of :func:`community_households`: communities summed from their homes.

    Examples
    --------
    >>> from layers.labels import note_label
    >>> n = community_households_note({"hh_communities": 2, "hh_area": 3},
    ...                               per_household=90, assumed_floors=6)
    >>> print(note_label(n, "zh"))  # doctest: +ELLIPSIS
    户数估算：2 个社区无户数，按其住宅建筑户数合计；户数估算：3 栋住宅无户数，3 栋按建筑面积...
    """
    k = int(totals.get(FROM_HOMES, 0.0))
    if not k:
        return ""
    return "; ".join(t for t in (
        bilingual_note(f"户数估算：{k} 个社区无户数，按其住宅建筑户数合计",
                       f"households estimated for {k} communities without any: the sum of "
                       "their residential buildings' households"),
        homes_note(totals, per_household=per_household, assumed_floors=assumed_floors),
    ) if t)


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
