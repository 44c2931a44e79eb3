"""The MQTT session wrapper against the real broker: status and last will, persistent sessions across restarts,
request/response, offline behaviour, the dispatch thread."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
from waiting import wait_until

from motcua.contract import DeviceStatus, ErrorCode, ErrorReply, TicketCancel
from motcua.errors import NotConnectedError, RequestTimeoutError
from motcua.localbroker import LocalBroker
from motcua.session import Inbound, MqttSession


class Collector:
    def __init__(self) -> None:
        self.messages: list[Inbound] = []

    def __call__(self, inbound: Inbound) -> None:
        self.messages.append(inbound)

    def payloads(self) -> list[dict]:
        return [json.loads(m.payload) for m in self.messages]


def test_status_is_online_while_connected_and_offline_after_a_clean_stop(sessions, hall):
    watcher = sessions("admin")
    seen = Collector()
    watcher.subscribe(watcher.topics.device_status("kiosk-1"), seen)
    kiosk = sessions("kiosk-1", role="kiosk")
    wait_until(lambda: any(p["state"] == "online" for p in seen.payloads()))
    online = DeviceStatus.model_validate(seen.payloads()[-1])
    assert online.role == "kiosk" and online.since is not None
    kiosk.stop()
    wait_until(lambda: seen.payloads()[-1]["state"] == "offline")


def test_last_will_says_offline_when_a_device_dies(sessions, broker: LocalBroker, hall):
    watcher = sessions("admin")
    seen = Collector()
    watcher.subscribe(watcher.topics.device_status("pad-1"), seen)
    assert broker.files is not None
    password = broker.files.password("pad-1")
    script = textwrap.dedent(f"""
        import time
        from motcua.config import MqttSettings
        from motcua.session import MqttSession
        settings = MqttSettings(port={broker.port}, username="pad-1", password={password!r})
        s = MqttSession(settings, device="pad-1", site={hall.hall.site!r}, role="pad")
        s.start(); s.wait_connected(5); print("up", flush=True); time.sleep(60)
    """)
    # keepalive is 15 s; the broker notices a dead TCP peer at once when the process is killed
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "up"
        wait_until(lambda: seen.payloads() and seen.payloads()[-1]["state"] == "online")
        process.kill()
        wait_until(lambda: seen.payloads()[-1]["state"] == "offline", timeout=10)
    finally:
        process.kill()
        process.wait()


def test_messages_sent_while_a_device_was_away_arrive_when_it_returns(sessions, broker: LocalBroker, hall):
    pad = sessions("pad-1")
    first = Collector()
    pad.subscribe(pad.topics.rating_ack(1), first)
    wait_until(lambda: True)
    pad.stop()  # clean stop: the session stays on the broker (SessionExpiryInterval)
    coordinator = sessions("coordinator")
    coordinator.publish(coordinator.topics.rating_ack(1), b'{"while": "away"}')
    broker.restart()  # ...and survives a broker restart (persistence)
    assert coordinator.wait_connected(10)
    again = MqttSession(broker.settings("pad-1"), device="pad-1", site=hall.hall.site, role="pad")
    late = Collector()
    again.subscribe(again.topics.rating_ack(1), late)
    again.start()
    try:
        wait_until(lambda: late.payloads() == [{"while": "away"}], timeout=10)
    finally:
        again.stop()


def test_sessions_reconnect_and_resubscribe_after_a_broker_restart(sessions, broker: LocalBroker):
    display = sessions("display-1")
    changes: list[bool] = []
    display.on_connection_change(changes.append)
    seen = Collector()
    display.subscribe(display.topics.call(), seen)
    coordinator = sessions("coordinator")
    broker.stop()
    wait_until(lambda: not display.connected)
    with pytest.raises(NotConnectedError):
        display.request(display.topics.call(), TicketCancel(request_id=uuid.uuid4()), response_topic="x/y")
    broker.start()
    assert display.wait_connected(15) and coordinator.wait_connected(15)
    coordinator.publish(coordinator.topics.call(), b'{"n": 1}')
    wait_until(lambda: seen.payloads() == [{"n": 1}])
    wait_until(lambda: changes[-2:] == [False, True])


def test_request_and_reply_with_correlation(sessions):
    coordinator = sessions("coordinator")
    topics = coordinator.topics

    def answer(inbound: Inbound) -> None:
        coordinator.reply(
            inbound, ErrorReply(error=ErrorCode.QUEUE_EMPTY, message="nothing"), topic=topics.ticket_reply("kiosk-1")
        )

    coordinator.subscribe(topics.ticket_request("+"), answer)
    kiosk = sessions("kiosk-1")
    replies = [
        kiosk.request(
            topics.ticket_request("kiosk-1"),
            TicketCancel(request_id=uuid.uuid4()),
            response_topic=topics.ticket_reply("kiosk-1"),
        )
        for _ in range(5)
    ]
    assert all(json.loads(r.payload)["error"] == "queue_empty" for r in replies)
    assert len({r.correlation_data for r in replies}) == 5


def test_request_without_responder_times_out(sessions):
    kiosk = sessions("kiosk-1")
    start = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        kiosk.request(
            kiosk.topics.ticket_request("kiosk-1"),
            TicketCancel(request_id=uuid.uuid4()),
            response_topic=kiosk.topics.ticket_reply("kiosk-1"),
            timeout=0.3,
        )
    assert time.monotonic() - start < 3


def test_a_failing_handler_does_not_stop_the_dispatch_thread(sessions):
    display = sessions("display-1")
    seen = Collector()

    def broken(inbound: Inbound) -> None:
        raise RuntimeError("bug in a handler")

    display.subscribe(display.topics.call(), broken)
    display.subscribe(display.topics.call(), seen)
    coordinator = sessions("coordinator")
    for n in range(3):
        coordinator.publish(coordinator.topics.call(), json.dumps({"n": n}).encode())
    wait_until(lambda: len(seen.messages) == 3)
    ran = threading.Event()
    display.call_soon(ran.set)
    assert ran.wait(2)


def test_nagle_is_off_on_the_session_socket(sessions):
    kiosk = sessions("kiosk-1")
    sock = kiosk._client.socket()  # type: ignore[union-attr]
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_wrong_password_keeps_retrying_without_crashing(broker: LocalBroker, hall):
    session = MqttSession(
        broker.settings("kiosk-1", password="wrong"), device="kiosk-1", site=hall.hall.site, role="kiosk"
    )
    session.start()
    try:
        assert not session.wait_connected(1.5)
    finally:
        session.stop()


def _tool_config(tmp_path, broker: LocalBroker, hall) -> object:
    assert broker.files is not None
    path = tmp_path / "admin.toml"
    path.write_text(
        f'[device]\nid = "admin"\nsite = "{hall.hall.site}"\n\n'
        f'[mqtt]\nport = {broker.tools_port}\npassword = "{broker.files.password("admin")}"\n',
        encoding="utf-8",
    )
    return path


def test_two_admin_tools_can_be_connected_at_once(
    coordinator, broker: LocalBroker, hall, tmp_path, capsys, monkeypatch
):
    """With client id = device id the broker disconnected the first tool when the second connected."""
    from motcua.cli import main

    monkeypatch.setenv("MOTCUA_CLOCK", f"{coordinator.clock.now().isoformat()}@1")  # the coordinator's pinned time
    watching = MqttSession(broker.settings("admin"), device="admin", site=hall.hall.site, role="admin", one_shot=True)
    changes: list[bool] = []
    watching.on_connection_change(changes.append)
    watching.start()
    try:
        assert watching.wait_connected(5)
        config = _tool_config(tmp_path, broker, hall)
        results: dict[str, int] = {}
        tools = [
            threading.Thread(
                target=lambda c=counter, o=officer: results.__setitem__(
                    o, main(["counter", "--config", str(config), str(c), "sign_in", "--officer", o])
                )
            )
            for counter, officer in ((1, "nguyen-thi-lan"), (2, "tran-van-minh"))
        ]
        for tool in tools:
            tool.start()
        for tool in tools:
            tool.join(30)
        assert results == {"nguyen-thi-lan": 0, "tran-van-minh": 0}, capsys.readouterr()
        out = capsys.readouterr().out
        assert "counter 1: open, officer nguyen-thi-lan" in out and "counter 2: open, officer tran-van-minh" in out
        time.sleep(0.3)
        assert watching.connected and changes == [True], changes  # never kicked off by the tools
    finally:
        watching.stop()


def test_one_shot_client_ids_are_unique_and_start_with_the_username(sessions, broker: LocalBroker, hall):
    kiosk = sessions("kiosk-1")
    assert kiosk.client_id == "kiosk-1"  # a device keeps its id: the broker keeps its session for it
    ids = {
        MqttSession(
            broker.settings("admin"), device="admin", site=hall.hall.site, role="admin", one_shot=True
        ).client_id
        for _ in range(50)
    }
    assert len(ids) == 50 and all(i.startswith("admin-") and len(i) == len("admin-") + 8 for i in ids)


def test_a_one_shot_tool_publishes_no_status_and_leaves_no_session(sessions, broker: LocalBroker, hall):
    watcher = sessions("coordinator")
    seen = Collector()
    watcher.subscribe(watcher.topics.device_status("admin"), seen)
    tool = MqttSession(broker.settings("admin"), device="admin", site=hall.hall.site, role="admin", one_shot=True)
    tool.start()
    assert tool.wait_connected(5)
    tool.stop()
    time.sleep(0.5)
    assert seen.messages == []  # a tool is not a device: no online/offline flapping for the hall's monitoring
