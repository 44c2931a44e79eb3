"""No personal data in the kiosk's journal (issue 19 item 7).

Citizens hold up whatever QR code is at hand; the one on a chip ID card (CCCD) carries the ID number, the old ID
number, the name, the birth date, the sex, the address and the issue date. Decree 13/2023/NĐ-CP (personal data
protection) allows processing only what the purpose needs: the kiosk needs a procedure code, so its log keeps the
verdict, a reason in fixed words and the length, for every scan, and never the text or a piece of it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from kiosk_support import portal_url, qr_png, sample_view

from kiosk.camera import FileCamera
from kiosk.model import PrinterStatus
from kiosk.scanner import Scanner
from kiosk.ui.controller import Controller, Screen

ID_CARD = "001234567890|123456789|Nguyễn Văn An|01011950|Nam|12 Lê Lợi, Phường Hòa Bình|15082021"
ID_CARD_PIECES = ("001234567890", "123456789", "Nguyễn", "Văn An", "01011950", "12 Lê Lợi", "15082021")


class NoEffects:
    def take(self, request: object) -> None:
        raise AssertionError("a scan must not take a ticket")

    def reprint(self, result: object) -> None:
        raise AssertionError("a scan must not reprint")

    def cancel(self, result: object, reason: str) -> None:
        raise AssertionError("a scan must not cancel")


@pytest.fixture
def controller(hall, procedures):
    kiosk = Controller(NoEffects(), idle_timeout_s=60, ticket_screen_s=20, tap_guard_s=0.3)
    kiosk.on_connection(True)
    kiosk.on_printer(PrinterStatus.OK)
    kiosk.on_catalogue(sample_view(hall, procedures), 0.0)
    return kiosk


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the records would put in a journal: the formatted message, its arguments, any traceback."""
    parts = []
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or "", str(record.exc_info or "")]
    return "\n".join(parts)


def test_an_id_card_held_to_the_real_scanner_leaves_only_verdict_reason_and_length(
    controller: Controller, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)  # the most a technician could turn on
    camera = FileCamera()
    payloads: list[bytes] = []
    lock = threading.Lock()

    def on_payload(payload: bytes) -> None:  # what kiosk.app does, minus the event queue
        with lock:
            payloads.append(payload)
            controller.on_scan(payload, 1.0 + len(payloads))

    scanner = Scanner(camera, on_payload, cooldown_s=0.0)
    scanner.start()
    try:
        camera.push(qr_png(ID_CARD, tmp_path / "scan-0.png", error="l"))
        camera.push(qr_png(portal_url("1.001193"), tmp_path / "scan-1.png"))
        deadline = time.monotonic() + 15
        while len(payloads) < 2:
            assert time.monotonic() < deadline, "the scanner did not read both codes"
            time.sleep(0.02)
    finally:
        scanner.stop()

    assert payloads[0] == ID_CARD.encode()  # the real decoder read the card's text...
    text = logged_text(caplog)
    for piece in ID_CARD_PIECES:
        assert piece not in text  # ...and nothing of it reached a log record
    # the kiosk tells a chip ID card from other text (kiosk.idcard) and logs only its verdict and a fixed reason
    assert "ID card scanned: implausible (number does not match the year of birth)" in text
    assert "scan accepted: procedure 1.001193" in text  # every scan is logged, the accepted one too
    assert controller.state.screen is Screen.PROCEDURE


@pytest.mark.parametrize(
    ("payload", "secret", "verdict"),
    [
        ("Trần Thị Bình, 0912345678, 45 Nguyễn Huệ", "0912345678", "not_a_procedure"),
        ("https://an-nguyen-01011950.example/ho-so?cccd=001234567890", "01011950", "other_site"),
        ("cccd001234567890://the-card", "001234567890", "other_site"),  # the parser quotes the scheme
        ("https://dichvucong.gov.vn:1950/?ma_thu_tuc=1.001193", "1950", "other_site"),  # ... the port
        ("https://dichvucong.gov.vn:An0912345678/", "0912345678", "not_a_procedure"),  # ... the parse error
        ("<b>Nguyễn Văn An</b>", "Nguyễn", "script"),
        ("Nguyễn Văn An\x07", "Nguyễn", "binary"),
        ("Nguyễn Văn An " * 60, "Nguyễn", "too_large"),
    ],
)
def test_a_refused_scan_logs_no_piece_of_its_text(
    controller: Controller, caplog: pytest.LogCaptureFixture, payload: str, secret: str, verdict: str
):
    caplog.set_level(logging.DEBUG)
    raw = payload.encode()
    assert controller.on_scan(raw, 1.0)
    assert controller.state.screen is Screen.MESSAGE
    text = logged_text(caplog)
    assert secret not in text
    assert f"scan refused: {verdict} (" in text and f"), {len(raw)} bytes" in text
