"""A hall broker on this machine: Mosquitto started from the generated hall config on 127.0.0.1.

Used by the tests, `make demo` and `make bench` — the real broker with the real users and ACL, on a free port,
stopped (or killed) on request and always in `stop()`.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from motcua.broker import BrokerFiles, generate
from motcua.config import MqttSettings
from motcua.errors import MotcuaError
from motcua.hall import HallConfig

MOSQUITTO_CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerError(MotcuaError, RuntimeError):
    """The local Mosquitto could not be started."""


def mosquitto_binary() -> str:
    for candidate in MOSQUITTO_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise BrokerError("mosquitto is not installed (apt-get install mosquitto); `make test` installs it")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise BrokerError(f"nothing listens on {host}:{port} after {timeout} s")


class LocalBroker:
    """Mosquitto for one hall in `workdir`. ``with LocalBroker(hall, dir) as broker: ...``"""

    def __init__(self, hall: HallConfig, workdir: Path, *, port: int | None = None) -> None:
        self.hall = hall
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.tools_port = free_port()  # the hall's tools (admin users) connect here, as on the coordinator Pi
        self.files: BrokerFiles | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "mosquitto.log"

    def start(self) -> LocalBroker:
        if self.files is None:
            user = "root" if os.geteuid() == 0 else getpass.getuser()
            self.files = generate(
                self.hall,
                self.workdir,
                bind_address="127.0.0.1",
                port=self.port,
                tools_port=self.tools_port,
                log_dest="stderr",
                autosave_s=1,
                run_as_user=user,
                log_types=("error", "warning", "notice", "information"),
            )
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [mosquitto_binary(), "-c", str(self.files.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Ready when Mosquitto says it runs (after binding its listener), not merely when the port answers:
        # another program may hold the port.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log_text = self.log_path.read_bytes()[offset:].decode(errors="replace")
            if self.process.poll() is not None:
                self.process = None
                raise BrokerError(f"mosquitto exited at start; its log:\n{log_text[-2000:]}")
            if " running" in log_text:
                wait_for_port(self.port)
                return self
            time.sleep(0.02)
        self.stop()
        raise BrokerError(f"mosquitto did not start within 10 s; its log:\n{log_text[-2000:]}")

    def stop(self) -> None:
        """Stop gracefully (persistence saved). Safe to call twice."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def kill(self) -> None:
        """kill -9: no goodbye, no final save."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def settings(self, device: str, **overrides: object) -> MqttSettings:
        """How `device` connects to this broker, with its generated password. The hall's tools, and a session
        whose client id is not its username, go to the tools' listener: on the devices' listener the broker
        would make the client id the username (and the session would take over that device's)."""
        assert self.files is not None, "start() first"
        user = str(overrides.get("username", device))
        local = user in self.hall.devices.admins or user != device
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.tools_port if local else self.port,
            "username": user,
            "password": self.files.password(user),
        }
        values.update(overrides)
        return MqttSettings.model_validate(values)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
