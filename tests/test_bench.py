"""The benchmark harness (`python -m bench`): a benchmark behaves as when its main() is called on its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LEAKY = """
import json
import os
import threading

def main():
    os.environ["BENCH_LEFT_BEHIND"] = "1"
    json.left_behind = True  # a module patched in place
    threading.Thread(target=threading.Event().wait, daemon=True, name="left-behind").start()

if __name__ == "__main__":
    main()
"""

CAREFUL = """
import json
import os
import threading

def main():
    leftovers = [
        "BENCH_LEFT_BEHIND" in os.environ,
        hasattr(json, "left_behind"),
        any(t.name == "left-behind" for t in threading.enumerate()),
    ]
    if any(leftovers):
        raise RuntimeError(f"state left by an earlier benchmark: {leftovers}")

if __name__ == "__main__":
    main()
"""

BROKEN = """
def main():
    raise RuntimeError("broken on purpose")

if __name__ == "__main__":
    main()
"""


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.__main__ as harness

    return harness


def test_each_benchmark_runs_as_if_its_main_were_called_alone(tmp_path: Path, harness, monkeypatch):
    package = tmp_path / "somebench"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bench_a_leaky.py").write_text(LEAKY)
    (package / "bench_b_careful.py").write_text(CAREFUL)
    (package / "bench_c_broken.py").write_text(BROKEN)
    (package / "helper.py").write_text("raise SystemExit('not a benchmark: never run')")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert harness.run_benchmarks([], package="somebench") == ["bench_c_broken"]
    assert harness.run_benchmarks(["bench_b_careful"], package="somebench") == []
    assert "BENCH_LEFT_BEHIND" not in __import__("os").environ
    assert "somebench.bench_a_leaky" not in sys.modules  # never imported here
