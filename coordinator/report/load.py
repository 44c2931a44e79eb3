"""Reading the coordinator's database for a report: SQL lives here and nowhere else in the report.

The file is opened read-only (`coordinator.store.open_readonly`): in WAL mode a reader sees the last committed
state and never blocks the running coordinator, nor is blocked by it. The report never migrates a database: one
written by an older version (a backup, or a coordinator not yet restarted on the new release) is read through a copy
migrated in memory (`coordinator.migrations.migrated_copy`); one written by a newer version, or whose tables are not
what its version says, is refused with a clear message. Rows become plain records with aware
datetimes; everything else (attribution, business days, figures) is done by `coordinator.report.metrics`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from coordinator.migrations import migrated_copy
from coordinator.report import ReportError
from coordinator.report.period import Period, day_start
from coordinator.store import open_readonly
from motcua.hall import HallConfig

#: Slack around the period when selecting rows by time text, so that a row written with another UTC offset (a
#: database from before times were normalised to UTC) is still read; the exact filter is done on parsed times.
MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class TicketRecord:
    id: str
    business_day: date
    issued_service: str
    service: str
    label: str
    issued_at: datetime
    priority: str | None
    status: str
    counter: int | None
    officer: str | None
    first_called_at: datetime | None
    called_at: datetime | None
    finished_at: datetime | None
    transfers: int


@dataclass(frozen=True)
class EventRecord:
    id: int
    at: datetime
    kind: str
    counter: int | None
    ticket_id: str | None
    officer: str | None
    service: str | None
    detail: str | None


@dataclass(frozen=True)
class RatingRecord:
    id: str
    counter: int
    level: str
    pressed_at: datetime
    outcome: str
    ticket_id: str | None
    officer: str | None
    service: str | None


@dataclass(frozen=True)
class Records:
    """What a report is computed from: the period's tickets, the hall's log around it, the ratings."""

    tickets: list[TicketRecord]
    events: list[EventRecord]  # every event except ratings, from the period's start to the rollover after it
    ratings: list[RatingRecord]  # pressed within the period (give or take `MARGIN`; metrics filters exactly)
    first_day: date | None  # the first and last business days the database holds tickets for
    last_day: date | None
    site: str | None  # meta 'site' if the coordinator records it


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
        _ticket(row)
        for row in db.execute(
            "SELECT * FROM tickets WHERE business_day BETWEEN ? AND ? ORDER BY business_day, seq",
            (period.first.isoformat(), period.last.isoformat()),
        )
    ]
    # The day is closed by the rollover (day_started): it finishes forgotten tickets, expires the waiting ones and
    # signs officers out, possibly long after midnight if the coordinator was off. Read up to that moment.
    rollover_row = db.execute(
        "SELECT MIN(at) FROM events WHERE kind = 'day_started' AND detail > ? AND at >= ?",
        (period.last.isoformat(), _text(end - MARGIN)),
    ).fetchone()
    rollover = datetime.fromisoformat(rollover_row[0]) if rollover_row and rollover_row[0] else None
    query = "SELECT * FROM events WHERE kind != 'rating' AND at >= ?"
    arguments: list[object] = [_text(start - MARGIN)]
    if rollover is not None:
        query += " AND at <= ?"
        arguments.append(_text(rollover + MARGIN))
    events = [
        event
        for event in (_event(row) for row in db.execute(query + " ORDER BY id", arguments))
        if event.at >= start and (rollover is None or event.at <= rollover)
    ]
    ratings = [
        _rating(row)
        for row in db.execute(
            "SELECT * FROM ratings WHERE pressed_at >= ? AND pressed_at < ? ORDER BY pressed_at, id",
            (_text(start - MARGIN), _text(end + MARGIN)),
        )
    ]
    first_day, last_day = db.execute("SELECT MIN(business_day), MAX(business_day) FROM tickets").fetchone()
    site_row = db.execute("SELECT value FROM meta WHERE key = 'site'").fetchone()
    return Records(
        tickets=tickets,
        events=events,
        ratings=ratings,
        first_day=date.fromisoformat(first_day) if first_day else None,
        last_day=date.fromisoformat(last_day) if last_day else None,
        site=site_row[0] if site_row else None,
    )


def _text(moment: datetime) -> str:
    return moment.isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _ticket(row: sqlite3.Row) -> TicketRecord:
    return TicketRecord(
        id=row["id"],
        business_day=date.fromisoformat(row["business_day"]),
        issued_service=row["issued_service"],
        service=row["service"],
        label=row["label"],
        issued_at=_dt(row["issued_at"]),
        priority=row["priority"],
        status=row["status"],
        counter=row["counter"],
        officer=row["officer"],
        first_called_at=_opt_dt(row["first_called_at"]),
        called_at=_opt_dt(row["called_at"]),
        finished_at=_opt_dt(row["finished_at"]),
        transfers=row["transfers"],
    )


def _event(row: sqlite3.Row) -> EventRecord:
    return EventRecord(
        id=row["id"],
        at=_dt(row["at"]),
        kind=row["kind"],
        counter=row["counter"],
        ticket_id=row["ticket_id"],
        officer=row["officer"],
        service=row["service"],
        detail=row["detail"],
    )


def _rating(row: sqlite3.Row) -> RatingRecord:
    return RatingRecord(
        id=row["id"],
        counter=row["counter"],
        level=row["level"],
        pressed_at=_dt(row["pressed_at"]),
        outcome=row["outcome"],
        ticket_id=row["ticket_id"],
        officer=row["officer"],
        service=row["service"],
    )
