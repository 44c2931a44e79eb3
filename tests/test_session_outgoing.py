"""The session's outgoing path under a burst (issue 19.2): nothing is lost without a log line, urgent messages go
before bulk ones, and only the bulk class is ever dropped."""

from __future__ import annotations

import logging

import pytest
from waiting import wait_until

from motcua.session import ADMIT_BELOW, MAX_BULK_BACKLOG, DropLog, MqttSession, Priority


def test_a_call_published_after_a_burst_of_acks_reaches_the_display_and_drops_are_logged_once(sessions, caplog):
    coordinator: MqttSession = sessions("coordinator", role="coordinator")
    display: MqttSession = sessions("display-1", role="display")
    calls: list[bytes] = []
    display.subscribe(coordinator.topics.call(), lambda i: calls.append(i.payload))
    wait_until(lambda: display.connected)
    caplog.set_level(logging.WARNING, logger="motcua.session")
    burst = ADMIT_BELOW[Priority.BULK] + MAX_BULK_BACKLOG + 2000  # more than paho may hold plus the backlog
    for n in range(burst):
        coordinator.publish(coordinator.topics.rating_ack(1), b'{"n": %d}' % n, priority=Priority.BULK)
    assert coordinator.backlog_size > 0  # the burst really waits (before: paho refused it silently past 1,000)
    coordinator.publish(coordinator.topics.call(), b'{"call": 1}')
    wait_until(lambda: calls == [b'{"call": 1}'], what="the call reaches the display")
    assert 0 < sum(coordinator.drops.total.values()) <= 2000  # the bulk overflow (less what drained meanwhile)
    assert all("bulk" in reason for reason in coordinator.drops.total)  # and nothing else
    lost = [r for r in caplog.records if "lost" in r.getMessage()]
    assert len(lost) == 1  # once per reason per minute, not once per message
    wait_until(lambda: coordinator.backlog_size == 0, what="the backlog drains")


def test_urgent_and_normal_messages_are_never_dropped_whatever_the_burst(sessions):
    """Checked at the publisher: every message is acknowledged by the broker (a subscriber's own queue in the broker
    is the broker's business). Before: paho refused all past 1,000 waiting, and nobody looked at the result."""
    coordinator: MqttSession = sessions("coordinator", role="coordinator")
    count = 6000  # six times what the old 1,000-message cap let through unpaced
    refused = 0
    for n in range(count):
        info = coordinator.publish(
            coordinator.topics.events(), b"%d" % n, priority=Priority.URGENT if n % 2 else Priority.NORMAL
        )
        refused += info.rc != 0
    assert refused == 0
    assert coordinator.backlog_size > 0
    wait_until(lambda: coordinator.backlog_size == 0 and coordinator.waiting_in_paho == 0, timeout=60)
    assert not coordinator.drops.total


def test_the_drop_log_reports_each_reason_once_a_minute_with_the_count():
    now = [0.0]
    log = DropLog(clock=lambda: now[0])
    with pytest.MonkeyPatch.context() as patch:
        lines: list[tuple[int, str]] = []
        patch.setattr("motcua.session.logger.warning", lambda fmt, count, reason: lines.append((count, reason)))
        log.dropped("a")
        log.dropped("a")
        log.dropped("b")
        assert lines == [(1, "a"), (1, "b")]
        now[0] = 61.0
        log.report()
        assert lines[-1] == (1, "a")
        log.report()
        assert len(lines) == 3
