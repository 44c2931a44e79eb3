"""Opening an SDL screen for the hall's displays (the waiting-hall TV, the counter screen): one way to pick the
driver, go fullscreen and say clearly what to do when SDL cannot open it."""

from __future__ import annotations

import os
from typing import Any


def open_screen(
    pygame: Any,
    *,
    width: int,
    height: int,
    driver: str,
    fullscreen: bool,
    caption: str,
    hint: str,
    error: type[Exception],
) -> Any:
    """The display surface, fullscreen unless the dummy driver renders off-screen; `error` (with `hint`, what to
    do, e.g. 'use driver = "kmsdrm"') when SDL cannot open it. `pygame` is passed in: nothing imports SDL here."""
    if driver != "auto":
        os.environ["SDL_VIDEODRIVER"] = driver
    try:
        pygame.display.init()
        flags = pygame.FULLSCREEN if fullscreen and driver != "dummy" else 0
        surface = pygame.display.set_mode((width, height), flags)
    except pygame.error as exc:
        raise error(
            f"cannot open the screen (SDL video driver {os.environ.get('SDL_VIDEODRIVER', 'auto')!r}): {exc}. {hint}"
        ) from None
    pygame.display.set_caption(caption)
    if driver != "dummy":
        pygame.mouse.set_visible(False)
    return surface
