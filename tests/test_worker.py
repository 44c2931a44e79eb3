"""motcua.worker.EventWorker: the one thread of the pad and keypad agents."""

from __future__ import annotations

import logging
import threading

import pytest
from conftest import SteppedMonotonic
from waiting import wait_until

from motcua.worker import EventWorker


class Recorder:
    """A turn that records what it was given (and can be told to fail once)."""

    def __init__(self) -> None:
        self.turns: list[tuple[list[int], bool]] = []
        self.fail_on: int | None = None
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, events: list[int], stopping: bool) -> None:
        self.gate.wait(5)
        self.turns.append((list(events), stopping))
        if self.fail_on is not None and self.fail_on in events:
            raise RuntimeError("a bug in one turn")

    def events(self) -> list[int]:
        return [event for events, _ in self.turns for event in events]


def test_worker_takes_every_waiting_event_in_one_turn_in_order() -> None:
    turn = Recorder()
    worker: EventWorker[int] = EventWorker("test-worker", turn, timeout=lambda: 5.0)
    turn.gate.clear()  # the worker is held inside its first turn while events pile up
    worker.start()
    worker.put(0)
    wait_until(lambda: worker._queue.empty())
    for event in range(1, 101):
        worker.put(event)
    turn.gate.set()
    wait_until(lambda: turn.events() == list(range(101)))
    assert turn.turns[1] == (list(range(1, 101)), False)  # the hundred waiting events: one turn
    worker.stop(join_s=5)


def test_worker_max_batch_cuts_a_burst_into_turns() -> None:
    turn = Recorder()
    worker: EventWorker[int] = EventWorker("test-worker", turn, timeout=lambda: 5.0, max_batch=30)
    for event in range(100):
        worker.put(event)
    worker.start()
    wait_until(lambda: turn.events() == list(range(100)))
    assert [len(events) for events, _ in turn.turns[:4]] == [30, 30, 30, 10]
    worker.stop(join_s=5)


def test_worker_turns_without_events_after_its_timeout() -> None:
    turn = Recorder()
    worker: EventWorker[int] = EventWorker("test-worker", turn, timeout=lambda: 0.01)
    worker.start()
    wait_until(lambda: len(turn.turns) >= 3)  # time-driven work (a hold, a resend) needs no event
    assert all(events == [] for events, _ in turn.turns[:3])
    worker.stop(join_s=5)


def test_worker_carries_on_after_a_failing_turn(caplog: pytest.LogCaptureFixture) -> None:
    turn = Recorder()
    turn.fail_on = 1
    worker: EventWorker[int] = EventWorker("test-worker", turn, timeout=lambda: 5.0)
    worker.start()
    with caplog.at_level(logging.ERROR, logger="motcua.worker"):
        worker.put(1)
        wait_until(lambda: 1 in turn.events())
        worker.put(2)
        wait_until(lambda: 2 in turn.events())
    assert "test-worker error; carrying on" in caplog.text
    worker.stop(join_s=5)


def test_worker_stop_finishes_the_events_already_put_then_ends() -> None:
    turn = Recorder()
    worker: EventWorker[int] = EventWorker("test-worker", turn, timeout=lambda: 5.0)
    worker.stop(join_s=1)  # before start: nothing to stop
    turn.gate.clear()
    worker.start()
    worker.put(1)
    worker.put(2)
    threading.Timer(0.05, turn.gate.set).start()
    worker.stop(join_s=5)
    assert turn.events() == [1, 2]
    assert turn.turns[-1][1] is True  # the last turn knows the worker is stopping (the pad sends nothing then)
    count = len(turn.turns)
    worker.put(3)
    worker.stop(join_s=1)  # twice: nothing happens
    assert len(turn.turns) == count


def test_worker_housekeeping_runs_on_its_own_schedule(monotonic: SteppedMonotonic) -> None:
    turn = Recorder()
    done: list[float] = []
    worker: EventWorker[int] = EventWorker(
        "test-worker",
        turn,
        timeout=lambda: 0.01,
        housekeeping=lambda: done.append(monotonic()),
        housekeeping_every_s=30.0,
        monotonic=monotonic,
    )
    worker.start()
    wait_until(lambda: len(turn.turns) >= 5)
    assert done == []
    monotonic.advance(31.0)
    wait_until(lambda: len(done) == 1)
    wait_until(lambda: len(turn.turns) >= len(turn.turns) + 3 or len(turn.turns) > 20)
    assert len(done) == 1  # not again until another 30 s have passed
    worker.stop(join_s=5)
