"""Every problem of a hall.toml at once (issue 18.10): `motcua check hall` and the coordinator's start list each
problem on its own line with its key path, instead of stopping at the first."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import WARD_HALL

from motcua.cli import main

#: The ward hall with counters 4 and 5 removed (as issue 18.10 did), one officer misspelt, Monday's hours reversed
#: and the rating scale given twice: four different kinds of problem, nine lines.
CHANGES = [
    (
        '[[counters]]\nnumber = 4\nservices = ["lao-dong-xa-hoi", "van-hoa-khac"]\nofficer = "pham-van-duc"\n\n'
        '[[counters]]\nnumber = 5\nservices = ["dat-dai-moi-truong"]\nofficer = "hoang-thi-mai"\n\n',
        "",
    ),
    ('officer = "vu-quoc-hung"', 'officer = "vu-quoc-hungg"'),
    ('mon = ["07:30-11:30", "13:30-17:00"]', 'mon = ["11:30-07:30", "13:30-17:00"]'),
]

EXPECTED = [
    "hall.hours.mon.0: range 11:30-07:30 ends before it starts",
    "counters.3.officer: counter 6: unknown officer 'vu-quoc-hungg' (did you mean 'vu-quoc-hung'?)",
    "services.2.id: service 'lao-dong-xa-hoi' has no counter: its tickets could never be called",
    "services.3.id: service 'dat-dai-moi-truong' has no counter: its tickets could never be called",
    "services.4.id: service 'van-hoa-khac' has no counter: its tickets could never be called",
    "devices.pads.3.counter: device 'pad-4': unknown counter 4",
    "devices.pads.4.counter: device 'pad-5': unknown counter 5",
    "devices.keypads.3.counter: device 'keypad-4': unknown counter 4",
    "devices.keypads.4.counter: device 'keypad-5': unknown counter 5",
]


def broken_hall(folder: Path, changes: list[tuple[str, str]] = CHANGES) -> Path:
    text = WARD_HALL.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = folder / "hall.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(WARD_HALL.parent / "procedures.toml", folder / "procedures.toml")
    return path


def problem_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("  ")]


def test_check_lists_every_problem_of_the_hall_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = broken_hall(tmp_path)
    code = main(["check", "hall", str(path)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.splitlines()[0] == f"{path}: invalid configuration"
    assert problem_lines(err) == EXPECTED
    # A technician's English: no pydantic jargon, no Python repr of the error, nothing but the lines above.
    assert not re.search(r"Value error|Input should|ValidationError|Traceback|\{", err)


def test_the_coordinator_refuses_to_start_with_every_problem_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken_hall(tmp_path)
    config = tmp_path / "coordinator.toml"
    config.write_text(f'hall = "hall.toml"\ndatabase = "{tmp_path / "coordinator.db"}"\n', encoding="utf-8")
    code = main(["coordinator", "--config", str(config)])
    _, err = capsys.readouterr()
    assert code == 2
    assert problem_lines(err) == EXPECTED
    assert not (tmp_path / "coordinator.db").exists()  # refused before anything was written


def test_duplicates_and_shared_numbers_are_all_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = broken_hall(
        tmp_path,
        [
            ('id = "chung-thuc"', 'id = "ho-tich"'),  # a second service 'ho-tich' (its counters still name it)
            ("first_number = 5001", "first_number = 4500"),  # overlaps dat-dai-moi-truong's 4001-4999
            ('{ id = "display-2" }', '{ id = "kiosk-1" }'),
            ('officer = "vu-quoc-hung"', 'officer = "nobody"'),
        ],
    )
    code = main(["check", "hall", str(path)])
    lines = problem_lines(capsys.readouterr().err)
    assert code == 1
    assert "services.1.id: services: 'ho-tich' appears twice" in lines
    assert "devices.displays.1.id: device ids: 'kiosk-1' appears twice" in lines
    assert "counters.5.officer: counter 6: unknown officer 'nobody'" in lines
    assert any(
        line.startswith("services.3.first_number: services 'dat-dai-moi-truong' and 'van-hoa-khac'") for line in lines
    )
    # counters 2, 3 and 6 name 'chung-thuc', which is gone: one line each
    assert sum("unknown service 'chung-thuc'" in line for line in lines) == 3


def test_a_broken_list_item_hides_nothing_it_cannot_be_checked_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A service's name of the wrong type: the service is still known by its id, so the cross-references are checked.
    path = broken_hall(tmp_path, [(CHANGES[0][0], ""), ('name = "Chứng thực"', "name = 5")])
    main(["check", "hall", str(path)])
    lines = problem_lines(capsys.readouterr().err)
    assert lines[0].startswith("services.1.name: ")
    assert sum("has no counter" in line for line in lines) == 3
    # A counter's number of the wrong type: which counter the devices name is unknowable, so only that is said
    # (a guess would list false problems).
    path = broken_hall(tmp_path, [(CHANGES[0][0], ""), ("\nnumber = 6\n", '\nnumber = "six"\n')])
    main(["check", "hall", str(path)])
    lines = problem_lines(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("counters.3.number: ")


def test_rating_scale_problems_are_all_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    levels = (
        '[[rating.levels]]\nkey = "good"\nlabel = "Tốt"\nlabel_en = "Good"\ncolour = "#00ff00"\nbutton = 1\n'
        'meaning = "satisfied"\n\n'
        '[[rating.levels]]\nkey = "good"\nlabel = "Tốt"\nlabel_en = "Good"\ncolour = "#00ff00"\nbutton = 3\n'
        'meaning = "satisfied"\n\n'
    )
    path = broken_hall(tmp_path, [("[[services]]", levels + "[[services]]")])
    main(["check", "hall", str(path)])
    lines = problem_lines(capsys.readouterr().err)
    assert "rating.levels.1.key: rating levels: 'good' appears twice" in lines
    assert "rating.levels: rating levels: buttons must be 1 to 2, each once (got [1, 3])" in lines
    assert "rating.levels: a rating scale needs at least one 'satisfied' and one 'unsatisfied' level" in lines


def test_the_sample_hall_still_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "hall", str(WARD_HALL)]) == 0
    assert capsys.readouterr().out.strip() == f"{WARD_HALL}: a valid hall file"


def test_a_pads_wiring_problems_are_all_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same for pad.toml: a pin used twice, a misspelt LED, a button without its LED and a simulation socket
    on real pins, all in one go (they used to come one per try)."""
    pad = tmp_path / "pad.toml"
    pad.write_text(
        f'counter = 1\nhall = "{WARD_HALL}"\n'
        '[device]\nid = "pad-1"\nsite = "phuong-hoa-binh"\n'
        "[buttons]\nsatisfied = 17\nneutral = 27\nunsatisfied = 22\n"
        "[leds]\nsatisfied = 27\nneutrl = 24\n"
        f'[simulation]\ncontrol_socket = "{tmp_path / "pad.sock"}"\n',
        encoding="utf-8",
    )
    assert main(["check", "pad", str(pad)]) == 1
    assert problem_lines(capsys.readouterr().err) == [
        "leds.satisfied: GPIO 27 is used twice: by buttons.neutral and by leds.satisfied",
        'simulation.control_socket: simulation.control_socket needs [gpio] factory = "mock" (real buttons are '
        "pressed by hand)",
        "leds.neutrl: unknown LED; did you mean 'neutral'?",
        "leds.neutral: required setting is missing (one LED per button)",
        "leds.unsatisfied: required setting is missing (one LED per button)",
    ]
