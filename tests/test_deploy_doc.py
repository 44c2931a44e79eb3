"""docs/deploy.md followed literally: every `motcua ...` command it shows parses, every repository path it names
exists, every Ansible variable it names is declared; the clone URL and the release tag are the project's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from doccheck import (
    REPO,
    command_problem,
    declared_variables,
    motcua_commands,
    named_variables,
    path_exists,
    repository_paths,
)

import motcua

DEPLOY = REPO / "docs" / "deploy.md"


@pytest.fixture(scope="module")
def deploy_text() -> str:
    return DEPLOY.read_text("utf-8")


def test_every_motcua_command_of_the_deploy_doc_parses(deploy_text: str):
    commands = motcua_commands(deploy_text)
    assert ["counter", "--config", "/etc/motcua/admin.toml", "1", "sign_in", "--officer", "nguyen-thi-lan"] in commands
    assert ["voice", "--devices"] in commands and any(c[:2] == ["voice", "--say"] for c in commands)
    problems = {" ".join(c): command_problem(c) for c in commands}
    assert {c: p for c, p in problems.items() if p} == {}


def test_the_command_check_would_catch_a_wrong_command():
    assert command_problem(["counter", "--config", "x.toml", "one", "sign_in"]) is not None  # counter is a number
    assert command_problem(["voice", "--devcies"]) is not None
    assert command_problem(["no-such-command"]) is not None
    assert command_problem(["voice", "--say", "1023", "3", "--config", "/etc/motcua/display.toml"]) is None


def test_every_path_the_deploy_doc_names_exists(deploy_text: str):
    paths = repository_paths(deploy_text)
    for expected in [
        "inventories/<site>/hosts.yml",
        "group_vars/all/hall.yml",
        "docs/counter-devices.md",
        "inventories/example/vault.example.yml",
        "roles/<role>/defaults/main.yml",
        "releasing.md",
        "../examples/ward-hall/procedures.toml",
    ]:
        assert any(path.endswith(expected) for path in paths), expected
    missing = [path for path in paths if not path_exists(path, doc=DEPLOY)]
    assert missing == []


def test_the_path_check_would_catch_a_missing_file():
    assert not path_exists("group_vars/all/hal.yml", doc=DEPLOY)
    assert not path_exists("docs/no-such-guide.md", doc=DEPLOY)
    assert path_exists("inventories/<site>/group_vars/kiosks.yml", doc=DEPLOY)


def test_every_ansible_variable_the_deploy_doc_names_is_declared(deploy_text: str):
    declared = declared_variables()
    named = named_variables(deploy_text)
    for expected in [
        "motcua_broker_host",
        "vault_motcua_mqtt_secret",
        "vault_console_admin_password",
        "display_notice",
        "motcua_update_batch",
        "common_pip_offline",
    ]:
        assert expected in named
    assert [name for name in named if name not in declared] == []
    assert "display_noticee" not in declared  # the check is not vacuous


def test_the_vault_variables_the_doc_lists_are_the_ones_the_roles_read(deploy_text: str):
    """Step 2 names every vault_* variable a role or playbook reads, and the vault template holds them."""
    read = set()
    for path in (REPO / "ansible").rglob("*.yml"):
        if "inventories" not in path.parts and not _province_side(path):
            read.update(re.findall(r"\bvault_[a-z0-9_]+", path.read_text("utf-8")))
    read.discard("vault_motcua_mqtt_secret_sha256")
    step2 = deploy_text.split("## 2. Secrets", 1)[1].split("## 3.", 1)[0]
    assert read and sorted(name for name in read if name not in step2) == []
    template = (REPO / "ansible/inventories/example/vault.example.yml").read_text("utf-8")
    assert all(name in template for name in read)
    assert "EDITOR=nano ansible-vault create" in step2


def test_the_clone_url_and_the_release_tag_are_the_projects(deploy_text: str):
    urls = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["urls"]
    assert urls["Repository"] == "https://github.com/motcua/motcua"
    assert f"git clone {urls['Repository']}.git" in deploy_text
    assert "<the motcua repository>" not in deploy_text
    for text in [deploy_text, (REPO / "docs/vi/huong-dan-ky-thuat.md").read_text("utf-8")]:
        tags = set(re.findall(r"git checkout (v\d+\.\d+\.\d+)", text))
        assert tags == {f"v{motcua.__version__}"}  # bump the guides' tag with the version (docs/releasing.md)
    releasing = (REPO / "docs" / "releasing.md").read_text("utf-8")
    assert "git tag -a v" in releasing and urls["Repository"] in releasing


def test_the_printer_ids_are_read_before_the_step_that_needs_them(deploy_text: str):
    """Step 1 writes the printer's USB ids: the doc says how to read them before step 1, without a flashed kiosk."""
    before_step_1 = deploy_text.split("## 1. Describe the hall", 1)[0]
    assert "lsusb" in before_step_1 and "usb_vendor_id" in before_step_1
    assert "usbutils" in before_step_1  # lsusb on the laptop


def test_nothing_typed_twice_is_stated_with_the_values_it_covers(deploy_text: str):
    sentence = deploy_text.split("Nothing is typed twice", 1)[1].split("\n\n", 1)[0]
    for value in ["network.yml", "hall.yml", "opening hours", "hotline", "display_notice"]:
        assert value in sentence


def _province_side(path: Path) -> bool:
    """The province's server has its own inventory, vault and guide (docs/province.md), not the hall's."""
    return "province" in path.parts or path.name == "province.yml"


def test_the_province_vault_variables_are_in_the_province_guide():
    """The province role's vault_* variables are named in docs/province.md and in the province's example vault."""
    read = set()
    for path in (REPO / "ansible").rglob("*.yml"):
        if "inventories" not in path.parts and _province_side(path):
            read.update(re.findall(r"\bvault_[a-z0-9_]+", path.read_text("utf-8")))
    for path in (REPO / "ansible/inventories/province-example").rglob("*.yml"):
        read.update(re.findall(r"\bvault_[a-z0-9_]+", path.read_text("utf-8")))
    guide = (REPO / "docs/province.md").read_text("utf-8")
    assert "vault_province_console_admin_password" in read
    assert sorted(name for name in read if name not in guide) == []
