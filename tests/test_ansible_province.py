"""A real converge of the province: ansible/province.yml with the sample inventory (inventories/province-example)
applied to a Debian 12 root filesystem through the `community.general.chroot` connection, twice (the second run must
change nothing), then checked from outside.

What a chroot can and cannot run, decided here:

- **PostgreSQL.** Debian's package creates its cluster (15/main) when it is installed; systemd cannot start it in a
  chroot, but the cluster's own tool can: the test starts it with ``pg_ctlcluster 15 main start`` inside the rootfs
  before the converges (``province_postgresql_running: true``, ``province_services_running: false``), so the role's
  real tasks create the collector's role and database, through the real Unix socket, as on the server; the test then
  runs the collector's own schema migrations as the ``motcua`` user over peer authentication (the DSN the role wrote)
  and stops the cluster.
- **Mosquitto.** Not started by systemd; the rootfs's own ``/usr/sbin/mosquitto`` is run with the config the role
  wrote (conf.d included, listener moved to a free port), with the password file the role's handler made with
  ``mosquitto_passwd``, the ACL and the TLS certificate from the province CA the role made on the control node:
  the collector's password is accepted over TLS, a hall's bridge password may write its own site only, plain MQTT
  gets no CONNACK.
- **The collector.** Its unit passes ``systemd-analyze verify``, province.toml passes ``motcua check province`` in the
  rootfs, and it is enabled (not started).
- **The province's web console.** Its unit passes ``systemd-analyze verify`` and is enabled; province-console.toml
  passes ``motcua check console``; the first admin is made by the first run only (its argon2 hash, salted afresh by
  every creation, is the same after the second run); the venv (with the console's locked extra) is started by the
  test inside the rootfs as the unit would, on a free port, and answers GET /login over TLS with the certificate
  from the province CA. The dependency wheels are made by wheelhouse.yml for the coordinator and console extras.

Needs root (debootstrap, chroot) and fails, never skips, without it. The root filesystem (the province packages:
PostgreSQL, Mosquitto, python3-psycopg) and the dependency wheels are cached in /var/cache/motcua-tests/
(tests/ansible_support.py). Logs: test-output/ansible-converge/<run>/province-*.log.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from ansible_support import (
    ANSIBLE,
    CACHE,
    OUTPUT,
    REPO,
    SOURCE_IGNORE,
    Client,
    Run,
    ansible_playbook,
    cached_rootfs,
    locked,
    prune,
    role_packages,
    rootfs_mosquitto,
    start_playbook,
    unit_settings,
    wait,
)

from motcua.contract import Topics
from motcua.localbroker import free_port, wait_for_port

# debootstrap (once, cached), two converges, a PostgreSQL and a Mosquitto started in the rootfs: minutes.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

HOST = "province-1"
INVENTORY = ANSIBLE / "inventories" / "province-example"
SITES = ("phuong-hoa-binh", "xa-an-khanh")
NOT_AUTHORIZED = 135
ACCEPTED = (0, 16)


def province_rootfs_packages() -> list[str]:
    """What province.yml installs on plain Debian (the province role's packages and what the venv needs)."""
    return role_packages([("province", "province_packages")], extra=["python3", "ca-certificates", "tzdata", "netbase"])


#: What the province's venv installs: motcua's own dependencies and the console's (the collector's psycopg is Debian's).
WHEEL_EXTRAS = ["coordinator", "console"]


def province_wheelhouse(timings: dict[str, float], source: Path) -> Path:
    """x86_64.tar of the province's locked wheels, made by the real wheelhouse.yml once per lock and cached."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes())
    for extra in WHEEL_EXTRAS:
        digest.update((REPO / "requirements" / "x86_64" / f"{extra}.txt").read_bytes())
    entry = CACHE / f"wheelhouse-province-{digest.hexdigest()[:16]}"
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
                "motcua_wheelhouse_extras": WHEEL_EXTRAS,
            }
            run = ansible_playbook(["wheelhouse.yml", "-e", json.dumps(extra)], "province-wheelhouse")
            assert run.returncode == 0, f"wheelhouse.yml failed: see {run.log}"
            entry.mkdir(exist_ok=True)
            (work / "x86_64.tar").rename(entry / "x86_64.tar")
            shutil.rmtree(work, ignore_errors=True)
            timings["wheelhouse_s"] = round(time.monotonic() - start, 1)
    prune("wheelhouse-province-*", keep=entry)
    return entry / "x86_64.tar"


@dataclass
class Converged:
    root: Path
    tls: Path  # the control node's province CA folder (province_tls_dir)
    first: Run
    second: Run
    timings: dict[str, float]
    admin_after_first: str  # the console's first admin (username, role, argon2 hash) after the first run

    def chroot(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["chroot", str(self.root), *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if check:
            assert result.returncode == 0, f"{' '.join(argv)}: {result.stdout}{result.stderr}"
        return result


def converge_args(root: Path, workdir: Path, source: Path, deps: Path, tls: Path) -> list[str]:
    """province.yml for the sample province's server, retargeted to a chroot by a second inventory source."""
    wheelhouse = workdir / "wheelhouse"
    wheelhouse.mkdir(exist_ok=True)
    if not (wheelhouse / "x86_64.tar").exists():
        os.link(deps, wheelhouse / "x86_64.tar")
    inventory = workdir / "chroot-hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    # The play becomes root (su: minbase has no sudo), the PostgreSQL tasks become postgres, the
                    # console's create-admin the motcua account, whose login shell is nologin (-s: sudo needs none).
                    "vars": {
                        "ansible_become_method": "su",
                        "ansible_become_flags": "-s /bin/sh",
                        "ansible_python_interpreter": "/usr/bin/python3",
                    },
                    "hosts": {HOST: {"ansible_connection": "community.general.chroot", "ansible_host": str(root)}},
                }
            }
        )
    )
    extra = {
        "motcua_source_dir": str(source),
        "common_wheelhouse": str(wheelhouse),
        "common_pip_offline": True,
        "common_apt_update_cache": False,
        "province_services_running": False,  # no systemd in a chroot ...
        "province_postgresql_running": True,  # ... but the cluster this test started with pg_ctlcluster
        "province_tls_dir": str(tls),
        "province_broker_address": "127.0.0.1",  # the certificate's name: where the test's clients dial
    }
    return [
        "-i",
        str(INVENTORY / "hosts.yml"),
        "-i",
        str(inventory),
        "--limit",
        HOST,
        "-e",
        json.dumps(extra),
        "province.yml",
    ]


def cluster(root: Path, action: str) -> subprocess.CompletedProcess[str]:
    """Debian's PostgreSQL cluster of the rootfs, driven by its own pg_ctlcluster (no systemd in a chroot)."""
    return subprocess.run(
        ["chroot", str(root), "pg_ctlcluster", "15", "main", action],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_admins(root: Path) -> str:
    """The accounts of the province console's database, read in the rootfs with its own venv."""
    read = (
        "import sqlite3; db = sqlite3.connect('file:/var/lib/motcua/province-console.db?mode=ro', uri=True); "
        "print(db.execute('SELECT username, role, pw_hash FROM accounts ORDER BY username').fetchall())"
    )
    result = subprocess.run(
        ["chroot", str(root), "/opt/motcua/venv/bin/python", "-c", read], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    if os.geteuid() != 0:
        pytest.fail("the province converge needs root (debootstrap, chroot): run `sudo make test`", pytrace=False)
    for tool in ("debootstrap", "chroot", "systemd-analyze", "openssl"):
        assert shutil.which(tool), f"{tool} is missing: scripts/setup.sh installs it"
    (OUTPUT / "tmp").mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    started = time.monotonic()
    base = tmp_path_factory.mktemp("province-converge")
    root = base / "rootfs"
    source = base / "src"
    tls = base / "tls"
    mounted: list[Path] = []
    try:
        rootfs = cached_rootfs(timings, province_rootfs_packages())
        shutil.copytree(REPO, source, ignore=SOURCE_IGNORE, symlinks=True)
        subprocess.run(["cp", "-a", "--reflink=auto", str(rootfs), str(root)], check=True)
        deps = province_wheelhouse(timings, source)
        # PostgreSQL wants /dev/shm (dynamic shared memory) and /proc: give the chroot its own.
        for point, kind in (("proc", "proc"), ("dev/shm", "tmpfs")):
            (root / point).mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "-t", kind, kind, str(root / point)], check=True)
            mounted.append(root / point)
        if not (root / "etc/postgresql/15/main").is_dir():  # Debian's postinst makes it; a policy may have stopped it
            subprocess.run(["chroot", str(root), "pg_createcluster", "15", "main"], check=True, capture_output=True)
        started_pg = cluster(root, "start")
        assert started_pg.returncode == 0, f"pg_ctlcluster start: {started_pg.stdout}{started_pg.stderr}"
        timings["prepare_s"] = round(time.monotonic() - started, 1)
        runs: list[Run] = []
        admins: list[str] = []
        for attempt in ("first", "second"):
            start = time.monotonic()
            runs.append(wait(start_playbook(converge_args(root, base, source, deps, tls), f"province-{attempt}")))
            timings[f"{attempt}_converge_s"] = round(time.monotonic() - start, 1)
            assert runs[-1].returncode == 0, f"the {attempt} province converge failed: see {runs[-1].log}"
            admins.append(console_admins(root))
        timings["total_s"] = round(time.monotonic() - started, 1)
        (OUTPUT / "province-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        yield Converged(root, tls, runs[0], runs[1], timings, admins[0])
    finally:
        if root.exists():
            cluster(root, "stop")
        for point in reversed(mounted):
            subprocess.run(["umount", "-l", str(point)], check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_second_converge_changes_nothing(converged: Converged) -> None:
    first, second = converged.first.recap[HOST], converged.second.recap[HOST]
    assert first["changed"] > 0 and first["failed"] == 0
    assert second["changed"] == 0, f"{HOST} changed on the second run: see {converged.second.log}"
    assert second["failed"] == 0 and second["unreachable"] == 0


def test_the_database_and_role_exist_and_the_collector_migrates_them(converged: Converged) -> None:
    """The role's tasks made the role and database; the collector's account reaches it by peer authentication over
    the socket (the DSN of province.toml) and its own migrations make the tables."""
    psql = ["runuser", "-u", "postgres", "--", "psql", "-tAc"]
    roles = converged.chroot(*psql, "SELECT rolname FROM pg_roles WHERE rolname = 'motcua'").stdout.split()
    databases = converged.chroot(
        *psql, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'motcua_province'"
    ).stdout.split()
    assert roles == ["motcua"] and databases == ["motcua"]
    migrate = (
        "import tomllib, psycopg; from province.schema import migrate; "
        "dsn = tomllib.load(open('/etc/motcua/province.toml', 'rb'))['database']['dsn']; "
        "conn = psycopg.connect(dsn, autocommit=True); migrate(conn); "
        "print(conn.execute('SELECT current_user, count(*) FROM halls').fetchone())"
    )
    result = converged.chroot("runuser", "-u", "motcua", "--", "/opt/motcua/venv/bin/python", "-c", migrate)
    assert result.stdout.strip() == "('motcua', 0)", result.stderr


def test_collector_unit_passes_systemd_analyze_verify_and_is_enabled(converged: Converged) -> None:
    unit = "/etc/systemd/system/motcua-province.service"
    result = converged.chroot("systemd-analyze", "verify", unit, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    settings = unit_settings(converged.root, "motcua-province.service")
    assert settings["User"] == ["motcua"] and settings["Restart"] == ["always"]
    assert settings["ExecStart"] == ["/opt/motcua/venv/bin/motcua province --config /etc/motcua/province.toml"]
    assert (converged.root / "etc/systemd/system/multi-user.target.wants/motcua-province.service").is_symlink()


def test_province_toml_is_valid_and_points_at_the_deployed_ca(converged: Converged) -> None:
    path = "/etc/motcua/province.toml"
    result = converged.chroot("/opt/motcua/venv/bin/motcua", "check", "province", path)
    assert result.stdout.strip() == f"{path}: a valid province file", result.stderr
    text = (converged.root / path.lstrip("/")).read_text()
    assert 'ca_file = "/etc/motcua/province-ca.crt"' in text and "port = 8883" in text
    deployed = (converged.root / "etc/motcua/province-ca.crt").read_bytes()
    assert deployed == (converged.tls / "ca.crt").read_bytes()  # the CA every hall's bridge is given
    for site in SITES:
        assert f'site = "{site}"' in text


@pytest.fixture
def rootfs_broker(converged: Converged) -> Iterator[int]:
    """The rootfs's /usr/sbin/mosquitto with Debian's mosquitto.conf and the role's conf.d file, on a free port."""
    root = converged.root
    conf = (root / "etc/mosquitto/conf.d/motcua-province.conf").read_text()
    assert re.search(r"^listener 8883 0\.0\.0\.0$", conf, re.M)
    assert "certfile /etc/mosquitto/province/tls/server.crt" in conf
    assert "keyfile /etc/mosquitto/province/tls/server.key" in conf
    port = free_port()
    (root / "etc/mosquitto/conf.d/motcua-province.conf").write_text(
        re.sub(r"^listener 8883 .*$", f"listener {port} 127.0.0.1", conf, flags=re.M)
    )
    # What Debian's mosquitto.service does before it starts the broker (RuntimeDirectory): the pid file's folder.
    converged.chroot("install", "-d", "-o", "mosquitto", "-g", "mosquitto", "/run/mosquitto")
    # -c /etc/mosquitto/mosquitto.conf: Debian's file (pid, persistence, log to a file, include_dir conf.d) as the
    # service starts it; started as root it drops to the mosquitto user, which must read every file the role wrote.
    try:
        with rootfs_mosquitto(root, "/etc/mosquitto/mosquitto.conf", OUTPUT / "province-rootfs-mosquitto.log", port):
            yield port
    finally:
        (root / "etc/mosquitto/conf.d/motcua-province.conf").write_text(conf)


def test_rootfs_mosquitto_takes_the_collector_and_each_halls_bridge_over_tls_only(
    converged: Converged, rootfs_broker: int
) -> None:
    root, ca = converged.root, converged.tls / "ca.crt"  # a hall's bridge checks the broker with this CA
    vault = yaml.safe_load((INVENTORY / "group_vars/all/vault.yml").read_text())
    collector_password = (root / "etc/motcua/province-collector.password").read_text().strip()
    assert collector_password == vault["vault_province_collector_password"]
    collector = Client(rootfs_broker, "province-collector", collector_password, ca)
    try:
        assert collector.connack == 0
        assert collector.publish(Topics(SITES[0]).province_resend()) in ACCEPTED
        assert collector.publish(Topics(SITES[0]).events()) == NOT_AUTHORIZED  # it reads events, never writes them
    finally:
        collector.close()
    hall = Client(rootfs_broker, SITES[0], vault["vault_province_bridge_passwords"][SITES[0]], ca)
    try:
        assert hall.connack == 0
        assert hall.publish(Topics(SITES[0]).events()) in ACCEPTED
        assert hall.publish(Topics(SITES[1]).events()) == NOT_AUTHORIZED, "a hall must not write as another hall"
    finally:
        hall.close()
    wrong = Client(rootfs_broker, SITES[1], vault["vault_province_bridge_passwords"][SITES[0]], ca)
    try:
        assert wrong.connack not in (None, 0), "another hall's password must not log in"
    finally:
        wrong.close()
    with socket.create_connection(("127.0.0.1", rootfs_broker), timeout=5) as plain:
        plain.sendall(bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 0]))
        try:
            answer = plain.recv(4)
        except (ConnectionResetError, TimeoutError):
            answer = b""
        assert not answer.startswith(b"\x20"), "a plaintext client must not get a CONNACK"


def test_owners_and_modes_keep_the_secrets_to_their_readers(converged: Converged) -> None:
    root = converged.root
    listing = converged.chroot(
        "stat",
        "-c",
        "%n %U:%G %a",
        "/etc/mosquitto/province/passwd",
        "/etc/mosquitto/province/acl",
        "/etc/mosquitto/province/credentials",
        "/etc/mosquitto/province/tls/server.key",
        "/etc/motcua/province-collector.password",
        "/etc/motcua/province.toml",
    ).stdout.splitlines()
    assert listing == [
        "/etc/mosquitto/province/passwd root:mosquitto 640",
        "/etc/mosquitto/province/acl root:mosquitto 640",
        "/etc/mosquitto/province/credentials root:mosquitto 750",
        "/etc/mosquitto/province/tls/server.key root:mosquitto 640",
        "/etc/motcua/province-collector.password root:motcua 640",
        "/etc/motcua/province.toml root:motcua 640",
    ]
    passwd = (root / "etc/mosquitto/province/passwd").read_text()
    assert sorted(line.split(":", 1)[0] for line in passwd.splitlines()) == sorted(["province-collector", *SITES])
    assert all(line.split(":", 1)[1].startswith("$7$") for line in passwd.splitlines())  # hashed by mosquitto_passwd


# --- the province's web console --------------------------------------------------------------------------------

CONSOLE_TOML = "/etc/motcua/province-console.toml"


def test_console_toml_is_valid_and_in_province_mode(converged: Converged) -> None:
    result = converged.chroot("/opt/motcua/venv/bin/motcua", "check", "console", CONSOLE_TOML)
    assert result.stdout.strip() == f"{CONSOLE_TOML}: a valid console file", result.stderr
    text = (converged.root / CONSOLE_TOML.lstrip("/")).read_text()
    for line in (
        'mode = "province"',
        'accounts = "/var/lib/motcua/province-console.db"',
        'config = "/etc/motcua/province.toml"',
        "port = 8443",
        'tls_cert = "/etc/motcua/province-console.crt"',
        'tls_key = "/etc/motcua/province-console.key"',
        "offline_min = 30.0",
        "satisfaction_minimum = 10",
    ):
        assert line in text.splitlines(), line
    # By default the console serves the broker's certificate from the province CA (the halls' bridges trust it too).
    deployed = (converged.root / "etc/motcua/province-console.crt").read_bytes()
    assert deployed == (converged.tls / "server.crt").read_bytes()


def test_console_unit_passes_systemd_analyze_verify_and_is_enabled(converged: Converged) -> None:
    unit = "/etc/systemd/system/motcua-province-console.service"
    result = converged.chroot("systemd-analyze", "verify", unit, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    settings = unit_settings(converged.root, "motcua-province-console.service")
    assert settings["User"] == ["motcua"] and settings["Restart"] == ["always"]
    assert settings["ExecStart"] == [f"/opt/motcua/venv/bin/motcua console --config {CONSOLE_TOML}"]
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert settings[hardening] == ["yes"], hardening
    assert settings["ProtectSystem"] == ["full"]
    assert (converged.root / "etc/systemd/system/multi-user.target.wants/motcua-province-console.service").is_symlink()


def test_the_first_admin_is_created_once_from_the_vault(converged: Converged) -> None:
    admins = console_admins(converged.root)
    assert admins.startswith("[('quantri', 'admin', '$argon2"), admins
    assert admins == converged.admin_after_first, "the second run must not create the admin again"
    vault = yaml.safe_load((INVENTORY / "group_vars/all/vault.yml").read_text())
    password = vault["vault_province_console_admin_password"]
    verify = (
        "import sys, sqlite3, argon2; db = sqlite3.connect('/var/lib/motcua/province-console.db'); "
        "h = db.execute(\"SELECT pw_hash FROM accounts WHERE username = 'quantri'\").fetchone()[0]; "
        "print(argon2.PasswordHasher().verify(h, sys.stdin.readline().strip()))"
    )
    result = subprocess.run(
        ["chroot", str(converged.root), "/opt/motcua/venv/bin/python", "-c", verify],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr
    for run in (converged.first, converged.second):  # no_log: the password never reaches the output
        assert password not in run.log.read_text(errors="replace")


def test_console_secrets_and_accounts_are_kept_to_their_readers(converged: Converged) -> None:
    listing = converged.chroot(
        "stat",
        "-c",
        "%n %U:%G %a",
        "/etc/motcua/province-console.key",
        "/etc/motcua/province-console.crt",
        CONSOLE_TOML,
        "/var/lib/motcua/province-console.db",
    ).stdout.splitlines()
    assert listing == [
        "/etc/motcua/province-console.key root:motcua 640",
        "/etc/motcua/province-console.crt root:motcua 644",
        f"{CONSOLE_TOML} root:motcua 640",
        "/var/lib/motcua/province-console.db motcua:motcua 600",
    ]


def test_console_starts_in_the_rootfs_and_serves_login_over_tls(converged: Converged) -> None:
    """The venv imports the province app; `motcua console` as the unit runs it (the motcua account, the deployed
    config but on a free port) answers GET /login over TLS, its certificate checked against the province CA."""
    converged.chroot("/opt/motcua/venv/bin/python", "-c", "import console.province_app")
    root = converged.root
    port = free_port()
    config = "/var/lib/motcua/converge-console.toml"
    text = (root / CONSOLE_TOML.lstrip("/")).read_text()
    (root / config.lstrip("/")).write_text(re.sub(r"^port = 8443$", f"port = {port}", text, flags=re.M))
    converged.chroot("chown", "motcua:motcua", config)
    log = (OUTPUT / "province-rootfs-console.log").open("wb")
    console = subprocess.Popen(
        ["chroot", str(root), "runuser", "-u", "motcua", "--", "/opt/motcua/venv/bin/motcua", "console",
         "--config", config],
        stdout=log,
        stderr=log,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=30)
        context = ssl.create_default_context(cafile=str(converged.tls / "ca.crt"))
        request = f"GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(request.encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
        status = answer.split(b"\r\n", 1)[0]
        assert status == b"HTTP/1.1 200 OK", answer[:500]
        assert "Đăng nhập".encode() in answer
    finally:
        console.terminate()
        try:
            console.wait(timeout=15)
        except subprocess.TimeoutExpired:
            console.kill()
            console.wait()
        log.close()
        (root / config.lstrip("/")).unlink(missing_ok=True)
