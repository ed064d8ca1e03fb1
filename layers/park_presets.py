"""Park-coverage presets: which green serves and the radius each park earns by its size.

The built-in presets are in ``layers/catalogs/coverage_presets.toml`` (``gbt51346``,
``garden_city`` [U], ``green300_park500``); a project may add its own file in the same format
(``[preset.<name>]`` with ``[[preset.<name>.rule]]``), named by the coverage parameter
``presets_file``. :mod:`layers.coverage` applies them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gis.coverage import SizeRule
from layers._errors import ManifestError

__all__ = ["PRESETS_PATH", "Preset", "load_presets"]

PRESETS_PATH = Path(__file__).parent / "catalogs" / "coverage_presets.toml"


@dataclass(frozen=True)
class Preset:
    """A park-coverage preset: which green serves and its size-class radii.

    ``clauses[i]`` cites the standard behind ``rules[i]`` and ``rule_confirmed[i]`` says
    whether its wording was checked against the standard's text; the preset is
    ``confirmed`` only when every rule is.
    """

    name: str
    title: str
    title_en: str
    source: str
    confirmed: bool
    green_classes: tuple[str, ...]
    pocket_parks: bool
    rules: tuple[SizeRule, ...]
    clauses: tuple[str, ...] = ()
    rule_confirmed: tuple[bool, ...] = ()

    @property
    def min_counted_area(self) -> float:
        """Smallest park (m²) that earns a radius outside historic streets."""
        sizes = [r.min_area for r in self.rules if not r.historic_only]
        return min(sizes) if sizes else float("inf")

    def describe(self, lang: str = "zh") -> str:
        """One line naming the rules in ``lang``, e.g. ``"≥5000 m² → 500 m; …"``.

        Examples
        --------
        >>> p = Preset("x", "", "", "", False, ("G11",), False, (SizeRule(500.0, 5000.0),))
        >>> p.describe("zh")
        'x【未经标准确认】: G11; ≥5000 m² → 500 m; 小于 5000 m² 的公园不计服务半径'
        >>> p.describe("en")
        'x (not confirmed): G11; ≥5000 m² → 500 m; parks under 5000 m² earn no radius'
        """
        en = lang == "en"
        parts = []
        for i, r in enumerate(self.rules):
            size = f"≥{r.min_area:g} m²"
            if np.isfinite(r.max_area):
                size = f"{r.min_area:g}–{r.max_area:g} m²"
            hist = ("" if not r.historic_only else
                    " (historic streets)" if en else "（历史街区）")
            flag = "" if i >= len(self.rule_confirmed) or self.rule_confirmed[i] else " [U]"
            parts.append(f"{size}{hist} → {r.radius:g} m{flag}")
        flag = "" if self.confirmed else " (not confirmed)" if en else "【未经标准确认】"
        floor = ""
        if self.min_counted_area > 0:
            floor = (f"; parks under {self.min_counted_area:g} m² earn no radius" if en else
                     f"; 小于 {self.min_counted_area:g} m² 的公园不计服务半径")
        return f"{self.name}{flag}: {', '.join(self.green_classes)}; " + "; ".join(parts) + floor


def _preset(name: str, raw: Any, path: Path) -> Preset:
    where = f"{path}: preset {name}"
    if not isinstance(raw, Mapping):
        raise ManifestError(f"{where}: must be a table")
    rules_raw = raw.get("rule")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise ManifestError(f"{where}: needs at least one [[preset.{name}.rule]]")
    rules, clauses, checked = [], [], []
    for i, r in enumerate(rules_raw, start=1):
        try:
            rules.append(
                SizeRule(
                    radius=float(r["radius_m"]),
                    min_area=float(r.get("min_area_m2", 0.0)),
                    max_area=float(r.get("max_area_m2", float("inf"))),
                    historic_only=bool(r.get("historic_only", False)),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ManifestError(f"{where}: rule {i}: needs a number radius_m ({e})") from e
        clauses.append(str(r.get("clause", "")))
        checked.append(bool(r.get("confirmed", raw.get("confirmed", False))))
    return Preset(
        name=name,
        title=str(raw.get("title", name)),
        title_en=str(raw.get("title_en", "")),
        source=str(raw.get("source", "")),
        confirmed=bool(raw.get("confirmed", True)) and all(checked),
        green_classes=tuple(str(c) for c in raw.get("green_classes", ())),
        pocket_parks=bool(raw.get("pocket_parks", True)),
        rules=tuple(rules),
        clauses=tuple(clauses),
        rule_confirmed=tuple(checked),
    )


def load_presets(extra: Path | None = None) -> dict[str, Preset]:
    """Read the built-in presets and, optionally, a project's own presets file over them.

    Parameters
    ----------
    extra : pathlib.Path, optional
        A TOML file in the same format (``[preset.<name>]`` with ``[[preset.<name>.rule]]``).

    Returns
    -------
    dict of str to Preset

    Raises
    ------
    ManifestError
        A file is missing or malformed; the message names the file and preset.

    Examples
    --------
    >>> load_presets()["garden_city"].confirmed
    False
    """
    presets: dict[str, Preset] = {}
    for path in (PRESETS_PATH, extra):
        if path is None:
            continue
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise ManifestError(f"{path}: coverage presets file not readable ({e})") from e
        except tomllib.TOMLDecodeError as e:
            raise ManifestError(f"{path}: not valid TOML: {e}") from e
        table = data.get("preset")
        if not isinstance(table, Mapping):
            raise ManifestError(f"{path}: no [preset.<name>] tables")
        for name, raw in table.items():
            presets[name] = _preset(name, raw, Path(path))
    return presets
