"""Writing a report: CSV files for spreadsheets and one self-contained HTML page (CSS and charts inline).

CSV: UTF-8 with a byte-order mark (Excel then reads Vietnamese letters correctly), comma-separated, CRLF line
ends, numbers with a dot and no thousands separator, one decimal; a figure that does not apply is an empty cell.
HTML: the same tables (numbers written the Vietnamese way, 1.234,5, or the English way with ``--lang en``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from importlib import resources
from pathlib import Path

from coordinator.report import bookings as booking_tables
from coordinator.report.charts import Chart
from coordinator.report.labels import DEFINITIONS, Lang, Names, day_text, number, plain, text
from coordinator.report.metrics import Report
from coordinator.report.reasons import REASONS_NOTE
from coordinator.report.tables import QUEUE_PARTS, Cell, Kind, Row, Table, tables
from motcua import __version__
from motcua.hall import HallConfig

FORMATS = ("html", "csv", "xlsx", "json")


@dataclass(frozen=True)
class Headline:
    key: str
    value: str
    label: str


def file_stem(report: Report, hall: HallConfig) -> str:
    """e.g. ``phuong-hoa-binh_2026-10-01_2026-10-31`` (plus ``_officer-nguyen-thi-lan`` for one officer)."""
    stem = f"{hall.hall.site}_{report.period.first.isoformat()}_{report.period.last.isoformat()}"
    if report.scope is not None:
        stem += f"_{report.scope.dim}-{report.scope.key}"
    return stem


def write_csv(report: Report, names: Names, out: Path, stem: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables(report, names).values():
        path = out / f"{stem}_{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow([column.label for column in table.columns])
            for row in table.rows:
                writer.writerow(
                    [_csv_cell(value, column.kind) for value, column in zip(row.cells, table.columns, strict=True)]
                )
        written.append(path)
    return written


def _csv_cell(value: Cell, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return plain(value)


@dataclass(frozen=True)
class HeaderCell:
    label: str
    key: str | None  # the column's key (None for a group heading)
    colspan: int = 1
    rowspan: int = 1


def header_rows(table: Table) -> list[list[HeaderCell]]:
    """One header row, or two when some columns sit under a group heading (Hài lòng: số lượt, tỷ lệ)."""
    if not any(c.group for c in table.columns):
        return [[HeaderCell(c.label, c.key) for c in table.columns]]
    top: list[HeaderCell] = []
    bottom: list[HeaderCell] = []
    for index, column in enumerate(table.columns):
        if column.group is None:
            top.append(HeaderCell(column.label, column.key, rowspan=2))
            continue
        bottom.append(HeaderCell(column.short or column.label, column.key))
        if index and table.columns[index - 1].group == column.group:
            top[-1] = HeaderCell(top[-1].label, None, colspan=top[-1].colspan + 1)
        else:
            top.append(HeaderCell(column.group, None))
    return [top, bottom]


def html_tables(report: Report, names: Names) -> dict[str, Table]:
    """The tables as the page shows them: no ids, the wide queue table in three."""
    lang = names.lang
    every = tables(report, names)
    levels = [f"{level}_{part}" for level in report.levels for part in ("n", "pct")]
    shown = {
        "unit_officer": every["unit_officer"].view(["no", "officer", "counted", *levels]),
        "satisfaction": every["satisfaction"].view(
            ["name", "counted", *levels, "misuse", "unbound", "served", "rated_pct", "project_pct", "national_pct"]
        ),
        "weekly": every["weekly"],
    }
    if "comparison" in every:
        shown["comparison"] = every["comparison"].view(["name", "current", "previous", "change"])
    queue = every["queue"]
    for name, keys in QUEUE_PARTS.items():
        narrow = queue.view(["name", *keys], keep=_any_of(queue, keys))
        shown[name] = Table(name, text(name, lang), narrow.columns, narrow.rows)
    return shown


def render_html(
    report: Report,
    hall: HallConfig,
    names: Names,
    charts: Mapping[str, Chart],
    *,
    made_at: datetime,
    today_open: bool,
    bookings: Table | None = None,
    reasons: Table | None = None,
) -> str:
    """The self-contained HTML page (CSS and SVG charts inline). `bookings`: the period's bookings table
    (coordinator.report.bookings), None when it had none — the page then has no bookings section. `reasons`: the
    tablet's reasons table (`coordinator.report.reasons.html_reasons_table`), shown after the satisfaction table
    when given."""
    import jinja2

    lang = names.lang
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(resources.files(__package__).joinpath("report.html").read_text("utf-8"))
    window = f"{hall.rating.window_min:g}"
    definitions = [
        line.format(
            window=window.replace(".", ",") if lang == "vi" else window,
            satisfied=names.meaning("satisfied"),
            neutral=names.meaning("neutral"),
            unsatisfied=names.meaning("unsatisfied"),
            zone=hall.hall.timezone,
        )
        for line in DEFINITIONS[lang]
    ]
    notes = []
    if report.unknown_officers:
        notes.append(text("unknown_officers", lang, ids=", ".join(report.unknown_officers)))
    scope = None
    if report.scope is not None:
        what = f"{names.dim(report.scope.dim)}: {names.of(report.scope.dim, report.scope.key)}"
        scope = text("scope", lang, what=what)
    hall_name = (hall.hall.name_en or hall.hall.name) if lang == "en" else hall.hall.name
    form = hall.report
    made = made_at.date()
    return template.render(
        parent_body=form.parent_body,
        issuing_body=form.issuing_body or hall_name,
        number=text("number", lang, suffix=form.number_suffix),
        date_line=text("date_line", lang, place=form.place or "……", d=made.day, m=made.month, y=made.year),
        to_label=text("to", lang),
        recipients=form.recipients,
        copy_to_label=text("copy_to", lang),
        copy_to=form.copy_to,
        prepared_by_label=text("prepared_by", lang),
        prepared_by=form.prepared_by,
        signing_authority=form.signing_authority,
        signer_title=form.signer_title or text("leader", lang),
        signer=form.signer,
        sign_note=text("sign_note", lang),
        sign_seal_note=text("sign_seal_note", lang),
        lang=lang,
        version=__version__,
        css=resources.files(__package__).joinpath("report.css").read_text("utf-8"),
        title=text("title", lang),
        queue_title=text("queue_title", lang),
        hall_name=hall_name,
        country=text("country", lang),
        motto=text("motto", lang),
        period_title=text(
            "from_to", lang, first=day_text(report.period.first, lang), last=day_text(report.period.last, lang)
        ),
        scope=scope,
        incomplete=text("incomplete", lang) if today_open else None,
        summary_title=text("summary", lang),
        summary=headline(report, names),
        tables=html_tables(report, names),
        reasons=reasons,
        reasons_note=REASONS_NOTE[lang],
        charts=charts,
        notes=notes,
        definitions_title=text("definitions", lang),
        definitions=definitions,
        made_on=text("made_on", lang, day=f"{day_text(made_at.date(), lang)} {made_at:%H:%M}"),
        headers=header_rows,
        fmt=lambda value, kind: _html_cell(value, kind, lang),
        bookings=_bookings_section(bookings, hall, lang),
    )


def _bookings_section(table: Table | None, hall: HallConfig, lang: Lang) -> dict[str, object] | None:
    if table is None:
        return None
    note = booking_tables.note(lang, hall.bookings.early_min, hall.bookings.grace_min)
    return {**booking_tables.html_tables(table, lang), "note": note}


def _any_of(table: Table, keys: tuple[str, ...]) -> Callable[[Row], bool]:
    """Keep the rows that have at least one of these figures (a service has no time at a counter)."""
    return lambda row: any(table.value(row, key) is not None for key in keys)


def _html_cell(value: Cell, kind: Kind, lang: Lang) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return day_text(value, lang)
    return number(value, lang)


def headline(report: Report, names: Names) -> list[Headline]:
    """The summary boxes at the top of the first page."""
    lang = names.lang
    s, q = report.satisfaction_total, report.queue_total
    satisfied = s.satisfied_pct
    excluded = s.misuse + (s.unbound or 0)
    figures = [
        Headline("counted", number(s.counted, lang), text("h_counted", lang)),
        Headline(
            "satisfied_pct", f"{number(satisfied, lang)} %" if satisfied is not None else "—", text("h_satisfied", lang)
        ),
        Headline("national_pct", _percent(s.national_pct, lang), text("h_national", lang)),
        Headline("rated_pct", _percent(s.rated_pct, lang), text("h_rated", lang)),
        Headline("excluded", number(excluded, lang), text("h_excluded", lang)),
    ]
    if q.issued is not None:
        figures.append(Headline("issued", number(q.issued, lang), text("h_issued", lang)))
    figures.append(Headline("served", number(q.served, lang), text("h_served", lang)))
    mean = q.wait.mean / 60 if q.wait.mean is not None else None
    figures.append(Headline("wait_mean", number(mean, lang), text("h_wait", lang)))
    within = q.within_target_pct
    figures.append(
        Headline(
            "within_target_pct", f"{number(within, lang)} %" if within is not None else "—", text("h_within", lang)
        )
    )
    return figures


def _percent(value: Fraction | None, lang: Lang) -> str:
    return f"{number(value, lang)} %" if value is not None else "—"


def write_html(html: str, out: Path, stem: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{stem}.html"
    path.write_text(html, encoding="utf-8")
    return path
