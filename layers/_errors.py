"""Error classes of peakmap's domain: the project manifest, the catalogs and the store.

They subclass :class:`gis.PeakmapError` like the engine's errors, so the command line and the
web app report them the same way (one line, HTTP status from ``web.errors.STATUS_CODES``).
Import them from :mod:`layers`.
"""

from __future__ import annotations

from gis import PeakmapError

__all__ = ["ManifestError", "StoreBusyError", "StoreError"]


class ManifestError(PeakmapError, ValueError):
    """The project manifest (``project.toml``) or a catalog is malformed."""


class StoreError(PeakmapError, RuntimeError):
    """The project store is missing or does not hold what was asked for."""


class StoreBusyError(StoreError):
    """Another write to the same project (a build, an upload, a siting run) holds the lock."""
