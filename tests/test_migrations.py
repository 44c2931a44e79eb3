"""Databases written by older versions of the coordinator: they open, migrate and report the same figures.

The fixture tests/fixtures/db-v1/ was written by the first version on main (its README says how); its monthly report
is committed beside it.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from coordinator.report.cli import main as report_main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
WARD_HALL = ROOT / "examples" / "ward-hall" / "hall.toml"
#: When the fixture's report was made: the first working morning after the month.
REPORT_CLOCK = "2026-11-02T08:00:00+07:00@1"


def unpack(version: int, folder: Path) -> Path:
    """A copy of the committed database written by schema `version` (never the committed file itself)."""
    target = folder / "coordinator.db"
    with gzip.open(FIXTURES / f"db-v{version}" / "coordinator.db.gz") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def month_report(db: Path, out: Path) -> dict[str, bytes]:
    period = ["--period", "month", "--date", "2026-10-01"]
    status = report_main(["--db", str(db), "--hall", str(WARD_HALL), *period, "--format", "csv", "--out", str(out)])
    assert status == 0
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def committed_report(version: int) -> dict[str, bytes]:
    folder = FIXTURES / f"db-v{version}" / "report-2026-10"
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_v1_fixture_reports_the_committed_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    got = month_report(db, tmp_path / "out")
    expected = committed_report(1)
    assert len(expected) == 5
    assert got == expected
