"""`motcua report` on a month of the sample hall: every figure cross-checked, the HTML parsed, the CSV round-tripped.

The month comes from tests/test_report_month.py (the real coordinator, driven like the hall's devices). The
expected figures here are computed from that generation's log — what the kiosks, keypads and pads were told,
what the simulated people did — never from the database or the report's own code. Rounding: half up, one
decimal (docs/reports.md), done here with `decimal`.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from test_report_month import (
    LAST_DAY,
    MONTH_FIRST,
    MONTH_LAST,
    WARD_HALL,
    MonthLog,
    SessionLog,
    TicketLog,
    generate_month,
    month_log,
)

from coordinator.report.cli import main as report_main
from coordinator.store import Store
from motcua.cli import main as motcua_main
from motcua.contract import RatingLevel, RatingMeaning, RatingOutcome
from motcua.hall import PRESETS, RatingSection, load_hall, load_procedures

pytestmark = pytest.mark.slow  # generates months of a hall through the real coordinator (45 s)

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "test-output" / "report"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LEVELS = ("satisfied", "neutral", "unsatisfied")
GROUP_LABELS = {
    "hall": "Toàn bộ phận",
    "service": "Lĩnh vực / dịch vụ",
    "counter": "Quầy",
    "officer": "Cán bộ",
    "procedure": "Thủ tục hành chính",
}

#: The documented CSV columns (docs/reports.md), in order, with the report's Vietnamese headers.
SATISFACTION_COLUMNS = {
    "group": "Nhóm",
    "id": "Mã",
    "name": "Tên",
    "counted": "Tổng số lượt đánh giá",
    "satisfied_n": "Hài lòng: số lượt",
    "satisfied_pct": "Hài lòng: tỷ lệ (%)",
    "neutral_n": "Bình thường: số lượt",
    "neutral_pct": "Bình thường: tỷ lệ (%)",
    "unsatisfied_n": "Không hài lòng: số lượt",
    "unsatisfied_pct": "Không hài lòng: tỷ lệ (%)",
    "misuse": "Lượt bấm không hợp lệ (không tính)",
    "unbound": "Lượt bấm không gắn với lượt phục vụ (không tính)",
    "served": "Số lượt đã phục vụ",
    "rated_pct": "Tỷ lệ được đánh giá (%)",
    "project_pct": "Tỷ lệ hài lòng trên lượt đánh giá (%)",
    "served_unsatisfied": "Lượt phục vụ bị đánh giá không hài lòng",
    "national_pct": "Tỷ lệ hài lòng theo Bộ chỉ số 766 (%)",
}
UNIT_OFFICER_COLUMNS = {
    "no": "STT",
    "unit_id": "Mã đơn vị",
    "unit": "Đơn vị",
    "officer_id": "Mã cán bộ",
    "officer": "Cán bộ",
    "counted": "Tổng số lượt đánh giá",
    **{
        k: v
        for k, v in SATISFACTION_COLUMNS.items()
        if k.endswith(("_n", "_pct")) and k not in ("rated_pct", "project_pct", "national_pct")
    },
}
QUEUE_COLUMNS = {
    "group": "Nhóm",
    "id": "Mã",
    "name": "Tên",
    "issued": "Phiếu đã cấp",
    "called": "Được gọi lần đầu",
    "served": "Đã phục vụ",
    "auto_closed": "Trong đó: tự đóng cuối ngày",
    "no_show": "Vắng mặt khi gọi",
    "transferred_out": "Chuyển sang dịch vụ khác",
    "transferred_in": "Nhận chuyển đến",
    "cancelled": "Hủy (không in được)",
    "expired": "Chưa được gọi khi hết ngày",
    "open": "Đang chờ / đang phục vụ",
    "wait_mean": "Chờ: trung bình (phút)",
    "wait_median": "Chờ: trung vị (phút)",
    "wait_p90": "Chờ: 90% không quá (phút)",
    "target": "Thời gian chờ mục tiêu (phút)",
    "within_target_pct": "Được gọi trong thời gian mục tiêu (%)",
    "service_mean": "Phục vụ: trung bình (phút)",
    "service_median": "Phục vụ: trung vị (phút)",
    "service_p90": "Phục vụ: 90% không quá (phút)",
    "signed_in_h": "Giờ có mặt tại quầy",
    "paused_h": "Giờ tạm dừng",
    "serving_h": "Giờ phục vụ",
    "busy_pct": "Tỷ lệ thời gian phục vụ (%)",
}
WEEKLY_COLUMNS = {
    "week_from": "Từ ngày",
    "week_to": "Đến ngày",
    "counted": "Tổng số lượt đánh giá",
    "satisfied_n": "Hài lòng",
    "neutral_n": "Bình thường",
    "unsatisfied_n": "Không hài lòng",
    "satisfied_pct": "Tỷ lệ hài lòng (%)",
    "misuse": "Lượt bấm không hợp lệ (không tính)",
    "unbound": "Lượt bấm không gắn với lượt phục vụ (không tính)",
    "issued": "Phiếu đã cấp",
    "served": "Đã phục vụ",
    "wait_mean": "Chờ: trung bình (phút)",
    "national_pct": "Tỷ lệ hài lòng theo Bộ chỉ số 766 (%)",
}
COMPARISON_COLUMNS = {
    "figure": "Chỉ tiêu",
    "name": "Tên",
    "current": "Kỳ này",
    "previous": "Kỳ trước (01/09/2026–30/09/2026)",
    "change": "Tăng (+) / giảm (−)",
}
HEATMAP_COLUMNS = {
    "weekday_no": "Thứ tự ngày (1 = thứ Hai)",
    "weekday": "Thứ",
    "hour": "Giờ lấy số",
    "tickets": "Số phiếu",
    "mean_wait": "Chờ trung bình (phút)",
}
#: Queue figures a grouping cannot carry: empty cells (docs/reports.md).
QUEUE_NOT_APPLICABLE = {
    "hall": {"transferred_in", "target"},
    "service": {"signed_in_h", "paused_h", "serving_h", "busy_pct"},
    "counter": {"issued", "transferred_in", "cancelled", "expired", "open", "target"},
    "officer": {"issued", "transferred_in", "cancelled", "expired", "open", "target"},
    "procedure": {"transferred_in", "target", "signed_in_h", "paused_h", "serving_h", "busy_pct"},
}
SATISFACTION_NOT_APPLICABLE = {
    "hall": set(),
    "counter": set(),
    "service": {"unbound"},
    "officer": {"unbound"},
    "procedure": {"unbound"},
}


# --- the expected figures, from the generation log -----------------------------------------------------------


@dataclass
class Fact:
    """One thing that happened, attributed the way docs/reports.md says."""

    kind: str  # issue, wait, outcome, transfer, transfer_in, rating, session
    day: date
    counter: int | None = None
    officer: str | None = None
    service: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    procedure: str | None = None  # the ticket's scanned procedure code

    def key(self, dim: str) -> str | None:
        if dim == "hall":
            return "hall"
        if dim == "procedure":
            return self.procedure
        if dim == "counter":
            return None if self.counter is None else str(self.counter)
        return self.officer if dim == "officer" else self.service


def seconds(delta: timedelta) -> Fraction:
    return Fraction(round(delta.total_seconds() * 1_000_000), 1_000_000)


def ticket_facts(ticket: TicketLog, targets: dict[str, int]) -> list[Fact]:
    day = ticket.day
    facts = [Fact("issue", day, service=ticket.issued_service)]
    visits = ticket.visits
    if visits:
        first = visits[0]
        wait = seconds(first.called_at - ticket.issued_at)
        local = ticket.issued_at.astimezone(ZONE)
        facts.append(
            Fact(
                "wait",
                day,
                first.counter,
                first.officer,
                ticket.issued_service,
                {"wait": wait, "within": wait <= 60 * targets[ticket.issued_service], "hour": local.hour},
            )
        )
    for index, visit in enumerate(visits):
        if visit.end == "transferred":
            target = visits[index + 1].service if index + 1 < len(visits) else ticket.service
            facts.append(Fact("transfer", day, visit.counter, visit.officer, visit.service))
            facts.append(Fact("transfer_in", day, service=target))
    last = visits[-1] if visits else None
    if ticket.cancelled:
        facts.append(Fact("outcome", day, service=ticket.service, data={"status": "cancelled"}))
    elif last is not None and last.end in ("served", "auto_closed", "no_show", None):
        status = {"served": "served", "auto_closed": "served", "no_show": "no_show", None: "open"}[last.end]
        data: dict[str, Any] = {"status": status, "auto": last.end == "auto_closed", "ticket": ticket.id}
        if last.end == "served":
            assert last.ended_at is not None
            data["service_time"] = seconds(last.ended_at - last.called_at)
        facts.append(Fact("outcome", day, last.counter, last.officer, ticket.service, data))
    else:  # never called, or transferred and not called again
        status = "expired" if ticket.expired else "open"
        facts.append(Fact("outcome", day, service=ticket.service, data={"status": status}))
    for fact in facts:
        if fact.kind in ("issue", "wait", "outcome"):  # a ticket's procedure is where it started and ended
            fact.procedure = ticket.procedure
    return facts


def session_fact(session: SessionLog, log: MonthLog) -> Fact:
    end = session.end or session.last_action
    assert end is not None
    paused = sum((seconds((p[1] or end) - p[0]) for p in session.pauses if p[0] is not None), Fraction(0))
    serving = Fraction(0)
    for ticket in log.tickets.values():
        for visit in ticket.visits:
            if visit.session is session and visit.end in ("served", "no_show", "transferred"):
                assert visit.ended_at is not None
                serving += seconds(visit.ended_at - visit.called_at)
    return Fact(
        "session",
        session.start.astimezone(ZONE).date(),
        session.counter,
        session.officer,
        None,
        {"signed_in": seconds(end - session.start), "paused": paused, "serving": serving},
    )


_FACTS: dict[int, list[Fact]] = {}


def all_facts(log: MonthLog) -> list[Fact]:
    if id(log) not in _FACTS:
        _FACTS[id(log)] = _all_facts(log)
    return _FACTS[id(log)]


def _all_facts(log: MonthLog) -> list[Fact]:
    targets = {s.id: s.target_wait_min for s in log.hall.services}
    facts: list[Fact] = []
    for ticket in log.tickets.values():
        facts += ticket_facts(ticket, targets)
    for rating in log.ratings:
        assert rating.acked is rating.expected  # checked in test_report_month; relied on here
        facts.append(
            Fact(
                "rating",
                rating.pressed_at.astimezone(ZONE).date(),
                rating.counter,
                rating.officer,
                rating.service,
                {"outcome": rating.expected.value, "level": rating.level},
                log.tickets[rating.ticket_id].procedure if rating.ticket_id else None,
            )
        )
    facts += [session_fact(s, log) for s in log.sessions]
    return facts


def dec(value: Fraction | int | None) -> str:
    """The CSV's way: one decimal, half up; '' for nothing."""
    if value is None:
        return ""
    exact = Decimal(Fraction(value).numerator) / Decimal(Fraction(value).denominator)
    return str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct(part: Fraction | int, whole: Fraction | int) -> str:
    return dec(Fraction(part) * 100 / whole) if whole else ""


def stats(values: list[Fraction]) -> tuple[str, str, str]:
    """Mean, median and 90th percentile (Excel's PERCENTILE.INC), in minutes."""
    if not values:
        return "", "", ""
    mean = sum(values, Fraction(0)) / len(values)
    median = statistics.median(values)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    return dec(mean / 60), dec(Fraction(median) / 60), dec(Fraction(p90) / 60)


class Expected:
    """The report's figures, recomputed from the log for a period and an optional restriction."""

    def __init__(self, log: MonthLog, first: date, last: date, scope: tuple[str, str] | None = None) -> None:
        self.log, self.first, self.last, self.scope = log, first, last, scope
        self.hall = log.hall
        self.preset = log.hall.rating.preset or "three-levels"
        facts = [f for f in all_facts(log) if first <= f.day <= last]
        if scope is not None:
            facts = [f for f in facts if f.key(scope[0]) == scope[1]]
        self.facts = facts

    def meaning(self, level: str) -> str:
        """What `level` counts as, as the hall's scale defines it (docs/reports.md, "Rating scales")."""
        return {lv["key"]: lv["meaning"] for lv in PRESETS[self.preset]}[level]

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(level["key"] for level in PRESETS[self.preset])

    def names(self, dim: str, key: str) -> str:
        if dim == "hall":
            return "Toàn bộ phận"
        if dim == "service":
            return self.hall.service(key).name
        if dim == "counter":
            return f"Quầy {key}"
        if dim == "procedure":
            return next(p.name for p in load_procedures(self.hall) if p.code == key)
        return self.hall.officer_name(key) or key

    def keys(self, dim: str) -> list[str]:
        present = {f.key(dim) for f in self.facts} - {None}
        if dim == "service":
            order = [s.id for s in self.hall.services]
        elif dim == "counter":
            order = [str(c.number) for c in self.hall.counters]
        elif dim == "procedure":  # only the period's, by code
            return sorted(k for k in present if k is not None)
        else:
            order = [o.id for o in self.hall.officers]
        return [k for k in order if self.scope is None or k in present]

    def of(self, kind: str, dim: str, key: str) -> list[Fact]:
        return [f for f in self.facts if f.kind == kind and f.key(dim) == key]

    def queue(self, dim: str, key: str) -> dict[str, str]:
        of = self.of
        outcomes = of("outcome", dim, key)
        status = [o.data["status"] for o in outcomes]
        waits = of("wait", dim, key)
        sessions = of("session", dim, key)
        signed_in = sum((s.data["signed_in"] for s in sessions), Fraction(0))
        serving = sum((s.data["serving"] for s in sessions), Fraction(0))
        timed = [o.data["service_time"] for o in outcomes if "service_time" in o.data]
        row = {
            "group": GROUP_LABELS[dim],
            "id": key,
            "name": self.names(dim, key),
            "issued": str(len(of("issue", dim, key))),
            "called": str(len(waits)),
            "served": str(status.count("served")),
            "auto_closed": str(sum(1 for o in outcomes if o.data.get("auto"))),
            "no_show": str(status.count("no_show")),
            "transferred_out": str(len(of("transfer", dim, key))),
            "transferred_in": str(len(of("transfer_in", dim, key))),
            "cancelled": str(status.count("cancelled")),
            "expired": str(status.count("expired")),
            "open": str(status.count("open")),
            "target": str(self.hall.service(key).target_wait_min) if dim == "service" else "",
            "within_target_pct": pct(sum(1 for w in waits if w.data["within"]), len(waits)),
            "signed_in_h": dec(signed_in / 3600),
            "paused_h": dec(sum((s.data["paused"] for s in sessions), Fraction(0)) / 3600),
            "serving_h": dec(serving / 3600),
            "busy_pct": pct(serving, signed_in),
        }
        row["wait_mean"], row["wait_median"], row["wait_p90"] = stats([w.data["wait"] for w in waits])
        row["service_mean"], row["service_median"], row["service_p90"] = stats(timed)
        empty = QUEUE_NOT_APPLICABLE[dim] | (QUEUE_NOT_APPLICABLE[self.scope[0]] if self.scope else set())
        return {k: ("" if k in empty else v) for k, v in row.items()}

    def satisfaction(self, dim: str, key: str) -> dict[str, str]:
        ratings = self.of("rating", dim, key)
        counted = [r for r in ratings if r.data["outcome"] == "counted"]
        served_tickets = [o.data["ticket"] for o in self.of("outcome", dim, key) if o.data["status"] == "served"]
        served = len(served_tickets)
        # The tickets' own counted votes, from the generation log (not the report's attribution of votes).
        voted = {r.ticket_id: r.level for r in self.log.ratings if r.expected is RatingOutcome.COUNTED}
        unsatisfied = {k for k in self.levels if self.meaning(k) == "unsatisfied"}
        satisfied = {k for k in self.levels if self.meaning(k) == "satisfied"}
        served_unsatisfied = sum(1 for t in served_tickets if voted.get(t) in unsatisfied)
        row = {"group": GROUP_LABELS[dim], "id": key, "name": self.names(dim, key), "counted": str(len(counted))}
        for level in self.levels:
            n = sum(1 for r in counted if r.data["level"] == level)
            row[f"{level}_n"], row[f"{level}_pct"] = str(n), pct(n, len(counted))
        row["misuse"] = str(sum(1 for r in ratings if r.data["outcome"] == "misuse"))
        row["unbound"] = str(sum(1 for r in ratings if r.data["outcome"] == "unbound"))
        row["served"] = str(served)
        row["rated_pct"] = pct(len(counted), served)
        row["project_pct"] = pct(sum(1 for r in counted if r.data["level"] in satisfied), len(counted))
        row["served_unsatisfied"] = str(served_unsatisfied)
        row["national_pct"] = pct(served - served_unsatisfied, served)
        empty = SATISFACTION_NOT_APPLICABLE[dim] | (SATISFACTION_NOT_APPLICABLE[self.scope[0]] if self.scope else set())
        return {k: ("" if k in empty else v) for k, v in row.items()}

    def rows(self, table: str, breakdowns: Iterable[str]) -> list[dict[str, str]]:
        compute = self.queue if table == "queue" else self.satisfaction
        total_dim, total_key = self.scope if self.scope else ("hall", "hall")
        result = [compute(total_dim, total_key)]
        for dim in breakdowns:
            result += [compute(dim, key) for key in self.keys(dim)]
        return result

    def unit_officer(self) -> list[dict[str, str]]:
        counted = [f for f in self.facts if f.kind == "rating" and f.data["outcome"] == "counted"]
        rows: list[dict[str, str]] = []
        number = 0
        officer_order = [o.id for o in self.hall.officers]

        def line(no: str, unit_id: str, unit: str, officer_id: str, officer: str, facts: list[Fact]) -> dict[str, str]:
            row = {"no": no, "unit_id": unit_id, "unit": unit, "officer_id": officer_id, "officer": officer}
            row["counted"] = str(len(facts))
            for level in self.levels:
                n = sum(1 for f in facts if f.data["level"] == level)
                row[f"{level}_n"], row[f"{level}_pct"] = str(n), pct(n, len(facts))
            return row

        # Each officer once, under the unit of most of their counted ratings (ties: hall.toml's order); officers
        # without ratings under their counter's first service, listed with zeros when the report is not restricted.
        order = [s.id for s in self.hall.services]
        units: dict[str, str] = {}
        for officer in {f.officer for f in counted if f.officer and f.service}:
            mine = [f.service for f in counted if f.officer == officer and f.service]
            units[officer] = max(order, key=lambda s: (mine.count(s), -order.index(s)))
        if self.scope is None:
            for o in self.hall.officers:
                if o.id not in units:
                    home = [c.services[0] for c in self.hall.counters if c.officer == o.id]
                    units[o.id] = home[0] if home else order[0]
        for service in self.hall.services:
            members = [o for o in officer_order if units.get(o) == service.id]
            nobody = [f for f in counted if f.service == service.id and f.officer is None]
            if not members and not nobody:
                continue
            unit: list[Fact] = []
            for officer in members:
                mine = [f for f in counted if f.officer == officer and f.service]
                number += 1
                rows.append(line(str(number), service.id, service.name, officer, self.names("officer", officer), mine))
                unit += mine
            rows.append(line("", service.id, service.name, "", "Cộng", unit + nobody))
        rows.append(line("", "", "Tổng cộng", "", "Tổng cộng", counted))
        return rows

    def weekly(self) -> list[dict[str, str]]:
        rows = []
        start = self.first
        while start <= self.last:
            end = min(start + timedelta(days=6 - start.weekday()), self.last)
            week = Expected(self.log, start, end, self.scope)
            dim, key = self.scope if self.scope else ("hall", "hall")
            s, q = week.satisfaction(dim, key), week.queue(dim, key)
            rows.append(
                {
                    "week_from": start.isoformat(),
                    "week_to": end.isoformat(),
                    "counted": s["counted"],
                    **{f"{level}_n": s[f"{level}_n"] for level in self.levels},
                    "satisfied_pct": s["project_pct"],
                    "misuse": s["misuse"],
                    "unbound": s["unbound"],
                    "issued": q["issued"],
                    "served": q["served"],
                    "wait_mean": q["wait_mean"],
                    "national_pct": s["national_pct"],
                }
            )
            start = end + timedelta(days=1)
        return rows

    def heatmap(self) -> list[dict[str, str]]:
        cells: dict[tuple[int, int], list[Fraction]] = {}
        for wait in (f for f in self.facts if f.kind == "wait"):
            cells.setdefault((wait.day.weekday(), wait.data["hour"]), []).append(wait.data["wait"])
        names = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
        return [
            {
                "weekday_no": str(weekday + 1),
                "weekday": names[weekday],
                "hour": str(hour),
                "tickets": str(len(values)),
                "mean_wait": dec(sum(values, Fraction(0)) / len(values) / 60),
            }
            for (weekday, hour), values in sorted(cells.items())
        ]


# --- reading what the report wrote ---------------------------------------------------------------------------


def read_csv(path: Path, columns: dict[str, str]) -> list[dict[str, str]]:
    """Parse a report CSV (checking the BOM, the documented headers and a byte-exact round trip)."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(columns.values()), rows[0]
    again = io.StringIO()
    csv.writer(again, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == text, "writing the parsed rows back gives the same file"
    return [dict(zip(columns, row, strict=True)) for row in rows[1:]]


def run_report(*args: str) -> int:
    return report_main(list(args))


def report_files(out: Path, stem: str) -> dict[str, Path]:
    names = ("satisfaction", "unit_officer", "queue", "weekly", "heatmap")
    return {name: out / f"{stem}_{name}.csv" for name in names}


def assert_rows(table: str, got: list[dict[str, str]], expected: list[dict[str, str]]) -> None:
    assert [(r.get("group"), r.get("id")) for r in got] == [(r.get("group"), r.get("id")) for r in expected], table
    wrong = [
        (table, e.get("id") or e.get("officer_id") or e.get("week_from"), k, g[k], e[k])
        for g, e in zip(got, expected, strict=True)
        for k in e
        if g[k] != e[k]
    ]
    assert not wrong, f"{len(wrong)} figures differ (table, row, column, report, expected): {wrong[:12]}"


def check_all_csv(out: Path, stem: str, expected: Expected, breakdowns: Iterable[str]) -> None:
    files = report_files(out, stem)
    breakdowns = list(breakdowns)
    assert_rows("satisfaction", read_csv(files["satisfaction"], SATISFACTION_COLUMNS), expected.rows("sat", breakdowns))
    assert_rows("queue", read_csv(files["queue"], QUEUE_COLUMNS), expected.rows("queue", breakdowns))
    assert_rows("unit_officer", read_csv(files["unit_officer"], UNIT_OFFICER_COLUMNS), expected.unit_officer())
    assert_rows("weekly", read_csv(files["weekly"], WEEKLY_COLUMNS), expected.weekly())
    assert_rows("heatmap", read_csv(files["heatmap"], HEATMAP_COLUMNS), expected.heatmap())


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> MonthLog:
    return month_log(tmp_path_factory)


@pytest.fixture
def hall_toml() -> str:
    return str(WARD_HALL)


STEM = "phuong-hoa-binh_2026-10-01_2026-10-31"
ALL = ("service", "counter", "officer")


def scale_columns(columns: dict[str, str], preset: str) -> dict[str, str]:
    """The documented columns of a table on another scale: the default levels' columns replaced by one (or one
    pair) per level of the preset, in button order, headed with its label."""
    defaults = ("satisfied", "neutral", "unsatisfied")
    per_level = [k.removeprefix("satisfied") for k in columns if k in ("satisfied_n", "satisfied_pct")]
    if columns.get("satisfied_pct") == "Tỷ lệ hài lòng (%)":  # the weekly table: that one is the rate
        per_level = ["_n"]
    result: dict[str, str] = {}
    for key, header in columns.items():
        if key in {f"{level}{part}" for level in defaults for part in per_level}:
            if key == f"satisfied{per_level[0]}":
                for level in PRESETS[preset]:
                    for part in per_level:
                        result[f"{level['key']}{part}"] = columns[f"satisfied{part}"].replace(
                            "Hài lòng", level["label"]
                        )
            continue
        result[key] = header
    return result


@pytest.mark.parametrize("preset", ["four-faces", "five-stars"])
def test_report_on_a_four_and_a_five_level_scale_matches_an_independent_count(
    preset: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same month on halls with 4 and 5 buttons: every satisfaction figure, both rates, per level and meaning."""
    hall = load_hall(WARD_HALL).model_copy(update={"rating": RatingSection(preset=preset)})  # type: ignore[arg-type]
    folder = tmp_path_factory.mktemp(preset)
    log = generate_month(folder, hall=hall)
    toml = folder / "hall.toml"
    text = WARD_HALL.read_text(encoding="utf-8").replace("[rating]\n", f'[rating]\npreset = "{preset}"\n')
    toml.write_text(text.replace('"procedures.toml"', f'"{WARD_HALL.parent / "procedures.toml"}"'), encoding="utf-8")
    out = folder / "out"
    args = ["--db", str(log.db), "--hall", str(toml), "--period", "month", "--date", "2026-10-15", "--format", "csv"]
    assert run_report(*args, "--out", str(out)) == 0
    expected = Expected(log, MONTH_FIRST, MONTH_LAST)
    files = report_files(out, STEM)
    sat = read_csv(files["satisfaction"], scale_columns(SATISFACTION_COLUMNS, preset))
    assert_rows("satisfaction", sat, expected.rows("sat", ALL))
    unit = read_csv(files["unit_officer"], scale_columns(UNIT_OFFICER_COLUMNS, preset))
    assert_rows("unit_officer", unit, expected.unit_officer())
    assert_rows("weekly", read_csv(files["weekly"], scale_columns(WEEKLY_COLUMNS, preset)), expected.weekly())
    hall_row = sat[0]
    levels = [level["key"] for level in PRESETS[preset]]
    assert sum(int(hall_row[f"{key}_n"]) for key in levels) == int(hall_row["counted"]) > 1000
    assert float(hall_row["national_pct"]) > float(hall_row["project_pct"])  # unrated tickets count as satisfied


# --- the month, figure by figure -----------------------------------------------------------------------------


def test_report_official_form_comes_from_the_halls_config(month: MonthLog, tmp_path: Path, monkeypatch) -> None:
    """The administrative form of a report (Nghị định 30/2020/NĐ-CP's layout) from hall.toml ``[report]``, a
    quarter's period and its comparison with the quarter before."""
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-02T08:00:00+07:00@1")
    form = """
[report]
parent_body = "UBND QUẬN ĐỐNG ĐA"
issuing_body = "UBND PHƯỜNG HÒA BÌNH"
number_suffix = "BC-UBND"
place = "Hòa Bình"
recipients = ["Chủ tịch UBND quận Đống Đa", "Phòng Nội vụ quận"]
prepared_by = "Nguyễn Thị Lan"
signer = "Trần Quốc Toản"
signer_title = "PHÓ CHỦ TỊCH"
signing_authority = "KT. CHỦ TỊCH"
copy_to = ["Như trên", "Lưu: VT, BPMC"]
"""
    toml = tmp_path / "hall.toml"
    text = WARD_HALL.read_text(encoding="utf-8").replace("[rating]\n", form + "\n[rating]\n")
    toml.write_text(text.replace('"procedures.toml"', f'"{WARD_HALL.parent / "procedures.toml"}"'), encoding="utf-8")
    out = tmp_path / "out"
    args = ["--db", str(month.db), "--hall", str(toml), "--period", "quarter", "--date", "2026-10-15"]
    assert run_report(*args, "--out", str(out)) == 0
    stem = "phuong-hoa-binh_2026-10-01_2026-12-31"
    html = (out / f"{stem}.html").read_text("utf-8")
    for expected in (
        "UBND QUẬN ĐỐNG ĐA",
        "UBND PHƯỜNG HÒA BÌNH",
        "Số: …/BC-UBND",
        "Hòa Bình, ngày 02 tháng 11 năm 2026",
        "Kính gửi:",
        "Chủ tịch UBND quận Đống Đa;",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Trần Quốc Toản",
        "NGƯỜI LẬP",
        "Nguyễn Thị Lan",
        "- Lưu: VT, BPMC.",
        "Từ ngày 01/10/2026 đến ngày 31/12/2026",
    ):
        assert expected in html, expected
    header, *rows = read_csv_plain(out / f"{stem}_comparison.csv")
    assert header[3] == "Kỳ trước (01/07/2026–30/09/2026)"
    served = {row[0]: row for row in rows}["served"]
    assert int(served[3]) == sum(  # the previous quarter holds only 30 September of the generated month
        1
        for t in month.tickets.values()
        if t.day.month == 9 and t.visits and t.visits[-1].end in ("served", "auto_closed")
    )
    assert "break-after: avoid" in html


def read_csv_plain(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_report_by_procedure_matches_an_independent_count(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    """``--by procedure``: one row per national procedure code scanned in the month, with its name."""
    args = ["--db", str(month.db), "--hall", hall_toml, "--date", "2026-10-15", "--by", "procedure,officer"]
    assert run_report(*args, "--format", "csv", "--out", str(tmp_path)) == 0
    expected = Expected(month, MONTH_FIRST, MONTH_LAST)
    files = report_files(tmp_path, STEM)
    sat = read_csv(files["satisfaction"], SATISFACTION_COLUMNS)
    assert_rows("satisfaction", sat, expected.rows("sat", ["officer", "procedure"]))
    assert_rows("queue", read_csv(files["queue"], QUEUE_COLUMNS), expected.rows("queue", ["officer", "procedure"]))
    procedures = [row for row in sat if row["group"] == "Thủ tục hành chính"]
    assert len(procedures) >= 5 and all(re.fullmatch(r"\d\.\d{6}", row["id"]) for row in procedures)
    assert sum(int(row["counted"]) for row in procedures) < int(sat[0]["counted"])  # most tickets name no procedure


def test_unit_officer_lists_each_officer_once_and_the_unrated_with_zero(month: MonthLog, tmp_path: Path) -> None:
    hall = load_hall(WARD_HALL)
    extra = hall.officers[0].model_copy(
        update={"id": "ngo-van-tam", "name": "Ngô Văn Tâm", "unit": "ho-tich", "title": None}
    )
    toml = tmp_path / "hall.toml"
    text = WARD_HALL.read_text(encoding="utf-8").replace(
        "[[officers]]\n",
        '[[officers]]\nid = "ngo-van-tam"\nname = "Ngô Văn Tâm"\nunit = "ho-tich"\n\n[[officers]]\n',
        1,
    )
    toml.write_text(text.replace('"procedures.toml"', f'"{WARD_HALL.parent / "procedures.toml"}"'), encoding="utf-8")
    assert load_hall(toml).officers[0] == extra
    out = tmp_path / "out"
    args = ["--db", str(month.db), "--hall", str(toml), "--date", "2026-10-15", "--format", "csv", "--out", str(out)]
    assert run_report(*args) == 0
    rows = read_csv(report_files(out, STEM)["unit_officer"], UNIT_OFFICER_COLUMNS)
    officers = [row["officer_id"] for row in rows if row["no"]]
    assert len(officers) == len(set(officers)) == len(hall.officers) + 1
    (tam,) = [row for row in rows if row["officer_id"] == "ngo-van-tam"]
    assert (tam["unit_id"], tam["counted"], tam["satisfied_pct"]) == ("ho-tich", "0", "")
    counted = [f for f in all_facts(month) if f.kind == "rating" and f.data["outcome"] == "counted"]
    counted = [f for f in counted if MONTH_FIRST <= f.day <= MONTH_LAST]
    for row in rows:
        if row["no"]:
            assert int(row["counted"]) == sum(1 for f in counted if f.officer == row["officer_id"])


def test_report_month_csv_matches_an_independent_count(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    status = run_report(
        "--db",
        str(month.db),
        "--hall",
        hall_toml,
        "--period",
        "month",
        "--date",
        "2026-10-15",
        "--format",
        "csv",
        "--out",
        str(tmp_path),
    )
    assert status == 0
    expected = Expected(month, MONTH_FIRST, MONTH_LAST)
    check_all_csv(tmp_path, STEM, expected, ALL)
    queue = read_csv(report_files(tmp_path, STEM)["queue"], QUEUE_COLUMNS)
    for row in queue:  # every ticket ends somewhere (docs/reports.md)
        ends = sum(int(row[k]) for k in ("served", "no_show", "cancelled", "expired", "open")) if row["open"] else None
        if row["group"] == "Toàn bộ phận":
            assert int(row["issued"]) == ends
        elif row["group"] == "Lĩnh vực / dịch vụ":
            assert int(row["issued"]) + int(row["transferred_in"]) - int(row["transferred_out"]) == ends
    hall_row = read_csv(report_files(tmp_path, STEM)["satisfaction"], SATISFACTION_COLUMNS)[0]
    # duplicates re-sent by the pads' outboxes are stored once: counted once
    assert int(hall_row["counted"]) == sum(
        1
        for r in month.ratings
        if r.expected is RatingOutcome.COUNTED and MONTH_FIRST <= r.pressed_at.date() <= MONTH_LAST
    )
    assert any(MONTH_FIRST <= r.pressed_at.date() <= MONTH_LAST for r in month.duplicates)


def test_report_week_and_day_periods_match(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    # a week (Monday to Sunday) in the middle of the month
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--period",
            "week",
            "--date",
            "2026-10-14",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    check_all_csv(
        tmp_path, "phuong-hoa-binh_2026-10-12_2026-10-18", Expected(month, date(2026, 10, 12), date(2026, 10, 18)), ALL
    )
    # a day with a citizen left at a desk (closed automatically at midnight) and an officer who did not sign out
    auto_day = next(
        t.day
        for t in month.tickets.values()
        if t.visits and t.visits[-1].end == "auto_closed" and MONTH_FIRST <= t.day <= MONTH_LAST
    )
    assert any(s.by_rollover and s.start.astimezone(ZONE).date() == auto_day for s in month.sessions)
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--period",
            "day",
            "--date",
            auto_day.isoformat(),
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    stem = f"phuong-hoa-binh_{auto_day.isoformat()}_{auto_day.isoformat()}"
    check_all_csv(tmp_path, stem, Expected(month, auto_day, auto_day), ALL)
    queue = read_csv(report_files(tmp_path, stem)["queue"], QUEUE_COLUMNS)
    assert int(queue[0]["auto_closed"]) >= 1


@pytest.mark.parametrize(
    ("by", "scope"),
    [
        ("officer=le-thi-hoa", ("officer", "le-thi-hoa")),
        ("officer=Lê Thị Hoa", ("officer", "le-thi-hoa")),
        ("officer=dang thu trang", ("officer", "dang-thu-trang")),
        ("counter=3", ("counter", "3")),
        ("service=chung-thuc", ("service", "chung-thuc")),
    ],
)
def test_report_custom_range_restricted_to_one_name(
    month: MonthLog, hall_toml: str, tmp_path: Path, by: str, scope: tuple[str, str]
) -> None:
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--from",
            "2026-10-05",
            "--to",
            "2026-10-16",
            "--by",
            by,
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    stem = f"phuong-hoa-binh_2026-10-05_2026-10-16_{scope[0]}-{scope[1]}"
    breakdowns = [d for d in ALL if d != scope[0]]
    check_all_csv(tmp_path, stem, Expected(month, date(2026, 10, 5), date(2026, 10, 16), scope), breakdowns)


def test_report_by_one_breakdown_only(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--date",
            "2026-10-01",
            "--by",
            "counter",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    check_all_csv(tmp_path, STEM, Expected(month, MONTH_FIRST, MONTH_LAST), ["counter"])
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--date",
            "2026-10-01",
            "--by",
            "hall",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    check_all_csv(tmp_path, STEM, Expected(month, MONTH_FIRST, MONTH_LAST), [])


def test_report_default_is_the_last_complete_month(
    month: MonthLog, hall_toml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-02T09:30:00+07:00@1")
    assert run_report("--db", str(month.db), "--hall", hall_toml, "--format", "csv", "--out", str(tmp_path)) == 0
    check_all_csv(tmp_path, STEM, Expected(month, MONTH_FIRST, MONTH_LAST), ALL)


def test_report_current_week_counts_what_is_still_open(
    month: MonthLog, hall_toml: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--date today` on the morning the generation stopped: waiting and called tickets, officers still in."""
    monkeypatch.setenv("MOTCUA_CLOCK", "2026-11-02T10:00:00+07:00@1")
    assert (
        run_report(
            "--db", str(month.db), "--hall", hall_toml, "--period", "week", "--date", "today", "--out", str(tmp_path)
        )
        == 0
    )
    stem = "phuong-hoa-binh_2026-11-02_2026-11-08"
    expected = Expected(month, LAST_DAY, date(2026, 11, 8))
    check_all_csv(tmp_path, stem, expected, ALL)
    queue = read_csv(report_files(tmp_path, stem)["queue"], QUEUE_COLUMNS)
    assert int(queue[0]["open"]) > 0
    page = (tmp_path / f"{stem}.html").read_text("utf-8")
    assert "Kỳ báo cáo chưa kết thúc" in page


# --- the HTML page -------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a reader sees: headings, summary figures, table cells by column key, charts."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.headings: dict[str, str] = {}
        self.figures: dict[str, str] = {}
        self.charts: dict[str, int] = {}  # chart -> number of <svg> inside
        self.tables: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {}
        self.external: list[str] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._table: str | None = None
        self._row: tuple[dict[str, str], dict[str, str]] | None = None
        self._chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self._stack.append((tag, a))
        for attribute in ("src", "href"):
            if attribute in a:
                self.external.append(a[attribute])
        if tag == "link" or (tag == "script" and "src" in a):
            self.external.append(tag)
        if tag == "table":
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table and "data-key" in a:
            self._row = (a, {})
            self.tables[self._table].append(self._row)
        elif tag == "figure":
            self._chart = a["data-chart"]
            self.charts[self._chart] = 0
        elif tag == "svg" and self._chart:
            self.charts[self._chart] += 1

    def handle_endtag(self, tag: str) -> None:
        while self._stack and self._stack.pop()[0] != tag:
            pass
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None
        elif tag == "figure":
            self._chart = None

    def handle_data(self, data: str) -> None:
        if not self._stack or self._stack[-1][0] in ("style",):
            return
        self.text.append(data)
        tag, a = self._stack[-1]
        if "data-heading" in a:
            self.headings[a["data-heading"]] = self.headings.get(a["data-heading"], "") + data
        if tag == "b" and len(self._stack) > 1 and "data-figure" in self._stack[-2][1]:
            self.figures[self._stack[-2][1]["data-figure"]] = data.strip()
        if tag == "td" and self._row is not None:
            column = a["data-col"]
            self._row[1][column] = self._row[1].get(column, "") + data


def vi_number(text: str) -> str:
    """'1.234,5' (Vietnamese) -> '1234.5' (CSV); '—' -> ''."""
    text = text.strip().removesuffix("%").strip()
    return "" if text == "—" else text.replace(".", "").replace(",", ".")


def en_number(text: str) -> str:
    text = text.strip().removesuffix("%").strip()
    return "" if text == "—" else text.replace(",", "")


def parse_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text("utf-8"))
    page.close()
    return page


def test_report_html_page_has_the_layout_and_the_csv_figures(month: MonthLog, hall_toml: str) -> None:
    out = ARTEFACTS / "month-vi"
    shutil.rmtree(out, ignore_errors=True)
    assert (
        motcua_main(
            [
                "--log-level",
                "WARNING",
                "report",
                "--db",
                str(month.db),
                "--hall",
                hall_toml,
                "--period",
                "month",
                "--date",
                "2026-10-31",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    page = parse_page(out / f"{STEM}.html")
    assert page.headings["title"] == "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    assert page.headings["period"] == "Từ ngày 01/10/2026 đến ngày 31/10/2026"
    assert page.headings["queue"] == "TÌNH HÌNH TIẾP NHẬN VÀ PHỤC VỤ"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page.text and "Bộ phận Tiếp nhận và Trả kết quả" in "".join(
        page.text
    )
    assert page.charts == {"levels": 1, "weekly": 1, "waits": 1, "heatmap": 1, "busy": 1}
    assert page.external == [], "self-contained: no links, scripts or images from elsewhere"
    html = (out / f"{STEM}.html").read_text("utf-8")
    assert "@page" in html and "size: A4" in html and "break-before: page" in html
    assert "Kỳ báo cáo chưa kết thúc" not in html
    # every figure of every table is the CSV's figure, written the Vietnamese way
    csv_rows = {
        "satisfaction": read_csv(out / f"{STEM}_satisfaction.csv", SATISFACTION_COLUMNS),
        "queue": read_csv(out / f"{STEM}_queue.csv", QUEUE_COLUMNS),
        "unit_officer": read_csv(out / f"{STEM}_unit_officer.csv", UNIT_OFFICER_COLUMNS),
        "weekly": read_csv(out / f"{STEM}_weekly.csv", WEEKLY_COLUMNS),
    }
    source = {"queue_tickets": "queue", "queue_times": "queue", "queue_busy": "queue"}
    tables = {"unit_officer", "satisfaction", "weekly", "queue_tickets", "queue_times", "queue_busy", "comparison"}
    assert set(page.tables) == tables
    csv_rows["comparison"] = read_csv(out / f"{STEM}_comparison.csv", COMPARISON_COLUMNS)
    compared = 0
    for name, rows in page.tables.items():
        table = csv_rows[source.get(name, name)]
        for attributes, cells in rows:
            if name == "comparison":
                match = [r for r in table if r["figure"] == attributes["data-key"]]
            elif name == "weekly":
                match = [r for r in table if r["week_from"] == attributes["data-key"]]
            elif name == "unit_officer":
                match = [
                    r
                    for r in table
                    if (r["officer_id"] or r["unit_id"] or "hall") == attributes["data-key"]
                    and (r["officer_id"] == "") == (attributes["data-dim"] != "officer")
                    and (attributes["data-dim"] != "officer" or r["no"] == cells["no"])
                ]
            else:
                match = [
                    r
                    for r in table
                    if r["id"] == attributes["data-key"] and r["group"] == GROUP_LABELS[attributes["data-dim"]]
                ]
            assert len(match) == 1, (name, attributes)
            for column, shown in cells.items():
                if column in ("name", "officer", "no", "week_from", "week_to"):
                    continue
                assert vi_number(shown) == match[0][column], (name, attributes["data-key"], column, shown)
                compared += 1
    assert compared > 500
    hall = csv_rows["satisfaction"][0]
    queue = csv_rows["queue"][0]
    assert vi_number(page.figures["counted"]) == hall["counted"]
    assert vi_number(page.figures["satisfied_pct"]) == hall["satisfied_pct"]
    assert vi_number(page.figures["excluded"]) == str(int(hall["misuse"]) + int(hall["unbound"]))
    assert vi_number(page.figures["issued"]) == queue["issued"]
    assert vi_number(page.figures["served"]) == queue["served"]
    assert vi_number(page.figures["wait_mean"]) == queue["wait_mean"]
    assert vi_number(page.figures["within_target_pct"]) == queue["within_target_pct"]
    comparison = {row["figure"]: row for row in csv_rows["comparison"]}
    assert comparison["project_pct"]["current"] == hall["project_pct"]
    assert comparison["national_pct"]["current"] == hall["national_pct"]
    assert comparison["served"]["current"] == queue["served"]
    assert vi_number(page.figures["national_pct"]) == hall["national_pct"]
    assert "Số: …/BC" in html and "Nơi nhận:" in html and "NGƯỜI LẬP" in html


def test_report_in_english(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--date",
            "2026-10-01",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "en"),
        )
        == 0
    )
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--date",
            "2026-10-01",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "vi"),
        )
        == 0
    )
    page = parse_page(tmp_path / "en" / f"{STEM}.html")
    assert page.headings["title"] == "CITIZEN SATISFACTION REPORT"
    assert page.headings["period"] == "From 2026-10-01 to 2026-10-31"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in page.text
    assert "Satisfied" in "".join(page.text)
    english = list(csv.reader(io.StringIO((tmp_path / "en" / f"{STEM}_satisfaction.csv").read_text("utf-8-sig"))))
    vietnamese = list(csv.reader(io.StringIO((tmp_path / "vi" / f"{STEM}_satisfaction.csv").read_text("utf-8-sig"))))
    assert english[0][:6] == ["Group", "Id", "Name", "Ratings counted", "Satisfied: count", "Satisfied: share (%)"]
    assert len(english) == len(vietnamese)
    for en_row, vi_row in zip(english[1:], vietnamese[1:], strict=True):
        assert en_row[1] == vi_row[1] and en_row[3:] == vi_row[3:]  # same figures, only the words change
    assert english[2][2] == "Civil status and adoption"
    hall = page.tables["satisfaction"][0][1]
    assert en_number(hall["counted"]) == vietnamese[1][3]
    assert "," in hall["counted"] or int(vietnamese[1][3]) < 1000  # 1,367: English thousands


# --- mistakes get one clear line and status 2 ----------------------------------------------------------------


def fails(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    status = motcua_main(["--log-level", "WARNING", "report", *args])
    captured = capsys.readouterr()
    assert status == 2, captured
    assert "Traceback" not in captured.err and captured.err.count("\n") <= 3, captured.err
    return captured.err


def test_report_mistakes_are_explained(
    month: MonthLog, hall_toml: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(month.db)
    out = str(tmp_path / "out")
    base = ["--hall", hall_toml, "--out", out]
    assert "database not found" in fails(capsys, "--db", str(tmp_path / "nowhere.db"), *base)
    assert "is not a database file" in fails(capsys, "--db", str(tmp_path), *base)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n" * 100)
    assert "not a" in fails(capsys, "--db", str(junk), *base)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert "not a coordinator database" in fails(capsys, "--db", str(empty), *base)
    message = fails(capsys, "--db", db, *base, "--period", "month", "--date", "2026-12-01")
    assert "nothing was recorded between 2026-12-01 and 2026-12-31" in message and "2026-09-30" in message
    message = fails(capsys, "--db", db, *base, "--date", "2026-10-01", "--by", "officer=nguyen-thi-lann")
    assert "unknown officer 'nguyen-thi-lann'" in message and "did you mean 'nguyen-thi-lan'" in message
    assert "unknown counter '9'" in fails(capsys, "--db", db, *base, "--date", "2026-10-01", "--by", "counter=9")
    assert "unknown service" in fails(capsys, "--db", db, *base, "--date", "2026-10-01", "--by", "service=thue")
    worked = {s.start.astimezone(ZONE).date() for s in month.sessions if s.officer == "le-thi-hoa"}
    day_off = next(d for d in sorted({s.start.astimezone(ZONE).date() for s in month.sessions}) if d not in worked)
    message = fails(
        capsys, "--db", db, *base, "--period", "day", "--date", day_off.isoformat(), "--by", "officer=le-thi-hoa"
    )
    assert "officer 'Lê Thị Hoa' has no activity" in message
    assert "nothing was recorded" in fails(capsys, "--db", db, *base, "--period", "day", "--date", "2026-10-04")
    assert "--from and --to go together" in fails(capsys, "--db", db, *base, "--from", "2026-10-01")
    assert "either --from/--to or --period" in fails(
        capsys, "--db", db, *base, "--from", "2026-10-01", "--to", "2026-10-02", "--period", "week"
    )
    assert "ends (01/10/2026) before it starts" in fails(
        capsys, "--db", db, *base, "--from", "2026-10-05", "--to", "2026-10-01"
    )
    assert "expected a date" in fails(capsys, "--db", db, *base, "--date", "31/10/2026")
    assert "--format 'pdf'" in fails(capsys, "--db", db, *base, "--format", "pdf")
    assert "--by 'unit'" in fails(capsys, "--db", db, *base, "--by", "unit")
    # a database from another hall: same file, a hall.toml with other services and counters
    other = tmp_path / "other-hall.toml"
    text = WARD_HALL.read_text("utf-8").replace('procedures = "procedures.toml"\n', "")
    other.write_text(
        text.replace("ho-tich", "ho-tich-va-nuoi-con-nuoi").replace('site = "phuong-hoa-binh"', 'site = "xa-an-binh"'),
        encoding="utf-8",
    )
    message = fails(capsys, "--db", db, "--hall", str(other), "--out", out, "--date", "2026-10-01")
    # the coordinator records its hall in the database: the mismatch is named exactly
    assert "belongs to hall 'phuong-hoa-binh', not 'xa-an-binh'" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir()), "nothing half-written"


def test_report_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert report_main(["--hall", "x.toml"]) == 2
    assert "required" in capsys.readouterr().err


# --- reading never disturbs the coordinator ------------------------------------------------------------------


def test_report_reads_beside_a_writing_coordinator(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    """A report made while the coordinator holds a write transaction sees committed data only and blocks no one."""
    db = tmp_path / "coordinator.db"
    shutil.copy(month.db, db)
    store = Store(db)  # the coordinator's own connection (WAL)
    try:
        store.begin()
        pressed = datetime(2026, 10, 15, 9, 0, tzinfo=ZONE)
        store.add_rating(
            rating_id="late-vote",
            counter=1,
            level=RatingLevel.UNSATISFIED,
            meaning=RatingMeaning.UNSATISFIED,
            pressed_at=pressed,
            received_at=pressed,
            outcome=RatingOutcome.UNBOUND,
            ticket_id=None,
            officer=None,
            service=None,
            device="pad-1",
            reason="test",
        )
        args = ["--db", str(db), "--hall", hall_toml, "--date", "2026-10-15", "--by", "counter", "--format", "csv"]
        assert run_report(*args, "--out", str(tmp_path / "before")) == 0
        store.commit()  # the report left no lock behind
        assert run_report(*args, "--out", str(tmp_path / "after")) == 0
    finally:
        store.close()
    before = read_csv(tmp_path / "before" / f"{STEM}_satisfaction.csv", SATISFACTION_COLUMNS)[0]
    after = read_csv(tmp_path / "after" / f"{STEM}_satisfaction.csv", SATISFACTION_COLUMNS)[0]
    assert int(after["unbound"]) == int(before["unbound"]) + 1
    assert after["counted"] == before["counted"]


def test_the_levels_chart_reads_in_black_and_white(month: MonthLog, hall_toml: str, tmp_path: Path) -> None:
    """Issue 18.12: printed in grey, "Hài lòng" and "Không hài lòng" came out the same. The levels now differ in grey
    (luminance far apart), by hatch pattern, and by a direct label with the level's initial on each share."""
    import itertools
    import re

    from coordinator.report.charts import LEVEL_HATCHES

    LEVEL_COLOURS = {level.key: level.colour for level in RatingSection().scale}  # the default scale's

    def grey(colour: str) -> float:
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    greys = sorted(grey(c) for c in LEVEL_COLOURS.values())
    assert min(b - a for a, b in itertools.pairwise(greys)) > 40, greys
    assert len(set(LEVEL_HATCHES.values())) == 3
    assert (
        run_report(
            "--db",
            str(month.db),
            "--hall",
            hall_toml,
            "--period",
            "month",
            "--date",
            "2026-10-31",
            "--out",
            str(tmp_path),
        )
        == 0
    )
    html = (tmp_path / f"{STEM}.html").read_text("utf-8")
    start = html.index('data-chart="levels"')
    svg = html[html.index("<svg", start) : html.index("</svg>", start)]
    patterns = re.findall(r'<pattern id="([^"]+)"', svg)
    assert len(set(patterns)) >= 2, "the neutral and unsatisfied shares carry a hatch pattern each"
    assert len(set(re.findall(r"url\(#(h[0-9a-f]+)\)", svg)) & set(patterns)) >= 2  # and the bars use them
