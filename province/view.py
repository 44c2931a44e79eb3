"""What the province's console reads from PostgreSQL: every query of its pages is here, read-only and
parameterised (the console's route code spells no SQL).

The hall registry with each hall's bridge status and sequence state comes from ``halls``, ``events`` and
``rejected`` as the collector leaves them (province.db, province.ledger): ``contiguous_seq`` is the highest seq up
to which every event is held, and any number held above it (an event, or refused input, which also counts as held)
means the numbers between are missing. Today's figures are each hall's own report for the day, computed by the
report's code (`province.report.load_hall_records`, `coordinator.report.metrics`), never by a second formula.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg

from coordinator.report.metrics import Report, build_facts, compute
from coordinator.report.period import Period, business_day_of
from motcua.errors import MotcuaError
from motcua.hall import HallConfig
from province.report import load_hall_records

logger = logging.getLogger(__name__)

#: Every session of the console is read-only: a mistake in a page can never write to the province's data.
READ_ONLY = "-c default_transaction_read_only=on"

_HALLS_SQL = """
SELECT h.site, h.name, h.unit, h.online, h.online_changed_at, h.first_seen, h.last_seen, h.contiguous_seq,
       (SELECT max(e.at) FROM events e WHERE e.site = h.site) AS last_event_at,
       above.held, above.lowest, above.highest, above.since
FROM halls h
LEFT JOIN LATERAL (
    SELECT count(DISTINCT x.seq) AS held, min(x.seq) AS lowest, max(x.seq) AS highest, min(x.received_at) AS since
    FROM (
        SELECT e.seq, e.received_at FROM events e WHERE e.site = h.site AND e.seq > h.contiguous_seq
        UNION ALL
        SELECT r.seq, r.received_at FROM rejected r WHERE r.site = h.site AND r.seq > h.contiguous_seq
    ) AS x
) AS above ON true
ORDER BY h.site
"""


@dataclass(frozen=True)
class Gap:
    """Events a hall sent that the province does not hold yet: `first`..`last` is the first run missing."""

    first: int
    last: int
    missing: int  # every number missing up to `highest` (there may be more than one run)
    highest: int  # the highest seq held
    since: datetime  # when the first number above the gap arrived: the gap is at least this old


@dataclass(frozen=True)
class HallState:
    """One row of the registry, as the collector keeps it."""

    site: str
    name: str | None
    unit: str | None
    online: bool | None  # its bridge's status; None: never heard
    online_changed_at: datetime | None
    first_seen: datetime | None
    last_seen: datetime | None  # the last batch of events written
    last_event_at: datetime | None  # the time of its latest event held
    contiguous_seq: int
    gap: Gap | None


@contextmanager
def connect(dsn: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A read-only connection (autocommit: each query sees the latest committed batch)."""
    with psycopg.connect(dsn, options=READ_ONLY, autocommit=True) as conn:
        yield conn


def hall_states(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, HallState]:
    """Every hall the database knows, by site."""
    states: dict[str, HallState] = {}
    for row in conn.execute(_HALLS_SQL).fetchall():
        site, name, unit, online, changed, first_seen, last_seen, contiguous, last_event = row[:9]
        held, lowest, highest, since = row[9:]
        contiguous_seq = int(str(contiguous))
        gap = None
        if highest is not None and lowest is not None and isinstance(since, datetime):
            top = int(str(highest))
            gap = Gap(
                first=contiguous_seq + 1,
                last=int(str(lowest)) - 1,
                missing=top - contiguous_seq - int(str(held)),
                highest=top,
                since=since,
            )
        states[str(site)] = HallState(
            site=str(site),
            name=_text(name),
            unit=_text(unit),
            online=online if isinstance(online, bool) else None,
            online_changed_at=_time(changed),
            first_seen=_time(first_seen),
            last_seen=_time(last_seen),
            last_event_at=_time(last_event),
            contiguous_seq=contiguous_seq,
            gap=gap,
        )
    return states


def today_reports(
    conn: psycopg.Connection[tuple[object, ...]], halls: dict[str, HallConfig], now: datetime
) -> tuple[dict[str, Report], dict[str, str]]:
    """Each hall's report of its business day at `now` (its own zone and day start), by site; and the halls whose
    report cannot be made (a hall.toml of another site, ...), with the reason, by site."""
    reports, failed = {}, {}
    for site, hall in sorted(halls.items()):
        day = business_day_of(now, hall.hall.zone, hall.hall.day_starts_at)
        period = Period("day", day, day)
        try:
            # the report's own loader and metrics; only the hall's totals (no breakdown): what the page shows
            facts = build_facts(load_hall_records(conn, site, hall, period), hall, period)
            reports[site] = compute(facts, hall, period, breakdowns=())
        except (MotcuaError, ValueError, KeyError) as exc:  # a hall.toml of another site, an event it cannot read
            logger.warning("province view: no figures for %s: %s", site, exc)
            failed[site] = str(exc)
    return reports, failed


def _text(value: object) -> str | None:
    return str(value) if value is not None else None


def _time(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None
