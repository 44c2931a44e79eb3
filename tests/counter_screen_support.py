"""Helpers for the counter screen's tests: the sample hall with counter screens registered at other counters (the
sample hall.toml lists one, ``screen-1`` at counter 1)."""

from __future__ import annotations

import re
from pathlib import Path

from motcua.hall import CounterDevice, HallConfig


def with_counter_screens(hall: HallConfig, *counters: int) -> HallConfig:
    """`hall` with a counter screen ``screen-N`` registered at each of `counters`."""
    screens = [CounterDevice(id=f"screen-{n}", counter=n) for n in counters]
    return hall.model_copy(update={"devices": hall.devices.model_copy(update={"counter_screens": screens})})


def counter_screens_hall_file(sample: Path, folder: Path, *counters: int) -> Path:
    """A copy of the sample hall.toml (without its procedures) that registers ``screen-N`` at each of `counters`
    (instead of the sample's own list)."""
    text = sample.read_text("utf-8").replace('procedures = "procedures.toml"\n', "")
    screens = ", ".join(f'{{ id = "screen-{n}", counter = {n} }}' for n in counters)
    text, replaced = re.subn(r"(?m)^counter_screens = \[.*\]\n", f"counter_screens = [{screens}]\n", text, count=1)
    assert replaced == 1, "the sample hall.toml has no counter_screens line"
    path = folder / "hall-with-screens.toml"
    path.write_text(text, encoding="utf-8")
    return path
