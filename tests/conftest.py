"""Shared fixtures: the sample hall, a real Mosquitto per test, a coordinator, device sessions.

Everything here is the real thing (Mosquitto from broker_config/, SQLite files, paho sessions) except the
clock, which is pinned inside the hall's opening hours so tests do not depend on when they run.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import ScaledClock
from motcua.hall import HallConfig, load_hall, load_procedures
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession

ROOT = Path(__file__).resolve().parent.parent
WARD_HALL = ROOT / "examples" / "ward-hall" / "hall.toml"
VN = timezone(timedelta(hours=7))
#: A Monday morning, inside the sample hall's opening hours.
MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=VN)

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """Tests that run `motcua.cli.main` (which sets up logging for a service) must not change the logging of the
    tests after them: put the root and paho loggers back."""
    root, paho = logging.getLogger(), logging.getLogger("paho")
    handlers, level, paho_level = root.handlers[:], root.level, paho.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        paho.setLevel(paho_level)


@pytest.fixture(scope="session")
def hall() -> HallConfig:
    return load_hall(WARD_HALL)


@pytest.fixture(scope="session")
def procedures(hall: HallConfig):  # type: ignore[no-untyped-def]
    return load_procedures(hall)


@pytest.fixture
def broker(hall: HallConfig, tmp_path: Path) -> Iterator[LocalBroker]:
    """A real Mosquitto for the sample hall, on 127.0.0.1 and a free port; killed even if the test fails."""
    local = LocalBroker(hall, tmp_path / "broker")
    try:
        yield local.start()
    finally:
        local.kill()


@pytest.fixture
def clock() -> ScaledClock:
    return ScaledClock(start=MONDAY_MORNING, speed=1.0)


@pytest.fixture
def sessions(broker: LocalBroker, hall: HallConfig) -> Iterator[Callable[..., MqttSession]]:
    """Factory of started, connected device sessions (stopped at the end): ``sessions("kiosk-1")``."""
    started: list[MqttSession] = []

    def make(device: str, role: str = "test", **settings: object) -> MqttSession:
        session = MqttSession(broker.settings(device, **settings), device=device, site=hall.hall.site, role=role)
        session.start()
        started.append(session)
        assert session.wait_connected(5), f"{device} could not connect"
        return session

    try:
        yield make
    finally:
        for session in reversed(started):
            session.stop()


class SteppedMonotonic:
    """A monotonic clock that runs in real time and can be moved forward at once (`advance`): the pad and keypad
    agents take it as ``monotonic=``, so a test steps over a hold, a lockout or a resend delay instead of sleeping."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds


@pytest.fixture
def monotonic() -> SteppedMonotonic:
    return SteppedMonotonic()


@pytest.fixture
def mock_factory():  # type: ignore[no-untyped-def]
    """gpiozero's simulated pins (with PWM), reset even if the test fails (else GPIOPinInUse in the next one)."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(pin_class=MockPWMPin)
    try:
        yield factory
    finally:
        factory.reset()


@pytest.fixture
def coordinator(broker: LocalBroker, hall: HallConfig, procedures, clock: ScaledClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The real coordinator service, in this process, on the test broker and a fresh SQLite file."""
    session = MqttSession(broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator")
    service = CoordinatorService(hall, procedures, Store(tmp_path / "coordinator.db"), session, clock)
    service.start()
    assert session.wait_connected(5)
    try:
        yield service
    finally:
        service.stop()
