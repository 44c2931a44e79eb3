"""Bookings (lịch hẹn) from the province's booking system: the import format and the check-in rule. Pure.

A day's bookings arrive as a CSV or JSON file (`parse_bookings`; docs/queue-rules.md has the format). A booking
holds no more than the queue needs — its code, its service (or a procedure of the hall, which names the service)
and the slot — never the citizen's name or number.

Check-in (`check_in`) at a kiosk, with the booking's QR code or its code typed on the keypad:

- from `early_min` before the slot's start to `grace_min` after it (hall.toml ``[bookings]``, 60 and 15 minutes by
  default): a **booked** ticket, called at its slot ahead of walk-ins (an early arrival waits for the slot);
- later the same business day: an ordinary (walk-in) ticket; the booking counts as *late*;
- before the window, or a booking of a later day: refused (``booking_too_early``); of an earlier day: refused
  (``booking_too_late``); a code that already gave a ticket: refused (``booking_used``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from motcua.contract import ErrorCode
from motcua.errors import MotcuaError

#: What the import reads: code, then service or procedure (one of them), slot start and end.
COLUMNS = ("code", "service", "procedure", "start", "end")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,31}$")
MAX_BOOKINGS = 5000


class BookingOutcome(StrEnum):
    """How a booking was used (reports: kept / late / missed; missed is a booking never checked in)."""

    KEPT = "kept"  # checked in within its window: a booked ticket
    LATE = "late"  # checked in after its grace period: a walk-in ticket


@dataclass(frozen=True)
class Booking:
    """Lịch hẹn: a slot for one service, known by its code."""

    code: str
    service: str
    slot_start: datetime
    slot_end: datetime
    procedure: str | None = None
    ticket_id: str | None = None  # the ticket it gave, once checked in
    outcome: BookingOutcome | None = None


@dataclass(frozen=True)
class CheckIn:
    """What a check-in gives: a booked ticket called at `booked_for`, or (None) an ordinary ticket."""

    booked_for: datetime | None
    outcome: BookingOutcome


class BookingImportError(MotcuaError, ValueError):
    """A bookings file refused as a whole; `problems` has one line per bad row ("line 7: ...")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:20]) + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
        self.problems = problems


def normalise_code(text: str) -> str:
    """A code as typed or scanned: capitals, no spaces around it."""
    return text.strip().upper()


def parse_bookings(
    content: str,
    *,
    fmt: str,
    zone: tzinfo,
    services: Collection[str],
    procedures: Mapping[str, str],
) -> list[Booking]:
    """Read a bookings file (``fmt`` = ``csv`` or ``json``). Every bad row is reported with its line number and the
    whole file is refused (a half-imported day is worse than none): unknown service or procedure, a malformed code,
    a slot that ends before it starts or spans two days, a code given twice. Times without an offset are the hall's
    local time (`zone`). `procedures` maps a procedure code to its service."""
    rows = _rows(content, fmt)
    problems: list[str] = []
    bookings: list[Booking] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        try:
            booking = _booking(row, zone, services, procedures)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if booking.code in seen:
            problems.append(f"{where}: booking {booking.code} already on {seen[booking.code]}")
            continue
        seen[booking.code] = where
        bookings.append(booking)
    if len(bookings) > MAX_BOOKINGS:
        problems.append(f"{len(bookings)} bookings: more than {MAX_BOOKINGS} in one file")
    if problems:
        raise BookingImportError(problems)
    return bookings


def check_in(
    booking: Booking,
    now: datetime,
    business_day_of: Callable[[datetime], date],
    *,
    early_min: int,
    grace_min: int,
) -> CheckIn:
    """Judge a check-in at `now` with the hall's window (``[bookings] early_min``, ``grace_min``); raises
    `BookingRefused` with the error code the kiosk shows."""
    if booking.ticket_id is not None:
        raise BookingRefused(ErrorCode.BOOKING_USED, f"booking {booking.code} already gave ticket {booking.ticket_id}")
    today, day = business_day_of(now), business_day_of(booking.slot_start)
    if day < today:
        raise BookingRefused(ErrorCode.BOOKING_TOO_LATE, f"booking {booking.code} was for {day}")
    opens = booking.slot_start - timedelta(minutes=early_min)
    if day > today or now < opens:
        raise BookingRefused(ErrorCode.BOOKING_TOO_EARLY, f"booking {booking.code}: check-in opens at {opens}")
    if now <= booking.slot_start + timedelta(minutes=grace_min):
        return CheckIn(booked_for=booking.slot_start, outcome=BookingOutcome.KEPT)
    return CheckIn(booked_for=None, outcome=BookingOutcome.LATE)


class BookingRefused(MotcuaError, ValueError):
    """A check-in refused; ``code`` goes back to the kiosk."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- reading ------------------------------------------------------------------------------------------------


def _rows(content: str, fmt: str) -> list[tuple[str, dict[str, str]]]:
    """The rows with where each is ("line 7" of a CSV file, "entry 3" of a JSON list)."""
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
        missing = [c for c in ("code", "start", "end") if c not in (reader.fieldnames or [])]
        if missing:
            raise BookingImportError([f"line 1: header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})"])
        unknown = [c for c in reader.fieldnames or [] if c not in COLUMNS]
        if unknown:
            raise BookingImportError([f"line 1: unknown column(s) {', '.join(unknown)} (no personal data here)"])
        return [(f"line {reader.line_num}", {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    if fmt == "json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise BookingImportError([f"line {exc.lineno}: not JSON: {exc.msg}"]) from None
        items = data.get("bookings") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BookingImportError(['line 1: expected {"bookings": [...]}'])
        rows: list[tuple[str, dict[str, str]]] = []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
                rows.append((f"entry {index}", {"_error": "not an object of strings"}))
                continue
            rows.append((f"entry {index}", dict(item)))
        return rows
    raise BookingImportError([f"unknown format {fmt!r} (csv or json)"])


def _booking(row: dict[str, str], zone: tzinfo, services: Collection[str], procedures: Mapping[str, str]) -> Booking:
    if "_error" in row:
        raise ValueError(row["_error"])
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (no personal data here)")
    code = normalise_code(row.get("code", ""))
    if not CODE_RE.match(code):
        raise ValueError(f"code {code!r} is not 4-32 capital letters, digits and dashes")
    service, procedure = row.get("service") or None, row.get("procedure") or None
    if procedure is not None:
        if procedure not in procedures:
            raise ValueError(f"unknown procedure {procedure!r}")
        if service is not None and service != procedures[procedure]:
            raise ValueError(f"procedure {procedure} belongs to service {procedures[procedure]}, not {service}")
        service = procedures[procedure]
    if service is None:
        raise ValueError("neither service nor procedure")
    if service not in services:
        raise ValueError(f"unknown service {service!r}")
    start, end = _time(row.get("start", ""), zone, "start"), _time(row.get("end", ""), zone, "end")
    if end <= start:
        raise ValueError("the slot ends before it starts")
    if end - start > timedelta(hours=12):
        raise ValueError("a slot longer than 12 hours")
    return Booking(code=code, service=service, procedure=procedure, slot_start=start, slot_end=end)


def _time(text: str, zone: tzinfo, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not an ISO date and time (2026-11-23T09:00)") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
