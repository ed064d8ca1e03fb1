"""The Heping sample project generator (``peakmap sample``).

The district outline and street names/codes are real; everything inside is synthetic and
deterministic for a seed. The aims follow the design note ``sample-city.md``;
``data/heping/SOURCE.md`` says what is real. The outline (GCJ-02, as
published) and the synthetic reported values ship with this package
(``heping_outline_gcj02.geojson``, ``heping_reported.csv``); the catalogs are those of
``layers/catalogs/``.

Public entry points: :func:`generate_sample` (write a project directory) and
:func:`generate_district` (one copy of the district as GeoDataFrames, metric CRS).
"""

from sample.district import District, generate_district
from sample.generate import DISTRICT_STEPS, WRITE_STEPS, SampleResult, generate_sample

__all__ = [
    "DISTRICT_STEPS",
    "WRITE_STEPS",
    "District",
    "SampleResult",
    "generate_district",
    "generate_sample",
]
