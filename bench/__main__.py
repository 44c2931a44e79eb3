"""`python -m bench [NAME ...]`: run the benchmarks (all by default), then write docs/performance.md.

Each benchmark runs in a fresh interpreter (``python -m bench.NAME``), exactly as when its `main()` is called on its
own: nothing one benchmark leaves behind (threads, sockets, child processes, environment variables, a loaded or
fragmented heap) can make the next one fail or measure something else (they once all ran in this process:
bench_counter_devices was seen to time out after bench_coordinator, and pass on its own).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def main(argv: list[str]) -> int:
    failed = run_benchmarks(argv)
    write_table()
    return 1 if failed else 0


def run_benchmarks(names: list[str], package: str = "bench") -> list[str]:
    """Run each `package.NAME` module (all ``bench_*`` by default) in its own interpreter; the names that failed."""
    found = importlib.import_module(package)
    names = names or sorted(m.name for m in pkgutil.iter_modules(found.__path__) if m.name.startswith("bench_"))
    # the child imports what this process imports: the package's folder first, as `python -m` from there would
    root = str(Path(next(iter(found.__path__))).resolve().parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    failed = []
    for name in names:
        print(f"==> {name}", flush=True)
        start = time.monotonic()
        # one broken benchmark must not hide the others' results
        result = subprocess.run([sys.executable, "-m", f"{package}.{name}"], cwd=root, env=env, check=False)
        if result.returncode != 0:
            print(f"    FAILED: exit status {result.returncode}", flush=True)
            failed.append(name)
        print(f"    {time.monotonic() - start:.0f} s", flush=True)
    return failed


def write_table() -> None:
    rows = []
    machine = None
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        machine = machine or data.get("machine")
        for line in data.get("summary", []) or _summary_lines(data):
            rows.append(line)
    lines = [
        "# Performance",
        "",
        "Written by `make bench` from `bench/results/*.json` (each file has every figure; this is the one-page view).",
        "",
    ]
    if machine:
        lines += [
            f"Machine: {machine.get('processor')}, {machine.get('cpus')} CPUs, {machine.get('platform')}, "
            f"Python {machine.get('python')}.",
            "",
        ]
    lines += ["| benchmark | measure | result | goal | met |", "|---|---|---|---|---|"]
    lines += rows
    notes = Path(__file__).resolve().parent / "notes.md"
    if notes.exists():  # what the numbers mean, what was tried: kept by hand next to the benchmarks
        lines += ["", notes.read_text(encoding="utf-8").rstrip()]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}")


def _summary_lines(data: dict) -> list[str]:  # type: ignore[type-arg]
    """A result file lists its headline figures under results.headline: [{measure, result, goal, met}]."""
    out = []
    for item in data.get("results", {}).get("headline", []):
        met = {True: "yes", False: "**no**", None: "-"}[item.get("met")]
        out.append(f"| {data['name']} | {item['measure']} | {item['result']} | {item.get('goal', '-')} | {met} |")
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
