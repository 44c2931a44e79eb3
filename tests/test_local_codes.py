"""Real procedure sheets: provinces' local procedure codes (the national code and a local suffix such as
``.000.00.00.H56``), bare or in provincial portals' links with their own parameter names, read through the real
decoder from degraded camera pictures; and everything hostile still refused (issue 11.11).

Province codes in the suffix: H01 Hà Nội, H29 Hồ Chí Minh, H56 Khánh Hòa. The catalogue is the sample ward's:
1.001193 đăng ký khai sinh, 1.000894 đăng ký kết hôn, 2.000815 chứng thực bản sao từ bản chính.
"""

from __future__ import annotations

import cv2
import pytest
from kiosk_support import OUTPUT, sample_view

from kiosk.model import PrinterStatus, TakeRequest
from kiosk.qrdecode import QrDecoder
from kiosk.qrpayload import DEFAULT_PORTALS, Portal, ScanVerdict, parse_scan
from kiosk.qrsamples import degraded
from kiosk.ui.controller import Action, Controller, Screen

KNOWN = {"1.001193", "1.000894", "2.000815"}

#: (what the sheet's QR code holds, the national code it selects, the local code it carried)
SHEETS = [
    # bare local codes, as printed next to the procedure's name on provincial sheets
    ("1.001193.000.00.00.H01", "1.001193", "1.001193.000.00.00.H01"),
    ("2.000815.000.00.00.H56", "2.000815", "2.000815.000.00.00.H56"),
    ("1.000894.000.00.00.H29", "1.000894", "1.000894.000.00.00.H29"),
    ("1.000894.000.00.00.h29", "1.000894", "1.000894.000.00.00.H29"),  # typed in lower case
    # the national portal, carrying a local code
    (
        "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193.000.00.00.H01",
        "1.001193",
        "1.001193.000.00.00.H01",
    ),
    (
        "https://dichvucong.gov.vn/tim-kiem-thu-tuc-hanh-chinh?keyword=2.000815.000.00.00.H56",
        "2.000815",
        "2.000815.000.00.00.H56",
    ),
    # provincial portals, with their own paths and parameter names
    (
        "https://dichvucong.hanoi.gov.vn/thu-tuc-hanh-chinh/chi-tiet?ma_thu_tuc=1.001193.000.00.00.H01",
        "1.001193",
        "1.001193.000.00.00.H01",
    ),
    (
        "https://dichvucong.hochiminhcity.gov.vn/vi/procedure/detail?ma=1.000894.000.00.00.H29&lang=vi",
        "1.000894",
        "1.000894.000.00.00.H29",
    ),
    (
        "https://dichvucong.khanhhoa.gov.vn/TTHC/ChiTiet?linhvuc=chung-thuc&ma=2.000815.000.00.00.H56",
        "2.000815",
        "2.000815.000.00.00.H56",
    ),
    ("https://www.dichvucong.khanhhoa.gov.vn/?MA=2.000815.000.00.00.H56", "2.000815", "2.000815.000.00.00.H56"),
    ("https://dichvucong.hanoi.gov.vn/?ma_tthc=1.001193", "1.001193", None),  # a national code on a province's
    (  # both parameters, the same procedure
        "https://dichvucong.gov.vn/?ma_thu_tuc=1.001193.000.00.00.H01&keyword=1.001193",
        "1.001193",
        "1.001193.000.00.00.H01",
    ),
]


@pytest.mark.parametrize(("payload", "national", "local"), SHEETS)
def test_local_codes_and_provincial_links_select_the_catalogue_entry_of_their_national_code(
    payload: str, national: str, local: str | None
):
    result = parse_scan(payload, known_codes=KNOWN)
    assert result.verdict is ScanVerdict.PROCEDURE, result
    assert (result.code, result.local_code) == (national, local)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("1.001193.000.00.00.H1", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.00.H011", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.00.X01", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.H01", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.00.H01.H01", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193-000-00-00-H01", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.00.H01 ; rm -rf /", ScanVerdict.NOT_A_PROCEDURE),
        ("1.001193.000.00.00.H01\u202e", ScanVerdict.BINARY),
        ("https://dichvucong.gov.vn/?ma=1.001193.000.00.00.H01", ScanVerdict.NO_CODE),  # not the national's name
        ("https://dichvucong.khanhhoa.gov.vn.evil.example/?ma=2.000815.000.00.00.H56", ScanVerdict.OTHER_SITE),
        ("https://evil-dichvucong.khanhhoa.gov.vn/?ma=2.000815.000.00.00.H56", ScanVerdict.OTHER_SITE),
        ("https://khanhhoa.gov.vn/?ma=2.000815.000.00.00.H56", ScanVerdict.OTHER_SITE),  # the parent is not trusted
        ("https://dichvucong.laocai.gov.vn/?ma_thu_tuc=1.001193.000.00.00.H01", ScanVerdict.OTHER_SITE),
        ("http://dichvucong.hanoi.gov.vn/?ma_thu_tuc=1.001193.000.00.00.H01", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.hanoi.gov.vn:8443/?ma=1.001193.000.00.00.H01", ScanVerdict.OTHER_SITE),
        ("https://x@dichvucong.hanoi.gov.vn/?ma=1.001193.000.00.00.H01", ScanVerdict.OTHER_SITE),
        ("https://dichvucong.hanoi.gov.vn/?ma=1.001193.000.00.00.H01&ma=1.000894.000.00.00.H01", ScanVerdict.NO_CODE),
        ("https://dichvucong.hanoi.gov.vn/?ma=1.001193.000.00.00.H01%0D%0ASet-Cookie:x", ScanVerdict.NO_CODE),
        ("https://dichvucong.hanoi.gov.vn/?ma=1.001193.000.00.00.H01%E2%80%AE", ScanVerdict.NO_CODE),
        ("https://dichvucong.hanoi.gov.vn/?ma=<script>1.001193.000.00.00.H01", ScanVerdict.SCRIPT),
        ("https://dichvucong.hanoi.gov.vn/?ma=12345", ScanVerdict.NO_CODE),  # a portal's internal number
    ],
)
def test_hostile_and_malformed_local_codes_are_still_refused(payload: str, expected: ScanVerdict):
    result = parse_scan(payload, known_codes=KNOWN)
    assert result.verdict is expected, result
    assert result.detail


def test_a_local_code_of_a_procedure_not_handled_here_is_named_as_printed():
    result = parse_scan("https://dichvucong.khanhhoa.gov.vn/?ma=1.999999.000.00.00.H56", known_codes=KNOWN)
    assert result.verdict is ScanVerdict.UNKNOWN_PROCEDURE
    assert (result.code, result.shown) == ("1.999999", "1.999999.000.00.00.H56")


def test_a_configured_portal_brings_its_own_parameter_names():
    laocai = Portal("dichvucong.laocai.gov.vn", ("maTTHC",))
    url = "https://dichvucong.laocai.gov.vn/chi-tiet?mattHC=1.001193.000.00.00.H02"
    assert parse_scan(url, known_codes=KNOWN).verdict is ScanVerdict.OTHER_SITE
    assert parse_scan(url, known_codes=KNOWN, portals=(*DEFAULT_PORTALS, laocai)).accepted
    only_national = parse_scan(SHEETS[8][0], known_codes=KNOWN, portals=DEFAULT_PORTALS[:1])
    assert only_national.verdict is ScanVerdict.OTHER_SITE  # replacing the list drops the default provinces


class Effects:
    def __init__(self) -> None:
        self.taken: list[TakeRequest] = []

    def take(self, request: TakeRequest) -> None:
        self.taken.append(request)

    def reprint(self, result) -> None:  # type: ignore[no-untyped-def]
        pass

    def cancel(self, result, reason) -> None:  # type: ignore[no-untyped-def]
        pass


def test_a_scanned_local_code_opens_the_procedure_and_the_ticket_asks_for_the_national_code(hall, procedures):
    effects = Effects()
    controller = Controller(effects)
    controller.on_connection(True)
    controller.on_printer(PrinterStatus.OK)
    controller.on_catalogue(sample_view(hall, procedures), 0.0)
    assert controller.on_scan(b"https://dichvucong.khanhhoa.gov.vn/TTHC/ChiTiet?ma=2.000815.000.00.00.H56", 1.0)
    assert controller.state.screen is Screen.PROCEDURE and controller.state.procedure_code == "2.000815"
    controller.tap(Action("take", "2.000815"), 2.0)
    controller.tap(Action("priority", "none"), 3.0)
    assert effects.taken[-1].procedure == "2.000815"
    controller.tap(Action("home"), 5.0)
    controller.on_scan(b"9.999999.000.00.00.H56", 10.0)
    assert controller.state.message is not None
    assert "9.999999.000.00.00.H56" in controller.state.message.body  # the code on the citizen's sheet


DEGRADATIONS = ["clean", "blur-2.5", "rotate-45", "perspective-0.3", "noise-45", "contrast-20", "glare", "jpeg-15"]


@pytest.fixture(scope="module")
def decoder():
    qr = QrDecoder()
    yield qr
    qr.close()


@pytest.mark.parametrize("degradation", DEGRADATIONS)
@pytest.mark.parametrize("sheet", [0, 6, 7, 8], ids=["bare-H01", "hanoi", "hcm-ma", "khanhhoa-ma"])
def test_degraded_pictures_of_provincial_sheets_are_read_and_accepted(decoder, sheet: int, degradation: str):
    payload, national, local = SHEETS[sheet]
    frame = degraded(payload, degradation, module_px=5)
    if degradation == "perspective-0.3":
        OUTPUT.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(OUTPUT / f"qr-local-{sheet}-{degradation}.png"), frame)
    found = decoder.decode(frame, thorough=True)
    assert found == [payload.encode()]
    result = parse_scan(found[0], known_codes=KNOWN)
    assert result.accepted and (result.code, result.local_code) == (national, local)
