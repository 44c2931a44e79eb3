"""Configuration files: the sample hall loads; mistakes give errors a technician can act on."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

import pytest
from conftest import WARD_HALL

from motcua.config import MqttSettings, load_config
from motcua.errors import ConfigError
from motcua.hall import HallConfig, load_hall, load_procedures


def write_hall(tmp_path: Path, text: str) -> Path:
    """The sample hall with `text` replacing part of it (given as old => new lines)."""
    source = WARD_HALL.read_text(encoding="utf-8")
    for change in text.strip().split("\n---\n"):
        old, new = change.split(" => ")
        assert old in source, old
        source = source.replace(old, new, 1)
    path = tmp_path / "hall.toml"
    path.write_text(source, encoding="utf-8")
    (tmp_path / "procedures.toml").write_text((WARD_HALL.parent / "procedures.toml").read_text(encoding="utf-8"))
    return path


def test_the_sample_hall_is_valid_and_complete(hall: HallConfig, procedures):
    assert len(hall.services) >= 5 and 4 <= len(hall.counters) <= 6
    fields = {p.field for p in procedures}
    assert len(procedures) >= 30 and len(fields) >= 8
    codes = [p.code for p in procedures]
    assert len(codes) == len(set(codes))
    for procedure in procedures:
        assert procedure.documents, procedure.code
        for text in [procedure.name, procedure.field, procedure.time_limit, procedure.fee, *procedure.documents]:
            assert unicodedata.is_normalized("NFC", text)
    every_service = {s.id for s in hall.services if s.fields}
    assert every_service <= {p.service for p in procedures}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            'services = ["ho-tich"]\nofficer = "nguyen-thi-lan" => services = ["ho-tjch"]\nofficer = "nguyen-thi-lan"',
            "unknown service 'ho-tjch' (did you mean 'ho-tich'?)",
        ),
        ("first_number = 2001 => first_number = 1500", "share ticket numbers"),
        ('timezone = "Asia/Ho_Chi_Minh" => timezone = "Asia/Hanoi_City"', "unknown time zone"),
        (
            "priority_ratio = 2 => priority_ratoi = 2",
            "queue.priority_ratoi: unknown setting (did you mean 'priority_ratio'?)",
        ),
        ('{ id = "pad-2", counter = 2 } => { id = "pad-2", counter = 9 }', "unknown counter 9"),
        ('{ id = "keypad-1", counter = 1 } => { id = "pad-1", counter = 1 }', "'pad-1' appears twice"),
        ('mon = ["07:30-11:30", "13:30-17:00"] => mon = ["11:30-07:30"]', "ends before it starts"),
        ('officer = "vu-quoc-hung" => officer = "nobody"', "unknown officer 'nobody'"),
        ('site = "phuong-hoa-binh" => site = "Phường Hòa Bình"', "hall.site"),
    ],
)
def test_hall_mistakes_are_explained(tmp_path: Path, change: str, message: str):
    with pytest.raises(ConfigError) as error:
        load_hall(write_hall(tmp_path, change))
    assert message in str(error.value)
    assert str(tmp_path / "hall.toml") in str(error.value)


def test_a_service_without_counter_is_refused(tmp_path: Path):
    path = write_hall(tmp_path, 'services = ["tra-ket-qua", "chung-thuc"] => services = ["chung-thuc"]')
    with pytest.raises(ConfigError, match="service 'tra-ket-qua' has no counter"):
        load_hall(path)


def test_catalogue_mistakes_are_explained(tmp_path: Path):
    hall = load_hall(write_hall(tmp_path, "issue_early_min = 30 => issue_early_min = 30"))
    catalogue = tmp_path / "procedures.toml"
    text = catalogue.read_text(encoding="utf-8")
    first = text.index('service = "')
    end = text.index("\n", first)
    catalogue.write_text(text[:first] + 'service = "ho-tichh"' + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown service 'ho-tichh' \\(did you mean 'ho-tich'\\?\\)"):
        load_procedures(hall)


def test_missing_and_broken_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found"):
        load_hall(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[hall\nsite=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_hall(broken)


def test_text_is_normalised_to_nfc(tmp_path: Path):
    decomposed = unicodedata.normalize("NFD", "Hộ tịch – Nuôi con nuôi")
    hall = load_hall(write_hall(tmp_path, f'name = "Hộ tịch – Nuôi con nuôi" => name = "{decomposed}"'))
    assert hall.service("ho-tich").name == "Hộ tịch – Nuôi con nuôi"


def test_relative_paths_are_taken_from_the_file(tmp_path: Path):
    (tmp_path / "secret").write_text("s3cret\n")
    path = tmp_path / "device.toml"
    path.write_text('password_file = "secret"\nport = 1884\n')
    settings = load_config(path, MqttSettings)
    assert settings.password_file == tmp_path / "secret"
    assert settings.resolved_password() == "s3cret"
    assert "s3cret" not in repr(load_config(path, MqttSettings))


def test_password_is_masked_and_exclusive(tmp_path: Path):
    path = tmp_path / "device.toml"
    path.write_text('password = "hunter2"\n')
    settings = load_config(path, MqttSettings)
    assert "hunter2" not in repr(settings) and settings.resolved_password() == "hunter2"
    path.write_text('password = "a"\npassword_file = "b"\n')
    with pytest.raises(ConfigError, match="either 'password' or 'password_file'"):
        load_config(path, MqttSettings)


def test_every_example_config_parses_as_toml():
    for path in (WARD_HALL.parent).rglob("*.toml"):
        tomllib.loads(path.read_text(encoding="utf-8"))
