"""motcua.screen: the TV and the counter screen open SDL the same way, and say what to do when they cannot."""

from __future__ import annotations

import os

import pygame
import pytest

from motcua.screen import open_screen


class NoScreen(RuntimeError):
    pass


def test_a_screen_sdl_cannot_open_is_a_readable_error_with_the_hint(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    with pytest.raises(NoScreen) as caught:
        open_screen(
            pygame,
            width=640,
            height=360,
            driver="no-such-driver",
            fullscreen=True,
            caption="test",
            hint='use driver = "kmsdrm"',
            error=NoScreen,
        )
    message = str(caught.value)
    assert "'no-such-driver'" in message and message.endswith('use driver = "kmsdrm"')
    pygame.display.quit()


def test_the_dummy_driver_opens_a_window_of_the_configured_size_not_fullscreen(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    surface = open_screen(
        pygame, width=640, height=360, driver="dummy", fullscreen=True, caption="motcua test", hint="", error=NoScreen
    )
    try:
        assert surface.get_size() == (640, 360)
        assert not surface.get_flags() & pygame.FULLSCREEN
        assert pygame.display.get_caption()[0] == "motcua test"
        assert os.environ["SDL_VIDEODRIVER"] == "dummy"
    finally:
        pygame.display.quit()
