"""Parks, squares, pocket parks and attached green, tuned to the aims of sample-city.md.

Two aims steer the placement (both measured the way the indicators measure them):

- STD-PARK-500: the share of residential land (R) within 500 m of park green (G1, pocket
  parks as G14) or squares (G3). Pocket parks and squares are accepted only while the share
  stays under the aim; extra parks are added until it is reached. One street gets none of
  them, so its share is lower.
- HP-04: the counted green area (G1x, G2, XG, existing pocket parks). Attached green (XG) is
  laid on open lots until the total reaches the aim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from sample.buildings import Lots
from sample.outline import NAMED_PARKS, RIVER_PARK_NAME

__all__ = [
    "COVERAGE_RADIUS_M",
    "UNDERSERVED_STREET",
    "GreenPlan",
    "ResidentialCover",
    "grid_points",
    "shrink",
]

COVERAGE_RADIUS_M = 500.0
COVER_CELL_M = 10.0
LOT_MARGIN_M = 1.0
UNDERSERVED_STREET = "120101005"
"""南营门街道: no square or existing pocket park, extra parks last, so its park access is lower."""
SMALL_BLOCK_M2 = 2500.0
SQUARE_AREA_M2 = (3000.0, 15000.0)
N_SQUARES = 3
N_POCKET_EXISTING = 14
N_POCKET_PLANNED = 3
POCKET_BUILT_YEARS = (2018, 2026)
PARK_COVER_AIM = (0.80, 0.86)
PARK_COVER_SLACK = 0.02
EXTRA_PARK_AREA_M2 = (3000.0, 40000.0)
EXTRA_PARK_CODES = ("R", "B", "U", "W", "S")
COMMUNITY_PARK_M2 = 10000.0
MAX_EXTRA_PARKS = 10
UNDERSERVED_MARGIN = 0.12
GREEN_AREA_AIM_M2 = (1_555_000.0, 1_595_000.0)
P_RENOVATED = 0.15
PARK_BUILT_YEARS = (1950, 2021)
RENOVATED_YEARS = (2021, 2026)
PARK_NAME_STEMS = ("新华", "兴安", "福安", "昆明", "锦州", "成都", "桂林", "重庆", "洛阳", "西宁")


def shrink(geoms: NDArray[np.object_], margin: float = LOT_MARGIN_M) -> NDArray[np.object_]:
    """Shrink rectangles by ``margin`` on every side (mitred, so they stay rectangles)."""
    return shapely.buffer(geoms, -margin, join_style="mitre")


def grid_points(
    polys: NDArray[np.object_], cell: float = COVER_CELL_M
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Centres of a ``cell``-metre lattice falling inside each polygon.

    Returns
    -------
    xy : ndarray of shape (n, 2)
    owner : ndarray of int
        Index of the polygon holding each point.
    """
    if len(polys) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    xs = np.arange(minx + cell / 2, maxx, cell)
    ys = np.arange(miny + cell / 2, maxy, cell)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    tree = shapely.STRtree(polys)
    pi, gi = tree.query(pts, predicate="within")
    xy = np.column_stack([gx.ravel()[pi], gy.ravel()[pi]])
    return xy, gi.astype(np.int64)


@dataclass
class ResidentialCover:
    """Share of residential land within a radius of parks, on a lattice of sample points.

    Parameters
    ----------
    xy : ndarray of shape (n, 2)
        Lattice points on residential land.
    block : ndarray of int
        Block of each point (points of a block turned into a park are dropped).
    street : ndarray of str
        Street code of each point.
    radius : float
    """

    xy: NDArray[np.float64]
    block: NDArray[np.int64]
    street: NDArray[np.object_]
    radius: float = COVERAGE_RADIUS_M
    covered: NDArray[np.bool_] = field(init=False)
    active: NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self.covered = np.zeros(len(self.xy), dtype=bool)
        self.active = np.ones(len(self.xy), dtype=bool)
        self._pts = shapely.points(self.xy)
        self._tree = shapely.STRtree(self._pts)

    def reach(self, geom: BaseGeometry) -> NDArray[np.int64]:
        """Indices of the points within the radius of ``geom``."""
        return self._tree.query(geom, predicate="dwithin", distance=self.radius)

    def share(self, extra: NDArray[np.int64] | None = None) -> float:
        """Covered share of the active points (optionally with ``extra`` points covered)."""
        cov = self.covered.copy()
        if extra is not None:
            cov[extra] = True
        n = self.active.sum()
        return float((cov & self.active).sum() / n) if n else 0.0

    def gain(self, idx: NDArray[np.int64]) -> int:
        """Number of active points not yet covered among ``idx``."""
        return int((self.active[idx] & ~self.covered[idx]).sum())

    def street_share(self, code: str, extra: NDArray[np.int64] | None = None) -> float:
        """Covered share of the active points of street ``code`` (with ``extra`` covered)."""
        cov = self.covered.copy()
        if extra is not None:
            cov[extra] = True
        sel = self.active & (self.street == code)
        return float(cov[sel].mean()) if sel.any() else 0.0

    def add(self, geom: BaseGeometry) -> None:
        """Mark the points within reach of ``geom`` as covered."""
        self.covered[self.reach(geom)] = True

    def drop_block(self, block: int) -> None:
        """Remove the points of ``block`` from the base (it is no longer residential)."""
        self.active[self.block == block] = False

    def street_shares(self) -> dict[str, float]:
        """Covered share per street code."""
        out = {}
        for code in np.unique(self.street[self.active]):
            sel = self.active & (self.street == code)
            out[str(code)] = float(self.covered[sel].mean())
        return out


@dataclass
class GreenPlan:
    """Green land of one copy, placed step by step on the blocks (which it recodes to G)."""

    blocks: gpd.GeoDataFrame
    bstreet: NDArray[np.object_]
    river_park: BaseGeometry
    cover: ResidentialCover
    cover_aim: float
    klass: NDArray[np.object_]
    """CJJ/T 85 class of each block turned green (None for the others)."""
    gname: NDArray[np.object_]
    green_area_m2: float = 0.0
    sites: NDArray[np.object_] = field(default_factory=lambda: np.empty(0, dtype=object))
    lot_block: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    used: NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, dtype=bool))

    @property
    def bgeom(self) -> NDArray[np.object_]:
        """Block polygons."""
        return self.blocks.geometry.values

    @property
    def barea(self) -> NDArray[np.float64]:
        """Block areas (m²)."""
        return shapely.area(self.bgeom)

    def _codes(self) -> NDArray[np.object_]:
        return self.blocks["code"].to_numpy()

    def _make_green(self, j: int, subcode: str, klass: str, name: str | None) -> None:
        if self.blocks.loc[j, "code"] == "R":
            self.cover.drop_block(j)
        self.blocks.loc[j, ["code", "subcode"]] = ["G", subcode]
        self.klass[j], self.gname[j] = klass, name
        self.cover.add(self.bgeom[j])

    @classmethod
    def start(
        cls,
        blocks: gpd.GeoDataFrame,
        bstreet: NDArray[np.object_],
        river_park: BaseGeometry,
        named_points: NDArray[np.object_],
        rng: np.random.Generator,
    ) -> GreenPlan:
        """Start the plan: small blocks to G2, named parks, the park-access lattice.

        Small leftover blocks become protective green (G2), named parks take the blocks
        nearest their places, and the residential park-access lattice is set up.

        Parameters
        ----------
        blocks : GeoDataFrame
            Blocks with ``code`` and ``subcode`` (recoded in place).
        bstreet : array of str
            Street code of each block.
        river_park : shapely geometry
            The riverside park strip.
        named_points : array of points
            Locations of :data:`~sample.outline.NAMED_PARKS` (local frame).
        rng : numpy.random.Generator

        Returns
        -------
        GreenPlan
        """
        bgeom = blocks.geometry.values
        barea = shapely.area(bgeom)
        klass = np.full(len(blocks), None, dtype=object)
        gname = np.full(len(blocks), None, dtype=object)
        small = barea < SMALL_BLOCK_M2
        blocks.loc[small, ["code", "subcode"]] = ["G", "G2"]
        klass[small] = "G2"
        for park, point in zip(NAMED_PARKS, named_points, strict=True):
            free = np.flatnonzero((blocks["code"].to_numpy() != "G") & ~small)
            j = free[np.argmin(shapely.distance(bgeom[free], point))]
            blocks.loc[j, ["code", "subcode"]] = ["G", "G1"]
            klass[j], gname[j] = park.klass, park.name
        res_blocks = np.flatnonzero(blocks["code"].to_numpy() == "R")
        xy, owner = grid_points(bgeom[res_blocks])
        cover = ResidentialCover(xy, res_blocks[owner], bstreet[res_blocks[owner]])
        aim = rng.uniform(*PARK_COVER_AIM)
        cover.add(river_park)
        for j in np.flatnonzero((klass != None) & (klass != "G2")):  # noqa: E711 - elementwise
            cover.add(bgeom[j])
        return cls(blocks, bstreet, river_park, cover, aim, klass, gname)

    def place_squares(self, rng: np.random.Generator) -> None:
        """Turn up to ``N_SQUARES`` mid-sized blocks into squares (G3) within the access aim."""
        barea = self.barea
        cand = np.flatnonzero(
            (self._codes() != "G") & (self.bstreet != UNDERSERVED_STREET)
            & (barea >= SQUARE_AREA_M2[0]) & (barea <= SQUARE_AREA_M2[1])
        )
        placed = 0
        for j in rng.permutation(cand):
            if placed == N_SQUARES:
                break
            limit = self.cover_aim + PARK_COVER_SLACK
            if self.cover.share(self.cover.reach(self.bgeom[j])) <= limit:
                self._make_green(int(j), "G3", "G3", f"{PARK_NAME_STEMS[placed]}广场")
                placed += 1

    def open_lots(self, lots: Lots) -> None:
        """Take the open lots (no footprint) as sites for pocket parks and attached green."""
        idx = lots.open_idx
        self.lot_block = lots.block[idx]
        self.sites = shrink(lots.cells[idx])
        self.used = np.zeros(len(idx), dtype=bool)

    def place_pocket_parks(self, rng: np.random.Generator) -> gpd.GeoDataFrame:
        """Place existing and planned pocket parks on open lots.

        Existing ones stay within the access aim, outside the underserved street, one per
        block; the planned ones go to the underserved street.

        Returns
        -------
        GeoDataFrame
            ``status``, ``built_year``, ``name`` (local frame).
        """
        lot_code = self._codes()[self.lot_block]
        lot_street = self.bstreet[self.lot_block]
        homes = np.isin(lot_code, ("R", "A"))
        rows: list[dict[str, object]] = []
        taken: set[int] = set()
        for i in rng.permutation(np.flatnonzero(homes & (lot_street != UNDERSERVED_STREET))):
            if len(rows) == N_POCKET_EXISTING:
                break
            if int(self.lot_block[i]) in taken:
                continue
            site = self.sites[i]
            if self.cover.share(self.cover.reach(site)) <= self.cover_aim + PARK_COVER_SLACK:
                self.cover.add(site)
                self.used[i] = True
                taken.add(int(self.lot_block[i]))
                rows.append({"status": "existing", "geometry": site,
                             "built_year": int(rng.integers(*POCKET_BUILT_YEARS))})
        planned = np.flatnonzero(homes & (lot_street == UNDERSERVED_STREET))
        for i in rng.choice(planned, size=min(N_POCKET_PLANNED, planned.size), replace=False):
            self.used[i] = True
            rows.append({"status": "planned", "geometry": self.sites[i], "built_year": None})
        pocket = gpd.GeoDataFrame(rows, geometry="geometry")
        pocket["name"] = [f"{PARK_NAME_STEMS[i % len(PARK_NAME_STEMS)]}口袋公园{i + 1}"
                          for i in range(len(pocket))]
        return pocket

    def place_extra_parks(self) -> None:
        """Add parks by greedy max cover until the access aim.

        First outside the underserved street, then inside it only while that street stays
        clearly below the district.
        """
        barea = self.barea
        ok = (
            np.isin(self._codes(), EXTRA_PARK_CODES)
            & (barea >= EXTRA_PARK_AREA_M2[0]) & (barea <= EXTRA_PARK_AREA_M2[1])
            & ~np.isin(np.arange(len(self.blocks)), self.lot_block[self.used])
        )
        cover = self.cover
        reach = {int(j): cover.reach(self.bgeom[j]) for j in np.flatnonzero(ok)}
        n_extra = 0
        for inside in (False, True):
            options = [j for j in reach if (self.bstreet[j] == UNDERSERVED_STREET) == inside]
            while options and n_extra < MAX_EXTRA_PARKS and cover.share() < self.cover_aim:
                gains = np.array([cover.gain(reach[j]) for j in options])
                j = options.pop(int(np.argmax(gains)))
                if gains.max() == 0:
                    break
                after = cover.share(reach[j])
                if after > self.cover_aim + PARK_COVER_SLACK or (
                    inside
                    and cover.street_share(UNDERSERVED_STREET, reach[j])
                    > after - UNDERSERVED_MARGIN
                ):
                    continue
                klass = "G12" if barea[j] >= COMMUNITY_PARK_M2 else "G14"
                name = f"{PARK_NAME_STEMS[n_extra % len(PARK_NAME_STEMS)]}公园"
                self._make_green(j, "G1", klass, name)
                n_extra += 1

    def green_spaces(self, pocket: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
        """Return all green spaces, with attached green (XG) up to the HP-04 aim.

        Green blocks, the riverside park, and attached green on open lots until the HP-04
        area (with existing pocket parks) reaches its drawn aim.

        Returns
        -------
        GeoDataFrame
            ``class``, ``name``, ``built_year``, ``renovated_year``, ``public_access``.
        """
        bgeom = self.bgeom
        rows = [{"class": self.klass[j], "name": self.gname[j], "geometry": bgeom[j]}
                for j in np.flatnonzero(self.klass != None)]  # noqa: E711 - elementwise
        rows.append({"class": "G11", "name": RIVER_PARK_NAME, "geometry": self.river_park})
        counted = sum(shapely.area(r["geometry"]) for r in rows if r["class"] != "G3")
        existing = pocket.loc[pocket["status"] == "existing"].geometry.values
        counted += float(shapely.area(existing).sum())
        aim = rng.uniform(*GREEN_AREA_AIM_M2)
        now_green = self._codes() == "G"
        lot_code = self._codes()[self.lot_block]
        pool = np.flatnonzero(
            ~self.used & np.isin(lot_code, ("R", "A", "B")) & ~now_green[self.lot_block]
        )
        pool = rng.permutation(pool)
        cum = counted + np.cumsum(shapely.area(self.sites[pool]))
        take = pool[: int(np.searchsorted(cum, aim)) + 1]
        self.green_area_m2 = float(cum[len(take) - 1]) if len(take) else float(counted)
        rows += [{"class": "XG", "name": None, "geometry": self.sites[i]} for i in take]
        green = gpd.GeoDataFrame(rows, geometry="geometry")
        n = len(green)
        green["built_year"] = rng.integers(*PARK_BUILT_YEARS, size=n)
        renov = rng.random(n) < P_RENOVATED
        green["renovated_year"] = pd.array(
            np.where(renov, rng.integers(*RENOVATED_YEARS, size=n), -1), dtype="Int64"
        )
        green.loc[~renov, "renovated_year"] = pd.NA
        green["public_access"] = green["class"] != "XG"
        return green
