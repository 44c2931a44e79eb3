"""Touch targets in millimetres on real panels (issue 18.6): at 1024x600 on a 7" panel keys were 7.6 mm and gaps
0.9 mm; public terminals need targets of 15 mm and gaps of 2.5 mm. The screens now take their sizes from the
panel's physical size (`[screen] diagonal_in` -> `Painter(px_per_mm=...)`): every screen is drawn on every
supported panel, in both languages, with normal and large text ("Chữ to", issue 17.3), and its buttons measured
from the layout; nothing may overflow its box. `meets_guidance` (what the kiosk and `motcua check kiosk` say)
agrees."""

from __future__ import annotations

import os

import pygame
import pytest
from test_kiosk_screens import NOW, SCREENS, ZONE, check, every_screen

from kiosk.app import log_panel
from kiosk.sizes import MIN_GAP_MM, MIN_TARGET_MM, Sizes, measure, meets_guidance, px_per_mm
from kiosk.ui.controller import Screen
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, compact_search, draw_screen

#: The panels docs/kiosk.md calls supported (width, height, diagonal in inches).
SUPPORTED = [
    (800, 480, 7.0),
    (1024, 600, 7.0),
    (1024, 600, 10.1),
    (1280, 800, 10.1),
    (1920, 1080, 15.6),
    (1920, 1080, 21.5),
    (1920, 1080, 24.0),
]
TOO_SMALL = [(800, 480, 5.0), (1024, 600, 5.5), (640, 480, 8.0)]
IDS = [f'{w}x{h}-{d}"' for w, h, d in SUPPORTED]


@pytest.fixture(scope="module")
def display():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    yield
    pygame.display.quit()


def draw(state, width: int, height: int, density: float | None, *, large: bool = False) -> Painter:
    painter = Painter(pygame.Surface((width, height)), px_per_mm=density, large_text=large)
    draw_screen(ScreenContext(painter, state, now=NOW, zone=ZONE, keyboard="qwerty"))
    return painter


def sweep(hall, procedures, width: int, height: int, diagonal: float, *, large: bool) -> tuple[Sizes, Sizes]:
    """Every screen in both languages: nothing overflows; (the smallest target, the narrowest gap) found."""
    density = px_per_mm(width, height, diagonal)
    found = []
    for english in (False, True):
        for name, state in every_screen(hall, procedures, english=english, large_text=large):
            assert state.large_text is large
            painter = draw(state, width, height, density, large=large)
            check(painter, f"{name} {'large ' if large else ''}at {width}x{height} {diagonal}\"")
            if painter.hits:
                found.append(measure(painter.hits, density))
    return min(found, key=lambda s: s.smallest_mm), min(found, key=lambda s: s.gap_mm)


def test_every_screen_meets_the_guidance_on_a_7_inch_panel(display, hall, procedures):
    """The smallest supported panel, in the fast lane (every panel and large text: the slow lane below)."""
    smallest, narrowest = sweep(hall, procedures, 1024, 600, 7.0, large=False)
    assert smallest.smallest_mm >= MIN_TARGET_MM, smallest
    assert narrowest.gap_mm >= MIN_GAP_MM, narrowest
    assert meets_guidance(1024, 600, 7.0)


@pytest.mark.slow  # every screen, both languages, seven panels, two text sizes (about 5 s each)
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-text"])
@pytest.mark.parametrize(("width", "height", "diagonal"), SUPPORTED, ids=IDS)
def test_every_screen_meets_the_guidance_on_every_supported_panel(
    display, hall, procedures, width, height, diagonal, large
):
    smallest, narrowest = sweep(hall, procedures, width, height, diagonal, large=large)
    assert smallest.smallest_mm >= MIN_TARGET_MM, smallest
    assert narrowest.gap_mm >= MIN_GAP_MM, narrowest
    assert meets_guidance(width, height, diagonal)


@pytest.mark.parametrize(("width", "height", "diagonal"), TOO_SMALL, ids=[f'{w}x{h}-{d}"' for w, h, d in TOO_SMALL])
def test_smaller_panels_are_said_to_be_unsupported(width, height, diagonal, caplog):
    assert not meets_guidance(width, height, diagonal)
    assert not log_panel(width, height, diagonal)
    assert "UNSUPPORTED PANEL" in caplog.text


def test_a_supported_panel_is_logged_as_such_and_an_unknown_one_is_warned_about(caplog):
    assert log_panel(1280, 800, 10.1)
    assert not log_panel(1280, 800, None)
    assert "diagonal_in is not set" in caplog.text


@pytest.mark.parametrize(("width", "height", "diagonal"), SUPPORTED, ids=IDS)
def test_small_panels_search_on_two_screens_with_15_mm_keys(display, hall, procedures, width, height, diagonal):
    """The full QWERTY keyboard beside the results cannot have 15 mm keys under 15.6": the keys get the screen
    (A-Z, 8x4), the results the next one."""
    density = px_per_mm(width, height, diagonal)
    drawn = {  # drawn as the controller goes (it changes some states in place afterwards)
        name: (state.screen, draw(state, width, height, density))
        for name, state in every_screen(hall, procedures, english=False)
        if name in ("search", "search-digits", "results")
    }
    painter = drawn["search"][1]
    if (width, height, diagonal) == (1024, 600, 7.0):  # for docs/screenshots
        SCREENS.mkdir(parents=True, exist_ok=True)
        for name, (_, shown) in drawn.items():
            pygame.image.save(shown.surface, str(SCREENS / f"{name}-vi-{width}x{height}-7in.png"))
    keys = [h for h in painter.hits if h.action.kind == "key"]
    compact = compact_search(painter)
    assert compact is (diagonal < 15), (width, height, diagonal)
    if compact:
        assert [h.label for h in keys] == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        see = next(h for h in painter.hits if h.action.kind == "results")
        assert "8" in see.label  # "XEM 8 KẾT QUẢ": what the words typed find
        assert not any(h.action.kind == "procedure" for h in painter.hits)
        digits = drawn["search-digits"][1]
        assert [h.label for h in digits.hits if h.action.kind == "key"] == list("1234567890.")
        screen, results = drawn["results"]
        rows = [h for h in results.hits if h.action.kind == "procedure"]
        assert rows and screen is Screen.RESULTS
    else:
        assert len(keys) == 37  # the keyboard of the hall's config, results beside it
    sizes = measure(keys, density)
    assert sizes.smallest_mm >= MIN_TARGET_MM and sizes.gap_mm >= MIN_GAP_MM, sizes


def test_a_small_panel_shows_fewer_rows_a_page(display, hall, procedures):
    states = dict(every_screen(hall, procedures, english=False))
    rows = {}
    for width, height, diagonal in [(1024, 600, 7.0), (1024, 600, None)]:
        density = px_per_mm(width, height, diagonal) if diagonal else None
        painter = draw(states["service"], width, height, density)
        rows[diagonal] = sum(h.action.kind == "procedure" for h in painter.hits)
    assert 0 < rows[7.0] < rows[None], rows


def test_the_figures_of_the_issue():
    assert px_per_mm(1024, 600, 7.0) == pytest.approx(6.7, abs=0.05)  # the 7" panel of issue 18.6


def test_motcua_check_warns_about_an_unsupported_panel(tmp_path, capsys):
    from pathlib import Path

    from motcua.check import check

    sample = Path(__file__).resolve().parent.parent / "examples" / "ward-hall" / "devices" / "kiosk-1.toml"
    text = sample.read_text(encoding="utf-8")
    assert "diagonal_in = 7.0" in text
    supported = tmp_path / "kiosk.toml"
    supported.write_text(text, encoding="utf-8")
    check("kiosk", supported)
    assert "unsupported" not in capsys.readouterr().err
    small = tmp_path / "small.toml"
    small.write_text(text.replace("diagonal_in = 7.0", "diagonal_in = 5.0"), encoding="utf-8")
    assert check("kiosk", small).screen.diagonal_in == 5.0  # valid: said, not refused
    assert 'warning: a 5" 1024x600 panel is too small' in capsys.readouterr().err
