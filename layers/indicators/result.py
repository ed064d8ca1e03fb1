"""The record every output carries: one indicator for one zone (kept free of heavy imports).

:class:`IndicatorResult` is re-exported by :mod:`layers.indicators.engine`; reading cached
results (:mod:`layers.indicators.cache`) needs only this module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = ["IndicatorResult"]


@dataclass
class IndicatorResult:
    """One indicator for one zone: the record every output carries (architecture.md).

    The first fifteen fields are the public record; ``definition``, ``note`` and ``detail``
    follow (the metric's definition, why a value is missing, failing child zones...), then
    the annex's ``group`` (目标类型) and ``seq`` (序号), the English definition where the
    catalog gives one and the responsible departments' English names (``responsible_en``,
    from the catalog's ``[departments]``, separated by ``; ``) and the group's
    (``group_en``, from ``[groups]``).
    """

    indicator: str
    title: str
    title_en: str
    level: str
    zone_code: str
    zone_name: str
    value: float | int | str | None
    unit: str
    op: str | None
    target: float | None
    deadline: int | None
    status: str
    gap: float | None
    responsible: str
    source: str
    definition: str = ""
    note: str = ""
    detail: str = ""
    group: str = ""
    seq: int | None = None
    definition_en: str = ""
    responsible_en: str = ""
    group_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the record as a dict, public fields first.

        Every field holds a plain value (number, text or None), so no deep copy is needed
        (``dataclasses.asdict`` made one: 15× slower, seconds for a city's records). The
        instance's ``__dict__`` holds the fields in order (``__init__`` sets them so): it is
        copied as it is, else (an attribute added or deleted since) built field by field.
        """
        own = self.__dict__
        if tuple(own) == _FIELDS:
            return own.copy()
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(IndicatorResult))
