"""Time as the hall sees it.

Every service reads the time through a `Clock` so tests can pin it and the demo and the day simulator can
run a whole morning in minutes. `clock_from_env()` reads ``MOTCUA_CLOCK``:

- unset or ``system``: the real clock;
- ``2026-11-23T07:30:00+07:00@60``: time starts at that instant when the process starts and runs 60x;
- ``2026-11-23T07:30:00+07:00@60@1795500000.0``: the same, anchored at that real Unix time instead, so that
  every process of a simulated hall (each started at a slightly different moment) shows the same time.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from motcua.errors import ConfigError


class Clock(Protocol):
    """The source of wall-clock time (timezone-aware, UTC)."""

    def now(self) -> datetime: ...

    @property
    def speed(self) -> float:
        """How many seconds of hall time pass per real second."""
        ...


class SystemClock:
    """The machine's clock."""

    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ScaledClock:
    """Hall time that starts at `start` and runs `speed` times faster than real time."""

    start: datetime
    speed: float = 1.0
    anchor: float = field(default_factory=time.time)  # real Unix time at which hall time == start

    def now(self) -> datetime:
        elapsed = (time.time() - self.anchor) * self.speed
        return (self.start + timedelta(seconds=elapsed)).astimezone(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told to (tests)."""

    current: datetime
    speed: float = 1.0

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current = self.current + timedelta(**delta)
        return self.current


def parse_clock(spec: str) -> Clock:
    """Build a clock from a ``MOTCUA_CLOCK`` value (see module docstring)."""
    spec = spec.strip()
    if spec in ("", "system"):
        return SystemClock()
    start_text, _, rest = spec.partition("@")
    speed_text, _, anchor_text = rest.partition("@")
    try:
        start = datetime.fromisoformat(start_text)
        speed = float(speed_text) if speed_text else 1.0
        anchor = float(anchor_text) if anchor_text else time.time()
    except ValueError as exc:
        raise ConfigError(
            f"MOTCUA_CLOCK={spec!r}: expected ISO-8601 time with offset, then @speed, then optionally @unix-time"
        ) from exc
    if start.tzinfo is None:
        raise ConfigError(f"MOTCUA_CLOCK={spec!r}: the start time needs a UTC offset, e.g. +07:00")
    if speed <= 0:
        raise ConfigError(f"MOTCUA_CLOCK={spec!r}: speed must be positive")
    return ScaledClock(start=start, speed=speed, anchor=anchor)


def clock_spec(start: datetime, speed: float, anchor: float) -> str:
    """The ``MOTCUA_CLOCK`` value that makes every process share one simulated clock."""
    return f"{start.isoformat()}@{speed:g}@{anchor:.3f}"


def clock_from_env() -> Clock:
    """The clock this process should use (``MOTCUA_CLOCK``, else the system clock)."""
    return parse_clock(os.environ.get("MOTCUA_CLOCK", ""))
