"""The keypad service in this process, on mock pins, against the real broker and coordinator: what an officer's key
does and what the keypad shows for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SteppedMonotonic
from gpiozero.pins.mock import MockFactory
from waiting import wait_until

from coordinator.service import CoordinatorService
from coordinator.store import Store
from counter_keypad.agent import KeypadAgent
from counter_keypad.config import KeypadConfig
from counter_keypad.hardware import KeypadHardware
from motcua.clock import Clock
from motcua.contract import CounterReply, CounterStatus, TicketRequest
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession

NEXT, RECALL, NO_SHOW = 5, 6, 13
GREEN, RED, BUZZER = 19, 26, 12


@pytest.fixture
def keypads(broker: LocalBroker, clock: Clock, mock_factory: MockFactory, monotonic: SteppedMonotonic):
    """Factory of started keypad agents for counter 1 (stopped at the end)."""
    started: list[KeypadAgent] = []

    def make(request_timeout_s: float = 5.0, **behaviour: Any) -> KeypadAgent:
        config = KeypadConfig.model_validate(
            {
                "device": {"id": "keypad-1", "site": "phuong-hoa-binh"},
                "counter": 1,
                "gpio": {"factory": "mock"},
                "keys": {"next": NEXT, "recall": RECALL, "no_show": NO_SHOW},
                "leds": {"green": GREEN, "red": RED},
                "buzzer": {"pin": BUZZER},
                "keypad": {"hold_s": 0.6, **behaviour},
            }
        )
        settings = broker.settings("keypad-1", request_timeout_s=request_timeout_s)
        session = MqttSession(settings, device="keypad-1", site="phuong-hoa-binh", role="keypad")
        hardware = KeypadHardware(config.keys, config.leds, config.buzzer, pin_factory=mock_factory)
        agent = KeypadAgent(config, session, hardware, clock=clock, monotonic=monotonic)
        agent.start()
        started.append(agent)
        assert session.wait_connected(5)
        return agent

    try:
        yield make
    finally:
        for agent in started:
            agent.stop()


def tap(factory: MockFactory, gpio: int, hold_s: float = 0.0) -> None:
    factory.pin(gpio).drive_low()
    if hold_s:
        time.sleep(hold_s)
    factory.pin(gpio).drive_high()


def issue(sessions: Callable[..., MqttSession], clock: Clock, count: int) -> None:
    kiosk = sessions("kiosk-1", role="kiosk")
    topics = kiosk.topics
    for _ in range(count):
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))


def test_keypad_next_calls_the_next_ticket_and_shows_ok(keypads, coordinator, sessions, clock, mock_factory, monotonic):
    keypad = keypads()
    issue(sessions, clock, 2)
    wait_until(lambda: keypad.status()["counter_status"] is not None)  # the retained state arrived
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["last_feedback"] == "ok")
    status = keypad.status()
    assert (status["serving"], status["showing"], status["pattern"]) == ("1001", "ok", "ok")
    assert mock_factory.pin(GREEN).state == 1.0
    wait_until(lambda: True in [s.state for s in mock_factory.pin(BUZZER).states])  # it beeped
    tap(mock_factory, RECALL)
    wait_until(lambda: keypad.stats["ok"] == 2)
    assert coordinator.engine.tickets["20261123-1001"].recalls == 1
    monotonic.advance(1.5)
    wait_until(lambda: keypad.status()["pattern"] == "ready")  # feedback over: the counter is open


def test_keypad_queue_empty_and_errors_are_shown(keypads, coordinator, mock_factory):
    keypad = keypads()
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["last_feedback"] == "queue_empty")
    assert keypad.status()["leds"] == {"green": "blink x3", "red": "off"}
    tap(mock_factory, NO_SHOW)  # nobody is being served
    wait_until(lambda: keypad.status()["last_feedback"] == "error")
    assert keypad.status()["leds"] == {"green": "off", "red": "blink x6"}
    assert "no_show refused: nothing_serving" in keypad.status()["last_error"]


def test_keypad_hold_next_pauses_then_resumes(keypads, coordinator, sessions, clock, mock_factory, monotonic):
    keypad = keypads(hold_s=2.0)
    issue(sessions, clock, 1)
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["counter_status"] == "open" and keypad.status()["serving"] == "1001")
    mock_factory.pin(NEXT).drive_low()
    monotonic.advance(2.1)  # held past hold_s: the keypad decides while the key is still down
    wait_until(lambda: coordinator.engine.counters[1].status is CounterStatus.PAUSED)
    mock_factory.pin(NEXT).drive_high()
    monotonic.advance(1.5)  # past the "done" feedback
    wait_until(lambda: keypad.status()["pattern"] == "paused")
    # a hold calls nobody; it finishes the citizen at the desk (the officer is taking a break)
    assert keypad.status()["serving"] is None
    assert coordinator.engine.tickets["20261123-1001"].status.value == "served"
    assert keypad.status()["leds"]["green"] == "pulse"
    monotonic.advance(1.0)  # past the repeat guard (1 s): a second hold is a new intent
    mock_factory.pin(NEXT).drive_low()
    monotonic.advance(2.1)
    wait_until(lambda: coordinator.engine.counters[1].status is CounterStatus.OPEN)
    mock_factory.pin(NEXT).drive_high()
    monotonic.advance(1.5)
    wait_until(lambda: keypad.status()["pattern"] == "ready")
    assert keypad.stats["ok"] == 3 and keypad.reader.ignored_repeats == 0


def test_keypad_hold_shorter_than_hold_s_is_a_next(keypads, coordinator, sessions, clock, mock_factory, monotonic):
    keypad = keypads(hold_s=2.0)
    issue(sessions, clock, 2)
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["serving"] == "1001")
    monotonic.advance(1.5)  # past the repeat guard
    mock_factory.pin(NEXT).drive_low()
    monotonic.advance(1.9)  # not quite a hold
    mock_factory.pin(NEXT).drive_high()
    wait_until(lambda: keypad.status()["serving"] == "1002")
    assert coordinator.engine.counters[1].status is CounterStatus.OPEN


@pytest.mark.slow  # waits out paho's reconnect backoff after a broker restart
def test_keypad_press_while_offline_is_refused_and_never_replayed(
    keypads, coordinator, broker, sessions, clock, mock_factory
):
    keypad = keypads(offline_grace_s=0.2)
    issue(sessions, clock, 1)
    broker.stop()
    wait_until(lambda: not keypad.session.connected)
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["last_feedback"] == "not_connected")
    assert keypad.status()["leds"] == {"green": "off", "red": "on"}
    assert keypad.stats["not_connected"] == 1
    wait_until(lambda: keypad.status()["pattern"] == "offline", timeout=5)
    broker.start()
    wait_until(lambda: keypad.session.connected and coordinator.session.connected, timeout=40)
    wait_until(lambda: keypad.status()["pattern"] == "closed")  # nobody has opened the counter yet
    # a command sent now arrives after anything the broker or paho could still have been holding
    tap(mock_factory, RECALL)
    wait_until(lambda: keypad.status()["last_feedback"] == "error")
    assert "recall refused" in keypad.status()["last_error"]
    assert coordinator.engine.counters[1].status is CounterStatus.CLOSED  # the offline "next" called nobody
    assert coordinator.engine.tickets["20261123-1001"].called_at is None


@pytest.mark.slow  # waits out the command window in real time
def test_keypad_no_reply_is_an_error_and_keys_meanwhile_are_ignored(keypads, mock_factory):
    keypad = keypads(request_timeout_s=1.0)  # no coordinator: nobody answers
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.stats["sent"] == 0 and keypad.reader.deadline() is None)
    time.sleep(0.1)  # the worker is now waiting for the reply
    tap(mock_factory, RECALL)
    wait_until(lambda: keypad.status()["last_feedback"] == "error", timeout=5)
    assert "no reply" in keypad.status()["last_error"]
    wait_until(lambda: keypad.stats["ignored_busy"] == 1)
    assert keypad.stats["sent"] == 1  # the recall was not sent after the next timed out


@pytest.mark.slow  # waits out the command window in real time
def test_a_keypad_that_reported_no_reply_never_sees_its_command_applied_later(
    keypads, coordinator, broker, sessions, clock, mock_factory, hall, procedures
):
    """Issue 11.9: a coordinator restarting while the officer presses next. The keypad says "no reply" only after
    its command's deadline, and from then on the command is never applied (not when the coordinator comes back)."""
    keypad = keypads(request_timeout_s=1.0)
    issue(sessions, clock, 1)
    wait_until(lambda: keypad.status()["counter_status"] is not None)
    database = coordinator.store.path
    coordinator.stop()  # its broker session stays: what is published for it now is queued
    pressed = time.monotonic()
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["last_feedback"] == "error", timeout=5)
    assert time.monotonic() - pressed >= 1.0  # not before its deadline
    assert "no reply" in keypad.status()["last_error"]
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    restarted = CoordinatorService(hall, procedures, Store(database), session, clock)
    restarted.start()
    try:
        assert session.wait_connected(5)
        kiosk = sessions("kiosk-2", role="kiosk")  # a round trip through the restarted coordinator: the queue drained
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
        kiosk.request(
            kiosk.topics.ticket_request("kiosk-2"), request, response_topic=kiosk.topics.ticket_reply("kiosk-2")
        )
        time.sleep(0.5)
        assert restarted.engine.tickets["20261123-1001"].called_at is None  # the officer's "failed" press called nobody
        assert restarted.engine.counters[1].serving is None
        assert keypad.state is not None and keypad.state.serving is None
    finally:
        restarted.stop()


@pytest.mark.slow  # waits out the command window in real time
def test_next_again_after_no_reply_does_not_call_a_second_citizen(
    keypads, coordinator, sessions, clock, mock_factory, monkeypatch
):
    """A coordinator stopped between its commit and its reply applied the command, but the keypad said "no reply".
    The officer presses next again: the keypad sends the same command (same request id) and gets the first result;
    nobody else is called and the citizen at the desk is not finished unserved."""
    keypad = keypads(request_timeout_s=2.0)
    issue(sessions, clock, 2)
    wait_until(lambda: keypad.status()["counter_status"] is not None)
    send_reply, lost = coordinator.session.reply, []

    def lose_the_first_counter_reply(request, message, *, topic=None):  # the stop between commit and reply
        if not lost and isinstance(message, CounterReply):
            lost.append(message)
            return
        send_reply(request, message, topic=topic)

    monkeypatch.setattr(coordinator.session, "reply", lose_the_first_counter_reply)
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.status()["last_feedback"] == "error", timeout=5)
    assert coordinator.engine.tickets["20261123-1001"].status.value == "called"  # applied, though "no reply"
    tap(mock_factory, NEXT)
    wait_until(lambda: keypad.stats["ok"] == 1)
    assert keypad.status()["serving"] == "1001"
    assert coordinator.engine.tickets["20261123-1001"].status.value == "called"
    assert coordinator.engine.tickets["20261123-1002"].status.value == "waiting"
