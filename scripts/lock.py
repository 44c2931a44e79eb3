#!/usr/bin/env python3
"""Regenerate requirements/<architecture>/<extra>.txt: the exact wheels, with their SHA-256, that a Raspberry Pi
(or a CI machine) installs for each device role's extra of pyproject.toml.

    python3 scripts/lock.py            # every architecture and extra (metadata only; minutes on a busy machine)
    python3 scripts/lock.py aarch64    # one architecture

No motcua import and nothing but the standard library and pip: pyproject.toml is read with tomllib, and pip's own
resolver picks the wheels for the target (``pip install --dry-run --report`` with ``--only-binary=:all:
--platform ... --python-version 3.11 --implementation cp``), which records each file's SHA-256 as the index
publishes it. The wheelhouse (ansible/wheelhouse.yml) downloads exactly these files with ``--require-hashes``, so
pip recomputes every hash before a file is kept.

All extras of one architecture are resolved together first, and each extra's lock is the subset its own
resolution picks under those pins: on a Pi with several extras (coordinator + report + console), the locks agree.
An extra that does not resolve from the index for an architecture gets a lock with no requirement and a header
saying why (armv7l: opencv-python-headless and pygame-ce publish no armv7l wheels on PyPI, only piwheels builds
them); the playbooks refuse such a lock rather than install unverified wheels.

pip's own configuration of this machine (extra indexes, find-links, constraints) is ignored: the locks come from
the default index only. Markers are evaluated by this machine's pip (run it with Python 3.11 on Linux).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "requirements"
PYTHON = "3.11"  # Raspberry Pi OS / Debian 12 (Bookworm)
GLIBC_MAX = 36  # Bookworm's glibc 2.36: any manylinux wheel up to manylinux_2_36 runs there
#: Architectures as Ansible names them (ansible_facts.architecture) and the oldest manylinux each has on PyPI.
ARCHITECTURES = {"x86_64": 5, "aarch64": 17, "armv7l": 17}
#: The extras the device roles install (ansible/roles/common/defaults/main.yml, common_motcua_extras_by_group).
EXTRAS = ("coordinator", "report", "pad", "keypad", "display", "kiosk", "console")
HASH_LINE = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+)( --hash=sha256:[0-9a-f]{64})+$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def platforms(arch: str) -> list[str]:
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(ARCHITECTURES[arch], GLIBC_MAX + 1)]
    tags.append(f"manylinux2014_{arch}")
    if arch == "x86_64":
        tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
    return tags


def requirements(extra: str) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][extra]]


def pip_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no config file at all: the default index only
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def resolve(arch: str, reqs: list[str], constraints: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """{name: (version, sha256)} of what pip would install for `reqs` on `arch`; raises RuntimeError if none fits."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        argv = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(Path(tmp) / "target"),
            "--only-binary=:all:",
            "--python-version",
            PYTHON,
            "--implementation",
            "cp",
        ]
        argv += [f"--platform={tag}" for tag in platforms(arch)]
        if constraints:
            pins = Path(tmp) / "constraints.txt"
            pins.write_text("".join(f"{name}=={version}\n" for name, version in constraints.items()))
            argv += ["-c", str(pins)]
        run = subprocess.run([*argv, *reqs], capture_output=True, text=True, env=pip_env(), check=False)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "pip failed")
        items = json.loads(report.read_text())["install"]
    result = {}
    for item in items:
        sha256 = item["download_info"]["archive_info"]["hashes"]["sha256"]
        result[normalize(item["metadata"]["name"])] = (item["metadata"]["version"], sha256)
    return result


def lock_architecture(arch: str) -> dict[str, dict[str, tuple[str, str]] | str]:
    """{extra: pins, or the reason it cannot be locked}."""
    alone: dict[str, dict[str, tuple[str, str]] | str] = {}
    for extra in EXTRAS:
        try:
            alone[extra] = resolve(arch, requirements(extra))
        except RuntimeError as exc:
            alone[extra] = str(exc)
    locked = [extra for extra in EXTRAS if isinstance(alone[extra], dict)]
    union = resolve(arch, sorted({req for extra in locked for req in requirements(extra)}))
    versions = {name: version for name, (version, _) in union.items()}
    for extra in locked:
        pins = alone[extra]
        assert isinstance(pins, dict)
        if any(versions.get(name) != version for name, (version, _) in pins.items()):
            alone[extra] = resolve(arch, requirements(extra), versions)  # agree with the other extras
    return alone


def header(arch: str, extra: str) -> str:
    return (
        f"# motcua[{extra}] dependencies for Linux {arch}, CPython {PYTHON}, manylinux glibc <= 2.{GLIBC_MAX}.\n"
        "# Generated by scripts/lock.py from the default package index: do not edit, regenerate.\n"
        "# Install: pip install --require-hashes --no-deps -r <this file>; then the motcua wheel with --no-deps.\n"
    )


def write(arch: str, extra: str, pins: dict[str, tuple[str, str]] | str) -> Path:
    path = OUT / arch / f"{extra}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = header(arch, extra)
    if isinstance(pins, str):
        text += (
            f"# NOT LOCKED: pip finds no {arch} wheel set for this extra on the default index ({pins}).\n"
            "# PyPI lacks armv7l wheels of some dependencies (opencv-python-headless, pygame-ce, matplotlib,\n"
            "# argon2-cffi-bindings); only piwheels builds them, and this project does not lock a second index.\n"
            "# Use a 64-bit OS (aarch64) on this role's Pi.\n"
        )
    else:
        text += "".join(f"{name}=={version} --hash=sha256:{sha}\n" for name, (version, sha) in sorted(pins.items()))
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    arches = argv or list(ARCHITECTURES)
    unknown = set(arches) - set(ARCHITECTURES)
    if unknown:
        print(f"unknown architecture(s) {sorted(unknown)}; known: {list(ARCHITECTURES)}", file=sys.stderr)
        return 2
    with ThreadPoolExecutor(len(arches)) as pool:
        results = dict(zip(arches, pool.map(lock_architecture, arches), strict=True))
    for arch, extras in results.items():
        for extra, pins in extras.items():
            path = write(arch, extra, pins)
            state = "NOT LOCKED" if isinstance(pins, str) else f"{len(pins)} wheels"
            print(f"{path.relative_to(ROOT)}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
