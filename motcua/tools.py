"""Small hall tools that talk to a running hall as the `admin` broker user."""

from __future__ import annotations

import uuid
from pathlib import Path

from motcua.clock import clock_from_env
from motcua.config import DeviceSection, MqttSettings, Section, load_config
from motcua.contract import CounterAction, CounterCommand, CounterReply, parse_counter_result
from motcua.errors import NotConnectedError
from motcua.session import MqttSession


class ToolConfig(Section):
    """admin.toml: who the tool is on the broker."""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()


def send_counter_command(
    config_path: Path, counter: int, action: str, *, officer: str | None = None, service: str | None = None
) -> int:
    """Send one counter command and print the outcome (exit status 0 when done, 1 when refused)."""
    config = load_config(config_path, ToolConfig)
    # one_shot: its own client id, so two tools (or a tool and the hall's monitoring) never kick each other off.
    session = MqttSession(config.mqtt, device=config.device.id, site=config.device.site, role="admin", one_shot=True)
    session.start()
    try:
        if not session.wait_connected(config.mqtt.request_timeout_s):
            raise NotConnectedError(f"cannot reach the broker at {config.mqtt.host}:{config.mqtt.port}")
        command = CounterCommand(
            request_id=uuid.uuid4(),
            action=CounterAction(action),
            sent_at=clock_from_env().now(),
            officer=officer,
            service=service,
        )
        reply = parse_counter_result(
            session.request(
                session.topics.counter_command(counter), command, response_topic=session.topics.counter_reply(counter)
            ).payload
        )
    finally:
        session.stop()
    if isinstance(reply, CounterReply):
        state = reply.state
        serving = state.serving.label if state.serving else "-"
        print(
            f"counter {state.counter}: {state.status.value}, officer {state.officer or '-'}, serving {serving}, "
            f"waiting {state.waiting}"
        )
        return 0
    print(f"refused: {reply.error.value}: {reply.message}")
    return 1
