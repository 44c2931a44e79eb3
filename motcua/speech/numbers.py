"""Reading numbers and ticket labels aloud in Vietnamese (đọc số): pure functions, no I/O.

The rules a Vietnamese listener expects, and that a naive digit-to-word table gets wrong:

- ``mười`` for ten itself (10, 15 "mười lăm"), ``mươi`` after a tens digit from 2 (20 "hai mươi");
- ``mốt`` for a final 1 after ``mươi`` (21 "hai mươi mốt") but ``một`` after ``mười`` (11 "mười một");
- ``tư`` for a final 4 after ``mươi`` (24 "hai mươi tư"), ``bốn`` elsewhere (14 "mười bốn", 104);
- ``lăm`` for a final 5 after ``mười``/``mươi`` (15, 25), ``năm`` elsewhere (5, 105, 500);
- ``linh`` (Northern) or ``lẻ`` (Southern) for a zero tens digit after hundreds (105 "một trăm linh năm");
- a group after ``nghìn`` is read in full, zero hundreds included: 1023 "một nghìn không trăm hai mươi ba",
  1010 "một nghìn không trăm mười"; a zero group is silent (1000 "một nghìn").

Ticket numbers stay far below a million, so the reader covers 0 to 999 999 and refuses more (rather than
guess between the competing readings of a zero thousands group after ``triệu``).

Every word returned is the name of a voice clip (``queue_display/voice/clips/<word>.wav``).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Linh = Literal["linh", "lẻ"]
Thousand = Literal["nghìn", "ngàn"]
NumberStyle = Literal["number", "digits"]

MAX_NUMBER = 999_999

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
TEN = "mười"  # 10-19
TENS = "mươi"  # after a tens digit from 2
ONE_AFTER_TENS = "mốt"
FOUR_AFTER_TENS = "tư"
FIVE_AFTER_TENS = "lăm"
HUNDRED = "trăm"

#: How the letters of a ticket prefix are spoken (tên chữ cái), e.g. "A012" -> "a mười hai".
#: Multi-syllable names are joined with a hyphen so that each is one clip.
LETTER_NAMES: dict[str, str] = {
    "A": "a",
    "Ă": "á",
    "Â": "ớ",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "Ê": "ê",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "Ô": "ô",
    "Ơ": "ơ",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "Ư": "ư",
    "V": "vê",
    "W": "vê-kép",
    "X": "ích-xì",
    "Y": "i-dài",
    "Z": "dét",
}

#: Characters of a label that are not spoken (separators a hall may print: "A-012", "A 012", "A.012").
SILENT = frozenset(" -._/")


def number_words(n: int, *, linh: Linh = "linh", thousand: Thousand = "nghìn") -> list[str]:
    """The words of `n` (0 <= n <= 999 999), one clip name each."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an int, got {type(n).__name__}")
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"{n} is outside 0..{MAX_NUMBER}")
    if linh not in ("linh", "lẻ"):
        raise ValueError(f"linh must be 'linh' or 'lẻ', not {linh!r}")
    if thousand not in ("nghìn", "ngàn"):
        raise ValueError(f"thousand must be 'nghìn' or 'ngàn', not {thousand!r}")
    if n == 0:
        return [DIGITS[0]]
    thousands, units = divmod(n, 1000)
    if not thousands:
        return _below_thousand(units, full=False, linh=linh)
    words = [*_below_thousand(thousands, full=False, linh=linh), thousand]
    if units:
        words += _below_thousand(units, full=True, linh=linh)
    return words


def read_number(n: int, linh: Linh = "linh", *, thousand: Thousand = "nghìn") -> str:
    """`n` read in Vietnamese: ``read_number(1023) == "một nghìn không trăm hai mươi ba"``."""
    return " ".join(number_words(n, linh=linh, thousand=thousand))


def digit_words(digits: str) -> list[str]:
    """Digit by digit: "1023" -> một không hai ba (a hall may prefer it for long numbers)."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"{digits!r} is not a string of digits")
    return [DIGITS[int(d)] for d in digits]


def _below_thousand(n: int, *, full: bool, linh: Linh) -> list[str]:
    """1..999; `full` when a higher group precedes it, so zero hundreds and ``linh`` are spoken."""
    hundreds, rest = divmod(n, 100)
    tens, unit = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], HUNDRED]
    if tens == 0:
        if unit:
            if words:
                words.append(linh)
            words.append(DIGITS[unit])
    elif tens == 1:
        words.append(TEN)
        if unit:
            words.append(FIVE_AFTER_TENS if unit == 5 else DIGITS[unit])
    else:
        words += [DIGITS[tens], TENS]
        if unit:
            words.append({1: ONE_AFTER_TENS, 4: FOUR_AFTER_TENS, 5: FIVE_AFTER_TENS}.get(unit, DIGITS[unit]))
    return words


def label_words(
    label: str, *, linh: Linh = "linh", thousand: Thousand = "nghìn", style: NumberStyle = "number"
) -> list[str]:
    """The words of a ticket label: letters by their Vietnamese names, each run of digits as a number
    ("A012" -> a mười hai, "1023" -> một nghìn không trăm hai mươi ba) or digit by digit (`style="digits"`).

    Raises ValueError for a character that cannot be spoken (the caller falls back to the ticket's number).
    """
    text = unicodedata.normalize("NFC", label).strip().upper()
    if not text:
        raise ValueError("empty label")
    words: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isascii() and char.isdigit():
            j = i
            while j < len(text) and text[j].isascii() and text[j].isdigit():
                j += 1
            run = text[i:j]
            if style == "digits":
                words += digit_words(run)
            else:
                words += number_words(int(run), linh=linh, thousand=thousand)
            i = j
        elif char in LETTER_NAMES:
            words.append(LETTER_NAMES[char])
            i += 1
        elif char in SILENT:
            i += 1
        else:
            raise ValueError(f"cannot read {char!r} in ticket label {label!r}")
    if not words:
        raise ValueError(f"nothing to read in ticket label {label!r}")
    return words


def every_word() -> list[str]:
    """Every word `number_words`/`label_words` can return, in any option (the clip set to generate)."""
    words = [*DIGITS, TEN, TENS, ONE_AFTER_TENS, FOUR_AFTER_TENS, FIVE_AFTER_TENS, HUNDRED]
    words += ["linh", "lẻ", "nghìn", "ngàn"]
    words += list(LETTER_NAMES.values())
    return list(dict.fromkeys(words))
