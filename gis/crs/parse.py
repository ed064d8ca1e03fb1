"""Parsing a CRS as written in a manifest or carried by a file (EPSG, WKT, PROJ, pseudo-datum)."""

from __future__ import annotations

from typing import Any

import pyproj
from pyproj.exceptions import CRSError as _PyprojCRSError

from gis._errors import CRSError
from gis.crs.pseudo import pseudo_datum_name

__all__ = ["crs_name", "parse_crs"]



_MAX_SHOWN_CHARS = 80


def _first_line(message: object) -> str:
    lines = str(message).strip().splitlines()
    return lines[0].strip() if lines else "not recognised"


def crs_name(crs: pyproj.CRS | None) -> str:
    """A short name of ``crs`` for reports: ``EPSG:<code>`` when it has one, else its name.

    Examples
    --------
    >>> crs_name(pyproj.CRS.from_epsg(4548)), crs_name(None)
    ('EPSG:4548', 'none')
    >>> crs_name(pyproj.CRS.from_proj4("+proj=tmerc +lon_0=117.3 +ellps=GRS80"))
    'unknown'
    """
    if crs is None:
        return "none"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def parse_crs(value: object, *, where: str) -> pyproj.CRS:
    """Parse a CRS given as an EPSG code, ``"EPSG:4548"``, WKT, PROJ string or pyproj CRS.

    Parameters
    ----------
    value : object
        The CRS as written in a manifest or carried by a file. A bare integer or string of
        digits is an EPSG code.
    where : str
        Where the value comes from (file, layer, manifest key), put in the error message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    gis._errors.CRSError
        One-line message naming ``where`` when the value is empty, unknown, or a
        pseudo-datum (``gcj02``/``bd09``, which PROJ cannot represent).

    Examples
    --------
    >>> parse_crs(4548, where="project.toml, metric_crs").to_epsg()
    4548
    >>> parse_crs("EPSG:4490", where="x").name
    'China Geodetic Coordinate System 2000'
    """
    if isinstance(value, pyproj.CRS):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CRSError(f"{where}: no CRS given (write e.g. EPSG:4548, a WKT or a PROJ string)")
    if isinstance(value, bool):
        raise CRSError(f"{where}: {value!r} is not a CRS (write e.g. EPSG:4548)")
    datum = pseudo_datum_name(value)
    if datum is not None:
        raise CRSError(
            f"{where}: {value!r} is the {datum.upper()} pseudo-datum, which PROJ cannot "
            "represent; it is only accepted as a layer's source crs in project.toml, where "
            "peakmap converts it to WGS84"
        )
    user_input: Any = value
    if isinstance(value, str):
        user_input = value.strip()
        if user_input.isdigit():
            user_input = int(user_input)
    try:
        if isinstance(user_input, int):
            return pyproj.CRS.from_epsg(user_input)
        return pyproj.CRS.from_user_input(user_input)
    except (_PyprojCRSError, TypeError, ValueError) as exc:
        shown = str(value)
        if len(shown) > _MAX_SHOWN_CHARS:
            shown = shown[:_MAX_SHOWN_CHARS] + "…"
        raise CRSError(f"{where}: unknown CRS {shown!r} ({_first_line(exc)})") from exc

