"""The per-ticket export (CSV, JSON, XLSX) and the report's tables as XLSX, on the generated month: one row per
served ticket, counted from the generation log; the XLSX files open with openpyxl and hold the CSV's numbers."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from test_report_month import MONTH_FIRST, MONTH_LAST, WARD_HALL, MonthLog, month_log

from coordinator.report.cli import main as report_main
from coordinator.report.export import TICKET_COLUMNS
from motcua.contract import RatingOutcome

STEM = "phuong-hoa-binh_2026-10-01_2026-10-31"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> MonthLog:
    return month_log(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(month: MonthLog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The month's report in every format, from a copy of the database with two dossier codes recorded."""
    folder = tmp_path_factory.mktemp("export")
    db = folder / "coordinator.db"
    shutil.copy(month.db, db)
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "UPDATE tickets SET dossier_code = '000.00.12.H49-261015-' || number WHERE id IN "
            "(SELECT id FROM tickets WHERE status = 'served' AND business_day = '2026-10-15' ORDER BY seq LIMIT 2)"
        )
    connection.close()
    out = folder / "out"
    args = ["--db", str(db), "--hall", str(WARD_HALL), "--date", "2026-10-15", "--out", str(out)]
    assert report_main([*args, "--format", "csv,xlsx,json"]) == 0
    return out


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def served_in_october(month: MonthLog) -> dict[str, str]:
    """Ticket id -> the officer who finished it, for every ticket the generation saw served (or closed at day end)."""
    served = {}
    for ticket in month.tickets.values():
        if MONTH_FIRST <= ticket.day <= MONTH_LAST and ticket.visits and not ticket.cancelled:
            last = ticket.visits[-1]
            if last.end in ("served", "auto_closed"):
                served[ticket.id] = last.officer
    return served


def test_the_ticket_export_has_one_row_per_served_ticket(month: MonthLog, exported: Path) -> None:
    header, *rows = read_csv(exported / f"{STEM}_tickets.csv")
    assert header == [column.vi for column in TICKET_COLUMNS]
    keyed = [dict(zip((c.key for c in TICKET_COLUMNS), row, strict=True)) for row in rows]
    served = served_in_october(month)
    assert len(keyed) == len({row["ticket_id"] for row in keyed}) == len(served) > 1000
    assert {row["ticket_id"]: row["officer_id"] for row in keyed} == served
    for row in keyed:
        assert date.fromisoformat(row["business_day"]) == month.tickets[row["ticket_id"]].day
        assert row["issued_at"] <= row["called_at"] <= row["served_at"]
        assert row["served_at"].endswith("+07:00")
    assert sum(1 for row in keyed if row["dossier_code"]) == 2


def test_the_ticket_exports_rating_columns_never_mix_outcomes(month: MonthLog, exported: Path) -> None:
    _, *rows = read_csv(exported / f"{STEM}_tickets.csv")
    keyed = {row[0]: dict(zip((c.key for c in TICKET_COLUMNS), row, strict=True)) for row in rows}
    counted = {r.ticket_id: r.level for r in month.ratings if r.expected is RatingOutcome.COUNTED and r.ticket_id}
    misuse: dict[str, int] = {}
    for rating in month.ratings:
        if rating.expected is RatingOutcome.MISUSE and rating.ticket_id:
            misuse[rating.ticket_id] = misuse.get(rating.ticket_id, 0) + 1
    assert {row["rating_outcome"] for row in keyed.values()} == {"counted", "not_rated"}
    for ticket_id, row in keyed.items():
        if ticket_id in counted:
            assert (row["rating_outcome"], row["rating_level"]) == ("counted", counted[ticket_id])
            assert row["rating_meaning"] == counted[ticket_id]  # the three-button scale: keys are meanings
        else:
            assert (row["rating_outcome"], row["rating_level"], row["rating"]) == ("not_rated", "", "")
        assert int(row["misuse_presses"]) == misuse.get(ticket_id, 0)
    assert sum(1 for row in keyed.values() if int(row["misuse_presses"])) > 10


def test_the_ticket_json_and_xlsx_hold_the_csvs_rows(exported: Path) -> None:
    header, *rows = read_csv(exported / f"{STEM}_tickets.csv")
    data = json.loads((exported / f"{STEM}_tickets.json").read_text(encoding="utf-8"))
    assert [list(item) for item in data[:1]] == [[c.key for c in TICKET_COLUMNS]]
    as_text = [["" if value is None else str(value) for value in item.values()] for item in data]
    assert as_text == rows
    sheet = openpyxl.load_workbook(exported / f"{STEM}_tickets.xlsx").active
    assert sheet is not None and sheet.title == "Lượt phục vụ"
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [str(v) for v in cells[0]] == header
    for got, want in zip(cells[1:], rows, strict=True):
        shown = ["" if v is None else v.isoformat() + "+07:00" if hasattr(v, "isoformat") else str(v) for v in got]
        assert shown == want


def test_every_table_is_a_sheet_of_the_xlsx_with_the_csvs_numbers(exported: Path) -> None:
    workbook = openpyxl.load_workbook(exported / f"{STEM}.xlsx")
    names = ("satisfaction", "unit_officer", "queue", "weekly", "heatmap", "comparison")
    assert len(workbook.sheetnames) == len(names)
    for sheet_name, name in zip(workbook.sheetnames, names, strict=True):
        header, *rows = read_csv(exported / f"{STEM}_{name}.csv")
        cells = [list(row) for row in workbook[sheet_name].iter_rows(values_only=True)]
        assert [str(v) for v in cells[0]] == header, name
        assert len(cells) - 1 == len(rows) > 0, name
        for got, want in zip(cells[1:], rows, strict=True):
            for value, text in zip(got, want, strict=True):
                if isinstance(value, int | float):  # Excel keeps 91.0 as 91: compare the numbers
                    assert value == float(text) and len(text.partition(".")[2]) <= 1, (name, got, want)
                else:
                    assert ("" if value is None else str(value)[:10]) == text[:10], (name, got, want)
