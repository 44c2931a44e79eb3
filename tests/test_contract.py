"""The MQTT contract: topics, message validation, coded errors."""

from __future__ import annotations

import json
import time
import typing
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import AwareDatetime, FutureDatetime, NaiveDatetime, PastDatetime, PlainValidator

from motcua import contract
from motcua.contract import (
    ANY,
    MAX_REQUEST_BYTES,
    Board,
    CounterAction,
    CounterCommand,
    CounterState,
    ErrorCode,
    InvalidMessage,
    Message,
    RatingVote,
    TicketCancel,
    TicketRequest,
    Topics,
    parse,
    parse_counter_result,
    parse_kiosk_reply,
    parse_kiosk_request,
)
from motcua.errors import ContractError

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_topics_are_rooted_at_the_site():
    topics = Topics("phuong-hoa-binh")
    assert topics.ticket_request("kiosk-1") == "motcua/v1/phuong-hoa-binh/kiosk/kiosk-1/ticket/req"
    assert topics.counter_state(3) == "motcua/v1/phuong-hoa-binh/counter/3/state"
    assert topics.rating_ack(3) == "motcua/v1/phuong-hoa-binh/counter/3/rating/ack"
    assert topics.board() == "motcua/v1/phuong-hoa-binh/board"
    assert topics.counter_command(ANY) == "motcua/v1/phuong-hoa-binh/counter/+/cmd"


def test_topic_ids_are_parsed_back():
    topics = Topics("hall")
    assert topics.kiosk_of(topics.ticket_request("kiosk-2")) == "kiosk-2"
    assert topics.counter_of(topics.rating(12)) == 12
    with pytest.raises(ContractError):
        topics.counter_of("motcua/v1/hall/counter/abc/cmd")
    with pytest.raises(ContractError):
        topics.kiosk_of("motcua/v1/other/kiosk/k/ticket/req")


@pytest.mark.parametrize("bad", ["a/b", "#", "x+", ""])
def test_ids_that_would_break_topics_are_refused(bad: str):
    with pytest.raises(ContractError):
        Topics("hall").ticket_request(bad)


@pytest.mark.parametrize("site", ["Hall", "hall/x", "", "phường"])
def test_site_must_be_a_slug(site: str):
    with pytest.raises(ContractError):
        Topics(site)


def test_messages_round_trip_with_version():
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=NOW, service="ho-tich")
    data = json.loads(request.to_bytes())
    assert data["v"] == 1 and data["kind"] == "issue" and "procedure" not in data
    assert parse_kiosk_request(request.to_bytes()) == request
    cancel = TicketCancel(request_id=request.request_id)
    assert parse_kiosk_request(cancel.to_bytes()) == cancel


def request_bytes(**fields: object) -> bytes:
    base: dict[str, object] = {
        "v": 1,
        "kind": "issue",
        "request_id": str(uuid.uuid4()),
        "sent_at": NOW.isoformat(),
        "service": "ho-tich",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


@pytest.mark.parametrize(
    ("payload", "code", "mentions"),
    [
        (b"{not json", ErrorCode.BAD_JSON, "JSON"),
        (b"\xff\xfe", ErrorCode.BAD_JSON, "UTF-8"),
        (b"[1, 2]", ErrorCode.BAD_JSON, "object"),
        (request_bytes(v=2), ErrorCode.BAD_REQUEST, "version"),
        (request_bytes(request_id="nope"), ErrorCode.BAD_REQUEST, "request_id"),
        (request_bytes(service="Hộ tịch"), ErrorCode.BAD_REQUEST, "service"),
        (request_bytes(procedure="1.001193"), ErrorCode.BAD_REQUEST, "exactly one"),
        (request_bytes(service=None), ErrorCode.BAD_REQUEST, "exactly one"),
        (request_bytes(sent_at="2026-11-23T08:00:00"), ErrorCode.BAD_REQUEST, "sent_at"),
        (request_bytes(priority="vip"), ErrorCode.BAD_REQUEST, "priority"),
        (request_bytes(extra=1), ErrorCode.BAD_REQUEST, "extra"),
        (request_bytes(kind="steal"), ErrorCode.BAD_REQUEST, "kind"),
        (b"{" + b" " * MAX_REQUEST_BYTES + b"}", ErrorCode.TOO_LARGE, "exceeds"),
    ],
)
def test_bad_payloads_get_a_code_and_a_readable_reason(payload: bytes, code: ErrorCode, mentions: str):
    with pytest.raises(InvalidMessage) as refused:
        parse_kiosk_request(payload)
    assert refused.value.code is code
    assert mentions.lower() in str(refused.value).lower()


def test_counter_command_arguments_are_checked():
    with pytest.raises(InvalidMessage, match="sign_in needs 'officer'"):
        parse(
            CounterCommand,
            json.dumps({"request_id": str(uuid.uuid4()), "action": "sign_in", "sent_at": NOW.isoformat()}).encode(),
        )
    with pytest.raises(InvalidMessage, match="transfer needs 'service'"):
        parse(
            CounterCommand,
            json.dumps({"request_id": str(uuid.uuid4()), "action": "transfer", "sent_at": NOW.isoformat()}).encode(),
        )
    command = CounterCommand(request_id=uuid.uuid4(), action=CounterAction.NEXT, sent_at=NOW)
    assert parse(CounterCommand, command.to_bytes()) == command


def test_rating_needs_an_aware_time_and_a_well_formed_level_key():
    """The contract checks the key's form; whether the hall's scale has it is the coordinator's check."""
    vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=NOW)
    assert parse(RatingVote, vote.to_bytes()).level == "satisfied"
    assert parse(RatingVote, vote.model_copy(update={"level": "star_5"}).to_bytes()).level == "star_5"
    bad_levels = ("Great", "rất_hài_lòng", "x" * 25, "5_stars", "", 1)
    for bad in ({"pressed_at": "2026-11-23 08:00"}, *({"level": level} for level in bad_levels)):
        data = json.loads(vote.to_bytes()) | bad
        with pytest.raises(InvalidMessage):
            parse(RatingVote, json.dumps(data).encode())


def test_replies_are_told_apart_by_kind():
    error = parse_kiosk_reply(b'{"v":1,"kind":"error","error":"queue_empty","message":"no ticket"}')
    assert error.kind == "error" and error.error is ErrorCode.QUEUE_EMPTY


def test_vietnamese_text_survives_as_utf8():
    from motcua.contract import ErrorReply

    reply = ErrorReply(error=ErrorCode.SERVICE_CLOSED, message="Dịch vụ đã đóng")
    assert "Dịch vụ đã đóng".encode() in reply.to_bytes()


VOTE = {
    "v": 1,
    "id": "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "level": "satisfied",
    "pressed_at": "2026-11-23T08:31:05+07:00",
}
COMMAND = {
    "v": 1,
    "request_id": "3c9a1e52-7d4b-4f0e-b1a2-9e8d7c6b5a41",
    "action": "next",
    "sent_at": "2026-11-23T08:20:11+07:00",
}
STATE = {"v": 1, "counter": 3, "name": "Quầy 3", "status": "open", "waiting": 4, "updated_at": "2026-11-23T01:20:11Z"}


def _with(base: dict[str, object], **changes: object) -> bytes:
    return json.dumps(base | changes).encode()


# What a lax parser coerces and the contract refuses: each case is (what, parser, payload, field in the reason).
LAX = [
    ("version true", lambda p: parse(RatingVote, p), _with(VOTE, v=True), "version"),
    ("version 1.0", lambda p: parse(RatingVote, p), _with(VOTE, v=1.0), "version"),
    ("version '1'", lambda p: parse(RatingVote, p), _with(VOTE, v="1"), "version"),
    ("version 2", lambda p: parse(RatingVote, p), _with(VOTE, v=2), "version"),
    ("misuse 'yes'", lambda p: parse(RatingVote, p), _with(VOTE, misuse="yes"), "misuse"),
    ("misuse 1", lambda p: parse(RatingVote, p), _with(VOTE, misuse=1), "misuse"),
    ("misuse 'true'", lambda p: parse(RatingVote, p), _with(VOTE, misuse="true"), "misuse"),
    ("pressed_at Unix number", lambda p: parse(RatingVote, p), _with(VOTE, pressed_at=1795891234), "pressed_at"),
    ("pressed_at Unix string", lambda p: parse(RatingVote, p), _with(VOTE, pressed_at="1795891234"), "pressed_at"),
    ("pressed_at date only", lambda p: parse(RatingVote, p), _with(VOTE, pressed_at="2026-11-23"), "pressed_at"),
    (
        "pressed_at no offset",
        lambda p: parse(RatingVote, p),
        _with(VOTE, pressed_at="2026-11-23T08:31:05"),
        "pressed_at",
    ),
    ("pressed_at space", lambda p: parse(RatingVote, p), _with(VOTE, pressed_at="2026-11-23 08:31:05Z"), "pressed_at"),
    ("id a number", lambda p: parse(RatingVote, p), _with(VOTE, id=12345), "id"),
    ("level a number", lambda p: parse(RatingVote, p), _with(VOTE, level=1), "level"),
    ("sent_at Unix number", parse_kiosk_request, request_bytes(sent_at=1795891234), "sent_at"),
    ("sent_at float", lambda p: parse(CounterCommand, p), _with(COMMAND, sent_at=1795891234.5), "sent_at"),
    ("action a number", lambda p: parse(CounterCommand, p), _with(COMMAND, action=1), "action"),
    ("officer a number", lambda p: parse(CounterCommand, p), _with(COMMAND, action="sign_in", officer=7), "officer"),
    ("counter as a string", lambda p: parse(CounterState, p), _with(STATE, counter="3"), "counter"),
    ("counter 3.0", lambda p: parse(CounterState, p), _with(STATE, counter=3.0), "counter"),
    ("counter true", lambda p: parse(CounterState, p), _with(STATE, counter=True), "counter"),
    ("waiting '4'", lambda p: parse(CounterState, p), _with(STATE, waiting="4"), "waiting"),
    ("name a number", lambda p: parse(CounterState, p), _with(STATE, name=3), "name"),
    ("priority a list", parse_kiosk_request, request_bytes(priority=["elderly"]), "priority"),
    (
        "reply with v true",
        parse_kiosk_reply,
        b'{"v":true,"kind":"error","error":"queue_empty","message":"x"}',
        "version",
    ),
    ("error code a number", parse_counter_result, b'{"v":1,"kind":"error","error":1,"message":"x"}', "error"),
]


@pytest.mark.parametrize(("what", "parser", "payload", "field"), LAX, ids=[case[0] for case in LAX])
def test_lax_payloads_are_refused_as_bad_request(what: str, parser, payload: bytes, field: str):
    with pytest.raises(InvalidMessage) as refused:
        parser(payload)
    assert refused.value.code is ErrorCode.BAD_REQUEST, what
    assert field in str(refused.value), str(refused.value)


def test_strict_parsing_still_reads_what_the_docs_allow():
    vote = parse(RatingVote, _with(VOTE, pressed_at="2026-11-23T08:31:05.25+07:00", misuse=True))
    assert vote.misuse is True and vote.pressed_at == datetime(2026, 11, 23, 1, 31, 5, 250000, tzinfo=UTC)
    assert parse(CounterCommand, _with(COMMAND, sent_at="2026-11-23T01:20:11Z")).sent_at.tzinfo is UTC
    board = parse(
        Board,
        json.dumps(
            {
                "hall_name": "x",
                "business_day": "2026-11-23",
                "calls": [],
                "counters": [],
                "services": [],
                "updated_at": "2026-11-23T01:20:11.320000Z",
            }
        ).encode(),
    )
    assert board.business_day.isoformat() == "2026-11-23"


def test_a_version_error_says_only_that():
    with pytest.raises(InvalidMessage) as refused:
        parse(RatingVote, json.dumps({"v": 2, "vote": {"level": 3}}).encode())
    assert str(refused.value) == "v: protocol version 2 not supported (expected 1)"


HOSTILE = [
    ("nested 1,000 deep", b'{"v":1,"x":' + b"[" * 1000 + b"]" * 1000 + b"}"),
    ("nested objects", b'{"v":1,"x":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}"),
    ("integer of 5,000 digits", b'{"v":' + b"9" * 5000 + b"}"),
    ("integer of 5,000 digits in a field", b'{"v":1,"request_id":' + b"1" * 5000 + b"}"),
    ("float out of range", b'{"v":1,"counter":1e999999}'),
    ("invalid UTF-8 in a string", b'{"v":1,"message":"\xff"}'),
    ("not an object", b'"just a string"'),
]


@pytest.mark.parametrize(("what", "payload"), HOSTILE, ids=[case[0] for case in HOSTILE])
@pytest.mark.parametrize(
    "parser", [parse_kiosk_request, lambda p: parse(CounterCommand, p), lambda p: parse(RatingVote, p)]
)
def test_hostile_json_is_refused_like_garbage(what: str, payload: bytes, parser):
    with pytest.raises(InvalidMessage) as refused:
        parser(payload)
    assert refused.value.code in (ErrorCode.BAD_JSON, ErrorCode.BAD_REQUEST), what
    assert len(str(refused.value)) < 300  # the reason is a line for a log, not the payload echoed back


def test_deep_nesting_and_huge_numbers_are_bad_json():
    for payload in (HOSTILE[0][1], HOSTILE[2][1]):
        with pytest.raises(InvalidMessage) as refused:
            parse_kiosk_request(payload)
        assert refused.value.code is ErrorCode.BAD_JSON, refused.value


def test_refusing_hostile_json_costs_what_garbage_costs():
    def cost(payload: bytes) -> float:
        started = time.perf_counter()
        for _ in range(1000):
            with pytest.raises(InvalidMessage):
                parse_kiosk_request(payload)
        return time.perf_counter() - started

    garbage = cost(b"x" * 2000)
    hostile = max(cost(HOSTILE[0][1]), cost(HOSTILE[2][1]))
    assert hostile < 0.5, f"1,000 hostile payloads took {hostile:.3f} s"
    assert hostile < 20 * garbage + 0.05, (hostile, garbage)


#: pydantic's datetime markers are classes of their own, not datetime subclasses.
TIME_TYPES = (AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


def _time_checks(annotation: object, metadata: list[object]) -> list[bool]:
    """For each datetime in a field's type: does it go through the contract's UTC time validator?"""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *more = typing.get_args(annotation)
        return _time_checks(base, [*metadata, *more])
    if annotation in TIME_TYPES or (isinstance(annotation, type) and issubclass(annotation, datetime)):
        return [any(isinstance(m, PlainValidator) and m.func is contract._utc_time for m in metadata)]
    return [check for arg in typing.get_args(annotation) for check in _time_checks(arg, [])]


def test_every_time_field_of_every_message_is_a_utc_time():
    """A new field typed AwareDatetime would keep the sender's offset and take Unix times: it must be UtcTime."""
    messages = [m for m in vars(contract).values() if isinstance(m, type) and issubclass(m, Message)]
    times = {
        f"{message.__name__}.{name}": _time_checks(field.annotation, list(field.metadata))
        for message in messages
        for name, field in message.model_fields.items()
    }
    times = {name: checks for name, checks in times.items() if checks}
    assert "RatingVote.pressed_at" in times and "CounterState.rating_open_until" in times
    assert [name for name, checks in times.items() if not all(checks)] == []
    assert _time_checks(AwareDatetime | None, []) == [False]  # what the check catches


def test_times_are_held_in_utc_and_written_with_z_whatever_offset_was_sent():
    hanoi = timezone(timedelta(hours=7))
    vote = parse(RatingVote, _with(VOTE, pressed_at="2026-11-23T08:31:05.25+07:00"))
    assert vote.pressed_at.tzinfo is UTC
    assert json.loads(vote.to_bytes())["pressed_at"] == "2026-11-23T01:31:05.250000Z"
    built = CounterCommand(request_id=uuid.uuid4(), action="next", sent_at=datetime(2026, 11, 23, 8, 20, tzinfo=hanoi))
    assert json.loads(built.to_bytes())["sent_at"] == "2026-11-23T01:20:00Z"  # built in code: the same rule
    assert parse(CounterCommand, built.to_bytes()) == built
    with pytest.raises(ValueError, match="offset"):
        RatingVote(id=uuid.uuid4(), level="neutral", pressed_at=datetime(2026, 11, 23, 8, 31))
