"""The queue engine: numbering, choosing the next ticket, counter actions, day rollover, estimates."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from conftest import MONDAY_MORNING, VN
from halls import small_hall

from coordinator.engine import QueueEngine, QueueError, TicketStatus, is_open
from coordinator.estimate import CHANGEOVER_MIN
from motcua.contract import CounterAction, CounterStatus, ErrorCode, EventKind, EventReason, PriorityCategory
from motcua.hall import OpeningHours

NOW = MONDAY_MORNING
ELDERLY = PriorityCategory.ELDERLY


def rid() -> str:
    return str(uuid.uuid4())


def issue(engine: QueueEngine, service: str = "a", at: datetime = NOW, priority: PriorityCategory | None = None):
    return engine.issue(at, request_id=rid(), service=service, priority=priority)


def call(engine: QueueEngine, counter: int, at: datetime = NOW):
    return engine.command(at, counter, CounterAction.NEXT)


def test_numbers_start_at_the_series_and_increase():
    engine = QueueEngine(small_hall())
    labels = [issue(engine).label for _ in range(3)] + [issue(engine, "b").label]
    assert labels == ["1001", "1002", "1003", "2001"]


def test_labels_are_padded_and_prefixed():
    hall = small_hall()
    services = [
        hall.services[0].model_copy(update={"prefix": "A", "first_number": 1, "last_number": 999}),
        hall.services[1],
    ]
    engine = QueueEngine(hall.model_copy(update={"services": services}))
    assert issue(engine).label == "A001"


def test_series_exhausted_is_refused_not_wrapped():
    engine = QueueEngine(small_hall())
    for _ in range(3):
        issue(engine, "b")
    with pytest.raises(QueueError) as refused:
        issue(engine, "b")
    assert refused.value.code is ErrorCode.SERIES_EXHAUSTED


def test_same_request_id_returns_the_same_ticket():
    engine = QueueEngine(small_hall())
    request = rid()
    first = engine.issue(NOW, request_id=request, service="a")
    again = engine.issue(NOW, request_id=request, service="a")
    assert again is first
    assert len(engine.tickets) == 1


def test_cancelled_request_cancels_its_ticket_and_is_never_issued_later():
    engine = QueueEngine(small_hall())
    request = rid()
    ticket = engine.issue(NOW, request_id=request, service="a")
    assert engine.cancel(NOW, request_id=request, reason="print_failed") is ticket
    assert ticket.status is TicketStatus.CANCELLED
    with pytest.raises(QueueError) as refused:
        engine.issue(NOW, request_id=request, service="a")
    assert refused.value.code is ErrorCode.REQUEST_CANCELLED


def test_a_cancel_after_the_ticket_was_called_is_refused_and_the_ticket_stands():
    engine = QueueEngine(small_hall())
    request = rid()
    ticket = engine.issue(NOW, request_id=request, service="a")
    call(engine, 1)
    engine.take_changes()
    with pytest.raises(QueueError) as refused:
        engine.cancel(NOW, request_id=request, reason="timeout")
    assert refused.value.code is ErrorCode.ALREADY_CALLED
    assert ticket.status is TicketStatus.CALLED and engine.counters[1].serving == ticket.id
    assert request not in engine.cancelled_requests and not engine.take_changes()  # nothing changed
    assert engine.issue(NOW, request_id=request, service="a") is ticket  # the kiosk may still ask for it again
    engine.command(NOW, 1, CounterAction.TRANSFER, service="b")  # waiting again, but it was called once
    with pytest.raises(QueueError):
        engine.cancel(NOW, request_id=request, reason="timeout")


def test_cancel_before_the_request_arrives_refuses_the_late_request():
    engine = QueueEngine(small_hall())
    request = rid()
    assert engine.cancel(NOW, request_id=request, reason="timeout") is None
    with pytest.raises(QueueError):
        engine.issue(NOW, request_id=request, service="a")
    assert engine.tickets == {}


def test_cancelled_numbers_are_not_reused():
    engine = QueueEngine(small_hall())
    request = rid()
    engine.issue(NOW, request_id=request, service="a")
    engine.cancel(NOW, request_id=request, reason="print_failed")
    assert issue(engine).label == "1002"


def test_unknown_service_procedure_and_disabled_priority_are_refused():
    engine = QueueEngine(small_hall(queue={"priority_categories": ["elderly"]}))
    for kwargs, code in [
        ({"service": "zz"}, ErrorCode.UNKNOWN_SERVICE),
        ({"procedure": "1.000000"}, ErrorCode.UNKNOWN_PROCEDURE),
        ({"service": "a", "priority": PriorityCategory.PREGNANT}, ErrorCode.PRIORITY_DISABLED),
    ]:
        with pytest.raises(QueueError) as refused:
            engine.issue(NOW, request_id=rid(), **kwargs)
        assert refused.value.code is code
    assert engine.tickets == {}


def test_next_calls_oldest_first_across_the_counters_services():
    engine = QueueEngine(small_hall())
    a1 = issue(engine, "a", NOW)
    b1 = issue(engine, "b", NOW + timedelta(minutes=1))
    a2 = issue(engine, "a", NOW + timedelta(minutes=2))
    later = NOW + timedelta(minutes=3)
    assert [call(engine, 2, later).id for _ in range(3)] == [a1.id, b1.id, a2.id]


def test_next_finishes_the_current_ticket_and_opens_the_rating_window():
    engine = QueueEngine(small_hall())
    first, second = issue(engine), issue(engine)
    call(engine, 1)
    call(engine, 1, NOW + timedelta(minutes=5))
    assert first.status is TicketStatus.SERVED and first.finished_at == NOW + timedelta(minutes=5)
    assert second.status is TicketStatus.CALLED
    counter = engine.counters[1]
    assert counter.last_finished == first.id
    assert engine.rating_open_until(counter) == NOW + timedelta(minutes=15)


def test_empty_queue_still_finishes_the_current_ticket():
    engine = QueueEngine(small_hall())
    ticket = issue(engine)
    call(engine, 1)
    with pytest.raises(QueueError) as refused:
        call(engine, 1)
    assert refused.value.code is ErrorCode.QUEUE_EMPTY
    assert ticket.status is TicketStatus.SERVED
    assert engine.counters[1].serving is None


def test_strict_priority_serves_every_priority_ticket_first():
    engine = QueueEngine(small_hall(queue={"priority_mode": "strict"}))
    normal = [issue(engine) for _ in range(2)]
    priority = [issue(engine, priority=ELDERLY) for _ in range(3)]
    order = [call(engine, 1).id for _ in range(5)]
    assert order == [t.id for t in priority] + [t.id for t in normal]


def test_interleaved_priority_lets_one_normal_through_after_k():
    engine = QueueEngine(small_hall(queue={"priority_mode": "interleaved", "priority_ratio": 2}))
    normal = [issue(engine) for _ in range(3)]
    priority = [issue(engine, priority=ELDERLY) for _ in range(5)]
    kinds = ["P" if call(engine, 1).priority else "N" for _ in range(8)]
    assert kinds == ["P", "P", "N", "P", "P", "N", "P", "N"]
    assert {t.status for t in normal + priority} == {TicketStatus.SERVED, TicketStatus.CALLED}


def test_interleave_streak_is_per_counter():
    engine = QueueEngine(small_hall(queue={"priority_ratio": 1}))
    issue(engine), issue(engine)
    issue(engine, priority=ELDERLY), issue(engine, priority=ELDERLY)
    assert call(engine, 1).priority is not None
    assert call(engine, 2).priority is not None  # counter 2 has no streak yet
    assert call(engine, 1).priority is None  # counter 1 had one priority call in a row


def test_max_wait_cap_beats_priority_so_nobody_starves():
    engine = QueueEngine(small_hall(queue={"priority_mode": "strict", "max_wait_min": 30}))
    old = issue(engine, at=NOW)
    later = NOW + timedelta(minutes=31)
    issue(engine, at=later, priority=ELDERLY)
    assert call(engine, 1, later).id == old.id


def test_transfer_keeps_the_original_issue_time():
    engine = QueueEngine(small_hall())
    moved = issue(engine, "a", NOW)
    later_b = issue(engine, "b", NOW + timedelta(minutes=10))
    call(engine, 1, NOW + timedelta(minutes=11))
    engine.command(NOW + timedelta(minutes=12), 1, CounterAction.TRANSFER, service="b")
    assert moved.status is TicketStatus.WAITING and moved.service == "b" and moved.issued_service == "a"
    assert moved.transfers == 1 and moved.label == "1001"
    engine.command(NOW, 3, CounterAction.SIGN_IN, officer="hoa")
    assert call(engine, 3, NOW + timedelta(minutes=13)).id == moved.id  # ahead of the later B ticket
    assert later_b.status is TicketStatus.WAITING


def test_transfer_to_same_or_unknown_service_is_refused():
    engine = QueueEngine(small_hall())
    issue(engine)
    call(engine, 1)
    for target in ("a", "zz"):
        with pytest.raises(QueueError):
            engine.command(NOW, 1, CounterAction.TRANSFER, service=target)
    assert engine.counters[1].serving is not None


def test_recall_counts_and_announces_again():
    engine = QueueEngine(small_hall())
    issue(engine)
    call(engine, 1)
    engine.take_changes()
    ticket = engine.command(NOW, 1, CounterAction.RECALL)
    assert ticket is not None and ticket.recalls == 1
    calls = engine.take_changes().calls
    assert [(c.ticket_id, c.recall) for c in calls] == [(ticket.id, 1)]


def test_no_show_needs_the_configured_recalls():
    engine = QueueEngine(small_hall(queue={"recalls_before_no_show": 1}))
    ticket = issue(engine)
    call(engine, 1)
    with pytest.raises(QueueError) as refused:
        engine.command(NOW, 1, CounterAction.NO_SHOW)
    assert refused.value.code is ErrorCode.RECALLS_REQUIRED
    engine.command(NOW, 1, CounterAction.RECALL)
    engine.command(NOW, 1, CounterAction.NO_SHOW)
    assert ticket.status is TicketStatus.NO_SHOW
    assert engine.counters[1].last_finished is None  # nobody to rate


def test_actions_that_need_a_ticket_refuse_when_idle():
    engine = QueueEngine(small_hall())
    for action in (CounterAction.RECALL, CounterAction.NO_SHOW, CounterAction.FINISH):
        with pytest.raises(QueueError) as refused:
            engine.command(NOW, 1, action)
        assert refused.value.code is ErrorCode.NOTHING_SERVING


def test_counter_without_officer_must_sign_in_first():
    engine = QueueEngine(small_hall())
    issue(engine, "b")
    with pytest.raises(QueueError) as refused:
        call(engine, 3)
    assert refused.value.code is ErrorCode.NOT_SIGNED_IN
    engine.command(NOW, 3, CounterAction.SIGN_IN, officer="hoa")
    ticket = call(engine, 3)
    assert ticket.officer == "hoa"


def test_default_officer_is_signed_in_on_first_next():
    engine = QueueEngine(small_hall())
    issue(engine)
    assert call(engine, 1).officer == "lan"
    assert engine.counters[1].status is CounterStatus.OPEN


def test_unknown_officer_is_refused():
    engine = QueueEngine(small_hall())
    with pytest.raises(QueueError) as refused:
        engine.command(NOW, 3, CounterAction.SIGN_IN, officer="nobody")
    assert refused.value.code is ErrorCode.UNKNOWN_OFFICER


def test_an_officer_signing_in_elsewhere_leaves_the_first_counter():
    engine = QueueEngine(small_hall())
    engine.command(NOW, 3, CounterAction.SIGN_IN, officer="hoa")
    engine.command(NOW, 1, CounterAction.SIGN_IN, officer="hoa")
    assert engine.counters[3].status is CounterStatus.CLOSED and engine.counters[3].officer is None
    assert engine.counters[1].officer == "hoa"


def test_sign_out_finishes_the_ticket_and_closes():
    engine = QueueEngine(small_hall())
    ticket = issue(engine)
    call(engine, 1)
    engine.command(NOW, 1, CounterAction.SIGN_OUT)
    assert ticket.status is TicketStatus.SERVED
    assert engine.counters[1].status is CounterStatus.CLOSED


def test_pause_then_next_resumes():
    engine = QueueEngine(small_hall())
    issue(engine)
    call(engine, 1)
    engine.command(NOW, 1, CounterAction.PAUSE)
    assert engine.counters[1].status is CounterStatus.PAUSED
    issue(engine)
    call(engine, 1)
    assert engine.counters[1].status is CounterStatus.OPEN


def test_pause_finishes_the_citizen_at_the_desk():
    engine = QueueEngine(small_hall())
    ticket = issue(engine)
    call(engine, 1)
    engine.command(NOW + timedelta(minutes=6), 1, CounterAction.PAUSE)
    assert ticket.status is TicketStatus.SERVED and ticket.finished_at == NOW + timedelta(minutes=6)
    assert engine.counters[1].serving is None and engine.counters[1].last_finished == ticket.id


def test_pause_a_closed_counter_is_refused():
    engine = QueueEngine(small_hall())
    with pytest.raises(QueueError) as refused:
        engine.command(NOW, 3, CounterAction.PAUSE)
    assert refused.value.code is ErrorCode.COUNTER_CLOSED


def test_unknown_counter_is_refused():
    engine = QueueEngine(small_hall())
    with pytest.raises(QueueError) as refused:
        engine.command(NOW, 42, CounterAction.NEXT)
    assert refused.value.code is ErrorCode.UNKNOWN_COUNTER


def test_numbers_restart_at_the_configured_local_time_and_old_tickets_expire():
    engine = QueueEngine(small_hall(hall={"day_starts_at": "04:00"}))
    evening = datetime(2026, 11, 23, 23, 50, tzinfo=VN)
    stale = issue(engine, at=evening)
    issue(engine, at=evening)
    after_midnight = datetime(2026, 11, 24, 0, 30, tzinfo=VN)
    assert issue(engine, at=after_midnight).label == "1003"  # still the same business day before 04:00
    morning = datetime(2026, 11, 24, 4, 0, tzinfo=VN)
    fresh = issue(engine, at=morning)
    assert fresh.label == "1001" and fresh.id == "20261124-1001"
    assert stale.status is TicketStatus.EXPIRED
    assert engine.waiting() == [fresh]


def test_rollover_closes_the_day_finishing_forgotten_tickets_and_signing_officers_out():
    engine = QueueEngine(small_hall())
    ticket = issue(engine, at=datetime(2026, 11, 23, 16, 55, tzinfo=VN))
    call(engine, 1, datetime(2026, 11, 23, 16, 56, tzinfo=VN))  # the officer leaves without pressing finish
    mean_before = engine.mean_service_min["a"]
    engine.tick(datetime(2026, 11, 24, 7, 30, tzinfo=VN))
    assert ticket.status is TicketStatus.SERVED and ticket.finished_at == datetime(2026, 11, 24, 7, 30, tzinfo=VN)
    assert engine.mean_service_min["a"] == mean_before  # a 14-hour "service" teaches the estimate nothing
    counter = engine.counters[1]
    assert counter.status is CounterStatus.CLOSED and counter.serving is None and counter.last_finished is None
    assert engine.tickets == {}
    events = engine.take_changes().events
    closed = [e for e in events if e.kind is EventKind.SERVED]
    assert [(e.ticket_id, e.reason) for e in closed] == [(ticket.id, EventReason.DAY_END)]
    signed_out = [e for e in events if e.kind is EventKind.SIGN_OUT]
    assert [(e.counter, e.reason) for e in signed_out] == [(1, EventReason.DAY_END)]


def test_an_officers_finish_and_sign_out_carry_no_reason():
    engine = QueueEngine(small_hall())
    issue(engine, at=NOW)
    call(engine, 1, NOW + timedelta(minutes=1))
    engine.take_changes()
    engine.command(NOW + timedelta(minutes=5), 1, CounterAction.SIGN_OUT)
    events = engine.take_changes().events
    assert [(e.kind, e.reason) for e in events] == [(EventKind.SERVED, None), (EventKind.SIGN_OUT, None)]


def test_a_transfer_records_where_the_ticket_came_from():
    engine = QueueEngine(small_hall())
    ticket = issue(engine, at=NOW)
    call(engine, 1, NOW + timedelta(minutes=1))
    engine.take_changes()
    engine.command(NOW + timedelta(minutes=2), 1, CounterAction.TRANSFER, service="b")
    [event] = [e for e in engine.take_changes().events if e.kind is EventKind.TRANSFERRED]
    assert (event.ticket_id, event.from_service, event.service) == (ticket.id, "a", "b")


def test_requests_too_old_or_from_the_future_are_refused():
    engine = QueueEngine(small_hall(queue={"max_request_age_s": 30}))
    for sent in (NOW - timedelta(seconds=31), NOW + timedelta(seconds=31)):
        with pytest.raises(QueueError) as refused:
            engine.check_age(NOW, sent)
        assert refused.value.code is ErrorCode.STALE_COMMAND
    engine.check_age(NOW, NOW - timedelta(seconds=29))
    # a simulated hall at 60x: 10 real seconds are 10 hall minutes
    engine.check_age(NOW, NOW - timedelta(minutes=10), speed=60)


def test_a_command_is_refused_once_its_device_may_have_given_up():
    engine = QueueEngine(small_hall(queue={"max_request_age_s": 10}))
    sent = NOW - timedelta(seconds=2)

    def refused(now, deadline, sent_at=sent, speed=1.0):
        try:
            engine.check_age(now, sent_at, deadline=deadline, speed=speed)
        except QueueError as exc:
            assert exc.code is ErrorCode.STALE_COMMAND
            return True
        return False

    assert not refused(NOW, NOW + timedelta(seconds=3))
    assert refused(NOW, NOW - timedelta(seconds=1))  # past the deadline
    assert refused(NOW, NOW + timedelta(seconds=0.9))  # within the clock tolerance of it: in doubt
    assert refused(NOW, NOW + timedelta(seconds=1))
    assert refused(NOW, NOW + timedelta(seconds=60), sent_at=NOW - timedelta(seconds=9.5))  # window capped at 10 s
    assert refused(NOW, NOW + timedelta(seconds=8), sent_at=NOW + timedelta(seconds=1.5))  # device clock ahead
    assert not refused(NOW, NOW + timedelta(seconds=5), sent_at=NOW + timedelta(seconds=0.5))
    assert refused(NOW, NOW - timedelta(seconds=3))  # a deadline before it was sent
    # a simulated hall at 60x: 5 real seconds are 5 hall minutes
    assert not refused(NOW, NOW + timedelta(minutes=3), sent_at=NOW - timedelta(minutes=2), speed=60)
    assert refused(NOW, NOW + timedelta(seconds=30), sent_at=NOW - timedelta(minutes=2), speed=60)


def test_a_request_from_the_previous_day_is_never_issued_again():
    engine = QueueEngine(small_hall())
    request = rid()
    engine.issue(NOW, request_id=request, service="a")
    with pytest.raises(QueueError) as refused:
        engine.issue(NOW + timedelta(days=1), request_id=request, service="a")
    assert refused.value.code is ErrorCode.STALE_REQUEST


def test_closed_service_refuses_tickets_but_issues_early_before_opening():
    hours = {"mon": ["07:30-11:30", "13:30-17:00"]}
    engine = QueueEngine(small_hall(hall={"hours": hours, "issue_early_min": 30}))
    with pytest.raises(QueueError) as refused:
        issue(engine, at=datetime(2026, 11, 23, 6, 59, tzinfo=VN))
    assert refused.value.code is ErrorCode.SERVICE_CLOSED
    assert issue(engine, at=datetime(2026, 11, 23, 7, 0, tzinfo=VN)).label == "1001"
    with pytest.raises(QueueError):
        issue(engine, at=datetime(2026, 11, 23, 12, 0, tzinfo=VN))
    with pytest.raises(QueueError):
        issue(engine, at=datetime(2026, 11, 24, 9, 0, tzinfo=VN))  # Tuesday: closed in this hall


def test_is_open_edges():
    hours = OpeningHours(mon=["07:30-11:30"])
    monday = datetime(2026, 11, 23, tzinfo=VN)
    assert not is_open(hours, monday.replace(hour=7, minute=29))
    assert is_open(hours, monday.replace(hour=7, minute=30))
    assert not is_open(hours, monday.replace(hour=11, minute=30))
    assert is_open(hours, monday.replace(hour=7, minute=15), early_min=15)


def test_estimate_uses_queue_position_capacity_and_learned_service_time():
    engine = QueueEngine(small_hall())
    engine.command(NOW, 1, CounterAction.SIGN_IN, officer="lan")
    for _ in range(4):
        issue(engine, "a")
    estimate = engine.estimate("a")
    assert estimate.people_ahead == 4
    # only counter 1 is open for A, idle: four services of 10 min (+ the changeover) before the new ticket's turn
    assert estimate.minutes == round(4 * (10 + CHANGEOVER_MIN))
    engine.command(NOW, 2, CounterAction.SIGN_IN, officer="minh")
    assert engine.estimate("a").minutes == round(2 * (10 + CHANGEOVER_MIN))  # two counters take two each
    call(engine, 1, NOW)
    engine.command(NOW + timedelta(minutes=2), 1, CounterAction.FINISH)  # a 2-minute service lowers the mean
    assert engine.mean_service_min["a"] == pytest.approx(10 + 0.2 * (2 - 10))


def test_estimate_counts_every_earlier_ticket_of_the_counters_services():
    """Counter 2 (the only one open) calls A and B in issue order: a B ticket waits behind the A tickets too."""
    engine = QueueEngine(small_hall())
    engine.command(NOW, 2, CounterAction.SIGN_IN, officer="minh")
    for _ in range(3):
        issue(engine, "a")  # 10 min each
    issue(engine, "b")  # 5 min
    estimate = engine.estimate("b")
    assert estimate.people_ahead == 4
    assert estimate.minutes == round(3 * (10 + CHANGEOVER_MIN) + (5 + CHANGEOVER_MIN))
    engine.command(NOW, 3, CounterAction.SIGN_IN, officer="hoa")  # counter 3 takes B only: B tickets go faster
    faster = engine.estimate("b")
    # counter 2 takes the first A ticket; counter 3 the B ticket, then the new one
    assert faster.minutes == round(5 + CHANGEOVER_MIN)


def test_estimate_for_a_priority_ticket_counts_only_priority_ahead():
    engine = QueueEngine(small_hall())
    for _ in range(5):
        issue(engine)
    ticket = issue(engine, priority=ELDERLY)
    assert engine.estimate("a", ticket=ticket).people_ahead == 0


def test_estimate_is_unknown_when_the_hall_works_but_no_counter_serves_the_service():
    engine = QueueEngine(small_hall())
    engine.command(NOW, 1, CounterAction.SIGN_IN, officer="lan")
    issue(engine, "b")
    assert engine.estimate("b").minutes is None
    fresh = QueueEngine(small_hall())  # before opening: assume the configured counters will open
    issue(fresh, "b")
    assert fresh.estimate("b").minutes is not None


def test_refused_commands_change_nothing():
    engine = QueueEngine(small_hall())
    issue(engine)
    engine.take_changes()
    with pytest.raises(QueueError):
        engine.issue(NOW, request_id=rid(), service="zz")
    with pytest.raises(QueueError):
        engine.command(NOW, 1, CounterAction.RECALL)
    assert not engine.take_changes()
