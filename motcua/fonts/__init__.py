"""Bundled fonts that cover every Vietnamese letter (DejaVu Sans, free licence: LICENSE-DejaVu.txt).

pygame's default font lacks letters such as ầ ế ố ờ Ợ Ỹ; every screen and printed ticket uses these instead.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def font_path(*, bold: bool = False, condensed: bool = False) -> Path:
    """The path of a bundled TTF."""
    name = "DejaVuSans" + ("Condensed" if condensed else "") + ("-Bold" if bold else "") + ".ttf"
    return Path(str(resources.files(__package__).joinpath(name)))
