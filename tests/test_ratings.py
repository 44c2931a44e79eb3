"""The rating rules (coordinator/ratings.py) on hand-made visits: the window's edges, a press during service, two
finished tickets, misuse, and a no-show (which the store never offers as a visit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from conftest import VN
from halls import small_hall

from coordinator.engine import QueueEngine
from coordinator.ratings import Verdict, Visit, judge, voting_device
from coordinator.store import Store
from motcua.contract import CounterAction, RatingOutcome

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=VN)
WINDOW = timedelta(seconds=120)
TICK = timedelta(microseconds=1)  # the finest step a pressed_at can take


def visit(ticket: str, called_min: float, finished_min: float | None, *, rated: bool = False) -> Visit:
    finished = T0 + timedelta(minutes=finished_min) if finished_min is not None else None
    return Visit(ticket, T0 + timedelta(minutes=called_min), finished, rated)


def press(at: datetime, *visits: Visit, flagged: bool = False) -> Verdict:
    return judge(at, flagged_by_pad=flagged, visits=visits, window=WINDOW)


def test_a_press_at_the_last_instant_of_the_window_counts() -> None:
    done = visit("t1", 0, 10)
    end = T0 + timedelta(minutes=10) + WINDOW
    assert press(end, done) == Verdict(RatingOutcome.COUNTED, "t1", "finished within the window")


def test_a_press_one_tick_after_the_window_rates_nobody() -> None:
    done = visit("t1", 0, 10)
    late = T0 + timedelta(minutes=10) + WINDOW + TICK
    assert press(late, done) == Verdict(RatingOutcome.UNBOUND, None, "nobody served at that counter at that time")


def test_a_press_at_the_instant_of_finishing_rates_the_finished_ticket() -> None:
    done = visit("t1", 0, 10)
    assert press(T0 + timedelta(minutes=10), done).ticket_id == "t1"


def test_a_press_before_the_finish_is_bound_but_never_counted() -> None:
    """Issue 19.3: a vote pressed before the finish of the ticket it binds to never counts (else a pad credential
    rates the current citizen first and the real vote becomes misuse)."""
    before = "pressed before the ticket's finish"
    serving = visit("t1", 0, None)
    assert press(T0 + timedelta(minutes=3), serving) == Verdict(RatingOutcome.MISUSE, "t1", before)
    # delivered later from the pad's outbox, after the officer pressed finish: still not counted
    finished_later = visit("t1", 0, 10)
    assert press(T0 + timedelta(minutes=3), finished_later) == Verdict(RatingOutcome.MISUSE, "t1", before)
    # and the citizen's real vote after the finish counts
    assert press(T0 + timedelta(minutes=11), finished_later).outcome is RatingOutcome.COUNTED


def test_a_press_before_the_call_rates_nobody() -> None:
    assert press(T0 - TICK, visit("t1", 0, None)).outcome is RatingOutcome.UNBOUND


def test_of_two_finished_tickets_the_last_one_finished_is_rated() -> None:
    first, second = visit("t1", 0, 5), visit("t2", 5, 6)
    at = T0 + timedelta(minutes=6, seconds=30)  # inside both windows
    assert press(at, first, second).ticket_id == "t2"
    assert press(at, second, first).ticket_id == "t2", "whatever order the store gives them in"


def test_a_ticket_just_finished_wins_over_the_next_one_already_called() -> None:
    """The citizen who is leaving rates, not the one who just sat down."""
    leaving, next_one = visit("t1", 0, 10), visit("t2", 10, None)
    assert press(T0 + timedelta(minutes=10, seconds=30), leaving, next_one).ticket_id == "t1"
    assert press(T0 + timedelta(minutes=10) + WINDOW + TICK, leaving, next_one).ticket_id == "t2"


def test_a_second_counted_press_is_misuse_bound_to_the_ticket() -> None:
    rated = visit("t1", 0, 10, rated=True)
    at = T0 + timedelta(minutes=11)
    assert press(at, rated) == Verdict(RatingOutcome.MISUSE, "t1", "ticket already rated")


def test_a_press_the_pad_flagged_is_misuse_bound_or_not() -> None:
    at = T0 + timedelta(minutes=11)
    assert press(at, visit("t1", 0, 10), flagged=True) == Verdict(
        RatingOutcome.MISUSE, "t1", "inside the pad's lockout"
    )
    assert press(at, flagged=True) == Verdict(RatingOutcome.MISUSE, None, "nobody served at that counter at that time")


def test_a_no_show_is_never_rated(tmp_path: Path) -> None:
    """A citizen called but absent: the store offers no visit, so a press right after rates nobody."""
    engine = QueueEngine(small_hall())
    engine.issue(T0, request_id="r1", service="a")
    engine.command(T0, 1, CounterAction.NEXT)
    engine.command(T0 + timedelta(minutes=2), 1, CounterAction.NO_SHOW)
    store = Store(tmp_path / "c.db")
    try:
        store.save(engine.take_changes(), engine.counters, engine.business_day)
        store.commit()
        at = T0 + timedelta(minutes=2, seconds=10)
        visits = store.visits(1, at, WINDOW)
    finally:
        store.close()
    assert visits == []
    assert press(at, *visits).outcome is RatingOutcome.UNBOUND


def test_the_store_offers_served_and_current_tickets_as_visits(tmp_path: Path) -> None:
    engine = QueueEngine(small_hall())
    for n in (1, 2):
        engine.issue(T0, request_id=f"r{n}", service="a")
    first = engine.command(T0, 1, CounterAction.NEXT)
    second = engine.command(T0 + timedelta(minutes=5), 1, CounterAction.NEXT)  # finishes the first
    assert first is not None and second is not None
    store = Store(tmp_path / "c.db")
    try:
        store.save(engine.take_changes(), engine.counters, engine.business_day)
        store.commit()
        visits = store.visits(1, T0 + timedelta(minutes=6), WINDOW)
    finally:
        store.close()
    assert sorted(visits, key=lambda v: v.called_at) == [
        Visit(first.id, T0, T0 + timedelta(minutes=5), False),
        Visit(second.id, T0 + timedelta(minutes=5), None, False),
    ]


def test_the_alert_rule_needs_enough_votes_and_strictly_more_than_the_share() -> None:
    from coordinator.ratings import check_alert

    rule = {"unsatisfied_pct": 30, "min_votes": 5}
    assert not check_alert(["unsatisfied"] * 4, **rule).active  # 100 % but only 4 votes
    assert check_alert(["unsatisfied"] * 2 + ["satisfied"] * 3, **rule).active  # 40 % > 30 %
    exactly = check_alert(["unsatisfied"] * 3 + ["neutral"] * 2 + ["satisfied"] * 5, **rule)
    assert (exactly.unsatisfied, exactly.votes, exactly.active) == (3, 10, False)  # 30 % is not over 30 %


def test_the_rating_is_recorded_from_the_device_that_voted_if_registered_at_that_counter():
    at_one = {"pad-1", "screen-1"}
    assert voting_device("screen-1", registered=at_one, counter_pad="pad-1") == "screen-1"
    assert voting_device("pad-1", registered=at_one, counter_pad="pad-1") == "pad-1"
    assert voting_device(None, registered=at_one, counter_pad="pad-1") == "pad-1"  # a pad older than `device`
    assert voting_device("screen-2", registered=at_one, counter_pad="pad-1") is None  # not this counter's
    assert voting_device(None, registered=set(), counter_pad=None) is None
