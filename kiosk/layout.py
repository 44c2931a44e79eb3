"""Splitting long procedure descriptions into pages, for the screens and the printed sheets. Pure: text is
measured through a `motcua.text.TextMetrics`; rectangles, wrapping and fitting live in `motcua.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from motcua.text import TextMetrics, wrap


@dataclass(frozen=True)
class Block:
    """A paragraph of a long description: a heading, a paragraph, or a bullet item."""

    text: str
    kind: str = "body"  # "heading" | "body" | "bullet"


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # as the block it comes from
    indent: int  # pixels
    y: int  # top of the line within the page
    first: bool  # first line of its block (a bullet is drawn there)


def paginate(
    blocks: Sequence[Block],
    width: int,
    height: int,
    metrics: TextMetrics,
    *,
    size: int,
    heading_size: int,
    bullet_indent: int,
    gap: int,
) -> list[list[Line]]:
    """Lay blocks out in pages of `height`: headings never end a page, long blocks continue on the next page."""
    pages: list[list[Line]] = [[]]
    y = 0
    body_height = metrics.line_height(size)
    heading_height = metrics.line_height(heading_size)
    for index, block in enumerate(blocks):
        is_heading = block.kind == "heading"
        font_size = heading_size if is_heading else size
        indent = bullet_indent if block.kind == "bullet" else 0
        line_height = heading_height if is_heading else body_height
        lines = wrap(block.text, width - indent, font_size, metrics)
        if y > 0 and index > 0:
            y += gap
        for number, text in enumerate(lines):
            needed = line_height
            if is_heading and number == len(lines) - 1 and index + 1 < len(blocks):
                needed += gap + body_height  # keep a heading with the first line after it
            if y + needed > height and pages[-1]:
                pages.append([])
                y = 0
            pages[-1].append(Line(text, block.kind, indent, y, number == 0))
            y += line_height
    return [page for page in pages if page] or [[]]
