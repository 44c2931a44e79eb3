"""The report's tables (pure): one definition of every column, used by both the CSV files and the HTML page.

Each table has stable column keys (the HTML's ``data-col``; docs/reports.md lists them) and headers in the
report's language. Cells hold plain values — text, dates, whole numbers, or exact decimals (`Fraction`) in
minutes, hours or percent — and are formatted only when written (`coordinator.report.render`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Literal

from coordinator.report.labels import Lang, Names, text, weekday_name
from coordinator.report.metrics import Dim, QueueRow, Report, SatisfactionRow, Stats

Kind = Literal["text", "date", "int", "dec"]
Cell = str | date | int | Fraction | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the CSV header
    kind: Kind
    group: str | None = None  # HTML: a header spanning this column and its neighbours of the same group
    short: str | None = None  # HTML: the column's own header under its group


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    dim: Dim | None = None
    key: str | None = None
    total: bool = False  # a total or subtotal line
    group: str | None = None  # HTML: rows under a heading line ("Theo quầy", or a unit's name)


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's suffix and the HTML table's data-table
    title: str
    columns: tuple[Column, ...]
    rows: list[Row] = field(default_factory=list)

    def value(self, row: Row, key: str) -> Cell:
        return row.cells[self.keys.index(key)]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def view(self, keys: Sequence[str], keep: Callable[[Row], bool] = lambda row: True) -> Table:
        """The same table with only some columns and rows (the HTML's narrower tables)."""
        index = [self.keys.index(key) for key in keys]
        rows = [
            Row(tuple(row.cells[i] for i in index), row.dim, row.key, row.total, row.group)
            for row in self.rows
            if keep(row)
        ]
        return Table(self.name, self.title, tuple(self.columns[i] for i in index), rows)


def tables(report: Report, names: Names) -> dict[str, Table]:
    """Every table of the report, by name: satisfaction, unit_officer, queue, weekly, heatmap."""
    return {
        t.name: t
        for t in (
            satisfaction_table(report, names),
            unit_officer_table(report, names),
            queue_table(report, names),
            weekly_table(report, names),
            heatmap_table(report, names),
            *([comparison_table(report, names)] if report.previous_period is not None else []),
        )
    }


def _level_columns(names: Names, levels: Sequence[str]) -> list[Column]:
    lang = names.lang
    columns = []
    for level in levels:
        label = names.level(level)
        count, rate = text("count", lang), text("rate", lang)
        columns.append(Column(f"{level}_n", f"{label}: {count.lower()}", "int", label, count))
        columns.append(Column(f"{level}_pct", f"{label}: {rate.lower()}", "dec", label, rate))
    return columns


def _level_cells(counts: dict[str, int], pct: Callable[[str], Fraction | None], levels: Sequence[str]) -> list[Cell]:
    cells: list[Cell] = []
    for level in levels:
        cells += [counts[level], pct(level)]
    return cells


def _name_columns(lang: Lang) -> list[Column]:
    return [
        Column("group", text("group", lang), "text"),
        Column("id", text("id", lang), "text"),
        Column("name", text("name", lang), "text"),
    ]


def satisfaction_table(report: Report, names: Names) -> Table:
    lang = names.lang
    columns = (
        *_name_columns(lang),
        Column("counted", text("counted", lang), "int"),
        *_level_columns(names, report.levels),
        Column("misuse", text("misuse", lang), "int"),
        Column("unbound", text("unbound", lang), "int"),
        Column("served", text("served", lang), "int"),
        Column("rated_pct", text("rated_pct", lang), "dec"),
        # The rates side by side (docs/reports.md): the project's, and the national index's way.
        Column("project_pct", text("project_pct", lang), "dec"),
        Column("served_unsatisfied", text("served_unsatisfied", lang), "int"),
        Column("national_pct", text("national_pct", lang), "dec"),
    )

    def row(r: SatisfactionRow, group: str | None) -> Row:
        cells = (
            names.dim(r.dim),
            r.key,
            names.of(r.dim, r.key),
            r.counted,
            *_level_cells(r.levels, r.level_pct, report.levels),
        )
        rates = (r.satisfied_pct, r.served_unsatisfied, r.national_pct)
        return Row((*cells, r.misuse, r.unbound, r.served, r.rated_pct, *rates), r.dim, r.key, group is None, group)

    rows = [row(report.satisfaction_total, None)]
    for dim in report.breakdowns:
        rows += [row(r, text(f"by_{dim}", lang)) for r in report.satisfaction_rows[dim]]
    return Table("satisfaction", text("sat_breakdown", lang), columns, rows)


def unit_officer_table(report: Report, names: Names) -> Table:
    """The layout managers already use: unit x officer, count and % of each level, subtotals and a total."""
    lang = names.lang
    columns = (
        Column("no", text("no", lang), "text"),
        Column("unit_id", text("unit_id", lang), "text"),
        Column("unit", text("unit", lang), "text"),
        Column("officer_id", text("officer_id", lang), "text"),
        Column("officer", text("dim_officer", lang), "text"),
        Column("counted", text("counted", lang), "int"),
        *_level_columns(names, report.levels),
    )
    rows = []
    number = 0
    total = dict.fromkeys(report.levels, 0)
    for line in report.unit_officer:
        unit = names.of("service", line.service)
        levels = _level_cells(line.levels, line.level_pct, report.levels)
        if line.subtotal:
            cells: tuple[Cell, ...] = ("", line.service, unit, "", text("subtotal", lang), line.counted)
            rows.append(Row((*cells, *levels), "service", line.service, True, unit))
            for level in report.levels:
                total[level] += line.levels[level]
            continue
        number += 1
        officer = names.of("officer", line.officer)
        cells = (str(number), line.service, unit, line.officer or "", officer, line.counted)
        rows.append(Row((*cells, *levels), "officer", line.officer or "", False, unit))
    counted = sum(total.values())
    levels = _level_cells(
        total, lambda level: Fraction(total[level] * 100, counted) if counted else None, report.levels
    )
    rows.append(Row(("", "", text("total", lang), "", text("total", lang), counted, *levels), "hall", "hall", True))
    return Table("unit_officer", text("sat_unit_officer", lang), columns, rows)


def _minutes(value: Fraction | None) -> Fraction | None:
    return value / 60 if value is not None else None


def _hours(value: Fraction | None) -> Fraction | None:
    return value / 3600 if value is not None else None


def _stats(stats: Stats) -> list[Cell]:
    return [_minutes(stats.mean), _minutes(stats.median), _minutes(stats.p90)]


#: Queue columns: key, label, kind, HTML group and short label (text keys).
QUEUE_COLUMNS: tuple[tuple[str, str, Kind, str | None, str | None], ...] = (
    ("issued", "issued", "int", None, None),
    ("called", "called", "int", None, None),
    ("served", "served_n", "int", None, None),
    ("auto_closed", "auto_closed", "int", None, None),
    ("no_show", "no_show", "int", None, None),
    ("transferred_out", "transferred_out", "int", None, None),
    ("transferred_in", "transferred_in", "int", None, None),
    ("cancelled", "cancelled", "int", None, None),
    ("expired", "expired", "int", None, None),
    ("open", "open", "int", None, None),
    ("wait_mean", "wait_mean", "dec", "g_wait", "s_mean"),
    ("wait_median", "wait_median", "dec", "g_wait", "s_median"),
    ("wait_p90", "wait_p90", "dec", "g_wait", "s_p90"),
    ("target", "target", "int", "g_wait", "s_target"),
    ("within_target_pct", "within_target_pct", "dec", "g_wait", "s_within"),
    ("service_mean", "service_mean", "dec", "g_service", "s_mean"),
    ("service_median", "service_median", "dec", "g_service", "s_median"),
    ("service_p90", "service_p90", "dec", "g_service", "s_p90"),
    ("signed_in_h", "signed_in_h", "dec", None, None),
    ("paused_h", "paused_h", "dec", None, None),
    ("serving_h", "serving_h", "dec", None, None),
    ("busy_pct", "busy_pct", "dec", None, None),
)
#: The HTML splits the wide queue table in three.
QUEUE_PARTS: dict[str, tuple[str, ...]] = {
    "queue_tickets": tuple(c[0] for c in QUEUE_COLUMNS[:10]),
    "queue_times": tuple(c[0] for c in QUEUE_COLUMNS[10:18]),
    "queue_busy": tuple(c[0] for c in QUEUE_COLUMNS[18:]),
}


def queue_table(report: Report, names: Names) -> Table:
    lang = names.lang
    columns = (
        *_name_columns(lang),
        *(
            Column(
                key, text(label, lang), kind, text(group, lang) if group else None, text(short, lang) if short else None
            )
            for key, label, kind, group, short in QUEUE_COLUMNS
        ),
    )

    def row(r: QueueRow, group: str | None) -> Row:
        cells: list[Cell] = [names.dim(r.dim), r.key, names.of(r.dim, r.key)]
        cells += [r.issued, r.called, r.served, r.auto_closed, r.no_show, r.transferred_out, r.transferred_in]
        cells += [r.cancelled, r.expired, r.open, *_stats(r.wait), r.target_min, r.within_target_pct]
        cells += [*_stats(r.service_time), _hours(r.signed_in), _hours(r.paused), _hours(r.serving), r.busy_pct]
        return Row(tuple(cells), r.dim, r.key, group is None, group)

    rows = [row(report.queue_total, None)]
    for dim in report.breakdowns:
        rows += [row(r, text(f"by_{dim}", lang)) for r in report.queue_rows[dim]]
    return Table("queue", text("queue_title", lang), columns, rows)


def weekly_table(report: Report, names: Names) -> Table:
    lang = names.lang
    columns = (
        Column("week_from", text("week_from", lang), "date"),
        Column("week_to", text("week_to", lang), "date"),
        Column("counted", text("counted", lang), "int"),
        *(Column(f"{level}_n", names.level(level), "int") for level in report.levels),
        Column("satisfied_pct", text("satisfied_pct", lang), "dec"),
        Column("misuse", text("misuse", lang), "int"),
        Column("unbound", text("unbound", lang), "int"),
        Column("issued", text("issued", lang), "int"),
        Column("served", text("served_n", lang), "int"),
        Column("wait_mean", text("wait_mean", lang), "dec"),
        Column("national_pct", text("national_pct", lang), "dec"),
    )
    rows = []
    for week in report.weekly:
        s = week.satisfaction
        cells: tuple[Cell, ...] = (
            week.first,
            week.last,
            s.counted,
            *(s.levels[level] for level in report.levels),
            s.satisfied_pct,
            s.misuse,
            s.unbound,
            week.issued,
            week.served,
            _minutes(week.wait_mean),
            s.national_pct,
        )
        rows.append(Row(cells, key=week.first.isoformat()))
    return Table("weekly", text("weekly", lang), columns, rows)


def heatmap_table(report: Report, names: Names) -> Table:
    lang = names.lang
    columns = (
        Column("weekday_no", text("weekday_no", lang), "int"),
        Column("weekday", text("weekday", lang), "text"),
        Column("hour", text("hour", lang), "int"),
        Column("tickets", text("tickets", lang), "int"),
        Column("mean_wait", text("mean_wait", lang), "dec"),
    )
    rows = [
        Row(
            (cell.weekday + 1, weekday_name(cell.weekday, lang), cell.hour, cell.count, _minutes(cell.mean_wait)),
            key=f"{cell.weekday + 1}-{cell.hour}",
        )
        for cell in report.heatmap
    ]
    return Table("heatmap", text("heatmap", lang), columns, rows)


def comparison_table(report: Report, names: Names) -> Table:
    """This period's main figures beside the previous period's of the same length, and the change."""
    lang = names.lang
    assert report.previous_period is not None
    previous = report.previous_period
    columns = (
        Column("figure", text("figure", lang), "text"),
        Column("name", text("name", lang), "text"),
        Column("current", text("this_period", lang), "dec"),
        Column("previous", text("previous_period", lang, first=previous.first, last=previous.last), "dec"),
        Column("change", text("change", lang), "dec"),
    )
    now_s, now_q = report.satisfaction_total, report.queue_total
    then_s, then_q = report.previous_satisfaction, report.previous_queue

    def minutes(q: QueueRow | None) -> Fraction | None:
        return q.wait.mean / 60 if q is not None and q.wait.mean is not None else None

    figures: list[tuple[str, Fraction | int | None, Fraction | int | None]] = [
        ("counted", now_s.counted, then_s.counted if then_s else None),
        ("project_pct", now_s.satisfied_pct, then_s.satisfied_pct if then_s else None),
        ("national_pct", now_s.national_pct, then_s.national_pct if then_s else None),
        ("rated_pct", now_s.rated_pct, then_s.rated_pct if then_s else None),
        ("served", now_q.served, then_q.served if then_q else None),
        ("wait_mean", minutes(now_q), minutes(then_q)),
        ("within_target_pct", now_q.within_target_pct, then_q.within_target_pct if then_q else None),
    ]
    rows = []
    for key, now, then in figures:
        change = now - then if now is not None and then is not None else None  # counts stay whole numbers
        cells: tuple[Cell, ...] = (key, text(key, lang), now, then, change)
        rows.append(Row(cells, key=key))
    return Table("comparison", text("comparison", lang), columns, rows)
