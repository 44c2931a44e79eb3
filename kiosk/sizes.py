"""Touch targets in millimetres (issue 18.6): pure. Public-terminal guidance asks for targets of at least 15 mm and
gaps of at least 2.5 mm between them; what a layout gives depends on the panel's physical size, which the kiosk's
config states (`[screen] diagonal_in`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from motcua.text import Rect

#: Public-terminal guidance (EN 301 549 / ISO 9241-411 style figures for older users).
MIN_TARGET_MM = 15.0
MIN_GAP_MM = 2.5


class HasRect(Protocol):
    @property
    def rect(self) -> Rect: ...

    @property
    def label(self) -> str: ...


def px_per_mm(width: int, height: int, diagonal_in: float) -> float:
    """Pixels per millimetre of a panel `width` x `height` pixels with this diagonal (square pixels)."""
    return math.hypot(width, height) / (diagonal_in * 25.4)


@dataclass(frozen=True)
class Sizes:
    smallest_mm: float  # the smaller side of the smallest target
    smallest_label: str
    gap_mm: float  # the narrowest gap between two neighbouring targets (facing edges)
    gap_labels: tuple[str, str]


def measure(hits: Sequence[HasRect], px_mm: float) -> Sizes:
    """The smallest target and the narrowest gap between neighbours, in millimetres."""
    smallest, smallest_label = math.inf, ""
    gap, gap_labels = math.inf, ("", "")
    for i, a in enumerate(hits):
        side = min(a.rect.w, a.rect.h) / px_mm
        if side < smallest:
            smallest, smallest_label = side, a.label
        for b in hits[i + 1 :]:
            space = _gap(a.rect, b.rect)
            if space is not None and space / px_mm < gap:
                gap, gap_labels = space / px_mm, (a.label, b.label)
    return Sizes(smallest, smallest_label, gap, gap_labels)


def _gap(a: Rect, b: Rect) -> float | None:
    """The space between two targets that face each other (side by side, or one above the other), else None."""
    overlap_x = min(a.right, b.right) - max(a.x, b.x)
    overlap_y = min(a.bottom, b.bottom) - max(a.y, b.y)
    if overlap_y > 0 and overlap_x <= 0:
        return float(-overlap_x)
    if overlap_x > 0 and overlap_y <= 0:
        return float(-overlap_y)
    return None


#: The smallest panel every screen is laid out on with 15 mm targets and 2.5 mm gaps (the screens take their
#: sizes from the panel's density, `kiosk.ui.painter.Painter(px_per_mm=...)`, and page through what no longer
#: fits): a 7" panel, 800x480 or 1024x600 (tests/test_kiosk_sizes.py measures every screen on each supported one).
MIN_PANEL_MM = (150.0, 85.0)
MIN_PANEL_PX = (800, 480)


def panel_mm(width: int, height: int, diagonal_in: float) -> tuple[float, float]:
    """The panel's visible width and height in millimetres."""
    density = px_per_mm(width, height, diagonal_in)
    return width / density, height / density


def meets_guidance(width: int, height: int, diagonal_in: float) -> bool:
    """Whether every target of every screen is >= 15 mm with >= 2.5 mm gaps on this panel: a supported panel."""
    w_mm, h_mm = panel_mm(width, height, diagonal_in)
    return (
        w_mm >= MIN_PANEL_MM[0] - 0.5  # 7" at 5:3 is 152x91 mm, at 1024x600 153x90 mm
        and h_mm >= MIN_PANEL_MM[1]
        and width >= MIN_PANEL_PX[0]
        and height >= MIN_PANEL_PX[1]
    )
