"""The Heping sample gives the same indicator values from the GeoPackage and PostGIS stores.

Both builds run the post-build analyses (uncovered land, rooftop PV from the DSM file, which
stays on disk with either store). Every indicator of the sample's catalog at every level
(district, street, community) is compared: the value as ``peakmap report`` prints it
(:func:`layers.numfmt.value_text`, to the last printed digit), and the whole record
(value, status, gap, notes) exactly. The third leg of issue 16's equality: the PostGIS
store's records computed on a 2-worker Dask LocalCluster (``scheduler="local:2"``: worker
processes open the store themselves) equal them too; tests/test_partition.py checks the
partitioning itself (two districts, border parks) on the GeoPackage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.indicators.engine import compute_records
from layers.numfmt import value_text
from layers.project import Project
from layers.store import PgStore, Store

pytestmark = pytest.mark.slow


def test_sample_indicators_equal_from_both_stores(heping_built: Path,
                                                  heping_built_pg: Path) -> None:
    gpkg, pg = Project(heping_built), Project(heping_built_pg)
    assert isinstance(gpkg.store, Store) and isinstance(pg.store, PgStore)
    assert not (heping_built_pg / "build" / "peakmap.gpkg").exists()
    assert (heping_built_pg / "build" / "dsm.tif").is_file()  # rasters stay files
    a = compute_records(gpkg, scheduler="")
    b = compute_records(pg, scheduler="")
    levels = {r.level for r in a}
    assert {"district", "street", "community"} <= levels
    assert len(a) == len(b) and len(a) > 100
    printed_a = [(r.indicator, r.level, r.zone_code, value_text(r.value, r.unit, "en")) for r in a]
    printed_b = [(r.indicator, r.level, r.zone_code, value_text(r.value, r.unit, "en")) for r in b]
    assert printed_a == printed_b
    numbers = sum(isinstance(r.value, int | float) for r in a)
    assert numbers > 50  # the comparison is over real values, not missing ones
    assert [r.as_dict() for r in a] == [r.as_dict() for r in b]
    # the same from PostGIS on a 2-worker Dask LocalCluster
    c = compute_records(pg, scheduler="local:2")
    assert [r.as_dict() for r in c] == [r.as_dict() for r in a]
    # the stored layers themselves: same names, same content digests
    ma, mb = gpkg.store.meta(), pg.store.meta()
    assert {n: v.digest for n, v in mb.layers.items()} == \
        {n: v.digest for n, v in ma.layers.items() if n in mb.layers}
    assert set(mb.layers) == {n for n in ma.layers if not n.startswith("_")} | \
        {n for n in mb.layers if n.startswith("_")}
