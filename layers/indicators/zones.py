"""The zones of a project: districts, streets and communities from the store, linked.

A project may lack communities, or streets and communities; :func:`load_zones` says which
levels it has and computes on its finest zones. The indicator engine, siting and the maps read
zones through here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gis.overlay import assign_points
from layers._errors import StoreError
from layers.indicators.catalog import LEVELS
from layers.project import Project

__all__ = ["Zones", "default_year", "load_zones", "missing_levels_note"]


@dataclass
class Zones:
    """The zone levels of a project, as its data allows.

    Attributes
    ----------
    communities : geopandas.GeoDataFrame
        The finest zones the project has (communities, else streets, else districts): the
        units every metric kind computes on. Indexed by code, with ``name``,
        ``street_code`` (missing without streets) and ``district_code``.
    names : dict
        Level → Series of zone names indexed by code (empty for a level the project lacks).
    missing : str
        One sentence naming the levels the project lacks ("" when it has all three).
    """

    communities: Any
    names: dict[str, pd.Series]
    missing: str = ""

    @functools.cached_property
    def name_maps(self) -> dict[str, dict[Any, str]]:
        """Level → ``{code: name}`` (:attr:`names` as dicts, made once for every row)."""
        return {level: names.to_dict() for level, names in self.names.items()}

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels this project has, district first."""
        return tuple(level for level in LEVELS if len(self.names[level]))

    def level_of(self, code: str) -> str | None:
        """Level of a zone code, or None when no zone has it."""
        for level in LEVELS:
            if code in self.names[level].index:
                return level
        return None


def load_zones(project: Project) -> Zones:
    """Read districts, streets and communities from the store and link them.

    A project may lack communities, or streets and communities: it is reported at the
    levels it has, computed on its finest zones, and ``Zones.missing`` says what it lacks.
    Communities without streets are linked to the district holding them.

    Raises
    ------
    StoreError
        The store has no districts, or a zone names a parent zone that does not exist.
    """
    store = project.store
    if not store.exists():
        raise StoreError(
            f"{store.path}: the project has not been built yet (run 'peakmap build "
            f"{project.root}')"
        )
    if not store.has("districts"):
        raise StoreError(
            f"{store.path}: layer districts is needed for indicators (add [layers.districts] "
            "to project.toml)"
        )
    frames = {}
    for layer in ("districts", "streets", "communities"):
        if store.has(layer):
            frames[layer] = store.read(layer)
            frames[layer]["code"] = frames[layer]["code"].astype(str)
    districts = frames["districts"].set_index("code")
    empty = pd.Series([], dtype=str)
    names = {"district": districts["name"].astype(str), "street": empty, "community": empty}
    streets = None
    if "streets" in frames:
        streets = frames["streets"].set_index("code")
        streets["district_code"] = streets["district_code"].astype(str)
        _check_parents(store.path, "streets", streets["district_code"], districts.index)
        names["street"] = streets["name"].astype(str)
    if "communities" in frames:
        comm = frames["communities"].set_index("code")
        if streets is not None:
            comm["street_code"] = comm["street_code"].astype(str)
            _check_parents(store.path, "communities", comm["street_code"], streets.index)
            comm["district_code"] = (
                streets["district_code"].reindex(comm["street_code"]).to_numpy()
            )
        else:
            comm["street_code"] = pd.NA
            comm["district_code"] = _holder(comm, districts)
        names["community"] = comm["name"].astype(str)
    elif streets is not None:
        comm = streets.copy()
        comm["street_code"] = comm.index.to_numpy()
    else:
        comm = districts.copy()
        comm["street_code"] = pd.NA
        comm["district_code"] = comm.index.to_numpy()
    lacking = [level for level in LEVELS if not len(names[level])]
    missing = missing_levels_note(lacking)
    return Zones(communities=comm, names=names, missing=missing)


LEVEL_ZH = {"district": "区", "street": "街道", "community": "社区"}


def _check_parents(where: Any, layer: str, codes: pd.Series, parents: pd.Index) -> None:
    unknown = sorted(set(codes) - set(parents))
    if unknown:
        field = "district_code" if layer == "streets" else "street_code"
        kind = "district(s)" if layer == "streets" else "street(s)"
        raise StoreError(
            f"{where}, layer {layer}, field {field}: unknown {kind} {', '.join(unknown[:5])}"
        )


def _holder(zones: Any, parents: Any) -> Any:
    """Code of the parent zone holding each zone's representative point (None outside)."""
    points = zones.geometry.representative_point().to_crs(parents.crs)
    idx = assign_points(
        np.asarray(points.values, dtype=object), np.asarray(parents.geometry.values, dtype=object)
    )
    codes = parents.index.to_numpy(dtype=object)
    return np.where(idx >= 0, codes[np.maximum(idx, 0)], None)


def default_year(project: Project) -> int:
    """The report year: the manifest's ``[project] year``, else the current year."""
    return project.report_year


def missing_levels_note(lacking: Sequence[str]) -> str:
    """One sentence naming the zone levels a project lacks ("" when it lacks none).

    Examples
    --------
    >>> missing_levels_note(["community"])[:8]
    '本项目无社区层级'
    """
    if not lacking:
        return ""
    layer_names = {"street": "streets", "community": "communities"}
    return (
        "本项目无" + "、".join(LEVEL_ZH[lv] for lv in lacking) + "层级 / this project has no "
        + " and no ".join(f"{lv} level" for lv in lacking) + " (no "
        + ", no ".join(f"{layer_names[lv]} layer" for lv in lacking)
        + "); it is reported at the levels it has"
    )
