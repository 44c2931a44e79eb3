"""province.toml: how the collector reaches the provincial broker and the database, and the hall registry."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from motcua.config import ConfigPath, MqttSettings, Section
from motcua.contract import Slug


class CollectorSection(Section):
    """The collector's own behaviour."""

    # MQTT client id: the broker keeps this session (subscriptions, unacknowledged events) while it is away.
    client_id: Slug = "province-collector"
    # A batch is written (one transaction) when this many messages wait, or this long after the first one.
    batch_messages: Annotated[int, Field(ge=1, le=100_000)] = 2000
    batch_wait_s: Annotated[float, Field(ge=0, le=10)] = 0.05
    # Processes that parse and validate the halls' payloads (0: the collector's own parser thread does, sharing the
    # one Python interpreter lock with paho's network thread and the writer). They take the parsing off that lock,
    # at the cost of payloads and rows crossing processes: worth it with a core to spare (docs/scaling.md).
    parse_workers: Annotated[int, Field(ge=0, le=64)] = 0
    # A gap is asked for only once it has stayed open this long: events can arrive out of order (a QoS 1
    # redelivery, a bridge reconnecting) and fill it by themselves. A bridge coming back is asked at once.
    resend_after_s: Annotated[float, Field(ge=0, le=600)] = 5.0
    # A gap still open after this long is asked for again (the hall may have been offline when first asked).
    resend_interval_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # Payloads larger than this are refused (a hall's largest EventBatch is ~300 KB).
    max_payload_bytes: Annotated[int, Field(ge=1024)] = 4 * 1024 * 1024


class DatabaseSection(Section):
    """Where the province's PostgreSQL is (a libpq connection string)."""

    dsn: str = "dbname=motcua_province"


class HallEntry(Section):
    """A hall of the province (Trung tâm phục vụ hành chính công cấp xã) in the registry."""

    site: Slug  # as in its topics (hall.site of its hall.toml)
    name: str  # e.g. "Trung tâm Phục vụ hành chính công phường Hòa Bình"
    unit: str = ""  # the commune-level unit it belongs to, e.g. "UBND phường Hòa Bình"
    # A copy of the hall's hall.toml (time zone, day start, services, officers): its reports need it. Without it
    # the hall's events are still collected, and the province report lists the hall as "no hall.toml".
    hall: ConfigPath | None = None


class ProvinceConfig(Section):
    """province.toml"""

    province: str = ""  # the province's name, for reports
    mqtt: MqttSettings = MqttSettings()
    database: DatabaseSection = DatabaseSection()
    collector: CollectorSection = CollectorSection()
    halls: list[HallEntry] = []
