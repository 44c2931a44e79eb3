"""The languages people read, and the names of the days, in one place for every device and report.

Citizens, officers and managers read Vietnamese (full diacritics, NFC); English is an option everywhere.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    """What a citizen, officer or manager reads: Vietnamese (tiếng Việt), or English on request.

    A `StrEnum`: ``Language.VI == "vi"``, so it is written in config files and compared as its plain value.
    """

    VI = "vi"
    EN = "en"


#: Monday first, as `date.weekday()` counts.
VIETNAMESE_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
ENGLISH_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_name(weekday: int, language: Language | str) -> str:
    """ "Thứ Hai" / "Monday" for `weekday` 0 (``date.weekday()``)."""
    return (ENGLISH_WEEKDAYS if language == Language.EN else VIETNAMESE_WEEKDAYS)[weekday]
