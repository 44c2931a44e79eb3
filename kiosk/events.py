"""What the kiosk's threads tell the event loop: one small frozen dataclass per kind of news, put in the loop's
inbox (`kiosk.app.KioskApp`) and dispatched by type. Plain data, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from kiosk.catalogue import CatalogueView
from kiosk.model import CancelAnswer, PrinterStatus, TicketResult


@dataclass(frozen=True)
class CatalogueReceived:
    """The coordinator's catalogue (MQTT dispatch thread, or the copy saved by the last run)."""

    view: CatalogueView


@dataclass(frozen=True)
class ConnectionChanged:
    connected: bool


@dataclass(frozen=True)
class CoordinatorChanged:
    """The coordinator's retained status: online, or offline (its last will, or a clean stop)."""

    online: bool


@dataclass(frozen=True)
class PrinterChanged:
    status: PrinterStatus


@dataclass(frozen=True)
class CameraChanged:
    ok: bool


@dataclass(frozen=True)
class QrScanned:
    payload: bytes


@dataclass(frozen=True)
class TicketDone:
    """The worker finished taking or reprinting a ticket."""

    result: TicketResult


@dataclass(frozen=True)
class CancelAnswered:
    """The coordinator answered a cancellation (cancelled, or refused: the ticket was already called)."""

    answer: CancelAnswer


@dataclass(frozen=True)
class RunOnLoop:
    """Run `function` on the loop's thread and put its result (or exception) in `future` (the control socket)."""

    function: Callable[[], Any]
    future: Future[Any]


@dataclass(frozen=True)
class Wake:
    """Nothing but a wake-up (a stop was requested)."""


InboxEvent = (
    CatalogueReceived
    | ConnectionChanged
    | CoordinatorChanged
    | PrinterChanged
    | CameraChanged
    | QrScanned
    | TicketDone
    | CancelAnswered
    | RunOnLoop
    | Wake
)
