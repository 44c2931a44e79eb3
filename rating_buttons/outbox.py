"""The pad's outbox lives in `motcua.outbox` (shared with the counter screen's tablet); kept importable here."""

from motcua.outbox import Outbox, OutboxError

__all__ = ["Outbox", "OutboxError"]
