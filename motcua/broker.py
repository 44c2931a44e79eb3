"""Generate the hall broker's files from hall.toml: Mosquitto config, password file and ACL.

`motcua broker generate --hall hall.toml --out /etc/mosquitto/motcua` writes:

- ``mosquitto.conf`` — from ``broker_config/mosquitto.conf.template``;
- ``passwd`` — one user per device, PBKDF2-SHA512 hashes in Mosquitto 2.0's ``$7$`` format;
- ``passwd-tools`` — only the hall's tools (admin users) and the coordinator's user, for the local tools' listener
  (``--tools-port``);
- ``acl`` — each device may publish and read only its own topics (built with `motcua.contract.Topics`);
- ``credentials/<device>.password`` — the plain password each device is given (mode 0600). Existing
  passwords are kept, so generating again after adding a device changes nobody else's password.

Generating again with nothing changed leaves every file byte for byte as it was (a hash that still matches its
password is kept, identical files are not rewritten) and `BrokerFiles.changed` is empty: Ansible reports "changed"
and restarts Mosquitto only when something really changed.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from motcua.contract import Topics
from motcua.errors import ConfigError
from motcua.hall import HallConfig

#: Mosquitto 2.0's defaults for `mosquitto_passwd` ($7$ = PBKDF2-SHA512).
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path
    ca: Path | None = None


@dataclass(frozen=True)
class BrokerFiles:
    config: Path
    passwd: Path
    acl: Path
    credentials: Path  # folder of <device>.password
    port: int
    tools_port: int | None = None  # the local listener of the hall's tools (client ids not tied to usernames)
    changed: tuple[Path, ...] = ()  # the files this run created or modified (empty: everything was up to date)

    def password(self, device: str) -> str:
        return (self.credentials / f"{device}.password").read_text(encoding="utf-8").strip()


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A Mosquitto 2.0 password-file hash: ``$7$<iterations>$<salt b64>$<hash b64>``."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verifies(password: str, hashed: str) -> bool:
    """True if `hashed` (a ``$7$`` password-file hash) is the hash of `password`."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
    except ValueError:
        return False
    return secrets.compare_digest(hash_password(password, salt=salt, iterations=int(parts[2])), hashed)


def device_roles(hall: HallConfig) -> dict[str, str]:
    """Every broker user of the hall and its role."""
    devices = hall.devices
    roles = {devices.coordinator: "coordinator"}
    roles.update({admin: "admin" for admin in devices.admins})
    roles.update({console: "console" for console in devices.consoles})
    roles.update({k.id: "kiosk" for k in devices.kiosks})
    roles.update({p.id: "pad" for p in devices.pads})
    roles.update({k.id: "keypad" for k in devices.keypads})
    roles.update({s.id: "screen" for s in devices.counter_screens})
    roles.update({d.id: "display" for d in devices.displays})
    return roles


def acl_text(hall: HallConfig) -> str:
    """The ACL: what each user may write and read. Everything not listed is denied."""
    topics = Topics(hall.hall.site)
    devices = hall.devices
    lines = [
        f"# motcua ACL for site {hall.hall.site!r}, generated from hall.toml by `motcua broker generate`.",
        "# MQTT 5 clients get reason code 135 (not authorized) for a refused publish.",
        "",
        "# The coordinator owns the hall's topics.",
        f"user {devices.coordinator}",
        f"topic readwrite {topics.everything()}",
        "",
    ]
    for admin in devices.admins:
        lines += [
            "# Hall tools (officer sign-in, monitoring): send counter commands, read everything.",
            f"user {admin}",
            f"topic read {topics.everything()}",
            f"topic write {topics.counter_command('+')}",
            f"topic readwrite {topics.device_status(admin)}",
            "",
        ]
    for console in devices.consoles:
        lines += [
            "# The web console: officers' counter commands, the board's notice; reads everything.",
            f"user {console}",
            f"topic read {topics.everything()}",
            f"topic write {topics.counter_command('+')}",
            f"topic write {topics.notice()}",
            f"topic readwrite {topics.device_status(console)}",
            "",
        ]
    for kiosk in devices.kiosks:
        lines += [
            f"user {kiosk.id}",
            f"topic write {topics.ticket_request(kiosk.id)}",
            f"topic write {topics.ticket_cancel(kiosk.id)}",
            f"topic read {topics.ticket_reply(kiosk.id)}",
            f"topic read {topics.catalogue()}",
            f"topic read {topics.device_status(devices.coordinator)}",
            f"topic readwrite {topics.device_status(kiosk.id)}",
            "",
        ]
    for pad in devices.pads:
        lines += [
            f"user {pad.id}",
            f"topic write {topics.rating(pad.counter)}",
            f"topic read {topics.rating_ack(pad.counter)}",
            f"topic read {topics.counter_state(pad.counter)}",
            f"topic readwrite {topics.device_status(pad.id)}",
            "",
        ]
    for screen in devices.counter_screens:
        lines += [
            "# A counter screen: its counter's state; with a tablet, its counter's ratings; its own status.",
            f"user {screen.id}",
            f"topic read {topics.counter_state(screen.counter)}",
            f"topic write {topics.rating(screen.counter)}",
            f"topic read {topics.rating_ack(screen.counter)}",
            f"topic readwrite {topics.device_status(screen.id)}",
            "",
        ]
    for keypad in devices.keypads:
        lines += [
            f"user {keypad.id}",
            f"topic write {topics.counter_command(keypad.counter)}",
            f"topic read {topics.counter_reply(keypad.counter)}",
            f"topic read {topics.counter_state(keypad.counter)}",
            f"topic readwrite {topics.device_status(keypad.id)}",
            "",
        ]
    for display in devices.displays:
        lines += [
            "# A display publishes nothing but its own online/offline status.",
            f"user {display.id}",
            f"topic read {topics.board()}",
            f"topic read {topics.call()}",
            f"topic read {topics.device_status(devices.coordinator)}",
            f"topic readwrite {topics.device_status(display.id)}",
            "",
        ]
    return "\n".join(lines)


def max_connections(hall: HallConfig) -> int:
    """Connections allowed on the devices' listener: hall.toml [broker] max_connections, else twice the broker
    users plus 16 (reconnects overlapping a half-open old socket, tools)."""
    configured = hall.broker.max_connections
    return configured if configured is not None else 2 * len(device_roles(hall)) + 16


def generate(
    hall: HallConfig,
    out_dir: Path,
    *,
    bind_address: str = "0.0.0.0",  # noqa: S104 - the hall LAN; the firewall limits who reaches it
    port: int = 1883,
    tools_port: int | None = None,
    persistence_location: Path | None = None,
    log_dest: str = "syslog",
    autosave_s: int = 10,
    tls: TlsFiles | None = None,
    run_as_user: str = "mosquitto",
    log_types: tuple[str, ...] = ("error", "warning", "notice"),
) -> BrokerFiles:
    """Write the broker files for `hall` into `out_dir` (created if needed).

    Mosquitto started as root drops to `run_as_user`; the files it reads are then made readable by that
    user's group (root:mosquitto 0640) and its persistence folder owned by it. Tests pass ``"root"``.

    On the devices' listener the client id is the username (``use_username_as_clientid``): no credential can take
    another device's session. `tools_port`, if given, adds a listener on 127.0.0.1 for the hall's tools (admin
    users) and the coordinator's user only, where one-shot tools keep their own ``<user>-<8 hex>`` ids and so never
    kick each other.
    """
    out_dir = out_dir.resolve()
    credentials = out_dir / "credentials"
    credentials.mkdir(parents=True, exist_ok=True)
    os.chmod(credentials, 0o700)
    passwd = out_dir / "passwd"
    acl = out_dir / "acl"
    previous = _password_lines(passwd)
    changed: list[Path] = []
    users = []
    for device in sorted(device_roles(hall)):
        secret_file = credentials / f"{device}.password"
        if secret_file.exists():
            password = secret_file.read_text(encoding="utf-8").strip()
        else:
            password = secrets.token_urlsafe(18)
            _write(secret_file, password + "\n", 0o600, changed)
        old = previous.get(device)
        users.append(f"{device}:{old if old is not None and verifies(password, old) else hash_password(password)}")
    _write(passwd, "\n".join(users) + "\n", 0o640, changed)
    tools_passwd = out_dir / "passwd-tools"
    # The hall's tools and the coordinator's own user: both live on the coordinator Pi.
    local_users = {*hall.devices.admins, hall.devices.coordinator}
    tool_users = [line for line in users if line.split(":", 1)[0] in local_users]
    _write(tools_passwd, "\n".join(tool_users) + "\n", 0o640, changed)
    _write(acl, acl_text(hall), 0o640, changed)
    persistence = persistence_location or (out_dir / "data")
    persistence.mkdir(parents=True, exist_ok=True)
    tls_block = ""
    if tls is not None:
        tls_block = f"certfile {tls.cert}\nkeyfile {tls.key}\n" + (f"cafile {tls.ca}\n" if tls.ca else "")
    tools_listener = ""
    if tools_port is not None:
        tools_listener = (
            "\n# The hall's tools (`motcua counter`, check.yml) on this Pi only: one-shot tools connect with their\n"
            "# own client id <user>-<8 hex>, so two tools never kick each other. Only the tools' and the\n"
            "# coordinator's users log in here.\n"
            f"listener {tools_port} 127.0.0.1\n"
            "allow_anonymous false\n"
            f"password_file {tools_passwd}\n"
            f"acl_file {acl}\n"
            "max_connections 16\n"
        )
    limits = hall.broker
    config = out_dir / "mosquitto.conf"
    text = _template("mosquitto.conf.template").substitute(
        site=hall.hall.site,
        password_file=passwd,
        acl_file=acl,
        port=port,
        bind_address=bind_address,
        tls_block=tls_block,
        tools_listener=tools_listener,
        max_connections=max_connections(hall),
        max_packet_size=limits.max_packet_kib * 1024,
        max_queued_bytes=limits.max_queued_kib * 1024,
        memory_limit=limits.memory_limit_mib * 1024 * 1024,
        persistence_location=f"{persistence}/",
        autosave_s=autosave_s,
        log_dest=log_dest,
        run_as_user=run_as_user,
        log_types="\n".join(f"log_type {kind}" for kind in log_types),
    )
    _write(config, text, 0o640, changed)
    if os.geteuid() == 0 and run_as_user != "root":
        _give_to(run_as_user, readable=[passwd, tools_passwd, acl, config], owned=[persistence])
    return BrokerFiles(
        config=config,
        passwd=passwd,
        acl=acl,
        credentials=credentials,
        port=port,
        tools_port=tools_port,
        changed=tuple(changed),
    )


def bridge_config(
    hall: HallConfig,
    *,
    remote_address: str,
    remote_username: str,
    remote_password: str,
    ca_file: Path | None = None,
    insecure_plaintext: bool = False,
) -> str:
    """The bridge section that forwards the hall's events, board and device status to the province.

    The bridge logs in to the province with the hall's password: without TLS anyone on the way reads it. So a
    bridge needs the province's CA (`ca_file`) unless `insecure_plaintext` says, explicitly, to send it in clear.
    """
    if ca_file is None and not insecure_plaintext:
        raise ConfigError(
            f"the bridge to {remote_address} would send the hall's password without TLS: give the provincial "
            "broker's CA certificate (--ca FILE), or --insecure-plaintext if this link really must be unencrypted"
        )
    tls_block = f"bridge_cafile {ca_file}\nbridge_insecure false\n" if ca_file else ""
    return _template("bridge.conf.template").substitute(
        site=hall.hall.site,
        remote_address=remote_address,
        remote_username=remote_username,
        remote_password=remote_password,
        tls_block=tls_block,
    )


def _give_to(user: str, *, readable: list[Path], owned: list[Path]) -> None:
    import grp
    import pwd

    try:
        account = pwd.getpwnam(user)
        group = grp.getgrnam(user).gr_gid
    except KeyError:
        return  # no such account here (e.g. Mosquitto not installed yet): nothing to hand over
    for path in readable:
        os.chown(path, 0, group)
    for path in owned:
        os.chown(path, account.pw_uid, group)


def _template(name: str) -> Template:
    return Template(resources.files("broker_config").joinpath(name).read_text(encoding="utf-8"))


def _password_lines(passwd: Path) -> dict[str, str]:
    """The hashes of an existing password file, by user."""
    try:
        lines = passwd.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _write(path: Path, text: str, mode: int, changed: list[Path] | None = None) -> None:
    """Write `text` atomically with `mode`; an identical file is left alone (only its mode is set)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            os.chmod(path, mode)
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    if changed is not None:
        changed.append(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
