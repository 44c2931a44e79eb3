"""What a scanned QR code means: a procedure to show, or a polite refusal. Pure and strict.

A procedure sheet carries a procedure code, bare or inside a link to a public-service portal:

- the national code (``1.001193``: one digit, a dot, six digits), or a province's local code, which is the
  national code followed by a local suffix (``2.002162.000.00.00.H56``: three, two and two digits and the
  province's code, H01 Hà Nội, H29 Hồ Chí Minh, H56 Khánh Hòa…); a local code resolves to the catalogue entry of
  its national code, the only code the MQTT contract knows;
- a link to a configured portal (`Portal`: a host, its subdomains, and the query parameters that carry the code
  there), e.g. ``https://dichvucong.gov.vn/...?ma_thu_tuc=1.001193`` or
  ``https://dichvucong.khanhhoa.gov.vn/...?ma=2.002162.000.00.00.H56``.

The back of a chip ID card (CCCD: ``|``-separated fields, the first all digits) is told apart
(`ScanVerdict.ID_CARD`) and judged by `kiosk.idcard`, never logged. Anything else — another site, a
``javascript:`` link, a script, a huge or binary payload, a code not in this
hall's catalogue — is refused with a reason the screen turns into a polite message. The kiosk never opens a
scanned link and never shows scanned text back to the citizen: the payload only selects a procedure from the
catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from kiosk.idcard import looks_like_id_card

#: Query parameters that carry the procedure code on the national portal (Cổng Dịch vụ công quốc gia).
CODE_PARAMETERS = ("ma_thu_tuc", "keyword")
#: Query parameters seen carrying the code on provincial portals (checked against each sheet; a parameter of a
#: trusted host can only ever select a catalogue entry, so a generous list costs nothing).
PROVINCIAL_PARAMETERS = ("ma_thu_tuc", "ma", "ma_tthc", "matthc", "keyword")
#: The national portal alone (qr-sheets' template check; `portal_hosts` of older configs).
DEFAULT_PORTAL_HOSTS = ("dichvucong.gov.vn",)
#: A procedure URL is well under 200 bytes; a QR code can hold ~3 KB. Longer payloads are not read at all.
MAX_PAYLOAD_BYTES = 512

CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}$")
#: A local code: the national code, then ``.NNN.NN.NN.`` and the province (H01…H63) or ministry (G01…) code.
LOCAL_CODE_RE = re.compile(r"^([0-9]\.[0-9]{6})\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[GH][0-9]{2}$", re.IGNORECASE)
#: A booking's QR code: ``LICHHEN:`` and the code of the booking system (coordinator.bookings.CODE_RE).
BOOKING_PREFIX = "LICHHEN"
BOOKING_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,31}$")
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
_SCRIPT_HINTS = ("<", ">", "javascript:", "data:", "vbscript:", "{{", "${", "`")


@dataclass(frozen=True)
class Portal:
    """A public-service portal whose links may carry a procedure code: the host (its subdomains included) and the
    query parameters that carry the code there (compared without regard to case)."""

    host: str
    parameters: tuple[str, ...] = CODE_PARAMETERS


#: The national portal and a few provincial ones; a kiosk's config can replace or extend the list.
DEFAULT_PORTALS = (
    Portal("dichvucong.gov.vn", CODE_PARAMETERS),
    Portal("dichvucong.hanoi.gov.vn", PROVINCIAL_PARAMETERS),  # H01 Hà Nội
    Portal("dichvucong.hochiminhcity.gov.vn", PROVINCIAL_PARAMETERS),  # H29 Hồ Chí Minh
    Portal("dichvucong.khanhhoa.gov.vn", PROVINCIAL_PARAMETERS),  # H56 Khánh Hòa
)


class ScanVerdict(StrEnum):
    """Why a scan was accepted or refused (the screen has a message for each)."""

    PROCEDURE = "procedure"  # a procedure of this hall's catalogue
    UNKNOWN_PROCEDURE = "unknown_procedure"  # a well-formed code this hall does not handle
    TOO_LARGE = "too_large"
    BINARY = "binary"  # not UTF-8 text, or control characters
    SCRIPT = "script"  # markup, script or a javascript:/data: link
    OTHER_SITE = "other_site"  # a link to a site that is not a public-service portal
    NO_CODE = "no_code"  # a portal link without a procedure code
    NOT_A_PROCEDURE = "not_a_procedure"  # any other text
    BOOKING = "booking"  # a booking's QR code (``LICHHEN:<code>``): check in for it
    ID_CARD = "id_card"  # the back of a chip ID card (kiosk.idcard judges it; its text is never logged)


@dataclass(frozen=True)
class ScanResult:
    verdict: ScanVerdict
    code: str | None = None  # the national procedure code, when one was found (what the catalogue is keyed by)
    detail: str = ""  # English, for the log
    local_code: str | None = None  # the province's local code, when the sheet carried one

    @property
    def accepted(self) -> bool:
        return self.verdict is ScanVerdict.PROCEDURE

    @property
    def shown(self) -> str | None:
        """The code as printed on the citizen's sheet (for a message)."""
        return self.local_code or self.code


def read_booking(text: str) -> str | None:
    """The booking code of a booking's QR code (``LICHHEN:DL-20261123-0042``, any case), None if it is not one."""
    prefix, _, code = text.partition(":")
    if prefix.upper() != BOOKING_PREFIX or not BOOKING_CODE_RE.match(code.strip().upper()):
        return None
    return code.strip().upper()


def read_code(text: str) -> tuple[str, str | None] | None:
    """``(national code, local code or None)`` if `text` is exactly a national or local procedure code."""
    if CODE_RE.match(text):
        return text, None
    local = LOCAL_CODE_RE.match(text)
    if local:
        return local.group(1), text.upper()
    return None


def parse_scan(
    payload: bytes | str,
    *,
    known_codes: Collection[str] | None = None,
    portals: Sequence[Portal] = DEFAULT_PORTALS,
    portal_hosts: Sequence[str] = (),
) -> ScanResult:
    """Decide what a scanned payload means. Never raises.

    `known_codes`: the national codes of this hall's procedures (None accepts any well-formed code). `portals`:
    sites whose links are trusted to carry a code, and in which parameters; a host also covers its subdomains
    (``www.dichvucong.gov.vn``). `portal_hosts`: more hosts, with the national portal's parameters.
    """
    raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else bytes(payload)
    if len(raw) > MAX_PAYLOAD_BYTES:
        return ScanResult(ScanVerdict.TOO_LARGE, detail=f"{len(raw)} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ScanResult(ScanVerdict.BINARY, detail="not UTF-8")
    text = unicodedata.normalize("NFC", text).strip().lstrip("\ufeff")
    if any(_is_control(ch) for ch in text):
        return ScanResult(ScanVerdict.BINARY, detail="control characters")
    if not text:
        return ScanResult(ScanVerdict.NOT_A_PROCEDURE, detail="empty")
    if looks_like_id_card(text):
        return ScanResult(ScanVerdict.ID_CARD, detail="chip ID card")
    booking = read_booking(text)
    if booking is not None:
        return ScanResult(ScanVerdict.BOOKING, code=booking, detail="booking")
    code = read_code(text)
    if code is not None:
        return _known(*code, known_codes, "bare code")
    lowered = text.lower()
    if any(hint in lowered for hint in _SCRIPT_HINTS):
        return ScanResult(ScanVerdict.SCRIPT, detail="markup or script-like content")
    if re.match(r"^[a-z][a-z0-9+.-]*:", lowered):
        trusted = (*portals, *(Portal(host) for host in portal_hosts))
        return _parse_url(text, known_codes, trusted)
    if lowered.startswith(("www.", "dichvucong.")):
        return ScanResult(ScanVerdict.OTHER_SITE, detail="link without https://")
    return ScanResult(ScanVerdict.NOT_A_PROCEDURE, detail="plain text")


def _parse_url(text: str, known_codes: Collection[str] | None, portals: Sequence[Portal]) -> ScanResult:
    if any(ch.isspace() for ch in text) or "\\" in text:
        return ScanResult(ScanVerdict.NOT_A_PROCEDURE, detail="malformed link")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return ScanResult(ScanVerdict.NOT_A_PROCEDURE, detail=f"malformed link: {exc}")
    if parts.scheme.lower() != "https":
        return ScanResult(ScanVerdict.OTHER_SITE, detail=f"scheme {parts.scheme!r} is not https")
    host = (parts.hostname or "").rstrip(".")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return ScanResult(ScanVerdict.OTHER_SITE, detail="link with user information")
    if port not in (None, 443):
        return ScanResult(ScanVerdict.OTHER_SITE, detail=f"port {port}")
    names = _parameters_of(host, portals) if host.isascii() and _HOST_RE.match(host) else None
    if names is None:
        return ScanResult(ScanVerdict.OTHER_SITE, detail=f"host {host!r} is not a public-service portal")
    try:
        parameters = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        return ScanResult(ScanVerdict.NO_CODE, detail="too many query parameters")
    found = [read_code(value.strip()) for name, value in parameters if name.lower() in names]
    codes = [code for code in found if code is not None]
    nationals = {national for national, _ in codes}
    if len(nationals) > 1:
        return ScanResult(ScanVerdict.NO_CODE, detail=f"several procedure codes: {sorted(nationals)}")
    if not codes:
        return ScanResult(ScanVerdict.NO_CODE, detail="portal link without a procedure code")
    locals_ = sorted({local for _, local in codes if local is not None})
    return _known(nationals.pop(), locals_[0] if locals_ else None, known_codes, f"portal link on {host}")


def _parameters_of(host: str, portals: Sequence[Portal]) -> frozenset[str] | None:
    """The code parameters of every portal `host` belongs to; None when it belongs to none."""
    names: set[str] = set()
    trusted = False
    for portal in portals:
        site = portal.host.lower().rstrip(".")
        if host == site or host.endswith("." + site):
            trusted = True
            names.update(name.lower() for name in portal.parameters)
    return frozenset(names) if trusted else None


def _known(code: str, local: str | None, known_codes: Collection[str] | None, how: str) -> ScanResult:
    if local is not None:
        how += f", local code {local}"
    if known_codes is not None and code not in known_codes:
        return ScanResult(
            ScanVerdict.UNKNOWN_PROCEDURE,
            code=code,
            detail=f"{how}: {code} is not in the catalogue",
            local_code=local,
        )
    return ScanResult(ScanVerdict.PROCEDURE, code=code, detail=how, local_code=local)


def _is_control(ch: str) -> bool:
    category = unicodedata.category(ch)
    # Cc: control characters; Cf: format characters such as bidi overrides (U+202E) that disguise text.
    return category in ("Cc", "Cf", "Co", "Cs") and ch not in "\t"
