"""The ticket printer seam: ESC/POS over USB, serial, TCP or a device file, and a simulated printer.

What this module guarantees the ticket flow:

- `status()` never claims "OK" without the printer saying so. python-escpos' ``paper_status()`` reports plenty
  of paper when the printer answers nothing; here an empty or malformed reply is `PrinterStatus.UNKNOWN`.
- A printer that failed to open (unplugged, "Resource busy") is opened again, from scratch, on the next call:
  python-escpos leaves the device as None after a failed ``open()``.
- The whole ticket is built into bytes first (`build_job`, device-independent, what the benchmark times), then
  written in one go; any exception while writing is a failed print, never a silent success.

`SimulatedPrinter` is the shipped fake (selected with ``connection = "dummy"``): it keeps the bytes, answers
status queries like a real printer (or stays silent), can be unplugged or run out of paper on command, and saves
each ticket it "prints" as a PNG decoded from the bytes it received.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy
from PIL import Image

from kiosk.config import PrinterSection
from kiosk.escpos_raster import decode_tickets
from kiosk.model import PrinterStatus as PrinterStatus  # re-exported: the status belongs to the model

logger = logging.getLogger(__name__)

DLE_EOT_PAPER = b"\x10\x04\x04"  # real-time paper sensor status (DLE EOT 4)
DLE_EOT_PRINTER = b"\x10\x04\x01"  # real-time printer status (DLE EOT 1)


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    status: PrinterStatus  # after printing
    problem: str | None = None  # key of kiosk.i18n.PRINTER_PROBLEMS when not printed
    detail: str = ""  # English, for the log


def parse_paper_status(reply: bytes) -> PrinterStatus:
    """Decode the answer to DLE EOT 4. Bits 1 and 4 are always set and bits 0 and 7 always clear in a real
    answer; anything else (including nothing) is UNKNOWN rather than a guess."""
    if len(reply) == 0:
        return PrinterStatus.UNKNOWN
    value = reply[-1]
    if value & 0x93 != 0x12:
        return PrinterStatus.UNKNOWN
    if value & 0x60:
        return PrinterStatus.NO_PAPER
    if value & 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.OK


def parse_printer_status(reply: bytes) -> PrinterStatus:
    """Decode the answer to DLE EOT 1: bit 3 set means offline."""
    if len(reply) == 0:
        return PrinterStatus.UNKNOWN
    value = reply[-1]
    if value & 0x93 != 0x12:
        return PrinterStatus.UNKNOWN
    return PrinterStatus.OFFLINE if value & 0x08 else PrinterStatus.OK


# --- python-escpos internals ----------------------------------------------------------------------------
# python-escpos 3.x has no public call that writes bytes as they are, nor a public way for a fake printer to
# answer status queries: every printer class implements `_raw(msg)` (write) and `_read()` (read back), and the
# public `query_status(mode)` is `_raw(mode)` then `_read()`. This module relies on exactly that, here and in
# `SimulatedPrinter`; tests/test_escpos_seam.py fails loudly if a python-escpos release changes any of it.

#: The private methods relied on, with their parameters (checked by the tests against the installed version).
ESCPOS_INTERNALS = {"_raw": ("self", "msg"), "_read": ("self",)}


def send_raw(device: Escpos, data: bytes) -> None:
    """Write `data` to the printer unchanged (python-escpos' `_raw`, the write every printer class implements)."""
    device._raw(data)


def escpos_profile(settings: PrinterSection) -> Any:
    """The python-escpos profile of the configured model, told the real paper width when it does not know it."""
    from escpos.capabilities import get_profile

    profile = get_profile(settings.profile)
    media = profile.profile_data.get("media", {})
    known = media.get("width", {}).get("pixels")
    if not isinstance(known, int):
        profile.profile_data = copy.deepcopy(profile.profile_data)
        profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = settings.dots
    elif known < settings.dots:
        raise ValueError(f"printer profile {settings.profile!r} prints {known} dots, not {settings.dots}")
    return profile


def build_job(image: Image.Image, settings: PrinterSection, profile: Any | None = None) -> bytes:
    """The ESC/POS bytes of one ticket: initialise, raster image (GS v 0), feed and cut."""
    if image.width != settings.dots:
        raise ValueError(f"ticket image is {image.width} dots wide, the paper {settings.dots}")
    job = Dummy(profile=settings.profile)
    job.profile = profile if profile is not None else escpos_profile(settings)
    job.hw("INIT")
    job.image(image, impl=settings.image_impl, fragment_height=settings.fragment_height, center=False)
    if settings.cut == "none":
        job.print_and_feed(6)
    else:
        job.cut(mode="PART" if settings.cut == "partial" else "FULL")
    return bytes(job.output)


class SimulatedPrinter(Dummy):  # type: ignore[misc]
    """A thermal printer in software: python-escpos `Dummy` plus a paper sensor, a cable and a folder of PNGs.

    It overrides python-escpos' `_raw` and `_read` (see ESCPOS_INTERNALS): what the library writes arrives in
    `_raw`, and `query_status` reads its answer from `_read`.

    `state`: ``ok``, ``paper_low``, ``no_paper`` (accepts bytes, prints nothing), ``unplugged`` (cannot be opened
    or written), ``silent`` (prints, but never answers a status query), ``offline`` (cover open).
    """

    STATES = ("ok", "paper_low", "no_paper", "unplugged", "silent", "offline")
    _REPLIES = {"ok": b"\x12", "paper_low": b"\x1e", "no_paper": b"\x72", "offline": b"\x12", "silent": b""}
    _ONLINE = {"ok": b"\x12", "paper_low": b"\x12", "no_paper": b"\x12", "offline": b"\x1a", "silent": b""}

    def __init__(self, save_dir: Path | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = "ok"
        self.save_dir = save_dir
        self.tickets: list[Image.Image] = []  # what came out of the printer, decoded from the bytes
        self.saved: list[Path] = []
        self._last_query = b""
        self._lock = threading.Lock()

    def open(self, raise_not_found: bool = True) -> None:
        if self.state == "unplugged":
            raise DeviceNotFoundError("simulated printer unplugged")

    def _raw(self, msg: bytes) -> None:
        if self.state == "unplugged":
            raise OSError(5, "simulated printer unplugged")
        if msg in (DLE_EOT_PAPER, DLE_EOT_PRINTER):
            self._last_query = msg
            return
        with self._lock:
            super()._raw(msg)
            if self.state in ("no_paper", "offline"):
                return
            for image in decode_tickets(msg):
                self.tickets.append(image)
                if self.save_dir is not None:
                    self.save_dir.mkdir(parents=True, exist_ok=True)
                    path = self.save_dir / f"ticket-{len(self.tickets):04d}.png"
                    image.save(path)
                    self.saved.append(path)

    def _read(self) -> bytes:
        if self.state == "unplugged":
            raise OSError(5, "simulated printer unplugged")
        table = self._ONLINE if self._last_query == DLE_EOT_PRINTER else self._REPLIES
        return table[self.state]


PrinterFactory = Callable[[], Escpos]


def escpos_factory(settings: PrinterSection) -> PrinterFactory:
    """How to make a fresh python-escpos printer for the configured connection (nothing is opened here)."""
    profile = settings.profile
    timeout = settings.timeout_s

    def make() -> Escpos:
        if settings.connection == "usb":
            from escpos.printer import Usb

            return Usb(
                settings.usb_vendor_id,
                settings.usb_product_id,
                timeout=int(timeout * 1000),
                in_ep=settings.usb_in_ep,
                out_ep=settings.usb_out_ep,
                profile=profile,
            )
        if settings.connection == "serial":
            from escpos.printer import Serial

            return Serial(settings.serial_device, baudrate=settings.serial_baudrate, timeout=timeout, profile=profile)
        if settings.connection == "network":
            from escpos.printer import Network

            return Network(settings.host, port=settings.port, timeout=timeout, profile=profile)
        if settings.connection == "file":
            from escpos.printer import File

            return File(str(settings.device_file), profile=profile)
        raise ValueError(f"no escpos printer for connection {settings.connection!r}")

    return make


class TicketPrinter:
    """The printer as the ticket flow sees it: `status()`, `print_image()`, `close()`. Thread-safe."""

    def __init__(
        self,
        settings: PrinterSection,
        *,
        factory: PrinterFactory | None = None,
        simulated: SimulatedPrinter | None = None,
    ) -> None:
        self.settings = settings
        self.profile = escpos_profile(settings)
        if settings.connection == "dummy" and simulated is None and factory is None:
            simulated = SimulatedPrinter(save_dir=settings.save_dir, profile=settings.profile)
        self.simulated = simulated
        if factory is None:
            factory = (lambda: simulated) if simulated is not None else escpos_factory(settings)
        self._factory: PrinterFactory = factory
        self._device: Escpos | None = None
        self._silent = False  # the open device never answered a status query
        self._lock = threading.Lock()
        self.last_status = PrinterStatus.UNKNOWN
        self._listeners: list[Callable[[PrinterStatus], None]] = []

    def on_status(self, listener: Callable[[PrinterStatus], None]) -> None:
        """Call `listener(status)` (from the calling thread) whenever a check finds a different status."""
        self._listeners.append(listener)

    def build_job(self, image: Image.Image) -> bytes:
        return build_job(image, self.settings, self.profile)

    def status(self, *, probe: bool = False) -> PrinterStatus:
        """The printer's state. A printer that did not answer before is not asked again on the ticket path
        (each question would cost the citizen a timeout); `probe` (the background check) asks anyway."""
        with self._lock:
            if probe:
                self._silent = False
            return self._record(self._status_locked())

    def print_image(self, image: Image.Image) -> PrintResult:
        return self.print_job(self.build_job(image))

    def print_job(self, job: bytes) -> PrintResult:
        """Write one ticket's bytes, then ask the paper sensor whether it really came out."""
        with self._lock:
            device = self._open_locked()
            if device is None:
                self._record(PrinterStatus.UNPLUGGED)
                return PrintResult(False, PrinterStatus.UNPLUGGED, "unplugged", "printer cannot be opened")
            try:
                send_raw(device, job)  # one write
            except Exception as exc:  # USBError, OSError, SerialException...: the cable, the driver, the device
                logger.warning("printing failed: %s", _explain(exc))
                self._drop_locked()
                self._record(PrinterStatus.UNPLUGGED)
                return PrintResult(False, PrinterStatus.UNPLUGGED, "unplugged", _explain(exc))
            if self.settings.settle > 0 and not self._silent and self.settings.check_status:
                time.sleep(self.settings.settle)  # the paper runs out while printing, not while receiving
            after = self._record(self._status_locked())
        if after is PrinterStatus.NO_PAPER:
            return PrintResult(False, after, "no_paper", "paper ran out")
        if after is PrinterStatus.OFFLINE:
            return PrintResult(False, after, "offline", "printer went offline")
        if after is PrinterStatus.UNPLUGGED:
            return PrintResult(False, after, "unplugged", "printer disappeared after printing")
        return PrintResult(True, after)

    def close(self) -> None:
        with self._lock:
            self._drop_locked()

    # --- internals (lock held) ---------------------------------------------------------------------------

    def _record(self, status: PrinterStatus) -> PrinterStatus:
        if status is not self.last_status:
            logger.info("printer status: %s -> %s", self.last_status.value, status.value)
            self.last_status = status
            for listener in self._listeners:
                try:
                    listener(status)
                except Exception:
                    logger.exception("printer status listener failed")
        return status

    def _open_locked(self) -> Escpos | None:
        if self._device is not None:
            return self._device
        try:
            device = self._factory()
            device.open()
        except Exception as exc:  # DeviceNotFoundError, USBError (busy), OSError, SerialException
            logger.warning("printer cannot be opened: %s", _explain(exc))
            return None
        if device.device is None and not isinstance(device, Dummy):  # public: the connection object, None if closed
            logger.warning("printer cannot be opened (no device)")
            return None
        self._device = device
        return device

    def _drop_locked(self) -> None:
        device, self._device = self._device, None
        self._silent = False
        if device is not None and device is not self.simulated:
            try:
                device.close()
            except Exception as exc:
                logger.debug("closing the printer: %s", exc)

    def _status_locked(self) -> PrinterStatus:
        device = self._open_locked()
        if device is None:
            return PrinterStatus.UNPLUGGED
        if not self.settings.check_status or self.settings.connection == "file":
            return PrinterStatus.UNKNOWN  # a device file is written, never read: a query would only print junk
        if self._silent:
            return PrinterStatus.UNKNOWN  # it did not answer before: do not make every citizen wait for a timeout
        try:
            paper = parse_paper_status(bytes(device.query_status(DLE_EOT_PAPER)))
            if paper is PrinterStatus.UNKNOWN:
                self._note_silent("no or unreadable answer to DLE EOT 4")
                return paper
            online = parse_printer_status(bytes(device.query_status(DLE_EOT_PRINTER)))
        except NotImplementedError:  # write-only connection: nothing to read
            return PrinterStatus.UNKNOWN
        except (TimeoutError, EscposError) as exc:
            self._note_silent(str(exc))
            return PrinterStatus.UNKNOWN
        except Exception as exc:
            if _is_timeout(exc):
                self._note_silent(str(exc))
                return PrinterStatus.UNKNOWN
            logger.warning("printer status query failed: %s", _explain(exc))
            self._drop_locked()
            return PrinterStatus.UNPLUGGED
        if online is PrinterStatus.OFFLINE:
            return online
        return paper

    def _note_silent(self, why: str) -> None:
        logger.info("the printer does not report its status (%s): status unknown until it is reconnected", why)
        self._silent = True


def _is_timeout(exc: BaseException) -> bool:
    # pyusb: USBTimeoutError (errno 110, ETIMEDOUT); pyserial returns b"" on timeout instead of raising.
    return type(exc).__name__ == "USBTimeoutError" or getattr(exc, "errno", None) == 110


def _explain(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    if getattr(exc, "errno", None) == 16 or "Resource busy" in str(exc):
        text += (
            ' — the usblp kernel driver holds the printer: use connection = "file" with /dev/usb/lp0, or '
            "blacklist usblp (docs/kiosk.md, 'Resource busy')"
        )
    elif getattr(exc, "errno", None) == 13 or "Access denied" in str(exc):
        text += " — no permission: install the udev rule from docs/kiosk.md and re-plug the printer"
    return text
