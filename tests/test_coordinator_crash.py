"""kill -9 the coordinator in the middle of a stream of ticket requests and ratings, restart it: no number is
issued twice, and every acknowledged ticket and rating is still there."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import MONDAY_MORNING, STRESS_LIMITS, WARD_HALL

from motcua.clock import clock_spec
from motcua.contract import RatingAck, RatingVote, TicketCancel, TicketIssued, TicketRequest, parse_kiosk_reply
from motcua.errors import NotConnectedError, RequestTimeoutError

pytestmark = pytest.mark.slow  # a coordinator killed with SIGKILL mid-traffic


def stress_hall(tmp_path: Path) -> Path:
    """The sample hall with rate limits far above any real device's (this test floods on purpose; the limits have
    their own tests): hall.toml copied beside its procedures' absolute path, plus a ``[limits]`` section."""
    text = WARD_HALL.read_text(encoding="utf-8")
    text = text.replace('procedures = "procedures.toml"', f'procedures = "{WARD_HALL.parent / "procedures.toml"}"')
    limits = "".join(f"{key} = {value}\n" for key, value in STRESS_LIMITS.items())
    path = tmp_path / "hall.toml"
    path.write_text(f"{text}\n[limits]\n{limits}", encoding="utf-8")
    return path


def start_coordinator(tmp_path: Path, broker, env: dict[str, str]) -> subprocess.Popen[bytes]:
    config = tmp_path / "coordinator.toml"
    config.write_text(
        f'hall = "{stress_hall(tmp_path)}"\ndatabase = "{tmp_path / "coordinator.db"}"\n'
        f'[mqtt]\nport = {broker.port}\npassword_file = "{broker.files.credentials / "coordinator.password"}"\n'
    )
    log = (tmp_path / "coordinator.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "coordinator", "--config", str(config)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_kill_9_in_the_middle_of_traffic_loses_nothing_acknowledged(broker, sessions, tmp_path: Path):
    env = dict(os.environ, MOTCUA_CLOCK=clock_spec(MONDAY_MORNING, 1, time.time()))
    coordinator = start_coordinator(tmp_path, broker, env)
    kiosk = sessions("kiosk-1", role="kiosk")
    pad = sessions("pad-1", role="pad")
    topics = kiosk.topics
    clock_env = env["MOTCUA_CLOCK"]
    from motcua.clock import parse_clock

    clock = parse_clock(clock_env)
    issued: dict[str, str] = {}  # request id -> label, acknowledged
    gave_up: list[str] = []
    acked_votes: dict[str, str] = {}
    sent_votes: dict[str, RatingVote] = {}
    pad.subscribe(
        topics.rating_ack(1),
        lambda i: acked_votes.__setitem__(
            str(RatingAck.model_validate_json(i.payload).id), RatingAck.model_validate_json(i.payload).outcome
        ),
    )
    stop = threading.Event()

    def kiosk_traffic() -> None:
        while not stop.is_set():
            request_id = uuid.uuid4()
            request = TicketRequest(request_id=request_id, sent_at=clock.now(), service="chung-thuc")
            try:
                reply = kiosk.request(
                    topics.ticket_request("kiosk-1"),
                    request,
                    response_topic=topics.ticket_reply("kiosk-1"),
                    timeout=1.0,
                )
            except (RequestTimeoutError, NotConnectedError):
                gave_up.append(str(request_id))  # what the kiosk does: cancel, so it is never issued later
                kiosk.publish(topics.ticket_cancel("kiosk-1"), TicketCancel(request_id=request_id, reason="timeout"))
                continue
            answer = parse_kiosk_reply(reply.payload)
            assert isinstance(answer, TicketIssued), answer
            issued[str(request_id)] = answer.ticket.label

    def pad_traffic() -> None:
        while not stop.is_set():
            vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=clock.now())
            sent_votes[str(vote.id)] = vote
            pad.publish(topics.rating(1), vote)
            time.sleep(0.005)

    threads = [threading.Thread(target=kiosk_traffic), threading.Thread(target=pad_traffic)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(issued) < 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(issued) >= 50, "the coordinator did not serve traffic"
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait()
        acked_before_kill = dict(issued)
        votes_acked_before_kill = dict(acked_votes)
        time.sleep(0.5)
        coordinator = start_coordinator(tmp_path, broker, env)
        deadline = time.monotonic() + 15
        while len(issued) < len(acked_before_kill) + 50 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    # the pad's outbox resends whatever was not acknowledged (here: by hand)
    for vote_id, vote in sent_votes.items():
        if vote_id not in acked_votes:
            pad.publish(topics.rating(1), vote)
    deadline = time.monotonic() + 15
    while len(acked_votes) < len(sent_votes) and time.monotonic() < deadline:
        time.sleep(0.05)
    coordinator.send_signal(signal.SIGTERM)
    assert coordinator.wait(10) == 0

    db = sqlite3.connect(tmp_path / "coordinator.db")
    rows = db.execute("SELECT request_id, label, status, number FROM tickets").fetchall()
    labels = [r[1] for r in rows]
    assert len(labels) == len(set(labels)), "a number was issued twice"
    numbers = sorted(r[3] for r in rows)
    assert numbers == list(range(2001, 2001 + len(numbers))), "numbers must be consecutive: none reused, none lost"
    stored = {r[0]: (r[1], r[2]) for r in rows}
    assert len(issued) > len(acked_before_kill), "no tickets after the restart"
    for request_id, label in issued.items():
        assert stored[request_id] == (label, "waiting"), f"acknowledged ticket {label} lost or changed"
    for request_id in gave_up:  # never issued behind the kiosk's back: absent or cancelled
        assert request_id not in stored or stored[request_id][1] == "cancelled"
    ratings = {r[0] for r in db.execute("SELECT id FROM ratings")}
    assert set(votes_acked_before_kill) <= ratings, "an acknowledged rating was lost"
    assert set(sent_votes) == ratings, "every vote stored exactly once"
    assert len(acked_votes) == len(sent_votes)
