"""Scheduled reports (báo cáo định kỳ): which period a weekly or monthly run reports on, the folder it is written
into, and writing that folder whole or not at all.

`motcua report --last week --out-dir /srv/motcua/reports` (a systemd timer every Monday morning) writes the
previous ISO week (Monday to Sunday) into ``/srv/motcua/reports/2026-W47/``; ``--last month`` on the 1st writes the
previous calendar month into ``.../2026-11/``. Business days are the hall's (its time zone and ``day_starts_at``):
the caller passes today's business day. The period and folder functions are pure; `write_atomically` is the I/O.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from coordinator.report.period import Period, PeriodKind, last_complete

logger = logging.getLogger(__name__)


def last_full(kind: PeriodKind, today: date) -> Period:
    """The last period of `kind` that is over on business day `today`: the previous ISO week (Monday to Sunday),
    the previous calendar month, ... — never the current one, even on its last day."""
    return last_complete(kind, today)


def folder_name(period: Period) -> str:
    """The period's folder: ``2026-W47`` (ISO week, its ISO year: the week of 29/12/2025 is ``2026-W01``),
    ``2026-11``, ``2026-Q4``, ``2026``, ``2026-11-23`` (a day), ``2026-11-03_2026-11-20`` (any other range)."""
    first = period.first
    if period.kind == "week":
        iso = first.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if period.kind == "month":
        return f"{first:%Y-%m}"
    if period.kind == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if period.kind == "year":
        return f"{first.year}"
    if period.kind == "day":
        return first.isoformat()
    return f"{first.isoformat()}_{period.last.isoformat()}"


def write_atomically(target: Path, write: Callable[[Path], list[Path]], *, replace: bool = False) -> list[Path]:
    """Make folder `target` with `write(folder)`: written into a temporary folder beside it, then renamed, so a
    reader (a manager's file browser, a Samba share) sees the whole folder or none. When `target` exists it is
    kept (a re-run, e.g. a timer catching up, changes nothing) unless `replace`. Returns the files of `target`."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not replace:
        logger.info("%s is already written: kept", target)
        return sorted(path for path in target.iterdir() if path.is_file())
    # Hidden, beside the target (the same file system, so the rename is atomic). os.mkdir honours the umask and
    # inherits the group of a setgid folder, as the final folder must.
    partial = parent / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    os.mkdir(partial)
    try:
        written = write(partial)
        old = parent / f".{target.name}.old-{os.getpid()}"
        if target.exists():
            os.rename(target, old)
        os.rename(partial, target)
        shutil.rmtree(old, ignore_errors=True)
        logger.info("%s written: %d files", target, len(written))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return sorted(target / path.relative_to(partial) for path in written)
