"""The work queue: coalescing, no concurrent reconciles of one key, requeue rules."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from heroic_operator.errors import DependencyNotReady, InvalidSpec, PermanentError, TemporaryError
from heroic_operator.process.controller import Controller


@dataclass
class Result:
    requeue_after: float | None = None
    found: bool = True


class Recorder:
    def __init__(self, outcome: object = None, hold: float = 0.0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.active = 0
        self.max_active = 0
        self.outcome = outcome
        self.hold = hold

    async def __call__(self, namespace: str, name: str) -> Result:
        self.calls.append((namespace, name))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        await asyncio.sleep(self.hold)
        self.active -= 1
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome if isinstance(self.outcome, Result) else Result()


async def run(controller: Controller, seconds: float) -> None:
    controller.start()
    controller.set_active(True)
    await asyncio.sleep(seconds)
    await controller.stop()


def test_events_for_one_key_coalesce_and_never_overlap() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder(hold=0.05)
        controller = Controller(recorder, workers=4, resync=60)
        controller.start()
        controller.set_active(True)
        for _ in range(10):
            controller.enqueue(("ns", "a"))
        await asyncio.sleep(0.01)
        for _ in range(10):
            controller.enqueue(("ns", "a"))
        await asyncio.sleep(0.3)
        await controller.stop()
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.calls == [("ns", "a"), ("ns", "a")]
    assert recorder.max_active == 1


def test_different_keys_run_in_parallel() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder(hold=0.1)
        controller = Controller(recorder, workers=4, resync=60)
        for name in "abcd":
            controller.enqueue(("ns", name))
        await run(controller, 0.15)
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.max_active == 4


def test_inactive_controller_does_not_reconcile_until_it_leads() -> None:
    async def scenario() -> tuple[int, int]:
        recorder = Recorder()
        controller = Controller(recorder, workers=2, resync=60)
        controller.start()
        controller.enqueue(("ns", "a"))
        await asyncio.sleep(0.05)
        before = len(recorder.calls)
        controller.set_active(True)
        await asyncio.sleep(0.05)
        await controller.stop()
        return before, len(recorder.calls)

    assert asyncio.run(scenario()) == (0, 1)


@pytest.mark.parametrize(
    ("outcome", "expected_delay"),
    [
        (Result(), 60.0),
        (Result(requeue_after=5.0), 5.0),
        (DependencyNotReady("missing", "SecretNotFound", delay=30.0), 30.0),
        (InvalidSpec("bad"), 60.0),
        (RuntimeError("boom"), 2.0),
    ],
    ids=["ok-resync", "requested", "temporary", "permanent-resync", "crash-backoff"],
)
def test_requeue_delay(outcome: object, expected_delay: float) -> None:
    async def scenario() -> float:
        controller = Controller(Recorder(outcome), workers=1, resync=60, jitter=0.0)
        controller.enqueue(("ns", "a"))
        controller.start()
        controller.set_active(True)
        await asyncio.sleep(0.05)
        due = controller._timers[("ns", "a")][0] - asyncio.get_running_loop().time()
        await controller.stop()
        return due

    assert asyncio.run(scenario()) == pytest.approx(expected_delay, abs=0.2)


def test_a_deleted_cluster_is_forgotten() -> None:
    async def scenario() -> Controller:
        controller = Controller(Recorder(Result(found=False)), workers=1, resync=60)
        controller.enqueue(("ns", "a"))
        await run(controller, 0.05)
        return controller

    controller = asyncio.run(scenario())
    assert ("ns", "a") not in controller.known
    assert controller._timers == {}


def test_errors_carry_the_queues_retry_semantics() -> None:
    missing = DependencyNotReady("x", "r", delay=7.0)
    assert isinstance(missing, TemporaryError)
    assert missing.delay == 7.0
    assert isinstance(InvalidSpec("x"), PermanentError)
    assert not isinstance(InvalidSpec("x"), TemporaryError)


def test_a_reconcile_now_drops_the_pending_one_it_makes_redundant() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder()
        controller = Controller(recorder, workers=2, resync=60)
        controller.start()
        controller.set_active(True)
        controller.enqueue(("ns", "a"), 0.1)  # a child's news, waiting for more
        controller.enqueue(("ns", "a"))  # news that cannot wait: reconciled at once
        await asyncio.sleep(0.3)  # past the first request's time
        await controller.stop()
        return recorder

    assert asyncio.run(scenario()).calls == [("ns", "a")]
