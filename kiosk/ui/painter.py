"""Drawing on the kiosk's screen with pygame-ce: the bundled fonts through pygame.freetype, text fitted into
boxes by `kiosk.layout`, buttons that remember where they are (the touch targets), QR codes.

Every piece of text drawn is recorded (`DrawnText`: its box, the rectangle the ink really covers, whether it had
to be shortened) so tests can assert that nothing overflows and every glyph exists in the font.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import pygame
import pygame.freetype
import segno

from kiosk.sizes import MIN_GAP_MM, MIN_TARGET_MM
from kiosk.ui.controller import Action
from motcua.fonts import font_path
from motcua.text import FittedText, Lexicon, Rect, fit_text, nfc

Color = tuple[int, int, int]

# Colours: high contrast for older eyes (WCAG AA or better for every text/background pair used).
BACKGROUND: Color = (246, 244, 238)
INK: Color = (25, 25, 25)
MUTED: Color = (85, 85, 85)
WHITE: Color = (255, 255, 255)
HEADER: Color = (160, 24, 24)  # the red of public-administration signage
HEADER_INK: Color = (255, 236, 160)
PRIMARY: Color = (13, 71, 161)
PRIMARY_DOWN: Color = (8, 45, 110)
TAKE: Color = (27, 94, 32)
PRIORITY: Color = (230, 81, 0)
SECONDARY: Color = (224, 224, 218)
DISABLED: Color = (190, 190, 185)
DISABLED_INK: Color = (70, 70, 70)
WARNING: Color = (255, 193, 7)
ERROR: Color = (183, 28, 28)
CARD: Color = (255, 255, 255)
BORDER: Color = (200, 198, 190)
CLOSED: Color = (120, 120, 120)  # a closed service's button
PRIORITY_INK: Color = (150, 60, 0)  # the orange of the priority buttons, darkened for text (6.5:1 on BACKGROUND)

#: Large-text mode ("Chữ to"): every length, text included, is this much larger (fewer items per page), and the
#: colours are swapped for darker ones, so that every text/background pair reaches WCAG AAA (7:1;
#: tests/test_kiosk_large_text.py measures each one drawn).
LARGE_TEXT_ZOOM = 1.5
HIGH_CONTRAST: dict[Color, Color] = {
    BACKGROUND: WHITE,
    INK: (0, 0, 0),
    MUTED: (40, 40, 40),
    HEADER: (120, 0, 0),
    PRIMARY: (10, 50, 130),
    PRIMARY_DOWN: (5, 30, 90),
    TAKE: (20, 80, 25),
    PRIORITY: (140, 40, 0),
    PRIORITY_INK: (120, 40, 0),
    ERROR: (150, 0, 0),
    CLOSED: (85, 85, 85),
    DISABLED_INK: (20, 20, 20),
    BORDER: (60, 60, 60),
}

#: Line pitch and baseline as multiples of the font size: room for stacked Vietnamese marks (Ẳ reaches 1.13 em
#: above the baseline in DejaVu Sans Bold, the font's own ascender is 0.93) and descenders (0.25 em).
LINE_PITCH = 1.40
BASELINE = 1.14


class FreetypeMetrics:
    """`kiosk.layout.TextMetrics` for one pygame.freetype font."""

    def __init__(self, font: pygame.freetype.Font) -> None:
        self.font = font
        self._cache: dict[tuple[str, int], int] = {}

    def width(self, text: str, size: int) -> int:
        key = (text, size)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 20000:
                self._cache.clear()
            rect = self.font.get_rect(text, size=size)
            left = min(0, rect.x)  # a negative left bearing (T, W, ý) is drawn shifted right by it
            found = max(rect.x + rect.width, math.ceil(self.advance(text, size))) - left
            self._cache[key] = found
        return found

    def advance(self, text: str, size: int) -> float:
        metrics = self.font.get_metrics(text, size=size)
        return sum(m[4] for m in metrics if m is not None)

    def line_height(self, size: int) -> int:
        return math.ceil(size * LINE_PITCH) + 1  # +1: glyph rounding at small sizes

    def missing_glyphs(self, text: str) -> set[str]:
        """Characters of `text` the font cannot draw (freetype returns no metrics for them)."""
        metrics = self.font.get_metrics(text, size=16)
        return {ch for ch, m in zip(text, metrics, strict=False) if m is None and not ch.isspace()}


@lru_cache(maxsize=4)
def load_font(bold: bool) -> pygame.freetype.Font:
    if not pygame.freetype.get_init():
        pygame.freetype.init()
    font = pygame.freetype.Font(str(font_path(bold=bold)))
    font.origin = True  # render_to positions the baseline: lines do not jump with their accents
    font.pad = False
    return font


@dataclass(frozen=True)
class DrawnText:
    text: str
    box: Rect  # where it had to fit
    ink: list[Rect]  # what each line really covered
    size: int
    truncated: bool
    may_truncate: bool
    bold: bool
    lines: tuple[str, ...] = ()  # as broken into lines
    color: Color = INK  # as drawn (after the palette)
    background: Color = BACKGROUND  # what was under the middle of its box before it was drawn


@dataclass(frozen=True)
class Hit:
    rect: Rect
    action: Action
    label: str


class Painter:
    """One frame's drawing: call the primitives, then read `texts` and `hits`.

    `px_per_mm`: the panel's density (from `[screen] diagonal_in`), None when unknown. With it, `target` and
    `gap` never give less than the 15 mm / 2.5 mm public terminals need (kiosk.sizes), and the screens fit fewer
    rows on a small panel. `large_text`: the citizen's "Chữ to" (every length x1.5, the high-contrast palette).
    """

    def __init__(self, surface: pygame.Surface, *, px_per_mm: float | None = None, large_text: bool = False) -> None:
        self.surface = surface
        self.width, self.height = surface.get_size()
        self.large_text = large_text
        self.scale = min(self.width / 1024, self.height / 600) * (LARGE_TEXT_ZOOM if large_text else 1.0)
        self.px_per_mm = px_per_mm
        # a pixel more than the guidance: rects are whole pixels and the measurement must not round below it
        self.min_target = math.ceil(MIN_TARGET_MM * px_per_mm) + 1 if px_per_mm else 0
        self.min_gap = math.ceil(MIN_GAP_MM * px_per_mm) + 1 if px_per_mm else 0
        self.palette: dict[Color, Color] = HIGH_CONTRAST if large_text else {}
        self.regular = FreetypeMetrics(load_font(False))
        self.bold = FreetypeMetrics(load_font(True))
        self.texts: list[DrawnText] = []
        self.hits: list[Hit] = []
        self.lexicon = Lexicon.common()  # the words lines must not split; the screens add the hall's names

    def px(self, value: float) -> int:
        """A length designed for 1024x600, at this screen's scale."""
        return max(1, round(value * self.scale))

    def target(self, value: float) -> int:
        """The side of a touch target designed as `value`: never under 15 mm on a panel of known size."""
        return max(self.px(value), self.min_target)

    def gap(self, value: float) -> int:
        """The space between two touch targets designed as `value`: never under 2.5 mm."""
        return max(self.px(value), self.min_gap)

    def mm(self, value: float) -> int | None:
        """`value` millimetres in pixels, None when the panel's size is unknown."""
        return math.ceil(value * self.px_per_mm) if self.px_per_mm else None

    def color(self, color: Color) -> Color:
        return self.palette.get(color, color)

    @property
    def screen(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    def fill(self, rect: Rect, color: Color, *, radius: int = 0, border: Color | None = None) -> None:
        area = pygame.Rect(rect.x, rect.y, rect.w, rect.h)
        pygame.draw.rect(self.surface, self.color(color), area, border_radius=radius)
        if border is not None:
            pygame.draw.rect(self.surface, self.color(border), area, width=max(1, self.px(2)), border_radius=radius)

    def text(
        self,
        rect: Rect,
        content: str,
        *,
        size: float,
        min_size: float | None = None,
        bold: bool = False,
        color: Color = INK,
        align: str = "left",
        valign: str = "top",
        max_lines: int | None = None,
        may_truncate: bool = False,
    ) -> FittedText:
        """Draw `content` inside `rect`, shrinking it down to `min_size` (design units) to fit."""
        content = nfc(content)
        color = self.color(color)
        metrics = self.bold if bold else self.regular
        max_px = self.px(size)
        min_px = self.px(min_size) if min_size is not None else max_px
        fitted = fit_text(
            content,
            rect.w,
            rect.h,
            metrics,
            max_size=max_px,
            min_size=min_px,
            max_lines=max_lines,
            lexicon=self.lexicon,
        )
        total = fitted.height
        top = rect.y
        if valign == "middle":
            top = rect.y + max(0, (rect.h - total) // 2)
        elif valign == "bottom":
            top = rect.bottom - total
        ink = []
        under: Color = BACKGROUND
        if self.screen.contains(*rect.center):
            under = tuple(self.surface.get_at(rect.center))[:3]  # type: ignore[assignment]
        for index, line in enumerate(fitted.lines):
            line_width = metrics.width(line, fitted.size)
            x = rect.x
            if align == "center":
                x = rect.x + (rect.w - line_width) // 2
            elif align == "right":
                x = rect.right - line_width
            x -= min(0, metrics.font.get_rect(line, size=fitted.size).x)
            baseline = top + index * fitted.line_height + math.ceil(fitted.size * BASELINE)
            drawn = metrics.font.render_to(self.surface, (x, baseline), line, fgcolor=color, size=fitted.size)
            ink.append(Rect(drawn.x, drawn.y, drawn.w, drawn.h))
        record = DrawnText(
            content, rect, ink, fitted.size, fitted.truncated, may_truncate, bold, fitted.lines, color, under
        )
        self.texts.append(record)
        return fitted

    def fit(
        self,
        rect: Rect,
        content: str,
        *,
        size: float,
        min_size: float | None = None,
        bold: bool = False,
        max_lines: int | None = None,
    ) -> FittedText:
        """How `content` would be laid out in `rect` (nothing is drawn)."""
        metrics = self.bold if bold else self.regular
        max_px = self.px(size)
        min_px = self.px(min_size) if min_size is not None else max_px
        return fit_text(
            nfc(content),
            rect.w,
            rect.h,
            metrics,
            max_size=max_px,
            min_size=min_px,
            max_lines=max_lines,
            lexicon=self.lexicon,
        )

    def button(
        self,
        rect: Rect,
        label: str,
        action: Action | None,
        *,
        color: Color = PRIMARY,
        ink: Color = WHITE,
        size: float = 26,
        min_size: float = 14,
        sublabel: str | None = None,
        sub_size: float = 18,
        max_lines: int | None = None,
        align: str = "center",
        may_truncate: bool = False,
        icon: str | None = None,
    ) -> None:
        """A touch target: rounded, padded, its label fitted inside. `action` None draws it disabled. `icon`
        "AA": a small and a large A before the label (the text-size sign older citizens know from phones)."""
        radius = self.px(14)
        if action is None:
            color, ink = DISABLED, DISABLED_INK
        shadow = Rect(rect.x, rect.y + self.px(3), rect.w, rect.h)
        self.fill(shadow, (170, 168, 160), radius=radius)
        self.fill(rect, color, radius=radius)
        inner = rect.inset(self.px(14), self.px(8))
        if icon == "AA" and inner.w > inner.h * 2:  # the sign before the label
            sign, inner = inner.take_left(min(inner.h, inner.w // 3), self.px(6))
            self._text_size_sign(sign, ink)
        elif icon == "AA":  # the sign above the label
            sign, inner = inner.take_top(round(inner.h * 0.45))
            self._text_size_sign(sign, ink)
            max_lines = 1
        if sublabel:
            # The label first (it is what the citizen looks for); the sublabel gets what is left, or is dropped.
            sub_min = min(sub_size, max(12.0, sub_size * 0.8))
            sub_line = self.regular.line_height(self.px(sub_min))
            label_box = inner.take_top(max(1, inner.h - sub_line))[0]
            # Two lines if the label fits in two (room for the sublabel), more only if it must.
            label_fit = self.fit(label_box, label, size=size, min_size=min_size, bold=True, max_lines=2)
            if label_fit.truncated and (max_lines is None or max_lines > 2):
                label_fit = self.fit(label_box, label, size=size, min_size=min_size, bold=True, max_lines=max_lines)
            if label_fit.truncated and not may_truncate:
                sublabel = None  # the label whole, without the sublabel
        if sublabel:
            sub_fit = self.fit(
                Rect(inner.x, inner.y, inner.w, max(1, inner.h - label_fit.height)),
                sublabel,
                size=sub_size,
                min_size=sub_min,
                max_lines=2,
            )
            block = label_fit.height + (sub_fit.height if sub_fit.lines else 0)
            top = inner.y + max(0, (inner.h - block) // 2)
            self.text(
                Rect(inner.x, top, inner.w, label_fit.height),
                label,
                size=size,
                min_size=min_size,
                bold=True,
                color=ink,
                align=align,
                max_lines=max_lines,
                may_truncate=may_truncate,
            )
            if sub_fit.lines:
                self.text(
                    Rect(inner.x, top + label_fit.height, inner.w, inner.bottom - top - label_fit.height),
                    sublabel,
                    size=sub_size,
                    min_size=sub_min,
                    color=ink,
                    align=align,
                    max_lines=2,
                    may_truncate=True,
                )
        else:
            self.text(
                inner,
                label,
                size=size,
                min_size=min_size,
                bold=True,
                color=ink,
                align=align,
                valign="middle",
                max_lines=max_lines,
                may_truncate=may_truncate,
            )
        if action is not None:
            self.hits.append(Hit(rect, action, label))

    def _text_size_sign(self, box: Rect, ink: Color) -> None:
        """A small "A" and a large "A" side by side on one baseline, filling `box` (drawn, not recorded as text:
        it is a sign, like ⌫)."""
        font = load_font(True)
        big = max(4, int(box.h * 0.8))
        small = max(3, int(big * 0.6))
        width = font.get_rect("A", size=small).width + font.get_rect("A", size=big).width
        while width > box.w and big > 4:
            big -= 1
            small = max(3, int(big * 0.6))
            width = font.get_rect("A", size=small).width + font.get_rect("A", size=big).width
        baseline = box.y + (box.h + font.get_rect("A", size=big).height) // 2
        x = box.x + (box.w - width) // 2
        drawn = font.render_to(self.surface, (x, baseline), "A", fgcolor=self.color(ink), size=small)
        font.render_to(self.surface, (drawn.right + 1, baseline), "A", fgcolor=self.color(ink), size=big)

    def qr(self, rect: Rect, data: str) -> Rect:
        """A QR code as large as fits in `rect`, centred, in whole pixels per module; returns where it is."""
        surface = _qr_surface(data)
        modules = surface.get_width()
        scale = max(1, min(rect.w, rect.h) // modules)
        side = modules * scale
        image = pygame.transform.scale(surface, (side, side))
        x = rect.x + (rect.w - side) // 2
        y = rect.y + (rect.h - side) // 2
        self.surface.blit(image, (x, y))
        return Rect(x, y, side, side)

    def hit_at(self, x: float, y: float) -> Hit | None:
        for hit in reversed(self.hits):
            if hit.rect.contains(x, y):
                return hit
        return None


@lru_cache(maxsize=32)
def _qr_surface(data: str) -> pygame.Surface:
    code = segno.make(data, error="m", micro=False)
    border = 4
    size = code.symbol_size(scale=1, border=border)[0]
    surface = pygame.Surface((size, size))
    surface.fill(WHITE)
    for y, row in enumerate(code.matrix):
        for x, module in enumerate(row):
            if module & 1:
                surface.set_at((x + border, y + border), (0, 0, 0))
    return surface
