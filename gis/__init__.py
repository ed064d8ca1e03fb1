"""peakmap's geospatial engine: knows layers, coordinates and geometry, nothing of plans.

Public modules
--------------
crs
    CRS parsing and checks, automatic metric CRS, GCJ-02 / BD-09 conversions.
io
    Reading vector sources of every common format; atomic GeoPackage writing.
validate
    Geometry checks and repair, attribute type coercion.
overlay
    Exact per-zone area, length and count of features (STRtree, border clipping).
coverage
    Service-radius coverage of land and homes, straight-line and walking.
network
    Walking graph from road lines, snapping, multi-source shortest paths.
zonal
    Zonal statistics by exact pixel fractions (rasterise-then-bincount).
solar
    Slope, aspect, shadow casting and annual irradiation from a DSM.
candidates
    Candidate sites for location-allocation.
siting
    Location-allocation models (set cover, max cover, p-median) on HiGHS.
"""

from gis._gdalenv import harden as _harden

_harden()  # before pyogrio or rasterio is imported anywhere through gis

from gis._errors import (  # noqa: E402
    CRSError,
    InputFileError,
    LayerValidationError,
    PeakmapError,
    SitingError,
)

__all__ = [
    "CRSError",
    "InputFileError",
    "LayerValidationError",
    "PeakmapError",
    "SitingError",
]
