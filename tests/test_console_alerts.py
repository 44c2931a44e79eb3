"""The manager's alert rules (pure)."""

from __future__ import annotations

from datetime import timedelta

from conftest import MONDAY_MORNING

from console.alerts import AlertLog, AlertRules, unsatisfied_alert, wait_alerts
from motcua.contract import RatingLevel

S, N, U = RatingLevel.SATISFIED, RatingLevel.NEUTRAL, RatingLevel.UNSATISFIED


def test_wait_alert_only_past_the_target():
    alerts = wait_alerts({"a": 31, "b": 30}, {"a": 30, "b": 30}, {"a": "Hộ tịch"})
    assert list(alerts) == ["wait:a"]
    assert "Hộ tịch" in alerts["wait:a"] and "31 phút" in alerts["wait:a"]


def test_unsatisfied_share_needs_a_minimum_count():
    rules = AlertRules(unsatisfied_share=0.3, unsatisfied_minimum=5)
    assert unsatisfied_alert([U, U, U, U], rules) == {}  # four votes are not enough, even all unhappy
    assert unsatisfied_alert([U, U, S, S, N], rules)  # 40 % > 30 %
    assert unsatisfied_alert([U, S, S, S, N], rules) == {}  # 20 %


def test_an_alert_is_raised_once_and_kept_after_it_ends():
    log = AlertLog()
    t0 = MONDAY_MORNING
    assert [a.key for a in log.update(t0, {"wait:a": "x"})] == ["wait:a"]
    assert log.update(t0 + timedelta(minutes=1), {"wait:a": "x"}) == []  # still holding: not raised again
    log.update(t0 + timedelta(minutes=2), {})
    assert not log.active
    assert [(a.key, a.ended_at) for a in log.history] == [("wait:a", t0 + timedelta(minutes=2))]
    log.update(t0 + timedelta(minutes=3), {"wait:a": "x"})
    assert [a.key for a in log.history] == ["wait:a", "wait:a"]
