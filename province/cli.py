"""`motcua report --province province.toml`: the province's report, every hall from PostgreSQL.

Each hall's figures are computed by the hall report's own code (`province.report`) from the events the province
holds; the province's lines add the halls' counts up (rates recomputed from the sums). Writes CSV files in
`--out` (UTF-8 with BOM, for spreadsheets) and prints the province's summary:

- ``<province>-<period>-halls.csv``: one line per hall, then one per unit (đơn vị), then the province;
- ``<province>-<period>-services.csv``: per hall and service; ``-officers.csv``: per hall and officer;
  ``-procedures.csv``: per hall and procedure (thủ tục, by national code: the issued events carry it), then one
  line per procedure for the whole province.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from coordinator.report import ReportError
from coordinator.report.cli import choose_period
from coordinator.report.labels import Names, plain
from coordinator.report.metrics import Report, SatisfactionRow, round_half_up
from coordinator.report.period import Period, business_day_of
from motcua.clock import clock_from_env
from motcua.config import load_config
from motcua.errors import MotcuaError
from motcua.hall import HallConfig, load_hall, load_procedures
from province.config import HallEntry, ProvinceConfig
from province.report import PROVINCE_BREAKDOWNS, province_reports

logger = logging.getLogger(__name__)

HEADERS = {
    "vi": ["Mã", "Tên", "Đơn vị", "Số phiếu cấp", "Đã phục vụ", "Vắng mặt", "Chờ TB (phút)", "Lượt đánh giá",
           "Hài lòng", "Bình thường", "Không hài lòng", "Tỷ lệ hài lòng (%)"],
    "en": ["Id", "Name", "Unit", "Tickets issued", "Served", "No-show", "Mean wait (min)", "Ratings counted",
           "Satisfied", "Neutral", "Unsatisfied", "Satisfied (%)"],
}  # fmt: skip
TOTAL = {"vi": "TOÀN TỈNH", "en": "PROVINCE"}
NO_HALL_FILE = {"vi": "(thiếu hall.toml: chưa tính)", "en": "(no hall.toml: not computed)"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua report --province", description=__doc__.split("\n\n")[0])
    parser.add_argument("--province", type=Path, required=True, help="the collector's province.toml")
    parser.add_argument("--period", choices=["day", "week", "month"], help="default: month")
    parser.add_argument("--date", help="YYYY-MM-DD or 'today': a day in the period (default: the last complete one)")
    parser.add_argument("--from", dest="first", help="YYYY-MM-DD: first business day (with --to)")
    parser.add_argument("--to", dest="last", help="YYYY-MM-DD: last business day, included")
    parser.add_argument("--lang", choices=["vi", "en"], default="vi")
    parser.add_argument("--out", type=Path, required=True, help="folder for the CSV files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        for path in run(args):
            print(path)
    except MotcuaError as exc:
        print(f"motcua report --province: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> list[Path]:
    config = load_config(args.province, ProvinceConfig)
    entries = {entry.site: entry for entry in config.halls}
    halls: dict[str, HallConfig] = {e.site: load_hall(e.hall) for e in config.halls if e.hall is not None}
    if not halls:
        raise ReportError(f"{args.province}: no hall has a hall.toml ('hall = ...' under [[halls]])")
    first = next(iter(halls.values()))
    now = clock_from_env().now()
    period = choose_period(
        args.period, args.date, args.first, args.last, business_day_of(now, first.hall.zone, first.hall.day_starts_at)
    )
    reports = province_reports(config.database.dsn, halls, period, PROVINCE_BREAKDOWNS)
    return write_csv(args.out, config, entries, halls, reports, period, args.lang)


def _mean_min(seconds: Fraction | None) -> str:
    return "" if seconds is None else plain(round_half_up(seconds / 60, 1))


def _pct(part: int, whole: int) -> str:
    return "" if not whole else plain(round_half_up(Fraction(100 * part, whole), 1))


def _line(key: str, name: str, unit: str, sums: dict[str, int], wait: str) -> list[str]:
    return [key, name, unit, str(sums["issued"]), str(sums["served"]), str(sums["no_show"]), wait,
            str(sums["counted"]), str(sums["satisfied"]), str(sums["neutral"]), str(sums["unsatisfied"]),
            _pct(sums["satisfied"], sums["counted"])]  # fmt: skip


def _sums(report: Report) -> dict[str, int]:
    queue, rating = report.queue_total, report.satisfaction_total
    return {
        "issued": queue.issued or 0,
        "served": queue.served,
        "no_show": queue.no_show,
        "counted": rating.counted,
        **_meanings(rating),
    }


def _meanings(rating: SatisfactionRow) -> dict[str, int]:
    """Counted votes per meaning: a hall's scale may have 2 to 5 levels (five stars: 4 and 5 are satisfied)."""
    return {meaning: rating.meanings.get(meaning, 0) for meaning in ("satisfied", "neutral", "unsatisfied")}


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0) + value


def write_csv(
    out: Path,
    config: ProvinceConfig,
    entries: dict[str, HallEntry],
    halls: dict[str, HallConfig],
    reports: dict[str, Report],
    period: Period,
    lang: str,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{_slug(config.province) or 'province'}-{period.first.isoformat()}-{period.last.isoformat()}"
    headers = HEADERS[lang]
    zero = dict.fromkeys(("issued", "served", "no_show", "counted", "satisfied", "neutral", "unsatisfied"), 0)
    rows: list[list[str]] = []
    units: dict[str, dict[str, int]] = {}
    total = dict(zero)
    for site, entry in sorted(entries.items()):
        report = reports.get(site)
        if report is None:
            rows.append([site, entry.name, entry.unit, NO_HALL_FILE[lang]])
            continue
        sums = _sums(report)
        rows.append(_line(site, entry.name, entry.unit, sums, _mean_min(report.queue_total.wait.mean)))
        _add(units.setdefault(entry.unit, dict(zero)), sums)
        _add(total, sums)
    for unit, sums in sorted(units.items()):
        rows.append(["", "", unit, *_line("", "", unit, sums, "")[3:]])
    rows.append(_line("", TOTAL[lang], config.province, total, ""))
    written = [_write(out / f"{stem}-halls.csv", headers, rows)]
    names = {site: _names(hall, lang) for site, hall in halls.items()}
    for dim, name in (("service", "services"), ("officer", "officers"), ("procedure", "procedures")):
        lines = []
        # A procedure has the same national code in every hall: the province's line per procedure adds them up.
        across: dict[str, tuple[dict[str, int], str, Fraction, int]] = {}
        for site, report in sorted(reports.items()):
            queue = {row.key: row for row in report.queue_rows.get(dim, [])}  # type: ignore[call-overload]
            for rating in report.satisfaction_rows.get(dim, []):  # type: ignore[call-overload]
                q = queue.get(rating.key)
                sums = {
                    "issued": (q.issued or 0) if q else 0,
                    "served": q.served if q else 0,
                    "no_show": q.no_show if q else 0,
                    "counted": rating.counted,
                    **_meanings(rating),
                }
                label = names[site].of(dim, rating.key)  # type: ignore[arg-type]
                lines.append(_line(f"{site}/{rating.key}", label, entries[site].unit, sums,
                                   _mean_min(q.wait.mean if q else None)))  # fmt: skip
                if dim == "procedure":
                    so_far, _, waited, waits = across.get(rating.key, (dict(zero), label, Fraction(0), 0))
                    _add(so_far, sums)
                    if q is not None and q.wait.mean is not None:
                        waited, waits = waited + q.wait.mean * q.wait.count, waits + q.wait.count
                    across[rating.key] = (so_far, label, waited, waits)
        for code, (sums, label, waited, waits) in sorted(across.items()):
            lines.append(_line(code, label, TOTAL[lang], sums, _mean_min(waited / waits if waits else None)))
        written.append(_write(out / f"{stem}-{name}.csv", headers, lines))
    print(
        f"{TOTAL[lang]}: {len(reports)} halls, {total['issued']} tickets, {total['served']} served, "
        f"{total['counted']} ratings, satisfied {_pct(total['satisfied'], total['counted']) or '-'} %"
    )
    return written


def _names(hall: HallConfig, lang: str) -> Names:
    """The hall's names of services, officers and (from its catalogue, when the copy of its hall.toml reaches
    it) procedures; a procedure without its name is shown by its code."""
    try:
        procedures = {p.code: p for p in load_procedures(hall)}
    except (MotcuaError, OSError) as exc:
        logger.warning("hall %s: procedure names unavailable (%s); codes are shown", hall.hall.site, exc)
        procedures = {}
    return Names(hall, lang, procedures)  # type: ignore[arg-type]


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in ascii_text if not unicodedata.combining(ch)).lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in ascii_text).split())


def _write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path
