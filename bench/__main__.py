"""`python -m bench [NAME ...]`: run the benchmarks (all by default), then write docs/performance.md."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench
from bench.common import RESULTS

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    failed = []
    for name in names:
        print(f"==> {name}", flush=True)
        start = time.monotonic()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one broken benchmark must not hide the others' results
            print(f"    FAILED: {exc!r}")
            failed.append(name)
        print(f"    {time.monotonic() - start:.0f} s")
    write_table()
    return 1 if failed else 0


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
