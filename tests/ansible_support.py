"""What the Ansible converge tests share (tests/test_ansible_converge.py: the hall; tests/test_ansible_province.py:
the province): the cached Debian root filesystems and dependency wheels, running ansible-playbook, reading units.

The root filesystems (debootstrap, one per package list) and the wheels are cached in /var/cache/motcua-tests/
(MOTCUA_TEST_CACHE), keyed on what they contain; logs and timings of a run go to test-output/ansible-converge/<run>/.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from motcua.localbroker import wait_for_port

REPO = Path(__file__).resolve().parent.parent
ANSIBLE = REPO / "ansible"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin"
CACHE = Path(os.environ.get("MOTCUA_TEST_CACHE", "/var/cache/motcua-tests"))
#: Logs of this run: one folder per run (several test runs may share the checkout), older ones pruned.
OUTPUT_ROOT = REPO / "test-output" / "ansible-converge"
OUTPUT = OUTPUT_ROOT / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
SUITE = "bookworm"
#: The source tree the wheel is built from (a snapshot: others may be editing the checkout during the run).
SOURCE_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "test-output",
    "demo-out",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "build",
    "wheelhouse",
    "backups",
    "bench",
)


# --- the cached pieces: root filesystem and dependency wheels ---------------------------------------------------


def role_packages(lists: Iterable[tuple[str, str]], *, extra: Iterable[str] = ()) -> list[str]:
    """What the converged roles install on plain Debian (read from their defaults), so the converge needs no mirror:
    `lists` names (role, variable) pairs; systemd is always there (units are verified inside)."""
    packages = {"systemd", *extra}
    for role, key in lists:
        defaults = yaml.safe_load((ANSIBLE / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))
        packages.update(defaults[key])
    return sorted(packages)


def rootfs_packages() -> list[str]:
    """The hall's coordinator and counter Pi (Raspberry Pi OS has systemd)."""
    return role_packages(
        [
            ("common", "common_packages"),
            ("common", "common_unattended_upgrades_packages"),
            ("common", "common_ssh_packages"),
            ("mosquitto", "mosquitto_packages"),
            ("coordinator", "coordinator_packages"),
            ("rating_pad", "rating_pad_packages"),
            ("counter_keypad", "counter_keypad_packages"),
        ]
    )


def debian_mirror() -> str:
    """The machine's configured Debian mirror for bookworm (deb822 .sources or sources.list), else deb.debian.org."""
    sources = Path("/etc/apt/sources.list.d")
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for stanza in path.read_text(encoding="utf-8").split("\n\n"):
            fields = dict(
                line.split(":", 1) for line in stanza.splitlines() if ":" in line and not line.startswith("#")
            )
            suites = fields.get("Suites", "").split()
            if "deb" in fields.get("Types", "").split() and SUITE in suites:
                return fields["URIs"].split()[0]
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        for line in listing.read_text(encoding="utf-8").splitlines():
            parts = re.sub(r"\[[^]]*\]", "", line).split()
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                return parts[1]
    return "http://deb.debian.org/debian"


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock on a cache entry (two test runs at once build it once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_rootfs(timings: dict[str, float], packages: list[str] | None = None) -> Path:
    """A debootstrap'ed bookworm with `packages` (default: the hall's), made once per package list."""
    packages = packages if packages is not None else rootfs_packages()
    mirror = debian_mirror()
    key = hashlib.sha256(json.dumps([SUITE, "minbase", mirror, packages]).encode()).hexdigest()[:16]
    rootfs = CACHE / f"rootfs-{SUITE}-{key}"
    with locked(rootfs.name):
        if rootfs.exists():
            os.utime(rootfs)
        if not (rootfs / ".complete").exists():
            start = time.monotonic()
            partial = CACHE / f"{rootfs.name}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            log = OUTPUT / "debootstrap.log"
            with log.open("w") as out:
                result = subprocess.run(
                    [
                        "debootstrap",
                        "--variant=minbase",
                        f"--include={','.join(packages)}",
                        SUITE,
                        str(partial),
                        mirror,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            assert result.returncode == 0, f"debootstrap failed (mirror {mirror}): see {log}"
            shutil.rmtree(rootfs, ignore_errors=True)
            partial.rename(rootfs)
            (rootfs / ".complete").write_text(json.dumps({"mirror": mirror, "packages": packages}))
            timings["debootstrap_s"] = round(time.monotonic() - start, 1)
    prune(f"rootfs-{SUITE}-*", keep=rootfs)
    return rootfs


def cached_wheelhouse(timings: dict[str, float], source: Path) -> Path:
    """x86_64.tar of the dependency wheels, made by the real wheelhouse.yml (the offline install path of a hall)."""
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    entry = CACHE / f"wheelhouse-{key}"
    with locked(entry.name):
        if entry.exists():
            os.utime(entry)
        if not (entry / "x86_64.tar").exists():
            start = time.monotonic()
            work = CACHE / f"{entry.name}.partial"
            shutil.rmtree(work, ignore_errors=True)
            extra = {
                "common_wheelhouse": str(work),
                "motcua_source_dir": str(source),
                "motcua_wheelhouse_architectures": ["x86_64"],
                "motcua_wheelhouse_extras": ["coordinator", "report", "pad", "keypad"],
            }
            run = ansible_playbook(["wheelhouse.yml", "-e", json.dumps(extra)], "wheelhouse")
            assert run.returncode == 0, f"wheelhouse.yml failed: see {run.log}"
            entry.mkdir(exist_ok=True)
            (work / "x86_64.tar").rename(entry / "x86_64.tar")
            shutil.rmtree(work, ignore_errors=True)
            timings["wheelhouse_s"] = round(time.monotonic() - start, 1)
    prune("wheelhouse-*", keep=entry)
    return entry / "x86_64.tar"


def prune(pattern: str, keep: Path) -> None:
    """Free the space of cache entries of earlier package lists, once unused for a day (a run may still use one)."""
    for old in CACHE.glob(pattern):
        if old.is_dir() and old != keep and time.time() - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)


# --- running Ansible -----------------------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    log: Path
    recap: dict[str, dict[str, int]] = field(default_factory=dict)


def ansible_env(*, into_chroot: bool) -> dict[str, str]:
    env = dict(os.environ)
    if into_chroot:  # the chroot connection passes the environment on: the host's pip settings must not leak in
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    env.update(
        ANSIBLE_CONFIG=str(ANSIBLE / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
        ANSIBLE_LOCAL_TEMP=str(OUTPUT / "tmp"),
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
    )
    return env


def ansible_playbook(args: list[str], name: str) -> Run:
    return wait(start_playbook(args, name, into_chroot=False))


def start_playbook(args: list[str], name: str, *, into_chroot: bool = True) -> tuple[subprocess.Popen[bytes], Path]:
    log = OUTPUT / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [str(VENV_BIN / "ansible-playbook"), *args],
        cwd=ANSIBLE,
        env=ansible_env(into_chroot=into_chroot),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return process, log


def wait(started: tuple[subprocess.Popen[bytes], Path]) -> Run:
    process, log = started
    returncode = process.wait(timeout=600)
    recap = {}
    for line in log.read_text(errors="replace").splitlines():
        match = re.match(r"^(\S+)\s+:\s+(ok=.*)$", line)
        if match:
            recap[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return Run(returncode, log, recap)


# --- reading the converged root filesystem ---------------------------------------------------------------------


def unit_settings(root: Path, unit: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (root / "etc/systemd/system" / unit).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def exposure(root: Path, unit: str) -> float:
    """`systemd-analyze security` of a unit of the rootfs, offline (systemd 252)."""
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--root={root}", unit],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert found, f"{unit}: {result.stdout[-500:]} {result.stderr[-500:]}"
    return float(found.group(1))


class Client:
    """A bare paho MQTT 5 client over TLS (the broker checked against `ca`, its name 127.0.0.1), recording CONNACK
    and PUBACK reason codes: what the converges ask of the rootfs's own Mosquitto."""

    def __init__(self, port: int, username: str, password: str, ca: Path) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"converge-{username}", protocol=MQTTProtocolVersion.MQTTv5
        )
        self.client.username_pw_set(username, password)
        self.client.tls_set(ca_certs=str(ca))  # verifies the broker's certificate and its name (127.0.0.1)
        self.connack: int | None = None
        self.done = threading.Event()
        self.pubacks: dict[int, int] = {}
        self.acked = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.done.wait(10), "no CONNACK from the rootfs's Mosquitto"

    def _on_connect(self, client, userdata, flags, reason_code, properties):  # type: ignore[no-untyped-def]
        self.connack = reason_code.value
        self.done.set()

    def _on_publish(self, client, userdata, mid, reason_code, properties):  # type: ignore[no-untyped-def]
        with self.acked:
            self.pubacks[mid] = reason_code.value
            self.acked.notify_all()

    def publish(self, topic: str) -> int:
        info = self.client.publish(topic, b'{"v": 1}', qos=1)
        with self.acked:
            assert self.acked.wait_for(lambda: info.mid in self.pubacks, timeout=5)
            return self.pubacks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextlib.contextmanager
def rootfs_mosquitto(root: Path, config: str, log: Path, port: int | None = None) -> Iterator[None]:
    """The rootfs's own /usr/sbin/mosquitto run in the chroot with `config` (a path inside the rootfs), until the
    block ends (terminated, killed if it lingers); waits for `port` first when given. Its output goes to `log`."""
    with log.open("wb") as out:
        broker = subprocess.Popen(["chroot", str(root), "/usr/sbin/mosquitto", "-c", config], stdout=out, stderr=out)
        try:
            if port is not None:
                wait_for_port(port, timeout=10)
            yield
        finally:
            broker.terminate()
            try:
                broker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()
