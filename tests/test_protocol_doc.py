"""docs/protocol.md stays true: every JSON example parses with the contract's models, and the documented shell
commands work against a real broker and coordinator."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from pydantic import BaseModel

from motcua import contract

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"<!-- example: (\w+) -->\n```json\n(.*?)```", TEXT, flags=re.S)
SHELL = dict(re.findall(r"<!-- shell: ([\w-]+) -->\n```sh\n(.*?)```", TEXT, flags=re.S))


def test_the_doc_has_examples_for_every_message():
    documented = {name for name, _ in EXAMPLES}
    assert documented >= {
        "TicketRequest",
        "TicketCancel",
        "TicketIssued",
        "TicketCancelled",
        "ErrorReply",
        "CounterCommand",
        "CounterReply",
        "RatingVote",
        "RatingAck",
        "Call",
        "Board",
        "Catalogue",
        "HallEvent",
        "EventBatch",
        "DeviceStatus",
    }


@pytest.mark.parametrize(("name", "body"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_every_example_is_a_valid_message(name: str, body: str):
    model = getattr(contract, name)
    assert issubclass(model, BaseModel)
    model.model_validate(json.loads(body))


def test_every_error_code_is_documented():
    for code in contract.ErrorCode:
        assert f"`{code.value}`" in TEXT, code


def test_every_topic_builder_is_documented():
    topics = contract.Topics("site")
    documented = {
        topics.ticket_request("{kiosk}"),
        topics.ticket_cancel("{kiosk}"),
        topics.ticket_reply("{kiosk}"),
        topics.counter_command("{n}"),
        topics.counter_reply("{n}"),
        topics.counter_state("{n}"),
        topics.rating("{n}"),
        topics.rating_ack("{n}"),
        topics.board(),
        topics.call(),
        topics.catalogue(),
        topics.events(),
        topics.device_status("{device}"),
    }
    for topic in documented:
        assert f"`{topic.removeprefix('motcua/v1/site/')}`" in TEXT, topic


def run_documented(name: str, broker, clock) -> dict:
    command = SHELL[name].replace("-p 1883", f"-p {broker.port}").replace("$(date -Iseconds)", clock.now().isoformat())
    result = subprocess.run(
        ["bash", "-c", command], cwd=broker.workdir, capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_shell_session_works_against_a_running_hall(coordinator, broker, clock):
    ticket = run_documented("take-ticket", broker, clock)
    assert ticket["kind"] == "ticket" and ticket["ticket"]["label"] == "1001"
    called = run_documented("call-next", broker, clock)
    assert called["kind"] == "counter" and called["state"]["serving"]["label"] == "1001"
