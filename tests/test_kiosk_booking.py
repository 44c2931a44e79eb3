"""'Tôi đã đặt lịch hẹn' at the kiosk: the booking code typed on the numeric keypad or scanned, the request that
goes to the coordinator, the refusals a citizen can meet, the screen at every size, and the whole check-in against
the real broker and coordinator."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pygame
import pytest
from kiosk_support import OUTPUT, RESOLUTIONS, kiosk_config, qr_png, run_until
from test_kiosk_idcard import ready_controller
from test_kiosk_screens import check

from coordinator.bookings import Booking, BookingOutcome
from coordinator.store import Store
from kiosk.app import KioskApp
from kiosk.i18n import Lang
from kiosk.model import Outcome, PrinterStatus, TicketResult
from kiosk.qrpayload import ScanVerdict, parse_scan
from kiosk.ticket import ticket_details
from kiosk.ui.controller import Action, Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen
from motcua.contract import ErrorCode


def test_a_code_typed_on_the_keypad_asks_for_the_bookings_ticket(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.action(Action("booking"), 1)
    assert c.state.screen is Screen.BOOKING
    for key in "20261":
        c.action(Action("key", key), 2)
    c.action(Action("backspace"), 2)
    c.action(Action("key", "9"), 2)
    c.action(Action("booking_submit"), 3)
    assert c.state.screen is Screen.WORKING
    request = effects.requests[-1]
    assert (request.booking, request.service, request.procedure, request.priority) == ("20269", None, None, None)


def test_too_short_a_code_is_not_sent(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.action(Action("booking"), 1)
    c.action(Action("key", "7"), 2)
    c.action(Action("booking_submit"), 3)
    assert c.state.screen is Screen.BOOKING and not effects.requests


@pytest.mark.parametrize("payload", [b"LICHHEN:DL-20261123-0042", b"lichhen:dl-20261123-0042"])
def test_a_scanned_booking_qr_checks_in_at_once(hall, procedures, payload: bytes):
    assert parse_scan(payload).verdict is ScanVerdict.BOOKING
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    assert c.on_scan(payload, 1)
    assert c.state.screen is Screen.WORKING and effects.requests[-1].booking == "DL-20261123-0042"


@pytest.mark.parametrize("payload", [b"LICHHEN:", b"LICHHEN:<script>", b"LICHHEN:AB", b"BOOKING:DL-0001"])
def test_a_malformed_booking_qr_is_not_a_booking(payload: bytes):
    assert parse_scan(payload).verdict is not ScanVerdict.BOOKING


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (ErrorCode.UNKNOWN_BOOKING, "Không tìm thấy lịch hẹn"),
        (ErrorCode.BOOKING_USED, "đã được dùng"),
        (ErrorCode.BOOKING_TOO_EARLY, "Chưa đến giờ"),
        (ErrorCode.BOOKING_TOO_LATE, "đã qua ngày"),
    ],
)
def test_each_refusal_of_a_booking_is_explained(hall, procedures, code: ErrorCode, words: str):
    c, _ = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.on_scan(b"LICHHEN:DL-0001", 1)
    c.on_result(TicketResult(Outcome.REFUSED, uuid.uuid4(), error=code), 2)
    assert c.state.screen is Screen.MESSAGE and c.state.message is not None
    assert c.state.message.title == "Chưa lấy được số theo lịch hẹn" and words in c.state.message.body


def test_the_booking_screen_fits_every_resolution(hall, procedures):
    pygame.display.init()
    try:
        for lang in ("vi", "en"):
            for width, height in RESOLUTIONS:
                for typed in ("", "2026112300"):
                    c, _ = ready_controller(hall, procedures)
                    if lang == "en":
                        c.action(Action("lang"), 0)
                    c.action(Action("booking"), 1)
                    for key in typed:
                        c.action(Action("key", key), 2)
                    surface = pygame.Surface((width, height))
                    painter = Painter(surface)
                    draw_screen(ScreenContext(painter, c.state, now=_now(), zone=hall.hall.zone, keyboard="qwerty"))
                    name = f"booking{'-typed' if typed else ''}-{lang}-{width}x{height}"
                    path = OUTPUT / "screens" / f"{name}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    pygame.image.save(surface, str(path))
                    check(painter, name)
                    digits = {h.action.arg for h in painter.hits if h.action.kind == "key"}
                    assert digits == set("0123456789")
                    assert any(h.action.kind == "booking_submit" for h in painter.hits) is bool(typed)
    finally:
        pygame.display.quit()


def hall_zone(coordinator):
    return coordinator.engine.hall.hall.zone


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 1, 5, tzinfo=UTC)


def test_a_citizen_checks_in_with_the_bookings_qr_and_gets_a_booked_ticket(coordinator, broker, clock, tmp_path):
    now = clock.now()
    slot = now + timedelta(minutes=30)
    service = coordinator.engine.hall.services[0].id
    # Imported as `motcua bookings import` does, on a connection of its own: the coordinator's connection belongs
    # to its thread (it flushes on every broker connection; a second thread's transaction on it broke both).
    importer = Store(tmp_path / "coordinator.db")
    try:
        importer.import_bookings(
            [Booking(code="DL-0042", service=service, slot_start=slot, slot_end=slot + timedelta(minutes=15))],
            coordinator.engine.business_day_of,
            now,
        )
    finally:
        importer.close()
    app = KioskApp(kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"), request_timeout_s=3.0), clock=clock)
    app.start()
    try:
        run_until(app, lambda: app.controller.state.screen is Screen.HOME, what="home screen")
        app.controller.action(Action("booking"), time.monotonic())
        app.screenshot(OUTPUT / "e2e-booking.png")
        qr_png("LICHHEN:DL-0042", tmp_path / "drop" / "booking.png", scale=5)
        run_until(app, lambda: app.controller.state.screen is Screen.TICKET, what="ticket")
        result = app.controller.state.result
        assert result is not None and result.ticket is not None
        assert result.ticket.booked_for == slot and result.ticket.service == service
        app.screenshot(OUTPUT / "e2e-booked-ticket.png")
        app.step(0)
        shown = " ".join(t.text for t in app.painter.texts)
        assert f"Lịch hẹn: {slot.astimezone(hall_zone(coordinator)):%H:%M}" in shown
        details = ticket_details(result.ticket, hall_zone(coordinator), Lang.VI)
        assert details[1] == (
            f"Lịch hẹn: {slot.astimezone(hall_zone(coordinator)):%H:%M} — xin mời chờ đến giờ hẹn",
            True,
        )
        printed = list((tmp_path / "printed").iterdir())
        assert len(printed) == 1
        (OUTPUT / f"printed-booked-ticket{printed[0].suffix}").write_bytes(printed[0].read_bytes())
    finally:
        app.stop()
    reader = Store(tmp_path / "coordinator.db")
    try:
        booking = reader.booking("DL-0042")
    finally:
        reader.close()
    assert booking is not None and booking.outcome is BookingOutcome.KEPT and booking.ticket_id == result.ticket.id
