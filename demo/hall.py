"""The demo hall: its folder, hall.toml and device configs, its processes, and the admin's view of it.

Shared by the scripted morning (`demo.main`) and the control window (`demo.panel`); imports neither.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Any

import tomli_w

from motcua.config import MqttSettings
from motcua.contract import (
    ANY,
    CounterReply,
    CounterState,
    ErrorReply,
    TicketInfo,
    TicketIssued,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.errors import MotcuaError
from motcua.hall import HallConfig, load_hall
from motcua.localbroker import LocalBroker
from motcua.session import Inbound, MqttSession

logger = logging.getLogger(__name__)

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ward-hall"
MONDAY = date(2026, 11, 23)
VN = timezone(timedelta(hours=7))

#: The demo hall: the sample ward's services on three counters.
DEMO_COUNTERS = {
    1: (["ho-tich", "tra-ket-qua"], "nguyen-thi-lan"),
    2: (["chung-thuc", "tra-ket-qua"], "tran-van-minh"),
    3: (["lao-dong-xa-hoi", "dat-dai-moi-truong", "van-hoa-khac"], "pham-van-duc"),
}


class DemoStopped(MotcuaError):
    """Ctrl-C (or SIGTERM) during the demo."""


# --- the demo hall and its device configurations ---------------------------------------------------------


@dataclass
class Workspace:
    """Everything the demo writes, under one folder (demo-out/ by default)."""

    root: Path

    @property
    def hall(self) -> Path:
        return self.root / "hall" / "hall.toml"

    def config(self, device: str) -> Path:
        return self.root / "config" / f"{device}.toml"

    def socket(self, device: str) -> Path:
        return self.root / "run" / f"{device}.sock"

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    @property
    def tickets(self) -> Path:
        return self.root / "tickets"

    @property
    def screenshots(self) -> Path:
        return self.root / "screenshots"

    @property
    def audio(self) -> Path:
        return self.root / "audio"

    @property
    def camera(self) -> Path:
        return self.root / "kiosk-camera"

    @property
    def database(self) -> Path:
        return self.root / "coordinator.db"


def write_demo_hall(workspace: Workspace, sample: Path = SAMPLE) -> HallConfig:
    """The sample ward's hall.toml with three counters and the demo's devices (written with tomli-w)."""
    data = tomllib.loads((sample / "hall.toml").read_text(encoding="utf-8"))
    data["hall"]["procedures"] = str((sample / "procedures.toml").resolve())
    data["counters"] = [
        {"number": n, "services": services, "officer": officer} for n, (services, officer) in DEMO_COUNTERS.items()
    ]
    data["devices"] = {
        "kiosks": [{"id": "kiosk-1"}],
        "pads": [{"id": f"pad-{n}", "counter": n} for n in DEMO_COUNTERS],
        "keypads": [{"id": f"keypad-{n}", "counter": n} for n in DEMO_COUNTERS],
        "counter_screens": [{"id": "screen-1", "counter": 1}],  # counter 1 also has a touch rating tablet
        "displays": [{"id": "display-1"}],
        "admins": ["admin"],
        "coordinator": "coordinator",
    }
    workspace.hall.parent.mkdir(parents=True, exist_ok=True)
    workspace.hall.write_text(tomli_w.dumps(data), encoding="utf-8")
    return load_hall(workspace.hall)


def write_device_configs(
    workspace: Workspace, hall: HallConfig, broker: LocalBroker, *, windows: bool, speed: float
) -> None:
    """One TOML per device, from the sample devices' settings, with simulated hardware."""
    assert broker.files is not None
    site = hall.hall.site
    credentials = broker.files.credentials

    def mqtt(device: str) -> dict[str, Any]:
        return {"host": "127.0.0.1", "port": broker.port, "password_file": str(credentials / f"{device}.password")}

    def write(device: str, data: dict[str, Any]) -> None:
        path = workspace.config(device)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(data), encoding="utf-8")

    write(
        "coordinator",
        {
            "hall": str(workspace.hall),
            "database": str(workspace.database),
            "mqtt": {**mqtt("coordinator"), "username": "coordinator"},
        },
    )
    # The hall tools (`motcua counter`) use the tools' listener, as on the coordinator Pi (docs/security.md).
    write("admin", {"device": {"id": "admin", "site": site}, "mqtt": {**mqtt("admin"), "port": broker.tools_port}})
    sample_devices = SAMPLE / "devices"
    pad = tomllib.loads((sample_devices / "pad-1.toml").read_text(encoding="utf-8"))
    keypad = tomllib.loads((sample_devices / "keypad-1.toml").read_text(encoding="utf-8"))
    for number in DEMO_COUNTERS:
        write(
            f"pad-{number}",
            {
                **pad,
                "counter": number,
                "hall": str(workspace.hall),
                "outbox": str(workspace.root / "state" / f"pad-{number}-outbox.db"),
                "device": {"id": f"pad-{number}", "site": site},
                "mqtt": mqtt(f"pad-{number}"),
                "gpio": {"factory": "mock"},
                # hall time runs `speed` times faster: the lockout (real seconds) would swallow the next citizen's vote
                "pad": {**pad.get("pad", {}), "lockout_s": min(5.0, max(0.3, 36 / speed)), "resend_s": 5.0},
                "simulation": {"control_socket": str(workspace.socket(f"pad-{number}"))},
            },
        )
        write(
            f"keypad-{number}",
            {
                **keypad,
                "counter": number,
                "hall": str(workspace.hall),
                "device": {"id": f"keypad-{number}", "site": site},
                "mqtt": mqtt(f"keypad-{number}"),
                "gpio": {"factory": "mock"},
                "keypad": {**keypad.get("keypad", {}), "repeat_guard_s": 0.2},
                "simulation": {"control_socket": str(workspace.socket(f"keypad-{number}"))},
            },
        )
    write(
        "kiosk-1",
        {
            "state_dir": str(workspace.root / "state" / "kiosk-1"),
            "control_socket": str(workspace.socket("kiosk-1")),
            "device": {"id": "kiosk-1", "site": site},
            "mqtt": mqtt("kiosk-1"),
            "screen": {
                "driver": "" if windows else "dummy",
                "fullscreen": False,
                "width": 1024,
                "height": 600,
                "diagonal_in": 7.0,  # a 7" panel: buttons sized for it (docs/kiosk.md, supported panels)
                "idle_timeout_s": 30.0,
                "ticket_screen_s": 5.0,
            },
            "printer": {"connection": "dummy", "paper": "80mm", "save_dir": str(workspace.tickets)},
            "camera": {"source": "files", "drop_folder": str(workspace.camera), "cooldown_s": 2.0},
        },
    )
    write(
        "screen-1",
        {
            "counter": 1,
            "hall": str(workspace.hall),
            "mode": "tablet",
            "outbox": str(workspace.root / "state" / "screen-1-outbox.db"),
            "device": {"id": "screen-1", "site": site},
            "mqtt": mqtt("screen-1"),
            "screen": {"driver": "auto" if windows else "dummy", "fullscreen": False, "width": 1024, "height": 600},
            "tablet": {"lockout_s": min(5.0, max(0.3, 36 / speed)), "resend_s": 5.0},
            "simulation": {} if windows else {"control_socket": str(workspace.socket("screen-1"))},
        },
    )
    write(
        "display-1",
        {
            "device": {"id": "display-1", "site": site},
            "mqtt": mqtt("display-1"),
            "screen": {
                "driver": "auto" if windows else "dummy",
                "fullscreen": False,
                "width": 1280 if windows else 1920,
                "height": 720 if windows else 1080,
                "notice": "Bản trình diễn motcua — Giờ làm việc: sáng 7:30–11:30, chiều 13:30–17:00. "
                "Góp ý, phản ánh: 0214 3 000 000. Xin cảm ơn!",
            },
            "audio": {
                "output": "pygame" if windows else "wav",
                "wav_dir": str(workspace.audio),
                "wav_realtime": windows,
                "max_age_s": 0,
                "repeat": 1,
                "clips": str(workspace.root / "voice"),
            },
            # a display in a window is looked at, not asked: no control socket then
            "simulation": {} if windows else {"control_socket": str(workspace.socket("display-1"))},
        },
    )


# --- the hall's processes --------------------------------------------------------------------------------


@dataclass
class Processes:
    """The device processes, stopped together (SIGTERM, then SIGKILL after a grace period)."""

    workspace: Workspace
    env: dict[str, str]
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        log = self.workspace.log(name).open("ab")
        command = [sys.executable, "-m", "motcua.cli", *args]
        self.running[name] = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def check(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                tail = self.workspace.log(name).read_text(errors="replace")[-1500:]
                raise MotcuaError(f"{name} exited with status {process.returncode}; its log:\n{tail}")

    def stop(self, grace: float = 8.0) -> dict[str, int | None]:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        codes: dict[str, int | None] = {}
        for name, process in self.running.items():
            try:
                codes[name] = process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait(5)
                logger.warning("%s did not stop within %.0f s: killed", name, grace)
        self.running.clear()
        return codes


def wait_for(condition: Callable[[], Any], timeout: float, what: str, stopped: threading.Event | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if stopped is not None and stopped.is_set():
            raise DemoStopped("stopped")
        if time.monotonic() > deadline:
            raise MotcuaError(f"timed out waiting for {what}")
        time.sleep(0.05)


# --- watching the hall as the admin user -----------------------------------------------------------------


class Watcher:
    """The admin's view: device statuses, ticket replies, counter replies and rating acks as they happen."""

    def __init__(self, settings: MqttSettings, site: str) -> None:
        self.session = MqttSession(settings, device="admin", site=site, role="admin")
        topics = self.session.topics
        self.lock = threading.Condition()
        self.online: set[str] = set()
        self.tickets: dict[str, TicketInfo] = {}  # by request id
        self.counter_replies: dict[int, list[CounterReply | ErrorReply]] = {}
        self.acks: dict[str, str] = {}  # rating id -> outcome
        self.ack_count: dict[int, int] = {}
        self.states: dict[int, CounterState] = {}
        self.session.subscribe(topics.device_status(ANY), self._status)
        self.session.subscribe(topics.ticket_reply(ANY), self._ticket)
        self.session.subscribe(topics.counter_reply(ANY), self._counter)
        self.session.subscribe(topics.rating_ack(ANY), self._ack)
        self.session.subscribe(topics.counter_state(ANY), self._state)

    def _state(self, inbound: Inbound) -> None:
        state = CounterState.model_validate_json(inbound.payload)
        with self.lock:
            self.states[state.counter] = state

    def _status(self, inbound: Inbound) -> None:
        data = json.loads(inbound.payload)
        with self.lock:
            (self.online.add if data.get("state") == "online" else self.online.discard)(data.get("device"))
            self.lock.notify_all()

    def _ticket(self, inbound: Inbound) -> None:
        reply = parse_kiosk_reply(inbound.payload)
        if isinstance(reply, TicketIssued):
            with self.lock:
                self.tickets[str(reply.request_id)] = reply.ticket
                self.lock.notify_all()

    def _counter(self, inbound: Inbound) -> None:
        counter = self.session.topics.counter_of(inbound.topic)
        with self.lock:
            self.counter_replies.setdefault(counter, []).append(parse_counter_result(inbound.payload))
            self.lock.notify_all()

    def _ack(self, inbound: Inbound) -> None:
        counter = self.session.topics.counter_of(inbound.topic)
        data = json.loads(inbound.payload)
        with self.lock:
            self.acks[data["id"]] = data["outcome"]
            self.ack_count[counter] = self.ack_count.get(counter, 0) + 1
            self.lock.notify_all()

    def wait(self, condition: Callable[[], Any], timeout: float) -> Any:
        with self.lock:
            self.lock.wait_for(condition, timeout)
            return condition()
