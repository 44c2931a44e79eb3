"""The province mode's figures and alerts (pure: the registry, the reports and `now` are passed in).

A hall's figures are its own day report (`coordinator.report.metrics`, computed by `province.view.today_reports`),
and its counts and satisfaction rate go through `province.report.province_totals`, the same sums and the same rate
(satisfied / counted ratings) as `motcua report --province`; a unit's line adds its halls' counts the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from coordinator.report.metrics import Report, round_half_up
from province.config import HallEntry
from province.report import ProvinceTotals, province_totals
from province.view import Gap, HallState

NO_UNIT = "—"


@dataclass(frozen=True)
class Thresholds:
    """`console.config.ProvinceAlertsSection`, as the alerts need it."""

    offline_min: float = 30.0
    gap_min: float = 10.0
    satisfaction_below_pct: float = 70.0
    satisfaction_minimum: int = 10


@dataclass(frozen=True)
class HallRow:
    """One line of the halls page (Các đơn vị)."""

    site: str
    name: str
    unit: str
    online: bool | None
    online_since: datetime | None
    last_event_at: datetime | None
    gap: Gap | None
    has_hall_file: bool  # without a hall.toml copy the province cannot compute its figures
    problem: str | None  # why its figures could not be computed (English, for the technician)
    totals: ProvinceTotals | None
    open_now: int | None  # tickets issued today not finished yet (waiting or being served), from its events
    mean_wait_min: Fraction | None

    @property
    def satisfied_pct(self) -> Fraction | None:
        return pct(self.totals)


@dataclass(frozen=True)
class UnitGroup:
    unit: str
    halls: list[HallRow]
    totals: ProvinceTotals | None  # None when none of its halls has a hall.toml copy


@dataclass(frozen=True)
class Alert:
    """A hall needing attention now. `kind`: offline, gap, satisfaction."""

    kind: str
    site: str
    name: str
    unit: str
    since: datetime | None
    values: dict[str, object] = field(default_factory=dict)


def pct(totals: ProvinceTotals | None) -> Fraction | None:
    """The satisfied share, rounded as the province's CSV rounds it (one decimal, half up)."""
    if totals is None or not totals.rated:
        return None
    return round_half_up(Fraction(100 * totals.satisfied, totals.rated), 1)


def hall_rows(
    entries: Mapping[str, HallEntry],
    states: Mapping[str, HallState],
    reports: Mapping[str, Report],
    failed: Mapping[str, str] | None = None,
) -> list[HallRow]:
    """Every hall of the registry (province.toml) and any other hall the database knows, with today's figures."""
    rows = []
    for site in sorted(set(entries) | set(states)):
        entry, state, report = entries.get(site), states.get(site), reports.get(site)
        name = (entry.name if entry else None) or (state.name if state else None) or site
        unit = (entry.unit if entry else None) or (state.unit if state else None) or NO_UNIT
        mean = report.queue_total.wait.mean if report else None
        rows.append(
            HallRow(
                site=site,
                name=name,
                unit=unit,
                online=state.online if state else None,
                online_since=state.online_changed_at if state else None,
                last_event_at=state.last_event_at if state else None,
                gap=state.gap if state else None,
                has_hall_file=bool(entry and entry.hall is not None),
                problem=(failed or {}).get(site),
                totals=province_totals({site: report}) if report else None,
                open_now=report.queue_total.open if report else None,
                mean_wait_min=round_half_up(mean / 60, 1) if mean is not None else None,
            )
        )
    return rows


def by_unit(rows: list[HallRow], reports: Mapping[str, Report]) -> list[UnitGroup]:
    """The halls grouped by unit (units and halls by name), each unit with its halls' counts added up."""
    units: dict[str, list[HallRow]] = {}
    for row in rows:
        units.setdefault(row.unit, []).append(row)
    groups = []
    for unit, halls in sorted(units.items()):
        computed = {r.site: reports[r.site] for r in halls if r.site in reports}
        totals = province_totals(computed) if computed else None
        groups.append(UnitGroup(unit, sorted(halls, key=lambda r: (r.name, r.site)), totals))
    return groups


#: The orders of the halls page besides by unit: offline first (longest offline first), least satisfied first.
SORTS = ("unit", "offline", "satisfaction")


def sort_rows(rows: list[HallRow], by: str) -> list[HallRow]:
    """The halls in one list: `offline` puts offline halls first (longest first), then those never connected;
    `satisfaction` puts the least satisfied today first (halls without ratings last); otherwise by unit and name."""
    if by == "offline":
        rank = {False: 0, None: 1, True: 2}
        return sorted(rows, key=lambda r: (rank[r.online], r.online_since or datetime.max.replace(tzinfo=UTC), r.name))
    if by == "satisfaction":
        return sorted(rows, key=lambda r: (r.satisfied_pct is None, r.satisfied_pct or 0, r.name))
    return sorted(rows, key=lambda r: (r.unit, r.name, r.site))


def alerts(rows: list[HallRow], now: datetime, thresholds: Thresholds) -> list[Alert]:
    """Halls offline longer than `offline_min`, with events missing longer than `gap_min`, or less satisfied today
    than `satisfaction_below_pct` (once `satisfaction_minimum` ratings are counted). Oldest first."""
    found = []
    for row in rows:
        if row.online is False and row.online_since and now - row.online_since >= _minutes(thresholds.offline_min):
            found.append(Alert("offline", row.site, row.name, row.unit, row.online_since))
        if row.gap is not None and now - row.gap.since >= _minutes(thresholds.gap_min):
            gap = row.gap
            values: dict[str, object] = {
                "first": gap.first,
                "last": gap.last,
                "missing": gap.missing,
                "highest": gap.highest,
            }
            found.append(Alert("gap", row.site, row.name, row.unit, gap.since, values))
        share = row.satisfied_pct
        if (
            share is not None
            and row.totals is not None
            and row.totals.rated >= thresholds.satisfaction_minimum
            and share < Fraction(thresholds.satisfaction_below_pct)
        ):
            values = {"pct": share, "rated": row.totals.rated, "threshold": thresholds.satisfaction_below_pct}
            found.append(Alert("satisfaction", row.site, row.name, row.unit, None, values))
    return sorted(found, key=lambda a: (a.since or now, a.unit, a.name))


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)
