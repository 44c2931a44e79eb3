"""pad.toml: the sample loads; a bad file stops `motcua pad` at start with exit status 2 and a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, WARD_HALL

from motcua.cli import main
from motcua.contract import RatingLevel
from motcua.errors import ConfigError
from rating_buttons.config import load_pad_config

SAMPLE = ROOT / "examples" / "ward-hall" / "devices" / "pad-1.toml"

GOOD = {
    "counter": "1",
    "hall": f'"{WARD_HALL}"',
    "buttons": "satisfied = 17\nneutral = 27\nunsatisfied = 22",
    "leds": "satisfied = 23\nneutral = 24\nunsatisfied = 25",
    "device": 'id = "pad-1"\nsite = "phuong-hoa-binh"',
}


def write(tmp_path: Path, **changes: str | None) -> Path:
    parts = {**GOOD, **changes}
    text = ""
    for key in ("counter", "hall"):
        if parts.get(key) is not None:
            text += f"{key} = {parts[key]}\n"
    text += f'outbox = "{tmp_path / "outbox.db"}"\n[gpio]\nfactory = "mock"\n'
    for section in ("device", "buttons", "leds"):
        text += f"[{section}]\n{parts[section]}\n"
    path = tmp_path / "pad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_pad(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["pad", "--config", str(path)])
    return status, capsys.readouterr().err


def test_config_sample_loads_with_the_hall_labels():
    loaded = load_pad_config(SAMPLE)
    config = loaded.config
    assert (config.device.id, config.counter) == ("pad-1", 1)
    assert config.buttons == {"satisfied": 17, "neutral": 27, "unsatisfied": 22}
    assert config.leds == {"satisfied": 23, "neutral": 24, "unsatisfied": 25} and config.status_led is None
    assert loaded.levels == ("satisfied", "neutral", "unsatisfied")
    assert config.gpio.factory == "default"
    assert loaded.labels[RatingLevel.UNSATISFIED] == "Không hài lòng"


def test_config_missing_pin_is_a_clear_error_at_start(tmp_path: Path, capsys):
    path = write(tmp_path, buttons="satisfied = 17\nunsatisfied = 22")
    status, err = run_pad(path, capsys)
    assert status == 2
    assert "invalid configuration" in err
    assert "buttons.neutral: required setting is missing" in err


def test_config_pin_used_twice_is_a_clear_error_at_start(tmp_path: Path, capsys):
    path = write(tmp_path, leds="satisfied = 23\nneutral = 27\nunsatisfied = 25")
    status, err = run_pad(path, capsys)
    assert status == 2
    assert "GPIO 27 is used twice: by buttons.neutral and by leds.neutral" in err


def test_config_unknown_counter_is_a_clear_error_at_start(tmp_path: Path, capsys):
    path = write(tmp_path, counter="9")
    status, err = run_pad(path, capsys)
    assert status == 2
    assert "counter: 9 is not a counter of this hall (counters: 1, 2, 3, 4, 5, 6)" in err


def test_config_pad_registered_at_another_counter_is_refused(tmp_path: Path, capsys):
    path = write(tmp_path, counter="2")
    status, err = run_pad(path, capsys)
    assert status == 2
    assert "registers 'pad-1' at counter 1, not 2" in err


def test_config_unknown_device_and_wrong_site_are_refused(tmp_path: Path):
    path = write(tmp_path, device='id = "pad-9"\nsite = "phuong-khac"')
    with pytest.raises(ConfigError) as caught:
        load_pad_config(path)
    message = str(caught.value)
    assert "device.site: 'phuong-khac' is not the site" in message
    assert "'pad-9' is not a pad in" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"buttons": "satisfied = 40\nneutral = 27\nunsatisfied = 22"}, "GPIO 40 is not on the 40-pin header"),
        ({"buttons": 'satisfied = "seventeen"\nneutral = 27\nunsatisfied = 22'}, "buttons.satisfied"),
        ({"counter": "0"}, "counter: Input should be greater than or equal to 1"),
        ({"counter": None}, "counter: required setting is missing"),
        ({"leds": "satisfied = 23\nneutral = 24\nunsatisfied = 25\nstauts = 5"}, "did you mean 'status'?"),
    ],
)
def test_config_bad_values_are_refused_clearly(tmp_path: Path, changes: dict[str, str | None], expected: str):
    with pytest.raises(ConfigError, match="invalid configuration") as caught:
        load_pad_config(write(tmp_path, **changes))
    assert expected in str(caught.value)


def test_config_control_socket_needs_mock_pins(tmp_path: Path):
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace('factory = "mock"', 'factory = "default"') + '[simulation]\ncontrol_socket = "c"\n'
    )
    with pytest.raises(ConfigError, match='control_socket needs \\[gpio\\] factory = "mock"'):
        load_pad_config(path)


def test_config_without_a_hall_file_still_loads(tmp_path: Path, caplog):
    loaded = load_pad_config(write(tmp_path, hall=None, counter="7"))
    assert loaded.config.counter == 7
    assert loaded.labels[RatingLevel.SATISFIED] == "Hài lòng"
    assert "not checked against the hall" in caplog.text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # gpiozero's half-built ButtonBoard
@pytest.mark.filterwarnings("ignore:Falling back")
def test_config_default_pin_factory_without_gpio_library_is_a_clear_error(tmp_path: Path, capsys, monkeypatch):
    # This machine has no lgpio / RPi.GPIO: "default" must fail at start with a hint, not a traceback.
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    path = write(tmp_path)
    path.write_text(path.read_text().replace('factory = "mock"', 'factory = "default"'))
    status, err = run_pad(path, capsys)
    assert status == 2
    assert "cannot open the pad's GPIO pins" in err
    assert "GPIOZERO_PIN_FACTORY=lgpio" in err
