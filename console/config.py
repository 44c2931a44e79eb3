"""console.toml: where the console listens, which hall, which files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from motcua.config import ConfigPath, DeviceSection, MqttSettings, Section


class WebSection(Section):
    """The HTTP(S) listener. The deploy sets `tls_cert`/`tls_key`; without them the cookie is not `Secure`."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8443
    tls_cert: ConfigPath | None = None
    tls_key: ConfigPath | None = None
    session_hours: Annotated[float, Field(gt=0, le=24)] = 10.0  # a working day; then sign in again
    command_timeout_s: Annotated[float, Field(gt=0, le=30)] = 4.0  # a counter command not answered by then fails
    login_failures_per_account: Annotated[int, Field(ge=1)] = 5  # within `login_window_min`, then refused
    login_failures_per_address: Annotated[int, Field(ge=1)] = 20
    login_window_min: Annotated[float, Field(gt=0)] = 15.0

    @model_validator(mode="after")
    def _both_or_neither(self) -> WebSection:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("give both 'tls_cert' and 'tls_key', or neither")
        return self

    @property
    def https(self) -> bool:
        return self.tls_cert is not None


class AlertsSection(Section):
    """The unsatisfied-ratings alert (the waiting-time alert uses each service's `target_wait_min` in hall.toml)."""

    unsatisfied_share: Annotated[float, Field(gt=0, lt=1)] = 0.3
    unsatisfied_window_min: Annotated[float, Field(gt=0, le=24 * 60)] = 60.0
    unsatisfied_minimum: Annotated[int, Field(ge=1)] = 5


class ConsoleConfig(Section):
    """console.toml"""

    device: DeviceSection  # id: the console's broker user (hall.toml [devices] consoles)
    hall: ConfigPath  # the hall description (hall.toml)
    database: ConfigPath = Field(default=Path("/var/lib/motcua/coordinator.db"))  # opened read-only
    accounts: ConfigPath = Field(default=Path("/var/lib/motcua/console.db"))  # the console's own accounts
    mqtt: MqttSettings = MqttSettings()
    web: WebSection = WebSection()
    alerts: AlertsSection = AlertsSection()
