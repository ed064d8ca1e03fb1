"""Line and point networks along the roads: the walkable road graph, street lights, heating pipes.

Street lights are spaced so their number lands on a drawn aim (HP-17), and the LED share is
exact for the draw. Heating pipes follow the roads (primary mains along main roads,
secondary along local roads) plus service branches to buildings until the total length
reaches its aim; the length share of pipes older than 30 years and not renewed (HP-T4) is
set by a length-weighted draw.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["heating_pipes", "road_segments", "street_lights"]

MAIN_CLASSES = ("expressway", "primary", "secondary")
LIGHT_COUNT_AIM = (5800, 6600)
LED_SHARE_AIM = (0.705, 0.745)
OTHER_LAMPS = (("HPS", 0.65), ("MH", 0.20), ("other", 0.15))
LAMP_POWER_W = {"LED": (60.0, 90.0, 120.0, 150.0), "HPS": (150.0, 250.0, 400.0),
                "MH": (150.0, 250.0), "other": (100.0,)}
LIGHT_KERB_M = 2.0
PIPE_LENGTH_AIM_M = (175_000.0, 225_000.0)
OLD_PIPE_SHARE_AIM = (0.27, 0.33)
AS_OF_YEAR = 2025
OLD_AGE_YEARS = 30
PIPE_OFFSET_M = 4.0
PIPE_FIRST_YEAR = 1965
P_OLD_RENEWED = 0.30
RENEWAL_YEARS = (2010, AS_OF_YEAR + 1)
MAIN_DIAMETERS_MM = (300.0, 400.0, 500.0, 600.0, 700.0)
SECONDARY_DIAMETERS_MM = (100.0, 150.0, 200.0, 250.0)
BRANCH_DIAMETERS_MM = (50.0, 65.0, 80.0, 100.0)
NOT_STREETS = ("footway", "lane")
"""Road classes without street lights or heating mains (park paths, lanes between lots)."""
FOOTWAY_MIN_BLOCK_M2 = 8000.0
FOOTWAY_INSET_M = 12.0
MATCH_TOLERANCE_M = 0.5


def road_segments(
    roads: gpd.GeoDataFrame, park_blocks: NDArray[np.object_]
) -> gpd.GeoDataFrame:
    """Node the road lines into segments between crossings; add footpaths inside big parks.

    Parameters
    ----------
    roads : GeoDataFrame
        Road lines with ``class``, ``width_m``, ``name``.
    park_blocks : array of polygons
        Park blocks; each one large enough gets a footpath that does not touch the roads
        (a few disconnected pieces, as in real road data).

    Returns
    -------
    GeoDataFrame
        ``class``, ``width_m``, ``name``, ``walkable``.
    """
    lines = shapely.get_parts(roads.geometry.values)
    lines = lines[shapely.get_type_id(lines) == shapely.GeometryType.LINESTRING]
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    seg_i, road_i = shapely.STRtree(roads.geometry.values).query(
        mid, predicate="dwithin", distance=MATCH_TOLERANCE_M
    )
    first = np.unique(seg_i, return_index=True)[1]
    src = roads.iloc[road_i[first]].reset_index(drop=True)
    segs = gpd.GeoDataFrame(
        {"class": src["class"].to_numpy(), "width_m": src["width_m"].to_numpy(),
         "name": src["name"].to_numpy()},
        geometry=noded[seg_i[first]],
    )
    big = park_blocks[shapely.area(park_blocks) >= FOOTWAY_MIN_BLOCK_M2]
    inner = shapely.buffer(big, -FOOTWAY_INSET_M)
    b = shapely.bounds(big)
    diag = shapely.linestrings(
        np.stack([b[:, [0, 1]], b[:, [2, 3]]], axis=1) if len(big) else np.empty((0, 2, 2))
    )
    paths = shapely.get_parts(shapely.intersection(diag, inner))
    paths = paths[(shapely.get_type_id(paths) == 1) & (shapely.length(paths) > 0)]
    foot = gpd.GeoDataFrame(
        {"class": "footway", "width_m": 4.0, "name": None}, geometry=paths, index=range(len(paths))
    )
    out = gpd.GeoDataFrame(
        [*segs.to_dict("records"), *foot.to_dict("records")], geometry="geometry"
    )
    out["walkable"] = out["class"] != "expressway"
    return out


def _side_points(
    lines: NDArray[np.object_], spacing: float, offset: NDArray[np.float64]
) -> NDArray[np.object_]:
    """Points every ``spacing`` metres along each line, moved sideways by ``offset``."""
    length = shapely.length(lines)
    n = np.floor(length / spacing).astype(np.int64)
    owner = np.repeat(np.arange(len(lines)), n)
    k = np.arange(owner.size) - np.repeat(np.cumsum(n) - n, n)
    d = spacing / 2 + k * spacing
    p = shapely.line_interpolate_point(lines[owner], d)
    q = shapely.line_interpolate_point(lines[owner], d + 0.5)
    px, py = shapely.get_x(p), shapely.get_y(p)
    tx, ty = shapely.get_x(q) - px, shapely.get_y(q) - py
    norm = np.hypot(tx, ty)
    norm[norm == 0] = 1.0
    off = offset[owner]
    return shapely.points(px - ty / norm * off, py + tx / norm * off)


def street_lights(
    segs: gpd.GeoDataFrame, region: shapely.Geometry, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Street lights on both kerbs of main roads and one kerb of local roads.

    Returns
    -------
    GeoDataFrame
        ``lamp_type``, ``power_w`` (local frame, no ids yet).
    """
    roads = segs[~segs["class"].isin(NOT_STREETS)]
    geoms = roads.geometry.values
    half = roads["width_m"].to_numpy() / 2.0 - LIGHT_KERB_M
    main = roads["class"].isin(MAIN_CLASSES).to_numpy()
    sides = np.where(main, 2, 1)
    aim = rng.integers(*LIGHT_COUNT_AIM)
    spacing = float((shapely.length(geoms) * sides).sum() / aim)
    pts = np.concatenate([
        _side_points(geoms, spacing, half),
        _side_points(geoms[main], spacing, -half[main]),
    ])
    pts = pts[shapely.contains(region, pts)]
    n = len(pts)
    lamp = np.empty(n, dtype=object)
    order = rng.permutation(n)
    n_led = round(rng.uniform(*LED_SHARE_AIM) * n)
    lamp[order[:n_led]] = "LED"
    kinds = [k for k, _ in OTHER_LAMPS]
    weights = np.array([w for _, w in OTHER_LAMPS])
    lamp[order[n_led:]] = np.array(kinds, dtype=object)[
        rng.choice(len(kinds), size=n - n_led, p=weights)
    ]
    power = np.array([rng.choice(LAMP_POWER_W[str(t)]) for t in lamp], dtype=float)
    return gpd.GeoDataFrame({"lamp_type": lamp, "power_w": power}, geometry=pts)


def heating_pipes(
    segs: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    blocks: NDArray[np.object_],
    region: shapely.Geometry,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """Heating pipes: mains along the roads and service branches to buildings.

    Parameters
    ----------
    segs : GeoDataFrame
        Road segments (``class``, ``name``).
    buildings : GeoDataFrame
        Buildings with ``block`` (index into ``blocks``).
    blocks : array of polygons
    region : shapely geometry
        The district: mains are clipped to it.
    rng : numpy.random.Generator

    Returns
    -------
    GeoDataFrame
        ``network``, ``diameter_mm``, ``install_year``, ``renovated_year``, ``road``.
    """
    roads = segs[~segs["class"].isin(NOT_STREETS)]
    main = roads["class"].isin(MAIN_CLASSES).to_numpy()
    mains = shapely.offset_curve(roads.geometry.values, PIPE_OFFSET_M)
    # an offset main may poke out of the district at its border: clip it back in
    mains = shapely.intersection(mains, region)
    ok = shapely.get_type_id(mains) == shapely.GeometryType.LINESTRING
    ok &= shapely.length(mains) > 0
    roads, mains, main = roads[ok], mains[ok], main[ok]
    bc = shapely.centroid(buildings.geometry.values)
    ring = shapely.boundary(blocks[buildings["block"].to_numpy()])
    branches = shapely.shortest_line(bc, ring)
    aim = rng.uniform(*PIPE_LENGTH_AIM_M)
    room = aim - shapely.length(mains).sum()
    order = rng.permutation(len(branches))
    keep = order[np.cumsum(shapely.length(branches[order])) <= room]
    keep.sort()
    n_main, n_br = len(mains), len(keep)
    geoms = np.concatenate([mains, branches[keep]])
    network = np.array(["primary" if m else "secondary" for m in main] + ["secondary"] * n_br,
                       dtype=object)
    diameter = np.concatenate([
        np.where(main, rng.choice(MAIN_DIAMETERS_MM, size=n_main),
                 rng.choice(SECONDARY_DIAMETERS_MM, size=n_main)),
        rng.choice(BRANCH_DIAMETERS_MM, size=n_br),
    ])
    road = np.concatenate([roads["name"].to_numpy(), np.full(n_br, None, dtype=object)])
    length = shapely.length(geoms)
    share = rng.uniform(*OLD_PIPE_SHARE_AIM)
    perm = rng.permutation(len(geoms))
    cum = np.cumsum(length[perm])
    old = np.zeros(len(geoms), dtype=bool)
    old[perm[cum - length[perm] < share * length.sum()]] = True
    last_old = AS_OF_YEAR - OLD_AGE_YEARS - 1
    install = np.where(
        old,
        rng.integers(PIPE_FIRST_YEAR, last_old + 1, size=len(geoms)),
        rng.integers(last_old + 1, AS_OF_YEAR, size=len(geoms)),
    )
    renewed = ~old & (rng.random(len(geoms)) < P_OLD_RENEWED)
    install[renewed] = rng.integers(PIPE_FIRST_YEAR, last_old + 1, size=int(renewed.sum()))
    renovated = np.where(renewed, rng.integers(*RENEWAL_YEARS, size=len(geoms)), -1)
    return gpd.GeoDataFrame(
        {
            "network": network,
            "diameter_mm": diameter,
            "install_year": install,
            "renovated_year": renovated,
            "road": road,
        },
        geometry=geoms,
    )
