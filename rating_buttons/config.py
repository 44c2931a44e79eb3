"""pad.toml: who the pad is, which counter it rates, where its buttons and LEDs are wired.

Reference with every setting: docs/counter-devices.md. Checked at start: a missing pin, a pin used twice, a GPIO
number off the header, a counter the hall does not have (when ``hall`` is given) stop the pad with a message.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from motcua.config import ConfigPath, Section
from motcua.contract import RatingKey
from motcua.errors import ConfigError
from motcua.gpio import BcmPin, CounterDeviceConfig, load_counter_device_config
from motcua.hall import RatingSection

#: ``[buttons]``: the BCM GPIO of each button, by the key of the level it gives (the keys of the hall's scale,
#: hall.toml ``[rating]``); wired to GND, internal pull-up. 2 to 5 buttons.
PadButtons = Annotated[dict[RatingKey, BcmPin], Field(min_length=2, max_length=5)]
#: ``[leds]``: the BCM GPIO of the LED in (or above) each button, by the same keys, and an optional ``status`` LED
#: (without it, "not connected" is shown on the buttons' LEDs).
PadLeds = dict[str, BcmPin]
STATUS_LED = "status"


class PadBehaviour(Section):
    """``[pad]``: timings. The defaults suit a hall; change them only with a reason."""

    # Edges closer than this after a release are contact bounce. Kept short on purpose: anything longer is a press
    # and is recorded (inside the lockout as misuse); the RC filter of the wiring diagram removes bounce at the source.
    debounce_ms: Annotated[float, Field(ge=0, le=50)] = 0.3
    lockout_s: Annotated[float, Field(gt=0, le=600)] = 5.0  # presses closer than this to the previous one: misuse
    thanks_s: Annotated[float, Field(gt=0, le=30)] = 3.0  # how long the pressed button stays lit
    idle_brightness: Annotated[float, Field(ge=0, le=1)] = 0.15  # LEDs while nothing is to rate
    offline_grace_s: Annotated[float, Field(ge=0, le=600)] = 10.0  # show "not connected" after this long
    resend_s: Annotated[float, Field(ge=1, le=3600)] = 15.0  # send an unacknowledged vote again after this
    send_window: Annotated[int, Field(ge=1, le=500)] = 100  # votes in flight at once (a backlog goes out in steps)


class PadConfig(CounterDeviceConfig):
    """pad.toml (``device``, ``mqtt``, ``counter``, ``hall``, ``gpio``, ``simulation``: `CounterDeviceConfig`)"""

    outbox: ConfigPath = Path("/var/lib/motcua/pad-outbox.db")
    buttons: PadButtons
    leds: PadLeds
    pad: PadBehaviour = PadBehaviour()

    def pins(self) -> dict[str, int | None]:
        pins: dict[str, int | None] = {f"buttons.{k}": v for k, v in self.buttons.items()}
        pins.update({f"leds.{k}": v for k, v in self.leds.items()})
        return pins

    def wiring_problems(self) -> list[tuple[tuple[int | str, ...], str]]:
        """One LED per button (the status LED aside), listed with the pins' problems (`CounterDeviceConfig`)."""
        problems: list[tuple[tuple[int | str, ...], str]] = []
        for key in self.leds:
            if key == STATUS_LED or key in self.buttons:
                continue
            guess = difflib.get_close_matches(key, [STATUS_LED, *self.buttons], n=1)
            if guess:
                problems.append((("leds", key), f"unknown LED; did you mean {guess[0]!r}?"))
            else:
                problems.append((("buttons", key), f"required setting is missing (leds.{key} has no button)"))
        for key in self.buttons:
            if key not in self.leds:
                problems.append((("leds", key), "required setting is missing (one LED per button)"))
        return problems

    @property
    def status_led(self) -> int | None:
        return self.leds.get(STATUS_LED)


@dataclass(frozen=True)
class LoadedPad:
    config: PadConfig
    levels: tuple[str, ...]  # the buttons' level keys, left to right (the hall's scale)
    labels: dict[str, str]  # Vietnamese, from hall.toml [rating] (or the default scale's)


def load_pad_config(path: Path | str) -> LoadedPad:
    """Read and check pad.toml (and, when it names one, the hall it belongs to)."""
    config, hall = load_counter_device_config(path, PadConfig, "pad")
    rating = hall.rating if hall is not None else RatingSection()
    keys = rating.keys
    if set(config.buttons) != set(keys):
        raise ConfigError(
            f"{path}: [buttons] has {', '.join(config.buttons)} but the hall's rating scale is {', '.join(keys)}"
            f"{'' if config.hall is not None else ' (the default: no hall file given)'}: one button per level"
        )
    return LoadedPad(config, keys, {level.key: level.label for level in rating.scale})
