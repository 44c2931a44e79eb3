"""Configurable rating scales: hall.toml's presets and own scales, 4- and 5-button pads on mock pins against the
real broker and coordinator, votes carried by their configured key, unknown keys refused."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from conftest import WARD_HALL
from gpiozero.pins.mock import MockFactory
from pydantic import ValidationError
from waiting import wait_until

from coordinator.service import CoordinatorService
from motcua.clock import Clock
from motcua.contract import (
    CounterCommand,
    EventBatch,
    RatingAck,
    RatingMeaning,
    RatingVote,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.errors import ConfigError
from motcua.hall import PRESETS, HallConfig, RatingSection, load_hall
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession
from rating_buttons.agent import PadAgent
from rating_buttons.config import PadConfig, load_pad_config
from rating_buttons.hardware import PadHardware
from rating_buttons.outbox import Outbox

#: GPIO of the five buttons, left to right, and of their LEDs (docs/counter-devices.md, "Pads with 4 or 5 buttons").
BUTTON_PINS = (17, 27, 22, 18, 4)
LED_PINS = (23, 24, 25, 20, 21)


# --- hall.toml --------------------------------------------------------------------------------------------------


def test_a_hall_without_a_scale_has_todays_three_levels() -> None:
    rating = load_hall(WARD_HALL).rating
    assert rating.keys == ("satisfied", "neutral", "unsatisfied")
    assert [level.label for level in rating.scale] == ["Hài lòng", "Bình thường", "Không hài lòng"]
    assert [level.meaning for level in rating.scale] == list(RatingMeaning)


@pytest.mark.parametrize(
    ("preset", "keys", "satisfied"),
    [
        ("three-levels-top-two", ("very_satisfied", "satisfied", "unsatisfied"), 2),
        ("four-faces", ("very_satisfied", "satisfied", "neutral", "unsatisfied"), 2),
        ("five-levels", ("very_satisfied", "satisfied", "neutral", "unsatisfied", "very_unsatisfied"), 2),
        ("five-stars", ("star_5", "star_4", "star_3", "star_2", "star_1"), 2),
    ],
)
def test_presets_number_their_buttons_from_the_left(preset: str, keys: tuple[str, ...], satisfied: int) -> None:
    rating = RatingSection(preset=preset)  # type: ignore[arg-type]
    assert rating.keys == keys
    assert [level.button for level in rating.scale] == list(range(1, len(keys) + 1))
    assert sum(1 for level in rating.scale if level.meaning is RatingMeaning.SATISFIED) == satisfied
    assert rating.scale[-1].meaning is RatingMeaning.UNSATISFIED
    assert preset in PRESETS


def test_a_hall_of_its_own_scale_in_hall_toml(tmp_path: Path) -> None:
    text = WARD_HALL.read_text(encoding="utf-8").replace(
        "[rating]\nwindow_min = 10\n",
        """[rating]
window_min = 10
[[rating.levels]]
key = "good"
label = "Tốt"
label_en = "Good"
colour = "#2e7d32"
button = 2
meaning = "satisfied"
[[rating.levels]]
key = "bad"
label = "Chưa tốt"
label_en = "Not good"
colour = "#c62828"
button = 1
meaning = "unsatisfied"
""",
    )
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    rating = load_hall(path).rating
    assert rating.keys == ("bad", "good")  # button order
    assert rating.label("good") == "Tốt" and rating.label("good", "en") == "Good"
    assert rating.level("neutral") is None


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([("a", 1, "satisfied")], "2 to 5 levels"),
        ([("a", 1, "satisfied"), ("a", 2, "unsatisfied")], "'a' appears twice"),
        ([("a", 1, "satisfied"), ("b", 3, "unsatisfied")], "buttons must be 1 to 2"),
        ([("a", 1, "satisfied"), ("b", 2, "neutral")], "at least one 'satisfied' and one 'unsatisfied'"),
        ([("A b", 1, "satisfied"), ("b", 2, "unsatisfied")], "levels.0.key"),
    ],
)
def test_a_bad_scale_is_refused_with_a_reason(levels: list[tuple[str, int, str]], expected: str) -> None:
    data = {
        "levels": [
            {"key": k, "label": k, "label_en": k, "colour": "#000000", "button": b, "meaning": m} for k, b, m in levels
        ]
    }
    with pytest.raises(ValidationError, match=expected):
        RatingSection.model_validate(data)


# --- pads with 4 and 5 buttons ----------------------------------------------------------------------------------


def pad_toml(tmp_path: Path, hall: Path, keys: tuple[str, ...]) -> Path:
    buttons = "\n".join(f"{key} = {pin}" for key, pin in zip(keys, BUTTON_PINS, strict=False))
    leds = "\n".join(f"{key} = {pin}" for key, pin in zip(keys, LED_PINS, strict=False))
    path = tmp_path / "pad.toml"
    path.write_text(
        f'counter = 1\nhall = "{hall}"\noutbox = "{tmp_path / "outbox.db"}"\n[gpio]\nfactory = "mock"\n'
        f'[device]\nid = "pad-1"\nsite = "phuong-hoa-binh"\n[buttons]\n{buttons}\n[leds]\n{leds}\n',
        encoding="utf-8",
    )
    return path


def hall_with(tmp_path: Path, preset: str) -> Path:
    path = tmp_path / "hall.toml"
    text = WARD_HALL.read_text(encoding="utf-8").replace("[rating]\n", f'[rating]\npreset = "{preset}"\n')
    text = text.replace('"procedures.toml"', f'"{WARD_HALL.parent / "procedures.toml"}"')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("preset", ["four-faces", "five-stars"])
def test_a_pad_has_one_button_per_level_of_its_halls_scale(tmp_path: Path, preset: str) -> None:
    hall = hall_with(tmp_path, preset)
    keys = RatingSection(preset=preset).keys  # type: ignore[arg-type]
    loaded = load_pad_config(pad_toml(tmp_path, hall, keys))
    assert loaded.levels == keys and len(loaded.config.buttons) == len(keys)
    assert loaded.labels[keys[0]] in ("Rất hài lòng", "5 sao – Rất hài lòng")
    with pytest.raises(ConfigError, match="one button per level"):
        load_pad_config(pad_toml(tmp_path, hall, ("satisfied", "neutral", "unsatisfied")))


FIVE_STARS = load_hall(WARD_HALL).model_copy(update={"rating": RatingSection(preset="five-stars")})


@pytest.fixture(scope="session")
def hall() -> HallConfig:
    """The sample hall with a five-star scale (the broker and the coordinator fixtures take it from here)."""
    return FIVE_STARS


@pytest.fixture
def five_button_pad(broker: LocalBroker, hall: HallConfig, clock: Clock, mock_factory: MockFactory, tmp_path: Path):
    keys = hall.rating.keys
    config = PadConfig.model_validate(
        {
            "device": {"id": "pad-1", "site": "phuong-hoa-binh"},
            "counter": 1,
            "outbox": str(tmp_path / "pad-outbox.db"),
            "gpio": {"factory": "mock"},
            "buttons": dict(zip(keys, BUTTON_PINS, strict=True)),
            "leds": dict(zip(keys, LED_PINS, strict=True)),
        }
    )
    session = MqttSession(broker.settings("pad-1"), device="pad-1", site="phuong-hoa-binh", role="pad")
    hardware = PadHardware(config.buttons, config.leds, pin_factory=mock_factory)
    labels = {level.key: level.label for level in hall.rating.scale}
    agent = PadAgent(config, session, hardware, Outbox(config.outbox), clock=clock, labels=labels)
    agent.start()
    assert session.wait_connected(5)
    try:
        yield agent
    finally:
        agent.stop()


def rows(coordinator: CoordinatorService) -> list[sqlite3.Row]:
    db = sqlite3.connect(coordinator.store.path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM ratings ORDER BY pressed_at, rowid").fetchall()
    finally:
        db.close()


def test_the_fifth_button_of_a_five_star_pad_is_a_counted_one_star_vote(
    five_button_pad: PadAgent, coordinator: CoordinatorService, sessions, mock_factory: MockFactory, clock: Clock
) -> None:
    province = sessions("admin", role="admin")
    batches: list[EventBatch] = []
    province.subscribe(province.topics.events(), lambda i: batches.append(EventBatch.model_validate_json(i.payload)))
    kiosk = sessions("kiosk-1", role="kiosk")
    request = TicketRequest(request_id=uuid.uuid4(), sent_at=clock.now(), service="ho-tich")
    reply = kiosk.request(
        kiosk.topics.ticket_request("kiosk-1"), request, response_topic=kiosk.topics.ticket_reply("kiosk-1")
    )
    ticket = parse_kiosk_reply(reply.payload)
    keypad = sessions("keypad-1", role="keypad")
    for action in ("next", "finish"):
        command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=clock.now())
        parse_counter_result(
            keypad.request(
                keypad.topics.counter_command(1), command, response_topic=keypad.topics.counter_reply(1)
            ).payload
        )
    assert five_button_pad.status()["labels"]["star_1"] == "1 sao – Rất không hài lòng"
    mock_factory.pin(BUTTON_PINS[4]).drive_low()
    mock_factory.pin(BUTTON_PINS[4]).drive_high()
    (row,) = wait_until(lambda: rows(coordinator))
    assert (row["level"], row["meaning"], row["outcome"]) == ("star_1", "unsatisfied", "counted")
    assert row["ticket_id"] == ticket.ticket.id  # type: ignore[union-attr]
    wait_until(lambda: five_button_pad.status()["acks"]["counted"] == 1)
    rating = wait_until(lambda: next((e for b in batches for e in b.events if e.kind == "rating"), None))
    assert (rating.rating, rating.meaning, rating.outcome) == ("star_1", "unsatisfied", "counted")


def test_a_key_the_halls_scale_does_not_have_is_rejected_kept_apart_and_never_counted(
    coordinator: CoordinatorService, sessions, clock: Clock
) -> None:
    """A pad wired for another scale: its vote is answered ``rejected`` (bad_request), kept in rejected_ratings (once,
    even when the pad resends it), and never reaches ``ratings``, which every report reads."""
    pad = sessions("pad-1", role="pad")
    acks: list[RatingAck] = []
    pad.subscribe(pad.topics.rating_ack(1), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    wrong = RatingVote(id=uuid.uuid4(), level="satisfied", pressed_at=clock.now())  # the 3-button pad's key
    right = RatingVote(id=uuid.uuid4(), level="star_4", pressed_at=clock.now())
    pad.publish(pad.topics.rating(1), wrong)
    pad.publish(pad.topics.rating(1), wrong)  # resent (the pad lost the ack): answered again, kept once
    pad.publish(pad.topics.rating(1), right)
    wait_until(lambda: len(acks) == 3)  # handled in order
    assert [(a.id, a.outcome, a.reason) for a in acks[:2]] == [(wrong.id, "rejected", "bad_request")] * 2
    assert (acks[2].id, acks[2].outcome) == (right.id, "unbound")  # nobody at counter 1: judged, stored
    assert [(r["id"], r["level"], r["meaning"]) for r in rows(coordinator)] == [(str(right.id), "star_4", "satisfied")]
    db = sqlite3.connect(coordinator.store.path)
    try:
        kept = db.execute("SELECT id, counter, reason, detail, payload FROM rejected_ratings").fetchall()
    finally:
        db.close()
    assert [row[:3] for row in kept] == [(str(wrong.id), "1", "bad_request")]
    assert "'satisfied' is not on this hall's scale" in kept[0][3]
    assert json.loads(kept[0][4])["level"] == "satisfied"
