"""The counter devices: footprint of the pad and keypad agents, and press -> acknowledgement latency.

1. Resident memory (RSS, and USS) of `motcua pad` and `motcua keypad`, each its own process on mock pins, once
   connected and settled; the pad's again after a 1,000-press storm. Goal (issue 3): under 40 MB each (a Pi Zero 2 W
   has 512 MB). Measured on this machine's CPython; an aarch64 Pi's is close (same interpreter, same wheels).
2. Press -> acknowledged latency through the real broker and the real coordinator (a separate process, SQLite
   with synchronous=FULL): from the button's edge on the mock pin until the acknowledgement has removed the vote from
   the pad's outbox — two fsyncs on the pad (store, forget), one on the coordinator, four MQTT hops.
3. Keypad "next" -> reply shown: from the key's release until the coordinator's reply is shown; includes the 20 ms
   the keypad waits to confirm a release is not contact bounce.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psutil
from gpiozero.pins.mock import MockFactory, MockPWMPin

from bench.common import bench_hall_file, summary_ms, write_result
from counter_keypad.agent import KeypadAgent
from counter_keypad.config import KeypadConfig
from counter_keypad.hardware import KeypadHardware
from motcua.clock import clock_spec, parse_clock
from motcua.contract import TicketRequest
from motcua.hall import load_hall
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from motcua.simcontrol import send_control
from rating_buttons.agent import PadAgent
from rating_buttons.config import PadConfig
from rating_buttons.hardware import PadHardware
from rating_buttons.outbox import Outbox

ROOT = Path(__file__).resolve().parent.parent
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=7)))
PRESSES = int(os.environ.get("BENCH_PRESSES", "300"))
SETTLE_S = 3.0
STORM = 1000  # presses in the pad's storm
MEMORY_GOAL_MB = 40


def wait(
    condition: Callable[[], Any],
    what: str,
    timeout: float = 20.0,
    step: float = 0.05,
    processes: Processes | None = None,
) -> Any:
    """Wait for `condition`; a device process that died meanwhile fails at once, with its log."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if processes is not None:
            processes.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(step)


def _status(socket: Path) -> dict[str, Any]:
    try:
        return send_control(socket, "status")
    except OSError:
        return {}


class Processes:
    """The coordinator, pad and keypad processes of the run; all killed at the end."""

    def __init__(self, folder: Path, broker: LocalBroker, env: dict[str, str]) -> None:
        self.folder, self.broker, self.env = folder, broker, env
        self.started: list[subprocess.Popen[bytes]] = []
        self.names: dict[int, str] = {}

    def start(self, kind: str, device: str, body: str) -> subprocess.Popen[bytes]:
        assert self.broker.files is not None
        config = self.folder / f"{device}.toml"
        config.write_text(
            body + f"\n[mqtt]\nport = {self.broker.port}\n"
            f'password_file = "{self.broker.files.credentials / f"{device}.password"}"\n',
            encoding="utf-8",
        )
        log = (self.folder / f"{device}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", kind, "--config", str(config)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        self.names[process.pid] = device
        return process

    def check(self) -> None:
        """Raise with the log of a process that exited on its own (a benchmark must not wait for a dead device)."""
        for process in self.started:
            name = self.names[process.pid]
            if process.poll() is not None and process.returncode not in (0, -signal.SIGTERM):
                log = (self.folder / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with status {process.returncode}; its log:\n{log}")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def device_body(kind: str, device: str, folder: Path, socket: Path) -> str:
    head = (
        f'counter = 1\nhall = "{folder / "hall.toml"}"\n'
        + (f'outbox = "{folder / "pad-outbox.db"}"\n' if kind == "pad" else "")
        + f'[device]\nid = "{device}"\nsite = "phuong-hoa-binh"\n[gpio]\nfactory = "mock"\n'
        + f'[simulation]\ncontrol_socket = "{socket}"\n'
    )
    if kind == "pad":
        return (
            head
            + "[buttons]\nsatisfied = 17\nneutral = 27\nunsatisfied = 22\n"
            + "[leds]\nsatisfied = 23\nneutral = 24\nunsatisfied = 25\n"
        )
    return head + "[keys]\nnext = 5\nrecall = 6\nno_show = 13\n[leds]\ngreen = 19\nred = 26\n[buzzer]\npin = 12\n"


def memory(processes: Processes, folder: Path) -> dict[str, Any]:
    sockets = Path(tempfile.mkdtemp(prefix="mcb-"))
    pad_socket, keypad_socket = sockets / "pad.sock", sockets / "keypad.sock"
    pad = processes.start("pad", "pad-1", device_body("pad", "pad-1", folder, pad_socket))
    keypad = processes.start("keypad", "keypad-1", device_body("keypad", "keypad-1", folder, keypad_socket))
    wait(
        lambda: _status(pad_socket).get("connected") and _status(keypad_socket).get("connected"),
        "the pad and keypad processes to connect",
        60,
        processes=processes,
    )
    time.sleep(SETTLE_S)
    result: dict[str, Any] = {}
    for name, process in (("pad", pad), ("keypad", keypad)):
        info = psutil.Process(process.pid).memory_full_info()
        result[name] = {"rss_mb": round(info.rss / 2**20, 1), "uss_mb": round(info.uss / 2**20, 1)}
    # the pad after a storm: 1,000 presses (as fast as the control socket allows), all stored, sent, acknowledged
    for i in range(STORM):
        send_control(pad_socket, "press", ("satisfied", "neutral", "unsatisfied")[i % 3])

    def storm_acknowledged() -> bool:
        status = _status(pad_socket)
        recorded = sum(status.get("presses", {}).get(k, 0) for k in ("votes", "misuse"))
        return (
            recorded + status.get("bounces", 0) >= STORM
            and status.get("outbox") == 0
            and sum(status.get("acks", {}).values()) >= recorded
        )

    wait(storm_acknowledged, f"the pad to store, send and have acknowledged {STORM} presses", 120, processes=processes)
    storm = _status(pad_socket)
    info = psutil.Process(pad.pid).memory_full_info()
    result["pad_after_storm"] = {
        "rss_mb": round(info.rss / 2**20, 1),
        "uss_mb": round(info.uss / 2**20, 1),
        "presses": storm.get("presses"),
        "acks": storm.get("acks"),
    }
    for process in (pad, keypad):
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    return result


def wait_online(broker: LocalBroker, device: str, processes: Processes) -> None:
    """Until `device` says it is online (its retained status): a storm sent before the coordinator listens would
    wait for the pad's resends instead of measuring anything."""
    admin = MqttSession(broker.settings("admin"), device="admin", site="phuong-hoa-binh", role="admin")
    online = threading.Event()

    def status(inbound: Any) -> None:
        if json.loads(inbound.payload).get("state") == "online":
            online.set()

    admin.subscribe(admin.topics.device_status(device), status)
    admin.start()
    try:
        wait(online.is_set, f"{device} to come online", 60, processes=processes)
    finally:
        admin.stop()


class Signal:
    """Wraps a method so each call sets an event (the benchmark waits on it instead of polling)."""

    def __init__(self, owner: Any, name: str) -> None:
        self.event = threading.Event()
        original = getattr(owner, name)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self.event.set()
            return result

        setattr(owner, name, wrapped)


def pad_latency(broker: LocalBroker, clock_text: str, folder: Path) -> list[float]:
    factory = MockFactory(pin_class=MockPWMPin)
    config = PadConfig.model_validate(
        {
            "device": {"id": "pad-1", "site": "phuong-hoa-binh"},
            "counter": 1,
            "outbox": str(folder / "bench-outbox.db"),
            "gpio": {"factory": "mock"},
            "buttons": {"satisfied": 17, "neutral": 27, "unsatisfied": 22},
            "leds": {"satisfied": 23, "neutral": 24, "unsatisfied": 25},
            "pad": {"lockout_s": 0.001},  # every press a normal vote
        }
    )
    session = MqttSession(broker.settings("pad-1"), device="pad-1", site="phuong-hoa-binh", role="pad")
    hardware = PadHardware(config.buttons, config.leds, pin_factory=factory)
    agent = PadAgent(config, session, hardware, Outbox(config.outbox), clock=parse_clock(clock_text))
    acked = Signal(agent.outbox, "remove")
    agent.start()
    samples: list[float] = []
    try:
        wait(lambda: session.connected, "the pad agent to connect")
        pin = factory.pin(17)
        for i in range(PRESSES + 10):
            acked.event.clear()
            start = time.perf_counter()
            pin.drive_low()
            pin.drive_high()
            if not acked.event.wait(10):
                raise TimeoutError("no acknowledgement")
            if i >= 10:  # warm-up
                samples.append(time.perf_counter() - start)
            time.sleep(0.01)
    finally:
        agent.stop()
        factory.reset()
    return samples


def keypad_latency(broker: LocalBroker, clock_text: str) -> list[float]:
    clock = parse_clock(clock_text)
    kiosk = MqttSession(broker.settings("kiosk-1"), device="kiosk-1", site="phuong-hoa-binh", role="kiosk")
    kiosk.start()
    factory = MockFactory(pin_class=MockPWMPin)
    config = KeypadConfig.model_validate(
        {
            "device": {"id": "keypad-1", "site": "phuong-hoa-binh"},
            "counter": 1,
            "gpio": {"factory": "mock"},
            "keys": {"next": 5, "recall": 6, "no_show": 13},
            "leds": {"green": 19, "red": 26},
            "keypad": {"repeat_guard_s": 0},
        }
    )
    session = MqttSession(broker.settings("keypad-1"), device="keypad-1", site="phuong-hoa-binh", role="keypad")
    hardware = KeypadHardware(config.keys, config.leds, config.buzzer, pin_factory=factory)
    agent = KeypadAgent(config, session, hardware, clock=clock)
    shown = Signal(agent, "_feedback")
    agent.start()
    samples: list[float] = []
    try:
        wait(lambda: kiosk.connected and session.connected, "the kiosk and keypad sessions to connect")
        topics = kiosk.topics
        count = PRESSES + 10
        for _ in range(count):
            request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
            kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))
        pin = factory.pin(5)
        for i in range(count):
            shown.event.clear()
            pin.drive_low()
            time.sleep(0.005)
            start = time.perf_counter()
            pin.drive_high()
            if not shown.event.wait(10):
                raise TimeoutError("no reply shown")
            if agent.last_feedback is None or agent.last_feedback.value != "ok":
                raise RuntimeError(f"next refused: {agent.last_error}")
            if i >= 10:
                samples.append(time.perf_counter() - start)
            time.sleep(0.01)
    finally:
        agent.stop()
        kiosk.stop()
        factory.reset()
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-counter-") as tmp:
        folder = Path(tmp)
        hall_file = bench_hall_file(folder)  # device_body's hall too
        broker = LocalBroker(load_hall(hall_file), folder / "broker").start()
        clock_text = clock_spec(MONDAY_MORNING, 1, time.time())
        processes = Processes(folder, broker, dict(os.environ, MOTCUA_CLOCK=clock_text))
        try:
            coordinator_body = f'hall = "{hall_file}"\ndatabase = "{folder / "coordinator.db"}"'
            processes.start("coordinator", "coordinator", coordinator_body)
            wait_online(broker, "coordinator", processes)
            footprint = memory(processes, folder)
            pad = summary_ms(pad_latency(broker, clock_text, folder))
            keypad = summary_ms(keypad_latency(broker, clock_text))
        finally:
            processes.stop_all()
            broker.stop()
    headline = [
        {
            "measure": f"{name} agent resident memory after start",
            "result": f"{footprint[name]['rss_mb']} MB",
            "goal": f"< {MEMORY_GOAL_MB} MB",
            "met": footprint[name]["rss_mb"] < MEMORY_GOAL_MB,
        }
        for name in ("pad", "keypad")
    ]
    headline.append(
        {
            "measure": "pad press -> acknowledged (real broker + coordinator), p50 / p95",
            "result": f"{pad['p50_ms']:.1f} / {pad['p95_ms']:.1f} ms",
            "goal": "-",
            "met": None,
        }
    )
    headline.append(
        {
            "measure": "keypad next released -> reply shown (incl. 20 ms debounce), p50 / p95",
            "result": f"{keypad['p50_ms']:.1f} / {keypad['p95_ms']:.1f} ms",
            "goal": "-",
            "met": None,
        }
    )
    write_result(
        "counter_devices",
        {"memory": footprint, "pad_press_to_ack": pad, "keypad_next_to_reply": keypad, "headline": headline},
        goals={"rss_mb_max": MEMORY_GOAL_MB},
    )
    for row in headline:
        print(f"  {row['measure']}: {row['result']} (goal {row['goal']})")


if __name__ == "__main__":
    main()
