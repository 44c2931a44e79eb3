"""Shared parts of the console's tests: accounts, a console on the test broker, signing in with a client."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import Clock
from motcua.contract import TicketIssued, TicketRequest, parse_kiosk_reply
from motcua.hall import HallConfig
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession

PASSWORD = "mat-khau-thu-nghiem"
#: username -> (name, role, officer)
ACCOUNTS = {
    "lan": ("Nguyễn Thị Lan", "officer", "nguyen-thi-lan"),
    "minh": ("Trần Văn Minh", "officer", "tran-van-minh"),
    "truong": ("Đỗ Văn Trưởng", "manager", None),
    "quantri": ("Quản trị viên", "admin", None),
}
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def cheap_hasher():  # type: ignore[no-untyped-def]
    """argon2id with small costs: the tests sign in dozens of times on a shared 2-core machine."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def add_accounts(store, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    from console.accounts import Role

    for username, (name, role, officer) in ACCOUNTS.items():
        store.create(username, name, Role(role), PASSWORD, officer=officer, now=clock.now())


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def take_ticket(kiosk: MqttSession, clock: Clock, service: str = "ho-tich", **fields: object) -> TicketIssued:
    topics = kiosk.topics
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service=service, **fields)  # type: ignore[arg-type]
    reply = parse_kiosk_reply(
        kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1")).payload
    )
    assert isinstance(reply, TicketIssued), reply
    return reply


def start_coordinator(
    broker: LocalBroker, hall: HallConfig, procedures: list, clock: Clock, db: Path
) -> CoordinatorService:
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    service = CoordinatorService(hall, procedures, Store(db), session, clock)
    service.start()
    assert session.wait_connected(5)
    return service


Stop = Callable[[], None]


def write_console_config(
    folder: Path,
    broker: LocalBroker,
    hall_path: Path,
    database: Path,
    port: int,
    *,
    tls: tuple[Path, Path] | None = None,
) -> Path:
    """console.toml for a console process on the test broker (loopback only)."""
    import tomli_w

    settings = broker.settings("console")
    password = settings.password.get_secret_value() if settings.password else ""
    web: dict[str, object] = {"host": "127.0.0.1", "port": port, "command_timeout_s": 2.0}
    if tls:
        web.update({"tls_cert": str(tls[0]), "tls_key": str(tls[1])})
    config = {
        "device": {"id": "console", "site": "phuong-hoa-binh"},
        "hall": str(hall_path),
        "database": str(database),
        "accounts": str(folder / "console.db"),
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "password": password},
        "web": web,
    }
    path = folder / "console.toml"
    path.write_bytes(tomli_w.dumps(config).encode())
    return path
