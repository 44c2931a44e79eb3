"""Large-text mode ("Chữ to", issue 17.3): a button in the header with the "A A" sign older citizens know, larger
body text (at least 1.5x), a high-contrast palette (every text drawn reaches WCAG AAA, 7:1, against what is under
it), fewer items a page, and back to the hall's default for the next citizen exactly as voice guidance is.
Every screen fits in large text on every supported panel: tests/test_kiosk_sizes.py."""

from __future__ import annotations

import os

import pygame
import pytest
from kiosk_support import OUTPUT, sample_view
from test_kiosk_screens import NOW, ZONE, NoEffects, every_screen

from kiosk.sizes import px_per_mm
from kiosk.ui.controller import Action, Controller, Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen

SCREENS = OUTPUT / "screens"
AAA = 7.0


@pytest.fixture(scope="module")
def display():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    yield
    pygame.display.quit()


def luminance(color: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = color
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # WCAG's AA grey


def draw(state, size=(1024, 600), diagonal=7.0) -> Painter:
    painter = Painter(pygame.Surface(size), px_per_mm=px_per_mm(*size, diagonal), large_text=state.large_text)
    draw_screen(ScreenContext(painter, state, now=NOW, zone=ZONE, keyboard="qwerty"))
    return painter


@pytest.mark.parametrize("english", [False, True], ids=["vi", "en"])
def test_every_text_of_every_screen_reaches_aaa_contrast_in_large_text(display, hall, procedures, english):
    worst = (99.0, "")
    for name, state in every_screen(hall, procedures, english=english, large_text=True):
        painter = draw(state)
        assert painter.palette, "large text draws with the high-contrast palette"
        for drawn in painter.texts:
            if not drawn.ink:
                continue
            ratio = contrast(drawn.color, drawn.background)
            worst = min(worst, (ratio, f"{name}: {drawn.text[:30]!r} {drawn.color} on {drawn.background}"))
    assert worst[0] >= AAA, worst


def test_the_usual_palette_is_not_aaa_everywhere(display, hall, procedures):
    """What the mode is for: a closed service's white on grey is 4.4:1 in the usual colours."""
    states = dict(every_screen(hall, procedures, english=False))
    painter = Painter(pygame.Surface((1024, 600)), px_per_mm=px_per_mm(1024, 600, 7.0))
    draw_screen(ScreenContext(painter, states["home"], now=NOW, zone=ZONE, keyboard="qwerty"))
    assert min(contrast(d.color, d.background) for d in painter.texts if d.ink) < AAA


@pytest.mark.parametrize(("width", "height", "diagonal"), [(1024, 600, 7.0), (1280, 800, 10.1), (1920, 1080, 21.5)])
def test_large_text_is_at_least_half_as_large_again_with_fewer_items_a_page(
    display, hall, procedures, width, height, diagonal
):
    sizes: dict[bool, dict[str, int]] = {}
    rows: dict[bool, int] = {}
    for large in (False, True):
        sizes[large] = {}
        for name, state in every_screen(hall, procedures, english=False, large_text=large):
            if name not in ("home", "service", "procedure-long", "message-offline", "ticket"):
                continue
            painter = draw(state, (width, height), diagonal)
            if name == "ticket":  # for docs/screenshots
                pass
            elif name == "home":  # the invitation above the services
                sizes[large][name] = max(d.size for d in painter.texts if d.text.startswith("Xin mời chạm"))
            elif name == "procedure-long":  # the documents to bring: the body text (a bullet begins each)
                sizes[large][name] = max(d.size for d in painter.texts if d.text == "•")
            elif name == "message-offline":
                sizes[large][name] = max(d.size for d in painter.texts if d.text == state.message.body)
            else:
                rows[large] = sum(h.action.kind == "procedure" for h in painter.hits)
            if large and width == 1024:
                SCREENS.mkdir(parents=True, exist_ok=True)
                pygame.image.save(painter.surface, str(SCREENS / f"large-{name}-vi-{width}x{height}.png"))
    for name, normal in sizes[False].items():
        # A message is never paged: its long sentences are fitted down in large text (still larger than usual)
        factor = 1.15 if name == "message-offline" else 1.5
        assert sizes[True][name] >= factor * normal - 1, (name, normal, sizes[True][name])  # whole pixels
    assert 0 < rows[True] < rows[False], rows
    print(width, height, diagonal, sizes, rows)  # the figures of docs/kiosk.md (pytest -s)


def test_the_header_button_switches_large_text_and_shows_it(display, hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_catalogue(sample_view(hall, procedures), 0)
    painter = draw(c.state)
    button = next(h for h in painter.hits if h.action == Action("large_text"))
    assert button.label == "Chữ to" and button.rect.y < painter.height // 5  # in the header, like the voice's
    c.tap(button.action, 1)
    assert c.state.large_text
    painter = draw(c.state)
    assert painter.large_text and next(h for h in painter.hits if h.action == Action("large_text")).label == (
        "Chữ to: BẬT"
    )
    c.tap(Action("large_text"), 2)
    assert not c.state.large_text


def test_large_text_resets_for_the_next_citizen_as_voice_guidance_does(hall, procedures):
    c = Controller(NoEffects(), tap_guard_s=0, idle_timeout_s=60)
    c.on_connection(True)
    c.on_catalogue(sample_view(hall, procedures), 0)
    c.action(Action("large_text"), 1)
    c.action(Action("voice"), 1)
    c.action(Action("service", "ho-tich"), 2)
    c.action(Action("home"), 3)  # the same citizen, still reading large
    assert c.state.large_text and c.state.voice
    c.action(Action("service", "ho-tich"), 4)
    assert c.tick(4 + 61)  # walked away: home, for the next citizen
    assert c.state.screen is Screen.HOME and not c.state.large_text and not c.state.voice
    c.action(Action("large_text"), 70)
    c.action(Action("done"), 71)  # "Xong" after a ticket: the same
    assert not c.state.large_text


def test_a_hall_default_of_large_text_comes_back_for_each_citizen(hall, procedures, tmp_path):
    from kiosk_support import kiosk_config

    config = kiosk_config(tmp_path, large_text=True, diagonal_in=7.0)
    assert config.screen.large_text
    c = Controller(NoEffects(), tap_guard_s=0, default_large_text=config.screen.large_text)
    c.on_connection(True)
    c.on_catalogue(sample_view(hall, procedures), 0)
    assert c.state.large_text
    c.action(Action("large_text"), 1)
    assert not c.state.large_text
    c.action(Action("done"), 2)
    assert c.state.large_text
