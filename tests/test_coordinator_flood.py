"""A flood of votes while a counter calls its next citizen (issue 19.2): the call reaches the hall's TV and the
keypad gets its reply; the coordinator loses nothing of importance."""

from __future__ import annotations

import uuid

from test_coordinator import Hall
from waiting import wait_until

from motcua.contract import Call, CounterReply, RatingVote, TicketIssued
from motcua.session import MqttSession

FLOOD = 5000


def test_a_vote_flood_does_not_cost_the_call_nor_the_keypads_reply(sessions, coordinator):
    hall = Hall(sessions, coordinator)
    display: MqttSession = sessions("display-1", role="display")
    calls: list[Call] = []
    display.subscribe(hall.topics.call(), lambda i: calls.append(Call.model_validate_json(i.payload)))
    issued = hall.ticket()
    assert isinstance(issued, TicketIssued)
    pad: MqttSession = sessions("pad-2", role="pad")
    for _ in range(FLOOD):  # unpaced, as fast as the pad's credential allows
        vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=hall.clock.now())
        pad.publish(hall.topics.rating(2), vote)
    reply = hall.press(1, "next")
    assert isinstance(reply, CounterReply) and reply.state.serving is not None
    call = wait_until(lambda: calls and calls[-1], timeout=30, what="the call reaches the display")
    assert call.label == issued.ticket.label and call.counter == 1
    lost = coordinator.session.drops.total
    assert all("bulk" in reason for reason in lost), lost  # only acks may ever be dropped
