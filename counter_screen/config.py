"""counter-screen.toml: which counter the screen belongs to, the panel, and (tablet mode) the rating flow.

Reference with every setting: docs/counter-screen.md. Checked at start: a counter the hall does not have, a screen
not registered in hall.toml's ``[devices] counter_screens`` (when ``hall`` is given) stop the screen with a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from motcua.config import ConfigPath, DeviceSection, MqttSettings, Section, load_config
from motcua.contract import CounterNumber, RatingMeaning, Slug
from motcua.hall import HallConfig, RatingSection, ScaleLevel
from motcua.language import Language


class ScreenSection(Section):
    """``[screen]``: the panel above (or on) the counter."""

    # "auto": kmsdrm on Raspberry Pi OS Lite; "dummy": off-screen (simulated hardware: tests, demo, benchmark).
    driver: Literal["auto", "kmsdrm", "x11", "wayland", "dummy"] = "auto"
    width: Annotated[int, Field(ge=240, le=7680)] = 1024  # a 7" panel is 1024x600 (or 800x480)
    height: Annotated[int, Field(ge=240, le=7680)] = 600
    fullscreen: bool = True
    language: Language = Language.VI  # what the screen shows; the tablet's citizen may switch for one rating
    highlight_s: Annotated[float, Field(ge=0, le=60)] = 6.0  # a new call blinks this long
    offline_grace_s: Annotated[float, Field(ge=0, le=600)] = 5.0  # "not connected" after this long without broker
    show_waiting: bool = True  # how many citizens wait for this counter's services


class ReasonOption(Section):
    """One reason a citizen may tick after a low rating: a stable id (stored with the vote, counted in the
    reports) and its words."""

    id: Slug
    vi: str
    en: str


DEFAULT_REASONS = [
    ReasonOption(id="attitude", vi="Thái độ phục vụ", en="Staff attitude"),
    ReasonOption(id="wait", vi="Thời gian chờ", en="Waiting time"),
    ReasonOption(id="guidance", vi="Hướng dẫn chưa rõ", en="Unclear guidance"),
    ReasonOption(id="other", vi="Khác", en="Other"),
]


class TabletSection(Section):
    """``[tablet]`` (``mode = "tablet"``): the touch rating flow. The vote rules are the pad's."""

    lockout_s: Annotated[float, Field(gt=0, le=600)] = 5.0  # a tap within this of the previous one: misuse
    invite_s: Annotated[float, Field(gt=0, le=600)] = 60.0  # the invitation goes back to the display after this
    reasons_s: Annotated[float, Field(gt=0, le=600)] = 30.0  # the reasons screen sends what is ticked after this
    thanks_s: Annotated[float, Field(gt=0, le=60)] = 4.0
    # Levels of these meanings (hall.toml [rating]: each level's `meaning`) ask why, whatever their key or place.
    ask_reasons_for: list[RatingMeaning] = [RatingMeaning.UNSATISFIED]
    reasons: Annotated[list[ReasonOption], Field(max_length=8)] = DEFAULT_REASONS
    language_toggle: bool = True  # an "English" / "Tiếng Việt" button on the invitation
    resend_s: Annotated[float, Field(ge=1, le=3600)] = 15.0  # send an unacknowledged vote again after this
    send_window: Annotated[int, Field(ge=1, le=500)] = 100

    @model_validator(mode="after")
    def _unique(self) -> TabletSection:
        ids = [r.id for r in self.reasons]
        if len(ids) != len(set(ids)):
            raise ValueError("tablet.reasons: every reason needs its own id")
        return self


class SimulationSection(Section):
    """``[simulation]``: with ``driver = "dummy"``, a Unix socket for the demo and tests: ``status``,
    ``screenshot PATH``, ``tap X Y``, ``tap LEVEL``, ``tap reason ID``, ``tap send``."""

    control_socket: ConfigPath | None = None


class CounterScreenConfig(Section):
    """counter-screen.toml"""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()
    counter: CounterNumber  # quầy số
    hall: ConfigPath | None = None  # hall.toml: checks the registration, gives the rating labels
    mode: Literal["display", "tablet"] = "display"  # "tablet": a touchscreen that also asks for a rating
    outbox: ConfigPath = Path("/var/lib/motcua/counter-screen-outbox.db")  # tablet: votes wait here until acked
    screen: ScreenSection = ScreenSection()
    tablet: TabletSection = TabletSection()
    simulation: SimulationSection = SimulationSection()

    @model_validator(mode="after")
    def _simulated(self) -> CounterScreenConfig:
        if self.simulation.control_socket is not None and self.screen.driver != "dummy":
            raise ValueError('simulation.control_socket needs [screen] driver = "dummy" (a real screen is touched)')
        return self


class LoadedScreen:
    """The checked config and the hall's rating scale (hall.toml ``[rating]``, the pad's source; without ``hall``:
    the default three levels)."""

    def __init__(self, config: CounterScreenConfig, hall: HallConfig | None) -> None:
        self.config = config
        rating = hall.rating if hall is not None else RatingSection()
        self.scale: list[ScaleLevel] = rating.scale
        self.labels = scale_labels(rating)


def scale_labels(rating: RatingSection) -> dict[Language, dict[str, str]]:
    """The tablet's face labels by level key, in both languages: one face per level of the hall's scale."""
    return {
        Language.VI: {level.key: level.label for level in rating.scale},
        Language.EN: {level.key: level.label_en or level.label for level in rating.scale},
    }


def load_counter_screen_config(path: Path | str) -> LoadedScreen:
    """Read and check counter-screen.toml (and, when it names one, its registration in the hall)."""
    from motcua.gpio import check_hall_registration

    config = load_config(path, CounterScreenConfig)
    hall = None
    if config.hall is not None:
        hall = check_hall_registration(
            path,
            config.hall,
            device=config.device.id,
            site=config.device.site,
            counter=config.counter,
            role="counter_screen",
        )
    return LoadedScreen(config, hall)
