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

from layers.sample.buildings import lay_lots, make_buildings
from layers.sample.frame import Frame
from layers.sample.green import ResidentialCover, grid_points, shrink
from layers.sample.grid import layout_grid
from layers.sample.networks import heating_pipes, road_segments, street_lights
from layers.sample.outline import (
    DISTRICT_CODE,
    DISTRICT_NAME,
    NAMED_PARKS,
    RIVER_PARK_NAME,
    STREETS,
    outline_metric,
    river_edge,
    to_metric,
)
from layers.sample.points import facilities, recycling_points
from layers.sample.sponge import sponge_zones
from layers.sample.zones import community_names, partition, random_points_in, street_zones
from layers.schema import CANONICAL

__all__ = ["COPY_GAP_M", "District", "copy_codes", "generate_district"]

COPY_GAP_M = 200.0
"""Gap between copies of the district in a ``--scale`` run."""
SHIFT_QUANTUM_M = 10.0
MAX_COPIES = 50
COPY_CODE_BASE = 50
UNDERSERVED_STREET = "120101005"
"""南营门街道: gets no new park, square or existing pocket park, so its park access is lower."""
SMALL_BLOCK_M2 = 2500.0
SQUARE_AREA_M2 = (3000.0, 15000.0)
N_SQUARES = 3
N_POCKET_EXISTING = 14
N_POCKET_PLANNED = 3
PARK_COVER_AIM = (0.80, 0.86)
PARK_COVER_SLACK = 0.02
EXTRA_PARK_AREA_M2 = (3000.0, 40000.0)
COMMUNITY_PARK_M2 = 10000.0
MAX_EXTRA_PARKS = 10
UNDERSERVED_MARGIN = 0.12
GREEN_AREA_AIM_M2 = (1_555_000.0, 1_595_000.0)
P_RENOVATED = 0.15
PARK_BUILT_YEARS = (1950, 2021)
RENOVATED_YEARS = (2021, 2026)
PERSONS_PER_HOUSEHOLD = (2.3, 2.7)
P_GREEN_COMMUNITY = 0.6
P_WASTE_SORTING = 0.9
PARK_NAME_STEMS = ("新华", "兴安", "福安", "昆明", "锦州", "成都", "桂林", "重庆", "洛阳", "西宁")


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
    """District code and name of copy ``k`` (copy 0 is the real 和平区)."""
    if k == 0:
        return DISTRICT_CODE, DISTRICT_NAME
    return f"{DISTRICT_CODE[:4]}{COPY_CODE_BASE + k:02d}", f"{DISTRICT_NAME}（副本{k}）"


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i + 1:05d}" for i in range(n)]


def _zone_of(points: NDArray[np.object_], zones: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """Code of the zone holding each geometry's representative point (None outside)."""
    pts = shapely.point_on_surface(points)
    pi, zi = shapely.STRtree(zones.geometry.values).query(pts, predicate="within")
    out = np.full(len(points), None, dtype=object)
    out[pi] = zones["code"].to_numpy()[zi]
    return out


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
    outline_w = outline_metric()
    minx, _, maxx, _ = outline_w.bounds
    width = np.ceil((maxx - minx + COPY_GAP_M) / SHIFT_QUANTUM_M) * SHIFT_QUANTUM_M
    c = outline_w.centroid
    frame = Frame(c.x, c.y, shift_x=k * width)
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
        cells = partition(st.geometry, pts, relax=6)
        for i, g in enumerate(cells):
            comm_rows.append({"code": f"{st['code']}{i + 1:03d}", "name": names.pop(),
                              "street_code": st["code"], "geometry": g})
    communities = gpd.GeoDataFrame(comm_rows, geometry="geometry")

    report("roads and land use")
    grid = layout_grid(outline, river, rng)
    blocks = grid.blocks
    bgeom = blocks.geometry.values
    barea = shapely.area(bgeom)
    bstreet = _zone_of(bgeom, streets)
    klass = np.full(len(blocks), None, dtype=object)  # green class of blocks turned green
    gname = np.full(len(blocks), None, dtype=object)
    small = barea < SMALL_BLOCK_M2
    blocks.loc[small, ["code", "subcode"]] = ["G", "G2"]
    klass[small] = "G2"
    for park in NAMED_PARKS:
        p = frame.to_local(shapely.points(to_metric(np.array([park.lon]),
                                                    np.array([park.lat]))))[0]
        free = np.flatnonzero((blocks["code"].to_numpy() != "G") & (barea >= SMALL_BLOCK_M2))
        j = free[np.argmin(shapely.distance(bgeom[free], p))]
        blocks.loc[j, ["code", "subcode"]] = ["G", "G1"]
        klass[j], gname[j] = park.klass, park.name

    res_blocks = np.flatnonzero(blocks["code"].to_numpy() == "R")
    xy, owner = grid_points(bgeom[res_blocks])
    cover = ResidentialCover(xy, res_blocks[owner], bstreet[res_blocks[owner]])
    cover_aim = rng.uniform(*PARK_COVER_AIM)
    cover.add(grid.river_park)
    for j in np.flatnonzero(klass != None):  # noqa: E711 - numpy elementwise
        if klass[j] != "G2":
            cover.add(bgeom[j])

    report("squares")
    cand = np.flatnonzero(
        (blocks["code"].to_numpy() != "G") & (bstreet != UNDERSERVED_STREET)
        & (barea >= SQUARE_AREA_M2[0]) & (barea <= SQUARE_AREA_M2[1])
    )
    placed = 0
    for j in rng.permutation(cand):
        if placed == N_SQUARES:
            break
        if cover.share(cover.reach(bgeom[j])) <= cover_aim + PARK_COVER_SLACK:
            if blocks.loc[j, "code"] == "R":
                cover.drop_block(j)
            blocks.loc[j, ["code", "subcode"]] = ["G", "G3"]
            klass[j], gname[j] = "G3", f"{PARK_NAME_STEMS[placed]}广场"
            cover.add(bgeom[j])
            placed += 1

    report("buildings")
    lots = lay_lots(blocks, rng, skip=blocks["code"].to_numpy() == "G")
    buildings = make_buildings(lots, blocks, bstreet, rng)

    report("pocket parks")
    open_idx = lots.open_idx
    lot_block = lots.block[open_idx]
    lot_code = blocks["code"].to_numpy()[lot_block]
    lot_street = bstreet[lot_block]
    sites = shrink(lots.cells[open_idx])
    used = np.zeros(len(open_idx), dtype=bool)
    pocket_rows: list[dict[str, object]] = []
    pool = np.flatnonzero(np.isin(lot_code, ("R", "A")) & (lot_street != UNDERSERVED_STREET))
    taken_blocks: set[int] = set()
    for i in rng.permutation(pool):
        if len([r for r in pocket_rows if r["status"] == "existing"]) == N_POCKET_EXISTING:
            break
        if int(lot_block[i]) in taken_blocks:
            continue
        if cover.share(cover.reach(sites[i])) <= cover_aim + PARK_COVER_SLACK:
            cover.add(sites[i])
            used[i] = True
            taken_blocks.add(int(lot_block[i]))
            pocket_rows.append({"status": "existing", "geometry": sites[i],
                                "built_year": int(rng.integers(2018, 2026))})
    planned = np.flatnonzero(np.isin(lot_code, ("R", "A")) & (lot_street == UNDERSERVED_STREET))
    for i in rng.choice(planned, size=min(N_POCKET_PLANNED, planned.size), replace=False):
        used[i] = True
        pocket_rows.append({"status": "planned", "geometry": sites[i], "built_year": None})
    pocket = gpd.GeoDataFrame(pocket_rows, geometry="geometry")
    pocket["name"] = [f"{PARK_NAME_STEMS[i % len(PARK_NAME_STEMS)]}口袋公园{i + 1}"
                      for i in range(len(pocket))]

    report("parks")
    # extra parks by greedy max cover: first outside the underserved street, then inside it
    # only while that street stays clearly below the district
    ok = (
        np.isin(blocks["code"].to_numpy(), ("R", "B", "U", "W", "S"))
        & (barea >= EXTRA_PARK_AREA_M2[0]) & (barea <= EXTRA_PARK_AREA_M2[1])
        & ~np.isin(np.arange(len(blocks)), lot_block[used])
    )
    reach = {int(j): cover.reach(bgeom[j]) for j in np.flatnonzero(ok)}
    n_extra = 0
    for inside_underserved in (False, True):
        options = [j for j in reach if (bstreet[j] == UNDERSERVED_STREET) == inside_underserved]
        while options and n_extra < MAX_EXTRA_PARKS and cover.share() < cover_aim:
            gains = np.array([cover.gain(reach[j]) for j in options])
            j = options.pop(int(np.argmax(gains)))
            if gains.max() == 0:
                break
            after = cover.share(reach[j])
            if after > cover_aim + PARK_COVER_SLACK or (
                inside_underserved
                and cover.street_share(UNDERSERVED_STREET, reach[j]) > after - UNDERSERVED_MARGIN
            ):
                continue
            if blocks.loc[j, "code"] == "R":
                cover.drop_block(j)
            blocks.loc[j, ["code", "subcode"]] = ["G", "G1"]
            klass[j] = "G12" if barea[j] >= COMMUNITY_PARK_M2 else "G14"
            gname[j] = f"{PARK_NAME_STEMS[n_extra % len(PARK_NAME_STEMS)]}公园"
            cover.add(bgeom[j])
            n_extra += 1
    now_green = blocks["code"].to_numpy() == "G"
    buildings = buildings[~now_green[buildings["block"].to_numpy()]].reset_index(drop=True)

    report("attached green")
    green_rows = [{"class": klass[j], "name": gname[j], "geometry": bgeom[j]}
                  for j in np.flatnonzero(klass != None)]  # noqa: E711
    green_rows.append({"class": "G11", "name": RIVER_PARK_NAME, "geometry": grid.river_park})
    counted = sum(shapely.area(r["geometry"]) for r in green_rows if r["class"] != "G3")
    counted += float(shapely.area(pocket.loc[pocket["status"] == "existing"].geometry.values).sum())
    aim = rng.uniform(*GREEN_AREA_AIM_M2)
    xg_pool = np.flatnonzero(
        ~used & np.isin(lot_code, ("R", "A", "B")) & ~now_green[lot_block]
    )
    xg_pool = rng.permutation(xg_pool)
    cum = counted + np.cumsum(shapely.area(sites[xg_pool]))
    take = xg_pool[: int(np.searchsorted(cum, aim)) + 1]
    for i in take:
        green_rows.append({"class": "XG", "name": None, "geometry": sites[i]})
    green = gpd.GeoDataFrame(green_rows, geometry="geometry")
    n_g = len(green)
    green["built_year"] = rng.integers(*PARK_BUILT_YEARS, size=n_g)
    renov = rng.random(n_g) < P_RENOVATED
    green["renovated_year"] = pd.array(
        np.where(renov, rng.integers(*RENOVATED_YEARS, size=n_g), -1), dtype="Int64"
    )
    green.loc[~renov, "renovated_year"] = pd.NA
    green["public_access"] = green["class"] != "XG"

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
    segs = road_segments(grid.roads, bgeom[np.isin(klass, ("G11", "G12", "G13", "G14"))])
    lights = street_lights(segs, outline, rng)
    lights["street_code"] = _zone_of(lights.geometry.values, streets)
    pipes = heating_pipes(segs, buildings, bgeom, outline, rng)

    facts = {
        "park_cover_500": cover.share(),
        **{f"park_cover_500:{s}": v for s, v in cover.street_shares().items()},
        "green_area_m2": float(cum[len(take) - 1]) if len(take) else counted,
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
        "roads": segs,
    }
    layers = _finish(layers, dcode, frame)
    canopy = frame.to_world(
        np.concatenate([
            green.geometry.values[green["class"].str.startswith("G1").to_numpy()],
            pocket.geometry.values[(pocket["status"] == "existing").to_numpy()],
        ])
    )
    return District(layers=layers, frame=frame, canopy=canopy, facts=facts)


ID_PREFIX = {
    "buildings": "B", "green_spaces": "G", "pocket_parks": "P", "sponge_zones": "SZ",
    "recycling_points": "R", "heating_pipes": "H", "streetlights": "L", "facilities": "F",
    "roads": "D",
}
DROP_COLUMNS = {"block", "width_m", "road_tmp"}


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
        out[name] = g.set_geometry(geoms)
    return out
