"""`motcua province --config province.toml`: run the provincial collector until SIGTERM."""

from __future__ import annotations

from pathlib import Path

from motcua.config import load_config
from motcua.runtime import run_until_stopped
from province.collector import Collector
from province.config import ProvinceConfig


def build(config_path: Path | str) -> Collector:
    return Collector(load_config(config_path, ProvinceConfig))


def run(config_path: Path | str) -> int:
    collector = build(config_path)
    return run_until_stopped(collector.start, collector.stop)
