"""The coordinator's durable store: one SQLite file in WAL mode.

Nothing is acknowledged before it is here: the service writes a batch of changes inside one transaction and
commits (fsync) before it publishes a single reply. After a crash, `load` rebuilds today's queue exactly.
Reports open the same file read-only (`open_readonly`), which WAL allows while the coordinator writes.

Times are stored as ISO-8601 text in UTC, readable with the ``sqlite3`` shell by a technician. The tables are
made and changed only by the numbered steps of `coordinator.migrations`, run when the store opens the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from coordinator.bookings import Booking, BookingImportError, BookingOutcome
from coordinator.engine import AuditEvent, CallEvent, Changes, Counter, DayState, Ticket, TicketStatus
from coordinator.migrations import SchemaError, migrate
from coordinator.ratings import Visit
from motcua.contract import (
    MAX_REQUEST_BYTES,
    CounterStatus,
    ErrorCode,
    EventKind,
    EventReason,
    PriorityCategory,
    RatingMeaning,
    RatingOutcome,
)
from motcua.errors import ConfigError


@dataclass(frozen=True)
class StoredRating:
    """A press on a satisfaction pad, as judged and kept (every press is kept, counted or not)."""

    id: str
    counter: int
    level: str  # the key of a level of the hall's scale (hall.toml [rating])
    meaning: RatingMeaning  # what that level counted as when the vote came in
    pressed_at: datetime
    received_at: datetime
    outcome: RatingOutcome
    ticket_id: str | None
    officer: str | None
    service: str | None
    device: str | None
    reason: str | None  # why the rules judged it so (English, for the log)
    reasons: tuple[str, ...] = ()  # what the citizen ticked after a low rating on a tablet (reason ids)


class Store:
    """Read/write access for the coordinator (one writer)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not just a crash
            self.db.execute("PRAGMA foreign_keys=ON")
            migrate(self.db, self.path)  # refuses a newer or damaged database; copies an older one aside first
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise SchemaError(f"cannot open {self.path} as the coordinator's database: {exc}") from None
        except BaseException:
            self.db.close()
            raise
        self._in_transaction = False
        self._saved_day: date | None = None  # the business day last written to meta

    def close(self) -> None:
        if self._in_transaction:
            self.rollback()
        self.db.close()

    # --- transactions -----------------------------------------------------------------------------------

    def begin(self) -> None:
        if not self._in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True

    def commit(self) -> None:
        if self._in_transaction:
            self.db.execute("COMMIT")
            self._in_transaction = False

    def rollback(self) -> None:
        if self._in_transaction:
            self.db.execute("ROLLBACK")
            self._in_transaction = False
            self._saved_day = None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One message's writes: undone alone if handling that message fails."""
        self.begin()
        self.db.execute("SAVEPOINT message")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO message")
            self._saved_day = None
            self.db.execute("RELEASE message")
            raise
        self.db.execute("RELEASE message")

    def claim(self, site: str) -> None:
        """Record which hall this database belongs to; refuse another hall's database (a wrong path in a config
        must not mix two halls' tickets)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'site'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta (key, value) VALUES ('site', ?)", (site,))
        elif row[0] != site:
            raise ConfigError(f"{self.path} is the database of hall {row[0]!r}, not {site!r}: check the config")

    # --- writing ----------------------------------------------------------------------------------------

    def save(self, changes: Changes, counters: dict[int, Counter], business_day: date | None) -> list[int]:
        """Write what the engine changed (inside the current transaction); returns the new events' numbers."""
        self.begin()
        if business_day is not None and business_day != self._saved_day:
            self._saved_day = business_day
            self.db.execute(
                """INSERT INTO meta (key, value) VALUES ('business_day', ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                (business_day.isoformat(),),
            )
        if changes.tickets:
            self._save_tickets(changes.tickets.values())
        if changes.counters:
            self._save_counters([counters[n] for n in sorted(changes.counters) if n in counters])
        if changes.cancelled_requests:
            self.db.executemany(
                """INSERT INTO cancelled_requests (request_id, business_day) VALUES (?, ?)
                   ON CONFLICT (request_id) DO UPDATE SET business_day = excluded.business_day""",
                [(request, day.isoformat()) for request, day in sorted(changes.cancelled_requests.items())],
            )
        if changes.bookings:
            self.db.executemany(
                "UPDATE bookings SET ticket_id = ?, outcome = ?, checked_in_at = ? WHERE code = ?",
                [(ticket, outcome.value, _iso(at), code) for code, (ticket, outcome, at) in changes.bookings.items()],
            )
        return [self.add_event(event) for event in changes.events]

    # --- bookings (coordinator.bookings) ------------------------------------------------------------------

    def import_bookings(
        self, bookings: list[Booking], business_day_of: Callable[[datetime], date], now: datetime
    ) -> int:
        """Add a day's bookings in one transaction; a code already imported refuses the whole file."""
        known = [
            b.code for b in bookings if self.db.execute("SELECT 1 FROM bookings WHERE code = ?", (b.code,)).fetchone()
        ]
        if known:
            raise BookingImportError([f"booking {code} was already imported" for code in known])
        self.begin()
        try:
            self.db.executemany(
                """INSERT INTO bookings (code, business_day, service, procedure, slot_start, slot_end, imported_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        b.code,
                        business_day_of(b.slot_start).isoformat(),
                        b.service,
                        b.procedure,
                        _iso(b.slot_start),
                        _iso(b.slot_end),
                        _iso(now),
                    )
                    for b in bookings
                ],
            )
        except BaseException:
            self.rollback()
            raise
        self.commit()
        return len(bookings)

    def booking(self, code: str) -> Booking | None:
        """The booking with that code; one whose ticket was cancelled (its kiosk could not print it) is free again."""
        row = self.db.execute(
            """SELECT bookings.*, tickets.status AS ticket_status FROM bookings
               LEFT JOIN tickets ON tickets.id = bookings.ticket_id WHERE code = ?""",
            (code,),
        ).fetchone()
        if row is None:
            return None
        booking = booking_from_row(row)
        if row["ticket_status"] == TicketStatus.CANCELLED.value:
            return replace(booking, ticket_id=None, outcome=None)
        return booking

    def _save_tickets(self, tickets: Iterable[Ticket]) -> None:
        self.db.executemany(
            """INSERT INTO tickets (id, business_day, issued_service, service, number, label, issued_at, seq, priority,
                   procedure, kiosk, request_id, status, counter, officer, first_called_at, called_at, recalls,
                   finished_at, transfers, rated, dossier_code, booking, booked_for)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET service = excluded.service, status = excluded.status,
                   counter = excluded.counter, officer = excluded.officer, first_called_at = excluded.first_called_at,
                   called_at = excluded.called_at, recalls = excluded.recalls, finished_at = excluded.finished_at,
                   transfers = excluded.transfers, rated = excluded.rated,
                   dossier_code = excluded.dossier_code""",
            [_ticket_row(t) for t in tickets],
        )

    def _save_counters(self, counters: list[Counter]) -> None:
        self.db.executemany(
            """INSERT INTO counters (number, status, officer, serving, last_finished, last_finished_at, priority_streak)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (number) DO UPDATE SET status = excluded.status, officer = excluded.officer,
                   serving = excluded.serving, last_finished = excluded.last_finished,
                   last_finished_at = excluded.last_finished_at, priority_streak = excluded.priority_streak""",
            [_counter_row(c) for c in counters],
        )

    def add_event(self, event: AuditEvent) -> int:
        cursor = self.db.execute(
            """INSERT INTO events (at, kind, counter, ticket_id, officer, service, detail, reason, from_service)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            _event_row(event),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_rating(
        self,
        *,
        rating_id: str,
        counter: int,
        level: str,
        meaning: RatingMeaning,
        pressed_at: datetime,
        received_at: datetime,
        outcome: RatingOutcome,
        ticket_id: str | None,
        officer: str | None,
        service: str | None,
        device: str | None,
        reason: str,
        reasons: Sequence[str] = (),
    ) -> None:
        self.begin()
        self.db.execute(
            """INSERT INTO ratings (id, counter, level, pressed_at, received_at, outcome, ticket_id, officer, service,
                   device, reason, reasons, meaning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                rating_id,
                counter,
                level,
                _iso(pressed_at),
                _iso(received_at),
                outcome.value,
                ticket_id,
                officer,
                service,
                device,
                reason,
                ",".join(reasons) or None,
                meaning.value,
            ),
        )
        if outcome is RatingOutcome.COUNTED and ticket_id is not None:
            self.db.execute("UPDATE tickets SET rated = 1 WHERE id = ?", (ticket_id,))

    def add_counter_command(
        self, *, request_id: str, counter: int, action: str, received_at: datetime, reply: bytes
    ) -> None:
        """Record a counter command with the reply it got: the same request id again gets this reply."""
        self.begin()
        self.db.execute(
            "INSERT INTO counter_commands (request_id, counter, action, received_at, reply) VALUES (?, ?, ?, ?, ?)",
            (request_id, counter, action, _iso(received_at), reply.decode("utf-8")),
        )

    def add_rejected_rating(
        self,
        *,
        rating_id: str | None,
        counter: str,
        received_at: datetime,
        reason: ErrorCode,
        detail: str,
        payload: bytes,
    ) -> None:
        """Keep a vote that could not be judged (never counted: reports read only `ratings`)."""
        self.begin()
        self.db.execute(
            """INSERT INTO rejected_ratings (id, counter, received_at, reason, detail, payload)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (rating_id, counter, _iso(received_at), reason.value, detail, payload[:MAX_REQUEST_BYTES]),
        )

    # --- reading ----------------------------------------------------------------------------------------

    def rejected_rating(self, rating_id: str) -> ErrorCode | None:
        """Why a vote with this id was rejected (None: it was not)."""
        row = self.db.execute(
            "SELECT reason FROM rejected_ratings WHERE id = ? ORDER BY seq LIMIT 1", (rating_id,)
        ).fetchone()
        return ErrorCode(row[0]) if row else None

    def counter_reply(self, request_id: str) -> bytes | None:
        """The reply a counter command with this request id already got (None: a new command)."""
        row = self.db.execute("SELECT reply FROM counter_commands WHERE request_id = ?", (request_id,)).fetchone()
        return row[0].encode("utf-8") if row else None

    def rating(self, rating_id: str) -> StoredRating | None:
        row = self.db.execute("SELECT * FROM ratings WHERE id = ?", (rating_id,)).fetchone()
        return rating_from_row(row) if row else None

    def visits(self, counter: int, around: datetime, window: timedelta) -> list[Visit]:
        """Tickets at `counter` that could be rated by a press at `around`."""
        rows = self.db.execute(
            """SELECT id, called_at, finished_at, status, rated FROM tickets
               WHERE counter = ? AND called_at IS NOT NULL AND called_at <= ?
                 AND (finished_at IS NULL OR finished_at >= ?)""",
            (counter, _iso(around), _iso(around - window)),
        ).fetchall()
        return [
            Visit(
                ticket_id=row["id"],
                called_at=_dt(row["called_at"]),
                finished_at=_dt(row["finished_at"]) if row["finished_at"] else None,
                rated=bool(row["rated"]),
            )
            for row in rows
            if row["status"] in (TicketStatus.SERVED.value, TicketStatus.CALLED.value)
        ]

    def _with_pause_reason(self, counter: Counter) -> Counter:
        """A paused counter's reason is the detail of its last `paused` event (not a column of its own)."""
        if counter.status is not CounterStatus.PAUSED:
            return counter
        row = self.db.execute(
            "SELECT detail FROM events WHERE counter = ? AND kind = ? ORDER BY id DESC LIMIT 1",
            (counter.number, EventKind.PAUSED.value),
        ).fetchone()
        return replace(counter, pause_reason=row["detail"] if row is not None and row["detail"] else None)

    def counted_meanings(self, counter: int, since: datetime, until: datetime) -> list[str]:
        """The meanings of the counted votes pressed at `counter` between `since` and `until` (both included)."""
        rows = self.db.execute(
            """SELECT meaning FROM ratings WHERE counter = ? AND outcome = 'counted'
               AND pressed_at >= ? AND pressed_at <= ?""",
            (counter, _iso(since), _iso(until)),
        ).fetchall()
        return [row[0] for row in rows]

    def set_alert(self, counter: int, active: bool) -> None:
        """Remember whether `counter`'s rating alert is active (meta ``rating_alert:N``), across restarts."""
        self.begin()
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"rating_alert:{counter}", "1" if active else "0"),
        )

    def active_alerts(self) -> set[int]:
        """Counters whose rating alert is active."""
        rows = self.db.execute("SELECT key FROM meta WHERE key LIKE 'rating_alert:%' AND value = '1'").fetchall()
        return {int(row[0].split(":", 1)[1]) for row in rows}

    def ticket_owner(self, ticket_id: str) -> tuple[str | None, str | None]:
        """(officer, service) of a ticket, for attributing a rating."""
        row = self.db.execute("SELECT officer, service FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return (row["officer"], row["service"]) if row else (None, None)

    def load(self) -> DayState:
        """The last business day the coordinator worked on: its tickets, and every counter."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'business_day'").fetchone()
        day = date.fromisoformat(row[0]) if row else None
        if day is None:
            return DayState(
                None, [], [_counter(r) for r in self.db.execute("SELECT * FROM counters")], {}, 0, set(), [], set()
            )
        key = day.isoformat()
        tickets = [
            ticket_from_row(r)
            for r in self.db.execute("SELECT * FROM tickets WHERE business_day = ? ORDER BY seq", (key,))
        ]
        counters = [self._with_pause_reason(_counter(r)) for r in self.db.execute("SELECT * FROM counters")]
        numbers = {
            r["issued_service"]: r["top"]
            for r in self.db.execute(
                "SELECT issued_service, MAX(number) AS top FROM tickets WHERE business_day = ? GROUP BY issued_service",
                (key,),
            )
        }
        cancelled = {
            r[0] for r in self.db.execute("SELECT request_id FROM cancelled_requests WHERE business_day = ?", (key,))
        }
        previous = self.db.execute("SELECT MAX(business_day) FROM tickets WHERE business_day < ?", (key,)).fetchone()[0]
        earlier: set[str] = set()
        if previous:
            earlier = {
                r[0]
                for r in self.db.execute(
                    """SELECT request_id FROM tickets WHERE business_day = ? AND request_id IS NOT NULL
                       UNION SELECT request_id FROM cancelled_requests WHERE business_day = ?""",
                    (previous, previous),
                )
            }
        return DayState(
            business_day=day,
            tickets=tickets,
            counters=counters,
            issued_numbers=numbers,
            max_seq=max((t.seq for t in tickets), default=0),
            cancelled_requests=cancelled,
            recent_calls=self.recent_calls(day, limit=50),
            earlier_requests=earlier,
        )

    def recent_calls(self, day: date, *, limit: int) -> list[CallEvent]:
        rows = self.db.execute(
            """SELECT e.at, e.counter, e.ticket_id, e.kind, e.detail FROM events e JOIN tickets t ON t.id = e.ticket_id
               WHERE e.kind IN (?, ?) AND t.business_day = ? ORDER BY e.id DESC LIMIT ?""",
            (EventKind.CALLED.value, EventKind.RECALLED.value, day.isoformat(), limit),
        ).fetchall()
        return [
            CallEvent(
                ticket_id=row["ticket_id"],
                counter=row["counter"],
                recall=int(row["detail"]) if row["kind"] == EventKind.RECALLED and row["detail"] else 0,
                at=_dt(row["at"]),
            )
            for row in reversed(rows)
        ]


def open_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection for reports: never blocks or disturbs the running coordinator."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout=5000")
    return db


def _iso(moment: datetime | None) -> str | None:
    # Always UTC: the queries compare these strings, so one offset for every row (a pad may send +07:00).
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _opt_dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _ticket_row(t: Ticket) -> tuple[object, ...]:
    return (
        t.id,
        t.business_day.isoformat(),
        t.issued_service,
        t.service,
        t.number,
        t.label,
        _iso(t.issued_at),
        t.seq,
        t.priority.value if t.priority else None,
        t.procedure,
        t.kiosk,
        t.request_id,
        t.status.value,
        t.counter,
        t.officer,
        _iso(t.first_called_at),
        _iso(t.called_at),
        t.recalls,
        _iso(t.finished_at),
        t.transfers,
        int(t.rated),
        t.dossier_code,
        t.booking,
        _iso(t.booked_for),
    )


# Rows become objects here and only here: the coordinator and the report's loader both read through these.


def booking_from_row(row: sqlite3.Row) -> Booking:
    return Booking(
        code=row["code"],
        service=row["service"],
        procedure=row["procedure"],
        slot_start=_dt(row["slot_start"]),
        slot_end=_dt(row["slot_end"]),
        ticket_id=row["ticket_id"],
        outcome=BookingOutcome(row["outcome"]) if row["outcome"] else None,
    )


def ticket_from_row(row: sqlite3.Row) -> Ticket:
    return Ticket(
        id=row["id"],
        business_day=date.fromisoformat(row["business_day"]),
        issued_service=row["issued_service"],
        service=row["service"],
        number=row["number"],
        label=row["label"],
        issued_at=_dt(row["issued_at"]),
        seq=row["seq"],
        priority=PriorityCategory(row["priority"]) if row["priority"] else None,
        procedure=row["procedure"],
        kiosk=row["kiosk"],
        request_id=row["request_id"],
        status=TicketStatus(row["status"]),
        counter=row["counter"],
        officer=row["officer"],
        first_called_at=_opt_dt(row["first_called_at"]),
        called_at=_opt_dt(row["called_at"]),
        recalls=row["recalls"],
        finished_at=_opt_dt(row["finished_at"]),
        transfers=row["transfers"],
        rated=bool(row["rated"]),
        dossier_code=row["dossier_code"],
        booking=row["booking"],
        booked_for=_opt_dt(row["booked_for"]),
    )


def _counter_row(c: Counter) -> tuple[object, ...]:
    return (
        c.number,
        c.status.value,
        c.officer,
        c.serving,
        c.last_finished,
        _iso(c.last_finished_at),
        c.priority_streak,
    )


def _counter(row: sqlite3.Row) -> Counter:
    return Counter(
        number=row["number"],
        services=(),
        status=CounterStatus(row["status"]),
        officer=row["officer"],
        serving=row["serving"],
        last_finished=row["last_finished"],
        last_finished_at=_opt_dt(row["last_finished_at"]),
        priority_streak=row["priority_streak"],
    )


def _event_row(e: AuditEvent) -> tuple[object, ...]:
    return (
        _iso(e.at),
        e.kind.value,
        e.counter,
        e.ticket_id,
        e.officer,
        e.service,
        e.detail,
        e.reason.value if e.reason else None,
        e.from_service,
    )


def event_from_row(row: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        at=_dt(row["at"]),
        kind=EventKind(row["kind"]),
        counter=row["counter"],
        ticket_id=row["ticket_id"],
        officer=row["officer"],
        service=row["service"],
        detail=row["detail"],
        reason=EventReason(row["reason"]) if row["reason"] else None,
        from_service=row["from_service"],
        seq=row["id"],
    )


def rating_from_row(row: sqlite3.Row) -> StoredRating:
    return StoredRating(
        id=row["id"],
        counter=row["counter"],
        level=row["level"],
        meaning=RatingMeaning(row["meaning"]),
        pressed_at=_dt(row["pressed_at"]),
        received_at=_dt(row["received_at"]),
        outcome=RatingOutcome(row["outcome"]),
        ticket_id=row["ticket_id"],
        officer=row["officer"],
        service=row["service"],
        device=row["device"],
        reason=row["reason"],
        reasons=tuple(row["reasons"].split(",")) if row["reasons"] else (),
    )
