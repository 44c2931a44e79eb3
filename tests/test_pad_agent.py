"""The pad service in this process, on mock pins, against the real broker and coordinator: votes stored before they
are sent, removed on acknowledgement, kept while the broker is down, sent again when unacknowledged, a storm of
1,000 presses recorded press by press."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import STRESS_LIMITS, SteppedMonotonic
from gpiozero.pins.mock import MockFactory
from waiting import wait_until

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import Clock
from motcua.contract import (
    CounterAction,
    CounterCommand,
    CounterReply,
    RatingVote,
    TicketRequest,
    parse,
    parse_counter_result,
)
from motcua.hall import HallConfig
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from rating_buttons.agent import TICK_S, PadAgent
from rating_buttons.config import PadConfig
from rating_buttons.hardware import PadHardware
from rating_buttons.outbox import Outbox

SATISFIED, NEUTRAL, UNSATISFIED = 17, 27, 22


def pad_config(tmp_path: Path, counter: int = 1, **behaviour: Any) -> PadConfig:
    return PadConfig.model_validate(
        {
            "device": {"id": f"pad-{counter}", "site": "phuong-hoa-binh"},
            "counter": counter,
            "outbox": str(tmp_path / f"pad-{counter}-outbox.db"),
            "gpio": {"factory": "mock"},
            "buttons": {"satisfied": SATISFIED, "neutral": NEUTRAL, "unsatisfied": UNSATISFIED},
            "leds": {"satisfied": 23, "neutral": 24, "unsatisfied": 25},
            "pad": behaviour,
        }
    )


@pytest.fixture
def pads(
    broker: LocalBroker,
    hall: HallConfig,
    clock: Clock,
    mock_factory: MockFactory,
    monotonic: SteppedMonotonic,
    tmp_path: Path,
):
    """Factory of started pad agents (stopped at the end)."""
    started: list[PadAgent] = []

    def make(counter: int = 1, **behaviour: Any) -> PadAgent:
        config = pad_config(tmp_path, counter, **behaviour)
        session = MqttSession(
            broker.settings(config.device.id), device=config.device.id, site="phuong-hoa-binh", role="pad"
        )
        hardware = PadHardware(config.buttons, config.leds, pin_factory=mock_factory)
        agent = PadAgent(config, session, hardware, Outbox(config.outbox), clock=clock, monotonic=monotonic)
        agent.start()
        started.append(agent)
        assert session.wait_connected(5)
        return agent

    try:
        yield make
    finally:
        for agent in started:
            agent.stop()


def press(factory: MockFactory, gpio: int) -> None:
    factory.pin(gpio).drive_low()
    factory.pin(gpio).drive_high()


def storm(factory: MockFactory, presses: int) -> None:
    """`presses` presses at 1 kHz through the mock pins, in real time: 0.5 ms down, 0.5 ms up, round-robin over the
    three buttons. Paced from the previous edge, so a thread switch in the test makes it slower, never closer."""
    pins = [factory.pin(gpio) for gpio in (SATISFIED, NEUTRAL, UNSATISFIED)]
    released = time.monotonic() - 1
    for i in range(presses):
        pin = pins[i % 3]
        while time.monotonic() < released + 0.0005:
            pass
        pin.drive_low()
        pressed = time.monotonic()  # read after the edge: the gap below is never shorter than 0.5 ms
        while time.monotonic() < pressed + 0.0005:
            pass
        pin.drive_high()
        released = time.monotonic()


def ratings(store: Store) -> list[sqlite3.Row]:
    db = sqlite3.connect(store.path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM ratings ORDER BY pressed_at, rowid").fetchall()
    finally:
        db.close()


def test_pad_vote_is_acknowledged_and_leaves_the_outbox(pads, coordinator: CoordinatorService, mock_factory, clock):
    pad = pads()
    before = clock.now()
    press(mock_factory, UNSATISFIED)
    wait_until(lambda: pad.status()["pattern"] == "thanks-unsatisfied")
    rows = wait_until(lambda: ratings(coordinator.store))
    wait_until(lambda: len(pad.outbox) == 0 and pad.status()["acks"]["unbound"] == 1)
    (row,) = rows
    assert (row["level"], row["outcome"], row["counter"], row["device"]) == ("unsatisfied", "unbound", 1, "pad-1")
    assert row["pressed_at"] >= before.isoformat()[:19]  # the pad's own time, not the coordinator's


@pytest.mark.parametrize("limits", [STRESS_LIMITS])  # the pad's own classification; the coordinator's rate: below
def test_pad_storm_of_1000_presses_in_a_second_is_1_vote_and_999_misuse(pads, coordinator, mock_factory):
    pad = pads()
    storm(mock_factory, 1000)
    rows = wait_until(lambda: len(ratings(coordinator.store)) == 1000 and ratings(coordinator.store), timeout=30)
    outcomes = [row["outcome"] for row in rows]
    assert outcomes.count("misuse") == 999
    assert outcomes.count("unbound") == 1  # nobody was served: the one real vote is stored as unbound
    assert rows[0]["outcome"] == "unbound" and rows[0]["level"] == "satisfied"
    wait_until(lambda: len(pad.outbox) == 0)
    status = pad.status()
    assert status["presses"]["votes"] == 1 and status["presses"]["misuse"] == 999
    assert status["bounces"] == 0


@pytest.mark.slow  # waits out paho's reconnect backoff after a broker restart
def test_pad_votes_wait_on_disk_while_the_broker_is_down(pads, coordinator, broker, mock_factory):
    pad = pads(offline_grace_s=0.2, lockout_s=0.2)
    broker.stop()
    wait_until(lambda: not pad.session.connected)
    for gpio in (SATISFIED, NEUTRAL, UNSATISFIED):
        press(mock_factory, gpio)
        time.sleep(0.25)  # past the lockout: three votes
    wait_until(lambda: len(pad.outbox) == 3)
    wait_until(lambda: pad.status()["pattern"] == "offline")
    broker.start()
    rows = wait_until(lambda: len(ratings(coordinator.store)) == 3 and ratings(coordinator.store), timeout=40)
    assert [r["level"] for r in rows] == ["satisfied", "neutral", "unsatisfied"]
    assert {r["outcome"] for r in rows} == {"unbound"}
    wait_until(lambda: len(pad.outbox) == 0)
    wait_until(lambda: pad.status()["pattern"] == "idle")


def test_pad_sends_again_until_acknowledged(pads, broker, hall, procedures, clock, mock_factory, monotonic, tmp_path):
    pad = pads(resend_s=15.0)
    # The worker has seen the connection (else that event, handled after the first send, sends the vote once more).
    wait_until(lambda: pad.lights.connected, what="the pad's worker connected")
    press(mock_factory, NEUTRAL)
    wait_until(lambda: pad.status()["presses"]["votes"] == 1 and pad.stats["sent"] == 1, what="the vote sent")
    ((_, payload),) = pad.outbox.pending(10)
    assert parse(RatingVote, payload).device == "pad-1"  # the pad names itself: a tablet may vote on its topic
    monotonic.advance(10.0)  # 5 s of margin for a slow machine
    time.sleep(3 * TICK_S)  # the worker looked at the time a few times: not yet overdue
    assert pad.stats["sent"] == 1
    monotonic.advance(5.0)
    # no coordinator yet: no acknowledgement within resend_s, sent again
    wait_until(lambda: pad.stats["sent"] == 2, what="the vote sent again")
    assert len(pad.outbox) == 1
    session = MqttSession(
        broker.settings("coordinator"), device="coordinator", site="phuong-hoa-binh", role="coordinator"
    )
    service = CoordinatorService(hall, procedures, Store(tmp_path / "coordinator.db"), session, clock)
    service.start()
    try:

        def acknowledged() -> bool:
            monotonic.advance(15.0)  # a resend is due at every look, until one reaches the coordinator
            return len(pad.outbox) == 0

        wait_until(acknowledged, what="the vote acknowledged by the coordinator")
        rows = ratings(service.store)
        assert len(rows) == 1  # sent several times, stored once
        assert rows[0]["level"] == "neutral"
    finally:
        service.stop()


def test_pad_invites_while_the_counter_rating_window_is_open(pads, coordinator, sessions, mock_factory, clock):
    pad = pads(thanks_s=0.5)
    wait_until(lambda: pad.status()["pattern"] == "idle")
    kiosk, keypad = sessions("kiosk-1", role="kiosk"), sessions("keypad-1", role="keypad")
    topics = kiosk.topics
    for _ in range(2):
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))

    def call_next() -> None:
        command = CounterCommand(request_id=uuid.uuid4(), action=CounterAction.NEXT, sent_at=clock.now())
        reply = keypad.request(topics.counter_command(1), command, response_topic=topics.counter_reply(1))
        assert isinstance(parse_counter_result(reply.payload), CounterReply)

    call_next()  # 1001 called: nothing finished yet
    wait_until(lambda: pad.status()["serving"] == "1001")
    assert pad.status()["pattern"] == "idle"
    call_next()  # 1001 finished, 1002 called: rate 1001
    wait_until(lambda: pad.status()["pattern"] == "invite")
    assert pad.status()["rating_open_until"] is not None
    press(mock_factory, SATISFIED)
    rows = wait_until(lambda: ratings(coordinator.store))
    assert (rows[0]["outcome"], rows[0]["ticket_id"]) == ("counted", "20261123-1001")
    wait_until(lambda: pad.status()["rating_open_until"] is None)  # rated: the coordinator closed the window
    wait_until(lambda: pad.status()["pattern"] == "idle", timeout=5)  # after the thanks, idle (not invite)


def test_pad_storm_at_the_coordinators_default_rate_is_stored_a_few_rows_at_a_time(pads, coordinator, mock_factory):
    """Issue 19.3: with the hall's default [limits] a storm is refused as rate_limited past the pad's burst; the pad
    keeps those votes in its outbox (they are not lost) and the database grows by a few rows only."""
    pad = pads()
    storm(mock_factory, 200)
    wait_until(lambda: ratings(coordinator.store), timeout=30)
    time.sleep(1.0)
    assert len(ratings(coordinator.store)) <= coordinator.hall.limits.pad_burst + 1
    assert len(pad.sender.outbox) > 100
