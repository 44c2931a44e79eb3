"""motcua.language: one Language for every device and report, one table of day names."""

from __future__ import annotations

from datetime import date

from motcua.language import ENGLISH_WEEKDAYS, VIETNAMESE_WEEKDAYS, Language, weekday_name


def test_language_is_its_plain_value_in_files_and_comparisons() -> None:
    assert Language("vi") is Language.VI and Language.EN == "en"
    assert f"{Language.VI}" == "vi"


def test_weekday_names_start_on_monday_as_date_weekday() -> None:
    monday = date(2026, 11, 23)
    assert weekday_name(monday.weekday(), Language.VI) == "Thứ Hai"
    assert weekday_name(monday.weekday() + 6, "en") == "Sunday"
    assert VIETNAMESE_WEEKDAYS[5] == "Thứ Bảy" and len(ENGLISH_WEEKDAYS) == len(VIETNAMESE_WEEKDAYS) == 7
