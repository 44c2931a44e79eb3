"""The kiosk as a whole, against the real broker and coordinator: a citizen scans a procedure sheet, reads it,
takes a ticket, the ticket is printed and the coordinator has it; the faults a citizen can meet; and the
`motcua kiosk` process driven through its control socket, as the demo does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygame
import pytest
from kiosk_support import OUTPUT, ROOT, kiosk_config, portal_url, qr_png, run_until
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from coordinator.store import open_readonly
from kiosk.app import KioskApp
from kiosk.ui.controller import Screen
from motcua.clock import clock_spec
from motcua.contract import DeviceState, DeviceStatus, parse
from motcua.simcontrol import send_control

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]  # slow: the kiosk as its own process


def tickets(coordinator) -> list[tuple[str, str, str | None]]:
    db = open_readonly(coordinator.store.path)
    try:
        return [(r["label"], r["status"], r["procedure"]) for r in db.execute("SELECT * FROM tickets ORDER BY seq")]
    finally:
        db.close()


def screen(app: KioskApp) -> Screen:
    return app.controller.state.screen


def touch(app: KioskApp, kind: str, arg: str | None = None) -> None:
    """A finger on the button with this action, through SDL's event queue like a real touch."""
    app.step(0)
    hit = next(h for h in app.painter.hits if h.action.kind == kind and (arg is None or h.action.arg == arg))
    app.controller.screen_since -= 1.0  # a citizen takes more than the tap guard to read a screen
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=hit.rect.center, button=1))
    app.step(0)


def qr_ids(path: Path) -> list[bytes]:
    gray = np.array(Image.open(path).convert("L"))
    return [s.data for s in zbar_decode(gray, symbols=[ZBarSymbol.QRCODE])]


@pytest.fixture
def app_factory(broker, clock, tmp_path):
    started: list[KioskApp] = []

    def make(**kwargs) -> KioskApp:
        config = kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"), **kwargs)
        app = KioskApp(config, clock=clock).start()
        started.append(app)
        return app

    yield make
    for app in started:
        app.stop()


def test_scan_a_sheet_read_the_procedure_take_a_ticket(coordinator, app_factory, tmp_path):
    app = app_factory(request_timeout_s=3.0)
    run_until(app, lambda: screen(app) is Screen.HOME, what="home screen")
    qr_png(portal_url("1.001193"), tmp_path / "drop" / "sheet.png")
    run_until(app, lambda: screen(app) is Screen.PROCEDURE, what="procedure screen")
    assert app.controller.state.procedure_code == "1.001193"
    app.screenshot(OUTPUT / "e2e-procedure.png")
    touch(app, "take", "1.001193")
    assert screen(app) is Screen.PRIORITY
    touch(app, "priority", "elderly")
    run_until(app, lambda: screen(app) is Screen.TICKET, what="ticket screen")
    app.screenshot(OUTPUT / "e2e-ticket.png")
    result = app.controller.state.result
    assert result is not None and result.ticket is not None
    assert result.ticket.label == "1001" and result.ticket.procedure == "1.001193"
    assert tickets(coordinator) == [("1001", "waiting", "1.001193")]
    saved = app.printer.simulated.saved
    assert len(saved) == 1 and qr_ids(saved[0]) == [b"20261123-1001"]
    assert Image.open(saved[0]).width == 576
    touch(app, "done")
    assert screen(app) is Screen.HOME


def test_coordinator_down_shows_a_message_and_prints_nothing(broker, app_factory, tmp_path, hall, procedures):
    from kiosk_support import sample_catalogue

    # a catalogue kept from an earlier run: the kiosk can show procedures while the coordinator is down
    state = tmp_path / "state"
    state.mkdir()
    (state / "catalogue.json").write_bytes(sample_catalogue(hall, procedures).to_bytes())
    app = app_factory(request_timeout_s=0.5)
    run_until(app, lambda: screen(app) is Screen.HOME and app.controller.state.connected, what="home, connected")
    touch(app, "service", "chung-thuc")
    touch(app, "take", "chung-thuc")
    touch(app, "priority", "none")
    run_until(app, lambda: screen(app) is Screen.MESSAGE, what="message")
    assert "không trả lời kịp" in app.controller.state.message.body
    app.screenshot(OUTPUT / "e2e-coordinator-down.png")
    assert app.printer.simulated.tickets == []
    assert [e.state for e in app.journal.entries()] == ["cancel"]  # in case the request is delivered later


def test_a_broken_printer_is_reprinted_or_the_number_kept_on_screen(coordinator, app_factory):
    app = app_factory()
    run_until(app, lambda: screen(app) is Screen.HOME and app.controller.state.printer.value == "ok")
    device = app.printer.simulated
    original = type(device)

    class JamsOnce(original):  # the paper jams on the next ticket
        def _raw(self, msg: bytes) -> None:
            if len(msg) > 100:
                self.state = "no_paper"
            super()._raw(msg)

    device.__class__ = JamsOnce
    assert app.controller.take_now("ho-tich", None, time.monotonic())
    run_until(app, lambda: screen(app) is Screen.PRINT_FAILED, what="print failed screen")
    app.screenshot(OUTPUT / "e2e-print-failed.png")
    assert tickets(coordinator) == [("1001", "waiting", None)]
    device.__class__ = original
    device.state = "ok"
    touch(app, "reprint")
    run_until(app, lambda: screen(app) is Screen.TICKET, what="reprinted")
    assert [qr_ids(p) for p in device.saved] == [[b"20261123-1001"]]
    # once more, and this time the citizen gives up
    device.__class__ = JamsOnce
    app.controller.state.screen = Screen.HOME
    assert app.controller.take_now("ho-tich", None, time.monotonic())
    run_until(app, lambda: screen(app) is Screen.PRINT_FAILED)
    app.step(0)
    assert "1002" in [d.text for d in app.painter.texts]  # the number, large, on its own
    touch(app, "done")  # the citizen remembers the number and walks away: it stands
    run_until(app, lambda: screen(app) is Screen.HOME, what="home")
    assert app.journal.entries() == []  # nothing left to cancel, even after a restart
    assert tickets(coordinator) == [("1001", "waiting", None), ("1002", "waiting", None)]


def test_bad_qr_codes_get_a_polite_message(coordinator, app_factory, tmp_path):
    app = app_factory()
    run_until(app, lambda: screen(app) is Screen.HOME)
    qr_png("https://evil.example/login?ma_thu_tuc=1.001193", tmp_path / "drop" / "phish.png")
    run_until(app, lambda: screen(app) is Screen.MESSAGE, what="message")
    assert "không phải Cổng Dịch vụ công" in app.controller.state.message.body
    touch(app, "home")
    qr_png("9.999999", tmp_path / "drop" / "other-hall.png")
    run_until(app, lambda: screen(app) is Screen.MESSAGE)
    assert "9.999999" in app.controller.state.message.body
    assert tickets(coordinator) == []


def _wait_socket(path: Path, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                if send_control(path, "status", timeout=2).get("catalogue"):
                    return
            except OSError:
                pass
        assert process.poll() is None, "the kiosk process exited"
        time.sleep(0.1)
    raise AssertionError("the kiosk's control socket did not come up")


def test_motcua_kiosk_runs_headless_and_obeys_its_control_socket(coordinator, broker, clock, sessions, tmp_path):
    socket_path = tmp_path / "kiosk.sock"
    settings = broker.settings("kiosk-1")
    config = tmp_path / "kiosk-1.toml"
    config.write_text(
        f"""
state_dir = "state"
control_socket = "{socket_path}"

[device]
id = "kiosk-1"
site = "phuong-hoa-binh"

[mqtt]
host = "127.0.0.1"
port = {settings.port}
password = "{settings.resolved_password()}"

[screen]
width = 800
height = 480
driver = "dummy"

[printer]
connection = "dummy"
paper = "58mm"
save_dir = "printed"

[camera]
source = "files"
drop_folder = "drop"
""",
        encoding="utf-8",
    )
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", MOTCUA_CLOCK=clock_spec(clock.start, clock.speed, clock.anchor))
    log = (tmp_path / "kiosk.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "kiosk", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    statuses: list[DeviceStatus] = []
    watcher = sessions("admin")
    watcher.subscribe(
        watcher.topics.device_status("kiosk-1"), lambda m: statuses.append(parse(DeviceStatus, m.payload))
    )
    try:
        _wait_socket(socket_path, process)
        status = send_control(socket_path, "status")
        assert status["screen"] == "home" and status["connected"] and status["printer"] == "ok"
        sheet = qr_png("1.000894", tmp_path / "sheet.png")
        assert send_control(socket_path, "scan", sheet)["ok"]
        deadline = time.monotonic() + 10
        while send_control(socket_path, "status")["screen"] != "procedure":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        buttons = send_control(socket_path, "buttons")["buttons"]
        take = next(b for b in buttons if b["action"] == "take")
        x, y, w, h = take["rect"]
        time.sleep(0.9)  # longer than the tap guard
        tapped = send_control(socket_path, "tap", x + w // 2, y + h // 2)
        assert tapped["screen"] == "priority"
        pressed = send_control(socket_path, "press", "priority", "pregnant")
        assert pressed["button"] == "Phụ nữ mang thai"
        deadline = time.monotonic() + 10
        while send_control(socket_path, "status")["screen"] != "ticket":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        shot = send_control(socket_path, "screenshot", OUTPUT / "process-ticket-800x480.png")
        assert Image.open(shot["path"]).size == (800, 480)
        taken = send_control(socket_path, "take", "tra-ket-qua", "elderly")
        assert taken["outcome"] == "printed" and taken["label"] == "6001"
        assert send_control(socket_path, "printer", "no_paper")["printer"] == "no_paper"
        refused = send_control(socket_path, "take", "tra-ket-qua")
        assert refused["ok"] is False and "hết giấy" in refused["message"]
        assert send_control(socket_path, "nonsense")["ok"] is False
        assert [t[0] for t in tickets(coordinator)] == ["1001", "6001"]
        printed = sorted((tmp_path / "printed").glob("*.png"))
        assert [qr_ids(p) for p in printed] == [[b"20261123-1001"], [b"20261123-6001"]]
        assert all(Image.open(p).width == 384 for p in printed)
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        log.close()
    assert statuses and statuses[-1].state is DeviceState.OFFLINE
    assert not socket_path.exists()
    journal = json.loads((tmp_path / "state" / "requests.json").read_text())
    assert journal["requests"] == {}


def test_missing_printer_and_camera_are_shown_and_no_ticket_is_asked_for(coordinator, broker, clock, tmp_path):
    from kiosk.config import CameraSection, PrinterSection

    base = kiosk_config(tmp_path, mqtt=broker.settings("kiosk-1"), control_socket=tmp_path / "kiosk.sock")
    config = base.model_copy(
        update={
            "printer": PrinterSection(connection="usb", usb_vendor_id=0xDEAD, usb_product_id=0xBEEF, settle_s=0),
            "camera": CameraSection(source="v4l2", index=63, retry_s=60),
        }
    )
    app = KioskApp(config, clock=clock).start()
    try:
        run_until(
            app,
            lambda: app.controller.state.printer.value == "unplugged" and app.controller.state.camera_ok is False,
            what="printer and camera reported missing",
        )
        run_until(app, lambda: screen(app) is Screen.HOME)
        app.screenshot(OUTPUT / "e2e-printer-unplugged.png")
        assert not (tmp_path / "kiosk.sock").exists()  # real hardware: no control socket
        assert not app.controller.take_now("chung-thuc", None, time.monotonic())
        assert "mất kết nối máy in" in app.controller.state.message.body
        assert tickets(coordinator) == []
    finally:
        app.stop()
