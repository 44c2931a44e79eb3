"""The hall is checked on the technician's computer before any Pi is touched (issue 18.10): ansible/hall-check.yml,
imported first by site.yml, update.yml and replace-device.yml, renders hall.toml and the catalogue from the
inventory on localhost and runs `motcua check` on them, listing every error.

Runs the real ansible-playbook against localhost (connection local); the Pis of the inventory are never reached."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # each ansible-playbook run takes 10-30 s on a 2-core machine

REPO = Path(__file__).resolve().parent.parent
ANSIBLE = REPO / "ansible"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
EXAMPLE = ANSIBLE / "inventories" / "example"
DEMO_VAULT_PASSWORD = EXAMPLE / "DEMO-vault-password.txt"


def playbook(inventory: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"  # the `motcua` the play runs: this checkout's
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory / "hosts.yml"), "--vault-password-file",
         str(DEMO_VAULT_PASSWORD), name, *extra],
        cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=280,
    )  # fmt: skip


def inventory_without_counters(tmp_path: Path, numbers: set[int]) -> Path:
    """A copy of the example inventory whose hall has no counters `numbers` (their Pis stay in hosts.yml)."""
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    hall_vars = inventory / "group_vars" / "all" / "hall.yml"
    data = yaml.safe_load(hall_vars.read_text(encoding="utf-8"))
    data["motcua_hall"]["counters"] = [c for c in data["motcua_hall"]["counters"] if c["number"] not in numbers]
    hall_vars.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return inventory


def listed_errors(output: str) -> list[str]:
    """The lines of the play's error list (the debug task's "msg" list)."""
    block = output.split("TASK [List every error of the hall]", 1)[1].split("TASK [", 1)[0]
    return [line.strip().strip('",').strip() for line in block.splitlines() if line.strip().startswith('"')][1:]


def test_the_example_inventory_passes_the_check_on_this_computer() -> None:
    result = playbook(EXAMPLE, "hall-check.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for task in ("Check hall.toml (every error at once)", "Check the catalogue against the hall's services"):
        assert re.search(rf"TASK \[{re.escape(task)}\] \*+\nok: \[localhost\]", output), task
    assert "List every error" not in output
    assert re.search(r"localhost\s+: ok=\d+ .*failed=0", output)


def test_two_counters_removed_stop_site_yml_before_any_pi_with_every_error(tmp_path: Path) -> None:
    inventory = inventory_without_counters(tmp_path, {4, 5})
    result = playbook(inventory, "site.yml")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    errors = listed_errors(output)
    assert errors[0] == "hall.toml: invalid configuration"
    # every service left without a counter, and every device of the removed counters: not just the first
    for service in ("lao-dong-xa-hoi", "dat-dai-moi-truong", "van-hoa-khac"):
        assert f"service '{service}' has no counter: its tickets could never be called" in " ".join(errors), service
    for device in ("pad-4", "pad-5", "keypad-4", "keypad-5"):
        assert any(f"device '{device}': unknown counter" in line for line in errors), device
    assert len(errors) == 1 + 3 + 4
    assert "No Pi was touched" in output
    # no host task ran: the coordinator's and the devices' plays never started, and only localhost is in the recap
    assert "PLAY [Coordinator and hall broker]" not in output and "PLAY [Hall devices]" not in output
    recap = output.split("PLAY RECAP", 1)[1]
    assert [line.split()[0] for line in recap.strip().splitlines() if ": ok=" in line] == ["localhost"]


def test_a_computer_without_motcua_is_told_so() -> None:
    result = playbook(EXAMPLE, "hall-check.yml", "-e", "motcua_local_motcua=/nonexistent/bin/motcua")
    assert result.returncode != 0
    assert listed_errors(result.stdout) == [
        "/nonexistent/bin/motcua could not run: is motcua installed on this computer? (docs/deploy.md)"
    ]
