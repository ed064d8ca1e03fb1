"""Error classes of peakmap's domain: the project manifest, the catalogs and the store.

They subclass :class:`gis.PeakmapError` like the engine's errors, so the command line and the
web app report them the same way (one line, HTTP status from ``web.errors.STATUS_CODES``).
Import them from :mod:`layers`.
"""

from __future__ import annotations

from typing import Any

from gis import PeakmapError

__all__ = ["ManifestError", "StoreBusyError", "StoreError", "first_validation_error"]


class ManifestError(PeakmapError, ValueError):
    """The project manifest (``project.toml``) or a catalog is malformed."""


class StoreError(PeakmapError, RuntimeError):
    """The project store is missing or does not hold what was asked for."""


class StoreBusyError(StoreError):
    """Another write to the same project (a build, an upload, a siting run) holds the lock."""


def first_validation_error(error: Any) -> str:
    """``field.path: message`` of the first error of a pydantic ``ValidationError``.

    The one wording of a manifest or catalog entry that fails its model; the caller puts the
    file and the entry in front.

    Examples
    --------
    >>> from pydantic import BaseModel, ValidationError
    >>> class M(BaseModel):
    ...     year: int
    >>> try:
    ...     M.model_validate({"year": "soon"})
    ... except ValidationError as e:
    ...     print(first_validation_error(e))
    year: Input should be a valid integer, unable to parse string as an integer
    """
    err = error.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return f"{loc}: {err['msg']}"
