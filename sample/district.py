"""Generate one copy of the district: every canonical layer, in the metric CRS.

The steps run in a fixed order on one ``numpy.random.Generator``, so a seed fixes the
result. Copy ``k`` of a ``--scale K`` run is shifted sideways and gets its own codes and its
own random draws (a generator spawned from the seed for that copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from layers.schema import CANONICAL
from sample.buildings import lay_lots, make_buildings
from sample.ecology import ecology_layers
from sample.frame import Frame
from sample.green import GreenPlan
from sample.grid import layout_grid
from sample.lanes import tie_lanes
from sample.networks import heating_pipes, road_segments, street_lights
from sample.outline import (
    DISTRICT_CODE,
    DISTRICT_NAME,
    NAMED_PARKS,
    STREETS,
    outline_metric,
    river_edge,
    to_metric,
)
from sample.points import facilities, recycling_points
from sample.sponge import sponge_zones
from sample.zones import (
    LLOYD_ITERATIONS,
    community_names,
    partition,
    random_points_in,
    street_zones,
)

__all__ = [
    "COPY_GAP_M", "MAX_COPIES", "District", "copy_codes", "copy_outline", "generate_district",
    "parts_of_kind",
]

COPY_GAP_M = 200.0
"""Gap between copies of the district in a ``--scale`` run."""
SHIFT_QUANTUM_M = 10.0
MAX_COPIES = 200
"""Largest ``--scale``: 200 copies (≈ 2,000 km², about the built-up area of central Tianjin)."""
COPIES_PER_ROW = 20
"""Copies per row (east of each other); the next row lies north. Twenty copies span
≈ 90 km east of Heping, inside EPSG:4548's 3° zone (115.5–118.5° E)."""
COPY_CODE_BASE = 50
COPIES_PER_CODE_BLOCK = 50
"""Copies 1–49 take district codes 120151–120199; later copies move up the city digits."""
LANE_SEED_TAG = 7
"""Lanes draw from their own generator (seed, copy, this tag): the other draws stay put."""
PERSONS_PER_HOUSEHOLD = (2.3, 2.7)
P_GREEN_COMMUNITY = 0.6
P_WASTE_SORTING = 0.9
ID_PREFIX = {
    "buildings": "B", "green_spaces": "G", "pocket_parks": "P", "sponge_zones": "SZ",
    "recycling_points": "R", "heating_pipes": "H", "streetlights": "L", "facilities": "F",
    "roads": "D",
    "forest": "FO", "nature_reserves": "NR", "shorelines": "SL",
}
"""Feature ids are the district code, this prefix and a running number."""
DROP_COLUMNS = {"block", "width_m"}
"""Helper columns that are not part of the canonical layers."""


@dataclass
class District:
    """One generated copy: canonical layers in the metric CRS and facts about the draw."""

    layers: dict[str, gpd.GeoDataFrame]
    """Canonical layer name to GeoDataFrame (metric CRS, canonical fields)."""
    frame: Frame
    canopy: NDArray[np.object_]
    """Park polygons (metric CRS) that carry tree canopy in the DSM."""
    facts: dict[str, float]
    """Values the generator aimed at, as measured on its own output."""


def copy_codes(k: int) -> tuple[str, str]:
    """District code and name of copy ``k`` (copy 0 is the real 和平区).

    Codes keep six digits: copies 1–49 are ``1201`` + 51…99 (as always), copy 50 onwards
    ``12`` + two city digits (02, 03, …) + 50…99, so every copy of a ``--scale 200`` run has
    its own code and the street and community codes keep their lengths.

    >>> [copy_codes(k)[0] for k in (0, 1, 49, 50, 99, 100, 199)]
    ['120101', '120151', '120199', '120250', '120299', '120350', '120499']
    """
    if k == 0:
        return DISTRICT_CODE, DISTRICT_NAME
    block, rest = divmod(k, COPIES_PER_CODE_BLOCK)
    prefix = DISTRICT_CODE[:4] if block == 0 else f"{DISTRICT_CODE[:2]}{block + 1:02d}"
    return f"{prefix}{COPY_CODE_BASE + rest:02d}", f"{DISTRICT_NAME}（副本{k}）"


def _copy_frame(k: int) -> tuple[shapely.Polygon, Frame]:
    """The real outline (metric CRS) and the frame of copy ``k``."""
    outline_w = outline_metric()
    minx, miny, maxx, maxy = outline_w.bounds
    width = np.ceil((maxx - minx + COPY_GAP_M) / SHIFT_QUANTUM_M) * SHIFT_QUANTUM_M
    height = np.ceil((maxy - miny + COPY_GAP_M) / SHIFT_QUANTUM_M) * SHIFT_QUANTUM_M
    row, col = divmod(k, COPIES_PER_ROW)
    c = outline_w.centroid
    return outline_w, Frame(c.x, c.y, shift_x=col * width, shift_y=row * height)


def copy_outline(k: int) -> shapely.Geometry:
    """Outline of copy ``k`` in the metric CRS, as :func:`generate_district` places it.

    Known without generating the copy, so a writer can size a raster for every copy first.
    """
    outline_w, frame = _copy_frame(k)
    return frame.to_world(frame.to_local(outline_w))


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i + 1:05d}" for i in range(n)]


def _zone_of(points: NDArray[np.object_], zones: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """Code of the zone holding each geometry's representative point (None outside)."""
    pts = shapely.point_on_surface(points)
    pi, zi = shapely.STRtree(zones.geometry.values).query(pts, predicate="within")
    out = np.full(len(points), None, dtype=object)
    out[pi] = zones["code"].to_numpy()[zi]
    return out


def _named_park_points(frame: Frame) -> NDArray[np.object_]:
    lon = np.array([p.lon for p in NAMED_PARKS])
    lat = np.array([p.lat for p in NAMED_PARKS])
    return frame.to_local(shapely.points(to_metric(lon, lat)))


def generate_district(
    k: int, seed: int, *, step: Callable[[str], None] | None = None
) -> District:
    """Generate copy ``k`` of the district.

    Parameters
    ----------
    k : int
        Copy number (0 = the real district position and codes).
    seed : int
        Seed of the run; copy ``k`` draws from ``SeedSequence(seed).spawn`` child ``k``.
    step : callable, keyword-only, optional
        Called with a short label as each step starts (progress display).

    Returns
    -------
    District
    """
    report = step or (lambda _label: None)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(k + 1)[k])
    dcode, dname = copy_codes(k)
    outline_w, frame = _copy_frame(k)
    outline = frame.to_local(outline_w)
    river = frame.to_local(river_edge(outline_w))

    report("zones")
    centres = frame.to_local(
        shapely.points(to_metric(np.array([s.lon for s in STREETS]),
                                 np.array([s.lat for s in STREETS])))
    )
    streets = street_zones(outline, np.column_stack([shapely.get_x(centres),
                                                     shapely.get_y(centres)]))
    streets["code"] = [dcode + s.code[-3:] for s in STREETS]
    if k:
        streets["name"] = [f"{s.name}（副本{k}）" for s in STREETS]
    streets["district_code"] = dcode
    comm_rows = []
    names = community_names(sum(s.communities for s in STREETS), rng)
    for (_, st), seed_st in zip(streets.iterrows(), STREETS, strict=True):
        n = seed_st.communities
        pts, _ = random_points_in(np.array([st.geometry], dtype=object), np.array([n]), rng)
        cells = partition(st.geometry, pts, relax=LLOYD_ITERATIONS)
        for i, g in enumerate(cells):
            comm_rows.append({"code": f"{st['code']}{i + 1:03d}", "name": names.pop(),
                              "street_code": st["code"], "geometry": g})
    communities = gpd.GeoDataFrame(comm_rows, geometry="geometry")

    report("roads and land use")
    grid = layout_grid(outline, river, rng)
    blocks = grid.blocks
    bgeom = blocks.geometry.values
    bstreet = _zone_of(bgeom, streets)
    plan = GreenPlan.start(blocks, bstreet, grid.river_park, _named_park_points(frame), rng)

    report("squares")
    plan.place_squares(rng)

    report("buildings")
    lane_rng = np.random.default_rng([seed, k, LANE_SEED_TAG])
    lots = lay_lots(blocks, rng, skip=blocks["code"].to_numpy() == "G", lane_rng=lane_rng)
    buildings = make_buildings(lots, blocks, bstreet, rng)

    report("pocket parks")
    plan.open_lots(lots)
    pocket = plan.place_pocket_parks(rng)

    report("parks")
    plan.place_extra_parks()
    now_green = blocks["code"].to_numpy() == "G"
    buildings = buildings[~now_green[buildings["block"].to_numpy()]].reset_index(drop=True)

    report("attached green")
    green = plan.green_spaces(pocket, rng)

    report("land use")
    lu = blocks.copy()
    lu_extra = gpd.GeoDataFrame(
        {"code": ["E", "G"], "subcode": ["E1", "G1"]},
        geometry=[grid.water, grid.river_park],
    )
    road_land = shapely.difference(
        outline, shapely.union_all(np.concatenate([bgeom, lu_extra.geometry.values]))
    )
    lu_road = gpd.GeoDataFrame({"code": ["S"], "subcode": ["S1"]}, geometry=[road_land])
    landuse = gpd.GeoDataFrame(
        pd.concat([lu, lu_extra, lu_road], ignore_index=True), geometry="geometry"
    ).explode(ignore_index=True)
    landuse = landuse[landuse.geometry.area > 0].reset_index(drop=True)
    landuse["built_up"] = landuse["code"] != "E"

    report("sponge zones")
    built_up = shapely.difference(outline, grid.water)
    sponge = sponge_zones(outline, built_up, streets, rng)

    report("communities")
    bcomm = _zone_of(buildings.geometry.values, communities)
    hh = buildings.assign(comm=bcomm).groupby("comm")["households"].sum()
    communities["households"] = (
        communities["code"].map(hh).fillna(0).round().astype("int64")
    )
    communities["population"] = np.round(
        communities["households"].to_numpy()
        * rng.uniform(*PERSONS_PER_HOUSEHOLD, size=len(communities))
    ).astype("int64")
    communities["green_community"] = rng.random(len(communities)) < P_GREEN_COMMUNITY
    communities["waste_sorting"] = rng.random(len(communities)) < P_WASTE_SORTING

    report("points")
    land = shapely.union_all(bgeom[blocks["code"].to_numpy() != "G"])
    recycling = recycling_points(communities, streets, land, rng)
    recycling["community_code"] = _zone_of(recycling.geometry.values, communities)
    fac = facilities(communities, buildings, land, rng)

    report("networks")
    segs = road_segments(grid.roads, bgeom[np.isin(plan.klass, ("G11", "G12", "G13", "G14"))])
    lights = street_lights(segs, outline, rng)
    lights["street_code"] = _zone_of(lights.geometry.values, streets)
    pipes = heating_pipes(segs, buildings, bgeom, outline, rng)
    # lanes of blocks that stayed built, tied into the streets (lights and pipes ignore them)
    lanes = lots.lanes[~now_green[lots.lanes["block"].to_numpy()]]
    roads = tie_lanes(segs, lanes, grid.buildable)

    facts = {
        "park_cover_500": plan.cover.share(),
        **{f"park_cover_500:{s}": v for s, v in plan.cover.street_shares().items()},
        "green_area_m2": plan.green_area_m2,
    }
    district = gpd.GeoDataFrame({"code": [dcode], "name": [dname]}, geometry=[outline])
    layers = {
        "districts": district,
        "streets": streets,
        "communities": communities,
        "landuse": landuse,
        "buildings": buildings,
        "green_spaces": green,
        "pocket_parks": pocket,
        "sponge_zones": sponge,
        "recycling_points": recycling,
        "heating_pipes": pipes,
        "streetlights": lights,
        "facilities": fac,
        "roads": roads,
        **ecology_layers(outline, grid.water, grid.river_park, green),
    }
    layers = _finish(layers, dcode, frame)
    canopy = frame.to_world(
        np.concatenate([
            green.geometry.values[green["class"].str.startswith("G1").to_numpy()],
            pocket.geometry.values[(pocket["status"] == "existing").to_numpy()],
        ])
    )
    return District(layers=layers, frame=frame, canopy=canopy, facts=facts)


def _finish(
    layers: dict[str, gpd.GeoDataFrame], dcode: str, frame: Frame
) -> dict[str, gpd.GeoDataFrame]:
    """Add ids, drop helper columns, map to the metric CRS."""
    out = {}
    for name, gdf in layers.items():
        g = gdf.reset_index(drop=True)
        if name in ID_PREFIX:
            g.insert(0, "id", _ids(f"{dcode}{ID_PREFIX[name]}", len(g)))
        g = g.drop(columns=[c for c in DROP_COLUMNS if c in g.columns])
        spec = CANONICAL[name]
        for f in spec.fields:
            if f.name in g.columns and f.type == "int":
                v = pd.to_numeric(g[f.name], errors="coerce").astype("Float64")
                g[f.name] = v.where(v >= 0).round().astype("Int64")
        geoms = frame.to_world(g.geometry.values)
        bad = ~shapely.is_valid(geoms)
        # rotation can leave a near-degenerate corner self-touching; repair those few
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
        geoms, keep = parts_of_kind(geoms, spec.geometry)
        out[name] = g.set_geometry(geoms)[keep].reset_index(drop=True)
    return out


KIND_TYPES = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}
"""Shapely type ids (single and multi part) of each canonical geometry kind."""


def parts_of_kind(
    geoms: NDArray[np.object_], kind: str
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Keep the parts of the layer's kind (and a mask of the features kept).

    A repair may leave a collection or a collapsed line (a point); such features keep their
    parts of the right kind, or are dropped when they have none.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        The layer's geometries (after a repair).
    kind : {"polygon", "line", "point"}
        The layer's geometry kind (:data:`KIND_TYPES`).

    Returns
    -------
    (ndarray of shapely geometries, ndarray of bool)
        The geometries, each reduced to its parts of ``kind`` (one part as it is, several
        as a multi-part geometry), and whether each feature has any (empty ones do not).
    """
    ok = KIND_TYPES[kind]
    types = shapely.get_type_id(geoms)
    keep = np.isin(types, ok) & ~shapely.is_empty(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(~np.isin(types, ok)):
        parts = shapely.get_parts(shapely.get_parts(geoms[i]))
        parts = parts[np.isin(shapely.get_type_id(parts), ok[:1]) & ~shapely.is_empty(parts)]
        if len(parts) == 0:
            continue
        if kind == "polygon":
            out[i] = parts[0] if len(parts) == 1 else shapely.multipolygons(parts)
        elif kind == "line":
            out[i] = parts[0] if len(parts) == 1 else shapely.multilinestrings(parts)
        else:
            out[i] = parts[0] if len(parts) == 1 else shapely.multipoints(parts)
        keep[i] = True
    return out, keep
