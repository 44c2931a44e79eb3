"""The kiosk's pure parts stay pure (kiosk.model, kiosk.events, kiosk.ui.controller), and the texts and the
request context they carry."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk import i18n
from kiosk.i18n import TEXTS, Lang
from kiosk.model import DEFAULT_THANKS, TicketHeader, thanks_line
from kiosk.ticket import render_ticket
from motcua.contract import PriorityCategory, TicketInfo

HEAVY = ("paho", "escpos", "usb", "PIL", "numpy", "pygame", "cv2", "pyzbar", "serial", "segno")


@pytest.mark.parametrize("module", ["kiosk.model", "kiosk.events", "kiosk.ui.controller"])
def test_importing_the_pure_kiosk_modules_loads_no_io_library(module: str):
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", f"{module} loads {done.stdout.strip()}"


def test_the_thanks_line_is_the_halls_own_in_every_language():
    english = TEXTS["ticket_thanks"][1]
    assert thanks_line(DEFAULT_THANKS, None, Lang.VI, english) == "Xin cảm ơn!"
    assert thanks_line(DEFAULT_THANKS, None, Lang.EN, english) == "Thank you!"  # the default line, translated
    own = "Cảm ơn quý khách đã đến Bộ phận Một cửa phường Hòa Bình!"
    assert thanks_line(own, None, Lang.VI, english) == own
    assert thanks_line(own, None, Lang.EN, english) == own  # English no longer drops the hall's line
    assert thanks_line(own, "Thank you for visiting Hoa Binh ward!", Lang.EN, english).startswith("Thank you for")


@pytest.mark.parametrize("lang", list(Lang))
def test_every_printed_sentence_comes_from_i18n(lang: Lang, monkeypatch):
    asked: list[str] = []
    real = i18n.text

    def spy(key: str, language: Lang, **values: object) -> str:
        asked.append(key)
        return real(key, language, **values)

    monkeypatch.setattr(i18n, "text", spy)
    ticket = TicketInfo(
        id="20261123-1001",
        label="1001",
        number=1001,
        service="ho-tich",
        service_name="Hộ tịch – Nuôi con nuôi",
        issued_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        counters=[1, 2],
        people_ahead=3,
        estimated_wait_min=12,
        priority=PriorityCategory.ELDERLY,
    )
    header = TicketHeader("Bộ phận Một cửa phường Hòa Bình", "0214 3 000 000", "Xin cảm ơn!")
    render_ticket(ticket, header, width=576, zone=ZoneInfo("Asia/Ho_Chi_Minh"), lang=lang)
    printed = {key for key in TEXTS if key.startswith("ticket_") and key != "ticket_thanks"}
    assert printed <= set(asked), f"not through kiosk.i18n: {sorted(printed - set(asked))}"
