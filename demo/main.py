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
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from demo.hall import (
    DEMO_COUNTERS,
    MONDAY,
    SAMPLE,
    VN,
    DemoStopped,
    Processes,
    Watcher,
    Workspace,
    wait_for,
    write_demo_hall,
    write_device_configs,
)
from motcua.clock import ScaledClock, clock_spec
from motcua.contract import (
    CounterAction,
    CounterReply,
    ErrorReply,
    RatingLevel,
    TicketInfo,
)
from motcua.hall import HallConfig, load_hall
from motcua.localbroker import LocalBroker
from motcua.simcontrol import send_control

logger = logging.getLogger(__name__)

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
        console_url = start_console(workspace, hall, broker, processes, clock.now())
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
            from demo.panel import run_panel

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
                idle_presses=[p for p in plan.idle_presses if p.at < closing],
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
                    console_pictures(console_url, workspace, hall)
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
            summary = collect(workspace, hall)
        return DemoResult(summary=summary, workspace=workspace)
    finally:
        codes = processes.stop()
        if watcher is not None:
            watcher.session.stop()
        broker.stop()
        bad = {name: code for name, code in codes.items() if code not in (0, None)}
        if bad:
            logger.warning("processes that did not exit cleanly: %s", bad)


def start_console(
    workspace: Workspace, hall: HallConfig, broker: LocalBroker, processes: Processes, now: datetime
) -> str:
    """The web console (`motcua console`) on a free loopback port, with demo accounts; prints how to sign in."""
    from console.demo import DEMO_PASSWORD, make_accounts, write_config
    from motcua.localbroker import free_port

    assert broker.files is not None
    port = free_port()
    password_file = broker.files.credentials / "console.password"
    mqtt = {"host": "127.0.0.1", "port": broker.port, "password_file": str(password_file)}
    config = write_config(
        workspace.root / "console", hall=workspace.hall, database=workspace.database, mqtt=mqtt, port=port
    )
    accounts = make_accounts(workspace.root / "console" / "console-accounts.db", hall, now)
    processes.start("console", "console", "--config", str(config))
    url = f"http://127.0.0.1:{port}"
    officer = next(name for name, what in accounts.items() if what.startswith("officer"))
    print(
        f"The web console: {url} (officer: {officer}, manager: lanhdao, admin: quantri; password {DEMO_PASSWORD})",
        flush=True,
    )
    return url


def console_pictures(url: str, workspace: Workspace, hall: HallConfig) -> None:
    from console.demo import screenshots

    officer = next((c.officer for c in hall.counters if c.officer), None)
    if officer is not None:
        for path in screenshots(url, workspace.screenshots, officer=officer, counter=hall.counters[0].number):
            logger.info("console screenshot %s", path)


def collect(workspace: Workspace, hall: HallConfig) -> dict[str, Any]:
    """Screenshots, the report, and the figures the summary prints (the report's own, `report_figures`)."""
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
    calls = db.execute("SELECT COUNT(*) FROM events WHERE kind IN ('called', 'recalled')").fetchone()[0]
    db.close()
    figures = report_figures(workspace.database, hall, MONDAY)
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
    announcements = display["announcements"] or {}
    return {
        "tickets_printed": kiosk["tickets_printed"],
        "ticket_images": len(list(workspace.tickets.glob("*.png"))),
        "calls": calls,
        "calls_shown": display["calls_shown_count"],
        "calls_announced": announcements.get("played", 0),
        # calls with at least one sound file (a call's repetition, said when nobody else waits, is a second file)
        "announcement_files": len({path.stem.split("-", 1)[-1] for path in workspace.audio.glob("*.wav")}),
        **figures,
        "report_ok": report.returncode == 0,
        "report_error": report.stderr.strip()[-500:] if report.returncode else None,
    }


def report_figures(database: Path, hall: HallConfig, day: date) -> dict[str, Any]:
    """The day's figures as `motcua report` computes them from the database (one source of truth: the summary
    printed by the demo is the report's, never a count of its own)."""
    from coordinator.report.load import load
    from coordinator.report.metrics import build_facts, compute, round_half_up
    from coordinator.report.period import Period

    period = Period("day", day, day)
    report = compute(build_facts(load(database, hall, period), hall, period), hall, period)
    queue, satisfaction = report.queue_total, report.satisfaction_total

    def minutes(seconds: Fraction | None) -> float | None:
        return None if seconds is None else float(round_half_up(seconds / 60))

    satisfied = satisfaction.satisfied_pct
    return {
        "tickets_issued": queue.issued,
        "served": queue.served,
        "no_show": queue.no_show,
        "wait_mean_min": minutes(queue.wait.mean),
        "wait_p90_min": minutes(queue.wait.p90),
        "ratings": {
            "counted": satisfaction.counted,
            "misuse": satisfaction.misuse,
            "unbound": satisfaction.unbound or 0,
        },
        "rating_levels": dict(satisfaction.levels),
        "satisfied_percent": None if satisfied is None else float(round_half_up(satisfied)),
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
    ratings, levels = s["ratings"], s["rating_levels"]
    print(
        f"  ratings: counted {ratings['counted']} ({s['satisfied_percent']} % satisfied; "
        f"satisfied {levels['satisfied']}, neutral {levels['neutral']}, unsatisfied {levels['unsatisfied']}), "
        f"misuse {ratings['misuse']}, unbound {ratings['unbound']}"
    )
    print("  (figures from the day's report over the coordinator's database)")
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
