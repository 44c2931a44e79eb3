"""Scheduled reports (issue 18.12): the period a weekly or monthly run reports on (pure, every day of four years,
year boundaries, ISO week 53), and `motcua report --last week|month --out-dir DIR` on a real coordinator database:
the right folder, written whole or not at all, readable by the managers' group, and a re-run changes nothing."""

from __future__ import annotations

import grp
import gzip
import os
import shutil
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from coordinator.report.cli import main as report_main
from coordinator.report.period import Period
from coordinator.report.schedule import folder_name, last_full, write_atomically
from coordinator.store import Store

ROOT = Path(__file__).resolve().parent.parent
WARD_HALL = ROOT / "examples" / "ward-hall" / "hall.toml"
#: The sample hall's October 2026 (30 September to 2 November 10:00), as the first release wrote it.
DB_V1 = Path(__file__).resolve().parent / "fixtures" / "db-v1" / "coordinator.db.gz"
STEM = "phuong-hoa-binh"


# --- the period and its folder (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first", "last", "folder"),
    [
        (date(2026, 11, 23), date(2026, 11, 16), date(2026, 11, 22), "2026-W47"),  # the timer's Monday
        (date(2026, 11, 29), date(2026, 11, 16), date(2026, 11, 22), "2026-W47"),  # Sunday: its week is not over
        (date(2026, 11, 30), date(2026, 11, 23), date(2026, 11, 29), "2026-W48"),
        (date(2026, 11, 2), date(2026, 10, 26), date(2026, 11, 1), "2026-W44"),  # a week across two months
        (date(2027, 1, 4), date(2026, 12, 28), date(2027, 1, 3), "2026-W53"),  # ISO week 53, across New Year
        (date(2027, 1, 3), date(2026, 12, 21), date(2026, 12, 27), "2026-W52"),
        (date(2027, 1, 11), date(2027, 1, 4), date(2027, 1, 10), "2027-W01"),
        (date(2026, 1, 5), date(2025, 12, 29), date(2026, 1, 4), "2026-W01"),  # begins in December: ISO year 2026
        (date(2026, 1, 1), date(2025, 12, 22), date(2025, 12, 28), "2025-W52"),
        (date(2021, 1, 4), date(2020, 12, 28), date(2021, 1, 3), "2020-W53"),
    ],
)
def test_the_last_full_week(today: date, first: date, last: date, folder: str) -> None:
    period = last_full("week", today)
    assert (period.kind, period.first, period.last) == ("week", first, last)
    assert folder_name(period) == folder


@pytest.mark.parametrize(
    ("today", "first", "last", "folder"),
    [
        (date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30), "2026-11"),  # the timer's 1st
        (date(2026, 11, 30), date(2026, 10, 1), date(2026, 10, 31), "2026-10"),  # the last day: not over yet
        (date(2027, 1, 1), date(2026, 12, 1), date(2026, 12, 31), "2026-12"),  # across New Year
        (date(2026, 1, 20), date(2025, 12, 1), date(2025, 12, 31), "2025-12"),
        (date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        (date(2028, 3, 1), date(2028, 2, 1), date(2028, 2, 29), "2028-02"),  # leap year
    ],
)
def test_the_last_full_month(today: date, first: date, last: date, folder: str) -> None:
    period = last_full("month", today)
    assert (period.kind, period.first, period.last) == ("month", first, last)
    assert folder_name(period) == folder


def test_every_day_of_four_years_gives_the_week_and_month_just_over() -> None:
    day = date(2025, 1, 1)
    while day < date(2029, 1, 1):
        week = last_full("week", day)
        assert week.first.weekday() == 0 and week.days == 7
        assert 1 <= (day - week.last).days <= 7  # over, and the latest one that is
        year, number = folder_name(week).split("-W")
        assert date.fromisocalendar(int(year), int(number), 1) == week.first
        month = last_full("month", day)
        assert month.first.day == 1 and (month.last + timedelta(days=1)) == day.replace(day=1)
        assert folder_name(month) == f"{month.first.year}-{month.first.month:02d}"
        day += timedelta(days=1)


def test_other_periods_have_folders_too() -> None:
    assert folder_name(Period("quarter", date(2026, 10, 1), date(2026, 12, 31))) == "2026-Q4"
    assert folder_name(Period("year", date(2026, 1, 1), date(2026, 12, 31))) == "2026"
    assert folder_name(Period("day", date(2026, 11, 23), date(2026, 11, 23))) == "2026-11-23"
    assert folder_name(Period("custom", date(2026, 11, 3), date(2026, 11, 20))) == "2026-11-03_2026-11-20"


# --- writing a folder whole or not at all ------------------------------------------------------------------------


def test_a_failed_write_leaves_no_folder_and_keeps_the_old_one(tmp_path: Path) -> None:
    def failing(folder: Path) -> list[Path]:
        (folder / "half.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "2026-W47", failing)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "2026-W47").mkdir()
    (tmp_path / "2026-W47" / "whole.csv").write_text("whole", encoding="utf-8")
    with pytest.raises(RuntimeError):
        write_atomically(tmp_path / "2026-W47", failing, replace=True)
    assert [p.name for p in tmp_path.iterdir()] == ["2026-W47"]
    assert (tmp_path / "2026-W47" / "whole.csv").read_text(encoding="utf-8") == "whole"


# --- the command on a real database -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The October 2026 database, migrated once to the current schema (the report then reads it directly)."""
    target = tmp_path_factory.mktemp("schedule") / "coordinator.db"
    with gzip.open(DB_V1) as source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    Store(target).close()
    return target


def scheduled(database: Path, out_dir: Path, last: str, *extra: str) -> int:
    argv = ["--db", str(database), "--hall", str(WARD_HALL), "--last", last, "--out-dir", str(out_dir)]
    return report_main([*argv, "--format", "csv", *extra])


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_last_month_and_last_week_go_into_their_folders(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Monday 2 November 2026, 06:00 in Hà Nội: the timers of the week and of the month (run late: the 1st was a
    # Sunday the Pi was off) — but still Sunday 1 November in UTC.
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-01T23:00:00+00:00@1")
    out_dir = tmp_path / "reports"
    assert scheduled(database, out_dir, "month") == 0
    assert scheduled(database, out_dir, "week") == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.name for p in out_dir.iterdir()) == ["2026-10", "2026-W44"]
    month_files = sorted(p.name for p in (out_dir / "2026-10").iterdir())
    week_files = sorted(p.name for p in (out_dir / "2026-W44").iterdir())
    assert f"{STEM}_2026-10-01_2026-10-31_satisfaction.csv" in month_files
    assert f"{STEM}_2026-10-26_2026-11-01_satisfaction.csv" in week_files
    assert sorted(printed) == sorted(
        str(out_dir / d / f) for d, fs in [("2026-10", month_files), ("2026-W44", week_files)] for f in fs
    )
    # the same figures as the report asked for by hand
    by_hand = tmp_path / "by-hand"
    argv = ["--db", str(database), "--hall", str(WARD_HALL), "--period", "month", "--date", "2026-10-01"]
    assert report_main([*argv, "--format", "csv", "--out", str(by_hand)]) == 0
    assert {p.name: p.read_bytes() for p in by_hand.iterdir()} == {
        p.name: p.read_bytes() for p in (out_dir / "2026-10").iterdir()
    }


def test_a_rerun_changes_nothing_and_replace_writes_again(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-02T06:00:00+07:00@1")
    out_dir = tmp_path / "reports"
    assert scheduled(database, out_dir, "week") == 0
    first_output = capsys.readouterr().out
    before = snapshot(out_dir)
    assert scheduled(database, out_dir, "week") == 0
    assert capsys.readouterr().out == first_output  # the same files named
    assert snapshot(out_dir) == before  # untouched: same inodes, same times, same bytes
    assert scheduled(database, out_dir, "week", "--replace") == 0
    after = snapshot(out_dir)
    assert [p.name for p in out_dir.iterdir()] == ["2026-W44"]  # nothing half-written or old left beside it
    assert after.keys() == before.keys()
    assert {name: value[2] for name, value in after.items()} == {name: value[2] for name, value in before.items()}
    assert all(after[name][0] != before[name][0] for name in before)  # new files


def test_a_period_with_nothing_recorded_writes_no_folder_and_does_not_fail(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", "2027-02-01T06:00:00+07:00@1")  # January 2027: the hall was not open yet
    out_dir = tmp_path / "reports"
    assert scheduled(database, out_dir, "month") == 0
    assert "nothing was recorded" in capsys.readouterr().err
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_the_folder_is_readable_by_the_managers_group(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As systemd runs it: UMask=0027 into a folder of group motcua-reports with the setgid bit (mode 2750).
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-02T06:00:00+07:00@1")
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    group = grp.getgrnam("users").gr_gid
    os.chown(out_dir, -1, group)
    out_dir.chmod(0o2750)
    old_umask = os.umask(0o027)
    try:
        assert scheduled(database, out_dir, "month") == 0
    finally:
        os.umask(old_umask)
    folder = out_dir / "2026-10"
    assert folder.stat().st_gid == group and stat.S_IMODE(folder.stat().st_mode) == 0o2750
    for path in folder.iterdir():
        assert path.stat().st_gid == group and stat.S_IMODE(path.stat().st_mode) == 0o640, path


def test_scheduling_options_are_checked(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--db", str(database), "--hall", str(WARD_HALL)]
    assert report_main([*base, "--last", "week", "--date", "2026-10-01", "--out-dir", str(tmp_path)]) == 2
    assert "either --last or --period/--date/--from/--to" in capsys.readouterr().err
    assert report_main([*base, "--last", "week", "--out", str(tmp_path), "--replace"]) == 2
    assert "--replace goes with --out-dir" in capsys.readouterr().err
    assert report_main([*base, "--last", "week", "--out", str(tmp_path), "--out-dir", str(tmp_path)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
