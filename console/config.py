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


def load_console_config(path: Path | str) -> ConsoleConfig:
    """console.toml, checked the way the console starts: the file, the hall it names, and TLS files present."""
    from motcua.config import load_config
    from motcua.errors import ConfigError
    from motcua.hall import load_hall

    config = load_config(path, ConsoleConfig)
    hall = load_hall(config.hall)
    if config.device.id not in hall.devices.consoles:
        raise ConfigError(f"{path}: device id {config.device.id!r} is not in hall.toml [devices] consoles")
    for name in ("tls_cert", "tls_key"):
        value = getattr(config.web, name)
        if value is not None and not Path(value).is_file():
            raise ConfigError(f"{path}: web.{name} {value} does not exist")
    return config
