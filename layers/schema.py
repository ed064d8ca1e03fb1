"""Canonical layers: their names, geometry types and fields (architecture.md).

This table is a public contract: manifests name these layers and fields, the store holds
them under these names, and every theme module reads them by these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from layers.aliases import LANDUSE_CODE_PATTERN, VALUE_ALIASES

__all__ = ["CANONICAL", "VALUE_ALIASES", "FieldSpec", "LayerSpec", "layer_spec"]

FieldType = Literal["str", "int", "float", "bool"]
GeomKind = Literal["polygon", "line", "point"]


@dataclass(frozen=True)
class FieldSpec:
    """One canonical field: its name, type and whether it must be present.

    ``required`` fields must be mapped; their values must be set unless ``nullable``.
    ``choices`` and ``pattern`` restrict the values of coded text fields. A number below 0
    is read as "no value"; a ``positive`` one (floors, height, floor area) also at 0.
    """

    name: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] | None = None
    nullable: bool = False
    pattern: str | None = None
    positive: bool = False

    @property
    def role(self) -> Literal["year", "quantity", "text"]:
        """What "missing" looks like: ``year`` fields (``*_year``), ``quantity`` (numbers)."""
        if self.type in ("int", "float") and self.name.endswith("_year"):
            return "year"
        if self.type in ("int", "float"):
            return "quantity"
        return "text"


@dataclass(frozen=True)
class LayerSpec:
    """One canonical layer: its name, geometry kind and fields."""

    name: str
    geometry: GeomKind
    fields: tuple[FieldSpec, ...]
    title_zh: str
    title_en: str
    zone_level: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # a line layer that may also be delivered as polygons: their outlines are used
    outlines_of_polygons: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required fields."""
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> FieldSpec | None:
        """Return the spec of field ``name``, or None when the layer has no such field."""
        for f in self.fields:
            if f.name == name:
                return f
        return None


def _f(
    name: str,
    type_: FieldType,
    required: bool = False,
    choices: tuple[str, ...] | None = None,
    *,
    nullable: bool = False,
    pattern: str | None = None,
    positive: bool = False,
) -> FieldSpec:
    return FieldSpec(name, type_, required, choices, nullable, pattern, positive)


RECYCLING_KINDS = ("community_point", "transfer_station", "sorting_center", "two_network_point")
LAMP_TYPES = ("LED", "HPS", "MH", "other")
GREEN_CLASSES = ("G11", "G12", "G13", "G14", "G2", "G3", "XG", "EG")
# 自然保护地 categories (关于建立以国家公园为主体的自然保护地体系的指导意见, 2019)
RESERVE_CATEGORIES = ("national_park", "nature_reserve", "nature_park")

CANONICAL: dict[str, LayerSpec] = {
    s.name: s
    for s in (
        LayerSpec(
            "districts", "polygon", (_f("code", "str", True), _f("name", "str", True)),
            "区", "Districts", zone_level="district",
        ),
        LayerSpec(
            "streets", "polygon",
            (_f("code", "str", True), _f("name", "str", True), _f("district_code", "str", True)),
            "街道", "Streets", zone_level="street",
        ),
        LayerSpec(
            "communities", "polygon",
            (
                _f("code", "str", True), _f("name", "str", True), _f("street_code", "str", True),
                _f("households", "int"), _f("population", "int"),
                _f("green_community", "bool"), _f("waste_sorting", "bool"),
            ),
            "社区", "Communities", zone_level="community",
        ),
        LayerSpec(
            "landuse", "polygon",
            (
                _f("code", "str", True, pattern=LANDUSE_CODE_PATTERN.pattern),
                _f("subcode", "str"), _f("built_up", "bool"),
            ),
            "用地", "Land use",
        ),
        LayerSpec(
            "buildings", "polygon",
            (
                _f("id", "str", True), _f("use", "str", True), _f("floors", "float", positive=True),
                _f("height_m", "float", positive=True), _f("built_year", "int"),
                _f("floor_area_m2", "float", positive=True),
                _f("retrofit_year", "int"), _f("public_institution", "bool"),
                _f("green_building", "str"), _f("prefab", "bool"), _f("five_step", "bool"),
                _f("large_mall", "bool"), _f("green_mall", "bool"),
                _f("thrifty_agency", "bool"), _f("pv_area_m2", "float"),
                _f("households", "int"),
                _f("roof_shape", "str", False, ("flat", "gable", "hip")),
                _f("roof_pitch_deg", "float"), _f("protected", "bool"),
            ),
            "建筑", "Buildings",
        ),
        LayerSpec(
            "green_spaces", "polygon",
            (
                _f("id", "str", True), _f("class", "str", True, GREEN_CLASSES),
                _f("name", "str"), _f("built_year", "int"), _f("renovated_year", "int"),
                _f("public_access", "bool"),
            ),
            "绿地", "Green spaces",
        ),
        LayerSpec(
            "pocket_parks", "polygon",
            (
                _f("id", "str", True), _f("name", "str"), _f("built_year", "int"),
                _f("status", "str", False, ("existing", "planned")),
            ),
            "口袋公园", "Pocket parks",
        ),
        LayerSpec(
            "sponge_zones", "polygon",
            (
                _f("id", "str", True), _f("compliant", "bool", True), _f("name", "str"),
                _f("runoff_control_rate", "float"), _f("target_rate", "float"),
                _f("completed_year", "int"),
            ),
            "海绵城市分区", "Sponge-city drainage zones",
        ),
        LayerSpec(
            "recycling_points", "point",
            (
                _f("id", "str", True), _f("kind", "str", True, RECYCLING_KINDS),
                _f("name", "str"), _f("community_code", "str"), _f("opened_year", "int"),
                _f("status", "str"),
            ),
            "再生资源回收点", "Recycling points",
        ),
        LayerSpec(
            "heating_pipes", "line",
            (
                _f("id", "str", True), _f("install_year", "int", True, nullable=True),
                _f("network", "str", False, ("primary", "secondary")),
                _f("diameter_mm", "float"), _f("renovated_year", "int"),
                _f("loss_w_per_m", "float"),
            ),
            "供热管网", "Heating pipes",
        ),
        LayerSpec(
            "streetlights", "point",
            (
                _f("id", "str", True), _f("lamp_type", "str", True, LAMP_TYPES),
                _f("power_w", "float"), _f("street_code", "str"),
            ),
            "路灯", "Street lights",
        ),
        LayerSpec(
            "facilities", "point",
            (_f("id", "str", True), _f("type", "str", True), _f("name", "str")),
            "社区服务设施", "Community facilities",
        ),
        LayerSpec(
            "forest", "polygon",
            (
                _f("id", "str", True), _f("name", "str"), _f("kind", "str"),
                _f("canopy_cover", "float"),
            ),
            "林地/森林", "Forest",
        ),
        LayerSpec(
            "nature_reserves", "polygon",
            (
                _f("id", "str", True), _f("name", "str"),
                _f("category", "str", False, RESERVE_CATEGORIES), _f("level", "str"),
                _f("established_year", "int"),
            ),
            "自然保护地", "Nature reserves",
        ),
        LayerSpec(
            "shorelines", "line",
            (_f("id", "str", True), _f("natural", "bool", True, nullable=True), _f("kind", "str"),
             _f("name", "str")),
            "岸线", "Shorelines", outlines_of_polygons=True,
        ),
        LayerSpec(
            "roads", "line",
            (_f("id", "str", True), _f("class", "str"), _f("walkable", "bool"), _f("name", "str")),
            "道路", "Roads",
        ),
    )
}


def layer_spec(name: str) -> LayerSpec | None:
    """Return the canonical spec of layer ``name``, or None when it is not canonical.

    Examples
    --------
    >>> layer_spec("streets").required
    ('code', 'name', 'district_code')
    >>> layer_spec("rivers") is None
    True
    """
    return CANONICAL.get(name)
