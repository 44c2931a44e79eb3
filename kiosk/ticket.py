"""The printed ticket (phiếu số thứ tự), drawn with Pillow and the bundled font into a 1-bit image exactly as
wide as the printer's paper. Printer code pages cannot spell Vietnamese reliably (docs/developing.md), so the printer
only ever receives a picture.

`render_ticket` is pure apart from reading the font files: same ticket, same pixels.
"""

from __future__ import annotations

import math
from datetime import tzinfo
from functools import lru_cache
from pathlib import Path

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from kiosk import i18n
from kiosk.i18n import Lang, priority_label
from kiosk.model import TicketHeader as TicketHeader  # re-exported
from kiosk.text import format_counters, format_counters_en, format_datetime, format_wait
from motcua.contract import TicketInfo
from motcua.fonts import font_path
from motcua.text import Lexicon, fit_text, nfc, wrap

#: Smallest text on paper, in dots (2.1 mm at 203 dpi): thinner strokes break up on thermal paper.
MIN_TEXT_DOTS = 17
#: Printable dots across the paper: 58 mm rolls print 48 mm at 203 dpi, 80 mm rolls 72 mm.
PAPER_WIDTHS = {"58mm": 384, "80mm": 576}


class PillowMetrics:
    """`kiosk.layout.TextMetrics` for Pillow, on one bundled font (bold or regular)."""

    def __init__(self, *, bold: bool = False, condensed: bool = False) -> None:
        self.path = font_path(bold=bold, condensed=condensed)
        self._widths: dict[tuple[str, int], int] = {}

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(str(self.path), size)

    def width(self, text: str, size: int) -> int:
        key = (text, size)
        found = self._widths.get(key)
        if found is None:
            if len(self._widths) > 20000:
                self._widths.clear()
            found = self._widths[key] = math.ceil(self.font(size).getlength(text))
        return found

    def line_height(self, size: int) -> int:
        ascent, descent = self.font(size).getmetrics()
        return int(ascent + descent + size * 0.1)


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def qr_image(data: str, *, scale: int, border: int = 4, error: str = "m") -> Image.Image:
    """A QR code as a 1-bit Pillow image, `scale` pixels per module (segno: pure Python, no system library)."""
    code = segno.make(data, error=error, micro=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    matrix = np.pad(matrix, border, constant_values=0)
    pixels = np.where(matrix > 0, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, mode="L")
    size = image.width * scale
    return image.resize((size, size), Image.Resampling.NEAREST)


def ticket_margin(width: int) -> int:
    """The white margin left and right of a ticket `width` dots wide (and above and below it)."""
    return max(8, round(16 * width / 576))


def ticket_text_size(width: int, size_on_80mm: int) -> int:
    """A text size on a ticket `width` dots wide, designed for 80 mm paper (576 dots)."""
    return max(MIN_TEXT_DOTS, round(size_on_80mm * width / 576))


def ticket_details(ticket: TicketInfo, zone: tzinfo, lang: Lang) -> list[tuple[str, bool]]:
    """The lines under the number, each with whether it is printed bold: where the citizen will be called (not
    "Mời đến quầy", which reads as "go now" while people are still ahead), people ahead, the wait, the time."""
    english = lang is Lang.EN
    counters = format_counters_en(ticket.counters) if english else format_counters(ticket.counters)
    lines = [
        (i18n.text("served_at", lang, counters=counters), True),
        (i18n.text("people_ahead", lang, n=ticket.people_ahead), False),
        (i18n.text("estimated_wait", lang, wait=format_wait(ticket.estimated_wait_min, english=english)), False),
        (format_datetime(ticket.issued_at, zone, english=english), False),
    ]
    if ticket.booked_for is not None:  # called at the appointment: its time, not a walk-in's estimate
        lines[1:3] = [(i18n.text("booked_for", lang, time=f"{ticket.booked_for.astimezone(zone):%H:%M}"), True)]
    return lines


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
    margin = ticket_margin(width)
    inner = width - 2 * margin
    regular, bold = PillowMetrics(), PillowMetrics(bold=True)
    service = (ticket.service_name_en or ticket.service_name) if english else ticket.service_name
    # Lines never split a word of the hall's own names ("Bảo trợ xã hội"), nor a common one.
    lexicon = Lexicon.common().with_names([header.hall_name, service, procedure_name or ""])
    canvas = Image.new("L", (width, 2400), 255)
    draw = ImageDraw.Draw(canvas)
    y = margin

    def paragraph(text: str, size: int, *, strong: bool = False, center: bool = True, space: int = 4) -> None:
        nonlocal y
        size = max(size, MIN_TEXT_DOTS)
        metrics = bold if strong else regular
        font = metrics.font(size)
        for line in wrap(nfc(text), inner, size, metrics, lexicon=lexicon):
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
    paragraph(i18n.text("ticket_number", lang), round(28 * scale), strong=True, space=0)
    fitted = fit_text(
        ticket.label, inner, round(220 * scale), bold, max_size=round(200 * scale), min_size=40, max_lines=1
    )
    number_font = bold.font(fitted.size)
    left, top, right, bottom = (round(v) for v in number_font.getbbox(fitted.lines[0]))
    x = margin + (inner - (right - left)) // 2 - left
    draw.text((x, y - top), fitted.lines[0], font=number_font, fill=0)
    y += bottom - top + round(18 * scale)
    paragraph(service, round(30 * scale), strong=True)
    if ticket.priority is not None:
        category = priority_label(ticket.priority, lang)
        paragraph(i18n.text("priority_of_ticket", lang, category=category), round(26 * scale), strong=True)
    if procedure_name:
        paragraph(f"{ticket.procedure} — {procedure_name}" if ticket.procedure else procedure_name, round(20 * scale))
    rule()
    for text, strong in ticket_details(ticket, zone, lang):
        paragraph(text, round(26 * scale) if strong else round(24 * scale), strong=strong, space=2)
    rule()
    code = qr_image(ticket.id, scale=max(4, round(5 * scale)))  # modules of 0.5 mm or more: phones read them
    canvas.paste(code, (margin + (inner - code.width) // 2, y))
    y += code.height + 2
    paragraph(i18n.text("ticket_id", lang, id=ticket.id), round(20 * scale))
    if header.hotline:
        paragraph(i18n.text("ticket_hotline", lang, hotline=header.hotline), round(22 * scale), strong=True)
    paragraph(header.thanks, round(30 * scale), strong=True)  # in the ticket's language (kiosk.model.thanks_line)
    y += margin
    # Black text on white, thresholded (not dithered: dithered letters are grey fuzz on thermal paper).
    # A threshold above mid-grey keeps the anti-aliased edges of thin strokes black: bolder, more legible print.
    return canvas.crop((0, 0, width, y)).point(lambda value: 255 if value >= 170 else 0).convert("1")


def save_png(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path
