"""Coordinator throughput and latency through the real broker with durable writes, beside a bare echo responder
measured in the same run (DESIGN.md: ratios, since absolute times on a shared machine drift).

1. Latency at a steady offered load (open loop, default 500 requests/s): p50/p95/p99 of ticket request -> reply.
2. Highest sustained rate: closed loop with a window of requests in flight; replies per second.
Both for the echo responder and for the real coordinator (a separate process, SQLite WAL with synchronous=FULL).
Goals (issue 2): coordinator p99 <= 3x echo p99 at 500/s; coordinator throughput >= 60 % of echo's.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.common import summary_ms, write_result
from motcua.clock import clock_spec, parse_clock
from motcua.contract import TicketRequest, Topics
from motcua.hall import load_hall
from motcua.localbroker import LocalBroker

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "ward-hall" / "hall.toml"
RATE = int(os.environ.get("BENCH_RATE", "500"))
STEADY_S = float(os.environ.get("BENCH_STEADY_S", "10"))
SATURATE_S = float(os.environ.get("BENCH_SATURATE_S", "6"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WINDOW = 32


def bench_hall(folder: Path) -> Path:
    """The sample hall with number series wide enough for a benchmark's tens of thousands of tickets."""
    text = SAMPLE.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for index, service in enumerate(data["services"]):
        old = f"first_number = {service['first_number']}\nlast_number = {service['last_number']}"
        text = text.replace(old, f'prefix = "{"ABCDEFGH"[index]}"\nfirst_number = 1\nlast_number = 99999')
    text = text.replace('procedures = "procedures.toml"', f'procedures = "{SAMPLE.parent / "procedures.toml"}"')
    text = text.replace("[hall.hours]", "[hall.hours_unused]").replace("\nmon = ", "\n# mon = ")
    path = folder / "hall.toml"
    path.write_text(_drop_hours(text), encoding="utf-8")
    return path


def _drop_hours(text: str) -> str:
    lines = text.splitlines()
    out, skipping = [], False
    for line in lines:
        if line.startswith("[hall.hours"):
            skipping = True
            continue
        if skipping and (line.startswith("[") or line.startswith("[[")):
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


class Load:
    """A kiosk that sends ticket requests without waiting (open loop) and times every reply."""

    def __init__(self, port: int, password: str, topics: Topics, clock_text: str) -> None:
        self.topics = topics
        self.clock = parse_clock(clock_text)
        self.sent: dict[bytes, float] = {}
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.replied = threading.Condition(self.lock)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="kiosk-1", protocol=MQTTProtocolVersion.MQTTv5)
        self.client.username_pw_set("kiosk-1", password)
        self.client.max_inflight_messages_set(1000)
        self.client.on_socket_open = lambda c, u, s: s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client.on_message = self._on_message
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert connected.wait(10)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.subscribe(topics.ticket_reply("kiosk-1"), qos=1)
        assert subscribed.wait(10)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        with self.lock:
            start = self.sent.pop(msg.properties.CorrelationData, None)
            if start is not None:
                self.latencies.append(now - start)
            self.replied.notify_all()

    def send(self) -> None:
        correlation = uuid.uuid4().bytes
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.topics.ticket_reply("kiosk-1")
        props.CorrelationData = correlation
        payload = TicketRequest(request_id=uuid.uuid4(), sent_at=self.clock.now(), service="chung-thuc").to_bytes()
        with self.lock:
            self.sent[correlation] = time.perf_counter()
        self.client.publish(self.topics.ticket_request("kiosk-1"), payload, qos=1, properties=props)

    def steady(self, rate: int, seconds: float) -> dict[str, Any]:
        """Offer `rate` requests/s for `seconds`; latency of every reply."""
        self.latencies = []
        interval = 1 / rate
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            target = start + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self.send()
        with self.lock:
            self.replied.wait_for(lambda: not self.sent, timeout=10)
            lost = len(self.sent)
            self.sent.clear()
        elapsed = time.perf_counter() - start
        return {
            "offered_per_s": rate,
            "sent": n,
            "unanswered": lost,
            "achieved_per_s": round(n / elapsed, 1),
            **summary_ms(self.latencies),
        }

    def saturate(self, seconds: float, window: int = WINDOW) -> dict[str, Any]:
        """Keep `window` requests in flight for `seconds`; replies per second."""
        self.latencies = []
        end = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            with self.lock:
                self.replied.wait_for(lambda: len(self.sent) < window, timeout=5)
            self.send()
        with self.lock:
            self.replied.wait_for(lambda: not self.sent, timeout=10)
            self.sent.clear()
        elapsed = time.perf_counter() - start
        return {
            "window": window,
            "replies": len(self.latencies),
            "replies_per_s": round(len(self.latencies) / elapsed, 1),
            **summary_ms(self.latencies),
        }

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_ready(process: subprocess.Popen[str], marker: str | None = None, timeout: float = 20) -> None:
    if marker:
        assert process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if marker in line:
                return
        raise RuntimeError("responder did not start")


def measure(responder: str, broker: LocalBroker, workdir: Path, clock_text: str, topics: Topics) -> dict[str, Any]:
    assert broker.files is not None
    env = dict(os.environ, MOTCUA_CLOCK=clock_text)
    if responder == "echo":
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.echo",
                "--port",
                str(broker.port),
                "--site",
                topics.site,
                "--password",
                broker.files.password("coordinator"),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        wait_ready(process, "ready")
    else:
        database = workdir / f"coordinator-{uuid.uuid4().hex[:6]}.db"
        config = workdir / "coordinator.toml"
        config.write_text(
            f'hall = "{workdir / "hall.toml"}"\ndatabase = "{database}"\n[mqtt]\nport = {broker.port}\n'
            f'password_file = "{broker.files.credentials / "coordinator.password"}"\n'
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", "--log-level", "WARNING", "coordinator", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        time.sleep(1.5)
    load = Load(broker.port, broker.files.password("kiosk-1"), topics, clock_text)
    try:
        load.steady(100, 1)  # warm up
        steady = load.steady(RATE, STEADY_S)
        saturated = load.saturate(SATURATE_S)
    finally:
        load.close()
        process.terminate()
        process.wait(10)
    return {"steady": steady, "saturated": saturated}


def _triple(figures: dict[str, Any]) -> str:
    return f"{figures['p50_ms']:.2f} / {figures['p95_ms']:.2f} / {figures['p99_ms']:.2f}"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        hall = load_hall(bench_hall(workdir))
        topics = Topics(hall.hall.site)
        clock_text = clock_spec(parse_clock("2026-11-23T08:00:00+07:00").now(), 1, time.time())
        rounds = []
        with LocalBroker(hall, workdir / "broker") as broker:
            for _ in range(ROUNDS):  # alternate: drift of the shared machine hits both sides alike
                echo = measure("echo", broker, workdir, clock_text, topics)
                real = measure("coordinator", broker, workdir, clock_text, topics)
                rounds.append(
                    {
                        "echo": echo,
                        "coordinator": real,
                        "p99_ratio": real["steady"]["p99_ms"] / echo["steady"]["p99_ms"],
                        "throughput_ratio": real["saturated"]["replies_per_s"] / echo["saturated"]["replies_per_s"],
                    }
                )
    # the round with the median p99 ratio is the one reported in full; the ratios are medians over the rounds
    rounds.sort(key=lambda r: r["p99_ratio"])
    median = rounds[len(rounds) // 2]
    echo, real = median["echo"], median["coordinator"]
    p99_ratio = statistics.median(r["p99_ratio"] for r in rounds)
    throughput_ratio = statistics.median(r["throughput_ratio"] for r in rounds)
    headline = [
        {
            "measure": f"ticket p50 / p95 / p99 at {RATE}/s (ms)",
            "result": _triple(real["steady"]),
            "goal": "-",
            "met": None,
        },
        {
            "measure": f"bare echo p50 / p95 / p99 at {RATE}/s (ms)",
            "result": _triple(echo["steady"]),
            "goal": "-",
            "met": None,
        },
        {
            "measure": "p99 ratio coordinator / echo",
            "result": f"{p99_ratio:.2f}x",
            "goal": "<= 3x",
            "met": p99_ratio <= 3,
        },
        {
            "measure": "sustained tickets/s (coordinator vs echo)",
            "result": f"{real['saturated']['replies_per_s']:.0f} vs {echo['saturated']['replies_per_s']:.0f} "
            f"({throughput_ratio:.0%})",
            "goal": ">= 60 % of echo",
            "met": throughput_ratio >= 0.6,
        },
    ]
    write_result(
        "coordinator",
        {
            "echo": echo,
            "coordinator": real,
            "p99_ratio": round(p99_ratio, 3),
            "throughput_ratio": round(throughput_ratio, 3),
            "rounds": [
                {"p99_ratio": round(r["p99_ratio"], 3), "throughput_ratio": round(r["throughput_ratio"], 3)}
                for r in rounds
            ],
            "headline": headline,
        },
        goals={"p99_ratio_max": 3, "throughput_ratio_min": 0.6},
    )
    for row in headline:
        print(f"  {row['measure']}: {row['result']} (goal {row['goal']})")


if __name__ == "__main__":
    main()
