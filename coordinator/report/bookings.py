"""Bookings in the reports: how many were kept, late or missed, and how long booked and walk-in citizens waited.

Kept apart from the report's other figures, and shown only when the period has bookings: a hall that never
imported any gets the report it always had, byte for byte. `figures` is pure; the bookings are read by
`coordinator.report.load` (``Records.bookings``). A booked citizen's wait counts from their slot (or from their
arrival, if later): a citizen who came 40 minutes early did not wait 40 minutes for the hall. A walk-in's wait
counts from the ticket's issue to its first call, as every wait of the report. A booking checked in after its
grace period gave a walk-in ticket: its citizen's wait is a walk-in's.

`bookings_table` is the CSV file ``…_bookings.csv`` (and the XLSX sheet); `html_tables` cuts it in two for the
page: the outcomes ("Lịch hẹn: đúng giờ / trễ / không đến") and the waits. docs/reports.md, "Bookings".
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from coordinator.bookings import Booking, BookingOutcome
from coordinator.engine import Ticket
from coordinator.report.labels import Lang, Names, plain
from coordinator.report.metrics import HALL_KEY, Stats, summarize
from coordinator.report.tables import Cell, Column, Row, Table
from coordinator.store import booking_from_row, ticket_from_row


@dataclass(frozen=True)
class BookingFigures:
    """The bookings of one group (the hall, or one service) and the waits of its citizens."""

    bookings: int  # imported for the period's business days
    kept: int  # checked in within the window: a booked ticket
    late: int  # checked in after the grace period: a walk-in ticket
    missed: int  # never checked in, on a business day that is over
    pending: int  # not checked in yet, on a business day not over (a period that includes today)
    booked_wait: Stats  # seconds, booked tickets called: from the slot (or the arrival, if later) to the first call
    walk_in_wait: Stats  # seconds, the other tickets called: from the issue to the first call

    @property
    def kept_pct(self) -> Fraction | None:
        """Kept ÷ bookings whose day is over or that were checked in (pending ones are not judged yet)."""
        judged = self.bookings - self.pending
        return Fraction(self.kept * 100, judged) if judged else None

    @property
    def booked_wait_p50_min(self) -> float | None:
        return _minutes_float(self.booked_wait.median)

    @property
    def booked_wait_p90_min(self) -> float | None:
        return _minutes_float(self.booked_wait.p90)

    @property
    def walk_in_wait_p50_min(self) -> float | None:
        return _minutes_float(self.walk_in_wait.median)

    @property
    def walk_in_wait_p90_min(self) -> float | None:
        return _minutes_float(self.walk_in_wait.p90)


@dataclass(frozen=True)
class BookingReport:
    total: BookingFigures
    by_service: dict[str, BookingFigures]  # the services that had bookings, in hall.toml's order


def figures(
    bookings: Iterable[Booking],
    tickets: Iterable[Ticket],
    *,
    today: date | None = None,
    day_of: Callable[[datetime], date] | None = None,
) -> BookingFigures:
    """The figures of these bookings and tickets. With `today` and `day_of` (a moment's business day), a booking
    of today or later not checked in is *pending*, not missed: it may still be checked in (late) today."""
    kept = late = missed = pending = 0
    count = 0
    for booking in bookings:
        count += 1
        if booking.outcome is BookingOutcome.KEPT:
            kept += 1
        elif booking.outcome is BookingOutcome.LATE:
            late += 1
        elif today is not None and day_of is not None and day_of(booking.slot_start) >= today:
            pending += 1
        else:
            missed += 1
    booked: list[Fraction] = []
    walk_in: list[Fraction] = []
    for ticket in tickets:
        if ticket.first_called_at is None:
            continue
        if ticket.booked_for is not None:
            start = max(ticket.booked_for, ticket.issued_at)
            booked.append(max(Fraction(0), _seconds(ticket.first_called_at - start)))
        else:
            walk_in.append(_seconds(ticket.first_called_at - ticket.issued_at))
    return BookingFigures(count, kept, late, missed, pending, summarize(booked), summarize(walk_in))


def booking_report(
    bookings: list[Booking],
    tickets: list[Ticket],
    services: Iterable[str],
    *,
    today: date | None = None,
    day_of: Callable[[datetime], date] | None = None,
) -> BookingReport | None:
    """The hall's figures and each booked service's (tickets by the service they were issued for); None when the
    period has no bookings (the report then has no bookings section)."""
    if not bookings:
        return None
    total = figures(bookings, tickets, today=today, day_of=day_of)
    by_service = {
        service: figures(
            [b for b in bookings if b.service == service],
            [t for t in tickets if t.issued_service == service],
            today=today,
            day_of=day_of,
        )
        for service in services
        if any(b.service == service for b in bookings)
    }
    return BookingReport(total, by_service)


def load_figures(db: sqlite3.Connection, first: date, last: date) -> BookingFigures:
    """The figures of the business days `first`..`last` from an open database at the latest schema version (a
    shortcut for tests and scripts; `motcua report` reads through `coordinator.report.load`)."""
    db.row_factory = sqlite3.Row
    span = (first.isoformat(), last.isoformat())
    bookings = [
        booking_from_row(r) for r in db.execute("SELECT * FROM bookings WHERE business_day BETWEEN ? AND ?", span)
    ]
    tickets = [ticket_from_row(r) for r in db.execute("SELECT * FROM tickets WHERE business_day BETWEEN ? AND ?", span)]
    return figures(bookings, tickets)


# --- the table --------------------------------------------------------------------------------------------------

#: Column key -> (Vietnamese, English) header; HTML group and short headers below.
HEADERS: dict[str, tuple[str, str]] = {
    "group": ("Nhóm", "Group"),
    "id": ("Mã", "Id"),
    "name": ("Tên", "Name"),
    "bookings": ("Lịch hẹn đã nhận", "Bookings imported"),
    "kept": ("Đúng giờ", "Kept"),
    "late": ("Trễ (lấy số thường)", "Late (walk-in ticket)"),
    "missed": ("Không đến", "Missed"),
    "pending": ("Chưa đến (trong ngày)", "Not yet (today)"),
    "kept_pct": ("Tỷ lệ đúng giờ (%)", "Kept (%)"),
    "booked_called": ("Có hẹn: số lượt được gọi", "Booked: called"),
    "booked_wait_mean": ("Có hẹn: chờ trung bình (phút)", "Booked: mean wait (min)"),
    "booked_wait_median": ("Có hẹn: chờ trung vị (phút)", "Booked: median wait (min)"),
    "booked_wait_p90": ("Có hẹn: chờ 90% không quá (phút)", "Booked: wait, 90th percentile (min)"),
    "walk_in_called": ("Không hẹn: số lượt được gọi", "Walk-in: called"),
    "walk_in_wait_mean": ("Không hẹn: chờ trung bình (phút)", "Walk-in: mean wait (min)"),
    "walk_in_wait_median": ("Không hẹn: chờ trung vị (phút)", "Walk-in: median wait (min)"),
    "walk_in_wait_p90": ("Không hẹn: chờ 90% không quá (phút)", "Walk-in: wait, 90th percentile (min)"),
}
GROUPS: dict[str, tuple[str, str]] = {
    "booked": ("Công dân có lịch hẹn", "Citizens with a booking"),
    "walk_in": ("Công dân không hẹn", "Walk-in citizens"),
}
SHORT: dict[str, tuple[str, str]] = {
    "called": ("Số lượt được gọi", "Called"),
    "wait_mean": ("Chờ trung bình (phút)", "Mean wait (min)"),
    "wait_median": ("Trung vị (phút)", "Median (min)"),
    "wait_p90": ("90% không quá (phút)", "90th percentile (min)"),
}
TITLES: dict[str, tuple[str, str]] = {
    "bookings": ("Lịch hẹn", "Bookings"),
    "bookings_outcomes": ("Lịch hẹn: đúng giờ / trễ / không đến", "Bookings: kept / late / missed"),
    "bookings_waits": ("Thời gian chờ: công dân có lịch hẹn và không hẹn", "Waits: booked and walk-in citizens"),
    "by_service": ("Theo lĩnh vực / dịch vụ", "By service"),
    "note": (
        "Lịch hẹn đúng giờ: công dân lấy số trong khung giờ nhận số của lịch hẹn (từ {early} phút trước đến {grace} "
        "phút sau giờ hẹn) và được gọi theo giờ hẹn. Trễ: lấy số sau khung giờ đó, nhận số thường. Không đến: không "
        "lấy số trong ngày hẹn. Thời gian chờ của công dân có lịch hẹn tính từ giờ hẹn (hoặc từ lúc lấy số, nếu "
        "muộn hơn) đến lần gọi đầu tiên; của công dân không hẹn, từ lúc lấy số đến lần gọi đầu tiên.",
        "Kept: checked in within the booking's window ({early} minutes before to {grace} minutes after its time) "
        "and called at its time. Late: checked in after that window, given a walk-in ticket. Missed: not checked "
        "in on the booking's day. A booked citizen's wait counts from the booking's time (or the check-in, if "
        "later) to the first call; a walk-in's from taking the ticket to the first call.",
    ),
}
OUTCOME_KEYS = ("name", "bookings", "kept", "late", "missed", "pending", "kept_pct")
WAIT_KEYS = (
    "name",
    "booked_called",
    "booked_wait_mean",
    "booked_wait_median",
    "booked_wait_p90",
    "walk_in_called",
    "walk_in_wait_mean",
    "walk_in_wait_median",
    "walk_in_wait_p90",
)


def _t(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "vi" else pair[1]


def bookings_table(report: BookingReport, names: Names) -> Table:
    """One row for the hall, then one per service that had bookings."""
    lang = names.lang
    columns: list[Column] = []
    for key, pair in HEADERS.items():
        kind = "text" if key in ("group", "id", "name") else "dec" if "wait" in key or key == "kept_pct" else "int"
        group = short = None
        for prefix in GROUPS:
            if key.startswith(prefix + "_"):
                group, short = _t(GROUPS[prefix], lang), _t(SHORT[key.removeprefix(prefix + "_")], lang)
        columns.append(Column(key, _t(pair, lang), kind, group, short))  # type: ignore[arg-type]

    def row(f: BookingFigures, dim: str, key: str, group: str | None) -> Row:
        cells: tuple[Cell, ...] = (
            names.dim("hall" if dim == "hall" else "service"),
            key,
            names.of("hall" if dim == "hall" else "service", key),
            f.bookings,
            f.kept,
            f.late,
            f.missed,
            f.pending,
            f.kept_pct,
            f.booked_wait.count,
            *_waits(f.booked_wait),
            f.walk_in_wait.count,
            *_waits(f.walk_in_wait),
        )
        return Row(cells, "hall" if dim == "hall" else "service", key, group is None, group)

    rows = [row(report.total, "hall", HALL_KEY, None)]
    heading = _t(TITLES["by_service"], lang)
    rows += [row(f, "service", service, heading) for service, f in report.by_service.items()]
    return Table("bookings", _t(TITLES["bookings"], lang), tuple(columns), rows)


def html_tables(table: Table, lang: Lang) -> dict[str, Table]:
    """The page's two narrower tables: outcomes and waits ("not yet" only in a period with some: today's)."""
    keys = [k for k in OUTCOME_KEYS if k != "pending" or any(table.value(r, "pending") for r in table.rows)]
    outcomes = table.view(keys)
    waits = table.view(list(WAIT_KEYS))
    return {
        "outcomes": Table("bookings_outcomes", _t(TITLES["bookings_outcomes"], lang), outcomes.columns, outcomes.rows),
        "waits": Table("bookings_waits", _t(TITLES["bookings_waits"], lang), waits.columns, waits.rows),
    }


def note(lang: Lang, early_min: int, grace_min: int) -> str:
    return _t(TITLES["note"], lang).format(early=early_min, grace=grace_min)


def write_bookings_csv(table: Table, out: Path, stem: str) -> Path:
    """``{stem}_bookings.csv``: UTF-8 with BOM, CRLF, decimals with a dot, as the report's other CSV files."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}_{table.name}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([column.label for column in table.columns])
        for r in table.rows:
            writer.writerow(["" if v is None else v if isinstance(v, str) else plain(v) for v in r.cells])  # type: ignore[arg-type]
    return path


def _waits(stats: Stats) -> tuple[Fraction | None, Fraction | None, Fraction | None]:
    return _minutes(stats.mean), _minutes(stats.median), _minutes(stats.p90)


def _minutes(seconds: Fraction | None) -> Fraction | None:
    return seconds / 60 if seconds is not None else None


def _minutes_float(seconds: Fraction | None) -> float | None:
    return round(float(seconds / 60), 1) if seconds is not None else None


def _seconds(delta: timedelta) -> Fraction:
    return Fraction(delta // timedelta(microseconds=1), 1_000_000)
