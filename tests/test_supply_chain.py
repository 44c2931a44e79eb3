"""The supply chain (issue 19 item 10): every dependency has an upper bound in pyproject.toml; the Pis install
per-architecture locks with hashes (requirements/, made by scripts/lock.py) with pip --require-hashes --no-deps;
the wheelhouse downloads exactly the locked files and ships a SHA256SUMS the Pi checks. The lint of the playbooks
is tests/test_ansible_lint.py."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCKS = REPO / "requirements"
ANSIBLE = REPO / "ansible"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
ARCHITECTURES = ("x86_64", "aarch64", "armv7l")
LINE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>[^\s;]+)(?P<hashes>( --hash=sha256:[0-9a-f]{64})+)$")


def device_extras() -> list[str]:
    defaults = yaml.safe_load((ANSIBLE / "roles/common/defaults/main.yml").read_text(encoding="utf-8"))
    by_group = defaults["common_motcua_extras_by_group"]
    return sorted({extra for extras in by_group.values() for extra in extras} | {"console"})


def lock(arch: str, extra: str) -> dict[str, str] | None:
    """{name: version} of a lock; None when its header says NOT LOCKED. Fails on any line without a hash."""
    pins: dict[str, str] = {}
    text = (LOCKS / arch / f"{extra}.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = LINE.match(line)
        assert match, f"{arch}/{extra}.txt: not `name==version --hash=sha256:...`: {line!r}"
        assert match["name"] not in pins, f"{arch}/{extra}.txt: {match['name']} twice"
        pins[match["name"]] = match["version"]
    if not pins:
        assert "# NOT LOCKED:" in text, f"{arch}/{extra}.txt locks nothing and does not say why"
        return None
    return pins


def requirements(extra: str) -> list[Requirement]:
    return [Requirement(text) for text in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"][extra]]]


def test_every_dependency_in_pyproject_has_an_upper_bound():
    texts = [*PROJECT["dependencies"], *(t for ts in PROJECT["optional-dependencies"].values() for t in ts)]
    for requirement in map(Requirement, texts):
        if canonicalize_name(requirement.name) == "motcua":
            continue  # the extras of the project itself
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
            f"{requirement} has no upper bound"
        )


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_locks_parse_and_every_wheel_has_a_hash(arch: str):
    locked = {extra: lock(arch, extra) for extra in device_extras()}
    assert locked["coordinator"], "motcua's own dependencies must be locked on every architecture"
    if arch != "armv7l":
        assert all(locked.values()), f"{arch}: every device extra is locked"
    else:  # PyPI has no armv7l wheels of these; only piwheels builds them, and the lock says so, unfaked
        assert locked["kiosk"] is None and locked["display"] is None
        assert "piwheels" in (LOCKS / arch / "kiosk.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_each_locked_version_satisfies_pyproject_and_the_extras_agree(arch: str):
    seen: dict[str, str] = {}
    for extra in device_extras():
        pins = lock(arch, extra)
        if pins is None:
            continue
        for requirement in requirements(extra):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{arch}/{extra}.txt lacks {name}"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"{arch}/{extra}.txt: {name}=={pins[name]} is outside pyproject's {requirement}"
            )
        for name, version in pins.items():  # a Pi with several extras installs one consistent set
            assert seen.setdefault(name, version) == version, f"{arch}: {name} {seen[name]} and {version}"


def tasks(path: Path) -> list[dict]:
    found = []

    def walk(items: list[dict]) -> None:
        for item in items:
            found.append(item)
            for key in ("tasks", "block", "rescue", "always"):
                if isinstance(item.get(key), list):
                    walk(item[key])

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def pip_installs() -> list[tuple[str, str]]:
    """(file, argv text) of every task of the roles and playbooks that runs pip install."""
    found = []
    for path in [*ANSIBLE.glob("roles/*/tasks/*.yml"), *ANSIBLE.glob("*.yml")]:
        for task in tasks(path):
            command = task.get("ansible.builtin.command") or task.get("ansible.builtin.shell")
            if command is None:
                continue
            argv = str(command.get("argv", "") if isinstance(command, dict) else command)
            if "'install'" in argv and "pip" in argv:
                found.append((path.relative_to(ANSIBLE).as_posix(), argv))
    return found


def test_the_pis_install_dependencies_only_from_the_locks_with_hashes():
    installs = pip_installs()
    assert installs, "no pip install task found"
    for where, argv in installs:
        assert "'--no-deps'" in argv, f"{where}: pip resolves dependencies on its own: {argv}"
        if "-r'" in argv or "'-r'" in argv:
            assert "'--require-hashes'" in argv, f"{where}: a requirements install without --require-hashes"
        else:
            assert "common_wheel_name ~ '['" not in argv, f"{where}: installs motcua with its extras' dependencies"
    assert any("'--require-hashes'" in argv for _, argv in installs)


def test_the_wheelhouse_downloads_the_locked_files_and_the_pi_checks_their_sums():
    downloads = [
        str(task["ansible.builtin.command"]["argv"])
        for task in tasks(ANSIBLE / "wheelhouse.yml")
        if "'download'" in str(task.get("ansible.builtin.command", {}))
    ]
    assert downloads and all("'--require-hashes'" in argv and "'--no-deps'" in argv for argv in downloads)
    verify = [
        task
        for task in tasks(ANSIBLE / "roles/common/tasks/motcua.yml")
        if "sha256sum" in str(task.get("ansible.builtin.command", ""))
    ]
    assert len(verify) == 1 and verify[0]["changed_when"] is False
    assert "SHA256SUMS" in verify[0]["ansible.builtin.command"]["argv"]
    assert "--check" in verify[0]["ansible.builtin.command"]["argv"]
