"""`motcua report --province`: a hall's figures from the province's PostgreSQL are its own report's figures, and
the province's line adds the halls up."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import pytest
from conftest import WARD_HALL

from coordinator.report.load import load
from coordinator.report.metrics import build_facts, compute
from coordinator.report.period import Period
from coordinator.resend import read_events
from coordinator.simulate import Behaviour, plan_day, simulate
from coordinator.store import open_readonly
from motcua.cli import main as motcua
from motcua.hall import HallConfig
from province.collector import event_row
from province.db import ProvinceDb

MONDAY = date(2026, 11, 23)


@pytest.mark.slow  # a simulated day through a real broker and coordinator, then PostgreSQL: ~10 s
def test_the_province_report_gives_each_hall_its_own_figures(hall: HallConfig, tmp_path: Path, province_dsn: str):
    plan = plan_day(hall, MONDAY, Behaviour(citizens_per_day=40), random.Random(3))
    database = Path(simulate(hall, plan, tmp_path / "sim", turnaround_s=5)["database"])
    site = hall.hall.site
    db = open_readonly(database)
    events = read_events(db, 1, None, 100_000)
    db.close()
    province = ProvinceDb(province_dsn)
    province.write([event_row(site, e) for e in events], [], {site: len(events)}, events[-1].at)
    province.close()
    config = tmp_path / "province.toml"
    config.write_text(
        f'province = "Tỉnh Thử Nghiệm"\n[database]\ndsn = "{province_dsn}"\n'
        f'[[halls]]\nsite = "{site}"\nname = "TTPVHCC phường mẫu"\nunit = "UBND phường mẫu"\nhall = "{WARD_HALL}"\n'
        '[[halls]]\nsite = "xa-chua-co"\nname = "Xã chưa có hall.toml"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        motcua(["report", "--province", str(config), "--period", "day", "--date", "2026-11-23", "--out", str(out)]) == 0
    )
    period = Period("day", MONDAY, MONDAY)
    own = compute(build_facts(load(database, hall, period), hall, period), hall, period)
    with (out / "tinh-thu-nghiem-2026-11-23-2026-11-23-halls.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["Mã", "Tên", "Đơn vị", "Số phiếu cấp"]
    by_site = {row[0]: row for row in rows[1:] if row[0]}
    line = by_site[site]
    assert int(line[3]) == own.queue_total.issued and own.queue_total.issued > 20
    assert int(line[4]) == own.queue_total.served
    assert int(line[7]) == own.satisfaction_total.counted
    assert int(line[8]) == own.satisfaction_total.levels["satisfied"]
    assert by_site["xa-chua-co"][3] == "(thiếu hall.toml: chưa tính)"
    province_line = rows[-1]
    assert province_line[1] == "TOÀN TỈNH" and province_line[3:] == [*line[3:6], "", *line[7:]]
    officers = (out / "tinh-thu-nghiem-2026-11-23-2026-11-23-officers.csv").read_text(encoding="utf-8-sig")
    assert sum(r.counted for r in own.satisfaction_rows["officer"]) == sum(
        int(row[7]) for row in list(csv.reader(officers.splitlines()))[1:]
    )
