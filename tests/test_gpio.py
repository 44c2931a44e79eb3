"""motcua.gpio.edge_time: the one place that reads gpiozero's private edge timestamp.

If `test_edge_time_is_gpiozeros_own_edge_time` fails after a gpiozero upgrade, gpiozero changed where it keeps the
time of an edge: find the new place (or a public API that gives it) and change `motcua.gpio.edge_time`.
"""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockFactory

from motcua import gpio
from motcua.gpio import edge_time

LATE_S = 0.05  # a handler running this long after its edge, as on a busy Pi Zero


def test_edge_time_is_gpiozeros_own_edge_time(mock_factory: MockFactory, caplog: pytest.LogCaptureFixture) -> None:
    button = Button(17, pin_factory=mock_factory)
    seen: list[tuple[bool, float, float]] = []

    def handler(active: bool) -> None:
        time.sleep(LATE_S)
        held = button.active_time if active else button.inactive_time
        seen.append((active, edge_time(button, active), time.monotonic() - held))

    button.when_pressed = lambda: handler(True)
    button.when_released = lambda: handler(False)
    with caplog.at_level(logging.ERROR, logger="motcua.gpio"):
        pressed_at = time.monotonic()
        mock_factory.pin(17).drive_low()
        released_at = time.monotonic()
        mock_factory.pin(17).drive_high()

    assert [active for active, _, _ in seen] == [True, False]
    for (_, at, public), driven in zip(seen, (pressed_at, released_at), strict=True):
        assert driven <= at < driven + LATE_S / 2, "the edge's time, not the (late) handler's"
        assert abs(at - public) < LATE_S / 2, "on the same clock as gpiozero's public active_time / inactive_time"
    assert not caplog.records, "gpiozero no longer keeps the edge time where motcua.gpio.edge_time reads it"
    button.close()


def test_edge_time_falls_back_to_the_public_api_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(gpio, "_fallback_logged", False)
    # A device of a gpiozero that no longer has _last_changed (only the public properties).
    device = SimpleNamespace(active_time=0.25, inactive_time=None)
    with caplog.at_level(logging.ERROR, logger="motcua.gpio"):
        now = time.monotonic()
        at = edge_time(device, True)
        edge_time(device, True)
    assert now - 0.25 - 0.01 < at <= now - 0.25 + 0.01
    assert len(caplog.records) == 1 and "_last_changed" in caplog.text
