"""`motcua bookings import FILE --config coordinator.toml`: add the day's bookings from the province's booking
system to the coordinator's database (docs/queue-rules.md has the CSV and JSON formats).

The file is checked as a whole against hall.toml and the bookings already imported: any bad row (with its line
number) or a code given twice refuses the whole file, and nothing is written. A running coordinator sees the new
bookings at once (it reads a booking when a kiosk checks one in).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from coordinator.bookings import BookingImportError, parse_bookings
from coordinator.engine import QueueEngine
from coordinator.main import CoordinatorConfig
from coordinator.store import Store
from motcua.clock import clock_from_env
from motcua.config import load_config
from motcua.hall import load_hall, load_procedures

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua bookings", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("import", help="import a bookings file (CSV or JSON)")
    add.add_argument("file", type=Path)
    add.add_argument("--config", type=Path, required=True, help="the coordinator's config (coordinator.toml)")
    add.add_argument("--format", choices=("csv", "json"), help="default: from the file's extension")
    args = parser.parse_args(argv)
    config = load_config(args.config, CoordinatorConfig)
    hall = load_hall(config.hall)
    procedures = load_procedures(hall)
    fmt = args.format or args.file.suffix.lstrip(".").lower()
    engine = QueueEngine(hall, procedures)  # only for the business day of a slot
    try:
        bookings = parse_bookings(
            args.file.read_text(encoding="utf-8"),
            fmt=fmt,
            zone=hall.hall.zone,
            services={s.id for s in hall.services},
            procedures={p.code: p.service for p in procedures},
        )
        store = Store(config.database)
        try:
            count = store.import_bookings(bookings, engine.business_day_of, clock_from_env().now())
        finally:
            store.close()
    except BookingImportError as exc:
        print(f"{args.file}: refused, nothing imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file}: {count} bookings imported")
    return 0
