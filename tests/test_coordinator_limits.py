"""What a stolen device credential can do to the coordinator (issue 19.3): rate limits per device, press times
bounded against the ticket's finish and the clock. The sample hall's default `[limits]`; the clock runs in real
time (speed 1), so a flood is far over any device's rate."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from test_coordinator import Hall
from waiting import wait_until

from motcua.contract import (
    ErrorCode,
    ErrorReply,
    RatingAck,
    RatingOutcome,
    RatingVote,
    TicketIssued,
    TicketRequest,
    parse_kiosk_reply,
)
from motcua.session import MqttSession

FLOOD = 300


def test_a_kiosk_flood_cannot_exhaust_a_series_and_the_real_kiosk_still_gets_a_ticket(sessions, coordinator, caplog):
    caplog.set_level(logging.INFO, logger="coordinator.service")
    hall = Hall(sessions, coordinator)
    replies: list[object] = []
    hall.kiosk.subscribe(hall.topics.ticket_reply("kiosk-1"), lambda i: replies.append(parse_kiosk_reply(i.payload)))
    for _ in range(FLOOD):
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=hall.clock.now(), service="ho-tich")
        hall.kiosk.publish(hall.topics.ticket_request("kiosk-1"), request)
    wait_until(lambda: len(replies) == FLOOD, what="every request answered")
    issued = [r for r in replies if isinstance(r, TicketIssued)]
    limited = [r for r in replies if isinstance(r, ErrorReply) and r.error is ErrorCode.RATE_LIMITED]
    burst = coordinator.hall.limits.kiosk_burst
    assert 1 <= len(issued) <= burst + 1 and len(issued) + len(limited) == FLOOD  # before: 300 numbers gone
    assert hall.db().execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == len(issued)
    # the hall's other kiosk is not affected, and the flooded one gets a number again once its rate allows
    other: MqttSession = sessions("kiosk-2", role="kiosk")
    reply = other.request(
        hall.topics.ticket_request("kiosk-2"),
        TicketRequest(request_id=uuid.uuid4(), sent_at=hall.clock.now(), service="ho-tich"),
        response_topic=hall.topics.ticket_reply("kiosk-2"),
    )
    assert isinstance(parse_kiosk_reply(reply.payload), TicketIssued)
    coordinator.clock.start += timedelta(seconds=10)  # a few seconds of the hall later (20/min: one every 3 s)
    assert isinstance(hall.ticket(), TicketIssued)
    # refused cheaply: no line per refused request (the summary comes once a minute)
    assert sum("rate_limited" in r.getMessage() or "refused" in r.getMessage() for r in caplog.records) <= 2


def test_a_pad_flood_is_refused_cheaply_and_the_database_grows_by_a_bounded_number_of_rows(sessions, coordinator):
    hall = Hall(sessions, coordinator)
    pad: MqttSession = sessions("pad-1", role="pad")
    acks: list[RatingAck] = []
    pad.subscribe(hall.topics.rating_ack(1), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    for _ in range(FLOOD):
        vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=hall.clock.now())
        pad.publish(hall.topics.rating(1), vote)
    wait_until(lambda: len(acks) == FLOOD, what="every vote answered")
    limited = [a for a in acks if a.outcome is RatingOutcome.REJECTED and a.reason is ErrorCode.RATE_LIMITED]
    burst = coordinator.hall.limits.pad_burst
    assert len(limited) >= FLOOD - burst - 1
    assert all(a.id is not None for a in limited)  # the pad can match each refusal to its vote
    db = hall.db()
    rows = db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0]
    rows += db.execute("SELECT COUNT(*) FROM rejected_ratings").fetchone()[0]
    assert rows <= burst + 1  # before: one row per vote


def _served(hall: Hall) -> TicketIssued:
    issued = hall.ticket()
    assert isinstance(issued, TicketIssued)
    hall.press(1, "next")
    hall.press(1, "finish")
    return issued


def test_a_vote_dated_hours_ago_or_ahead_is_not_counted_and_the_honest_vote_is(sessions, coordinator):
    hall = Hall(sessions, coordinator)
    old = _served(hall)
    finished = hall.clock.now()
    coordinator.clock.start += timedelta(hours=3)  # three hours later, someone with the pad's password
    hours_ago = hall.rate(1, "unsatisfied", pressed_at=finished + timedelta(seconds=1))
    assert hours_ago.outcome is RatingOutcome.REJECTED and hours_ago.reason is ErrorCode.IMPLAUSIBLE_TIME
    ahead = hall.rate(1, "unsatisfied", pressed_at=hall.clock.now() + timedelta(hours=1))
    assert ahead.outcome is RatingOutcome.REJECTED and ahead.reason is ErrorCode.IMPLAUSIBLE_TIME
    db = hall.db()
    assert db.execute("SELECT COUNT(*) FROM ratings WHERE ticket_id = ?", (old.ticket.id,)).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM rejected_ratings WHERE reason = 'implausible_time'").fetchone()[0] == 2
    honest = _served(hall)
    counted = hall.rate(1, "satisfied")
    assert counted.outcome is RatingOutcome.COUNTED and counted.ticket_id == honest.ticket.id


def test_a_vote_for_the_citizen_at_the_desk_is_not_counted_and_the_citizens_own_vote_is(sessions, coordinator):
    hall = Hall(sessions, coordinator)
    issued = hall.ticket()
    assert isinstance(issued, TicketIssued)
    hall.press(1, "next")
    first = hall.rate(1, "unsatisfied")  # pressed while the citizen is still being served
    assert first.outcome is RatingOutcome.MISUSE and first.ticket_id == issued.ticket.id
    hall.press(1, "finish")
    own = hall.rate(1, "satisfied")
    assert own.outcome is RatingOutcome.COUNTED and own.ticket_id == issued.ticket.id
