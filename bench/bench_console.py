"""The web console beside the keypad, through the real broker, coordinator and console processes.

1. Click "next" in the console (an HTTP POST, as the page's form sends it) -> the board shows the number, p95,
   beside keypad "next" -> board in the same run, interleaved (goal: within 1.5x of the keypad path).
2. Live updates to 60 open officer pages at once (Server-Sent Events): a ticket issued -> every page's stream
   carries its number; p95 latency and the console's CPU during that phase.
3. The console's resident memory after both (goal: under 80 MB).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import bench_hall_file, summary_ms, write_result
from console.accounts import AccountStore, Role
from console.demo import write_config
from motcua.clock import clock_spec, parse_clock
from motcua.contract import Board, CounterAction, CounterCommand, TicketRequest, parse
from motcua.hall import load_hall
from motcua.localbroker import LocalBroker, free_port, wait_for_port
from motcua.session import MqttSession

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_CONSOLE_ROUNDS", "40"))
PAGES = int(os.environ.get("BENCH_CONSOLE_PAGES", "60"))
LIVE_ROUNDS = int(os.environ.get("BENCH_CONSOLE_LIVE_ROUNDS", "10"))
PASSWORD = "bench-console-password"  # a throwaway account of a throwaway hall
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=7)))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class BoardWatch:
    """A display's view of the board: when each counter started showing each label."""

    def __init__(self, session: MqttSession) -> None:
        self.seen: dict[tuple[int, str], float] = {}
        self.cond = threading.Condition()
        session.subscribe(session.topics.board(), self._board)

    def _board(self, inbound: Any) -> None:
        board = parse(Board, inbound.payload, max_bytes=None)
        now = time.perf_counter()
        with self.cond:
            for counter in board.counters:
                if counter.serving is not None:
                    self.seen.setdefault((counter.number, counter.serving), now)
            self.cond.notify_all()

    def wait(self, counter: int, label: str, timeout: float = 10.0) -> float:
        with self.cond:
            if not self.cond.wait_for(lambda: (counter, label) in self.seen, timeout):
                raise TimeoutError(f"board never showed {label} at counter {counter}")
            return self.seen[(counter, label)]


def issue(kiosk: MqttSession, clock: Any, service: str = "ho-tich") -> str:
    topics = kiosk.topics
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service=service)
    reply = kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))
    label = re.search(rb'"label":"([^"]+)"', reply.payload)
    assert label, reply.payload
    return label.group(1).decode()


def sign_in(base: str, username: str, counter: int) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=15)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token})
    token = CSRF.search(client.get("/desk").text).group(1)  # type: ignore[union-attr]
    client.post("/desk/counter", data={"counter": str(counter), "csrf": token})
    return client


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-console-") as folder_text:
        folder = Path(folder_text)
        hall_file = bench_hall_file(folder)
        hall = load_hall(hall_file)
        clock_text = clock_spec(MONDAY, 1.0, time.time())
        clock = parse_clock(clock_text)
        env = dict(os.environ, MOTCUA_CLOCK=clock_text)
        broker = LocalBroker(hall, folder / "broker").start()
        processes: list[subprocess.Popen[bytes]] = []
        try:
            assert broker.files is not None
            credentials = broker.files.credentials
            database = folder / "coordinator.db"
            (folder / "coordinator.toml").write_text(
                f'hall = "{hall_file}"\ndatabase = "{database}"\n[mqtt]\nport = {broker.port}\n'
                f'password_file = "{credentials / "coordinator.password"}"\n',
                encoding="utf-8",
            )
            port = free_port()
            mqtt = {"host": "127.0.0.1", "port": broker.port, "password_file": str(credentials / "console.password")}
            config = write_config(folder / "console", hall=hall_file, database=database, mqtt=mqtt, port=port)
            store = AccountStore(folder / "console" / "console-accounts.db")
            store.create("lan", "Nguyễn Thị Lan", Role.OFFICER, PASSWORD, officer="nguyen-thi-lan", now=clock.now())
            store.close()
            for name, args in (
                ("coordinator", ["coordinator", "--config", str(folder / "coordinator.toml")]),
                ("console", ["console", "--config", str(config)]),
            ):
                log = (folder / f"{name}.log").open("wb")
                processes.append(
                    subprocess.Popen([sys.executable, "-m", "motcua.cli", *args], env=env, stdout=log, stderr=log)
                )
            wait_for_port(port, timeout=30)
            console_process = psutil.Process(processes[1].pid)

            def session(device: str) -> MqttSession:
                made = MqttSession(broker.settings(device), device=device, site=hall.hall.site, role="bench")
                made.start()
                assert made.wait_connected(10)
                return made

            kiosk, keypad, display = session("kiosk-1"), session("keypad-2"), session("display-1")
            watch = BoardWatch(display)
            time.sleep(1.0)  # the coordinator's retained state reaches the console
            base = f"http://127.0.0.1:{port}"
            officer = sign_in(base, "lan", 1)

            def keypad_press(action: CounterAction, **fields: Any) -> None:
                topics = keypad.topics
                command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=clock.now(), **fields)
                keypad.request(topics.counter_command(2), command, response_topic=topics.counter_reply(2))

            keypad_press(CounterAction.SIGN_IN, officer="tran-van-minh")
            console_ms, keypad_ms = [], []
            token = CSRF.search(officer.get("/desk").text).group(1)  # type: ignore[union-attr]
            for _ in range(ROUNDS):
                label = issue(kiosk, clock)  # counter 1 serves ho-tich only: its next call is this ticket
                start = time.perf_counter()
                response = officer.post("/desk/action", data={"action": "next", "csrf": token})
                assert response.status_code == 303, response.status_code
                console_ms.append(watch.wait(1, label) - start)
                label = issue(kiosk, clock, "chung-thuc")  # counter 2 serves ho-tich and chung-thuc: FIFO, this one
                start = time.perf_counter()
                keypad_press(CounterAction.NEXT)
                keypad_ms.append(watch.wait(2, label) - start)

            # 60 officer pages open on counter 1's desk, each with its live stream
            received: list[dict[str, float]] = [{} for _ in range(PAGES)]
            ready = threading.Barrier(PAGES + 1)
            stop = threading.Event()

            def page(index: int) -> None:
                client = httpx.Client(base_url=base, cookies=officer.cookies, timeout=None)
                with client, client.stream("GET", "/desk/stream") as stream:
                    ready.wait()
                    for line in stream.iter_lines():
                        if stop.is_set():
                            return
                        for found in re.findall(r'id="waiting-([A-Z0-9]+)"', line):
                            received[index].setdefault(found, time.perf_counter())

            threads = [threading.Thread(target=page, args=(i,), daemon=True) for i in range(PAGES)]
            for thread in threads:
                thread.start()
            ready.wait()
            time.sleep(1.0)
            cpu_before, wall_before = console_process.cpu_times(), time.perf_counter()
            live: list[float] = []
            for _ in range(LIVE_ROUNDS):
                start = time.perf_counter()
                label = issue(kiosk, clock)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not all(label in r for r in received):
                    time.sleep(0.005)
                live += [r[label] - start for r in received if label in r]
                time.sleep(0.5)
            cpu_after, wall_after = console_process.cpu_times(), time.perf_counter()
            cpu_pct = (
                100
                * ((cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system))
                / (wall_after - wall_before)
            )
            stop.set()
            rss_mb = console_process.memory_info().rss / 2**20
            for made in (kiosk, keypad, display):
                made.stop()
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            broker.stop()

    console_summary, keypad_summary = summary_ms(console_ms), summary_ms(keypad_ms)
    live_summary = summary_ms(live)
    ratio = console_summary["p95_ms"] / keypad_summary["p95_ms"]
    delivered = len(live) / (PAGES * LIVE_ROUNDS)
    goals = {"console_over_keypad_p95_max": 1.5, "rss_mb_max": 80}
    results = {
        "next_to_board": {"console": console_summary, "keypad": keypad_summary, "p95_ratio": round(ratio, 2)},
        "live_pages": {
            "pages": PAGES,
            "rounds": LIVE_ROUNDS,
            "latency": live_summary,
            "delivered_share": round(delivered, 3),
            "console_cpu_pct_of_one_core": round(cpu_pct, 1),
        },
        "rss_mb": round(rss_mb, 1),
        "headline": [
            {
                "measure": "console next -> board p95 / keypad next -> board p95",
                "result": f"{console_summary['p95_ms']:.1f} / {keypad_summary['p95_ms']:.1f} ms ({ratio:.2f}x)",
                "goal": "<= 1.5x",
                "met": ratio <= 1.5,
            },
            {
                "measure": f"live update to {PAGES} officer pages, p95 (console CPU)",
                "result": f"{live_summary['p95_ms']:.0f} ms, {delivered:.0%} delivered ({cpu_pct:.0f} % of a core)",
                "goal": "-",
                "met": None,
            },
            {"measure": "console resident memory", "result": f"{rss_mb:.1f} MB", "goal": "< 80 MB", "met": rss_mb < 80},
        ],
    }
    write_result("console", results, goals=goals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
