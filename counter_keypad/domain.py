"""The keypad's rules: pure, no I/O, every time passed in (``mono``: seconds of `time.monotonic`).

- `KeyReader` turns key edges into what the officer meant: **next** (press and release), **recall**, **no-show**
  (on press), **hold next** for `hold_s` to pause or resume the counter. A release followed by a press within
  `debounce_s` is the contact bouncing, not a second press: it continues the same press (so a bouncy key can
  neither call twice nor cut a hold short). The same intent again within `repeat_guard_s` is ignored: a
  double tap must not skip a citizen.
- `toggle_action` decides pause or resume from the counter's retained state.
- `feedback_for` maps a reply to what the officer sees and hears; `KeypadLights` holds the pattern shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from motcua.contract import CounterAction, CounterStatus, ErrorCode
from motcua.gpio import Beep, Blink, LightPattern, Steady, pulse


class Key(StrEnum):
    NEXT = "next"  # gọi số tiếp theo
    RECALL = "recall"  # gọi lại
    NO_SHOW = "no_show"  # vắng mặt


KEYS: tuple[Key, ...] = (Key.NEXT, Key.RECALL, Key.NO_SHOW)


class Intent(StrEnum):
    NEXT = "next"
    RECALL = "recall"
    NO_SHOW = "no_show"
    TOGGLE_PAUSE = "toggle_pause"  # next held


@dataclass(frozen=True)
class Fired:
    """An intent and the moment (mono) it was decided: the press, the release of next, or the end of the hold."""

    intent: Intent
    at: float


@dataclass
class _KeyState:
    down: bool = False
    down_since: float | None = None  # start of the current (debounced) press
    released_at: float | None = None  # a release not yet confirmed (a press within debounce_s continues the press)
    held: bool = False  # the hold already fired for this press


@dataclass
class KeyReader:
    """Key edges in, intents out. Call `poll` at `deadline()` (or sooner): next and holds are decided there."""

    debounce_s: float = 0.02
    hold_s: float = 2.0
    repeat_guard_s: float = 1.0
    _keys: dict[Key, _KeyState] = field(default_factory=lambda: {key: _KeyState() for key in KEYS})
    _last: dict[Intent, float] = field(default_factory=dict)
    ignored_repeats: int = 0

    def press(self, key: Key, mono: float) -> Fired | None:
        state = self._keys[key]
        if state.down:
            return None
        state.down = True
        if state.released_at is not None and mono - state.released_at < self.debounce_s:
            state.released_at = None  # contact bounce: the same press goes on
            return None
        state.released_at = None
        state.down_since = mono
        state.held = False
        if key is Key.RECALL:
            return self._fire(Intent.RECALL, mono)
        if key is Key.NO_SHOW:
            return self._fire(Intent.NO_SHOW, mono)
        return None  # next: decided on release (a press) or after hold_s (a hold)

    def release(self, key: Key, mono: float) -> None:
        state = self._keys[key]
        if not state.down:
            return
        state.down = False
        state.released_at = mono

    def poll(self, mono: float) -> list[Fired]:
        intents: list[Fired] = []
        for key, state in self._keys.items():
            if state.released_at is not None and mono - state.released_at >= self.debounce_s:
                was_held, released = state.held, state.released_at
                state.released_at = state.down_since = None
                state.held = False
                if key is Key.NEXT and not was_held:
                    fired = self._fire(Intent.NEXT, released)
                    if fired is not None:
                        intents.append(fired)
            elif (
                key is Key.NEXT
                and state.down_since is not None
                and not state.held
                and state.released_at is None
                and state.down
                and mono - state.down_since >= self.hold_s
            ):
                state.held = True
                fired = self._fire(Intent.TOGGLE_PAUSE, state.down_since + self.hold_s)
                if fired is not None:
                    intents.append(fired)
        return intents

    def deadline(self) -> float | None:
        """When `poll` next has something to decide (None: nothing pending)."""
        times = []
        for key, state in self._keys.items():
            if state.released_at is not None:
                times.append(state.released_at + self.debounce_s)
            elif key is Key.NEXT and state.down and state.down_since is not None and not state.held:
                times.append(state.down_since + self.hold_s)
        return min(times) if times else None

    def _fire(self, intent: Intent, at: float) -> Fired | None:
        last = self._last.get(intent)
        if last is not None and at - last < self.repeat_guard_s:
            self.ignored_repeats += 1
            return None
        self._last[intent] = at
        return Fired(intent, at)


def toggle_action(status: CounterStatus | None) -> CounterAction | None:
    """Hold next: pause an open counter, resume a paused one; nothing to do for a closed or unknown one."""
    if status is CounterStatus.OPEN:
        return CounterAction.PAUSE
    if status is CounterStatus.PAUSED:
        return CounterAction.RESUME
    return None


def intent_action(intent: Intent) -> CounterAction:
    return {
        Intent.NEXT: CounterAction.NEXT,
        Intent.RECALL: CounterAction.RECALL,
        Intent.NO_SHOW: CounterAction.NO_SHOW,
    }[intent]


class Feedback(StrEnum):
    """What the officer sees (and hears) after a key. Vietnamese meanings in docs/counter-devices.md."""

    OK = "ok"  # done: called, recalled, no-show recorded, paused, resumed
    QUEUE_EMPTY = "queue_empty"  # nobody waiting for this counter's services
    ERROR = "error"  # refused (not signed in, nothing being served, ...) or no answer
    NOT_CONNECTED = "not_connected"  # the keypad cannot reach the hall: nothing was sent, nothing will be


def feedback_for(error: ErrorCode | None) -> Feedback:
    """The feedback for a reply: `None` for a successful reply, else its error code."""
    if error is None:
        return Feedback.OK
    if error is ErrorCode.QUEUE_EMPTY:
        return Feedback.QUEUE_EMPTY
    return Feedback.ERROR


class KeypadState(StrEnum):
    """What the keypad shows when no feedback is showing."""

    READY = "ready"  # connected, counter open
    PAUSED = "paused"  # counter paused (tạm dừng)
    CLOSED = "closed"  # counter closed: no officer signed in
    OFFLINE = "offline"  # cannot reach the hall's broker


#: (pattern, how long it shows) for each feedback.
FEEDBACK: dict[Feedback, tuple[dict[str, Steady | Blink], Beep, float]] = {
    Feedback.OK: ({"green": Steady(1.0), "red": Steady(0.0)}, Beep(0.12), 1.5),
    Feedback.QUEUE_EMPTY: ({"green": Blink(0.25, 0.25, n=3), "red": Steady(0.0)}, Beep(0.1, 0.1, n=2), 1.5),
    Feedback.ERROR: ({"green": Steady(0.0), "red": Blink(0.1, 0.1, n=6)}, Beep(0.6), 1.2),
    Feedback.NOT_CONNECTED: ({"green": Steady(0.0), "red": Steady(1.0)}, Beep(0.1, 0.1, n=3), 2.0),
}


@dataclass
class KeypadLights:
    """The keypad's two LEDs (green, red) and buzzer: a state pattern, overridden for a moment by feedback."""

    idle_brightness: float = 0.3
    offline_grace_s: float = 5.0
    connected: bool = False
    disconnected_since: float = 0.0
    status: CounterStatus | None = None
    feedback: Feedback | None = None
    feedback_until: float = 0.0
    _seq: int = 0

    def set_connected(self, connected: bool, mono: float) -> None:
        if self.connected and not connected:
            self.disconnected_since = mono
        self.connected = connected

    def set_status(self, status: CounterStatus) -> None:
        self.status = status

    def show(self, feedback: Feedback, mono: float) -> None:
        self.feedback = feedback
        self.feedback_until = mono + FEEDBACK[feedback][2]
        self._seq += 1

    def state(self, mono: float) -> KeypadState:
        if not self.connected and mono - self.disconnected_since >= self.offline_grace_s:
            return KeypadState.OFFLINE
        if self.status is CounterStatus.PAUSED:
            return KeypadState.PAUSED
        if self.status is CounterStatus.CLOSED:
            return KeypadState.CLOSED
        return KeypadState.READY

    def current(self, mono: float) -> str:
        """The name of what shows now: a feedback while it lasts, else the state."""
        if self.feedback is not None and mono < self.feedback_until:
            return self.feedback.value
        return self.state(mono).value

    def pattern(self, mono: float) -> LightPattern:
        if self.feedback is not None and mono < self.feedback_until:
            leds, beep, _ = FEEDBACK[self.feedback]
            return LightPattern(self.feedback.value, leds, beep, seq=self._seq)
        state = self.state(mono)
        if state is KeypadState.OFFLINE:
            return LightPattern(state.value, {"green": Steady(0.0), "red": Blink(0.2, 1.8)})
        if state is KeypadState.PAUSED:
            return LightPattern(state.value, {"green": pulse(3.0), "red": Steady(0.0)})
        if state is KeypadState.CLOSED:
            return LightPattern(state.value, {"green": Steady(0.0), "red": Steady(self.idle_brightness)})
        return LightPattern(state.value, {"green": Steady(self.idle_brightness), "red": Steady(0.0)})

    def next_change(self) -> float | None:
        """When the feedback ends (the state pattern returns)."""
        return self.feedback_until if self.feedback is not None else None
