"""Remote control of a simulated device: how the demo and end-to-end tests press buttons on a pad that runs in
another process, tap a kiosk's screen, drop a QR image in front of its camera or ask a display what it shows.

A device started with simulated hardware listens on a local Unix socket. The protocol is one line of
shell-quoted words in (``press satisfied``, ``tap 400 300``, ``status``), one line of JSON out
(``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``). Only the simulated hardware seams use it: a device
on real hardware has no control socket.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ControlHandler = Callable[[list[str]], dict[str, Any]]
MAX_LINE = 64 * 1024


class ControlServer:
    """Serve control commands on `path`; `handler(words)` returns the JSON reply (runs on the server thread)."""

    def __init__(self, path: Path | str, handler: ControlHandler) -> None:
        self.path = Path(path)
        self.handler = handler
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> ControlServer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        # Bind and listen under a temporary name, then move it into place: whoever waits for the socket file to
        # appear can connect at once (between bind and listen a connect would be refused).
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        temporary.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(temporary))
        os.chmod(temporary, 0o600)
        sock.listen(8)
        os.replace(temporary, self.path)
        sock.settimeout(0.2)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name=f"control-{self.path.name}", daemon=True)
        self._thread.start()
        logger.info("simulated hardware control on %s", self.path)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.path.exists():
            self.path.unlink()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                try:
                    line = _read_line(conn)
                    reply = self._answer(line)
                    conn.sendall(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")
                except OSError as exc:
                    logger.debug("control connection failed: %s", exc)

    def _answer(self, line: str) -> dict[str, Any]:
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return {"ok": False, "error": f"cannot parse {line!r}: {exc}"}
        if not words or not words[0]:
            return {"ok": False, "error": "empty command"}
        try:
            reply = self.handler(words)
        except Exception as exc:
            logger.exception("control command %r failed", line)
            return {"ok": False, "error": str(exc)}
        return {"ok": True, **reply} if "ok" not in reply else reply


def send_control(path: Path | str, *words: object, timeout: float = 10.0) -> dict[str, Any]:
    """Send one command to a simulated device and return its JSON reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(shlex.join(str(w) for w in words).encode("utf-8") + b"\n")
        reply: dict[str, Any] = json.loads(_read_line(sock))
        return reply


def _read_line(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_LINE:
            raise OSError("control line too long")
    return data.decode("utf-8").strip()
