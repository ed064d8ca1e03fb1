"""What the two store backends share: the box argument of a read, a store to copy from.

:class:`layers.store.gpkg.Store` and :class:`layers.store.pg.PgStore` check a read's
``bbox`` the same way (:func:`check_bbox`) and copy layers from either kind of store
(:class:`LayerReader`), so neither backend imports the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from layers._errors import StoreError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["BBox", "LayerReader", "check_bbox"]

BBox = tuple[float, float, float, float]
"""A box in the store's CRS: ``(minx, miny, maxx, maxy)``."""


class LayerReader(Protocol):
    """A store layers can be read from (either backend)."""

    def read(self, name: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Return layer ``name``, or its features that intersect ``bbox``."""
        ...


def check_bbox(where: object, name: str, bbox: Sequence[float]) -> BBox:
    """``bbox`` as four floats, or a StoreError naming the store and layer.

    Parameters
    ----------
    where : object
        The store as messages name it (its path or location).
    name : str
        The layer read.
    bbox : sequence of float
        ``(minx, miny, maxx, maxy)``, finite, with ``minx <= maxx`` and ``miny <= maxy``.

    Returns
    -------
    tuple of 4 float

    Raises
    ------
    StoreError
        ``bbox`` is not four finite numbers in that order.

    Examples
    --------
    >>> check_bbox("build/peakmap.gpkg", "parks", [0, 0, 10, 5])
    (0.0, 0.0, 10.0, 5.0)
    >>> check_bbox("build/peakmap.gpkg", "parks", (1, 0, 0, 5))
    Traceback (most recent call last):
    ...
    layers._errors.StoreError: build/peakmap.gpkg: layer 'parks': bbox must be (minx, miny, maxx, maxy) with minx <= maxx and miny <= maxy, got (1, 0, 0, 5)
    """  # noqa: E501
    try:
        values = tuple(float(v) for v in bbox)
    except (TypeError, ValueError):
        values = ()
    if (len(values) != 4 or not all(math.isfinite(v) for v in values)
            or values[0] > values[2] or values[1] > values[3]):
        raise StoreError(f"{where}: layer {name!r}: bbox must be (minx, miny, maxx, maxy) with "
                         f"minx <= maxx and miny <= maxy, got {bbox!r}")
    minx, miny, maxx, maxy = values
    return minx, miny, maxx, maxy
