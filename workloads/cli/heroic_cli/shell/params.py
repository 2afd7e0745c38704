"""Extra parameters (``-X key=value`` and ``-X flag``), as upstream's ``ExtraParameters``:
profile parameters are scoped (``bigtable.project``), a few are global (``configure``,
``<backend type>.configure``, ``ingestion.filter``). Every key given must be one some chosen
profile or the shell knows; a wrong one is a usage error naming it and the valid keys."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from heroic_cli.shell.errors import UsageError, unknown
from heroic_core.config.common import Duration

#: Keys every shell accepts, whatever its profiles.
GLOBAL_KEYS = {
    "configure": "configure every backend when the shell starts",
    "bigtable.configure": "configure Bigtable backends at start",
    "datastax.configure": "create the Cassandra keyspace and table at start",
    "elasticsearch.configure": "put the Elasticsearch index templates at start",
    "ingestion.filter": "an HQL filter writes must match (write, load tasks)",
}
_TRUE = {"", "true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True, slots=True)
class Parameter:
    """One profile parameter: ``metavar`` None means a flag (``-X scope.name``)."""

    name: str
    help: str
    metavar: str | None = None


class ExtraParameters:
    """The ``-X`` values given, by full key."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    @classmethod
    def parse(cls, items: Iterable[str]) -> ExtraParameters:
        values: dict[str, str] = {}
        for item in items:
            key, _, value = item.partition("=")
            key = key.strip()
            if not key:
                raise UsageError(f"-X {item!r}: a parameter needs a name (-X key=value or -X key)")
            values[key] = value
        return cls(values)

    def check(self, known: Iterable[str]) -> None:
        """A usage error for the first key nothing accepts."""
        allowed = set(known) | set(GLOBAL_KEYS)
        for key in self.values:
            if key not in allowed:
                raise unknown("parameter -X", key, allowed)

    def scope(self, scope: str) -> Scoped:
        prefix = f"{scope}."
        return Scoped(
            scope, {k[len(prefix) :]: v for k, v in self.values.items() if k.startswith(prefix)}
        )

    def flag(self, key: str) -> bool:
        return _boolean(key, self.values[key]) if key in self.values else False


def _boolean(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise UsageError(f"-X {key}={value}: not a boolean (true or false)")


@dataclass(frozen=True, slots=True)
class Scoped:
    """The parameters of one profile's scope, with typed getters naming the key on error."""

    scope: str
    values: dict[str, str]

    def key(self, name: str) -> str:
        return f"{self.scope}.{name}"

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def flag(self, name: str) -> bool:
        return _boolean(self.key(name), self.values[name]) if name in self.values else False

    def boolean(self, name: str) -> bool | None:
        return _boolean(self.key(name), self.values[name]) if name in self.values else None

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise UsageError(f"-X {self.key(name)}={value}: not an integer") from None

    def duration(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        try:
            Duration.parse(value)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"-X {self.key(name)}={value}: {exc}") from None
        return value

    def items(self, name: str) -> list[str] | None:
        """A comma-separated list (``seeds=a,b``)."""
        value = self.values.get(name)
        if value is None:
            return None
        parts = [p.strip() for p in re.split(r",", value) if p.strip()]
        if not parts:
            raise UsageError(f"-X {self.key(name)}: an empty list")
        return parts

    def choice(self, name: str, choices: Iterable[str], default: str) -> str:
        value = self.values.get(name, default)
        valid = list(choices)
        if value not in valid:
            raise UsageError(f"-X {self.key(name)}={value}: must be one of {', '.join(valid)}")
        return value
