"""Bookings (lịch hẹn): the import, check-in on time / early / late / twice / unknown, and the queue rule — a
booked ticket is called at its slot ahead of walk-ins, early arrivals wait, walk-ins keep the max-wait cap —
under hypothesis with bookings mixed into walk-in traffic."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import MONDAY_MORNING
from halls import small_hall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordinator.bookings import (
    Booking,
    BookingImportError,
    BookingOutcome,
    parse_bookings,
)
from coordinator.engine import QueueEngine, QueueError, Ticket, TicketStatus
from coordinator.store import Store
from motcua.contract import (
    CounterAction,
    ErrorCode,
    ErrorReply,
    PriorityCategory,
    TicketCancel,
    TicketIssued,
    TicketRequest,
    parse_kiosk_reply,
)
from motcua.hall import BookingsSection

VN = MONDAY_MORNING.tzinfo
SERVICES = {"a", "b"}
PROCEDURES = {"1.001193": "a"}

GOOD_CSV = """code,service,procedure,start,end
DL-0001,a,,2026-11-23T09:00,2026-11-23T09:15
DL-0002,,1.001193,2026-11-23T09:15:00+07:00,2026-11-23T09:30:00+07:00
dl-0003,b,,2026-11-23T10:00,2026-11-23T10:15
"""


def parse(content: str, fmt: str = "csv") -> list[Booking]:
    return parse_bookings(content, fmt=fmt, zone=VN, services=SERVICES, procedures=PROCEDURES)


def test_a_good_csv_file_is_read_with_local_times_and_procedures_naming_their_service():
    bookings = parse(GOOD_CSV)
    assert [(b.code, b.service, b.procedure) for b in bookings] == [
        ("DL-0001", "a", None),
        ("DL-0002", "a", "1.001193"),
        ("DL-0003", "b", None),
    ]
    assert bookings[0].slot_start == datetime(2026, 11, 23, 9, 0, tzinfo=VN)
    assert bookings[1].slot_end.utcoffset() == timedelta(hours=7)


def test_a_good_json_file_is_read():
    content = (
        '{"bookings": [{"code": "DL-0001", "service": "a", "start": "2026-11-23T09:00", "end": "2026-11-23T09:15"}]}'
    )
    assert [b.code for b in parse(content, "json")] == ["DL-0001"]


def test_malformed_rows_refuse_the_file_with_their_line_numbers():
    content = (
        GOOD_CSV
        + "X,a,,2026-11-23T09:00,2026-11-23T09:15\n"  # line 5: code too short
        + "DL-0005,zz,,2026-11-23T09:00,2026-11-23T09:15\n"  # line 6: unknown service
        + "DL-0006,a,,2026-11-23T09:30,2026-11-23T09:00\n"  # line 7: ends before it starts
        + "DL-0007,a,,tomorrow,2026-11-23T09:00\n"  # line 8: not a time
        + "DL-0008,b,1.001193,2026-11-23T09:00,2026-11-23T09:15\n"  # line 9: procedure of another service
        + "DL-0001,a,,2026-11-23T11:00,2026-11-23T11:15\n"  # line 10: duplicate of line 2
    )
    with pytest.raises(BookingImportError) as refused:
        parse(content)
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in (5, 6, 7, 8, 9, 10)]
    assert "already on line 2" in problems[-1]


def test_bad_json_entries_are_named_by_their_place_in_the_list():
    content = (
        '{"bookings": [{"code": "DL-0001", "service": "a", "start": "2026-11-23T09:00", "end": "2026-11-23T09:15"},'
        ' {"code": "DL-0002", "service": "a", "start": 9, "end": "2026-11-23T09:15"},'
        ' {"code": "DL-0001", "service": "a", "start": "2026-11-23T10:00", "end": "2026-11-23T10:15"}]}'
    )
    with pytest.raises(BookingImportError) as refused:
        parse(content, "json")
    assert refused.value.problems == [
        "entry 2: not an object of strings",
        "entry 3: booking DL-0001 already on entry 1",
    ]


def test_a_column_of_personal_data_is_refused():
    with pytest.raises(BookingImportError, match=r"unknown column.*full_name"):
        parse("code,service,start,end,full_name\nDL-0001,a,2026-11-23T09:00,2026-11-23T09:15,Nguyễn Văn An\n")


def test_the_cli_imports_once_and_refuses_a_file_imported_twice(tmp_path: Path, hall):
    config = tmp_path / "coordinator.toml"
    root = Path(__file__).resolve().parent.parent
    config.write_text(
        f'hall = "{root / "examples" / "ward-hall" / "hall.toml"}"\ndatabase = "{tmp_path / "c.db"}"\n',
        encoding="utf-8",
    )
    service = hall.services[0].id
    bookings = tmp_path / "today.csv"
    bookings.write_text(f"code,service,start,end\nDL-0001,{service},2026-11-23T09:00,2026-11-23T09:15\n")
    command = [sys.executable, "-m", "motcua.cli", "bookings", "import", str(bookings), "--config", str(config)]
    first = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "1 bookings imported" in first.stdout
    again = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    assert again.returncode == 1 and "DL-0001 was already imported" in again.stderr
    store = Store(tmp_path / "c.db")
    try:
        booked = store.booking("DL-0001")
        assert booked is not None and booked.service == service and booked.ticket_id is None
    finally:
        store.close()


# --- check-in and the queue rule (engine) -------------------------------------------------------------------


def booking(code: str, slot: datetime, service: str = "a", minutes: int = 15) -> Booking:
    return Booking(code=code, service=service, slot_start=slot, slot_end=slot + timedelta(minutes=minutes))


def open_engine(**queue) -> QueueEngine:
    engine = QueueEngine(small_hall(queue={"max_wait_min": 45, **queue}))
    engine.tick(MONDAY_MORNING)
    return engine


def issue(engine: QueueEngine, now: datetime, **kwargs) -> Ticket:
    return engine.issue(now, request_id=str(uuid.uuid4()), **kwargs)


def test_check_in_on_time_early_late_twice():
    engine = open_engine()
    nine = MONDAY_MORNING.replace(hour=9)
    on_time = issue(engine, nine + timedelta(minutes=10), booking=booking("DL-0001", nine))
    assert on_time.booked_for == nine and on_time.booking == "DL-0001" and on_time.service == "a"
    early = issue(engine, nine - timedelta(minutes=59), booking=booking("DL-0002", nine))
    assert early.booked_for == nine
    late = issue(engine, nine + timedelta(minutes=16), booking=booking("DL-0003", nine))
    assert late.booked_for is None and late.booking == "DL-0003"  # a walk-in now
    assert engine.take_changes().bookings["DL-0003"][1] is BookingOutcome.LATE
    with pytest.raises(QueueError) as used:
        issue(engine, nine + timedelta(minutes=11), booking=booking("DL-0001", nine))
    assert used.value.code is ErrorCode.BOOKING_USED
    with pytest.raises(QueueError) as too_early:
        issue(engine, nine - timedelta(minutes=61), booking=booking("DL-0004", nine))
    assert too_early.value.code is ErrorCode.BOOKING_TOO_EARLY
    with pytest.raises(QueueError) as tomorrow:
        issue(engine, nine, booking=booking("DL-0005", nine + timedelta(days=1)))
    assert tomorrow.value.code is ErrorCode.BOOKING_TOO_EARLY
    with pytest.raises(QueueError) as yesterday:
        issue(engine, nine, booking=booking("DL-0006", nine - timedelta(days=1)))
    assert yesterday.value.code is ErrorCode.BOOKING_TOO_LATE


def test_a_booked_ticket_is_called_at_its_slot_ahead_of_walk_ins_and_early_ones_wait():
    engine = open_engine()
    t0 = MONDAY_MORNING
    walk_ins = [issue(engine, t0 + timedelta(minutes=i), service="a") for i in range(3)]
    booked = issue(engine, t0 + timedelta(minutes=5), booking=booking("DL-0001", t0 + timedelta(minutes=20)))
    first = engine.command(t0 + timedelta(minutes=10), 1, CounterAction.NEXT)
    assert first is walk_ins[0]  # the booked citizen came early: they wait for their slot
    second = engine.command(t0 + timedelta(minutes=20), 1, CounterAction.NEXT)
    assert second is booked  # at the slot, ahead of the two walk-ins waiting longer
    assert engine.command(t0 + timedelta(minutes=30), 1, CounterAction.NEXT) is walk_ins[1]


def test_walk_ins_keep_the_max_wait_cap_ahead_of_a_booked_slot():
    engine = open_engine(max_wait_min=30)
    t0 = MONDAY_MORNING
    walk_in = issue(engine, t0, service="a")
    issue(engine, t0 + timedelta(minutes=30), booking=booking("DL-0001", t0 + timedelta(minutes=40)))
    assert engine.command(t0 + timedelta(minutes=41), 1, CounterAction.NEXT) is walk_in  # waited 41 > 30 min


def test_an_early_booked_citizen_is_not_kept_waiting_at_an_idle_counter():
    engine = open_engine()
    booked = issue(engine, MONDAY_MORNING, booking=booking("DL-0001", MONDAY_MORNING + timedelta(minutes=40)))
    assert engine.command(MONDAY_MORNING + timedelta(minutes=1), 1, CounterAction.NEXT) is booked


# --- the queue rule under hypothesis ------------------------------------------------------------------------

STEP = st.one_of(
    st.tuples(st.just("walk_in"), st.sampled_from(["a", "b"]), st.booleans(), st.integers(0, 6), st.just(False)),
    # a booking checked in, with or without a priority (elderly, disabled ...) chosen at the kiosk
    st.tuples(st.just("book"), st.sampled_from(["a", "b"]), st.integers(-50, 30), st.integers(0, 6), st.booleans()),
    st.tuples(st.just("again"), st.just(""), st.integers(0, 10), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("next"), st.sampled_from([1, 2]), st.just(0), st.integers(0, 12), st.just(False)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, min_size=5, max_size=80), st.sampled_from(["interleaved", "strict"]))
def test_the_booking_rule_holds_whatever_the_traffic(steps, mode):
    cap = timedelta(minutes=45)
    engine = QueueEngine(small_hall(queue={"max_wait_min": 45, "priority_mode": mode}))
    now = MONDAY_MORNING
    engine.tick(now)
    codes: list[Booking] = []
    used: set[str] = set()
    for kind, what, number, advance, with_priority in steps:
        now += timedelta(minutes=advance)
        if kind == "walk_in":
            try:
                issue(engine, now, service=what, priority=PriorityCategory.ELDERLY if number else None)
            except QueueError as exc:
                assert exc.code is ErrorCode.SERIES_EXHAUSTED
        elif kind in ("book", "again"):
            if kind == "book":
                new = booking(f"BK-{len(codes):04d}", now + timedelta(minutes=number), service=what)
                codes.append(new)
            elif not codes:
                continue
            chosen = codes[-1] if kind == "book" else codes[number % len(codes)]
            priority = PriorityCategory.DISABLED if with_priority else None
            try:
                ticket = issue(engine, now, booking=chosen, priority=priority)
            except QueueError as exc:
                assert exc.code in (ErrorCode.BOOKING_USED, ErrorCode.BOOKING_TOO_LATE, ErrorCode.SERIES_EXHAUSTED)
                if exc.code is not ErrorCode.BOOKING_TOO_LATE:  # (the day may have rolled over)
                    assert (exc.code is ErrorCode.BOOKING_USED) == (chosen.code in used)
                continue
            assert chosen.code not in used  # a code works once
            used.add(chosen.code)
            on_time = now <= chosen.slot_start + timedelta(minutes=15)
            assert ticket.booked_for == (chosen.slot_start if on_time else None)
            assert ticket.priority is priority  # carried whether booked or late (then a priority walk-in)
        else:
            counter = engine.counters[what]
            waiting = [t for s in counter.services for t in engine.waiting(s)]
            streak = counter.priority_streak
            try:
                called = engine.command(now, what, CounterAction.NEXT)
            except QueueError as exc:
                assert exc.code is ErrorCode.QUEUE_EMPTY and not waiting
                continue
            _check_call(called, waiting, now, cap)
            _check_priority(called, waiting, now, cap, mode, streak, ratio=engine.hall.queue.priority_ratio)
            if called.booked_for is not None:  # a booked call, priority or not, leaves the interleaving alone
                assert counter.priority_streak == streak


def _check_call(called: Ticket, waiting: list[Ticket], now: datetime, cap: timedelta) -> None:
    assert called.status is TicketStatus.CALLED and called in waiting
    walk_ins = [t for t in waiting if t.booked_for is None]
    due = [t for t in waiting if t.booked_for is not None and t.booked_for <= now]

    def start(t: Ticket) -> datetime:
        return t.booked_for or t.issued_at

    contenders = walk_ins + due
    overdue = [t for t in contenders if now - start(t) >= cap]
    if overdue:  # nobody starves: the longest wait past the cap goes first, booked or not
        assert start(called) == min(start(t) for t in overdue)
    elif due:  # a booked citizen at their slot goes ahead of every walk-in, priority or not
        assert called in due and called.booked_for == min(t.booked_for for t in due if t.booked_for)
    if called.booked_for is not None and called.booked_for > now:
        assert not walk_ins  # an early booked ticket only ever goes first at an idle counter


def _check_priority(
    called: Ticket, waiting: list[Ticket], now: datetime, cap: timedelta, mode: str, streak: int, ratio: int
) -> None:
    """Among walk-ins (late bookings included) the priority policy holds; among booked tickets priority changes
    nothing (earliest slot first, checked above)."""
    walk_ins = [t for t in waiting if t.booked_for is None]
    due = [t for t in waiting if t.booked_for is not None and t.booked_for <= now]
    if called.booked_for is not None or due or any(now - (t.booked_for or t.issued_at) >= cap for t in walk_ins + due):
        return
    priority = [t for t in walk_ins if t.priority is not None]
    normal = [t for t in walk_ins if t.priority is None]
    if priority and (not normal or mode == "strict" or streak < ratio):
        assert called.priority is not None  # a late booking with a priority keeps it among walk-ins
        assert called.issued_at == min(t.issued_at for t in priority)
    elif normal:
        assert called.priority is None and called.issued_at == min(t.issued_at for t in normal)


# --- over MQTT, with the real coordinator --------------------------------------------------------------------


def test_a_kiosk_checks_in_a_booking_once_and_hears_why_not(coordinator, sessions, hall):
    now = coordinator.clock.now()
    service = hall.services[0].id
    store = coordinator.store
    store.import_bookings(
        [booking("DL-7777", now + timedelta(minutes=20), service=service)], coordinator.engine.business_day_of, now
    )
    kiosk = sessions("kiosk-1", role="kiosk")
    topics = kiosk.topics

    first_request = uuid.uuid4()

    def ask(code: str, request_id: uuid.UUID | None = None):
        request = TicketRequest(request_id=request_id or uuid.uuid4(), sent_at=coordinator.clock.now(), booking=code)
        reply = kiosk.request(topics.ticket_request("kiosk-1"), request, response_topic=topics.ticket_reply("kiosk-1"))
        return parse_kiosk_reply(reply.payload)

    issued = ask("DL-7777", first_request)
    assert isinstance(issued, TicketIssued)
    assert issued.ticket.booked_for == (now + timedelta(minutes=20)) and issued.ticket.service == service
    again = ask("DL-7777")
    assert isinstance(again, ErrorReply) and again.error is ErrorCode.BOOKING_USED
    unknown = ask("DL-0000")
    assert isinstance(unknown, ErrorReply) and unknown.error is ErrorCode.UNKNOWN_BOOKING
    kept = store.booking("DL-7777")
    assert kept is not None and kept.ticket_id == issued.ticket.id and kept.outcome is BookingOutcome.KEPT
    # The kiosk could not print it and cancelled it: the booking is free again, and gives a new ticket.
    cancel = TicketCancel(request_id=first_request, reason="print_failed")
    kiosk.request(topics.ticket_cancel("kiosk-1"), cancel, response_topic=topics.ticket_reply("kiosk-1"))
    reissued = ask("DL-7777")
    assert isinstance(reissued, TicketIssued) and reissued.ticket.id != issued.ticket.id


def test_a_booked_ticket_waiting_past_the_cap_since_its_slot_goes_before_a_later_overdue_walk_in():
    engine = open_engine(max_wait_min=30)
    t0 = MONDAY_MORNING
    booked = issue(engine, t0, booking=booking("DL-0001", t0 + timedelta(minutes=5)))
    walk_in = issue(engine, t0 + timedelta(minutes=6), service="a")
    # At 08:40 both are past the cap: the booked citizen since 08:05 (their slot), the walk-in since 08:06.
    assert engine.command(t0 + timedelta(minutes=40), 1, CounterAction.NEXT) is booked
    assert engine.command(t0 + timedelta(minutes=41), 1, CounterAction.NEXT) is walk_in


def test_the_report_counts_kept_late_missed_and_the_waits_of_booked_and_walk_in_citizens(tmp_path: Path):
    from coordinator.report.bookings import load_figures

    t0 = MONDAY_MORNING
    engine = open_engine()
    store = Store(tmp_path / "c.db")
    try:
        slots = {"DL-0001": t0 + timedelta(minutes=30), "DL-0002": t0, "DL-0003": t0 + timedelta(hours=2)}
        store.import_bookings([booking(code, slot) for code, slot in slots.items()], engine.business_day_of, t0)
        early = issue(engine, t0, booking=store.booking("DL-0001"))  # 30 min early: waits for the slot
        walk_in = issue(engine, t0 + timedelta(minutes=1), service="a")
        late = issue(engine, t0 + timedelta(minutes=20), booking=store.booking("DL-0002"))  # 20 min late: walk-in
        assert engine.command(t0 + timedelta(minutes=25), 1, CounterAction.NEXT) is walk_in  # waited 24 min
        assert engine.command(t0 + timedelta(minutes=34), 1, CounterAction.NEXT) is early  # 4 min after its slot
        assert engine.command(t0 + timedelta(minutes=40), 1, CounterAction.NEXT) is late  # waited 20 min
        store.save(engine.take_changes(), engine.counters, engine.business_day)
        store.commit()
        result = load_figures(store.db, t0.date(), t0.date())
    finally:
        store.close()
    assert (result.kept, result.late, result.missed) == (1, 1, 1)
    assert result.booked_wait_p50_min == 4.0
    assert result.walk_in_wait_p50_min == 22.0  # 24 and 20 minutes


def test_a_booked_tickets_people_ahead_are_the_booked_tickets_of_earlier_slots():
    engine = open_engine()
    t0 = MONDAY_MORNING
    for minute in range(4):
        issue(engine, t0 + timedelta(minutes=minute), service="a")  # walk-ins: not ahead of a booked slot
    issue(engine, t0 + timedelta(minutes=5), booking=booking("DL-0001", t0 + timedelta(minutes=30)))
    later = issue(engine, t0 + timedelta(minutes=6), booking=booking("DL-0002", t0 + timedelta(minutes=45)))
    assert engine.estimate("a", ticket=later).people_ahead == 1


# --- the hall's check-in window (hall.toml [bookings]) -------------------------------------------------------


def windowed_engine(early_min: int, grace_min: int) -> QueueEngine:
    hall = small_hall(queue={"max_wait_min": 45})
    hall = hall.model_copy(update={"bookings": BookingsSection(early_min=early_min, grace_min=grace_min)})
    engine = QueueEngine(hall)
    engine.tick(MONDAY_MORNING)
    return engine


def test_a_hall_without_a_bookings_section_keeps_the_60_and_15_minute_window():
    assert (small_hall().bookings.early_min, small_hall().bookings.grace_min) == (60, 15)


def test_the_halls_window_decides_early_on_time_and_late_check_ins():
    nine = MONDAY_MORNING.replace(hour=9)
    # 90 minutes early: refused by the default window, a booked ticket with early_min = 120.
    with pytest.raises(QueueError) as refused:
        issue(open_engine(), nine - timedelta(minutes=90), booking=booking("DL-0001", nine))
    assert refused.value.code is ErrorCode.BOOKING_TOO_EARLY
    wide = windowed_engine(early_min=120, grace_min=15)
    assert issue(wide, nine - timedelta(minutes=90), booking=booking("DL-0001", nine)).booked_for == nine
    # 40 minutes early: booked by default, refused with early_min = 30.
    assert issue(open_engine(), nine - timedelta(minutes=40), booking=booking("DL-0002", nine)).booked_for == nine
    with pytest.raises(QueueError) as narrow:
        issue(windowed_engine(30, 15), nine - timedelta(minutes=40), booking=booking("DL-0002", nine))
    assert narrow.value.code is ErrorCode.BOOKING_TOO_EARLY
    # 20 minutes late: a walk-in by default (grace 15), still booked with grace_min = 30 ...
    assert issue(open_engine(), nine + timedelta(minutes=20), booking=booking("DL-0003", nine)).booked_for is None
    generous = windowed_engine(60, 30)
    assert issue(generous, nine + timedelta(minutes=20), booking=booking("DL-0003", nine)).booked_for == nine
    assert generous.take_changes().bookings["DL-0003"][1] is BookingOutcome.KEPT
    # ... and 5 minutes late is already a walk-in with grace_min = 0.
    strict = windowed_engine(60, 0)
    assert issue(strict, nine + timedelta(minutes=5), booking=booking("DL-0004", nine)).booked_for is None
    assert strict.take_changes().bookings["DL-0004"][1] is BookingOutcome.LATE
    assert issue(strict, nine, booking=booking("DL-0005", nine)).booked_for == nine  # at the slot's start: on time


@pytest.mark.parametrize(
    ("settings", "where"),
    [
        ({"early_min": -5}, "bookings.early_min"),
        ({"early_min": 600}, "bookings.early_min"),
        ({"grace_min": 121}, "bookings.grace_min"),
        ({"grace_min": "fifteen"}, "bookings.grace_min"),
        ({"grace": 15}, "bookings.grace"),
    ],
)
def test_motcua_check_refuses_a_bad_booking_window(settings, where, tmp_path: Path, capsys):
    from motcua.cli import main

    sample = Path(__file__).resolve().parent.parent / "examples" / "ward-hall"
    text = (sample / "hall.toml").read_text(encoding="utf-8")
    text = text.replace('procedures = "procedures.toml"', f'procedures = "{sample / "procedures.toml"}"')
    section = "\n".join(f"{key} = {value!r}".replace("'", '"') for key, value in settings.items())
    start, end = text.index("[bookings]\n"), text.index("[rating]")
    path = tmp_path / "hall.toml"
    path.write_text(text[:start] + "[bookings]\n" + section + "\n\n" + text[end:], encoding="utf-8")
    assert main(["check", "hall", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{where}: " in err, err
    good = tmp_path / "good.toml"
    good.write_text(text, encoding="utf-8")
    assert main(["check", "hall", str(good)]) == 0, capsys.readouterr().err


# --- a booked citizen with a priority -----------------------------------------------------------------------


def test_a_booked_ticket_with_a_priority_is_called_at_its_slot_and_a_late_one_keeps_its_priority():
    engine = open_engine(priority_mode="strict")
    t0 = MONDAY_MORNING
    elderly, disabled = PriorityCategory.ELDERLY, PriorityCategory.DISABLED
    walk_in = issue(engine, t0, service="a", priority=elderly)
    early_slot = issue(engine, t0 + timedelta(minutes=1), booking=booking("DL-0001", t0 + timedelta(minutes=10)))
    with_priority = issue(
        engine, t0 + timedelta(minutes=2), booking=booking("DL-0002", t0 + timedelta(minutes=20)), priority=disabled
    )
    assert with_priority.booked_for == t0 + timedelta(minutes=20) and with_priority.priority is disabled
    late = issue(engine, t0 + timedelta(minutes=16), booking=booking("DL-0003", t0), priority=disabled)
    assert late.booked_for is None and late.priority is disabled  # a walk-in now, still a priority one
    normal = issue(engine, t0 + timedelta(minutes=17), service="a")
    # 08:25: both slots have started; earliest slot first — the priority does not reorder booked tickets ...
    assert engine.command(t0 + timedelta(minutes=25), 1, CounterAction.NEXT) is early_slot
    assert engine.command(t0 + timedelta(minutes=26), 1, CounterAction.NEXT) is with_priority
    # ... then the walk-ins: strict priority, the late booking among the priority ones in issue order.
    assert engine.command(t0 + timedelta(minutes=27), 1, CounterAction.NEXT) is walk_in
    assert engine.command(t0 + timedelta(minutes=28), 1, CounterAction.NEXT) is late
    assert engine.command(t0 + timedelta(minutes=29), 1, CounterAction.NEXT) is normal


def test_a_booked_call_neither_lengthens_nor_breaks_a_run_of_priority_calls():
    engine = open_engine(priority_mode="interleaved", priority_ratio=1)
    t0 = MONDAY_MORNING
    first = issue(engine, t0, service="a", priority=PriorityCategory.ELDERLY)
    second = issue(engine, t0 + timedelta(minutes=1), service="a", priority=PriorityCategory.ELDERLY)
    normal = issue(engine, t0 + timedelta(minutes=2), service="a")
    booked = issue(
        engine,
        t0 + timedelta(minutes=3),
        booking=booking("DL-0001", t0 + timedelta(minutes=5)),
        priority=PriorityCategory.PREGNANT,
    )
    assert engine.command(t0 + timedelta(minutes=4), 1, CounterAction.NEXT) is first  # a run of 1 priority call
    assert engine.command(t0 + timedelta(minutes=6), 1, CounterAction.NEXT) is booked  # at its slot
    assert engine.counters[1].priority_streak == 1
    assert engine.command(t0 + timedelta(minutes=7), 1, CounterAction.NEXT) is normal  # the run still counts
    assert engine.command(t0 + timedelta(minutes=8), 1, CounterAction.NEXT) is second
