"""Building footprints on lots inside the blocks, with their plan-indicator attributes.

Every non-green block is cut into a lattice of lots about 27 m wide, aligned to its roads.
A lot holds one rectangular footprint or stays open (courtyards, parking: the supply of
attached green XG and pocket-park sites). Some commercial, school and hospital lots merge
2 × 2 into one large footprint (malls, teaching blocks, hospital wards).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from sample.lanes import LANE_CLEARANCE_M, LaneLattice, draw_lattice, is_lane, lane_lines

__all__ = ["LOT_PITCH_M", "Lots", "lay_lots", "make_buildings"]

LOT_PITCH_M = 23.0
BLOCK_SETBACK_M = 3.0
FOOTPRINT_FRACTION = (0.55, 0.92)
MERGE_SUBCODES = ("B1", "A33", "A51")
MERGE_PROBABILITY = 0.2
BUILD_PROBABILITY = {"R": 0.72, "A": 0.55, "B": 0.72, "M": 0.65, "U": 0.45, "W": 0.6, "S": 0.2}
AS_OF_YEAR = 2025
NEW_BUILDING_YEAR = 2021
HOUSEHOLD_AREA_M2 = (80.0, 100.0)
USE_BY_SUBCODE = {
    "R1": "residential", "R2": "residential",
    "A1": "government", "A2": "public", "A33": "school", "A51": "hospital", "A6": "public",
    "B1": "commercial", "B2": "commercial",
    "M1": "industrial", "U1": "utility", "W1": "warehouse", "S4": "transport",
}
PUBLIC_INSTITUTION_USES = ("government", "public", "school", "hospital")
# Eras of construction (first year, last year) and their weights; 五大道 is the villa quarter.
ERAS = ((1900, 1948), (1949, 1979), (1980, 1999), (2000, 2020), (2021, 2024))
ERA_WEIGHTS = (0.10, 0.20, 0.38, 0.28, 0.04)
ERA_WEIGHTS_OLD_QUARTER = (0.45, 0.15, 0.20, 0.17, 0.03)
OLD_QUARTER_STREET = "120101003"
# Floors by era: (low, high) for ordinary buildings, and the share and range of towers.
FLOORS_BY_ERA = ((2, 4), (3, 6), (5, 8), (6, 12), (6, 12))
TOWER_SHARE_BY_ERA = (0.0, 0.0, 0.15, 0.40, 0.45)
TOWER_FLOORS = (13, 30)
MALL_FLOORS = (4, 8)
LOW_USES_FLOORS = (2, 3)
STOREY_M = {"residential": (2.8, 3.1)}
STOREY_OTHER_M = (3.6, 4.5)
PARAPET_M = (0.3, 1.5)
GREEN_GRADES = ("none", "basic", "one_star", "two_star", "three_star")
GREEN_GRADE_WEIGHTS_NEW = (0.08, 0.12, 0.45, 0.30, 0.05)
GREEN_GRADE_WEIGHTS_RECENT = (0.75, 0.10, 0.12, 0.03, 0.0)
RECENT_YEAR = 2008
P_RETROFIT_RES_PLAN = 0.09  # residential built before 2000, retrofitted 2021–2025
P_RETROFIT_RES_EARLIER = 0.20
P_RETROFIT_PUBLIC_PLAN = 0.03
P_FIVE_STEP_NEW = 0.92
P_PREFAB_NEW = 0.85
P_GREEN_MALL = 0.35
P_THRIFTY = 0.75
P_GROUND_COMMERCIAL = 0.05
P_PV_NEW_PUBLIC = 0.45  # new public-institution and industrial buildings with rooftop PV
P_PV_OTHER = 0.03
PV_ROOF_FRACTION = (0.4, 0.8)
# Pitched roofs: low pre-1960 buildings of the old-town streets (五大道 villas, 南市) carry
# gable or hipped roofs; height_m is then the eave height and the DSM adds the roof.
OLD_TOWN_STREETS = ("120101003", "120101006")
PITCHED_BEFORE_YEAR = 1960
PITCHED_MAX_FLOORS = 4
P_PITCHED = 0.8
P_HIP = 0.35
ROOF_PITCH_DEG = (25.0, 35.0)
# Listed historic buildings (历史风貌建筑): most pre-1949 buildings of 五大道.
P_PROTECTED_OLD_QUARTER = 0.7
ROOF_SEED_TAG = 11


@dataclass
class Lots:
    """The lot lattice of one copy: cell rectangles, their block and whether they are built."""

    cells: NDArray[np.object_]
    block: NDArray[np.int64]
    built: NDArray[np.bool_]
    footprint: NDArray[np.object_]
    merged: NDArray[np.bool_]
    lanes: gpd.GeoDataFrame
    """Lanes between the lots: ``class``, ``width_m``, ``name``, ``block`` (may be empty)."""

    @property
    def open_idx(self) -> NDArray[np.int64]:
        """Indices of open lots (no footprint, not absorbed by a merged footprint)."""
        return np.flatnonzero(~self.built & ~shapely.is_missing(self.cells))


def lay_lots(
    blocks: gpd.GeoDataFrame,
    rng: np.random.Generator,
    *,
    skip: NDArray[np.bool_],
    lane_rng: np.random.Generator | None = None,
) -> Lots:
    """Cut every block not in ``skip`` into lots, lay lanes between them, place footprints.

    Parameters
    ----------
    blocks : GeoDataFrame
        Blocks with ``code`` and ``subcode`` (local frame).
    rng : numpy.random.Generator
    skip : array of bool, keyword-only
        Blocks that get no lots (parks, squares, protective green).
    lane_rng : numpy.random.Generator, keyword-only, optional
        Draws of the lanes (:mod:`sample.lanes`); ``None`` lays no lanes. Footprints
        keep ``LANE_CLEARANCE_M`` from every lane; merged footprints never span a lane.

    Returns
    -------
    Lots
    """
    geoms = blocks.geometry.values
    b = shapely.bounds(geoms)
    x0, y0 = b[:, 0] + BLOCK_SETBACK_M, b[:, 1] + BLOCK_SETBACK_M
    w = np.maximum(b[:, 2] - b[:, 0] - 2 * BLOCK_SETBACK_M, 0.0)
    h = np.maximum(b[:, 3] - b[:, 1] - 2 * BLOCK_SETBACK_M, 0.0)
    nu = np.where(skip, 0, np.floor(w / LOT_PITCH_M)).astype(np.int64)
    nv = np.where(skip, 0, np.floor(h / LOT_PITCH_M)).astype(np.int64)
    nu[nv == 0] = 0
    nv[nu == 0] = 0
    n = nu * nv
    blk = np.repeat(np.arange(len(geoms)), n)
    k = np.arange(blk.size) - np.repeat(np.cumsum(n) - n, n)
    iu = k // nv[blk]
    iv = k % nv[blk]
    pu = w[blk] / np.maximum(nu[blk], 1)
    pv = h[blk] / np.maximum(nv[blk], 1)
    cx0 = x0[blk] + iu * pu
    cy0 = y0[blk] + iv * pv
    cells = shapely.box(cx0, cy0, cx0 + pu, cy0 + pv)
    subcode_b = blocks["subcode"].to_numpy()
    lattice = (LaneLattice.none(len(geoms)) if lane_rng is None
               else draw_lattice(subcode_b, nu, nv, lane_rng))

    def lane_u(j: NDArray[np.int64]) -> NDArray[np.bool_]:
        return is_lane(lattice.every_u[blk], lattice.phase_u[blk], j, nu[blk])

    def lane_v(j: NDArray[np.int64]) -> NDArray[np.bool_]:
        return is_lane(lattice.every_v[blk], lattice.phase_v[blk], j, nv[blk])

    inside = shapely.contains(geoms[blk], cells)
    cells[~inside] = None

    code = blocks["code"].to_numpy()[blk]
    subcode = blocks["subcode"].to_numpy()[blk]
    merged = np.zeros(blk.size, dtype=bool)
    absorbed = np.zeros(blk.size, dtype=bool)
    big = np.empty(blk.size, dtype=object)
    # 2 x 2 merges: the anchor lot at even (iu, iv) and its three neighbours, all inside
    key = blk * 1_000_000 + iu * 1000 + iv
    lookup = {int(kk): i for i, kk in enumerate(key)}
    anchor = (
        np.isin(subcode, MERGE_SUBCODES) & (iu % 2 == 0) & (iv % 2 == 0) & inside
        & (rng.random(blk.size) < MERGE_PROBABILITY)
        & ~lane_u(iu + 1) & ~lane_v(iv + 1)
    )
    for i in np.flatnonzero(anchor):
        nbr = [lookup.get(int(key[i] + d), -1) for d in (1000, 1, 1001)]
        if min(nbr) < 0 or not all(inside[j] and not absorbed[j] for j in nbr):
            continue
        merged[i] = True
        absorbed[nbr] = True
        big[i] = (cx0[i], cy0[i], cx0[i] + 2 * pu[i], cy0[i] + 2 * pv[i])
    cells[absorbed] = None

    p_build = np.array([BUILD_PROBABILITY.get(str(c), 0.0) for c in code])
    built = inside & ~absorbed & (merged | (rng.random(blk.size) < p_build))
    # footprint: a rectangle covering a random fraction of the lot (less the lane clearance
    # on a side that borders a lane), placed at random in it
    fu = rng.uniform(*FOOTPRINT_FRACTION, size=blk.size)
    fv = rng.uniform(*FOOTPRINT_FRACTION, size=blk.size)
    nlots = np.where(merged, 2, 1)
    lo_u = np.where(lane_u(iu), LANE_CLEARANCE_M, 0.0)
    lo_v = np.where(lane_v(iv), LANE_CLEARANCE_M, 0.0)
    span_u = nlots * pu - lo_u - np.where(lane_u(iu + nlots), LANE_CLEARANCE_M, 0.0)
    span_v = nlots * pv - lo_v - np.where(lane_v(iv + nlots), LANE_CLEARANCE_M, 0.0)
    ou = lo_u + rng.uniform(0.0, 1.0, size=blk.size) * (1 - fu) * span_u
    ov = lo_v + rng.uniform(0.0, 1.0, size=blk.size) * (1 - fv) * span_v
    fx0 = cx0 + ou
    fy0 = cy0 + ov
    footprint = shapely.box(fx0, fy0, fx0 + fu * span_u, fy0 + fv * span_v)
    footprint[~built] = None
    lanes = lane_lines(
        geoms, lattice, np.column_stack([x0, y0]),
        np.column_stack([w / np.maximum(nu, 1), h / np.maximum(nv, 1)]),
        np.column_stack([nu, nv]), lane_rng,
    )
    return Lots(cells=cells, block=blk, built=built, footprint=footprint, merged=merged,
                lanes=lanes)


def _uniform_int(rng: np.random.Generator, lo: NDArray[np.int64], hi: NDArray[np.int64]) -> (
    NDArray[np.int64]
):
    return np.floor(lo + rng.random(lo.shape) * (hi - lo + 1)).astype(np.int64)


def _roofs(
    street: NDArray[np.object_], year: NDArray[np.int64], floors: NDArray[np.int64],
    use: NDArray[np.object_], *, n: int,
) -> tuple[NDArray[np.object_], NDArray[np.float64], NDArray[np.bool_]]:
    """Roof shape (flat, gable, hip), pitch and listed flag of each building.

    Drawn from their own random stream, so the other attributes do not change with them.
    """
    rng = np.random.default_rng([ROOF_SEED_TAG, n])
    draw, hip, protect = rng.random(n), rng.random(n), rng.random(n)
    pitch = np.round(rng.uniform(*ROOF_PITCH_DEG, size=n) * 2) / 2
    old_town = np.isin(street.astype(str), OLD_TOWN_STREETS)
    low_old = (
        old_town & (year < PITCHED_BEFORE_YEAR) & (floors <= PITCHED_MAX_FLOORS)
        & ~np.isin(use, ("industrial", "warehouse", "utility", "transport"))
    )
    pitched = low_old & (draw < P_PITCHED)
    shape = np.where(pitched, np.where(hip < P_HIP, "hip", "gable"), "flat").astype(object)
    protected = (
        (street.astype(str) == OLD_QUARTER_STREET) & (year < ERAS[1][0])
        & (protect < P_PROTECTED_OLD_QUARTER)
    )
    return shape, np.where(pitched, pitch, 0.0), protected


def make_buildings(
    lots: Lots,
    blocks: gpd.GeoDataFrame,
    street_of_block: NDArray[np.object_],
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Give every footprint its use, age, floors, height, floor area and plan attributes.

    Parameters
    ----------
    lots : Lots
    blocks : GeoDataFrame
        Blocks with ``subcode``.
    street_of_block : array of str
        Street code of each block.
    rng : numpy.random.Generator

    Returns
    -------
    GeoDataFrame
        Canonical ``buildings`` fields (local frame, ``id`` still missing) and ``block``.
    """
    idx = np.flatnonzero(lots.built)
    n = idx.size
    blk = lots.block[idx]
    geom = lots.footprint[idx]
    merged = lots.merged[idx]
    subcode = blocks["subcode"].to_numpy()[blk]
    use = np.array([USE_BY_SUBCODE[str(s)] for s in subcode], dtype=object)
    ground_shop = (use == "residential") & (rng.random(n) < P_GROUND_COMMERCIAL)
    use[ground_shop] = "commercial"

    old_q = street_of_block[blk] == OLD_QUARTER_STREET
    era = np.where(
        old_q,
        rng.choice(len(ERAS), size=n, p=ERA_WEIGHTS_OLD_QUARTER),
        rng.choice(len(ERAS), size=n, p=ERA_WEIGHTS),
    )
    era_lo = np.array([e[0] for e in ERAS])[era]
    era_hi = np.array([e[1] for e in ERAS])[era]
    year = _uniform_int(rng, era_lo, era_hi)

    f_lo = np.array([f[0] for f in FLOORS_BY_ERA])[era]
    f_hi = np.array([f[1] for f in FLOORS_BY_ERA])[era]
    tower = rng.random(n) < np.array(TOWER_SHARE_BY_ERA)[era]
    f_lo = np.where(tower, TOWER_FLOORS[0], f_lo)
    f_hi = np.where(tower, TOWER_FLOORS[1], f_hi)
    mall = merged & (use == "commercial")
    low = np.isin(use, ("industrial", "utility", "warehouse", "transport"))
    f_lo = np.where(mall, MALL_FLOORS[0], np.where(low, LOW_USES_FLOORS[0], f_lo))
    f_hi = np.where(mall, MALL_FLOORS[1], np.where(low, LOW_USES_FLOORS[1], f_hi))
    floors = _uniform_int(rng, f_lo, f_hi)

    res = use == "residential"
    storey = np.where(
        res,
        rng.uniform(*STOREY_M["residential"], size=n),
        rng.uniform(*STOREY_OTHER_M, size=n),
    )
    height = np.round(floors * storey + rng.uniform(*PARAPET_M, size=n), 1)
    floor_area = np.round(shapely.area(geom) * floors, 1)
    households = np.where(
        res, np.round(floor_area / rng.uniform(*HOUSEHOLD_AREA_M2, size=n)), np.nan
    )

    retrofit = np.full(n, np.nan)
    old_res = res & (year < 2000)
    draw = rng.random(n)
    plan_years = _uniform_int(rng, np.full(n, 2021), np.full(n, AS_OF_YEAR))
    early_years = _uniform_int(rng, np.full(n, 2010), np.full(n, 2020))
    retrofit[old_res & (draw < P_RETROFIT_RES_PLAN)] = plan_years[
        old_res & (draw < P_RETROFIT_RES_PLAN)
    ]
    sel = old_res & (draw >= P_RETROFIT_RES_PLAN) & (draw < P_RETROFIT_RES_PLAN
                                                       + P_RETROFIT_RES_EARLIER)
    retrofit[sel] = early_years[sel]
    pub = ~res & (year < 2005) & (rng.random(n) < P_RETROFIT_PUBLIC_PLAN)
    retrofit[pub] = plan_years[pub]

    new = year >= NEW_BUILDING_YEAR
    recent = (year >= RECENT_YEAR) & ~new
    grade = np.full(n, "none", dtype=object)
    grade[new] = np.array(GREEN_GRADES, dtype=object)[
        rng.choice(len(GREEN_GRADES), size=int(new.sum()), p=GREEN_GRADE_WEIGHTS_NEW)
    ]
    grade[recent] = np.array(GREEN_GRADES, dtype=object)[
        rng.choice(len(GREEN_GRADES), size=int(recent.sum()), p=GREEN_GRADE_WEIGHTS_RECENT)
    ]
    gov = use == "government"
    public = np.isin(use, PUBLIC_INSTITUTION_USES)
    pv_target = new & (public | (use == "industrial"))
    has_pv = rng.random(n) < np.where(pv_target, P_PV_NEW_PUBLIC, P_PV_OTHER)
    pv_area = np.where(
        has_pv, np.round(shapely.area(geom) * rng.uniform(*PV_ROOF_FRACTION, size=n), 1), 0.0
    )
    shape, pitch, protected = _roofs(
        street_of_block[blk], year, floors, use, n=n
    )
    return gpd.GeoDataFrame(
        {
            "use": use,
            "floors": floors,
            "height_m": height,
            "built_year": year,
            "floor_area_m2": floor_area,
            "households": households,
            "retrofit_year": retrofit,
            "public_institution": public,
            "green_building": grade,
            "prefab": new & (rng.random(n) < P_PREFAB_NEW),
            "five_step": new & (rng.random(n) < P_FIVE_STEP_NEW),
            "large_mall": mall,
            "green_mall": mall & (rng.random(n) < P_GREEN_MALL),
            "thrifty_agency": gov & (rng.random(n) < P_THRIFTY),
            "pv_area_m2": pv_area,
            "roof_shape": shape,
            "roof_pitch_deg": pitch,
            "protected": protected,
            "block": blk,
        },
        geometry=geom,
    )
