"""Helpers shared by the benchmarks: the hall they run, latency summaries, machine description, result files."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from motcua.stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLE_HALL = Path(__file__).resolve().parent.parent / "examples" / "ward-hall" / "hall.toml"

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
