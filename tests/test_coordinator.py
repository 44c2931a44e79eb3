"""The coordinator end to end through the real broker: tickets, counters, calls, board, ratings, bad input."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from waiting import wait_until

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.contract import (
    Board,
    Call,
    Catalogue,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorReply,
    RatingAck,
    RatingVote,
    TicketCancel,
    TicketCancelled,
    TicketIssued,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.errors import ConfigError, RequestTimeoutError
from motcua.session import Inbound, MqttSession


class Hall:
    """Devices of the sample hall talking to the coordinator fixture."""

    def __init__(self, sessions: Callable[..., MqttSession], coordinator: CoordinatorService) -> None:
        self.coordinator = coordinator
        self.clock = coordinator.clock
        self.kiosk = sessions("kiosk-1", role="kiosk")
        self.topics = self.kiosk.topics
        self._keypads: dict[int, MqttSession] = {}
        self._pads: dict[int, MqttSession] = {}
        self.sessions = sessions
        self.acks: list[RatingAck] = []

    def ticket(self, service: str | None = "ho-tich", **fields: Any) -> TicketIssued | ErrorReply:
        request = TicketRequest(
            request_id=fields.pop("request_id", uuid.uuid4()), sent_at=self.clock.now(), service=service, **fields
        )
        return self.kiosk_request(request.to_bytes())

    def kiosk_request(self, payload: bytes) -> Any:
        reply = self.kiosk.request(
            self.topics.ticket_request("kiosk-1"), payload, response_topic=self.topics.ticket_reply("kiosk-1")
        )
        return parse_kiosk_reply(reply.payload)

    def keypad(self, counter: int) -> MqttSession:
        if counter not in self._keypads:
            self._keypads[counter] = self.sessions(f"keypad-{counter}", role="keypad")
        return self._keypads[counter]

    def press(self, counter: int, action: str, **fields: Any) -> CounterReply | ErrorReply:
        command = CounterCommand(
            request_id=uuid.uuid4(), action=action, sent_at=fields.pop("sent_at", self.clock.now()), **fields
        )
        session = self.keypad(counter)
        reply = session.request(
            self.topics.counter_command(counter), command, response_topic=self.topics.counter_reply(counter)
        )
        return parse_counter_result(reply.payload)

    def rate(self, counter: int, level: str, *, pressed_at=None, misuse: bool = False, vote_id=None) -> RatingAck:
        if counter not in self._pads:
            pad = self.sessions(f"pad-{counter}", role="pad")
            pad.subscribe(
                self.topics.rating_ack(counter), lambda i: self.acks.append(RatingAck.model_validate_json(i.payload))
            )
            self._pads[counter] = pad
        vote = RatingVote(
            id=vote_id or uuid.uuid4(), level=level, pressed_at=pressed_at or self.clock.now(), misuse=misuse
        )
        already = sum(1 for a in self.acks if a.id == vote.id)
        self._pads[counter].publish(self.topics.rating(counter), vote)
        acks = wait_until(lambda: [a for a in self.acks if a.id == vote.id][already:])
        return acks[0]

    def db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.coordinator.store.path)
        db.row_factory = sqlite3.Row
        return db


@pytest.fixture
def hall_devices(sessions, coordinator) -> Hall:
    return Hall(sessions, coordinator)


def test_a_ticket_is_issued_numbered_and_stored(hall_devices: Hall):
    first = hall_devices.ticket("ho-tich")
    second = hall_devices.ticket("ho-tich")
    assert isinstance(first, TicketIssued) and isinstance(second, TicketIssued)
    assert (first.ticket.label, second.ticket.label) == ("1001", "1002")
    assert first.ticket.service_name == "Hộ tịch – Nuôi con nuôi"
    assert first.ticket.counters == [1, 2]
    assert second.ticket.people_ahead == 1 and second.ticket.estimated_wait_min is not None
    rows = hall_devices.db().execute("SELECT label, status, kiosk FROM tickets ORDER BY seq").fetchall()
    assert [tuple(r) for r in rows] == [("1001", "waiting", "kiosk-1"), ("1002", "waiting", "kiosk-1")]


def test_a_ticket_for_a_scanned_procedure_goes_to_its_service(hall_devices: Hall):
    reply = hall_devices.ticket(None, procedure="1.001193")
    assert isinstance(reply, TicketIssued)
    assert reply.ticket.service == "ho-tich" and reply.ticket.procedure == "1.001193"


def test_asking_twice_returns_the_same_ticket_and_cancel_refuses_it_later(hall_devices: Hall):
    request_id = uuid.uuid4()
    first = hall_devices.ticket(request_id=request_id)
    again = hall_devices.ticket(request_id=request_id)
    assert isinstance(first, TicketIssued) and isinstance(again, TicketIssued)
    assert first.ticket.id == again.ticket.id
    cancelled = hall_devices.kiosk_request(TicketCancel(request_id=request_id, reason="out_of_paper").to_bytes())
    assert isinstance(cancelled, TicketCancelled) and cancelled.ticket_id == first.ticket.id
    refused = hall_devices.ticket(request_id=request_id)
    assert isinstance(refused, ErrorReply) and refused.error == "request_cancelled"
    status = hall_devices.db().execute("SELECT status FROM tickets WHERE id = ?", (first.ticket.id,)).fetchone()[0]
    assert status == "cancelled"


def test_a_cancel_after_the_ticket_was_called_is_refused_and_the_ticket_is_served_as_usual(hall_devices: Hall):
    request_id = uuid.uuid4()
    issued = hall_devices.ticket(request_id=request_id)
    assert isinstance(issued, TicketIssued)
    hall_devices.press(1, "next")
    refused = hall_devices.kiosk_request(TicketCancel(request_id=request_id, reason="timeout").to_bytes())
    assert isinstance(refused, ErrorReply) and refused.error == "already_called"
    assert refused.request_id == request_id  # the kiosk can match the refusal to its cancel
    db = hall_devices.db()
    assert db.execute("SELECT status FROM tickets WHERE id = ?", (issued.ticket.id,)).fetchone()[0] == "called"
    assert db.execute("SELECT COUNT(*) FROM cancelled_requests").fetchone()[0] == 0
    finished = hall_devices.press(1, "finish")
    assert isinstance(finished, CounterReply) and finished.state.last_finished == issued.ticket.id
    assert hall_devices.rate(1, "satisfied").outcome == "counted"  # a real ticket, rated like any other


def test_next_calls_publishes_state_call_and_board(hall_devices: Hall, sessions):
    display = sessions("display-1", role="display")
    calls: list[Call] = []
    boards: list[Board] = []
    display.subscribe(hall_devices.topics.call(), lambda i: calls.append(Call.model_validate_json(i.payload)))
    display.subscribe(hall_devices.topics.board(), lambda i: boards.append(Board.model_validate_json(i.payload)))
    issued = hall_devices.ticket("ho-tich")
    assert isinstance(issued, TicketIssued)
    reply = hall_devices.press(1, "next")
    assert isinstance(reply, CounterReply)
    assert reply.state.serving is not None and reply.state.serving.label == "1001"
    assert reply.state.officer == "nguyen-thi-lan" and reply.state.officer_name == "Nguyễn Thị Lan"
    call = wait_until(lambda: calls and calls[-1])
    assert (call.label, call.counter, call.recall, call.counter_name) == ("1001", 1, 0, "Quầy 1")
    board = wait_until(lambda: next((b for b in reversed(boards) if b.calls), None))
    assert board.calls[0].label == "1001"
    assert next(c for c in board.counters if c.number == 1).serving == "1001"
    states: list[CounterState] = []
    keypad = hall_devices.keypad(1)
    keypad.subscribe(
        hall_devices.topics.counter_state(1), lambda i: states.append(CounterState.model_validate_json(i.payload))
    )
    wait_until(lambda: states and states[-1].serving and states[-1].serving.label == "1001")
    hall_devices.press(1, "recall")
    wait_until(lambda: [c.recall for c in calls] == [0, 1])


def send_command(hall_devices: Hall, counter: int, payload: bytes) -> CounterReply | ErrorReply:
    reply = hall_devices.keypad(counter).request(
        hall_devices.topics.counter_command(counter), payload, response_topic=hall_devices.topics.counter_reply(counter)
    )
    return parse_counter_result(reply.payload)


def test_the_same_counter_command_twice_acts_once_even_across_a_restart(
    hall_devices: Hall, broker, hall, procedures, clock
):
    """Issue 11.8: the same `next` (same bytes: a QoS 1 redelivery or a resend) must not call a second citizen and
    finish the first unserved."""
    first, second = hall_devices.ticket(), hall_devices.ticket()
    assert isinstance(first, TicketIssued) and isinstance(second, TicketIssued)
    command = CounterCommand(request_id=uuid.uuid4(), action="next", sent_at=hall_devices.clock.now()).to_bytes()
    replies = [send_command(hall_devices, 1, command) for _ in range(2)]
    assert isinstance(replies[0], CounterReply) and replies[0].state.serving
    assert replies[0].state.serving.label == first.ticket.label
    assert replies[1] == replies[0]  # the first reply, sent again
    db = hall_devices.db()
    statuses = dict(db.execute("SELECT label, status FROM tickets").fetchall())
    assert statuses == {first.ticket.label: "called", second.ticket.label: "waiting"}
    assert db.execute("SELECT COUNT(*) FROM events WHERE kind = 'called'").fetchone()[0] == 1
    hall_devices.coordinator.stop()
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    restarted = CoordinatorService(hall, procedures, Store(hall_devices.coordinator.store.path), session, clock)
    restarted.start()
    try:
        assert send_command(hall_devices, 1, command) == replies[0]  # durable: still the first reply
        assert restarted.engine.tickets[second.ticket.id].status.value == "waiting"
        assert restarted.engine.tickets[first.ticket.id].status.value == "called"
        # a refusal is an answer too: the same command again is not run again, even once it would succeed
        no_show = CounterCommand(request_id=uuid.uuid4(), action="no_show", sent_at=clock.now()).to_bytes()
        refusal = send_command(hall_devices, 1, no_show)
        assert isinstance(refusal, ErrorReply) and refusal.error == "recalls_required"
        assert isinstance(hall_devices.press(1, "recall"), CounterReply)
        assert send_command(hall_devices, 1, no_show) == refusal
        assert restarted.engine.tickets[first.ticket.id].status.value == "called"
    finally:
        restarted.stop()


def test_queue_empty_and_nothing_serving_are_coded_errors(hall_devices: Hall):
    empty = hall_devices.press(1, "next")
    assert isinstance(empty, ErrorReply) and empty.error == "queue_empty"
    idle = hall_devices.press(1, "recall")
    assert isinstance(idle, ErrorReply) and idle.error == "nothing_serving"


def test_stale_keypad_commands_are_refused(hall_devices: Hall):
    hall_devices.ticket()
    late = hall_devices.press(1, "next", sent_at=hall_devices.clock.now() - timedelta(minutes=5))
    assert isinstance(late, ErrorReply) and late.error == "stale_command"
    assert hall_devices.db().execute("SELECT COUNT(*) FROM tickets WHERE status = 'called'").fetchone()[0] == 0


def test_a_command_past_its_deadline_is_not_applied(hall_devices: Hall):
    hall_devices.ticket()
    now = hall_devices.clock.now()
    late = hall_devices.press(1, "next", sent_at=now - timedelta(seconds=3), deadline=now - timedelta(seconds=1))
    assert isinstance(late, ErrorReply) and late.error == "stale_command"
    # less than the clock tolerance left: the device may already have given up (its clock may be ahead of ours)
    close = hall_devices.press(1, "next", sent_at=now - timedelta(seconds=4), deadline=now + timedelta(seconds=0.5))
    assert isinstance(close, ErrorReply) and close.error == "stale_command"
    ahead = hall_devices.press(1, "next", sent_at=now + timedelta(seconds=3), deadline=now + timedelta(seconds=8))
    assert isinstance(ahead, ErrorReply) and ahead.error == "stale_command"  # the keypad's clock is off: refuse
    assert hall_devices.db().execute("SELECT COUNT(*) FROM tickets WHERE status = 'called'").fetchone()[0] == 0
    fresh = hall_devices.press(1, "next", deadline=hall_devices.clock.now() + timedelta(seconds=5))
    assert isinstance(fresh, CounterReply) and fresh.state.serving is not None


def test_a_command_refused_as_late_was_not_run_and_may_be_sent_again_under_its_id(hall_devices: Hall):
    hall_devices.ticket()
    request_id, now = uuid.uuid4(), hall_devices.clock.now()
    late = CounterCommand(request_id=request_id, action="next", sent_at=now - timedelta(seconds=6), deadline=now)
    refused = send_command(hall_devices, 1, late.to_bytes())
    assert isinstance(refused, ErrorReply) and refused.error == "stale_command"
    again = CounterCommand(request_id=request_id, action="next", sent_at=now, deadline=now + timedelta(seconds=5))
    applied = send_command(hall_devices, 1, again.to_bytes())
    assert isinstance(applied, CounterReply) and applied.state.serving is not None
    assert send_command(hall_devices, 1, late.to_bytes()) == applied  # from now on: the reply it got


def test_a_command_without_a_deadline_follows_the_age_rule(hall_devices: Hall):
    """Older clients (no ``deadline``): ``sent_at`` within ``queue.max_request_age_s`` (10 s)."""
    hall_devices.ticket()
    old = hall_devices.press(1, "next", sent_at=hall_devices.clock.now() - timedelta(seconds=8))
    assert isinstance(old, CounterReply) and old.state.serving is not None


def test_ratings_counted_duplicate_misuse_and_unbound(hall_devices: Hall):
    unbound = hall_devices.rate(1, "satisfied")
    assert unbound.outcome == "unbound" and unbound.ticket_id is None
    issued = hall_devices.ticket()
    assert isinstance(issued, TicketIssued)
    hall_devices.press(1, "next")
    finish = hall_devices.press(1, "finish")
    assert isinstance(finish, CounterReply) and finish.state.rating_open_until is not None
    vote_id = uuid.uuid4()
    counted = hall_devices.rate(1, "satisfied", vote_id=vote_id)
    assert counted.outcome == "counted" and counted.ticket_id == issued.ticket.id
    again = hall_devices.rate(1, "satisfied", vote_id=vote_id)
    assert again.outcome == "duplicate"
    second = hall_devices.rate(1, "unsatisfied")
    assert second.outcome == "misuse" and second.ticket_id == issued.ticket.id
    storm = hall_devices.rate(1, "neutral", misuse=True)
    assert storm.outcome == "misuse"
    rows = hall_devices.db().execute("SELECT outcome, officer, service FROM ratings ORDER BY received_at").fetchall()
    assert [r["outcome"] for r in rows] == ["unbound", "counted", "misuse", "misuse"]
    assert rows[1]["officer"] == "nguyen-thi-lan" and rows[1]["service"] == "ho-tich"
    state = hall_devices.press(1, "pause")
    assert isinstance(state, CounterReply) and state.state.rating_open_until is None  # rated: stop inviting


def test_a_vote_delivered_late_rates_the_ticket_served_when_it_was_pressed(hall_devices: Hall):
    first = hall_devices.ticket()
    second = hall_devices.ticket()
    assert isinstance(first, TicketIssued) and isinstance(second, TicketIssued)
    hall_devices.press(1, "next")
    hall_devices.press(1, "finish")
    pressed = hall_devices.clock.now()
    hall_devices.press(1, "next")  # the next citizen is called before the vote arrives
    hall_devices.press(1, "finish")
    late = hall_devices.rate(1, "neutral", pressed_at=pressed)
    assert late.outcome == "counted" and late.ticket_id == first.ticket.id


def test_bad_input_gets_an_error_and_the_coordinator_keeps_serving(hall_devices: Hall):
    cases = {
        b"{not json": "bad_json",
        json.dumps({"v": 1, "kind": "issue", "request_id": "x", "service": "ho-tich"}).encode(): "bad_request",
        json.dumps(
            {
                "v": 1,
                "kind": "issue",
                "request_id": str(uuid.uuid4()),
                "sent_at": hall_devices.clock.now().isoformat(),
                "service": "no-such-service",
            }
        ).encode(): "unknown_service",
        json.dumps(
            {
                "v": 1,
                "kind": "issue",
                "request_id": str(uuid.uuid4()),
                "sent_at": hall_devices.clock.now().isoformat(),
                "procedure": "9.999999",
            }
        ).encode(): "unknown_procedure",
        b'{"v":1,"padding":"' + b"x" * 20000 + b'"}': "too_large",
        b"\x00\x01\x02binary": "bad_json",
    }
    for payload, code in cases.items():
        reply = hall_devices.kiosk_request(payload)
        assert isinstance(reply, ErrorReply) and reply.error == code, (payload[:40], reply)
    assert isinstance(hall_devices.ticket(), TicketIssued)
    assert hall_devices.db().execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1  # no phantom ticket


def test_unknown_counter_and_unknown_kiosk(hall_devices: Hall, sessions):
    admin = sessions("admin")
    command = CounterCommand(request_id=uuid.uuid4(), action="next", sent_at=hall_devices.clock.now())
    reply = parse_counter_result(
        admin.request(
            hall_devices.topics.counter_command(99), command, response_topic=hall_devices.topics.counter_reply(99)
        ).payload
    )
    assert isinstance(reply, ErrorReply) and reply.error == "unknown_counter"
    rogue = sessions("coordinator-rogue-test", username="coordinator")
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=hall_devices.clock.now(), service="ho-tich")
    answer = rogue.request(
        hall_devices.topics.ticket_request("ghost"), request, response_topic=hall_devices.topics.ticket_reply("ghost")
    )
    assert parse_kiosk_reply(answer.payload).error == "unknown_device"


def test_replies_go_to_the_contracts_topic_whatever_response_topic_is_asked(hall_devices: Hall, sessions):
    """A kiosk must not make the (all-powerful) coordinator publish on a topic of its choosing."""
    display = sessions("display-1", role="display")
    boards: list[bytes] = []
    display.subscribe(hall_devices.topics.board(), lambda i: boards.append(i.payload))
    wait_until(lambda: boards)
    replies: list[Inbound] = []
    listener = sessions("admin")
    listener.subscribe(hall_devices.topics.ticket_reply("kiosk-1"), replies.append)
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=hall_devices.clock.now(), service="ho-tich")
    with pytest.raises(RequestTimeoutError):
        hall_devices.kiosk.request(
            hall_devices.topics.ticket_request("kiosk-1"),
            request,
            response_topic=hall_devices.topics.board(),
            timeout=1,
        )
    reply = wait_until(lambda: replies and replies[-1])
    assert isinstance(parse_kiosk_reply(reply.payload), TicketIssued)
    for payload in boards:  # only the coordinator's own boards were ever published there
        Board.model_validate_json(payload)


def test_the_catalogue_is_retained_for_kiosks(hall_devices: Hall, procedures):
    got: list[Catalogue] = []
    hall_devices.kiosk.subscribe(
        hall_devices.topics.catalogue(), lambda i: got.append(Catalogue.model_validate_json(i.payload))
    )
    catalogue = wait_until(lambda: got and got[-1])
    assert len(catalogue.procedures) == len(procedures)
    assert {s.id for s in catalogue.services} >= {"ho-tich", "chung-thuc"}
    assert catalogue.services[0].opening_hours and "Thứ Hai" in catalogue.services[0].opening_hours
    assert all(s.open_now for s in catalogue.services)  # Monday 08:00


def test_events_are_published_in_order_for_the_province(hall_devices: Hall, sessions):
    admin = sessions("admin")
    events: list[dict] = []
    admin.subscribe(hall_devices.topics.events(), lambda i: events.extend(json.loads(i.payload)["events"]))
    hall_devices.ticket()
    hall_devices.press(1, "next")
    kinds = wait_until(lambda: [e["kind"] for e in events] if len(events) >= 3 else None)
    assert kinds[:3] == ["issued", "sign_in", "called"]
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_events_go_out_promptly_after_their_commit_and_a_burst_is_a_few_whole_batches(hall_devices: Hall, sessions):
    """Issue 11.4: the province gets each commit's events right after it (no second of delay), in order, complete;
    a burst of tickets is a few EventBatch messages, not one per ticket."""
    admin = sessions("admin")
    batches: list[tuple[float, list[dict]]] = []
    admin.subscribe(
        hall_devices.topics.events(), lambda i: batches.append((time.monotonic(), json.loads(i.payload)["events"]))
    )
    time.sleep(0.5)  # the start-up events are out; the hall is calm
    for act, kind in ((hall_devices.ticket, "issued"), (lambda: hall_devices.press(1, "next"), "called")):
        start = time.monotonic()
        act()  # two commits in a row: the second does not wait a second behind the first

        def arrived(kind: str = kind) -> float | None:
            return next((t for t, b in batches if any(e["kind"] == kind for e in b)), None)

        assert wait_until(arrived, timeout=2) - start < 0.7, kind
    batches.clear()
    kiosk = hall_devices.kiosk
    burst = 300
    for _ in range(burst):  # as fast as a client can publish: the coordinator commits them in groups
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=hall_devices.clock.now(), service="chung-thuc")
        kiosk.publish(hall_devices.topics.ticket_request("kiosk-1"), request)
    events = wait_until(lambda: (e := [e for _, b in batches for e in b]) and len(e) >= burst and e, timeout=30)
    assert [e["kind"] for e in events] == ["issued"] * burst
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + burst))  # in order, none missing, none twice
    print(f"{burst} tickets: {len(batches)} EventBatch messages")
    assert len(batches) <= 20, len(batches)  # a few messages, not one per ticket


def test_a_restarted_coordinator_continues_where_it_stopped(
    hall_devices: Hall, broker, hall, procedures, clock, tmp_path
):
    hall_devices.ticket()
    hall_devices.ticket()
    hall_devices.press(1, "next")
    database = hall_devices.coordinator.store.path
    hall_devices.coordinator.stop()
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    restarted = CoordinatorService(hall, procedures, Store(database), session, clock)
    restarted.start()
    try:
        third = hall_devices.ticket()
        assert isinstance(third, TicketIssued) and third.ticket.label == "1003"
        assert third.ticket.people_ahead == 1  # 1002 still waits; 1001 is at counter 1
        state = hall_devices.press(1, "next")
        assert isinstance(state, CounterReply) and state.state.serving and state.state.serving.label == "1002"
    finally:
        restarted.stop()


def test_a_pause_reason_and_the_next_number_are_in_the_counter_state_and_survive_a_restart(
    hall_devices: Hall, broker, hall, procedures, clock
):
    hall_devices.ticket()
    hall_devices.ticket()
    hall_devices.press(1, "next")
    paused = hall_devices.press(1, "pause", reason="Họp giao ban")
    assert isinstance(paused, CounterReply)
    assert (paused.state.pause_reason, paused.state.next_label) == ("Họp giao ban", "1002")
    database = hall_devices.coordinator.store.path
    hall_devices.coordinator.stop()
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    restarted = CoordinatorService(hall, procedures, Store(database), session, clock)
    restarted.start()
    try:
        assert restarted.engine.counters[1].pause_reason == "Họp giao ban"
        resumed = hall_devices.press(1, "resume")
        assert isinstance(resumed, CounterReply) and resumed.state.pause_reason is None
        assert resumed.state.next_label == "1002"
    finally:
        restarted.stop()


def test_a_database_of_another_hall_is_refused(tmp_path, hall):
    store = Store(tmp_path / "c.db")
    store.claim("xa-an-binh")
    with pytest.raises(ConfigError, match="database of hall 'xa-an-binh', not 'phuong-hoa-binh'"):
        store.claim(hall.hall.site)


def test_every_vote_is_answered_a_vote_for_an_unknown_counter_is_rejected_and_kept(hall_devices: Hall, sessions):
    """Issue 11.5: a vote that cannot be judged gets an ack (else a pad resends it forever), is kept, never counted."""
    rogue = sessions("coordinator-rogue-vote", username="coordinator")
    acks: list[RatingAck] = []
    rogue.subscribe(hall_devices.topics.rating_ack(99), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=hall_devices.clock.now())
    for _ in range(2):  # the pad resends: answered again, kept once
        rogue.publish(hall_devices.topics.rating(99), vote)
    wait_until(lambda: len(acks) == 2)
    assert all(a.id == vote.id and a.outcome == "rejected" and a.reason == "unknown_counter" for a in acks)
    db = hall_devices.db()
    rows = db.execute("SELECT id, counter, reason FROM rejected_ratings").fetchall()
    assert [tuple(r) for r in rows] == [(str(vote.id), "99", "unknown_counter")]
    assert db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0  # what reports read: never counted
    assert isinstance(hall_devices.ticket(), TicketIssued)  # and the coordinator goes on


def test_a_malformed_vote_is_answered_with_what_can_be_read(hall_devices: Hall, sessions):
    pad = sessions("pad-1", role="pad")
    acks: list[RatingAck] = []
    pad.subscribe(hall_devices.topics.rating_ack(1), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    vote_id = uuid.uuid4()
    wrong_level = {"v": 1, "id": str(vote_id), "level": "great", "pressed_at": hall_devices.clock.now().isoformat()}
    pad.publish(hall_devices.topics.rating(1), json.dumps(wrong_level).encode())
    pad.publish(hall_devices.topics.rating(1), b"{not json")
    pad.publish(hall_devices.topics.rating(1), b'{"v": 1, "id": "not-a-uuid", "level": "satisfied"}')
    wait_until(lambda: len(acks) == 3)
    assert (acks[0].id, acks[0].outcome, acks[0].reason) == (vote_id, "rejected", "bad_request")
    assert (acks[1].id, acks[1].outcome, acks[1].reason) == (None, "rejected", "bad_json")  # no id to answer to
    assert (acks[2].id, acks[2].outcome, acks[2].reason) == (None, "rejected", "bad_request")
    db = hall_devices.db()
    reasons = [tuple(r) for r in db.execute("SELECT id, counter, reason FROM rejected_ratings ORDER BY seq")]
    assert reasons[:2] == [(str(vote_id), "1", "bad_request"), (None, "1", "bad_json")] and len(reasons) == 3
    assert db.execute("SELECT payload FROM rejected_ratings WHERE reason = 'bad_json'").fetchone()[0] == b"{not json"
    assert db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0


def test_a_dossier_code_given_with_finish_or_next_is_stored_on_the_ticket_finished(hall_devices: Hall):
    first, second = hall_devices.ticket(), hall_devices.ticket()
    assert isinstance(first, TicketIssued) and isinstance(second, TicketIssued)
    hall_devices.press(1, "next")
    called = hall_devices.press(1, "next", dossier_code="000.00.12.H49-261123-0007")
    assert isinstance(called, CounterReply) and called.state.serving is not None
    assert called.state.serving.id == second.ticket.id  # the code went to the ticket finished, not the one called
    finished = hall_devices.press(1, "finish", dossier_code="H49.22-261123-0008")
    assert isinstance(finished, CounterReply) and finished.state.serving is None
    rows = hall_devices.db().execute("SELECT id, status, dossier_code FROM tickets ORDER BY seq").fetchall()
    assert [tuple(r) for r in rows] == [
        (first.ticket.id, "served", "000.00.12.H49-261123-0007"),
        (second.ticket.id, "served", "H49.22-261123-0008"),
    ]
    idle = hall_devices.press(1, "finish", dossier_code="H49.22-261123-0009")
    assert isinstance(idle, ErrorReply) and idle.error == "nothing_serving"


def test_a_dossier_code_with_control_characters_or_on_another_action_is_refused(hall_devices: Hall):
    hall_devices.ticket()
    hall_devices.press(1, "next")
    base = {"v": 1, "request_id": str(uuid.uuid4()), "sent_at": hall_devices.clock.now().isoformat()}
    session = hall_devices.keypad(1)
    for fields in (
        {"action": "finish", "dossier_code": "H49\x1b[2J-0007"},
        {"action": "finish", "dossier_code": "H" * 65},
        {"action": "recall", "dossier_code": "H49-0007"},
    ):
        reply = session.request(
            hall_devices.topics.counter_command(1),
            json.dumps(base | fields).encode(),
            response_topic=hall_devices.topics.counter_reply(1),
        )
        refused = parse_counter_result(reply.payload)
        assert isinstance(refused, ErrorReply) and refused.error == "bad_request", fields
        assert "dossier_code" in refused.message
    row = hall_devices.db().execute("SELECT status, dossier_code FROM tickets").fetchone()
    assert tuple(row) == ("called", None)
