"""Per procedure (thủ tục): the coordinator puts the ticket's procedure on its `issued` event, live and resent
alike; the province stores it, and its report by procedure gives the hall's own report's figures."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_report_month import MONTH_FIRST, MONTH_LAST, WARD_HALL, MonthSimulation

from coordinator.report.load import load
from coordinator.report.metrics import build_facts, compute
from coordinator.report.period import Period
from coordinator.resend import read_events
from coordinator.store import open_readonly
from motcua.cli import main as motcua
from motcua.contract import EventBatch, EventKind, HallEvent
from motcua.hall import load_hall
from province.collector import event_row
from province.db import ProvinceDb
from province.report import hall_report

pytestmark = pytest.mark.slow  # a month of the sample hall through the real coordinator service (~30 s)


def test_the_province_report_by_procedure_is_the_halls_own(tmp_path: Path, province_dsn: str):
    simulation = MonthSimulation(tmp_path / "hall")
    log = simulation.run()
    live: list[HallEvent] = [
        event for _, message in simulation.session.sent if isinstance(message, EventBatch) for event in message.events
    ]
    assert [e.seq for e in live] == list(range(1, len(live) + 1))
    issued = [e for e in live if e.kind is EventKind.ISSUED]
    assert all(e.procedure == log.tickets[str(e.ticket_id)].procedure for e in issued)
    assert sum(e.procedure is not None for e in issued) > 100
    assert all(e.procedure is None for e in live if e.kind is not EventKind.ISSUED)
    db = open_readonly(log.db)
    try:
        resent = read_events(db, 1, None, 10**6)
    finally:
        db.close()
    # A resent issued event carries its procedure too (the last few events, still held back by the publishing
    # interval when the simulation stopped, are only in the database: the province would ask for them; how many
    # depends on the machine's load, the simulation running far faster than real time).
    assert resent[: len(live)] == live and len(live) > len(resent) // 2

    hall = load_hall(WARD_HALL)
    site = hall.hall.site
    province = ProvinceDb(province_dsn)
    province.write([event_row(site, e) for e in resent], [], {site: len(resent)}, datetime.now(UTC))
    period = Period("month", MONTH_FIRST, MONTH_LAST)
    own = compute(build_facts(load(log.db, hall, period), hall, period), hall, period, breakdowns=("procedure",))
    theirs = hall_report(province.conn, site, hall, period, breakdowns=("procedure",))
    province.close()
    assert len(own.queue_rows["procedure"]) > 5
    assert theirs.queue_rows["procedure"] == own.queue_rows["procedure"]
    assert theirs.satisfaction_rows["procedure"] == own.satisfaction_rows["procedure"]

    config = tmp_path / "province.toml"
    config.write_text(
        f'province = "Tỉnh Thử Nghiệm"\n[database]\ndsn = "{province_dsn}"\n'
        f'[[halls]]\nsite = "{site}"\nname = "TTPVHCC phường mẫu"\nunit = "UBND phường mẫu"\nhall = "{WARD_HALL}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        motcua(["report", "--province", str(config), "--period", "month", "--date", "2026-10-15", "--out", str(out)])
        == 0
    )
    with (out / "tinh-thu-nghiem-2026-10-01-2026-10-31-procedures.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][3] == "Số phiếu cấp"
    by_key = {row[0]: row for row in rows[1:]}
    queue = {row.key: row for row in own.queue_rows["procedure"]}
    for rating in own.satisfaction_rows["procedure"]:
        line, row = by_key[f"{site}/{rating.key}"], queue[rating.key]
        assert [int(n) for n in (line[3], line[4], line[5], line[7], line[8])] == [
            row.issued,
            row.served,
            row.no_show,
            rating.counted,
            rating.levels["satisfied"],
        ]
        assert line[1] != rating.key  # the procedure's Vietnamese name from the hall's catalogue
        total = by_key[rating.key]  # the province's line of that procedure (one hall: the same figures)
        assert total[2] == "TOÀN TỈNH" and total[3:] == line[3:]
