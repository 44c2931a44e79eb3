"""The counter screen (issue 16): how fast it follows the counter, and its memory.

One run, the real broker and coordinator (in this process), the hall's TV (`motcua display`) and a counter screen in
tablet mode (`motcua counter-screen`, 1024x600) as their own processes with SDL's dummy driver. Both stamp the frame
that first shows a thing with CLOCK_MONOTONIC (shared by all processes), read back through their control sockets
after the fact. For each citizen:

1. keypad ``next`` published -> the number on the TV, and on the counter screen (the same call, the same run);
2. keypad ``finish`` published -> the rating invitation drawn on the counter screen; then a tap on a face (through
   SDL's event queue) and back to the number.

Then the resident memory (RSS, psutil) of a counter screen in display mode, 10 s after it showed its first state
(goal: under 60 MB; a Pi Zero 2 W has 512 MB and runs nothing else), and its CPU while nothing happens (it sleeps
on its own queue; goal: under 1 % of a core).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

from bench.common import bench_hall_file, start_service, stop, summary_ms, wait_for, write_result
from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import clock_spec, parse_clock
from motcua.contract import CounterAction, CounterCommand, CounterReply, TicketRequest, parse_counter_result
from motcua.hall import CounterDevice, HallConfig, load_hall, load_procedures
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from motcua.simcontrol import send_control

CALLS = int(os.environ.get("BENCH_COUNTER_SCREEN_CALLS", "40"))
WARMUP = 3
IDLE_S = float(os.environ.get("BENCH_COUNTER_SCREEN_IDLE_S", "20"))


def with_screen(hall: HallConfig) -> HallConfig:
    """The sample hall with screen-1 registered at counter 1 (its broker user)."""
    screens = [CounterDevice(id="screen-1", counter=1)]
    return hall.model_copy(update={"devices": hall.devices.model_copy(update={"counter_screens": screens})})


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def screen_config(folder: Path, broker: LocalBroker, mode: str, control: Path | None) -> Path:
    assert broker.files is not None
    simulation = f'[simulation]\ncontrol_socket = "{control}"\n' if control else ""
    return write(
        folder / f"screen-{mode}.toml",
        f'counter = 1\nmode = "{mode}"\noutbox = "{folder / "screen-outbox.db"}"\n'
        f'[device]\nid = "screen-1"\nsite = "phuong-hoa-binh"\n'
        f'[mqtt]\nport = {broker.port}\npassword = "{broker.files.password("screen-1")}"\n'
        '[screen]\ndriver = "dummy"\nwidth = 1024\nheight = 600\nfullscreen = false\n'
        f"[tablet]\nthanks_s = 0.3\nlockout_s = 0.2\n{simulation}",  # citizens every second: past the lockout
    )


def display_config(folder: Path, broker: LocalBroker, control: Path) -> Path:
    assert broker.files is not None
    return write(
        folder / "display.toml",
        f'[device]\nid = "display-1"\nsite = "phuong-hoa-binh"\n'
        f'[mqtt]\nport = {broker.port}\npassword = "{broker.files.password("display-1")}"\n'
        '[screen]\ndriver = "dummy"\nwidth = 1920\nheight = 1080\n[audio]\noutput = "none"\n'
        f'[simulation]\ncontrol_socket = "{control}"\n',
    )


def measure(folder: Path, broker: LocalBroker, clock: str) -> dict[str, Any]:
    hall = load_hall(bench_hall_file(folder))
    clock_obj = parse_clock(clock)
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    coordinator = CoordinatorService(hall, load_procedures(hall), Store(folder / "coordinator.db"), session, clock_obj)
    coordinator.start()
    kiosk = MqttSession(broker.settings("kiosk-1"), device="kiosk-1", site=hall.hall.site, role="kiosk")
    keypad = MqttSession(broker.settings("keypad-1"), device="keypad-1", site=hall.hall.site, role="keypad")
    tv_socket, screen_socket = folder / "tv.sock", folder / "screen.sock"
    tv = start_service("display", display_config(folder, broker, tv_socket), clock, folder / "tv.log")
    tablet = screen_config(folder, broker, "tablet", screen_socket)
    screen = start_service("counter-screen", tablet, clock, folder / "s.log")
    try:
        for device in (kiosk, keypad):
            device.start()
        for device in (session, kiosk, keypad):
            assert device.wait_connected(10)
        topics = kiosk.topics

        def command(action: CounterAction, **fields: str) -> CounterCommand:
            return CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=clock_obj.now(), **fields)

        reply = keypad.request(
            topics.counter_command(1),
            command(CounterAction.SIGN_IN, officer="nguyen-thi-lan"),
            response_topic=topics.counter_reply(1),
        )
        assert isinstance(parse_counter_result(reply.payload), CounterReply)
        for _ in range(CALLS + WARMUP):
            request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock_obj.now(), service="ho-tich")
            kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))
        wait_for(lambda: send_control(screen_socket, "status")["connected"], 20, "counter screen connected")
        wait_for(lambda: send_control(tv_socket, "status").get("boards"), 20, "TV shows the board")

        to_tv: list[float] = []
        to_screen: list[float] = []
        to_invite: list[float] = []
        for index in range(CALLS + WARMUP):
            before = send_control(screen_socket, "status").get("serving")
            published = time.monotonic()
            keypad.publish(topics.counter_command(1), command(CounterAction.NEXT))
            time.sleep(0.15)  # well above the expected latency: the status queries come after the frames
            s = wait_for(
                lambda before=before: (
                    (s := send_control(screen_socket, "status"))["serving"] not in (None, before) and s
                ),
                10,
                "the call on the counter screen",
            )
            label = s["serving"]
            t = wait_for(
                lambda: (
                    (t := send_control(tv_socket, "status")) and (t.get("current") or {}).get("label") == label and t  # noqa: B023 - used at once
                ),
                10,
                "the call on the TV",
            )
            finished = time.monotonic()
            keypad.publish(topics.counter_command(1), command(CounterAction.FINISH))
            time.sleep(0.15)
            invite = wait_for(
                lambda: (v := send_control(screen_socket, "status"))["screen"] == "invite" and v, 10, "the invitation"
            )
            if index >= WARMUP:
                to_screen.append(s["serving_shown_at"] - published)
                to_tv.append(t["current"]["shown_at"] - published)
                to_invite.append(invite["screen_shown_at"] - finished)
            tapped = send_control(screen_socket, "tap", "level:satisfied")
            wait_for(
                lambda: send_control(screen_socket, "status")["screen"] == "display",
                10,
                f"back to the number after {tapped} ({send_control(screen_socket, 'status')})",
            )
        votes = wait_for(
            lambda: (v := send_control(screen_socket, "status"))["acks"]["counted"] >= CALLS and v, 20, "votes"
        )
        return {
            "call_to_counter_screen": summary_ms(to_screen),
            "call_to_tv": summary_ms(to_tv),
            "finish_to_invitation": summary_ms(to_invite),
            "votes_counted": votes["acks"]["counted"],
        }
    finally:
        stop(screen)
        stop(tv)
        kiosk.stop()
        keypad.stop()
        coordinator.stop()


def measure_memory(folder: Path, broker: LocalBroker, clock: str) -> dict[str, float]:
    control = folder / "display-only.sock"
    config = screen_config(folder, broker, "display", control)
    process = start_service("counter-screen", config, clock, folder / "d.log")
    try:
        wait_for(lambda: send_control(control, "status")["frames"] > 0, 20, "the display-only screen drew")
        time.sleep(10)
        watched = psutil.Process(process.pid)
        info = watched.memory_full_info()
        before, started = watched.cpu_times(), time.monotonic()
        time.sleep(IDLE_S)  # nothing happens: it should sleep on its queue
        after = watched.cpu_times()
        cpu = (after.user + after.system - before.user - before.system) / (time.monotonic() - started) * 100
        return {
            "rss_mb": round(info.rss / 2**20, 1),
            "uss_mb": round(info.uss / 2**20, 1),
            "idle_cpu_percent": round(cpu, 3),
        }
    finally:
        stop(process)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-cs-") as name:
        folder = Path(name)
        clock = clock_spec(parse_clock("2026-11-23T08:00:00+07:00").now(), 1, time.time())
        with LocalBroker(with_screen(load_hall(bench_hall_file(folder))), folder / "broker") as broker:
            latency = measure(folder, broker, clock)
            memory = measure_memory(folder, broker, clock)
    screen, tv, invite = latency["call_to_counter_screen"], latency["call_to_tv"], latency["finish_to_invitation"]
    headline = [
        {
            "measure": "call -> counter screen (1024x600), p50 / p95 (ms)",
            "result": f"{screen['p50_ms']:.1f} / {screen['p95_ms']:.1f}",
            "goal": "-",
            "met": None,
        },
        {
            "measure": "the same calls -> hall TV (1920x1080), p50 / p95 (ms)",
            "result": f"{tv['p50_ms']:.1f} / {tv['p95_ms']:.1f}",
            "goal": "p95 < 50",
            "met": tv["p95_ms"] < 50,
        },
        {
            "measure": "officer's finish -> rating invitation on the tablet, p50 / p95 (ms)",
            "result": f"{invite['p50_ms']:.1f} / {invite['p95_ms']:.1f}",
            "goal": "p95 < 100",
            "met": invite["p95_ms"] < 100,
        },
        {
            "measure": "counter screen, display-only mode: resident memory (RSS / USS)",
            "result": f"{memory['rss_mb']:.0f} / {memory['uss_mb']:.0f} MB",
            "goal": "RSS < 60 MB",
            "met": memory["rss_mb"] < 60,
        },
        {
            "measure": f"counter screen, display-only mode: CPU with nothing happening ({IDLE_S:g} s)",
            "result": f"{memory['idle_cpu_percent']:.2f} % of a core",
            "goal": "< 1 %",
            "met": memory["idle_cpu_percent"] < 1,
        },
    ]
    path = write_result(
        "counter_screen",
        {"headline": headline, **latency, "memory": memory, "calls": CALLS},
        goals={"finish_to_invitation_p95_ms": 100, "display_only_rss_mb": 60},
    )
    for line in headline:
        print(f"    {line['measure']}: {line['result']} (goal {line['goal']})")
    print(f"    -> {path}")


if __name__ == "__main__":
    main()
