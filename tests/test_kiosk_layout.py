"""Pure parts of the kiosk screen: pages; Vietnamese text folding, search and formatting; the citizen's messages.
(Rectangles, wrapping and fitting: tests/test_text.py.)"""

from __future__ import annotations

import pytest
from kiosk_support import sample_view

from kiosk.i18n import ERROR_MESSAGES, PRIORITY_LABELS, SCAN_MESSAGES, TEXTS, Lang, error_message, text
from kiosk.layout import Block, paginate
from kiosk.qrpayload import ScanVerdict
from kiosk.text import fold, format_counters, format_counters_en, format_datetime, format_wait, shorten, words
from motcua.contract import ErrorCode, PriorityCategory
from motcua.text import nfc


class Mono:
    """Every character is `size // 2` wide; lines are `size + 4` high."""

    def width(self, text: str, size: int) -> int:
        return len(text) * (size // 2)

    def line_height(self, size: int) -> int:
        return size + 4


MONO = Mono()


def test_paginate_keeps_headings_with_their_text_and_continues_long_blocks():
    blocks = [Block("Heading", "heading"), *[Block(f"item {i} " * 3, "bullet") for i in range(6)]]
    pages = paginate(blocks, 80, 60, MONO, size=10, heading_size=12, bullet_indent=8, gap=2)
    assert len(pages) > 1
    for page in pages:
        assert page
        assert all(line.y + MONO.line_height(10) <= 60 + 2 for line in page)
        assert page[-1].kind != "heading"
    assert next(line for page in pages for line in page if line.kind == "bullet" and line.first).indent == 8
    assert paginate([], 80, 60, MONO, size=10, heading_size=12, bullet_indent=8, gap=2) == [[]]


def test_fold_removes_tones_and_the_stroke_of_d():
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("  THỦ   TỤC  ") == "thu tuc"
    assert fold(nfc("Hòa Bình")) == fold("Hoa\u0300 Bi\u0300nh") == "hoa binh"
    assert fold("Ỹ Ợ ầ ế ố ờ") == "y o a e o o"
    assert words("Chứng thực bản sao, 1.001193!") == ["chung", "thuc", "ban", "sao", "1.001193"]


def test_search_finds_accent_free_queries_best_first(hall, procedures):
    view = sample_view(hall, procedures)
    found = view.search("dang ky khai sinh")
    assert found[0].name == "Thủ tục đăng ký khai sinh"
    assert all({"khai", "sinh"} <= set(words(p.name)) for p in found[:3])
    assert any(p.code == "1.004884" for p in found)  # đăng ký lại khai sinh: every word, not the phrase
    assert view.search("DANG KY KET HON")[0].code == "1.000894"
    assert view.search("Đăng ký kết hôn")[0].code == "1.000894"
    assert view.search("ket hon")[0].code == "1.000894"
    assert view.search("1.0011")[0].code == "1.001193"
    assert view.search("chung th")  # a word being typed
    assert view.search("marriage")[0].code == "1.000894"  # English names too
    assert view.search("") == []
    assert view.search("zzzz qqqq") == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("giay khai sinh", "1.001193"),  # a keyword of procedures.toml
        ("lam khai sinh", "1.001193"),  # two words of three
        ("khaisinh", "1.001193"),  # run together
        ("khai sihn", "1.001193"),  # one typo
        ("doc than", "1.004873"),  # what people call "xác nhận tình trạng hôn nhân"
        ("xac nhan doc than", "1.004873"),
        ("khai tu", "1.000656"),  # the plain procedure before "đăng ký lại khai tử"
        ("thu tuc dang ky", "1.001193"),  # only common words: every one must be there
        ("dang ki ket hon", "1.000894"),  # ki for ký
    ],
)
def test_search_finds_what_people_type(hall, procedures, query: str, code: str):
    """Issue 18.4: these found nothing, or the wrong procedure."""
    found = sample_view(hall, procedures).search(query)
    assert found and found[0].code == code, [p.name for p in found[:3]]


def test_search_keywords_come_from_procedures_toml(hall, procedures):
    birth = next(p for p in procedures if p.code == "1.001193")
    assert "giấy khai sinh" in birth.keywords
    assert sample_view(hall, procedures).search("giay khai sinh")[1].code == "2.000635"  # the copy, right after


def test_procedures_are_grouped_by_field_in_the_service_order(hall, procedures):
    view = sample_view(hall, procedures)
    groups = view.procedures_of("lao-dong-xa-hoi")
    names = [g.name for g in groups]
    order = hall.service("lao-dong-xa-hoi").fields
    assert names == [f for f in order if f in names]
    assert sum(len(g.procedures) for g in groups) == sum(p.service == "lao-dong-xa-hoi" for p in procedures)
    assert view.procedures_of("no-such-service") == []


def test_vietnamese_formats():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)
    assert format_datetime(moment, ZoneInfo("Asia/Ho_Chi_Minh")) == "08:05 — Thứ Hai, 23/11/2026"
    assert format_datetime(moment, ZoneInfo("Asia/Ho_Chi_Minh"), english=True) == "08:05 — Monday, 23/11/2026"
    assert format_counters([2, 1, 6]) == "1, 2 và 6"
    assert format_counters([3]) == "3"
    assert format_counters_en([1, 2]) == "1 and 2"
    assert format_wait(None) == "chưa ước tính được"
    assert format_wait(3) == "dưới 5 phút"
    assert format_wait(17) == "khoảng 15 phút"
    assert format_wait(83) == "khoảng 1 giờ 25 phút"
    assert format_wait(120) == "khoảng 2 giờ"
    assert format_wait(83, english=True) == "about 1 h 25 min"
    assert shorten("<script>\x00" + "a" * 200, 10) == "<script>\\x00a..."


def test_every_error_code_and_scan_verdict_has_a_polite_message_in_both_languages():
    for code in ErrorCode:
        assert code in ERROR_MESSAGES
        vi, en = ERROR_MESSAGES[code]
        assert vi and en and vi != en
    for verdict in ScanVerdict:
        assert verdict in SCAN_MESSAGES
    for key in TEXTS:
        assert text(key, Lang.VI) is not None
    assert error_message(ErrorCode.SERVICE_CLOSED, Lang.EN).startswith("This service is closed")


def test_priority_labels_are_the_official_vietnamese_terms():
    assert [PRIORITY_LABELS[c][0] for c in PriorityCategory] == [
        "Người cao tuổi",
        "Người khuyết tật",
        "Phụ nữ mang thai",
        "Người đi cùng trẻ nhỏ",
        "Người có công với cách mạng",
    ]


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_texts_are_nfc(key: str):
    vi, en = TEXTS[key]
    assert nfc(vi) == vi and nfc(en) == en


def test_when_the_hall_opens_again_is_read_from_the_catalogue_hours():
    from datetime import datetime

    from kiosk.text import format_reopening, next_opening

    hours = "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30"
    monday_noon = datetime(2026, 11, 23, 12, 0)
    assert next_opening(hours, monday_noon) == datetime(2026, 11, 23, 13, 30)
    assert format_reopening(datetime(2026, 11, 23, 13, 30), monday_noon) == "13:30"
    friday_evening = datetime(2026, 11, 27, 18, 0)
    assert next_opening(hours, friday_evening) == datetime(2026, 11, 28, 7, 30)
    assert format_reopening(datetime(2026, 11, 28, 7, 30), friday_evening) == "07:30 ngày mai"
    saturday_noon = datetime(2026, 11, 28, 12, 0)
    assert next_opening(hours, saturday_noon) == datetime(2026, 11, 30, 7, 30)
    assert format_reopening(datetime(2026, 11, 30, 7, 30), saturday_noon) == "07:30 Thứ Hai"
    assert format_reopening(datetime(2026, 11, 30, 7, 30), saturday_noon, english=True) == "07:30 on Monday"
    assert next_opening("", monday_noon) is None
    assert next_opening("open when the officer arrives", monday_noon) is None


def test_the_citizen_is_addressed_respectfully_everywhere():
    """Issue 18.5: "bạn" to an elderly citizen at a People's Committee, and "Hãy", read as orders. The kiosk says
    "Ông/Bà" (or nothing) and "Xin mời". The board and the voice keep the hall's own formula, "Mời công dân có số
    thứ tự … đến quầy số …" ("công dân" is how a one-stop hall addresses everyone it serves)."""
    import re

    from queue_display.script import INVITE
    from queue_display.texts import LABELS

    tables = [TEXTS, ERROR_MESSAGES, SCAN_MESSAGES, PRIORITY_LABELS]
    vietnamese = [pair[0] for table in tables for pair in table.values()]  # type: ignore[attr-defined]
    vietnamese += [pair[0] for pair in LABELS.values()] + [INVITE]
    rude = re.compile(r"\b(bạn|hãy)\b", re.IGNORECASE)
    assert not [s for s in vietnamese if rude.search(s)]
    assert INVITE == "mời công dân có số thứ tự" and LABELS["call_title"][0] == "MỜI CÔNG DÂN CÓ SỐ"
    assert "Ông/Bà" in text("priority_title", Lang.VI) and text("listen_call", Lang.VI).startswith("Xin mời")
