"""Configuration files: TOML, validated at start, with errors a technician can act on.

Every service reads one TOML file. Sections shared by all devices are defined here (`DeviceSection`,
`MqttSettings`); each service adds its own. A bad file stops the service at start with lines such as::

    /etc/motcua/pad.toml: invalid configuration
      buttons.satisfied: field required
      mqtt.prot: unknown setting (did you mean 'port'?)

Relative paths inside a file are resolved against the file's folder.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from motcua.contract import Slug
from motcua.errors import ConfigError

C = TypeVar("C", bound=BaseModel)


def _relative_to_file(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    return value if value.is_absolute() or base is None else Path(base) / value


#: A path in a config file; relative paths are taken from the file's folder.
ConfigPath = Annotated[Path, AfterValidator(_relative_to_file)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. 'Asia/Ho_Chi_Minh')") from None
    return value


#: An IANA time zone name, checked against the system's zone database.
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class Section(BaseModel):
    """Base of every configuration section: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MqttSettings(Section):
    """How a device reaches the hall's broker."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    username: str | None = None  # default: the device id
    password: SecretStr | None = None
    password_file: ConfigPath | None = None
    ca_file: ConfigPath | None = None  # TLS: the hall CA; plain TCP when unset
    keepalive_s: Annotated[int, Field(ge=5, le=600)] = 15
    # How long the broker keeps this device's session (subscriptions and queued QoS 1 messages) while it is away.
    session_expiry_s: Annotated[int, Field(ge=0)] = 7 * 24 * 3600
    request_timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0

    @model_validator(mode="after")
    def _one_password(self) -> MqttSettings:
        if self.password is not None and self.password_file is not None:
            raise ValueError("give either 'password' or 'password_file', not both")
        return self

    def resolved_password(self) -> str | None:
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"cannot read MQTT password file {self.password_file}: {exc}") from exc
        return None


class DeviceSection(Section):
    """Who this device is in the hall."""

    id: Slug  # also its MQTT client id and broker user
    site: Slug  # the hall, as in the topics


def load_toml(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: Path | str, model: type[C]) -> C:
    """Read `path` and validate it as `model`; relative paths in it are taken from the file's folder."""
    path = Path(path)
    data = load_toml(path)
    return validate_config(data, model, source=str(path), base_dir=path.parent)


def validate_config(data: dict[str, Any], model: type[C], *, source: str, base_dir: Path | None = None) -> C:
    try:
        return model.model_validate(data, context={"base_dir": base_dir or Path.cwd()})
    except ValidationError as exc:
        raise ConfigError(f"{source}: invalid configuration\n" + explain(exc, model)) from None


def explain(exc: ValidationError, model: type[BaseModel]) -> str:
    """Readable lines for a validation error, with 'did you mean' for misspelt keys."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        if err["type"] == "extra_forbidden":
            known = _known_keys(model, err["loc"][:-1])
            guess = difflib.get_close_matches(str(err["loc"][-1]), known, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            lines.append(f"  {loc}: unknown setting{hint}")
        elif err["type"] == "missing":
            lines.append(f"  {loc}: required setting is missing")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {loc or '(file)'}: {msg}")
    return "\n".join(lines)


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


#: The error type of a `Problems` finding.
CROSS_CHECK = "cross_check"


class Problems:
    """What a cross-field validator found, collected so that every problem is reported at once.

    ``add(where, message)`` for each problem (``where``: the key path, e.g. ``("counters", 1, "services")``), then
    ``raise_if_any()`` at the end of the validator: each problem becomes its own error under its own path, so
    `explain` prints one line each, beside the file's other errors (a technician fixes them all in one go)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.found: list[tuple[tuple[int | str, ...], str]] = []

    def add(self, where: tuple[int | str, ...], message: str) -> None:
        self.found.append((where, message))

    def __bool__(self) -> bool:
        return bool(self.found)

    def raise_if_any(self) -> None:
        if not self.found:
            return
        # A ValidationError raised inside a validator is merged into the outer one, each path prefixed with the
        # validated model's own place in the file.
        raise ValidationError.from_exception_data(
            self.title,
            [
                InitErrorDetails(
                    type=PydanticCustomError(CROSS_CHECK, "{message}", {"message": message}),
                    loc=where,
                    input=None,
                )
                for where, message in self.found
            ],
        )
