"""Per-device rate limits (pure: time is an argument): a token bucket per device, sized to what the real device
can do, and a count of what was refused, summarised once a minute per device (never one line per message).

Times are in seconds of the hall's clock (`Clock.now().timestamp()`): the demo and the simulator run the hall
faster than real time, and their devices' pace scales with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`burst` tokens at most, refilled at `per_min` a minute; one token per message."""

    per_min: float
    burst: float
    tokens: float = -1.0  # full at the first use
    at: float | None = None

    def take(self, now: float) -> bool:
        if self.at is None:
            self.tokens, self.at = self.burst, now
        elapsed = max(0.0, now - self.at)  # a clock stepped back refills nothing
        self.tokens = min(self.burst, self.tokens + elapsed * self.per_min / 60.0)
        self.at = max(self.at, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class RateLimiter:
    """One bucket per device id, all of the same size; refusals counted per device."""

    per_min: float
    burst: float
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)

    def allow(self, device: str, now: float) -> bool:
        bucket = self.buckets.get(device)
        if bucket is None:
            bucket = self.buckets[device] = TokenBucket(self.per_min, self.burst)
        if bucket.take(now):
            return True
        self.refused[device] = self.refused.get(device, 0) + 1
        return False

    def take_refused(self) -> dict[str, int]:
        """What was refused since the last call, per device (for the minute's summary line)."""
        refused, self.refused = self.refused, {}
        return refused


@dataclass
class Summary:
    """Calls `take_refused` on its limiters at most once per `interval_s` (a real minute, monotonic seconds)."""

    interval_s: float = 60.0
    last: float = float("-inf")

    def due(self, now: float) -> bool:
        if now - self.last >= self.interval_s:
            self.last = now
            return True
        return False
