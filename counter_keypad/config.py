"""keypad.toml: who the keypad is, which counter it calls for, where its keys, LEDs and buzzer are wired.

Reference with every setting: docs/counter-devices.md. Checked at start: a missing pin, a pin used twice, a GPIO
number off the header, a counter the hall does not have (when ``hall`` is given) stop the keypad with a message.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from motcua.config import ConfigPath, DeviceSection, MqttSettings, Section, load_config
from motcua.contract import CounterNumber
from motcua.gpio import (
    BcmPin,
    GpioSection,
    SimulationSection,
    check_distinct_pins,
    check_hall_registration,
    check_simulation,
)

logger = logging.getLogger(__name__)


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


class KeypadConfig(Section):
    """keypad.toml"""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()
    counter: CounterNumber  # quầy số
    hall: ConfigPath | None = None  # hall.toml: checks the counter
    gpio: GpioSection = GpioSection()
    keys: KeypadKeys
    leds: KeypadLeds
    buzzer: KeypadBuzzer = KeypadBuzzer()
    keypad: KeypadBehaviour = KeypadBehaviour()
    simulation: SimulationSection = SimulationSection()

    @model_validator(mode="after")
    def _pins(self) -> KeypadConfig:
        pins: dict[str, int | None] = {f"keys.{k}": v for k, v in self.keys.model_dump().items()}
        pins.update({f"leds.{k}": v for k, v in self.leds.model_dump().items()})
        pins["buzzer.pin"] = self.buzzer.pin
        check_distinct_pins(pins)
        check_simulation(self.gpio, self.simulation)
        if self.mqtt.request_timeout_s < MIN_COMMAND_WINDOW_S:
            raise ValueError(
                f"mqtt.request_timeout_s must be at least {MIN_COMMAND_WINDOW_S:g} s for a keypad: it is each command's"
                " deadline, and the coordinator refuses a command with less than 1 s left (docs/protocol.md)"
            )
        return self


def load_keypad_config(path: Path | str) -> KeypadConfig:
    """Read and check keypad.toml (and, when it names one, the hall it belongs to)."""
    config = load_config(path, KeypadConfig)
    if config.hall is not None:
        check_hall_registration(
            path, config.hall, device=config.device.id, site=config.device.site, counter=config.counter, role="keypad"
        )
    else:
        logger.warning("%s: no 'hall' file given; counter %d is not checked against the hall", path, config.counter)
    return config
