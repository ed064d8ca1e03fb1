"""The shared translation table (layers/labels.py): every value list of the schema covered."""

from __future__ import annotations

import pytest

from layers.labels import (
    STATUS_LABELS,
    VALUE_LABELS,
    field_label,
    note_label,
    status_label,
    unit_label,
    value_label,
)
from layers.schema import CANONICAL, VALUE_ALIASES

SCHEMA_CODES = sorted({(layer.name, f.name, code) for layer in CANONICAL.values()
                       for f in layer.fields for code in (f.choices or ())})


@pytest.mark.parametrize(("layer", "field", "code"), SCHEMA_CODES)
def test_every_schema_code_has_both_languages(layer: str, field: str, code: str) -> None:
    zh, en = VALUE_LABELS[(layer, field)][code]
    assert zh != code and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
    assert en and value_label(layer, field, code, "en") == en
    assert value_label(layer, field, code, "zh") == zh


def test_aliases_of_the_schema_translate_back_to_their_chinese() -> None:
    # The ingest maps 高压钠灯 → HPS; the label of HPS is 高压钠灯 again.
    assert VALUE_ALIASES[("streetlights", "lamp_type")]["高压钠灯"] == "HPS"
    assert value_label("streetlights", "lamp_type", "HPS", "zh") == "高压钠灯"
    assert value_label("heating_pipes", "network", "primary", "zh") == "一级管网"


def test_statuses_booleans_units_fields_notes() -> None:
    assert [status_label(s, "zh") for s in STATUS_LABELS] == ["达标", "未达标", "无定量目标",
                                                              "无数据"]
    assert status_label("fail", "en") == "not met"
    assert value_label("communities", "green_community", False, "zh") == "否"
    assert value_label("buildings", "use", "unknown-use", "zh") == "unknown-use"
    assert unit_label("个", "en") == "count" and unit_label("m²", "zh") == "m²"
    assert field_label("runoff_control_rate", "zh") == "年径流总量控制率"
    assert note_label("no value for HP-05 up to 2025 in reported.csv", "zh") == (
        "reported.csv 中没有 HP-05 截至 2025 年的填报值")
    assert note_label("area_share: layer forest is not in the store", "zh") == (
        "数据库中没有图层 forest")
    assert note_label("预设 preset gbt51346", "zh") == "预设 preset gbt51346"


def test_every_packaged_row_has_its_definition_in_english() -> None:
    # The English page shows definition_en; a row without one showed its Chinese text there.
    from pathlib import Path

    from layers.indicators.catalog import read_catalog

    catalog = read_catalog(Path(__file__).resolve().parent.parent / "layers" / "catalogs"
                           / "targets.toml")
    assert len(catalog.indicators) > 60  # targets.toml with its includes
    missing = [s.id for s in catalog.indicators if s.definition and not s.definition_en]
    assert missing == []
    for s in catalog.indicators:
        assert s.title_en and not any("\u4e00" <= ch <= "\u9fff" for ch in s.definition_en), s.id
