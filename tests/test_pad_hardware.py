"""The pad's pins through gpiozero's MockFactory: buttons and LEDs on the configured GPIOs, edges out, patterns in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from gpiozero.pins.mock import MockFactory
from waiting import wait_until

from motcua.contract import RatingLevel
from motcua.gpio import GpioSetupError
from rating_buttons.domain import PadLights, PressKind
from rating_buttons.hardware import PadHardware

VN = timezone(timedelta(hours=7))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=VN)
BUTTONS = {"satisfied": 17, "neutral": 27, "unsatisfied": 22}
LEDS = {"satisfied": 23, "neutral": 24, "unsatisfied": 25}


@pytest.fixture
def pad(mock_factory: MockFactory) -> Iterator[PadHardware]:
    with PadHardware(BUTTONS, LEDS, pin_factory=mock_factory) as hardware:
        yield hardware


def test_hardware_uses_the_configured_pins(pad: PadHardware, mock_factory: MockFactory):
    for gpio in (17, 27, 22):
        pin = mock_factory.pin(gpio)
        assert (pin.function, pin.pull, pin.state) == ("input", "up", True)  # pulled up: pressed = low
    for gpio in (23, 24, 25):
        assert mock_factory.pin(gpio).function == "output"
    assert pad.status_led is None


def test_hardware_press_sequence_reports_each_edge_in_order(pad: PadHardware, mock_factory: MockFactory):
    edges: list[tuple[RatingLevel, bool]] = []
    pad.on_edge(lambda level, pressed, at: edges.append((level, pressed)))
    for gpio in (17, 22, 22, 27):
        mock_factory.pin(gpio).drive_low()
        mock_factory.pin(gpio).drive_high()
    S, N, U = RatingLevel.SATISFIED, RatingLevel.NEUTRAL, RatingLevel.UNSATISFIED
    assert edges == [(S, True), (S, False), (U, True), (U, False), (U, True), (U, False), (N, True), (N, False)]


def test_hardware_long_hold_is_one_press_with_the_edges_own_times(pad: PadHardware, mock_factory: MockFactory):
    edges: list[tuple[RatingLevel, bool, float]] = []
    pad.on_edge(lambda level, pressed, at: edges.append((level, pressed, at)))
    pad.press(RatingLevel.NEUTRAL, hold_s=1.2)  # longer than gpiozero's hold_time: no extra event
    assert [(level, pressed) for level, pressed, _ in edges] == [
        (RatingLevel.NEUTRAL, True),
        (RatingLevel.NEUTRAL, False),
    ]
    # the times are the pin's edge times (when it was driven), which debounce and lockout measure
    pin = mock_factory.pin(27)
    assert edges[1][2] - edges[0][2] >= 1.2
    assert edges[1][2] - edges[0][2] == pin.states[-1].timestamp  # the mock pin's own record of the hold


def led_values(factory: MockFactory) -> list[float]:
    return [float(factory.pin(gpio).state) for gpio in (23, 24, 25)]


def test_hardware_lights_for_each_state(pad: PadHardware, mock_factory: MockFactory):
    lights = PadLights(idle_brightness=0.15, thanks_s=3, offline_grace_s=10, disconnected_since=0.0)
    lights.set_connected(True, 0.0)

    assert pad.show(lights.pattern(NOON, 1.0))
    assert led_values(mock_factory) == [0.15, 0.15, 0.15]
    assert not pad.show(lights.pattern(NOON, 1.1))  # the same pattern is not applied again
    assert pad.describe()["pattern"] == "idle"

    lights.set_rating_window(NOON + timedelta(minutes=10))
    pad.show(lights.pattern(NOON, 2.0))
    assert pad.describe()["leds"] == {"satisfied": "pulse", "neutral": "pulse", "unsatisfied": "pulse"}
    pin = mock_factory.pin(24)
    wait_until(lambda: len({round(s.state, 2) for s in pin.states}) > 5)  # it fades: many brightness levels
    # the three LEDs breathe in step (one board-level animation)
    assert pad.leds._blink_thread is not None

    lights.pressed(RatingLevel.UNSATISFIED, PressKind.VOTE, 3.0)
    pad.show(lights.pattern(NOON, 3.0))
    assert led_values(mock_factory) == [0.0, 0.0, 1.0]
    assert pad.describe()["pattern"] == "thanks-unsatisfied"

    lights.set_connected(False, 4.0)
    pad.show(lights.pattern(NOON, 20.0))
    assert pad.describe()["pattern"] == "offline"
    first = mock_factory.pin(23)
    first.clear_states()
    # a short flash, then dark: only full on and off, no fading, and it comes back
    wait_until(lambda: "1.0,0.0" in ",".join(str(s.state) for s in first.states), timeout=5)
    assert {s.state for s in first.states} == {0.0, 1.0}


def test_hardware_status_led_when_fitted(mock_factory: MockFactory):
    leds = {"satisfied": 23, "neutral": 24, "unsatisfied": 25, "status": 16}
    with PadHardware(BUTTONS, leds, pin_factory=mock_factory) as pad:
        lights = PadLights(idle_brightness=0.2, status_led=True, disconnected_since=0.0)
        lights.set_connected(True, 0.0)
        assert pad.show_status(lights.status_pattern(1.0))
        assert mock_factory.pin(16).state == 0.2
        assert pad.describe()["status_led"] == "online"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # gpiozero's half-built ButtonBoard
def test_hardware_pin_taken_twice_is_a_setup_error(pad: PadHardware, mock_factory: MockFactory):
    with pytest.raises(GpioSetupError, match="cannot open the pad's GPIO pins"):
        PadHardware(BUTTONS, {"satisfied": 5, "neutral": 6, "unsatisfied": 13}, pin_factory=mock_factory)


def test_hardware_close_releases_the_pins_and_is_safe_twice(mock_factory: MockFactory):
    pad = PadHardware(BUTTONS, LEDS, pin_factory=mock_factory)
    pad.close()
    pad.close()
    with PadHardware(BUTTONS, LEDS, pin_factory=mock_factory):  # the same pins again: they were released
        pass
