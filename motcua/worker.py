"""The worker thread of a device agent (the pad, the keypad): one thread owns the agent's state.

gpiozero's callbacks and the MQTT dispatch thread only stamp an event and `put` it; the worker takes every waiting
event in one turn, so a burst (a button storm, a reconnect) is handled in a few large turns instead of one by one.
A turn that raises is logged and the worker carries on: a bug in one event must not leave a device dead on the
wall. `stop` lets the worker finish the events already taken, then ends it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

E = TypeVar("E")


class _Stop:
    pass


class EventWorker(Generic[E]):
    """Runs ``turn(events, stopping)`` on its own thread for every batch of events `put` from other threads.

    - ``timeout()``: how long to wait for an event when none is waiting (seconds; the turn then runs with no
      events, so time-driven work — a hold, a resend, a light that changes — happens without an event).
    - ``max_batch``: at most this many events per turn (None: all that are waiting).
    - ``housekeeping`` runs between turns at most every ``housekeeping_every_s`` (on ``monotonic``'s clock).
    """

    def __init__(
        self,
        name: str,
        turn: Callable[[list[E], bool], None],
        *,
        timeout: Callable[[], float],
        max_batch: int | None = None,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_every_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._turn = turn
        self._timeout = timeout
        self._max_batch = max_batch
        self._housekeeping = housekeeping
        self._housekeeping_every_s = housekeeping_every_s
        self._monotonic = monotonic
        self._queue: queue.Queue[E | _Stop] = queue.Queue()
        self._thread: threading.Thread | None = None

    def put(self, event: E) -> None:
        """Hand an event to the worker (any thread; never blocks)."""
        self._queue.put(event)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, join_s: float) -> None:
        """Let the worker finish the events put before this call (their turn gets ``stopping=True``), then end it.
        Waits at most `join_s`. Safe twice, and before `start`."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_Stop())
        thread.join(join_s)
        self._thread = None

    def _take(self) -> list[E | _Stop]:
        try:
            batch: list[E | _Stop] = [self._queue.get(timeout=max(0.0, self._timeout()))]
        except queue.Empty:
            batch = []
        while self._max_batch is None or len(batch) < self._max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        last_housekeeping = self._monotonic()
        while True:
            batch = self._take()
            events = [event for event in batch if not isinstance(event, _Stop)]
            stopping = len(events) != len(batch)
            try:
                self._turn(events, stopping)
            except Exception:
                logger.exception("%s error; carrying on", self.name)
            if stopping:
                return
            if self._housekeeping is not None and self._monotonic() - last_housekeeping > self._housekeeping_every_s:
                last_housekeeping = self._monotonic()
                try:
                    self._housekeeping()
                except Exception:
                    logger.exception("%s housekeeping error; carrying on", self.name)
