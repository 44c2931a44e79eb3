"""Databases written by older versions of the coordinator: they open, migrate and report the same figures.

The fixture tests/fixtures/db-v1/ was written by the first version on main (its README says how); its monthly report
is committed beside it.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import VN
from halls import small_hall

from coordinator import migrations
from coordinator.engine import QueueEngine
from coordinator.migrations import SchemaError
from coordinator.report.cli import main as report_main
from coordinator.store import Store
from motcua.cli import main as motcua_main
from motcua.contract import CounterAction, EventKind

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


#: A report's CSV files: name -> rows (header first). Later versions add columns (never rename, move or re-mean
#: one): the old figures are compared on the committed file's columns.
CsvFiles = dict[str, list[list[str]]]


def _read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def month_report(db: Path, out: Path, committed: CsvFiles | None = None) -> CsvFiles:
    """The month's CSV files; with `committed`, each one cut to the committed file's columns, in its order."""
    period = ["--period", "month", "--date", "2026-10-01"]
    status = report_main(["--db", str(db), "--hall", str(WARD_HALL), *period, "--format", "csv", "--out", str(out)])
    assert status == 0
    files = {path.name: _read(path) for path in sorted(out.iterdir()) if path.suffix == ".csv"}
    if committed is None:
        committed = committed_report(1)
    cut: CsvFiles = {}
    for name, rows in files.items():
        if name not in committed:
            continue  # a table added by a later version
        if name.endswith("_unit_officer.csv"):
            cut[name] = _per_officer(rows, committed[name][0])
            continue
        header = committed[name][0]
        positions = [rows[0].index(column) for column in header]  # a missing old column fails here
        cut[name] = [[row[i] for i in positions] for row in rows]
    for name, rows in committed.items():
        if name.endswith("_unit_officer.csv") and name in cut:
            cut[name] = [rows[0], *cut[name]]
    return cut


def _per_officer(rows: list[list[str]], header: list[str]) -> list[list[str]]:
    """The unit × officer table as figures per officer (summed over the units an officer appears in: version 1
    listed an officer once per service, later versions once, under their unit) and the total line."""
    positions = [rows[0].index(column) for column in header]
    officer, counts = header.index("Mã cán bộ"), [i for i, h in enumerate(header) if h.endswith("số lượt")]
    counts.insert(0, header.index("Tổng số lượt đánh giá"))
    sums: dict[str, list[int]] = {}
    for row in ([row[i] for i in positions] for row in rows[1:]):
        if row[officer]:
            old = sums.setdefault(row[officer], [0] * len(counts))
            sums[row[officer]] = [a + int(row[i]) for a, i in zip(old, counts, strict=True)]
    total = [[row[i] for i in positions] for row in rows[1:]][-1]
    return [[key, *map(str, values)] for key, values in sorted(sums.items())] + [total]


def committed_report(version: int) -> CsvFiles:
    folder = FIXTURES / f"db-v{version}" / "report-2026-10"
    files = {path.name: _read(path) for path in sorted(folder.iterdir())}
    for name, rows in files.items():
        if name.endswith("_unit_officer.csv"):
            files[name] = [rows[0], *_per_officer(rows, rows[0])]
    return files


def test_v1_fixture_reports_the_committed_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    got = month_report(db, tmp_path / "out")
    expected = committed_report(1)
    assert len(expected) == 5
    assert got == expected


def test_v1_fixture_gains_the_rates_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the three-button scale the project's rate is the old % satisfied; the 766-style rate is at least it."""
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    month_report(db, tmp_path / "out")
    (path,) = (tmp_path / "out").glob("*_satisfaction.csv")
    labels = {
        "Hài lòng: tỷ lệ (%)": "satisfied_pct",
        "Không hài lòng: số lượt": "unsatisfied_n",
        "Số lượt đã phục vụ": "served",
        "Tỷ lệ hài lòng trên lượt đánh giá (%)": "project_pct",
        "Lượt phục vụ bị đánh giá không hài lòng": "served_unsatisfied",
        "Tỷ lệ hài lòng theo Bộ chỉ số 766 (%)": "national_pct",
    }
    header, *rows = _read(path)
    assert set(labels) <= set(header)
    keyed = [{labels[h]: cell for h, cell in zip(header, row, strict=True) if h in labels} for row in rows]
    hall = keyed[0]
    for row in keyed:
        assert row["project_pct"] == row["satisfied_pct"]
    served, unsatisfied = int(hall["served"]), int(hall["served_unsatisfied"])
    assert 0 < unsatisfied <= int(hall["unsatisfied_n"])
    exact = Decimal((served - unsatisfied) * 100) / Decimal(served)
    assert hall["national_pct"] == str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    assert float(hall["national_pct"]) > float(hall["project_pct"])


# --- the framework -----------------------------------------------------------------------------------------


def test_steps_are_numbered_in_order() -> None:
    assert [step.version for step in migrations.STEPS] == list(range(1, len(migrations.STEPS) + 1))
    assert len(migrations.STEPS) == migrations.LATEST


def test_step_1_makes_the_first_released_schema() -> None:
    schema = migrations.expected_schema(1)
    assert {name for name in schema if not name.startswith("index:")} == {
        "tickets",
        "counters",
        "meta",
        "cancelled_requests",
        "events",
        "ratings",
    }
    assert schema["events"] == ("id", "at", "kind", "counter", "ticket_id", "officer", "service", "detail")
    assert schema["index:ratings_one_counted"] == ("ratings",)


def test_a_new_database_is_made_at_the_latest_version_without_a_backup(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    Store(db).close()
    assert user_version(db) == migrations.LATEST
    connection = sqlite3.connect(db)
    try:
        assert migrations.schema_of(connection) == migrations.expected_schema(migrations.LATEST)
    finally:
        connection.close()
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []
    Store(db).close()  # opening it again changes nothing
    assert user_version(db) == migrations.LATEST


def add_test_step(monkeypatch: pytest.MonkeyPatch, apply: Callable[[sqlite3.Connection], None]) -> int:
    """Pretend this release has one more step (`apply`); returns its number."""
    number = migrations.LATEST + 1
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, migrations.Step(number, "a test step", apply)))
    monkeypatch.setattr(migrations, "LATEST", number)
    return number


def test_an_older_database_is_copied_aside_then_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = unpack(1, tmp_path)
    served = scalar(db, "SELECT COUNT(*) FROM tickets WHERE status = 'served'")
    assert served > 1000

    def add_note(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE tickets ADD COLUMN note TEXT")
        connection.execute("UPDATE tickets SET note = 'migrated' WHERE status = 'served'")

    new = add_test_step(monkeypatch, add_note)
    Store(db).close()
    assert user_version(db) == new
    assert scalar(db, "SELECT COUNT(*) FROM tickets WHERE note = 'migrated'") == served
    backup = tmp_path / "coordinator.v1.backup.db"
    assert user_version(backup) == 1
    assert scalar(backup, "SELECT COUNT(*) FROM tickets") == scalar(db, "SELECT COUNT(*) FROM tickets") == 2061
    assert "note" not in columns(backup, "tickets")
    # opening the migrated database again migrates nothing and copies nothing
    Store(db).close()
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["coordinator.v1.backup.db"]


def test_a_second_backup_of_the_same_version_does_not_overwrite_the_first(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    (tmp_path / "coordinator.v1.backup.db").write_text("an earlier copy")
    assert migrations.backup_path(db, 1) == tmp_path / "coordinator.v1.backup-2.db"


def test_a_failing_step_leaves_the_database_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = unpack(1, tmp_path)

    def half_done(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE tickets ADD COLUMN note TEXT")
        connection.execute("DELETE FROM events")
        raise sqlite3.IntegrityError("a step that fails half-way")

    add_test_step(monkeypatch, half_done)
    events = scalar(db, "SELECT COUNT(*) FROM events")
    with pytest.raises(SchemaError, match="a step that fails half-way"):
        Store(db)
    assert user_version(db) == 1
    assert scalar(db, "SELECT COUNT(*) FROM events") == events
    assert "note" not in columns(db, "tickets")


def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    Store(db).close()
    newer = migrations.LATEST + 1
    set_version(db, newer)
    with pytest.raises(SchemaError, match=rf"schema version {newer}, written by a newer motcua"):
        Store(db)
    assert user_version(db) == newer


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    db = unpack(1, tmp_path)
    connection = sqlite3.connect(db)
    connection.execute("ALTER TABLE ratings DROP COLUMN reason")
    connection.close()
    with pytest.raises(SchemaError, match="schema version 1 but does not match it: table ratings lacks column reason"):
        Store(db)


def test_tables_without_a_version_are_not_a_coordinator_database(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()
    with pytest.raises(SchemaError, match="has tables but no schema version"):
        Store(db)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "coordinator.db"
    db.write_text("not a database\n" * 100)
    with pytest.raises(SchemaError, match=r"cannot open .* as the coordinator's database"):
        Store(db)


@pytest.mark.parametrize("damage", ["newer", "missing column"])
def test_motcua_coordinator_exits_cleanly_on_a_database_it_cannot_use(
    tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "coordinator.db"
    Store(db).close()
    if damage == "newer":
        set_version(db, migrations.LATEST + 1)
    else:
        connection = sqlite3.connect(db)
        connection.execute("ALTER TABLE tickets DROP COLUMN rated")
        connection.close()
    config = tmp_path / "coordinator.toml"
    config.write_text(f'hall = "{WARD_HALL.as_posix()}"\ndatabase = "{db.as_posix()}"\n', encoding="utf-8")
    status = motcua_main(["--log-level", "WARNING", "coordinator", "--config", str(config)])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert ("newer motcua" if damage == "newer" else "table tickets lacks column rated") in err


# --- the report reads, never migrates ------------------------------------------------------------------------


def test_the_report_reads_an_older_database_through_a_migrated_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    before = db.read_bytes()
    add_test_step(monkeypatch, lambda connection: connection.execute("ALTER TABLE tickets ADD COLUMN note TEXT"))
    assert month_report(db, tmp_path / "out") == committed_report(1)
    assert db.read_bytes() == before, "the report never writes the database"
    assert [p.name for p in tmp_path.iterdir() if "backup" in p.name] == []


def test_the_report_refuses_a_newer_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = unpack(1, tmp_path)
    set_version(db, migrations.LATEST + 1)
    status = motcua_main(
        ["--log-level", "WARNING", "report", "--db", str(db), "--hall", str(WARD_HALL), "--out", str(tmp_path / "o")]
    )
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert f"schema version {migrations.LATEST + 1}, written by a newer motcua" in err


def test_v1_fixture_migrates_and_reports_the_committed_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    Store(db).close()
    assert user_version(db) == migrations.LATEST
    assert month_report(db, tmp_path / "out") == committed_report(1)


def scalar(path: Path, query: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(query).fetchone()[0])
    finally:
        connection.close()


def user_version(path: Path) -> int:
    return scalar(path, "PRAGMA user_version")


def set_version(path: Path, version: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {version:d}")
    connection.close()


def columns(path: Path, table: str) -> tuple[str, ...]:
    connection = sqlite3.connect(path)
    try:
        return migrations.schema_of(connection)[table]
    finally:
        connection.close()


# --- step 2: typed events ---------------------------------------------------------------------------------------


def test_step_2_turns_the_day_end_sentence_and_the_transfer_text_into_columns(tmp_path: Path) -> None:
    db = unpack(1, tmp_path)
    sentence = "closed at the end of the day"
    day_end = {
        kind: scalar(db, f"SELECT COUNT(*) FROM events WHERE kind = '{kind}' AND detail = '{sentence}'")
        for kind in ("served", "sign_out")
    }
    assert day_end["served"] > 0 and day_end["sign_out"] > 0
    transfers = scalar(db, "SELECT COUNT(*) FROM events WHERE kind = 'transferred'")
    Store(db).close()
    for kind, number in day_end.items():
        assert scalar(db, f"SELECT COUNT(*) FROM events WHERE kind = '{kind}' AND reason = 'day_end'") == number
    assert scalar(db, f"SELECT COUNT(*) FROM events WHERE detail = '{sentence}'") == 0
    assert (
        scalar(db, "SELECT COUNT(*) FROM events WHERE reason IS NOT NULL AND kind NOT IN ('served', 'sign_out')") == 0
    )
    assert transfers > 0
    assert (
        scalar(
            db, "SELECT COUNT(*) FROM events WHERE kind = 'transferred' AND detail = from_service || '->' || service"
        )
        == transfers
    )


def test_rewording_every_event_text_changes_no_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`detail` is for a person: whatever it says, the report is the same."""
    monkeypatch.setenv("MOTCUA_CLOCK", REPORT_CLOCK)
    db = unpack(1, tmp_path)
    Store(db).close()
    connection = sqlite3.connect(db)
    with connection:
        changed = connection.execute("UPDATE events SET detail = 'Đã ghi lại bằng lời khác ' || id").rowcount
    connection.close()
    assert changed == scalar(db, "SELECT COUNT(*) FROM events") > 5000
    assert month_report(db, tmp_path / "out") == committed_report(1)


def test_new_events_are_typed_from_the_engine_to_the_store(tmp_path: Path) -> None:
    """The day's rollover writes reason day_end, an officer's sign-out none; the kinds are the contract's."""
    hall = small_hall()
    engine = QueueEngine(hall)
    monday = datetime(2026, 11, 23, 8, 0, tzinfo=VN)
    engine.issue(monday, request_id="r1", service="a")
    engine.command(monday, 1, CounterAction.NEXT)
    engine.command(monday, 2, CounterAction.SIGN_IN, officer="minh")
    engine.command(monday, 2, CounterAction.SIGN_OUT)
    engine.tick(monday + timedelta(days=1))
    changes = engine.take_changes()
    store = Store(tmp_path / "c.db")
    try:
        store.save(changes, engine.counters, engine.business_day)
        store.commit()
        rows = store.db.execute("SELECT kind, counter, reason FROM events ORDER BY id").fetchall()
    finally:
        store.close()
    assert [tuple(row) for row in rows] == [
        ("issued", None, None),
        ("sign_in", 1, None),
        ("called", 1, None),
        ("sign_in", 2, None),
        ("sign_out", 2, None),
        ("served", 1, "day_end"),
        ("sign_out", 1, "day_end"),
        ("day_started", None, None),
    ]
    assert {row[0] for row in rows} <= {kind.value for kind in EventKind}


def test_two_coordinators_opening_an_old_database_at_once_migrate_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second one read the old version before the first one committed: it must not apply the steps again."""
    db = unpack(1, tmp_path)
    real_backup_path = migrations.backup_path
    first_done: list[bool] = []

    def migrate_elsewhere_meanwhile(path: Path, version: int) -> Path:
        copy = real_backup_path(path, version)
        if not first_done:
            first_done.append(True)
            Store(db).close()  # another process migrates between this one's check and its transaction
        return copy

    monkeypatch.setattr(migrations, "backup_path", migrate_elsewhere_meanwhile)
    Store(db).close()
    assert user_version(db) == migrations.LATEST


# --- step 5: dossier codes ---------------------------------------------------------------------------------------


def test_step_5_adds_an_empty_dossier_code_to_every_ticket(tmp_path: Path) -> None:
    db = unpack(1, tmp_path)
    tickets = scalar(db, "SELECT COUNT(*) FROM tickets")
    assert "dossier_code" not in columns(db, "tickets")
    Store(db).close()
    after_rated = columns(db, "tickets")[columns(db, "tickets").index("rated") + 1]
    assert after_rated == "dossier_code"  # step 5 added it right after the first schema's last column
    assert tickets > 1000 and scalar(db, "SELECT COUNT(*) FROM tickets WHERE dossier_code IS NULL") == tickets


# --- step 7: rating meanings -------------------------------------------------------------------------------------


def test_step_7_gives_every_old_vote_the_meaning_of_its_three_button_level(tmp_path: Path) -> None:
    db = unpack(1, tmp_path)
    by_level = {
        level: scalar(db, f"SELECT COUNT(*) FROM ratings WHERE level = '{level}'")
        for level in ("satisfied", "neutral", "unsatisfied")
    }
    assert all(by_level.values()) and sum(by_level.values()) == scalar(db, "SELECT COUNT(*) FROM ratings")
    Store(db).close()
    assert columns(db, "ratings")[-1] == "meaning"
    for level, number in by_level.items():
        assert scalar(db, f"SELECT COUNT(*) FROM ratings WHERE meaning = '{level}' AND level = '{level}'") == number


# --- step 8: bookings --------------------------------------------------------------------------------------------


def test_step_8_adds_the_bookings_table_and_leaves_every_older_ticket_walk_in(tmp_path: Path) -> None:
    assert migrations.STEPS[7].version == 8 and "bookings" in migrations.STEPS[7].description
    db = unpack(1, tmp_path)
    tickets = scalar(db, "SELECT COUNT(*) FROM tickets")
    assert "booking" not in columns(db, "tickets")
    Store(db).close()
    assert columns(db, "tickets")[-2:] == ("booking", "booked_for")
    assert scalar(db, "SELECT COUNT(*) FROM bookings") == 0
    walk_in = scalar(db, "SELECT COUNT(*) FROM tickets WHERE booking IS NULL AND booked_for IS NULL")
    assert tickets > 1000 and walk_in == tickets
