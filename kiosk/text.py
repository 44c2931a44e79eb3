"""Vietnamese text for citizens: one canonical form, accent-insensitive search, dates and waits as people say them.

Pure functions, no I/O. Everything shown on the screen or printed goes through `motcua.text.nfc` first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, tzinfo

from motcua.language import ENGLISH_WEEKDAYS, VIETNAMESE_WEEKDAYS

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z.]+")


def fold(text: str) -> str:
    """Lower case without tone marks or the stroke of đ: ``"Đăng ký"`` -> ``"dang ky"``.

    What a citizen types on a plain keyboard (no Telex, no VNI) is compared with the folded name.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", bare.lower()).strip()


def words(text: str) -> list[str]:
    """The folded words of `text` (letters, digits and the dot of procedure codes)."""
    return [w for w in _NOT_WORD.split(fold(text)) if w]


def format_datetime(moment: datetime, zone: tzinfo, *, english: bool = False) -> str:
    """``08:05 — Thứ Hai, 23/11/2026`` (Vietnamese order: time, weekday, day/month/year)."""
    local = moment.astimezone(zone)
    names = ENGLISH_WEEKDAYS if english else VIETNAMESE_WEEKDAYS
    return f"{local:%H:%M} — {names[local.weekday()]}, {local:%d/%m/%Y}"


def format_clock(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def format_counters(counters: list[int]) -> str:
    """``1, 2 và 6`` — the counters a citizen may be called to."""
    numbers = [str(c) for c in sorted(set(counters))]
    if len(numbers) <= 1:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + " và " + numbers[-1]


def format_counters_en(counters: list[int]) -> str:
    numbers = [str(c) for c in sorted(set(counters))]
    if len(numbers) <= 1:
        return "".join(numbers)
    return ", ".join(numbers[:-1]) + " and " + numbers[-1]


def format_wait(minutes: int | None, *, english: bool = False) -> str:
    """A rounded, honest estimate: ``khoảng 15 phút``, ``dưới 5 phút``, ``khoảng 1 giờ 20 phút``."""
    if minutes is None:
        return "not available yet" if english else "chưa ước tính được"
    if minutes < 5:
        return "under 5 minutes" if english else "dưới 5 phút"
    rounded = 5 * round(minutes / 5)
    hours, rest = divmod(rounded, 60)
    if english:
        if hours == 0:
            return f"about {rounded} minutes"
        return f"about {hours} h {rest:02d} min" if rest else f"about {hours} h"
    if hours == 0:
        return f"khoảng {rounded} phút"
    return f"khoảng {hours} giờ {rest} phút" if rest else f"khoảng {hours} giờ"


def shorten(text: str, limit: int = 80) -> str:
    """A safe one-line preview of untrusted text for logs: control characters escaped, length capped."""
    preview = text[:limit].encode("unicode_escape").decode("ascii")
    return preview + ("..." if len(text) > limit else "")


_DAY_RANGE = re.compile(r"^(?P<first>[^–:]+?)(?:–(?P<last>[^:]+?))?:\s*(?P<spans>.+)$")
_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*[–-]\s*(\d{1,2}):(\d{2})")


def next_opening(hours: str, now: datetime) -> datetime | None:
    """When a service with these opening hours (as the catalogue describes them: ``"Thứ Hai–Thứ Sáu: 07:30–11:30,
    13:30–17:00; Thứ Bảy: 07:30–11:30"``) opens next after `now` (a local time), within a week; None when the text
    cannot be read or names no hours."""
    week: dict[int, list[int]] = {}
    for part in hours.split(";"):
        match = _DAY_RANGE.match(part.strip())
        if match is None:
            continue
        first = match["first"].strip()
        last = (match["last"] or first).strip()
        if first not in VIETNAMESE_WEEKDAYS or last not in VIETNAMESE_WEEKDAYS:
            continue
        starts = [int(h) * 60 + int(m) for h, m, _, _ in _SPAN.findall(match["spans"])]
        for day in range(VIETNAMESE_WEEKDAYS.index(first), VIETNAMESE_WEEKDAYS.index(last) + 1):
            week.setdefault(day, []).extend(starts)
    if not week:
        return None
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    minute_now = now.hour * 60 + now.minute
    for ahead in range(8):
        day = (now.weekday() + ahead) % 7
        for start in sorted(week.get(day, [])):
            if ahead > 0 or start > minute_now:
                return (midnight + timedelta(days=ahead)).replace(hour=start // 60, minute=start % 60)
    return None


def format_reopening(at: datetime, now: datetime, *, english: bool = False) -> str:
    """``"13:30"`` today, ``"07:30 sáng mai"`` tomorrow, ``"07:30 Thứ Hai"`` later in the week."""
    days = (at.date() - now.date()).days
    if days == 0:
        return f"{at:%H:%M}"
    if days == 1:
        return f"{at:%H:%M} tomorrow" if english else f"{at:%H:%M} ngày mai"
    names = ENGLISH_WEEKDAYS if english else VIETNAMESE_WEEKDAYS
    return f"{at:%H:%M} on {names[at.weekday()]}" if english else f"{at:%H:%M} {names[at.weekday()]}"
