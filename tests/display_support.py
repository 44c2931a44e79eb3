"""Helpers for the display and voice tests: sample boards and calls, the voice clips, a display process."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from waiting import wait_until

from motcua.contract import Board, BoardCounter, BoardService, Call, CounterStatus
from motcua.simcontrol import send_control

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output" / "display"
VN = timezone(timedelta(hours=7))
MORNING = datetime(2026, 11, 23, 8, 15, tzinfo=VN)

SERVICES = [
    ("ho-tich", "Hộ tịch – Nuôi con nuôi", "Civil status and adoption", 5, 20),
    ("chung-thuc", "Chứng thực", "Certification", 3, 8),
    ("lao-dong-xa-hoi", "Lao động – Người có công – Bảo trợ xã hội", "Labour, veterans and social protection", 0, None),
    ("dat-dai-moi-truong", "Đất đai – Môi trường – Xây dựng", "Land, environment and construction", 12, 45),
    ("van-hoa-khac", "Văn hóa – Thi đua – Lĩnh vực khác", "Culture, awards and other fields", 1, 10),
    ("tra-ket-qua", "Nhận kết quả", "Collect results", 2, 5),
]


def make_call(
    label: str,
    counter: int,
    *,
    minutes_ago: float = 0,
    recall: int = 0,
    service: str = "ho-tich",
    service_name: str = "Hộ tịch – Nuôi con nuôi",
    at: datetime = MORNING,
    number: int | None = None,
) -> Call:
    digits = "".join(ch for ch in label if ch.isdigit())
    return Call(
        id=f"2026-11-23/{label}#{recall}",
        ticket_id=f"2026-11-23/{label}",
        label=label,
        number=number if number is not None else int(digits or 0),
        counter=counter,
        counter_name=f"Quầy {counter}",
        service=service,
        service_name=service_name,
        recall=recall,
        called_at=at - timedelta(minutes=minutes_ago),
    )


def sample_board(
    *,
    calls: list[Call] | None = None,
    counters: int = 6,
    services: list[tuple[str, str, str, int, int | None]] | None = None,
    hall_name: str = "Bộ phận Tiếp nhận và Trả kết quả — UBND phường Hòa Bình",
) -> Board:
    """A busy morning in the sample hall."""
    if calls is None:
        calls = [
            make_call("1023", 3),
            make_call("2004", 2, minutes_ago=1, service="chung-thuc", service_name="Chứng thực"),
            make_call("1022", 1, minutes_ago=2),
            make_call("3001", 4, minutes_ago=3, service="lao-dong-xa-hoi", service_name=SERVICES[2][1]),
            make_call("4002", 5, minutes_ago=4, service="dat-dai-moi-truong", service_name=SERVICES[3][1]),
            make_call("6001", 6, minutes_ago=5, service="tra-ket-qua", service_name="Nhận kết quả"),
            make_call("2003", 2, minutes_ago=6, service="chung-thuc", service_name="Chứng thực"),
            make_call("1021", 1, minutes_ago=7),
        ]
    serving: dict[int, str] = {}
    for call in reversed(calls):
        serving[call.counter] = call.label
    board_counters = [
        BoardCounter(
            number=n,
            name=f"Quầy {n}",
            status=CounterStatus.PAUSED if n == 5 else CounterStatus.OPEN,
            serving=serving.get(n),
            services=["ho-tich"],
        )
        for n in range(1, counters + 1)
    ]
    board_services = [
        BoardService(id=sid, name=name, name_en=name_en, waiting=waiting, estimated_wait_min=estimate)
        for sid, name, name_en, waiting, estimate in (services if services is not None else SERVICES)
    ]
    return Board(
        hall_name=hall_name,
        business_day=date(2026, 11, 23),
        calls=calls,
        counters=board_counters,
        services=board_services,
        updated_at=MORNING,
    )


@functools.cache
def voice_clips() -> Path:
    """The whole clip set, generated once per test session with espeak-ng (about a second)."""
    from queue_display.voice import generate_clips

    directory = Path(tempfile.mkdtemp(prefix="motcua-clips-"))
    atexit.register(shutil.rmtree, directory, True)
    generate_clips(directory)
    return directory


def write_display_config(
    path: Path,
    *,
    port: int,
    password: str,
    control: Path,
    wav_dir: Path,
    clips: Path,
    device: str = "display-1",
    site: str = "phuong-hoa-binh",
    width: int = 1280,
    height: int = 720,
    extra_screen: str = "",
    extra_audio: str = "",
) -> Path:
    path.write_text(
        f"""
[device]
id = "{device}"
site = "{site}"

[mqtt]
host = "127.0.0.1"
port = {port}
password = "{password}"
keepalive_s = 5

[screen]
driver = "dummy"
width = {width}
height = {height}
{extra_screen}

[audio]
output = "wav"
wav_dir = "{wav_dir}"
wav_realtime = false
clips = "{clips}"
generate_missing = false
{extra_audio}

[simulation]
control_socket = "{control}"
""",
        encoding="utf-8",
    )
    return path


class DisplayProcess:
    """`motcua display` in its own process (as on the Pi, with the dummy screen), driven by its control socket."""

    def __init__(self, config: Path, control: Path, log: Path, *, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.control = control
        self.log = log
        self.env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> DisplayProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "motcua.cli", "display", "--config", str(self.config)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: self.control.exists() or self.process.poll() is not None, timeout, "control socket")
        if self.process.poll() is not None:
            raise AssertionError(f"display exited with {self.process.returncode}:\n{self.log_text()}")
        return self

    def status(self) -> dict[str, Any]:
        reply = send_control(self.control, "status")
        assert reply["ok"], reply
        return reply

    def screenshot(self, path: Path) -> dict[str, Any]:
        reply = send_control(self.control, "screenshot", path)
        assert reply["ok"], reply
        return reply

    def wait_status(
        self, condition: Callable[[dict[str, Any]], Any], timeout: float = 10.0, what: str = ""
    ) -> dict[str, Any]:
        """The first status that meets `condition`."""
        last: dict[str, Any] = {}

        def check() -> Any:
            nonlocal last
            last = self.status()
            return condition(last)

        try:
            wait_until(check, timeout, what or "display status")
            return last
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last status: {last}\nlog:\n{self.log_text()[-3000:]}") from None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 10.0) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
                raise AssertionError("display did not stop on SIGTERM") from None
        return process.returncode
