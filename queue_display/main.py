"""`motcua display --config display.toml`: the waiting-hall TV and its voice, until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from motcua.clock import clock_from_env
from motcua.runtime import on_stop_signal
from queue_display.app import DisplayApp
from queue_display.config import load_display_config


def build(config_path: Path | str) -> DisplayApp:
    """Load the configuration and wire the display (nothing is started)."""
    return DisplayApp(load_display_config(config_path), clock=clock_from_env())


def run(config_path: Path | str) -> int:
    app = build(config_path)
    on_stop_signal(app.stop)
    return app.run()
