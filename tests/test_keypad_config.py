"""keypad.toml: the sample loads; a bad file stops `motcua keypad` at start with exit status 2 and a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, WARD_HALL

from counter_keypad.config import load_keypad_config
from motcua.cli import main
from motcua.errors import ConfigError

SAMPLE = ROOT / "examples" / "ward-hall" / "devices" / "keypad-1.toml"


def write(tmp_path: Path, body: str, counter: int = 1) -> Path:
    path = tmp_path / "keypad.toml"
    path.write_text(
        f'counter = {counter}\nhall = "{WARD_HALL}"\n[device]\nid = "keypad-1"\nsite = "phuong-hoa-binh"\n'
        f'[gpio]\nfactory = "mock"\n{body}',
        encoding="utf-8",
    )
    return path


KEYS = "[keys]\nnext = 5\nrecall = 6\nno_show = 13\n"
LEDS = "[leds]\ngreen = 19\nred = 26\n"


def test_keypad_config_sample_loads():
    config = load_keypad_config(SAMPLE)
    assert (config.device.id, config.counter) == ("keypad-1", 1)
    assert (config.keys.next, config.keys.recall, config.keys.no_show) == (5, 6, 13)
    assert (config.leds.green, config.leds.red, config.buzzer.pin) == (19, 26, 12)
    assert config.keypad.hold_s == 2.0


def test_keypad_config_buzzer_is_optional(tmp_path: Path):
    assert load_keypad_config(write(tmp_path, KEYS + LEDS)).buzzer.pin is None


@pytest.mark.parametrize(
    ("body", "counter", "expected"),
    [
        ("[keys]\nnext = 5\nrecall = 6\n" + LEDS, 1, "keys.no_show: required setting is missing"),
        (KEYS + LEDS + "[buzzer]\npin = 19\n", 1, "GPIO 19 is used twice: by leds.green and by buzzer.pin"),
        (KEYS.replace("recall = 6", "recall = 5") + LEDS, 1, "GPIO 5 is used twice: by keys.next and by keys.recall"),
        (KEYS + LEDS, 12, "counter: 12 is not a counter of this hall"),
        (KEYS + LEDS + "[keypad]\nhold_s = 0.1\n", 1, "keypad.hold_s: Input should be greater than or equal to 0.5"),
        (KEYS + "[leds]\ngreen = 1\nred = 26\n", 1, "GPIO 1 is not on the 40-pin header"),
        (KEYS + LEDS + "[mqtt]\nrequest_timeout_s = 1\n", 1, "mqtt.request_timeout_s must be at least 2 s"),
    ],
)
def test_keypad_config_errors_stop_the_keypad_at_start(tmp_path: Path, capsys, body: str, counter: int, expected):
    status = main(["keypad", "--config", str(write(tmp_path, body, counter))])
    err = capsys.readouterr().err
    assert status == 2
    assert "invalid configuration" in err
    assert expected in err


def test_keypad_config_missing_file_is_a_clear_error(tmp_path: Path, capsys):
    assert main(["keypad", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_keypad_config_device_not_registered_for_that_counter(tmp_path: Path):
    path = write(tmp_path, KEYS + LEDS, counter=3)
    with pytest.raises(ConfigError, match="registers 'keypad-1' at counter 1, not 3"):
        load_keypad_config(path)
