"""Writing the manifest: one function replaces one layer's entry, atomically, with a backup.

``project.toml`` is written by hand, so the edit keeps its comments and layout (tomlkit)
and changes only ``[layers.<name>]`` and its sub-tables. The new text is checked with the
same loader as every build before it replaces the file (write to a temporary file, then
rename); the previous manifest is kept under ``PROJECT/backup/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import ValidationError

from layers._errors import ManifestError
from layers.manifest import MANIFEST_NAME, LayerSource, Manifest

__all__ = ["BACKUP_DIR", "entry_dict", "set_layer_entry"]

BACKUP_DIR = "backup"


def entry_dict(src: LayerSource) -> dict[str, Any]:
    """The manifest lines of a layer entry: set keys only, empty tables left out."""
    raw = src.model_dump(exclude_none=True, exclude_defaults=True)
    return {k: v for k, v in raw.items() if v not in ({}, [], None)}


def _table(value: dict[str, Any]) -> Any:
    table = tomlkit.table()
    for key, item in value.items():
        table[key] = _table(item) if isinstance(item, dict) else item
    return table


def backup_name(stamp: str | None = None) -> str:
    """``backup/project-<UTC time>.toml``."""
    stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{BACKUP_DIR}/project-{stamp}.toml"


def set_layer_entry(project_dir: Path, name: str, src: LayerSource) -> Path:
    """Replace ``[layers.<name>]`` of ``PROJECT/project.toml`` with ``src``.

    The caller holds the project's writer lock (:func:`layers.store.writer_lock`).

    Parameters
    ----------
    project_dir : pathlib.Path
        The project directory.
    name : str
        Canonical layer name.
    src : LayerSource
        The new entry (its path relative to the project).

    Returns
    -------
    pathlib.Path
        The backup of the previous manifest.

    Raises
    ------
    ManifestError
        The edited manifest would not load (nothing is written then).
    """
    root = Path(project_dir)
    path = root / MANIFEST_NAME
    old_text = path.read_text(encoding="utf-8")
    doc = tomlkit.parse(old_text)
    if "layers" not in doc:
        doc["layers"] = tomlkit.table(is_super_table=True)
    layers: Any = doc["layers"]
    layers[name] = _table(entry_dict(src))
    new_text = tomlkit.dumps(doc)
    try:
        Manifest.model_validate(tomllib.loads(new_text))
    except (tomllib.TOMLDecodeError, ValidationError) as e:
        raise ManifestError(f"{path}: [layers.{name}] cannot be written: {e}") from e
    backup = root / backup_name()
    backup.parent.mkdir(exist_ok=True)
    shutil.copy2(path, backup)
    fd, tmp = tempfile.mkstemp(prefix=".project.toml.tmp-", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new_text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return backup
