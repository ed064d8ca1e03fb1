"""Lanes (里巷) between the building lots of the blocks, and their tie-in to the streets.

An old city centre is crossed by narrow lanes between groups of buildings, and walking
distances depend on them. In every block of a lane-bearing land use, some lot boundaries of
the lot lattice (every 2nd or 3rd, per block and axis) become lanes: a straight line across
the block along that boundary. Footprints keep :data:`LANE_CLEARANCE_M` from a lane's centre
line (see :mod:`sample.buildings`), so lanes never run through a building. Each lane
end is carried across the road corridor to the centre line of the street it meets, so the
lanes are noded into the walking network.

Lanes are drawn from their own random generator, so adding them leaves every other draw of
the district unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [
    "LANE_CLASS",
    "LANE_CLEARANCE_M",
    "LaneLattice",
    "draw_lattice",
    "is_lane",
    "lane_lines",
    "tie_lanes",
]

LANE_CLASS = "lane"
LANE_SUBCODES = ("R1", "R2", "B1", "B2", "A2", "A6")
"""Land uses whose blocks are crossed by lanes (not gated schools, hospitals, offices, works)."""
LANE_EVERY_LOTS = (2, 3)
"""A lane every this many lots along an axis (drawn per block and axis, equal weights)."""
LANE_WIDTH_M = (4.0, 6.0)
LANE_WIDTH_STEP_M = 0.5
LANE_CLEARANCE_M = 3.5
"""Least distance from a lane's centre line to a footprint (half the widest lane + 0.5 m)."""
P_NAMED = 0.45
"""Share of residential lanes that carry a 里 name."""
LANE_NAMES = (
    "安乐里", "庆云里", "长发里", "大吉里", "余庆里", "三多里", "宝善里", "吉祥里", "福善里",
    "德华里", "润德里", "尚友里", "聚兴里", "永安里", "同庆里", "泰华里", "仁寿里", "春华里",
    "松寿里", "桂林里", "荣业里", "积善里", "慎益里", "东兴里", "裕德里", "树德里", "明华里",
    "求志里", "安善里", "懿德里",
)
STREET_REACH_M = 20.0
"""Farthest a lane end is carried to meet a street centre line (widest corridor half + 4 m)."""
OVERSHOOT_M = 0.5
"""A lane is carried this far past the street centre line so noding splits the street there;
the stub beyond is dropped."""
MIN_LANE_SEGMENT_M = 1.0
COORD_DECIMALS = 6


@dataclass
class LaneLattice:
    """Which lot boundaries of each block are lanes: every ``every``-th, offset by ``phase``.

    ``every`` 0 means no lane along that axis. Boundary ``j`` of a block (between lots
    ``j - 1`` and ``j``, ``1 <= j < n``) is a lane when ``j % every == phase``.
    """

    every_u: NDArray[np.int64]
    phase_u: NDArray[np.int64]
    every_v: NDArray[np.int64]
    phase_v: NDArray[np.int64]
    width_u: NDArray[np.float64]
    """Width of the lanes of a block along ``u`` (metres, one per block)."""
    width_v: NDArray[np.float64]
    named: NDArray[np.bool_]
    """Whether the lanes of a block carry 里 names."""

    @classmethod
    def none(cls, n_blocks: int) -> LaneLattice:
        """A lattice without lanes."""
        zi = np.zeros(n_blocks, dtype=np.int64)
        zf = np.zeros(n_blocks)
        return cls(zi, zi.copy(), zi.copy(), zi.copy(), zf, zf.copy(),
                   np.zeros(n_blocks, dtype=bool))


def draw_lattice(
    subcode: NDArray[np.object_],
    nu: NDArray[np.int64],
    nv: NDArray[np.int64],
    rng: np.random.Generator,
) -> LaneLattice:
    """Draw the lane lattice of every block.

    Parameters
    ----------
    subcode : array of str
        Land-use sub-code of each block.
    nu, nv : array of int
        Number of lots of each block along ``u`` and ``v`` (0 for blocks without lots).
    rng : numpy.random.Generator
        Lane draws only.

    Returns
    -------
    LaneLattice
    """
    n = len(subcode)
    has = np.isin(subcode, LANE_SUBCODES)
    every = np.array(LANE_EVERY_LOTS, dtype=np.int64)

    def axis(count: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        e = every[rng.integers(0, len(every), size=n)]
        ph = np.floor(rng.random(n) * e).astype(np.int64)
        e = np.where(has & (count >= 2), e, 0)
        return e, np.where(e > 0, ph, 0)

    eu, pu = axis(nu)
    ev, pv = axis(nv)
    steps = round((LANE_WIDTH_M[1] - LANE_WIDTH_M[0]) / LANE_WIDTH_STEP_M)
    widths = LANE_WIDTH_M[0] + LANE_WIDTH_STEP_M * rng.integers(0, steps + 1, size=(2, n))
    named = np.char.startswith(subcode.astype(str), "R") & (rng.random(n) < P_NAMED)
    return LaneLattice(eu, pu, ev, pv, widths[0], widths[1], named)


def is_lane(
    every: NDArray[np.int64], phase: NDArray[np.int64], j: NDArray[np.int64],
    n: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Whether boundary ``j`` of a block with ``n`` lots along the axis is a lane."""
    safe = np.maximum(every, 1)
    return (every > 0) & (j >= 1) & (j < n) & (j % safe == phase)


def lane_lines(
    blocks: NDArray[np.object_],
    lattice: LaneLattice,
    origin: NDArray[np.float64],
    pitch: NDArray[np.float64],
    count: NDArray[np.int64],
    rng: np.random.Generator | None,
) -> gpd.GeoDataFrame:
    """The lane centre lines of every block, cut to the block.

    Parameters
    ----------
    blocks : array of polygons
    lattice : LaneLattice
    origin : ndarray of shape (n, 2)
        Lower-left corner of each block's lot lattice.
    pitch : ndarray of shape (n, 2)
        Lot size of each block along ``u`` and ``v``.
    count : ndarray of shape (n, 2)
        Number of lots of each block along ``u`` and ``v``.
    rng : numpy.random.Generator or None
        Lane draws only (names); ``None`` when the lattice has no lanes.

    Returns
    -------
    GeoDataFrame
        ``class``, ``width_m``, ``name``, ``block`` (local frame).
    """
    b = shapely.bounds(blocks)
    rows: list[gpd.GeoDataFrame] = []
    for ax, every, phase, width in (
        (0, lattice.every_u, lattice.phase_u, lattice.width_u),
        (1, lattice.every_v, lattice.phase_v, lattice.width_v),
    ):
        n = count[:, ax]
        nb = np.maximum(n - 1, 0)
        blk = np.repeat(np.arange(len(blocks)), nb)
        j = np.arange(blk.size) - np.repeat(np.cumsum(nb) - nb, nb) + 1
        keep = is_lane(every[blk], phase[blk], j, n[blk])
        blk, j = blk[keep], j[keep]
        at = origin[blk, ax] + j * pitch[blk, ax]
        if ax == 0:
            lines = shapely.linestrings(
                np.stack([np.column_stack([at, b[blk, 1]]), np.column_stack([at, b[blk, 3]])],
                         axis=1).reshape(-1, 2, 2) if blk.size else np.empty((0, 2, 2))
            )
        else:
            lines = shapely.linestrings(
                np.stack([np.column_stack([b[blk, 0], at]), np.column_stack([b[blk, 2], at])],
                         axis=1).reshape(-1, 2, 2) if blk.size else np.empty((0, 2, 2))
            )
        names = np.full(blk.size, None, dtype=object)
        if rng is not None:
            pick = rng.integers(0, len(LANE_NAMES), size=blk.size)
            names[lattice.named[blk]] = np.array(LANE_NAMES, dtype=object)[
                pick[lattice.named[blk]]
            ]
        rows.append(gpd.GeoDataFrame(
            {"class": LANE_CLASS, "width_m": width[blk], "name": names, "block": blk},
            geometry=shapely.intersection(lines, blocks[blk]),
        ))
    out = gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), geometry="geometry")
    out = out.explode(ignore_index=True)
    keep = (shapely.get_type_id(out.geometry.values) == shapely.GeometryType.LINESTRING)
    keep &= shapely.length(out.geometry.values) > MIN_LANE_SEGMENT_M
    return out[keep].reset_index(drop=True)


def _carry_to_streets(
    lanes: NDArray[np.object_], streets: NDArray[np.object_], region: shapely.Geometry
) -> NDArray[np.object_]:
    """Carry each lane end straight on to the nearest street centre line ahead of it."""
    if len(lanes) == 0:
        return lanes
    xy = np.stack([shapely.get_coordinates(shapely.get_point(lanes, 0)),
                   shapely.get_coordinates(shapely.get_point(lanes, -1))], axis=1)
    out = xy.copy()
    tree = shapely.STRtree(streets)
    for end, other in ((0, 1), (1, 0)):
        e = xy[:, end]
        d = e - xy[:, other]
        d /= np.hypot(d[:, 0], d[:, 1])[:, None]
        rays = shapely.linestrings(np.stack([e, e + d * STREET_REACH_M], axis=1))
        ri, si = tree.query(rays, predicate="intersects")
        hit = np.full(len(lanes), np.inf)
        np.minimum.at(
            hit, ri, shapely.distance(shapely.points(e[ri]),
                                      shapely.intersection(rays[ri], streets[si]))
        )
        ok = np.isfinite(hit)
        new = e + d * (np.where(ok, hit, 0.0) + OVERSHOOT_M)[:, None]
        stub = shapely.linestrings(np.stack([e, new], axis=1))
        ok &= shapely.covered_by(stub, region)
        out[ok, end] = new[ok]
    return shapely.linestrings(out)


def tie_lanes(
    segs: gpd.GeoDataFrame, lanes: gpd.GeoDataFrame, region: shapely.Geometry
) -> gpd.GeoDataFrame:
    """Add the lanes to the road segments, noded into the streets.

    Parameters
    ----------
    segs : GeoDataFrame
        Road segments (``class``, ``width_m``, ``name``, ``walkable``); ``footway`` rows are
        kept apart (park paths, deliberately not tied in).
    lanes : GeoDataFrame
        Lane lines from :func:`lane_lines` (straight two-point lines).
    region : shapely geometry
        Where roads may run (the district minus the river strips).

    Returns
    -------
    GeoDataFrame
        Streets split where lanes meet them, then lanes, then footways; lanes that reach no
        street (directly or through other lanes) are left out.
    """
    cols = ["class", "width_m", "name", "walkable"]
    foot = segs[segs["class"] == "footway"]
    streets = segs[segs["class"] != "footway"]
    sgeom = np.asarray(streets.geometry.values, dtype=object)
    lgeom = _carry_to_streets(np.asarray(lanes.geometry.values, dtype=object), sgeom, region)
    src = np.concatenate([sgeom, lgeom])
    attrs = {c: np.concatenate([streets[c].to_numpy(dtype=object),
                                np.asarray(lanes[c].to_numpy(), dtype=object)])
             for c in cols if c != "walkable"}
    attrs["walkable"] = np.concatenate([streets["walkable"].to_numpy(dtype=bool),
                                        np.ones(len(lanes), dtype=bool)])
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(src)))
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    seg_i, src_i = shapely.STRtree(src).query_nearest(mid, all_matches=False)
    order = np.argsort(seg_i)
    seg_i, src_i = seg_i[order], src_i[order]
    geoms = noded[seg_i]
    is_lane_seg = src_i >= len(sgeom)
    keep = ~is_lane_seg | (shapely.length(geoms) > MIN_LANE_SEGMENT_M)
    geoms, src_i, is_lane_seg = geoms[keep], src_i[keep], is_lane_seg[keep]
    # keep lanes only in network parts that hold a street
    ends = np.round(
        np.concatenate([shapely.get_coordinates(shapely.get_point(geoms, 0)),
                        shapely.get_coordinates(shapely.get_point(geoms, -1))]),
        COORD_DECIMALS,
    )
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.ravel()
    m = len(geoms)
    k = int(node.max()) + 1 if m else 0
    link = coo_matrix((np.ones(m), (node[:m], node[m:])), shape=(k, k))
    _, comp = connected_components(link, directed=False)
    street_comp = np.zeros(k, dtype=bool)
    street_comp[comp[node[:m][~is_lane_seg]]] = True
    keep = ~is_lane_seg | street_comp[comp[node[:m]]]
    # streets first (in their original order), then lanes, then footways
    order = np.lexsort((np.flatnonzero(keep), is_lane_seg[keep]))
    sel = np.flatnonzero(keep)[order]
    out = gpd.GeoDataFrame(
        {c: attrs[c][src_i[sel]] for c in cols}, geometry=geoms[sel]
    )
    return gpd.GeoDataFrame(
        [*out.to_dict("records"), *foot[[*cols, "geometry"]].to_dict("records")],
        geometry="geometry", columns=[*cols, "geometry"],
    )
