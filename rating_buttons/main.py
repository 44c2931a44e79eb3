"""`motcua pad --config pad.toml`: run a counter's satisfaction pad until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

from motcua.clock import clock_from_env
from motcua.gpio import open_pin_factory, run_agent
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
    buttons = {level: config.buttons[level] for level in loaded.levels}  # left to right, as the hall's scale says
    hardware = PadHardware(buttons, config.leds, pin_factory=open_pin_factory(config.gpio))
    try:
        outbox = Outbox(config.outbox)
        session = MqttSession(config.mqtt, device=config.device.id, site=config.device.site, role="pad")
    except Exception:
        hardware.close()
        raise
    return PadAgent(config, session, hardware, outbox, clock=clock_from_env(), labels=loaded.labels)


def run(config_path: Path | str) -> int:
    agent = build(config_path)
    return run_agent(agent, agent.config.simulation.control_socket)
