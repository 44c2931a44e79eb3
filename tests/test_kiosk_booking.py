"""'Tôi đã đặt lịch hẹn' at the kiosk: the booking code typed on the numeric keypad or scanned, the request that
goes to the coordinator, the refusals a citizen can meet, the screen at every size, and the whole check-in against
the real broker and coordinator."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pygame
import pytest
from kiosk_support import OUTPUT, RESOLUTIONS, kiosk_config, qr_png, run_until, sample_view
from test_kiosk_idcard import OVER_60, TODAY, ready_controller
from test_kiosk_screens import check

from coordinator.bookings import Booking, BookingOutcome
from coordinator.store import Store
from kiosk.app import KioskApp
from kiosk.catalogue import CatalogueView
from kiosk.i18n import Lang
from kiosk.model import Outcome, PrinterStatus, TicketResult
from kiosk.qrpayload import ScanVerdict, parse_scan
from kiosk.ticket import ticket_details
from kiosk.ui.controller import Action, Controller, Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen
from motcua.contract import ErrorCode, PriorityCategory


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
    assert c.state.screen is Screen.PRIORITY and not effects.requests  # a booked citizen may be a priority one
    c.action(Action("priority", "none"), 4)
    assert c.state.screen is Screen.WORKING
    request = effects.requests[-1]
    assert (request.booking, request.service, request.procedure, request.priority) == ("20269", None, None, None)


@pytest.mark.parametrize("category", list(PriorityCategory))
def test_a_booked_citizen_chooses_a_priority_and_the_request_carries_both(hall, procedures, category):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.action(Action("booking"), 1)
    for key in "20261123":
        c.action(Action("key", key), 2)
    c.action(Action("booking_submit"), 3)
    assert c.state.screen is Screen.PRIORITY
    c.action(Action("priority", category.value), 4)
    assert c.state.screen is Screen.WORKING
    request = effects.requests[-1]
    assert (request.booking, request.service, request.procedure, request.priority) == ("20261123", None, None, category)


def test_back_from_the_priority_screen_returns_to_the_typed_code(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.action(Action("booking"), 1)
    for key in "4242":
        c.action(Action("key", key), 2)
    c.action(Action("booking_submit"), 3)
    c.action(Action("back"), 4)
    assert c.state.screen is Screen.BOOKING and c.state.query == "4242" and not effects.requests


def test_a_hall_without_priorities_checks_in_at_once(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    view = sample_view(hall, procedures)
    c.on_catalogue(CatalogueView(view.catalogue.model_copy(update={"priority_categories": []})), 1)
    c.on_scan(b"LICHHEN:DL-0042", 2)
    assert c.state.screen is Screen.WORKING and effects.requests[-1].priority is None


def test_the_elderly_priority_from_the_id_card_goes_with_the_booking(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.on_scan(OVER_60.encode(), 1)
    assert c.state.screen is Screen.ID_CARD
    c.action(Action("idcard_accept"), 2)
    c.on_scan(b"LICHHEN:DL-0042", 3)
    assert c.state.screen is Screen.WORKING
    request = effects.requests[-1]
    assert (request.booking, request.priority) == ("DL-0042", PriorityCategory.ELDERLY)


def test_the_id_card_shown_on_the_priority_screen_of_a_booking_takes_the_elderly_priority(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_printer(PrinterStatus.OK)
    c.on_scan(b"LICHHEN:DL-0042", 1)
    assert c.state.screen is Screen.PRIORITY
    c.on_scan(OVER_60.encode(), 2)
    c.action(Action("idcard_accept"), 3)
    request = effects.requests[-1]
    assert (request.booking, request.priority) == ("DL-0042", PriorityCategory.ELDERLY)


@pytest.mark.parametrize("size", RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_slow_double_tap_on_confirm_lands_on_the_regular_number(hall, procedures, size, lang):
    """The priority screen after XÁC NHẬN puts its regular choice where XÁC NHẬN was (tests/test_kiosk_double_tap.py
    does the same for LẤY SỐ): a second tap of a trembling hand never chooses a priority."""
    pygame.display.init()
    try:
        c, effects = ready_controller(hall, procedures)
        c.on_printer(PrinterStatus.OK)
        if lang == "en":
            c.action(Action("lang"), 0)
        c.action(Action("booking"), 1)
        for key in "2026112300":
            c.action(Action("key", key), 2)
        confirm = next(h for h in _draw(c, size).hits if h.action.kind == "booking_submit")
        c.action(confirm.action, 3)
        assert c.state.screen is Screen.PRIORITY
        landing = _draw(c, size)
        regular = next(h for h in landing.hits if h.action == Action("priority", "none"))
        r = confirm.rect
        for x in range(r.x + 1, r.right, max(1, r.w // 12)):
            for y in range(r.y + 1, r.bottom, max(1, r.h // 6)):
                hit = landing.hit_at(x, y)
                assert hit is None or hit is regular, (x, y, hit.label if hit else None)
        categories = [h for h in landing.hits if h.action.kind == "priority" and h is not regular]
        assert len(categories) == len(PriorityCategory)  # every category still offered, beside it
        name = f"booking-priority-{lang}-{size[0]}x{size[1]}"
        path = OUTPUT / "screens" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(landing.surface, str(path))
        check(landing, name)
        # The tap guard too: a second tap 0.5 s later is ignored outright.
        guarded = Controller(effects, today=lambda: TODAY)
        guarded.state, guarded.screen_since = c.state, 10.0
        assert not guarded.tap(Action("priority", "elderly"), 10.5)
    finally:
        pygame.display.quit()


def _draw(c, size) -> Painter:
    painter = Painter(pygame.Surface(size))
    draw_screen(ScreenContext(painter, c.state, now=_now(), zone=ZoneInfo("Asia/Ho_Chi_Minh"), keyboard="qwerty"))
    return painter


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
    assert c.state.screen is Screen.PRIORITY and c.state.intent is not None
    assert c.state.intent.booking == "DL-20261123-0042"
    c.action(Action("priority", "none"), 2)
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
        run_until(app, lambda: app.controller.state.screen is Screen.PRIORITY, what="priority question")
        app.screenshot(OUTPUT / "e2e-booking-priority.png")
        app.controller.action(Action("priority", PriorityCategory.DISABLED.value), time.monotonic())
        run_until(app, lambda: app.controller.state.screen is Screen.TICKET, what="ticket")
        result = app.controller.state.result
        assert result is not None and result.ticket is not None
        assert result.ticket.booked_for == slot and result.ticket.service == service
        assert result.ticket.priority is PriorityCategory.DISABLED  # booked and a priority citizen: both carried
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
    assert coordinator.engine.tickets[result.ticket.id].priority is PriorityCategory.DISABLED
