"""kiosk.toml: what a technician sets for one ticket kiosk. Validated at start (unknown keys are errors with
"did you mean"); relative paths are taken from the file's folder. Reference: docs/kiosk.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from kiosk.model import DEFAULT_THANKS
from kiosk.qrpayload import CODE_PARAMETERS, DEFAULT_PORTALS, Portal
from kiosk.ticket import PAPER_WIDTHS
from motcua.config import ConfigPath, DeviceSection, MqttSettings, Section, TimeZoneName
from motcua.contract import Slug
from motcua.language import Language


class ScreenSection(Section):
    """The touchscreen (pygame / SDL)."""

    width: Annotated[int, Field(ge=320, le=7680)] = 1024
    height: Annotated[int, Field(ge=240, le=4320)] = 600
    # The panel's diagonal in inches: the screens size their buttons from it (at least 15 mm, gaps 2.5 mm, as public
    # terminals need; fewer rows on a small panel) and the kiosk warns at start on a panel too small for that
    # (docs/kiosk.md lists the supported panels). Unset: laid out from the pixels alone, sizes not guaranteed.
    diagonal_in: Annotated[float, Field(ge=3, le=100)] | None = None
    # Start every citizen in large-text mode ("Chữ to": larger text, high contrast, fewer items a page); the
    # citizen can still switch it off, and it comes back for the next one.
    large_text: bool = False
    fullscreen: bool = True
    # SDL video driver: "auto" lets SDL choose (X11/Wayland on a desktop); "kmsdrm" on Raspberry Pi OS Lite;
    # "dummy" renders off-screen (tests, headless demo).
    driver: str = "auto"
    language: Language = Language.VI
    keyboard: Literal["qwerty", "abc"] = "qwerty"
    idle_timeout_s: Annotated[float, Field(ge=5, le=3600)] = 60.0  # back to the home screen after no touch
    ticket_screen_s: Annotated[float, Field(ge=3, le=600)] = 20.0  # how long the number stays on screen
    show_cursor: bool = False
    # After a screen changes, taps (except typing) are ignored this long: an elderly hand's slow double tap.
    tap_guard_s: Annotated[float, Field(ge=0, le=3)] = 0.8
    # How many times a second, at most, the touchscreen is read and the screen redrawn (idle, the kiosk sleeps).
    fps_limit: Annotated[int, Field(ge=1, le=120)] = 30


class PrinterSection(Section):
    """The ESC/POS thermal printer. One of: usb, serial, network, file (e.g. /dev/usb/lp0), dummy (simulated)."""

    connection: Literal["usb", "serial", "network", "file", "dummy"] = "usb"
    paper: Literal["58mm", "80mm"] = "80mm"
    width_px: Annotated[int, Field(ge=256, le=1024)] | None = None  # printable dots; default from `paper`
    # python-escpos capability profile (e.g. "TM-T20II", "POS-5890"); "default" when the model is not listed.
    profile: str = "default"
    image_impl: Literal["bitImageRaster", "graphics", "bitImageColumn"] = "bitImageRaster"
    fragment_height: Annotated[int, Field(ge=24, le=2400)] = 256  # image slice per command; cheap printers choke on big
    cut: Literal["full", "partial", "none"] = "partial"
    check_status: bool = True  # ask the printer for its paper sensor (DLE EOT 4) before and after each ticket
    settle_s: Annotated[float, Field(ge=0, le=10)] | None = None  # wait before the after-print check (default 1 s)
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    status_interval_s: Annotated[float, Field(ge=2, le=3600)] = 30.0  # background paper check while idle
    # usb
    usb_vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)] | None = None
    usb_product_id: Annotated[int, Field(ge=0, le=0xFFFF)] | None = None
    usb_in_ep: Annotated[int, Field(ge=0, le=0xFF)] = 0x82
    usb_out_ep: Annotated[int, Field(ge=0, le=0xFF)] = 0x01
    # serial
    serial_device: str | None = None
    serial_baudrate: int = 9600
    # network (raw TCP, usually port 9100)
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 9100
    # file: a character device written directly (the usblp kernel driver's /dev/usb/lp0)
    device_file: ConfigPath | None = None
    # dummy: each printed ticket is decoded from its bytes and saved here as PNG (None: keep bytes in memory only)
    save_dir: ConfigPath | None = None

    @property
    def dots(self) -> int:
        return self.width_px or PAPER_WIDTHS[self.paper]

    @property
    def settle(self) -> float:
        if self.settle_s is not None:
            return self.settle_s
        return 0.0 if self.connection == "dummy" else 1.0

    @model_validator(mode="after")
    def _connection_settings(self) -> PrinterSection:
        needed = {
            "usb": ("usb_vendor_id", "usb_product_id"),
            "serial": ("serial_device",),
            "network": ("host",),
            "file": ("device_file",),
            "dummy": (),
        }[self.connection]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"connection = {self.connection!r} needs {', '.join(missing)}")
        return self


class CameraSection(Section):
    """The QR scanner's camera. One of: v4l2 (USB webcam), picamera2 (Pi camera module), files (images, videos
    or a watched drop folder: tests and demos), none."""

    source: Literal["v4l2", "picamera2", "files", "none"] = "v4l2"
    index: Annotated[int, Field(ge=0, le=63)] = 0  # /dev/videoN
    width: Annotated[int, Field(ge=160, le=4096)] = 640
    height: Annotated[int, Field(ge=120, le=3072)] = 480
    files: list[ConfigPath] = []  # images or videos played once at start
    drop_folder: ConfigPath | None = None  # images put here are scanned, then removed
    loop_video: bool = False
    cooldown_s: Annotated[float, Field(ge=0, le=120)] = 4.0  # the same code is ignored this long after it was seen
    retry_s: Annotated[float, Field(ge=1, le=600)] = 10.0  # how often a missing camera is looked for again


_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


def _host_name(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    if not _HOST_NAME.match(host):
        raise ValueError(f"{value!r} is not a host name: write it like dichvucong.laocai.gov.vn (no https://, no path)")
    return host


HostName = Annotated[str, AfterValidator(_host_name)]
ParameterName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{1,40}$")]


class PortalSection(Section):
    """A public-service portal whose links may carry a procedure code."""

    host: HostName  # its subdomains are trusted too
    parameters: Annotated[list[ParameterName], Field(min_length=1)] = list(CODE_PARAMETERS)  # carry the code

    def portal(self) -> Portal:
        return Portal(self.host, tuple(self.parameters))


class ScannerSection(Section):
    #: Portals whose links may carry a procedure code, with the query parameters that carry it there. Setting
    #: ``[[scanner.portals]]`` replaces the default list (the national portal and a few provinces').
    portals: list[PortalSection] = [PortalSection(host=p.host, parameters=list(p.parameters)) for p in DEFAULT_PORTALS]
    #: More hosts, with the national portal's parameters (ma_thu_tuc, keyword). Kept for older kiosk.toml files.
    portal_hosts: list[HostName] = []

    @property
    def trusted_portals(self) -> tuple[Portal, ...]:
        return (*(p.portal() for p in self.portals), *(Portal(host) for host in self.portal_hosts))


class TicketSection(Section):
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"  # for the date and time printed on tickets
    thanks: str = DEFAULT_THANKS  # the last line of every ticket, Vietnamese and English
    thanks_en: str | None = None  # instead of `thanks` on English tickets (default: "Thank you!" if `thanks` is)
    request_timeout_s: Annotated[float, Field(gt=0, le=30)] = 5.0  # wait for the coordinator's answer

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class VoiceSection(Section):
    """Voice guidance ("Hướng dẫn bằng giọng nói"): clips made offline with espeak-ng, played on the speaker."""

    output: Literal["speaker", "wav", "none"] = "speaker"  # "wav": write what would be said (tests, the demo)
    wav_dir: ConfigPath | None = None  # with output = "wav" (default: state_dir/voice-out)
    device: str | None = None  # SDL audio device (motcua voice --devices); default: the system's
    voice_vi: str = "vi"  # espeak-ng voice for Vietnamese (vi, vi-vn-x-central, vi-vn-x-south)
    voice_en: str = "en"
    rate: Annotated[int, Field(ge=80, le=300)] = 130  # words per minute: slow enough for an elderly listener
    volume: Annotated[float, Field(ge=0, le=1)] = 1.0


class KioskConfig(Section):
    """kiosk.toml"""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()
    screen: ScreenSection = ScreenSection()
    printer: PrinterSection
    camera: CameraSection = CameraSection()
    scanner: ScannerSection = ScannerSection()
    ticket: TicketSection = TicketSection()
    voice: VoiceSection = VoiceSection()
    # The coordinator's device id (hall.toml [devices] coordinator): its retained status tells the home screen
    # when numbers cannot be issued.
    coordinator: Slug = "coordinator"
    # Where the kiosk keeps requests not yet settled (cancelled or printed) and the last catalogue.
    state_dir: ConfigPath = Path("/var/lib/motcua/kiosk")
    # With simulated hardware (dummy printer or file camera): the Unix socket of motcua.simcontrol
    # (tap X Y, scan PATH, take SERVICE [priority], screenshot PATH, printer STATE, status). Ignored otherwise.
    control_socket: ConfigPath | None = None

    @property
    def simulated(self) -> bool:
        return self.printer.connection == "dummy" or self.camera.source == "files"
