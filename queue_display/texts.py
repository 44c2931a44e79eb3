"""What the board says, in Vietnamese and English (pure).

All text is NFC-normalised before it reaches the screen: the bundled font has precomposed glyphs for every
Vietnamese letter, and a decomposed "ầ" (a + ̂ + ̀) would otherwise be drawn with misplaced marks.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from motcua.language import weekday_name
from motcua.text import nfc

#: The board's language: one of `motcua.language.Language`, or both ("vi+en").
Language = Literal["vi", "en", "vi+en"]


LABELS: dict[str, tuple[str, str]] = {
    # key: (Vietnamese, English)
    "call_title": ("MỜI CÔNG DÂN CÓ SỐ", "NOW CALLING"),
    "recall_title": ("GỌI LẠI SỐ", "CALLING AGAIN"),
    "recall_mark": ("gọi lại", "again"),
    "coordinator_down": ("⚠ Hệ thống gọi số tạm dừng", "⚠ Calling system stopped"),
    "closed_now": ("Ngoài giờ làm việc", "Closed now"),
    "no_call": ("Chưa gọi số nào", "No number called yet"),
    "recent_title": ("Các số vừa gọi", "Recently called"),
    "counters_title": ("Quầy đang phục vụ", "Counters now serving"),
    "services_title": ("Số người đang chờ", "People waiting"),
    "disconnected": ("⚠ Mất kết nối", "⚠ Disconnected"),
    "connecting": ("Đang kết nối tới hệ thống…", "Connecting to the hall system…"),
    "waiting_board": ("Đang chờ dữ liệu từ hệ thống…", "Waiting for the hall system…"),
    "paused": ("Tạm dừng", "Paused"),
    "no_counter_open": ("Chưa có quầy mở", "No counter open"),
    "minutes": ("phút", "min"),
}

_DEFAULT_COUNTER_NAME = re.compile(r"^Quầy(?: số)? (\d+)$")


def label(key: str, language: Language) -> str:
    vi, en = LABELS[key]
    if language == "vi":
        return vi
    if language == "en":
        return en
    return f"{vi} · {en}" if vi != en else vi


def clock_text(local: datetime, language: Language, *, seconds: bool = False) -> str:
    """ "Thứ Hai, 23/11/2026 08:15" (English: "Monday, 23/11/2026 08:15"; day first, as in Vietnam)."""
    time_format = "%H:%M:%S" if seconds else "%H:%M"
    return f"{weekday_name(local.weekday(), language)}, {local:%d/%m/%Y} {local.strftime(time_format)}"


def counter_name(name: str, number: int, language: Language) -> str:
    """The hall's counter name; the default "Quầy N" becomes "Counter N" in English."""
    if language == "en" and _DEFAULT_COUNTER_NAME.match(nfc(name)):
        return f"Counter {number}"
    return nfc(name)


def minutes(value: int, language: Language) -> str:
    unit = LABELS["minutes"][1 if language == "en" else 0]
    return f"≈ {value} {unit}"
