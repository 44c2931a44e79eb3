"""A hall in trouble says so on the kiosk's first screen (issue 18.2): the coordinator stopped (its retained status
says offline), the printer out of paper, the hall closed ("mở lại lúc 13:30"). What cannot work is disabled, and
the citizen is told what still works and what to do."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pygame
import pytest
from kiosk_support import OUTPUT, sample_view

from kiosk.model import PrinterStatus
from kiosk.ui.controller import Action, Controller, Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
NOON = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday 12:00: closed until 13:30


class Recorder:
    def __init__(self) -> None:
        self.taken: list[object] = []

    def take(self, request: object) -> None:
        self.taken.append(request)

    def reprint(self, result: object) -> None:
        pass

    def cancel(self, result: object, reason: str) -> None:
        pass


@pytest.fixture(scope="module")
def display():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    yield
    pygame.display.quit()


def kiosk(hall, procedures, **view):
    effects = Recorder()
    c = Controller(effects, tap_guard_s=0)
    c.on_connection(True)
    c.on_coordinator(True)
    c.on_printer(PrinterStatus.OK)
    c.on_camera(True)
    c.on_catalogue(sample_view(hall, procedures, **view), 0.0)
    return c, effects


def draw(c: Controller, name: str, now: datetime = MORNING, size=(1024, 600)) -> Painter:
    surface = pygame.Surface(size)
    painter = Painter(surface)
    draw_screen(ScreenContext(painter, c.state, now=now, zone=ZONE, keyboard="qwerty"))
    (OUTPUT / "screens").mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(OUTPUT / "screens" / f"{name}-{size[0]}x{size[1]}.png"))
    return painter


def texts(painter: Painter) -> str:
    return " | ".join(d.text for d in painter.texts)


@pytest.mark.parametrize(
    ("trouble", "words"),
    [
        ("coordinator", ["Tạm thời chưa lấy số được", "Hệ thống cấp số đang tạm dừng", "xin mời đến quầy"]),
        ("printer", ["Tạm thời chưa lấy số được", "hết giấy", "xin mời báo cán bộ"]),
        ("offline", ["Tạm thời chưa lấy số được", "mất kết nối", "xin mời đến quầy"]),
    ],
)
def test_a_kiosk_that_cannot_issue_says_why_on_home_and_disables_take(display, hall, procedures, trouble, words):
    c, effects = kiosk(hall, procedures)
    assert "Tạm thời" not in texts(draw(c, "home-ok"))
    if trouble == "coordinator":
        c.on_coordinator(False)
    elif trouble == "printer":
        c.on_printer(PrinterStatus.NO_PAPER)
    else:
        c.on_connection(False)
    assert c.state.blocked == trouble
    home = draw(c, f"home-{trouble}-down-vi")
    shown = texts(home)
    for word in words:
        assert word in shown, (word, shown)
    assert "Ông/Bà vẫn xem được thủ tục" in shown
    assert any(h.action.kind == "service" for h in home.hits)  # procedures can still be read
    c.action(Action("service", "ho-tich"), 1.0)
    service = draw(c, f"service-{trouble}-down-vi")
    assert not any(h.action.kind == "take" for h in service.hits)
    assert "TẠM DỪNG LẤY SỐ" in texts(service)
    c.action(Action("procedure", "1.001193"), 2.0)
    assert not any(h.action.kind == "take" for h in draw(c, f"procedure-{trouble}-down-vi").hits)
    assert c.take_now("ho-tich", None, 3.0) is False and effects.taken == []
    assert c.state.screen is Screen.MESSAGE


def test_a_closed_hall_says_when_it_opens_again(display, hall, procedures):
    every = tuple(s.id for s in hall.services)
    c, _ = kiosk(hall, procedures, closed=every)
    shown = texts(draw(c, "home-closed-vi", now=NOON))
    assert "Ngoài giờ làm việc — mở lại lúc 13:30" in shown
    assert "Chạm" not in shown and "để lấy số" not in shown
    c.action(Action("lang"), 1.0)
    assert "Closed — open again at 13:30" in texts(draw(c, "home-closed-en", now=NOON))


def test_the_kiosk_follows_the_coordinators_retained_status(broker, hall, procedures, sessions, tmp_path):
    """The coordinator's retained status, through the broker's ACL, reaches the kiosk's home screen."""
    from kiosk_support import kiosk_config, run_until, sample_catalogue

    from kiosk.app import KioskApp

    coordinator = sessions("coordinator", role="coordinator")  # says online (retained) on connect
    coordinator.publish(coordinator.topics.catalogue(), sample_catalogue(hall, procedures), retain=True)
    app = KioskApp(kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"))).start()
    try:
        run_until(app, lambda: app.controller.state.coordinator_online is True, what="coordinator online")
        run_until(app, lambda: app.controller.state.screen is Screen.HOME, what="home")
        coordinator.stop()  # a clean stop says offline (retained), as its last will would
        run_until(app, lambda: app.controller.state.coordinator_online is False, what="coordinator offline")
        assert app.status()["coordinator"] is False
        app.step(0)
        assert "Hệ thống cấp số đang tạm dừng" in texts(app.painter)
    finally:
        app.stop()


def test_a_kiosk_without_a_camera_invites_no_scan_and_says_so(hall, procedures, tmp_path):
    """Issue 18.7: a kiosk with no camera said "Đưa mã QR vào trước camera" and reported camera: true."""
    from kiosk_support import kiosk_config, run_until

    from kiosk.app import KioskApp
    from kiosk.catalogue import CatalogueView

    app = KioskApp(kiosk_config(tmp_path, camera="none")).start()
    try:
        app.controller.on_catalogue(CatalogueView(sample_catalogue_of(hall, procedures)), 0.0)
        run_until(app, lambda: app.controller.state.screen is Screen.HOME, what="home")
        app.step(0)
        assert "camera" not in texts(app.painter)
        assert app.status()["camera"] is False and app.status()["camera_fitted"] is False
    finally:
        app.stop()


def sample_catalogue_of(hall, procedures):
    from kiosk_support import sample_catalogue

    return sample_catalogue(hall, procedures)


def test_the_english_procedure_screen_says_what_is_vietnamese_only(display, hall, procedures):
    c, _ = kiosk(hall, procedures)
    c.action(Action("lang"), 0.0)
    c.action(Action("procedure", "1.001193"), 1.0)
    shown = texts(draw(c, "procedure-en"))
    assert "in Vietnamese only" in shown and "Documents to bring" in shown
    assert "Field (Vietnamese): Hộ tịch" in shown
