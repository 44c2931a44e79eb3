"""The MQTT contract of a hall: every topic and every message, in one place.

Nothing else in motcua spells a topic string or builds a payload by hand. docs/protocol.md documents what is
defined here; tests/test_contract.py keeps the two honest.

- Topics live under ``motcua/v1/{site}/`` and are built by `Topics`.
- Payloads are UTF-8 JSON objects with a version field ``"v": 1``, parsed and validated strictly with pydantic
  (JSON straight into the models, no coercion: ``true`` is not 1, ``"1"`` is not a number, ``"yes"`` is not a
  boolean): unknown fields, wrong types and missing fields are refused with a `ContractError` that says which
  field. Malformed or hostile JSON (deep nesting, huge numbers) is refused as ``bad_json`` at the cost of garbage.
- Times are ISO-8601 strings with a UTC offset (`UtcTime`). A time without an offset is refused (a device's local
  clock would otherwise silently shift ratings by seven hours), and so is a Unix number. Any offset is accepted
  and normalised to UTC on the way in; everything motcua writes is UTC with ``Z``.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from motcua.errors import ContractError

PROTOCOL_VERSION = 1
TOPIC_ROOT = "motcua/v1"

#: Largest payload the coordinator accepts on a device topic. A ticket request is ~200 bytes.
MAX_REQUEST_BYTES = 16 * 1024

#: Identifiers that appear as a topic level: lower-case letters, digits and dashes.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
#: A counter's number, as announced ("quầy số 3").
CounterNumber = Annotated[int, Field(ge=1, le=999)]
#: National code of an administrative procedure (mã thủ tục hành chính), e.g. ``1.001193``.
ProcedureCode = Annotated[str, StringConstraints(pattern=r"^[0-9]\.[0-9]{6}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: A booking's code from the province's booking system (what its QR code holds, and what is typed on the keypad).
BookingCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{3,31}$")]
#: Longest dossier code accepted (the national one-stop system's codes have about 25 characters).
DOSSIER_CODE_MAX = 64


def _dossier_code(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("dossier_code", "expected the dossier code as a string")
    value = value.strip()
    if not 1 <= len(value) <= DOSSIER_CODE_MAX:
        raise PydanticCustomError(
            "dossier_code", "a dossier code has 1 to {most} characters", {"most": DOSSIER_CODE_MAX}
        )
    if not value.isprintable():  # control characters, line breaks, zero-width and other invisible characters
        raise PydanticCustomError("dossier_code", "a dossier code has printable characters only")
    return value


#: Mã hồ sơ: the code the one-stop system gave the citizen's dossier, e.g. ``000.00.12.H49-261123-0007``. Short,
#: printable, no control characters; the hall stores it on the ticket and exports it for the province.
DossierCode = Annotated[str, PlainValidator(_dossier_code)]

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

#: ISO-8601 date and time with an offset, as JSON carries it: ``2026-11-23T08:15:02+07:00``, ``...01:15:02.12Z``.
_ISO_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})", re.ASCII)


def _utc_time(value: object) -> datetime:
    """Accept an aware datetime (built in code) or an ISO-8601 string with an offset (parsed); return it in UTC.

    Pydantic's own datetime parsing, even strict, also takes Unix times written as strings ("1795891234") and
    keeps the sender's offset; the contract wants neither.
    """
    if isinstance(value, str) and _ISO_TIME_RE.fullmatch(value):
        value = datetime.fromisoformat(value)  # a ValueError (month 13) becomes a validation error
    if not isinstance(value, datetime):
        raise PydanticCustomError(
            "iso_time", "expected an ISO-8601 time with a UTC offset as a string, e.g. 2026-11-23T08:15:02+07:00"
        )
    if value.utcoffset() is None:
        raise PydanticCustomError("iso_time_offset", "a time without a UTC offset is refused")
    return value.astimezone(UTC)


def _write_utc_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


#: Every time in every message: validated by `_utc_time`, held in UTC, written as ``2026-11-23T01:15:02Z``.
#: Use it for every new time field (tests/test_contract.py checks that no message uses a bare datetime).
UtcTime = Annotated[
    AwareDatetime, PlainValidator(_utc_time), PlainSerializer(_write_utc_time, return_type=str, when_used="json")
]


def _protocol_version(value: object) -> Literal[1]:
    if type(value) is int and value == PROTOCOL_VERSION:  # not True, not 1.0
        return 1
    shown = repr(value) if len(repr(value)) <= 20 else repr(value)[:20] + "..."
    raise PydanticCustomError(
        "protocol_version",
        "protocol version {version} not supported (expected {expected})",
        {"version": shown, "expected": PROTOCOL_VERSION},
    )


ProtocolVersion = Annotated[Literal[1], PlainValidator(_protocol_version)]


class PriorityCategory(StrEnum):
    """Citizens served first (đối tượng ưu tiên)."""

    ELDERLY = "elderly"  # người cao tuổi
    DISABLED = "disabled"  # người khuyết tật
    PREGNANT = "pregnant"  # phụ nữ mang thai
    SMALL_CHILD = "small_child"  # người đi cùng trẻ nhỏ
    MERITORIOUS = "meritorious"  # người có công với cách mạng


class RatingMeaning(StrEnum):
    """What a level of a hall's rating scale counts as in every figure (the level itself is the hall's own)."""

    SATISFIED = "satisfied"  # hài lòng
    NEUTRAL = "neutral"  # bình thường: neither
    UNSATISFIED = "unsatisfied"  # không hài lòng


class RatingLevel(StrEnum):
    """The keys of the default scale: the three buttons every hall had before scales became configurable (each
    key is also its meaning). A hall's own scale (hall.toml ``[rating]``) may use other keys."""

    SATISFIED = "satisfied"  # Hài lòng
    NEUTRAL = "neutral"  # Bình thường
    UNSATISFIED = "unsatisfied"  # Không hài lòng


#: A level of a hall's rating scale, as the pad sends it: lower-case letters, digits and underscores
#: (``satisfied``, ``very_satisfied``, ``star_5``). The coordinator refuses a key its hall's scale does not have.
RatingKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,23}$")]


class RatingOutcome(StrEnum):
    """What the coordinator did with a rating."""

    COUNTED = "counted"  # bound to the ticket just served, counted in reports
    DUPLICATE = "duplicate"  # this rating id was already received; nothing changed
    MISUSE = "misuse"  # stored but not counted: inside the pad's lockout, or the ticket was already rated
    UNBOUND = "unbound"  # stored but not counted: nobody was served at that counter at that time
    REJECTED = "rejected"  # kept apart, never counted: the vote could not be judged (``RatingAck.reason`` says why)


class CounterAction(StrEnum):
    """What an officer's keypad (or the hall's admin tool) asks of a counter."""

    NEXT = "next"  # finish the current ticket (if any) and call the next one
    RECALL = "recall"  # announce the current ticket again
    NO_SHOW = "no_show"  # the citizen called did not come
    TRANSFER = "transfer"  # send the current ticket to another service, keeping its place in time
    PAUSE = "pause"
    RESUME = "resume"
    FINISH = "finish"  # finish the current ticket without calling another
    SIGN_IN = "sign_in"  # an officer takes the counter
    SIGN_OUT = "sign_out"  # the officer leaves; the counter closes
    CALL_TICKET = "call_ticket"  # call this waiting ticket (``ticket_id``), out of the usual order if need be


class CounterStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class ErrorCode(StrEnum):
    """Coded errors in replies. Devices map them to Vietnamese messages; logs carry the English text."""

    BAD_JSON = "bad_json"
    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    UNKNOWN_DEVICE = "unknown_device"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_PROCEDURE = "unknown_procedure"
    UNKNOWN_COUNTER = "unknown_counter"
    UNKNOWN_OFFICER = "unknown_officer"
    SERVICE_CLOSED = "service_closed"
    SERIES_EXHAUSTED = "series_exhausted"
    PRIORITY_DISABLED = "priority_disabled"
    REQUEST_CANCELLED = "request_cancelled"
    STALE_REQUEST = "stale_request"  # the request id belongs to an earlier business day
    COUNTER_CLOSED = "counter_closed"
    NOT_SIGNED_IN = "not_signed_in"
    NOTHING_SERVING = "nothing_serving"
    QUEUE_EMPTY = "queue_empty"
    RECALLS_REQUIRED = "recalls_required"
    NOT_WAITING = "not_waiting"  # call_ticket: that ticket is not waiting for this counter's services
    STALE_COMMAND = "stale_command"  # past its deadline, too old or from the future: check the device's clock (NTP)
    ALREADY_CALLED = "already_called"  # a kiosk's cancel for a ticket a counter has already called: it stands
    RATE_LIMITED = "rate_limited"  # more than the device may send (hall.toml [limits]); refused, not stored
    IMPLAUSIBLE_TIME = "implausible_time"  # a vote pressed too long ago, in the future, or before its ticket's finish
    UNKNOWN_BOOKING = "unknown_booking"  # no booking with that code (imported for today)
    BOOKING_USED = "booking_used"  # that booking already gave a ticket: a code works once
    BOOKING_TOO_EARLY = "booking_too_early"  # before its check-in window opens (or a later day)
    BOOKING_TOO_LATE = "booking_too_late"  # a booking of an earlier day
    INTERNAL = "internal"


class Message(BaseModel):
    """Base of every payload: strict, immutable, versioned."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)

    v: ProtocolVersion = 1  # PROTOCOL_VERSION

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")


# --- kiosk ↔ coordinator ---------------------------------------------------------------------------------


class TicketRequest(Message):
    """A citizen asks for a ticket at a kiosk. ``request_id`` makes the request idempotent: asking twice with
    the same id returns the same ticket, and a cancelled id is never issued."""

    kind: Literal["issue"] = "issue"
    request_id: uuid.UUID
    sent_at: UtcTime  # a request that arrives too late (replayed after an outage) is refused
    service: Slug | None = None
    procedure: ProcedureCode | None = None
    priority: PriorityCategory | None = None
    booking: BookingCode | None = None  # a citizen checking in for a booking: the booking says the service

    @model_validator(mode="after")
    def _service_or_procedure(self) -> TicketRequest:
        given = [name for name in ("service", "procedure", "booking") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'service', 'procedure' or 'booking'")
        return self


class TicketCancel(Message):
    """The kiosk could not print (or gave up waiting): cancel whatever that request issued, and refuse it if it
    arrives later."""

    kind: Literal["cancel"] = "cancel"
    request_id: uuid.UUID
    reason: ShortText = "print_failed"


class TicketInfo(Message):
    """A ticket as the kiosk prints it and the citizen reads it."""

    id: str
    label: str  # what is printed and called: prefix + number, e.g. "1023"
    number: int
    service: Slug
    service_name: str
    service_name_en: str | None = None
    procedure: ProcedureCode | None = None
    priority: PriorityCategory | None = None
    issued_at: UtcTime
    counters: list[CounterNumber]  # counters that serve this service
    people_ahead: int
    estimated_wait_min: int | None = None  # None: no counter open, cannot estimate
    booked_for: UtcTime | None = None  # a booked ticket: the slot it is called at (late check-ins are walk-ins)


class TicketIssued(Message):
    kind: Literal["ticket"] = "ticket"
    request_id: uuid.UUID
    ticket: TicketInfo


class TicketCancelled(Message):
    kind: Literal["cancelled"] = "cancelled"
    request_id: uuid.UUID
    ticket_id: str | None = None  # None: the request had issued nothing; it is refused from now on


class ErrorReply(Message):
    kind: Literal["error"] = "error"
    error: ErrorCode
    message: str  # English, for logs; devices show their own Vietnamese text for the code
    request_id: uuid.UUID | None = None


# --- counter keypad ↔ coordinator ------------------------------------------------------------------------


class CounterCommand(Message):
    """An officer's key press. ``deadline`` is the moment the device stops waiting for the reply and tells the
    officer it failed: the coordinator refuses the command before then (docs/protocol.md), so "failed" on the
    device always means "not applied". Without a deadline (older clients), ``sent_at`` must be within the hall's
    ``max_request_age_s``: a press buffered during an outage must not call someone by surprise minutes later."""

    request_id: uuid.UUID
    action: CounterAction
    sent_at: UtcTime
    deadline: UtcTime | None = None
    officer: Slug | None = None  # sign_in
    service: Slug | None = None  # transfer target
    ticket_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None  # call_ticket
    reason: ShortText | None = None  # pause: why (a break, a meeting), kept in the hall's log
    dossier_code: DossierCode | None = None  # finish, next: the dossier of the ticket being finished (mã hồ sơ)

    @model_validator(mode="after")
    def _arguments(self) -> CounterCommand:
        if self.action is CounterAction.SIGN_IN and self.officer is None:
            raise ValueError("sign_in needs 'officer'")
        if self.action is CounterAction.TRANSFER and self.service is None:
            raise ValueError("transfer needs 'service'")
        if self.action is CounterAction.CALL_TICKET and self.ticket_id is None:
            raise ValueError("call_ticket needs 'ticket_id'")
        if self.dossier_code is not None and self.action not in (CounterAction.FINISH, CounterAction.NEXT):
            raise ValueError("'dossier_code' goes with finish or next (the ticket being finished)")
        return self


class ServingTicket(Message):
    id: str
    label: str
    number: int
    service: Slug
    priority: PriorityCategory | None = None
    called_at: UtcTime
    recalls: int = 0


class CounterState(Message):
    """Retained per counter: what the keypad shows the officer and what the pad needs to invite a rating."""

    counter: CounterNumber
    name: str
    status: CounterStatus
    officer: Slug | None = None
    officer_name: str | None = None
    officer_title: str | None = None  # chức danh, for the counter screen
    serving: ServingTicket | None = None
    last_finished: str | None = None  # ticket id
    rating_open_until: UtcTime | None = None  # the pad invites a rating until then
    waiting: int = 0  # tickets waiting for this counter's services
    pause_reason: str | None = None  # while paused: the officer's reason, if they gave one (the counter screen)
    next_label: str | None = None  # the ticket `next` would call here now (while open or paused)
    updated_at: UtcTime


class CounterReply(Message):
    kind: Literal["counter"] = "counter"
    request_id: uuid.UUID
    action: CounterAction
    state: CounterState


# --- rating pad ↔ coordinator ----------------------------------------------------------------------------


class RatingVote(Message):
    """One press on a satisfaction pad (or a tap on a counter screen's tablet), stamped on the device. ``misuse``
    is set by the device for presses inside its lockout (a button storm): they are stored, flagged, never counted.
    ``reasons``: what the citizen ticked after a low rating on a tablet (ids of the tablet's configured list).
    ``device``: the id of the device that voted (a counter's pad and its tablet share the topic); absent from older
    pads, whose votes are the counter's pad's."""

    id: uuid.UUID
    level: RatingKey  # a key of the hall's scale (hall.toml [rating]); the default scale's are `RatingLevel`
    pressed_at: UtcTime
    misuse: bool = False
    reasons: Annotated[list[Slug], Field(min_length=1, max_length=10)] | None = None
    device: Slug | None = None


class RatingAck(Message):
    """The coordinator's answer to every vote it receives. ``id`` is absent only for a vote whose id could not be
    read; ``reason`` says why a vote was ``rejected`` (a counter the hall does not have, a malformed vote)."""

    id: uuid.UUID | None = None
    outcome: RatingOutcome
    ticket_id: str | None = None
    reason: ErrorCode | None = None  # only with outcome "rejected"


# --- coordinator → displays ------------------------------------------------------------------------------


class Call(Message):
    """A ticket called to a counter: the display announces it once. ``recall`` counts repeats (0 = first)."""

    id: str  # ticket id + "#" + recall: displays de-duplicate on it
    ticket_id: str
    label: str
    number: int
    counter: CounterNumber
    counter_name: str
    service: Slug
    service_name: str
    recall: int = 0
    called_at: UtcTime


class BoardCounter(Message):
    number: CounterNumber
    name: str
    status: CounterStatus
    serving: str | None = None  # ticket label
    services: list[Slug]


class BoardService(Message):
    id: Slug
    name: str
    name_en: str | None = None
    waiting: int
    estimated_wait_min: int | None = None


class Board(Message):
    """Retained: everything the waiting-hall TV shows."""

    hall_name: str
    hall_name_en: str | None = None  # the English board's title
    business_day: date
    calls: list[Call]  # newest first
    counters: list[BoardCounter]
    services: list[BoardService]
    notice: str | None = None  # the scrolling notice the hall's managers set (see `Notice`); absent: none
    updated_at: UtcTime


class Notice(Message):
    """Retained: the board's scrolling notice, set by a manager in the console; the coordinator puts it on the
    `Board`. An empty ``text`` clears it."""

    text: Annotated[str, StringConstraints(max_length=500)]
    by: Slug | None = None  # the console account that set it
    updated_at: UtcTime


# --- catalogue (coordinator → kiosks) --------------------------------------------------------------------


class Procedure(Message):
    """Thủ tục hành chính: what a citizen must bring for one administrative procedure."""

    code: ProcedureCode
    name: str
    name_en: str | None = None
    field: str  # lĩnh vực
    service: Slug
    documents: list[str]  # thành phần hồ sơ
    forms: list[str] = []  # biểu mẫu, tờ khai
    time_limit: str  # thời hạn giải quyết
    fee: str  # lệ phí
    agency: str  # cơ quan thực hiện
    result: str | None = None  # kết quả
    online: Literal["full", "partial", "none"] = "none"
    online_url: str | None = None
    # Optional: what citizens type for it besides its name ("giấy khai sinh", "độc thân"): the kiosk's search.
    keywords: list[str] = []


class ServiceInfo(Message):
    id: Slug
    name: str
    name_en: str | None = None
    fields: list[str]
    counters: list[CounterNumber]
    open_now: bool = True
    opening_hours: str | None = None  # human-readable, e.g. "07:30–11:30, 13:30–17:00"


class HallInfo(Message):
    site: Slug
    name: str
    name_en: str | None = None
    address: str | None = None
    hotline: str | None = None


class Catalogue(Message):
    """Retained: what kiosks offer. Sent again whenever a service opens or closes."""

    hall: HallInfo
    services: list[ServiceInfo]
    procedures: list[Procedure]
    priority_categories: list[PriorityCategory]
    updated_at: UtcTime


# --- coordinator → province (bridged) --------------------------------------------------------------------


class EventKind(StrEnum):
    """What a line of the hall's log records (engine, store, reports and the province all use these values)."""

    DAY_STARTED = "day_started"  # the business day rolled over; detail: the new day (YYYY-MM-DD)
    ISSUED = "issued"  # detail: the priority category, if any
    CANCELLED = "cancelled"  # the kiosk could not print it; detail: the kiosk's reason
    EXPIRED = "expired"  # still waiting when the business day ended
    CALLED = "called"
    RECALLED = "recalled"  # detail: how many times recalled so far
    SERVED = "served"  # finished at a counter (see `EventReason` for the rollover's)
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"  # from ``from_service`` to ``service``
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    OPENED = "opened"  # a counter opened without an officer (a hall that does not require one)
    PAUSED = "paused"
    RESUMED = "resumed"
    RATING = "rating"  # a pad's vote, with ``rating`` and ``outcome``
    RATING_ALERT = "rating_alert"  # a counter's unsatisfied share crossed the hall's alert rule; ``alert`` says how


class RatingAlert(Message):
    """Retained per counter on ``counter/{n}/rating/alert``, and carried by the ``rating_alert`` event: whether the
    counter's counted votes of the last ``window_min`` minutes are more than ``threshold_pct`` % unsatisfied (with
    at least ``min_votes`` votes). Sent when it becomes active and when it stops being so."""

    counter: CounterNumber
    active: bool
    unsatisfied: int  # counted votes meaning unsatisfied in the window
    votes: int  # counted votes in the window
    threshold_pct: int
    window_min: int
    min_votes: int
    at: UtcTime  # the vote that changed it (the pad's time)


class EventReason(StrEnum):
    """Why an event departs from the ordinary rule (the rollover did it, or the queue order was skipped); absent
    for an ordinary command."""

    DAY_END = "day_end"  # the rollover finished a ticket left at a counter, or signed an officer out
    OUT_OF_ORDER = "out_of_order"  # called: an officer called this ticket (call_ticket) before the one `next` would


class HallEvent(Message):
    """One line of the hall's durable log, published after it is committed. The hall's broker bridges these
    to the provincial broker, which can rebuild the province's reports from them. Figures come from ``kind``,
    ``reason`` and the other typed fields, never from ``detail`` (free text for a person)."""

    seq: int  # the coordinator's event number: gaps show lost events, repeats are duplicates
    kind: EventKind
    at: UtcTime
    counter: CounterNumber | None = None
    ticket_id: str | None = None
    service: Slug | None = None
    officer: Slug | None = None
    detail: str | None = None
    reason: EventReason | None = None
    from_service: Slug | None = None  # transferred: the service the ticket left (``service``: where it went)
    rating: RatingKey | None = None  # the level's key in the hall's scale
    meaning: RatingMeaning | None = None  # what that level counts as
    outcome: RatingOutcome | None = None
    alert: RatingAlert | None = None  # rating_alert: the counter's alert as it now is
    # issued: the procedure (thủ tục) the ticket was issued for, when the kiosk knew it (optional: older halls
    # never send it, and a ticket taken for a service has none)
    procedure: ProcedureCode | None = None


class EventBatch(Message):
    """What is published on ``events``: the events of one committed batch, in order."""

    events: list[HallEvent]


#: The most events a hall sends in answer to one `ResendRequest` (the province asks again for the rest).
MAX_RESEND_EVENTS = 10_000


class ResendRequest(Message):
    """Province → hall on ``province/resend``: send the events numbered `from_seq` to `to_seq` again (on
    ``events``, as ordinary `EventBatch` messages). Without `to_seq`: everything from `from_seq` on (after an
    outage the province does not know how far the hall got). At most `MAX_RESEND_EVENTS` per request."""

    from_seq: Annotated[int, Field(ge=1)]
    to_seq: Annotated[int, Field(ge=1)] | None = None


# --- every device ----------------------------------------------------------------------------------------


class DeviceProblem(StrEnum):
    """What a device reports it cannot do while online (the console's device health shows it)."""

    PRINTER_OFFLINE = "printer_offline"  # the printer answers but says it is offline (cover open, error)
    PRINTER_UNPLUGGED = "printer_unplugged"  # the printer cannot be opened or written to
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"  # still prints
    CAMERA_MISSING = "camera_missing"  # a fitted QR camera does not answer


class DeviceStatus(Message):
    """Retained per device: online when it connects, offline as its last will or on a clean stop. ``problems``:
    what an online device reports it cannot do (a kiosk's printer out of paper); re-published when it changes."""

    device: Slug
    state: DeviceState
    role: str
    version: str
    since: UtcTime | None = None  # when it came online; absent in the last will (written at connect time)
    problems: Annotated[list[DeviceProblem], Field(max_length=10)] | None = None


# --- topics ----------------------------------------------------------------------------------------------


class Topics:
    """Builds (and parses) the topics of one hall. ``Topics("phuong-trung-tu").board()``."""

    def __init__(self, site: str) -> None:
        if not _SLUG_RE.match(site):
            raise ContractError(f"site id {site!r} must be lower-case letters, digits and dashes")
        self.site = site
        self.root = f"{TOPIC_ROOT}/{site}"

    # kiosk
    def ticket_request(self, kiosk: str) -> str:
        return f"{self.root}/kiosk/{_level(kiosk)}/ticket/req"

    def ticket_cancel(self, kiosk: str) -> str:
        return f"{self.root}/kiosk/{_level(kiosk)}/ticket/cancel"

    def ticket_reply(self, kiosk: str) -> str:
        return f"{self.root}/kiosk/{_level(kiosk)}/ticket/res"

    # counter
    def counter_command(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/cmd"

    def counter_reply(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/cmd/res"

    def counter_state(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/state"

    def rating(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/rating"

    def rating_ack(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/rating/ack"

    def rating_alert(self, counter: int | str) -> str:
        return f"{self.root}/counter/{_level(counter)}/rating/alert"

    # hall-wide
    def board(self) -> str:
        return f"{self.root}/board"

    def call(self) -> str:
        return f"{self.root}/call"

    def catalogue(self) -> str:
        return f"{self.root}/catalogue"

    def notice(self) -> str:
        return f"{self.root}/notice"

    def events(self) -> str:
        return f"{self.root}/events"

    def device_status(self, device: str) -> str:
        return f"{self.root}/device/{_level(device)}/status"

    def everything(self) -> str:
        """The filter for all of this hall's traffic (coordinator, bridge, monitoring)."""
        return f"{self.root}/#"

    # province <-> hall (over the hall's bridge)
    def province_resend(self) -> str:
        """Province → hall: `ResendRequest` (bridged ``in``; the answer comes on ``events``)."""
        return f"{self.root}/province/resend"

    def bridge_status(self) -> str:
        """The hall broker's bridge notification on the provincial broker: ``1`` connected, ``0`` not."""
        return f"{self.root}/bridge/status"

    # every hall at once (the provincial collector)
    @staticmethod
    def every_hall(suffix: str) -> str:
        """A filter over all halls: ``every_hall("events")`` -> ``motcua/v1/+/events``."""
        return f"{TOPIC_ROOT}/{ANY}/{suffix}"

    @staticmethod
    def site_of(topic: str) -> str:
        """The site of a concrete topic (``motcua/v1/{site}/...``), checked to be a valid site id."""
        parts = topic.split("/")
        if len(parts) < 4 or "/".join(parts[:2]) != TOPIC_ROOT or not _SLUG_RE.match(parts[2]):
            raise ContractError(f"topic {topic!r} is not under {TOPIC_ROOT}/{{site}}/")
        return parts[2]

    # the reply topic of a concrete request topic (the coordinator answers there, whatever ResponseTopic is asked)
    def ticket_reply_for(self, request_topic: str) -> str:
        """``kiosk/{kiosk}/ticket/req`` or ``.../cancel`` -> that kiosk's ``ticket/res``."""
        return self.ticket_reply(self.kiosk_of(request_topic))

    def counter_reply_for(self, command_topic: str) -> str:
        """``counter/{n}/cmd`` -> ``counter/{n}/cmd/res``."""
        return self.counter_reply(self.counter_of(command_topic))

    def rating_ack_for(self, rating_topic: str) -> str:
        """``counter/{n}/rating`` -> ``counter/{n}/rating/ack`` (also for a counter the hall does not have)."""
        return self.rating_ack(self.counter_level_of(rating_topic))

    # parsing the id out of a concrete topic
    def kiosk_of(self, topic: str) -> str:
        return self._level_at(topic, "kiosk")

    def counter_level_of(self, topic: str) -> str:
        """The counter's level of a counter topic as it is written (not necessarily a number)."""
        return self._level_at(topic, "counter")

    def counter_of(self, topic: str) -> int:
        text = self._level_at(topic, "counter")
        if not text.isdigit():
            raise ContractError(f"counter {text!r} in topic {topic!r} is not a number")
        return int(text)

    def _level_at(self, topic: str, section: str) -> str:
        prefix = f"{self.root}/{section}/"
        if not topic.startswith(prefix):
            raise ContractError(f"topic {topic!r} is not under {prefix!r}")
        return topic[len(prefix) :].split("/", 1)[0]


#: Pass as an id to build a subscription or ACL filter that matches every device of that kind.
ANY = "+"


def _level(value: int | str) -> str:
    text = str(value)
    if text == ANY:
        return text
    if not text or any(ch in text for ch in "/+#\x00"):
        raise ContractError(f"{text!r} cannot be a topic level")
    return text


# --- parsing ---------------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)

KioskRequest = Annotated[TicketRequest | TicketCancel, Field(discriminator="kind")]
KioskReply = Annotated[TicketIssued | TicketCancelled | ErrorReply, Field(discriminator="kind")]
CounterResult = Annotated[CounterReply | ErrorReply, Field(discriminator="kind")]


# Built on first use, like the models (defer_build): a pad never pays for the kiosk's or the board's schemas,
# which keeps a Pi Zero agent's memory down.
@functools.cache
def _kiosk_request() -> TypeAdapter[TicketRequest | TicketCancel]:
    return TypeAdapter(KioskRequest)


@functools.cache
def _kiosk_reply() -> TypeAdapter[TicketIssued | TicketCancelled | ErrorReply]:
    return TypeAdapter(KioskReply)


@functools.cache
def _counter_result() -> TypeAdapter[CounterReply | ErrorReply]:
    return TypeAdapter(CounterResult)


def parse(model: type[M], payload: bytes, *, max_bytes: int | None = MAX_REQUEST_BYTES) -> M:
    """Decode and validate one payload, or raise `InvalidMessage` with a readable reason and an error code.

    The JSON goes straight into the model in strict mode: no coercion, and pydantic's JSON parser bounds nesting
    and number sizes itself, so a hostile payload costs what garbage costs and is refused as ``bad_json``.
    """
    _check_size(payload, max_bytes)
    try:
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_kiosk_request(payload: bytes) -> TicketRequest | TicketCancel:
    _check_size(payload, MAX_REQUEST_BYTES)
    try:
        return _kiosk_request().validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_kiosk_reply(payload: bytes) -> TicketIssued | TicketCancelled | ErrorReply:
    try:
        return _kiosk_reply().validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


def parse_counter_result(payload: bytes) -> CounterReply | ErrorReply:
    try:
        return _counter_result().validate_json(payload, strict=True)
    except ValidationError as exc:
        raise _invalid(exc) from None


class InvalidMessage(ContractError):
    """A payload was refused; ``code`` is what goes back to the sender."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _check_size(payload: bytes, max_bytes: int | None) -> None:
    if max_bytes is not None and len(payload) > max_bytes:
        raise InvalidMessage(ErrorCode.TOO_LARGE, f"payload of {len(payload)} bytes exceeds {max_bytes}")


#: Errors pydantic reports at the top of a payload that is not a JSON object at all.
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _invalid(exc: ValidationError) -> InvalidMessage:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return InvalidMessage(ErrorCode.BAD_JSON, f"payload is not UTF-8 JSON: {first['msg']}")
    if not first["loc"] and first["type"] in _NOT_AN_OBJECT:
        return InvalidMessage(ErrorCode.BAD_JSON, "payload must be a JSON object")
    version = [err for err in errors if err["type"] == "protocol_version"]
    if version:  # another version's message: its other fields are not worth listing
        return InvalidMessage(ErrorCode.BAD_REQUEST, f"v: {version[0]['msg']}")
    return InvalidMessage(ErrorCode.BAD_REQUEST, describe_validation_error(exc))


def describe_validation_error(exc: ValidationError, *, limit: int = 5) -> str:
    """One line per problem: ``field.path: message``."""
    lines = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(part) for part in err["loc"]) or "(message)"
        lines.append(f"{where}: {err['msg']}")
    if len(exc.errors()) > limit:
        lines.append(f"... and {len(exc.errors()) - limit} more")
    return "; ".join(lines)
