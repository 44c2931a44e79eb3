"""`motcua report ...`: satisfaction and queue reports from the coordinator's database (HTML and CSV).

    motcua report --db /var/lib/motcua/coordinator.db --hall hall.toml --period month --out reports/

Without ``--date`` the report covers the last complete period (yesterday, last week, last month); ``--date``
picks the period containing that day (``--date today``: the current one, marked as not over yet). docs/reports.md
is the manager's guide.

Scheduled reports (a systemd timer, docs/reports.md "Scheduled reports")::

    motcua report --db ... --hall ... --last week --out-dir /srv/motcua/reports     # -> .../2026-W47/

``--last week|month`` is the previous ISO week or calendar month in the hall's time zone; ``--out-dir`` writes
into a folder named after the period, whole or not at all, and a folder already there is kept (``--replace``
writes it again). Mistakes (unknown names, an empty period, a missing or foreign database) exit with
status 2 and one clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import cast, get_args

from coordinator.report import ReportError
from coordinator.report.bookings import booking_report, bookings_table, write_bookings_csv
from coordinator.report.labels import Lang, Names, day_text
from coordinator.report.load import load
from coordinator.report.metrics import ALL_BREAKDOWNS, BREAKDOWNS, Dim, Report, build_facts, compute, resolve_scope
from coordinator.report.period import Period, PeriodKind, business_day_of, last_complete, period_containing
from coordinator.report.reasons import html_reasons_table, write_reasons_csv
from coordinator.report.render import FORMATS, file_stem, render_html, write_csv, write_html
from coordinator.report.schedule import folder_name, last_full, write_atomically
from coordinator.report.tables import tables
from motcua.clock import clock_from_env
from motcua.contract import Procedure
from motcua.errors import MotcuaError
from motcua.hall import HallConfig, load_hall, load_procedures

logger = logging.getLogger(__name__)

DIMS: tuple[str, ...] = get_args(Dim)
PERIOD_KINDS = ["day", "week", "month", "quarter", "year"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motcua report",
        description="Satisfaction and queue report of a hall (HTML for A4 printing, CSV for spreadsheets).",
    )
    parser.add_argument("--db", type=Path, required=True, help="the coordinator's database (read-only)")
    parser.add_argument("--hall", type=Path, required=True, help="the hall's hall.toml")
    parser.add_argument("--period", choices=PERIOD_KINDS, help="default: month")
    parser.add_argument(
        "--last",
        dest="last_kind",
        choices=PERIOD_KINDS,
        help="the last complete period of this kind (week: the previous Monday to Sunday; month: the previous "
        "calendar month), in the hall's time zone: what a scheduled report uses",
    )
    parser.add_argument("--date", help="YYYY-MM-DD or 'today': a day in the period (default: the last complete period)")
    parser.add_argument("--from", dest="first", help="YYYY-MM-DD: first business day (with --to)")
    parser.add_argument("--to", dest="last", help="YYYY-MM-DD: last business day, included")
    parser.add_argument(
        "--by",
        action="append",
        metavar="hall|service|counter|officer|procedure[=NAME]",
        help="breakdowns to show (default: service, counter and officer; procedure: by administrative procedure, "
        "national code and name); DIM=NAME restricts the report to one service, counter, officer or procedure "
        "(id, number, code or name); repeat or separate with commas",
    )
    parser.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of the report (default: vi)")
    parser.add_argument(
        "--format",
        default="html,csv",
        help="html, csv, xlsx, json, several with commas (default: html,csv); csv, xlsx and json also write the "
        "per-ticket export",
    )
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", type=Path, help="folder for the files")
    out.add_argument(
        "--out-dir",
        type=Path,
        help="write the files into a folder of DIR named after the period (2026-W47, 2026-11, ...), atomically; "
        "a folder already written is kept",
    )
    parser.add_argument("--replace", action="store_true", help="with --out-dir: write an existing folder again")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed by argparse
        return int(exc.code or 0)
    try:
        for path in run(args):
            print(path)
    except MotcuaError as exc:
        print(f"motcua report: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> list[Path]:
    _formats(args.format)  # a bad --format is refused before anything is read
    if args.replace and args.out_dir is None:
        raise ReportError("--replace goes with --out-dir")
    hall = load_hall(args.hall)
    procedures = {p.code: p for p in load_procedures(hall)}
    now = clock_from_env().now()
    today = business_day_of(now, hall.hall.zone, hall.hall.day_starts_at)
    if args.last_kind is not None:
        if any(value is not None for value in (args.period, args.date, args.first, args.last)):
            raise ReportError("give either --last or --period/--date/--from/--to, not both")
        period = last_full(cast(PeriodKind, args.last_kind), today)
    else:
        period = choose_period(args.period, args.date, args.first, args.last, today)
    breakdowns, wanted_scope = parse_by(args.by or [])
    if args.out_dir is not None:
        name = folder_name(period)
        if wanted_scope is not None:
            name += f"_{wanted_scope[0]}-{wanted_scope[1]}"
        target = args.out_dir / name
        if args.replace or not target.exists():
            records = load(args.db, hall, period)
            if not build_facts(records, hall, period):
                # A week the hall was closed (Tết) is not a failure of the timer: nothing to report, said in the log.
                print(
                    f"motcua report: nothing was recorded {_between(period)}"
                    f"{_held(records.first_day, records.last_day)}: no folder {name} written",
                    file=sys.stderr,
                )
                return []
        return write_atomically(
            target,
            lambda folder: write_report(args, hall, procedures, now, today, period, breakdowns, wanted_scope, folder),
            replace=args.replace,
        )
    return write_report(args, hall, procedures, now, today, period, breakdowns, wanted_scope, args.out)


def write_report(
    args: argparse.Namespace,
    hall: HallConfig,
    procedures: dict[str, Procedure],
    now: datetime,
    today: date,
    period: Period,
    breakdowns: tuple[Dim, ...],
    wanted_scope: tuple[Dim, str] | None,
    out: Path,
) -> list[Path]:
    """Write the report of `period` into folder `out` in the formats asked for; returns the files written."""
    formats = _formats(args.format)
    records = load(args.db, hall, period)
    facts = build_facts(records, hall, period)
    lang = Lang(args.lang)
    if not facts:
        raise ReportError(f"nothing was recorded {_between(period)}{_held(records.first_day, records.last_day)}")
    scope = None
    if wanted_scope is not None:
        scope = resolved = resolve_scope(
            wanted_scope[0], wanted_scope[1], hall, facts, {code: p.name for code, p in procedures.items()}
        )
        if not facts.where(lambda fact: fact.key(resolved.dim) == resolved.key):
            name = Names(hall, lang, procedures).of(resolved.dim, resolved.key)
            raise ReportError(f"{resolved.dim} {name!r} has no activity {_between(period)}")
    report = compute(facts, hall, period, breakdowns=breakdowns, scope=scope)
    report = with_previous(report, args.db, hall)
    names = Names(hall, lang, procedures)
    stem = file_stem(report, hall)
    # Bookings (coordinator/report/bookings.py): a table of their own, only when the period has any.
    booked = booking_report(
        records.bookings,
        records.tickets,
        [s.id for s in hall.services],
        today=today,
        day_of=lambda moment: business_day_of(moment, hall.hall.zone, hall.hall.day_starts_at),
    )
    booking_table = bookings_table(booked, names) if booked is not None else None
    written = []
    if "html" in formats:
        try:
            import jinja2  # noqa: F401 - checked here for a clear message
            import matplotlib  # noqa: F401
        except ImportError as exc:
            raise ReportError(
                f"the HTML report needs {exc.name}: pip install 'motcua[report]' (or --format csv)"
            ) from None
        from coordinator.report.charts import charts

        drawn = {chart.name: chart for chart in charts(report, names)}
        html = render_html(
            report,
            hall,
            names,
            drawn,
            made_at=now.astimezone(hall.hall.zone),
            today_open=not period.complete(today),
            bookings=booking_table,
            reasons=html_reasons_table(records.ratings, hall, period, names, report.scope),
        )
        written.append(write_html(html, out, stem))
    if "csv" in formats:
        written += write_csv(report, names, out, stem)
        written += write_reasons_csv(records.ratings, hall, period, names, out, stem)
        if booking_table is not None:
            written.append(write_bookings_csv(booking_table, out, stem))
    if formats & {"csv", "xlsx", "json"}:
        from coordinator.report import export

        rows = export.ticket_rows(records, names, period)
        if "csv" in formats:
            written.append(export.write_tickets_csv(rows, lang, out / f"{stem}_tickets.csv"))
        if "json" in formats:
            written.append(export.write_tickets_json(rows, out / f"{stem}_tickets.json"))
        if "xlsx" in formats:
            try:
                import openpyxl  # noqa: F401 - checked here for a clear message
            except ImportError:
                raise ReportError(
                    "the XLSX files need openpyxl: pip install 'motcua[report]' (or --format csv)"
                ) from None
            sheets = tables(report, names) | ({"bookings": booking_table} if booking_table is not None else {})
            written.append(export.write_tables_xlsx(sheets, out / f"{stem}.xlsx"))
            written.append(export.write_tickets_xlsx(rows, lang, out / f"{stem}_tickets.xlsx"))
    logger.info("report %s to %s: %d files in %s", period.first, period.last, len(written), out)
    return written


def with_previous(report: Report, db: Path, hall: HallConfig) -> Report:
    """`report` with the totals of the period before it, of the same length (None where nothing was recorded)."""
    previous = report.period.previous()
    facts = build_facts(load(db, hall, previous), hall, previous)
    if not facts:
        return replace(report, previous_period=previous)
    totals = compute(facts, hall, previous, breakdowns=(), scope=report.scope)
    return replace(
        report,
        previous_period=previous,
        previous_satisfaction=totals.satisfaction_total,
        previous_queue=totals.queue_total,
    )


def choose_period(kind: str | None, on: str | None, first: str | None, last: str | None, today: date) -> Period:
    """The period the options ask for (see the module docstring)."""
    if first is not None or last is not None:
        if kind is not None or on is not None:
            raise ReportError("give either --from/--to or --period/--date, not both")
        if first is None or last is None:
            raise ReportError("--from and --to go together (both days included)")
        return Period("custom", _day(first, "--from", today), _day(last, "--to", today))
    period_kind = cast(PeriodKind, kind or "month")
    if on is None:
        return last_complete(period_kind, today)
    return period_containing(period_kind, _day(on, "--date", today))


def parse_by(specs: Sequence[str]) -> tuple[tuple[Dim, ...], tuple[Dim, str] | None]:
    """``--by`` values -> (breakdowns, (dim, name) of the one restriction or None).

    No breakdown named: every breakdown except the restricted one; ``hall`` alone: the totals only.
    """
    named: list[str] = []
    scope: tuple[Dim, str] | None = None
    for spec in (part.strip() for value in specs for part in value.split(",")):
        if not spec:
            continue
        dim, has_value, value = (text.strip() for text in spec.partition("="))
        if dim not in DIMS:
            raise ReportError(f"--by {dim!r}: use hall, service, counter, officer or procedure")
        if has_value:
            if dim == "hall" or not value:
                raise ReportError(
                    f"--by {spec!r}: give a service, counter, officer or procedure, e.g. --by officer=nguyen-thi-lan"
                )
            if scope is not None:
                raise ReportError("--by: one restriction (DIM=NAME) at a time")
            scope = (cast(Dim, dim), value)
        else:
            named.append(dim)
    if not named:
        named = [d for d in BREAKDOWNS if scope is None or d != scope[0]]
    return tuple(d for d in ALL_BREAKDOWNS if d in named), scope


def _formats(text: str) -> set[str]:
    formats = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = formats - set(FORMATS)
    if unknown or not formats:
        raise ReportError(f"--format {text!r}: use html, csv or html,csv")
    return formats


def _day(text: str, option: str, today: date) -> date:
    if text.strip().lower() in ("today", "hom-nay", "hôm nay"):
        return today
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"{option} {text!r}: expected a date like 2026-10-31 (or 'today')") from None


def _between(period: Period) -> str:
    return f"between {day_text(period.first, Lang.EN)} and {day_text(period.last, Lang.EN)}"


def _held(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return " (the database holds no tickets yet)"
    return f" (the database holds tickets from {first.isoformat()} to {last.isoformat()})"


if __name__ == "__main__":
    sys.exit(main())
