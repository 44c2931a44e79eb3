"""Helpers of the province tests: a hall's bridge user publishing on the provincial broker, event batches."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from motcua.contract import EventBatch, EventKind, HallEvent
from motcua.localbroker import LocalBroker
from province.broker import COLLECTOR_USER
from province.config import CollectorSection, DatabaseSection, HallEntry, ProvinceConfig

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def events(*seqs: int, kind: EventKind = EventKind.ISSUED) -> EventBatch:
    return EventBatch(
        events=[
            HallEvent(seq=n, kind=kind, at=START + timedelta(seconds=n), ticket_id=f"20261123-{n}", service="ho-tich")
            for n in seqs
        ]
    )


class Client:
    """A connected MQTT 5 client as one user of a broker (a hall's bridge, or a spy)."""

    def __init__(self, broker: LocalBroker, user: str) -> None:
        self.received: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{user}-test", protocol=MQTTProtocolVersion.MQTTv5
        )
        settings = broker.settings(user)
        self.client.username_pw_set(user, settings.resolved_password())
        if settings.ca_file is not None:  # a provincial broker with TLS: check it with the province's CA
            self.client.tls_set(ca_certs=str(settings.ca_file))
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.received.append((message.topic, bytes(message.payload)))

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_args: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(5)

    def publish(self, topic: str, payload: bytes) -> int:
        """Publish at QoS 1 and return the broker's reason code (135: not authorized)."""
        codes: list[int] = []
        done = threading.Event()

        def on_publish(_c: object, _u: object, _mid: int, reason: mqtt.ReasonCode, _p: object) -> None:
            codes.append(reason.value)
            done.set()

        self.client.on_publish = on_publish
        self.client.publish(topic, payload, qos=1)
        assert done.wait(5), "no PUBACK"
        return codes[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def province_config(
    broker: LocalBroker,
    dsn: str,
    halls: list[str],
    *,
    resend_interval_s: float = 1.0,
    resend_after_s: float = 0.1,
) -> ProvinceConfig:
    return ProvinceConfig(
        province="Tỉnh Thử nghiệm",
        mqtt=broker.settings(COLLECTOR_USER),
        database=DatabaseSection(dsn=dsn),
        collector=CollectorSection(
            resend_interval_s=resend_interval_s, resend_after_s=resend_after_s, batch_wait_s=0.02
        ),
        halls=[HallEntry(site=s, name=f"Trung tâm PVHCC {s}", unit=f"UBND {s}") for s in halls],
    )


def write_province_toml(path: Path, broker: LocalBroker, dsn: str, halls: list[str]) -> Path:
    """province.toml for `motcua province --config` (a separate process)."""
    assert broker.files is not None
    lines = [
        'province = "Tỉnh Thử nghiệm"',
        "[mqtt]",
        'host = "127.0.0.1"',
        f"port = {broker.port}",
        f'username = "{COLLECTOR_USER}"',
        f'password_file = "{broker.files.credentials / (COLLECTOR_USER + ".password")}"',
        *([f'ca_file = "{ca}"'] if (ca := broker.settings(COLLECTOR_USER).ca_file) is not None else []),
        "[database]",
        f'dsn = "{dsn}"',
        "[collector]",
        "resend_interval_s = 1.0",
        "resend_after_s = 0.1",
        "batch_wait_s = 0.05",
        "batch_messages = 50",
    ]
    for site in halls:
        lines += ["[[halls]]", f'site = "{site}"', f'name = "Trung tâm PVHCC {site}"', f'unit = "UBND {site}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
