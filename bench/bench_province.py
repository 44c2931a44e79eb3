"""The province: ingest and report at the scale of a province and of the country (issue 15).

1. Ingest: one working day of events of N simulated halls (N = 100, 1,000, 3,300) published on the provincial
   Mosquitto as the halls' bridges would, taken by the collector (its own process, `motcua province`) into
   PostgreSQL; events/s from the first publish to the last row committed (live: the publishers share the machine).
   Catch-up (N <= 1,000): the next day queued by the broker while the collector is stopped, then drained (from the
   collector's start to the last row committed). Beside them, in the same run, a bare COPY of the same rows into
   the same (emptied) table: the collector's goal is at least 50 % of it.
2. Report: a province month report (every hall's figures, by the hall report's own code) over 50 and 200 halls.

The halls are synthetic (no coordinators: 3,300 of them do not fit on this machine): a day of
`CITIZENS` citizens per hall (issued, called, served, 70 % rated: ~3.7 events per citizen), `PER_MESSAGE` events
per EventBatch, published by a few connections (a bench user allowed to write every hall's ``events``: the site
still comes from the topic). PostgreSQL runs with fsync off (a throw-away cluster): both sides of the ratio alike.
"""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from bench.common import write_result
from coordinator.report.period import Period
from motcua.broker import hash_password
from motcua.contract import Topics
from motcua.hall import load_hall
from province.broker import COLLECTOR_USER, ProvinceBroker
from province.db import EVENT_COLUMNS, ProvinceDb
from province.localdb import LocalPostgres
from province.report import province_reports

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "ward-hall" / "hall.toml"
HALLS = [int(n) for n in os.environ.get("BENCH_PROVINCE_HALLS", "100,1000,3300").split(",")]
REPORT_HALLS = [int(n) for n in os.environ.get("BENCH_PROVINCE_REPORT_HALLS", "50,200").split(",")]
CITIZENS = int(os.environ.get("BENCH_PROVINCE_CITIZENS", "160"))
#: The month report is computed by the hall report's own code (pure Python, exact fractions: ~1 s per 1,000
#: citizens of a month here); a quiet commune's 20 citizens a day keeps 200 halls within minutes on 2 shared cores.
REPORT_CITIZENS = int(os.environ.get("BENCH_PROVINCE_REPORT_CITIZENS", "20"))
PER_MESSAGE = int(os.environ.get("BENCH_PROVINCE_PER_MESSAGE", "10"))
PUBLISHERS = 4
#: How the simulated halls publish: "raw" (default), packets written straight to the socket, costing the bench
#: about what a hall's Mosquitto bridge (C) costs it, or "paho" (paho-mqtt, ~10 µs of the bench's Python per event,
#: taken from the same 2 cores as the collector it measures: docs/scaling.md).
PUBLISHER = os.environ.get("BENCH_PROVINCE_PUBLISHER", "raw")
#: Unacknowledged messages per raw publisher connection (the broker allows `max_inflight_messages`, 10,000).
RAW_WINDOW = 500
#: The collector's parse workers (province.toml ``parse_workers``; unset: the collector's default).
PARSE_WORKERS = os.environ.get("BENCH_PROVINCE_PARSE_WORKERS")
#: The catch-up measure holds a queued day in the broker's memory: up to this many halls (3,300 halls' day is
#: ~450 MB of queued messages).
DRAIN_MAX_HALLS = int(os.environ.get("BENCH_PROVINCE_DRAIN_MAX_HALLS", "1000"))
MONDAY = date(2026, 11, 2)
SERVICES = {  # the sample hall's services and the counters (officers) that serve them
    "ho-tich": [(1, "nguyen-thi-lan"), (2, "tran-van-minh")],
    "chung-thuc": [(3, "le-thi-hoa"), (6, "vu-quoc-hung")],
    "lao-dong-xa-hoi": [(4, "pham-van-duc")],
    "dat-dai-moi-truong": [(5, "hoang-thi-mai")],
}


def hall_day(day: date, rng: random.Random, first_seq: int, citizens: int = CITIZENS) -> list[dict[str, Any]]:
    """One hall's working day as HallEvent dicts (JSON-ready), numbered from `first_seq`."""
    opening = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
    events: list[dict[str, Any]] = [
        {"v": 1, "seq": first_seq, "kind": "day_started", "at": _z(opening - timedelta(hours=1)), "detail": str(day)}
    ]
    seq = first_seq
    for number in range(1, citizens + 1):
        service = rng.choice(list(SERVICES))
        counter, officer = rng.choice(SERVICES[service])
        ticket = f"{day:%Y%m%d}-{service[0].upper()}{number:03d}"
        issued = opening + timedelta(seconds=number * 200)
        called = issued + timedelta(seconds=rng.randint(30, 1500))
        served = called + timedelta(seconds=rng.randint(120, 900))
        base = {"ticket_id": ticket, "service": service}
        at_counter = {**base, "counter": counter, "officer": officer}
        seq += 1
        events.append({"v": 1, "seq": seq, "kind": "issued", "at": _z(issued), **base})
        seq += 1
        events.append({"v": 1, "seq": seq, "kind": "called", "at": _z(called), **at_counter})
        seq += 1
        events.append({"v": 1, "seq": seq, "kind": "served", "at": _z(served), **at_counter})
        if rng.random() < 0.7:
            level = rng.choices(["satisfied", "neutral", "unsatisfied"], [0.9, 0.07, 0.03])[0]
            seq += 1
            events.append({"v": 1, "seq": seq, "kind": "rating", "at": _z(served + timedelta(seconds=5)),
                           **at_counter, "rating": level, "outcome": "counted"})  # fmt: skip
    return sorted(events, key=lambda e: e["seq"])


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sites(n: int) -> list[str]:
    return [f"xa-{i:04d}" for i in range(n)]


def day_payloads(n: int) -> tuple[list[tuple[str, bytes]], int]:
    rng = random.Random(n)
    messages, total = [], 0
    for site in sites(n):
        events = hall_day(MONDAY, rng, 1)
        total += len(events)
        topic = Topics(site).events()
        for start in range(0, len(events), PER_MESSAGE):
            messages.append((topic, json.dumps({"v": 1, "events": events[start : start + PER_MESSAGE]}).encode()))
    return messages, total


def publish_all(broker: ProvinceBroker, messages: list[tuple[str, bytes]]) -> None:
    def worker(part: list[tuple[str, bytes]], index: int) -> None:
        if PUBLISHER == "raw":
            publish_raw(broker.port, f"bench-{index}", part)
            return
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-{index}", protocol=MQTTProtocolVersion.MQTTv5
        )
        client.username_pw_set("bench", "bench")
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(0)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        infos = [client.publish(topic, payload, qos=1) for topic, payload in part]
        for info in infos:
            info.wait_for_publish(120)
        client.disconnect()
        client.loop_stop()

    # Each hall's messages through one connection, in order (as its bridge sends them): no false gaps.
    parts: list[list[tuple[str, bytes]]] = [[] for _ in range(PUBLISHERS)]
    for topic, payload in messages:
        parts[hash(topic) % PUBLISHERS].append((topic, payload))
    threads = [threading.Thread(target=worker, args=(parts[i], i)) for i in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


def publish_raw(port: int, client_id: str, messages: list[tuple[str, bytes]]) -> None:
    """MQTT 5 QoS 1 publishes written straight to the socket, `RAW_WINDOW` unacknowledged at most, every PUBACK
    read and checked (a refused publish fails the benchmark). The halls' bridges are Mosquitto (C): this costs the
    bench's process about what they would, where paho's Python cost ~10 µs per event of the cores it measures."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    connect = b"\x00\x04MQTT\x05\xc2" + struct.pack("!H", 60) + b"\x00" + _utf8(client_id) + _utf8("bench")
    sock.sendall(_packet(0x10, connect + _utf8("bench")))
    reader = sock.makefile("rb")

    def read_packet() -> tuple[int, bytes]:
        first = reader.read(1)
        if not first:
            raise RuntimeError("the broker closed the bench's connection")
        length, shift = 0, 0
        while True:
            byte = reader.read(1)[0]
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        return first[0], reader.read(length)

    kind, body = read_packet()
    if kind != 0x20 or body[1] != 0:
        raise RuntimeError(f"the broker refused the bench's connection: {kind:#x} {body!r}")
    acked = threading.Semaphore(RAW_WINDOW)
    failures: list[str] = []

    def read_acks(count: int) -> None:
        for _ in range(count):
            kind, body = read_packet()
            if kind != 0x40 or (len(body) > 2 and body[2] >= 0x80):
                failures.append(f"{kind:#x} {body!r}")
            acked.release()

    acks = threading.Thread(target=read_acks, args=(len(messages),))
    acks.start()
    chunk: list[bytes] = []
    for number, (topic, payload) in enumerate(messages):
        acked.acquire()
        chunk.append(_packet(0x32, _utf8(topic) + struct.pack("!H", number % 65535 + 1) + b"\x00" + payload))
        if len(chunk) >= 50:
            sock.sendall(b"".join(chunk))
            chunk = []
    sock.sendall(b"".join(chunk))
    acks.join()
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    if failures:
        raise RuntimeError(f"{len(failures)} publishes refused, e.g. {failures[0]}")


def wait_for(dsn: str, total: int, start: float) -> None:
    # One connection for the whole wait: a new one every 50 ms (as this benchmark once did) forks a PostgreSQL
    # backend each time, ~5 µs of server CPU per event at 300 halls, taken from the collector it measures.
    with psycopg.connect(dsn, autocommit=True) as conn:
        while (held := count(conn)) < total:
            if time.perf_counter() - start > 1800:
                raise RuntimeError(f"only {held} of {total} events after 30 min")
            time.sleep(0.05)


def renumbered(messages: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The same messages as the hall's next events (seq shifted past the day's last): new rows, same size."""
    last: dict[str, int] = {}
    for topic, payload in messages:
        last[topic] = max(last.get(topic, 0), json.loads(payload)["events"][-1]["seq"])
    out = []
    for topic, payload in messages:
        data = json.loads(payload)
        for event in data["events"]:
            event["seq"] += last[topic]
        out.append((topic, json.dumps(data).encode()))
    return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a live process, of the children it has reaped, and of its live descendants
    (the collector's parse workers, PostgreSQL's backends): comparable whatever else loads the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick  # utime stime cutime cstime
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        total += sum(cpu_s(int(child)) for child in children)
    return total


def thread_cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds of each thread of a live process (the collector's: paho's network thread, the parser, the
    writer, ...), by thread id."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / tick
    return out


def postgres_cpu_s(pg: LocalPostgres) -> float:
    """The whole cluster: the postmaster, its backends (live and ended) and its background processes."""
    return cpu_s(int((pg.data / "postmaster.pid").read_text().split()[0]))


def count(conn: psycopg.Connection[Any]) -> int:
    """Events committed: the halls' contiguous marks (the synthetic halls number 1..k without gaps). Cheap, unlike
    count(*) over millions of rows every 50 ms, which would steal a core from the collector."""
    return int(conn.execute("SELECT COALESCE(sum(contiguous_seq), 0) FROM halls").fetchone()[0])  # type: ignore[index]


def ingest(pg: LocalPostgres, workdir: Path, n: int) -> dict[str, Any]:
    dsn = pg.create_database(f"ingest_{n}")
    ProvinceDb(dsn).close()  # schema
    broker = ProvinceBroker(sites(n), workdir / f"broker-{n}")
    assert broker.files is not None
    with broker.files.passwd.open("a") as passwd:
        passwd.write(f"bench:{hash_password('bench')}\n")
    with broker.files.acl.open("a") as acl:
        acl.write(f"\nuser bench\ntopic write {Topics.every_hall('events')}\n")
    broker.start()
    config = workdir / f"province-{n}.toml"
    config.write_text(
        f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nusername = "{COLLECTOR_USER}"\n'
        f'password_file = "{broker.files.credentials / (COLLECTOR_USER + ".password")}"\n'
        f'[database]\ndsn = "{dsn}"\n[collector]\nresend_interval_s = 3600\n'
        + (f"parse_workers = {int(PARSE_WORKERS)}\n" if PARSE_WORKERS else ""),
        encoding="utf-8",
    )
    log = (workdir / f"collector-{n}.log").open("ab")
    command = [
        str(Path(sys.executable).parent / "motcua"),
        "--log-level",
        "WARNING",
        "province",
        "--config",
        str(config),
    ]
    collector = subprocess.Popen(command, stdout=log, stderr=log)
    assert broker.process is not None
    drain_s = None
    try:
        messages, total = day_payloads(n)
        time.sleep(1.5)  # the collector connected and subscribed
        load_before = os.getloadavg()[0]  # the machine is shared: every figure goes with its load
        before = (cpu_s(collector.pid), cpu_s(broker.process.pid), postgres_cpu_s(pg), time.process_time())
        start = time.perf_counter()
        publish_all(broker, messages)
        published = time.perf_counter() - start
        publishers_cpu = time.process_time() - before[3]
        threads_before = thread_cpu_s(collector.pid)
        wait_for(dsn, total, start)
        ingest_s = time.perf_counter() - start
        after = (cpu_s(collector.pid), cpu_s(broker.process.pid), postgres_cpu_s(pg))
        load_after = os.getloadavg()[0]
        threads = thread_cpu_s(collector.pid)
        by_thread = [threads[t] - threads_before.get(t, 0.0) for t in sorted(threads)]  # in the order started
        cpu = {
            name: round(1e6 * (later - earlier) / total, 1)
            for name, earlier, later in zip(("collector", "broker", "postgres"), before, after, strict=False)
        }
        cpu["publishers"] = round(1e6 * publishers_cpu / total, 1)
        # the collector's threads in the order they started (main, [the pool's manager,] parser, writer, paho's
        # network thread): which one bounds it
        collector_threads = [round(1e6 * seconds / total, 1) for seconds in by_thread if seconds > 0]
        # The rows of this one day, for the bare COPY (before the catch-up adds a second day: copying both days and
        # crediting one, as this benchmark once did, halved the COPY's rate and doubled the collector's ratio).
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events").fetchall()
        assert len(rows) == total, (len(rows), total)
        if n <= DRAIN_MAX_HALLS:
            # Catch-up: the next day (same messages, later numbers) queued by the broker while the collector is
            # stopped (its persistent session keeps them), then drained by the collector alone on the machine.
            collector.terminate()
            collector.wait(30)
            publish_all(broker, renumbered(messages))
            start = time.perf_counter()
            collector = subprocess.Popen(command, stdout=log, stderr=log)
            wait_for(dsn, 2 * total, start)
            drain_s = time.perf_counter() - start
    finally:
        collector.terminate()
        collector.wait(30)
        broker.kill()
        log.close()
    # The bare COPY of the same rows into the same table, emptied.
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE events")
        conn.commit()
        server, client = postgres_cpu_s(pg), time.process_time()
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        copy_s = time.perf_counter() - start
        copy_cpu = {
            "client": round(1e6 * (time.process_time() - client) / total, 1),
            "postgres": round(1e6 * (postgres_cpu_s(pg) - server) / total, 1),
        }
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "ingest_{n}" WITH (FORCE)')
    drain = {}
    if drain_s is not None:
        drain = {
            "drain_s": round(drain_s, 2),
            "drain_events_per_s": round(total / drain_s),
            "drain_ratio": round(copy_s / drain_s, 3),
        }
    return {
        **drain,
        "halls": n,
        "events": total,
        "messages": len(messages),
        "publish_s": round(published, 2),
        "ingest_s": round(ingest_s, 2),
        "ingest_events_per_s": round(total / ingest_s),
        "copy_s": round(copy_s, 2),
        "copy_events_per_s": round(total / copy_s),
        "ratio": round(copy_s / ingest_s, 3),
        # CPU microseconds per event, each process (the machine is shared: these do not depend on its load)
        "cpu_us_per_event": cpu,
        "collector_threads_cpu_us_per_event": collector_threads,
        "publisher": PUBLISHER,
        "copy_cpu_us_per_event": copy_cpu,
        "load_average_1min": [round(load_before, 2), round(load_after, 2)],  # at the start and end of the live ingest
        "cpu_ratio": round(sum(copy_cpu.values()) / (cpu["collector"] + cpu["broker"] + cpu["postgres"]), 3),
    }


def month_report(pg: LocalPostgres, n: int) -> dict[str, Any]:
    """A month (20 working days) of `n` halls written straight into PostgreSQL, then the province report."""
    dsn = pg.create_database(f"report_{n}")
    db = ProvinceDb(dsn)
    rng = random.Random(n)
    total = 0
    days = [MONDAY + timedelta(days=d) for d in range(28) if (MONDAY + timedelta(days=d)).weekday() < 5]
    for site in sites(n):
        seq, rows = 1, []
        for day in days:
            for event in hall_day(day, rng, seq, REPORT_CITIZENS):
                rows.append(_row(site, event))
            seq = int(rows[-1][1]) + 1
        db.write(rows, [], {site: seq - 1}, datetime.now(UTC))
        total += len(rows)
    db.close()
    hall = load_hall(SAMPLE)
    period = Period("month", date(2026, 11, 1), date(2026, 11, 30))
    start = time.perf_counter()
    halls = {site: hall.model_copy(update={"hall": hall.hall.model_copy(update={"site": site})}) for site in sites(n)}
    reports = province_reports(dsn, halls, period)
    seconds = time.perf_counter() - start
    assert sum(r.queue_total.issued or 0 for r in reports.values()) == n * len(days) * REPORT_CITIZENS
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "report_{n}" WITH (FORCE)')
    return {"halls": n, "events": total, "report_s": round(seconds, 2), "citizens_per_day": REPORT_CITIZENS}


def _row(site: str, event: dict[str, Any]) -> tuple[object, ...]:
    return (
        site, event["seq"], event["kind"], datetime.fromisoformat(event["at"]), event.get("counter"),
        event.get("ticket_id"), event.get("service"), event.get("officer"), event.get("detail"), None, None,
        event.get("rating"), event.get("outcome"), None, None,
    )  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, LocalPostgres() as pg:
        workdir = Path(folder)
        ingests = []
        for n in HALLS:
            result = ingest(pg, workdir, n)
            print(f"  {n} halls: {result}", flush=True)
            ingests.append(result)
        reports = []
        for n in REPORT_HALLS:
            result = month_report(pg, n)
            print(f"  month report, {n} halls: {result}", flush=True)
            reports.append(result)
    save(ingests, reports)


def save(ingests: list[dict[str, Any]], reports: list[dict[str, Any]]) -> None:
    headline = [
        {
            "measure": f"ingest, one day of {r['halls']} halls ({r['events']:,} events): events/s vs bare COPY",
            "result": f"{r['ingest_events_per_s']:,} vs {r['copy_events_per_s']:,} ({r['ratio']:.0%})",
            "goal": ">= 50 % of COPY",
            "met": r["ratio"] >= 0.5,
        }
        for r in ingests
    ]
    headline += [
        {
            "measure": f"CPU per event, {r['halls']} halls: collector + broker + PostgreSQL vs a bare COPY's",
            "result": f"{sum(r['cpu_us_per_event'][k] for k in ('collector', 'broker', 'postgres')):.1f} vs "
            f"{sum(r['copy_cpu_us_per_event'].values()):.1f} µs ({r['cpu_ratio']:.0%})",
            "goal": "-",
            "met": None,
        }
        for r in ingests
    ]
    headline += [
        {
            "measure": f"catch-up, a queued day of {r['halls']} halls drained by the collector: events/s vs COPY",
            "result": f"{r['drain_events_per_s']:,} vs {r['copy_events_per_s']:,} ({r['drain_ratio']:.0%})",
            "goal": ">= 50 % of COPY",
            "met": r["drain_ratio"] >= 0.5,
        }
        for r in ingests
        if "drain_s" in r
    ]
    headline += [
        {
            "measure": f"province month report, {r['halls']} halls x {REPORT_CITIZENS} citizens/day "
            f"({r['events']:,} events)",
            "result": f"{r['report_s']:.1f} s",
            "goal": "-",
            "met": None,
        }
        for r in reports
    ]
    if len(reports) >= 2:
        growth = reports[-1]["report_s"] / reports[0]["report_s"]
        halls = reports[-1]["halls"] / reports[0]["halls"]
        headline.append(
            {
                "measure": f"report time growth, {reports[0]['halls']} -> {reports[-1]['halls']} halls",
                "result": f"{growth:.2f}x for {halls:.0f}x the halls",
                "goal": "linear",
                "met": growth <= halls * 1.3,
            }
        )
    write_result(
        "province",
        {
            "ingest": ingests,
            "report": reports,
            "citizens_per_hall_day": CITIZENS,
            "events_per_message": PER_MESSAGE,
            "parse_workers": int(PARSE_WORKERS or 0),
            "headline": headline,
        },
        goals={"ingest_ratio_min": 0.5},
    )
    for row in headline:
        print(f"  {row['measure']}: {row['result']} (goal {row['goal']})")


if __name__ == "__main__":
    main()
