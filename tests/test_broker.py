"""The hall broker from broker_config/: users, ACL (checked with MQTT 5 reason codes), persistence, bridge."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from counter_screen_support import with_counter_screens
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from motcua.broker import acl_text, bridge_config, device_roles, generate, hash_password
from motcua.contract import Topics
from motcua.localbroker import BrokerError, LocalBroker, free_port, mosquitto_binary, wait_for_port

NOT_AUTHORIZED = 135
ACCEPTED = (0, 16)  # success, or "no matching subscribers" (also a success in MQTT 5)


class RawClient:
    """A bare paho MQTT 5 client that records reason codes (the session wrapper hides them)."""

    def __init__(self, port: int, username: str | None, password: str | None) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"raw-{username}", protocol=MQTTProtocolVersion.MQTTv5
        )
        if username:
            self.client.username_pw_set(username, password)
        self.connack: mqtt.ReasonCode | None = None
        self.connected = threading.Event()
        self.pubacks: dict[int, int] = {}
        self.puback_event = threading.Condition()
        self.received: list[mqtt.MQTTMessage] = []
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_message = lambda c, u, m: self.received.append(m)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack = reason_code
        self.connected.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self.puback_event:
            self.pubacks[mid] = reason_code.value
            self.puback_event.notify_all()

    def publish(self, topic: str, payload: bytes = b"{}", retain: bool = False) -> int:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        with self.puback_event:
            assert self.puback_event.wait_for(lambda: info.mid in self.pubacks, timeout=5)
            return self.pubacks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def raw(broker: LocalBroker):
    clients: list[RawClient] = []

    def connect(user: str | None, password: str | None = None) -> RawClient:
        if user is not None and password is None:
            password = broker.files.password(user) if broker.files else None
        client = RawClient(broker.port, user, password)
        assert client.connected.wait(5)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


def test_password_hash_is_mosquitto_format():
    hashed = hash_password("secret", salt=b"0123456789ab")
    prefix, kind, iterations, salt, digest = hashed.split("$")
    assert (prefix, kind, iterations) == ("", "7", "101")
    assert salt == "MDEyMzQ1Njc4OWFi" and len(digest) == 88


def test_devices_log_in_with_their_generated_password(raw):
    client = raw("kiosk-1")
    assert client.connack is not None and not client.connack.is_failure


def test_anonymous_and_wrong_passwords_are_refused(raw):
    for client in (raw(None), raw("kiosk-1", "wrong"), raw("intruder", "x")):
        assert client.connack is not None and client.connack.is_failure


@pytest.mark.parametrize(
    ("device", "topic_of", "allowed"),
    [
        ("pad-1", lambda t: t.rating(1), True),
        ("pad-1", lambda t: t.rating(2), False),  # a pad rates only its own counter
        ("pad-1", lambda t: t.counter_command(1), False),
        ("keypad-1", lambda t: t.counter_command(1), True),
        ("keypad-1", lambda t: t.counter_command(2), False),
        ("kiosk-1", lambda t: t.ticket_request("kiosk-1"), True),
        ("kiosk-1", lambda t: t.ticket_request("kiosk-2"), False),
        ("kiosk-1", lambda t: t.catalogue(), False),
        ("display-1", lambda t: t.board(), False),  # a display publishes nothing...
        ("display-1", lambda t: t.call(), False),
        ("display-1", lambda t: t.device_status("display-1"), True),  # ...but its own status
        ("display-1", lambda t: t.device_status("kiosk-1"), False),
        ("admin", lambda t: t.counter_command(4), True),
        ("admin", lambda t: t.board(), False),
        ("coordinator", lambda t: t.board(), True),
    ],
)
def test_acl_lets_each_device_publish_only_its_own_topics(raw, hall, device, topic_of, allowed):
    client = raw(device)
    reason = client.publish(topic_of(Topics(hall.hall.site)))
    assert (reason in ACCEPTED) if allowed else (reason == NOT_AUTHORIZED)


def test_a_pad_cannot_read_another_counters_state(raw, hall):
    topics = Topics(hall.hall.site)
    coordinator = raw("coordinator")
    pad = raw("pad-1")
    pad.client.subscribe([(topics.counter_state(1), 1), (topics.counter_state(2), 1)])
    for counter in (1, 2):
        assert (
            coordinator.publish(topics.counter_state(counter), f'{{"c":{counter}}}'.encode(), retain=True) in ACCEPTED
        )
    deadline = threading.Event()
    for _ in range(50):
        if pad.received:
            break
        deadline.wait(0.05)
    deadline.wait(0.3)
    assert [m.topic for m in pad.received] == [topics.counter_state(1)]


PROTOCOL_DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def _documented_rights() -> dict[str, tuple[list[str], list[str]]]:
    """The "who may do what" table of docs/protocol.md: role -> (topics it publishes, topics it reads)."""
    text = PROTOCOL_DOC.read_text(encoding="utf-8")
    table = text[text.index("Who may do what") :].split("\n\n")[1]
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for line in table.splitlines()[2:]:
        user, publishes, reads = (cell.strip() for cell in line.strip("|").split("|"))
        role = user.strip("`").removesuffix("-N")
        rows[role] = (re.findall(r"`([^`]+)`", publishes), re.findall(r"`([^`]+)`", reads))
    return rows


def _generated_rights(acl: str) -> dict[str, set[tuple[str, str]]]:
    """The generated ACL file: user -> {("write"|"read", topic)}."""
    rights: dict[str, set[tuple[str, str]]] = {}
    user = None
    for line in acl.splitlines():
        if line.startswith("user "):
            user = line.removeprefix("user ")
            rights[user] = set()
        elif line.startswith("topic "):
            assert user is not None, line
            _, access, topic = line.split(" ", 2)
            for right in ("write", "read"):
                if right in access:
                    rights[user].add((right, topic))
    return rights


def test_generated_acl_is_what_the_protocol_doc_says(hall):
    hall = with_counter_screens(hall, 1)  # the sample hall lists no counter screen; the doc's table has one
    documented = _documented_rights()
    generated = _generated_rights(acl_text(hall))
    topics = Topics(hall.hall.site)
    counters = {d.id: d.counter for d in [*hall.devices.pads, *hall.devices.keypads, *hall.devices.counter_screens]}
    assert set(documented) == set(device_roles(hall).values())
    assert set(generated) == set(device_roles(hall))
    for device, role in device_roles(hall).items():
        publishes, reads = documented[role]

        def topic(pattern: str, device: str = device) -> str:
            if pattern == "#":
                return topics.everything()
            level = pattern.replace("{id}", device).replace("{n}", str(counters.get(device, "?")))
            return f"{topics.root}/{level}"

        expected = {("write", topic(t)) for t in publishes} | {("read", topic(t)) for t in reads}
        assert generated[device] == expected, device


def test_every_device_reads_back_its_own_status_and_no_one_elses(raw, hall):
    topics = Topics(hall.hall.site)
    coordinator = raw("coordinator")
    assert coordinator.publish(topics.device_status("kiosk-2"), b'{"other": true}', retain=True) in ACCEPTED
    for device in ("kiosk-1", "pad-1", "keypad-1", "display-1", "admin"):
        client = raw(device)
        assert client.publish(topics.device_status(device), device.encode(), retain=True) in ACCEPTED
        client.client.subscribe([(topics.device_status(device), 1), (topics.device_status("kiosk-2"), 1)])
        for _ in range(100):
            if client.received:
                break
            threading.Event().wait(0.02)
        threading.Event().wait(0.2)
        seen = {m.topic: m.payload for m in client.received}
        if device == "admin":  # the hall's tools read everything
            assert seen == {
                topics.device_status(device): device.encode(),
                topics.device_status("kiosk-2"): b'{"other": true}',
            }
        else:
            assert seen == {topics.device_status(device): device.encode()}, device


def test_acl_covers_every_device_of_the_hall(hall):
    text = acl_text(hall)
    for device in device_roles(hall):
        assert f"user {device}\n" in text


def test_generating_again_keeps_passwords_and_files_are_private(hall, tmp_path: Path):
    first = generate(hall, tmp_path, run_as_user="root")
    before = {d: first.password(d) for d in device_roles(hall)}
    second = generate(hall, tmp_path, run_as_user="root")
    assert {d: second.password(d) for d in device_roles(hall)} == before
    assert len(set(before.values())) == len(before)
    assert (first.credentials / "kiosk-1.password").stat().st_mode & 0o777 == 0o600
    assert first.passwd.stat().st_mode & 0o777 == 0o640
    config = first.config.read_text()
    assert "allow_anonymous false" in config and "set_tcp_nodelay true" in config and "persistence true" in config


def test_retained_state_survives_a_broker_restart(broker: LocalBroker, raw, hall):
    topics = Topics(hall.hall.site)
    assert raw("coordinator").publish(topics.board(), b'{"kept": true}', retain=True) in ACCEPTED
    broker.restart()
    display = raw("display-1")
    display.client.subscribe(topics.board(), qos=1)
    for _ in range(100):
        if display.received:
            break
        threading.Event().wait(0.05)
    assert display.received and display.received[0].payload == b'{"kept": true}'


def test_bridge_forwards_hall_events_to_the_province(hall, tmp_path: Path):
    """Two real brokers: the hall's (with the generated bridge section) and a provincial one."""
    topics = Topics(hall.hall.site)
    province_port = free_port()
    province_dir = tmp_path / "province"
    province_dir.mkdir()
    (province_dir / "passwd").write_text(
        f"bridge-hoa-binh:{hash_password('uplink')}\nprovince:{hash_password('reader')}\n"
    )
    (province_dir / "acl").write_text(
        "user bridge-hoa-binh\ntopic readwrite motcua/v1/phuong-hoa-binh/#\nuser province\ntopic read motcua/v1/#\n"
    )
    (province_dir / "mosquitto.conf").write_text(
        f"user root\nallow_anonymous false\npassword_file {province_dir}/passwd\nacl_file {province_dir}/acl\n"
        f"listener {province_port} 127.0.0.1\n"
    )
    import subprocess

    province = subprocess.Popen(
        [mosquitto_binary(), "-c", str(province_dir / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    hall_broker = LocalBroker(hall, tmp_path / "hall")
    try:
        wait_for_port(province_port)
        hall_broker.start()
        bridge = bridge_config(
            hall,
            remote_address=f"127.0.0.1:{province_port}",
            remote_username="bridge-hoa-binh",
            remote_password="uplink",
        )
        assert "out 1" in bridge and "topic # " not in bridge
        assert hall_broker.files is not None
        with hall_broker.files.config.open("a") as config:
            config.write("\n" + bridge)
        hall_broker.restart()
        reader = RawClient(province_port, "province", "reader")
        assert reader.connected.wait(5)
        reader.client.subscribe("motcua/v1/#", qos=1)
        coordinator = RawClient(hall_broker.port, "coordinator", hall_broker.files.password("coordinator"))
        assert coordinator.connected.wait(5)
        got = None
        for attempt in range(100):  # the bridge connects in the background
            coordinator.publish(topics.events(), f'{{"seq":{attempt}}}'.encode())
            threading.Event().wait(0.1)
            got = [m for m in reader.received if m.topic == topics.events()]
            if got:
                break
        assert got, "no event crossed the bridge"
        assert coordinator.publish(topics.ticket_request("kiosk-1"), b"{}") in ACCEPTED
        threading.Event().wait(0.3)
        assert not [m for m in reader.received if "/kiosk/" in m.topic]  # requests stay in the hall
        reader.close()
        coordinator.close()
    finally:
        hall_broker.kill()
        province.kill()
        province.wait()


def test_port_in_use_is_reported(hall, tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        broker = LocalBroker(hall, tmp_path, port=port)
        with pytest.raises(BrokerError, match="Address already in use"):
            broker.start()
        assert broker.process is None
