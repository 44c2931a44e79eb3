"""Satisfaction alerts through the real broker and coordinator: a counter whose counted votes of the window are
more than the rule's share unsatisfied raises a retained alert and a rating_alert event; it clears again."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import WARD_HALL
from waiting import wait_until

from coordinator.service import CoordinatorService
from motcua.contract import (
    CounterCommand,
    EventBatch,
    RatingAck,
    RatingAlert,
    RatingVote,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.hall import HallConfig, RatingAlertSection, load_hall

RULE = RatingAlertSection(unsatisfied_pct=50, window_min=60, min_votes=3)


@pytest.fixture(scope="session")
def hall() -> HallConfig:
    """The sample hall with an alert rule (the broker and coordinator fixtures take it from here)."""
    sample = load_hall(WARD_HALL)
    return sample.model_copy(update={"rating": sample.rating.model_copy(update={"alert": RULE})})


class Counter1:
    """The kiosk, keypad and pad of counter 1, each connected once (a second session with a device's id would
    take its place on the broker)."""

    def __init__(self, sessions: Any, clock: Any) -> None:
        self.clock = clock
        self.kiosk = sessions("kiosk-1", role="kiosk")
        self.keypad = sessions("keypad-1", role="keypad")
        self.pad = sessions("pad-1", role="pad")
        self.acks: list[RatingAck] = []
        self.pad.subscribe(
            self.pad.topics.rating_ack(1), lambda i: self.acks.append(RatingAck.model_validate_json(i.payload))
        )

    def serve_and_rate(self, level: str) -> None:
        topics = self.kiosk.topics
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=self.clock.now(), service="ho-tich")
        reply = self.kiosk.request(
            topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1")
        )
        parse_kiosk_reply(reply.payload)
        for action in ("next", "finish"):
            command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=self.clock.now())
            answer = self.keypad.request(topics.counter_command(1), command, response_topic=topics.counter_reply(1))
            parse_counter_result(answer.payload)
        vote = RatingVote(id=uuid.uuid4(), level=level, pressed_at=self.clock.now())
        self.pad.publish(topics.rating(1), vote)
        ack = wait_until(lambda: next((a for a in self.acks if a.id == vote.id), None))
        assert ack.outcome == "counted"


def test_an_unsatisfied_streak_raises_a_retained_alert_and_an_event_then_clears(
    coordinator: CoordinatorService, sessions: Any, clock: Any
) -> None:
    admin = sessions("admin", role="admin")
    alerts: list[RatingAlert] = []
    events: list[Any] = []
    admin.subscribe(admin.topics.rating_alert(1), lambda i: alerts.append(RatingAlert.model_validate_json(i.payload)))
    admin.subscribe(admin.topics.events(), lambda i: events.extend(EventBatch.model_validate_json(i.payload).events))
    counter = Counter1(sessions, clock)
    for level in ("unsatisfied", "unsatisfied"):
        counter.serve_and_rate(level)
    assert alerts == []  # 2 of 2 unsatisfied, but fewer votes than the rule's 3
    counter.serve_and_rate("satisfied")
    raised = wait_until(lambda: alerts and alerts[-1])
    assert (raised.counter, raised.active, raised.unsatisfied, raised.votes) == (1, True, 2, 3)
    assert (raised.threshold_pct, raised.window_min, raised.min_votes) == (50, 60, 3)
    event = wait_until(lambda: next((e for e in events if e.kind == "rating_alert"), None), timeout=10)
    assert event.alert == raised and event.counter == 1
    assert 1 in coordinator.store.active_alerts()
    admin.stop()
    late = sessions("admin", role="admin")  # a console connecting later sees the alert (retained)
    later: list[RatingAlert] = []
    late.subscribe(late.topics.rating_alert(1), lambda i: later.append(RatingAlert.model_validate_json(i.payload)))
    assert wait_until(lambda: later and later[-1]) == raised
    counter.serve_and_rate("satisfied")  # 2 of 4: 50 % is not over 50 %
    cleared = wait_until(lambda: len(later) >= 2 and later[-1])
    assert (cleared.active, cleared.unsatisfied, cleared.votes) == (False, 2, 4)
    assert coordinator.store.active_alerts() == set()
