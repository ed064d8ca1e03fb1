"""Field values on ingest: value maps, "no value" sentinels, types, coded values.

For each canonical field of a layer, in this order:

1. value maps: the manifest's ``[layers.<name>.values.<field>]`` (``"source" = "canonical"``),
   then the built-in spellings of :data:`layers.aliases.VALUE_ALIASES` (case and blanks
   ignored);
2. ``na_values``: source values the manifest declares as "no value"
   (``[layers.<name>.na_values] field = [0, "-"]``);
3. type conversion (:func:`gis.validate.coerce_column`) and the check of coded values: an
   unknown value stops the layer with a message listing the values found, with their
   counts, and the manifest lines that would map them;
4. default sentinels, because Shapefile (DBF) numbers cannot be null and deliveries write 0
   instead: a year field (``*_year``) that is 0 or outside 1800 … report year + 1, and a
   negative count, area or other quantity (and 0 floors, height or floor area), is read as
   missing.

Every value read as missing is counted and reported on the layer's build summary
(``renovated_year: 9 values 0 read as missing``); none is ever used as data.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gis import LayerValidationError
from gis.validate import GeometryReport, coerce_column, plain_value
from layers.aliases import VALUE_ALIASES
from layers.schema import FieldSpec, LayerSpec

__all__ = [
    "FIRST_YEAR",
    "MAX_LISTED_IDS",
    "MAX_LISTED_VALUES",
    "UnknownValuesError",
    "convert_fields",
    "geometry_notes",
    "split_landuse_code",
    "unknown_values_error",
]

FIRST_YEAR = 1800
# Distinct values named in a note or a message before "…".
MAX_LISTED_VALUES = 8
# Feature ids named in a build note (repaired, dropped) before "…".
MAX_LISTED_IDS = 50


class UnknownValuesError(LayerValidationError):
    """Coded values that are not canonical.

    ``str(error)`` is one line; ``manifest_lines`` are the TOML lines that would map them.
    """

    def __init__(self, message: str, manifest_lines: list[str]) -> None:
        super().__init__(message)
        self.manifest_lines = manifest_lines

    def with_lines(self) -> str:
        """The message followed by the manifest lines, indented (for the console)."""
        return "\n".join([str(self), *(f"    {line}" for line in self.manifest_lines)])


def _key(text: pd.Series) -> pd.Series:
    return text.str.strip().str.casefold()


def _apply_maps(
    text: pd.Series, maps: Sequence[Mapping[str, str]]
) -> tuple[pd.Series, pd.Series]:
    """Map ``text`` through each map in turn (first match wins); return (values, mapped)."""
    out = text.copy()
    done = pd.Series(False, index=text.index)
    keys = _key(text)
    for mapping in maps:
        if not mapping:
            continue
        lookup = {str(k).strip().casefold(): v for k, v in mapping.items()}
        hit = keys.map(lookup)
        use = hit.notna() & ~done
        out[use] = hit[use]
        done |= use
    return out, done


def _na_mask(raw: pd.Series, text: pd.Series, na_values: Sequence[str | int | float]) -> pd.Series:
    """Cells equal to one of ``na_values`` (as text, or as numbers when both are numbers)."""
    words = {str(v).strip() for v in na_values if isinstance(v, str)}
    numbers = [float(v) for v in na_values if not isinstance(v, str)]
    for w in list(words):
        with contextlib.suppress(ValueError):
            numbers.append(float(w))
    mask = text.isin(words).fillna(False)
    if numbers:
        num = pd.to_numeric(raw, errors="coerce") if raw.dtype == object else raw
        num = pd.to_numeric(num, errors="coerce").astype("Float64")
        mask |= num.isin(numbers).fillna(False)
    return mask.astype(bool)


def _counted(values: pd.Series) -> list[tuple[str, int]]:
    counts = values.value_counts(dropna=False)
    pairs = [(plain_value(v), int(n)) for v, n in counts.items()]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _counts_text(pairs: list[tuple[str, int]], *, unit: str = "value") -> str:
    parts = [f"{n} {unit}{'s' if n != 1 else ''} {v}" for v, n in pairs[:MAX_LISTED_VALUES]]
    if len(pairs) > MAX_LISTED_VALUES:
        parts.append("…")
    return ", ".join(parts)


def unknown_values_error(
    label: str, layer: str, spec: FieldSpec, found: list[tuple[str, int]], first: str = ""
) -> UnknownValuesError:
    """Message for coded values that are not canonical, with the manifest lines to map them.

    Parameters
    ----------
    label : str
        File and layer, as in every build message.
    layer : str
        Canonical layer name.
    spec : FieldSpec
        The coded field.
    found : list of (str, int)
        The unknown values (as found in the source, quoted) and their counts.
    first : str, optional
        Id of the first feature holding one.

    Returns
    -------
    UnknownValuesError
        One line naming the field, the allowed values and the values found with their
        counts; its ``manifest_lines`` are the TOML lines to paste into ``project.toml``
        (canonical values left empty for the planner to fill in).
    """
    allowed = (
        "one of " + ", ".join(spec.choices) if spec.choices is not None
        else f"a code matching {spec.pattern}" if spec.pattern else "a known value"
    )
    listed = ", ".join(f"{v} ({n})" for v, n in found[:MAX_LISTED_VALUES])
    if len(found) > MAX_LISTED_VALUES:
        listed += f", … ({len(found)} distinct values)"
    total = sum(n for _, n in found)
    where = f"{label}, field {spec.name}" + (f", feature {first}" if first else "")
    table = f"[layers.{layer}.values.{spec.name}]"
    message = (
        f"{where}: {total} value{'s' if total != 1 else ''} not {allowed}: {listed}; "
        f"map them in project.toml under {table}"
    )
    lines = [table]
    hint = f"  # {allowed}"
    for v, _ in found[:MAX_LISTED_VALUES]:
        text = v[1:-1] if len(v) >= 2 and v[0] == v[-1] == "'" else v
        lines.append(f'"{_toml_escape(text)}" = ""{hint}')
        hint = ""
    return UnknownValuesError(message, lines)


def _toml_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _check_coded(
    values: pd.Series, raw: pd.Series, spec: FieldSpec, label: str, layer: str, ids: pd.Series
) -> None:
    if spec.choices is None and spec.pattern is None:
        return
    present = values.notna()
    if spec.choices is not None:
        ok = values.isin(spec.choices).fillna(False)
    else:
        pattern = re.compile(str(spec.pattern))
        ok = values.map(lambda v: bool(pattern.match(str(v))), na_action="ignore")
        ok = ok.fillna(False).astype(bool)
    bad = present & ~ok
    if bad.any():
        found = _counted(raw.astype("string").str.strip()[bad])
        first = str(ids.iloc[int(np.flatnonzero(bad.to_numpy())[0])])
        raise unknown_values_error(label, layer, spec, found, first)


def _canonical_case(values: pd.Series, spec: FieldSpec) -> pd.Series:
    """``led`` → ``LED``, ``r2`` → ``R2``: case-insensitive match of coded values."""
    if spec.choices is not None:
        lookup = {c.casefold(): c for c in spec.choices}
        return values.map(lambda v: lookup.get(str(v).casefold(), v), na_action="ignore")
    if spec.pattern is not None:
        return values.str.upper()
    return values


def _sentinels(values: pd.Series, spec: FieldSpec, report_year: int) -> list[tuple[pd.Series, str]]:
    """Default sentinels of year and quantity fields: [(mask, reason shown or "")]."""
    if spec.type not in ("int", "float"):
        return []
    num = values.astype("Float64")
    if spec.role == "year":
        last = report_year + 1
        zero = (num == 0).fillna(False).astype(bool)
        outside = ((num < FIRST_YEAR) | (num > last)).fillna(False).astype(bool) & ~zero
        return [(zero, ""), (outside, f" (outside {FIRST_YEAR}…{last})")]
    if spec.positive:
        return [((num <= 0).fillna(False).astype(bool), " (not above 0)")]
    return [((num < 0).fillna(False).astype(bool), " (negative)")]


def convert_fields(
    frame: pd.DataFrame,
    spec: LayerSpec,
    *,
    ids: pd.Series,
    label: str,
    report_year: int,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    na_values: Mapping[str, Sequence[str | int | float]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Map, convert and check every canonical field of a layer (see the module notes).

    Parameters
    ----------
    frame : pandas.DataFrame
        The layer with canonical column names (geometry column untouched).
    spec : LayerSpec
        Its canonical spec.
    ids : pandas.Series
        Feature ids for messages, aligned by position with ``frame``.
    label : str
        File and layer, for messages.
    report_year : int
        Years after ``report_year + 1`` are read as missing.
    value_maps, na_values : mapping, optional
        The manifest's ``values`` and ``na_values`` tables of the layer.

    Returns
    -------
    (DataFrame, list of str)
        The converted layer and one note per field with values read as missing.

    Raises
    ------
    LayerValidationError
        A value does not convert, a coded value is unknown, a required value is empty, or
        ids repeat. The message names the file, layer, field and feature (or values).
    """
    value_maps = value_maps or {}
    na_values = na_values or {}
    out = frame.copy()
    notes: list[str] = []
    for f in spec.fields:
        if f.name not in out.columns:
            continue
        raw = out[f.name].reset_index(drop=True)
        text = raw.astype("string").str.strip()
        maps = [value_maps.get(f.name, {}), VALUE_ALIASES.get((spec.name, f.name), {})]
        mapped, hit = _apply_maps(text, maps)
        source = raw.astype(object).where(~hit, mapped.astype(object)) if hit.any() else raw
        declared = _na_mask(raw, text, na_values.get(f.name, ())) & ~hit
        col = coerce_column(
            source.mask(declared) if declared.any() else source, f.type, ids=ids, label=label,
            field_name=f.name,
        )
        if f.type == "str":
            col = _canonical_case(col, f).astype("string")
            _check_coded(col, raw, f, label, spec.name, ids)
        parts = []
        if declared.any():
            parts.append(f"{_counts_text(_counted(raw[declared]))} (na_values)")
        sentinel = pd.Series(False, index=col.index)
        for mask, reason in _sentinels(col, f, report_year):
            if mask.any():
                parts.append(f"{_counts_text(_counted(col[mask]))}{reason}")
                sentinel |= mask
        if sentinel.any():
            col = col.mask(sentinel)
        if parts:
            notes.append(f"{f.name}: {'; '.join(parts)} read as missing")
        empty = col.isna() & ~declared & ~sentinel
        if f.role == "year" and empty.any():
            notes.append(f"{f.name}: {int(empty.sum())} empty")
        col.index = out.index
        out[f.name] = col
        if f.required and not f.nullable and col.isna().any():
            pos = int(np.flatnonzero(col.isna().to_numpy())[0])
            raise LayerValidationError(
                f"{label}, field {f.name}, feature {ids.iloc[pos]}: required value is empty "
                f"({int(col.isna().sum())} empty)"
            )
    if spec.name == "landuse" and "code" in out.columns:
        out = split_landuse_code(out)
    if "id" in out.columns and spec.field("id") is not None:
        dup = out["id"].duplicated(keep=False) & out["id"].notna()
        if dup.any():
            raise LayerValidationError(
                f"{label}, field id, feature {out['id'][dup].iloc[0]}: id is not unique "
                f"({int(dup.sum())} features share ids)"
            )
    return out, notes


def split_landuse_code(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the GB 50137 major class in ``code`` and a finer class in ``subcode``.

    A delivery giving ``R2`` (or ``0701``, mapped to ``R``) in its code column yields
    ``code = "R"`` and, where it has no subcode of its own, ``subcode = "R2"``; the layer
    always has a ``subcode`` column afterwards (missing where unknown).

    Examples
    --------
    >>> out = split_landuse_code(pd.DataFrame({"code": ["R2", "E", "G1"],
    ...                                        "subcode": [None, "E1", "G12"]}))
    >>> out["code"].tolist(), out["subcode"].tolist()
    (['R', 'E', 'G'], ['R2', 'E1', 'G12'])
    """
    out = frame.copy()
    code = out["code"].astype("string")
    major = code.str.slice(0, 1)
    finer = code.where(code.str.len() > 1)
    sub = (
        out["subcode"].astype("string") if "subcode" in out.columns
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    out["code"] = major
    out["subcode"] = sub.fillna(finer)
    return out


def _ids(ids: list[str]) -> str:
    more = len(ids) - MAX_LISTED_IDS
    return ", ".join(ids[:MAX_LISTED_IDS]) + (f", … ({more} more)" if more > 0 else "")


def geometry_notes(geo: GeometryReport, kind: str) -> list[str]:
    """Build notes of what geometry repair did, each listing the features by id.

    Examples
    --------
    >>> geo = GeometryReport(repaired=1, dropped=3, repaired_ids=["g2"],
    ...                      dropped_ids=["a", "b", "c"], degenerate_ids=["a", "b"])
    >>> for note in geometry_notes(geo, "polygon"):
    ...     print(note)
    repaired 1 invalid geometry: g2
    dropped 2 zero-area polygons: a, b
    dropped 1 empty geometry: c
    """
    notes = []
    if geo.repaired:
        plural = "geometries" if geo.repaired != 1 else "geometry"
        notes.append(f"repaired {geo.repaired} invalid {plural}: {_ids(geo.repaired_ids)}")
    degenerate = set(geo.degenerate_ids)
    if degenerate:
        what = "zero-area polygon" if kind == "polygon" else "zero-length line"
        n = len(geo.degenerate_ids)
        notes.append(f"dropped {n} {what}{'s' if n != 1 else ''}: {_ids(geo.degenerate_ids)}")
    other = [i for i in geo.dropped_ids if i not in degenerate]
    if other:
        plural = "geometries" if len(other) != 1 else "geometry"
        notes.append(f"dropped {len(other)} empty {plural}: {_ids(other)}")
    return notes
