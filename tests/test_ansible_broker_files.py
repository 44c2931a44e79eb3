"""What the Ansible mosquitto role relies on in `motcua broker generate`: generating again with nothing changed
leaves every file byte for byte as it was and says "unchanged" (so Ansible reports no change and does not restart
the broker); a changed password or hall changes exactly what it must."""

from __future__ import annotations

from pathlib import Path

from motcua.broker import generate, hash_password, verifies
from motcua.cli import main
from motcua.hall import HallConfig

EXAMPLE_HALL = Path(__file__).resolve().parent.parent / "examples" / "ward-hall" / "hall.toml"


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_generating_again_is_byte_identical_and_reports_no_change(hall: HallConfig, tmp_path: Path) -> None:
    first = generate(hall, tmp_path, run_as_user="root")
    assert {p.name for p in first.changed} >= {"passwd", "acl", "mosquitto.conf"}
    before = contents(tmp_path)
    second = generate(hall, tmp_path, run_as_user="root")
    assert second.changed == ()
    assert contents(tmp_path) == before


def test_a_new_password_rehashes_only_that_user(hall: HallConfig, tmp_path: Path) -> None:
    generate(hall, tmp_path, run_as_user="root")
    old = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    (tmp_path / "credentials" / "pad-3.password").write_text("a-new-password-for-pad-3\n")
    result = generate(hall, tmp_path, run_as_user="root")
    assert [p.name for p in result.changed] == ["passwd"]
    new = dict(line.split(":", 1) for line in (tmp_path / "passwd").read_text().splitlines())
    assert {user for user in new if new[user] != old[user]} == {"pad-3"}
    assert verifies("a-new-password-for-pad-3", new["pad-3"])


def test_verifies_accepts_only_the_right_password() -> None:
    hashed = hash_password("secret")
    assert verifies("secret", hashed)
    assert not verifies("Secret", hashed)
    assert not verifies("secret", "$6$not-a-mosquitto-hash")
    assert not verifies("secret", "$7$101$@@@$abc")


def test_cli_says_unchanged_the_second_time(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["broker", "generate", "--hall", str(EXAMPLE_HALL), "--out", str(tmp_path), "--user", "root"]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("changed: ")
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "unchanged"
