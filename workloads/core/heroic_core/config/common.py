"""Building blocks shared by every heroic.yml section: the base model, durations and groups.

Conventions (as upstream's Jackson config): camelCase keys on the wire, snake_case in Python,
unknown keys are errors. This module defines value types only; it never reads files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class ConfigModel(BaseModel):
    """Base of every config model: camelCase aliases, unknown keys forbidden, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    @model_serializer(mode="wrap")
    def _type_first(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Write the ``type`` discriminator first, as people write it in heroic.yml."""
        data = handler(self)
        if isinstance(data, dict) and "type" in data:
            return {"type": data["type"], **{k: v for k, v in data.items() if k != "type"}}
        return data


_DURATION_TEXT = re.compile(r"^(\d+)([a-zA-Z]*)$")
_UNIT_MILLIS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_UNIT_ALIASES = {"H": "h", "": "ms"}
_JAVA_TIME_UNITS = {
    "MILLISECONDS": "ms",
    "SECONDS": "s",
    "MINUTES": "m",
    "HOURS": "h",
    "DAYS": "d",
}


@dataclass(frozen=True, slots=True)
class Duration:
    """Upstream ``Duration``: ``"7d"``, ``"30s"``, ``"2w"`` (= 14d), a bare number of ms, or
    ``{"duration": n, "unit": "SECONDS"}``. Written back as ``"<n><unit>"``."""

    amount: int
    unit: str = "ms"

    SUFFIXES: ClassVar[tuple[str, ...]] = tuple(_UNIT_MILLIS)

    def __post_init__(self) -> None:
        if self.unit not in _UNIT_MILLIS:
            raise ValueError(f"invalid duration unit {self.unit!r}")
        if self.amount < 0:
            raise ValueError("duration must not be negative")

    @property
    def millis(self) -> int:
        """The duration in milliseconds."""
        return self.amount * _UNIT_MILLIS[self.unit]

    @property
    def seconds(self) -> float:
        return self.millis / 1000

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @classmethod
    def parse(cls, value: object) -> Duration:
        """Decode any of the upstream forms; raises ``ValueError`` with the reason."""
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool):
            raise ValueError("a duration must be a string like '30s', a number or an object")
        if isinstance(value, int):
            return cls(value, "ms")
        if isinstance(value, str):
            return cls._parse_text(value)
        if isinstance(value, dict):
            return cls._parse_object(value)
        raise ValueError("a duration must be a string like '30s', a number or an object")

    @classmethod
    def _parse_text(cls, text: str) -> Duration:
        match = _DURATION_TEXT.match(text)
        if match is None:
            raise ValueError(f"invalid duration: {text!r} (expected e.g. '500ms', '30s', '7d')")
        amount, unit = int(match.group(1)), match.group(2)
        if unit == "w":
            return cls(amount * 7, "d")
        unit = _UNIT_ALIASES.get(unit, unit)
        if unit not in _UNIT_MILLIS:
            raise ValueError(f"invalid unit ({unit}) in duration: {text!r}")
        return cls(amount, unit)

    @classmethod
    def _parse_object(cls, obj: dict[str, Any]) -> Duration:
        unknown = set(obj) - {"duration", "unit"}
        if unknown:
            raise ValueError(f"unknown duration keys: {sorted(unknown)}")
        amount = obj.get("duration")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("duration is not a numeric field")
        unit_name = obj.get("unit", "MILLISECONDS")
        unit = _JAVA_TIME_UNITS.get(str(unit_name).upper())
        if unit is None:
            raise ValueError(f"unsupported duration unit {unit_name!r}")
        return cls(amount, unit)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+(ms|s|m|h|H|d|w)?$"},
                {"type": "integer", "minimum": 0},
                {
                    "type": "object",
                    "properties": {"duration": {"type": "integer"}, "unit": {"type": "string"}},
                    "required": ["duration"],
                    "additionalProperties": False,
                },
            ],
            "description": "A duration such as '30s', '5m', '7d' (a bare number is ms)",
        }


def duration_default(text: str) -> Any:
    """A field default of ``Duration.parse(text)`` that JSON schemas show as ``text``."""
    return Field(default=Duration.parse(text), json_schema_extra={"default": text})


def _groups_before(value: object) -> object:
    if isinstance(value, str):
        return [value]
    return value


#: Upstream ``Groups``: a string or a list of strings.
Groups = Annotated[list[str], BeforeValidator(_groups_before)]

#: Upstream ``OptionalLimit``: a non-negative integer, or absent/null for "no limit".
OptionalLimit = Annotated[int | None, Field(ge=0)]


class BackendConfig(ConfigModel):
    """Fields every backend has: an optional ``id`` and the groups it belongs to.

    Subclasses set ``DEFAULT_GROUP``; an absent or empty ``groups`` becomes that one group.
    """

    DEFAULT_GROUP: ClassVar[str] = "default"

    id: str | None = None
    groups: Groups = Field(default_factory=list, validate_default=True)

    @field_validator("groups")
    @classmethod
    def _default_group(cls, value: list[str]) -> list[str]:
        return value or [cls.DEFAULT_GROUP]
