"""The project store: ``PROJECT/build/peakmap.gpkg`` plus processed rasters.

Every canonical layer is stored under its canonical name in the project's metric CRS.
Analyses that produce layers (uncovered residential land, siting proposals, PV fields on
buildings) write them back with :meth:`Store.write_layers`, which replaces the file
atomically so that a failure never leaves a half-written store.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS

from gis._errors import StoreError
from gis.io import write_gpkg_atomic

__all__ = ["STORE_NAME", "Store"]

STORE_NAME = "peakmap.gpkg"


class Store:
    """Read and update the GeoPackage store of one project.

    Parameters
    ----------
    build_dir : pathlib.Path
        ``PROJECT/build``.
    """

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = Path(build_dir)
        self.path = self.build_dir / STORE_NAME
        self._cache: dict[str, gpd.GeoDataFrame] = {}

    def exists(self) -> bool:
        """Return True when the store has been built."""
        return self.path.is_file()

    def _require(self) -> None:
        if not self.exists():
            raise StoreError(
                f"{self.path}: the project has not been built yet (run 'peakmap build PROJECT')"
            )

    def layers(self) -> list[str]:
        """Names of the layers in the store (spatial and attribute tables)."""
        self._require()
        return [str(row[0]) for row in pyogrio.list_layers(self.path)]

    def has(self, name: str) -> bool:
        """Return True when the store holds layer ``name``."""
        return self.exists() and name in self.layers()

    @property
    def crs(self) -> CRS:
        """The project's metric CRS (that of the ``districts`` or first spatial layer)."""
        self._require()
        names = self.layers()
        for name in ["districts", *names]:
            if name in names:
                info = pyogrio.read_info(self.path, layer=name)
                if info.get("crs"):
                    return CRS.from_user_input(info["crs"])
        raise StoreError(f"{self.path}: no spatial layer with a CRS")

    def read(self, name: str) -> gpd.GeoDataFrame:
        """Return layer ``name`` (a copy; the cache keeps the original).

        Raises
        ------
        StoreError
            The store is not built or has no such layer.
        """
        if name not in self._cache:
            self._require()
            if name not in self.layers():
                raise StoreError(f"{self.path}: no layer {name!r} in the store")
            self._cache[name] = pyogrio.read_dataframe(self.path, layer=name)
        return self._cache[name].copy()

    def raster_path(self, name: str) -> Path:
        """Path of processed raster ``name`` (e.g. ``dsm`` → ``build/dsm.tif``)."""
        path = self.build_dir / f"{name}.tif"
        if not path.is_file():
            raise StoreError(f"{path}: raster {name!r} is not in the store")
        return path

    def write_layers(self, layers: dict[str, gpd.GeoDataFrame]) -> None:
        """Add or replace layers, atomically (the old file stays intact on any failure).

        Parameters
        ----------
        layers : dict of str to GeoDataFrame
            Layer name to content; existing layers of other names are kept.
        """
        self._require()
        write_gpkg_atomic(self.path, layers, keep_existing=True)
        for name in layers:
            self._cache.pop(name, None)
