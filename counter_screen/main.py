"""`motcua counter-screen --config counter-screen.toml`: the screen above a counter (and its touch rating tablet),
until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from counter_screen.app import CounterScreenApp
from counter_screen.config import load_counter_screen_config
from motcua.clock import clock_from_env
from motcua.runtime import on_stop_signal


def build(config_path: Path | str) -> CounterScreenApp:
    """Load and check the configuration and wire the screen (nothing is started)."""
    return CounterScreenApp(load_counter_screen_config(config_path), clock=clock_from_env())


def run(config_path: Path | str) -> int:
    app = build(config_path)
    on_stop_signal(app.stop)
    return app.run()
