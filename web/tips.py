"""Tooltip rows of map features: translated field names, translated codes, rounded values.

The same rules run in Python (inline layers) and in ``static/peakmap.js`` (layers loaded by
bounding box), which receives :func:`tip_config` as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from layers.labels import (
    BOOL_LABELS,
    PROPOSED_NAMES,
    VALUE_LABELS,
    field_label,
    field_unit,
    value_label,
)

__all__ = ["format_number", "tip_config", "tip_rows"]

# Fields holding years or identifiers: printed as they are, without thousands separators.
PLAIN_SUFFIXES = ("_year", "_code", "id", "code")


def format_number(value: float, *, plain: bool = False) -> str:
    """A number rounded for reading: no decimals from 100 on, else at most two.

    Examples
    --------
    >>> format_number(1234.5678), format_number(12.3456), format_number(0.5), format_number(2.0)
    ('1,235', '12.35', '0.5', '2')
    >>> format_number(1998.0, plain=True)
    '1998'
    """
    if plain:
        return str(int(value)) if float(value).is_integer() else str(value)
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _plain(field: str) -> bool:
    return field.endswith(PLAIN_SUFFIXES)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def tip_value(layer: str, field: str, value: Any, lang: str) -> str | None:
    """One value as shown in a tooltip (None when missing).

    Examples
    --------
    >>> tip_value("buildings", "floor_area_m2", 1234.5678, "zh")
    '1,235 m²'
    >>> tip_value("streetlights", "lamp_type", "MH", "en")
    'metal halide'
    >>> tip_value("buildings", "built_year", 1998.0, "zh")
    '1998'
    """
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_, str)):
        return value_label(layer, field, value, lang)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return None
        unit = field_unit(field, lang)
        text = format_number(v, plain=_plain(field))
        return f"{text} {unit}" if unit else text
    return str(value)


def tip_rows(frame: pd.DataFrame, layer: str, fields: Sequence[str], lang: str
             ) -> list[list[tuple[str, str | None]]]:
    """Per row of ``frame``: (translated field name, shown value) for each field present."""
    cols = [f for f in fields if f in frame.columns]
    labels = [field_label(f, lang) for f in cols]
    values = frame[cols].astype(object).to_numpy()
    return [[(lab, tip_value(layer, f, v, lang)) for lab, f, v in zip(labels, cols, row,
                                                                       strict=True)]
            for row in values]


def tip_config(layer: str, fields: Sequence[str], lang: str) -> dict[str, Any]:
    """What ``peakmap.js`` needs to write the same tooltips: labels, units, value names.

    ``prefixes``: per field, (stored, shown) starts of text values replaced as
    :func:`layers.labels.proposal_name` does (a proposed site's name on an English page).

    Examples
    --------
    >>> tip_config("proposal__pocket_parks", ["name"], "en")["prefixes"]["name"][2]
    ['拟建口袋公园 ', 'Proposed pocket park ']
    >>> tip_config("proposal__pocket_parks", ["name"], "zh")["prefixes"]
    {}
    """
    base = layer.split("__", 1)[-1]
    values: dict[str, dict[str, str]] = {}
    for f in fields:
        table = VALUE_LABELS.get((base, f), {})
        values[f] = {k: (en if lang == "en" else zh) for k, (zh, en) in
                     {**BOOL_LABELS, **table}.items()}
    return {
        "labels": {f: field_label(f, lang) for f in fields},
        "units": {f: field_unit(f, lang) for f in fields},
        "values": values,
        "plain": [f for f in fields if _plain(f)],
        "prefixes": ({"name": [[zh + " ", en + " "] for zh, en in PROPOSED_NAMES.values()]}
                     if lang == "en" and layer.startswith("proposal__") and "name" in fields
                     else {}),
    }
