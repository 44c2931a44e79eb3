"""Province reports: each hall's figures from the province's PostgreSQL, by the hall report's own code.

`load_hall_records` reads one hall's events for a period and rebuilds the report's `Records` with
`coordinator.report.from_events` (the second loader); `coordinator.report.metrics` computes every figure exactly
as a hall's `motcua report` does. `province_reports` does it for every hall of the registry, and `province_totals`
adds the counts up for the province (rates are recomputed from the sums, never averaged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from coordinator.engine import AuditEvent
from coordinator.report.from_events import LoggedEvent, records_from_events
from coordinator.report.load import MARGIN, Records
from coordinator.report.metrics import BREAKDOWNS, Dim, Report, build_facts, compute
from coordinator.report.period import Period, day_start
from motcua.contract import EventKind, EventReason, RatingMeaning, RatingOutcome
from motcua.hall import HallConfig

#: What `motcua report --province` shows: the hall report's breakdowns, and by procedure (thủ tục), which the
#: province compares across halls.
PROVINCE_BREAKDOWNS: tuple[Dim, ...] = (*BREAKDOWNS, "procedure")
#: A period's last day is closed by the hall's next rollover; read this far past the period's end for it.
ROLLOVER_LOOKAHEAD = timedelta(days=7)


def load_hall_records(
    conn: psycopg.Connection[tuple[object, ...]], site: str, hall: HallConfig, period: Period
) -> Records:
    zone, starts_at = hall.hall.zone, hall.hall.day_starts_at
    start = day_start(period.first, zone, starts_at) - MARGIN
    end = day_start(period.last + timedelta(days=1), zone, starts_at) + ROLLOVER_LOOKAHEAD
    rows = conn.execute(
        """SELECT seq, kind, at, counter, ticket_id, service, officer, detail, reason, from_service, rating, outcome,
               meaning, procedure
           FROM events WHERE site = %s AND at >= %s AND at < %s ORDER BY seq""",
        (site, start, end),
    ).fetchall()
    return records_from_events(site, (_logged(row) for row in rows), hall, period)


def _logged(row: tuple[object, ...]) -> LoggedEvent:
    (seq, kind, at, counter, ticket_id, service, officer, detail, reason, from_service, rating, outcome, meaning,
     procedure) = row  # fmt: skip
    event = AuditEvent(
        at=at,  # type: ignore[arg-type]
        kind=EventKind(str(kind)),
        counter=counter,  # type: ignore[arg-type]
        ticket_id=ticket_id,  # type: ignore[arg-type]
        officer=officer,  # type: ignore[arg-type]
        service=service,  # type: ignore[arg-type]
        detail=detail,  # type: ignore[arg-type]
        reason=EventReason(str(reason)) if reason else None,
        from_service=from_service,  # type: ignore[arg-type]
        seq=seq,  # type: ignore[arg-type]
    )
    return LoggedEvent(
        event,
        rating=str(rating) if rating else None,
        meaning=RatingMeaning(str(meaning)) if meaning else None,
        outcome=RatingOutcome(str(outcome)) if outcome else None,
        procedure=str(procedure) if procedure else None,
    )


def hall_report(
    conn: psycopg.Connection[tuple[object, ...]],
    site: str,
    hall: HallConfig,
    period: Period,
    breakdowns: Sequence[Dim] = BREAKDOWNS,
) -> Report:
    """The hall's report as its own `motcua report` gives it (with the same `breakdowns`)."""
    records = load_hall_records(conn, site, hall, period)
    return compute(build_facts(records, hall, period), hall, period, breakdowns=breakdowns)


def province_reports(
    dsn: str, halls: dict[str, HallConfig], period: Period, breakdowns: Sequence[Dim] = BREAKDOWNS
) -> dict[str, Report]:
    """Every hall's report for `period`, by site."""
    with psycopg.connect(dsn) as conn:
        return {site: hall_report(conn, site, hall, period, breakdowns) for site, hall in sorted(halls.items())}


@dataclass(frozen=True)
class ProvinceTotals:
    """The province's counts: the sum of its halls' (docs/province.md)."""

    halls: int
    issued: int
    served: int
    no_show: int
    cancelled: int
    expired: int
    rated: int  # counted ratings
    satisfied: int
    neutral: int
    unsatisfied: int

    @property
    def satisfied_pct(self) -> float | None:
        return 100 * self.satisfied / self.rated if self.rated else None


def province_totals(reports: dict[str, Report]) -> ProvinceTotals:
    def total(get: object) -> int:
        assert callable(get)
        return sum(int(get(report) or 0) for report in reports.values())

    return ProvinceTotals(
        halls=len(reports),
        issued=total(lambda r: r.queue_total.issued),
        served=total(lambda r: r.queue_total.served),
        no_show=total(lambda r: r.queue_total.no_show),
        cancelled=total(lambda r: r.queue_total.cancelled),
        expired=total(lambda r: r.queue_total.expired),
        rated=total(lambda r: r.satisfaction_total.counted),
        # by what each vote counted as, not by level key: scales have 2 to 5 levels (five stars: 4 and 5 satisfied)
        satisfied=total(lambda r: r.satisfaction_total.meanings.get("satisfied", 0)),
        neutral=total(lambda r: r.satisfaction_total.meanings.get("neutral", 0)),
        unsatisfied=total(lambda r: r.satisfaction_total.meanings.get("unsatisfied", 0)),
    )
