"""The report's second loader: `Records` rebuilt from a hall's event log alone (what the province receives).

The province holds no tickets table, only each hall's `HallEvent`s; this rebuilds the tickets and ratings the
report needs from them, with the queue engine's own rules (a call sets the counter, the officer and the call time,
the first call the first-call time; a recall changes none of them; a transfer puts the ticket back in the queue
under its new service; served and no-show finish it; cancelled and expired end it). The figures are then computed
by the same `coordinator.report.metrics` as a hall's own report: one report code, two loaders. Pure: the caller
reads the events (`province.report` from PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from coordinator.engine import AuditEvent, Ticket, TicketStatus
from coordinator.report.load import MARGIN, Records
from coordinator.report.period import Period, day_start
from coordinator.store import StoredRating
from motcua.contract import EventKind, RatingMeaning, RatingOutcome
from motcua.hall import HallConfig


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a hall's log as the province keeps it."""

    event: AuditEvent  # with its seq
    rating: str | None = None  # the key of a level of the hall's scale
    outcome: RatingOutcome | None = None
    meaning: RatingMeaning | None = None  # what it counted as (None from a hall before scales: key = meaning)
    procedure: str | None = None  # issued: the ticket's procedure code (None from a hall before the field)


def ticket_day(ticket_id: str) -> date | None:
    """The business day of a ticket id (``20261123-A012``), None if it is not one."""
    try:
        return datetime.strptime(ticket_id.split("-", 1)[0], "%Y%m%d").date()
    except ValueError:
        return None


def records_from_events(site: str, logged: Iterable[LoggedEvent], hall: HallConfig, period: Period) -> Records:
    """What the report of `period` needs, from the hall's events (any order; read in `seq` order)."""
    zone, starts_at = hall.hall.zone, hall.hall.day_starts_at
    start = day_start(period.first, zone, starts_at)
    end = day_start(period.last + timedelta(days=1), zone, starts_at)
    ordered = sorted(logged, key=lambda item: item.event.seq or 0)
    rollover = min(
        (e.event.at for e in ordered if e.event.kind is EventKind.DAY_STARTED and e.event.at >= end), default=None
    )
    tickets: dict[str, Ticket] = {}
    events: list[AuditEvent] = []
    ratings: list[StoredRating] = []
    days: list[date] = []
    for item in ordered:
        event = item.event
        if event.kind is EventKind.RATING:
            if start - MARGIN <= event.at < end + MARGIN and item.rating and item.outcome:
                ratings.append(_rating(site, item))
            continue
        if event.kind is EventKind.ISSUED and event.ticket_id and (day := ticket_day(event.ticket_id)):
            days.append(day)
        if event.at < start or (rollover is not None and event.at > rollover):
            continue
        events.append(event)
        _apply(tickets, event, item.procedure)
    return Records(
        tickets=[t for t in tickets.values() if t.business_day in period],
        events=events,
        ratings=sorted(ratings, key=lambda r: (r.pressed_at, r.id)),
        first_day=min(days, default=None),
        last_day=max(days, default=None),
        site=site,
    )


def _apply(tickets: dict[str, Ticket], event: AuditEvent, procedure: str | None = None) -> None:
    """The queue engine's effect of `event` on its ticket."""
    if not event.ticket_id:
        return
    if event.kind is EventKind.ISSUED:
        day = ticket_day(event.ticket_id)
        if day is None or event.service is None:
            return
        tickets[event.ticket_id] = Ticket(
            id=event.ticket_id,
            business_day=day,
            issued_service=event.service,
            service=event.service,
            number=0,
            label=event.ticket_id.split("-", 1)[-1],
            issued_at=event.at,
            seq=event.seq or 0,
            procedure=procedure,
        )
        return
    ticket = tickets.get(event.ticket_id)
    if ticket is None:
        return  # issued before the period
    if event.kind is EventKind.CALLED:
        ticket.status = TicketStatus.CALLED
        ticket.counter, ticket.officer = event.counter, event.officer
        ticket.called_at = event.at
        ticket.first_called_at = ticket.first_called_at or event.at
    elif event.kind is EventKind.RECALLED:
        ticket.recalls += 1
    elif event.kind in (EventKind.SERVED, EventKind.NO_SHOW):
        ticket.status = TicketStatus.SERVED if event.kind is EventKind.SERVED else TicketStatus.NO_SHOW
        ticket.finished_at = event.at
    elif event.kind is EventKind.TRANSFERRED:
        ticket.status = TicketStatus.WAITING
        ticket.service = event.service or ticket.service
        ticket.counter = None
        ticket.called_at = None
        ticket.transfers += 1
    elif event.kind is EventKind.CANCELLED:
        ticket.status = TicketStatus.CANCELLED
    elif event.kind is EventKind.EXPIRED:
        ticket.status = TicketStatus.EXPIRED


def _rating(site: str, item: LoggedEvent) -> StoredRating:
    event = item.event
    assert item.rating is not None and item.outcome is not None and event.counter is not None
    return StoredRating(
        id=f"{site}-{event.seq}",
        counter=event.counter,
        level=item.rating,
        meaning=item.meaning or RatingMeaning(item.rating),
        pressed_at=event.at,
        received_at=event.at,
        outcome=item.outcome,
        ticket_id=event.ticket_id,
        officer=event.officer,
        service=event.service,
        device=None,
        reason=None,
    )
