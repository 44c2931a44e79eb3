"""Reading numbers and ticket labels in Vietnamese."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.speech.numbers import MAX_NUMBER, every_word, label_words, number_words, read_number

READINGS = [
    (0, "không"),
    (1, "một"),
    (2, "hai"),
    (3, "ba"),
    (4, "bốn"),
    (5, "năm"),
    (7, "bảy"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (50, "năm mươi"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (200, "hai trăm"),
    (505, "năm trăm linh năm"),
    (555, "năm trăm năm mươi lăm"),
    (999, "chín trăm chín mươi chín"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1015, "một nghìn không trăm mười lăm"),
    (1021, "một nghìn không trăm hai mươi mốt"),
    (1023, "một nghìn không trăm hai mươi ba"),
    (1100, "một nghìn một trăm"),
    (1105, "một nghìn một trăm linh năm"),
    (1500, "một nghìn năm trăm"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (4001, "bốn nghìn không trăm linh một"),
    (6999, "sáu nghìn chín trăm chín mươi chín"),
    (9999, "chín nghìn chín trăm chín mươi chín"),
    (10000, "mười nghìn"),
    (15005, "mười lăm nghìn không trăm linh năm"),
    (21000, "hai mươi mốt nghìn"),
    (100000, "một trăm nghìn"),
    (999999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
]


@pytest.mark.parametrize(("number", "reading"), READINGS, ids=[str(n) for n, _ in READINGS])
def test_read_number(number: int, reading: str):
    assert read_number(number) == reading


def test_the_table_has_the_cases_the_issue_asks_for():
    required = {0, 1, 4, 5, 10, 11, 14, 15, 21, 24, 25, 100, 101, 105, 110, 115, 1000, 1001, 1010, 1023, 1105, 9999}
    assert len(READINGS) >= 40
    assert required <= {n for n, _ in READINGS}


@pytest.mark.parametrize(
    ("number", "reading"),
    [
        (105, "một trăm lẻ năm"),
        (1001, "một ngàn không trăm lẻ một"),
        (1023, "một ngàn không trăm hai mươi ba"),
        (2004, "hai ngàn không trăm lẻ bốn"),
    ],
)
def test_southern_reading(number: int, reading: str):
    assert read_number(number, "lẻ", thousand="ngàn") == reading


@pytest.mark.parametrize("bad", [-1, MAX_NUMBER + 1, 10**9])
def test_numbers_outside_the_range_are_refused(bad: int):
    with pytest.raises(ValueError, match="outside"):
        read_number(bad)


def test_wrong_types_and_options_are_refused():
    with pytest.raises(TypeError):
        read_number("12")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        read_number(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="linh"):
        read_number(105, "le")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("1023", "một nghìn không trăm hai mươi ba"),
        ("A012", "a mười hai"),
        ("a-012", "a mười hai"),
        ("B 105", "bê một trăm linh năm"),
        ("ĐT21", "đê tê hai mươi mốt"),
        ("UT1005", "u tê một nghìn không trăm linh năm"),
        ("L7", "e-lờ bảy"),
        ("0", "không"),
    ],
)
def test_ticket_labels(label: str, words: str):
    assert " ".join(label_words(label)) == words


def test_labels_digit_by_digit():
    assert label_words("1023", style="digits") == ["một", "không", "hai", "ba"]
    assert label_words("A05", style="digits") == ["a", "không", "năm"]


@pytest.mark.parametrize("label", ["", "  ", "1#2", "Ω1", "--"])
def test_unreadable_labels_are_refused(label: str):
    with pytest.raises(ValueError):
        label_words(label)


def test_every_reading_of_a_ticket_number_is_distinct():
    """Two tickets must never sound alike."""
    readings = {read_number(n) for n in range(10_000)}
    assert len(readings) == 10_000
    assert len({read_number(n, "lẻ", thousand="ngàn") for n in range(10_000)}) == 10_000


@given(
    st.integers(min_value=0, max_value=MAX_NUMBER), st.sampled_from(["linh", "lẻ"]), st.sampled_from(["nghìn", "ngàn"])
)
def test_every_word_has_a_clip(number: int, linh: str, thousand: str):
    words = number_words(number, linh=linh, thousand=thousand)  # type: ignore[arg-type]
    assert set(words) <= set(every_word())
    assert words[0] not in ("linh", "lẻ") and words[-1] not in ("linh", "lẻ")


@given(st.integers(min_value=1, max_value=999_999))
def test_mot_tu_lam_only_where_they_belong(number: int):
    words = number_words(number)
    for i, word in enumerate(words):
        previous = words[i - 1] if i else None
        if word in ("mốt", "tư"):
            assert previous == "mươi", words
        if word == "lăm":
            assert previous in ("mười", "mươi"), words
        if word == "một" and previous == "mươi":
            pytest.fail(f"'mươi một' should be 'mươi mốt': {words}")
