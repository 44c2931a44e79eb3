"""Why citizens were unsatisfied: the reasons ticked on a counter screen's tablet after a low rating, counted per
reason for each officer and each service (its own table, beside the satisfaction tables; docs/reports.md).

Only counted ratings are taken (one per ticket, as in every satisfaction figure): a vote inside the lockout or
for a ticket already rated adds no reason either. A vote may carry several reasons: each is counted once, so the
reasons of a line may add up to more than its low ratings.

Written as ``{stem}_reasons.csv`` and as a table of the HTML page (`html_reasons_table`: the page's scope, if any).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from coordinator.report.labels import Names
from coordinator.report.metrics import Scope
from coordinator.report.period import Period, business_day_of
from coordinator.report.tables import Cell, Column, Row, Table
from coordinator.store import StoredRating
from motcua.contract import RatingOutcome
from motcua.hall import HallConfig

#: The counter screen's default reasons (counter_screen.config.DEFAULT_REASONS): a hall's own ids are shown as
#: they are written.
REASON_NAMES: Mapping[str, tuple[str, str]] = {
    "attitude": ("Thái độ phục vụ", "Staff attitude"),
    "wait": ("Thời gian chờ", "Waiting time"),
    "guidance": ("Hướng dẫn chưa rõ", "Unclear guidance"),
    "other": ("Khác", "Other"),
}


@dataclass(frozen=True)
class ReasonCounts:
    by_officer: dict[tuple[str | None, str], int]  # (officer, reason) -> votes
    by_service: dict[tuple[str | None, str], int]  # (service, reason) -> votes
    total: dict[str, int]  # reason -> votes
    rated: int  # counted ratings that carried at least one reason


def count_reasons(ratings: Iterable[StoredRating], hall: HallConfig, period: Period) -> ReasonCounts:
    zone, starts_at = hall.hall.zone, hall.hall.day_starts_at
    by_officer: Counter[tuple[str | None, str]] = Counter()
    by_service: Counter[tuple[str | None, str]] = Counter()
    total: Counter[str] = Counter()
    rated = 0
    for rating in ratings:
        if rating.outcome is not RatingOutcome.COUNTED or not rating.reasons:
            continue
        if business_day_of(rating.pressed_at, zone, starts_at) not in period:
            continue
        rated += 1
        for reason in dict.fromkeys(rating.reasons):
            by_officer[(rating.officer, reason)] += 1
            by_service[(rating.service, reason)] += 1
            total[reason] += 1
    return ReasonCounts(dict(by_officer), dict(by_service), dict(total), rated)


def reason_name(reason: str, lang: str) -> str:
    vi, en = REASON_NAMES.get(reason, (reason, reason))
    return vi if lang == "vi" else en


def reasons_table(counts: ReasonCounts, names: Names) -> Table:
    """One row per officer and per service, one column per reason (most frequent first), and the hall's total."""
    lang = names.lang
    vi = lang == "vi"
    reasons = sorted(counts.total, key=lambda r: (-counts.total[r], r))
    columns = (
        Column("dim", "Theo" if vi else "By", "text"),
        Column("key", "Mã" if vi else "Id", "text"),
        Column("name", "Tên" if vi else "Name", "text"),
        *(Column(f"reason_{r}", reason_name(r, lang), "int", group="Lý do" if vi else "Reasons") for r in reasons),
    )
    rows: list[Row] = []
    for dim, table, heading in (
        ("officer", counts.by_officer, "Theo cán bộ" if vi else "By officer"),
        ("service", counts.by_service, "Theo lĩnh vực" if vi else "By service"),
    ):
        for key in sorted({k for k, _ in table}, key=lambda k: (k is None, k or "")):
            cells: tuple[Cell, ...] = (dim, key or "", names.of(dim, key))  # type: ignore[arg-type]
            rows.append(Row((*cells, *(table.get((key, r), 0) for r in reasons)), dim, key or "", False, heading))  # type: ignore[arg-type]
    rows.append(Row(("hall", "", "Tổng" if vi else "Total", *(counts.total[r] for r in reasons)), "hall", "hall", True))
    return Table("reasons", "Lý do chưa hài lòng" if vi else "Reasons for dissatisfaction", columns, rows)


def write_reasons_csv(
    ratings: Iterable[StoredRating], hall: HallConfig, period: Period, names: Names, out: Path, stem: str
) -> list[Path]:
    """``{stem}_reasons.csv`` (UTF-8 with BOM, as the other tables) when any counted rating carried reasons."""
    counts = count_reasons(ratings, hall, period)
    if not counts.rated:
        return []
    table = reasons_table(counts, names)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}_{table.name}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([column.label for column in table.columns])
        for row in table.rows:
            writer.writerow(["" if cell is None else str(cell) for cell in row.cells])
    return [path]


#: Under the HTML table: what is counted.
REASONS_NOTE = {
    "vi": "Chỉ tính các lượt đánh giá hợp lệ; một lượt đánh giá có thể chọn nhiều lý do.",
    "en": "Counted ratings only; a rating may give several reasons.",
}


def html_reasons_table(
    ratings: Iterable[StoredRating], hall: HallConfig, period: Period, names: Names, scope: Scope | None
) -> Table | None:
    """The reasons as the HTML page shows them (names, one column per reason; the rows under "Theo cán bộ" and
    "Theo lĩnh vực"), for the page's scope; None when no counted rating of it carried reasons, or for a
    procedure's page (a rating knows its officer, service and counter, not the procedure)."""
    if scope is not None:
        if scope.dim == "procedure":
            return None
        ratings = [r for r in ratings if str(getattr(r, scope.dim)) == scope.key]
    counts = count_reasons(ratings, hall, period)
    if not counts.rated:
        return None
    table = reasons_table(counts, names)
    return table.view(["name", *(key for key in table.keys if key.startswith("reason_"))])
