"""``services.fetch.find_series``: the distinct series every metadata backend found, in series
order, whether a backend answered in that order already or not."""

from __future__ import annotations

import pytest

from heroic_api.services.fetch import find_series
from heroic_core.backends.base import FindSeries
from heroic_core.filters import TRUE, Filter
from heroic_core.model import DateRange, Series

pytestmark = pytest.mark.anyio

A, B, C = (Series("k", {"host": name}) for name in "abc")
RANGE = DateRange(0, 1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Answering:
    """A metadata backend answering ``series`` as given."""

    def __init__(self, *series: Series) -> None:
        self.id = "fake"
        self.series = series

    async def find_series(self, filter: Filter, range: DateRange, limit: int | None) -> FindSeries:
        return FindSeries(self.series)


@pytest.mark.parametrize(
    "answer",
    [(A, B, C), (C, A, B), (A, B, B, C), (B, A, C, A), (A, A)],
    ids=["in order", "out of order", "repeated", "both", "one repeated"],
)
async def test_one_backend_gives_distinct_series_in_order(answer: tuple[Series, ...]) -> None:
    found = await find_series([_Answering(*answer)], TRUE, RANGE, None)  # type: ignore[list-item]
    assert list(found.series) == sorted(set(answer), key=Series.sort_key)


async def test_several_backends_give_the_union_in_order() -> None:
    backends = [_Answering(C, A), _Answering(B, A)]
    found = await find_series(backends, TRUE, RANGE, 2)  # type: ignore[arg-type]
    assert (found.series, found.limited) == ((A, B), True)
