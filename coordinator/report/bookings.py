"""Bookings in the reports: how many were kept, late or missed, and how long booked and walk-in citizens waited.

Kept apart from the report's other figures (`figures` is pure; `load_figures` reads the database through the
store's row mappers). A booked citizen's wait counts from their slot (or from their arrival, if later): a citizen
who came 40 minutes early did not wait 40 minutes for the hall. A walk-in's wait counts from the ticket's issue.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from coordinator.bookings import Booking, BookingOutcome
from coordinator.engine import Ticket
from coordinator.store import booking_from_row, ticket_from_row
from motcua.stats import percentile


@dataclass(frozen=True)
class BookingFigures:
    kept: int  # checked in within the window: a booked ticket
    late: int  # checked in after the grace period: a walk-in ticket
    missed: int  # never checked in
    booked_wait_p50_min: float | None  # None: no booked ticket was called
    booked_wait_p90_min: float | None
    walk_in_wait_p50_min: float | None
    walk_in_wait_p90_min: float | None


def figures(bookings: Iterable[Booking], tickets: Iterable[Ticket]) -> BookingFigures:
    outcomes = [b.outcome for b in bookings]
    booked: list[float] = []
    walk_in: list[float] = []
    for ticket in tickets:
        if ticket.first_called_at is None:
            continue
        if ticket.booked_for is not None:
            start = max(ticket.booked_for, ticket.issued_at)
            booked.append(max(0.0, (ticket.first_called_at - start).total_seconds() / 60))
        else:
            walk_in.append((ticket.first_called_at - ticket.issued_at).total_seconds() / 60)
    return BookingFigures(
        kept=outcomes.count(BookingOutcome.KEPT),
        late=outcomes.count(BookingOutcome.LATE),
        missed=outcomes.count(None),
        booked_wait_p50_min=_quantile(booked, 0.5),
        booked_wait_p90_min=_quantile(booked, 0.9),
        walk_in_wait_p50_min=_quantile(walk_in, 0.5),
        walk_in_wait_p90_min=_quantile(walk_in, 0.9),
    )


def load_figures(db: sqlite3.Connection, first: date, last: date) -> BookingFigures:
    """The figures of the business days `first`..`last` (a database at the latest schema version)."""
    db.row_factory = sqlite3.Row
    span = (first.isoformat(), last.isoformat())
    bookings = [
        booking_from_row(r) for r in db.execute("SELECT * FROM bookings WHERE business_day BETWEEN ? AND ?", span)
    ]
    tickets = [ticket_from_row(r) for r in db.execute("SELECT * FROM tickets WHERE business_day BETWEEN ? AND ?", span)]
    return figures(bookings, tickets)


def _quantile(values: list[float], q: float) -> float | None:
    return round(percentile(values, q), 1) if values else None
