"""Every figure of a report, from the loaded records (pure: no I/O, no clock, no SQL).

Two steps:

1. `build_facts` turns the database's records into *facts*, each attributed to a business day and, where it
   makes sense, to a counter, an officer and a service:

   - an issue (the ticket taken at the kiosk): its service — the series the citizen chose;
   - a wait (issue → first call): the counter and officer that first called the ticket, its first service;
   - an outcome (the ticket's end: served, no-show, cancelled, expired, or still open): the counter and officer
     that last called it and its last service; served tickets carry their service time (last call → finish),
     except those closed automatically at the end of the day;
   - a transfer: the counter and officer that sent it, the service it left (and, as a "transfer in", the
     service it went to);
   - a rating (counted, misuse or unbound): the pad's counter, and the officer and service of the ticket it was
     bound to;
   - a counter session (sign-in → sign-out): the counter, the officer, time signed in, paused and serving.

2. `compute` groups the facts of the period by hall / service / counter / officer (optionally restricted to one
   of them, a `Scope`) and computes the figures; a figure that a grouping cannot carry (tickets issued per
   officer: an issued ticket has no officer yet) is None, shown as "—".

Durations are exact (`Fraction` seconds) so that rounding for display is exact too (`round_half_up`).
docs/reports.md defines each figure for the managers.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from coordinator.engine import AuditEvent, Ticket, TicketStatus
from coordinator.report import ReportError
from coordinator.report.load import Records
from coordinator.report.period import Period, business_day_of
from motcua.contract import EventKind, EventReason, RatingMeaning, RatingOutcome
from motcua.hall import HallConfig
from motcua.stats import percentile

Dim = Literal["hall", "service", "counter", "officer", "procedure"]
#: The breakdowns a report can show, in the order they are shown.
ALL_BREAKDOWNS: tuple[Dim, ...] = ("service", "counter", "officer", "procedure")
#: The breakdowns shown when none is asked for (procedure: ``--by procedure``).
BREAKDOWNS: tuple[Dim, ...] = ("service", "counter", "officer")
HALL_KEY = "hall"
#: What a level counts as; the default scale's keys are these too.
MEANINGS = tuple(meaning.value for meaning in RatingMeaning)  # satisfied, neutral, unsatisfied
COUNTED, MISUSE, UNBOUND = RatingOutcome.COUNTED.value, RatingOutcome.MISUSE.value, RatingOutcome.UNBOUND.value
SERVED, NO_SHOW, CANCELLED = TicketStatus.SERVED.value, TicketStatus.NO_SHOW.value, TicketStatus.CANCELLED.value
EXPIRED, WAITING, CALLED = TicketStatus.EXPIRED.value, TicketStatus.WAITING.value, TicketStatus.CALLED.value

#: Queue figures each grouping can carry (the others are None). Issues, cancellations, expiries and tickets still
#: open have no counter or officer; counter sessions have no service; "transferred in" is a service's figure.
QUEUE_FIGURES: dict[Dim, frozenset[str]] = {
    "hall": frozenset({"issued", "cancelled", "expired", "open", "busy"}),
    "service": frozenset({"issued", "cancelled", "expired", "open", "transferred_in", "target"}),
    "counter": frozenset({"busy"}),
    "officer": frozenset({"busy"}),
    "procedure": frozenset({"issued", "cancelled", "expired", "open"}),
}
#: Ratings not bound to a ticket have no officer or service.
SATISFACTION_FIGURES: dict[Dim, frozenset[str]] = {
    "hall": frozenset({"unbound"}),
    "service": frozenset(),
    "counter": frozenset({"unbound"}),
    "officer": frozenset(),
    "procedure": frozenset(),
}

# --- facts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    day: date
    counter: int | None
    officer: str | None
    service: str | None
    procedure: str | None = field(default=None, kw_only=True)  # the ticket's national procedure code, if scanned

    def key(self, dim: Dim) -> str | None:
        """This fact's group in a breakdown by `dim` (None: it has none, e.g. an issued ticket's officer)."""
        if dim == "hall":
            return HALL_KEY
        if dim == "counter":
            return str(self.counter) if self.counter is not None else None
        if dim == "officer":
            return self.officer
        if dim == "procedure":
            return self.procedure
        return self.service


@dataclass(frozen=True)
class IssueFact(Fact):
    pass


@dataclass(frozen=True)
class WaitFact(Fact):
    wait: Fraction  # seconds, issue -> first call
    target: Fraction  # seconds, the service's target wait
    weekday: int  # of the business day, Monday = 0
    hour: int  # local hour of the issue

    @property
    def within_target(self) -> bool:
        return self.wait <= self.target


@dataclass(frozen=True)
class OutcomeFact(Fact):
    status: str
    auto_closed: bool = False
    service_time: Fraction | None = None  # seconds, last call -> finish; None if not timed
    rated: str | None = None  # the meaning of the ticket's counted rating, if it has one


@dataclass(frozen=True)
class TransferFact(Fact):
    to_service: str


@dataclass(frozen=True)
class TransferInFact(Fact):
    pass


@dataclass(frozen=True)
class RatingFact(Fact):
    level: str  # the key of the level in the hall's scale
    outcome: str
    meaning: str = RatingMeaning.NEUTRAL.value  # what the level counts as


@dataclass(frozen=True)
class SessionFact(Fact):
    start: datetime
    signed_in: Fraction  # seconds
    paused: Fraction
    serving: Fraction
    closed_by_rollover: bool = False  # the officer did not sign out: counted until their last action


@dataclass(frozen=True)
class Facts:
    issues: list[IssueFact] = field(default_factory=list)
    waits: list[WaitFact] = field(default_factory=list)
    outcomes: list[OutcomeFact] = field(default_factory=list)
    transfers: list[TransferFact] = field(default_factory=list)
    transfers_in: list[TransferInFact] = field(default_factory=list)
    ratings: list[RatingFact] = field(default_factory=list)
    sessions: list[SessionFact] = field(default_factory=list)

    def where(self, keep: Callable[[Fact], bool]) -> Facts:
        return Facts(
            issues=[f for f in self.issues if keep(f)],
            waits=[f for f in self.waits if keep(f)],
            outcomes=[f for f in self.outcomes if keep(f)],
            transfers=[f for f in self.transfers if keep(f)],
            transfers_in=[f for f in self.transfers_in if keep(f)],
            ratings=[f for f in self.ratings if keep(f)],
            sessions=[f for f in self.sessions if keep(f)],
        )

    def everything(self) -> list[Fact]:
        return [
            *self.issues,
            *self.waits,
            *self.outcomes,
            *self.transfers,
            *self.transfers_in,
            *self.ratings,
            *self.sessions,
        ]

    def __bool__(self) -> bool:
        return bool(self.everything())


def build_facts(records: Records, hall: HallConfig, period: Period) -> Facts:
    """Attribute the database's records to days, counters, officers and services (see the module docstring)."""
    check_hall(records, hall)
    zone, starts_at = hall.hall.zone, hall.hall.day_starts_at
    tickets = {t.id: t for t in records.tickets if t.business_day in period}
    first_calls: dict[str, AuditEvent] = {}
    auto_closed: set[str] = set()
    facts = Facts()
    for event in records.events:  # ordered by id: the log's order
        ticket = tickets.get(event.ticket_id or "")
        if ticket is None:
            continue
        if event.kind is EventKind.CALLED:
            first_calls.setdefault(ticket.id, event)
        elif event.kind is EventKind.SERVED:
            if event.reason is EventReason.DAY_END:
                auto_closed.add(ticket.id)
            else:
                auto_closed.discard(ticket.id)
        elif event.kind is EventKind.TRANSFERRED:
            origin, target = event.from_service or "", event.service or ""
            facts.transfers.append(TransferFact(ticket.business_day, event.counter, event.officer, origin, target))
            facts.transfers_in.append(TransferInFact(ticket.business_day, None, None, target))
    rated = {r.ticket_id: r.meaning.value for r in records.ratings if r.outcome == COUNTED and r.ticket_id}
    procedures = {t.id: t.procedure for t in records.tickets if t.procedure}
    for ticket in tickets.values():
        facts.issues.append(
            IssueFact(ticket.business_day, None, None, ticket.issued_service, procedure=ticket.procedure)
        )
        if ticket.first_called_at is not None:
            first = first_calls.get(ticket.id)
            counter, officer = (first.counter, first.officer) if first else (None, None)
            facts.waits.append(
                WaitFact(
                    ticket.business_day,
                    counter,
                    officer,
                    ticket.issued_service,
                    wait=_seconds(ticket.first_called_at - ticket.issued_at),
                    target=Fraction(60 * _target_min(hall, ticket.issued_service)),
                    weekday=ticket.business_day.weekday(),
                    hour=ticket.issued_at.astimezone(zone).hour,
                    procedure=ticket.procedure,
                )
            )
        facts.outcomes.append(_outcome(ticket, ticket.id in auto_closed, rated.get(ticket.id)))
    for rating in records.ratings:
        day = business_day_of(rating.pressed_at, zone, starts_at)
        if day in period:
            facts.ratings.append(
                RatingFact(
                    day,
                    rating.counter,
                    rating.officer,
                    rating.service,
                    rating.level,
                    rating.outcome,
                    meaning=rating.meaning,
                    procedure=procedures.get(rating.ticket_id or ""),
                )
            )
    for session in sessions(records.events, lambda moment: business_day_of(moment, zone, starts_at)):
        if session.day in period:
            facts.sessions.append(session)
    return facts


def _outcome(ticket: Ticket, auto_closed: bool, rated: str | None = None) -> OutcomeFact:
    at_counter = ticket.status in (SERVED, NO_SHOW, CALLED)
    service_time = None
    if ticket.status == SERVED and not auto_closed and ticket.called_at and ticket.finished_at:
        service_time = _seconds(ticket.finished_at - ticket.called_at)
    return OutcomeFact(
        ticket.business_day,
        ticket.counter if at_counter else None,
        ticket.officer if at_counter else None,
        ticket.service,
        status=ticket.status,
        auto_closed=auto_closed and ticket.status == SERVED,
        service_time=service_time,
        rated=rated,
        procedure=ticket.procedure,
    )


@dataclass
class _OpenSession:
    start: datetime
    officer: str | None
    last_action: datetime
    paused_since: datetime | None = None
    paused: Fraction = Fraction(0)
    serving: Fraction = Fraction(0)


#: Events that show an officer at work at a counter (the end of a session whose sign-out was automatic).
ACTIONS = frozenset(
    {
        EventKind.SIGN_IN,
        EventKind.OPENED,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.SERVED,
        EventKind.NO_SHOW,
        EventKind.TRANSFERRED,
        EventKind.PAUSED,
        EventKind.RESUMED,
    }
)


def sessions(events: Sequence[AuditEvent], day_of: Callable[[datetime], date]) -> list[SessionFact]:
    """Counter sessions from the hall's log: sign_in (or opened) -> sign_out, with pauses and serving time.

    Serving time adds up each visit, call -> served / no_show / transferred, except visits closed automatically
    at the end of the day. A sign-out made by the day's rollover (``reason`` day_end) is not the officer's: the
    session then ends at the officer's last action at that counter. A session still open at the end of the log
    ends at its last action too.
    """
    open_sessions: dict[int, _OpenSession] = {}
    calls: dict[int, datetime] = {}  # counter -> when its current ticket was called
    result: list[SessionFact] = []

    def close(counter: int, end: datetime, by_rollover: bool) -> None:
        session = open_sessions.pop(counter)
        end = max(end, session.start)
        if session.paused_since is not None:
            session.paused += _seconds(max(end - session.paused_since, timedelta(0)))
        result.append(
            SessionFact(
                day=day_of(session.start),
                counter=counter,
                officer=session.officer,
                service=None,
                start=session.start,
                signed_in=_seconds(end - session.start),
                paused=session.paused,
                serving=session.serving,
                closed_by_rollover=by_rollover,
            )
        )

    for event in events:
        counter = event.counter
        if counter is None:
            continue
        session = open_sessions.get(counter)
        if event.kind in (EventKind.SIGN_IN, EventKind.OPENED):
            if session is not None:
                close(counter, event.at, False)
            open_sessions[counter] = _OpenSession(start=event.at, officer=event.officer, last_action=event.at)
            calls.pop(counter, None)
            continue
        if session is None:
            continue
        by_rollover = event.reason is EventReason.DAY_END
        if event.kind is EventKind.SIGN_OUT:
            close(counter, session.last_action if by_rollover else event.at, by_rollover)
            calls.pop(counter, None)
            continue
        if event.kind in ACTIONS and not by_rollover:
            session.last_action = max(session.last_action, event.at)
        if event.kind is EventKind.CALLED:
            calls[counter] = event.at
        elif event.kind in (EventKind.SERVED, EventKind.NO_SHOW, EventKind.TRANSFERRED):
            called = calls.pop(counter, None)
            if called is not None and not by_rollover:
                session.serving += _seconds(event.at - called)
        elif event.kind is EventKind.PAUSED and session.paused_since is None:
            session.paused_since = event.at
        elif event.kind is EventKind.RESUMED and session.paused_since is not None:
            session.paused += _seconds(event.at - session.paused_since)
            session.paused_since = None
    for counter in sorted(open_sessions):
        close(counter, open_sessions[counter].last_action, False)
    return result


def check_hall(records: Records, hall: HallConfig) -> None:
    """Refuse a database whose services or counters hall.toml does not know: another hall's, most likely."""
    if records.site is not None and records.site != hall.hall.site:
        raise ReportError(f"this database belongs to hall {records.site!r}, not {hall.hall.site!r} (hall.toml)")
    services = {s.id for s in hall.services}
    counters = {c.number for c in hall.counters}
    seen_services = {t.issued_service for t in records.tickets} | {t.service for t in records.tickets}
    seen_services |= {r.service for r in records.ratings if r.service is not None}
    seen_counters = {t.counter for t in records.tickets if t.counter is not None}
    seen_counters |= {r.counter for r in records.ratings} | {e.counter for e in records.events if e.counter is not None}
    unknown_services = sorted(seen_services - services)
    unknown_counters = sorted(seen_counters - counters)
    if unknown_services or unknown_counters:
        what = []
        if unknown_services:
            what.append("services " + ", ".join(unknown_services))
        if unknown_counters:
            what.append("counters " + ", ".join(str(c) for c in unknown_counters))
        raise ReportError(
            f"the database has {' and '.join(what)} that {hall.hall.site!r} (hall.toml) does not define: "
            "is it another hall's database, or the wrong hall.toml?"
        )


# --- figures -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Durations in seconds: how many, mean, median and 90th percentile (None when there are none)."""

    count: int
    mean: Fraction | None
    median: Fraction | None
    p90: Fraction | None


@dataclass(frozen=True)
class QueueRow:
    dim: Dim
    key: str
    issued: int | None
    called: int  # tickets first called here: the waits measured
    served: int
    auto_closed: int  # of the served: closed automatically at the end of the day
    no_show: int
    transferred_out: int
    transferred_in: int | None
    cancelled: int | None
    expired: int | None
    open: int | None  # still waiting or being served (the day is not over)
    wait: Stats
    within_target: int
    within_target_pct: Fraction | None
    target_min: int | None
    service_time: Stats
    signed_in: Fraction | None  # seconds
    paused: Fraction | None
    serving: Fraction | None
    busy_pct: Fraction | None


@dataclass(frozen=True)
class SatisfactionRow:
    dim: Dim
    key: str
    counted: int
    levels: dict[str, int]  # counted votes per level of the hall's scale
    misuse: int
    unbound: int | None
    served: int
    meanings: dict[str, int] = field(default_factory=dict)  # counted votes per meaning (satisfied/neutral/unsatisfied)
    served_unsatisfied: int = 0  # tickets served (this group's, as `served`) whose counted vote means unsatisfied

    def level_pct(self, level: str) -> Fraction | None:
        return _pct(self.levels[level], self.counted)

    @property
    def satisfied_pct(self) -> Fraction | None:
        """The project's rate: counted votes that mean satisfied ÷ counted votes."""
        return _pct(self.meanings.get("satisfied", 0), self.counted)

    @property
    def rated_pct(self) -> Fraction | None:
        """Counted ratings per served ticket."""
        return _pct(self.counted, self.served)

    @property
    def national_pct(self) -> Fraction | None:
        """The 766-style rate: (tickets served − served tickets rated unsatisfied) ÷ tickets served. A ticket nobody
        rated counts as satisfied, as the national index counts a dossier without an unsatisfied rating."""
        return _pct(self.served - self.served_unsatisfied, self.served)


@dataclass(frozen=True)
class UnitOfficerRow:
    """A line of the Vietnamese layout: a unit (service) and one of its officers, or the unit's subtotal."""

    service: str
    officer: str | None
    counted: int
    levels: dict[str, int]
    subtotal: bool = False  # the unit's subtotal line

    def level_pct(self, level: str) -> Fraction | None:
        return _pct(self.levels[level], self.counted)


@dataclass(frozen=True)
class WeekRow:
    first: date
    last: date
    satisfaction: SatisfactionRow
    issued: int | None
    served: int
    wait_mean: Fraction | None


@dataclass(frozen=True)
class HeatCell:
    weekday: int
    hour: int
    count: int
    mean_wait: Fraction


@dataclass(frozen=True)
class Scope:
    """A report restricted to one service, counter or officer."""

    dim: Dim
    key: str


@dataclass(frozen=True)
class Report:
    period: Period
    scope: Scope | None
    breakdowns: tuple[Dim, ...]
    queue_total: QueueRow
    satisfaction_total: SatisfactionRow
    queue_rows: dict[Dim, list[QueueRow]]
    satisfaction_rows: dict[Dim, list[SatisfactionRow]]
    unit_officer: list[UnitOfficerRow]
    weekly: list[WeekRow]
    levels: tuple[str, ...]  # the rating scale's keys, in button order (and any other key found in the period)
    heatmap: list[HeatCell]
    unknown_officers: list[str]  # officer ids in the data that hall.toml does not name
    # The period before, of the same length (`Period.previous`), for the comparison: its hall (or scope) totals.
    previous_period: Period | None = None
    previous_satisfaction: SatisfactionRow | None = None
    previous_queue: QueueRow | None = None


def compute(
    facts: Facts,
    hall: HallConfig,
    period: Period,
    *,
    breakdowns: Sequence[Dim] = BREAKDOWNS,
    scope: Scope | None = None,
) -> Report:
    """The report's figures for `period`, optionally restricted to `scope`."""
    facts = facts.where(lambda f: f.day in period)
    if scope is not None:
        facts = facts.where(lambda f: f.key(scope.dim) == scope.key)
    total_dim: Dim = scope.dim if scope is not None else "hall"
    total_key = scope.key if scope is not None else HALL_KEY
    within: frozenset[str] | None = QUEUE_FIGURES[scope.dim] if scope is not None else None
    within_ratings = SATISFACTION_FIGURES[scope.dim] if scope is not None else None
    scale = hall.rating.keys
    levels = scale + tuple(sorted({r.level for r in facts.ratings} - set(scale)))  # a scale changed in the period

    def queue(dim: Dim, key: str, subset: Facts) -> QueueRow:
        figures = QUEUE_FIGURES[dim] if within is None else QUEUE_FIGURES[dim] & within
        return queue_row(subset, dim, key, figures, hall)

    def satisfaction(dim: Dim, key: str, subset: Facts) -> SatisfactionRow:
        figures = SATISFACTION_FIGURES[dim] if within_ratings is None else SATISFACTION_FIGURES[dim] & within_ratings
        return satisfaction_row(subset, dim, key, figures, levels)

    queue_rows: dict[Dim, list[QueueRow]] = {}
    satisfaction_rows: dict[Dim, list[SatisfactionRow]] = {}
    for dim in breakdowns:
        keys = _keys(facts, dim, hall, configured=scope is None)
        groups = _group(facts, dim)
        queue_rows[dim] = [queue(dim, key, groups.get(key, Facts())) for key in keys]
        satisfaction_rows[dim] = [satisfaction(dim, key, groups.get(key, Facts())) for key in keys]
    weekly = []
    for week in period.weeks():
        subset = facts.where(_within(week))
        row = queue(total_dim, total_key, subset)
        weekly.append(
            WeekRow(
                first=week.first,
                last=week.last,
                satisfaction=satisfaction(total_dim, total_key, subset),
                issued=row.issued,
                served=row.served,
                wait_mean=row.wait.mean,
            )
        )
    known_officers = {o.id for o in hall.officers}
    return Report(
        period=period,
        scope=scope,
        breakdowns=tuple(breakdowns),
        queue_total=queue(total_dim, total_key, facts),
        satisfaction_total=satisfaction(total_dim, total_key, facts),
        queue_rows=queue_rows,
        satisfaction_rows=satisfaction_rows,
        unit_officer=unit_officer_rows(facts.ratings, hall, levels, every_officer=scope is None),
        weekly=weekly,
        levels=levels,
        heatmap=heatmap(facts.waits),
        unknown_officers=sorted({f.officer for f in facts.everything() if f.officer} - known_officers),
    )


def queue_row(facts: Facts, dim: Dim, key: str, figures: frozenset[str], hall: HallConfig) -> QueueRow:
    status = defaultdict(int, _count(o.status for o in facts.outcomes))
    waits = [w.wait for w in facts.waits]
    within = sum(1 for w in facts.waits if w.within_target)
    sessions_ = facts.sessions
    signed_in = sum((s.signed_in for s in sessions_), Fraction(0))
    serving = sum((s.serving for s in sessions_), Fraction(0))
    busy = "busy" in figures
    return QueueRow(
        dim=dim,
        key=key,
        issued=len(facts.issues) if "issued" in figures else None,
        called=len(waits),
        served=status[SERVED],
        auto_closed=sum(1 for o in facts.outcomes if o.auto_closed),
        no_show=status[NO_SHOW],
        transferred_out=len(facts.transfers),
        transferred_in=len(facts.transfers_in) if "transferred_in" in figures else None,
        cancelled=status[CANCELLED] if "cancelled" in figures else None,
        expired=status[EXPIRED] if "expired" in figures else None,
        open=status[WAITING] + status[CALLED] if "open" in figures else None,
        wait=summarize(waits),
        within_target=within,
        within_target_pct=_pct(within, len(waits)),
        target_min=_target_min(hall, key) if "target" in figures else None,
        service_time=summarize([o.service_time for o in facts.outcomes if o.service_time is not None]),
        signed_in=signed_in if busy else None,
        paused=sum((s.paused for s in sessions_), Fraction(0)) if busy else None,
        serving=serving if busy else None,
        busy_pct=_pct(serving, signed_in) if busy else None,
    )


def satisfaction_row(
    facts: Facts, dim: Dim, key: str, figures: frozenset[str], levels: Sequence[str] = MEANINGS
) -> SatisfactionRow:
    counted = [r for r in facts.ratings if r.outcome == COUNTED]
    return SatisfactionRow(
        dim=dim,
        key=key,
        counted=len(counted),
        levels={level: sum(1 for r in counted if r.level == level) for level in levels},
        meanings={meaning: sum(1 for r in counted if r.meaning == meaning) for meaning in MEANINGS},
        served_unsatisfied=sum(
            1 for o in facts.outcomes if o.status == SERVED and o.rated == RatingMeaning.UNSATISFIED.value
        ),
        misuse=sum(1 for r in facts.ratings if r.outcome == MISUSE),
        unbound=sum(1 for r in facts.ratings if r.outcome == UNBOUND) if "unbound" in figures else None,
        served=sum(1 for o in facts.outcomes if o.status == SERVED),
    )


def unit_officer_rows(
    ratings: Iterable[RatingFact], hall: HallConfig, levels: Sequence[str] = MEANINGS, *, every_officer: bool = True
) -> list[UnitOfficerRow]:
    """Counted ratings per unit and officer, each unit followed by its subtotal line. Each officer is listed once,
    under their unit (`officer_units`), with every counted rating of theirs whatever the service; with
    `every_officer`, the officers of hall.toml who received none are listed too, with zeros."""
    by_officer: dict[str | None, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(levels, 0))
    )
    for rating in ratings:
        if rating.outcome == COUNTED and rating.service is not None:
            by_officer[rating.officer][rating.service][rating.level] += 1
    units = officer_units(hall, {o: dict(v) for o, v in by_officer.items() if o is not None})
    by_unit: dict[str, dict[str | None, dict[str, int]]] = defaultdict(dict)
    for officer, per_service in by_officer.items():
        if officer is None:  # bound to a ticket served with nobody signed in: each service keeps its own line
            for service, counts in per_service.items():
                by_unit[service][None] = counts
            continue
        total = dict.fromkeys(levels, 0)
        for counts in per_service.values():
            for level in levels:
                total[level] += counts[level]
        by_unit[units[officer]][officer] = total
    if every_officer:
        for listed in hall.officers:
            by_unit[units[listed.id]].setdefault(listed.id, dict.fromkeys(levels, 0))
    service_order = {s.id: i for i, s in enumerate(hall.services)}
    officer_order = {o.id: i for i, o in enumerate(hall.officers)}
    rows = []
    for service in sorted(by_unit, key=lambda s: (service_order.get(s, len(service_order)), s)):
        officers = by_unit[service]
        subtotal = dict.fromkeys(levels, 0)
        for officer in sorted(officers, key=lambda o: (officer_order.get(o or "", len(officer_order)), o or "")):
            counts = officers[officer]
            rows.append(UnitOfficerRow(service, officer, sum(counts.values()), dict(counts)))
            for level in levels:
                subtotal[level] += counts[level]
        rows.append(UnitOfficerRow(service, None, sum(subtotal.values()), subtotal, subtotal=True))
    return rows


def officer_units(hall: HallConfig, rated: dict[str, dict[str, dict[str, int]]]) -> dict[str, str]:
    """Each officer's unit (đơn vị) in the unit × officer table: `unit` in hall.toml if set; else the service of
    most of their counted ratings (ties: hall.toml's order); else the first service of the counter they are the
    default officer of; else the hall's first service."""
    order = {s.id: i for i, s in enumerate(hall.services)}
    default_counter = {c.officer: c for c in hall.counters if c.officer}
    units: dict[str, str] = {}
    for officer in [o.id for o in hall.officers] + sorted(set(rated) - {o.id for o in hall.officers}):
        configured = next((o.unit for o in hall.officers if o.id == officer and o.unit), None)
        per_service = rated.get(officer, {})
        if configured:
            units[officer] = configured
        elif per_service:
            units[officer] = min(
                per_service, key=lambda s: (-sum(per_service[s].values()), order.get(s, len(order)), s)
            )
        elif officer in default_counter:
            units[officer] = default_counter[officer].services[0]
        else:
            units[officer] = hall.services[0].id
    return units


def heatmap(waits: Iterable[WaitFact]) -> list[HeatCell]:
    """Mean wait per weekday and hour of issue."""
    cells: dict[tuple[int, int], list[Fraction]] = defaultdict(list)
    for wait in waits:
        cells[(wait.weekday, wait.hour)].append(wait.wait)
    return [
        HeatCell(weekday, hour, len(values), sum(values, Fraction(0)) / len(values))
        for (weekday, hour), values in sorted(cells.items())
    ]


def summarize(values: Iterable[Fraction]) -> Stats:
    ordered = sorted(values)
    if not ordered:
        return Stats(0, None, None, None)
    return Stats(
        count=len(ordered),
        mean=sum(ordered, Fraction(0)) / len(ordered),
        median=percentile(ordered, Fraction(1, 2)),
        p90=percentile(ordered, Fraction(9, 10)),
    )


def round_half_up(value: Fraction, digits: int = 1) -> Fraction:
    """Round for display the way people do (2.25 -> 2.3), exactly."""
    scale = 10**digits
    return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)


# --- names and keys ------------------------------------------------------------------------------------------


def resolve_scope(
    dim: Dim, text: str, hall: HallConfig, facts: Facts, procedures: dict[str, str] | None = None
) -> Scope:
    """A user's ``--by officer=...``: an id, a number or a name from hall.toml (or an id found in the data)."""
    wanted = _fold(text)
    candidates: dict[str, str] = {}  # folded spelling -> key
    if dim == "service":
        for service in hall.services:
            for spelling in (service.id, service.name, service.name_en):
                if spelling:
                    candidates[_fold(spelling)] = service.id
    elif dim == "counter":
        for counter in hall.counters:
            for spelling in (str(counter.number), counter.display_name, counter.name):
                if spelling:
                    candidates[_fold(spelling)] = str(counter.number)
    elif dim == "officer":
        for officer in hall.officers:
            candidates[_fold(officer.id)] = officer.id
            candidates[_fold(officer.name)] = officer.id
    elif dim == "procedure":
        for code, name in (procedures or {}).items():
            candidates[_fold(code)] = code
            candidates[_fold(name)] = code
    else:
        raise ReportError("the hall has no filter value: use --by hall")
    for key in {f.key(dim) for f in facts.everything()} - {None}:
        assert key is not None
        candidates.setdefault(_fold(key), key)
    if wanted in candidates:
        return Scope(dim, candidates[wanted])
    known = sorted(set(candidates.values()))
    guess = difflib.get_close_matches(wanted, list(candidates), n=1)
    hint = f" (did you mean {candidates[guess[0]]!r}?)" if guess else ""
    raise ReportError(f"unknown {dim} {text!r}{hint}; known: {', '.join(known)}")


def _fold(text: str) -> str:
    """Compare names without case or diacritics ("nguyen thi lan" finds "Nguyễn Thị Lan")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _keys(facts: Facts, dim: Dim, hall: HallConfig, *, configured: bool) -> list[str]:
    """The rows of a breakdown: everything hall.toml configures (when not restricted), then what the data has."""
    present = {key for f in facts.everything() if (key := f.key(dim)) is not None}
    if dim == "service":
        order = [s.id for s in hall.services]
    elif dim == "counter":
        order = [str(c.number) for c in hall.counters]
    elif dim == "officer":
        order = [o.id for o in hall.officers]
    elif dim == "procedure":
        order = []  # the catalogue has hundreds: only the procedures of the period's tickets, by code
    else:
        order = [HALL_KEY]
    keys = [k for k in order if configured or k in present]
    return keys + sorted(present - set(order), key=lambda k: (len(k), k))


def _group(facts: Facts, dim: Dim) -> dict[str, Facts]:
    keys = {key for f in facts.everything() if (key := f.key(dim)) is not None}
    return {key: facts.where(_keyed(dim, key)) for key in keys}


def _within(period: Period) -> Callable[[Fact], bool]:
    return lambda fact: fact.day in period


def _keyed(dim: Dim, key: str) -> Callable[[Fact], bool]:
    return lambda fact: fact.key(dim) == key


def _target_min(hall: HallConfig, service: str) -> int:
    try:
        return hall.service(service).target_wait_min
    except KeyError:
        raise ReportError(f"service {service!r} is not in hall.toml") from None


def _seconds(delta: timedelta) -> Fraction:
    return Fraction(delta.days * 86_400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _pct(part: int | Fraction, whole: int | Fraction) -> Fraction | None:
    return Fraction(part) * 100 / whole if whole else None


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts
