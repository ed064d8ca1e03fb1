"""The project manifest ``project.toml``: its shape is a public contract (architecture.md).

Example
-------
.. code-block:: toml

    [project]
    name = "和平区碳达峰空间评估"
    metric_crs = "EPSG:4548"        # optional: chosen from the data when absent
    targets = "targets.toml"
    reported = "reported.csv"       # optional
    store = "postgresql://db.lan/planning"  # optional: a PostGIS store (default: GeoPackage)
    store_schema = "heping"         # optional, with store

    [layers.recycling_points]       # table name = canonical layer name
    path = "raw/recycling_points.csv"
    crs = "gcj02"
    x = "lng"
    y = "lat"

    [layers.recycling_points.fields] # canonical name = source column name
    kind = "类型"

    [layers.green_spaces.fields]     # several columns: each feature's first value among them
    class = ["leisure", "landuse"]   # (OpenStreetMap-style tags: leisure=park, landuse=grass)

    [layers.recycling_points.values.kind]  # source value = canonical value
    "回收小站" = "community_point"

    [layers.heating_pipes.na_values]   # source values that mean "no value"
    renovated_year = [0, 9999]

    [rasters.dsm]
    path = "raw/dsm.tif"

    [params.heating]                # adjustable parameters, by theme
    old_loss_w_per_m = 60.0
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gis import InputFileError
from layers._errors import ManifestError, first_validation_error
from layers.params import check_table
from layers.schema import CANONICAL, FieldSpec

__all__ = ["LayerSource", "Manifest", "ProjectSection", "RasterSource", "load_manifest"]

MANIFEST_NAME = "project.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerSource(_Strict):
    """Where one canonical layer comes from."""

    path: str
    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    x: str | None = None
    y: str | None = None
    # canonical field = source column, or several columns: each feature's first value
    fields: dict[str, str | list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    na_values: dict[str, list[str | int | float]] = Field(default_factory=dict)


class RasterSource(_Strict):
    """Where one raster (e.g. the DSM) comes from."""

    path: str
    crs: str | None = None
    band: int = 1


class ProjectSection(_Strict):
    """The ``[project]`` table."""

    name: str
    metric_crs: str | None = None
    targets: str = "targets.toml"
    reported: str | None = None
    year: int | None = None
    store: str | None = None
    store_schema: str | None = None


class Manifest(_Strict):
    """A whole ``project.toml``."""

    project: ProjectSection
    layers: dict[str, LayerSource] = Field(default_factory=dict)
    rasters: dict[str, RasterSource] = Field(default_factory=dict)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)


_TWICE = re.compile(r"Cannot (?:declare|overwrite a value) \(?'?(?P<key>[^)]*?)'?\)? twice|"
                    r"\((?P<loc>at line \d+, column \d+)\)")


def _toml_message(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    dup = re.search(r"Cannot (?:declare|overwrite a value) (.+?) twice", text)
    loc = re.search(r"at line (\d+)", text)
    line = f" (line {loc.group(1)})" if loc else ""
    if dup:
        key = re.sub(r"[()' ]", "", dup.group(1)).replace(",", ".")
        if key.startswith("layers."):
            return f"layer {key.split('.', 1)[1]} is declared twice{line}"
        return f"{key} is declared twice{line}"
    return f"not valid TOML: {text}"


def load_manifest(project_dir: Path) -> Manifest:
    """Read and check ``PROJECT/project.toml``.

    Parameters
    ----------
    project_dir : pathlib.Path
        The project directory.

    Returns
    -------
    Manifest

    Raises
    ------
    InputFileError
        The manifest is missing.
    ManifestError
        It is not valid TOML, declares a layer twice, names a layer or field that is not
        canonical, or lacks a required key. The message names the file and the entry.
    """
    path = project_dir / MANIFEST_NAME
    if not path.is_file():
        raise InputFileError(f"{path}: no project manifest here (expected {MANIFEST_NAME})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path}: not UTF-8 text ({e.reason})") from e
    except tomllib.TOMLDecodeError as e:
        raise ManifestError(f"{path}: {_toml_message(e)}") from e
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as e:
        raise ManifestError(f"{path}: {first_validation_error(e)}") from e
    if manifest.project.store is not None:
        from layers.store.pgurl import parse_store_url

        parse_store_url(manifest.project.store, manifest.project.store_schema, manifest=path)
    elif manifest.project.store_schema is not None:
        raise ManifestError(f"{path}: [project] store_schema is set but store is not "
                            "(store_schema names the schema of a PostGIS store)")
    for theme, values in manifest.params.items():
        check_table(theme, values, where=str(path))
    for name, src in manifest.layers.items():
        spec = CANONICAL.get(name)
        if spec is None:
            known = ", ".join(CANONICAL)
            raise ManifestError(
                f"{path}: [layers.{name}] is not a canonical layer (known: {known})"
            )
        for table, names in (
            ("fields", src.fields), ("values", src.values), ("na_values", src.na_values)
        ):
            for canon in names:
                if spec.field(canon) is None:
                    known = ", ".join(f.name for f in spec.fields)
                    raise ManifestError(
                        f"{path}: [layers.{name}.{table}] names unknown field {canon!r} "
                        f"(fields of {name}: {known})"
                    )
        for canon, cols in src.fields.items():
            if not cols:
                raise ManifestError(f"{path}: [layers.{name}.fields] {canon}: name a column "
                                    "(or a list of columns)")
        for canon, mapping in src.values.items():
            _check_value_map(path, name, spec.field(canon), mapping)
    return manifest


def _check_value_map(
    path: Path, layer: str, spec: FieldSpec | None, mapping: dict[str, str]
) -> None:
    """Refuse a value map whose targets are not values the field accepts."""
    if spec is None:
        return
    pattern = re.compile(spec.pattern) if spec.pattern else None
    for source, target in mapping.items():
        ok = bool(target.strip())
        if spec.choices is not None:
            ok = target in spec.choices
        elif pattern is not None:
            ok = bool(pattern.match(target))
        if not ok:
            allowed = (
                "one of " + ", ".join(spec.choices) if spec.choices is not None
                else f"a value matching {spec.pattern}" if spec.pattern else "a non-empty value"
            )
            raise ManifestError(
                f"{path}: [layers.{layer}.values.{spec.name}] {source!r} = {target!r}: "
                f"the canonical value must be {allowed}"
            )
