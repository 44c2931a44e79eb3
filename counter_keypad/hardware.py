"""The keypad's hardware: three keys (a gpiozero `ButtonBoard`), a green and a red LED (an `LEDBoard` of PWM LEDs)
and an optional buzzer. Takes ``pin_factory`` (None: gpiozero's default; tests and the demo pass a `MockFactory`).
No decisions here: edges go out to a callback, light patterns come in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from counter_keypad.config import KeypadBuzzer, KeypadKeys, KeypadLeds
from counter_keypad.domain import KEYS, Key
from motcua.gpio import LightDriver, LightPattern, close_devices, gpio_error, press_mock, trim_mock_history

logger = logging.getLogger(__name__)

#: ``edge(key, pressed)``: called on gpiozero's callback thread for every press (True) and release (False) edge.
EdgeCallback = Callable[[Key, bool], None]
LED_NAMES = ("green", "red")


class KeypadHardware:
    """The keypad's pins. A context manager; `close` is safe twice."""

    def __init__(
        self, keys: KeypadKeys, leds: KeypadLeds, buzzer: KeypadBuzzer | None = None, *, pin_factory: Any = None
    ) -> None:
        from gpiozero import ButtonBoard, Buzzer, LEDBoard
        from gpiozero.exc import GPIOZeroError

        self.pin_factory = pin_factory
        self._edge: EdgeCallback | None = None
        self.keys: Any = None
        self.leds: Any = None
        self.buzzer: Any = None
        try:
            self.keys = ButtonBoard(
                pull_up=True, pin_factory=pin_factory, **{key.value: getattr(keys, key.value) for key in KEYS}
            )
            self.leds = LEDBoard(pwm=True, pin_factory=pin_factory, green=leds.green, red=leds.red)
            if buzzer is not None and buzzer.pin is not None:
                self.buzzer = Buzzer(buzzer.pin, pin_factory=pin_factory)
        except (GPIOZeroError, OSError) as exc:
            self.close()
            raise gpio_error(exc, "the keypad's GPIO pins") from exc
        self.lights = LightDriver(self.leds, LED_NAMES, buzzer=self.buzzer)
        for key in KEYS:
            button = getattr(self.keys, key.value)
            button.when_pressed = self._handler(key, True)
            button.when_released = self._handler(key, False)

    def _handler(self, key: Key, pressed: bool) -> Callable[[], None]:
        def fire() -> None:
            callback = self._edge
            if callback is not None:
                callback(key, pressed)

        return fire

    def on_edge(self, callback: EdgeCallback) -> None:
        self._edge = callback

    def show(self, pattern: LightPattern) -> bool:
        return self.lights.show(pattern)

    def describe(self) -> dict[str, Any]:
        current = self.lights.current
        return {
            "pattern": current.name if current else None,
            "leds": current.describe()["leds"] if current else {},
            "values": self.lights.values(),
            "buzzer": bool(self.buzzer.value) if self.buzzer is not None else None,
        }

    # --- simulated hardware (mock pins only) ------------------------------------------------------------

    def press(self, key: Key, hold_s: float = 0.0) -> None:
        """Press and release a key on mock pins (the demo's ``press``/``hold``)."""
        press_mock(getattr(self.keys, key.value).pin, hold_s)

    def trim_history(self) -> None:
        if self.pin_factory is not None:
            trim_mock_history(self.pin_factory)

    def close(self) -> None:
        self._edge = None
        close_devices(self.keys, self.buzzer, self.leds)
        self.keys = self.leds = self.buzzer = None

    def __enter__(self) -> KeypadHardware:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
