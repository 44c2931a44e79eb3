"""Report periods (pure): a day, a week (Monday to Sunday), a month, a quarter, a year, or any range of business
days; and the period before one, of the same length, for the report's comparison.

A business day is the coordinator's: it starts at the hall's ``day_starts_at`` local time, in the hall's time zone
(`coordinator.engine.QueueEngine.business_day_of`). Every figure of a report belongs to one business day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from coordinator.report import ReportError

PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom"]


@dataclass(frozen=True)
class Period:
    """Business days `first` to `last`, both included."""

    kind: PeriodKind
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ReportError(f"the period ends ({self.last:%d/%m/%Y}) before it starts ({self.first:%d/%m/%Y})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def complete(self, today: date) -> bool:
        """Whether every day of the period is over (today is the current business day)."""
        return self.last < today

    def previous(self) -> Period:
        """The period just before, of the same length: the previous day, week, month, quarter or year (a calendar
        one: February after January's 31 days); for a custom range, the same number of days just before it."""
        if self.kind == "custom":
            return Period("custom", self.first - timedelta(days=self.days), self.first - timedelta(days=1))
        return period_containing(self.kind, self.first - timedelta(days=1))

    def weeks(self) -> list[Period]:
        """The period cut into weeks starting on Monday; the first and last are clipped to the period."""
        result = []
        start = self.first
        while start <= self.last:
            sunday = start + timedelta(days=6 - start.weekday())
            result.append(Period("custom", start, min(sunday, self.last)))
            start = sunday + timedelta(days=1)
        return result


def period_containing(kind: PeriodKind, day: date) -> Period:
    """The day, week (Monday start) or calendar month that contains `day`."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period("month", first, following - timedelta(days=1))
    if kind == "quarter":
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        following = (first + timedelta(days=93)).replace(day=1)
        return Period("quarter", first, following - timedelta(days=1))
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    raise ReportError(f"unknown period {kind!r}: day, week, month, quarter or year")


def last_complete(kind: PeriodKind, today: date) -> Period:
    """The most recent period of this kind that is over: yesterday, last week, last month."""
    return period_containing(kind, period_containing(kind, today).first - timedelta(days=1))


def business_day_of(moment: datetime, zone: ZoneInfo, day_starts_at: time) -> date:
    """The business day `moment` belongs to (the same rule as the queue engine)."""
    local = moment.astimezone(zone)
    return (local - timedelta(hours=day_starts_at.hour, minutes=day_starts_at.minute)).date()


def day_start(day: date, zone: ZoneInfo, day_starts_at: time) -> datetime:
    """The instant (UTC) business day `day` starts."""
    return datetime.combine(day, day_starts_at, tzinfo=zone).astimezone(UTC)
