"""Drawing a `Frame` with pygame-ce: the bundled DejaVu fonts through pygame.freetype, text surfaces cached.

Works on any surface — the screen, or an off-screen one for tests and screenshots — and needs no display.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Mapping

import pygame
import pygame.freetype

from motcua.fonts import font_path
from motcua.text import nfc
from queue_display.layout import Color, FontKey, Frame, Ink, Ticker

logger = logging.getLogger(__name__)

RGB = tuple[int, int, int]

#: Light text on deep blue, the called number in amber: contrast ratios 16:1 (white) and 12:1 (amber), read by
#: eyes with cataract or low contrast sensitivity; no meaning carried by red/green alone.
THEME: Mapping[Color, RGB] = {
    "bg": (7, 24, 46),
    "header": (3, 14, 30),
    "panel": (14, 38, 68),
    "row_alt": (22, 50, 86),
    "call": (16, 44, 80),
    "highlight": (255, 210, 0),
    "text": (255, 255, 255),
    "muted": (176, 196, 222),
    "number": (255, 210, 0),
    "on_highlight": (7, 24, 46),
    "on_highlight_muted": (40, 50, 70),
    "warning": (255, 150, 60),
    "ticker": (226, 234, 245),
    "on_ticker": (7, 24, 46),
}

_FONT_FILES: Mapping[FontKey, tuple[bool, bool]] = {
    "regular": (False, False),
    "bold": (True, False),
    "condensed": (False, True),
    "condensed-bold": (True, True),
}

#: Rendered text surfaces kept (a board has ~60 texts; recent calls shift between cells at other sizes).
TEXT_CACHE = 512


class FontBook:
    """The bundled fonts: measure and render text. No display needed (pygame.freetype only)."""

    def __init__(self) -> None:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self.fonts: dict[FontKey, pygame.freetype.Font] = {}
        for key, (bold, condensed) in _FONT_FILES.items():
            font = pygame.freetype.Font(str(font_path(bold=bold, condensed=condensed)))
            font.pad = False
            self.fonts[key] = font
        self._surfaces: OrderedDict[tuple[str, FontKey, int, RGB], tuple[pygame.Surface, pygame.Rect]] = OrderedDict()
        self._warned: set[str] = set()
        self.measure = functools.lru_cache(maxsize=8192)(self._measure)

    def _measure(self, text: str, font: FontKey, size: int) -> Ink:
        rect = self.fonts[font].get_rect(text, size=size)
        return Ink(rect.x, rect.y, rect.w, rect.h)

    def missing_glyphs(self, text: str, font: FontKey = "regular") -> list[str]:
        """Characters of `text` the font cannot draw (get_metrics gives None for them)."""
        text = nfc(text)
        metrics = self.fonts[font].get_metrics(text, size=24)
        return [ch for ch, metric in zip(text, metrics, strict=False) if metric is None and not ch.isspace()]

    def render(self, text: str, font: FontKey, size: int, color: RGB) -> tuple[pygame.Surface, pygame.Rect]:
        key = (text, font, size, color)
        cached = self._surfaces.get(key)
        if cached is not None:
            self._surfaces.move_to_end(key)
            return cached
        if text not in self._warned:
            missing = self.missing_glyphs(text, font)
            if missing:
                self._warned.add(text)
                logger.warning("font %s has no glyph for %s in %r", font, "".join(missing), text)
        surface, rect = self.fonts[font].render(text, color, size=size)
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            # The screen's pixel format: SDL's fast blitter instead of a per-pixel conversion (4x faster frames).
            surface = surface.convert_alpha()
        self._surfaces[key] = (surface, rect)
        if len(self._surfaces) > TEXT_CACHE:
            self._surfaces.popitem(last=False)
        return surface, rect


class BoardRenderer:
    """Draws frames; the ticker strip can be redrawn on its own (the only animation that runs for long)."""

    def __init__(self, fonts: FontBook, theme: Mapping[Color, RGB] = THEME) -> None:
        self.fonts = fonts
        self.theme = theme

    def draw(self, surface: pygame.Surface, frame: Frame, ticker_offset: float = 0.0) -> None:
        for fill in frame.fills:
            rect = pygame.Rect(fill.box.x, fill.box.y, fill.box.w, fill.box.h)
            pygame.draw.rect(surface, self.theme[fill.color], rect, border_radius=fill.radius)
        for item in frame.texts:
            image, rect = self.fonts.render(item.text, item.font, item.size, self.theme[item.color])
            surface.blit(image, (item.origin[0] + rect.x, item.origin[1] - rect.y))
        if frame.ticker is not None:
            self.draw_ticker(surface, frame.ticker, ticker_offset)

    def draw_ticker(self, surface: pygame.Surface, ticker: Ticker, offset: float) -> pygame.Rect:
        """Draw the notice scrolled by `offset` pixels; returns the rectangle to update on screen."""
        box = pygame.Rect(ticker.box.x, ticker.box.y, ticker.box.w, ticker.box.h)
        background = self.theme["ticker"]
        surface.fill(background, box)
        image, rect = self.fonts.render(ticker.text, ticker.font, ticker.size, self.theme[ticker.color])
        y = ticker.baseline - rect.y
        previous_clip = surface.get_clip()
        surface.set_clip(box)
        if not ticker.scroll:
            surface.blit(image, (box.x + rect.x, y))
        else:
            period = ticker_period(ticker)
            x = box.x - (offset % period)  # offset 0: the notice starts at the left edge
            surface.blit(image, (round(x) + rect.x, y))
            surface.blit(image, (round(x + period) + rect.x, y))
        surface.set_clip(previous_clip)
        return box


def ticker_period(ticker: Ticker) -> float:
    """Pixels after which the scrolling notice repeats: its width plus a gap, entering from the right edge."""
    return float(ticker.ink.w + ticker.box.w // 3)
