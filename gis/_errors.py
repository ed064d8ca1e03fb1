"""Error classes of peakmap's engine, and their base :class:`PeakmapError`.

The domain's errors (manifest, store) subclass it in ``layers/_errors.py``. Every error
carries a one-line message that names what is wrong and where: the file, the layer, the
field and, where it applies, the feature. The command line prints that message
and exits non-zero; the web app maps the classes to HTTP status codes in one table.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "InputFileError",
    "LayerValidationError",
    "PeakmapError",
    "SitingError",
]


class PeakmapError(Exception):
    """Base class of every error peakmap reports to a user."""


class InputFileError(PeakmapError, OSError):
    """A source file is missing, unreadable, empty, corrupt or outside the project."""


class LayerValidationError(PeakmapError, ValueError):
    """A layer's content breaks its canonical schema (field, type, geometry)."""


class CRSError(PeakmapError, ValueError):
    """A coordinate reference system is missing, unknown or implausible for the data."""


class SitingError(PeakmapError, ValueError):
    """A siting problem that has no solution, or input that cannot form one."""


def where(
    *,
    file: str | None = None,
    layer: str | None = None,
    field: str | None = None,
    feature: object | None = None,
) -> str:
    """Format the location part of an error message.

    Parameters
    ----------
    file, layer, field, feature
        The parts that are known; missing ones are left out.

    Returns
    -------
    str
        For example ``"raw/parks.geojson, layer green_spaces, field class, feature 12"``.

    Examples
    --------
    >>> where(file="a.gpkg", layer="streets")
    'a.gpkg, layer streets'
    """
    parts = []
    if file is not None:
        parts.append(str(file))
    if layer is not None:
        parts.append(f"layer {layer}")
    if field is not None:
        parts.append(f"field {field}")
    if feature is not None:
        parts.append(f"feature {feature}")
    return ", ".join(parts)
