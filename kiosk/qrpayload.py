"""What a scanned QR code means: a procedure to show, or a polite refusal. Pure and strict.

A procedure sheet carries either the bare national code (``1.001193``) or a link to the national public-service
portal carrying it (``https://dichvucong.gov.vn/...?ma_thu_tuc=1.001193`` or ``?keyword=1.001193``). Anything else
— another site, a ``javascript:`` link, a script, a huge or binary payload, a code not in this hall's catalogue —
is refused with a reason the screen turns into a polite message. The kiosk never opens a scanned link and never
shows scanned text back to the citizen: the payload only selects a procedure from the catalogue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

#: The national public-service portal (Cổng Dịch vụ công quốc gia). Provincial portals can be added in config.
DEFAULT_PORTAL_HOSTS = ("dichvucong.gov.vn",)
#: Query parameters that carry the procedure code on the portal.
CODE_PARAMETERS = ("ma_thu_tuc", "keyword")
#: A procedure URL is well under 200 bytes; a QR code can hold ~3 KB. Longer payloads are not read at all.
MAX_PAYLOAD_BYTES = 512

CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}$")
_HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
_SCRIPT_HINTS = ("<", ">", "javascript:", "data:", "vbscript:", "{{", "${", "`")


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


@dataclass(frozen=True)
class ScanResult:
    verdict: ScanVerdict
    code: str | None = None  # the procedure code, when one was found
    detail: str = ""  # English, for the log

    @property
    def accepted(self) -> bool:
        return self.verdict is ScanVerdict.PROCEDURE


def parse_scan(
    payload: bytes | str,
    *,
    known_codes: Collection[str] | None = None,
    portal_hosts: Sequence[str] = DEFAULT_PORTAL_HOSTS,
) -> ScanResult:
    """Decide what a scanned payload means. Never raises.

    `known_codes`: the procedures of this hall (None accepts any well-formed code). `portal_hosts`: sites whose
    links are trusted to carry a code; a host also covers its subdomains (``www.dichvucong.gov.vn``).
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
    if CODE_RE.match(text):
        return _known(text, known_codes, "bare code")
    lowered = text.lower()
    if any(hint in lowered for hint in _SCRIPT_HINTS):
        return ScanResult(ScanVerdict.SCRIPT, detail="markup or script-like content")
    if re.match(r"^[a-z][a-z0-9+.-]*:", lowered):
        return _parse_url(text, known_codes, portal_hosts)
    if lowered.startswith(("www.", "dichvucong.")):
        return ScanResult(ScanVerdict.OTHER_SITE, detail="link without https://")
    return ScanResult(ScanVerdict.NOT_A_PROCEDURE, detail="plain text")


def _parse_url(text: str, known_codes: Collection[str] | None, portal_hosts: Sequence[str]) -> ScanResult:
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
    if not host.isascii() or not _HOST_RE.match(host) or not _trusted(host, portal_hosts):
        return ScanResult(ScanVerdict.OTHER_SITE, detail=f"host {host!r} is not a public-service portal")
    try:
        parameters = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        return ScanResult(ScanVerdict.NO_CODE, detail="too many query parameters")
    found = {value.strip() for name, value in parameters if name.lower() in CODE_PARAMETERS and value.strip()}
    codes = {value for value in found if CODE_RE.match(value)}
    if len(codes) > 1:
        return ScanResult(ScanVerdict.NO_CODE, detail=f"several procedure codes: {sorted(codes)}")
    if not codes:
        return ScanResult(ScanVerdict.NO_CODE, detail="portal link without a procedure code")
    return _known(codes.pop(), known_codes, f"portal link on {host}")


def _trusted(host: str, portal_hosts: Sequence[str]) -> bool:
    for trusted in portal_hosts:
        trusted = trusted.lower().rstrip(".")
        if host == trusted or host.endswith("." + trusted):
            return True
    return False


def _known(code: str, known_codes: Collection[str] | None, how: str) -> ScanResult:
    if known_codes is not None and code not in known_codes:
        return ScanResult(ScanVerdict.UNKNOWN_PROCEDURE, code=code, detail=f"{how}: {code} is not in the catalogue")
    return ScanResult(ScanVerdict.PROCEDURE, code=code, detail=how)


def _is_control(ch: str) -> bool:
    category = unicodedata.category(ch)
    # Cc: control characters; Cf: format characters such as bidi overrides (U+202E) that disguise text.
    return category in ("Cc", "Cf", "Co", "Cs") and ch not in "\t"
