"""The pad's rules: pure, no I/O, every time passed in.

- `PressFilter` turns button edges into votes (`motcua.votes`, shared with the counter screen's tablet): contact
  bounce is not a press; a press within `lockout_s` of the previous press (any button) is a vote flagged *misuse*.
- `PadLights` decides what the three LEDs show: dim while idle, a slow pulse inviting a vote while the counter's
  rating window is open, the pressed button lit as thanks, a distinct blink while the broker cannot be reached.

Two clocks: ``mono`` (seconds, `time.monotonic`) for what a person sees and does — bounce, lockout, how long a light
stays on — and ``now`` (hall time, `motcua.clock`) for the rating window the coordinator announces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from motcua.contract import RatingLevel
from motcua.gpio import Blink, LightPattern, Steady, pulse
from motcua.votes import LEVELS, PressFilter, PressKind, make_vote

__all__ = ["LEVELS", "PadLights", "PadPattern", "PressFilter", "PressKind", "make_vote"]


class PadPattern(StrEnum):
    IDLE = "idle"  # dim: the pad is alive, nothing to rate
    INVITE = "invite"  # slow pulse: please rate the service you just received
    THANKS = "thanks"  # the pressed button lit: your vote is recorded
    OFFLINE = "offline"  # short blink every 2 s: the pad cannot reach the broker (votes are kept)


@dataclass
class PadLights:
    """What the pad shows. Feed it events; ask `pattern(now, mono)` whenever something may have changed."""

    idle_brightness: float = 0.15
    thanks_s: float = 3.0
    offline_grace_s: float = 10.0
    status_led: bool = False  # with a separate status LED, the buttons' LEDs never show OFFLINE
    connected: bool = False
    disconnected_since: float = 0.0
    rating_open_until: datetime | None = None
    voted_window: datetime | None = None  # the window already voted in: do not invite again for it
    thanks_level: RatingLevel | None = None
    thanks_until: float = 0.0

    def set_connected(self, connected: bool, mono: float) -> None:
        if self.connected and not connected:
            self.disconnected_since = mono
        self.connected = connected

    def set_rating_window(self, open_until: datetime | None) -> None:
        self.rating_open_until = open_until

    def pressed(self, level: RatingLevel, kind: PressKind, mono: float) -> None:
        """A press was recorded. A vote thanks the citizen and ends the invitation; a press inside the lockout
        changes nothing (lights reacting to a storm would only encourage it)."""
        if kind is not PressKind.VOTE:
            return
        self.thanks_level = level
        self.thanks_until = mono + self.thanks_s
        self.voted_window = self.rating_open_until

    def offline(self, mono: float) -> bool:
        """Disconnected for longer than the grace period (a reconnect of a second or two shows nothing)."""
        return not self.connected and mono - self.disconnected_since >= self.offline_grace_s

    def state(self, now: datetime, mono: float) -> PadPattern:
        if self.thanks_level is not None and mono < self.thanks_until:
            return PadPattern.THANKS
        if self.offline(mono) and not self.status_led:
            return PadPattern.OFFLINE
        window = self.rating_open_until
        if window is not None and now < window and window != self.voted_window:
            return PadPattern.INVITE
        return PadPattern.IDLE

    def pattern(self, now: datetime, mono: float) -> LightPattern:
        state = self.state(now, mono)
        if state is PadPattern.THANKS:
            assert self.thanks_level is not None
            lit = self.thanks_level
            return LightPattern(
                f"thanks-{lit.value}", {level.value: Steady(1.0 if level is lit else 0.0) for level in LEVELS}
            )
        if state is PadPattern.OFFLINE:
            return LightPattern(state.value, dict.fromkeys((level.value for level in LEVELS), OFFLINE_BLINK))
        if state is PadPattern.INVITE:
            return LightPattern(state.value, dict.fromkeys((level.value for level in LEVELS), INVITE_PULSE))
        return LightPattern(state.value, dict.fromkeys((level.value for level in LEVELS), Steady(self.idle_brightness)))

    def status_pattern(self, mono: float) -> LightPattern:
        """The separate status LED (if fitted): steady while connected, the offline blink when not."""
        if self.offline(mono):
            return LightPattern("offline", {"status": OFFLINE_BLINK})
        return LightPattern("online" if self.connected else "connecting", {"status": Steady(self.idle_brightness)})


#: Invitation: a slow breathing light on all three buttons.
INVITE_PULSE = pulse(2.0)
#: Not connected: all three flash briefly together every two seconds.
OFFLINE_BLINK = Blink(0.15, 1.85)
