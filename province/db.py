"""The province's database: events and the hall registry in PostgreSQL (psycopg 3). SQL lives here and in
`province.schema`.

A batch of events is written in one transaction: COPY straight into the partitioned ``events`` (the fastest way
in; the collector has already dropped the numbers it holds), or, if a row is there anyway, COPY into a temporary
staging table and ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (a row already there is left alone); the halls'
highest contiguous ``seq`` in the same transaction. The collector acknowledges the MQTT
messages only after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import psycopg

from province.config import HallEntry
from province.ledger import HallLedger, Ledger
from province.schema import ensure_partition, migrate

EVENT_COLUMNS = (
    "site",
    "seq",
    "kind",
    "at",
    "counter",
    "ticket_id",
    "service",
    "officer",
    "detail",
    "reason",
    "from_service",
    "rating",
    "outcome",
    "meaning",
    "procedure",
)
_COLUMNS = ", ".join(EVENT_COLUMNS)

EventRow = tuple[object, ...]  # in EVENT_COLUMNS order

#: COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]").search


def copy_line(row: EventRow) -> bytes:
    """One row in COPY's text format (``\\N`` for NULL, times in ISO 8601 with their offset, numbers as written),
    for `CopyRows`. One expression on purpose: this runs for every event (~3 µs; a loop of appends took 6)."""
    return (
        "\t".join(
            [
                "\\N"
                if value is None
                else copy_text(value)
                if type(value) is str
                else value.isoformat()
                if type(value) is datetime
                else str(value)
                for value in row
            ]
        )
        + "\n"
    ).encode()


def copy_text(value: str) -> str:
    """A text value in COPY's text format (its backslashes, tabs and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL(value) else value


@dataclass(frozen=True)
class CopyRows:
    """Events already formatted for COPY (`copy_line`, in EVENT_COLUMNS order) and the UTC months of their ``at``
    (each month's partition must exist before they go in)."""

    lines: list[bytes]
    months: set[date]

    def __len__(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class Rejected:
    """Input refused from one hall (kept for the technician; the log has a line too)."""

    site: str
    seq: int | None
    reason: str
    payload: str


class ProvinceDb:
    """One connection, used by one thread (the collector's writer)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: psycopg.Connection[tuple[object, ...]] = psycopg.connect(dsn)
        migrate(self.conn)
        self._partitions: set[date] = set()
        with self.conn.transaction():
            self.conn.execute(
                f"CREATE TEMP TABLE staging AS SELECT {_COLUMNS} FROM events WITH NO DATA"  # noqa: S608 - constant
            )

    def close(self) -> None:
        self.conn.close()

    def register(self, halls: Iterable[HallEntry]) -> None:
        """Add or update the registry's names and units (the sequence state is left alone)."""
        with self.conn.transaction():
            for hall in halls:
                self.conn.execute(
                    """INSERT INTO halls (site, name, unit) VALUES (%s, %s, %s)
                       ON CONFLICT (site) DO UPDATE SET name = excluded.name, unit = excluded.unit""",
                    (hall.site, hall.name, hall.unit),
                )

    def load_ledger(self) -> Ledger:
        """What the database holds, per hall: the contiguous seq and the numbers held above it."""
        ledger = Ledger()
        with self.conn.transaction():
            for site, contiguous in self.conn.execute("SELECT site, contiguous_seq FROM halls"):
                ledger.halls[str(site)] = HallLedger(contiguous=int(str(contiguous)))
            above = self.conn.execute(
                """SELECT e.site, e.seq FROM events e JOIN halls h ON h.site = e.site WHERE e.seq > h.contiguous_seq
                   UNION SELECT r.site, r.seq FROM rejected r JOIN halls h ON h.site = r.site
                   WHERE r.seq > h.contiguous_seq"""
            ).fetchall()
        by_site: dict[str, list[int]] = {}
        for site, seq in above:
            by_site.setdefault(str(site), []).append(int(str(seq)))
        for site, seqs in by_site.items():
            ledger.hall(site).add(sorted(seqs))
        return ledger

    def write(
        self,
        rows: Sequence[EventRow] | CopyRows,
        rejected: Sequence[Rejected],
        halls: dict[str, int],
        now: datetime,
        online: dict[str, bool] | None = None,
    ) -> None:
        """One transaction: the new events, the refused input, each hall's contiguous seq and last-seen time, and
        whether its bridge is connected (`online`, from its bridge status)."""
        with self.conn.transaction():
            for site, state in (online or {}).items():
                self.conn.execute(
                    """INSERT INTO halls (site, online, online_changed_at) VALUES (%s, %s, %s)
                       ON CONFLICT (site) DO UPDATE SET online = excluded.online,
                           online_changed_at = excluded.online_changed_at""",
                    (site, state, now),
                )
            given = rows.months if isinstance(rows, CopyRows) else {_month(row[3]) for row in rows}
            months = given - self._partitions
            for month in sorted(months):
                ensure_partition(self.conn, month)
            if rows:
                self._insert(rows)
            if rejected:
                with self.conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO rejected (site, seq, reason, payload) VALUES (%s, %s, %s, %s)",
                        [(r.site, r.seq, r.reason, r.payload) for r in rejected],
                    )
            if halls:  # one statement for every hall of the batch (a batch can touch thousands)
                sites = sorted(halls)
                self.conn.execute(
                    """INSERT INTO halls (site, contiguous_seq, first_seen, last_seen)
                       SELECT site, seq, %s, %s FROM unnest(%s::text[], %s::bigint[]) AS h(site, seq)
                       ON CONFLICT (site) DO UPDATE SET
                           contiguous_seq = GREATEST(halls.contiguous_seq, excluded.contiguous_seq),
                           first_seen = COALESCE(halls.first_seen, excluded.first_seen),
                           last_seen = excluded.last_seen""",
                    (now, now, sites, [halls[site] for site in sites]),
                )
        self._partitions |= months

    def _insert(self, rows: Sequence[EventRow] | CopyRows) -> None:
        """COPY straight into ``events`` (the collector's ledger already dropped the numbers it holds); if a row is
        there anyway (another collector, a ledger out of date), COPY into the staging table and insert with
        ``ON CONFLICT DO NOTHING`` instead. Inside the caller's transaction."""
        try:
            with (
                self.conn.transaction(),
                self.conn.cursor() as cursor,
                cursor.copy(f"COPY events ({_COLUMNS}) FROM STDIN") as copy,
            ):
                _copy(copy, rows)
            return
        except psycopg.errors.UniqueViolation:
            pass
        with self.conn.cursor() as cursor:
            with cursor.copy(f"COPY staging ({_COLUMNS}) FROM STDIN") as copy:
                _copy(copy, rows)
            cursor.execute(
                f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM staging "  # noqa: S608 - constant
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute("TRUNCATE staging")


def _copy(copy: psycopg.Copy, rows: Sequence[EventRow] | CopyRows) -> None:
    if isinstance(rows, CopyRows):
        copy.write(b"".join(rows.lines))
        return
    for row in rows:
        copy.write_row(row)


def month_of(value: datetime) -> date:
    """The UTC month (its first day) of a time: the partition it goes in."""
    return value.astimezone(UTC).date().replace(day=1)  # partitions are UTC months


def _month(value: object) -> date:
    assert isinstance(value, datetime)
    return value.astimezone(UTC).date().replace(day=1)  # partitions are UTC months
