"""The queue engine: pure domain, no I/O, no clock of its own (every command gets ``now``).

It numbers tickets, chooses the next ticket for a counter, and keeps each counter's state. Every command
either raises a `QueueError` (with the code the device shows) before touching anything, or changes the state
and records what changed in `Changes`, which the service layer persists before it acknowledges. One exception,
on purpose: ``next`` with nobody waiting still finishes the ticket at the desk (and opens the counter) before it
answers ``queue_empty`` — the officer is done with that citizen either way; those changes are saved too.

Rules (docs/queue-rules.md has the reasoning):

- A number is issued once per business day and service series; numbers restart at the hall's
  ``day_starts_at`` local time. The series never wraps: when it is used up, the kiosk says so.
- ``next`` finishes the ticket being served (if any) and calls the best waiting ticket among the counter's
  services: first any ticket waiting longer than ``max_wait_min`` (oldest first, so nothing starves; a booked
  ticket's wait counts from its slot), then a booked ticket whose slot has started (coordinator.bookings), then the
  priority policy — ``strict`` (priority first) or ``interleaved`` (after ``priority_ratio`` priority calls in a
  row at this counter, one normal ticket if any waits) — ties broken by issue time (FIFO), across services.
- A transferred ticket keeps its number and its original issue time, so it does not go to the back of the line.
- ``call_ticket`` calls one chosen waiting ticket of the counter's services (a citizen whose file is ready, a
  ticket called by mistake at another counter); when it is not the ticket ``next`` would have called, its
  ``called`` event carries ``reason`` = ``out_of_order``, so reports and the province can see it.
- A kiosk's cancel never cancels a ticket a counter has already called (``already_called``): that ticket stands.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from coordinator.bookings import Booking, BookingOutcome, BookingRefused, check_in
from coordinator.estimate import Estimate, estimate_wait
from motcua.contract import (
    CounterAction,
    CounterStatus,
    ErrorCode,
    EventKind,
    EventReason,
    PriorityCategory,
    Procedure,
)
from motcua.errors import MotcuaError
from motcua.hall import HallConfig, OpeningHours, QueueSection

#: Service times outside these bounds (minutes) are an officer forgetting a key, not a real service.
SERVICE_TIME_BOUNDS = (0.25, 180.0)
#: Weight of the newest service time in the running mean.
SERVICE_TIME_ALPHA = 0.2
#: How far a device's clock may be ahead of the coordinator's (NTP keeps a hall within milliseconds): a command with
#: a deadline is refused this long before it, and one sent more than this in the coordinator's future is refused.
CLOCK_TOLERANCE_S = 1.0


class TicketStatus(StrEnum):
    WAITING = "waiting"  # issued, in the queue
    CALLED = "called"  # called to a counter, being served
    SERVED = "served"  # finished at a counter
    NO_SHOW = "no_show"  # called, did not come
    CANCELLED = "cancelled"  # its kiosk could not print it
    EXPIRED = "expired"  # still waiting when the business day ended


class QueueError(MotcuaError):
    """A command the engine refuses; ``code`` goes back to the device."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Ticket:
    """Phiếu số thứ tự."""

    id: str
    business_day: date
    issued_service: str  # the series the number came from (never changes)
    service: str  # the service it now waits for (changes on transfer)
    number: int
    label: str
    issued_at: datetime
    seq: int  # issue order within the day, the tie-breaker
    priority: PriorityCategory | None = None
    procedure: str | None = None
    kiosk: str | None = None
    request_id: str | None = None
    status: TicketStatus = TicketStatus.WAITING
    counter: int | None = None
    officer: str | None = None
    first_called_at: datetime | None = None
    called_at: datetime | None = None
    recalls: int = 0
    finished_at: datetime | None = None
    transfers: int = 0
    rated: bool = False
    dossier_code: str | None = None  # mã hồ sơ, given by the officer when finishing (the web console)
    booking: str | None = None  # the booking code it was checked in with (coordinator.bookings)
    booked_for: datetime | None = None  # a booked ticket: its slot's start, when it is called ahead of walk-ins

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.issued_at, self.seq)


@dataclass
class Counter:
    """Quầy: its live state."""

    number: int
    services: tuple[str, ...]
    status: CounterStatus = CounterStatus.CLOSED
    officer: str | None = None
    serving: str | None = None  # ticket id
    last_finished: str | None = None  # ticket id, for the rating window
    last_finished_at: datetime | None = None
    priority_streak: int = 0  # priority calls in a row (interleaving)
    pause_reason: str | None = None  # while paused (the counter screen shows it); restored from the events


@dataclass(frozen=True)
class CallEvent:
    """A ticket called (recall = 0) or called again (recall >= 1)."""

    ticket_id: str
    counter: int
    recall: int
    at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One line of the hall's log: what happened, when, where, by whom."""

    at: datetime
    kind: EventKind
    counter: int | None = None
    ticket_id: str | None = None
    officer: str | None = None
    service: str | None = None
    detail: str | None = None  # free text for a person reading the log: never a figure's input
    reason: EventReason | None = None  # set when no person's command caused it (the day's rollover)
    from_service: str | None = None  # transferred: the service the ticket left (``service`` is where it went)
    seq: int | None = None  # its number in the store's log, once stored (reports read events back with it)


@dataclass
class Changes:
    """What a batch of commands changed: persisted together, then announced."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    counters: set[int] = field(default_factory=set)  # stored state changed (persist and publish)
    counter_views: set[int] = field(default_factory=set)  # only what is shown changed (waiting count, rating)
    calls: list[CallEvent] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    cancelled_requests: dict[str, date] = field(default_factory=dict)  # request id -> business day
    bookings: dict[str, tuple[str, BookingOutcome, datetime]] = field(default_factory=dict)  # code -> use
    board: bool = False
    catalogue: bool = False

    def __bool__(self) -> bool:
        return bool(
            self.tickets
            or self.counters
            or self.counter_views
            or self.calls
            or self.events
            or self.cancelled_requests
            or self.bookings
            or self.board
        )


class WaitingLines:
    """The tickets waiting, per service and kind (priority or not), each line sorted by issue time then issue order.

    Kept up to date by the engine on every change of a ticket to or from WAITING, so choosing the next ticket
    and estimating a wait cost O(log n), not a scan of the day's tickets (a busy province centre issues
    thousands a day)."""

    def __init__(self, services: list[str]) -> None:
        self._lines: dict[tuple[str, bool], list[tuple[datetime, int, str]]] = {
            (service, priority): [] for service in services for priority in (False, True)
        }
        # Booked tickets, per service, sorted by their slot: a line of their own (coordinator.bookings).
        self._booked: dict[str, list[tuple[datetime, int, str]]] = {service: [] for service in services}

    @staticmethod
    def _key(ticket: Ticket) -> tuple[datetime, int, str]:
        return (ticket.booked_for or ticket.issued_at, ticket.seq, ticket.id)

    def _line(self, ticket: Ticket) -> list[tuple[datetime, int, str]]:
        if ticket.booked_for is not None:
            return self._booked[ticket.service]
        return self._lines[(ticket.service, ticket.priority is not None)]

    def add(self, ticket: Ticket) -> None:
        insort(self._line(ticket), self._key(ticket))

    def remove(self, ticket: Ticket) -> None:
        line = self._line(ticket)
        index = bisect_left(line, self._key(ticket))
        if index == len(line) or line[index][2] != ticket.id:
            raise KeyError(ticket.id)
        del line[index]

    def clear(self) -> None:
        for line in [*self._lines.values(), *self._booked.values()]:
            line.clear()

    def booked_before(self, service: str, key: tuple[datetime, int, str]) -> int:
        return bisect_left(self._booked[service], key)

    def booked_head(self, service: str) -> tuple[datetime, int, str] | None:
        """The booked ticket of `service` with the earliest slot: (slot start, issue order, id)."""
        line = self._booked[service]
        return line[0] if line else None

    def head(self, service: str, priority: bool) -> tuple[datetime, int, str] | None:
        line = self._lines[(service, priority)]
        return line[0] if line else None

    def count(self, service: str, priority: bool | None = None) -> int:
        if priority is None:
            return len(self._lines[(service, False)]) + len(self._lines[(service, True)]) + len(self._booked[service])
        return len(self._lines[(service, priority)])

    def before_key(self, service: str, priority: bool, key: tuple[datetime, int, str]) -> int:
        """How many tickets of that line were issued before `key` (issue time, issue order, id)."""
        return bisect_left(self._lines[(service, priority)], key)

    def ids(self, service: str) -> list[str]:
        merged = sorted(self._lines[(service, False)] + self._lines[(service, True)] + self._booked[service])
        return [key[2] for key in merged]


@dataclass(frozen=True)
class DayState:
    """What the store kept of the last business day: enough to rebuild the engine (`QueueEngine.restore`)."""

    business_day: date | None
    tickets: list[Ticket]
    counters: list[Counter]
    issued_numbers: dict[str, int]
    max_seq: int
    cancelled_requests: set[str]
    recent_calls: list[CallEvent]
    earlier_requests: set[str]  # the previous business day's request ids (issued or cancelled)


class QueueEngine:
    """The hall's queue. Create with the hall config; restore with `restore`; drive with commands."""

    def __init__(self, hall: HallConfig, procedures: list[Procedure] | None = None) -> None:
        self.hall = hall
        self.procedures = {p.code: p for p in procedures or []}
        self.zone = hall.hall.zone
        self.tickets: dict[str, Ticket] = {}  # the current business day's tickets
        self.lines = WaitingLines([s.id for s in hall.services])
        self.counters = {c.number: Counter(number=c.number, services=tuple(c.services)) for c in hall.counters}
        self.business_day: date | None = None
        self.last_number: dict[str, int] = {}
        self.seq = 0
        self.requests: dict[str, str] = {}  # request id -> ticket id (today)
        self.earlier_requests: set[str] = set()  # request ids of the previous business day: never issued again
        self.cancelled_requests: set[str] = set()
        self.mean_service_min = {s.id: s.mean_service_min for s in hall.services}
        self.recent_calls: deque[CallEvent] = deque(maxlen=hall.queue.board_calls)
        self.changes = Changes()
        self._open_services: dict[str, bool] = {}
        self._checked_minute: datetime | None = None

    # --- time ----------------------------------------------------------------------------------------------

    def business_day_of(self, moment: datetime) -> date:
        local = moment.astimezone(self.zone)
        start = self.hall.hall.day_starts_at
        return (local - timedelta(hours=start.hour, minutes=start.minute)).date()

    def service_open(self, service_id: str, now: datetime) -> bool:
        hours = self.hall.hours_for(service_id)
        return hours is None or is_open(hours, now.astimezone(self.zone), self.hall.hall.issue_early_min)

    def tick(self, now: datetime) -> None:
        """Advance to `now`: roll the business day over, notice services opening or closing.

        Both change on minute boundaries (opening hours and day start are given in minutes): checked once a
        minute, not on every one of a busy hall's commands."""
        minute = now.replace(second=0, microsecond=0)
        if minute == self._checked_minute:
            return
        self._checked_minute = minute
        day = self.business_day_of(now)
        if self.business_day is None:
            self.business_day = day
        elif day != self.business_day:
            self._roll_over(day, now)
        for service in self.hall.services:
            is_open_now = self.service_open(service.id, now)
            if self._open_services.get(service.id) != is_open_now:
                if service.id in self._open_services:
                    self.changes.catalogue = True
                    self.changes.board = True
                self._open_services[service.id] = is_open_now

    def _roll_over(self, day: date, now: datetime) -> None:
        """Close the old business day: finish tickets still at a counter (an officer who left without pressing
        finish), expire tickets still waiting, sign every officer out. The new day starts from a clean hall."""
        for counter in self.counters.values():
            if counter.serving is not None:
                self._finish(now, counter, reason=EventReason.DAY_END)
            if counter.officer is not None or counter.status is not CounterStatus.CLOSED:
                self._sign_out(now, counter, reason=EventReason.DAY_END)
            counter.priority_streak = 0
            counter.last_finished = None
            counter.last_finished_at = None
            self.changes.counters.add(counter.number)
        for ticket in self.tickets.values():
            if ticket.status is TicketStatus.WAITING:
                ticket.status = TicketStatus.EXPIRED
                self._touch(ticket)
                self._event(now, EventKind.EXPIRED, ticket=ticket)
        self.earlier_requests = set(self.requests) | self.cancelled_requests
        self.tickets = {}
        self.lines.clear()
        self.business_day = day
        self.last_number = {}
        self.seq = 0
        self.requests = {}
        self.cancelled_requests = set()
        self.recent_calls.clear()
        self.changes.board = True
        self._event(now, EventKind.DAY_STARTED, detail=day.isoformat())

    # --- kiosk commands ---------------------------------------------------------------------------------

    def issue(
        self,
        now: datetime,
        *,
        request_id: str,
        service: str | None = None,
        procedure: str | None = None,
        priority: PriorityCategory | None = None,
        kiosk: str | None = None,
        booking: Booking | None = None,
    ) -> Ticket:
        """Issue a ticket (or return the one this request already got). The request's age is checked before, with
        `check_age`. With a `booking` (the service layer looked its code up), the booking names the service and
        `coordinator.bookings.check_in` decides: a booked ticket, a walk-in (late), or a refusal."""
        self.tick(now)
        if request_id in self.cancelled_requests:
            raise QueueError(ErrorCode.REQUEST_CANCELLED, f"request {request_id} was cancelled")
        if request_id in self.requests:
            return self.tickets[self.requests[request_id]]
        if request_id in self.earlier_requests:
            raise QueueError(ErrorCode.STALE_REQUEST, f"request {request_id} belongs to an earlier day")
        checked_in = None
        if booking is not None:
            if any(t.booking == booking.code for t in self.tickets.values() if t.status is not TicketStatus.CANCELLED):
                booking = replace(booking, ticket_id=booking.ticket_id or "today")  # a code works once
            try:
                window = self.hall.bookings
                checked_in = check_in(
                    booking, now, self.business_day_of, early_min=window.early_min, grace_min=window.grace_min
                )
            except BookingRefused as exc:
                raise QueueError(exc.code, str(exc)) from None
            service, procedure = booking.service, booking.procedure
        if procedure is not None:
            found = self.procedures.get(procedure)
            if found is None:
                raise QueueError(ErrorCode.UNKNOWN_PROCEDURE, f"unknown procedure {procedure}")
            service = found.service
        if service is None or service not in self.mean_service_min:
            raise QueueError(ErrorCode.UNKNOWN_SERVICE, f"unknown service {service!r}")
        if priority is not None and priority not in self.hall.queue.priority_categories:
            raise QueueError(ErrorCode.PRIORITY_DISABLED, f"priority {priority} is not offered in this hall")
        if not self.service_open(service, now):
            raise QueueError(ErrorCode.SERVICE_CLOSED, f"service {service} is closed now")
        config = self.hall.service(service)
        number = self.last_number.get(service, config.first_number - 1) + 1
        if number > config.last_number:
            raise QueueError(
                ErrorCode.SERIES_EXHAUSTED, f"service {service}: all numbers up to {config.last_number} issued today"
            )
        assert self.business_day is not None
        label = f"{config.prefix}{number:0{len(str(config.last_number))}d}"
        self.seq += 1
        ticket = Ticket(
            id=f"{self.business_day:%Y%m%d}-{label}",
            business_day=self.business_day,
            issued_service=service,
            service=service,
            number=number,
            label=label,
            issued_at=now,
            seq=self.seq,
            priority=priority,
            procedure=procedure,
            kiosk=kiosk,
            request_id=request_id,
            booking=booking.code if booking is not None else None,
            booked_for=checked_in.booked_for if checked_in is not None else None,
        )
        self.last_number[service] = number
        if booking is not None and checked_in is not None:
            self.changes.bookings[booking.code] = (ticket.id, checked_in.outcome, now)
        self.tickets[ticket.id] = ticket
        self.lines.add(ticket)
        self.requests[request_id] = ticket.id
        self._touch(ticket)
        self.changes.board = True
        self._counters_of_service_changed(service)
        self._event(now, EventKind.ISSUED, ticket=ticket, detail=priority.value if priority else None)
        return ticket

    def check_age(
        self, now: datetime, sent_at: datetime, *, deadline: datetime | None = None, speed: float = 1.0
    ) -> None:
        """Refuse a request its device no longer waits for (``stale_command``). The one freshness rule of the hall.

        With a `deadline` (a keypad's command: the moment it stops waiting and tells the officer it failed), the
        command is refused from ``deadline - CLOCK_TOLERANCE_S`` on, so a device's "failed" always means "not
        applied" even if its clock is up to that much ahead of ours; a `sent_at` more than that in our future is
        refused too (the device's clock is off: refuse when in doubt), and a deadline further than
        ``queue.max_request_age_s`` after `sent_at` counts only that far. Without a deadline (kiosks, older
        keypads), `sent_at` must be within ``queue.max_request_age_s`` of now, either way.

        `speed` is how fast the hall clock runs (a simulated hall at 60x): limits are in real seconds."""
        scale = max(speed, 1.0)
        limit = self.hall.queue.max_request_age_s
        age = (now - sent_at).total_seconds() / scale
        if deadline is None:
            if abs(age) > limit:
                raise QueueError(
                    ErrorCode.STALE_COMMAND,
                    f"request sent {age:+.0f} s from now (limit {limit:g} s): late, or the device's clock is wrong",
                )
            return
        if -age > CLOCK_TOLERANCE_S:
            raise QueueError(
                ErrorCode.STALE_COMMAND,
                f"command sent {-age:.1f} s in the future (tolerance {CLOCK_TOLERANCE_S:g} s): the device's clock is"
                " ahead",
            )
        window = min((deadline - sent_at).total_seconds() / scale, limit)
        left = window - age
        if left <= CLOCK_TOLERANCE_S:
            raise QueueError(
                ErrorCode.STALE_COMMAND,
                f"command past its deadline ({left:+.1f} s left, {CLOCK_TOLERANCE_S:g} s kept for clock"
                " differences): the device has given up on it",
            )

    def cancel(self, now: datetime, *, request_id: str, reason: str) -> Ticket | None:
        """Cancel what a request issued (a ticket that could not be printed); refuse the request from now on.

        A ticket a counter has already called is not cancelled (``already_called``): the citizen was called and may
        be at the desk, so the ticket stands and is served, rated and reported like any other. Cancelling it would
        leave a called, later "served" ticket that the queue says does not exist."""
        self.tick(now)
        ticket = self.tickets.get(self.requests.get(request_id, ""))
        if ticket is not None and ticket.first_called_at is not None:
            raise QueueError(
                ErrorCode.ALREADY_CALLED, f"ticket {ticket.label} was already called: it stands, not cancelled"
            )
        self.cancelled_requests.add(request_id)
        assert self.business_day is not None
        self.changes.cancelled_requests[request_id] = self.business_day
        if ticket is None:
            return None
        if ticket.status is TicketStatus.WAITING:
            self.lines.remove(ticket)
            ticket.status = TicketStatus.CANCELLED
            self._touch(ticket)
            self.changes.board = True
            self._counters_of_service_changed(ticket.service)
            self._event(now, EventKind.CANCELLED, ticket=ticket, detail=reason)
        return ticket

    # --- counter commands -------------------------------------------------------------------------------

    def command(
        self,
        now: datetime,
        counter_number: int,
        action: CounterAction,
        *,
        officer: str | None = None,
        service: str | None = None,
        ticket_id: str | None = None,
        reason: str | None = None,
        dossier_code: str | None = None,
    ) -> Ticket | None:
        """Run one keypad (or console) action; returns the ticket called or acted on, if any. ``ticket_id`` is the
        ticket `call_ticket` calls; ``reason`` is a pause's reason, written in the log; `dossier_code` (with finish
        or next) is recorded on the ticket being finished."""
        self.tick(now)
        counter = self._counter(counter_number)
        if dossier_code is not None:
            if action not in (CounterAction.FINISH, CounterAction.NEXT):
                raise QueueError(ErrorCode.BAD_REQUEST, "a dossier code goes with finish or next")
            finishing = self._require_serving(counter)  # a code with nothing to finish would be lost: refuse it
            finishing.dossier_code = dossier_code
            self._touch(finishing)
        match action:
            case CounterAction.NEXT:
                return self._next(now, counter)
            case CounterAction.RECALL:
                return self._recall(now, counter)
            case CounterAction.NO_SHOW:
                return self._no_show(now, counter)
            case CounterAction.TRANSFER:
                return self._transfer(now, counter, service)
            case CounterAction.FINISH:
                ticket = self._serving(counter)
                self._finish(now, counter)
                return ticket
            case CounterAction.CALL_TICKET:
                return self._call_ticket(now, counter, ticket_id)
            case CounterAction.PAUSE:
                self._pause(now, counter, reason)
            case CounterAction.RESUME:
                self._resume(now, counter)
            case CounterAction.SIGN_IN:
                self._sign_in(now, counter, officer)
            case CounterAction.SIGN_OUT:
                self._sign_out(now, counter)
        return None

    def _next(self, now: datetime, counter: Counter) -> Ticket:
        self._ensure_open(now, counter)
        if counter.serving is not None:
            self._finish(now, counter)
        ticket = self.choose(counter, now)
        if ticket is None:
            raise QueueError(ErrorCode.QUEUE_EMPTY, f"counter {counter.number}: no ticket waiting")
        return self._call_to(now, counter, ticket)

    def _call_ticket(self, now: datetime, counter: Counter, ticket_id: str | None) -> Ticket:
        ticket = self.tickets.get(ticket_id) if ticket_id else None
        if ticket is None or ticket.status is not TicketStatus.WAITING or ticket.service not in counter.services:
            # checked before anything changes: a refused call leaves the ticket at the desk where it was
            raise QueueError(
                ErrorCode.NOT_WAITING, f"counter {counter.number}: ticket {ticket_id!r} is not waiting for it"
            )
        self._ensure_open(now, counter)
        if counter.serving is not None:
            self._finish(now, counter)
        expected = self.choose(counter, now)
        return self._call_to(now, counter, ticket, out_of_order=expected is not ticket)

    def _call_to(self, now: datetime, counter: Counter, ticket: Ticket, *, out_of_order: bool = False) -> Ticket:
        counter.priority_streak = _next_streak(counter.priority_streak, ticket)
        self.lines.remove(ticket)
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter.number
        ticket.officer = counter.officer
        ticket.called_at = now
        ticket.first_called_at = ticket.first_called_at or now
        ticket.recalls = 0
        counter.serving = ticket.id
        self._touch(ticket)
        self._counters_of_service_changed(ticket.service)
        self._call(now, ticket, counter)
        reason = EventReason.OUT_OF_ORDER if out_of_order else None
        self._event(now, EventKind.CALLED, ticket=ticket, counter=counter, reason=reason)
        return ticket

    def choose(self, counter: Counter, now: datetime) -> Ticket | None:
        """The ticket `next` would call at this counter now (does not change anything)."""
        chosen = _choose(self.lines, counter.services, counter.priority_streak, now, self.hall.queue)
        return self.tickets[chosen] if chosen is not None else None

    def _recall(self, now: datetime, counter: Counter) -> Ticket:
        ticket = self._require_serving(counter)
        ticket.recalls += 1
        self._touch(ticket)
        self._call(now, ticket, counter)
        self._event(now, EventKind.RECALLED, ticket=ticket, counter=counter, detail=str(ticket.recalls))
        return ticket

    def _no_show(self, now: datetime, counter: Counter) -> Ticket:
        ticket = self._require_serving(counter)
        needed = self.hall.queue.recalls_before_no_show
        if ticket.recalls < needed:
            raise QueueError(
                ErrorCode.RECALLS_REQUIRED, f"ticket {ticket.label}: recall {needed} time(s) before marking no-show"
            )
        ticket.status = TicketStatus.NO_SHOW
        ticket.finished_at = now
        counter.serving = None
        self._touch(ticket)
        self.changes.counters.add(counter.number)
        self.changes.board = True
        self._event(now, EventKind.NO_SHOW, ticket=ticket, counter=counter)
        return ticket

    def _transfer(self, now: datetime, counter: Counter, service: str | None) -> Ticket:
        ticket = self._require_serving(counter)
        if service is None or service not in self.mean_service_min:
            raise QueueError(ErrorCode.UNKNOWN_SERVICE, f"unknown service {service!r}")
        if service == ticket.service:
            raise QueueError(ErrorCode.BAD_REQUEST, f"ticket {ticket.label} is already in service {service}")
        origin = ticket.service
        ticket.status = TicketStatus.WAITING
        ticket.service = service
        ticket.counter = None
        ticket.called_at = None
        ticket.recalls = 0
        ticket.transfers += 1
        self.lines.add(ticket)
        counter.serving = None
        self._touch(ticket)
        self.changes.counters.add(counter.number)
        self.changes.board = True
        self._counters_of_service_changed(service)
        self._event(
            now,
            EventKind.TRANSFERRED,
            ticket=ticket,
            counter=counter,
            detail=f"{origin}->{service}",
            from_service=origin,
        )
        return ticket

    def _finish(self, now: datetime, counter: Counter, reason: EventReason | None = None) -> None:
        ticket = self._require_serving(counter)
        ticket.status = TicketStatus.SERVED
        ticket.finished_at = now
        counter.serving = None
        counter.last_finished = ticket.id
        counter.last_finished_at = now
        if ticket.called_at is not None and reason is None:  # the rollover's finish is no service time
            self._learn_service_time(ticket.service, (now - ticket.called_at).total_seconds() / 60)
        self._touch(ticket)
        self.changes.counters.add(counter.number)
        self.changes.board = True
        self._event(now, EventKind.SERVED, ticket=ticket, counter=counter, reason=reason)

    def _pause(self, now: datetime, counter: Counter, reason: str | None = None) -> None:
        if counter.status is CounterStatus.CLOSED:
            raise QueueError(ErrorCode.COUNTER_CLOSED, f"counter {counter.number} is closed")
        if counter.serving is not None:
            # An officer does not leave in the middle of a citizen: the keypad's long press means "this one is
            # done, I am taking a break" (the keypad has no finish key).
            self._finish(now, counter)
        if counter.status is CounterStatus.PAUSED:
            if reason and reason != counter.pause_reason:
                counter.pause_reason = reason
                self._counter_changed(counter)
            return
        counter.status = CounterStatus.PAUSED
        counter.pause_reason = reason or None
        self._counter_changed(counter)
        self._event(now, EventKind.PAUSED, counter=counter, detail=reason)

    def _resume(self, now: datetime, counter: Counter) -> None:
        if counter.status is CounterStatus.CLOSED:
            raise QueueError(ErrorCode.COUNTER_CLOSED, f"counter {counter.number} is closed")
        if counter.status is CounterStatus.OPEN:
            return
        counter.status = CounterStatus.OPEN
        counter.pause_reason = None
        self._counter_changed(counter)
        self._event(now, EventKind.RESUMED, counter=counter)

    def _sign_in(self, now: datetime, counter: Counter, officer: str | None) -> None:
        known = {o.id for o in self.hall.officers}
        if officer is None or officer not in known:
            raise QueueError(ErrorCode.UNKNOWN_OFFICER, f"unknown officer {officer!r}")
        if counter.officer == officer and counter.status is not CounterStatus.CLOSED:
            return
        for other in self.counters.values():
            if other is not counter and other.officer == officer:
                self._sign_out(now, other)
        if counter.officer is not None:
            self._sign_out(now, counter)
        counter.officer = officer
        counter.status = CounterStatus.OPEN
        counter.pause_reason = None
        self._counter_changed(counter)
        self._event(now, EventKind.SIGN_IN, counter=counter)

    def _sign_out(self, now: datetime, counter: Counter, reason: EventReason | None = None) -> None:
        if counter.serving is not None:
            self._finish(now, counter)
        if counter.status is CounterStatus.CLOSED and counter.officer is None:
            return
        self._event(now, EventKind.SIGN_OUT, counter=counter, reason=reason)
        counter.officer = None
        counter.status = CounterStatus.CLOSED
        counter.priority_streak = 0
        counter.pause_reason = None
        self._counter_changed(counter)

    def _ensure_open(self, now: datetime, counter: Counter) -> None:
        if counter.status is CounterStatus.PAUSED:
            self._resume(now, counter)  # pressing "next" after a break means the break is over
        if counter.status is CounterStatus.OPEN:
            return
        default = self.hall.counter(counter.number).officer
        if default is not None:
            self._sign_in(now, counter, default)
        elif not self.hall.queue.require_officer:
            counter.status = CounterStatus.OPEN
            self._counter_changed(counter)
            self._event(now, EventKind.OPENED, counter=counter)
        else:
            raise QueueError(ErrorCode.NOT_SIGNED_IN, f"counter {counter.number}: no officer signed in")

    # --- ratings ----------------------------------------------------------------------------------------

    def mark_rated(self, ticket_id: str) -> None:
        """A counted rating arrived for this ticket: the pad stops inviting."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket.rated:
            return
        ticket.rated = True
        self._touch(ticket)
        if ticket.counter is not None:
            self.changes.counter_views.add(ticket.counter)

    def rating_open_until(self, counter: Counter) -> datetime | None:
        if counter.last_finished is None or counter.last_finished_at is None:
            return None
        ticket = self.tickets.get(counter.last_finished)
        if ticket is None or ticket.rated:
            return None
        return counter.last_finished_at + timedelta(minutes=self.hall.rating.window_min)

    # --- estimates and views ----------------------------------------------------------------------------

    def waiting(self, service: str | None = None) -> list[Ticket]:
        """Tickets waiting (for one service, or all), oldest first."""
        services = [service] if service is not None else list(self.mean_service_min)
        tickets = [self.tickets[i] for s in services for i in self.lines.ids(s)]
        return sorted(tickets, key=lambda t: t.order) if service is None else tickets

    def waiting_counts(self) -> dict[str, int]:
        return {service: self.lines.count(service) for service in self.mean_service_min}

    def estimate(self, service: str, *, ticket: Ticket | None = None) -> Estimate:
        """People ahead of `ticket` (or a new normal ticket) and the expected wait: `coordinator.estimate`."""
        return estimate_wait(self, service, ticket=ticket)

    def counters_for(self, service: str) -> list[int]:
        return sorted(c.number for c in self.counters.values() if service in c.services)

    def serving(self, counter: Counter) -> Ticket | None:
        return self.tickets.get(counter.serving) if counter.serving else None

    def waiting_for_counter(self, counter: Counter) -> int:
        counts = self.waiting_counts()
        return sum(counts[s] for s in counter.services)

    # --- restore ----------------------------------------------------------------------------------------

    def restore(self, now: datetime, state: DayState) -> None:
        """Rebuild the state after a restart from what the store kept (the last business day's tickets and every
        counter), then catch up with `now` (a coordinator down over midnight rolls the day over on restart)."""
        self.business_day = state.business_day or self.business_day_of(now)
        tickets = state.tickets
        self.tickets = {t.id: t for t in tickets}
        self.lines.clear()
        for ticket in tickets:
            if ticket.status is TicketStatus.WAITING:
                self.lines.add(ticket)
        for saved in state.counters:
            if saved.number in self.counters:
                self.counters[saved.number] = replace(saved, services=self.counters[saved.number].services)
        self.last_number = dict(state.issued_numbers)
        self.seq = state.max_seq
        self.requests = {t.request_id: t.id for t in tickets if t.request_id}
        self.cancelled_requests = set(state.cancelled_requests)
        self.earlier_requests = set(state.earlier_requests)
        for ticket in sorted(tickets, key=lambda t: t.finished_at or t.issued_at):
            if ticket.status is TicketStatus.SERVED and ticket.called_at and ticket.finished_at:
                self._learn_service_time(ticket.service, (ticket.finished_at - ticket.called_at).total_seconds() / 60)
        self.recent_calls.clear()
        self.recent_calls.extend(state.recent_calls)
        self.changes = Changes()
        self.tick(now)

    def take_changes(self) -> Changes:
        changes, self.changes = self.changes, Changes()
        return changes

    # --- helpers ----------------------------------------------------------------------------------------

    def _counter(self, number: int) -> Counter:
        counter = self.counters.get(number)
        if counter is None:
            raise QueueError(ErrorCode.UNKNOWN_COUNTER, f"unknown counter {number}")
        return counter

    def _serving(self, counter: Counter) -> Ticket | None:
        return self.tickets.get(counter.serving) if counter.serving else None

    def _require_serving(self, counter: Counter) -> Ticket:
        ticket = self._serving(counter)
        if ticket is None:
            raise QueueError(ErrorCode.NOTHING_SERVING, f"counter {counter.number} is not serving anyone")
        return ticket

    def _touch(self, ticket: Ticket) -> None:
        self.changes.tickets[ticket.id] = ticket

    def _counter_changed(self, counter: Counter) -> None:
        self.changes.counters.add(counter.number)
        self.changes.board = True

    def _counters_of_service_changed(self, service: str) -> None:
        """The waiting count shown by these counters' keypads changed."""
        for counter in self.counters.values():
            if service in counter.services:
                self.changes.counter_views.add(counter.number)

    def _call(self, now: datetime, ticket: Ticket, counter: Counter) -> None:
        call = CallEvent(ticket_id=ticket.id, counter=counter.number, recall=ticket.recalls, at=now)
        self.changes.calls.append(call)
        self.recent_calls.append(call)
        self.changes.counters.add(counter.number)
        self.changes.board = True

    def _event(
        self,
        now: datetime,
        kind: EventKind,
        *,
        ticket: Ticket | None = None,
        counter: Counter | None = None,
        detail: str | None = None,
        reason: EventReason | None = None,
        from_service: str | None = None,
    ) -> None:
        self.changes.events.append(
            AuditEvent(
                at=now,
                kind=kind,
                counter=counter.number if counter else (ticket.counter if ticket else None),
                ticket_id=ticket.id if ticket else None,
                officer=counter.officer if counter else (ticket.officer if ticket else None),
                service=ticket.service if ticket else None,
                detail=detail,
                reason=reason,
                from_service=from_service,
            )
        )

    def _learn_service_time(self, service: str, minutes: float) -> None:
        low, high = SERVICE_TIME_BOUNDS
        if not low <= minutes <= high or service not in self.mean_service_min:
            return
        previous = self.mean_service_min[service]
        self.mean_service_min[service] = previous + SERVICE_TIME_ALPHA * (minutes - previous)


def _choose(
    lines: WaitingLines, services: tuple[str, ...], streak: int, now: datetime, queue: QueueSection
) -> str | None:
    """The id of the ticket `next` calls among `lines` for a counter serving `services` (the rules of the module's
    docstring), or None when nobody waits."""
    priority = [h for s in services if (h := lines.head(s, True)) is not None]
    normal = [h for s in services if (h := lines.head(s, False)) is not None]
    booked = [h for s in services if (h := lines.booked_head(s)) is not None]
    if not priority and not normal:
        # Nobody else waits: an early booked citizen is not kept waiting at an idle counter.
        return min(booked)[2] if booked else None
    due = [h for h in booked if h[0] <= now]  # booked tickets whose slot has started
    oldest = min(priority + normal + due)  # a booked ticket's wait counts from its slot
    if now - oldest[0] >= timedelta(minutes=queue.max_wait_min):
        chosen = oldest  # waiting longer than the cap: first, whatever its kind
    elif due:
        chosen = min(due)  # a booked citizen at their slot, ahead of walk-ins
    elif not priority:
        chosen = min(normal)
    elif not normal or queue.priority_mode == "strict" or streak < queue.priority_ratio:
        chosen = min(priority)
    else:
        chosen = min(normal)
    return chosen[2]


def _next_streak(streak: int, ticket: Ticket) -> int:
    """The counter's run of priority calls after calling `ticket`. A booked ticket comes from its own line, at its
    slot, whether or not it also carries a priority: it neither lengthens nor breaks the run (docs/queue-rules.md)."""
    if ticket.booked_for is not None:
        return streak
    return streak + 1 if ticket.priority else 0


def call_order(
    waiting: list[Ticket], services: tuple[str, ...], priority_streak: int, now: datetime, queue: QueueSection
) -> list[Ticket]:
    """The waiting tickets of `services` in the order successive `next` presses at one counter would call them,
    if nothing else changed (the officer's console shows this line). Same rules as `QueueEngine.choose`."""
    lines = WaitingLines(list(services))
    by_id = {}
    for ticket in waiting:
        if ticket.status is TicketStatus.WAITING and ticket.service in services:
            lines.add(ticket)
            by_id[ticket.id] = ticket
    order: list[Ticket] = []
    streak = priority_streak
    while (chosen := _choose(lines, services, streak, now, queue)) is not None:
        ticket = by_id[chosen]
        streak = _next_streak(streak, ticket)
        lines.remove(ticket)
        order.append(ticket)
    return order


def is_open(hours: OpeningHours, local: datetime, early_min: int = 0) -> bool:
    """Whether tickets are issued at local time `local`: inside an opening range, or `early_min` before it."""
    minute = local.hour * 60 + local.minute
    for start, end in hours.ranges(local.weekday()):
        if start.hour * 60 + start.minute - early_min <= minute < end.hour * 60 + end.minute:
            return True
    return False
