"""The keypad's pins through gpiozero's MockFactory: keys, green and red LEDs and the buzzer on the configured GPIOs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory
from waiting import wait_until

from counter_keypad.config import KeypadBuzzer, KeypadKeys, KeypadLeds
from counter_keypad.domain import Feedback, Key, KeypadLights
from counter_keypad.hardware import KeypadHardware
from motcua.contract import CounterStatus

KEYS = KeypadKeys(next=5, recall=6, no_show=13)
LEDS = KeypadLeds(green=19, red=26)


@pytest.fixture
def keypad(mock_factory: MockFactory) -> Iterator[KeypadHardware]:
    with KeypadHardware(KEYS, LEDS, KeypadBuzzer(pin=12), pin_factory=mock_factory) as hardware:
        yield hardware


def test_keypad_hardware_uses_the_configured_pins(keypad: KeypadHardware, mock_factory: MockFactory):
    for gpio in (5, 6, 13):
        assert (mock_factory.pin(gpio).function, mock_factory.pin(gpio).pull) == ("input", "up")
    for gpio in (19, 26, 12):
        assert mock_factory.pin(gpio).function == "output"


def test_keypad_hardware_key_edges_in_order(keypad: KeypadHardware, mock_factory: MockFactory):
    edges: list[tuple[Key, bool]] = []
    keypad.on_edge(lambda key, pressed: edges.append((key, pressed)))
    for gpio in (6, 13, 5):
        mock_factory.pin(gpio).drive_low()
        mock_factory.pin(gpio).drive_high()
    assert edges == [
        (Key.RECALL, True),
        (Key.RECALL, False),
        (Key.NO_SHOW, True),
        (Key.NO_SHOW, False),
        (Key.NEXT, True),
        (Key.NEXT, False),
    ]


def test_keypad_hardware_patterns_on_leds_and_buzzer(keypad: KeypadHardware, mock_factory: MockFactory):
    lights = KeypadLights(idle_brightness=0.3, disconnected_since=0.0)
    lights.set_connected(True, 0.0)
    lights.set_status(CounterStatus.OPEN)
    keypad.show(lights.pattern(1.0))
    green, red, buzzer = mock_factory.pin(19), mock_factory.pin(26), mock_factory.pin(12)
    assert (green.state, red.state, buzzer.state) == (0.3, 0.0, False)
    assert keypad.describe()["pattern"] == "ready"

    lights.show(Feedback.OK, 2.0)
    keypad.show(lights.pattern(2.0))
    assert (green.state, red.state) == (1.0, 0.0)
    wait_until(lambda: [s.state for s in buzzer.states][-2:] == [True, False])  # one short beep

    buzzer.clear_states()
    lights.show(Feedback.ERROR, 5.0)
    keypad.show(lights.pattern(5.0))
    assert keypad.describe()["leds"] == {"green": "off", "red": "blink x6"}
    wait_until(lambda: [s.state for s in red.states].count(1.0) == 6 and red.state == 0.0)  # six flashes, then dark
    wait_until(lambda: [s.state for s in buzzer.states][-2:] == [True, False])

    lights.set_status(CounterStatus.PAUSED)
    keypad.show(lights.pattern(10.0))
    assert keypad.describe()["leds"] == {"green": "pulse", "red": "off"}
