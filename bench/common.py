"""Helpers shared by the benchmarks: latency summaries, machine description, result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from motcua.stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"


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
