"""The project store (``PROJECT/build/peakmap.gpkg`` + rasters), its writer lock and versions.

- :mod:`layers.store.gpkg` — :class:`Store`: read layers, write them atomically;
- :mod:`layers.store.lock` — one writer at a time per project, across processes;
  temporary files named by owner and cleaned after a kill;
- :mod:`layers.store.meta` — the store's version, when each layer changed, stale marks;
- :mod:`layers.store.txn` — a multi-step write (build, upload) staged and swapped in whole;
- :mod:`layers.store.pg` — :class:`PgStore`: the same API on a PostGIS schema
  (``[project] store = "postgresql://…"``, :mod:`layers.store.pgurl`); rasters stay files;
  :mod:`layers.store.pg_write` writes its layer tables;
- :mod:`layers.store.chunks` — one layer of a staged store written chunk by chunk (a build);
- :mod:`layers.store.proposals` — which siting proposals are stale.
"""

from layers.store.gpkg import STORE_NAME, Store
from layers.store.lock import clean_stale_temp, project_temp_dir, writer_lock
from layers.store.meta import StoreMeta
from layers.store.pg import PgStore, close_pooled
from layers.store.txn import store_transaction

AnyStore = Store | PgStore
"""A project's store: the GeoPackage (default) or PostGIS (``[project] store``)."""

__all__ = [
    "STORE_NAME",
    "AnyStore",
    "PgStore",
    "Store",
    "StoreMeta",
    "clean_stale_temp",
    "close_pooled",
    "project_temp_dir",
    "store_transaction",
    "writer_lock",
]
