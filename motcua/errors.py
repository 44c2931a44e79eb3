"""One root exception for the project; each error also inherits the matching built-in."""

from __future__ import annotations


class MotcuaError(Exception):
    """Base class of every error raised on purpose by motcua."""


class ConfigError(MotcuaError, ValueError):
    """A configuration file is missing, unreadable or invalid."""


class ContractError(MotcuaError, ValueError):
    """A message does not follow the MQTT contract (bad JSON, wrong fields, too large)."""


class NotConnectedError(MotcuaError, ConnectionError):
    """The device is not connected to the hall's broker."""


class RequestTimeoutError(MotcuaError, TimeoutError):
    """A request got no response in time."""
