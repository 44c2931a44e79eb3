"""`motcua keypad --config keypad.toml`: run an officer's calling keypad until SIGTERM."""

from __future__ import annotations

import logging
from pathlib import Path

from counter_keypad.agent import KeypadAgent
from counter_keypad.config import load_keypad_config
from counter_keypad.hardware import KeypadHardware
from motcua.clock import clock_from_env
from motcua.gpio import open_pin_factory, run_agent
from motcua.session import MqttSession

logger = logging.getLogger(__name__)


def build(config_path: Path | str) -> KeypadAgent:
    """Load and check the config, open the pins, wire the agent (nothing is started)."""
    config = load_keypad_config(config_path)
    hardware = KeypadHardware(config.keys, config.leds, config.buzzer, pin_factory=open_pin_factory(config.gpio))
    try:
        session = MqttSession(config.mqtt, device=config.device.id, site=config.device.site, role="keypad")
    except Exception:
        hardware.close()
        raise
    return KeypadAgent(config, session, hardware, clock=clock_from_env())


def run(config_path: Path | str) -> int:
    agent = build(config_path)
    return run_agent(agent, agent.config.simulation.control_socket)
