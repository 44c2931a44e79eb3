"""What the console reads from the coordinator's database, read-only (it never writes there).

The waiting line of a counter is read here rather than published by the coordinator: the tickets are already in
the database (committed before any state is announced), and the order `next` will call them comes from the
engine's own rule (`coordinator.engine.call_order`), so the console cannot drift from the coordinator.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from coordinator.engine import Ticket, call_order
from coordinator.store import open_readonly, ticket_from_row
from motcua.contract import RatingLevel
from motcua.hall import HallConfig

logger = logging.getLogger(__name__)


def _iso(moment: datetime) -> str:
    """As the coordinator's store writes times (UTC, ``+00:00``): the query compares these strings."""
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class DayCounts:
    issued: int
    served: int
    waiting: int
    no_show: int


class Figures:
    def __init__(self, path: Path, hall: HallConfig) -> None:
        self.path = path
        self.hall = hall

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection | None]:
        try:
            db = open_readonly(self.path)
        except (FileNotFoundError, sqlite3.Error) as exc:
            logger.warning("coordinator database %s not readable: %s", self.path, exc)
            yield None
            return
        try:
            yield db
        finally:
            db.close()

    def waiting_line(self, counter: int, day: date, now: datetime) -> list[Ticket]:
        """The tickets waiting for this counter's services, in the order `next` at this counter calls them."""
        services = tuple(self.hall.counter(counter).services)
        with self._db() as db:
            if db is None:
                return []
            marks = ",".join("?" * len(services))
            rows = db.execute(
                f"SELECT * FROM tickets WHERE business_day = ? AND status = 'waiting' AND service IN ({marks})",  # noqa: S608 - placeholders only
                (day.isoformat(), *services),
            ).fetchall()
            streak_row = db.execute("SELECT priority_streak FROM counters WHERE number = ?", (counter,)).fetchone()
        streak = int(streak_row[0]) if streak_row else 0
        return call_order([ticket_from_row(r) for r in rows], services, streak, now, self.hall.queue)

    def ticket(self, ticket_id: str) -> Ticket | None:
        with self._db() as db:
            if db is None:
                return None
            row = db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return ticket_from_row(row) if row else None

    def day_counts(self, day: date) -> DayCounts:
        with self._db() as db:
            if db is None:
                return DayCounts(0, 0, 0, 0)
            rows = dict(
                db.execute(
                    "SELECT status, COUNT(*) FROM tickets WHERE business_day = ? GROUP BY status", (day.isoformat(),)
                ).fetchall()
            )
        issued = sum(n for status, n in rows.items() if status != "cancelled")
        return DayCounts(issued, rows.get("served", 0), rows.get("waiting", 0), rows.get("no_show", 0))

    def longest_waits(self, day: date, now: datetime) -> dict[str, int]:
        """Per service, how long (minutes) the ticket waiting longest has waited."""
        with self._db() as db:
            if db is None:
                return {}
            rows = db.execute(
                "SELECT service, MIN(issued_at) FROM tickets WHERE business_day = ? AND status = 'waiting' "
                "GROUP BY service",
                (day.isoformat(),),
            ).fetchall()
        return {
            service: max(0, int((now - datetime.fromisoformat(first)).total_seconds() // 60)) for service, first in rows
        }

    def ratings(self, since: datetime) -> list[RatingLevel]:
        """The counted ratings pressed since then (today's satisfaction, the unsatisfied-share alert)."""
        with self._db() as db:
            if db is None:
                return []
            rows = db.execute(
                "SELECT level FROM ratings WHERE outcome = 'counted' AND pressed_at >= ?", (_iso(since),)
            ).fetchall()
        return [RatingLevel(level) for (level,) in rows]
