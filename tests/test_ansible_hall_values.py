"""Nothing is typed twice (docs/deploy.md, step 1): the TVs' notice line and the kiosks' ticket time zone are written
from the hall's own values in group_vars/all/hall.yml, and the sample inventory repeats none of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from motcua.hall import OpeningHours

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_DIR = REPO / "ansible"
EXAMPLE = ANSIBLE_DIR / "inventories" / "example"
VENV_BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.timeout(180)]


def render_display_toml(inventory: Path, tmp_path: Path, host: str = "display-1") -> dict[str, object]:
    """display.toml as the display role writes it for `host`: the role's defaults at their own precedence (a play
    role, its tasks skipped), the playbooks' group_vars (a link next to the play) and the inventory's values."""
    play_dir = tmp_path / "play"
    play_dir.mkdir(exist_ok=True)
    if not (play_dir / "group_vars").exists():
        (play_dir / "group_vars").symlink_to(ANSIBLE_DIR / "group_vars")
    out = tmp_path / f"{host}.toml"
    playbook = play_dir / "render.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Render display.toml",
                    "hosts": host,
                    "gather_facts": False,
                    "roles": [{"role": "display", "when": False}],  # its defaults only
                    "tasks": [
                        {
                            "name": "Render",
                            "ansible.builtin.copy": {
                                "content": "{{ lookup('ansible.builtin.template', '"
                                + str(ANSIBLE_DIR / "roles/display/templates/display.toml.j2")
                                + "') }}",
                                "dest": str(out),
                                "mode": "0644",
                            },
                        }
                    ],
                }
            ]
        )
    )
    result = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inventory / "hosts.yml"),
            "--vault-password-file",
            str(EXAMPLE / "DEMO-vault-password.txt"),
            "-e",
            json.dumps(
                {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": sys.executable,
                    "common_config_dir": "/etc/motcua",
                    "common_state_dir": "/var/lib/motcua",
                }
            ),
            str(playbook),
        ],
        cwd=ANSIBLE_DIR,
        env={
            **os.environ,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
            "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return tomllib.loads(out.read_text("utf-8"))


def hall_values(inventory: Path) -> dict[str, object]:
    hall = yaml.safe_load((inventory / "group_vars/all/hall.yml").read_text("utf-8"))["motcua_hall"]["hall"]
    assert isinstance(hall, dict)
    return hall


@pytest.mark.slow  # an ansible-playbook run: about 10 s on the 2-core machine
def test_the_display_notice_is_written_from_the_halls_hours_and_hotline(tmp_path: Path):
    hall = hall_values(EXAMPLE)
    notice = render_display_toml(EXAMPLE, tmp_path)["screen"]["notice"]  # type: ignore[index]
    hours = OpeningHours.model_validate(hall["hours"]).describe()  # the words the kiosk and the reports use
    assert notice == f"Giờ làm việc: {hours}. Góp ý, phản ánh: {hall['hotline']}. Xin cảm ơn!"
    assert hours == "Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30"


@pytest.mark.slow  # an ansible-playbook run: about 10 s on the 2-core machine
def test_a_change_of_hours_or_hotline_in_hall_yml_reaches_the_display(tmp_path: Path):
    inventory = tmp_path / "hall"
    shutil.copytree(EXAMPLE, inventory)
    path = inventory / "group_vars/all/hall.yml"
    document = yaml.safe_load(path.read_text("utf-8"))
    hall = document["motcua_hall"]["hall"]
    hall["hotline"] = "0214 3 999 999"
    hall["hours"] = {day: ["07:00-11:00", "13:00-16:30"] for day in ("mon", "tue", "wed", "thu")}
    hall["hours"]["fri"] = ["07:00-11:00"]
    hall["hours"]["sun"] = ["08:00-10:00"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    notice = render_display_toml(inventory, tmp_path)["screen"]["notice"]  # type: ignore[index]
    assert notice == (
        "Giờ làm việc: Thứ Hai–Thứ Năm: 07:00–11:00, 13:00–16:30; Thứ Sáu: 07:00–11:00; Chủ Nhật: 08:00–10:00. "
        "Góp ý, phản ánh: 0214 3 999 999. Xin cảm ơn!"
    )
    assert OpeningHours.model_validate(hall["hours"]).describe() in notice


@pytest.mark.slow  # an ansible-playbook run: about 10 s on the 2-core machine
def test_a_hall_without_hours_or_hotline_gets_no_empty_phrases(tmp_path: Path):
    inventory = tmp_path / "hall"
    shutil.copytree(EXAMPLE, inventory)
    path = inventory / "group_vars/all/hall.yml"
    document = yaml.safe_load(path.read_text("utf-8"))
    del document["motcua_hall"]["hall"]["hotline"], document["motcua_hall"]["hall"]["hours"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    (inventory / "host_vars/display-1.yml").write_text('display_notice_end: ""\n', encoding="utf-8")
    rendered = render_display_toml(inventory, tmp_path)
    assert "notice" not in rendered["screen"] or rendered["screen"]["notice"] == ""  # type: ignore[index, operator]


def repeated_hall_values(inventory: Path) -> dict[str, list[str]]:
    """The hall's hotline, time zone and opening hours (as written, and as a person would retype them: 7:30–11:30)
    found literally in an inventory file other than hall.yml, by file."""
    hall = hall_values(inventory)
    hours = hall.get("hours") or {}
    assert isinstance(hours, dict)
    literals = {str(hall["hotline"]), str(hall["timezone"])}
    for spans in hours.values():
        for span in spans:
            start, end = span.split("-")
            literals |= {span, f"{start}–{end}", f"{start.lstrip('0')}–{end}", f"{start.lstrip('0')}-{end}"}
    repeats = {}
    for path in sorted(inventory.rglob("*.yml")):
        if path.name in {"hall.yml", "vault.yml"}:
            continue
        text = path.read_text("utf-8")
        found = sorted(value for value in literals if value in text)
        if found:
            repeats[str(path.relative_to(inventory))] = found
    return repeats


def test_the_example_inventory_types_each_hall_value_once():
    """The hall's hotline, opening hours and time zone are literal only in hall.yml; every other inventory file
    refers to them (display notice, kiosk ticket) instead of repeating them."""
    assert repeated_hall_values(EXAMPLE) == {}
    kiosks = yaml.safe_load((EXAMPLE / "group_vars/kiosks.yml").read_text("utf-8"))
    assert kiosks["kiosk_ticket"]["timezone"] == "{{ motcua_hall.hall.timezone }}"
    displays = yaml.safe_load((EXAMPLE / "group_vars/displays.yml").read_text("utf-8"))
    assert "display_notice" not in displays


def test_the_repeat_check_sees_the_notice_the_sample_used_to_type(tmp_path: Path):
    inventory = tmp_path / "hall"
    shutil.copytree(EXAMPLE, inventory)
    with (inventory / "group_vars/displays.yml").open("a", encoding="utf-8") as file:
        file.write(
            "display_notice: >-\n  Giờ làm việc: sáng 7:30–11:30, chiều 13:30–17:00 (thứ Bảy: sáng). "
            "Góp ý, phản ánh: 0214 3 000 000. Xin cảm ơn!\n"
        )
    (inventory / "host_vars/kiosk-1.yml").write_text("kiosk_ticket: {timezone: Asia/Ho_Chi_Minh}\n", "utf-8")
    assert repeated_hall_values(inventory) == {
        "group_vars/displays.yml": ["0214 3 000 000", "13:30–17:00", "7:30–11:30"],
        "host_vars/kiosk-1.yml": ["Asia/Ho_Chi_Minh"],
    }
