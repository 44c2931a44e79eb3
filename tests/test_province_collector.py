"""`motcua province` against a real provincial Mosquitto and a real PostgreSQL: what arrives is written once,
the site comes from the authenticated topic, bad input from one hall stops nobody, gaps are asked for again."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psycopg
import pytest
from province_support import Client, events, province_config
from waiting import wait_until

from motcua.contract import EventKind, ResendRequest, Topics, parse
from province.broker import ProvinceBroker
from province.collector import POOL_MIN_MESSAGES, Collector, _parse_chunk, decode
from province.config import CollectorSection, ProvinceConfig

pytestmark = pytest.mark.slow  # a real provincial Mosquitto and PostgreSQL per test

HALLS = ["phuong-a", "xa-b"]


@pytest.fixture
def province_broker(tmp_path: Path) -> Iterator[ProvinceBroker]:
    broker = ProvinceBroker(HALLS, tmp_path / "province-broker")
    try:
        yield broker.start()
    finally:
        broker.kill()


@pytest.fixture
def collector(province_broker: ProvinceBroker, province_dsn: str) -> Iterator[Collector]:
    service = Collector(province_config(province_broker, province_dsn, HALLS))
    service.start()
    assert service.connected.wait(10)
    try:
        yield service
    finally:
        service.stop()


def stored(dsn: str) -> list[tuple[str, int]]:
    with psycopg.connect(dsn) as conn:
        return [(str(s), int(n)) for s, n in conn.execute("SELECT site, seq FROM events ORDER BY site, seq")]


def test_events_of_two_halls_are_written_once_each(collector, province_broker, province_dsn):
    a, b = Client(province_broker, "phuong-a"), Client(province_broker, "xa-b")
    try:
        assert a.publish(Topics("phuong-a").events(), events(1, 2, 3).to_bytes()) == 0
        assert b.publish(Topics("xa-b").events(), events(1, 2).to_bytes()) == 0
        assert a.publish(Topics("phuong-a").events(), events(2, 3).to_bytes()) == 0  # a duplicate resend
        wait_until(lambda: len(stored(province_dsn)) == 5, what="5 events stored")
        assert stored(province_dsn) == [("phuong-a", 1), ("phuong-a", 2), ("phuong-a", 3), ("xa-b", 1), ("xa-b", 2)]
        with psycopg.connect(province_dsn) as conn:
            halls = dict(conn.execute("SELECT site, contiguous_seq FROM halls").fetchall())
        assert halls == {"phuong-a": 3, "xa-b": 2}
    finally:
        a.close()
        b.close()


def test_a_hall_cannot_publish_as_another_hall(collector, province_broker, province_dsn):
    a = Client(province_broker, "phuong-a")
    try:
        assert a.publish(Topics("xa-b").events(), events(1).to_bytes()) == 135  # not authorized
        assert a.publish(Topics("phuong-a").events(), events(1).to_bytes()) == 0
        wait_until(lambda: stored(province_dsn), what="an event stored")
        assert stored(province_dsn) == [("phuong-a", 1)]
    finally:
        a.close()


def test_malformed_input_is_logged_and_skipped_and_the_good_events_go_on(
    collector, province_broker, province_dsn, caplog
):
    caplog.set_level(logging.WARNING, logger="province.collector")
    a, b = Client(province_broker, "phuong-a"), Client(province_broker, "xa-b")
    good = json.loads(events(1, 2).to_bytes())
    good["events"][1]["kind"] = "exploded"  # one bad event in a batch: its neighbour is kept
    try:
        topic = Topics("phuong-a").events()
        for payload in (
            b"\xff\xfe not json",
            b"[1, 2]",
            b'{"v": 1, "events": 7}',
            b"{" * 5000,
            json.dumps(good).encode(),
        ):
            assert a.publish(topic, payload) == 0
        assert b.publish(Topics("xa-b").events(), events(1).to_bytes()) == 0
        assert a.publish(topic, events(3).to_bytes()) == 0
        wait_until(lambda: len(stored(province_dsn)) == 3, what="the good events stored")
        assert stored(province_dsn) == [("phuong-a", 1), ("phuong-a", 3), ("xa-b", 1)]
        with psycopg.connect(province_dsn) as conn:
            rejected = conn.execute("SELECT site, seq FROM rejected ORDER BY id").fetchall()
            assert conn.execute("SELECT contiguous_seq FROM halls WHERE site = 'phuong-a'").fetchone() == (3,)
        assert rejected == [("phuong-a", None)] * 4 + [("phuong-a", 2)]
        assert sum("hall phuong-a: refused" in r.getMessage() for r in caplog.records) == 5
    finally:
        a.close()
        b.close()


def test_a_gap_makes_the_collector_ask_that_hall_and_only_that_hall(collector, province_broker, province_dsn):
    a, b = Client(province_broker, "phuong-a"), Client(province_broker, "xa-b")
    try:
        a.subscribe(Topics("phuong-a").province_resend())
        b.subscribe(Topics("phuong-a").province_resend())  # refused by the ACL: receives nothing
        b.subscribe(Topics("xa-b").province_resend())
        assert a.publish(Topics("phuong-a").events(), events(1, 2, 6).to_bytes()) == 0
        wait_until(lambda: a.received, what="a resend request")
        topic, payload = a.received[0]
        assert topic == Topics("phuong-a").province_resend()
        assert parse(ResendRequest, payload) == ResendRequest(from_seq=3, to_seq=5)
        # The hall answers; the gap closes and nobody is asked again.
        assert a.publish(Topics("phuong-a").events(), events(3, 4, 5).to_bytes()) == 0
        wait_until(lambda: len(stored(province_dsn)) == 6, what="the gap filled")
        count = len(a.received)
        wait_until(lambda: collector.ledger.gaps() == {}, what="no gap left")
        time.sleep(1.5)  # longer than resend_interval_s: a closed gap is not asked for again
        assert len(a.received) == count
        assert b.received == []
    finally:
        a.close()
        b.close()


def test_a_gap_filled_in_time_asks_nobody_and_one_left_open_is_asked_after_resend_after_s(
    province_broker, province_dsn
):
    """Out-of-order arrival (a QoS 1 redelivery, a bridge reconnecting) is not a loss: the collector waits
    `resend_after_s` for a gap to fill before it asks the hall."""
    service = Collector(province_config(province_broker, province_dsn, HALLS, resend_after_s=1.5))
    service.start()
    a = Client(province_broker, "phuong-a")
    try:
        assert service.connected.wait(10)
        a.subscribe(Topics("phuong-a").province_resend())
        opened = time.monotonic()
        assert a.publish(Topics("phuong-a").events(), events(1, 2, 4).to_bytes()) == 0
        assert a.publish(Topics("phuong-a").events(), events(3).to_bytes()) == 0  # 3 overtaken by 4
        wait_until(lambda: len(stored(province_dsn)) == 4, what="the late event stored")
        time.sleep(max(0.0, opened + 2.5 - time.monotonic()))  # past resend_after_s
        assert a.received == []
        assert a.publish(Topics("phuong-a").events(), events(6).to_bytes()) == 0  # 5 never comes
        opened = time.monotonic()
        wait_until(lambda: a.received, what="a resend request", timeout=10)
        assert time.monotonic() - opened >= 1.3  # not at once (the clocks differ by a few ms)
        assert parse(ResendRequest, a.received[0][1]) == ResendRequest(from_seq=5, to_seq=5)
    finally:
        a.close()
        service.stop()


def test_a_restarted_collector_neither_loses_nor_doubles(province_broker, province_dsn):
    a = Client(province_broker, "phuong-a")
    config = province_config(province_broker, province_dsn, HALLS)
    first = Collector(config)
    first.start()
    try:
        assert first.connected.wait(10)
        assert a.publish(Topics("phuong-a").events(), events(1, 2).to_bytes()) == 0
        wait_until(lambda: len(stored(province_dsn)) == 2, what="2 events")
    finally:
        first.stop()
    # While it is away, the broker keeps its session: these wait for it.
    assert a.publish(Topics("phuong-a").events(), events(2, 3, 4).to_bytes()) == 0
    second = Collector(config)
    second.start()
    try:
        wait_until(lambda: len(stored(province_dsn)) == 4, what="the queued events")
        assert stored(province_dsn) == [("phuong-a", n) for n in (1, 2, 3, 4)]
        assert second.ledger.hall("phuong-a").contiguous == 4
    finally:
        second.stop()
        a.close()


def test_decode_refuses_absurd_times_and_huge_payloads():
    late = json.loads(events(1).to_bytes())
    late["events"][0]["at"] = "2999-01-01T00:00:00Z"
    decoded = decode("phuong-a", json.dumps(late).encode(), 1 << 20)
    assert decoded.events == [] and decoded.rejected[0].seq == 1
    assert decode("phuong-a", b"x" * 2048, 1024).rejected[0].reason.startswith("payload of 2048 bytes")
    assert [e.kind for e in decode("phuong-a", events(1).to_bytes(), 1 << 20).events] == [EventKind.ISSUED]


def test_a_bridge_coming_back_marks_the_hall_online_and_asks_for_what_it_may_hold(
    collector, province_broker, province_dsn
):
    a = Client(province_broker, "phuong-a")
    try:
        a.subscribe(Topics("phuong-a").province_resend())
        assert a.publish(Topics("phuong-a").events(), events(1, 2).to_bytes()) == 0
        wait_until(lambda: len(stored(province_dsn)) == 2, what="2 events")
        assert a.publish(Topics("phuong-a").bridge_status(), b"1") == 0  # what Mosquitto's bridge notification says
        wait_until(lambda: a.received, what="a resend request")
        assert parse(ResendRequest, a.received[-1][1]) == ResendRequest(from_seq=3)  # everything after 2
        with psycopg.connect(province_dsn) as conn:
            wait_until(
                lambda: conn.execute("SELECT online FROM halls WHERE site = 'phuong-a'").fetchone() == (True,),
                what="online",
            )
        assert a.publish(Topics("phuong-a").bridge_status(), b"0") == 0
        with psycopg.connect(province_dsn, autocommit=True) as conn:
            wait_until(
                lambda: conn.execute("SELECT online FROM halls WHERE site = 'phuong-a'").fetchone() == (False,),
                what="offline",
            )
    finally:
        a.close()


def test_the_parse_workers_give_exactly_what_the_writer_would():
    """A busy batch is parsed in worker processes: same events, same COPY lines, same refusals, same order."""
    payloads = [("phuong-a", events(n, n + 1).to_bytes()) for n in range(1, 2 * POOL_MIN_MESSAGES, 2)]
    payloads[3] = ("phuong-a", b"\xff not json")
    good = json.loads(events(90, 91).to_bytes())
    good["events"][0]["ticket_id"] = "tab\there, newline\nthere"  # COPY's special characters
    good["events"][1]["kind"] = "exploded"
    payloads.append(("xa-b", json.dumps(good).encode()))
    inline = _parse_chunk(payloads, 4096)
    service = Collector(ProvinceConfig(collector=CollectorSection(parse_workers=2)))
    service._pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    try:
        assert service._parse(payloads) == inline
    finally:
        service._pool.shutdown()
    assert [len(p.seqs) for p in inline[:5]] == [2, 2, 2, 0, 2]
    assert inline[3].rejected[0].reason.startswith("not an EventBatch")
    assert inline[-1].seqs == [90] and inline[-1].rejected[0].seq == 91
    assert b"tab\\there, newline\\nthere" in inline[-1].lines[0]
