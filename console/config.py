"""console.toml: where the console listens, which hall, which files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

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
    """console.toml (the hall's console)"""

    mode: Literal["hall"] = "hall"  # "province": the province's console, `ProvinceConsoleConfig`
    device: DeviceSection  # id: the console's broker user (hall.toml [devices] consoles)
    hall: ConfigPath  # the hall description (hall.toml)
    database: ConfigPath = Field(default=Path("/var/lib/motcua/coordinator.db"))  # opened read-only
    accounts: ConfigPath = Field(default=Path("/var/lib/motcua/console.db"))  # the console's own accounts
    mqtt: MqttSettings = MqttSettings()
    web: WebSection = WebSection()
    alerts: AlertsSection = AlertsSection()


class ProvinceSection(Section):
    """Where the province's figures come from: the collector's own province.toml (its database DSN, the hall
    registry's names and units, the copies of each hall's hall.toml that reports need)."""

    config: ConfigPath  # the collector's province.toml, read as `motcua report --province` reads it


class ProvinceAlertsSection(Section):
    """When a hall shows on the province's alerts page (Cảnh báo)."""

    offline_min: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 30.0  # its bridge offline longer than this
    gap_min: Annotated[float, Field(gt=0, le=7 * 24 * 60)] = 10.0  # events missing this long (the collector re-asks)
    satisfaction_below_pct: Annotated[float, Field(ge=0, le=100)] = 70.0  # today's satisfied share below this
    satisfaction_minimum: Annotated[int, Field(ge=1)] = 10  # counted ratings today before that alert can show


class ProvinceConsoleConfig(Section):
    """console.toml with ``mode = "province"``: the same console app, showing every hall of the province."""

    mode: Literal["province"]
    province: ProvinceSection
    accounts: ConfigPath = Field(default=Path("/var/lib/motcua/province-console.db"))  # the console's own accounts
    web: WebSection = WebSection()
    alerts: ProvinceAlertsSection = ProvinceAlertsSection()
    refresh_s: Annotated[float, Field(ge=5, le=600)] = 30.0  # the halls and alerts pages reload their figures


AnyConsoleConfig = ConsoleConfig | ProvinceConsoleConfig


def console_model(data: dict[str, Any]) -> type[ConsoleConfig] | type[ProvinceConsoleConfig]:
    """The model a console.toml is read with: its `mode` says (the hall's console when absent)."""
    return ProvinceConsoleConfig if data.get("mode") == "province" else ConsoleConfig


def read_console_config(path: Path | str) -> AnyConsoleConfig:
    """console.toml as its `mode` says, without checking the files it names."""
    from motcua.config import load_toml, validate_config

    path = Path(path)
    data = load_toml(path)
    return validate_config(data, console_model(data), source=str(path), base_dir=path.parent)


def load_console_config(path: Path | str) -> AnyConsoleConfig:
    """console.toml, checked the way the console starts: the file, the hall (or province.toml) it names, and TLS
    files present."""
    from motcua.config import load_config
    from motcua.errors import ConfigError
    from motcua.hall import load_hall

    config = read_console_config(path)
    if isinstance(config, ProvinceConsoleConfig):
        from province.config import ProvinceConfig

        province = load_config(config.province.config, ProvinceConfig)
        for entry in province.halls:
            if entry.hall is not None:
                load_hall(entry.hall)
    else:
        hall = load_hall(config.hall)
        if config.device.id not in hall.devices.consoles:
            raise ConfigError(f"{path}: device id {config.device.id!r} is not in hall.toml [devices] consoles")
    for name in ("tls_cert", "tls_key"):
        value = getattr(config.web, name)
        if value is not None and not Path(value).is_file():
            raise ConfigError(f"{path}: web.{name} {value} does not exist")
    return config
