"""GDAL settings applied before GDAL is loaded: no driver that reads other files or the network.

GDAL picks a driver from a file's *content*, so an XML document named ``parks.geojson`` would
be opened as an OGR VRT (which can read ``/etc/passwd`` or fetch a URL) and a small JSON
document as a GDALG pipeline. ``GDAL_SKIP`` removes those drivers, and the network and
database drivers, from the driver registry. GDAL reads ``GDAL_SKIP`` once, when it registers
its drivers (pyogrio: at import; rasterio: at the first ``rasterio.Env``), so
:func:`harden` runs from ``gis/__init__.py``, before either library is imported by peakmap.
:mod:`gis.io` also checks every file's leading bytes against its extension and the driver
that opened it, so a process that imported pyogrio first is still protected.
"""

from __future__ import annotations

import os

__all__ = ["SKIPPED_DRIVERS", "harden"]

#: Drivers never used by peakmap: virtual/pipeline formats that open other files or run
#: commands, and drivers that talk to servers. Only drivers built into the pyogrio or
#: rasterio wheels are named (GDAL warns about unknown names); database drivers are not
#: built in, and a path is never a connection string (:func:`gis.safefile.check_path_text`).
SKIPPED_DRIVERS: tuple[str, ...] = (
    "VRT", "OGR_VRT", "GDALG", "DERIVED",
    "WFS", "OAPIF", "OGCAPI", "CSW", "WMS", "WMTS", "WCS", "HTTP", "NGW", "Carto",
    "AmigoCloud", "Elasticsearch", "EEDA", "EEDAI", "DAAS", "STACIT", "STACTA",
    "GNMDatabase", "GNMFile", "Zarr",
)

#: Configuration options set with the skip list (also honoured when the VRT driver exists).
_OPTIONS = {
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "GDAL_HTTP_MAX_RETRY": "0",
}


def harden() -> None:
    """Add :data:`SKIPPED_DRIVERS` to ``GDAL_SKIP`` and set the options in the environment."""
    current = os.environ.get("GDAL_SKIP", "").replace(",", " ").split()
    merged = list(dict.fromkeys([*current, *SKIPPED_DRIVERS]))
    os.environ["GDAL_SKIP"] = " ".join(merged)
    for key, value in _OPTIONS.items():
        os.environ[key] = value
