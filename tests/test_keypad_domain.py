"""The keypad's rules without hardware: press, hold, bounce, double taps, pause/resume, feedback patterns."""

from __future__ import annotations

import pytest

from counter_keypad.domain import (
    FEEDBACK,
    Feedback,
    Fired,
    Intent,
    Key,
    KeypadLights,
    KeypadState,
    KeyReader,
    feedback_for,
    toggle_action,
)
from motcua.contract import CounterAction, CounterStatus, ErrorCode
from motcua.gpio import Blink, Steady


def reader() -> KeyReader:
    return KeyReader(debounce_s=0.02, hold_s=2.0, repeat_guard_s=1.0)


def tap(keys: KeyReader, key: Key, at: float, hold: float = 0.15) -> list[Fired]:
    fired = [f for f in [keys.press(key, at)] if f is not None]
    fired += keys.poll(at + hold / 2)
    keys.release(key, at + hold)
    fired += keys.poll(at + hold + 0.03)
    return fired


def test_keys_next_fires_on_release_recall_and_no_show_on_press():
    keys = reader()
    assert keys.press(Key.NEXT, 10.0) is None
    assert keys.poll(10.1) == []
    keys.release(Key.NEXT, 10.2)
    assert keys.deadline() == pytest.approx(10.22)
    assert keys.poll(10.21) == []  # the release is confirmed after the debounce time
    assert keys.poll(10.22) == [Fired(Intent.NEXT, 10.2)]
    assert keys.press(Key.RECALL, 20.0) == Fired(Intent.RECALL, 20.0)
    keys.release(Key.RECALL, 20.1)
    assert keys.poll(21.0) == []
    assert keys.press(Key.NO_SHOW, 30.0) == Fired(Intent.NO_SHOW, 30.0)


def test_keys_hold_next_toggles_pause_once_and_does_not_call():
    keys = reader()
    keys.press(Key.NEXT, 5.0)
    assert keys.deadline() == 7.0
    assert keys.poll(6.99) == []
    assert keys.poll(7.0) == [Fired(Intent.TOGGLE_PAUSE, 7.0)]
    assert keys.poll(9.5) == []  # held on: once per hold
    keys.release(Key.NEXT, 10.0)
    assert keys.poll(10.1) == []  # the release after a hold is not a "next"
    assert tap(keys, Key.NEXT, 20.0) == [Fired(Intent.NEXT, 20.15)]


def test_keys_bounce_neither_calls_twice_nor_cuts_a_hold_short():
    keys = reader()
    keys.press(Key.NEXT, 1.0)
    for t in (1.001, 1.003, 1.006):  # chatter as the contacts close
        keys.release(Key.NEXT, t)
        assert keys.press(Key.NEXT, t + 0.001) is None
    assert keys.poll(2.5) == []
    assert keys.poll(3.0) == [Fired(Intent.TOGGLE_PAUSE, 3.0)]  # the hold counts from the first contact
    keys.release(Key.NEXT, 4.0)
    keys.press(Key.NEXT, 4.002)  # chatter as they open
    keys.release(Key.NEXT, 4.004)
    assert keys.poll(4.1) == []

    keys = reader()
    keys.press(Key.RECALL, 1.0)
    keys.release(Key.RECALL, 1.001)
    assert keys.press(Key.RECALL, 1.002) is None  # one recall, not two


def test_keys_double_tap_is_one_call():
    keys = reader()
    assert tap(keys, Key.NEXT, 1.0) == [Fired(Intent.NEXT, 1.15)]
    assert tap(keys, Key.NEXT, 1.4) == []  # within the repeat guard: a citizen must not be skipped
    assert keys.ignored_repeats == 1
    assert tap(keys, Key.NEXT, 3.0) == [Fired(Intent.NEXT, 3.15)]
    assert tap(keys, Key.RECALL, 3.1) == [Fired(Intent.RECALL, 3.1)]  # another key is not a repeat


def test_pause_or_resume_follows_the_counter_state():
    assert toggle_action(CounterStatus.OPEN) is CounterAction.PAUSE
    assert toggle_action(CounterStatus.PAUSED) is CounterAction.RESUME
    assert toggle_action(CounterStatus.CLOSED) is None
    assert toggle_action(None) is None


def test_feedback_for_replies():
    assert feedback_for(None) is Feedback.OK
    assert feedback_for(ErrorCode.QUEUE_EMPTY) is Feedback.QUEUE_EMPTY
    for code in (ErrorCode.NOT_SIGNED_IN, ErrorCode.NOTHING_SERVING, ErrorCode.STALE_COMMAND, ErrorCode.INTERNAL):
        assert feedback_for(code) is Feedback.ERROR


def test_lights_state_patterns():
    lights = KeypadLights(idle_brightness=0.3, offline_grace_s=5.0, disconnected_since=0.0)
    assert lights.state(1.0) is KeypadState.READY  # starting: within the grace period
    assert lights.state(6.0) is KeypadState.OFFLINE
    assert dict(lights.pattern(6.0).leds) == {"green": Steady(0.0), "red": Blink(0.2, 1.8)}
    lights.set_connected(True, 7.0)
    assert lights.pattern(7.0).name == "ready"
    assert dict(lights.pattern(7.0).leds) == {"green": Steady(0.3), "red": Steady(0.0)}
    lights.set_status(CounterStatus.PAUSED)
    assert lights.pattern(8.0).name == "paused"
    assert isinstance(lights.pattern(8.0).leds["green"], Blink)
    lights.set_status(CounterStatus.CLOSED)
    assert dict(lights.pattern(8.0).leds) == {"green": Steady(0.0), "red": Steady(0.3)}
    lights.set_connected(False, 9.0)
    assert lights.state(13.0) is KeypadState.CLOSED
    assert lights.state(14.0) is KeypadState.OFFLINE


@pytest.mark.parametrize("feedback", list(Feedback))
def test_lights_feedback_shows_for_a_while_then_the_state(feedback: Feedback):
    lights = KeypadLights(disconnected_since=0.0)
    lights.set_connected(True, 0.0)
    lights.show(feedback, 10.0)
    leds, beep, duration = FEEDBACK[feedback]
    shown = lights.pattern(10.0)
    assert (shown.name, dict(shown.leds), shown.beep) == (feedback.value, leds, beep)
    assert lights.current(10.0 + duration - 0.01) == feedback.value
    assert lights.next_change() == 10.0 + duration
    assert lights.current(10.0 + duration) == "ready"


def test_lights_the_same_feedback_twice_is_shown_twice():
    lights = KeypadLights()
    lights.show(Feedback.OK, 1.0)
    first = lights.pattern(1.0)
    lights.show(Feedback.OK, 1.2)
    assert lights.pattern(1.2) != first  # so the driver applies it again and it beeps again


def test_feedback_patterns_are_distinct():
    patterns = [(tuple(sorted(leds.items())), beep) for leds, beep, _ in FEEDBACK.values()]
    assert len(set(map(repr, patterns))) == len(patterns)
    # problems are red, success green
    assert FEEDBACK[Feedback.OK][0]["red"] == Steady(0.0)
    assert FEEDBACK[Feedback.ERROR][0]["green"] == Steady(0.0)
    assert FEEDBACK[Feedback.NOT_CONNECTED][0]["green"] == Steady(0.0)
