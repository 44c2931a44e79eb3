"""`motcua check KIND FILE [--show]`: every kind of file, good and bad, and secrets never shown."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from motcua.check import KINDS, MASK, mask_secrets
from motcua.cli import main
from motcua.config import load_config
from rating_buttons.config import PadConfig

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "ward-hall"
HALL = EXAMPLES / "hall.toml"

#: kind -> the sample file of that kind.
SAMPLES = {
    "hall": "hall.toml",
    "catalogue": "procedures.toml",
    "coordinator": "coordinator.toml",
    "admin": "admin.toml",
    "simulation": "simulation.toml",
    "pad": "devices/pad-1.toml",
    "keypad": "devices/keypad-1.toml",
    "display": "devices/display-1.toml",
    "kiosk": "devices/kiosk-1.toml",
    "console": "console.toml",
    "counter-screen": "devices/screen-1.toml",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["check", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return code, out, err


def extra_args(kind: str) -> list[str | Path]:
    return ["--hall", HALL] if kind == "catalogue" else []


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_check_accepts_the_sample_file(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / SAMPLES[kind]
    code, out, err = run(capsys, kind, path, *extra_args(kind))
    assert code == 0, err
    assert out.strip() == f"{path}: a valid {kind} file"


def _absolute_paths(data: dict[str, Any], folder: Path) -> None:
    # The broken copy lives in tmp_path: the sample's relative links (hall = "../hall.toml") must still hold.
    for key in ("hall", "procedures"):
        if isinstance(data.get(key), str):
            data[key] = str((folder / data[key]).resolve())
    if isinstance(data.get("hall"), dict):
        _absolute_paths(data["hall"], folder)


def _break(
    data: dict[str, Any],
    typo: tuple[str, str, str],
    bad: tuple[str, str, Any],
) -> None:
    """Rename setting `typo` = (section, right, wrong) and set `bad` = (section, key, value); "" is the top level."""
    section, right, wrong = typo
    table = data[section] if section else data
    table[wrong] = table.pop(right) if right in table else 1
    section, key, value = bad
    (data.setdefault(section, {}) if section else data)[key] = value


#: kind -> (typo (section, right key, misspelt key), bad value (section, key, value), the bad value's error location).
BROKEN: dict[str, tuple[tuple[str, str, str], tuple[str, str, Any], str]] = {
    "hall": (("hall", "name", "nmae"), ("queue", "priority_ratio", -1), "queue.priority_ratio"),
    "coordinator": (("", "database", "databse"), ("mqtt", "port", 70000), "mqtt.port"),
    "admin": (("mqtt", "host", "hots"), ("device", "id", "Not A Slug"), "device.id"),
    "simulation": (("", "priority_share", "priority_shar"), ("", "citizens_per_day", "many"), "citizens_per_day"),
    "pad": (("pad", "lockout_s", "lockout"), ("mqtt", "keepalive_s", 1), "mqtt.keepalive_s"),
    "keypad": (("keypad", "hold_s", "hold"), ("mqtt", "port", 0), "mqtt.port"),
    "display": (("screen", "width", "widht"), ("mqtt", "port", -5), "mqtt.port"),
    "kiosk": (("printer", "paper", "papr"), ("mqtt", "keepalive_s", 100000), "mqtt.keepalive_s"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_check_lists_every_error_with_did_you_mean(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = EXAMPLES / SAMPLES[kind]
    data = tomllib.loads(sample.read_text(encoding="utf-8"))
    _absolute_paths(data, sample.parent)
    typo, bad, bad_location = BROKEN[kind]
    _break(data, typo, bad)
    path = tmp_path / f"{kind}.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")

    code, out, err = run(capsys, kind, path)

    assert code == 1 and not out
    section, right, wrong = typo
    where = f"{section}.{wrong}" if section else wrong
    assert f"{where}: unknown setting (did you mean '{right}'?)" in err
    assert f"  {bad_location}: " in err, err


def test_check_catalogue_names_every_bad_procedure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tomllib.loads((EXAMPLES / "procedures.toml").read_text(encoding="utf-8"))
    data["procedures"][0]["service"] = "ho-tic"
    data["procedures"][2]["code"] = data["procedures"][1]["code"]
    path = tmp_path / "procedures.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")

    code, _, err = run(capsys, "catalogue", path, "--hall", HALL)

    assert code == 1
    assert "unknown service 'ho-tic' (did you mean 'ho-tich'?)" in err
    assert f"{data['procedures'][1]['code']}: appears twice" in err


def test_check_catalogue_needs_its_hall(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalogue", EXAMPLES / "procedures.toml")
    assert code == 1 and "--hall" in err


def test_check_pad_against_its_hall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pad names its hall: a counter the hall does not have is found, as the pad itself would at start."""
    data = tomllib.loads((EXAMPLES / SAMPLES["pad"]).read_text(encoding="utf-8"))
    _absolute_paths(data, EXAMPLES / "devices")
    data["counter"] = 42
    path = tmp_path / "pad.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "pad", path)
    assert code == 1 and "counter: 42 is not a counter of this hall" in err


def test_check_missing_file_and_unknown_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "pad", tmp_path / "absent.toml")
    assert code == 1 and "file not found" in err
    with pytest.raises(SystemExit) as exc:
        run(capsys, "toaster", tmp_path / "absent.toml")
    assert exc.value.code == 2


def _with_password(tmp_path: Path, password: Callable[[dict[str, Any]], None]) -> Path:
    data = tomllib.loads((EXAMPLES / "admin.toml").read_text(encoding="utf-8"))
    del data["mqtt"]["password_file"]
    password(data["mqtt"])
    path = tmp_path / "admin.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_show_masks_a_password(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _with_password(tmp_path, lambda mqtt: mqtt.update(password="hunter2-of-the-hall"))
    code, out, _ = run(capsys, "admin", path, "--show")
    assert code == 0
    assert "hunter2" not in out
    shown = tomllib.loads(out)
    assert shown["mqtt"]["password"] == MASK
    # Defaults the file does not set are filled in.
    assert shown["mqtt"]["keepalive_s"] == 15 and shown["mqtt"]["session_expiry_s"] == 7 * 24 * 3600


def test_show_names_a_password_file_without_reading_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "admin.password"
    secret.write_text("s3cret-in-the-file\n", encoding="utf-8")
    path = _with_password(tmp_path, lambda mqtt: mqtt.update(password_file="admin.password"))
    code, out, _ = run(capsys, "admin", path, "--show")
    assert code == 0
    assert "s3cret" not in out
    assert tomllib.loads(out)["mqtt"]["password_file"] == str(secret)


def test_show_prints_a_config_that_loads_to_the_same_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = EXAMPLES / SAMPLES["pad"]
    code, out, _ = run(capsys, "pad", sample, "--show")
    assert code == 0
    shown = tmp_path / "pad.toml"
    shown.write_text(out, encoding="utf-8")
    assert load_config(shown, PadConfig) == load_config(sample, PadConfig)


def test_mask_secrets_reaches_nested_settings_and_keeps_file_names() -> None:
    dumped = {
        "mqtt": {"password": "a", "password_file": "/etc/x.password", "username": "u"},
        "bridges": [{"remote_password": "b", "api_token": "c", "host": "h"}],
        "unset": {"password": None},
    }
    assert mask_secrets(dumped) == {
        "mqtt": {"password": MASK, "password_file": "/etc/x.password", "username": "u"},
        "bridges": [{"remote_password": MASK, "api_token": MASK, "host": "h"}],
        "unset": {"password": None},
    }
