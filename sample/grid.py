"""Street grid, blocks and their land use, drawn in the local grid frame.

Roads are straight lines on a jittered grid (150–260 m apart), each with a class and a
corridor width; blocks are the rectangles between corridors clipped to the district minus
the Haihe strip (water E1 and the riverside park). Each block draws a GB 50137 land-use code,
residential (R) being the most frequent.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CORRIDOR_WIDTH_M",
    "GridLayout",
    "layout_grid",
]

ROAD_SPACING_M = (150.0, 260.0)
ROAD_CLASSES = ("primary", "secondary", "local")
ROAD_CLASS_WEIGHTS = (0.25, 0.35, 0.40)
CORRIDOR_WIDTH_M = {"primary": 32.0, "secondary": 22.0, "local": 14.0}
RIVER_WATER_WIDTH_M = 35.0
RIVER_PARK_WIDTH_M = 40.0
MIN_BLOCK_M2 = 300.0
LINE_OVERSHOOT_M = 50.0

# GB 50137-2011 major classes of the blocks and their sub-classes, with draw weights.
LANDUSE_WEIGHTS: dict[str, float] = {
    "R": 0.54, "A": 0.17, "B": 0.19, "M": 0.02, "U": 0.03, "W": 0.02, "S": 0.03,
}
SUBCODE_WEIGHTS: dict[str, dict[str, float]] = {
    "R": {"R2": 0.85, "R1": 0.15},
    "A": {"A1": 0.22, "A2": 0.15, "A33": 0.33, "A51": 0.15, "A6": 0.15},
    "B": {"B1": 0.55, "B2": 0.45},
    "M": {"M1": 1.0},
    "U": {"U1": 1.0},
    "W": {"W1": 1.0},
    "S": {"S4": 1.0},
}

# Road names of the district (Tianjin calls the NW-SE roads 道 and the others 路).
ROAD_NAMES_U = (
    "和平路", "南京路", "河北路", "湖北路", "贵州路", "西康路", "新华路", "大沽北路",
    "山西路", "广东路", "四川路", "云南路", "建设路", "解放北路", "福建路", "甘肃路",
    "昆明路", "衡阳路", "烟台路", "常德路",
)
ROAD_NAMES_V = (
    "营口道", "滨江道", "哈密道", "多伦道", "赤峰道", "长春道", "成都道", "重庆道",
    "大理道", "睦南道", "马场道", "常德道", "锦州道", "唐山道", "保定道", "徐州道",
    "郑州道", "西安道", "沙市道", "包头道", "承德道", "万全道",
)


@dataclass
class GridLayout:
    """The street grid of one copy of the district, in the local frame."""

    roads: gpd.GeoDataFrame
    """Road centre lines clipped to the district: ``class``, ``width_m``, ``name``, ``axis``."""
    blocks: gpd.GeoDataFrame
    """Blocks between road corridors: ``code``, ``subcode``."""
    water: BaseGeometry
    """The Haihe strip (E1)."""
    river_park: BaseGeometry
    """The riverside park strip (海河带状公园)."""
    buildable: BaseGeometry
    """The district minus the river strips."""


def _draw(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table), dtype=object)
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _positions(lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    out = [lo + rng.uniform(40.0, 120.0)]
    while out[-1] < hi:
        out.append(out[-1] + rng.uniform(*ROAD_SPACING_M))
    return np.array(out[:-1])


def layout_grid(
    outline: BaseGeometry, river: BaseGeometry, rng: np.random.Generator
) -> GridLayout:
    """Lay out roads and blocks over ``outline`` (local frame).

    Parameters
    ----------
    outline : shapely geometry
        The district in the local frame.
    river : shapely geometry
        The river edge (lines) in the local frame.
    rng : numpy.random.Generator
        Source of every random draw.

    Returns
    -------
    GridLayout
    """
    water = shapely.intersection(outline, shapely.buffer(river, RIVER_WATER_WIDTH_M))
    river_zone = shapely.intersection(
        outline, shapely.buffer(river, RIVER_WATER_WIDTH_M + RIVER_PARK_WIDTH_M)
    )
    river_park = shapely.difference(river_zone, water)
    buildable = shapely.difference(outline, river_zone)
    minx, miny, maxx, maxy = outline.bounds

    lines = []
    for axis, lo, hi, names in (("u", minx, maxx, ROAD_NAMES_U), ("v", miny, maxy, ROAD_NAMES_V)):
        pos = _positions(lo, hi, rng)
        cls = np.array(ROAD_CLASSES, dtype=object)[
            rng.choice(len(ROAD_CLASSES), size=pos.size, p=ROAD_CLASS_WEIGHTS)
        ]
        for i, (p, c) in enumerate(zip(pos, cls, strict=True)):
            if axis == "u":
                coords = [(p, miny - LINE_OVERSHOOT_M), (p, maxy + LINE_OVERSHOOT_M)]
            else:
                coords = [(minx - LINE_OVERSHOOT_M, p), (maxx + LINE_OVERSHOOT_M, p)]
            lines.append(
                {"axis": axis, "pos": p, "class": c, "width_m": CORRIDOR_WIDTH_M[c],
                 "name": names[i % len(names)], "geometry": shapely.LineString(coords)}
            )
    roads = gpd.GeoDataFrame(lines, geometry="geometry")
    roads["geometry"] = shapely.intersection(roads.geometry.values, buildable)
    roads = roads[~roads.geometry.is_empty].reset_index(drop=True)

    def edges(axis: str, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
        sel = roads[roads["axis"] == axis].drop_duplicates("pos").sort_values("pos")
        pos = np.concatenate([[lo - 1.0], sel["pos"].to_numpy(), [hi + 1.0]])
        half = np.concatenate([[0.0], sel["width_m"].to_numpy() / 2.0, [0.0]])
        return pos[:-1] + half[:-1], pos[1:] - half[1:]

    u0, u1 = edges("u", minx, maxx)
    v0, v1 = edges("v", miny, maxy)
    uu0, vv0 = np.meshgrid(u0, v0, indexing="ij")
    uu1, vv1 = np.meshgrid(u1, v1, indexing="ij")
    rects = shapely.box(uu0.ravel(), vv0.ravel(), uu1.ravel(), vv1.ravel())
    parts = shapely.get_parts(shapely.intersection(rects, buildable))
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    parts = parts[shapely.area(parts) >= MIN_BLOCK_M2]
    code = _draw(rng, LANDUSE_WEIGHTS, parts.size)
    subcode = np.empty(parts.size, dtype=object)
    for major, table in SUBCODE_WEIGHTS.items():
        sel = code == major
        subcode[sel] = _draw(rng, table, int(sel.sum()))
    blocks = gpd.GeoDataFrame({"code": code, "subcode": subcode}, geometry=parts)
    return GridLayout(roads, blocks, water, river_park, buildable)
