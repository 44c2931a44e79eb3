"""Vietnamese line breaking (motcua.text.wrap) with the real fonts at the real widths: the 58 mm and 80 mm tickets,
the kiosk's screens. A line never splits a word it can know (the built-in list, the parts of the hall's names),
keeps a number with its word, and leaves no lone syllable on the last line when a better break exists."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from text_support import has_orphan, split_words

from kiosk.ticket import PAPER_WIDTHS, PillowMetrics, ticket_margin, ticket_text_size
from motcua.text import ELLIPSIS, KNOWN_WORD, Lexicon, Rect, ellipsize, fit_text, nfc, wrap

BOLD, REGULAR = PillowMetrics(bold=True), PillowMetrics()


class Mono:
    """Every character is `size // 2` wide; lines are `size + 4` high."""

    def width(self, text: str, size: int) -> int:
        return len(text) * (size // 2)

    def line_height(self, size: int) -> int:
        return size + 4


MONO = Mono()


def inner(paper: str) -> int:
    width = PAPER_WIDTHS[paper]
    return width - 2 * ticket_margin(width)


def test_bao_tro_xa_hoi_stays_whole_on_the_58mm_ticket():
    service = "Lao động – Người có công – Bảo trợ xã hội"
    lines = wrap(service, inner("58mm"), ticket_text_size(384, 30), BOLD)
    assert lines == ["Lao động – Người có công –", "Bảo trợ xã hội"]


def test_no_lone_syllable_on_the_last_line_of_a_ticket():
    priority = wrap("ƯU TIÊN: Người có công với cách mạng", inner("58mm"), ticket_text_size(384, 26), BOLD)
    assert priority == ["ƯU TIÊN: Người có công với", "cách mạng"]
    wait = wrap("Thời gian chờ dự kiến: khoảng 1 giờ 20 phút", inner("58mm"), ticket_text_size(384, 24), REGULAR)
    assert wait == ["Thời gian chờ dự kiến:", "khoảng 1 giờ 20 phút"]
    taken = wrap("Xin mời nhận phiếu ở khe máy in bên dưới.", 300, 24, REGULAR)
    assert len(taken) == 2 and not has_orphan(taken), taken


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_the_halls_names_on_tickets_split_no_word_and_leave_no_orphan(paper: str, hall, procedures):
    lexicon = Lexicon.common()
    width = PAPER_WIDTHS[paper]
    texts = [(service.name, ticket_text_size(width, 30), BOLD) for service in hall.services]
    texts += [(f"{p.code} — {p.name}", ticket_text_size(width, 20), REGULAR) for p in procedures]
    texts.append((hall.hall.name, ticket_text_size(width, 24), BOLD))
    for text, size, metrics in texts:
        lines = wrap(text, inner(paper), size, metrics, lexicon=lexicon.with_names([text]))
        assert all(metrics.width(line, size) <= inner(paper) for line in lines)
        assert " ".join(lines) == " ".join(text.split())
        assert not split_words(lines, lexicon), (text, lines)
        assert not has_orphan(lines), (text, lines)


def test_the_lexicon_learns_the_parts_of_names():
    lexicon = Lexicon.common().with_names(["Hộ tịch – Nuôi con nuôi", "Văn hóa – Thi đua – Lĩnh vực khác"])
    assert ("nuôi", "con", "nuôi") in lexicon.phrases and ("thi", "đua") in lexicon.words
    assert ("lĩnh", "vực", "khác") in lexicon.phrases
    costs = lexicon.break_costs(["Văn", "hóa", "–", "Thi", "đua,", "bảo", "trợ", "xã", "hội:", "15", "phút"])
    assert costs[0] >= KNOWN_WORD  # văn / hóa
    assert costs[1] > costs[2] == 0  # before the dash is worse than after it
    assert costs[4] == 0  # after a comma: "đua, bảo" is no word
    assert costs[5] >= KNOWN_WORD and costs[7] >= KNOWN_WORD  # bảo / trợ, xã / hội
    assert costs[8] == 0 and costs[9] > 0  # after the colon; 15 / phút


def test_an_extra_line_rather_than_a_split_word_unless_the_lines_are_counted():
    lexicon = Lexicon(frozenset({("bb", "cc")}))
    assert wrap("aa bb cc", 25, 10, MONO, lexicon=lexicon) == ["aa", "bb cc"]
    assert wrap("aa bb cc dd", 25, 10, MONO, lexicon=lexicon) == ["aa", "bb cc", "dd"]
    assert wrap("aa bb cc dd", 25, 10, MONO, lexicon=lexicon, max_lines=2) == ["aa bb", "cc dd"]
    assert wrap("aa\nbb cc dd", 25, 10, MONO, lexicon=lexicon, max_lines=3) == ["aa", "bb cc", "dd"]


def test_fit_text_shrinks_a_little_rather_than_split_a_word():
    lexicon = Lexicon(frozenset({("bb", "cc")}))
    # At 10 (7 letters a line, 2 lines) only "aaa bb / cc dd" fits; at 9 (8 letters) the word stays whole.
    fitted = fit_text("aaa bb cc dd", 35, 28, MONO, max_size=10, min_size=6, lexicon=lexicon)
    assert (fitted.size, fitted.lines) == (9, ("aaa", "bb cc dd"))
    # Smaller still rather than split a word, down to the smallest size allowed.
    fitted = fit_text("aaa bb cc dd", 35, 28, MONO, max_size=14, min_size=6, lexicon=lexicon)
    assert fitted.lines == ("aaa", "bb cc dd") and fitted.size == 9
    # Where no smaller size is allowed, the word is split rather than the text cut.
    fitted = fit_text("aaa bb cc dd", 35, 28, MONO, max_size=10, min_size=10, lexicon=lexicon)
    assert fitted.lines == ("aaa bb", "cc dd") and not fitted.truncated


def test_newlines_and_over_wide_tokens_are_kept():
    assert wrap("aa\nbb", 100, 10, MONO) == ["aa", "bb"]
    assert wrap("abcdefghij", 20, 10, MONO) == ["abcd", "efgh", "ij"]
    assert wrap("xx abcdefghij", 20, 10, MONO) == ["xx", "abcd", "efgh", "ij"]
    assert wrap("", 20, 10, MONO) == [""]
    for a, b in itertools.pairwise(wrap("một hai ba bốn năm sáu bảy tám chín mười", 40, 10, MONO)):
        assert a and b


# --- rectangles, fitting, ellipsis (moved with the code from kiosk/layout.py) ---


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


def test_nfc_composes():
    assert nfc("e\u0302\u0301") == "ế"


def test_ellipsize_never_leaves_half_a_word():
    name = "Lao động – Người có công – Bảo trợ xã hội"
    room = MONO.width("Lao động – Người có công – Bảo…", 10)  # "Bảo" would fit, "Bảo trợ" would not
    assert ellipsize(name, room, 10, MONO) == "Lao động – Người có công…"
    assert ellipsize("Hộ tịch", MONO.width("Hộ…", 10), 10, MONO) == "Hộ…"  # nothing else fits: letters
