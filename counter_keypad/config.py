"""keypad.toml: who the keypad is, which counter it calls for, where its keys, LEDs and buzzer are wired.

Reference with every setting: docs/counter-devices.md. Checked at start: a missing pin, a pin used twice, a GPIO
number off the header, a counter the hall does not have (when ``hall`` is given) stop the keypad with a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from motcua.config import Section
from motcua.gpio import BcmPin, CounterDeviceConfig, load_counter_device_config


class KeypadKeys(Section):
    """``[keys]``: the BCM GPIO of each key (wired to GND, internal pull-up)."""

    next: BcmPin  # Gọi số tiếp theo (hold: tạm dừng / tiếp tục)
    recall: BcmPin  # Gọi lại
    no_show: BcmPin  # Vắng mặt


class KeypadLeds(Section):
    """``[leds]``: a green and a red LED."""

    green: BcmPin
    red: BcmPin


class KeypadBuzzer(Section):
    """``[buzzer]``: an optional active buzzer (through a transistor: a GPIO cannot drive it directly)."""

    pin: BcmPin | None = None


class KeypadBehaviour(Section):
    """``[keypad]``: timings."""

    hold_s: Annotated[float, Field(ge=0.5, le=10)] = 2.0  # hold next this long to pause / resume the counter
    debounce_ms: Annotated[float, Field(ge=0, le=200)] = 20.0  # a release and press closer than this: bounce
    repeat_guard_s: Annotated[float, Field(ge=0, le=10)] = 1.0  # the same key again within this: ignored
    idle_brightness: Annotated[float, Field(ge=0, le=1)] = 0.3  # the green LED while the counter is open
    offline_grace_s: Annotated[float, Field(ge=0, le=600)] = 5.0  # show "not connected" after this long


#: A keypad's command window (``mqtt.request_timeout_s``) is its deadline; the coordinator keeps the last second of
#: it for clock differences, so a shorter window would leave the coordinator no time to act.
MIN_COMMAND_WINDOW_S = 2.0


class KeypadConfig(CounterDeviceConfig):
    """keypad.toml (``device``, ``mqtt``, ``counter``, ``hall``, ``gpio``, ``simulation``: `CounterDeviceConfig`)"""

    keys: KeypadKeys
    leds: KeypadLeds
    buzzer: KeypadBuzzer = KeypadBuzzer()
    keypad: KeypadBehaviour = KeypadBehaviour()

    def pins(self) -> dict[str, int | None]:
        pins: dict[str, int | None] = {f"keys.{k}": v for k, v in self.keys.model_dump().items()}
        pins.update({f"leds.{k}": v for k, v in self.leds.model_dump().items()})
        pins["buzzer.pin"] = self.buzzer.pin
        return pins

    @model_validator(mode="after")
    def _check_command_window(self) -> KeypadConfig:
        if self.mqtt.request_timeout_s < MIN_COMMAND_WINDOW_S:
            raise ValueError(
                f"mqtt.request_timeout_s must be at least {MIN_COMMAND_WINDOW_S:g} s for a keypad: it is each command's"
                " deadline, and the coordinator refuses a command with less than 1 s left (docs/protocol.md)"
            )
        return self


def load_keypad_config(path: Path | str) -> KeypadConfig:
    """Read and check keypad.toml (and, when it names one, the hall it belongs to)."""
    return load_counter_device_config(path, KeypadConfig, "keypad")[0]
