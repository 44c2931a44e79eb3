"""Property-based tests of the queue engine: whatever officers and kiosks do, in any order, across days,
no number is issued twice, no ticket is lost, and a restart from the store restores the queue exactly."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import MONDAY_MORNING
from halls import small_hall
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from coordinator.engine import QueueEngine, QueueError, Ticket, TicketStatus
from coordinator.store import Store
from motcua.contract import CounterAction, ErrorCode, PriorityCategory

pytestmark = pytest.mark.slow  # hypothesis runs whole hall days through the engine

SERVICES = st.sampled_from(["a", "b"])
COUNTERS = st.sampled_from([1, 2, 3])
PRIORITY = st.one_of(st.none(), st.sampled_from(list(PriorityCategory)))
ACTIONS = st.sampled_from(
    [
        CounterAction.NEXT,
        CounterAction.NEXT,
        CounterAction.RECALL,
        CounterAction.NO_SHOW,
        CounterAction.FINISH,
        CounterAction.PAUSE,
        CounterAction.RESUME,
        CounterAction.SIGN_OUT,
    ]
)


class HallDay(RuleBasedStateMachine):
    """Random kiosk and keypad traffic, with time jumping forward (sometimes across midnight)."""

    def __init__(self) -> None:
        super().__init__()
        self.hall = small_hall(queue={"priority_ratio": 2, "max_wait_min": 45})
        self.engine = QueueEngine(self.hall)
        self.now = MONDAY_MORNING
        self.issued: dict[str, Ticket] = {}  # every ticket ever issued, by id
        self.requests: list[tuple[str, datetime]] = []  # (request id, sent at)
        self.ticket_of: dict[str, Ticket] = {}
        self.tmp = tempfile.TemporaryDirectory()
        self.store = Store(Path(self.tmp.name) / "c.db")

    def teardown(self) -> None:
        self.store.close()
        self.tmp.cleanup()

    def _persist(self) -> None:
        self.store.save(self.engine.take_changes(), self.engine.counters, self.engine.business_day)
        self.store.commit()

    @rule(service=SERVICES, priority=PRIORITY)
    def issue(self, service: str, priority: PriorityCategory | None) -> None:
        request = str(uuid.uuid4())
        self.requests.append((request, self.now))
        try:
            self.engine.check_age(self.now, self.now)
            ticket = self.engine.issue(self.now, request_id=request, service=service, priority=priority)
        except QueueError:
            return
        assert ticket.id not in self.issued
        self.issued[ticket.id] = ticket
        self.ticket_of[request] = ticket
        self._persist()

    @precondition(lambda self: self.requests)
    @rule(data=st.data())
    def repeat_or_cancel_a_request(self, data: st.DataObject) -> None:
        request, sent_at = data.draw(st.sampled_from(self.requests))
        if data.draw(st.booleans()):
            try:
                self.engine.cancel(self.now, request_id=request, reason="print_failed")
            except QueueError as refused:  # a ticket already called stands
                assert refused.code is ErrorCode.ALREADY_CALLED
                ticket = self.ticket_of[request]
                assert ticket.first_called_at is not None and ticket.status is not TicketStatus.CANCELLED
        else:
            try:
                self.engine.check_age(self.now, sent_at)
                ticket = self.engine.issue(self.now, request_id=request, service="a")
            except QueueError:
                return
            earlier = self.ticket_of.get(request)
            if earlier is not None:
                assert ticket is earlier  # a request that got a ticket gets the same one again
            else:  # the first try was refused (series used up, ...): this is its first ticket
                self.issued[ticket.id] = ticket
                self.ticket_of[request] = ticket
        self._persist()

    @rule(counter=COUNTERS, action=ACTIONS)
    def press(self, counter: int, action: CounterAction) -> None:
        try:
            self.engine.command(self.now, counter, action)
        except QueueError:
            pass
        self._persist()

    @rule(counter=COUNTERS, officer=st.sampled_from(["lan", "minh", "hoa"]))
    def sign_in(self, counter: int, officer: str) -> None:
        self.engine.command(self.now, counter, CounterAction.SIGN_IN, officer=officer)
        self._persist()

    @rule(counter=COUNTERS, service=SERVICES)
    def transfer(self, counter: int, service: str) -> None:
        try:
            self.engine.command(self.now, counter, CounterAction.TRANSFER, service=service)
        except QueueError:
            pass
        self._persist()

    @rule(minutes=st.integers(min_value=0, max_value=24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.engine.tick(self.now)
        self._persist()

    @invariant()
    def no_number_twice_in_a_day(self) -> None:
        keys = [(t.business_day, t.label) for t in self.issued.values()]
        assert len(keys) == len(set(keys))
        numbers = [(t.business_day, t.issued_service, t.number) for t in self.issued.values()]
        assert len(numbers) == len(set(numbers))

    @invariant()
    def no_ticket_lost(self) -> None:
        final = {TicketStatus.SERVED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED, TicketStatus.EXPIRED}
        for ticket in self.issued.values():
            if ticket.business_day == self.engine.business_day:
                assert self.engine.tickets.get(ticket.id) is ticket
            else:
                assert ticket.status in final  # an earlier day is closed: nothing waits or is served from it
        rows = self.store.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        assert rows == len(self.issued)

    @invariant()
    def counters_and_tickets_agree(self) -> None:
        serving = {c.serving: c.number for c in self.engine.counters.values() if c.serving}
        for ticket in self.engine.tickets.values():
            if ticket.status is TicketStatus.CALLED:
                assert serving.get(ticket.id) == ticket.counter
            elif ticket.status is TicketStatus.WAITING:
                assert ticket.counter is None and ticket.id not in serving
        assert len(serving) == sum(1 for c in self.engine.counters.values() if c.serving)
        for service in ("a", "b"):  # the engine's sorted waiting lines match the tickets' statuses
            expected = sorted(
                (t for t in self.engine.tickets.values() if t.status is TicketStatus.WAITING and t.service == service),
                key=lambda t: t.order,
            )
            assert self.engine.lines.ids(service) == [t.id for t in expected]

    @invariant()
    def restart_restores_exactly(self) -> None:
        state = self.store.load()
        restored = QueueEngine(self.hall)
        restored.restore(self.now, state)
        assert {k: asdict(v) for k, v in restored.tickets.items()} == {
            k: asdict(v) for k, v in self.engine.tickets.items()
        }
        assert {n: asdict(c) for n, c in restored.counters.items()} == {
            n: asdict(c) for n, c in self.engine.counters.items()
        }
        assert restored.last_number == self.engine.last_number
        assert restored.cancelled_requests == self.engine.cancelled_requests
        for number in (1, 2, 3):
            assert restored.choose(restored.counters[number], self.now) == self.engine.choose(
                self.engine.counters[number], self.now
            )


HallDay.TestCase.settings = settings(
    max_examples=150, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestHallDay = HallDay.TestCase
