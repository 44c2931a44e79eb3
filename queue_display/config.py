"""display.toml: the waiting-hall display and its announcer. Reference with every setting: docs/display.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from motcua.config import ConfigPath, DeviceSection, MqttSettings, Section, TimeZoneName, load_config
from motcua.contract import Slug
from queue_display.script import ScriptOptions
from queue_display.texts import Language

#: The clip set `make voices` generates (and the display completes at start when clips are missing).
DEFAULT_CLIPS = Path(__file__).resolve().parent / "voice" / "clips"


class ScreenSection(Section):
    """``[screen]``: the TV and what it shows."""

    # SDL video driver: "auto" lets SDL choose (kmsdrm on Raspberry Pi OS Lite, x11/wayland on a desktop);
    # "dummy" renders off-screen (simulated hardware: tests, demo, benchmark).
    driver: Literal["auto", "kmsdrm", "x11", "wayland", "dummy"] = "auto"
    width: Annotated[int, Field(ge=0, le=7680)] = 1920  # 0 and 0: the screen's own resolution
    height: Annotated[int, Field(ge=0, le=7680)] = 1080
    fullscreen: bool = True
    language: Language = "vi"
    title: str | None = None  # replaces the hall name the coordinator sends (e.g. a shorter one)
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    show_seconds: bool = False  # the clock then redraws every second instead of every minute
    highlight_s: Annotated[float, Field(ge=0, le=60)] = 8.0  # a new call blinks this long
    recent_calls: Annotated[int, Field(ge=0, le=12)] = 6
    page_s: Annotated[float, Field(ge=2, le=120)] = 8.0  # more counters/services than fit: pages turn this often
    show_waiting: bool = True  # the waiting count per service; off: the counters' rows get its space (bigger)
    show_estimated_wait: bool = True
    notice: str = ""  # a line for citizens at the bottom, scrolling when longer than the screen
    notice_speed: Annotated[float, Field(ge=10, le=1000)] = 110.0  # pixels per second on a 1080-line screen
    notice_fps: Annotated[float, Field(ge=5, le=60)] = 25.0
    service_labels: dict[Slug, str] = {}  # shorter names for long service names, by service id

    @model_validator(mode="after")
    def _size(self) -> ScreenSection:
        if (self.width == 0) != (self.height == 0):
            raise ValueError("give both width and height, or 0 for both (the screen's own resolution)")
        if self.width and min(self.width, self.height) < 240:
            raise ValueError("the screen must be at least 240 pixels in each direction")
        return self


class AudioSection(Section):
    """``[audio]``: the announcer."""

    # "pygame": the speaker (HDMI or 3.5 mm, see docs/display.md); "wav": write each announcement to wav_dir
    # (simulated hardware); "none": this display does not speak (a second screen in the same hall).
    output: Literal["pygame", "wav", "none"] = "pygame"
    device: str | None = None  # SDL audio device name (`motcua voice --devices`); default: the system's default
    wav_dir: ConfigPath | None = None
    wav_realtime: bool = True  # with output = "wav": take as long as the sound would (the demo's queue is real)
    volume: Annotated[int, Field(ge=0, le=100)] = 80  # percent of full scale, applied to the clips
    repeat: Annotated[int, Field(ge=1, le=3)] = 2  # the sentence is said this many times per call
    chime: bool = True
    max_age_s: Annotated[float, Field(ge=0, le=3600)] = 120.0  # older calls are skipped (0: never skip)
    linh: Literal["linh", "lẻ"] = "linh"  # 105 "một trăm linh năm" (North) or "một trăm lẻ năm" (South)
    thousand: Literal["nghìn", "ngàn"] = "nghìn"
    number_style: Literal["number", "digits"] = "number"  # 1023: "một nghìn không trăm..." or "một không hai ba"
    clips: ConfigPath = DEFAULT_CLIPS
    generate_missing: bool = True  # at start, synthesise missing clips with espeak-ng (recorded clips are kept)
    voice: str = "vi"  # espeak-ng voice for generated clips: vi, vi-vn-x-central, vi-vn-x-south
    rate: Annotated[int, Field(ge=80, le=450)] = 140  # espeak-ng words per minute: slow and clear

    @model_validator(mode="after")
    def _wav_dir(self) -> AudioSection:
        if self.output == "wav" and self.wav_dir is None:
            raise ValueError('output = "wav" needs wav_dir')
        return self

    def script_options(self) -> ScriptOptions:
        return ScriptOptions(
            linh=self.linh,
            thousand=self.thousand,
            number_style=self.number_style,
            repeat=self.repeat,
            chime=self.chime,
        )


class SimulationSection(Section):
    """``[simulation]``: with ``[screen] driver = "dummy"``, a Unix socket through which the demo and end-to-end
    tests ask what the screen shows (`motcua.simcontrol`): ``status``, ``screenshot PATH``."""

    control_socket: ConfigPath | None = None


class DisplayConfig(Section):
    """display.toml"""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()
    screen: ScreenSection = ScreenSection()
    audio: AudioSection = AudioSection()
    simulation: SimulationSection = SimulationSection()
    # The coordinator's device id (hall.toml [devices] coordinator): the board says when it has stopped.
    coordinator: Slug = "coordinator"

    @model_validator(mode="after")
    def _simulated(self) -> DisplayConfig:
        if self.simulation.control_socket is not None and self.screen.driver != "dummy":
            raise ValueError('simulation.control_socket needs [screen] driver = "dummy" (a real screen is looked at)')
        return self


def load_display_config(path: Path | str) -> DisplayConfig:
    return load_config(path, DisplayConfig)
