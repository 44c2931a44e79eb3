"""The hall side of "no gap unnoticed": `seq` has no gaps and is durable with its event, and the coordinator
answers the province's `ResendRequest` with its committed events, exactly as first sent."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import MONDAY_MORNING
from waiting import wait_until

from coordinator.engine import AuditEvent
from coordinator.store import Store
from motcua.contract import (
    EventBatch,
    EventKind,
    HallEvent,
    RatingLevel,
    RatingMeaning,
    RatingVote,
    ResendRequest,
    TicketRequest,
    parse,
)
from motcua.session import Inbound, MqttSession


def opened(minute: int) -> AuditEvent:
    return AuditEvent(at=MONDAY_MORNING + timedelta(minutes=minute), kind=EventKind.OPENED, counter=1)


def test_seq_is_gap_free_across_rollbacks_and_crashes(tmp_path: Path):
    """A rolled-back message or an uncommitted batch (a crash) gives its numbers back: the next committed event
    takes the next number, so every number 1..last names one committed event."""
    path = tmp_path / "coordinator.db"
    store = Store(path)
    with store.savepoint():
        assert store.add_event(opened(0)) == 1
    with pytest.raises(RuntimeError), store.savepoint():  # a handler failing after writing its event
        assert store.add_event(opened(1)) == 2
        raise RuntimeError("boom")
    with store.savepoint():
        assert store.add_event(opened(2)) == 2
    store.commit()
    with store.savepoint():
        assert store.add_event(opened(3)) == 3
    store.db.close()  # a crash before the commit: the batch is lost, and so is its number
    store = Store(path)
    with store.savepoint():
        assert store.add_event(opened(4)) == 3
    store.commit()
    ids = [row[0] for row in store.db.execute("SELECT id FROM events ORDER BY id")]
    store.close()
    assert ids == [1, 2, 3]


def test_the_coordinator_resends_its_events_exactly_as_first_sent(coordinator, broker, sessions, hall):
    site = hall.hall.site
    spy = sessions("admin", role="test")
    feed: list[HallEvent] = []
    lock = threading.Lock()

    def on_events(inbound: Inbound) -> None:
        with lock:
            feed.extend(parse(EventBatch, inbound.payload, max_bytes=None).events)

    spy.subscribe(spy.topics.events(), on_events)
    kiosk, pad = sessions("kiosk-1", role="kiosk"), sessions("pad-1", role="pad")
    for _ in range(3):
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=coordinator.clock.now(), service="ho-tich")
        kiosk.request(
            kiosk.topics.ticket_request("kiosk-1"), request, response_topic=kiosk.topics.ticket_reply("kiosk-1")
        )
    pad.publish(
        pad.topics.rating(1), RatingVote(id=uuid.uuid4(), level=RatingLevel.NEUTRAL, pressed_at=coordinator.clock.now())
    )
    wait_until(lambda: any(e.kind is EventKind.RATING for e in feed), what="the rating event")
    first = list(feed)
    assert [e.seq for e in first] == list(range(1, len(first) + 1))
    rating = next(e for e in first if e.kind is EventKind.RATING)
    assert rating.rating == RatingLevel.NEUTRAL and rating.meaning is RatingMeaning.NEUTRAL
    assert rating.outcome is not None

    province = MqttSession(
        broker.settings("coordinator", port=broker.tools_port),
        device="coordinator",
        site=site,
        role="test",
        one_shot=True,
    )
    province.start()
    try:
        assert province.wait_connected(5)
        province.publish(province.topics.province_resend(), b'{"v": 1, "from_seq": "two"}')  # logged, dropped
        province.publish(province.topics.province_resend(), ResendRequest(from_seq=2, to_seq=3))
        wait_until(lambda: len(feed) == len(first) + 2, what="events 2 and 3 again")
        assert feed[len(first) :] == first[1:3]
        province.publish(province.topics.province_resend(), ResendRequest(from_seq=1))
        wait_until(lambda: len(feed) == 2 * len(first) + 2, what="everything again")
        assert feed[len(first) + 2 :] == first  # byte for byte what was first sent, rating included
        province.publish(province.topics.province_resend(), ResendRequest(from_seq=len(first) + 1))
        time.sleep(0.5)
        assert len(feed) == 2 * len(first) + 2  # nothing beyond the last event
    finally:
        province.stop()


def test_a_message_that_fails_after_writing_its_event_publishes_no_event(coordinator, sessions, monkeypatch):
    """The savepoint of a failing message rolls its event back and its seq is used again by the next event: the
    failed message's event must not be published (the province would keep a phantom under a live number)."""
    spy = sessions("admin", role="test")
    feed: list[HallEvent] = []
    spy.subscribe(spy.topics.events(), lambda inbound: feed.extend(parse(EventBatch, inbound.payload).events))
    pad = sessions("pad-1", role="pad")
    acks: list[bytes] = []
    pad.subscribe(pad.topics.rating_ack(1), lambda inbound: acks.append(inbound.payload))
    real_save = coordinator.store.save
    fail = threading.Event()

    def save(*args, **kwargs):  # type: ignore[no-untyped-def]
        if fail.is_set():
            fail.clear()
            raise RuntimeError("disk on fire")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(coordinator.store, "save", save)
    fail.set()
    pad.publish(
        pad.topics.rating(1),
        RatingVote(id=uuid.uuid4(), level=RatingLevel.UNSATISFIED, pressed_at=coordinator.clock.now()),
    )
    wait_until(lambda: len(acks) == 1, what="the failed vote answered")
    pad.publish(
        pad.topics.rating(1),
        RatingVote(id=uuid.uuid4(), level=RatingLevel.SATISFIED, pressed_at=coordinator.clock.now()),
    )
    wait_until(lambda: any(e.kind is EventKind.RATING for e in feed), what="the second vote's event")
    time.sleep(0.5)  # anything else would have gone out by now (the event interval is 0.25 s)
    ratings = [e for e in feed if e.kind is EventKind.RATING]
    assert [e.rating for e in ratings] == [RatingLevel.SATISFIED]
    assert len({e.seq for e in feed}) == len(feed)
