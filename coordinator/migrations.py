"""The coordinator database's schema, version by version: numbered migration steps.

A database records its schema version in ``PRAGMA user_version`` (0: a new, empty file). `migrate` brings a
database to `LATEST`: it checks that the file's tables are what its version says, copies the file aside (SQLite's
backup API, ``coordinator.db`` → ``coordinator.v1.backup.db`` beside it), then applies every missing step, in order,
inside ONE transaction — a failed step leaves the database exactly as it was. A database newer than this code
(written by a later release) is refused, never rewritten: downgrading the software must not damage the data.
Reports never migrate a live file: `migrated_copy` migrates an in-memory copy of it instead.

How to add a step (any change of a table, an index or of what the rows mean):

1. Append a `Step` to `STEPS` with the next number (``Step(3, "what it does and why", _step_3)``) and write
   ``_step_3(db)``: plain SQL run with `_run` (``ALTER TABLE ... ADD COLUMN``, ``CREATE TABLE``, ``UPDATE`` to convert
   existing rows). Never edit a step that has been released: databases in halls already ran it. The schema of a
   version is, by definition, what steps 1..version produce; `SCHEMA` is not written anywhere by hand.
2. Map the new columns in `coordinator.store` (``ticket_from_row``, ``event_from_row``, ``rating_from_row`` are the
   one place rows become objects; the report's loader reads through them too).
3. Test the step on its own (tests/test_migrations.py: a database at the previous version, rows before and after),
   and keep the committed old databases (tests/fixtures/db-v*/) opening and reporting the same figures.
4. When the release ships, add a fixture written by it (tests/fixtures/db-vN/, see the README there).

Two branches adding a step at the same time both take the next number: the one merged second renumbers its step
(it is a one-line change while neither is released).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from motcua.errors import MotcuaError

logger = logging.getLogger(__name__)


class SchemaError(MotcuaError, RuntimeError):
    """A database this code cannot use: written by a newer version, or not the schema its version says."""


@dataclass(frozen=True)
class Step:
    """One migration: brings a database from version ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _run(db: sqlite3.Connection, script: str) -> None:
    """Run the statements of `script` one by one on `db`, inside the caller's transaction (``executescript`` would
    commit first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]!r}")


def _step_1(db: sqlite3.Connection) -> None:
    """The first released schema (tickets, counters, meta, cancelled requests, events, ratings)."""
    _run(
        db,
        """
CREATE TABLE tickets (
    id              TEXT PRIMARY KEY,
    business_day    TEXT NOT NULL,
    issued_service  TEXT NOT NULL,
    service         TEXT NOT NULL,
    number          INTEGER NOT NULL,
    label           TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    priority        TEXT,
    procedure       TEXT,
    kiosk           TEXT,
    request_id      TEXT UNIQUE,
    status          TEXT NOT NULL,
    counter         INTEGER,
    officer         TEXT,
    first_called_at TEXT,
    called_at       TEXT,
    recalls         INTEGER NOT NULL DEFAULT 0,
    finished_at     TEXT,
    transfers       INTEGER NOT NULL DEFAULT 0,
    rated           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (business_day, issued_service, number),
    UNIQUE (business_day, label)
);
CREATE INDEX tickets_day ON tickets (business_day, status);
CREATE INDEX tickets_counter ON tickets (counter, called_at);

CREATE TABLE counters (
    number           INTEGER PRIMARY KEY,
    status           TEXT NOT NULL,
    officer          TEXT,
    serving          TEXT,
    last_finished    TEXT,
    last_finished_at TEXT,
    priority_streak  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE cancelled_requests (
    request_id   TEXT PRIMARY KEY,
    business_day TEXT NOT NULL
);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    counter    INTEGER,
    ticket_id  TEXT,
    officer    TEXT,
    service    TEXT,
    detail     TEXT
);
CREATE INDEX events_at ON events (at);

CREATE TABLE ratings (
    id          TEXT PRIMARY KEY,
    counter     INTEGER NOT NULL,
    level       TEXT NOT NULL,
    pressed_at  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    ticket_id   TEXT,
    officer     TEXT,
    service     TEXT,
    device      TEXT,
    reason      TEXT
);
CREATE INDEX ratings_pressed ON ratings (pressed_at);
CREATE UNIQUE INDEX ratings_one_counted ON ratings (ticket_id) WHERE outcome = 'counted';
""",
    )


def _step_2(db: sqlite3.Connection) -> None:
    """Typed events: what figures need moves out of the free-text ``detail`` into columns. ``reason`` = 'day_end'
    marks a ticket finished or an officer signed out by the day's rollover (version 1 wrote the English sentence
    below as the detail); ``from_service`` is the service a transferred ticket left (version 1: "from->to")."""
    _run(
        db,
        """
ALTER TABLE events ADD COLUMN reason TEXT;
ALTER TABLE events ADD COLUMN from_service TEXT;
UPDATE events SET reason = 'day_end', detail = NULL
    WHERE kind IN ('served', 'sign_out') AND detail = 'closed at the end of the day';
UPDATE events SET from_service = substr(detail, 1, instr(detail, '->') - 1)
    WHERE kind = 'transferred' AND instr(detail, '->') > 1;
""",
    )


def _step_3(db: sqlite3.Connection) -> None:
    """Counter commands act once: every command the coordinator answered, by request id, with its reply (a repeat
    gets that reply again and changes nothing, across restarts)."""
    _run(
        db,
        """
CREATE TABLE counter_commands (
    request_id  TEXT PRIMARY KEY,
    counter     INTEGER NOT NULL,
    action      TEXT NOT NULL,
    received_at TEXT NOT NULL,
    reply       TEXT NOT NULL
);
CREATE INDEX counter_commands_received ON counter_commands (received_at);
""",
    )


def _step_4(db: sqlite3.Connection) -> None:
    """Every vote gets an answer: votes that could not be judged (a counter the hall does not have, a malformed
    vote) are kept apart from `ratings`, so no report can count them, with why and what arrived."""
    _run(
        db,
        """
CREATE TABLE rejected_ratings (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT,
    counter     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    payload     BLOB NOT NULL
);
CREATE INDEX rejected_ratings_id ON rejected_ratings (id);
""",
    )


def _step_5(db: sqlite3.Connection) -> None:
    """The dossier code (mã hồ sơ) an officer records when finishing a ticket; NULL for every older ticket."""
    _run(db, "ALTER TABLE tickets ADD COLUMN dossier_code TEXT;")


def _step_6(db: sqlite3.Connection) -> None:
    """A counter screen's tablet asks why after a low rating: the reason ids ticked, comma-separated (NULL: none
    asked or none ticked; every older vote)."""
    _run(db, "ALTER TABLE ratings ADD COLUMN reasons TEXT;\n")


def _step_7(db: sqlite3.Connection) -> None:
    """Configurable rating scales: ``level`` is now the key of a level of the hall's scale, and ``meaning`` what it
    counts as (satisfied, neutral, unsatisfied), kept with the vote so that a hall changing its scale later does
    not re-mean its old votes. Every older vote came from the three-button scale, whose keys are their meanings."""
    _run(
        db,
        """
ALTER TABLE ratings ADD COLUMN meaning TEXT;
UPDATE ratings SET meaning = level;
""",
    )


def _step_8(db: sqlite3.Connection) -> None:
    """Bookings (lịch hẹn) imported from the province's booking system, and the booking a ticket was checked in
    with (coordinator.bookings). No personal data: a code, a service or procedure, a slot."""
    _run(
        db,
        """
CREATE TABLE bookings (
    code          TEXT PRIMARY KEY,
    business_day  TEXT NOT NULL,
    service       TEXT NOT NULL,
    procedure     TEXT,
    slot_start    TEXT NOT NULL,
    slot_end      TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    ticket_id     TEXT,
    outcome       TEXT,
    checked_in_at TEXT
);
CREATE INDEX bookings_day ON bookings (business_day);
ALTER TABLE tickets ADD COLUMN booking TEXT;
ALTER TABLE tickets ADD COLUMN booked_for TEXT;
""",
    )


#: Every step, in order; ``STEPS[i].version == i + 1``.
STEPS: tuple[Step, ...] = (
    Step(1, "first schema: tickets, counters, meta, events, ratings", _step_1),
    Step(2, "typed events: reason (day_end) and from_service columns instead of detail text", _step_2),
    Step(3, "counter commands act once: their request ids and replies", _step_3),
    Step(4, "votes that could not be judged, kept as rejected", _step_4),
    Step(5, "tickets.dossier_code: the dossier code recorded when a ticket is finished", _step_5),
    Step(6, "the reasons a citizen gave with a low rating on a tablet", _step_6),
    Step(7, "ratings.meaning: what the vote's level (a key of the hall's scale) counts as", _step_7),
    Step(8, "bookings imported from the booking system; tickets remember their booking", _step_8),
)

#: The schema version this code writes and reads.
LATEST = STEPS[-1].version

#: A table's columns, in order; the schema of a database is its tables' columns and its index names.
Schema = dict[str, tuple[str, ...]]


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def schema_of(db: sqlite3.Connection) -> Schema:
    """The tables (with their columns in order) and the indexes of `db` (``index:<name>`` → its table)."""
    found: Schema = {}
    rows = db.execute(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for kind, name, table in rows:
        if kind == "table":
            found[name] = tuple(row[1] for row in db.execute(f"PRAGMA table_info({_quoted(name)})"))
        else:
            found[f"index:{name}"] = (table,)
    return found


def expected_schema(version: int) -> Schema:
    """What steps 1..`version` make of an empty database."""
    db = sqlite3.connect(":memory:")
    try:
        for step in STEPS[:version]:
            step.apply(db)
        return schema_of(db)
    finally:
        db.close()


def check(db: sqlite3.Connection, version: int, where: object) -> None:
    """Raise `SchemaError` unless `db` holds exactly the tables, columns and indexes of schema `version`."""
    expected, found = expected_schema(version), schema_of(db)
    problems = []
    for name in sorted(expected.keys() - found.keys()):
        problems.append(f"no {_what(name)}")
    for name in sorted(found.keys() - expected.keys()):
        problems.append(f"an unknown {_what(name)}")
    for name in sorted(expected.keys() & found.keys()):
        if name.startswith("index:"):
            continue
        missing = [c for c in expected[name] if c not in found[name]]
        extra = [c for c in found[name] if c not in expected[name]]
        if missing:
            problems.append(f"table {name} lacks column {', '.join(missing)}")
        if extra:
            problems.append(f"table {name} has unknown column {', '.join(extra)}")
    if problems:
        raise SchemaError(
            f"{where} says it is schema version {version} but does not match it: {'; '.join(problems)}. "
            "It was changed by hand or by another program; restore a backup (coordinator.vN.backup.db)"
        )


def _what(name: str) -> str:
    return f"index {name.removeprefix('index:')}" if name.startswith("index:") else f"table {name}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def refuse_newer(version: int, where: object) -> None:
    if version > LATEST:
        raise SchemaError(
            f"{where} is schema version {version}, written by a newer motcua; this version knows schema {LATEST} at "
            "most and will not touch it: run the newer motcua, or restore the backup made before it migrated "
            "(coordinator.vN.backup.db)"
        )
    if version < 0:
        raise SchemaError(f"{where} has an invalid schema version {version}")


def backup_path(path: Path, version: int) -> Path:
    """Where the copy of `path` at `version` goes: beside it, never overwriting an earlier copy."""
    candidate = path.with_name(f"{path.stem}.v{version}.backup{path.suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.v{version}.backup-{n}{path.suffix}")
        n += 1
    return candidate


def migrate(db: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring `db` (a writable connection in autocommit mode, outside a transaction) to `LATEST`; returns the
    version it had. `path` is the file, for the backup copy and the messages (None: an in-memory copy, no backup)."""
    where = path if path is not None else "the database"
    version = version_of(db)
    refuse_newer(version, where)
    if version == 0 and schema_of(db):
        raise SchemaError(f"{where} has tables but no schema version: it is not a motcua coordinator database")
    if version > 0:
        check(db, version, where)
    if version == LATEST:
        return version
    if version > 0 and path is not None:
        copy = backup_path(path, version)
        target = sqlite3.connect(copy)
        try:
            db.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever mode the original had
        finally:
            target.close()
        logger.info("copied %s (schema version %d) to %s before migrating it", path, version, copy)
    db.execute("BEGIN IMMEDIATE")
    if version_of(db) != version:  # another process migrated it meanwhile: start again from what it did
        db.execute("ROLLBACK")
        return migrate(db, path)
    try:
        for step in STEPS[version:]:
            step.apply(db)
            db.execute(f"PRAGMA user_version = {step.version:d}")
            if version > 0:
                logger.info("%s: schema version %d: %s", where, step.version, step.description)
        check(db, LATEST, where)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return version


def migrated_copy(source: sqlite3.Connection, where: object) -> sqlite3.Connection:
    """`source` itself if it is at `LATEST`, else an in-memory copy of it migrated to `LATEST` (the file is never
    written: a report can read a database whose coordinator has not migrated it yet, e.g. a backup)."""
    version = version_of(source)
    refuse_newer(version, where)
    if version == LATEST:
        check(source, version, where)
        return source
    if version == 0:
        raise SchemaError(f"{where} is not a coordinator database (no schema version)")
    check(source, version, where)
    copy = sqlite3.connect(":memory:", isolation_level=None)
    source.backup(copy)
    migrate(copy)
    copy.row_factory = source.row_factory
    logger.info("%s is schema version %d: reading a copy migrated to version %d in memory", where, version, LATEST)
    return copy
