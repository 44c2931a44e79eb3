"""The counter screens in the Ansible inventory: a host of the `counter_screens` group becomes `screen-<counter>`,
gets a broker user and password like every device, and is listed in the hall.toml the common role writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from motcua.check import check
from motcua.hall import HallConfig, load_hall

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_DIR = REPO / "ansible"
EXAMPLE = ANSIBLE_DIR / "inventories" / "example"
ANSIBLE = Path(sys.executable).parent / "ansible"

pytestmark = [pytest.mark.timeout(180)]


def evaluate(inventory: Path, expression: str) -> object:
    """`expression` as the coordinator host sees it (playbook group_vars and the inventory's own, vault opened)."""
    result = subprocess.run(
        [
            str(ANSIBLE),
            "coordinator",
            "-i",
            str(inventory),
            "--playbook-dir",
            str(ANSIBLE_DIR),
            "--vault-password-file",
            str(inventory / "DEMO-vault-password.txt"),
            "-c",
            "local",
            "-e",
            "common_catalogue_file=procedures.toml",
            "-m",
            "ansible.builtin.debug",
            "-a",
            f"msg={{{{ {expression} }}}}",
        ],
        cwd=ANSIBLE_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0", "PATH": str(ANSIBLE.parent) + ":/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.split("=>", 1)[1])["msg"]


HALL_TOML = "lookup('ansible.builtin.template', 'roles/common/templates/hall.toml.j2')"


def test_the_example_inventory_lists_the_sample_halls_counter_screen():
    hosts = yaml.safe_load((EXAMPLE / "hosts.yml").read_text("utf-8"))
    assert hosts["all"]["children"]["counter_screens"]["hosts"]["screen-1"]["motcua_counter"] == 1
    devices = tomllib.loads(str(evaluate(EXAMPLE, HALL_TOML)))["devices"]
    # what the sample hall lists (the converge test compares the whole hall.toml)
    assert devices["counter_screens"] == [{"id": "screen-1", "counter": 1}]
    sample = load_hall(REPO / "examples" / "ward-hall" / "hall.toml")
    assert [(s.id, s.counter) for s in sample.devices.counter_screens] == [("screen-1", 1)]
    assert (
        yaml.safe_load((EXAMPLE / "host_vars" / "screen-1.yml").read_text("utf-8"))["counter_screen_mode"] == "tablet"
    )
    assert check("counter-screen", REPO / "examples" / "ward-hall" / "devices" / "screen-1.toml").mode == "tablet"


def test_a_counter_screen_host_gets_its_id_password_and_place_in_hall_toml(tmp_path: Path):
    inventory = tmp_path / "hall"
    shutil.copytree(EXAMPLE, inventory)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text("utf-8"))
    hosts["all"]["children"]["counter_screens"] = {
        "hosts": {"screen-2": {"ansible_host": "192.168.1.52", "motcua_counter": 2}}
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts, allow_unicode=True), encoding="utf-8")
    written = tomllib.loads(str(evaluate(inventory, HALL_TOML)))
    assert written["devices"]["counter_screens"] == [{"id": "screen-2", "counter": 2}]
    written["hall"].pop("procedures", None)
    hall = HallConfig.model_validate(written)  # the coordinator and `motcua broker generate` accept it
    assert [(s.id, s.counter) for s in hall.devices.counter_screens] == [("screen-2", 2)]
    passwords = evaluate(inventory, "motcua_mqtt_passwords")
    assert isinstance(passwords, dict) and len(passwords["screen-2"]) == 64  # derived like every device's
    assert passwords["screen-2"] != passwords["pad-2"]
