"""The pad's hardware: 2 to 5 buttons, one per level of the hall's scale (a gpiozero `ButtonBoard`), and their
LEDs (an `LEDBoard` of PWM LEDs), plus an optional status LED. Everything takes ``pin_factory`` (None: gpiozero's
default; tests and the demo pass a `MockFactory`). No decisions here: edges go out to a callback, light patterns
come in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from motcua.gpio import (
    LightDriver,
    LightPattern,
    close_devices,
    edge_time,
    gpio_error,
    press_mock,
    trim_mock_history,
)
from rating_buttons.config import STATUS_LED

logger = logging.getLogger(__name__)

#: ``edge(level, pressed, at)``: called on gpiozero's callback thread for every press (True) and release (False)
#: edge; ``at`` is when the edge happened, in seconds on the pin library's clock (only differences mean anything).
EdgeCallback = Callable[[str, bool, float], None]


class PadHardware:
    """The pad's pins. A context manager; `close` is safe twice."""

    def __init__(self, buttons: Mapping[str, int], leds: Mapping[str, int], *, pin_factory: Any = None) -> None:
        """`buttons` and `leds`: GPIO by level key (pad.toml ``[buttons]``, ``[leds]``; ``leds["status"]`` optional)."""
        from gpiozero import ButtonBoard, LEDBoard
        from gpiozero.exc import GPIOZeroError

        self.pin_factory = pin_factory
        self.levels = tuple(buttons)
        status = leds.get(STATUS_LED)
        self._edge: EdgeCallback | None = None
        self.buttons: Any = None
        self.leds: Any = None
        self.status_led: Any = None
        try:
            self.buttons = ButtonBoard(
                pull_up=True, pin_factory=pin_factory, **{level: buttons[level] for level in self.levels}
            )
            self.leds = LEDBoard(pwm=True, pin_factory=pin_factory, **{level: leds[level] for level in self.levels})
            if status is not None:
                self.status_led = LEDBoard(pwm=True, pin_factory=pin_factory, status=status)
        except (GPIOZeroError, OSError) as exc:
            self.close()
            raise gpio_error(exc, "the pad's GPIO pins") from exc
        self.lights = LightDriver(self.leds, self.levels)
        self.status_lights = LightDriver(self.status_led, ("status",)) if self.status_led is not None else None
        for level in self.levels:
            button = getattr(self.buttons, level)
            button.when_pressed = self._handler(level, True)
            button.when_released = self._handler(level, False)

    def _handler(self, level: str, pressed: bool) -> Callable[[], None]:
        button = getattr(self.buttons, level)

        def fire() -> None:
            callback = self._edge
            if callback is None:
                return
            # Our callback may run milliseconds after the edge on a busy Pi Zero: debounce and lockout need the
            # edge's own time (lgpio: the kernel's; mock pins: when the pin was driven).
            callback(level, pressed, edge_time(button, pressed))

        return fire

    def on_edge(self, callback: EdgeCallback) -> None:
        self._edge = callback

    def show(self, pattern: LightPattern) -> bool:
        return self.lights.show(pattern)

    def show_status(self, pattern: LightPattern) -> bool:
        return self.status_lights.show(pattern) if self.status_lights is not None else False

    def describe(self) -> dict[str, Any]:
        """What the LEDs show now: pattern name, per-LED pattern and brightness."""
        current = self.lights.current
        result: dict[str, Any] = {
            "pattern": current.name if current else None,
            "leds": current.describe()["leds"] if current else {},
            "values": self.lights.values(),
        }
        if self.status_lights is not None:
            status = self.status_lights.current
            result["status_led"] = status.name if status else None
        return result

    # --- simulated hardware (mock pins only) ------------------------------------------------------------

    def press(self, level: str, hold_s: float = 0.0) -> None:
        """Press and release a button on mock pins (the demo's ``press``/``hold``)."""
        press_mock(getattr(self.buttons, level).pin, hold_s)

    def trim_history(self) -> None:
        if self.pin_factory is not None:
            trim_mock_history(self.pin_factory)

    # --- life cycle --------------------------------------------------------------------------------------

    def close(self) -> None:
        self._edge = None
        close_devices(self.buttons, self.status_led, self.leds)
        self.buttons = self.leds = self.status_led = None

    def __enter__(self) -> PadHardware:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
