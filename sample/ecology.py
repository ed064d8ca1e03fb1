"""Forest, nature reserves and shorelines of the sample (TJ-FOREST, TJ-PROTECT, TJ-SHORE).

Heping is wholly urban; these layers are as synthetic as everything else inside the outline
and drawn without random numbers, so adding them changes no other layer:

- ``forest``: the tree stands of the large parks (comprehensive and specialised parks,
  G11/G13, of at least :data:`FOREST_MIN_PARK_M2`), each park shrunk by
  :data:`FOREST_EDGE_M` (paths and lawns along the edge);
- ``nature_reserves``: the riverside park along the Haihe as one municipal nature park
  (湿地公园 type, 自然公园 category);
- ``shorelines``: the inner bank of the Haihe water in the district, cut into pieces of
  about :data:`SHORE_PIECE_M`; one piece in :data:`NATURAL_EVERY` is a natural (soft) bank,
  the others embanked.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from sample.outline import RIVER_PARK_NAME

__all__ = ["FOREST_EDGE_M", "NATURAL_EVERY", "SHORE_PIECE_M", "ecology_layers"]

FOREST_MIN_PARK_M2 = 20_000.0
FOREST_EDGE_M = 12.0
FOREST_CANOPY = 0.7
SHORE_PIECE_M = 200.0
NATURAL_EVERY = 8
BORDER_TOLERANCE_M = 1.0


def _pieces(line: BaseGeometry, length: float) -> list[BaseGeometry]:
    out: list[BaseGeometry] = []
    for part in shapely.get_parts(shapely.line_merge(line)):
        n = max(1, round(part.length / length))
        step = part.length / n
        out.extend(
            substring(part, i * step, (i + 1) * step) for i in range(n)
        )
    return out


def ecology_layers(
    outline: BaseGeometry,
    water: BaseGeometry,
    river_park: BaseGeometry,
    green: gpd.GeoDataFrame,
) -> dict[str, gpd.GeoDataFrame]:
    """Forest, nature reserves and shorelines in the local frame (no ids yet).

    Parameters
    ----------
    outline, water, river_park : shapely geometry
        The district, the Haihe water in it and the riverside park.
    green : geopandas.GeoDataFrame
        The green spaces (``class``, ``name``).

    Returns
    -------
    dict
        ``forest``, ``nature_reserves`` and ``shorelines`` frames.
    """
    big = green["class"].isin(["G11", "G13"]).to_numpy() & (
        np.asarray(green.geometry.area, dtype=float) >= FOREST_MIN_PARK_M2
    )
    stands = shapely.buffer(np.asarray(green.geometry.values, dtype=object)[big], -FOREST_EDGE_M)
    keep = ~shapely.is_empty(stands)
    names = green["name"].astype(str).to_numpy()[big][keep]
    forest = gpd.GeoDataFrame(
        {"name": [f"{n}林地" for n in names], "kind": "park_woodland",
         "canopy_cover": FOREST_CANOPY},
        geometry=list(stands[keep]),
    )
    reserves = gpd.GeoDataFrame(
        {"name": [f"{RIVER_PARK_NAME}（湿地公园，示例）"], "category": ["nature_park"],
         "level": ["municipal"], "established_year": [2015]},
        geometry=[river_park],
    )
    bank = shapely.difference(
        shapely.boundary(water), shapely.buffer(shapely.boundary(outline), BORDER_TOLERANCE_M)
    )
    pieces = _pieces(bank, SHORE_PIECE_M)
    natural = np.arange(len(pieces)) % NATURAL_EVERY == NATURAL_EVERY // 2
    shorelines = gpd.GeoDataFrame(
        {"natural": natural, "kind": np.where(natural, "自然岸线", "人工岸线"),
         "name": "海河岸线"},
        geometry=pieces,
    )
    return {"forest": forest, "nature_reserves": reserves, "shorelines": shorelines}
