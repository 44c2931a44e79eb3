"""Helpers shared by the benchmarks: the hall they run, latency summaries, machine description, result files."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from motcua.stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
#: A screen device run by a benchmark: SDL's dummy video and audio (no screen, no sound card here).
SCREEN_ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
SAMPLE_HALL = ROOT / "examples" / "ward-hall" / "hall.toml"

#: hall.toml ``[limits]`` of the benchmarks' hall: they drive the coordinator far beyond any real device's pace
#: (hundreds of tickets, a storm of presses), which the sample hall's per-device limits rightly refuse. The limits
#: themselves are tested in tests/test_coordinator_limits.py (the same values as tests/conftest.py STRESS_LIMITS).
BENCH_LIMITS = {
    "kiosk_per_min": 6000,
    "kiosk_burst": 1000,
    "keypad_per_min": 6000,
    "keypad_burst": 1000,
    "pad_per_min": 6000,
    "pad_burst": 1000,
}


def bench_hall_file(folder: Path) -> Path:
    """The sample hall.toml written into `folder` with `BENCH_LIMITS` (its catalogue still the sample's)."""
    text = SAMPLE_HALL.read_text(encoding="utf-8")
    if re.search(r"^\[limits\]", text, re.MULTILINE):
        raise RuntimeError(f"{SAMPLE_HALL} has a [limits] table: merge BENCH_LIMITS into it here")
    catalogue = SAMPLE_HALL.parent / "procedures.toml"
    text, found = re.subn(r'^procedures = "procedures.toml"', f'procedures = "{catalogue}"', text, flags=re.MULTILINE)
    if found != 1:
        raise RuntimeError(f"{SAMPLE_HALL}: its procedures line changed; update bench_hall_file")
    limits = "".join(f"{key} = {value}\n" for key, value in BENCH_LIMITS.items())
    path = folder / "hall.toml"
    path.write_text(f"{text}\n[limits]  # bench/common.py BENCH_LIMITS\n{limits}", encoding="utf-8")
    return path


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds of samples given in seconds."""
    ms = [s * 1000 for s in samples_s]
    nan = float("nan")
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 3) if ms else nan,
        "p95_ms": round(percentile(ms, 0.95), 3) if ms else nan,
        "p99_ms": round(percentile(ms, 0.99), 3) if ms else nan,
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
    }


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_result(name: str, data: dict[str, Any], *, goals: dict[str, Any] | None = None) -> Path:
    """Write bench/results/<name>.json: the measurements, the goals they are held to, when and where."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "name": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "goals": goals or {},
        "results": data,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path


def start_service(kind: str, config: Path, clock: str, log: Path) -> subprocess.Popen[bytes]:
    """`motcua KIND --config CONFIG` (a screen device: SDL dummy) on the hall clock `clock`, its output to `log`."""
    with log.open("ab") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", "--log-level", "WARNING", kind, "--config", str(config)],
            env={**SCREEN_ENV, "MOTCUA_CLOCK": clock},
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def wait_for(condition: Any, timeout: float, what: str, poll_s: float = 0.01) -> Any:
    """The first true value of `condition()` (an OSError counts as not yet), or RuntimeError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(poll_s)
    raise RuntimeError(f"{what}: not within {timeout} s")
