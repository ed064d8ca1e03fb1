"""An opened project: its directory, manifest, parameters and store."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from gis._errors import InputFileError
from gis.safefile import check_path_text
from layers.manifest import Manifest, load_manifest
from layers.store import Store

__all__ = ["Project", "resolve_inside"]


def resolve_inside(project_dir: Path, relative: str, *, what: str) -> Path:
    """Resolve ``relative`` against the project directory and refuse paths that leave it.

    Parameters
    ----------
    project_dir : pathlib.Path
        The project directory.
    relative : str
        A path as written in the manifest.
    what : str
        What the path is for, used in the message (e.g. ``"[layers.streets] path"``).

    Returns
    -------
    pathlib.Path
        The absolute path.

    Raises
    ------
    InputFileError
        The path leaves the project directory, or is not plain path text (a NUL byte, an
        over-long name, a URL or a GDAL ``/vsi`` path).
    """
    check_path_text(relative, what=what)
    root = project_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise InputFileError(f"{what}: {relative!r} points outside the project directory {root}")
    return target


@dataclass
class Project:
    """A project directory with its manifest.

    Parameters
    ----------
    root : pathlib.Path
        The project directory.
    """

    root: Path
    manifest: Manifest = field(init=False)
    _stage: Path | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        check_path_text(str(self.root), what="project directory")
        self.root = Path(self.root).resolve()
        if not self.root.is_dir():
            raise InputFileError(f"{self.root}: project directory not found")
        self.manifest = load_manifest(self.root)

    @property
    def name(self) -> str:
        """The project's display name."""
        return self.manifest.project.name

    @property
    def is_sample(self) -> bool:
        """Whether this is the generated sample (``peakmap sample``).

        Maps and reports of the sample carry the sample-data notice.
        """
        from layers.sample.project_files import GENERATED_MARK

        manifest = self.root / "project.toml"
        with manifest.open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(GENERATED_MARK)

    @property
    def report_year(self) -> int:
        """The report year: the manifest's ``[project] year``, else the current year."""
        year = self.manifest.project.year
        return int(year) if year is not None else date.today().year

    @property
    def build_dir(self) -> Path:
        """``PROJECT/build``, written only by ``peakmap build`` and the analyses.

        In a staged project (:meth:`staged`) the staging folder of a store transaction.
        """
        return self._stage if self._stage is not None else self.root / "build"

    @cached_property
    def store(self) -> Store:
        """The project's store (``build/peakmap.gpkg``; private in a staged project)."""
        return Store(self.build_dir, private=self._stage is not None)

    def staged(self, build_dir: Path) -> Project:
        """Return the project with its store in ``build_dir`` (see :mod:`layers.store.txn`)."""
        other = copy.copy(self)
        other._stage = Path(build_dir)
        other.__dict__.pop("store", None)
        return other

    def fresh(self) -> Project:
        """The same project (same manifest, same build folder) with an empty read cache."""
        other = copy.copy(self)
        other.__dict__.pop("store", None)
        if self._stage is not None:
            other.store.written = self.store.written
            other.store.marks = self.store.marks
            other.store.cleared = self.store.cleared
        return other

    def path(self, relative: str, *, what: str) -> Path:
        """Resolve a manifest path inside the project (see :func:`resolve_inside`)."""
        return resolve_inside(self.root, relative, what=what)

    def params(self, theme: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the ``[params.<theme>]`` table over ``defaults``.

        Parameters
        ----------
        theme : str
            Theme name, e.g. ``"heating"``, ``"pv"``, ``"coverage"``.
        defaults : dict, optional
            Values used where the manifest says nothing.

        Returns
        -------
        dict
            A new dict: defaults updated with the manifest's values.
        """
        merged = dict(defaults or {})
        merged.update(self.manifest.params.get(theme, {}))
        return merged

    @property
    def targets_path(self) -> Path:
        """The indicator catalog file."""
        return self.path(self.manifest.project.targets, what="[project] targets")

    @property
    def reported_path(self) -> Path | None:
        """The reported values CSV, or None when the manifest names none."""
        rep = self.manifest.project.reported
        return None if rep is None else self.path(rep, what="[project] reported")
