"""`motcua demo` (`make demo`): the whole hall on this machine, each device its own process, as in a hall.

Mosquitto from broker_config/ on a free port, the coordinator with the sample ward (cut to three counters), one
kiosk, three counters with a pad and a keypad each on simulated GPIO pins, and the waiting-hall display — all
`motcua` processes with simulated hardware, sharing one accelerated clock (``MOTCUA_CLOCK``).

- With a screen (``DISPLAY`` or ``WAYLAND_DISPLAY`` set): the kiosk and the display open windows, and a small
  control window presses the simulated keypads and pads and "scans" procedure sheets. The hall runs in real time.
- Without a screen (CI, SSH): a scripted busy morning (`coordinator.simulate`'s citizens and officers, acting
  through the devices' control sockets) in accelerated time with a progress bar; then screenshots, the printed
  tickets as PNG and the day's report go to ``demo-out/`` and a summary is printed.

Ctrl-C stops every process cleanly; nothing is left running.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import tomli_w

from motcua.clock import ScaledClock, clock_spec
from motcua.config import MqttSettings
from motcua.contract import (
    ANY,
    CounterAction,
    CounterReply,
    CounterState,
    ErrorReply,
    RatingLevel,
    TicketInfo,
    TicketIssued,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.errors import MotcuaError
from motcua.hall import HallConfig, load_hall
from motcua.localbroker import LocalBroker
from motcua.session import Inbound, MqttSession
from motcua.simcontrol import send_control

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
    write("admin", {"device": {"id": "admin", "site": site}, "mqtt": mqtt("admin")})
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


# --- the scripted morning: citizens and officers acting through the devices -----------------------------


class DeviceActions:
    """`coordinator.simulate.HallActions` through the devices' control sockets: the kiosk's `take`, the keypads'
    keys, the pads' buttons — the real device code runs for every action."""

    def __init__(self, workspace: Workspace, watcher: Watcher) -> None:
        self.workspace = workspace
        self.watcher = watcher
        self.kiosk = workspace.socket("kiosk-1")
        self.last_key: dict[tuple[int, str], float] = {}

    def take_ticket(self, citizen: Any) -> TicketInfo | None:
        words: list[object] = ["take", citizen.service]
        if citizen.priority is not None:
            words.append(citizen.priority.value)
        reply = send_control(self.kiosk, *words, timeout=30)
        if reply.get("outcome") != "printed":
            logger.info("kiosk: %s", reply)
            return None
        request_id = reply["request_id"]
        return self.watcher.wait(lambda: self.watcher.tickets.get(request_id), 10)  # type: ignore[no-any-return]

    def press(self, counter: int, action: CounterAction) -> CounterReply | ErrorReply:
        keypad = self.workspace.socket(f"keypad-{counter}")
        replies = self.watcher.counter_replies
        before = len(replies.get(counter, []))
        if action in (CounterAction.PAUSE, CounterAction.RESUME):
            command: list[object] = ["hold", "next", 2.5]  # the keypad toggles pause with a long press
        elif action in (CounterAction.NEXT, CounterAction.FINISH):
            command = ["press", "next"]
        else:
            command = ["press", action.value]
        key = (counter, str(command[1]))
        wait = self.last_key.get(key, 0) + 0.3 - time.monotonic()  # the keypad's double-tap guard
        if wait > 0:
            time.sleep(wait)
        done = _keypad_commands(keypad)
        send_control(keypad, *command)
        self.last_key[key] = time.monotonic()
        # The keypad takes one command at a time and ignores keys pressed while it waits for a reply (an officer's
        # impatient second press): the next press waits until this one is done, as an officer watching the LEDs.
        finished = wait_for(lambda: _keypad_commands(keypad) > done, 20, f"keypad-{counter} to finish {action}")
        got = self.watcher.wait(lambda: len(replies.get(counter, [])) > before, 5)
        if not finished or not got:
            return ErrorReply(error="internal", message=f"keypad-{counter} gave no reply")
        return replies[counter][before]

    def rate(self, counter: int, level: RatingLevel, *, misuse: bool) -> None:
        before = self.watcher.ack_count.get(counter, 0)
        send_control(self.workspace.socket(f"pad-{counter}"), "press", level.value)
        self.watcher.wait(lambda: self.watcher.ack_count.get(counter, 0) > before, 15)


def _keypad_commands(keypad: Path) -> int:
    """How many commands the keypad has finished (answered, refused, or refused for lack of connection)."""
    stats = send_control(keypad, "status")["commands"]
    return int(stats["sent"]) + int(stats["not_connected"])


@dataclass
class RealTime:
    """`coordinator.simulate.Timeline` for accelerated real time: wait until the shared clock gets there."""

    clock: ScaledClock
    stopped: threading.Event

    def advance_to(self, moment: datetime) -> None:
        while not self.stopped.is_set():
            remaining = (moment - self.clock.now()).total_seconds() / self.clock.speed
            if remaining <= 0:
                return
            time.sleep(min(remaining, 0.2))
        raise DemoStopped("stopped")


# --- the demo itself -------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    summary: dict[str, Any]
    workspace: Workspace


def run_demo(
    out: Path,
    *,
    windows: bool,
    speed: float,
    citizens: float,
    until: str,
    seed: int,
    stopped: threading.Event,
    progress: Callable[[float], None] | None = None,
) -> DemoResult:
    from coordinator.simulate import DaySimulation, load_profile, plan_day

    workspace = Workspace(out.resolve())
    if workspace.root.exists():
        shutil.rmtree(workspace.root)
    for folder in ("logs", "run", "state", "tickets", "screenshots", "audio", "kiosk-camera"):
        (workspace.root / folder).mkdir(parents=True, exist_ok=True)
    hall = write_demo_hall(workspace)
    start = datetime.combine(MONDAY, datetime.strptime("07:05", "%H:%M").time(), VN)
    anchor = time.time() + 4  # the processes' start-up happens before the hall's 07:05
    clock = ScaledClock(start=start, speed=speed, anchor=anchor)
    env = dict(os.environ, MOTCUA_CLOCK=clock_spec(start, speed, anchor))
    if not windows:
        env.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    broker = LocalBroker(hall, workspace.root / "broker")
    processes = Processes(workspace, env)
    watcher: Watcher | None = None
    try:
        broker.start()
        write_device_configs(workspace, hall, broker, windows=windows, speed=speed)
        watcher = Watcher(broker.settings("admin"), hall.hall.site)
        watcher.session.start()
        processes.start("coordinator", "coordinator", "--config", str(workspace.config("coordinator")))
        for device in ["display-1", "kiosk-1", *[f"{k}-{n}" for n in DEMO_COUNTERS for k in ("pad", "keypad")]]:
            role = device.split("-")[0]
            processes.start(device, role, "--config", str(workspace.config(device)))
        processes.start("screen-1", "counter-screen", "--config", str(workspace.config("screen-1")))
        everyone = {"coordinator", "display-1", "kiosk-1", "screen-1"} | {
            f"{k}-{n}" for n in DEMO_COUNTERS for k in ("pad", "keypad")
        }

        def ready() -> bool:
            processes.check()
            with watcher.lock:
                online = everyone <= watcher.online
            controlled = everyone - {"coordinator"} - ({"display-1", "screen-1"} if windows else set())
            sockets = all(workspace.socket(d).exists() for d in controlled)
            return online and sockets and send_control(workspace.socket("kiosk-1"), "status").get("catalogue", False)

        wait_for(ready, 60, "every device to come online", stopped)
        print(
            f"The hall is running: {len(everyone)} processes, broker on 127.0.0.1:{broker.port}; "
            f"logs in {workspace.root / 'logs'}",
            flush=True,
        )
        if windows:
            from motcua.demo_panel import run_panel

            run_panel(workspace, hall, watcher, stopped)
            summary = {"mode": "windows"}
        else:
            profile = load_profile(SAMPLE / "hall.toml")
            # the sample ward's citizens, in proportion to the counters the demo keeps
            busy = citizens or profile.citizens_per_day * len(hall.counters) / len(
                load_hall(SAMPLE / "hall.toml").counters
            )
            plan = plan_day(hall, MONDAY, profile.behaviour(busy), random.Random(seed))
            closing = datetime.combine(MONDAY, datetime.strptime(until, "%H:%M").time(), VN)
            plan = replace(
                plan,
                citizens=[c for c in plan.citizens if c.arrives < closing],
                breaks={n: b for n, b in plan.breaks.items() if b[0] < closing},
                closes=closing,
            )
            print(
                f"A busy morning: {len(plan.citizens)} citizens from 07:05 to {until}, {speed:g}x faster than "
                f"real time",
                flush=True,
            )
            taken: set[str] = set()

            def progress_and_pictures(fraction: float) -> None:
                if progress is not None:
                    progress(fraction)
                if fraction >= 0.4 and "morning" not in taken:  # the hall in full swing
                    taken.add("morning")
                    for device in ("kiosk-1", "display-1", "screen-1"):
                        send_control(
                            workspace.socket(device),
                            "screenshot",
                            workspace.screenshots / f"{device.split('-')[0]}-morning.png",
                        )

            day = DaySimulation(
                hall,
                plan,
                DeviceActions(workspace, watcher),
                RealTime(clock, stopped),
                progress_and_pictures,
                finish_by_next=True,
            )
            day.run()
            processes.check()
            summary = collect(workspace, hall, day, watcher)
        return DemoResult(summary=summary, workspace=workspace)
    finally:
        codes = processes.stop()
        if watcher is not None:
            watcher.session.stop()
        broker.stop()
        bad = {name: code for name, code in codes.items() if code not in (0, None)}
        if bad:
            logger.warning("processes that did not exit cleanly: %s", bad)


def collect(workspace: Workspace, hall: HallConfig, day: Any, watcher: Watcher) -> dict[str, Any]:
    """Screenshots, the report, and the figures the summary prints (checked against each other)."""
    kiosk = send_control(workspace.socket("kiosk-1"), "status")
    send_control(workspace.socket("kiosk-1"), "screenshot", workspace.screenshots / "kiosk.png")
    send_control(workspace.socket("display-1"), "screenshot", workspace.screenshots / "display.png")
    send_control(workspace.socket("screen-1"), "screenshot", workspace.screenshots / "counter-screen.png")
    display = wait_for(
        lambda: (
            (s := send_control(workspace.socket("display-1"), "status"))
            and (s["announcements"] or {}).get("queued", 1) == 0
            and not (s["announcements"] or {}).get("playing")
            and s
        ),
        60,
        "the display to finish announcing",
    )
    import sqlite3

    db = sqlite3.connect(workspace.database)
    issued = db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    calls = db.execute("SELECT COUNT(*) FROM events WHERE kind IN ('called', 'recalled')").fetchone()[0]
    ratings = dict(db.execute("SELECT outcome, COUNT(*) FROM ratings GROUP BY outcome").fetchall())
    levels = dict(db.execute("SELECT level, COUNT(*) FROM ratings WHERE outcome = 'counted' GROUP BY level").fetchall())
    db.close()
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "motcua.cli",
            "--log-level",
            "WARNING",
            "report",
            "--db",
            str(workspace.database),
            "--hall",
            str(workspace.hall),
            "--period",
            "day",
            "--date",
            MONDAY.isoformat(),
            "--out",
            str(workspace.root / "report"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    waits = [v.wait_min for v in day.visits.values() if v.wait_min is not None]
    counted = sum(levels.values())
    announcements = display["announcements"] or {}
    return {
        "tickets_issued": issued,
        "tickets_printed": kiosk["tickets_printed"],
        "ticket_images": len(list(workspace.tickets.glob("*.png"))),
        "calls": calls,
        "calls_shown": display["calls_shown_count"],
        "calls_announced": announcements.get("played", 0),
        "announcement_files": len(list(workspace.audio.glob("*.wav"))),
        "served": sum(1 for v in day.visits.values() if v.finished),
        "no_show": sum(1 for v in day.visits.values() if v.no_show),
        "wait_mean_min": round(statistics.fmean(waits), 1) if waits else None,
        "wait_p90_min": round(sorted(waits)[int(0.9 * (len(waits) - 1))], 1) if waits else None,
        "ratings": ratings,
        "satisfied_percent": round(100 * levels.get("satisfied", 0) / counted, 1) if counted else None,
        "report_ok": report.returncode == 0,
        "report_error": report.stderr.strip()[-500:] if report.returncode else None,
    }


def print_summary(result: DemoResult) -> None:
    s = result.summary
    root = result.workspace.root
    print()
    print("============================ motcua demo: the morning ============================")
    print(f"  tickets issued {s['tickets_issued']}, printed {s['tickets_printed']} (PNG of each in {root / 'tickets'})")
    print(f"  calls {s['calls']}: shown on the board {s['calls_shown']}, announced {s['calls_announced']}")
    print(
        f"  served {s['served']}, no-show {s['no_show']}; wait mean {s['wait_mean_min']} min, "
        f"p90 {s['wait_p90_min']} min"
    )
    ratings = s["ratings"]
    print(
        f"  ratings: counted {ratings.get('counted', 0)} ({s['satisfied_percent']} % satisfied), "
        f"misuse {ratings.get('misuse', 0)}, unbound {ratings.get('unbound', 0)}"
    )
    print(
        f"  screenshots: {root / 'screenshots'}; report: {root / 'report'}"
        + ("" if s["report_ok"] else f" (FAILED: {s['report_error']})")
    )
    print("==================================================================================")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    parser.add_argument("--headless", action="store_true", help="the scripted morning even with a screen")
    parser.add_argument("--speed", type=float, default=None, help="hall time per real second (headless: 120)")
    parser.add_argument("--citizens", type=float, default=None, help="citizens per day (default: simulation.toml)")
    parser.add_argument("--until", default="11:30", help="the scripted morning ends (hall time)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from coordinator.simulate import progress_bar

    windows = not args.headless and bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    speed = args.speed or (1.0 if windows else 120.0)
    stopped = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        print("\nstopping the hall...", flush=True)
        stopped.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for noisy in ("motcua.session", "motcua.localbroker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        result = run_demo(
            args.out,
            windows=windows,
            speed=speed,
            citizens=args.citizens,
            until=args.until,
            seed=args.seed,
            stopped=stopped,
            progress=None if windows else functools.partial(progress_bar, stream=sys.stdout),
        )
    except DemoStopped:
        print("stopped; every process has exited.")
        return 130
    if windows:
        print("Every process of the hall has stopped.")
    else:
        print_summary(result)
        (result.workspace.root / "summary.json").write_text(json.dumps(result.summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
