"""How late the voice speaks under a burst of calls (issue 18.8): `make bench` and the tests.

Calls are submitted `spacing_s` apart to a real `Announcer` with the hall's clips; the sink "plays" each sound
by sleeping its duration divided by `speed` (the words are real, only the waiting is shortened), and records when
each call's first sound began. The lateness of a call is that start minus the moment the call was made, in hall
seconds. `sequential_lateness` is what the announcer did before: every call whole (chime, every repetition),
one after the other.
"""

from __future__ import annotations

import threading
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

from motcua.clock import FixedClock
from motcua.contract import Call
from motcua.speech.audio import ClipLibrary
from queue_display.announcer import Announcer
from queue_display.script import ScriptOptions, call_script


@dataclass
class TimedSink:
    """Plays by sleeping (duration / speed); remembers when each sound started and how long it was."""

    rate: int
    speed: float
    started: list[tuple[str, float, float]] = field(default_factory=list)  # (name, monotonic start, seconds)
    _closed: threading.Event = field(default_factory=threading.Event)

    def play(self, samples: array[int], name: str) -> None:
        seconds = len(samples) / self.rate
        self.started.append((name, time.monotonic(), seconds))
        self._closed.wait(seconds / self.speed)

    def close(self) -> None:
        self._closed.set()


def burst_calls(count: int, made_at: datetime) -> list[Call]:
    return [
        Call(
            id=f"20261123-{1001 + i}#0",
            ticket_id=f"20261123-{1001 + i}",
            label=str(1001 + i),
            number=1001 + i,
            counter=1 + i % 4,
            counter_name=f"Quầy {1 + i % 4}",
            service="ho-tich",
            service_name="Hộ tịch",
            called_at=made_at,
        )
        for i in range(count)
    ]


def burst_lateness(
    library: ClipLibrary,
    options: ScriptOptions,
    *,
    count: int = 5,
    spacing_s: float = 1.25,
    speed: float = 10.0,
) -> list[float]:
    """Seconds between each call being made and its first word, for `count` calls `spacing_s` apart."""
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    sink = TimedSink(library.rate, speed)
    announcer = Announcer(library, sink, FixedClock(now), options=options).start()
    submitted: dict[str, float] = {}
    try:
        began = time.monotonic()
        for i, call in enumerate(burst_calls(count, now)):
            time.sleep(max(0.0, began + i * spacing_s / speed - time.monotonic()))
            submitted[call.id] = time.monotonic()
            announcer.submit(call)
        if not announcer.wait_idle(600 / speed + 30):
            raise RuntimeError("the burst was not announced in time")
    finally:
        announcer.stop()
    first: dict[str, float] = {}
    for name, at, _ in sink.started:
        first.setdefault(name, at)
    return [(first[cid] - submitted[cid]) * speed for cid in submitted]


def sequential_lateness(
    library: ClipLibrary, options: ScriptOptions, *, count: int = 5, spacing_s: float = 1.25
) -> list[float]:
    """The same burst said the old way: each call whole (chime and every repetition) after the one before."""
    free_at = 0.0
    lateness = []
    for i, call in enumerate(burst_calls(count, datetime(2026, 11, 23, 2, 0, tzinfo=UTC))):
        made = i * spacing_s
        start = max(made, free_at)
        length = library.expected_length(call_script(call.label, call.number, call.counter, options)) / library.rate
        free_at = start + length
        lateness.append(start - made)
    return lateness
