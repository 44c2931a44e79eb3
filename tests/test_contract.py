"""The MQTT contract: topics, message validation, coded errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from motcua.contract import (
    ANY,
    MAX_REQUEST_BYTES,
    CounterAction,
    CounterCommand,
    ErrorCode,
    InvalidMessage,
    RatingVote,
    TicketCancel,
    TicketRequest,
    Topics,
    parse,
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


def test_rating_needs_an_aware_time_and_a_known_level():
    vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=NOW)
    assert parse(RatingVote, vote.to_bytes()).level == "satisfied"
    for bad in ({"level": "great"}, {"pressed_at": "2026-11-23 08:00"}):
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
