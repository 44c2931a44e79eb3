"""The tablet on halls with another rating scale, through the real broker and coordinator: a five-level hall and a
hall of its own with two levels. The tablet draws the hall's faces; a tap is a vote the coordinator accepts and
counts with the level's key and meaning; an unsatisfied level (by its meaning) asks why and the reasons are
stored; the rating is recorded from the device that voted (the tablet, or the counter's pad)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import WARD_HALL
from counter_screen_support import counter_screens_hall_file
from test_counter_screen_e2e import Hall, screen_config
from waiting import wait_until

from coordinator.report.cli import main as report_main
from counter_screen.app import CounterScreenApp
from counter_screen.config import LoadedScreen
from motcua.contract import RatingAck, RatingVote
from motcua.hall import HallConfig, load_hall, load_procedures
from motcua.localbroker import LocalBroker

pytestmark = pytest.mark.slow  # a real broker, coordinator and screen per scale, and two HTML reports (~10 s each)

OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "counter-screen"

TWO_LEVELS = """
[[rating.levels]]
key = "good"
label = "Hài lòng"
label_en = "Satisfied"
colour = "#1b5e20"
button = 1
meaning = "satisfied"

[[rating.levels]]
key = "bad"
label = "Chưa hài lòng"
label_en = "Not satisfied"
colour = "#ef7f7f"
button = 2
meaning = "unsatisfied"
"""
#: scale name -> (hall.toml's [rating] scale, the low level tapped first, the good level tapped next)
SCALES = {
    "five-levels": ('preset = "five-levels"\n', "very_unsatisfied", "very_satisfied"),
    "two-levels": (TWO_LEVELS, "bad", "good"),
}


@pytest.fixture(params=list(SCALES))
def scale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def hall_file(scale: str, tmp_path: Path) -> Path:
    """The sample hall.toml with this scale and screen-1 at counter 1 (the coordinator knows the tablet)."""
    path = counter_screens_hall_file(WARD_HALL, tmp_path, 1)
    text = path.read_text("utf-8")
    marker = '# preset = "three-levels"\n'
    assert marker in text
    path.write_text(text.replace(marker, SCALES[scale][0], 1), encoding="utf-8")
    return path


@pytest.fixture
def hall(hall_file: Path) -> HallConfig:
    return load_hall(hall_file)


@pytest.fixture
def procedures(hall: HallConfig):  # type: ignore[no-untyped-def]
    return load_procedures(hall)


@pytest.fixture
def screen(broker: LocalBroker, coordinator, tmp_path: Path) -> Iterator[CounterScreenApp]:  # type: ignore[no-untyped-def]
    config = screen_config(broker, tmp_path, tablet={"lockout_s": 1.0, "thanks_s": 1.0})  # two citizens in a row
    app = CounterScreenApp(LoadedScreen(config, coordinator.hall), clock=coordinator.clock)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            app.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, name="counter-screen", daemon=True)
    thread.start()
    try:
        yield app
    finally:
        app.stop()
        thread.join(15)
        assert not errors, errors


def test_a_tap_on_the_halls_scale_is_counted_with_its_level_meaning_reasons_and_device(
    scale: str, screen: CounterScreenApp, sessions, coordinator, hall_file: Path, tmp_path: Path
):  # type: ignore[no-untyped-def]
    rating = coordinator.hall.rating
    _, low, good = SCALES[scale]
    hall = Hall(sessions, coordinator.clock)
    hall.press("sign_in", officer="nguyen-thi-lan")
    first, second, third = hall.ticket(), hall.ticket(), hall.ticket()
    hall.press("next")
    hall.press("finish")
    status = wait_until(lambda: (s := screen.status())["screen"] == "invite" and s, what="the invitation")
    drawn: dict[str, str] = {}  # a label is one or two lines: "label:KEY", "label:KEY#2"
    for role, text in sorted(status["texts"].items()):
        if role.startswith("label:"):
            key = role.removeprefix("label:").partition("#")[0]
            drawn[key] = f"{drawn[key]} {text}" if key in drawn else text
    assert drawn == {level.key: level.label for level in rating.scale}  # one face per level, the hall's labels
    screen.screenshot(OUTPUT / f"live-invite-{scale}.png")
    assert screen.tap(f"level:{low}") == f"level:{low}"
    assert screen.status()["screen"] == "reasons"  # unsatisfied by its meaning: why?
    assert screen.tap("reason:attitude") == "reason:attitude"
    assert screen.tap("send") == "send"
    wait_until(lambda: screen.status()["acks"]["counted"] == 1, what="the low vote counted")
    wait_until(lambda: screen.status()["screen"] == "display", timeout=10, what="thanks, then the number again")

    hall.press("next")  # calls the second ticket
    hall.press("finish")
    wait_until(lambda: screen.status()["screen"] == "invite", what="the second invitation")
    assert screen.tap(f"level:{good}") == f"level:{good}"
    assert screen.status()["screen"] == "thanks"  # satisfied: no reasons asked
    wait_until(lambda: screen.status()["acks"]["counted"] == 2, what="the good vote counted")

    # the counter's pad rates the third ticket: recorded from the pad (an older pad names no device)
    hall.press("next")
    hall.press("finish")
    pad = sessions("pad-1", role="pad")
    acks: list[RatingAck] = []
    pad.subscribe(hall.topics.rating_ack(1), lambda i: acks.append(RatingAck.model_validate_json(i.payload)))
    vote = RatingVote(id=uuid.uuid4(), level=good, pressed_at=coordinator.clock.now())
    pad.publish(hall.topics.rating(1), vote)
    ack = wait_until(lambda: next((a for a in acks if a.id == vote.id), None))
    assert (ack.outcome.value, ack.ticket_id) == ("counted", third.ticket.id)

    db = sqlite3.connect(coordinator.store.path)
    rows = db.execute(
        "SELECT ticket_id, level, meaning, outcome, reasons, device FROM ratings ORDER BY pressed_at"
    ).fetchall()
    assert rows == [
        (first.ticket.id, low, "unsatisfied", "counted", "attitude", "screen-1"),
        (second.ticket.id, good, "satisfied", "counted", None, "screen-1"),
        (third.ticket.id, good, "satisfied", "counted", None, "pad-1"),
    ]
    assert db.execute("SELECT COUNT(*) FROM rejected_ratings").fetchone()[0] == 0

    # the HTML report shows the reasons per officer and per service, as the database has them
    day = coordinator.clock.now().date().isoformat()
    for lang, title, reason in (
        ("vi", "Lý do chưa hài lòng", "Thái độ phục vụ"),
        ("en", "Reasons for", "Staff attitude"),
    ):
        out = tmp_path / f"report-{lang}"
        argv = ["--db", str(coordinator.store.path), "--hall", str(hall_file), "--from", day, "--to", day]
        assert report_main([*argv, "--lang", lang, "--format", "html", "--out", str(out)]) == 0
        [page] = out.glob("*.html")
        html = page.read_text("utf-8")
        shutil.copy(page, OUTPUT / f"report-reasons-{scale}-{lang}.html")
        table = re.search(
            r'<h2 data-heading="reasons">(.*?)</h2>\s*<table data-table="reasons">(.*?)</table>', html, re.S
        )
        assert table is not None, "no reasons table in the HTML report"
        assert table.group(1).startswith(title)
        assert f'data-col="reason_attitude">{reason}</th>' in table.group(2)
        cells = dict(re.findall(r'data-dim="(\w+)" data-key="([\w-]*)"', table.group(2)))
        assert cells == {"officer": "nguyen-thi-lan", "service": "ho-tich", "hall": "hall"}
        for dim, key in cells.items():
            row = re.search(rf'data-dim="{dim}" data-key="{key}"[^>]*>(.*?)</tr>', table.group(2), re.S)
            assert row is not None and '<td data-col="reason_attitude" class="num">1</td>' in row.group(1), dim
