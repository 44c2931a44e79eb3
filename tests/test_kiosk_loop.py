"""The kiosk's event loop (kiosk.app): it sleeps on its own inbox, not in pygame.event.wait (which polls SDL
every millisecond), reads the touchscreen and redraws at most `screen.fps_limit` times a second, and dispatches
typed events."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import pygame
import pytest
from kiosk_support import kiosk_config, run_until, sample_view

from kiosk.app import KioskApp
from kiosk.events import CancelAnswered, ConnectionChanged, TicketDone, Wake
from kiosk.model import CancelAnswer, CancelOutcome, Outcome, TicketResult
from kiosk.ui.controller import Action, Screen
from motcua.contract import TicketInfo

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]  # measures the loop in real time (fps caps, wake-ups)


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pygame.event.wait polls SDL every millisecond: the loop must sleep on its inbox")

    monkeypatch.setattr(pygame.event, "wait", forbidden)
    started: list[KioskApp] = []

    def make(**screen) -> KioskApp:
        app = KioskApp(kiosk_config(tmp_path, camera="none", **screen)).start()
        started.append(app)
        return app

    yield make
    for app in started:
        app.stop()


def counting_pumps(monkeypatch) -> list[float]:
    pumps: list[float] = []
    real = pygame.event.get

    def get(*args, **kwargs):
        pumps.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(pygame.event, "get", get)
    return pumps


def test_an_idle_kiosk_sleeps_and_reads_the_touchscreen_fps_limit_times_a_second(make_app, monkeypatch):
    app = make_app(fps_limit=10)
    app.step(0)
    pumps = counting_pumps(monkeypatch)
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        app.step(0.5)
    assert 8 <= len(pumps) <= 12, f"{len(pumps)} touchscreen reads in 1 s with fps_limit = 10"


def test_news_from_another_thread_wakes_the_loop_at_once(make_app):
    app = make_app(fps_limit=1)  # the touchscreen is read once a second: only the inbox can wake it sooner
    app.step(0)
    app.step(0)
    assert app.controller.state.connected is False
    threading.Timer(0.2, lambda: app._post(ConnectionChanged(True))).start()
    started = time.monotonic()
    while not app.controller.state.connected:
        app.step(0.9)
        assert time.monotonic() - started < 0.6, "the loop did not wake for its inbox"
    assert time.monotonic() - started < 0.5


def test_bursts_of_news_are_drawn_at_most_fps_limit_times_a_second(make_app):
    app = make_app(fps_limit=5)
    app.step(0)
    before = app.frames_drawn
    started = time.monotonic()
    flips = 0
    while time.monotonic() - started < 1.0:
        flips += 1
        app._post(ConnectionChanged(flips % 2 == 0))  # a flapping connection: every event changes the screen
        app.step(0.01)
    drawn = app.frames_drawn - before
    assert flips > 50
    # the bound that matters is the upper one; on a loaded machine one frame may take most of the second
    assert 1 <= drawn <= 7, f"{drawn} frames in 1 s with fps_limit = 5"


def test_a_stop_request_wakes_the_loop_and_draws_nothing(make_app):
    app = make_app()
    run_until(app, lambda: app.frames_drawn > 0)
    app.step(0)
    drawn = app.frames_drawn
    app._post(Wake())
    app.step(0)
    assert app.frames_drawn == drawn
    assert app.controller.state.screen is Screen.LOADING


def test_a_refused_cancel_reaches_the_citizen_through_the_inbox(make_app, hall, procedures):
    app = make_app()
    app.controller.on_catalogue(sample_view(hall, procedures), time.monotonic())
    ticket = TicketInfo(
        id="20261123-1001",
        label="1001",
        number=1001,
        service="ho-tich",
        service_name="Hộ tịch – Nuôi con nuôi",
        issued_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        counters=[2],
        people_ahead=0,
        estimated_wait_min=4,
    )
    failed = TicketResult(Outcome.PRINT_FAILED, uuid.uuid4(), ticket, problem="no_paper")
    app._post(TicketDone(failed))
    app.step(0)
    assert app.controller.state.screen is Screen.PRINT_FAILED
    app.controller.action(Action("cancel_ticket"), time.monotonic())
    app._post(CancelAnswered(CancelAnswer(failed.request_id, CancelOutcome.ALREADY_CALLED)))
    app.step(0)
    assert app.status()["message"].startswith("Số 1001 đã được gọi tại quầy nên không hủy được")
