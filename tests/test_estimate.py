"""The estimated wait (coordinator/estimate.py): the counter schedule and the predictors it was compared with."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from conftest import MONDAY_MORNING
from halls import small_hall

from coordinator import estimate
from coordinator.engine import QueueEngine
from coordinator.estimate import (
    CHANGEOVER_MIN,
    PAUSE_MIN,
    SCHEDULE_LIMIT,
    predict_hol,
    predict_les,
    predict_pooled,
    predict_queue_length,
    predict_schedule,
    remaining_service,
)
from motcua.contract import CounterAction, PriorityCategory

NOW = MONDAY_MORNING
STEP_A = 10 + CHANGEOVER_MIN  # service A's mean in small_hall, plus the changeover
STEP_B = 5 + CHANGEOVER_MIN


def open_hall(*counters: int) -> QueueEngine:
    engine = QueueEngine(small_hall())
    officers = {1: "lan", 2: "minh", 3: "hoa"}
    for number in counters:
        engine.command(NOW, number, CounterAction.SIGN_IN, officer=officers[number])
    return engine


def issue(engine: QueueEngine, service: str = "a", minutes: float = 0, priority: PriorityCategory | None = None):
    return engine.issue(
        NOW + timedelta(minutes=minutes), request_id=str(uuid.uuid4()), service=service, priority=priority
    )


def test_an_idle_counter_means_no_wait():
    """The previous estimator promised half a service (5 min here) to a citizen called at once."""
    engine = open_hall(1)
    ticket = issue(engine)
    assert predict_schedule(engine, "a", ticket=ticket, now=NOW) == 0
    assert engine.estimate("a", ticket=ticket).minutes == 0
    assert predict_pooled(engine, "a", ticket=ticket) == pytest.approx(5)
    assert predict_queue_length(engine, "a", ticket=ticket) == 0


def test_the_citizen_at_the_desk_counts_with_what_remains_of_the_service():
    engine = open_hall(1)
    issue(engine)
    engine.command(NOW, 1, CounterAction.NEXT)
    ticket = issue(engine, minutes=4)
    later = NOW + timedelta(minutes=4)
    remaining = remaining_service(10, 4)
    assert predict_schedule(engine, "a", ticket=ticket, now=later) == pytest.approx(remaining)
    assert 6 < remaining < 10  # less than a whole service, more than the mean minus what passed


def test_remaining_service_of_a_long_service_does_not_reach_zero():
    assert remaining_service(10, 0) == 10
    assert remaining_service(10, 10) > 0.3 * 10  # past the mean: still a good part to go (lognormal tail)
    assert remaining_service(10, 60) > 0
    values = [remaining_service(10, e) for e in (1, 3, 6)]
    assert values == sorted(values, reverse=True)  # early on, each minute spent is a minute less to wait
    assert remaining_service(10, 5, cv=0.01) == pytest.approx(5, abs=0.05)  # nearly fixed times: mean - elapsed


def test_a_counter_serving_two_services_calls_in_issue_order_across_them():
    """Counter 2 serves A and B, counter 3 only B: the B ticket behind three A tickets is called by counter 3."""
    engine = open_hall(2)
    for minute in range(3):
        issue(engine, "a", minutes=minute * 0.1)
    ticket = issue(engine, "b", minutes=0.5)
    assert predict_schedule(engine, "b", ticket=ticket, now=NOW) == pytest.approx(3 * STEP_A)
    engine.command(NOW, 3, CounterAction.SIGN_IN, officer="hoa")
    assert predict_schedule(engine, "b", ticket=ticket, now=NOW) == 0


def test_two_counters_share_the_line():
    engine = open_hall(1, 2)
    tickets = [issue(engine, minutes=m * 0.1) for m in range(5)]
    waits = [predict_schedule(engine, "a", ticket=t, now=NOW) for t in tickets]
    assert waits == pytest.approx([0, 0, STEP_A, STEP_A, 2 * STEP_A])


def test_a_priority_ticket_waits_only_behind_priority_tickets():
    engine = open_hall(1)
    engine.command(NOW, 1, CounterAction.PAUSE)
    for m in range(4):
        issue(engine, minutes=m * 0.1)
    first = issue(engine, minutes=0.5, priority=PriorityCategory.ELDERLY)
    second = issue(engine, minutes=0.6, priority=PriorityCategory.PREGNANT)
    assert predict_schedule(engine, "a", ticket=first, now=NOW) == pytest.approx(PAUSE_MIN)  # the officer's break
    assert predict_schedule(engine, "a", ticket=second, now=NOW) == pytest.approx(PAUSE_MIN + STEP_A)
    assert engine.estimate("a", ticket=second).people_ahead == 1


def test_no_counter_for_the_service_means_no_estimate():
    engine = open_hall(1)
    ticket = issue(engine, "b")
    assert engine.estimate("b", ticket=ticket).minutes is None
    assert predict_schedule(engine, "b", ticket=ticket, now=NOW) is None
    fresh = QueueEngine(small_hall())  # before opening: the configured counters are assumed
    assert fresh.estimate("b", ticket=issue(fresh, "b")).minutes == 0


def test_a_very_long_queue_falls_back_to_the_pooled_formula():
    engine = open_hall(1)
    for m in range(SCHEDULE_LIMIT + 1):
        issue(engine, minutes=m * 0.01)
    assert predict_schedule(engine, "a", now=NOW) == predict_pooled(engine, "a")


def test_the_history_predictors():
    engine = open_hall(1)
    first = issue(engine)
    issue(engine, minutes=1)
    third = issue(engine, minutes=2)
    later = NOW + timedelta(minutes=7)
    assert predict_les(engine, "a") == 0  # nobody called yet
    assert predict_hol(engine, "a", ticket=third, now=later) == pytest.approx(7)  # the first has waited 7 min
    engine.command(later, 1, CounterAction.NEXT)  # the first is called after 7 minutes
    assert predict_les(engine, "a") == pytest.approx(7)
    assert predict_hol(engine, "a", ticket=third, now=later) == pytest.approx(6)
    assert engine.tickets[first.id].first_called_at == later


def test_the_board_estimate_for_a_new_ticket():
    engine = open_hall(1)
    issue(engine)
    engine.command(NOW, 1, CounterAction.NEXT)
    issue(engine, minutes=1)
    # no ticket: the service at the desk is taken as starting at the latest call
    assert engine.estimate("a").minutes == round(remaining_service(10, 0) + STEP_A)
    assert estimate.estimate_wait(engine, "a").people_ahead == 1
