"""docs/protocol.md and motcua/contract.py agree field by field.

A client built from the docs alone must be able to read every message the hall sends, and the docs say unknown
fields are refused: so every field of every message must appear in an example of that message, and every
example must parse with the contract's strict parser. The next field added without docs fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from motcua import contract
from motcua.contract import Message, parse

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"<!-- example: (\w+) -->\n```json\n(.*?)```", TEXT, flags=re.S)

MESSAGES = sorted(
    (
        cls
        for cls in vars(contract).values()
        if isinstance(cls, type) and issubclass(cls, Message) and cls is not Message
    ),
    key=lambda cls: cls.__name__,
)


def _walk(message: BaseModel, seen: dict[str, set[str]]) -> None:
    """Record the fields each (nested) message of an example actually spells out."""
    seen.setdefault(type(message).__name__, set()).update(message.model_fields_set)
    for name in message.model_fields_set:
        value = getattr(message, name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                _walk(item, seen)


def _documented() -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for name, body in EXAMPLES:
        _walk(parse(getattr(contract, name), body.encode(), max_bytes=None), seen)
    return seen


@pytest.mark.parametrize(("name", "body"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_every_example_parses_strictly(name: str, body: str):
    model = getattr(contract, name)
    assert isinstance(model, type) and issubclass(model, Message), name
    parse(model, body.encode(), max_bytes=None)


@pytest.mark.parametrize("model", MESSAGES, ids=[m.__name__ for m in MESSAGES])
def test_every_field_of_every_message_is_in_an_example(model: type[Message]):
    shown = _documented().get(model.__name__, set())
    missing = sorted(set(model.model_fields) - shown)
    assert not missing, f"docs/protocol.md shows no example of {model.__name__} with {missing}"


ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _times(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        return [t for key, item in value.items() for t in _times(item, (*path, key))]
    if isinstance(value, list):
        return [t for i, item in enumerate(value) for t in _times(item, (*path, i))]
    return [(path, value)] if isinstance(value, str) and ISO_TIME.match(value) else []


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@pytest.mark.parametrize(("name", "body"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_every_time_in_the_examples_is_written_as_motcua_writes_it(name: str, body: str):
    """UTC with Z, exactly as the contract serialises it (one documented form, not three)."""
    written = json.loads(parse(getattr(contract, name), body.encode(), max_bytes=None).to_bytes())
    for path, text in _times(json.loads(body)):
        assert text.endswith("Z"), (path, text)
        assert _at(written, path) == text, path
