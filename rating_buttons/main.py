"""`motcua pad --config pad.toml`: run a counter's satisfaction pad until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

from motcua.clock import clock_from_env
from motcua.gpio import open_pin_factory
from motcua.runtime import run_until_stopped
from motcua.session import MqttSession
from rating_buttons.agent import PadAgent
from rating_buttons.config import load_pad_config
from rating_buttons.hardware import PadHardware
from rating_buttons.outbox import Outbox

logger = logging.getLogger(__name__)


def build(config_path: Path | str) -> PadAgent:
    """Load and check the config, open the pins and the outbox, wire the agent (nothing is started)."""
    loaded = load_pad_config(config_path)
    config = loaded.config
    hardware = PadHardware(config.buttons, config.leds, pin_factory=open_pin_factory(config.gpio))
    try:
        outbox = Outbox(config.outbox)
        session = MqttSession(config.mqtt, device=config.device.id, site=config.device.site, role="pad")
    except Exception:
        hardware.close()
        raise
    return PadAgent(config, session, hardware, outbox, clock=clock_from_env(), labels=loaded.labels)


def run(config_path: Path | str) -> int:
    agent = build(config_path)
    socket_path = agent.config.simulation.control_socket
    control = None
    if socket_path is not None:  # simulated pins only (the demo, end-to-end tests); a device never imports it
        from motcua.simcontrol import ControlServer

        control = ControlServer(socket_path, agent.control)

    def start() -> None:
        try:
            agent.start()
            if control is not None:
                control.start()
        except Exception:
            agent.stop()
            raise

    def stop() -> None:
        if control is not None:
            control.stop()
        agent.stop()

    return run_until_stopped(start, stop)
