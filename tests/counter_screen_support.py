"""Helpers for the counter screen's tests: the sample hall with counter screens registered (the sample hall.toml
does not list any: the Ansible inventory that writes it has no counter screen group yet)."""

from __future__ import annotations

from pathlib import Path

from motcua.hall import CounterDevice, HallConfig


def with_counter_screens(hall: HallConfig, *counters: int) -> HallConfig:
    """`hall` with a counter screen ``screen-N`` registered at each of `counters`."""
    screens = [CounterDevice(id=f"screen-{n}", counter=n) for n in counters]
    return hall.model_copy(update={"devices": hall.devices.model_copy(update={"counter_screens": screens})})


def counter_screens_hall_file(sample: Path, folder: Path, *counters: int) -> Path:
    """A copy of the sample hall.toml (without its procedures) that registers ``screen-N`` at each of `counters`."""
    text = sample.read_text("utf-8").replace('procedures = "procedures.toml"\n', "")
    screens = ", ".join(f'{{ id = "screen-{n}", counter = {n} }}' for n in counters)
    text = text.replace("[devices]\n", f"[devices]\ncounter_screens = [{screens}]\n", 1)
    path = folder / "hall-with-screens.toml"
    path.write_text(text, encoding="utf-8")
    return path
