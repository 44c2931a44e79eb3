"""The printed ticket (phiếu số thứ tự), drawn with Pillow and the bundled font into a 1-bit image exactly as
wide as the printer's paper. Printer code pages cannot spell Vietnamese reliably (docs/developing.md), so the printer
only ever receives a picture.

`render_ticket` is pure apart from reading the font files: same ticket, same pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from kiosk.i18n import Lang, priority_label
from kiosk.layout import fit_text, wrap
from kiosk.text import format_counters, format_counters_en, format_datetime, format_wait, nfc
from motcua.contract import TicketInfo
from motcua.fonts import font_path

#: Smallest text on paper, in dots (2.1 mm at 203 dpi): thinner strokes break up on thermal paper.
MIN_TEXT_DOTS = 17
#: Printable dots across the paper: 58 mm rolls print 48 mm at 203 dpi, 80 mm rolls 72 mm.
PAPER_WIDTHS = {"58mm": 384, "80mm": 576}


class PillowMetrics:
    """`kiosk.layout.TextMetrics` for Pillow, on one bundled font (bold or regular)."""

    def __init__(self, *, bold: bool = False, condensed: bool = False) -> None:
        self.path = font_path(bold=bold, condensed=condensed)

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(str(self.path), size)

    def width(self, text: str, size: int) -> int:
        return math.ceil(self.font(size).getlength(text))

    def line_height(self, size: int) -> int:
        ascent, descent = self.font(size).getmetrics()
        return int(ascent + descent + size * 0.1)


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@dataclass(frozen=True)
class TicketHeader:
    """What the hall prints on every ticket (from the catalogue's hall info)."""

    hall_name: str
    hotline: str | None = None
    thanks: str = "Xin cảm ơn!"


def qr_image(data: str, *, scale: int, border: int = 4, error: str = "m") -> Image.Image:
    """A QR code as a 1-bit Pillow image, `scale` pixels per module (segno: pure Python, no system library)."""
    code = segno.make(data, error=error, micro=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    matrix = np.pad(matrix, border, constant_values=0)
    pixels = np.where(matrix > 0, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, mode="L")
    size = image.width * scale
    return image.resize((size, size), Image.Resampling.NEAREST)


def render_ticket(
    ticket: TicketInfo,
    header: TicketHeader,
    *,
    width: int,
    zone: tzinfo,
    lang: Lang = Lang.VI,
    procedure_name: str | None = None,
) -> Image.Image:
    """The ticket as a 1-bit image `width` dots wide (384 for 58 mm paper, 576 for 80 mm)."""
    if width < 256:
        raise ValueError(f"a ticket needs at least 256 dots across, not {width}")
    english = lang is Lang.EN
    scale = width / 576
    margin = max(8, round(16 * scale))
    inner = width - 2 * margin
    regular, bold = PillowMetrics(), PillowMetrics(bold=True)
    canvas = Image.new("L", (width, 2400), 255)
    draw = ImageDraw.Draw(canvas)
    y = margin

    def paragraph(text: str, size: int, *, strong: bool = False, center: bool = True, space: int = 4) -> None:
        nonlocal y
        size = max(size, MIN_TEXT_DOTS)
        metrics = bold if strong else regular
        font = metrics.font(size)
        for line in wrap(nfc(text), inner, size, metrics):
            x = margin + ((inner - metrics.width(line, size)) // 2 if center else 0)
            draw.text((x, y), line, font=font, fill=0)
            y += metrics.line_height(size)
        y += space

    def rule() -> None:
        nonlocal y
        y += round(6 * scale)
        draw.line([(margin, y), (width - margin, y)], fill=0, width=max(2, round(3 * scale)))
        y += round(12 * scale)

    paragraph(header.hall_name, round(24 * scale), strong=True)
    rule()
    paragraph("YOUR NUMBER" if english else "SỐ THỨ TỰ", round(28 * scale), strong=True, space=0)
    fitted = fit_text(
        ticket.label, inner, round(220 * scale), bold, max_size=round(200 * scale), min_size=40, max_lines=1
    )
    number_font = bold.font(fitted.size)
    left, top, right, bottom = (round(v) for v in number_font.getbbox(fitted.lines[0]))
    x = margin + (inner - (right - left)) // 2 - left
    draw.text((x, y - top), fitted.lines[0], font=number_font, fill=0)
    y += bottom - top + round(18 * scale)
    service = (ticket.service_name_en or ticket.service_name) if english else ticket.service_name
    paragraph(service, round(30 * scale), strong=True)
    if ticket.priority is not None:
        label = priority_label(ticket.priority, lang)
        paragraph(f"{'PRIORITY' if english else 'ƯU TIÊN'}: {label}", round(26 * scale), strong=True)
    if procedure_name:
        paragraph(f"{ticket.procedure} — {procedure_name}" if ticket.procedure else procedure_name, round(20 * scale))
    rule()
    counters = format_counters_en(ticket.counters) if english else format_counters(ticket.counters)
    lines = [
        (f"Counter: {counters}" if english else f"Mời đến quầy: {counters}", True),
        (
            f"People ahead of you: {ticket.people_ahead}"
            if english
            else f"Số người chờ trước bạn: {ticket.people_ahead}",
            False,
        ),
        (
            f"Estimated wait: {format_wait(ticket.estimated_wait_min, english=True)}"
            if english
            else f"Thời gian chờ dự kiến: {format_wait(ticket.estimated_wait_min)}",
            False,
        ),
        (format_datetime(ticket.issued_at, zone, english=english), False),
    ]
    for text, strong in lines:
        paragraph(text, round(26 * scale) if strong else round(24 * scale), strong=strong, space=2)
    rule()
    code = qr_image(ticket.id, scale=max(4, round(5 * scale)))  # modules of 0.5 mm or more: phones read them
    canvas.paste(code, (margin + (inner - code.width) // 2, y))
    y += code.height + 2
    paragraph(f"{'Ticket' if english else 'Mã phiếu'}: {ticket.id}", round(20 * scale))
    if header.hotline:
        paragraph(
            f"{'Feedback hotline' if english else 'Góp ý, phản ánh'}: {header.hotline}", round(22 * scale), strong=True
        )
    paragraph(header.thanks if not english else "Thank you!", round(30 * scale), strong=True)
    y += margin
    # Black text on white, thresholded (not dithered: dithered letters are grey fuzz on thermal paper).
    # A threshold above mid-grey keeps the anti-aliased edges of thin strokes black: bolder, more legible print.
    return canvas.crop((0, 0, width, y)).point(lambda value: 255 if value >= 170 else 0).convert("1")


def save_png(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
