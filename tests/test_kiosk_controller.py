"""What touches, scans, replies and the passing of time do to the kiosk screen (kiosk.ui.controller: pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from kiosk_support import portal_url, sample_view

from kiosk.i18n import Lang
from kiosk.model import (
    CancelAnswer,
    CancelOutcome,
    Outcome,
    PrinterStatus,
    TakeRequest,
    TicketHeader,
    TicketResult,
)
from kiosk.ui.controller import Action, Controller, Screen
from motcua.contract import ErrorCode, PriorityCategory, TicketInfo


class FakeEffects:
    def __init__(self) -> None:
        self.taken: list[TakeRequest] = []
        self.reprinted: list[TicketResult] = []
        self.cancelled: list[tuple[TicketResult, str]] = []

    def take(self, request: TakeRequest) -> None:
        self.taken.append(request)

    def reprint(self, result: TicketResult) -> None:
        self.reprinted.append(result)

    def cancel(self, result: TicketResult, reason: str) -> None:
        self.cancelled.append((result, reason))


HALL_NAME = "Bộ phận Tiếp nhận và Trả kết quả — UBND phường Hòa Bình"
HOTLINE = "0214 3 000 000"
TICKET = TicketInfo(
    id="20261123-1001",
    label="1001",
    number=1001,
    service="ho-tich",
    service_name="Hộ tịch – Nuôi con nuôi",
    issued_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
    counters=[1, 2],
    people_ahead=0,
    estimated_wait_min=4,
)


def result(outcome: Outcome, **kwargs) -> TicketResult:
    return TicketResult(outcome, uuid.uuid4(), **kwargs)


@pytest.fixture
def kiosk(hall, procedures):
    effects = FakeEffects()
    controller = Controller(effects, idle_timeout_s=60, ticket_screen_s=20, tap_guard_s=0.3)
    controller.on_connection(True)
    controller.on_printer(PrinterStatus.OK)
    controller.on_catalogue(sample_view(hall, procedures, closed=("van-hoa-khac",)), 0.0)
    return controller, effects


def test_loading_until_the_catalogue_arrives(hall, procedures):
    controller = Controller(FakeEffects())
    assert controller.state.screen is Screen.LOADING
    controller.tap(Action("service", "ho-tich"), 5.0)
    assert controller.state.screen is Screen.LOADING
    controller.on_catalogue(sample_view(hall, procedures), 6.0)
    assert controller.state.screen is Screen.HOME


def test_service_then_priority_then_ticket(kiosk):
    controller, effects = kiosk
    controller.tap(Action("service", "ho-tich"), 1.0)
    assert controller.state.screen is Screen.SERVICE
    controller.tap(Action("take", "ho-tich"), 2.0)
    assert controller.state.screen is Screen.PRIORITY
    controller.tap(Action("priority", "elderly"), 3.0)
    assert controller.state.screen is Screen.WORKING
    assert effects.taken == [
        TakeRequest(
            service="ho-tich",
            procedure=None,
            priority=PriorityCategory.ELDERLY,
            lang=Lang.VI,
            procedure_name=None,
            header=TicketHeader(HALL_NAME, HOTLINE, "Xin cảm ơn!"),
        )
    ]
    controller.on_result(result(Outcome.PRINTED, ticket=TICKET, printer=PrinterStatus.OK), 4.0)
    assert controller.state.screen is Screen.TICKET
    assert controller.state.last_ticket == "1001"
    assert controller.tick(23.9) is False
    assert controller.tick(24.1) is True  # the number stays 20 s, then home
    assert controller.state.screen is Screen.HOME


def test_a_procedure_ticket_carries_the_procedure_name_in_the_chosen_language(kiosk):
    controller, effects = kiosk
    controller.tap(Action("lang"), 0.5)
    controller.tap(Action("search"), 1.0)
    controller.tap(Action("procedure", "1.001193"), 2.0)
    controller.tap(Action("take", "1.001193"), 3.0)
    controller.tap(Action("priority", "none"), 4.0)
    assert effects.taken[-1].procedure == "1.001193"
    assert effects.taken[-1].priority is None
    assert effects.taken[-1].procedure_name == "Birth registration"
    assert effects.taken[-1].lang is Lang.EN


def test_a_second_tap_right_after_a_screen_change_is_ignored(kiosk):
    controller, effects = kiosk
    controller.tap(Action("service", "ho-tich"), 1.0)
    controller.tap(Action("take", "ho-tich"), 1.1)  # the same finger bouncing: ignored
    assert controller.state.screen is Screen.SERVICE
    controller.tap(Action("take", "ho-tich"), 1.5)
    assert controller.state.screen is Screen.PRIORITY
    controller.tap(Action("priority", "none"), 1.6)  # "KHÔNG" sits where "LẤY SỐ" was
    assert effects.taken == []


def test_a_search_that_finds_nothing_leads_to_a_number_for_asking_the_staff(kiosk):
    controller, _ = kiosk
    controller.tap(Action("search"), 1.0)
    for key in "qqqq":
        controller.tap(Action("key", key), 1.1)
    controller.tap(Action("ask"), 3.0)
    assert controller.state.screen is Screen.HOME and controller.state.asking
    controller.tap(Action("service", "ho-tich"), 5.0)
    controller.tap(Action("home"), 7.0)
    assert not controller.state.asking


def test_typing_is_never_slowed_by_the_tap_guard(kiosk):
    controller, _ = kiosk
    controller.tap(Action("search"), 1.0)
    for at, key in enumerate("dang", start=1):
        controller.tap(Action("key", key), 1.0 + at / 100)
    controller.tap(Action("space"), 1.1)
    controller.tap(Action("space"), 1.11)
    controller.tap(Action("key", "K"), 1.12)
    assert controller.state.query == "dang k"
    controller.tap(Action("backspace"), 1.2)
    assert controller.state.query == "dang "
    controller.tap(Action("clear"), 2.0)
    assert controller.state.query == ""
    for _ in range(60):
        controller.tap(Action("key", "a"), 3.0)
    assert len(controller.state.query) == 40


def test_back_returns_where_the_citizen_came_from(kiosk):
    controller, _ = kiosk
    controller.tap(Action("service", "chung-thuc"), 1.0)
    controller.tap(Action("page", "+1"), 2.0)
    code = next(p.code for p in controller.state.catalogue.catalogue.procedures if p.service == "chung-thuc")
    controller.tap(Action("procedure", code), 3.0)
    controller.tap(Action("back"), 4.0)
    assert controller.state.screen is Screen.SERVICE and controller.state.page == 1
    controller.tap(Action("back"), 5.0)
    assert controller.state.screen is Screen.HOME
    controller.tap(Action("back"), 6.0)
    assert controller.state.screen is Screen.HOME


def test_idle_screens_go_home_and_back_to_vietnamese(kiosk):
    controller, _ = kiosk
    controller.tap(Action("lang"), 1.0)
    controller.tap(Action("service", "ho-tich"), 2.0)
    assert controller.next_deadline(2.0) == pytest.approx(60.0)
    assert not controller.tick(61.0)
    assert controller.tick(62.5)
    assert controller.state.screen is Screen.HOME
    assert controller.state.lang is Lang.VI
    assert controller.next_deadline(70.0) is None


def test_a_closed_service_explains_its_hours_and_takes_nothing(kiosk):
    controller, effects = kiosk
    controller.tap(Action("service", "van-hoa-khac"), 1.0)
    controller.tap(Action("take", "van-hoa-khac"), 2.0)
    assert controller.state.screen is Screen.MESSAGE
    assert "ngoài giờ làm việc" in controller.state.message.body
    assert "07:30" in controller.state.message.body
    assert effects.taken == []
    controller.tap(Action("back"), 3.0)
    assert controller.state.screen is Screen.SERVICE


def test_offline_or_printer_problem_stops_before_asking(kiosk):
    controller, effects = kiosk
    controller.on_connection(False)
    controller.tap(Action("take", "ho-tich"), 1.0)
    assert controller.state.screen is Screen.MESSAGE and controller.state.message.tone == "error"
    assert "Không có phiếu nào được in" in controller.state.message.body
    controller.on_connection(True)
    controller.on_printer(PrinterStatus.NO_PAPER)
    controller.tap(Action("home"), 2.0)
    controller.tap(Action("take", "ho-tich"), 3.0)
    assert "hết giấy" in controller.state.message.body
    controller.on_printer(PrinterStatus.UNKNOWN)  # a printer that does not answer may still print
    controller.tap(Action("home"), 4.0)
    controller.tap(Action("take", "ho-tich"), 5.0)
    assert controller.state.screen is Screen.PRIORITY
    assert effects.taken == []


def test_refusals_become_polite_messages(kiosk):
    controller, _ = kiosk
    for outcome, error, words in [
        (Outcome.REFUSED, ErrorCode.SERIES_EXHAUSTED, "hết số"),
        (Outcome.REFUSED, ErrorCode.SERVICE_CLOSED, "ngoài giờ"),
        (Outcome.OFFLINE, None, "chưa kết nối"),
        (Outcome.TIMEOUT, None, "không trả lời kịp"),
        (Outcome.FAILED, ErrorCode.INTERNAL, "sự cố"),
    ]:
        controller.on_result(result(outcome, error=error), 1.0)
        assert controller.state.screen is Screen.MESSAGE
        assert words in controller.state.message.body
    controller.on_result(result(Outcome.PRINTER_UNAVAILABLE, problem="unplugged"), 1.0)
    assert "mất kết nối máy in" in controller.state.message.body


def test_a_number_issued_but_not_printed_stands_whatever_the_citizen_does(kiosk):
    """Issue 18.3: walking away, pressing home or "done" never cancels a place the citizen holds."""
    controller, effects = kiosk
    failed = result(Outcome.PRINT_FAILED, ticket=TICKET, problem="no_paper")
    controller.on_result(failed, 1.0)
    assert controller.state.screen is Screen.PRINT_FAILED
    controller.tap(Action("reprint"), 2.0)
    assert controller.state.screen is Screen.WORKING and effects.reprinted == [failed]
    controller.on_result(failed, 3.0)
    controller.tap(Action("done"), 4.0)
    assert controller.state.screen is Screen.HOME
    # walking away
    controller.on_result(failed, 10.0)
    assert controller.tick(71.0)
    assert controller.state.screen is Screen.HOME
    # pressing home
    controller.on_result(failed, 80.0)
    controller.tap(Action("home"), 81.0)
    assert effects.cancelled == []


@pytest.mark.parametrize(
    ("lang", "title", "words"),
    [
        (Lang.VI, "Số 1001 vẫn còn hiệu lực", ["đã được gọi tại quầy nên không hủy được", "quầy 1 và 2"]),
        (Lang.EN, "Number 1001 still stands", ["already been called at a counter", "counter 1 and 2"]),
    ],
)
def test_a_cancel_refused_because_the_number_was_called_tells_the_citizen_it_stands(
    kiosk, lang: Lang, title: str, words: list[str]
):
    controller, effects = kiosk
    controller.state.lang = lang
    failed = result(Outcome.PRINT_FAILED, ticket=TICKET, problem="no_paper")
    controller.on_result(failed, 1.0)
    controller.tap(Action("cancel_ticket"), 2.0)
    assert effects.cancelled == [(failed, "citizen_cancelled")]
    assert controller.on_cancel_answer(CancelAnswer(failed.request_id, CancelOutcome.ALREADY_CALLED), 2.1)
    message = controller.state.message
    assert controller.state.screen is Screen.MESSAGE and message is not None
    assert message.title == title
    assert all(w in message.body for w in words) and "1001" in message.body
    assert controller.tick(2.1 + 59) is False  # the citizen has the whole idle time to read it


def test_a_cancel_answer_for_a_citizen_who_left_changes_nothing_on_screen(kiosk):
    controller, _ = kiosk
    failed = result(Outcome.PRINT_FAILED, ticket=TICKET, problem="no_paper")
    controller.on_result(failed, 1.0)
    controller.tap(Action("cancel_ticket"), 2.0)
    controller.tap(Action("done"), 3.0)  # gone; the next citizen is reading the home screen
    assert not controller.on_cancel_answer(CancelAnswer(failed.request_id, CancelOutcome.ALREADY_CALLED), 4.0)
    assert controller.state.screen is Screen.HOME
    controller.on_result(failed, 5.0)
    controller.tap(Action("cancel_ticket"), 6.0)
    assert not controller.on_cancel_answer(CancelAnswer(failed.request_id, CancelOutcome.CANCELLED), 6.1)
    assert controller.state.message is not None and "đã được hủy" in controller.state.message.body


def test_the_ticket_screen_offers_a_reprint(kiosk):
    controller, effects = kiosk
    printed = result(Outcome.PRINTED, ticket=TICKET, printer=PrinterStatus.UNKNOWN)
    controller.on_result(printed, 1.0)
    controller.tap(Action("reprint"), 2.0)
    assert effects.reprinted == [printed]
    controller.on_result(printed, 3.0)
    controller.tap(Action("done"), 4.0)
    assert controller.state.screen is Screen.HOME


def test_back_after_a_bad_scan_returns_to_the_screen_the_citizen_was_on(kiosk):
    controller, _ = kiosk
    controller.tap(Action("service", "ho-tich"), 1.0)
    controller.on_scan(b"not a procedure", 2.0)
    controller.tap(Action("back"), 3.0)
    assert controller.state.screen is Screen.SERVICE


def test_a_scanned_procedure_opens_its_screen(kiosk):
    controller, _ = kiosk
    assert controller.on_scan(portal_url("1.000894").encode(), 1.0)
    assert controller.state.screen is Screen.PROCEDURE and controller.state.procedure_code == "1.000894"
    assert not controller.on_scan(b"1.000894", 2.0)  # already there
    assert controller.on_scan(b"1.001193", 3.0)
    controller.tap(Action("back"), 4.0)
    assert controller.state.procedure_code == "1.000894"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"9.999999", "9.999999 không giải quyết"),
        (b"https://evil.example/?ma_thu_tuc=1.001193", "không phải Cổng Dịch vụ công"),
        (b"javascript:alert(1)", "không phải mã thủ tục"),
        (b"\xff\xfe\x00", "không phải mã thủ tục"),
        (b"A" * 5000, "không phải mã thủ tục"),
    ],
)
def test_a_bad_scan_gets_a_polite_message_without_echoing_it(kiosk, payload: bytes, words: str):
    controller, _ = kiosk
    assert controller.on_scan(payload, 1.0)
    assert controller.state.screen is Screen.MESSAGE
    assert words in controller.state.message.body
    assert "alert" not in controller.state.message.body and "evil" not in controller.state.message.body
    controller.tap(Action("back"), 2.0)
    assert controller.state.screen is Screen.HOME


def test_scans_do_not_interrupt_a_ticket_being_taken(kiosk):
    controller, _ = kiosk
    controller.tap(Action("take", "ho-tich"), 1.0)
    assert not controller.on_scan(b"1.001193", 2.0)
    controller.tap(Action("priority", "none"), 3.0)
    assert not controller.on_scan(b"1.001193", 4.0)
    assert controller.state.screen is Screen.WORKING


def test_a_catalogue_update_leaves_a_screen_whose_procedure_is_gone(kiosk, hall, procedures):
    controller, _ = kiosk
    controller.tap(Action("procedure", "1.001193"), 1.0)
    smaller = [p for p in procedures if p.code != "1.001193"]
    controller.on_catalogue(sample_view(hall, smaller), 2.0)
    assert controller.state.screen is Screen.HOME
    controller.tap(Action("procedure", "1.001193"), 3.0)
    assert controller.state.screen is Screen.HOME


def test_take_now_is_the_demo_shortcut(kiosk):
    controller, effects = kiosk
    assert controller.take_now("chung-thuc", PriorityCategory.PREGNANT, 1.0)
    assert effects.taken[-1].service == "chung-thuc" and effects.taken[-1].priority is PriorityCategory.PREGNANT
    with pytest.raises(RuntimeError):
        controller.take_now("chung-thuc", None, 1.0)
    controller.on_result(result(Outcome.OFFLINE), 2.0)
    assert not controller.take_now("van-hoa-khac", None, 3.0)
    with pytest.raises(ValueError):
        controller.take_now("nope", None, 4.0)
