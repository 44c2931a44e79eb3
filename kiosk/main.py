"""`motcua kiosk --config kiosk.toml`: run a ticket kiosk until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.app import KioskApp
from kiosk.config import KioskConfig
from motcua.config import load_config
from motcua.runtime import on_stop_signal

logger = logging.getLogger(__name__)


def build(config_path: Path | str) -> KioskApp:
    """Load the config and wire the kiosk (nothing is started)."""
    return KioskApp(load_config(config_path, KioskConfig))


def run(config_path: Path | str) -> int:
    app = build(config_path)
    on_stop_signal(app.request_stop)
    app.start()
    try:
        return app.run()
    finally:
        app.stop()
