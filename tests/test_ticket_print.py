"""The printed ticket: rendering (kiosk.ticket), ESC/POS bytes and their decoding (kiosk.escpos_raster), and the
printer seam with its faults (kiosk.printer)."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pygame.freetype
import pytest
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy
from kiosk_support import OUTPUT
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from kiosk.config import PrinterSection
from kiosk.escpos_raster import RasterDecodeError, decode, decode_tickets
from kiosk.i18n import Lang
from kiosk.printer import (
    PrinterStatus,
    SimulatedPrinter,
    TicketPrinter,
    build_job,
    escpos_profile,
    parse_paper_status,
    parse_printer_status,
)
from kiosk.ticket import PAPER_WIDTHS, TicketHeader, render_ticket, ticket_details, ticket_margin
from motcua.contract import PriorityCategory, TicketInfo
from motcua.fonts import font_path

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = TicketHeader("Bộ phận Tiếp nhận và Trả kết quả — UBND phường Hòa Bình", "0214 3 000 000")


def ticket(**changes) -> TicketInfo:
    values = dict(
        id="20261123-1023",
        label="1023",
        number=1023,
        service="ho-tich",
        service_name="Hộ tịch – Nuôi con nuôi",
        service_name_en="Civil status and adoption",
        procedure="1.001193",
        issued_at=datetime(2026, 11, 23, 1, 5, tzinfo=UTC),
        counters=[1, 2],
        people_ahead=3,
        estimated_wait_min=17,
        priority=PriorityCategory.ELDERLY,
    )
    values.update(changes)
    return TicketInfo(**values)


def settings(**values) -> PrinterSection:
    return PrinterSection(**{"connection": "dummy", **values})


def qr_payloads(image: Image.Image) -> list[bytes]:
    gray = np.array(image.convert("L"))
    return [s.data for s in zbar_decode(gray, symbols=[ZBarSymbol.QRCODE])]


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_ticket_bytes_decode_back_to_the_rendered_ticket_and_its_qr_holds_the_ticket_id(paper: str):
    printer_settings = settings(paper=paper)
    social = ticket(service="lao-dong-xa-hoi", service_name="Lao động – Người có công – Bảo trợ xã hội", procedure=None)
    image = render_ticket(social, HEADER, width=printer_settings.dots, zone=ZONE)
    assert image.mode == "1"
    assert image.width == PAPER_WIDTHS[paper]
    job = build_job(image, printer_settings)
    papers = decode(job)
    assert len(papers) == 1 and papers[0].cut
    printed = decode_tickets(job)[0]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    printed.save(OUTPUT / f"ticket-{paper}.png")
    assert printed.width == PAPER_WIDTHS[paper]
    # what the printer receives is exactly what was rendered (apart from the blank feed before the cut)
    rendered = np.array(image)
    assert np.array_equal(np.array(printed)[: rendered.shape[0]], rendered[: np.array(printed).shape[0]])
    assert qr_payloads(printed) == [b"20261123-1023"]


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_the_saved_ticket_keeps_its_own_margins(paper: str, tmp_path: Path):
    """The simulated printer's PNG cut the ticket at its last black dot: "Xin cảm ơn!" sat on the bottom edge."""
    printer_settings = settings(paper=paper, save_dir=tmp_path)
    image = render_ticket(ticket(), HEADER, width=printer_settings.dots, zone=ZONE)
    printer = simulated(tmp_path, paper=paper)
    printer.print_image(image)
    printer.close()
    saved = Image.open(next(tmp_path.glob("ticket-*.png")))
    rows = np.array(saved.convert("L")).min(axis=1)  # 0 where a row has a black dot
    inked = np.flatnonzero(rows == 0)
    margin = ticket_margin(printer_settings.dots)
    assert saved.size == image.size
    assert saved.height - 1 - inked[-1] >= margin  # white rows under "Xin cảm ơn!"
    assert inked[0] >= margin  # and above the hall's name
    assert np.array_equal(np.array(saved.convert("1")), np.array(image))


def test_the_ticket_says_where_the_citizen_will_be_served_not_go_now():
    details = ticket_details(ticket(counters=[2], people_ahead=4), ZONE, Lang.VI)
    assert details[0] == ("Quầy phục vụ: 2", True)
    assert details[1:3] == [("Số người chờ trước: 4", False), ("Thời gian chờ dự kiến: khoảng 15 phút", False)]
    english = ticket_details(ticket(counters=[1, 2]), ZONE, Lang.EN)
    assert english[0] == ("Served at counter: 1 and 2", True)
    assert not any("Mời đến quầy" in line for line, _ in details)


def test_the_ticket_is_drawn_with_python_escpos_raster_images_in_slices():
    printer_settings = settings(paper="80mm", fragment_height=128)
    image = render_ticket(ticket(), HEADER, width=576, zone=ZONE)
    job = build_job(image, printer_settings)
    assert job.startswith(b"\x1b@")  # ESC @: a printer left in a strange mode by garbage starts clean
    assert job.count(b"\x1dv0") == -(-image.height // 128)  # GS v 0, one per slice
    assert b"\x1dV" in job  # and a cut
    decode(job)  # strict: any text (code pages, where Vietnamese gets garbled) would be refused


def test_the_ticket_text_uses_only_glyphs_the_font_has():
    pygame.freetype.init()
    fonts = [pygame.freetype.Font(str(font_path(bold=b))) for b in (False, True)]
    words = [
        HEADER.hall_name,
        "SỐ THỨ TỰ",
        "Hộ tịch – Nuôi con nuôi",
        "ƯU TIÊN: Người có công với cách mạng",
        "Quầy phục vụ: 1, 2 và 6",
        "Số người chờ trước",
        "Thời gian chờ dự kiến: khoảng 1 giờ 5 phút",
        "08:05 — Thứ Hai, 23/11/2026",
        "Chủ Nhật",
        "Thứ Bảy",
        "Mã phiếu",
        "Góp ý, phản ánh",
        "Xin cảm ơn!",
    ]
    for font in fonts:
        for text in words:
            assert all(m is not None for m in font.get_metrics(text, size=24)), text


def test_english_tickets_and_tickets_without_extras_render():
    image = render_ticket(
        ticket(priority=None, procedure=None, estimated_wait_min=None, service_name_en=None),
        TicketHeader("One-stop office", None),
        width=384,
        zone=ZONE,
        lang=Lang.EN,
    )
    assert image.width == 384
    assert qr_payloads(decode_tickets(build_job(image, settings(paper="58mm")))[0]) == [b"20261123-1023"]
    with pytest.raises(ValueError):
        render_ticket(ticket(), HEADER, width=200, zone=ZONE)


def test_the_image_must_match_the_paper_and_the_profile():
    image = render_ticket(ticket(), HEADER, width=576, zone=ZONE)
    with pytest.raises(ValueError, match="576 dots wide"):
        build_job(image, settings(paper="58mm"))
    assert escpos_profile(settings(paper="80mm", profile="TM-T20II")).profile_data["media"]["width"]["pixels"] == 576
    with pytest.raises(ValueError, match="prints 384 dots"):
        escpos_profile(settings(paper="80mm", profile="POS-5890"))
    # an unknown width is told the paper's, so python-escpos checks it (and stops printing warnings)
    assert escpos_profile(settings(paper="58mm")).profile_data["media"]["width"]["pixels"] == 384
    assert escpos_profile(settings(width_px=512)).profile_data["media"]["width"]["pixels"] == 512


def test_the_decoder_refuses_what_it_does_not_know():
    with pytest.raises(RasterDecodeError, match="text"):
        decode(b"\x1b@Hello")
    with pytest.raises(RasterDecodeError, match="cut short"):
        decode(b"\x1dv0\x00\x02\x00\x10\x00\xff")
    with pytest.raises(RasterDecodeError, match="ESC 0x74"):
        decode(b"\x1bt\x10")
    assert decode(b"") == []


def test_the_decoder_reads_python_escpos_double_density_modes():
    printer = Dummy()
    image = Image.new("1", (16, 4), 1)
    image.putpixel((0, 0), 0)
    printer.image(image, high_density_horizontal=False, high_density_vertical=False)
    decoded = decode(printer.output)[0].image()
    assert decoded.size == (32, 8)


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (b"", PrinterStatus.UNKNOWN),  # python-escpos' paper_status() would say "plenty of paper"
        (b"\x12", PrinterStatus.OK),
        (b"\x1e", PrinterStatus.PAPER_LOW),
        (b"\x72", PrinterStatus.NO_PAPER),
        (b"\x7e", PrinterStatus.NO_PAPER),
        (b"\xff", PrinterStatus.UNKNOWN),
        (b"\x00", PrinterStatus.UNKNOWN),
    ],
)
def test_paper_status_replies(reply: bytes, status: PrinterStatus):
    assert parse_paper_status(reply) is status


def test_printer_status_replies():
    assert parse_printer_status(b"") is PrinterStatus.UNKNOWN
    assert parse_printer_status(b"\x12") is PrinterStatus.OK
    assert parse_printer_status(b"\x1a") is PrinterStatus.OFFLINE


def simulated(tmp_path: Path | None = None, **values) -> TicketPrinter:
    return TicketPrinter(settings(save_dir=tmp_path, **values))


def small_image(width: int = 576) -> Image.Image:
    return render_ticket(ticket(), HEADER, width=width, zone=ZONE)


def test_the_simulated_printer_prints_and_saves_what_the_bytes_say(tmp_path: Path):
    printer = simulated(tmp_path / "out")
    assert printer.status() is PrinterStatus.OK
    result = printer.print_image(small_image())
    assert result.printed and result.status is PrinterStatus.OK
    assert printer.simulated is not None
    assert printer.simulated.saved == [tmp_path / "out" / "ticket-0001.png"]
    assert qr_payloads(Image.open(printer.simulated.saved[0])) == [b"20261123-1023"]


def test_out_of_paper_is_known_before_and_after_printing(tmp_path: Path):
    printer = simulated(tmp_path)
    assert printer.simulated is not None
    printer.simulated.state = "no_paper"
    assert printer.status() is PrinterStatus.NO_PAPER
    assert not printer.status().can_print
    result = printer.print_image(small_image())
    assert not result.printed and result.problem == "no_paper"
    assert printer.simulated.tickets == []  # nothing came out


def test_paper_running_out_during_the_ticket_is_a_failed_print():
    class RunsOut(SimulatedPrinter):
        def _raw(self, msg: bytes) -> None:
            super()._raw(msg)
            if len(msg) > 100:
                self.state = "no_paper"

    device = RunsOut()
    printer = TicketPrinter(settings(), simulated=device)
    assert printer.status() is PrinterStatus.OK
    result = printer.print_image(small_image())
    assert not result.printed and result.problem == "no_paper"
    statuses: list[PrinterStatus] = []
    printer.on_status(statuses.append)
    device.state = "ok"
    assert printer.status() is PrinterStatus.OK
    assert statuses == [PrinterStatus.OK]


def test_a_silent_printer_is_unknown_not_ok_and_still_prints():
    printer = simulated()
    assert printer.simulated is not None
    printer.simulated.state = "silent"
    assert printer.status() is PrinterStatus.UNKNOWN
    assert printer.status().can_print
    result = printer.print_image(small_image())
    assert result.printed and result.status is PrinterStatus.UNKNOWN
    # not asked again on the ticket path (a USB read would make each citizen wait for its timeout)...
    printer.simulated.state = "no_paper"
    assert printer.status() is PrinterStatus.UNKNOWN
    # ... but the background check asks, and a printer that answers again is believed again
    assert printer.status(probe=True) is PrinterStatus.NO_PAPER
    assert printer.status() is PrinterStatus.NO_PAPER


def test_an_unplugged_printer_is_reopened_when_it_comes_back():
    printer = simulated()
    assert printer.simulated is not None
    printer.simulated.state = "unplugged"
    assert printer.status() is PrinterStatus.UNPLUGGED
    result = printer.print_image(small_image())
    assert not result.printed and result.problem == "unplugged"
    printer.simulated.state = "ok"
    assert printer.status() is PrinterStatus.OK
    assert printer.print_image(small_image()).printed


def test_a_cover_open_printer_is_offline():
    printer = simulated()
    assert printer.simulated is not None
    printer.simulated.state = "offline"
    assert printer.status() is PrinterStatus.OFFLINE
    assert not printer.print_image(small_image()).printed


def test_a_failed_open_builds_a_fresh_printer_next_time():
    # python-escpos leaves .device None after a failed open(): the seam makes a new printer object instead.
    made: list[SimulatedPrinter] = []

    def factory() -> SimulatedPrinter:
        device = SimulatedPrinter()
        device.state = "unplugged" if len(made) < 2 else "ok"
        made.append(device)
        return device

    printer = TicketPrinter(settings(), factory=factory)
    assert printer.status() is PrinterStatus.UNPLUGGED
    assert printer.status() is PrinterStatus.UNPLUGGED
    assert printer.status() is PrinterStatus.OK
    assert printer.print_image(small_image()).printed
    assert len(made) == 3
    assert len(made[-1].tickets) == 1


def test_a_write_error_is_a_failed_print_and_the_device_is_dropped():
    class Breaks(SimulatedPrinter):
        def _raw(self, msg: bytes) -> None:
            if len(msg) > 100:
                raise OSError(19, "No such device")
            super()._raw(msg)

    made: list[SimulatedPrinter] = []

    def factory():
        made.append(Breaks() if not made else SimulatedPrinter())
        return made[-1]

    printer = TicketPrinter(settings(), factory=factory)
    result = printer.print_image(small_image())
    assert not result.printed and result.problem == "unplugged"
    assert printer.print_image(small_image()).printed
    assert len(made) == 2


def test_a_device_file_printer_gets_the_bytes_and_has_no_status(tmp_path: Path):
    device = tmp_path / "lp0"
    device.touch()
    printer = TicketPrinter(PrinterSection(connection="file", device_file=device, paper="58mm", settle_s=0))
    assert printer.status() is PrinterStatus.UNKNOWN  # write-only: nothing to read
    image = small_image(384)
    result = printer.print_image(image)
    printer.close()
    assert result.printed
    assert device.read_bytes() == build_job(image, printer.settings)


def test_a_missing_device_file_is_unplugged(tmp_path: Path):
    printer = TicketPrinter(PrinterSection(connection="file", device_file=tmp_path / "nope" / "lp0", settle_s=0))
    assert printer.status() is PrinterStatus.UNPLUGGED


class FakeNetworkPrinter:
    """A raw-TCP (port 9100) thermal printer: collects bytes, answers DLE EOT queries (or stays silent)."""

    def __init__(self, *, answer: bytes | None = b"\x12") -> None:
        self.answer = answer
        self.received = bytearray()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                self.received.extend(data)
                if data.startswith(b"\x10\x04") and self.answer is not None:
                    conn.sendall(self.answer)

    def close(self) -> None:
        self.server.close()


def test_a_network_printer_answers_its_status_and_prints():
    fake = FakeNetworkPrinter(answer=b"\x12")
    try:
        printer = TicketPrinter(
            PrinterSection(connection="network", host="127.0.0.1", port=fake.port, settle_s=0, timeout_s=2)
        )
        assert printer.status() is PrinterStatus.OK
        image = small_image()
        assert printer.print_image(image).printed
        printer.close()
        fake.thread.join(5)
        assert build_job(image, printer.settings) in bytes(fake.received)
    finally:
        fake.close()


def test_a_network_printer_that_never_answers_is_unknown():
    fake = FakeNetworkPrinter(answer=None)
    try:
        printer = TicketPrinter(
            PrinterSection(connection="network", host="127.0.0.1", port=fake.port, settle_s=0, timeout_s=0.3)
        )
        assert printer.status() is PrinterStatus.UNKNOWN
        printer.close()
    finally:
        fake.close()


def test_nobody_listening_on_the_network_is_unplugged():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    printer = TicketPrinter(PrinterSection(connection="network", host="127.0.0.1", port=port, timeout_s=0.5))
    assert printer.status() is PrinterStatus.UNPLUGGED


def test_printer_config_needs_the_connection_details():
    from motcua.config import validate_config
    from motcua.errors import ConfigError

    with pytest.raises(ConfigError, match="usb_vendor_id, usb_product_id"):
        validate_config({"connection": "usb"}, PrinterSection, source="kiosk.toml")
    with pytest.raises(ConfigError, match="did you mean 'paper'"):
        validate_config({"connection": "dummy", "papr": "58mm"}, PrinterSection, source="kiosk.toml")
    usb = validate_config(
        {"connection": "usb", "usb_vendor_id": 0x0416, "usb_product_id": 0x5011}, PrinterSection, source="kiosk.toml"
    )
    assert usb.dots == 576 and usb.settle == 1.0
    assert settings().settle == 0.0


def test_unplugged_simulated_printer_refuses_to_open():
    device = SimulatedPrinter()
    device.state = "unplugged"
    with pytest.raises(DeviceNotFoundError):
        device.open()
