"""Read back what was sent to a thermal printer: the ESC/POS commands the kiosk uses, decoded into the image
the paper would show. The simulated printer saves each ticket with it (what you see in the PNG is what the
bytes say, not what the renderer meant) and the tests check tickets through it.

Understood: ESC @ (initialise), ESC 2 / ESC 3 n (line spacing), ESC d n and LF (feed), GS v 0 (raster bit
image), GS V (cut). Anything else is an error: the kiosk must not send commands nobody checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

ESC, GS, LF = 0x1B, 0x1D, 0x0A
DEFAULT_LINE_SPACING = 30  # dots, ESC 2


class RasterDecodeError(ValueError):
    """The bytes contain a command this decoder does not know, or are cut short."""


@dataclass
class PrintedPaper:
    """One piece of paper between two cuts."""

    blocks: list[np.ndarray] = field(default_factory=list)  # rows of dots, True = black
    width: int = 0  # dots
    cut: bool = False
    printed_rows: int = 0  # rows up to the end of the last image (the rest is blank paper fed before the cut)

    def image(self) -> Image.Image:
        if not self.blocks:
            return Image.new("1", (max(self.width, 1), 1), 1)
        width = max(block.shape[1] for block in self.blocks)
        rows = [np.pad(b, ((0, 0), (0, width - b.shape[1]))) for b in self.blocks]
        dots = np.vstack(rows)
        return Image.fromarray(np.where(dots, 0, 255).astype(np.uint8), mode="L").convert("1")


def decode(data: bytes) -> list[PrintedPaper]:
    """The papers printed by `data`: one per cut (and one for anything printed after the last cut)."""
    papers = [PrintedPaper()]
    spacing = DEFAULT_LINE_SPACING
    i = 0
    n = len(data)

    def need(count: int) -> None:
        if i + count > n:
            raise RasterDecodeError(f"command at byte {i} cut short")

    def feed(lines: int) -> None:
        paper = papers[-1]
        if lines and paper.blocks:
            paper.blocks.append(np.zeros((lines * spacing, paper.width), dtype=bool))

    while i < n:
        byte = data[i]
        if byte == LF:
            feed(1)
            i += 1
        elif byte == ESC:
            need(2)
            command = data[i + 1]
            if command == ord("@") or command == ord("2"):
                spacing = DEFAULT_LINE_SPACING
                i += 2
            elif command == ord("3"):
                need(3)
                spacing = data[i + 2]
                i += 3
            elif command == ord("d"):
                need(3)
                feed(data[i + 2])
                i += 3
            else:
                raise RasterDecodeError(f"unknown command ESC 0x{command:02x} at byte {i}")
        elif byte == GS:
            need(2)
            command = data[i + 1]
            if command == ord("v"):
                need(8)
                if data[i + 2] != ord("0"):
                    raise RasterDecodeError(f"GS v 0x{data[i + 2]:02x} at byte {i} is not a raster image")
                mode = data[i + 3]
                width_bytes = data[i + 4] | data[i + 5] << 8
                height = data[i + 6] | data[i + 7] << 8
                size = width_bytes * height
                need(8 + size)
                raw = np.frombuffer(data, dtype=np.uint8, count=size, offset=i + 8).reshape(height, width_bytes)
                dots = np.unpackbits(raw, axis=1).astype(bool)
                if mode & 1:  # double width
                    dots = np.repeat(dots, 2, axis=1)
                if mode & 2:  # double height
                    dots = np.repeat(dots, 2, axis=0)
                paper = papers[-1]
                paper.width = max(paper.width, dots.shape[1])
                paper.blocks.append(dots)
                paper.printed_rows = sum(block.shape[0] for block in paper.blocks)
                i += 8 + size
            elif command == ord("V"):
                need(3)
                mode = data[i + 2]
                if mode in (0, 1, 48, 49):
                    i += 3
                elif mode in (65, 66):
                    need(4)
                    feed(data[i + 3] // max(spacing, 1))
                    i += 4
                else:
                    raise RasterDecodeError(f"unknown cut mode {mode} at byte {i}")
                papers[-1].cut = True
                papers.append(PrintedPaper())
            else:
                raise RasterDecodeError(f"unknown command GS 0x{command:02x} at byte {i}")
        else:
            raise RasterDecodeError(f"unexpected byte 0x{byte:02x} at {i} (text is never sent, only images)")
    if not papers[-1].blocks and not papers[-1].cut:
        papers.pop()
    return papers


def decode_tickets(data: bytes) -> list[Image.Image]:
    """The image of each cut paper in `data`, without the blank paper fed after the last image (the ticket's own
    white margins are part of its image and stay)."""
    images = []
    for paper in decode(data):
        image = paper.image()
        if 0 < paper.printed_rows < image.height:
            image = image.crop((0, 0, image.width, paper.printed_rows))
        images.append(image)
    return images
