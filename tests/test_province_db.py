"""The province's PostgreSQL: migrations, month partitions, idempotent writes, the ledger read back (a real server
started by the session's `postgres` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from province.config import HallEntry
from province.db import EVENT_COLUMNS, CopyRows, ProvinceDb, Rejected, copy_line, month_of
from province.schema import LATEST, SchemaError, migrate

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def row(site: str, seq: int, at: datetime, kind: str = "issued") -> tuple[object, ...]:
    return (site, seq, kind, at, None, f"20261123-{seq}", "ho-tich", None, None, None, None, None, None, None, None)


def test_the_schema_is_made_once_and_a_newer_one_is_refused(province_dsn: str):
    with psycopg.connect(province_dsn) as conn:
        assert migrate(conn) == 0
        assert migrate(conn) == LATEST  # second run: nothing to do
        conn.execute("UPDATE schema_version SET version = %s", (LATEST + 1,))
        conn.commit()
        with pytest.raises(SchemaError, match="newer"):
            migrate(conn)


def test_events_land_in_month_partitions_and_a_second_write_adds_nothing(province_dsn: str):
    db = ProvinceDb(province_dsn)
    try:
        rows = [
            row("phuong-a", 1, datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
            row("phuong-a", 2, datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
            row("xa-b", 1, datetime(2026, 11, 2, tzinfo=UTC)),
        ]
        db.write(rows, [], {"phuong-a": 2, "xa-b": 1}, NOW)
        db.write(rows, [], {"phuong-a": 2, "xa-b": 1}, NOW)  # a redelivered batch
        counts = dict(db.conn.execute("SELECT tableoid::regclass::text, count(*) FROM events GROUP BY 1").fetchall())
        assert counts == {"events_2026_10": 1, "events_2026_11": 2}
        # The registry never goes backwards (an old batch redelivered after a newer one)
        db.write([], [], {"phuong-a": 1}, NOW)
        assert db.conn.execute("SELECT contiguous_seq FROM halls WHERE site = 'phuong-a'").fetchone() == (2,)
    finally:
        db.close()


def test_the_ledger_is_rebuilt_from_what_the_database_holds(province_dsn: str):
    db = ProvinceDb(province_dsn)
    try:
        db.register([HallEntry(site="phuong-a", name="TTPVHCC phường A", unit="UBND phường A")])
        at = datetime(2026, 11, 23, 2, tzinfo=UTC)
        db.write(
            [row("phuong-a", n, at) for n in (1, 2, 3, 7)], [Rejected("phuong-a", 5, "bad", "{}")], {"phuong-a": 3}, NOW
        )
        reader = ProvinceDb(province_dsn)
        ledger = reader.load_ledger()
        reader.close()
        hall = ledger.hall("phuong-a")
        assert (hall.contiguous, hall.above) == (3, {5, 7})
        assert hall.missing() == (4, 4)
        name, unit = db.conn.execute("SELECT name, unit FROM halls WHERE site = 'phuong-a'").fetchone()
        assert (name, unit) == ("TTPVHCC phường A", "UBND phường A")
    finally:
        db.close()


def test_a_batch_holding_a_row_already_written_still_adds_the_others(province_dsn: str):
    """The fast path (COPY straight in) fails on a duplicate; the batch falls back to ON CONFLICT DO NOTHING."""
    db = ProvinceDb(province_dsn)
    try:
        at = datetime(2026, 11, 23, 2, tzinfo=UTC)
        db.write([row("phuong-a", 1, at)], [], {"phuong-a": 1}, NOW)
        db.write([row("phuong-a", n, at) for n in (1, 2, 3)], [], {"phuong-a": 3}, NOW)
        assert db.conn.execute("SELECT seq FROM events ORDER BY seq").fetchall() == [(1,), (2,), (3,)]
        assert db.conn.execute("SELECT contiguous_seq FROM halls").fetchone() == (3,)
    finally:
        db.close()


def test_rows_formatted_for_copy_come_back_exactly_even_with_hostile_text(province_dsn: str):
    """The parse workers format rows for COPY themselves: tabs, newlines, backslashes, "\\N" and Vietnamese in a
    free-text field come back as sent; a row already there sends the batch through the staging table."""
    db = ProvinceDb(province_dsn)
    try:
        at = datetime(2026, 11, 23, 2, 5, 7, 250000, tzinfo=UTC)
        hostile = "Phiếu\tin lỗi\nmáy in\\N \\ \r cuối"
        first = (*row("phuong-a", 1, at)[:8], hostile, *row("phuong-a", 1, at)[9:-1], "1.001193")
        second = row("phuong-a", 2, datetime(2026, 12, 1, tzinfo=UTC))
        lines = [copy_line(r) for r in (first, second)]
        db.write(CopyRows(lines[:1], {month_of(at)}), [], {"phuong-a": 1}, NOW)
        db.write(CopyRows(lines, {month_of(at), month_of(second[3])}), [], {"phuong-a": 2}, NOW)  # 1 is there
        stored = db.conn.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY seq").fetchall()
        assert stored == [first, second]
    finally:
        db.close()


def test_a_database_at_schema_1_is_migrated_with_its_rows(province_dsn: str):
    from province.schema import STEPS

    with psycopg.connect(province_dsn) as conn:
        conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute(STEPS[0].sql.encode())
        conn.execute("INSERT INTO halls (site, contiguous_seq) VALUES ('phuong-a', 41)")
        conn.commit()
        assert migrate(conn) == 1
        assert conn.execute("SELECT site, contiguous_seq, online FROM halls").fetchall() == [("phuong-a", 41, None)]


def test_the_collectors_own_formatting_gives_copy_lines_byte_for_byte():
    """`event_line` (the collector's per-event formatter) is `copy_line(event_row(...))` in less time: every field
    set or absent, COPY's special characters and Vietnamese in the free texts, another offset normalised."""
    from motcua.contract import HallEvent
    from province.collector import event_line, event_row

    full = HallEvent(
        seq=7,
        kind="transferred",
        at="2026-11-23T08:15:02.5+07:00",
        counter=3,
        ticket_id="20261123-\tA\\N",
        service="chung-thuc",
        officer="le-thi-hoa",
        detail="Phiếu\tin lỗi\nmáy in\\N \\ \r cuối",
        reason="day_end",
        from_service="ho-tich",
        rating="very_satisfied",
        meaning="satisfied",
        outcome="counted",
        procedure="1.001193",
    )
    bare = HallEvent(seq=1, kind="day_started", at="2026-11-23T00:00:00Z")
    for event in (full, bare):
        assert event_line("phuong-a", event) == copy_line(event_row("phuong-a", event))
    assert (
        event_line("phuong-a", bare) == b"phuong-a\t1\tday_started\t2026-11-23T00:00:00+00:00" + b"\t\\N" * 11 + b"\n"
    )
    escaped = "Phiếu\\tin lỗi\\nmáy in\\\\N \\\\ \\r cuối".encode()
    assert escaped in event_line("phuong-a", full)


def test_a_nul_in_a_free_text_is_refused_before_it_can_block_the_copy(province_dsn: str):
    """JSON may carry "\\u0000" and pydantic takes it, but PostgreSQL's text cannot: that event is refused (and kept in
    ``rejected``), its neighbours are written. Before, the batch's COPY failed at every retry and held every hall."""
    from province.collector import decode, parse_for_copy

    payload = (
        b'{"v": 1, "events": [{"seq": 1, "kind": "issued", "at": "2026-11-23T01:00:00Z", "ticket_id": "A\\u0000"},'
        b' {"seq": 2, "kind": "issued", "at": "2026-11-23T01:00:01Z", "detail": "x\\u0000y"},'
        b' {"seq": 3, "kind": "issued", "at": "2026-11-23T01:00:02Z",'
        b' "detail": "b\xc3\xacnh th\xc6\xb0\xe1\xbb\x9dng"}]}'
    )
    decoded = decode("phuong-a", payload, 4096)
    assert [e.seq for e in decoded.events] == [3]
    assert [(r.seq, r.reason) for r in decoded.rejected] == [(n, "a NUL character in a text field") for n in (1, 2)]
    assert all("\x00" not in r.payload for r in decoded.rejected)
    parsed = parse_for_copy("phuong-a", payload, 4096)
    db = ProvinceDb(province_dsn)
    try:
        db.write(CopyRows(parsed.lines, parsed.months), parsed.rejected, {"phuong-a": 3}, NOW)
        assert db.conn.execute("SELECT seq, detail FROM events").fetchall() == [(3, "bình thường")]
        assert db.conn.execute("SELECT seq FROM rejected ORDER BY seq").fetchall() == [(1,), (2,)]
    finally:
        db.close()
