"""The province's PostgreSQL tables, made and changed only by the numbered steps below.

``schema_version`` holds the number of the last step run. Each step runs in its own transaction, under an
advisory lock, so two collectors starting at once do not both apply it. A database newer than this code is
refused, never changed. To change the schema: append a step (never edit a released one) and test it on a
database at the previous version.

``events`` is partitioned by month of ``at`` (UTC): a month's report reads one or two partitions, and old months
can be detached and archived whole. PostgreSQL requires the partition key in every unique index, so the key is
(site, seq, at): a resent event is the same bytes, same ``at``, and meets itself in the same partition. The
collector also drops numbers it already holds before writing (`province.ledger`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import psycopg

from motcua.errors import MotcuaError

logger = logging.getLogger(__name__)

#: Arbitrary 64-bit number: the advisory lock taken while migrating.
MIGRATION_LOCK = 0x6D6F74637561


class SchemaError(MotcuaError, RuntimeError):
    """The database's schema cannot be used by this version."""


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    sql: str


STEPS = (
    Step(
        1,
        "halls registry, events partitioned by month, rejected input",
        """
CREATE TABLE halls (
    site           text PRIMARY KEY,
    name           text,
    unit           text,
    contiguous_seq bigint NOT NULL DEFAULT 0,
    first_seen     timestamptz,
    last_seen      timestamptz
);
CREATE TABLE events (
    site         text NOT NULL,
    seq          bigint NOT NULL,
    kind         text NOT NULL,
    at           timestamptz NOT NULL,
    counter      integer,
    ticket_id    text,
    service      text,
    officer      text,
    detail       text,
    reason       text,
    from_service text,
    rating       text,
    outcome      text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, seq, at)
) PARTITION BY RANGE (at);
CREATE INDEX events_site_at ON events (site, at);
CREATE TABLE rejected (
    id          bigserial PRIMARY KEY,
    site        text NOT NULL,
    seq         bigint,
    received_at timestamptz NOT NULL DEFAULT now(),
    reason      text NOT NULL,
    payload     text
);
CREATE INDEX rejected_site_seq ON rejected (site, seq);
""",
    ),
    Step(
        2,
        "halls online or offline (their bridge's status) for the province's live view",
        """
ALTER TABLE halls ADD COLUMN online boolean;
ALTER TABLE halls ADD COLUMN online_changed_at timestamptz;
""",
    ),
    Step(
        3,
        "what a rating counted as (satisfied / neutral / unsatisfied): halls have scales of 2 to 5 levels",
        """
ALTER TABLE events ADD COLUMN meaning text;
""",
    ),
    Step(
        4,
        "the procedure (thủ tục) an issued ticket was for, for the per-procedure report",
        """
ALTER TABLE events ADD COLUMN procedure text;
""",
    ),
)
LATEST = STEPS[-1].version


def migrate(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """Bring the schema up to `LATEST`; returns the version found before."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version VALUES (0)")
        found = int(str(row[0])) if row else 0
        if found > LATEST:
            raise SchemaError(f"the province database is at schema version {found}, newer than this code ({LATEST})")
        for step in STEPS:
            if step.version > found:
                logger.info("province schema: step %d, %s", step.version, step.description)
                conn.execute(step.sql.encode())
                conn.execute("UPDATE schema_version SET version = %s", (step.version,))
    return found


def partition_name(month: date) -> str:
    return f"events_{month.year:04d}_{month.month:02d}"


def month_bounds(month: date) -> tuple[str, str]:
    start = month.replace(day=1)
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return f"{start.isoformat()} 00:00:00+00", f"{end.isoformat()} 00:00:00+00"


def ensure_partition(conn: psycopg.Connection[tuple[object, ...]], month: date) -> None:
    """The month's partition of ``events`` (idempotent; run inside the writing transaction)."""
    start, end = month_bounds(month)
    # The name and the bounds come from a date: nothing from outside reaches this SQL.
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF events "
        f"FOR VALUES FROM ('{start}') TO ('{end}')".encode()
    )
