"""Per-ticket export for the province's dossier system, and the report's tables as one Excel workbook.

`ticket_rows` is pure: one row per ticket *served* in the period (by the business day it was issued on), with its
times in the hall's time zone, counter, officer, service, procedure, dossier code and its rating. The rating
columns never mix outcomes: `rating_level`, `rating_meaning` and `rating_outcome` describe the ticket's one counted
vote (`counted`) or say `not_rated`; presses the pad flagged or that came after the counted one are only counted in
`misuse_presses`; presses with nobody served (unbound) belong to no ticket and are not here. Columns:
docs/reports.md, "Per-ticket export".

The writers put the same rows into CSV (UTF-8 with BOM, for Excel), JSON (UTF-8, an object per ticket, keys as
the columns) and XLSX (openpyxl: times as Excel date-times in hall time, numbers as numbers).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from coordinator.engine import TicketStatus
from coordinator.report.labels import Lang, Names, text
from coordinator.report.load import Records
from coordinator.report.metrics import round_half_up
from coordinator.report.period import Period
from coordinator.report.tables import Table
from motcua.contract import EventKind, EventReason, RatingOutcome


@dataclass(frozen=True)
class ExportColumn:
    key: str
    vi: str
    en: str
    kind: str = "text"  # text, time, int

    def label(self, lang: Lang) -> str:
        return self.vi if lang == "vi" else self.en


#: The per-ticket export's columns, in order (docs/reports.md lists them).
TICKET_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("ticket_id", "Mã phiếu", "Ticket id"),
    ExportColumn("label", "Số phiếu", "Ticket number"),
    ExportColumn("business_day", "Ngày làm việc", "Business day"),
    ExportColumn("issued_at", "Giờ lấy số", "Issued at", "time"),
    ExportColumn("called_at", "Giờ gọi", "Called at", "time"),
    ExportColumn("served_at", "Giờ kết thúc phục vụ", "Served at", "time"),
    ExportColumn("counter", "Quầy", "Counter", "int"),
    ExportColumn("officer_id", "Mã cán bộ", "Officer id"),
    ExportColumn("officer", "Cán bộ", "Officer"),
    ExportColumn("service_id", "Mã lĩnh vực", "Service id"),
    ExportColumn("service", "Lĩnh vực / dịch vụ", "Service"),
    ExportColumn("procedure_code", "Mã thủ tục", "Procedure code"),
    ExportColumn("procedure", "Thủ tục hành chính", "Procedure"),
    ExportColumn("dossier_code", "Mã hồ sơ", "Dossier code"),
    ExportColumn("rating_level", "Mức đánh giá (mã)", "Rating level (key)"),
    ExportColumn("rating", "Mức đánh giá", "Rating"),
    ExportColumn("rating_meaning", "Ý nghĩa mức đánh giá", "Rating meaning"),
    ExportColumn("rating_outcome", "Tình trạng đánh giá", "Rating outcome"),
    ExportColumn("misuse_presses", "Lượt bấm không hợp lệ (không tính)", "Misuse presses (not counted)", "int"),
    ExportColumn("closed_at_day_end", "Tự đóng cuối ngày", "Closed at day end", "int"),
)

NOT_RATED = "not_rated"

Value = str | int | datetime | None


def ticket_rows(records: Records, names: Names, period: Period) -> list[dict[str, Value]]:
    """One row per ticket served in `period`, in issue order."""
    hall = names.hall
    zone = hall.hall.zone
    counted = {r.ticket_id: r for r in records.ratings if r.outcome is RatingOutcome.COUNTED and r.ticket_id}
    misuse: dict[str, int] = {}
    for rating in records.ratings:
        if rating.outcome is RatingOutcome.MISUSE and rating.ticket_id:
            misuse[rating.ticket_id] = misuse.get(rating.ticket_id, 0) + 1
    day_end: set[str] = set()
    for event in records.events:  # the last "served" of a ticket says whether the rollover closed it
        if event.kind is EventKind.SERVED and event.ticket_id:
            if event.reason is EventReason.DAY_END:
                day_end.add(event.ticket_id)
            else:
                day_end.discard(event.ticket_id)
    rows: list[dict[str, Value]] = []
    for ticket in records.tickets:
        if ticket.business_day not in period or ticket.status is not TicketStatus.SERVED:
            continue
        vote = counted.get(ticket.id)

        def local(moment: datetime | None) -> datetime | None:
            return moment.astimezone(zone).replace(microsecond=0) if moment is not None else None

        rows.append(
            {
                "ticket_id": ticket.id,
                "label": ticket.label,
                "business_day": ticket.business_day.isoformat(),
                "issued_at": local(ticket.issued_at),
                "called_at": local(ticket.called_at),
                "served_at": local(ticket.finished_at),
                "counter": ticket.counter,
                "officer_id": ticket.officer,
                "officer": names.of("officer", ticket.officer) if ticket.officer else None,
                "service_id": ticket.service,
                "service": names.of("service", ticket.service),
                "procedure_code": ticket.procedure,
                "procedure": names.of("procedure", ticket.procedure) if ticket.procedure else None,
                "dossier_code": ticket.dossier_code,
                "rating_level": vote.level if vote else None,
                "rating": names.level(vote.level) if vote else None,
                "rating_meaning": vote.meaning.value if vote else None,
                "rating_outcome": RatingOutcome.COUNTED.value if vote else NOT_RATED,
                "misuse_presses": misuse.get(ticket.id, 0),
                "closed_at_day_end": int(ticket.id in day_end),
            }
        )
    return rows


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_tickets_csv(rows: Sequence[Mapping[str, Value]], lang: Lang, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([column.label(lang) for column in TICKET_COLUMNS])
        for row in rows:
            writer.writerow([_text(row[column.key]) for column in TICKET_COLUMNS])
    return path


def write_tickets_json(rows: Sequence[Mapping[str, Value]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = [
        {c.key: row[c.key] if c.kind == "int" else (_text(row[c.key]) or None) for c in TICKET_COLUMNS} for row in rows
    ]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def write_tickets_xlsx(rows: Sequence[Mapping[str, Value]], lang: Lang, path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = text("tickets_sheet", lang)
    sheet.append([column.label(lang) for column in TICKET_COLUMNS])
    for row in rows:
        sheet.append([_xlsx_cell(row[column.key]) for column in TICKET_COLUMNS])
    for index, column in enumerate(TICKET_COLUMNS, start=1):
        if column.kind == "time":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "dd/mm/yyyy hh:mm:ss"
    _finish_sheet(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_tables_xlsx(tables: Mapping[str, Table], path: Path) -> Path:
    """Every table of the report as a sheet: the CSV's headers and figures (decimals rounded as in the CSV)."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for table in tables.values():
        sheet = workbook.create_sheet(_sheet_title(table.title, workbook.sheetnames))
        sheet.append([column.label for column in table.columns])
        for row in table.rows:
            sheet.append([_xlsx_cell(value) for value in row.cells])
        for index, column in enumerate(table.columns, start=1):
            if column.kind == "dec":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0"
        _finish_sheet(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, Fraction):
        return float(round_half_up(value))  # the CSV's one decimal, as a number
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: hall time, as the CSV shows it
    return value


def _finish_sheet(sheet: Any) -> None:
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 48)


def _sheet_title(title: str, taken: Sequence[str]) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name; names are unique."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31]
    n = 2
    while cleaned in taken:
        cleaned = f"{cleaned[:28]} {n}"
        n += 1
    return cleaned
