"""The back-side QR code of a chip ID card (thẻ Căn cước công dân gắn chip): is its holder 60 or older? Pure.

The QR code holds seven fields separated by ``|``: the 12-digit number, the old 9- or 12-digit ID number (may be
empty), the full name, the date of birth (ddmmyyyy), the sex, the address and the issue date (ddmmyyyy), e.g.
``001160012345||Nguyễn Văn An|15031960|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|10052021``.

The kiosk reads a card for one thing: whether the citizen is entitled to the elderly priority (Luật Người cao
tuổi 2009: from 60 years of age). Decree 13/2023/NĐ-CP on personal data protection asks for no more processing
than the purpose needs, so `check_id_card` keeps nothing of the card: its answer is a verdict and an English reason
that never quotes a field (the tests check every log record and message of a full ticket flow). The fields are
checked only as far as telling a real card from a malformed or forged payload needs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

#: The age from which a citizen is "người cao tuổi" (Law on the Elderly, art. 2).
ELDERLY_AGE = 60
#: Older than this is a forged or garbled date, not a citizen.
MAX_AGE = 125
FIELDS = 7
SEPARATOR = "|"

_DIGITS_12 = re.compile(r"^[0-9]{12}$")
_OLD_NUMBER = re.compile(r"^([0-9]{9}|[0-9]{12})?$")
_DATE = re.compile(r"^[0-9]{8}$")


class IdCardVerdict(StrEnum):
    """What a scanned ID card means for the queue (the screen has a message for each)."""

    ELDERLY = "elderly"  # 60 or older today: the kiosk offers the elderly priority
    UNDER_AGE = "under_age"  # a valid card of a citizen under 60
    MALFORMED = "malformed"  # missing fields, wrong digit counts, not a date
    IMPLAUSIBLE = "implausible"  # a date that cannot be (birth in the future, issued before birth, age over 125)


@dataclass(frozen=True)
class IdCardCheck:
    verdict: IdCardVerdict
    reason: str = ""  # English, for the log; never quotes the card's data

    @property
    def elderly(self) -> bool:
        return self.verdict is IdCardVerdict.ELDERLY


def looks_like_id_card(text: str) -> bool:
    """Whether a scanned text has the shape of an ID card's QR code (not a procedure sheet): several
    ``|``-separated fields, the first made of digits. A malformed card still looks like one, so the citizen is
    told the card could not be read rather than that it is not a procedure."""
    parts = text.strip().split(SEPARATOR)
    return len(parts) >= 4 and parts[0].strip().isascii() and parts[0].strip().isdigit()


def check_id_card(text: str, today: date) -> IdCardCheck:
    """Judge a card's QR text on `today` (the hall's local date). Never raises."""
    parts = [unicodedata.normalize("NFC", part).strip() for part in text.strip().split(SEPARATOR)]
    if len(parts) != FIELDS:
        return IdCardCheck(IdCardVerdict.MALFORMED, f"{len(parts)} fields, expected {FIELDS}")
    number, old_number, name, born_text, sex, address, issued_text = parts
    if not _DIGITS_12.match(number):
        return IdCardCheck(IdCardVerdict.MALFORMED, f"number of {len(number)} characters, expected 12 digits")
    if not _OLD_NUMBER.match(old_number):
        return IdCardCheck(IdCardVerdict.MALFORMED, "old ID number is neither empty nor 9 or 12 digits")
    if not name or not all(ch.isalpha() or ch in " .'-" for ch in name):
        return IdCardCheck(IdCardVerdict.MALFORMED, "name empty or with characters a name does not have")
    if not sex or not address:
        return IdCardCheck(IdCardVerdict.MALFORMED, "sex or address empty")
    born = _read_date(born_text)
    issued = _read_date(issued_text)
    if born is None or issued is None:
        return IdCardCheck(IdCardVerdict.MALFORMED, "a date is not a valid ddmmyyyy date")
    if born > today:
        return IdCardCheck(IdCardVerdict.IMPLAUSIBLE, "date of birth in the future")
    if issued > today or issued < born:
        return IdCardCheck(IdCardVerdict.IMPLAUSIBLE, "issue date in the future or before the date of birth")
    # The number encodes the century and sex (4th digit: 0/1 for the 1900s, 2/3 for the 2000s...) and the last two
    # digits of the year of birth (5th and 6th): a card whose number and birth date disagree is not genuine.
    century = 1900 + 100 * (int(number[3]) // 2)
    if century + int(number[4:6]) != born.year:
        return IdCardCheck(IdCardVerdict.IMPLAUSIBLE, "number does not match the year of birth")
    years = age_on(born, today)
    if years > MAX_AGE:
        return IdCardCheck(IdCardVerdict.IMPLAUSIBLE, f"age over {MAX_AGE}")
    if years >= ELDERLY_AGE:
        return IdCardCheck(IdCardVerdict.ELDERLY, f"{ELDERLY_AGE} or older")
    return IdCardCheck(IdCardVerdict.UNDER_AGE, f"under {ELDERLY_AGE}")


def age_on(born: date, today: date) -> int:
    """Whole years of age on `today` (a 29 February birthday counts from 1 March in other years)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _read_date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None
