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

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

__all__ = [
    "COVERAGE_RADIUS_M",
    "ResidentialCover",
    "grid_points",
    "shrink",
]

COVERAGE_RADIUS_M = 500.0
COVER_CELL_M = 10.0
LOT_MARGIN_M = 1.0


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
