"""Contract of ``MetadataBackend``: filters, limits and ``limited``, count, delete, keys, tags."""

from __future__ import annotations

import pytest

from heroic_core.backends.base import MetadataBackend
from heroic_core.errors import HeroicError
from heroic_core.filters import Filter, HasTag, MatchKey, MatchTag, Not, Or, Regex, StartsWith
from heroic_core.model import Series
from tests.contract.support import SCOPE_TAG, WIDE_RANGE, Scope, write_all


class MetadataBackendContract:
    """Subclass and provide ``backend``; see ``tests/contract/__init__.py``."""

    pytestmark = pytest.mark.anyio

    #: Elasticsearch cannot evaluate regex filters (reference 9.1); it must then raise.
    supports_regex = True

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def backend(self) -> MetadataBackend:
        """Overridden by subclasses: an async generator yielding a fresh backend."""
        raise NotImplementedError("a contract subclass must provide the backend fixture")

    @pytest.fixture
    def scope(self) -> Scope:
        return Scope()

    async def settle(self, backend: MetadataBackend) -> None:
        """Wait until written series are searchable (no-op for consistent stores)."""

    async def populate(self, backend: MetadataBackend, scope: Scope) -> list[Series]:
        """Five series: two keys, roles db/web, hosts 1..3."""
        written = [
            scope.series("cpu", {"role": "db", "host": "db-1"}),
            scope.series("cpu", {"role": "db", "host": "db-2"}),
            scope.series("cpu", {"role": "web", "host": "web-1"}),
            scope.series("memory", {"role": "web", "host": "web-1"}),
            scope.series("memory", {"host": "lonely"}),
        ]
        await write_all(backend, written)
        await self.settle(backend)
        return written

    async def test_find_series_returns_every_match(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        written = await self.populate(backend, scope)
        found = await backend.find_series(scope.all, WIDE_RANGE)
        assert set(found.series) == set(written)
        assert found.limited is False

    @pytest.mark.parametrize(
        ("term", "expected_hosts"),
        [
            (MatchKey("memory"), {"web-1", "lonely"}),
            (MatchTag("role", "db"), {"db-1", "db-2"}),
            (HasTag("role"), {"db-1", "db-2", "web-1"}),
            (StartsWith("host", "web"), {"web-1"}),
            (Not(HasTag("role")), {"lonely"}),
            (Or((MatchTag("host", "db-1"), MatchTag("host", "lonely"))), {"db-1", "lonely"}),
        ],
        ids=["key", "tag", "has", "prefix", "not", "or"],
    )
    async def test_filters_select_series(
        self,
        backend: MetadataBackend,
        scope: Scope,
        term: Filter,
        expected_hosts: set[str],
    ) -> None:
        await self.populate(backend, scope)
        found = await backend.find_series(scope.where(term), WIDE_RANGE)
        assert {s.tags["host"] for s in found.series} == expected_hosts

    async def test_and_of_key_and_tag(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        found = await backend.find_series(
            scope.where(MatchKey("cpu"), MatchTag("role", "web")), WIDE_RANGE
        )
        assert [s.tags["host"] for s in found.series] == ["web-1"]

    async def test_regex_filter(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        term = scope.where(Regex("host", "db-[0-9]"))
        if not self.supports_regex:
            with pytest.raises(HeroicError):
                await backend.find_series(term, WIDE_RANGE)
            return
        found = await backend.find_series(term, WIDE_RANGE)
        assert {s.tags["host"] for s in found.series} == {"db-1", "db-2"}

    async def test_limit_truncates_and_flags_limited(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        written = await self.populate(backend, scope)
        found = await backend.find_series(scope.all, WIDE_RANGE, limit=2)
        assert len(found.series) == 2
        assert set(found.series) <= set(written)
        assert found.limited is True

    async def test_limit_equal_to_matches_is_not_limited(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        found = await backend.find_series(scope.all, WIDE_RANGE, limit=5)
        assert len(found.series) == 5
        assert found.limited is False

    async def test_writing_a_series_twice_stores_it_once(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        series = scope.series("cpu", {"host": "a"})
        await backend.write(series, WIDE_RANGE)
        await backend.write(series, WIDE_RANGE)
        await self.settle(backend)
        assert (await backend.find_series(scope.all, WIDE_RANGE)).series == (series,)

    async def test_unicode_series_round_trip(self, backend: MetadataBackend, scope: Scope) -> None:
        series = scope.series("température", {"sté": "☃ snow", "emoji": "😀"})
        await backend.write(series, WIDE_RANGE)
        await self.settle(backend)
        found = await backend.find_series(scope.where(MatchTag("sté", "☃ snow")), WIDE_RANGE)
        assert found.series == (series,)

    async def test_count_series(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        counted = await backend.count_series(scope.where(HasTag("role")), WIDE_RANGE)
        assert (counted.count, counted.limited) == (4, False)

    async def test_count_series_with_limit(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        counted = await backend.count_series(scope.all, WIDE_RANGE, limit=2)
        assert counted.count == 2
        assert counted.limited is True

    async def test_delete_series_removes_only_matches(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        deleted = await backend.delete_series(scope.where(MatchKey("memory")), WIDE_RANGE)
        await self.settle(backend)
        assert deleted == 2
        remaining = await backend.find_series(scope.all, WIDE_RANGE)
        assert {s.key for s in remaining.series} == {"cpu"}
        assert len(remaining.series) == 3

    async def test_find_keys(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        keys = await backend.find_keys(scope.all, WIDE_RANGE)
        assert sorted(keys.keys) == ["cpu", "memory"]
        assert keys.size == 2

    async def test_find_keys_with_filter(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        keys = await backend.find_keys(scope.where(MatchTag("role", "db")), WIDE_RANGE)
        assert list(keys.keys) == ["cpu"]

    async def test_find_tags(self, backend: MetadataBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        tags = await backend.find_tags(scope.where(MatchKey("cpu")), WIDE_RANGE)
        assert sorted(tags.tags["role"]) == ["db", "web"]
        assert sorted(tags.tags["host"]) == ["db-1", "db-2", "web-1"]
        assert set(tags.tags) == {"role", "host", SCOPE_TAG}
        assert tags.size == 3

    async def test_nothing_matches_in_an_empty_scope(
        self, backend: MetadataBackend, scope: Scope
    ) -> None:
        found = await backend.find_series(scope.all, WIDE_RANGE)
        assert found.series == ()
        assert (await backend.count_series(scope.all, WIDE_RANGE)).count == 0

    async def test_configure_is_idempotent(self, backend: MetadataBackend) -> None:
        await backend.configure()
        again = await backend.configure()
        assert again.created == ()
        assert await backend.is_ready()
