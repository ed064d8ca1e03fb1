"""Where a PostGIS store is: the manifest's ``[project] store`` URL and ``store_schema``.

A manifest selects the PostGIS backend with::

    [project]
    store = "postgresql://db.office.lan:5432/planning"   # or postgresql:///planning?host=/run/pg
    store_schema = "heping"                               # optional

Credentials never live in the manifest: a URL with a password (``user:secret@host`` or
``?password=``) is refused. libpq takes them from the environment (``PGUSER``,
``PGPASSWORD``, ``PGPASSFILE``…) or ``~/.pgpass``. Without ``store_schema`` the schema is
``peakmap_<project folder name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from layers._errors import ManifestError

__all__ = ["PgLocation", "default_schema", "parse_store_url"]

SCHEMES = ("postgresql://", "postgres://")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class PgLocation:
    """A PostGIS store: the connection URL (no password) and the project's schema.

    Attributes
    ----------
    url : str
        The ``postgresql://`` URL as written in the manifest.
    schema : str
        The schema that holds the project's layers and metadata.
    """

    url: str
    schema: str

    def __str__(self) -> str:
        return f"{self.url} (schema {self.schema})"

    @property
    def name(self) -> str:
        """A short label for data-source lines: ``schema @ database``."""
        from psycopg.conninfo import conninfo_to_dict

        db = conninfo_to_dict(self.url).get("dbname") or "postgres"
        return f"PostGIS {db}.{self.schema}"


def default_schema(project_dir: Path) -> str:
    """``peakmap_<folder name>`` in lower-case letters, digits and ``_`` (≤ 63 characters).

    Examples
    --------
    >>> default_schema(Path("/data/He-ping 2025"))
    'peakmap_he_ping_2025'
    """
    slug = re.sub(r"[^a-z0-9_]+", "_", project_dir.name.lower()).strip("_") or "project"
    return f"peakmap_{slug}"[:63]


def parse_store_url(url: str, schema: str | None, *, manifest: Path) -> PgLocation:
    """Check the manifest's store URL and schema; refuse a password in the manifest.

    Parameters
    ----------
    url : str
        ``[project] store``.
    schema : str or None
        ``[project] store_schema`` (None: :func:`default_schema` of the project folder).
    manifest : pathlib.Path
        The manifest file, named in every message.

    Returns
    -------
    PgLocation

    Raises
    ------
    ManifestError
        Not a ``postgresql://`` URL, a password in it, or a schema that is not a plain
        lower-case SQL name.
    """
    if not url.startswith(SCHEMES):
        raise ManifestError(
            f"{manifest}: [project] store = {url!r}: not a postgresql:// URL (leave the key "
            "out to keep the project's GeoPackage store)")
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except ProgrammingError as e:
        raise ManifestError(f"{manifest}: [project] store: not a valid PostgreSQL URL "
                            f"({str(e).strip()})") from e
    if parts.get("password") is not None:
        raise ManifestError(
            f"{manifest}: [project] store: the URL contains a password; remove it and give "
            "it through the environment (PGPASSWORD) or a pgpass file (~/.pgpass, PGPASSFILE)")
    name = schema if schema is not None else default_schema(manifest.parent)
    if not _IDENT.match(name):
        raise ManifestError(
            f"{manifest}: [project] store_schema = {name!r}: use lower-case letters, digits "
            "and _ (at most 63, not starting with a digit)")
    return PgLocation(url, name)
