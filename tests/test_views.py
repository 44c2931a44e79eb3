"""The coordinator's views: the engine's state as the messages devices receive (pure, no broker)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from conftest import MONDAY_MORNING
from halls import small_hall

from coordinator import views
from coordinator.engine import AuditEvent, QueueEngine
from motcua.contract import CounterAction, CounterStatus, RatingLevel, RatingOutcome

NOW = MONDAY_MORNING


def engine_with_a_call() -> QueueEngine:
    engine = QueueEngine(small_hall())
    engine.issue(NOW, request_id=str(uuid.uuid4()), service="a")
    engine.issue(NOW, request_id=str(uuid.uuid4()), service="a")
    engine.command(NOW + timedelta(minutes=1), 1, CounterAction.NEXT)
    return engine


def test_ticket_info_counts_the_people_ahead_and_the_counters():
    engine = QueueEngine(small_hall())
    first = engine.issue(NOW, request_id=str(uuid.uuid4()), service="a")
    second = engine.issue(NOW, request_id=str(uuid.uuid4()), service="a")
    info = views.ticket_info(engine, second)
    assert (info.label, info.service_name, info.counters) == ("1002", "Dịch vụ A", [1, 2])
    assert info.people_ahead == 1 and views.ticket_info(engine, first).people_ahead == 0


def test_counter_state_shows_the_ticket_served_and_who_serves_it():
    engine = engine_with_a_call()
    later = NOW + timedelta(minutes=2)
    state = views.counter_state(engine, 1, later)
    assert state.status is CounterStatus.OPEN and state.officer_name == "Nguyễn Thị Lan"
    assert state.serving is not None and state.serving.label == "1001"
    assert state.waiting == 1 and state.updated_at == later


def test_counter_state_shows_the_pause_reason_and_the_next_number_without_calling_it():
    engine = engine_with_a_call()
    later = NOW + timedelta(minutes=2)
    engine.command(later, 1, CounterAction.PAUSE, reason="Họp giao ban")
    state = views.counter_state(engine, 1, later)
    assert state.status is CounterStatus.PAUSED and state.pause_reason == "Họp giao ban"
    assert state.next_label == "1002" and state.serving is None
    assert views.counter_state(engine, 1, later) == state  # pure: asking twice changes nothing
    assert engine.tickets[next(t for t in engine.tickets if engine.tickets[t].label == "1002")].called_at is None
    engine.command(later, 1, CounterAction.RESUME)
    state = views.counter_state(engine, 1, later)
    assert state.status is CounterStatus.OPEN and state.pause_reason is None and state.next_label == "1002"
    engine.command(later, 1, CounterAction.NEXT)
    state = views.counter_state(engine, 1, later)
    assert state.serving is not None and state.serving.label == "1002" and state.next_label is None


def test_board_lists_the_latest_call_every_counter_and_every_service():
    engine = engine_with_a_call()
    board = views.board(engine, NOW + timedelta(minutes=2))
    assert [c.label for c in board.calls] == ["1001"]
    assert [(c.number, c.serving) for c in board.counters] == [(1, "1001"), (2, None), (3, None)]
    assert {s.id: s.waiting for s in board.services} == {"a": 1, "b": 0}


def test_a_call_for_a_ticket_no_longer_in_the_queue_is_not_announced():
    engine = engine_with_a_call()
    call = engine.recent_calls[-1]
    assert views.call_message(engine, call) is not None
    engine.tickets.clear()  # a new business day
    assert views.call_message(engine, call) is None


def test_catalogue_and_hall_event():
    engine = QueueEngine(small_hall())
    catalogue = views.catalogue(engine, [], NOW)
    assert [s.id for s in catalogue.services] == ["a", "b"] and catalogue.hall.site == "test-hall"
    event = AuditEvent(at=NOW, kind="rating", counter=1, ticket_id="x", detail="satisfied counted")
    line = views.hall_event(7, event, rating=RatingLevel.SATISFIED, outcome=RatingOutcome.COUNTED)
    assert (line.seq, line.kind, line.outcome) == (7, "rating", RatingOutcome.COUNTED)
