"""peakmap's domain: canonical layers, the project manifest and store, themes, indicators."""

from layers._errors import ManifestError, StoreBusyError, StoreError

__all__ = ["ManifestError", "StoreBusyError", "StoreError"]
