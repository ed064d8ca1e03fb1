"""Memory a report's layer reads hold: the store's cache plus the run's layer cache.

Usage: ``.venv/bin/python scripts/mem_layer_reads.py PROJECT`` (a built project, e.g.
``peakmap sample --scale 10 --no-dsm --out P && peakmap build P``). Reads every stored layer
the indicator rows read through :func:`layers.indicators.inputs.read_layer` (as of the report
year, and the buildings and pipes also without the year filter, as the heat rows do) and
prints what stays allocated afterwards and the peak while reading, as ``tracemalloc`` counts
them (Python objects and numpy buffers; GEOS's own memory for the geometries is not counted,
and the geometries are shared by both caches anyway).
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from layers.indicators.engine import metric_context  # noqa: E402
from layers.indicators.inputs import read_layer  # noqa: E402
from layers.project import Project  # noqa: E402

LAYERS = ("buildings", "landuse", "green_spaces", "roads", "streetlights", "recycling_points",
          "heating_pipes")
WHOLE_YEARS = ("buildings", "heating_pipes")  # read with as_of_year=False by layers.heating


def main() -> None:
    project = Project(sys.argv[1])
    ctx = metric_context(project)
    names = [n for n in LAYERS if project.store.has(n)]
    tracemalloc.start()
    features = 0
    for name in names:
        features += len(read_layer(ctx, name))
        if name in WHOLE_YEARS:
            read_layer(ctx, name, as_of_year=False)
    held, peak = tracemalloc.get_traced_memory()
    print(f"{', '.join(names)}: {features:,} features; held {held / 2**20:.1f} MiB, "
          f"peak while reading {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
