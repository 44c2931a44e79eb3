"""The Ansible deployment (ansible/) passes ansible-lint's production profile and every playbook's syntax check;
the sample inventory's vault opens with its documented demo password. The real converge is in
test_ansible_converge.py."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # ansible-lint and syntax checks of every playbook: about two minutes

REPO = Path(__file__).resolve().parent.parent
ANSIBLE = REPO / "ansible"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
EXAMPLE = ANSIBLE / "inventories" / "example"
DEMO_VAULT_PASSWORD = EXAMPLE / "DEMO-vault-password.txt"


def playbooks() -> list[str]:
    """Every playbook at the top of ansible/ (a YAML list of plays or imports)."""
    found = []
    for path in sorted(ANSIBLE.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(content, list) and all("hosts" in p or "ansible.builtin.import_playbook" in p for p in content):
            found.append(path.name)
    return found


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    return subprocess.run(
        [str(VENV_BIN / argv[0]), *argv[1:]], cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=280
    )


def test_the_playbooks_are_found() -> None:
    assert {"site.yml", "update.yml", "replace-device.yml", "check.yml", "wheelhouse.yml"} <= set(playbooks())


def test_ansible_lint_production_profile_is_clean() -> None:
    result = run("ansible-lint", "--profile", "production", "--offline")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


@pytest.mark.parametrize("playbook", playbooks())
def test_playbook_syntax_check(playbook: str) -> None:
    result = run(
        "ansible-playbook",
        "--syntax-check",
        "-i",
        "inventories/example/hosts.yml",
        "--vault-password-file",
        str(DEMO_VAULT_PASSWORD),
        playbook,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_example_vault_opens_with_the_documented_demo_password() -> None:
    vault = EXAMPLE / "group_vars" / "all" / "vault.yml"
    assert vault.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT;1.1;AES256")
    result = run("ansible-vault", "view", "--vault-password-file", str(DEMO_VAULT_PASSWORD), str(vault))
    assert result.returncode == 0, result.stderr
    secrets = yaml.safe_load(result.stdout)
    assert len(secrets["vault_motcua_mqtt_secret"]) >= 32
    assert "NOT-FOR-PRODUCTION" in DEMO_VAULT_PASSWORD.read_text(encoding="utf-8")


def test_example_inventory_has_the_hall_of_the_issue() -> None:
    """One coordinator, 2 kiosks, 6 counter Pis (pad + keypad each), 2 displays and counter 1's tablet, each with
    a distinct address."""
    result = run(
        "ansible-inventory",
        "-i",
        "inventories/example/hosts.yml",
        "--vault-password-file",
        str(DEMO_VAULT_PASSWORD),
        "--list",
    )
    assert result.returncode == 0, result.stderr
    inventory = yaml.safe_load(result.stdout)
    hosts = lambda group: set(inventory.get(group, {}).get("hosts", []))  # noqa: E731
    assert hosts("coordinators") == {"coordinator"}
    assert hosts("kiosks") == {"kiosk-1", "kiosk-2"}
    assert hosts("counters") == {f"counter-{n}" for n in range(1, 7)}
    assert hosts("displays") == {"display-1", "display-2"}
    assert hosts("counter_screens") == {"screen-1"}
    assert set(inventory["rating_pads"]["children"]) == {"counters"} == set(inventory["counter_keypads"]["children"])
    variables = inventory["_meta"]["hostvars"]
    assert sorted(variables[f"counter-{n}"]["motcua_counter"] for n in range(1, 7)) == [1, 2, 3, 4, 5, 6]
    addresses = [v["ansible_host"] for v in variables.values()]
    assert len(addresses) == len(set(addresses)) == 12
