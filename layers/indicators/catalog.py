"""Indicator catalogs: the declarative TOML format and its loader.

A catalog file holds ``[[indicator]]`` rows, parameter defaults and other files to include:

.. code-block:: toml

    include = ["tianjin.toml", "standards.toml"]   # relative to this file; must exist

    [params.heating]                 # defaults of adjustable parameters ([U] = unconfirmed);
    renewal_age_years = 30           # the manifest's [params.heating] overrides them

    [[indicator]]
    id = "HP-04"
    plan = "和平区碳达峰实施方案"
    group = "“十四五”期间主要目标"   # the annex's 目标类型 (optional)
    seq = 4                          # the annex's 序号 (optional)
    title = "城市绿地面积"
    title_en = "Urban green area"
    text = "到2025年，城市绿地面积达到162万平方米以上。"   # the plan's wording
    definition = "园林绿地（G1x、G2、XG、EG）与已建口袋公园的并集面积，重叠只计一次"
    level = "district"               # the level the target is set for
    kind = "area_sum"
    op = ">="
    target = 1620000
    unit = "m²"
    deadline = 2025
    responsible = ["区城市管理委"]

    [indicator.params]               # the metric kind's parameters
    layers = [{ layer = "green_spaces", where = { class = ["G11", "G2"] } }]

An include named ``"peakmap:<file>"`` reads a catalog packaged with peakmap
(``layers/catalogs/<file>``, with the files it includes): a project whose ``targets.toml`` says
``include = ["peakmap:targets.toml"]`` follows the plan catalogs of the installed peakmap and
may add its own rows; to change a packaged row, copy the packaged files into the project
(``peakmap sample --copy-catalogs`` does) and include them by name instead.

Optional keys: ``target_levels`` (levels where the target applies; default: every level for
``%`` rows, else ``level`` only), ``levels`` (levels reported; default all three),
``definition_en``.

The English names of the responsible departments are kept once, in a ``[departments]`` table
(the packaged one is ``layers/catalogs/departments.toml``), never per row:

.. code-block:: toml

    [departments]
    "区城市管理委" = { en = "District City Administration Commission", kind = "translation" }
    "市发展改革委" = { en = "Tianjin Development and Reform Commission", kind = "official",
                       source = "the publication that writes this name" }

``kind`` says whether ``en`` is the body's own English name (``official``, with its
``source``) or a plain translation. A file's entry wins over the same department in the files
it includes (a project's ``targets.toml`` may reword a packaged one). Each row's
``responsible_en`` is filled from the table (a department without an entry keeps its Chinese
name).

The groups (``group``, the annex's 目标类型) take their English names from a ``[groups]``
table the same way (``"低碳城区建设碳达峰行动" = "Carbon peaking through low-carbon urban
districts"``; packaged: ``layers/catalogs/groups.toml``), filling each row's ``group_en``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from layers._errors import ManifestError, first_validation_error
from layers.params import check_table

__all__ = [
    "DEPARTMENT_KINDS",
    "LEVELS",
    "OPS",
    "PACKAGED_DIR",
    "PACKAGED_PREFIX",
    "Catalog",
    "Department",
    "IndicatorSpec",
    "load_catalog",
    "read_catalog",
]

Level = Literal["district", "street", "community"]
LEVELS: tuple[Level, ...] = ("district", "street", "community")
OPS = (">=", ">", "<=", "<", "==")
PACKAGED_DIR = Path(__file__).resolve().parents[1] / "catalogs"
"""The plan catalogs packaged with peakmap (``layers/catalogs/``)."""
PACKAGED_PREFIX = "peakmap:"
"""An ``include`` beginning with this names a file of :data:`PACKAGED_DIR`."""
DEPARTMENT_KINDS = ("official", "translation")
"""``kind`` of a ``[departments]`` entry: the body's own English name, or a translation."""


class IndicatorSpec(BaseModel):
    """One catalog row (see the module docstring for the format)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    plan: str = ""
    group: str = ""
    seq: int | None = None
    title: str
    title_en: str = ""
    text: str = ""
    definition: str = ""
    definition_en: str = ""
    level: Level = "district"
    kind: str
    op: Literal[">=", ">", "<=", "<", "=="] | None = None
    target: float | None = None
    unit: str = ""
    deadline: int | None = None
    responsible: list[str] = Field(default_factory=list)
    responsible_en: list[str] = Field(default_factory=list)  # from [departments], not the row
    group_en: str = ""  # from [groups], not the row
    params: dict[str, Any] = Field(default_factory=dict)
    target_levels: list[Level] | None = None
    levels: list[Level] | None = None
    source_file: str = ""

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("id must not be empty")
        return value.strip()

    def applies_at(self, level: str) -> bool:
        """Return True when the target is set for zones of ``level``."""
        if self.target is None or self.op is None:
            return False
        if self.target_levels is not None:
            return level in self.target_levels
        return self.unit == "%" or level == self.level

    def reported_levels(self) -> tuple[str, ...]:
        """Levels this row is reported at."""
        return tuple(self.levels) if self.levels is not None else LEVELS


class Department(BaseModel):
    """One ``[departments]`` entry: a responsible department's English name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    kind: Literal["official", "translation"]
    source: str = ""

    @field_validator("en")
    @classmethod
    def _en_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("en must not be empty")
        return value.strip()


@dataclass
class Catalog:
    """A loaded catalog: its rows in file order, merged parameter defaults and departments."""

    indicators: list[IndicatorSpec]
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)


def _read_toml(path: Path, *, included_from: Path | None) -> dict[str, Any]:
    if not path.is_file():
        origin = f" (included from {included_from})" if included_from else ""
        raise ManifestError(f"{path}: indicator catalog not found{origin}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path}: not UTF-8 text ({e.reason})") from e
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{path}: not valid TOML: {e}") from e


def _row(raw: Any, *, path: Path, index: int) -> IndicatorSpec:
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: indicator #{index} is not a table")
    ident = str(raw.get("id", f"#{index}"))
    for key, table in (("responsible_en", "[departments]"), ("group_en", "[groups]")):
        if key in raw:
            raise ManifestError(
                f"{path}: indicator {ident}: {key}: English names are kept in a {table} "
                "table, not in a row")
    try:
        return IndicatorSpec.model_validate({**raw, "source_file": str(path)})
    except ValidationError as e:
        raise ManifestError(f"{path}: indicator {ident}: {first_validation_error(e)}") from e


def _load(path: Path, catalog: Catalog, seen: dict[str, Path], stack: tuple[Path, ...],
          root: Path) -> None:
    path = path.resolve()
    if path in stack:
        chain = " → ".join(p.name for p in (*stack, path))
        raise ManifestError(f"{path}: catalog includes itself ({chain})")
    data = _read_toml(path, included_from=stack[-1] if stack else None)
    unknown = set(data) - {"include", "indicator", "params", "departments", "groups"}
    if unknown:
        raise ManifestError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    catalog.files.append(path)
    for theme, table in (data.get("params") or {}).items():
        check_table(theme, table, where=str(path))
        catalog.params.setdefault(theme, {}).update(table)
    _read_departments(data.get("departments", {}), path, catalog)
    _read_groups(data.get("groups", {}), path, catalog)
    includes = data.get("include", [])
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ManifestError(f"{path}: include must be a list of file names")
    rows = data.get("indicator", [])
    if not isinstance(rows, list):
        raise ManifestError(f"{path}: indicator must be an array of tables ([[indicator]])")
    for i, raw in enumerate(rows, start=1):
        spec = _row(raw, path=path, index=i)
        if spec.id in seen:
            raise ManifestError(
                f"{path}: indicator {spec.id} is defined twice (also in {seen[spec.id]})"
            )
        seen[spec.id] = path
        catalog.indicators.append(spec)
    for name in includes:
        if "\x00" in name:
            raise ManifestError(f"{path}: included catalog {name!r} contains a NUL byte")
        target, inside = _include_target(path, name, root)
        _load(target, catalog, seen, (*stack, path), inside)


def _read_departments(table: Any, path: Path, catalog: Catalog) -> None:
    """Add a file's ``[departments]`` to ``catalog`` (an entry already read wins)."""
    if not isinstance(table, dict):
        raise ManifestError(f"{path}: departments must be a table ([departments])")
    for name, raw in table.items():
        if not isinstance(raw, dict):
            raise ManifestError(f"{path}: department {name}: not a table "
                                "({ en = \"…\", kind = \"translation\" })")
        try:
            entry = Department.model_validate(raw)
        except ValidationError as e:
            raise ManifestError(
                f"{path}: department {name}: {first_validation_error(e)}") from e
        if entry.kind == "official" and not entry.source.strip():
            raise ManifestError(f"{path}: department {name}: an official English name needs "
                                "its source (source = \"…\")")
        catalog.departments.setdefault(name, entry)


def _read_groups(table: Any, path: Path, catalog: Catalog) -> None:
    """Add a file's ``[groups]`` to ``catalog`` (an entry already read wins)."""
    if not isinstance(table, dict):
        raise ManifestError(f"{path}: groups must be a table ([groups])")
    for name, en in table.items():
        if not isinstance(en, str) or not en.strip():
            raise ManifestError(f"{path}: group {name}: the English name must be non-empty "
                                "text")
        catalog.groups.setdefault(name, en.strip())


def _include_target(path: Path, name: str, root: Path) -> tuple[Path, Path]:
    """The file an ``include`` entry of ``path`` names, and the folder its own includes stay in."""
    if name.startswith(PACKAGED_PREFIX):
        file = name.removeprefix(PACKAGED_PREFIX)
        target = (PACKAGED_DIR / file).resolve()
        if target.parent != PACKAGED_DIR.resolve() or not target.is_file():
            known = ", ".join(PACKAGED_PREFIX + p.name for p in sorted(PACKAGED_DIR.glob("*.toml")))
            raise ManifestError(
                f"{path}: included catalog {name!r} is not a catalog packaged with peakmap "
                f"(known: {known})")
        return target, PACKAGED_DIR.resolve()
    target = (path.parent / name).resolve()
    if not target.is_relative_to(root):
        raise ManifestError(
            f"{path}: included catalog {name!r} points outside the project ({root})")
    if not target.is_file():
        raise ManifestError(f"{path}: included catalog {name!r} not found ({target})")
    return target, root


def read_catalog(path: Path | str, *, root: Path | str | None = None) -> Catalog:
    """Read a catalog with its includes and parameter defaults.

    Parameters
    ----------
    path : pathlib.Path or str
        The catalog file (a project's ``targets.toml``).
    root : pathlib.Path or str, optional
        Every included file must lie inside this directory (a project's root); default:
        the directory of ``path``.

    Returns
    -------
    Catalog

    Raises
    ------
    ManifestError
        The file or an included file is missing or malformed or outside ``root``, a row is
        invalid or an id is defined twice; the message names the catalog file and the
        indicator id.
    """
    catalog = Catalog(indicators=[])
    top = Path(path)
    _load(top, catalog, {}, (), Path(root).resolve() if root else top.resolve().parent)
    names = catalog.departments
    catalog.indicators = [
        spec.model_copy(update={
            "responsible_en": [names[d].en if d in names else d for d in spec.responsible],
            "group_en": catalog.groups.get(spec.group, "")})
        for spec in catalog.indicators]
    return catalog


def load_catalog(path: Path | str) -> list[IndicatorSpec]:
    """Return the indicator rows of a catalog (and of the files it includes).

    Parameters
    ----------
    path : pathlib.Path or str

    Returns
    -------
    list of IndicatorSpec
        In file order, included files after the including file's own rows.

    Raises
    ------
    ManifestError
        See :func:`read_catalog`.
    """
    return read_catalog(path).indicators
