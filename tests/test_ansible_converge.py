"""A real converge of the Ansible roles: a Debian 12 (bookworm) root filesystem made with debootstrap, the sample
hall's coordinator host and one counter Pi (pad + keypad) applied to copies of it through the
`community.general.chroot` connection, twice (the second run must change nothing), then checked from outside:
the venv imports motcua, the units pass `systemd-analyze verify`, the rootfs's own Mosquitto accepts the generated
config and the password a device was given, owners and modes are as intended.

Needs root (debootstrap, chroot) and fails, never skips, without it: CI runs as root. The root filesystem and the
dependency wheels are cached in /var/cache/motcua-tests/ (MOTCUA_TEST_CACHE), keyed on what they contain; every
other path is unique to the run, so the module can run in parallel with the rest of the suite (pytest-xdist:
keep the module on one worker, e.g. --dist loadfile). Logs and timings: test-output/ansible-converge/<run>/.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from ansible_support import (
    ANSIBLE,
    OUTPUT,
    OUTPUT_ROOT,
    REPO,
    SOURCE_IGNORE,
    VENV_BIN,
    Client,
    Run,
    ansible_env,
    cached_rootfs,
    cached_wheelhouse,
    exposure,
    rootfs_mosquitto,
    start_playbook,
    unit_settings,
    wait,
)
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from motcua.broker import TlsFiles, device_roles
from motcua.config import load_config
from motcua.contract import Topics
from motcua.hall import load_hall
from motcua.localbroker import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

#: The sample hall's hosts converged here (inventories/example/hosts.yml).
HOSTS = {"coordinator": "coordinator", "counter": "counter-1"}
SITE = "phuong-hoa-binh"
NOT_AUTHORIZED = 135
ACCEPTED = (0, 16)
#: The provincial broker the converged coordinator bridges to (started by test_the_deployed_bridge_...).
BRIDGE_PORT = free_port()
BRIDGE_PASSWORD = "converge-bridge-password-1"
TLS_SCRIPT = ANSIBLE / "roles/common/files/motcua-tls.sh"  # the hall's and the province's CA

# --- the converge ----------------------------------------------------------------------------------------------------


@dataclass
class Converged:
    roots: dict[str, Path]  # "coordinator" / "counter" -> root filesystem
    first: dict[str, Run]
    second: dict[str, Run]
    timings: dict[str, float]

    def chroot(self, which: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["chroot", str(self.roots[which]), *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if check:
            assert result.returncode == 0, f"{' '.join(argv)} in {which}: {result.stdout}{result.stderr}"
        return result


def converge_args(host: str, root: Path, workdir: Path, source: Path, deps: Path) -> list[str]:
    """site.yml for one host of the sample hall, retargeted to a chroot by a second inventory source."""
    wheelhouse = workdir / "wheelhouse"
    wheelhouse.mkdir(exist_ok=True)
    if not (wheelhouse / "x86_64.tar").exists():
        os.link(deps, wheelhouse / "x86_64.tar")
    inventory = workdir / "chroot-hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {"ansible_become": False, "ansible_python_interpreter": "/usr/bin/python3"},
                    "hosts": {host: {"ansible_connection": "community.general.chroot", "ansible_host": str(root)}},
                }
            }
        )
    )
    extra = {
        "motcua_source_dir": str(source),
        "common_wheelhouse": str(wheelhouse),
        "common_pip_offline": True,  # the hall-without-Internet path: only the wheelhouse
        "common_apt_update_cache": False,  # the rootfs has every package already; no mirror needed
        # The hall CA and broker certificate the first converge makes on the control node: one for both hosts.
        "motcua_tls_dir": str(workdir.parent / "tls"),
        # The uplink on (docs/deploy.md, "Bridge to the province"): TLS, checked against the province's CA as the
        # province role makes it (tests/test_ansible_province.py converges that side).
        "mosquitto_bridge_remote": f"127.0.0.1:{BRIDGE_PORT}",
        "mosquitto_bridge_ca_src": str(workdir.parent / "province-tls" / "ca.crt"),
        "mosquitto_bridge_password": BRIDGE_PASSWORD,
    }
    return [
        "-i",
        "inventories/example/hosts.yml",
        "-i",
        str(inventory),
        "--vault-password-file",
        "inventories/example/DEMO-vault-password.txt",
        "--limit",
        host,
        "-e",
        json.dumps(extra),
        "site.yml",
    ]


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    if os.geteuid() != 0:
        pytest.fail(
            "the Ansible converge test needs root (debootstrap and chroot build and enter a Debian root filesystem): "
            "run `sudo make test` (CI runs as root)",
            pytrace=False,
        )
    for tool in ("debootstrap", "chroot", "systemd-analyze"):
        assert shutil.which(tool), f"{tool} is missing: scripts/setup.sh installs it"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "tmp").mkdir(exist_ok=True)
    for old in OUTPUT_ROOT.iterdir():  # logs of runs more than a day old
        if old.is_dir() and old != OUTPUT and time.time() - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)
    timings: dict[str, float] = {}
    started = time.monotonic()
    base = tmp_path_factory.mktemp("converge")
    roots: dict[str, Path] = {}
    try:
        rootfs = cached_rootfs(timings)
        # Each host gets its own root filesystem, source snapshot and wheelhouse: the two converges run at once.
        workdirs: dict[str, Path] = {}
        sources: dict[str, Path] = {}
        for which in HOSTS:
            workdirs[which] = base / which
            workdirs[which].mkdir()
            sources[which] = workdirs[which] / "src"
            shutil.copytree(REPO, sources[which], ignore=SOURCE_IGNORE, symlinks=True)
            roots[which] = workdirs[which] / "rootfs"
            subprocess.run(["cp", "-a", "--reflink=auto", str(rootfs), str(roots[which])], check=True)
        deps = cached_wheelhouse(timings, sources["coordinator"])
        # The province's CA and broker certificate, made as the province role makes them on the control node.
        made = subprocess.run(
            ["sh", str(TLS_SCRIPT), str(base / "province-tls"), "127.0.0.1", "province", "tinh-thu-nghiem"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        timings["prepare_s"] = round(time.monotonic() - started, 1)

        runs: list[dict[str, Run]] = []
        for attempt in ("first", "second"):
            start = time.monotonic()
            processes = {
                which: start_playbook(
                    converge_args(host, roots[which], workdirs[which], sources[which], deps), f"{attempt}-{which}"
                )
                for which, host in HOSTS.items()
            }
            runs.append({which: wait(started) for which, started in processes.items()})
            timings[f"{attempt}_converge_s"] = round(time.monotonic() - start, 1)
            for which, run in runs[-1].items():
                assert run.returncode == 0, f"the {attempt} converge of {HOSTS[which]} failed: see {run.log}"
        timings["total_s"] = round(time.monotonic() - started, 1)
        (OUTPUT / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        yield Converged(roots, runs[0], runs[1], timings)
    finally:
        for root in roots.values():  # ~0.5 GB each: do not leave them to pytest's kept temp folders
            shutil.rmtree(root, ignore_errors=True)


# --- what the converge produced --------------------------------------------------------------------------------------


def test_second_converge_changes_nothing(converged: Converged) -> None:
    for which, host in HOSTS.items():
        first, second = converged.first[which].recap[host], converged.second[which].recap[host]
        assert first["changed"] > 0 and first["failed"] == 0
        assert second["changed"] == 0, f"{host} changed on the second run: see {converged.second[which].log}"
        assert second["failed"] == 0 and second["unreachable"] == 0


def test_venv_imports_motcua_and_each_hosts_packages(converged: Converged) -> None:
    python = "/opt/motcua/venv/bin/python"
    converged.chroot("coordinator", python, "-c", "import motcua, coordinator.main, coordinator.report.cli, matplotlib")
    converged.chroot("counter", python, "-c", "import motcua, rating_buttons.main, counter_keypad.main, gpiozero")
    result = converged.chroot("counter", python, "-c", "import matplotlib", check=False)
    assert result.returncode != 0, "a counter Pi must not carry the coordinator's report dependencies"
    version = converged.chroot("counter", "/usr/local/bin/motcua", "--version").stdout
    assert version.startswith("motcua ")


UNITS = {
    "coordinator": [
        "motcua-coordinator.service",
        "motcua-backup.service",
        "motcua-backup.timer",
        "motcua-report-week.service",
        "motcua-report-week.timer",
        "motcua-report-month.service",
        "motcua-report-month.timer",
    ],
    "counter": ["motcua-pad.service", "motcua-keypad.service"],
}


def test_units_pass_systemd_analyze_verify(converged: Converged) -> None:
    for which, units in UNITS.items():
        paths = [f"/etc/systemd/system/{unit}" for unit in units]
        result = converged.chroot(which, "systemd-analyze", "verify", *paths, check=False)
        assert result.returncode == 0 and not result.stderr.strip(), f"{which}: {result.stderr}"


def test_services_restart_always_as_the_motcua_user_and_are_enabled(converged: Converged) -> None:
    for which, unit in [
        ("coordinator", "motcua-coordinator.service"),
        ("counter", "motcua-pad.service"),
        ("counter", "motcua-keypad.service"),
    ]:
        root = converged.roots[which]
        settings = unit_settings(root, unit)
        assert settings["Restart"] == ["always"] and settings["User"] == ["motcua"], unit
        assert (root / "etc/systemd/system/multi-user.target.wants" / unit).is_symlink(), f"{unit} not enabled"
    for unit in ("motcua-pad.service", "motcua-keypad.service"):
        assert "GPIOZERO_PIN_FACTORY=lgpio" in unit_settings(converged.roots["counter"], unit)["Environment"]
    for timer in ("motcua-backup.timer", "motcua-report-week.timer", "motcua-report-month.timer"):
        assert (converged.roots["coordinator"] / "etc/systemd/system/timers.target.wants" / timer).is_symlink(), timer
    dropin = converged.roots["coordinator"] / "etc/systemd/system/mosquitto.service.d/motcua.conf"
    assert "Restart=always" in dropin.read_text()
    assert "LimitNOFILE=4096" in dropin.read_text()  # Debian's 1,024 descriptors ran out under idle sockets
    # Each Pi's service user has the hardware of its own roles only (a counter Pi: the GPIO pins).
    for which, wanted in (("counter", {"gpio"}), ("coordinator", set())):
        groups = group_members(converged.roots[which])
        assert {g for g, members in groups.items() if "motcua" in members} == wanted, which


SANDBOXED = {
    "coordinator": ["motcua-coordinator.service", "motcua-backup.service"],
    "counter": ["motcua-pad.service", "motcua-keypad.service"],
}


def test_services_are_sandboxed(converged: Converged) -> None:
    """Issue 19.8: every motcua unit scored 8.5 ("exposed"), the backup 9.2, Debian's mosquitto.service 9.6."""
    scores = {unit: exposure(converged.roots[which], unit) for which, units in SANDBOXED.items() for unit in units}
    scores["mosquitto.service"] = exposure(converged.roots["coordinator"], "mosquitto.service")
    (OUTPUT / "exposure.json").write_text(json.dumps(scores, indent=2) + "\n")
    assert all(score < 3 for unit, score in scores.items() if unit.startswith("motcua-")), scores
    assert scores["mosquitto.service"] < 3, scores  # it starts as root (to drop to its own user): 2.3
    for which, units in SANDBOXED.items():
        for unit in units:
            settings = unit_settings(converged.roots[which], unit)
            assert settings["ProtectSystem"] == ["strict"] and settings["CapabilityBoundingSet"] == [""], unit
            assert settings["DevicePolicy"] == ["closed"] and settings["UMask"] == ["0077"], unit
    pad = unit_settings(converged.roots["counter"], "motcua-pad.service")
    assert pad["DeviceAllow"] == ["char-gpiochip rw"] and "/var/lib/motcua" in pad["ReadWritePaths"]


def test_configs_load_as_the_services_load_them(converged: Converged) -> None:
    """`motcua check` (what every validate: of the roles runs) accepts each file as deployed."""
    check = ["/opt/motcua/venv/bin/motcua", "check"]
    for which, kind, path, *extra in [
        ("coordinator", "hall", "/etc/motcua/hall.toml"),
        ("coordinator", "coordinator", "/etc/motcua/coordinator.toml"),
        ("coordinator", "catalogue", "/etc/motcua/procedures.toml", "--hall", "/etc/motcua/hall.toml"),
        ("coordinator", "admin", "/etc/motcua/admin.toml"),
        ("counter", "hall", "/etc/motcua/hall.toml"),
        ("counter", "pad", "/etc/motcua/pad.toml"),
        ("counter", "keypad", "/etc/motcua/keypad.toml"),
    ]:
        result = converged.chroot(which, *check, kind, path, *extra)
        assert result.stdout.strip() == f"{path}: a valid {kind} file", result.stderr
    shown = converged.chroot("counter", *check, "pad", "/etc/motcua/pad.toml", "--show").stdout
    assert 'password_file = "/etc/motcua/pad-1.password"' in shown
    assert converged.chroot("counter", "cat", "/etc/motcua/pad-1.password").stdout.strip() not in shown
    for root in converged.roots.values():
        assert not (root / "opt/motcua/bin/motcua-check-config").exists(), "the checker of earlier versions is gone"
    pad = (converged.roots["counter"] / "etc/motcua/pad.toml").read_text()
    assert 'id = "pad-1"' in pad and "counter = 1" in pad and 'host = "192.168.1.10"' in pad


def test_hall_toml_from_the_inventory_is_the_sample_hall(converged: Converged) -> None:
    """group_vars/all/hall.yml + hosts.yml describe exactly examples/ward-hall/hall.toml: one hall, one truth."""
    written = load_hall(converged.roots["coordinator"] / "etc/motcua/hall.toml").model_dump()
    sample = load_hall(REPO / "examples/ward-hall/hall.toml").model_dump()
    assert str(written["hall"].pop("procedures")) == "/etc/motcua/procedures.toml"
    sample["hall"].pop("procedures")
    differ = [
        f"{section}.{key}" if key else section
        for section, value in sample.items()
        for key in (value if isinstance(value, dict) else [None])
        if (written[section].get(key) if key else written[section]) != (value.get(key) if key else value)
    ]
    inventory = "ansible/inventories/example/group_vars/all/hall.yml"
    assert not differ, f"{inventory} no longer describes examples/ward-hall/hall.toml: {differ}"


def test_device_configs_are_the_sample_devices(converged: Converged) -> None:
    """pad.toml and keypad.toml written from the inventory say what examples/ward-hall/devices/ say, but for the
    deployment's own paths (hall.toml and the password file in /etc/motcua)."""
    from counter_keypad.config import KeypadConfig
    from rating_buttons.config import PadConfig

    deployment_paths = {"hall": True, "mqtt": {"password_file", "port", "ca_file"}}
    for name, model in [("pad", PadConfig), ("keypad", KeypadConfig)]:
        written = load_config(converged.roots["counter"] / f"etc/motcua/{name}.toml", model)
        sample = load_config(REPO / f"examples/ward-hall/devices/{name}-1.toml", model)
        assert written.model_dump(exclude=deployment_paths) == sample.model_dump(exclude=deployment_paths), name
        assert str(written.hall) == "/etc/motcua/hall.toml"
        assert str(written.mqtt.password_file) == f"/etc/motcua/{name}-1.password"
        # TLS by default (issue 19.6): the broker's port 8883, checked against the hall CA.
        assert written.mqtt.port == 8883 and str(written.mqtt.ca_file) == "/etc/motcua/hall-ca.crt"


def owners(root: Path, path: str) -> tuple[str, str, str]:
    """(user, group, mode) of a file of the rootfs, named from the rootfs's own accounts."""
    info = (root / path.lstrip("/")).lstat()
    users = {int(line.split(":")[2]): line.split(":")[0] for line in (root / "etc/passwd").read_text().splitlines()}
    groups = {int(line.split(":")[2]): line.split(":")[0] for line in (root / "etc/group").read_text().splitlines()}
    return users[info.st_uid], groups[info.st_gid], oct(info.st_mode & 0o7777)


def group_members(root: Path) -> dict[str, set[str]]:
    members = {}
    for line in (root / "etc/group").read_text().splitlines():
        name, _, _, users = line.split(":")
        members[name] = set(filter(None, users.split(",")))
    return members


def test_files_have_the_intended_owners_and_modes(converged: Converged) -> None:
    expected = {
        "coordinator": {
            "/etc/motcua": ("root", "motcua", "0o750"),
            "/etc/motcua/hall.toml": ("root", "motcua", "0o640"),
            "/etc/motcua/coordinator.toml": ("root", "motcua", "0o640"),
            "/etc/motcua/coordinator.password": ("root", "motcua", "0o640"),
            "/etc/motcua/admin.password": ("root", "motcua", "0o640"),
            "/var/lib/motcua": ("motcua", "motcua", "0o750"),
            "/var/backups/motcua": ("motcua", "motcua", "0o750"),
            "/etc/mosquitto/motcua": ("root", "mosquitto", "0o750"),
            "/etc/mosquitto/motcua/mosquitto.conf": ("root", "mosquitto", "0o640"),
            "/etc/mosquitto/motcua/passwd": ("root", "mosquitto", "0o640"),
            "/etc/mosquitto/motcua/acl": ("root", "mosquitto", "0o640"),
            "/etc/mosquitto/motcua/credentials": ("root", "root", "0o700"),
            "/etc/mosquitto/motcua/credentials/pad-1.password": ("root", "root", "0o600"),
            "/etc/mosquitto/motcua/tls/server.key": ("root", "mosquitto", "0o640"),
            "/etc/motcua/hall-ca.crt": ("root", "motcua", "0o644"),
            "/var/lib/mosquitto": ("mosquitto", "mosquitto", None),
            "/opt/motcua/venv/bin/python3": ("root", "root", None),
            "/usr/local/sbin/motcua-backup": ("root", "root", "0o755"),
            "/srv/motcua/reports": ("motcua", "motcua-reports", "0o2750"),  # the managers' group reads the reports
        },
        "counter": {
            "/etc/motcua/pad.toml": ("root", "motcua", "0o640"),
            "/etc/motcua/keypad.toml": ("root", "motcua", "0o640"),
            "/etc/motcua/pad-1.password": ("root", "motcua", "0o640"),
            "/etc/motcua/keypad-1.password": ("root", "motcua", "0o640"),
            "/var/lib/motcua": ("motcua", "motcua", "0o750"),
            "/etc/motcua/hall-ca.crt": ("root", "motcua", "0o644"),
        },
    }
    for which, files in expected.items():
        for path, (user, group, mode) in files.items():
            got = owners(converged.roots[which], path)
            assert got[:2] == (user, group) and (mode is None or got[2] == mode), f"{which}:{path} is {got}"
    counter = converged.roots["counter"]
    assert not (counter / "etc/mosquitto/motcua").exists(), "the broker belongs to the coordinator only"
    assert not (counter / "etc/motcua/procedures.toml").exists()


def test_time_zone_time_sync_and_firewall(converged: Converged) -> None:
    for which in HOSTS:
        root = converged.roots[which]
        assert os.readlink(root / "etc/localtime").endswith("Asia/Ho_Chi_Minh")
        converged.chroot(which, "nft", "-c", "-f", "/etc/nftables.conf")
        converged.chroot(which, "chronyd", "-p", "-f", "/etc/chrony/chrony.conf")
    coordinator_chrony = (converged.roots["coordinator"] / "etc/chrony/chrony.conf").read_text()
    assert "allow 192.168.1.0/24" in coordinator_chrony and "local stratum" in coordinator_chrony
    counter_chrony = (converged.roots["counter"] / "etc/chrony/chrony.conf").read_text()
    assert re.search(r"^server 192\.168\.1\.10 ", counter_chrony, re.M) and "allow" not in counter_chrony
    mqtt_rule = (converged.roots["coordinator"] / "etc/nftables.d/mosquitto.nft").read_text()
    # MQTT from the inventory's device Pis only (not the whole LAN), a few connections per address (issue 19.4).
    devices = "192.168.1.21, 192.168.1.22, 192.168.1.31, 192.168.1.32, 192.168.1.33, 192.168.1.34, 192.168.1.35, "
    devices += "192.168.1.36, 192.168.1.41, 192.168.1.42, 192.168.1.51"  # .51: counter 1's tablet (screen-1)
    assert f"ip saddr {{ {devices} }} tcp dport 8883 accept" in mqtt_rule
    assert "192.168.1.0/24" not in mqtt_rule and "192.168.1.10" not in mqtt_rule
    assert re.search(r"tcp dport 8883 ct state new meter \S+ \{ ip saddr ct count over 8 \} .*reject", mqtt_rule)
    assert "policy drop" in (converged.roots["counter"] / "etc/nftables.conf").read_text()
    assert not (converged.roots["counter"] / "etc/nftables.d/mosquitto.nft").exists()


# --- Mosquitto from the rootfs, with the generated files and a device's password ----------------------------------

@pytest.fixture
def rootfs_broker(converged: Converged) -> Iterator[int]:
    """The coordinator rootfs's own /usr/sbin/mosquitto, run in the chroot with the generated config, on a free port."""
    root = converged.roots["coordinator"]
    port = free_port()
    generated = (root / "etc/mosquitto/motcua/mosquitto.conf").read_text()
    assert re.search(r"^listener 8883 0\.0\.0\.0$", generated, re.M)  # TLS only, by default
    assert re.search(r"^listener 1884 127\.0\.0\.1$", generated, re.M)  # the tools' listener: local only
    # The limits of issue 19: twice the hall's broker users plus 16 (the console and counter screens add users).
    hall = load_hall(root / "etc/motcua/hall.toml")
    users = len(device_roles(hall))
    assert users >= 18
    limit = f"max_connections {2 * users + 16}"
    for line in (limit, "use_username_as_clientid true", "max_queued_bytes 8388608"):
        assert re.search(f"^{line}$", generated, re.M), line
    test_config = re.sub(r"^listener 8883 .*$", f"listener {port} 127.0.0.1", generated, flags=re.M)
    test_config = re.sub(r"^listener 1884 .*$", f"listener {free_port()} 127.0.0.1", test_config, flags=re.M)
    test_config = test_config.replace("log_dest syslog", "log_dest stderr")
    (root / "tmp/test-mosquitto.conf").write_text(test_config)
    with rootfs_mosquitto(root, "/tmp/test-mosquitto.conf", OUTPUT / "rootfs-mosquitto.log", port):
        yield port


def test_rootfs_mosquitto_accepts_the_generated_config_and_the_devices_password(
    converged: Converged, rootfs_broker: int
) -> None:
    topics = Topics(SITE)
    # The password the pad's Pi was given (device side) against the hash the broker's Pi generated (broker side).
    pad_password = (converged.roots["counter"] / "etc/motcua/pad-1.password").read_text().strip()
    ca = converged.roots["counter"] / "etc/motcua/hall-ca.crt"  # what the pad's Pi checks the broker with
    pad = Client(rootfs_broker, "pad-1", pad_password, ca)
    try:
        assert pad.connack == 0
        assert pad.publish(topics.device_status("pad-1")) in ACCEPTED
        assert pad.publish(topics.rating(1)) in ACCEPTED
        assert pad.publish(topics.rating(2)) == NOT_AUTHORIZED, "the ACL must keep pad-1 to its own counter"
    finally:
        pad.close()
    coordinator_password = (converged.roots["coordinator"] / "etc/motcua/coordinator.password").read_text().strip()
    coordinator = Client(rootfs_broker, "coordinator", coordinator_password, ca)
    try:
        assert coordinator.connack == 0 and coordinator.publish(topics.board()) in ACCEPTED
    finally:
        coordinator.close()
    intruder = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="converge-intruder", protocol=MQTTProtocolVersion.MQTTv5
    )
    intruder.username_pw_set("pad-1", "not-the-password")
    intruder.tls_set(ca_certs=str(ca))
    refused = threading.Event()
    codes: list[int] = []
    intruder.on_connect = lambda c, u, f, rc, p: (codes.append(rc.value), refused.set())
    intruder.connect("127.0.0.1", rootfs_broker)
    intruder.loop_start()
    try:
        assert refused.wait(10) and codes[0] != 0
    finally:
        intruder.loop_stop()
        intruder.disconnect()
    # Plain MQTT is refused: a CONNECT in clear gets no CONNACK, the broker closes the connection.
    with socket.create_connection(("127.0.0.1", rootfs_broker), timeout=5) as plain:
        plain.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
        try:
            answer = plain.recv(4)
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"\x20"), "a plaintext client must not get a CONNACK"


def test_the_deployed_bridge_carries_the_halls_events_to_the_province_over_tls(
    converged: Converged, tmp_path: Path
) -> None:
    """The coordinator converged with the uplink on: its bridge section checks the province's certificate with the CA
    the role copied into the rootfs; the rootfs's Mosquitto, with that section, reaches a provincial broker made from
    the same CA (province/broker.py, TLS only) and its events arrive there."""
    from province.broker import COLLECTOR_USER, ProvinceBroker

    root = converged.roots["coordinator"]
    bridge = (root / "etc/mosquitto/motcua/provincial-bridge.conf").read_text()
    assert f"address 127.0.0.1:{BRIDGE_PORT}" in bridge and f"remote_username {SITE}" in bridge
    assert "bridge_cafile /etc/mosquitto/motcua/bridge-ca.crt\nbridge_insecure false" in bridge
    ca = root / "etc/mosquitto/motcua/bridge-ca.crt"
    tls = converged.roots["coordinator"].parent.parent / "province-tls"
    assert ca.read_bytes() == (tls / "ca.crt").read_bytes()
    mode = converged.chroot("coordinator", "stat", "-c", "%U:%G %a", "/etc/mosquitto/motcua/bridge-ca.crt").stdout
    assert mode.split() == ["root:mosquitto", "640"]
    # The province: TLS only, the hall's bridge password as the province's vault gives it.
    (tmp_path / "province/credentials").mkdir(parents=True)
    (tmp_path / "province/credentials" / f"{SITE}.password").write_text(BRIDGE_PASSWORD + "\n")
    files = TlsFiles(cert=tls / "server.crt", key=tls / "server.key", ca=tls / "ca.crt")
    province = ProvinceBroker([SITE], tmp_path / "province", port=BRIDGE_PORT, tls=files).start()
    generated = (root / "etc/mosquitto/motcua/mosquitto.conf").read_text()
    test_config = re.sub(r"^listener 8883 .*$", f"listener {free_port()} 127.0.0.1", generated, flags=re.M)
    test_config = re.sub(r"^listener 1884 .*$", f"listener {free_port()} 127.0.0.1", test_config, flags=re.M)
    test_config = test_config.replace("log_dest syslog", "log_dest stderr")
    (root / "tmp/test-bridge-mosquitto.conf").write_text(test_config + "\n" + bridge)
    received: list[tuple[str, bytes]] = []
    arrived = threading.Condition()

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        with arrived:
            received.append((message.topic, bytes(message.payload)))
            arrived.notify_all()

    watcher = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="converge-province", protocol=MQTTProtocolVersion.MQTTv5
    )
    watcher.username_pw_set(COLLECTOR_USER, province.files.password(COLLECTOR_USER) if province.files else None)
    watcher.tls_set(ca_certs=str(files.ca))
    watcher.on_message = on_message
    watcher.connect("127.0.0.1", BRIDGE_PORT)
    watcher.subscribe([(Topics(SITE).bridge_status(), 1), (Topics(SITE).events(), 1)])
    watcher.loop_start()
    try:
        with rootfs_mosquitto(root, "/tmp/test-bridge-mosquitto.conf", OUTPUT / "rootfs-bridge-mosquitto.log"):
            with arrived:
                assert arrived.wait_for(lambda: (Topics(SITE).bridge_status(), b"1") in received, timeout=20), received
            port = int(re.findall(r"^listener (\d+) 127\.0\.0\.1$", test_config, re.M)[0])
            password = (root / "etc/motcua/coordinator.password").read_text().strip()
            coordinator = Client(port, "coordinator", password, root / "etc/motcua/hall-ca.crt")
            try:
                assert coordinator.publish(Topics(SITE).events()) in ACCEPTED
            finally:
                coordinator.close()
            with arrived:
                assert arrived.wait_for(lambda: (Topics(SITE).events(), b'{"v": 1}') in received, timeout=10), received
    finally:
        watcher.loop_stop()
        watcher.disconnect()
        province.kill()


# --- the nightly backup ---------------------------------------------------------------------------------------------


def test_backup_script_copies_a_live_wal_database(converged: Converged) -> None:
    root = converged.roots["coordinator"]
    database = root / "var/lib/motcua/coordinator.db"
    live = sqlite3.connect(database)
    try:
        live.execute("PRAGMA journal_mode=WAL")
        live.execute("CREATE TABLE tickets (label TEXT)")
        live.execute("INSERT INTO tickets VALUES ('1001')")
        live.commit()  # still open (and in WAL) while the backup runs, as with the coordinator running
        output = converged.chroot("coordinator", "/usr/local/sbin/motcua-backup").stdout
    finally:
        live.close()
    backups = sorted((root / "var/backups/motcua").glob("coordinator-*.db.gz"))
    assert len(backups) == 1, output
    restored = converged.roots["coordinator"] / "tmp/restored.db"
    restored.write_bytes(gzip.decompress(backups[0].read_bytes()))
    with contextlib.closing(sqlite3.connect(restored)) as copy:
        assert copy.execute("SELECT label FROM tickets").fetchall() == [("1001",)]


# --- security updates (issue 19.9) ----------------------------------------------------------------------------------


def test_security_updates_install_at_night_and_reboot_outside_opening_hours(converged: Converged) -> None:
    for which in HOSTS:
        root = converged.roots[which]
        config = converged.chroot(which, "apt-config", "dump").stdout
        origins = re.findall(r'^Unattended-Upgrade::Origins-Pattern:: "(.*)";$', config, re.M)
        assert origins and all("Debian-Security" in origin for origin in origins), origins  # security only
        assert 'APT::Periodic::Unattended-Upgrade "1";' in config
        assert 'Unattended-Upgrade::Automatic-Reboot "true";' in config
        assert 'Unattended-Upgrade::Automatic-Reboot-Time "02:30";' in config  # the hall opens at 07:00 (kiosks)
        timer = (root / "etc/systemd/system/apt-daily-upgrade.timer.d/motcua.conf").read_text()
        assert "OnCalendar=*-*-* 01:30" in timer
        assert (root / "etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer").exists()
        assert (root / "usr/bin/unattended-upgrade").exists()


# --- SSH, consoles, the demo secret (issue 19.11) -------------------------------------------------------------------


def test_ssh_takes_keys_only_from_the_technicians(converged: Converged) -> None:
    for which in HOSTS:
        converged.chroot(which, "/bin/sh", "-c", "mkdir -p /run/sshd && /usr/sbin/sshd -t")  # the whole config
        effective = converged.chroot(which, "/bin/sh", "-c", "/usr/sbin/sshd -T -C user=kythuat,addr=192.168.1.5")
        settings = dict(line.split(" ", 1) for line in effective.stdout.splitlines() if " " in line)
        assert settings["permitrootlogin"] == "no" and settings["passwordauthentication"] == "no", which
        assert settings["maxauthtries"] == "3" and settings["allowtcpforwarding"] == "no", which
        assert settings["x11forwarding"] == "no" and settings["allowagentforwarding"] == "no", which
        assert settings["allowusers"] == "kythuat@192.168.1.0/24", which


def test_public_pis_have_no_console_login_and_no_sysrq(converged: Converged) -> None:
    counter, coordinator = converged.roots["counter"], converged.roots["coordinator"]
    assert "kernel.sysrq = 0" in (counter / "etc/sysctl.d/50-motcua.conf").read_text()
    assert "NAutoVTs=0" in (counter / "etc/systemd/logind.conf.d/motcua.conf").read_text()
    assert os.readlink(counter / "etc/systemd/system/getty@tty1.service") == "/dev/null"
    # The coordinator is not in public reach: its console stays for the technician.
    assert not (coordinator / "etc/sysctl.d/50-motcua.conf").exists()


def test_the_public_demo_secret_is_refused_outside_the_example_inventory(tmp_path: Path) -> None:
    """A copy of inventories/example that keeps the demo vault must not deploy; the example itself still does."""
    copy = tmp_path / "inventories" / "ward-7"
    shutil.copytree(ANSIBLE / "inventories" / "example", copy)
    playbook = tmp_path / "secrets.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Only the secrets check",
                    "hosts": "coordinators",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Check",
                            "ansible.builtin.include_role": {"name": "common", "tasks_from": "secrets"},
                        }
                    ],
                }
            ]
        )
    )
    (OUTPUT / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**ansible_env(into_chroot=False), "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles")}
    results = {}
    for name, inventory in (("copy", copy), ("example", ANSIBLE / "inventories" / "example")):
        results[name] = subprocess.run(
            [
                str(VENV_BIN / "ansible-playbook"),
                "-i",
                str(inventory / "hosts.yml"),
                "--vault-password-file",
                str(inventory / "DEMO-vault-password.txt"),
                "-e",
                "ansible_connection=local",
                str(playbook),
            ],
            cwd=ANSIBLE,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert results["copy"].returncode != 0 and "PUBLIC demo secret" in results["copy"].stdout, results["copy"].stdout
    assert results["example"].returncode == 0, results["example"].stdout[-2000:]


def test_kiosk_and_display_units_are_sandboxed_too(tmp_path: Path) -> None:
    """The converge covers the coordinator and a counter Pi; the kiosk's and display's units are rendered from their
    roles for the sample hall and scored the same way (their devices: DRM, input, USB, camera, ALSA)."""
    root = tmp_path / "root"
    units = {"kiosk": ("kiosk-1", "motcua-kiosk.service"), "display": ("display-1", "motcua-display.service")}
    (OUTPUT / "tmp").mkdir(parents=True, exist_ok=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for role, (host, unit) in units.items():
        playbook = tmp_path / f"{role}.yml"
        defaults = [str(ANSIBLE / "roles" / name / "defaults/main.yml") for name in ("common", role)]
        playbook.write_text(
            yaml.safe_dump(
                [
                    {
                        "name": f"Render the {role} unit",
                        "hosts": host,
                        "gather_facts": False,
                        "vars_files": [str(ANSIBLE / "group_vars/all/motcua.yml"), *defaults],
                        "tasks": [
                            {
                                "name": "Render",
                                "ansible.builtin.template": {
                                    "src": str(ANSIBLE / "roles" / role / "templates" / f"{unit}.j2"),
                                    "dest": str(root / "etc/systemd/system" / unit),
                                    "mode": "0644",
                                },
                            }
                        ],
                    }
                ]
            )
        )
        rendered = subprocess.run(
            [
                str(VENV_BIN / "ansible-playbook"),
                "-i",
                "inventories/example/hosts.yml",
                "--vault-password-file",
                "inventories/example/DEMO-vault-password.txt",
                "-e",
                json.dumps({"ansible_connection": "local", "ansible_python_interpreter": str(VENV_BIN / "python")}),
                str(playbook),
            ],
            cwd=ANSIBLE,
            env=ansible_env(into_chroot=False),
            capture_output=True,
            text=True,
            check=False,
        )
        assert rendered.returncode == 0, rendered.stdout[-2000:]
    for role, (_, unit) in units.items():
        settings = unit_settings(root, unit)
        assert settings["ProtectSystem"] == ["strict"] and settings["DevicePolicy"] == ["closed"], role
        assert "char-drm rw" in settings["DeviceAllow"], role
        score = exposure(root, unit)
        assert score < 3, f"{unit}: {score}"
