"""The counter screen with the real broker and coordinator: in this process (SDL's dummy driver, taps put into
SDL's event queue like a finger's), and as a real `motcua counter-screen` process killed with kill -9.

- a call shows the number; a finish invites a rating; a low rating asks reasons; the vote is acknowledged, bound
  to the ticket just served and stored with its reasons; a second tap inside the lockout is misuse;
- the broker stopped: the screen says so and keeps the last number; started again: it resyncs from the retained
  counter state (a call made meanwhile shows);
- a vote made while the broker is down survives a kill -9 of the tablet and is counted once when both return.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WARD_HALL
from counter_screen_support import counter_screens_hall_file, with_counter_screens
from waiting import wait_until

from counter_screen.app import CounterScreenApp
from counter_screen.config import CounterScreenConfig, LoadedScreen
from motcua.clock import ScaledClock, clock_spec
from motcua.contract import (
    CounterCommand,
    CounterReply,
    RatingAck,
    RatingVote,
    TicketIssued,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.hall import HallConfig
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from motcua.simcontrol import send_control

pytestmark = pytest.mark.slow  # a real broker and coordinator, a broker stopped and started, real processes

OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "counter-screen"


class Hall:
    """A kiosk and counter 1's keypad talking to the coordinator fixture."""

    def __init__(self, sessions: Callable[..., MqttSession], clock: ScaledClock) -> None:
        self.clock = clock
        self.kiosk = sessions("kiosk-1", role="kiosk")
        self.keypad = sessions("keypad-1", role="keypad")
        self.topics = self.kiosk.topics

    def ticket(self, service: str = "ho-tich") -> TicketIssued:
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=self.clock.now(), service=service)
        reply = self.kiosk.request(
            self.topics.ticket_request("kiosk-1"), request, response_topic=self.topics.ticket_reply("kiosk-1")
        )
        issued = parse_kiosk_reply(reply.payload)
        assert isinstance(issued, TicketIssued), issued
        return issued

    def press(self, action: str, **fields: Any) -> CounterReply:
        command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=self.clock.now(), **fields)
        reply = self.keypad.request(
            self.topics.counter_command(1), command, response_topic=self.topics.counter_reply(1)
        )
        result = parse_counter_result(reply.payload)
        assert isinstance(result, CounterReply), result
        return result


@pytest.fixture
def broker(hall: HallConfig, tmp_path: Path) -> Iterator[LocalBroker]:
    """The conftest broker, for the sample hall with screen-1 registered at counter 1 (its broker user and ACL)."""
    local = LocalBroker(with_counter_screens(hall, 1), tmp_path / "broker")
    try:
        yield local.start()
    finally:
        local.kill()


def screen_config(broker: LocalBroker, tmp_path: Path, **extra: Any) -> CounterScreenConfig:
    settings = broker.settings("screen-1").model_dump()
    return CounterScreenConfig.model_validate(
        {
            "device": {"id": "screen-1", "site": "phuong-hoa-binh"},
            "mqtt": settings,
            "counter": 1,
            "mode": "tablet",
            "outbox": str(tmp_path / "screen-outbox.db"),
            "screen": {"driver": "dummy", "width": 1024, "height": 600, "fullscreen": False, "offline_grace_s": 0.5},
            "tablet": {"lockout_s": 5.0},
            **extra,
        }
    )


@pytest.fixture
def screen(broker: LocalBroker, coordinator, tmp_path: Path) -> Iterator[CounterScreenApp]:  # type: ignore[no-untyped-def]
    config = screen_config(broker, tmp_path)
    labels = LoadedScreen(config, coordinator.hall)
    app = CounterScreenApp(labels, clock=coordinator.clock)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            app.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="counter-screen", daemon=True)
    thread.start()
    try:
        yield app
    finally:
        app.stop()
        thread.join(15)
        assert not errors, errors


def test_a_call_shows_then_a_finish_invites_a_low_rating_asks_reasons_and_the_vote_is_bound(
    screen: CounterScreenApp, sessions, coordinator
):  # type: ignore[no-untyped-def]
    hall = Hall(sessions, coordinator.clock)
    hall.press("sign_in", officer="nguyen-thi-lan")
    first = hall.ticket()
    hall.ticket()
    hall.press("next")
    status = wait_until(lambda: (s := screen.status())["texts"].get("number") == first.ticket.label and s)
    assert status["texts"]["officer"] == "Nguyễn Thị Lan"
    assert status["texts"]["officer_title"] == "Công chức Tư pháp - Hộ tịch"
    assert status["screen"] == "display" and status["connected"]
    screen.screenshot(OUTPUT / "live-display.png")

    hall.press("finish")
    wait_until(lambda: screen.status()["screen"] == "invite", what="the invitation")
    screen.screenshot(OUTPUT / "live-invite.png")
    assert screen.tap("level:unsatisfied") == "level:unsatisfied"
    assert screen.status()["screen"] == "reasons"
    assert screen.tap("reason:wait") == "reason:wait"
    assert screen.tap("reason:guidance") == "reason:guidance"
    assert screen.tap("send") == "send"
    assert screen.tap("level:satisfied") == "level:satisfied"  # a second tap inside the lockout: misuse
    wait_until(lambda: screen.status()["acks"]["counted"] == 1 and screen.status()["acks"]["misuse"] == 1)
    assert screen.status()["outbox"] == 0
    db = sqlite3.connect(coordinator.store.path)
    rows = db.execute("SELECT level, outcome, ticket_id, reasons, officer FROM ratings ORDER BY pressed_at").fetchall()
    assert rows[0] == ("unsatisfied", "counted", first.ticket.id, "wait,guidance", "nguyen-thi-lan")
    assert (rows[1][0], rows[1][3]) == ("satisfied", None)
    assert [r[1] for r in rows] == ["counted", "misuse"]
    wait_until(lambda: screen.status()["screen"] == "display", timeout=10, what="thanks, then the number again")

    # the same counter's pad votes too: still one counted rating for the ticket
    pad = sessions("pad-1", role="pad")
    acks: list[RatingAck] = []
    pad.subscribe(hall.topics.rating_ack(1), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    vote = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=coordinator.clock.now())
    pad.publish(hall.topics.rating(1), vote)
    ack = wait_until(lambda: next((a for a in acks if a.id == vote.id), None))
    assert (ack.outcome.value, ack.ticket_id) == ("misuse", first.ticket.id)
    counted = db.execute("SELECT COUNT(*) FROM ratings WHERE ticket_id = ? AND outcome = 'counted'", (first.ticket.id,))
    assert counted.fetchone()[0] == 1
    # each rating is recorded from the device that sent it (the sample hall lists screen-1 and pad-1 at counter 1)
    devices = db.execute("SELECT id, device FROM ratings ORDER BY pressed_at, received_at").fetchall()
    assert [d for _, d in devices] == ["screen-1", "screen-1", "pad-1"] and devices[2][0] == str(vote.id)


def test_broker_loss_is_shown_and_the_screen_resyncs_from_the_retained_state(
    screen: CounterScreenApp, broker: LocalBroker, sessions, coordinator
):  # type: ignore[no-untyped-def]
    hall = Hall(sessions, coordinator.clock)
    hall.press("sign_in", officer="nguyen-thi-lan")
    first, second = hall.ticket(), hall.ticket()
    hall.press("next")
    wait_until(lambda: screen.status()["texts"].get("number") == first.ticket.label)
    broker.stop()
    status = wait_until(lambda: (s := screen.status())["offline_shown"] and s, what="the offline notice")
    assert status["texts"]["offline"].startswith("Mất kết nối")
    assert status["texts"]["number"] == first.ticket.label  # the last number stays
    screen.screenshot(OUTPUT / "live-offline.png")
    broker.start()
    coordinator.session.wait_connected(15)
    hall.keypad.wait_connected(15)
    hall.press("next")  # finishes the first ticket (the tablet invites a rating) and calls the second
    status = wait_until(
        lambda: (s := screen.status())["serving"] == second.ticket.label and not s["offline_shown"] and s,
        timeout=20,
        what=f"the resync ({screen.status()})",
    )
    assert status["connected"]


class ScreenProcess:
    """`motcua counter-screen` as a real process (SDL dummy driver), driven through its control socket."""

    def __init__(self, config: Path, socket: Path, env: dict[str, str], log: Path) -> None:
        self.config, self.socket, self.env, self.log = config, socket, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ScreenProcess:
        self.socket.unlink(missing_ok=True)  # left behind by a killed process
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "motcua.cli", "counter-screen", "--config", str(self.config)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: self.socket.exists() or self.process.poll() is not None)  # type: ignore[union-attr]
        assert self.process.poll() is None, self.log.read_text()
        return self

    def control(self, *words: object) -> dict[str, Any]:
        reply = send_control(self.socket, *words)
        assert reply["ok"], reply
        return reply

    def status(self) -> dict[str, Any]:
        return self.control("status")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)


def write_screen_config(broker: LocalBroker, tmp_path: Path, socket: Path) -> Path:
    assert broker.files is not None
    config = tmp_path / "screen-1.toml"
    hall_file = counter_screens_hall_file(WARD_HALL, tmp_path, 1)
    config.write_text(
        f'counter = 1\nhall = "{hall_file}"\nmode = "tablet"\noutbox = "{tmp_path / "screen-outbox.db"}"\n'
        '[device]\nid = "screen-1"\nsite = "phuong-hoa-binh"\n'
        f'[mqtt]\nport = {broker.port}\npassword_file = "{broker.files.credentials / "screen-1.password"}"\n'
        '[screen]\ndriver = "dummy"\nfullscreen = false\noffline_grace_s = 0.2\n'
        f'[simulation]\ncontrol_socket = "{socket}"\n',
        encoding="utf-8",
    )
    return config


def test_a_vote_made_while_the_broker_is_down_survives_kill_9_and_is_counted_once(
    broker: LocalBroker, coordinator, sessions, clock: ScaledClock, tmp_path: Path
):  # type: ignore[no-untyped-def]
    sockets = Path(tempfile.mkdtemp(prefix="cs-"))  # Unix socket paths must stay short
    env = dict(os.environ, MOTCUA_CLOCK=clock_spec(clock.start, clock.speed, clock.anchor), SDL_VIDEODRIVER="dummy")
    config = write_screen_config(broker, tmp_path, sockets / "screen-1.sock")
    screen = ScreenProcess(config, sockets / "screen-1.sock", env, tmp_path / "screen-1.log").start()
    try:
        wait_until(lambda: screen.status()["connected"])
        hall = Hall(sessions, clock)
        hall.press("sign_in", officer="nguyen-thi-lan")
        served = hall.ticket()
        hall.press("next")
        wait_until(lambda: screen.status()["serving"] == served.ticket.label)
        hall.press("finish")
        wait_until(lambda: screen.status()["screen"] == "invite")

        broker.stop()
        wait_until(lambda: not screen.status()["connected"])
        assert screen.control("tap", "level:unsatisfied")["hit"] == "level:unsatisfied"
        assert screen.control("tap", "reason:attitude")["hit"] == "reason:attitude"
        assert screen.control("tap", "send")["hit"] == "send"
        wait_until(lambda: screen.status()["outbox"] == 1, what="the vote on disk")
        screen.kill()  # kill -9 with the vote not yet delivered

        broker.start()
        screen.start()  # the same config and outbox
        db = coordinator.store.path
        rows = wait_until(
            lambda: sqlite3.connect(db).execute("SELECT level, outcome, ticket_id, reasons FROM ratings").fetchall(),
            timeout=30,
            what="the vote delivered after the broker returned",
        )
        assert rows == [("unsatisfied", "counted", served.ticket.id, "attitude")]
        wait_until(lambda: screen.status()["outbox"] == 0, what="acknowledged and forgotten")
    finally:
        screen.kill()
        shutil.rmtree(sockets, ignore_errors=True)
