"""Taking a ticket, from the citizen's touch to the paper in their hand (the kiosk's service layer).

    printer able to print?  ──no──▶ PRINTER_UNAVAILABLE (nothing requested)
    journal: request open
    TicketRequest ─▶ coordinator ──NotConnected / timeout / garbled──▶ cancel it ▶ OFFLINE / TIMEOUT / FAILED
                                 ──ErrorReply──▶ REFUSED (nothing was issued)
                                 ──TicketIssued──▶ render ▶ ESC/POS bytes ▶ print
                                                   printed ▶ journal settled ▶ PRINTED
                                                   not printed ▶ journal settled ▶ PRINT_FAILED: the number
                                                   is shown large and stands (reprint, or remember it); an
                                                   issued number is never cancelled because the citizen left

Runs on a worker thread (requests block up to the timeout); the screen only ever sees `TicketResult`s, and
everything the desk needs from the screen comes with the request (`TakeRequest`).
Cancellations go through the journal and `CancelSender`, so they survive a broker outage and a restart; a
cancellation the coordinator refuses because a counter already called the ticket settles the request too (the
ticket stands) and is reported to `on_cancel_answer`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import tzinfo

from kiosk.i18n import Lang
from kiosk.journal import RequestJournal
from kiosk.model import CancelAnswer, CancelOutcome, Outcome, TakeRequest, TicketHeader, TicketResult
from kiosk.printer import TicketPrinter
from kiosk.ticket import render_ticket
from motcua.clock import Clock
from motcua.contract import (
    ErrorCode,
    ErrorReply,
    TicketCancel,
    TicketCancelled,
    TicketInfo,
    TicketIssued,
    TicketRequest,
    parse_kiosk_reply,
)
from motcua.errors import ContractError, NotConnectedError, RequestTimeoutError
from motcua.session import MqttSession

logger = logging.getLogger(__name__)


class TicketDesk:
    """Issues, prints, reprints and cancels tickets for one kiosk."""

    def __init__(
        self,
        session: MqttSession,
        kiosk: str,
        printer: TicketPrinter,
        journal: RequestJournal,
        *,
        clock: Clock,
        zone: tzinfo,
        request_timeout_s: float = 5.0,
        on_cancel_answer: Callable[[CancelAnswer], None] | None = None,
    ) -> None:
        self.session = session
        self.kiosk = kiosk
        self.printer = printer
        self.journal = journal
        self.clock = clock
        self.zone = zone
        self.request_timeout_s = request_timeout_s
        self.topics = session.topics
        self.cancels = CancelSender(
            session, kiosk, journal, clock=clock, timeout_s=request_timeout_s, on_answer=on_cancel_answer
        )

    def start(self) -> None:
        self.journal.recover(self.clock.now())
        self.session.on_connection_change(lambda connected: self.cancels.wake() if connected else None)
        self.cancels.start()
        self.cancels.wake()  # whatever an earlier run left to cancel goes now, if connected

    def stop(self) -> None:
        self.cancels.stop()

    def take(self, wanted: TakeRequest) -> TicketResult:
        started = time.perf_counter()
        lang = wanted.lang
        rid = uuid.uuid4()
        status = self.printer.status()
        if not status.can_print:
            logger.warning("not requesting a ticket: printer %s", status.value)
            return TicketResult(Outcome.PRINTER_UNAVAILABLE, rid, printer=status, problem=status.problem, lang=lang)
        if not self.session.connected:
            logger.warning("not requesting a ticket: not connected to the broker")
            return TicketResult(Outcome.OFFLINE, rid, lang=lang)
        request = TicketRequest(
            request_id=rid,
            sent_at=self.clock.now(),
            service=wanted.service,
            procedure=wanted.procedure,
            booking=wanted.booking,
            priority=wanted.priority,
        )
        self.journal.opened(rid, self.clock.now())
        try:
            inbound = self.session.request(
                self.topics.ticket_request(self.kiosk),
                request,
                response_topic=self.topics.ticket_reply(self.kiosk),
                timeout=self.request_timeout_s,
            )
        except NotConnectedError as exc:
            # paho may still hold the request in RAM and send it after reconnecting: cancel it to be sure.
            logger.warning("ticket request %s not sent (%s); cancelling it", rid, exc)
            self.cancel(rid, "not_sent")
            return TicketResult(Outcome.OFFLINE, rid, lang=lang)
        except RequestTimeoutError:
            logger.warning("no reply to ticket request %s within %g s; cancelling it", rid, self.request_timeout_s)
            self.cancel(rid, "timeout")
            return TicketResult(Outcome.TIMEOUT, rid, lang=lang)
        replied = time.perf_counter()
        try:
            reply = parse_kiosk_reply(inbound.payload)
        except ContractError as exc:
            logger.error("unreadable reply to ticket request %s: %s; cancelling it", rid, exc)
            self.cancel(rid, "bad_reply")
            return TicketResult(Outcome.FAILED, rid, error=ErrorCode.INTERNAL, lang=lang)
        if isinstance(reply, ErrorReply):
            logger.info("ticket request %s refused: %s (%s)", rid, reply.error.value, reply.message)
            self.journal.settled(rid)
            return TicketResult(Outcome.REFUSED, rid, error=reply.error, lang=lang)
        if isinstance(reply, TicketCancelled) or reply.request_id != rid:
            logger.error("unexpected reply to ticket request %s: %s; cancelling it", rid, reply.kind)
            self.cancel(rid, "unexpected_reply")
            return TicketResult(Outcome.FAILED, rid, error=ErrorCode.INTERNAL, lang=lang)
        assert isinstance(reply, TicketIssued)
        logger.info("ticket %s issued for request %s", reply.ticket.label, rid)
        try:
            result = self._print(reply.ticket, rid, lang, wanted.procedure_name, wanted.header)
        except Exception:
            logger.exception("could not render or print ticket %s; cancelling it", reply.ticket.label)
            self.cancel(rid, "print_error")
            return TicketResult(Outcome.FAILED, rid, error=ErrorCode.INTERNAL, lang=lang)
        result.timings.update(reply=replied - started, bytes_ready=result.timings["bytes_ready"] - started)
        result.timings["printed"] -= started
        return result

    def reprint(self, previous: TicketResult) -> TicketResult:
        """Print the same ticket again (after a failed print, or when the citizen got no paper)."""
        assert previous.ticket is not None
        if self.journal.state_of(previous.request_id) is None:
            self.journal.opened(previous.request_id, self.clock.now())  # settled before: open again until printed
        header = previous.header or TicketHeader(hall_name="")
        try:
            return self._print(previous.ticket, previous.request_id, previous.lang, previous.procedure_name, header)
        except Exception:
            logger.exception("could not reprint ticket %s", previous.ticket.label)
            return TicketResult(
                Outcome.PRINT_FAILED,
                previous.request_id,
                previous.ticket,
                problem="failed",
                lang=previous.lang,
                procedure_name=previous.procedure_name,
                header=previous.header,
            )

    def cancel(self, request_id: uuid.UUID, reason: str) -> None:
        """Cancel at the coordinator whatever this request issued (durably: retried until confirmed)."""
        self.journal.cancel(request_id, reason, self.clock.now())
        self.cancels.wake()

    def _print(
        self, ticket: TicketInfo, rid: uuid.UUID, lang: Lang, procedure_name: str | None, header: TicketHeader
    ) -> TicketResult:
        image = render_ticket(
            ticket,
            header,
            width=self.printer.settings.dots,
            zone=self.zone,
            lang=lang,
            procedure_name=procedure_name,
        )
        job = self.printer.build_job(image)
        ready = time.perf_counter()
        printed = self.printer.print_job(job)
        done = time.perf_counter()
        timings = {"bytes_ready": ready, "printed": done}
        if printed.printed:
            self.journal.settled(rid)
            logger.info("ticket %s printed (printer %s)", ticket.label, printed.status.value)
            return TicketResult(
                Outcome.PRINTED,
                rid,
                ticket,
                printer=printed.status,
                lang=lang,
                procedure_name=procedure_name,
                header=header,
                timings=timings,
            )
        # The number is shown on the screen and stands: a restart must not cancel a place the citizen holds.
        self.journal.settled(rid)
        logger.warning("ticket %s not printed (shown on screen, it stands): %s", ticket.label, printed.detail)
        return TicketResult(
            Outcome.PRINT_FAILED,
            rid,
            ticket,
            printer=printed.status,
            problem=printed.problem,
            lang=lang,
            procedure_name=procedure_name,
            header=header,
            timings=timings,
        )


class CancelSender:
    """Sends the journal's cancellations to the coordinator until each is confirmed; retries after reconnecting
    and every `retry_s`."""

    def __init__(
        self,
        session: MqttSession,
        kiosk: str,
        journal: RequestJournal,
        *,
        clock: Clock,
        retry_s: float = 15.0,
        timeout_s: float = 5.0,
        on_answer: Callable[[CancelAnswer], None] | None = None,
    ) -> None:
        self.session = session
        self.kiosk = kiosk
        self.journal = journal
        self.clock = clock
        self.retry_s = retry_s
        self.timeout_s = timeout_s
        self.on_answer = on_answer
        self.confirmed: list[TicketCancelled] = []
        self._sending = threading.Lock()  # one pass at a time (the thread, and callers of send_pending)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ticket-cancels", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.retry_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.send_pending()

    def send_pending(self) -> int:
        """Try every pending cancellation once. Returns how many were answered (cancelled, or refused because
        the ticket was already called)."""
        with self._sending:
            return self._send_pending()

    def _send_pending(self) -> int:
        done = 0
        topics = self.session.topics
        for entry in self.journal.to_cancel():
            if not self.session.connected:
                return done
            message = TicketCancel(request_id=entry.request_id, reason=entry.reason)
            try:
                inbound = self.session.request(
                    topics.ticket_cancel(self.kiosk),
                    message,
                    response_topic=topics.ticket_reply(self.kiosk),
                    timeout=self.timeout_s,
                )
                reply = parse_kiosk_reply(inbound.payload)
            except (NotConnectedError, RequestTimeoutError) as exc:
                logger.info("cancellation of %s not confirmed yet (%s); will retry", entry.request_id, exc)
                return done
            except ContractError as exc:
                logger.error("unreadable reply to the cancellation of %s: %s; will retry", entry.request_id, exc)
                continue
            if isinstance(reply, TicketCancelled):
                logger.info(
                    "request %s cancelled at the coordinator (%s): ticket %s",
                    entry.request_id,
                    entry.reason,
                    reply.ticket_id or "none issued",
                )
                self.confirmed.append(reply)
                self.journal.settled(entry.request_id)
                self._tell(CancelAnswer(entry.request_id, CancelOutcome.CANCELLED, reply.ticket_id))
                done += 1
            elif isinstance(reply, ErrorReply) and reply.error is ErrorCode.ALREADY_CALLED:
                # A counter called the ticket before the cancellation arrived: the number stands and will be
                # served. Not a cancellation to retry, and nothing left to settle later.
                logger.warning(
                    "cancellation of %s (%s) refused: a counter already called its ticket, which stands",
                    entry.request_id,
                    entry.reason,
                )
                self.journal.settled(entry.request_id)
                self._tell(CancelAnswer(entry.request_id, CancelOutcome.ALREADY_CALLED))
                done += 1
            elif isinstance(reply, ErrorReply) and reply.error in (ErrorCode.BAD_REQUEST, ErrorCode.UNKNOWN_DEVICE):
                logger.error("coordinator refused the cancellation of %s: %s", entry.request_id, reply.message)
                self.journal.settled(entry.request_id)  # retrying cannot help; the log says what happened
            else:
                logger.warning("unexpected reply to the cancellation of %s: %s", entry.request_id, reply.kind)
        return done

    def _tell(self, answer: CancelAnswer) -> None:
        if self.on_answer is None:
            return
        try:
            self.on_answer(answer)
        except Exception:
            logger.exception("cancel answer listener failed")
