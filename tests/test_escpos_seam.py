"""The python-escpos internals the printer seam relies on (kiosk.printer.ESCPOS_INTERNALS) are still there, with
the same parameters and the same role. If one of these tests fails after upgrading python-escpos, read the new
release's printer classes before changing anything in kiosk/printer.py: tickets would silently not print."""

from __future__ import annotations

import inspect

import pytest
from escpos.escpos import Escpos
from escpos.printer import Dummy, File, Network, Serial, Usb

from kiosk.config import PrinterSection
from kiosk.model import PrinterStatus
from kiosk.printer import DLE_EOT_PAPER, ESCPOS_INTERNALS, TicketPrinter, send_raw

PRINTER_CLASSES = [Escpos, Dummy, Usb, Serial, Network, File]


def parameters(function: object) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", PRINTER_CLASSES, ids=lambda c: c.__name__)
def test_every_printer_class_writes_through_raw_msg(cls: type):
    assert callable(getattr(cls, "_raw", None)), f"{cls.__name__}._raw is gone"
    assert parameters(cls._raw) == ESCPOS_INTERNALS["_raw"]


@pytest.mark.parametrize("cls", [Escpos, Usb, Serial, Network], ids=lambda c: c.__name__)
def test_printers_that_answer_read_through_read(cls: type):
    assert callable(getattr(cls, "_read", None)), f"{cls.__name__}._read is gone"
    assert parameters(cls._read) == ESCPOS_INTERNALS["_read"]


def test_query_status_is_raw_then_read():
    calls: list[tuple[str, bytes]] = []

    class Recording(Dummy):  # type: ignore[misc]
        def _raw(self, msg: bytes) -> None:
            calls.append(("raw", msg))

        def _read(self) -> bytes:
            calls.append(("read", b""))
            return b"\x12"

    assert Recording().query_status(DLE_EOT_PAPER) == b"\x12"
    assert calls == [("raw", DLE_EOT_PAPER), ("read", b"")]


def test_the_library_s_own_commands_arrive_in_raw_and_send_raw_writes_unchanged():
    printer = Dummy()
    printer.hw("INIT")
    send_raw(printer, b"\x1b\x40raw bytes")
    assert printer.output == b"\x1b\x40\x1b\x40raw bytes"


def test_the_connection_object_is_public():
    assert isinstance(inspect.getattr_static(Escpos, "device"), property)
    printer = TicketPrinter(PrinterSection(connection="dummy"))
    assert printer.status(probe=True) is PrinterStatus.OK  # the simulated printer answered through _read
