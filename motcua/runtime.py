"""Running a service until it is told to stop (SIGTERM from systemd, Ctrl-C in a terminal)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def on_stop_signal(callback: Callable[[], None]) -> None:
    """Call `callback` on SIGTERM or SIGINT (from the main thread; keep it short: set a flag, post an event)."""

    def handler(signum: int, _frame: object) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        callback()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_until_stopped(start: Callable[[], None], stop: Callable[[], None]) -> int:
    """Start a background service, block until SIGTERM/SIGINT, then stop it. Returns the exit status."""
    stopping = threading.Event()
    on_stop_signal(stopping.set)
    start()
    stopping.wait()
    stop()
    return 0
