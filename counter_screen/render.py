"""Drawing a counter screen `Frame` with pygame-ce: the bundled DejaVu fonts (every Vietnamese letter), faces drawn
as shapes (the mouth carries the meaning, not the colour). Works on any surface; needs no display."""

from __future__ import annotations

import functools
import logging
import math
from collections import OrderedDict
from collections.abc import Mapping

import pygame
import pygame.freetype

from counter_screen.layout import Color, Face, FontKey, Frame
from motcua.fonts import font_path
from motcua.text import nfc

logger = logging.getLogger(__name__)

RGB = tuple[int, int, int]

#: Light on deep blue, the number in amber (contrast 12:1), the warning orange; as on the hall's TV.
THEME: Mapping[Color, RGB] = {
    "bg": (7, 24, 46),
    "header": (3, 14, 30),
    "panel": (14, 38, 68),
    "text": (255, 255, 255),
    "muted": (176, 196, 222),
    "number": (255, 210, 0),
    "dim_number": (110, 92, 20),
    "warning": (255, 150, 60),
    "button": (30, 64, 110),
    "ticked": (255, 210, 0),
    "on_light": (7, 24, 46),
    "good": (60, 190, 110),
    "fair": (160, 215, 90),
    "neutral": (240, 190, 40),
    "poor": (245, 140, 50),
    "bad": (235, 90, 70),
}

TEXT_CACHE = 128


class Fonts:
    """Measure and render text in the bundled fonts (regular and bold)."""

    def __init__(self) -> None:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        self.fonts: dict[FontKey, pygame.freetype.Font] = {}
        for key, bold in (("regular", False), ("bold", True)):
            font = pygame.freetype.Font(str(font_path(bold=bold)))
            font.pad = False
            self.fonts[key] = font  # type: ignore[index]
        self._cache: OrderedDict[tuple[str, FontKey, int, RGB], tuple[pygame.Surface, pygame.Rect]] = OrderedDict()
        self.width = functools.lru_cache(maxsize=2048)(self._width)

    def _width(self, text: str, font: FontKey, size: int) -> int:
        return int(self.fonts[font].get_rect(nfc(text), size=size).w)

    def missing_glyphs(self, text: str, font: FontKey = "regular") -> list[str]:
        text = nfc(text)
        metrics = self.fonts[font].get_metrics(text, size=24)
        return [ch for ch, metric in zip(text, metrics, strict=False) if metric is None and not ch.isspace()]

    def render(self, text: str, font: FontKey, size: int, color: RGB) -> tuple[pygame.Surface, pygame.Rect]:
        key = (text, font, size, color)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        surface, rect = self.fonts[font].render(nfc(text), color, size=size)
        self._cache[key] = (surface, rect)
        if len(self._cache) > TEXT_CACHE:
            self._cache.popitem(last=False)
        return surface, rect


class Renderer:
    def __init__(self, fonts: Fonts, theme: Mapping[Color, RGB] = THEME) -> None:
        self.fonts = fonts
        self.theme = theme

    def draw(self, surface: pygame.Surface, frame: Frame) -> None:
        for fill in frame.fills:
            rect = pygame.Rect(fill.box.x, fill.box.y, fill.box.w, fill.box.h)
            pygame.draw.rect(surface, self.theme[fill.color], rect, width=fill.outline, border_radius=fill.radius)
        for face in frame.faces:
            self._face(surface, face)
        for item in frame.texts:
            image, _ = self.fonts.render(item.text, item.font, item.size, self.theme[item.color])
            box = item.box
            if item.align == "left":
                x = box.x
            elif item.align == "right":
                x = box.right - image.get_width()
            else:
                x = box.x + (box.w - image.get_width()) // 2
            y = box.y + (box.h - image.get_height()) // 2
            surface.blit(image, (x, y))

    def _face(self, surface: pygame.Surface, face: Face) -> None:
        box = face.box
        cx, cy = box.center
        r = box.w // 2
        color = self.theme[face.color]
        if face.dim:
            color = tuple(c // 3 for c in color)  # type: ignore[assignment]
        if face.chosen:
            pygame.draw.circle(surface, self.theme["text"], (cx, cy), r)
            r = r * 92 // 100
        pygame.draw.circle(surface, color, (cx, cy), r)
        ink = self.theme["on_light"]
        eye = max(3, r // 9)
        pygame.draw.circle(surface, ink, (cx - r * 35 // 100, cy - r * 25 // 100), eye)
        pygame.draw.circle(surface, ink, (cx + r * 35 // 100, cy - r * 25 // 100), eye)
        thick = max(3, r // 12)
        mood = max(-1.0, min(1.0, face.mood))
        if abs(mood) < 0.05:
            y = cy + r * 3 // 10
            pygame.draw.line(surface, ink, (cx - r * 4 // 10, y), (cx + r * 4 // 10, y), thick)
            return
        # The mouth is the lower (smile) or upper (frown) half of an ellipse as wide as half the face; how tall the
        # ellipse is says how strong: "Rất hài lòng" smiles more than "Hài lòng".
        w = r
        h = max(thick * 2, round(r * 0.4 * abs(mood)))
        if mood > 0:
            mouth = pygame.Rect(cx - w // 2, cy + r * 40 // 100 - 2 * h, w, 2 * h)
            pygame.draw.arc(surface, ink, mouth, math.pi + 0.15, 2 * math.pi - 0.15, thick)  # a smile
        else:
            mouth = pygame.Rect(cx - w // 2, cy + r * 25 // 100, w, 2 * h)
            pygame.draw.arc(surface, ink, mouth, 0.15, math.pi - 0.15, thick)  # a frown
