"""The report's pure parts on small hand-made cases: periods, statistics, rounding, counter sessions, names."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from halls import small_hall

from coordinator.engine import AuditEvent, Ticket, TicketStatus
from coordinator.report import ReportError
from coordinator.report.cli import choose_period, parse_by
from coordinator.report.labels import number, plain
from coordinator.report.load import Records
from coordinator.report.metrics import (
    Facts,
    build_facts,
    compute,
    percentile,
    resolve_scope,
    round_half_up,
    sessions,
    summarize,
)
from coordinator.report.period import Period, business_day_of, last_complete, period_containing
from motcua.contract import EventKind, EventReason

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = date(2026, 11, 2)


def at(hour: int, minute: int = 0, second: int = 0, day: date = MONDAY) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=ZONE).astimezone(UTC)


def test_percentile_is_excels_percentile_inc() -> None:
    values = [Fraction(v) for v in (1, 2, 3, 4, 10)]
    assert percentile(values, Fraction(9, 10)) == Fraction(76, 10)  # =PERCENTILE.INC({1,2,3,4,10}; 0,9)
    assert percentile(values, Fraction(1, 2)) == 3
    assert percentile([Fraction(5)], Fraction(9, 10)) == 5
    stats = summarize([Fraction(4), Fraction(1)])
    assert (stats.count, stats.mean, stats.median, stats.p90) == (2, Fraction(5, 2), Fraction(5, 2), Fraction(37, 10))
    assert summarize([]).mean is None


def test_rounding_is_half_up_and_exact() -> None:
    assert round_half_up(Fraction(225, 100)) == Fraction(23, 10)  # round(2.25, 1) would give 2.2
    assert round_half_up(Fraction(1, 20)) == Fraction(1, 10)
    assert round_half_up(Fraction(2, 3)) == Fraction(7, 10)
    assert plain(Fraction(995, 10)) == "99.5" and plain(7) == "7" and plain(None) == ""


def test_numbers_are_written_the_readers_way() -> None:
    assert number(1367, "vi") == "1.367"
    assert number(1367, "en") == "1,367"
    assert number(Fraction(12345, 10), "vi") == "1.234,5"
    assert number(Fraction(12345, 10), "en") == "1,234.5"
    assert number(None, "vi") == "—"


def test_periods_weeks_start_on_monday_and_months_are_calendar_months() -> None:
    assert period_containing("week", date(2026, 10, 14)) == Period("week", date(2026, 10, 12), date(2026, 10, 18))
    assert period_containing("week", date(2026, 10, 18)).first == date(2026, 10, 12)  # a Sunday ends its week
    assert period_containing("month", date(2028, 2, 10)) == Period("month", date(2028, 2, 1), date(2028, 2, 29))
    assert period_containing("month", date(2026, 12, 31)).last == date(2026, 12, 31)
    assert last_complete("day", MONDAY) == Period("day", date(2026, 11, 1), date(2026, 11, 1))
    assert last_complete("week", MONDAY) == Period("week", date(2026, 10, 26), date(2026, 11, 1))
    assert last_complete("month", MONDAY) == Period("month", date(2026, 10, 1), date(2026, 10, 31))
    weeks = Period("month", date(2026, 10, 1), date(2026, 10, 31)).weeks()
    assert [(w.first.day, w.last.day) for w in weeks] == [(1, 4), (5, 11), (12, 18), (19, 25), (26, 31)]
    assert not Period("day", MONDAY, MONDAY).complete(MONDAY)
    assert Period("day", MONDAY, MONDAY).complete(MONDAY + timedelta(days=1))


def test_choosing_the_period_from_the_options() -> None:
    assert choose_period(None, None, None, None, MONDAY) == last_complete("month", MONDAY)
    assert choose_period("week", "today", None, None, MONDAY).first == MONDAY
    assert choose_period(None, None, "2026-10-05", "2026-10-16", MONDAY) == Period(
        "custom", date(2026, 10, 5), date(2026, 10, 16)
    )
    with pytest.raises(ReportError, match="before it starts"):
        choose_period(None, None, "2026-10-16", "2026-10-05", MONDAY)


def test_business_day_follows_the_halls_day_start() -> None:
    early = datetime(2026, 11, 3, 2, 30, tzinfo=ZONE)
    assert business_day_of(early, ZONE, time(0, 0)) == date(2026, 11, 3)
    assert business_day_of(early, ZONE, time(3, 0)) == date(2026, 11, 2)
    assert business_day_of(early.astimezone(UTC), ZONE, time(0, 0)) == date(2026, 11, 3)


def event(
    number: int,
    moment: datetime,
    kind: str,
    detail: str | None = None,
    counter: int | None = 1,
    *,
    reason: EventReason | None = None,
    from_service: str | None = None,
) -> AuditEvent:
    officer = "lan" if counter else None
    return AuditEvent(
        moment,
        EventKind(kind),
        counter,
        None,
        officer,
        None,
        detail,
        reason=reason,
        from_service=from_service,
        seq=number,
    )


def ticket(
    number: int,
    day: date,
    service: str,
    status: TicketStatus,
    *,
    counter: int | None = None,
    officer: str | None = None,
    called: datetime | None = None,
    finished: datetime | None = None,
) -> Ticket:
    """A ticket issued at 08:00 as the report reads it back from the store."""
    return Ticket(
        id=f"t{number}",
        business_day=day,
        issued_service=service,
        service=service,
        number=number,
        label=str(number),
        issued_at=at(8, day=day),
        seq=number,
        status=status,
        counter=counter,
        officer=officer,
        first_called_at=called,
        called_at=called,
        finished_at=finished,
    )


def test_sessions_end_at_the_last_action_when_the_rollover_signs_out() -> None:
    """Sign in 08:00; serve 08:10-08:20; lunch 11:30-13:30; call at 14:00 and leave; midnight rollover."""
    midnight = at(0, 0, 30, MONDAY + timedelta(days=1))
    events = [
        event(1, at(8), "sign_in"),
        event(2, at(8, 10), "called"),
        event(3, at(8, 20), "served"),
        event(4, at(11, 30), "paused"),
        event(5, at(13, 30), "resumed"),
        event(6, at(14), "called"),
        event(7, midnight, "served", "any text", reason=EventReason.DAY_END),
        event(8, midnight, "sign_out", reason=EventReason.DAY_END),
        event(9, midnight, "day_started", "2026-11-03", counter=None),
    ]
    [session] = sessions(events, lambda moment: business_day_of(moment, ZONE, time(0, 0)))
    assert session.day == MONDAY and session.closed_by_rollover
    assert session.signed_in == 6 * 3600  # 08:00 -> 14:00, the last action
    assert session.paused == 2 * 3600
    assert session.serving == 10 * 60  # the visit left open is not counted


def test_sessions_count_every_visit_and_an_explicit_sign_out() -> None:
    events = [
        event(1, at(7, 30), "sign_in"),
        event(2, at(7, 40), "called"),
        event(3, at(7, 41), "recalled", "1"),
        event(4, at(7, 43), "no_show"),
        event(5, at(7, 50), "called"),
        event(6, at(7, 55), "transferred", from_service="a"),
        event(7, at(8), "paused"),
        event(8, at(9, 30), "sign_out"),  # signs out while paused: the pause lasts until then
    ]
    [session] = sessions(events, lambda moment: business_day_of(moment, ZONE, time(0, 0)))
    assert not session.closed_by_rollover
    assert (session.signed_in, session.paused, session.serving) == (7200, 5400, 480)


def test_a_wait_exactly_at_the_target_is_within_it() -> None:
    hall = small_hall()  # service a: target 30 min (the default)
    day = MONDAY

    def served(number: int, wait_min: int) -> Ticket:
        called = at(8) + timedelta(minutes=wait_min)
        return ticket(number, day, "a", TicketStatus.SERVED, counter=1, officer="lan", called=called, finished=at(9))

    tickets = [served(1001, 30), served(1002, 31)]
    records = Records(tickets, [], [], day, day, None)
    period = Period("day", day, day)
    report = compute(build_facts(records, hall, period), hall, period)
    assert report.queue_total.within_target == 1 and report.queue_total.within_target_pct == 50


def test_a_database_with_services_the_hall_does_not_know_is_refused() -> None:
    hall = small_hall()
    waiting = ticket(1001, MONDAY, "ho-tich", TicketStatus.WAITING)
    with pytest.raises(ReportError, match="services ho-tich"):
        build_facts(Records([waiting], [], [], MONDAY, MONDAY, None), hall, Period("day", MONDAY, MONDAY))
    with pytest.raises(ReportError, match="belongs to hall 'phuong-hoa-binh'"):
        build_facts(Records([], [], [], None, None, "phuong-hoa-binh"), hall, Period("day", MONDAY, MONDAY))


def test_names_are_found_without_diacritics_or_case() -> None:
    hall = small_hall()
    facts = Facts()
    assert resolve_scope("officer", "Nguyễn Thị Lan", hall, facts).key == "lan"
    assert resolve_scope("officer", "nguyen thi lan", hall, facts).key == "lan"
    assert resolve_scope("officer", "TRẦN VĂN MINH", hall, facts).key == "minh"
    assert resolve_scope("counter", "2", hall, facts).key == "2"
    assert resolve_scope("service", "Dịch vụ B", hall, facts).key == "b"
    with pytest.raises(ReportError, match=r"unknown officer 'lann' \(did you mean 'lan'\?\)"):
        resolve_scope("officer", "lann", hall, facts)


def test_by_option() -> None:
    assert parse_by([]) == (("service", "counter", "officer"), None)
    assert parse_by(["hall"]) == ((), None)
    assert parse_by(["officer,counter"]) == (("counter", "officer"), None)
    assert parse_by(["officer=Nguyễn Thị Lan"]) == (("service", "counter"), ("officer", "Nguyễn Thị Lan"))
    assert parse_by(["officer=lan", "hall"]) == ((), ("officer", "lan"))
    with pytest.raises(ReportError, match="one restriction"):
        parse_by(["officer=lan", "counter=2"])
    with pytest.raises(ReportError, match="use hall, service, counter, officer or procedure"):
        parse_by(["quay"])
    assert parse_by(["procedure"]) == (("procedure",), None)
    assert parse_by(["service,procedure"]) == (("service", "procedure"), None)
    assert parse_by(["procedure=1.001193"]) == (("service", "counter", "officer"), ("procedure", "1.001193"))


def test_an_officer_no_longer_in_hall_toml_is_shown_by_id() -> None:
    hall = small_hall()
    served = ticket(
        1001, MONDAY, "a", TicketStatus.SERVED, counter=1, officer="former", called=at(8, 5), finished=at(8, 15)
    )
    period = Period("day", MONDAY, MONDAY)
    report = compute(build_facts(Records([served], [], [], MONDAY, MONDAY, None), hall, period), hall, period)
    assert report.unknown_officers == ["former"]
    assert [r.key for r in report.queue_rows["officer"]] == ["lan", "minh", "hoa", "former"]


def test_quarters_years_and_the_period_before_of_the_same_length() -> None:
    from datetime import date

    from coordinator.report.period import Period, period_containing

    q4 = period_containing("quarter", date(2026, 11, 15))
    assert (q4.first, q4.last) == (date(2026, 10, 1), date(2026, 12, 31))
    assert (q4.previous().first, q4.previous().last) == (date(2026, 7, 1), date(2026, 9, 30))
    year = period_containing("year", date(2026, 2, 28))
    assert (year.previous().first, year.previous().last) == (date(2025, 1, 1), date(2025, 12, 31))
    march = period_containing("month", date(2026, 3, 9))
    assert (march.previous().first, march.previous().last) == (date(2026, 2, 1), date(2026, 2, 28))
    custom = Period("custom", date(2026, 10, 1), date(2026, 10, 10))
    assert (custom.previous().first, custom.previous().last, custom.previous().days) == (
        date(2026, 9, 21),
        date(2026, 9, 30),
        10,
    )
