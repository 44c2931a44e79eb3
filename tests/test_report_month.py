"""A month of the sample ward hall, written through the real coordinator, and the log of what happened.

`generate_month` drives `CoordinatorService` (engine, rating rules, SQLite store on a real file) with the sample
hall (examples/ward-hall) and a `FixedClock` that a small event scheduler advances: kiosks issue and cancel
tickets, officers sign in, call, recall, mark no-shows, transfer, pause for lunch, sign out (or forget to, or
leave a citizen at the desk), pads send ratings of every kind (counted, a second press, pad-flagged misuse,
presses with nobody served, re-sent duplicates, presses delivered late from the pad's outbox), and the day
rolls over at midnight. The transport is not under test: a recording stand-in for the MQTT session calls the
service's own subscribed handlers and its after-batch hook, as the real session does.

The `MonthLog` records what the devices saw (replies, calls, acks) and what the simulated people did, never
what the database holds: tests/test_report.py computes every expected figure from it, independently of the
report's code. Run this file to refresh the sample report in docs/sample-report/:

    .venv/bin/python tests/test_report_month.py docs/sample-report
"""

from __future__ import annotations

import heapq
import itertools
import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from paho.mqtt.client import topic_matches_sub

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import FixedClock
from motcua.contract import (
    CounterAction,
    CounterCommand,
    CounterReply,
    ErrorReply,
    Message,
    PriorityCategory,
    RatingAck,
    RatingOutcome,
    RatingVote,
    TicketCancel,
    TicketCancelled,
    TicketIssued,
    TicketRequest,
    Topics,
)
from motcua.hall import HallConfig, load_hall, load_procedures
from motcua.session import Inbound

ROOT = Path(__file__).resolve().parent.parent
WARD_HALL = ROOT / "examples" / "ward-hall" / "hall.toml"
SEED = 20261001
#: The month under test, with a day before it and two after it that a report of October must leave out.
FIRST_DAY = date(2026, 9, 30)
MONTH_FIRST, MONTH_LAST = date(2026, 10, 1), date(2026, 10, 31)
LAST_DAY = date(2026, 11, 2)  # a Monday morning: the generation stops at 10:00, the day still open
STOP_AT = time(10, 0)

#: Tickets per hour of opening, per service (mornings busier).
ARRIVALS_PER_HOUR = {
    "ho-tich": 1.6,
    "chung-thuc": 3.0,
    "lao-dong-xa-hoi": 0.8,
    "dat-dai-moi-truong": 1.0,
    "van-hoa-khac": 0.5,
    "tra-ket-qua": 1.6,
}
#: Rating levels (satisfied, neutral, unsatisfied) per officer: not everyone is rated alike.
LEVEL_WEIGHTS = {
    "pham-van-duc": (0.72, 0.16, 0.12),
    "hoang-thi-mai": (0.84, 0.10, 0.06),
    "dang-thu-trang": (0.95, 0.05, 0.0),
}
DEFAULT_LEVEL_WEIGHTS = (0.91, 0.06, 0.03)


# --- the log -------------------------------------------------------------------------------------------------


@dataclass
class SessionLog:
    """An officer at a counter: sign-in to sign-out (or, if they did not sign out, to their last action)."""

    counter: int
    officer: str
    start: datetime
    last_action: datetime | None = None  # the officer's last press at the counter
    end: datetime | None = None
    by_rollover: bool = False
    pauses: list[list[datetime | None]] = field(default_factory=list)  # [start, end]


@dataclass
class VisitLog:
    """A ticket at a counter: called -> served / no_show / transferred / auto_closed (None: still there)."""

    counter: int
    officer: str
    service: str
    called_at: datetime
    session: SessionLog
    end: str | None = None
    ended_at: datetime | None = None


@dataclass
class TicketLog:
    id: str
    day: date
    issued_service: str
    issued_at: datetime
    service: str  # now (after transfers)
    priority: PriorityCategory | None = None
    procedure: str | None = None  # the national code scanned at the kiosk, if any
    cancelled: bool = False
    expired: bool = False
    visits: list[VisitLog] = field(default_factory=list)


@dataclass
class RatingLog:
    id: uuid.UUID
    counter: int
    level: str  # the key of a level of the hall's scale
    pressed_at: datetime  # as the pad stamped it (hall time, +07:00)
    expected: RatingOutcome
    ticket_id: str | None  # the ticket it should rate
    officer: str | None
    service: str | None
    acked: RatingOutcome | None = None
    acked_ticket: str | None = None


@dataclass
class MonthLog:
    hall: HallConfig
    db: Path
    tickets: dict[str, TicketLog] = field(default_factory=dict)
    sessions: list[SessionLog] = field(default_factory=list)
    ratings: list[RatingLog] = field(default_factory=list)
    duplicates: list[RatingLog] = field(default_factory=list)  # re-sent: acked duplicate, stored once
    rollovers: list[datetime] = field(default_factory=list)
    end: datetime | None = None


# --- the transport stand-in ----------------------------------------------------------------------------------


class RecordingSession:
    """What `CoordinatorService` needs of `MqttSession`: handlers are called at once, outputs recorded."""

    def __init__(self, site: str) -> None:
        self.topics = Topics(site)
        self.handlers: list[tuple[str, Callable[[Inbound], None]]] = []
        self.hooks: list[Callable[[], None]] = []
        self.sent: list[tuple[str, Message]] = []

    def subscribe(self, topic_filter: str, handler: Callable[[Inbound], None]) -> None:
        self.handlers.append((topic_filter, handler))

    def after_batch(self, hook: Callable[[], None]) -> None:
        self.hooks.append(hook)

    def on_connection_change(self, listener: Callable[[bool], None]) -> None:
        pass

    def call_soon(self, function: Callable[[], None]) -> None:
        pass  # the service's real-time ticker: the test calls service.tick() at midnight instead

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 3.0) -> None:
        pass

    def publish(self, topic: str, message: Message, **_: Any) -> None:
        self.sent.append((topic, message))

    def reply(self, request: Inbound, message: Message, *, topic: str | None = None) -> None:
        self.sent.append((topic or request.response_topic or "", message))

    def deliver(self, topic: str, message: Message, reply_to: str | None = None) -> list[tuple[str, Message]]:
        """One message, one batch: the handlers subscribed to `topic`, then the after-batch hook (commit)."""
        before = len(self.sent)
        inbound = Inbound(topic=topic, payload=message.to_bytes(), response_topic=reply_to)
        matched = [handler for pattern, handler in self.handlers if topic_matches_sub(pattern, topic)]
        assert matched, f"nothing subscribed to {topic}"
        for handler in matched:
            handler(inbound)
        for hook in self.hooks:
            hook()
        return self.sent[before:]


# --- the simulated hall --------------------------------------------------------------------------------------


@dataclass
class Desk:
    number: int
    services: tuple[str, ...]
    officer: str | None = None
    status: str = "closed"
    calling: bool = False
    serving: TicketLog | None = None
    visit: VisitLog | None = None
    session: SessionLog | None = None
    trying: bool = False
    last_action: datetime | None = None
    last_finish: datetime | None = None
    after_visit: str | None = None  # "pause" or "close" once the citizen at the desk is done
    forgets_sign_out: bool = False
    leaves_citizen: bool = False


def level_weights(hall: HallConfig, officer: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The hall's levels and how often `officer` gets each: the officer's satisfied / neutral / unsatisfied weights
    shared evenly among the scale's levels of that meaning."""
    weights = LEVEL_WEIGHTS.get(officer, DEFAULT_LEVEL_WEIGHTS)
    by_meaning = dict(zip(("satisfied", "neutral", "unsatisfied"), weights, strict=True))
    scale = hall.rating.scale
    share = {m: sum(1 for level in scale if level.meaning == m) for m in by_meaning}
    return tuple(level.key for level in scale), tuple(
        by_meaning[level.meaning] / share[level.meaning] for level in scale
    )


class MonthSimulation:
    def __init__(self, folder: Path, seed: int = SEED, hall: HallConfig | None = None) -> None:
        self.hall = hall or load_hall(WARD_HALL)
        self.zone = self.hall.hall.zone
        self.rng = random.Random(seed)
        self.clock = FixedClock(self.local(FIRST_DAY, time(6, 0)))
        self.db = folder / "coordinator.db"
        self.store = Store(self.db)
        self.session = RecordingSession(self.hall.hall.site)
        procedures = load_procedures(self.hall)
        self.procedures = {s.id: [p.code for p in procedures if p.service == s.id] for s in self.hall.services}
        self.service = CoordinatorService(
            self.hall, procedures, self.store, self.session, self.clock
        )  # the stand-in session
        self.service.start()
        self.topics = self.session.topics
        self.desks = {c.number: Desk(c.number, tuple(c.services)) for c in self.hall.counters}
        self.log = MonthLog(hall=self.hall, db=self.db)
        self.waiting: dict[str, dict[str, TicketLog]] = {s.id: {} for s in self.hall.services}
        self.queue: list[tuple[datetime, int, Callable[..., None], tuple[Any, ...]]] = []
        self.order = itertools.count()

    # --- time ----------------------------------------------------------------------------------------------

    def local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def at(self, when: datetime, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self.queue, (when, next(self.order), action, args))

    def later(self, seconds: float, action: Callable[..., None], *args: Any) -> None:
        self.at(self.now + timedelta(seconds=seconds), action, *args)

    def run(self) -> MonthLog:
        day = FIRST_DAY
        while day <= LAST_DAY:
            self.plan_day(day)
            day += timedelta(days=1)
        stop = self.local(LAST_DAY, STOP_AT)
        while self.queue and self.queue[0][0] <= stop:
            when, _, action, args = heapq.heappop(self.queue)
            assert when >= self.clock.current, "the scheduler never goes back in time"
            self.clock.current = when
            action(*args)
        self.clock.current = stop
        self.log.end = stop
        self.service.stop()
        return self.log

    # --- messages ------------------------------------------------------------------------------------------

    def counter(self, number: int, action: CounterAction, **extra: Any) -> CounterReply | ErrorReply:
        command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=self.now, **extra)
        replies = [
            m
            for t, m in self.session.deliver(
                self.topics.counter_command(number), command, self.topics.counter_reply(number)
            )
            if t.endswith("/res")
        ]
        assert len(replies) == 1, replies
        reply = replies[0]
        assert isinstance(reply, CounterReply | ErrorReply)
        return reply

    def pad(self, rating: RatingLog, misuse: bool = False) -> RatingAck:
        vote = RatingVote(id=rating.id, level=rating.level, pressed_at=rating.pressed_at, misuse=misuse)
        acks = [
            m for _, m in self.session.deliver(self.topics.rating(rating.counter), vote) if isinstance(m, RatingAck)
        ]
        assert len(acks) == 1, acks
        return acks[0]

    # --- a day ---------------------------------------------------------------------------------------------

    def plan_day(self, day: date) -> None:
        weekday = day.weekday()
        if weekday == 6:
            self.at(self.local(day + timedelta(days=1), time(0, 0, 30)), self.rollover)
            return
        rng = self.rng
        saturday = weekday == 5
        index = (day - FIRST_DAY).days
        for desk in self.desks.values():
            officer = self.hall.counter(desk.number).officer
            assert officer is not None
            late = desk.number == 5 and index % 9 == 4  # the land officer comes late some days
            start = time(9, 40) if late else time(7, 25)
            if desk.number == 3 and index % 7 == 2:
                officer = "dang-thu-trang"  # a colleague covers counter 3 for the whole day
            self.at(self.local(day, start) + timedelta(seconds=rng.randint(0, 600)), self.sign_in, desk, officer)
        closing = time(11, 30) if saturday else time(17, 0)
        for desk in self.desks.values():
            self.at(self.local(day, closing), self.close, desk, index)
        if not saturday:
            for desk in self.desks.values():
                self.at(self.local(day, time(11, 30)), self.lunch, desk)
                back = self.local(day, time(13, 25)) + timedelta(seconds=rng.randint(0, 600))
                if desk.number == 3 and index % 7 == 5:
                    self.at(back, self.sign_in, desk, "dang-thu-trang")  # takes over counter 3 after lunch
                else:
                    self.at(back, self.back_from_lunch, desk)
            self.at(self.local(day, time(12, 20)), self.press_with_nobody_served, (index % 6) + 1)
        self.at(self.local(day, time(7, 10)), self.press_with_nobody_served, (index % 6) + 1)
        if index % 4 == 1:
            self.at(self.local(day, time(7, 12)), self.press_with_nobody_served, ((index + 2) % 6) + 1, True)
        ranges = [(time(7, 0), time(11, 25))] if saturday else [(time(7, 0), time(11, 25)), (time(13, 0), time(16, 55))]
        for service, rate in ARRIVALS_PER_HOUR.items():
            for begin, end in ranges:
                moment = self.local(day, begin)
                finish = self.local(day, end)
                while True:
                    busy = 1.5 if moment.astimezone(self.zone).hour in (8, 9) else 1.0
                    moment += timedelta(seconds=round(rng.expovariate(rate * busy / 3600)))
                    if moment > finish:
                        break
                    self.at(moment, self.issue, service)
        self.at(self.local(day + timedelta(days=1), time(0, 0, 30)), self.rollover)

    # --- kiosk ---------------------------------------------------------------------------------------------

    def issue(self, service: str) -> None:
        rng = self.rng
        request_id = uuid.uuid4()
        priority = rng.choice(list(PriorityCategory)) if rng.random() < 0.08 else None
        codes = self.procedures[service]
        if codes and rng.random() < 0.2:
            request = TicketRequest(
                request_id=request_id, sent_at=self.now, procedure=rng.choice(codes), priority=priority
            )
        else:
            request = TicketRequest(request_id=request_id, sent_at=self.now, service=service, priority=priority)
        kiosk = rng.choice(["kiosk-1", "kiosk-2"])
        replies = [
            m
            for _, m in self.session.deliver(
                self.topics.ticket_request(kiosk), request, self.topics.ticket_reply(kiosk)
            )
        ]
        issued = [m for m in replies if isinstance(m, TicketIssued)]
        assert len(issued) == 1, replies
        info = issued[0].ticket
        assert info.service == service
        ticket = TicketLog(info.id, self.business_day(), service, self.now, service, priority, request.procedure)
        self.log.tickets[ticket.id] = ticket
        self.waiting[service][ticket.id] = ticket
        if rng.random() < 0.02:  # the printer jammed: the kiosk cancels what it asked for, seconds later
            self.later(4, self.cancel, kiosk, request_id, ticket)
        else:
            self.kick_service(service)

    def cancel(self, kiosk: str, request_id: uuid.UUID, ticket: TicketLog) -> None:
        cancel = TicketCancel(request_id=request_id, reason="print_failed")
        replies = [
            m
            for _, m in self.session.deliver(self.topics.ticket_cancel(kiosk), cancel, self.topics.ticket_reply(kiosk))
        ]
        assert any(isinstance(m, TicketCancelled) and m.ticket_id == ticket.id for m in replies), replies
        ticket.cancelled = True
        del self.waiting[ticket.service][ticket.id]
        self.kick_service(ticket.service)

    def business_day(self) -> date:
        return self.now.astimezone(self.zone).date()  # the sample hall's day starts at 00:00

    # --- officers --------------------------------------------------------------------------------------------

    def sign_in(self, desk: Desk, officer: str) -> None:
        assert desk.serving is None
        reply = self.counter(desk.number, CounterAction.SIGN_IN, officer=officer)
        assert isinstance(reply, CounterReply) and reply.state.officer == officer, reply
        if desk.session is not None:  # the engine signs the previous officer out
            self.end_session(desk, self.now, by_rollover=False)
        desk.officer = officer
        desk.status = "open"
        desk.calling = True
        desk.session = SessionLog(desk.number, officer, self.now)
        self.log.sessions.append(desk.session)
        self.act(desk)
        index = (self.business_day() - FIRST_DAY).days
        desk.forgets_sign_out = (index + desk.number) % 11 == 0
        desk.leaves_citizen = (index + desk.number) % 13 == 0
        self.kick(desk)

    def act(self, desk: Desk) -> None:
        """The officer pressed a key that changed something at the counter (a session's last action)."""
        desk.last_action = self.now
        if desk.session is not None:
            desk.session.last_action = self.now

    def end_session(self, desk: Desk, end: datetime, *, by_rollover: bool) -> None:
        assert desk.session is not None
        desk.session.end = end
        desk.session.by_rollover = by_rollover
        for pause in desk.session.pauses:
            if pause[1] is None:
                pause[1] = end
        desk.session = None
        desk.officer = None
        desk.status = "closed"
        desk.calling = False

    def lunch(self, desk: Desk) -> None:
        desk.calling = False
        if desk.status != "open":
            return
        if desk.serving is not None:
            desk.after_visit = "pause"
        else:
            self.later(self.rng.randint(0, 120), self.pause, desk)

    def pause(self, desk: Desk) -> None:
        if desk.status != "open" or desk.serving is not None:
            return
        reply = self.counter(desk.number, CounterAction.PAUSE)
        assert isinstance(reply, CounterReply) and reply.state.status == "paused", reply
        desk.status = "paused"
        self.act(desk)
        assert desk.session is not None
        desk.session.pauses.append([self.now, None])

    def back_from_lunch(self, desk: Desk) -> None:
        if desk.status == "closed":
            return
        if desk.status == "paused":
            implicit = self.rng.random() < 0.5 and self.waiting_for(desk)
            if implicit:  # pressing "next" after the break ends it (the engine resumes the counter)
                self.resumed(desk)
                desk.calling = True
                self.call_next(desk)
                return
            reply = self.counter(desk.number, CounterAction.RESUME)
            assert isinstance(reply, CounterReply) and reply.state.status == "open", reply
            self.resumed(desk)
        desk.calling = True
        self.kick(desk)

    def resumed(self, desk: Desk) -> None:
        assert desk.session is not None
        desk.session.pauses[-1][1] = self.now
        desk.status = "open"
        self.act(desk)

    def close(self, desk: Desk, index: int) -> None:
        desk.calling = False
        if desk.status == "closed":
            return
        if desk.serving is not None:
            if desk.leaves_citizen:
                desk.visit = None  # the officer goes home with a citizen still "at the desk": closed at midnight
                return
            desk.after_visit = "close"
            return
        self.later(self.rng.randint(0, 300), self.sign_out, desk)

    def sign_out(self, desk: Desk) -> None:
        if desk.status == "closed" or desk.serving is not None:
            return
        if desk.forgets_sign_out:
            return  # signed out by the rollover at midnight
        reply = self.counter(desk.number, CounterAction.SIGN_OUT)
        assert isinstance(reply, CounterReply) and reply.state.status == "closed", reply
        self.end_session(desk, self.now, by_rollover=False)

    # --- calling ---------------------------------------------------------------------------------------------

    def waiting_for(self, desk: Desk) -> bool:
        return any(self.waiting[s] for s in desk.services)

    def kick_service(self, service: str) -> None:
        for desk in self.desks.values():
            if service in desk.services:
                self.kick(desk)

    def kick(self, desk: Desk) -> None:
        if (
            desk.status == "open"
            and desk.calling
            and desk.serving is None
            and not desk.trying
            and self.waiting_for(desk)
        ):
            desk.trying = True
            self.later(self.rng.randint(8, 40), self.try_next, desk)

    def try_next(self, desk: Desk) -> None:
        desk.trying = False
        if desk.status == "open" and desk.calling and desk.serving is None and self.waiting_for(desk):
            self.call_next(desk)

    def call_next(self, desk: Desk) -> None:
        reply = self.counter(desk.number, CounterAction.NEXT)
        assert isinstance(reply, CounterReply), reply  # the log's queue mirrors the engine's: never empty here
        serving = reply.state.serving
        assert serving is not None and desk.session is not None and desk.officer is not None
        ticket = self.waiting[serving.service].pop(serving.id)  # the engine called a ticket the log knows waits
        visit = VisitLog(desk.number, desk.officer, ticket.service, self.now, desk.session)
        ticket.visits.append(visit)
        desk.serving, desk.visit = ticket, visit
        self.act(desk)
        self.plan_visit(desk, ticket, visit)

    def plan_visit(self, desk: Desk, ticket: TicketLog, visit: VisitLog) -> None:
        rng = self.rng
        draw = rng.random()
        others = [s.id for s in self.hall.services if s.id != ticket.service]
        if draw < 0.04:
            self.later(60, self.recall, desk, visit)
            self.later(60 + rng.randint(45, 90), self.end_visit, desk, visit, "no_show")
        elif draw < 0.075:
            target = rng.choice(others)
            self.later(rng.randint(60, 240), self.end_visit, desk, visit, "transferred", target)
        else:
            mean = self.hall.service(ticket.service).mean_service_min * 60
            self.later(max(60, round(mean * rng.uniform(0.4, 1.8))), self.end_visit, desk, visit, "served")

    def recall(self, desk: Desk, visit: VisitLog) -> None:
        if desk.visit is not visit:
            return
        reply = self.counter(desk.number, CounterAction.RECALL)
        assert isinstance(reply, CounterReply) and reply.state.serving and reply.state.serving.recalls == 1, reply
        self.act(desk)

    def end_visit(self, desk: Desk, visit: VisitLog, how: str, target: str | None = None) -> None:
        if desk.visit is not visit:
            return  # the officer left with the citizen at the desk
        ticket = desk.serving
        assert ticket is not None
        if how == "served":
            reply = self.counter(desk.number, CounterAction.FINISH)
            assert isinstance(reply, CounterReply) and reply.state.last_finished == ticket.id, reply
        elif how == "no_show":
            reply = self.counter(desk.number, CounterAction.NO_SHOW)
            assert isinstance(reply, CounterReply) and reply.state.serving is None, reply
        else:
            reply = self.counter(desk.number, CounterAction.TRANSFER, service=target)
            assert isinstance(reply, CounterReply) and reply.state.serving is None, reply
            assert target is not None
            ticket.service = target
            self.waiting[target][ticket.id] = ticket
            self.kick_service(target)
        visit.end, visit.ended_at = how, self.now
        desk.serving = desk.visit = None
        self.act(desk)
        if how == "served":
            desk.last_finish = self.now
            self.plan_ratings(desk, ticket, visit)
        then, desk.after_visit = desk.after_visit, None
        if then == "pause":
            self.later(self.rng.randint(0, 60), self.pause, desk)
        elif then == "close":
            self.later(self.rng.randint(0, 120), self.sign_out, desk)
        else:
            self.kick(desk)

    # --- ratings ---------------------------------------------------------------------------------------------

    def plan_ratings(self, desk: Desk, ticket: TicketLog, visit: VisitLog) -> None:
        rng = self.rng
        finished = self.now
        if rng.random() < 0.03:  # a child presses all the buttons: the pad flags it (lockout), never counted
            self.rating_at(
                finished + timedelta(seconds=rng.randint(1, 3)), desk, ticket, visit, RatingOutcome.MISUSE, True
            )
        if rng.random() >= 0.75:
            return
        pressed = finished + timedelta(seconds=rng.randint(3, 40))
        draw = rng.random()
        if draw < 0.05:  # the pad was offline: its outbox delivers the press minutes later
            self.rating_at(pressed, desk, ticket, visit, RatingOutcome.COUNTED, delay=150)
            return
        first = self.rating_at(pressed, desk, ticket, visit, RatingOutcome.COUNTED)
        if draw < 0.11:  # pressed again: the ticket is already rated
            self.rating_at(pressed + timedelta(seconds=rng.randint(4, 15)), desk, ticket, visit, RatingOutcome.MISUSE)
        elif draw < 0.15:  # the ack was lost: the pad sends the same rating again
            self.at(pressed + timedelta(seconds=rng.randint(60, 90)), self.resend, first)

    def rating_at(
        self,
        pressed: datetime,
        desk: Desk,
        ticket: TicketLog | None,
        visit: VisitLog | None,
        expected: RatingOutcome,
        flagged: bool = False,
        delay: float = 0,
    ) -> RatingLog:
        levels, weights = level_weights(self.hall, visit.officer if visit else "")
        level = self.rng.choices(levels, weights)[0] if expected is RatingOutcome.COUNTED else self.rng.choice(levels)
        rating = RatingLog(
            id=uuid.uuid4(),
            counter=desk.number,
            level=level,
            pressed_at=pressed.astimezone(self.zone),  # pads stamp hall time; the store keeps UTC
            expected=expected,
            ticket_id=ticket.id if ticket else None,
            officer=visit.officer if visit else None,
            service=ticket.service if ticket else None,
        )
        self.at(pressed + timedelta(seconds=delay), self.deliver_rating, rating, flagged)
        return rating

    def deliver_rating(self, rating: RatingLog, flagged: bool) -> None:
        ack = self.pad(rating, misuse=flagged)
        rating.acked, rating.acked_ticket = ack.outcome, ack.ticket_id
        self.log.ratings.append(rating)

    def resend(self, rating: RatingLog) -> None:
        ack = self.pad(rating)
        assert ack.outcome is RatingOutcome.DUPLICATE and ack.ticket_id == rating.ticket_id, ack
        self.log.duplicates.append(rating)

    def press_with_nobody_served(self, number: int, flagged: bool = False) -> None:
        desk = self.desks[number]
        window = timedelta(minutes=self.hall.rating.window_min)
        if desk.serving is not None or (desk.last_finish is not None and self.now - desk.last_finish <= window):
            return  # someone could be rating a real visit: not the press this test wants
        expected = RatingOutcome.MISUSE if flagged else RatingOutcome.UNBOUND
        self.rating_at(self.now, desk, None, None, expected, flagged)

    # --- midnight --------------------------------------------------------------------------------------------

    def rollover(self) -> None:
        self.service.tick()  # what the coordinator's ticker does every second
        self.log.rollovers.append(self.now)
        for desk in self.desks.values():
            if desk.serving is not None:
                assert desk.visit is None  # only a citizen the officer left at the desk
                visit = desk.serving.visits[-1]
                visit.end, visit.ended_at = "auto_closed", self.now
                desk.serving = None
            if desk.session is not None:
                assert desk.last_action is not None
                self.end_session(desk, desk.last_action, by_rollover=True)
            desk.after_visit = None
            desk.trying = False
            desk.last_finish = None
        for service in self.waiting.values():
            for ticket in service.values():
                ticket.expired = True
            service.clear()


def generate_month(folder: Path, seed: int = SEED, hall: HallConfig | None = None) -> MonthLog:
    """Run the simulated hall from 30 September to 2 November 2026 10:00; the database is folder/coordinator.db.
    `hall`: the sample hall with another rating scale (default: the sample hall as it is)."""
    return MonthSimulation(folder, seed, hall).run()


# --- checks of the generation itself (the report's tests rely on it) ------------------------------------------

_CACHE: dict[str, MonthLog] = {}


def month_log(tmp_path_factory: Any) -> MonthLog:
    """One generation per test session, shared by the report's tests."""
    if "month" not in _CACHE:
        _CACHE["month"] = generate_month(tmp_path_factory.mktemp("month"))
    return _CACHE["month"]


def test_month_generation_covers_every_kind_of_activity(tmp_path_factory: Any) -> None:
    log = month_log(tmp_path_factory)
    tickets = list(log.tickets.values())
    october = [t for t in tickets if MONTH_FIRST <= t.day <= MONTH_LAST]
    assert len(october) > 1000
    ends = {v.end for t in october for v in t.visits}
    assert ends == {"served", "no_show", "transferred", "auto_closed"}
    assert any(t.cancelled for t in october) and any(t.expired for t in october)
    assert any(t.priority for t in october)
    assert {s.counter for s in log.sessions} == {1, 2, 3, 4, 5, 6}
    assert "dang-thu-trang" in {s.officer for s in log.sessions}
    assert any(s.by_rollover for s in log.sessions) and any(not s.by_rollover for s in log.sessions)
    assert any(s.pauses for s in log.sessions)
    outcomes = {r.expected for r in log.ratings}
    assert outcomes == {RatingOutcome.COUNTED, RatingOutcome.MISUSE, RatingOutcome.UNBOUND}
    assert any(r.ticket_id is None and r.expected is RatingOutcome.MISUSE for r in log.ratings)
    assert log.duplicates
    assert len(log.rollovers) >= 30


def test_month_generation_acks_are_what_the_citizens_meant(tmp_path_factory: Any) -> None:
    """Every rating was judged as intended (counted / misuse / unbound, and for which ticket)."""
    log = month_log(tmp_path_factory)
    wrong = [r for r in log.ratings if (r.acked, r.acked_ticket) != (r.expected, r.ticket_id)]
    assert not wrong, wrong[:3]


def test_month_generation_stores_times_in_utc(tmp_path_factory: Any) -> None:
    """Pads stamp +07:00; the store writes UTC, so that its text comparisons (rating binding, reports) hold."""
    import sqlite3

    log = month_log(tmp_path_factory)
    db = sqlite3.connect(f"file:{log.db}?mode=ro", uri=True)
    try:
        texts = [row[0] for row in db.execute("SELECT pressed_at FROM ratings UNION ALL SELECT at FROM events")]
        texts += [row[0] for row in db.execute("SELECT issued_at FROM tickets")]
    finally:
        db.close()
    assert texts and all(text.endswith("+00:00") for text in texts)


if __name__ == "__main__":  # refresh docs/sample-report
    import os
    import tempfile

    from coordinator.report.cli import main as report_main

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/sample-report")
    os.environ["MOTCUA_CLOCK"] = "2026-11-02T08:00:00+07:00@1"  # made on the first working morning of November
    with tempfile.TemporaryDirectory() as folder:
        month = generate_month(Path(folder))
        hall_toml = str(WARD_HALL)
        status = report_main(
            ["--db", str(month.db), "--hall", hall_toml, "--period", "month", "--date", "2026-10-01", "--out", str(out)]
        )
    sys.exit(status)
