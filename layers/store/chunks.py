"""Writing one layer of a private (staged) store in consecutive chunks.

A city-size build (``peakmap sample --scale 200``: ≈ 1.5 M buildings) reads, checks and
reprojects a large layer a chunk at a time (:mod:`layers.build_chunks`) and hands each chunk
to a :class:`ChunkWriter` from ``store.layer_writer(name)``; nothing is committed before the
staged store is (:func:`layers.store.txn.store_transaction`), so a failing build still leaves
the previous store intact.

The layer must come out exactly as one write of the whole layer would have made it. Two
things of a layer depend on every feature: its digest (:class:`~layers.store.meta.FrameDigest`
takes the parts) and, in a GeoPackage, its declared geometry type. GDAL (through pyogrio)
declares a layer of Polygons and MultiPolygons as MultiPolygon and promotes every Polygon;
when a later chunk brings a type that changes that choice, the chunks already written were
written with the wrong one: :meth:`ChunkWriter.close` then returns the layout the whole layer
needs, and the caller writes the layer once more with it (:func:`geometry_layout`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from layers.store.meta import FrameDigest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BufferedChunkWriter", "ChunkWriter", "DiscardingWriter", "GpkgChunkWriter",
           "Layout", "geometry_layout"]

Layout = tuple[str, bool]
"""(declared geometry type, promote single parts to multi) of a GeoPackage layer."""

_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}


def geometry_layout(types: set[str], has_z: bool) -> Layout:
    """The geometry type and promotion pyogrio chooses for a GeoPackage layer of ``types``.

    The rule of ``pyogrio.write_dataframe`` (pyogrio 0.13, driver GPKG) for a frame whose
    non-null geometries have the type names ``types``.

    Examples
    --------
    >>> geometry_layout({"Polygon"}, False), geometry_layout({"Polygon", "MultiPolygon"}, True)
    (('Polygon', False), ('MultiPolygon Z', True))
    >>> geometry_layout({"Point", "LineString"}, False), geometry_layout(set(), False)
    (('Unknown', False), ('Unknown', False))
    """
    kind, promote = "Unknown", False
    if len(types) == 1:
        kind = next(iter(types))
    elif len(types) == 2:
        for single, multi in _MULTI.items():
            if types == {single, multi}:
                kind, promote = multi, True
    if has_z and kind != "Unknown":
        kind = f"{kind} Z"
    return kind, promote


class ChunkWriter:
    """Base: tracks what the whole layer needs (types, digest, count) as chunks come."""

    def __init__(self, name: str, layout: Layout | None = None) -> None:
        self.name = name
        self.forced = layout
        self.types: set[str] = set()
        self.has_z = False
        self.used: set[Layout] = set()
        self.digest = FrameDigest()
        self.count = 0

    def _see(self, frame: pd.DataFrame) -> Layout:
        import geopandas as gpd

        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            geoms = frame.geometry
            # as pyogrio: the types of non-null geometries, Z of the non-empty ones
            self.types |= {str(t) for t in geoms.geom_type.dropna().unique()}
            ok = geoms.notna() & ~geoms.is_empty
            self.has_z = self.has_z or bool(geoms[ok].has_z.any())
        layout = self.forced or geometry_layout(self.types, self.has_z)
        self.used.add(layout)
        self.digest.add(frame)
        self.count += len(frame)
        return layout

    def write(self, frame: pd.DataFrame) -> None:
        """Append the next chunk (rows in layer order)."""
        raise NotImplementedError

    def close(self) -> Layout | None:
        """Finish the layer; return None, or the layout to write it again with."""
        raise NotImplementedError


class DiscardingWriter(ChunkWriter):
    """Takes chunks and keeps nothing (a build checking layers after one failed)."""

    def write(self, frame: pd.DataFrame) -> None:
        """Count ``frame`` and let it go."""
        self.count += len(frame)

    def close(self) -> Layout | None:
        """Nothing to finish."""
        return None


class BufferedChunkWriter(ChunkWriter):
    """Collects the chunks and writes the layer once at :meth:`close` (a PostGIS store).

    Memory is then the whole layer's, as without chunks; the write is the store's own.
    """

    def __init__(self, store: Any, name: str) -> None:
        super().__init__(name)
        self.store = store
        self.parts: list[pd.DataFrame] = []

    def write(self, frame: pd.DataFrame) -> None:
        """Keep ``frame`` for the write at :meth:`close`."""
        self.parts.append(frame)
        self.count += len(frame)

    def close(self) -> Layout | None:
        """Write the whole layer through ``store.write_layers``."""
        import pandas as pd

        whole = pd.concat(self.parts, ignore_index=True) if len(self.parts) > 1 \
            else self.parts[0].reset_index(drop=True)
        self.parts = []
        self.store.write_layers({self.name: whole})
        return None


class GpkgChunkWriter(ChunkWriter):
    """Appends chunks to one layer of a private GeoPackage (:class:`layers.store.Store`)."""

    def __init__(self, path: Path, name: str, written: dict[str, str],
                 layout: Layout | None = None) -> None:
        super().__init__(name, layout)
        self.path = path
        self._written = written

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` to the layer (the first chunk creates or replaces it)."""
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        first = self.count == 0
        kind, promote = self._see(frame)
        if len(self.used) > 1:
            return  # the layer is written again with the final layout (close)
        data = frame if isinstance(frame, gpd.GeoDataFrame) else pd.DataFrame(frame)
        kw: dict[str, Any] = {}
        if isinstance(data, gpd.GeoDataFrame):
            kw = {"geometry_type": kind, "promote_to_multi": promote}
        if first:
            opts = {"OVERWRITE": "YES"} if self.path.exists() else None
            pyogrio.write_dataframe(data, self.path, layer=self.name, driver="GPKG",
                                    layer_options=opts, **kw)
        else:
            pyogrio.write_dataframe(data, self.path, layer=self.name, driver="GPKG",
                                    append=True, **kw)

    def close(self) -> Layout | None:
        """Record the layer's digest, or return the layout the layer must be rewritten with."""
        final = self.forced or geometry_layout(self.types, self.has_z)
        if self.used - {final}:
            return final
        self._written[self.name] = self.digest.hexdigest()
        return None
