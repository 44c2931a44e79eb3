"""`motcua coordinator --config coordinator.toml`: run the hall's coordinator until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import Field

from coordinator.service import CoordinatorService
from coordinator.store import Store
from motcua.clock import clock_from_env
from motcua.config import ConfigPath, MqttSettings, Section, load_config
from motcua.hall import load_hall, load_procedures
from motcua.runtime import run_until_stopped
from motcua.session import MqttSession

logger = logging.getLogger(__name__)


class CoordinatorConfig(Section):
    """coordinator.toml"""

    hall: ConfigPath  # the hall description (hall.toml)
    database: ConfigPath = Field(default=Path("/var/lib/motcua/coordinator.db"))
    mqtt: MqttSettings = MqttSettings()


def build(config_path: Path | str) -> CoordinatorService:
    """Load every file and wire the service (nothing is started)."""
    config = load_config(config_path, CoordinatorConfig)
    hall = load_hall(config.hall)
    procedures = load_procedures(hall)
    session = MqttSession(config.mqtt, device=hall.devices.coordinator, site=hall.hall.site, role="coordinator")
    return CoordinatorService(hall, procedures, Store(config.database), session, clock_from_env())


def run(config_path: Path | str) -> int:
    service = build(config_path)
    return run_until_stopped(service.start, service.stop)
