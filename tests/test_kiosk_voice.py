"""Voice guidance ("Hướng dẫn bằng giọng nói"): what the kiosk says for each screen (pure), and a whole ticket
taken with guidance on, against the real broker and coordinator, spoken into the WAV sink with espeak-ng clips."""

from __future__ import annotations

import time
import uuid
import wave
from datetime import UTC, datetime

import pytest
from kiosk_support import kiosk_config, run_until, sample_view

from kiosk.app import KioskApp
from kiosk.config import VoiceSection
from kiosk.guidance import guidance, speakable
from kiosk.i18n import Lang, text
from kiosk.model import Outcome, PrinterStatus, TicketResult
from kiosk.ui.controller import Action, Controller, Screen
from motcua.contract import TicketInfo
from motcua.speech import pcm
from motcua.speech.segments import spoken

TICKET = TicketInfo(
    id="20261123-1023",
    label="1023",
    number=1023,
    service="ho-tich",
    service_name="Hộ tịch",
    issued_at=datetime(2026, 11, 23, 1, 15, tzinfo=UTC),
    counters=[2, 1],
    people_ahead=3,
    estimated_wait_min=15,
)


class NoEffects:
    def take(self, request) -> None:
        pass

    def reprint(self, result) -> None:
        pass

    def cancel(self, result, reason) -> None:
        pass


def test_each_screen_says_its_title_then_its_choices(hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_printer(PrinterStatus.OK)
    view = sample_view(hall, procedures)
    c.on_catalogue(view, 0)
    home = guidance(c.state)
    assert home is not None
    assert home.sentences[0] == "xin mời chạm vào lĩnh vực cần giải quyết để lấy số"
    assert home.sentences[1 : 1 + len(view.services)] == tuple(speakable(s.name) for s in view.services)
    assert home.sentences[-2:] == ("tôi đã đặt lịch hẹn", "tìm thủ tục")
    c.action(Action("take", "ho-tich"), 1)
    priority = guidance(c.state)
    assert priority is not None and priority.sentences[0] == "ông/bà có thuộc đối tượng ưu tiên không?"
    assert priority.sentences[1] == "người cao tuổi" and priority.sentences[-1] == "không — lấy số thường"
    c.on_result(TicketResult(Outcome.PRINTED, uuid.uuid4(), TICKET, printer=PrinterStatus.OK), 2)
    ticket = guidance(c.state)
    assert ticket is not None
    assert ticket.sentences == (
        "số thứ tự của ông/bà là",
        "một nghìn không trăm hai mươi ba",
        "xin mời ông/bà chờ gọi tại quầy số",
        "một",
        "và",
        "hai",
        "xin mời nhận phiếu ở khe máy in bên dưới.",
    )
    # the number is said word by word, with the same clips as the hall's announcements
    assert spoken(list(ticket.script))[1:7] == ["một", "nghìn", "không", "trăm", "hai", "mươi"]


def test_a_number_not_printed_is_said_as_still_valid_and_nothing_offers_to_cancel_it(hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_printer(PrinterStatus.OK)
    c.on_catalogue(sample_view(hall, procedures), 0)
    c.action(Action("take", "ho-tich"), 1)
    result = TicketResult(Outcome.PRINT_FAILED, uuid.uuid4(), TICKET, printer=PrinterStatus.OK, problem="paper_out")
    c.on_result(result, 2)
    assert c.state.screen is Screen.PRINT_FAILED
    said = guidance(c.state)
    assert said is not None
    assert said.sentences[0].startswith("máy in chưa in được phiếu (") and "{" not in said.sentences[0]
    assert said.sentences[1:3] == ("số thứ tự của ông/bà là", "một nghìn không trăm hai mươi ba")
    assert said.sentences[3] == "số vẫn còn hiệu lực" and said.sentences[-2:] == ("in lại", "đã nhớ số — xong")
    assert not [s for s in said.sentences if "hủy số" in s]


def test_the_home_screen_says_why_no_number_can_be_taken(hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_printer(PrinterStatus.OK)
    c.on_catalogue(sample_view(hall, procedures), 0)
    working = guidance(c.state)
    c.on_coordinator(False)
    stopped = guidance(c.state)
    assert working is not None and stopped is not None and stopped.key != working.key
    assert stopped.sentences[0] == speakable(text("notice_blocked_title", Lang.VI))
    assert stopped.sentences[1] == speakable(text("notice_coordinator_body", Lang.VI))
    assert stopped.sentences[2:] == working.sentences


def test_the_voice_button_toggles_and_the_next_citizen_starts_silent(hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_catalogue(sample_view(hall, procedures), 0)
    c.action(Action("voice"), 1)
    assert c.state.voice
    c.action(Action("service", "ho-tich"), 2)
    assert c.state.voice  # stays on while the citizen moves through the screens
    c.action(Action("done"), 3)
    assert not c.state.voice


@pytest.mark.slow  # espeak-ng makes ~20 clips on first use (6-7 s on the 2-core machine)
@pytest.mark.timeout(120)
def test_a_ticket_taken_with_voice_guidance_is_spoken_in_order(coordinator, broker, clock, tmp_path):
    wav_dir = tmp_path / "spoken"
    config = kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"), request_timeout_s=3.0)
    config = config.model_copy(update={"voice": VoiceSection(output="wav", wav_dir=wav_dir)})
    app = KioskApp(config, clock=clock)
    app.start()
    speaker = app.speaker
    assert speaker is not None

    def press(kind: str, arg: str | None = None) -> None:
        app.controller.action(Action(kind, arg), time.monotonic())
        app.step(0)
        run_until(app, speaker.idle, timeout=60, what=f"guidance after {kind}")

    try:
        run_until(app, lambda: app.controller.state.screen is Screen.HOME, what="home screen")
        app.step(0)
        assert speaker.said == []  # silent until asked
        press("voice")
        press("service", "ho-tich")
        press("take", "ho-tich")
        press("priority", "none")
        run_until(app, lambda: app.controller.state.screen is Screen.TICKET, what="ticket")
        run_until(app, lambda: speaker.said and speaker.said[-1].key.startswith("ticket"), timeout=60, what="ticket")
        label = app.controller.state.last_ticket
        press("done")
    finally:
        app.stop()
    keys = [said.key.split(":")[0] for said in speaker.said if not said.key.startswith("working")]
    assert keys == ["home", "service", "priority", "ticket"]
    ticket = speaker.said[-1]
    assert ticket.sentences[0] == "số thứ tự của ông/bà là"
    assert label is not None and ticket.sentences[1] == " ".join(_words(label))
    assert ticket.sentences[2] == "xin mời ông/bà chờ gọi tại quầy số"
    files = sorted(wav_dir.glob("*.wav"))
    assert [f.stem.split("-", 1)[1] for f in files if "working" not in f.name] == keys
    for path in files:
        with wave.open(str(path)) as wav:
            samples = pcm.read_wav(path)
            assert wav.getnframes() > wav.getframerate() // 2  # at least half a second of speech
        assert pcm.rms(samples) > 300  # not silence


def _words(label: str) -> list[str]:
    from motcua.speech.numbers import label_words

    return label_words(label)


def test_the_voice_button_is_on_every_screen_and_shows_when_guidance_is_on(hall, procedures):
    import pygame
    from kiosk_support import OUTPUT, RESOLUTIONS
    from test_kiosk_screens import check

    from kiosk.ui.painter import Painter
    from kiosk.ui.screens import ScreenContext, draw_screen

    pygame.display.init()
    try:
        for width, height in RESOLUTIONS:
            c = Controller(NoEffects(), tap_guard_s=0)
            c.on_connection(True)
            c.on_printer(PrinterStatus.OK)
            c.on_catalogue(sample_view(hall, procedures), 0)
            labels = []
            for step in ("home", "voice", "ticket"):
                if step == "voice":
                    c.action(Action("voice"), 1)
                elif step == "ticket":
                    c.on_result(TicketResult(Outcome.PRINTED, uuid.uuid4(), TICKET, printer=PrinterStatus.OK), 2)
                surface = pygame.Surface((width, height))
                painter = Painter(surface)
                now = datetime(2026, 11, 23, 1, 15, tzinfo=UTC)
                draw_screen(ScreenContext(painter, c.state, now=now, zone=hall.hall.zone, keyboard="qwerty"))
                check(painter, f"{step} at {width}x{height}")
                labels.append(next(h.label for h in painter.hits if h.action.kind == "voice"))
                path = OUTPUT / "screens" / f"voice-{step}-vi-{width}x{height}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(surface, str(path))
            on = "Đang đọc hướng dẫn — chạm để tắt"
            assert labels == ["Hướng dẫn bằng giọng nói", on, on]
    finally:
        pygame.display.quit()
