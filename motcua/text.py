"""Text that people read, shared by every device that draws it: one canonical form, rectangles, and fitting text
into boxes. Pure: text is measured through a `TextMetrics` (pygame.freetype on a screen, Pillow on paper), so the
rules are tested without a display. Knows no service and no device.

Everything shown or printed goes through `nfc` first: a catalogue typed on a Windows machine may carry decomposed
letters (``e`` + U+0301) that render with misplaced marks in some fonts and never compare equal to the composed form.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

ELLIPSIS = "…"


def nfc(text: str) -> str:
    """The composed (NFC) form: how every string is compared, measured and drawn."""
    return unicodedata.normalize("NFC", text)


# --- rectangles --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    """A rectangle in pixels: ``x``, ``y`` of the top-left corner, width ``w`` and height ``h``."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2

    def contains(self, x: float, y: float) -> bool:
        """Whether the point is inside (the right and bottom edges are outside)."""
        return self.x <= x < self.right and self.y <= y < self.bottom

    def contains_rect(self, other: Rect) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def inset(self, dx: int, dy: int | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def take_top(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a band of height `h` at the top and the rest below it (after `gap`)."""
        h = min(h, self.h)
        return Rect(self.x, self.y, self.w, h), Rect(self.x, self.y + h + gap, self.w, max(0, self.h - h - gap))

    def take_bottom(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a band of height `h` at the bottom and the rest above it."""
        h = min(h, self.h)
        return Rect(self.x, self.bottom - h, self.w, h), Rect(self.x, self.y, self.w, max(0, self.h - h - gap))

    def take_left(self, w: int, gap: int = 0) -> tuple[Rect, Rect]:
        w = min(w, self.w)
        return Rect(self.x, self.y, w, self.h), Rect(self.x + w + gap, self.y, max(0, self.w - w - gap), self.h)

    def take_right(self, w: int, gap: int = 0) -> tuple[Rect, Rect]:
        w = min(w, self.w)
        return Rect(self.right - w, self.y, w, self.h), Rect(self.x, self.y, max(0, self.w - w - gap), self.h)

    def columns(self, n: int, gap: int) -> list[Rect]:
        """`n` equal columns separated by `gap` (the last takes the rounding)."""
        return [Rect(r.y, self.y, r.h, self.h) for r in Rect(self.y, self.x, self.h, self.w).rows(n, gap)]

    def rows(self, n: int, gap: int) -> list[Rect]:
        """`n` equal rows separated by `gap` (transposed: `columns` reuses this)."""
        if n <= 0:
            return []
        each = (self.h - gap * (n - 1)) // n
        out = []
        for i in range(n):
            top = self.y + i * (each + gap)
            height = each if i < n - 1 else self.bottom - top
            out.append(Rect(self.x, top, self.w, max(0, height)))
        return out

    def grid(self, cols: int, rows: int, gap: int) -> list[Rect]:
        """Cells left to right, top to bottom."""
        return [cell for row in self.rows(rows, gap) for cell in row.columns(cols, gap)]


# --- measuring and fitting ---------------------------------------------------------------------------------


class TextWidths(Protocol):
    """Measures the width of one line of text in one font (regular or bold is chosen by the caller)."""

    def width(self, text: str, size: int) -> int:
        """Advance width in pixels of `text` on one line at `size`."""
        ...


class TextMetrics(TextWidths, Protocol):
    """Widths and line heights in one font."""

    def line_height(self, size: int) -> int:
        """Distance between two baselines at `size`, in pixels."""
        ...


@dataclass(frozen=True)
class FittedText:
    """Text laid out in a box: the font size chosen and its lines."""

    size: int
    lines: tuple[str, ...]
    line_height: int
    truncated: bool  # the text did not fit even at the smallest size: the last line ends with an ellipsis

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def wrap(text: str, width: int, size: int, metrics: TextWidths) -> list[str]:
    """Greedy word wrap at `size`; explicit newlines are kept; a word wider than the box is broken."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if metrics.width(candidate, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for piece in _break_word(word, width, size, metrics):
                if current:
                    lines.append(current)
                current = piece
        lines.append(current)
    return lines


def _break_word(word: str, width: int, size: int, metrics: TextWidths) -> Iterator[str]:
    if metrics.width(word, size) <= width:
        yield word
        return
    piece = ""
    for ch in word:
        if piece and metrics.width(piece + ch, size) > width:
            yield piece
            piece = ch
        else:
            piece += ch
    if piece:
        yield piece


def fit_text(
    text: str,
    width: int,
    height: int,
    metrics: TextMetrics,
    *,
    max_size: int,
    min_size: int,
    max_lines: int | None = None,
) -> FittedText:
    """The largest size in [min_size, max_size] at which `text` wraps into the box (and `max_lines`).

    Sizes are tried from the largest down in steps of about 6 %. At the smallest size, text that still does not
    fit is cut to the lines that fit and the last one ends with an ellipsis (``truncated``) — never drawn past
    the box.
    """
    min_size = max(1, min(min_size, max_size))
    size = max_size
    while True:
        lines = wrap(text, width, size, metrics)
        line_height = metrics.line_height(size)
        fits = len(lines) * line_height <= height and (max_lines is None or len(lines) <= max_lines)
        if fits and all(metrics.width(line, size) <= width for line in lines):
            return FittedText(size, tuple(lines), line_height, False)
        if size <= min_size:
            break
        size = max(min_size, min(size - 1, math.floor(size * 0.94)))
    line_height = metrics.line_height(size)
    room = max(1, height // line_height) if line_height <= height else 0
    if max_lines is not None:
        room = min(room, max_lines)
    if room == 0:
        return FittedText(size, (), line_height, True)
    kept = lines[:room]
    kept[-1] = ellipsize(" ".join([kept[-1], *lines[room:]]) if len(lines) > room else kept[-1], width, size, metrics)
    return FittedText(size, tuple(kept), line_height, True)


def ellipsize(text: str, width: int, size: int, metrics: TextWidths) -> str:
    """`text` cut (at a word if possible) so that it plus an ellipsis fits `width`."""
    if metrics.width(text, size) <= width:
        return text
    cut = text
    while cut and metrics.width(cut + ELLIPSIS, size) > width:
        shorter = cut.rsplit(" ", 1)[0] if " " in cut else cut[:-1]
        cut = shorter if shorter != cut else cut[:-1]
    return (cut.rstrip(" ,;:–—-") + ELLIPSIS) if cut else ELLIPSIS


def ellipsize_prefix(text: str, fits: Callable[[str], bool]) -> str:
    """The longest prefix of `text` that, followed by an ellipsis, `fits` (one line; binary search)."""
    low, high = 0, len(text)  # prefix lengths: low fits (with the ellipsis), high does not
    while high - low > 1:
        middle = (low + high) // 2
        if fits(text[:middle].rstrip() + ELLIPSIS):
            low = middle
        else:
            high = middle
    return text[:low].rstrip() + ELLIPSIS


def largest_size(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The largest size in [low, high] that `fits` (assumed monotonic: smaller text fits where larger does)."""
    if fits(high):
        return high
    if not fits(low):
        return None
    while high - low > 1:  # invariant: low fits, high does not
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low
