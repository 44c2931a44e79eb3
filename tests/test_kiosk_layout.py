"""Pure parts of the kiosk screen: rectangles, wrapping and fitting text, pages; Vietnamese text folding,
search and formatting; the citizen's messages."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kiosk_support import sample_view

from kiosk.i18n import ERROR_MESSAGES, PRIORITY_LABELS, SCAN_MESSAGES, TEXTS, Lang, error_message, text
from kiosk.layout import Block, paginate
from kiosk.qrpayload import ScanVerdict
from kiosk.text import fold, format_counters, format_counters_en, format_datetime, format_wait, shorten, words
from motcua.contract import ErrorCode, PriorityCategory
from motcua.text import ELLIPSIS, Rect, ellipsize, fit_text, nfc, wrap


class Mono:
    """Every character is `size // 2` wide; lines are `size + 4` high."""

    def width(self, text: str, size: int) -> int:
        return len(text) * (size // 2)

    def line_height(self, size: int) -> int:
        return size + 4


MONO = Mono()


def test_rect_splits():
    r = Rect(0, 0, 100, 50)
    top, rest = r.take_top(10, 5)
    assert (top, rest) == (Rect(0, 0, 100, 10), Rect(0, 15, 100, 35))
    bottom, rest = r.take_bottom(10, 5)
    assert (bottom, rest) == (Rect(0, 40, 100, 10), Rect(0, 0, 100, 35))
    left, rest = r.take_left(30, 10)
    assert (left, rest) == (Rect(0, 0, 30, 50), Rect(40, 0, 60, 50))
    right, rest = r.take_right(30, 10)
    assert (right, rest) == (Rect(70, 0, 30, 50), Rect(0, 0, 60, 50))
    assert r.inset(5) == Rect(5, 5, 90, 40)
    assert r.inset(80) == Rect(80, 80, 0, 0)
    assert r.contains(0, 0) and not r.contains(100, 0)
    assert r.contains_rect(Rect(10, 10, 90, 40)) and not r.contains_rect(Rect(10, 10, 91, 40))
    assert r.center == (50, 25)


def test_rows_columns_and_grid_cover_the_rect_without_overlap():
    r = Rect(10, 20, 301, 103)
    rows = r.rows(4, 3)
    assert rows[0].y == 20 and rows[-1].bottom == r.bottom
    assert all(a.bottom + 3 == b.y for a, b in itertools.pairwise(rows))
    cols = r.columns(3, 7)
    assert cols[0].x == 10 and cols[-1].right == r.right
    assert all(a.right + 7 == b.x for a, b in itertools.pairwise(cols))
    cells = r.grid(3, 2, 5)
    assert len(cells) == 6 and all(r.contains_rect(c) for c in cells)
    assert r.rows(0, 3) == []


def test_wrap_keeps_words_and_newlines_and_breaks_long_words():
    assert wrap("aa bb cc", 50, 10, MONO) == ["aa bb cc"]
    assert wrap("aa bb cc", 25, 10, MONO) == ["aa", "bb cc"]  # no lone word on the last line
    assert wrap("aa\nbb", 100, 10, MONO) == ["aa", "bb"]
    assert wrap("abcdefghij", 20, 10, MONO) == ["abcd", "efgh", "ij"]
    assert wrap("", 20, 10, MONO) == [""]


def test_fit_text_shrinks_until_it_fits():
    fitted = fit_text("one two three four", 60, 40, MONO, max_size=20, min_size=6)
    assert not fitted.truncated
    assert fitted.size < 20
    assert fitted.height <= 40
    assert all(MONO.width(line, fitted.size) <= 60 for line in fitted.lines)
    assert fit_text("hi", 100, 100, MONO, max_size=20, min_size=6).size == 20


def test_fit_text_truncates_with_an_ellipsis_only_at_the_smallest_size():
    fitted = fit_text("word " * 50, 40, 20, MONO, max_size=12, min_size=8)
    assert fitted.truncated and fitted.size == 8
    assert fitted.lines[-1].endswith(ELLIPSIS)
    assert len(fitted.lines) * fitted.line_height <= 20
    assert all(MONO.width(line, 8) <= 40 for line in fitted.lines)
    assert fit_text("x", 40, 5, MONO, max_size=12, min_size=8).lines == ()


def test_fit_text_respects_max_lines():
    fitted = fit_text("aa bb cc dd", 25, 1000, MONO, max_size=10, min_size=10, max_lines=1)
    assert fitted.lines == ("aa…",) or len(fitted.lines) == 1
    assert fitted.truncated


@given(st.text(alphabet="abc đêô ", max_size=80), st.integers(10, 200), st.integers(10, 200))
def test_fitted_text_never_exceeds_its_box(content: str, width: int, height: int):
    fitted = fit_text(content, width, height, MONO, max_size=16, min_size=6)
    assert fitted.height <= height or not fitted.lines
    assert all(MONO.width(line, fitted.size) <= width for line in fitted.lines)


def test_ellipsize_cuts_at_a_word():
    assert ellipsize("short", 100, 10, MONO) == "short"
    assert ellipsize("one two three", 40, 10, MONO) == "one two…"
    assert ellipsize("one two three", 35, 10, MONO) == "one…"
    assert ellipsize("abcdefgh", 20, 10, MONO) == "abc…"


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


def test_nfc_composes():
    assert nfc("e\u0302\u0301") == "ế"


def test_search_finds_accent_free_queries_best_first(hall, procedures):
    view = sample_view(hall, procedures)
    found = view.search("dang ky khai sinh")
    assert found[0].name == "Thủ tục đăng ký khai sinh"
    assert all("khai sinh" in fold(p.name) or {"dang", "ky", "khai", "sinh"} <= set(words(p.name)) for p in found)
    assert any(p.code == "1.004884" for p in found)  # đăng ký lại khai sinh: every word, not the phrase
    assert view.search("DANG KY KET HON")[0].code == "1.000894"
    assert view.search("Đăng ký kết hôn")[0].code == "1.000894"
    assert view.search("ket hon")[0].code == "1.000894"
    assert view.search("1.0011")[0].code == "1.001193"
    assert view.search("chung th")  # a word being typed
    assert view.search("marriage")[0].code == "1.000894"  # English names too
    assert view.search("") == []
    assert view.search("zzzz qqqq") == []


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
