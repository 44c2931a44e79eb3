"""The chip ID card (CCCD) at the kiosk: the elderly priority offered from the back-side QR code, through the real
scanner seam (segno pictures, the camera seam, zbar), told apart from procedure sheets, and nothing of the card
logged, stored, printed or sent."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pygame
import pytest
from kiosk_support import OUTPUT, kiosk_config, portal_url, qr_png, run_until, sample_view

from coordinator.store import open_readonly
from kiosk.app import KioskApp
from kiosk.camera import FileCamera
from kiosk.idcard import IdCardVerdict, age_on, check_id_card, looks_like_id_card
from kiosk.qrpayload import ScanVerdict, parse_scan
from kiosk.scanner import Scanner
from kiosk.ui.controller import Action, Controller, Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen
from motcua.contract import PriorityCategory, Topics

TODAY = date(2026, 11, 23)
NAME = "Nguyễn Thị Hồng Phượng"
ADDRESS = "Số 12 ngõ 34 phố Huế, phường Hai Bà Trưng, Hà Nội"


def card(born: date, *, issued: date = date(2021, 5, 10), number: str | None = None, name: str = NAME) -> str:
    """A card's QR text; the number encodes century, sex (female) and year of birth as real numbers do."""
    if number is None:
        number = f"001{2 * ((born.year - 1900) // 100) + 1}{born.year % 100:02d}004217"
    return f"{number}|012345678|{name}|{born:%d%m%Y}|Nữ|{ADDRESS}|{issued:%d%m%Y}"


def years_ago(years: int, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - years) + timedelta(days=days)


OVER_60 = card(date(1951, 2, 14))
EXACTLY_60 = card(years_ago(60))  # 60 today
UNDER_60 = card(years_ago(60, days=1))  # 60 tomorrow


@pytest.mark.parametrize(
    ("payload", "verdict"),
    [
        (OVER_60, IdCardVerdict.ELDERLY),
        (EXACTLY_60, IdCardVerdict.ELDERLY),
        (UNDER_60, IdCardVerdict.UNDER_AGE),
        (card(date(1990, 7, 1)), IdCardVerdict.UNDER_AGE),
        (card(date(1960, 1, 1)).replace("|012345678|", "||"), IdCardVerdict.ELDERLY),  # no old ID number
        (card(date(1955, 3, 1), number="00115500421"), IdCardVerdict.MALFORMED),  # 11 digits
        (card(date(1955, 3, 1), number="0011550042177"), IdCardVerdict.MALFORMED),  # 13 digits
        (card(date(1955, 3, 1)).replace("01031955", "31021955"), IdCardVerdict.MALFORMED),  # 31 February
        (card(date(1955, 3, 1)).replace("01031955", "1/3/1955"), IdCardVerdict.MALFORMED),
        (card(date(1955, 3, 1)).rsplit("|", 1)[0], IdCardVerdict.MALFORMED),  # six fields
        (card(date(1955, 3, 1)) + "|extra", IdCardVerdict.MALFORMED),
        (card(date(1955, 3, 1), name=""), IdCardVerdict.MALFORMED),
        (card(date(1955, 3, 1), name="<script>alert(1)</script>"), IdCardVerdict.MALFORMED),
        (card(date(1955, 3, 1), name="Robert'); DROP TABLE tickets;--"), IdCardVerdict.MALFORMED),
        (card(date(2030, 1, 1), issued=date(2021, 1, 1)), IdCardVerdict.IMPLAUSIBLE),  # born in the future
        (card(date(1955, 3, 1), issued=date(2027, 1, 1)), IdCardVerdict.IMPLAUSIBLE),  # issued in the future
        (card(date(1955, 3, 1), issued=date(1950, 1, 1)), IdCardVerdict.IMPLAUSIBLE),  # issued before birth
        (card(date(1955, 3, 1), number="001190004217"), IdCardVerdict.IMPLAUSIBLE),  # number says 1990
        (card(date(1890, 3, 1), number="001090004217"), IdCardVerdict.IMPLAUSIBLE),  # 136 years old
    ],
)
def test_an_id_card_is_judged_on_the_date_of_birth_alone(payload: str, verdict: IdCardVerdict):
    check = check_id_card(payload, TODAY)
    assert check.verdict is verdict, check.reason
    for secret in (NAME, ADDRESS, payload.split("|")[0], payload.split("|")[3]):
        assert not secret or secret not in check.reason


def test_age_counts_whole_years_and_leap_day_birthdays():
    assert age_on(date(1966, 11, 23), TODAY) == 60
    assert age_on(date(1966, 11, 24), TODAY) == 59
    assert age_on(date(1964, 2, 29), date(2024, 2, 28)) == 59
    assert age_on(date(1964, 2, 29), date(2024, 2, 29)) == 60
    assert age_on(date(1964, 2, 29), date(2025, 3, 1)) == 61


@pytest.mark.parametrize(
    ("payload", "verdict"),
    [
        (OVER_60, ScanVerdict.ID_CARD),
        ("001155004217|||", ScanVerdict.ID_CARD),  # a broken card is still a card: "could not read the card"
        ("1.001193", ScanVerdict.PROCEDURE),
        (portal_url("1.001193"), ScanVerdict.PROCEDURE),
        ("a|b|c|d|e|f|g", ScanVerdict.NOT_A_PROCEDURE),
        ("1|2", ScanVerdict.NOT_A_PROCEDURE),
        (OVER_60 + "\u202e", ScanVerdict.BINARY),
        (OVER_60 + "|" + "x" * 600, ScanVerdict.TOO_LARGE),
    ],
)
def test_a_procedure_sheet_and_an_id_card_are_told_apart(payload: str, verdict: ScanVerdict):
    assert parse_scan(payload, known_codes={"1.001193"}).verdict is verdict
    if verdict not in (ScanVerdict.BINARY, ScanVerdict.TOO_LARGE):
        assert looks_like_id_card(payload) is (verdict is ScanVerdict.ID_CARD)


@pytest.mark.parametrize("payload", [OVER_60 + "\u202e", OVER_60 + "|" + "x" * 600, OVER_60 + "\x00", UNDER_60])
def test_a_hostile_or_refused_card_leaves_nothing_in_the_log(hall, procedures, caplog, payload: str):
    caplog.set_level(logging.DEBUG)
    c, _ = ready_controller(hall, procedures)
    assert c.on_scan(payload.encode(), 1)
    assert c.state.screen is Screen.MESSAGE
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records and "Phượng" not in logged and "001151004217" not in logged and "14021951" not in logged


class Recorder:
    def __init__(self) -> None:
        self.requests: list = []

    def take(self, request) -> None:
        self.requests.append(request)

    def reprint(self, result) -> None:
        pass

    def cancel(self, result, reason) -> None:
        pass


def scan_through_the_camera(payload: str, tmp_path: Path) -> bytes:
    """The card's QR as a picture, read by the kiosk's own scanner thread through the camera seam."""
    seen: list[bytes] = []
    scanner = Scanner(FileCamera([qr_png(payload, tmp_path / "card.png", scale=4)]), seen.append, cooldown_s=0.0)
    scanner.start()
    try:
        deadline = time.monotonic() + 10
        while not seen:
            assert time.monotonic() < deadline, "the card was not read"
            time.sleep(0.02)
    finally:
        scanner.stop()
    return seen[0]


def ready_controller(hall, procedures, **kwargs) -> tuple[Controller, Recorder]:
    effects = Recorder()
    c = Controller(effects, tap_guard_s=0, today=lambda: TODAY, **kwargs)
    c.on_connection(True)
    c.on_camera(True)
    c.on_catalogue(sample_view(hall, procedures), 0)
    return c, effects


@pytest.mark.parametrize(
    ("payload", "screen", "title"),
    [
        (OVER_60, Screen.ID_CARD, None),
        (EXACTLY_60, Screen.ID_CARD, None),
        (UNDER_60, Screen.MESSAGE, "Chưa thuộc diện người cao tuổi"),
        (card(date(1955, 3, 1), number="00115500421"), Screen.MESSAGE, "Không đọc được thẻ căn cước"),
        (card(date(2030, 1, 1), issued=date(2021, 1, 1)), Screen.MESSAGE, "Không đọc được thẻ căn cước"),
        (card(date(1955, 3, 1), name="<img src=x onerror=alert(1)>"), Screen.MESSAGE, "Không đọc được thẻ căn cước"),
    ],
)
def test_a_scanned_card_offers_the_elderly_priority_or_says_why_not(
    hall, procedures, tmp_path, payload: str, screen: Screen, title: str | None
):
    payload_read = scan_through_the_camera(payload, tmp_path)
    assert payload_read == payload.encode()  # Vietnamese names come back byte for byte (zbar's binary mode)
    c, _ = ready_controller(hall, procedures)
    assert c.on_scan(payload_read, 1)
    assert c.state.screen is screen
    if title is not None:
        assert c.state.message is not None and c.state.message.title == title
    c.action(Action("back"), 2)
    assert c.state.screen is Screen.HOME


def test_confirmed_priority_from_the_card_goes_with_the_next_ticket(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.on_scan(OVER_60.encode(), 1)
    c.action(Action("idcard_accept"), 2)
    assert c.state.screen is Screen.MESSAGE and c.state.message.title == "Đã nhận ưu tiên người cao tuổi"
    c.action(Action("back"), 3)
    c.action(Action("service", "ho-tich"), 4)
    c.action(Action("take", "ho-tich"), 5)
    assert c.state.screen is Screen.WORKING  # no priority screen: the citizen already chose
    assert effects.requests[-1].priority is PriorityCategory.ELDERLY
    c.action(Action("done"), 6)
    c.action(Action("take", "ho-tich"), 7)
    assert c.state.screen is Screen.PRIORITY  # the next citizen starts afresh


def test_a_card_on_the_priority_screen_takes_the_ticket_at_once_and_no_declines(hall, procedures):
    c, effects = ready_controller(hall, procedures)
    c.action(Action("take", "ho-tich"), 1)
    c.on_scan(OVER_60.encode(), 2)
    assert c.state.screen is Screen.ID_CARD
    c.action(Action("idcard_decline"), 3)
    assert c.state.screen is Screen.PRIORITY and not effects.requests
    c.on_scan(OVER_60.encode(), 4)
    c.action(Action("idcard_accept"), 5)
    assert c.state.screen is Screen.WORKING
    assert effects.requests[-1].priority is PriorityCategory.ELDERLY


def test_the_offer_and_its_privacy_note_fit_every_screen(hall, procedures):
    pygame.display.init()
    try:
        for lang in ("vi", "en"):
            for width, height in ((800, 480), (1024, 600), (1920, 1080)):
                c, _ = ready_controller(hall, procedures)
                if lang == "en":
                    c.action(Action("lang"), 0)
                c.on_scan(OVER_60.encode(), 1)
                surface = pygame.Surface((width, height))
                painter = Painter(surface)
                draw_screen(ScreenContext(painter, c.state, now=_now(), zone=hall.hall.zone, keyboard="qwerty"))
                path = OUTPUT / "screens" / f"id-card-{lang}-{width}x{height}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(surface, str(path))
                drawn = " ".join(t.text for t in painter.texts)
                assert ("13/2023/NĐ-CP" in drawn) and not any(t.truncated for t in painter.texts)
                assert {h.action.kind for h in painter.hits} >= {"idcard_accept", "idcard_decline"}
                assert all(painter.screen.contains_rect(h.rect) for h in painter.hits)
                assert all(min(h.rect.w, h.rect.h) >= 44 * min(1.0, painter.scale / 0.78) for h in painter.hits)
    finally:
        pygame.display.quit()


def _now() -> datetime:
    return datetime(2026, 11, 23, 1, 5, tzinfo=UTC)


def test_nothing_of_the_card_is_logged_stored_printed_or_sent(
    coordinator, broker, clock, sessions, hall, tmp_path, caplog
):
    """A full flow with the real kiosk, broker and coordinator: card scanned by the camera seam, priority
    accepted, ticket taken and printed. The card's number, name and birth date appear in no log record (DEBUG),
    no MQTT message, no database row and no printed page."""
    caplog.set_level(logging.DEBUG)
    born = clock.now().date().replace(year=clock.now().year - 70)
    payload = card(born)
    secrets = [payload.split("|")[0], NAME, f"{born:%d%m%Y}", "Phượng", ADDRESS]
    seen: list[bytes] = []
    monitor = sessions("admin")  # reads the hall's every topic
    monitor.subscribe(Topics(hall.hall.site).everything(), lambda inbound: seen.append(inbound.payload))
    app = KioskApp(kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"), request_timeout_s=3.0), clock=clock)
    app.start()
    try:
        run_until(app, lambda: app.controller.state.screen is Screen.HOME, what="home screen")
        qr_png(payload, tmp_path / "drop" / "card.png", scale=4)
        run_until(app, lambda: app.controller.state.screen is Screen.ID_CARD, what="the elderly offer")
        app.screenshot(OUTPUT / "e2e-id-card.png")
        app.controller.action(Action("idcard_accept"), time.monotonic())
        app.controller.action(Action("take", "ho-tich"), time.monotonic())
        run_until(app, lambda: app.controller.state.screen is Screen.TICKET, what="ticket")
        printed = list((tmp_path / "printed").iterdir())
    finally:
        app.stop()
    db = open_readonly(coordinator.store.path)
    try:
        rows = [tuple(row) for table in ("tickets", "events") for row in db.execute(f"SELECT * FROM {table}")]
        assert [row[0] for row in db.execute("SELECT priority FROM tickets")] == ["elderly"]
    finally:
        db.close()
    stored = repr(rows)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    sent = b"\n".join(seen).decode("utf-8", "replace")
    paper = b"".join(path.read_bytes() for path in printed).decode("latin-1")
    assert "priority: elderly, from ID card" in logged
    assert '"priority":"elderly"' in sent.replace(" ", "") and rows and printed  # the monitor saw the request
    for secret in secrets:
        for where, content in (("log", logged), ("MQTT", sent), ("database", stored), ("printed", paper)):
            assert secret not in content, f"{secret!r} found in the {where}"
