"""peakmap's geospatial engine: knows layers, coordinates and geometry, nothing of plans.

Public modules
--------------
crs
    CRS parsing and checks, automatic metric CRS, GCJ-02 / BD-09 conversions.
io
    Reading vector sources of every common format; atomic GeoPackage writing.
validate
    Geometry checks and repair.
"""

from gis._errors import (
    CRSError as CRSError,
)
from gis._errors import (
    InputFileError as InputFileError,
)
from gis._errors import (
    LayerValidationError as LayerValidationError,
)
from gis._errors import (
    ManifestError as ManifestError,
)
from gis._errors import (
    PeakmapError as PeakmapError,
)
from gis._errors import (
    StoreError as StoreError,
)
