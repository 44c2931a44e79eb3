"""Calling a chosen waiting ticket (call_ticket), a pause's reason, and the call order the console shows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from conftest import MONDAY_MORNING
from halls import small_hall

from coordinator.engine import QueueEngine, QueueError, TicketStatus, call_order
from motcua.contract import CounterAction, ErrorCode, EventKind, EventReason, PriorityCategory

NOW = MONDAY_MORNING
ELDERLY = PriorityCategory.ELDERLY


def issue(engine: QueueEngine, service: str = "a", minutes: int = 0, priority: PriorityCategory | None = None):
    at = NOW + timedelta(minutes=minutes)
    return engine.issue(at, request_id=str(uuid.uuid4()), service=service, priority=priority)


def test_call_ticket_out_of_order_is_recorded_as_such():
    engine = QueueEngine(small_hall())
    first, second = issue(engine), issue(engine, minutes=1)
    engine.take_changes()
    called = engine.command(NOW + timedelta(minutes=2), 1, CounterAction.CALL_TICKET, ticket_id=second.id)
    assert called is second and second.status is TicketStatus.CALLED and second.counter == 1
    assert first.status is TicketStatus.WAITING
    calls = [e for e in engine.take_changes().events if e.kind is EventKind.CALLED]
    assert [(e.ticket_id, e.reason) for e in calls] == [(second.id, EventReason.OUT_OF_ORDER)]


def test_call_ticket_of_the_next_in_line_is_an_ordinary_call():
    engine = QueueEngine(small_hall())
    first = issue(engine)
    issue(engine, minutes=1)
    engine.take_changes()
    engine.command(NOW + timedelta(minutes=2), 1, CounterAction.CALL_TICKET, ticket_id=first.id)
    calls = [e for e in engine.take_changes().events if e.kind is EventKind.CALLED]
    assert [(e.ticket_id, e.reason) for e in calls] == [(first.id, None)]


def test_call_ticket_finishes_the_ticket_at_the_desk_first():
    engine = QueueEngine(small_hall())
    first, second = issue(engine), issue(engine, minutes=1)
    engine.command(NOW + timedelta(minutes=2), 1, CounterAction.NEXT)
    engine.command(NOW + timedelta(minutes=9), 1, CounterAction.CALL_TICKET, ticket_id=second.id)
    assert first.status is TicketStatus.SERVED
    assert engine.counters[1].serving == second.id


@pytest.mark.parametrize("which", ["other_service", "already_called", "unknown"])
def test_call_ticket_refuses_a_ticket_not_waiting_for_this_counter(which: str):
    engine = QueueEngine(small_hall())
    mine = issue(engine)
    other = issue(engine, "b", minutes=1)
    engine.command(NOW + timedelta(minutes=2), 2, CounterAction.NEXT)  # counter 2 calls `mine`
    target = {"other_service": other.id, "already_called": mine.id, "unknown": "20991231-1"}[which]
    with pytest.raises(QueueError) as refused:
        engine.command(NOW + timedelta(minutes=3), 1, CounterAction.CALL_TICKET, ticket_id=target)
    assert refused.value.code is ErrorCode.NOT_WAITING
    assert engine.counters[2].serving == mine.id  # nothing changed


def test_pause_reason_is_kept_in_the_log():
    engine = QueueEngine(small_hall())
    engine.command(NOW, 1, CounterAction.SIGN_IN, officer="lan")
    engine.take_changes()
    engine.command(NOW, 1, CounterAction.PAUSE, reason="Họp giao ban")
    paused = [e for e in engine.take_changes().events if e.kind is EventKind.PAUSED]
    assert [e.detail for e in paused] == ["Họp giao ban"]


def test_call_order_is_the_order_next_calls_them():
    hall = small_hall(queue={"priority_mode": "interleaved", "priority_ratio": 2})
    engine = QueueEngine(hall)
    tickets = [issue(engine, "a", i, ELDERLY if i in (1, 2, 3) else None) for i in range(6)]
    issue(engine, "b", 7)
    later = NOW + timedelta(minutes=10)
    order = call_order(list(engine.tickets.values()), ("a",), 0, later, hall.queue)
    called = [engine.command(later, 1, CounterAction.NEXT) for _ in tickets]
    assert [t.id for t in order] == [t.id for t in called if t is not None]
    assert [t.label for t in order] == ["1002", "1003", "1001", "1004", "1005", "1006"]
