"""The kiosk's memory of ticket requests that are not settled yet, kept on disk.

Every request is written here before it is sent and removed only when its ticket is printed or its cancellation
has reached the coordinator. So whatever happens — the reply never comes, the printer is out of paper, the
citizen walks away, the kiosk loses power mid-print — a ticket the coordinator issued is either in the citizen's
hand or cancelled at the coordinator; never a phantom number waiting to be called.

At start, requests left open by a previous run are turned into cancellations (`recover`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)

OPEN = "open"  # sent (or about to be); the ticket is not printed yet
CANCEL = "cancel"  # must be cancelled at the coordinator


@dataclass(frozen=True)
class Entry:
    request_id: uuid.UUID
    state: str
    reason: str
    at: str


class RequestJournal:
    """A small JSON file, rewritten atomically (write, fsync, rename) on every change. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] = {}
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            logger.error("request journal %s unreadable (%s); starting empty", self.path, exc)
            broken = self.path.with_suffix(".broken")
            try:
                self.path.replace(broken)
            except OSError:
                pass
            return
        for key, item in data.get("requests", {}).items():
            try:
                self._entries[key] = Entry(uuid.UUID(key), str(item["state"]), str(item["reason"]), str(item["at"]))
            except (KeyError, ValueError, TypeError):
                logger.warning("dropping unreadable journal entry %r", key)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"requests": {k: {"state": e.state, "reason": e.reason, "at": e.at} for k, e in self._entries.items()}}
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        try:  # the rename itself must survive a power cut
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError:
            pass

    def opened(self, request_id: uuid.UUID, at: datetime) -> None:
        """Record a request before it is sent."""
        with self._lock:
            self._entries[str(request_id)] = Entry(request_id, OPEN, "", at.isoformat())
            self._save()

    def settled(self, request_id: uuid.UUID) -> None:
        """The ticket was printed, the coordinator refused the request, or the cancellation was confirmed."""
        with self._lock:
            if self._entries.pop(str(request_id), None) is not None:
                self._save()

    def cancel(self, request_id: uuid.UUID, reason: str, at: datetime) -> None:
        """Mark a request to be cancelled at the coordinator (sent by the kiosk's cancel sender)."""
        with self._lock:
            self._entries[str(request_id)] = Entry(request_id, CANCEL, reason[:200] or "cancelled", at.isoformat())
            self._save()

    def recover(self, at: datetime) -> int:
        """Turn requests left open by an earlier run into cancellations. Returns how many."""
        with self._lock:
            stale = [e for e in self._entries.values() if e.state == OPEN]
            for entry in stale:
                self._entries[str(entry.request_id)] = Entry(
                    entry.request_id, CANCEL, "kiosk_restarted", at.isoformat()
                )
            if stale:
                self._save()
                logger.warning("%d ticket request(s) left unsettled by the last run will be cancelled", len(stale))
            return len(stale)

    def to_cancel(self) -> list[Entry]:
        with self._lock:
            return [e for e in self._entries.values() if e.state == CANCEL]

    def entries(self) -> list[Entry]:
        with self._lock:
            return list(self._entries.values())

    def state_of(self, request_id: uuid.UUID) -> str | None:
        with self._lock:
            entry = self._entries.get(str(request_id))
            return entry.state if entry else None
