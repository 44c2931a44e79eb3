"""The real coordinator at the edge of the contract: hostile payloads are refused with a code (no traceback, no
reload of the day), and times come back in UTC written with Z whatever offset a device sent."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, timedelta

import pytest
from conftest import VN
from waiting import wait_until

from coordinator.service import CoordinatorService
from motcua.contract import (
    CounterCommand,
    ErrorCode,
    ErrorReply,
    TicketIssued,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.session import Inbound

#: ~2 kB of JSON nested 1,000 deep, and ~5 kB holding an integer of more than 4,300 digits (Python's json module
#: raises RecursionError / ValueError on them, which used to reach the coordinator's "internal" path).
DEEP = b'{"v":1,"kind":"issue","x":' + b"[" * 1000 + b"]" * 1000 + b"}"
HUGE_INT = b'{"v":1,"kind":"issue","request_id":' + b"7" * 5000 + b"}"


@pytest.fixture
def watched(caplog: pytest.LogCaptureFixture, coordinator: CoordinatorService):  # type: ignore[no-untyped-def]
    """The coordinator, with its log captured and every reload of its state counted."""
    caplog.set_level(logging.INFO)
    reloads: list[float] = []
    reload = coordinator._reload

    def counted() -> None:
        reloads.append(time.monotonic())
        reload()

    coordinator._reload = counted  # type: ignore[method-assign]
    return coordinator, reloads


def _assert_no_internal_error(caplog: pytest.LogCaptureFixture, reloads: list[float]) -> None:
    assert reloads == [], "the coordinator reloaded its state for bad input"
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    assert not [r for r in caplog.records if "reloaded" in r.getMessage()]


@pytest.mark.parametrize(("what", "payload"), [("nested 1,000 deep", DEEP), ("5,000-digit integer", HUGE_INT)])
def test_hostile_json_is_bad_json_without_traceback_or_reload(
    watched, sessions, caplog: pytest.LogCaptureFixture, what: str, payload: bytes
):
    coordinator, reloads = watched
    kiosk = sessions("kiosk-1", role="kiosk")
    keypad = sessions("keypad-1", role="keypad")
    topics = kiosk.topics
    reply = parse_kiosk_reply(
        kiosk.request(topics.ticket_request("kiosk-1"), payload, response_topic=topics.ticket_reply("kiosk-1")).payload
    )
    assert isinstance(reply, ErrorReply) and reply.error is ErrorCode.BAD_JSON, (what, reply)
    result = parse_counter_result(
        keypad.request(topics.counter_command(1), payload, response_topic=topics.counter_reply(1)).payload
    )
    assert isinstance(result, ErrorReply) and result.error is ErrorCode.BAD_JSON, (what, result)
    _assert_no_internal_error(caplog, reloads)
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=coordinator.clock.now(), service="ho-tich")
    issued = parse_kiosk_reply(
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1")).payload
    )
    assert isinstance(issued, TicketIssued) and issued.ticket.label == "1001"
    command = CounterCommand(request_id=uuid.uuid4(), action="next", sent_at=coordinator.clock.now())
    called = parse_counter_result(
        keypad.request(topics.counter_command(1), command, response_topic=topics.counter_reply(1)).payload
    )
    assert not isinstance(called, ErrorReply), called


def test_a_thousand_hostile_payloads_are_answered_quickly(watched, sessions, caplog: pytest.LogCaptureFixture):
    coordinator, reloads = watched
    kiosk = sessions("kiosk-1", role="kiosk")
    topics = kiosk.topics
    replies: list[Inbound] = []
    kiosk.subscribe(topics.ticket_reply("kiosk-1"), replies.append)
    started = time.monotonic()
    for i in range(1000):
        kiosk.publish(topics.ticket_request("kiosk-1"), DEEP if i % 2 else HUGE_INT)
    wait_until(lambda: len(replies) >= 1000, timeout=30, what="1,000 replies")
    elapsed = time.monotonic() - started
    codes = {parse_kiosk_reply(r.payload).error for r in replies}  # type: ignore[union-attr]
    assert codes == {ErrorCode.BAD_JSON, ErrorCode.RATE_LIMITED}  # past the kiosk's burst: refused before parsing
    _assert_no_internal_error(caplog, reloads)
    assert elapsed < 10, f"1,000 hostile payloads took {elapsed:.1f} s"
    logging.getLogger(__name__).info("1,000 hostile payloads answered in %.2f s", elapsed)
    coordinator.clock.start += timedelta(seconds=10)  # the kiosk's rate allows a request again
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=coordinator.clock.now(), service="ho-tich")
    issued = parse_kiosk_reply(
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1")).payload
    )
    assert isinstance(issued, TicketIssued)


def test_a_pads_local_time_comes_back_in_utc_with_z(coordinator: CoordinatorService, sessions):
    """The pad stamps presses in the hall's time (+07:00); the rating event and everything else say UTC, Z."""
    pad = sessions("pad-1", role="pad")
    watcher = sessions("admin")
    topics = pad.topics
    events: list[dict] = []
    acks: list[bytes] = []
    watcher.subscribe(topics.events(), lambda i: events.extend(json.loads(i.payload)["events"]))
    pad.subscribe(topics.rating_ack(1), lambda i: acks.append(i.payload))
    pressed = coordinator.clock.now().astimezone(VN)
    vote = {"v": 1, "id": str(uuid.uuid4()), "level": "neutral", "pressed_at": pressed.isoformat()}
    assert vote["pressed_at"].endswith("+07:00")
    pad.publish(topics.rating(1), json.dumps(vote).encode())
    wait_until(lambda: acks, what="the rating's ack")
    rating = wait_until(lambda: [e for e in events if e["kind"] == "rating"], what="the rating event")[0]
    assert rating["at"] == pressed.astimezone(UTC).isoformat().replace("+00:00", "Z")
    times = [e["at"] for e in events]
    assert times and all(t.endswith("Z") for t in times), times
