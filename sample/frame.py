"""The local frame the generator draws in: the metric CRS rotated to the street grid.

Heping's streets run about 38° off north. The generator lays out roads, blocks and lots on an
axis-aligned grid in a local frame (u, v) and maps everything to the metric CRS at the end:
rotate by the grid angle about the outline's centroid, then shift the copy sideways
(``--scale``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["GRID_ANGLE_DEG", "Frame"]

GRID_ANGLE_DEG = 38.0
"""Angle of the street grid, counter-clockwise from the metric x axis."""


@dataclass(frozen=True)
class Frame:
    """Map between the local grid frame and the metric CRS.

    Parameters
    ----------
    cx, cy : float
        Centre of rotation (the outline's centroid) in metric coordinates.
    angle_deg : float
        Grid angle, counter-clockwise.
    shift_x : float
        Sideways (east) shift of this copy of the district, in metres.
    shift_y : float
        Northward shift of this copy (its row of copies), in metres.
    """

    cx: float
    cy: float
    angle_deg: float = GRID_ANGLE_DEG
    shift_x: float = 0.0
    shift_y: float = 0.0

    def _rotate(self, xy: NDArray[np.float64], sign: float) -> NDArray[np.float64]:
        a = np.radians(self.angle_deg) * sign
        c, s = np.cos(a), np.sin(a)
        x = xy[:, 0] - self.cx
        y = xy[:, 1] - self.cy
        return np.column_stack([c * x - s * y + self.cx, s * x + c * y + self.cy])

    def to_local(self, geoms: NDArray[np.object_] | shapely.Geometry) -> NDArray[np.object_]:
        """Rotate metric geometries (of the unshifted district) into the local frame."""
        return shapely.transform(geoms, lambda xy: self._rotate(xy, -1.0))

    def to_world(self, geoms: NDArray[np.object_] | shapely.Geometry) -> NDArray[np.object_]:
        """Map local-frame geometries to the metric CRS, shifted for this copy."""

        def fwd(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            out = self._rotate(xy, 1.0)
            out[:, 0] += self.shift_x
            out[:, 1] += self.shift_y
            return out

        return shapely.transform(geoms, fwd)
