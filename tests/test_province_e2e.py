"""The real test of the province: three halls (real Mosquitto + real coordinator each, playing simulated days)
bridged by Mosquitto's own bridge to a real provincial Mosquitto, the collector as its own process, a real
PostgreSQL. The uplink is cut (the provincial broker killed), a hall's broker is killed and restarted during the
cut, the collector is killed -9 while catching up: afterwards every hall's report computed from the province's
database equals the hall's own report, exactly, and the province's totals are their sums.

The uplink is TLS end to end, made as for a real province: the province's CA and the broker's certificate by the
role's own script (ansible/roles/common/files/motcua-tls.sh, openssl), the provincial listener TLS only
(province/broker.py), each hall's bridge written by `motcua broker bridge --ca` (motcua.broker.bridge_config) with its
own password, the collector checking the broker with ``ca_file`` as the role's province.toml does. A plain MQTT
connection to the provincial listener gets no CONNACK, and a hall's credential cannot publish under another hall's
site over TLS either.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import psycopg
import pytest
from province_support import Client, write_province_toml
from waiting import wait_until

from coordinator.report.load import load
from coordinator.report.metrics import build_facts, compute
from coordinator.report.period import period_containing
from coordinator.resend import read_events
from coordinator.service import CoordinatorService
from coordinator.simulate import Behaviour, DaySimulation, MqttActions, SimulatedTime, plan_day, staffing_hall
from coordinator.store import Store, open_readonly
from motcua.broker import TlsFiles, bridge_config
from motcua.clock import FixedClock
from motcua.config import validate_config
from motcua.contract import Topics
from motcua.hall import HallConfig
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from province.broker import ProvinceBroker
from province.report import province_reports, province_totals

# Real processes, broker kills and reconnect back-offs: about a minute.
pytestmark = pytest.mark.slow

SITES = ("phuong-an-khanh", "phuong-binh-minh", "xa-cat-tien")
REPO = Path(__file__).resolve().parent.parent
PROVINCE_TLS_SCRIPT = REPO / "ansible/roles/common/files/motcua-tls.sh"
NOT_AUTHORIZED = 135
DAYS = (date(2026, 11, 23), date(2026, 11, 24))


class Hall:
    """One hall: its broker (with the bridge to the province), its coordinator, its simulated days."""

    def __init__(self, base: HallConfig, site: str, workdir: Path, province: ProvinceBroker) -> None:
        data = staffing_hall(base, 3, single_service=False).model_dump(mode="json", exclude_none=True)
        data["hall"]["site"] = site
        self.hall = validate_config(data, HallConfig, source=site)
        self.site = site
        self.broker = LocalBroker(self.hall, workdir / "broker")
        self.broker.start()  # generates the hall's files ...
        self.broker.stop()
        assert province.files is not None and self.broker.files is not None
        assert province.tls is not None and province.tls.ca is not None
        bridge = bridge_config(  # what `motcua broker bridge --ca province-ca.crt` writes
            self.hall,
            remote_address=f"127.0.0.1:{province.port}",
            remote_username=site,
            remote_password=province.files.password(site),
            ca_file=province.tls.ca,
        )
        assert f"bridge_cafile {province.tls.ca}\nbridge_insecure false\n" in bridge  # the broker's name is checked
        assert f"topic province/resend in 1 motcua/v1/{site}/" in bridge  # the resend requests reach the hall
        bridge = bridge.replace("restart_timeout 10 120", "restart_timeout 1 2")  # a test-sized reconnect back-off
        with self.broker.files.config.open("a", encoding="utf-8") as config:
            config.write("\n" + bridge)
        self.broker.start()  # ... and runs with the bridge appended
        self.database = workdir / "coordinator.db"
        self.clock = FixedClock(datetime.combine(DAYS[0], time(6, 30), self.hall.hall.zone))
        session = MqttSession(self.broker.settings("coordinator"), device="coordinator", site=site, role="coordinator")
        self.coordinator = CoordinatorService(self.hall, [], Store(self.database), session, self.clock)
        self.coordinator.start()
        assert session.wait_connected(10)

    def play(self, day: date, seed: int) -> None:
        plan = plan_day(self.hall, day, Behaviour(citizens_per_day=25, breaks=False), random.Random(seed))
        started: list[MqttSession] = []

        def session(device: str) -> MqttSession:
            s = MqttSession(self.broker.settings(device), device=device, site=self.site, role="simulator")
            s.start()
            assert s.wait_connected(10)
            started.append(s)
            return s

        try:
            DaySimulation(
                self.hall, plan, MqttActions(session, self.hall, self.clock), SimulatedTime(self.clock), turnaround_s=5
            ).run()
        finally:
            for s in reversed(started):
                s.stop()

    def roll_over_to(self, day: date) -> None:
        """Move the hall's clock to `day`'s morning: the coordinator closes the previous day (day_started)."""
        self.clock.current = datetime.combine(day, time(6, 30), self.hall.hall.zone)
        wait_until(lambda: self.day_started_on(day), what=f"{self.site} rolled over to {day}")

    def day_started_on(self, day: date) -> bool:
        db = open_readonly(self.database)
        try:
            return any(
                e.kind.value == "day_started" and e.at.astimezone(self.hall.hall.zone).date() == day
                for e in read_events(db, 1, None, 100_000)
            )
        finally:
            db.close()

    def last_seq(self) -> int:
        db = open_readonly(self.database)
        try:
            return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])
        finally:
            db.close()

    def events(self) -> list[tuple[object, ...]]:
        db = open_readonly(self.database)
        try:
            return [
                (e.seq, e.kind.value, e.at, e.ticket_id, e.officer, e.rating) for e in read_events(db, 1, None, 100_000)
            ]
        finally:
            db.close()

    def stop(self) -> None:
        self.coordinator.stop()
        self.broker.kill()


def start_collector(config: Path, log: Path) -> subprocess.Popen[bytes]:
    motcua = Path(sys.executable).parent / "motcua"
    with log.open("ab") as out:
        return subprocess.Popen([str(motcua), "province", "--config", str(config)], stdout=out, stderr=out)


def held(dsn: str) -> dict[str, tuple[int, int]]:
    """Per site: (events held, contiguous seq)."""
    with psycopg.connect(dsn) as conn:
        counts = dict(conn.execute("SELECT site, count(*) FROM events GROUP BY site").fetchall())
        marks = dict(conn.execute("SELECT site, contiguous_seq FROM halls").fetchall())
    return {site: (int(counts.get(site, 0)), int(marks.get(site, 0))) for site in marks}


def waiting_on_a_lock(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        (count,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()
    return int(count) > 0


def province_tls(folder: Path) -> TlsFiles:
    """The province's CA and the broker's certificate for 127.0.0.1, made as Ansible makes them on the technician's
    computer (roles/province, tasks/tls.yml)."""
    made = subprocess.run(
        ["sh", str(PROVINCE_TLS_SCRIPT), str(folder), "127.0.0.1", "province", "tinh-thu-nghiem"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0 and made.stdout.strip() == "created", made.stderr
    return TlsFiles(cert=folder / "server.crt", key=folder / "server.key", ca=folder / "ca.crt")


def plain_connect_answer(port: int) -> bytes:
    """What the listener answers to an MQTT CONNECT in clear (a CONNACK starts with 0x20)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as plain:
        plain.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
        try:
            return plain.recv(4)
        except (ConnectionResetError, TimeoutError):
            return b""


def test_three_halls_survive_a_cut_uplink_and_a_killed_collector_exactly(hall, tmp_path, province_dsn):
    tls = province_tls(tmp_path / "province-tls")
    province = ProvinceBroker(SITES, tmp_path / "province-broker", tls=tls).start()
    assert province.files is not None and "certfile" in province.files.config.read_text()
    config = write_province_toml(tmp_path / "province.toml", province, province_dsn, list(SITES))
    assert f'ca_file = "{tls.ca}"' in config.read_text()  # the collector connects over TLS too

    # The provincial listener takes TLS only: a CONNECT in clear gets no CONNACK.
    assert not plain_connect_answer(province.port).startswith(b"\x20"), "a plaintext client must not get a CONNACK"
    # A hall's credential, over TLS, writes its own site only.
    spoofer = Client(province, SITES[0])
    try:
        assert spoofer.publish(Topics(SITES[0]).board(), b"{}") in (0, 16)  # its own: accepted
        assert spoofer.publish(Topics(SITES[1]).events(), b'{"v": 1, "events": []}') == NOT_AUTHORIZED
        assert spoofer.publish(Topics(SITES[1]).board(), b"{}") == NOT_AUTHORIZED
    finally:
        spoofer.close()
    log = tmp_path / "collector.log"
    collector = start_collector(config, log)
    halls: list[Hall] = []
    try:
        # Its schema is there before anything reads the tables (a cold start imports for a few seconds).
        wait_until(lambda: "halls in the registry" in log.read_text(), timeout=30, what="the collector started")
        halls = [Hall(hall, site, tmp_path / site, province) for site in SITES]

        def caught_up() -> bool:
            now = held(province_dsn)
            return all(now.get(h.site) == (h.last_seq(), h.last_seq()) for h in halls)

        # Day 1 with the uplink up: the events flow live.
        for index, h in enumerate(halls):
            h.play(DAYS[0], seed=index)
        wait_until(caught_up, timeout=30, what="day 1 at the province")
        day_one = sum(h.last_seq() for h in halls)

        # A malformed batch on a hall's events topic (its coordinator's account): logged and skipped.
        bad = MqttSession(
            halls[1].broker.settings("coordinator", port=halls[1].broker.tools_port),
            device="coordinator",
            site=SITES[1],
            role="t",
            one_shot=True,
        )
        bad.start()
        assert bad.wait_connected(5)
        bad.publish(Topics(SITES[1]).events(), b'{"v": 1, "events": [{"seq": "x"}]}').wait_for_publish(5)
        bad.stop()

        # The uplink is cut: day 2 is played and closed with the provincial broker dead.
        province.kill()
        for index, h in enumerate(halls):
            h.play(DAYS[1], seed=10 + index)
            h.roll_over_to(DAYS[1] + timedelta(days=1))
        # A hall's broker dies during the cut (kill -9: what it had queued for the bridge may be lost) and restarts.
        halls[0].broker.kill()
        halls[0].broker.start()
        wait_until(halls[0].coordinator.session.wait_connected, what="coordinator back on its broker")

        # The uplink comes back; the collector is killed -9 in the middle of writing a batch: a lock taken here
        # holds its transaction after the events are inserted, before the commit (and so before any ack).
        blocker = psycopg.connect(province_dsn)
        blocker.execute("LOCK TABLE halls IN ACCESS EXCLUSIVE MODE")
        province.start()
        wait_until(lambda: waiting_on_a_lock(province_dsn), timeout=40, what="the collector inside a batch")
        collector.send_signal(signal.SIGKILL)
        collector.wait(10)
        blocker.rollback()
        blocker.close()
        assert sum(n for n, _ in held(province_dsn).values()) == day_one  # the killed batch left nothing
        collector = start_collector(config, log)
        wait_until(caught_up, timeout=60, what="every event of every hall at the province")

        # Nothing missing, nothing doubled: event for event ...
        with psycopg.connect(province_dsn) as conn:
            for h in halls:
                rows = conn.execute(
                    "SELECT seq, kind, at, ticket_id, officer, rating FROM events WHERE site = %s ORDER BY seq",
                    (h.site,),
                ).fetchall()
                assert [tuple(r) for r in rows] == h.events(), h.site
            refused = conn.execute("SELECT site, seq FROM rejected").fetchall()
        assert set(refused) == {(SITES[1], None)}  # (a refused payload redelivered after a crash is kept twice)
        # ... and figure for figure: each hall's report from the province equals its own.
        period = period_containing("week", DAYS[0])
        by_site = province_reports(province_dsn, {h.site: h.hall for h in halls}, period)
        own = {}
        for h in halls:
            own[h.site] = compute(build_facts(load(h.database, h.hall, period), h.hall, period), h.hall, period)
            assert by_site[h.site] == own[h.site], h.site
        totals = province_totals(by_site)
        assert totals.issued == sum(r.queue_total.issued or 0 for r in own.values()) > 100
        assert totals.served == sum(r.queue_total.served for r in own.values()) > 0
        assert totals.rated == sum(r.satisfaction_total.counted for r in own.values()) > 0
        text = log.read_text()
        assert text.count("province collector: 3 halls in the registry") == 2  # the second collector did the rest
        assert "asked hall" in text  # the halls were asked for what the province missed
    finally:
        for h in halls:
            h.stop()
        if collector.poll() is None:
            collector.send_signal(signal.SIGTERM)
            try:
                collector.wait(10)
            except subprocess.TimeoutExpired:
                collector.kill()
        province.kill()
        os.sync()
