"""Contract of ``SuggestBackend``: the five suggest operations, their limits and matching.

Scores are store-specific; the suite checks which suggestions come back, their order where
upstream defines one, and the ``limited`` flags.
"""

from __future__ import annotations

import pytest

from heroic_core.backends.base import SuggestBackend
from heroic_core.filters import MatchKey, MatchTag
from heroic_core.model import Series
from tests.contract.support import SCOPE_TAG, WIDE_RANGE, Scope, write_all


class SuggestBackendContract:
    """Subclass and provide ``backend``; see ``tests/contract/__init__.py``."""

    pytestmark = pytest.mark.anyio

    @pytest.fixture
    def anyio_backend(self) -> str:
        return "asyncio"

    @pytest.fixture
    def backend(self) -> SuggestBackend:
        """Overridden by subclasses: an async generator yielding a fresh backend."""
        raise NotImplementedError("a contract subclass must provide the backend fixture")

    @pytest.fixture
    def scope(self) -> Scope:
        return Scope()

    async def settle(self, backend: SuggestBackend) -> None:
        """Wait until written series are searchable (no-op for consistent stores)."""

    async def populate(self, backend: SuggestBackend, scope: Scope) -> list[Series]:
        written = [
            scope.series("system.cpu", {"role": "database", "host": "db-1", "site": "lon"}),
            scope.series("system.cpu", {"role": "database", "host": "db-2", "site": "sto"}),
            scope.series("system.memory", {"role": "webserver", "host": "web-1", "site": "lon"}),
            scope.series("app.requests", {"role": "webserver", "host": "web-2"}),
        ]
        await write_all(backend, written)
        await self.settle(backend)
        return written

    # --- tag-suggest ----------------------------------------------------------------------

    async def test_tag_suggest_by_key_prefix(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, key="ro")
        assert {(s.key, s.value) for s in result.suggestions} == {
            ("role", "database"),
            ("role", "webserver"),
        }

    async def test_tag_suggest_by_key_and_value(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, key="role", value="web")
        assert [(s.key, s.value) for s in result.suggestions] == [("role", "webserver")]

    async def test_tag_suggest_by_word_inside_value(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, value="db")
        assert {s.value for s in result.suggestions} == {"db-1", "db-2"}

    async def test_tag_suggest_exact_match_ranks_first(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, key="host", value="db-1")
        assert (result.suggestions[0].key, result.suggestions[0].value) == ("host", "db-1")
        scores = [s.score for s in result.suggestions]
        assert scores == sorted(scores, reverse=True)

    async def test_tag_suggest_respects_limit(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, limit=1, key="host")
        assert len(result.suggestions) == 1

    async def test_tag_suggest_without_match_is_empty(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_suggest(scope.all, WIDE_RANGE, key="zzqx")
        assert result.suggestions == ()

    async def test_tag_suggest_keeps_tags_of_every_series(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        # role=database was written by db-1 and then db-2: filtering on db-1 must still find it.
        result = await backend.tag_suggest(
            scope.where(MatchTag("host", "db-1")), WIDE_RANGE, key="role"
        )
        assert [(s.key, s.value) for s in result.suggestions] == [("role", "database")]

    # --- key-suggest ----------------------------------------------------------------------

    async def test_key_suggest_by_prefix(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.key_suggest(scope.all, WIDE_RANGE, key="sys")
        assert {s.key for s in result.suggestions} == {"system.cpu", "system.memory"}

    async def test_key_suggest_by_word(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.key_suggest(scope.all, WIDE_RANGE, key="mem")
        assert [s.key for s in result.suggestions] == ["system.memory"]

    async def test_key_suggest_honours_filter_and_limit(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        filtered = await backend.key_suggest(
            scope.where(MatchTag("site", "sto")), WIDE_RANGE, key="system"
        )
        assert [s.key for s in filtered.suggestions] == ["system.cpu"]
        limited = await backend.key_suggest(scope.all, WIDE_RANGE, limit=1, key="system")
        assert len(limited.suggestions) == 1

    # --- tag-value-suggest ----------------------------------------------------------------

    async def test_tag_value_suggest_lists_sorted_values(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_value_suggest(scope.all, WIDE_RANGE, key="host")
        assert result.values == ("db-1", "db-2", "web-1", "web-2")
        assert result.limited is False

    async def test_tag_value_suggest_limit(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_value_suggest(scope.all, WIDE_RANGE, limit=2, key="host")
        assert result.values == ("db-1", "db-2")
        assert result.limited is True

    async def test_tag_value_suggest_with_filter(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_value_suggest(
            scope.where(MatchKey("system.cpu")), WIDE_RANGE, key="site"
        )
        assert result.values == ("lon", "sto")

    # --- tag-values-suggest ---------------------------------------------------------------

    async def test_tag_values_suggest_groups_values_by_key(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_values_suggest(scope.all, WIDE_RANGE, exclude=[SCOPE_TAG])
        by_key = {s.key: s.values for s in result.suggestions}
        assert by_key == {
            "host": ("db-1", "db-2", "web-1", "web-2"),
            "role": ("database", "webserver"),
            "site": ("lon", "sto"),
        }
        assert result.suggestions[0].key == "host"
        assert result.limited is False

    async def test_tag_values_suggest_group_limit(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_values_suggest(
            scope.all, WIDE_RANGE, group_limit=2, exclude=[SCOPE_TAG]
        )
        by_key = {s.key: s for s in result.suggestions}
        assert len(by_key["host"].values) == 2
        assert by_key["host"].limited is True
        assert by_key["site"].limited is False

    async def test_tag_values_suggest_exclude(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_values_suggest(
            scope.all, WIDE_RANGE, exclude=[SCOPE_TAG, "host", "site"]
        )
        assert [s.key for s in result.suggestions] == ["role"]

    async def test_tag_values_suggest_limit(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tag_values_suggest(
            scope.all, WIDE_RANGE, limit=1, exclude=[SCOPE_TAG]
        )
        assert len(result.suggestions) == 1
        assert result.limited is True

    # --- tagkey-count ---------------------------------------------------------------------

    async def test_tagkey_count(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tagkey_count(scope.all, WIDE_RANGE)
        counts = {s.key: s.count for s in result.suggestions}
        assert counts == {"host": 4, "role": 2, "site": 2, SCOPE_TAG: 1}
        exact = {s.key: s.exact_values for s in result.suggestions}
        assert exact["site"] == ("lon", "sto")
        assert result.limited is False

    async def test_tagkey_count_exact_values_only_when_few(
        self, backend: SuggestBackend, scope: Scope
    ) -> None:
        await self.populate(backend, scope)
        result = await backend.tagkey_count(scope.all, WIDE_RANGE, exact_limit=3)
        exact = {s.key: s.exact_values for s in result.suggestions}
        assert exact["host"] is None
        assert exact["role"] == ("database", "webserver")

    async def test_tagkey_count_limit(self, backend: SuggestBackend, scope: Scope) -> None:
        await self.populate(backend, scope)
        result = await backend.tagkey_count(scope.all, WIDE_RANGE, limit=2)
        assert len(result.suggestions) == 2
        assert result.limited is True

    # --- indexing -------------------------------------------------------------------------

    async def test_resource_is_not_indexed(self, backend: SuggestBackend, scope: Scope) -> None:
        await backend.write(scope.series("k", {"a": "1"}, {"pod": "p-1"}), WIDE_RANGE)
        await self.settle(backend)
        result = await backend.tagkey_count(scope.all, WIDE_RANGE)
        assert {s.key for s in result.suggestions} == {"a", SCOPE_TAG}

    async def test_configure_is_idempotent(self, backend: SuggestBackend) -> None:
        await backend.configure()
        again = await backend.configure()
        assert again.created == ()
        assert await backend.is_ready()
