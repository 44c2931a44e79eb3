"""Reading the coordinator's database for a report: SQL lives here and nowhere else in the report.

The file is opened read-only (`coordinator.store.open_readonly`): in WAL mode a reader sees the last committed
state and never blocks the running coordinator, nor is blocked by it. The report never migrates a database: one
written by an older version (a backup, or a coordinator not yet restarted on the new release) is read through a copy
migrated in memory (`coordinator.migrations.migrated_copy`); one written by a newer version, or whose tables are not
what its version says, is refused with a clear message. Rows become objects through the store's own mapping
(`coordinator.store.ticket_from_row`, `event_from_row`, `rating_from_row`, `booking_from_row`): the report reads
tickets, events, ratings and bookings exactly as the coordinator does. Everything else (attribution, business
days, figures) is done by `coordinator.report.metrics`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from coordinator.bookings import Booking
from coordinator.engine import AuditEvent, Ticket
from coordinator.migrations import migrated_copy
from coordinator.report import ReportError
from coordinator.report.period import Period, day_start
from coordinator.store import (
    StoredRating,
    booking_from_row,
    event_from_row,
    open_readonly,
    rating_from_row,
    ticket_from_row,
)
from motcua.contract import EventKind
from motcua.hall import HallConfig

#: Slack around the period when selecting rows by time text, so that a row written with another UTC offset (a
#: database from before times were normalised to UTC) is still read; the exact filter is done on parsed times.
MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Records:
    """What a report is computed from: the period's tickets, the hall's log around it, the ratings."""

    tickets: list[Ticket]
    events: list[AuditEvent]  # every event except ratings, from the period's start to the rollover after it
    ratings: list[StoredRating]  # pressed within the period (give or take `MARGIN`; metrics filters exactly)
    first_day: date | None  # the first and last business days the database holds tickets for
    last_day: date | None
    site: str | None  # meta 'site' if the coordinator records it
    bookings: list[Booking] = field(default_factory=list)  # imported for the period's business days


def load(path: Path | str, hall: HallConfig, period: Period) -> Records:
    """Read what `period` needs from the database at `path`."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"database not found: {path} (the coordinator's file, e.g. /var/lib/motcua/coordinator.db)")
    if not path.is_file():
        raise ReportError(f"{path} is not a database file")
    try:
        db = open_readonly(path)
    except sqlite3.Error as exc:
        raise ReportError(f"cannot open {path}: {exc}") from None
    current = db
    try:
        current = migrated_copy(db, path)
        return _load(current, path, hall, period)
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"{path} is not a readable coordinator database: {exc}") from None
    finally:
        if current is not db:
            current.close()
        db.close()


def _load(db: sqlite3.Connection, path: Path, hall: HallConfig, period: Period) -> Records:
    zone, starts_at = hall.hall.zone, hall.hall.day_starts_at
    start = day_start(period.first, zone, starts_at)
    end = day_start(period.last + timedelta(days=1), zone, starts_at)

    tickets = [
        ticket_from_row(row)
        for row in db.execute(
            "SELECT * FROM tickets WHERE business_day BETWEEN ? AND ? ORDER BY business_day, seq",
            (period.first.isoformat(), period.last.isoformat()),
        )
    ]
    # The day is closed by the rollover (day_started): it finishes forgotten tickets, expires the waiting ones and
    # signs officers out, possibly long after midnight if the coordinator was off. Read up to that moment: the
    # first day_started at or after the end of the period's last day (a rollover into a later business day).
    rollovers = [
        moment
        for (text,) in db.execute(
            "SELECT at FROM events WHERE kind = ? AND at >= ?", (EventKind.DAY_STARTED.value, _text(end - MARGIN))
        )
        if (moment := _dt(text)) >= end
    ]
    rollover = min(rollovers, default=None)
    query = "SELECT * FROM events WHERE kind != ? AND at >= ?"
    arguments: list[object] = [EventKind.RATING.value, _text(start - MARGIN)]
    if rollover is not None:
        query += " AND at <= ?"
        arguments.append(_text(rollover + MARGIN))
    events = [
        event
        for event in (event_from_row(row) for row in db.execute(query + " ORDER BY id", arguments))
        if event.at >= start and (rollover is None or event.at <= rollover)
    ]
    ratings = [
        rating_from_row(row)
        for row in db.execute(
            "SELECT * FROM ratings WHERE pressed_at >= ? AND pressed_at < ? ORDER BY pressed_at, id",
            (_text(start - MARGIN), _text(end + MARGIN)),
        )
    ]
    first_day, last_day = db.execute("SELECT MIN(business_day), MAX(business_day) FROM tickets").fetchone()
    site_row = db.execute("SELECT value FROM meta WHERE key = 'site'").fetchone()
    bookings = [
        booking_from_row(row)
        for row in db.execute(
            "SELECT * FROM bookings WHERE business_day BETWEEN ? AND ? ORDER BY slot_start, code",
            (period.first.isoformat(), period.last.isoformat()),
        )
    ]
    return Records(
        tickets=tickets,
        events=events,
        ratings=ratings,
        first_day=date.fromisoformat(first_day) if first_day else None,
        last_day=date.fromisoformat(last_day) if last_day else None,
        site=site_row[0] if site_row else None,
        bookings=bookings,
    )


def _text(moment: datetime) -> str:
    return moment.isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)
