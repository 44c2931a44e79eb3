"""The pad and the keypad as real processes (`motcua pad` / `motcua keypad` on mock pins, driven through their
control sockets) with the real broker and coordinator:

- keypad next -> counter state -> the pad invites -> press -> counted, bound to the ticket just served; a second
  press in the window -> misuse; a press with nobody served -> unbound;
- the pad killed with kill -9 while votes wait, the broker stopped and started, the pad started again: every vote
  counted exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WARD_HALL
from waiting import wait_until

from motcua.clock import ScaledClock, clock_spec
from motcua.contract import DeviceStatus, TicketRequest
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from motcua.simcontrol import send_control

pytestmark = pytest.mark.slow  # real processes, a broker killed and restarted


class Device:
    """One `motcua pad|keypad` process on mock pins, with its control socket."""

    def __init__(self, kind: str, config: Path, socket: Path, env: dict[str, str], log: Path) -> None:
        self.kind, self.config, self.socket, self.env, self.log = kind, config, socket, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Device:
        self.socket.unlink(missing_ok=True)  # left behind by a killed process
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "motcua.cli", self.kind, "--config", str(self.config)],
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
        """kill -9: no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)


@pytest.fixture
def devices(broker: LocalBroker, clock: ScaledClock, tmp_path: Path) -> Iterator[Callable[..., Device]]:
    """Factory of device processes sharing the coordinator's clock; every process is killed at the end."""
    sockets = Path(tempfile.mkdtemp(prefix="mc-"))  # Unix socket paths must stay short
    env = dict(os.environ, MOTCUA_CLOCK=clock_spec(clock.start, clock.speed, clock.anchor))
    made: list[Device] = []

    def make(kind: str, device: str, extra: str = "") -> Device:
        config = tmp_path / f"{device}.toml"
        socket = sockets / f"{device}.sock"
        common = (
            f'counter = 1\nhall = "{WARD_HALL}"\n'
            + (f'outbox = "{tmp_path / "pad-outbox.db"}"\n' if kind == "pad" else "")
            + f'[device]\nid = "{device}"\nsite = "phuong-hoa-binh"\n'
            + f'[mqtt]\nport = {broker.port}\npassword_file = "{broker.files.credentials / f"{device}.password"}"\n'
            + f'[gpio]\nfactory = "mock"\n[simulation]\ncontrol_socket = "{socket}"\n'
        )
        pins = (
            "[buttons]\nsatisfied = 17\nneutral = 27\nunsatisfied = 22\n[leds]\nsatisfied = 23\nneutral = 24\n"
            "unsatisfied = 25\n"
            if kind == "pad"
            else "[keys]\nnext = 5\nrecall = 6\nno_show = 13\n[leds]\ngreen = 19\nred = 26\n"
        )
        config.write_text(common + pins + extra, encoding="utf-8")
        process = Device(kind, config, socket, env, tmp_path / f"{device}.log")
        made.append(process)
        return process

    try:
        yield make
    finally:
        for process in made:
            process.kill()
        shutil.rmtree(sockets, ignore_errors=True)


def ratings(db_path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM ratings ORDER BY pressed_at, rowid").fetchall()
    finally:
        db.close()


def issue(kiosk: MqttSession, clock: ScaledClock, count: int) -> None:
    topics = kiosk.topics
    for _ in range(count):
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))


def test_e2e_keypad_calls_pad_invites_vote_counted_and_bound(devices, coordinator, sessions, clock):
    db = coordinator.store.path
    pad = devices("pad", "pad-1", "[pad]\nlockout_s = 1.5\nthanks_s = 0.5\n").start()
    keypad = devices("keypad", "keypad-1", "[keypad]\nrepeat_guard_s = 0.2\n").start()
    wait_until(lambda: pad.status()["connected"] and keypad.status()["connected"])
    wait_until(lambda: pad.status()["pattern"] == "idle")

    # nobody served yet at counter 1: the vote is stored, unbound
    pad.control("press", "neutral")
    first_press = time.monotonic()
    wait_until(lambda: len(ratings(db)) == 1)
    assert (ratings(db)[0]["outcome"], ratings(db)[0]["ticket_id"]) == ("unbound", None)

    issue(sessions("kiosk-1", role="kiosk"), clock, 2)
    keypad.control("press", "next")  # 1001 called
    wait_until(lambda: pad.status()["serving"] == "1001")
    time.sleep(0.3)  # past the keypad's repeat guard: this "next" is a new call, not a double tap
    keypad.control("press", "next")  # 1001 finished, 1002 called: the pad invites a rating of 1001
    wait_until(lambda: pad.status()["pattern"] == "invite")
    wait_until(lambda: keypad.status()["serving"] == "1002" and keypad.status()["last_feedback"] == "ok")

    time.sleep(max(0.0, first_press + 1.6 - time.monotonic()))  # the next citizen: past the lockout
    pad.control("press", "satisfied")
    pad.control("press", "unsatisfied")  # at once: inside the pad's lockout
    wait_until(lambda: len(ratings(db)) == 3)
    time.sleep(1.6)  # past the lockout: the pad sends a normal vote, the coordinator sees 1001 already rated
    pad.control("press", "unsatisfied")
    rows = wait_until(lambda: len(ratings(db)) == 4 and ratings(db))
    assert [(r["level"], r["outcome"], r["ticket_id"]) for r in rows[1:]] == [
        ("satisfied", "counted", "20261123-1001"),
        ("unsatisfied", "misuse", "20261123-1001"),
        ("unsatisfied", "misuse", "20261123-1001"),
    ]
    assert rows[1]["officer"] == "nguyen-thi-lan" and rows[1]["service"] == "ho-tich"
    assert [r["reason"] for r in rows[2:]] == ["inside the pad's lockout", "ticket already rated"]
    wait_until(lambda: pad.status()["outbox"] == 0 and pad.status()["pattern"] == "idle")

    # hold "next" (2 s by default) through the control socket: the counter pauses, nobody is called, and the
    # citizen at the desk (1002) is finished — the pad invites a rating for 1002
    keypad.control("hold", "next", 2.3)
    wait_until(lambda: keypad.status()["counter_status"] == "paused")
    assert keypad.status()["serving"] is None
    wait_until(lambda: pad.status()["rating_open_until"] is not None)
    wait_until(lambda: keypad.status()["pattern"] == "paused")

    assert pad.terminate() == 0  # SIGTERM: a clean stop
    assert keypad.terminate() == 0
    assert not pad.socket.exists()


def test_e2e_pad_killed_and_broker_restarted_every_vote_counted_once(devices, coordinator, broker, sessions, tmp_path):
    db = coordinator.store.path
    outbox = tmp_path / "pad-outbox.db"
    pad = devices("pad", "pad-1", "[pad]\noffline_grace_s = 0.2\n").start()
    wait_until(lambda: pad.status()["connected"])
    for level in ("satisfied", "neutral", "unsatisfied"):
        pad.control("press", level)
    wait_until(lambda: len(ratings(db)) == 3 and pad.status()["outbox"] == 0)

    broker.stop()
    wait_until(lambda: not pad.status()["connected"])
    for i in range(5):
        pad.control("press", ("satisfied", "neutral", "unsatisfied")[i % 3])
    wait_until(lambda: pad.status()["outbox"] == 5)  # on disk, waiting
    wait_until(lambda: pad.status()["pattern"] == "offline")
    pad.kill()
    waiting = {row[0] for row in sqlite3.connect(outbox).execute("SELECT id FROM votes")}
    assert len(waiting) == 5

    broker.start()
    pad = devices("pad", "pad-1").start()  # the same config and outbox: the votes are still there
    rows = wait_until(lambda: len(ratings(db)) == 8 and ratings(db), timeout=40)
    assert waiting <= {row["id"] for row in rows}
    wait_until(lambda: pad.status()["outbox"] == 0)

    # the pad's retained status: online now, offline (its last will) when it dies without a goodbye
    states: list[str] = []
    admin = sessions("admin", role="admin")
    admin.subscribe(
        admin.topics.device_status("pad-1"), lambda i: states.append(DeviceStatus.model_validate_json(i.payload).state)
    )
    wait_until(lambda: states[-1:] == ["online"])

    # kill -9 again with votes in flight: stored, partly acknowledged, the rest sent by the next process
    for i in range(20):
        pad.control("press", ("satisfied", "neutral", "unsatisfied")[i % 3])
    wait_until(lambda: sum(pad.status()["presses"][k] for k in ("votes", "misuse")) == 20)
    pad.kill()
    wait_until(lambda: states[-1:] == ["offline"])
    pad = devices("pad", "pad-1").start()
    wait_until(lambda: len(ratings(db)) == 28 and pad.status()["outbox"] == 0, timeout=40)
    time.sleep(0.5)  # anything sent twice would be stored twice (it is not: the id is the key) and acked duplicate
    rows = ratings(db)
    assert len(rows) == len({row["id"] for row in rows}) == 28
    assert pad.terminate() == 0
