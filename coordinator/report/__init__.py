"""Reports for the hall's managers: satisfaction and queue figures, as HTML (A4) and CSV.

- `coordinator.report.period` — report periods and business days (pure)
- `coordinator.report.load` — reads the coordinator's database, read-only (SQL only here)
- `coordinator.report.metrics` — every figure of the report, from the loaded records (pure)
- `coordinator.report.labels` — Vietnamese and English texts
- `coordinator.report.charts` — matplotlib charts as inline SVG
- `coordinator.report.render` — the HTML page and the CSV files
- `coordinator.report.cli` — `motcua report ...`

docs/reports.md defines every figure.
"""

from __future__ import annotations

from motcua.errors import MotcuaError


class ReportError(MotcuaError, ValueError):
    """A report cannot be made as asked (unknown name, empty period, wrong database); the message says why."""
