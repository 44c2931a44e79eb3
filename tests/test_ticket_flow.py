"""Taking a ticket against the real broker and coordinator (kiosk.flow): printed, refused, offline, timed out,
printer out of paper, reprinted, cancelled, and a kiosk restarted mid-print. Never a phantom ticket."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from coordinator.service import CoordinatorService
from coordinator.store import Store, open_readonly
from kiosk.config import PrinterSection
from kiosk.flow import TicketDesk
from kiosk.i18n import Lang
from kiosk.journal import CANCEL, OPEN, RequestJournal
from kiosk.model import CancelAnswer, CancelOutcome, Outcome, PrinterStatus, TakeRequest, TicketHeader
from kiosk.printer import SimulatedPrinter, TicketPrinter
from motcua.clock import FixedClock
from motcua.contract import ErrorCode, ErrorReply, PriorityCategory, TicketCancel, TicketRequest, parse
from motcua.session import Inbound, MqttSession

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def make_desk(
    session: MqttSession,
    tmp_path: Path,
    clock,
    *,
    printer: TicketPrinter | None = None,
    timeout: float = 2.0,
    on_cancel_answer=None,
) -> TicketDesk:
    printer = printer or TicketPrinter(PrinterSection(connection="dummy", paper="58mm"))
    desk = TicketDesk(
        session,
        "kiosk-1",
        printer,
        RequestJournal(tmp_path / "requests.json"),
        clock=clock,
        zone=ZONE,
        request_timeout_s=timeout,
        on_cancel_answer=on_cancel_answer,
    )
    desk.start()
    return desk


HEADER = TicketHeader("Bộ phận Một cửa phường Hòa Bình", "0214 3 000 000")


def wanted(
    *, service: str | None = None, procedure: str | None = None, priority: PriorityCategory | None = None
) -> TakeRequest:
    """What the screen hands the desk for one ticket."""
    return TakeRequest(service, procedure, priority, Lang.VI, None, HEADER)


def tickets(service: CoordinatorService) -> list[dict]:
    db = open_readonly(service.store.path)
    try:
        return [
            dict(r) for r in db.execute("SELECT id, label, status, kiosk, request_id, priority, procedure FROM tickets")
        ]
    finally:
        db.close()


def cancelled_requests(service: CoordinatorService) -> set[str]:
    db = open_readonly(service.store.path)
    try:
        return {r[0] for r in db.execute("SELECT request_id FROM cancelled_requests")}
    finally:
        db.close()


def printed_ids(printer: TicketPrinter) -> list[bytes]:
    assert printer.simulated is not None
    ids = []
    for image in printer.simulated.tickets:
        ids += [s.data for s in zbar_decode(np.array(image.convert("L")), symbols=[ZBarSymbol.QRCODE])]
    return ids


def test_a_ticket_is_issued_printed_and_stored(coordinator, sessions, clock, tmp_path):
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock)
    try:
        result = desk.take(wanted(service="ho-tich", priority=PriorityCategory.ELDERLY))
        second = desk.take(wanted(procedure="1.000894"))
    finally:
        desk.stop()
    assert result.outcome is Outcome.PRINTED and result.ticket is not None
    assert result.ticket.label == "1001" and result.ticket.counters == [1, 2]
    assert second.ticket is not None and second.ticket.label == "1002" and second.ticket.procedure == "1.000894"
    assert result.timings["bytes_ready"] < 1.0
    stored = tickets(coordinator)
    assert [(t["label"], t["status"], t["kiosk"], t["priority"]) for t in stored] == [
        ("1001", "waiting", "kiosk-1", "elderly"),
        ("1002", "waiting", "kiosk-1", None),
    ]
    assert stored[0]["request_id"] == str(result.request_id)
    assert printed_ids(desk.printer) == [result.ticket.id.encode(), second.ticket.id.encode()]
    assert desk.journal.entries() == []


def test_a_refusal_prints_nothing_and_leaves_nothing_open(coordinator, sessions, clock, tmp_path):
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock)
    try:
        unknown = desk.take(wanted(procedure="9.999999"))
        assert desk.printer.status() is PrinterStatus.OK
    finally:
        desk.stop()
    assert unknown.outcome is Outcome.REFUSED and unknown.error is ErrorCode.UNKNOWN_PROCEDURE
    assert tickets(coordinator) == []
    assert desk.printer.simulated is not None and desk.printer.simulated.tickets == []
    assert desk.journal.entries() == []


def test_a_kiosk_with_a_wrong_clock_is_refused_with_a_reason(coordinator, sessions, clock, tmp_path):
    wrong = FixedClock(clock.now() - timedelta(minutes=10))
    desk = make_desk(sessions("kiosk-1"), tmp_path, wrong)
    try:
        result = desk.take(wanted(service="chung-thuc"))
    finally:
        desk.stop()
    assert result.outcome is Outcome.REFUSED and result.error is ErrorCode.STALE_COMMAND
    assert tickets(coordinator) == []


def test_coordinator_down_times_out_prints_nothing_and_the_request_is_cancelled_when_it_is_back(
    broker, hall, procedures, sessions, clock, tmp_path
):
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock, timeout=0.5)
    try:
        result = desk.take(wanted(service="ho-tich"))
        assert result.outcome is Outcome.TIMEOUT
        assert desk.printer.simulated is not None and desk.printer.simulated.tickets == []
        assert [e.state for e in desk.journal.entries()] == [CANCEL]
        # the coordinator comes back: the cancellation goes through, and the request is refused for ever
        session = MqttSession(
            broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator"
        )
        service = CoordinatorService(hall, procedures, Store(tmp_path / "c.db"), session, clock)
        service.start()
        try:
            assert session.wait_connected(5)
            desk.cancels.send_pending()
            assert desk.journal.entries() == []
            assert len(desk.cancels.confirmed) == 1
            assert str(result.request_id) in cancelled_requests(service)
            late = desk.session.request(  # the same request arriving late is refused
                desk.topics.ticket_request("kiosk-1"),
                TicketRequest(request_id=result.request_id, sent_at=clock.now(), service="ho-tich"),
                response_topic=desk.topics.ticket_reply("kiosk-1"),
            )
            assert b'"error":"request_cancelled"' in late.payload
            assert tickets(service) == []
        finally:
            service.stop()
    finally:
        desk.stop()


def test_a_cancel_refused_because_a_counter_called_the_ticket_settles_it_and_is_reported(sessions, clock, tmp_path):
    """The coordinator refuses to cancel a ticket a counter has already called (issue 11.10): the ticket stands,
    the request leaves the journal (never retried, never "cancelled") and the screen hears about it."""
    coordinator = sessions("coordinator", role="coordinator")
    received: list[TicketCancel] = []

    def refuse(inbound: Inbound) -> None:
        cancel = parse(TicketCancel, inbound.payload)
        received.append(cancel)
        refusal = ErrorReply(
            error=ErrorCode.ALREADY_CALLED, message="called at counter 2", request_id=cancel.request_id
        )
        coordinator.reply(inbound, refusal, topic=coordinator.topics.ticket_reply("kiosk-1"))

    coordinator.subscribe(coordinator.topics.ticket_cancel("kiosk-1"), refuse)
    answers: list[CancelAnswer] = []
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock, on_cancel_answer=answers.append)
    try:
        request_id = uuid.uuid4()
        desk.journal.opened(request_id, clock.now())
        desk.cancel(request_id, "citizen_cancelled")
        assert _wait(lambda: answers)
        assert answers == [CancelAnswer(request_id, CancelOutcome.ALREADY_CALLED)]
        assert desk.journal.entries() == []
        assert desk.cancels.confirmed == []  # not a cancellation
        assert desk.cancels.send_pending() == 0
        assert [c.request_id for c in received] == [request_id]  # asked once, not retried
    finally:
        desk.stop()
    assert RequestJournal(tmp_path / "requests.json").entries() == []  # and not cancelled after a restart


def test_broker_unreachable_is_offline_and_prints_nothing(broker, sessions, clock, tmp_path):
    session = sessions("kiosk-1")
    broker.kill()
    assert _wait(lambda: not session.connected)
    desk = make_desk(session, tmp_path, clock)
    try:
        result = desk.take(wanted(service="ho-tich"))
    finally:
        desk.stop()
    assert result.outcome is Outcome.OFFLINE
    assert desk.printer.simulated is not None and desk.printer.simulated.tickets == []
    assert desk.journal.entries() == []


def test_a_printer_out_of_paper_asks_for_nothing(coordinator, sessions, clock, tmp_path):
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock)
    assert desk.printer.simulated is not None
    desk.printer.simulated.state = "no_paper"
    try:
        result = desk.take(wanted(service="ho-tich"))
    finally:
        desk.stop()
    assert result.outcome is Outcome.PRINTER_UNAVAILABLE and result.problem == "no_paper"
    assert tickets(coordinator) == []


class RunsOutOfPaper(SimulatedPrinter):
    """Says it has paper until a ticket is sent; the roll ends before anything comes out."""

    def _raw(self, msg: bytes) -> None:
        if len(msg) > 100 and self.state == "ok":
            self.state = "no_paper"
        super()._raw(msg)


def test_paper_out_mid_ticket_then_reprint_gives_the_same_ticket(coordinator, sessions, clock, tmp_path):
    device = RunsOutOfPaper()
    printer = TicketPrinter(PrinterSection(connection="dummy", paper="58mm"), simulated=device)
    desk = make_desk(sessions("kiosk-1"), tmp_path, clock, printer=printer)
    try:
        failed = desk.take(wanted(service="chung-thuc"))
        assert failed.outcome is Outcome.PRINT_FAILED and failed.problem == "no_paper"
        assert desk.journal.entries() == []  # shown on the screen, it stands: a restart must not cancel it
        again = desk.reprint(failed)
        assert again.outcome is Outcome.PRINT_FAILED  # still no paper
        device.state = "paper_low"  # the officer put a new roll in... almost empty
        device.__class__ = SimulatedPrinter
        printed = desk.reprint(failed)
    finally:
        desk.stop()
    assert printed.outcome is Outcome.PRINTED and printed.ticket == failed.ticket
    assert printed.printer is PrinterStatus.PAPER_LOW
    assert [(t["label"], t["status"]) for t in tickets(coordinator)] == [("2001", "waiting")]
    assert printed_ids(printer) == [b"20261123-2001"]
    assert desk.journal.entries() == []


def test_a_ticket_that_cannot_be_printed_is_cancelled_at_the_coordinator(coordinator, sessions, clock, tmp_path):
    desk = make_desk(
        sessions("kiosk-1"),
        tmp_path,
        clock,
        printer=TicketPrinter(PrinterSection(connection="dummy"), simulated=RunsOutOfPaper()),
    )
    try:
        failed = desk.take(wanted(service="ho-tich"))
        assert failed.outcome is Outcome.PRINT_FAILED and failed.ticket is not None
        desk.cancel(failed.request_id, "citizen_cancelled")
        assert _wait(lambda: desk.journal.entries() == [])
    finally:
        desk.stop()
    assert [(t["label"], t["status"]) for t in tickets(coordinator)] == [("1001", "cancelled")]
    assert desk.cancels.confirmed[0].ticket_id == failed.ticket.id
    # the number is gone from the queue: the next citizen gets 1002, and nobody will be called for 1001
    assert not coordinator.engine.waiting("ho-tich")


def test_a_kiosk_restarted_mid_print_cancels_what_it_had_asked_for(coordinator, sessions, clock, tmp_path):
    session = sessions("kiosk-1")
    journal = RequestJournal(tmp_path / "requests.json")
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="lao-dong-xa-hoi")
    journal.opened(request.request_id, clock.now())
    session.request(
        session.topics.ticket_request("kiosk-1"), request, response_topic=session.topics.ticket_reply("kiosk-1")
    )
    assert [t["status"] for t in tickets(coordinator)] == ["waiting"]
    # ... the kiosk lost power here; at the next start the journal is recovered
    desk = make_desk(session, tmp_path, clock)
    try:
        assert _wait(lambda: desk.journal.entries() == [])
    finally:
        desk.stop()
    assert [(t["label"], t["status"]) for t in tickets(coordinator)] == [("3001", "cancelled")]


def test_the_journal_survives_a_broken_file(tmp_path):
    path = tmp_path / "requests.json"
    path.write_text("{not json")
    journal = RequestJournal(path)
    assert journal.entries() == []
    assert (tmp_path / "requests.broken").exists()
    rid = uuid.uuid4()
    from datetime import UTC, datetime

    journal.opened(rid, datetime.now(UTC))
    assert RequestJournal(path).state_of(rid) == OPEN
    journal.cancel(rid, "x" * 500, datetime.now(UTC))
    assert len(RequestJournal(path).to_cancel()[0].reason) == 200
    assert RequestJournal(path).recover(datetime.now(UTC)) == 0


def _wait(condition, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


pytestmark = pytest.mark.timeout(60)
