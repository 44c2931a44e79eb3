"""The kiosk's vocabulary, shared by the screen's controller, the ticket desk and the app: plain data, no I/O.

Importing this module (or `kiosk.ui.controller`, which builds on it) loads no MQTT, printer, USB, imaging or
screen library; `tests/test_kiosk_model.py` checks that in a fresh interpreter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.i18n import Lang
from motcua.contract import ErrorCode, PriorityCategory, TicketInfo

#: The thanks line printed when a hall configures none.
DEFAULT_THANKS = "Xin cảm ơn!"


class PrinterStatus(StrEnum):
    OK = "ok"
    PAPER_LOW = "paper_low"  # near-end sensor: still prints
    NO_PAPER = "no_paper"
    OFFLINE = "offline"  # answers, but says it is offline (cover open, error)
    UNPLUGGED = "unplugged"  # cannot be opened or written to
    UNKNOWN = "unknown"  # no answer (silent printer, write-only connection)

    @property
    def can_print(self) -> bool:
        """Worth trying: a ticket is requested only when the printer is not known to be unable to print."""
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_LOW, PrinterStatus.UNKNOWN)

    @property
    def problem(self) -> str | None:
        """The key of the citizen's message (kiosk.i18n.PRINTER_PROBLEMS), None when printing works."""
        return {
            PrinterStatus.NO_PAPER: "no_paper",
            PrinterStatus.UNPLUGGED: "unplugged",
            PrinterStatus.OFFLINE: "offline",
        }.get(self)


@dataclass(frozen=True)
class TicketHeader:
    """What the hall prints on every ticket (hall name and hotline from the catalogue; the thanks line from the
    kiosk's config, already in the ticket's language)."""

    hall_name: str
    hotline: str | None = None
    thanks: str = DEFAULT_THANKS


@dataclass(frozen=True)
class TakeRequest:
    """Everything the ticket desk needs to take and print one ticket, decided on the screen's thread and handed
    over with the request (the worker never reads the screen's state)."""

    service: str | None
    procedure: str | None
    priority: PriorityCategory | None
    lang: Lang
    procedure_name: str | None
    header: TicketHeader
    booking: str | None = None  # a check-in for a booking (then service and procedure are None)


class Outcome(StrEnum):
    PRINTED = "printed"
    PRINT_FAILED = "print_failed"  # issued, not printed: reprint or cancel
    REFUSED = "refused"  # the coordinator said no (closed, unknown service...): `error` says why
    OFFLINE = "offline"  # not connected to the broker
    TIMEOUT = "timeout"  # no answer in time
    PRINTER_UNAVAILABLE = "printer_unavailable"  # known unable to print: nothing was requested
    FAILED = "failed"  # a reply nobody could read


@dataclass(frozen=True)
class TicketResult:
    outcome: Outcome
    request_id: uuid.UUID
    ticket: TicketInfo | None = None
    error: ErrorCode | None = None
    printer: PrinterStatus | None = None
    problem: str | None = None  # printer problem (kiosk.i18n.PRINTER_PROBLEMS)
    lang: Lang = Lang.VI
    procedure_name: str | None = None
    header: TicketHeader | None = None  # what was printed on the ticket (a reprint prints the same)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: reply, bytes_ready, printed


class CancelOutcome(StrEnum):
    """What the coordinator answered to the cancellation of a request."""

    CANCELLED = "cancelled"  # the ticket (if one was issued) will never be called
    ALREADY_CALLED = "already_called"  # refused: a counter has called that ticket, so it stands


@dataclass(frozen=True)
class CancelAnswer:
    request_id: uuid.UUID
    outcome: CancelOutcome
    ticket_id: str | None = None


def thanks_line(thanks: str, thanks_en: str | None, lang: Lang, english_default: str) -> str:
    """The last line of a ticket in `lang`: the hall's configured line in every language (an English ticket
    gets `thanks_en` when set, and the English default only when the hall kept the default line)."""
    if lang is not Lang.EN:
        return thanks
    if thanks_en:
        return thanks_en
    return english_default if thanks == DEFAULT_THANKS else thanks
