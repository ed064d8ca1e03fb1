"""Point layers placed by zone: recycling points (three tiers) and community facilities."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from sample.zones import random_points_in

__all__ = ["facilities", "recycling_points"]

COMMUNITIES_WITHOUT_POINT = 6
"""Communities of a 64-community district left without a recycling point (HP-T2: 58 of 64)."""
STREETS_WITHOUT_TRANSFER = 2
"""Streets without a transfer station (HP-T3: 4 of 6)."""
STREETS_WITHOUT_TWO_NETWORK = 1
"""Streets without a two-network point (HP-29: 5 of 6)."""
P_SECOND_POINT = 0.3
ZONE_INSET_M = 5.0
OPENED_YEARS = (2012, 2025)
KIND_ZH = {
    "community_point": "回收点", "transfer_station": "中转站",
    "sorting_center": "分拣中心", "two_network_point": "两网融合点",
}
# Facilities per community ~ binomial(n, p): a dense centre has several shops per community
# but not every community has every service (HP-10 complete communities stay mixed).
FACILITY_BINOMIAL = {
    "community_service": (1, 1.0), "supermarket": (4, 0.6), "kindergarten": (2, 0.45),
    "elderly_care": (2, 0.6), "clinic": (1, 0.7), "canteen": (1, 0.4), "sports": (2, 0.4),
}
FACILITY_ZH = {
    "community_service": "社区党群服务中心", "supermarket": "超市", "kindergarten": "幼儿园",
    "elderly_care": "日间照料中心", "clinic": "社区卫生服务站", "canteen": "社区食堂",
    "sports": "健身场地", "primary_school": "小学", "hospital": "医院",
}


def _inside(zones: NDArray[np.object_], land: shapely.Geometry) -> NDArray[np.object_]:
    """Zones shrunk a little and cut to built land, so points land well inside."""
    inner = shapely.intersection(shapely.buffer(zones, -ZONE_INSET_M), land)
    empty = shapely.is_empty(inner) | (shapely.area(inner) <= 0)
    inner[empty] = shapely.buffer(zones[empty], -ZONE_INSET_M)
    return inner


def recycling_points(
    communities: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    land: shapely.Geometry,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Community points, transfer stations, two-network points and one sorting centre.

    Parameters
    ----------
    communities, streets : GeoDataFrame
        Zones with ``code`` and ``name`` (local frame).
    land : shapely geometry
        Land where points may stand (blocks).
    rng : numpy.random.Generator

    Returns
    -------
    GeoDataFrame
        ``kind``, ``name``, ``opened_year``, ``status`` (no ids, no community codes yet).
    """
    nc, ns = len(communities), len(streets)
    without = round(COMMUNITIES_WITHOUT_POINT * nc / 64)
    per_comm = (rng.random(nc) < P_SECOND_POINT).astype(np.int64) + 1
    per_comm[rng.choice(nc, size=without, replace=False)] = 0
    per_street_t = np.ones(ns, dtype=np.int64)
    per_street_t[rng.choice(ns, size=STREETS_WITHOUT_TRANSFER, replace=False)] = 0
    per_street_2 = np.ones(ns, dtype=np.int64)
    per_street_2[rng.choice(ns, size=STREETS_WITHOUT_TWO_NETWORK, replace=False)] = 0
    c_in = _inside(communities.geometry.values, land)
    s_in = _inside(streets.geometry.values, land)
    parts = []
    for kind, zones, names, counts in (
        ("community_point", c_in, communities["name"].to_numpy(), per_comm),
        ("transfer_station", s_in, streets["name"].to_numpy(), per_street_t),
        ("two_network_point", s_in, streets["name"].to_numpy(), per_street_2),
        ("sorting_center", np.array([shapely.union_all(s_in)], dtype=object),
         np.array(["区"]), np.ones(1, dtype=np.int64)),
    ):
        xy, owner = random_points_in(zones, counts, rng)
        rank = np.arange(len(owner)) - np.searchsorted(owner, owner)
        label = [f"{names[o]}{KIND_ZH[kind]}" + (f"{r + 1}" if r else "")
                 for o, r in zip(owner, rank, strict=True)]
        parts.append(gpd.GeoDataFrame(
            {"kind": kind, "name": label,
             "opened_year": rng.integers(*OPENED_YEARS, size=len(owner)),
             "status": "existing"},
            geometry=shapely.points(xy), index=range(len(owner)),
        ))
    return gpd.GeoDataFrame(
        [r for p in parts for r in p.to_dict("records")], geometry="geometry"
    )


def facilities(
    communities: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    land: shapely.Geometry,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Community service facilities, plus schools and hospitals at their buildings.

    Returns
    -------
    GeoDataFrame
        ``type``, ``name`` (local frame, no ids yet).
    """
    c_in = _inside(communities.geometry.values, land)
    names = communities["name"].to_numpy()
    rows = []
    for ftype, (n_max, p) in FACILITY_BINOMIAL.items():
        counts = rng.binomial(n_max, p, size=len(communities)).astype(np.int64)
        xy, owner = random_points_in(c_in, counts, rng)
        for (x, y), o in zip(xy, owner, strict=True):
            rows.append({"type": ftype, "name": f"{names[o]}{FACILITY_ZH[ftype]}",
                         "geometry": shapely.Point(x, y)})
    for use, ftype in (("school", "primary_school"), ("hospital", "hospital")):
        sel = buildings[buildings["use"] == use].drop_duplicates("block")
        for i, g in enumerate(shapely.centroid(sel.geometry.values)):
            rows.append({"type": ftype, "name": f"第{i + 1}{FACILITY_ZH[ftype]}", "geometry": g})
    return gpd.GeoDataFrame(rows, geometry="geometry")
