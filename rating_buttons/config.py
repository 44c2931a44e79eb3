"""pad.toml: who the pad is, which counter it rates, where its buttons and LEDs are wired.

Reference with every setting: docs/counter-devices.md. Checked at start: a missing pin, a pin used twice, a GPIO
number off the header, a counter the hall does not have (when ``hall`` is given) stop the pad with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from motcua.config import ConfigPath, Section
from motcua.contract import RatingLevel
from motcua.gpio import BcmPin, CounterDeviceConfig, load_counter_device_config
from motcua.hall import RatingSection


class PadButtons(Section):
    """``[buttons]``: the BCM GPIO of each button (wired to GND, internal pull-up)."""

    satisfied: BcmPin  # Hài lòng
    neutral: BcmPin  # Bình thường
    unsatisfied: BcmPin  # Không hài lòng


class PadLeds(Section):
    """``[leds]``: the BCM GPIO of the LED in (or above) each button, and an optional status LED."""

    satisfied: BcmPin
    neutral: BcmPin
    unsatisfied: BcmPin
    status: BcmPin | None = None  # without it, "not connected" is shown on the three button LEDs


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
        pins: dict[str, int | None] = {f"buttons.{k}": v for k, v in self.buttons.model_dump().items()}
        pins.update({f"leds.{k}": v for k, v in self.leds.model_dump().items()})
        return pins


@dataclass(frozen=True)
class LoadedPad:
    config: PadConfig
    labels: dict[RatingLevel, str]  # Vietnamese, from hall.toml [rating].labels (or the defaults)


def load_pad_config(path: Path | str) -> LoadedPad:
    """Read and check pad.toml (and, when it names one, the hall it belongs to)."""
    config, hall = load_counter_device_config(path, PadConfig, "pad")
    rating = hall.rating if hall is not None else RatingSection()
    return LoadedPad(config, dict(rating.labels))
