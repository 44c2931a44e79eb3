"""`motcua display` as a real process (dummy screen, WAV speaker) with the real broker and coordinator."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest
from display_support import OUTPUT, DisplayProcess, make_call, sample_board, voice_clips, write_display_config

from coordinator.service import CoordinatorService
from motcua.clock import ScaledClock, clock_spec
from motcua.contract import (
    CounterAction,
    CounterCommand,
    CounterReply,
    TicketIssued,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.localbroker import LocalBroker
from motcua.session import MqttSession

pytestmark = pytest.mark.slow  # the display as its own process

AMBER = (255, 210, 0)


@pytest.fixture
def start_display(broker: LocalBroker, clock: ScaledClock, tmp_path: Path) -> Iterator[Callable[..., DisplayProcess]]:
    """Start `motcua display` for display-1 on the test broker, on the tests' clock; stopped (SIGTERM) at the end."""
    started: list[DisplayProcess] = []

    def start(**config: object) -> DisplayProcess:
        assert broker.files is not None
        control = tmp_path / "display.sock"
        path = write_display_config(
            tmp_path / "display.toml",
            port=broker.port,
            password=broker.files.password("display-1"),
            control=control,
            wav_dir=tmp_path / "spoken",
            clips=voice_clips(),
            **config,  # type: ignore[arg-type]
        )
        env = {"MOTCUA_CLOCK": clock_spec(clock.start, clock.speed, clock.anchor)}
        process = DisplayProcess(path, control, tmp_path / "display.log", env=env)
        started.append(process)
        return process.start()

    try:
        yield start
    finally:
        for process in started:
            assert process.stop() == 0, process.log_text()[-2000:]


class Officer:
    """A kiosk and a signed-in keypad of the sample hall."""

    def __init__(self, sessions: Callable[..., MqttSession], coordinator: CoordinatorService, counter: int = 1):
        self.clock = coordinator.clock
        self.counter = counter
        self.kiosk = sessions("kiosk-1", role="kiosk")
        self.keypad = sessions(f"keypad-{counter}", role="keypad")
        self.topics = self.kiosk.topics
        reply = self.press(CounterAction.SIGN_IN, officer="nguyen-thi-lan")
        assert isinstance(reply, CounterReply), reply

    def ticket(self, service: str = "ho-tich") -> str:
        request = TicketRequest(request_id=uuid.uuid4(), sent_at=self.clock.now(), service=service)
        reply = self.kiosk.request(
            self.topics.ticket_request("kiosk-1"), request, response_topic=self.topics.ticket_reply("kiosk-1")
        )
        issued = parse_kiosk_reply(reply.payload)
        assert isinstance(issued, TicketIssued), issued
        return issued.ticket.label

    def press(self, action: CounterAction, **fields: str) -> object:
        command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=self.clock.now(), **fields)
        reply = self.keypad.request(
            self.topics.counter_command(self.counter), command, response_topic=self.topics.counter_reply(self.counter)
        )
        return parse_counter_result(reply.payload)

    def next(self) -> str:
        reply = self.press(CounterAction.NEXT)
        assert isinstance(reply, CounterReply) and reply.state.serving is not None, reply
        return reply.state.serving.label


def amber_pixels(png: Path, region: tuple[float, float, float, float]) -> int:
    """Pixels of the called number's colour in a region given as fractions of the image."""
    image = pygame.image.load(str(png))
    width, height = image.get_size()
    left, top, right, bottom = (
        int(region[0] * width),
        int(region[1] * height),
        int(region[2] * width),
        int(region[3] * height),
    )
    return sum(
        1 for x in range(left, right, 3) for y in range(top, bottom, 3) if tuple(image.get_at((x, y)))[:3] == AMBER
    )


def test_keypad_next_shows_the_number_on_the_next_frame_and_queues_the_announcement(
    coordinator: CoordinatorService, sessions, start_display, tmp_path: Path
):
    display = start_display()
    officer = Officer(sessions, coordinator)
    display.wait_status(lambda s: s["connected"] and s["boards"] >= 1, what="connected with the retained board")
    label = officer.ticket()

    called = officer.next()

    assert called == label
    status = display.wait_status(lambda s: (s["current"] or {}).get("label") == label, what=f"{label} on screen")
    assert status["current"]["counter"] == 1
    assert status["current"]["highlighted"] is True  # new to the room: it blinks
    call_id = status["current"]["id"]
    announcements = display.wait_status(lambda s: call_id in s["announcements"]["accepted_ids"])["announcements"]
    assert announcements["skipped"] == 0
    display.wait_status(lambda s: call_id in s["announcements"]["played_ids"], what="announcement played")
    spoken = sorted((tmp_path / "spoken").glob("*.wav"))
    # chime + the sentence, then (no other call waiting) the sentence again: two sounds, several seconds
    assert len(spoken) == 2 and sum(path.stat().st_size for path in spoken) > 100_000

    shot = OUTPUT / "e2e-next-1280x720.png"
    reply = display.screenshot(shot)
    assert reply["frame"] >= status["current"]["frame"]
    assert amber_pixels(shot, (0.0, 0.1, 0.6, 0.5)) > 500  # the big number, drawn in amber (or on amber)


def test_a_broker_restart_shows_the_loss_then_resyncs_from_the_retained_board(
    coordinator: CoordinatorService, sessions, start_display, broker: LocalBroker
):
    display = start_display()
    officer = Officer(sessions, coordinator)
    officer.ticket()
    first = officer.next()
    before = display.wait_status(lambda s: (s["current"] or {}).get("label") == first)

    broker.stop()
    display.wait_status(lambda s: not s["connected"] and s["connected_shown"] is False, what="'Mất kết nối' shown")
    broker.start()

    after = display.wait_status(
        lambda s: s["connected"] and s["connected_shown"] and s["boards"] > before["boards"],
        timeout=15,
        what="reconnected and resynced",
    )
    assert after["current"]["label"] == first
    assert officer.keypad.wait_connected(10) and officer.kiosk.wait_connected(10)
    officer.ticket()
    second = officer.next()
    shown = display.wait_status(lambda s: (s["current"] or {}).get("label") == second, what="a call after the restart")

    broker.restart()  # a quick restart, as after an upgrade of the coordinator Pi

    resynced = display.wait_status(
        lambda s: s["connected"] and s["connected_shown"] and s["boards"] > shown["boards"], timeout=15
    )
    assert resynced["current"]["label"] == second


def test_a_display_started_later_shows_the_hall_as_it_is_without_blinking(
    coordinator: CoordinatorService, sessions, start_display
):
    officer = Officer(sessions, coordinator)
    labels = [officer.ticket() for _ in range(3)]
    called = [officer.next() for _ in range(3)]
    assert called == labels

    display = start_display(width=1920, height=1080)

    status = display.wait_status(lambda s: s["current"] is not None, what="the retained board shown")
    assert status["current"]["label"] == labels[-1]
    assert status["current"]["highlighted"] is False
    assert status["announcements"]["accepted_ids"] == []  # old calls are shown, not announced again
    display.screenshot(OUTPUT / "e2e-resync-1920x1080.png")


def test_bad_payloads_are_logged_and_the_last_good_board_stays(broker: LocalBroker, clock: ScaledClock, start_display):
    coordinator = MqttSession(
        broker.settings("coordinator"), device="coordinator", site="phuong-hoa-binh", role="coordinator"
    )
    coordinator.start()
    try:
        assert coordinator.wait_connected(5)
        topics = coordinator.topics
        now = clock.now()
        good = sample_board(calls=[make_call("1023", 3, at=now)])
        coordinator.publish(topics.board(), good, retain=True).wait_for_publish(5)
        display = start_display()
        display.wait_status(lambda s: (s["current"] or {}).get("label") == "1023")

        coordinator.publish(topics.board(), b"\xff not json", retain=True)
        coordinator.publish(topics.board(), b'{"v": 1, "hall_name": "x"}', retain=True)
        coordinator.publish(topics.call(), b'{"v": 1, "label": 1024}')
        coordinator.publish(topics.board(), b'{"v": 2}', retain=True)
        status = display.wait_status(lambda s: s["bad_payloads"] >= 4, what="bad payloads counted")
        assert status["current"]["label"] == "1023"
        assert display.process is not None and display.process.poll() is None

        stale = make_call("1020", 2, at=now, minutes_ago=10)  # queued somewhere during an outage
        fresh = make_call("1024", 4, at=clock.now())
        coordinator.publish(topics.call(), stale)
        coordinator.publish(topics.call(), fresh)
        coordinator.publish(topics.board(), sample_board(calls=[fresh, *good.calls]), retain=True)
        status = display.wait_status(lambda s: (s["current"] or {}).get("label") == "1024")
        announcements = display.wait_status(lambda s: s["announcements"]["skipped"] == 1)["announcements"]
        assert announcements["accepted_ids"] == [fresh.id]
        assert "not announced" in display.log_text()
    finally:
        coordinator.stop()
