"""The estimated wait printed on a ticket and shown on the board (pure: no I/O, no clock of its own).

`estimate_wait` is what the engine uses: the *counter schedule* predictor. It plays the hall forward from now,
deterministically: each counter becomes free when the citizen at its desk is expected to be done (the service's
expected remaining time given how long it has lasted, `remaining_service`), or now if it is idle, or after
`PAUSE_MIN` if its officer is on a break; a free counter calls the next ticket among *its* services by the
engine's order (priority first, then issue order, across services) and is busy for that service's mean time plus
`CHANGEOVER_MIN` (the call, the citizen walking to the desk). The ticket's wait is when a counter calls it. This is
the queue-length (QL) predictor of queueing research (Ibrahim & Whitt, "Real-time delay estimation in overloaded
multiserver queues with abandonments", 2009: with n ahead and s busy servers, (n + 1) / (s mu)) generalised to a
hall where counters serve different sets of services, idle counters and the service already in progress.

The other predictors are kept for `make bench` (bench/bench_estimate.py compares them on the same simulated days):

- `predict_pooled`: the previous estimator: the work ahead in the pool of counters serving the service, divided
  by the pool's size, plus half the ticket's own service; it ignores idle counters and services in progress;
- `predict_queue_length`: Ibrahim & Whitt's QL on the same pool: 0 while a counter is idle, else
  (n + 1 - idle) x mean / s;
- `predict_les`: the wait of the last ticket of the service to be called (last-to-enter-service, LES);
- `predict_hol`: how long the ticket at the head of the service's line has waited (head-of-line, HOL).

docs/queue-rules.md ("Estimated wait") has the rules and docs/performance.md the measured errors.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from motcua.contract import CounterStatus, PriorityCategory

#: A counter whose officer is on a break is assumed back after this many minutes (the engine does not know when
#: the break began).
PAUSE_MIN = 5.0
#: Service times are taken as lognormal with this coefficient of variation (typical of counter work: most are
#: quick, a few take much longer) to know how long a citizen already at the desk still needs: the longer the
#: service has lasted, the longer it is likely to go on (mean residual life), never "already over".
SERVICE_CV = 0.6
#: From one citizen leaving to the next sitting down: the call and the walk to the desk (minutes).
CHANGEOVER_MIN = 0.3
#: More tickets than this waiting for the counters involved: the pooled formula (the schedule would cost too much
#: per ticket, and with so many waiting the pool drains at its full rate anyway).
SCHEDULE_LIMIT = 300
LATEST = datetime.max.replace(tzinfo=UTC)


class TicketLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def priority(self) -> PriorityCategory | None: ...
    @property
    def status(self) -> str: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def seq(self) -> int: ...
    @property
    def called_at(self) -> datetime | None: ...
    @property
    def first_called_at(self) -> datetime | None: ...

    @property
    def booked_for(self) -> datetime | None: ...


class CounterLike(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def services(self) -> tuple[str, ...]: ...
    @property
    def status(self) -> CounterStatus: ...
    @property
    def serving(self) -> str | None: ...


class LinesLike(Protocol):
    def count(self, service: str, priority: bool | None = None) -> int: ...
    def before_key(self, service: str, priority: bool, key: tuple[datetime, int, str]) -> int: ...
    def ids(self, service: str) -> list[str]: ...

    def booked_before(self, service: str, key: tuple[datetime, int, str]) -> int: ...


class QueueView(Protocol):
    """What the estimate reads of the engine (`coordinator.engine.QueueEngine` is one)."""

    @property
    def counters(self) -> Mapping[int, CounterLike]: ...
    @property
    def tickets(self) -> Mapping[str, TicketLike]: ...
    @property
    def lines(self) -> LinesLike: ...
    @property
    def mean_service_min(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class Estimate:
    people_ahead: int
    minutes: int | None  # None: no counter open for the service


def estimate_wait(queue: QueueView, service: str, *, ticket: TicketLike | None = None) -> Estimate:
    """People ahead of `ticket` (or of a new normal ticket) and its expected wait in whole minutes."""
    people = people_ahead(queue, service, ticket)
    minutes = predict_schedule(queue, service, ticket=ticket, now=_now(queue, ticket))
    return Estimate(people_ahead=people, minutes=None if minutes is None else round(minutes))


# --- who is ahead ---------------------------------------------------------------------------------------------


def _pool(queue: QueueView, service: str) -> tuple[list[CounterLike], bool]:
    """The counters that will serve `service`: the staffed ones, or before the hall opens (no counter staffed
    yet: tickets taken at 07:15 for 07:30) the configured ones. Also whether the hall is working."""
    serving = [c for c in queue.counters.values() if service in c.services]
    working = any(c.status is not CounterStatus.CLOSED for c in queue.counters.values())
    return ([c for c in serving if c.status is not CounterStatus.CLOSED] if working else serving), working


def ahead_in(queue: QueueView, service: str, ticket: TicketLike | None) -> int:
    """Waiting tickets of `service` called before `ticket` (a new normal ticket: all of them)."""
    if ticket is None or ticket.status != "waiting":
        return queue.lines.count(service)
    key = (ticket.issued_at, ticket.seq, ticket.id)
    if ticket.booked_for is not None:  # a booked ticket is called at its slot: behind earlier slots (bookings)
        return queue.lines.booked_before(service, (ticket.booked_for, ticket.seq, ticket.id))
    if ticket.priority is not None:
        return queue.lines.before_key(service, True, key)
    return queue.lines.count(service, priority=True) + queue.lines.before_key(service, False, key)


def _shared_ahead(queue: QueueView, service: str, ticket: TicketLike | None) -> tuple[float, float, int]:
    """Tickets ahead in the pool (each counted for the share of its service's counters that are in the pool),
    their work in minutes, and the pool's size."""
    pool, working = _pool(queue, service)
    ours = {c.number for c in pool}
    people = work = 0.0
    for other in {s for c in pool for s in c.services}:
        servers = [c for c in queue.counters.values() if other in c.services]
        if working:
            servers = [c for c in servers if c.status is not CounterStatus.CLOSED]
        share = sum(1 for c in servers if c.number in ours) / len(servers) if servers else 1.0
        ahead = ahead_in(queue, other, ticket)
        people += ahead * share
        work += ahead * share * queue.mean_service_min[other]
    return people, work, len(pool)


def people_ahead(queue: QueueView, service: str, ticket: TicketLike | None) -> int:
    """The "people ahead" printed on the ticket: every earlier ticket of every service its counters serve."""
    if not _pool(queue, service)[0]:
        return ahead_in(queue, service, ticket)
    return round(_shared_ahead(queue, service, ticket)[0])


# --- the predictors -------------------------------------------------------------------------------------------


def predict_pooled(queue: QueueView, service: str, *, ticket: TicketLike | None = None) -> float | None:
    """The previous estimator: (work ahead in the pool + half the ticket's own service) / counters in the pool."""
    _, work, size = _shared_ahead(queue, service, ticket)
    if size == 0:
        return None
    return (work + 0.5 * queue.mean_service_min[service]) / size


def predict_queue_length(queue: QueueView, service: str, *, ticket: TicketLike | None = None) -> float | None:
    """Ibrahim & Whitt's QL predictor on the pool: a ticket with n ahead and `idle` idle counters among s waits
    nothing if n < idle, else (n + 1 - idle) mean service times shared by s counters."""
    pool, _ = _pool(queue, service)
    if not pool:
        return None
    people, work, size = _shared_ahead(queue, service, ticket)
    idle = sum(1 for c in pool if c.status is CounterStatus.OPEN and c.serving is None)
    if people < idle:
        return 0.0
    mean = work / people if people else queue.mean_service_min[service]
    return (people + 1 - idle) * mean / size


def predict_les(queue: QueueView, service: str, *, ticket: TicketLike | None = None) -> float | None:
    """Last-to-enter-service: the wait of the ticket of `service` called most recently (0 if none yet)."""
    pool, _ = _pool(queue, service)
    if not pool:
        return None
    called = [t for t in queue.tickets.values() if t.service == service and t.first_called_at is not None]
    if not called:
        return 0.0
    last = max(called, key=lambda t: (t.first_called_at, t.seq))
    assert last.first_called_at is not None
    return (last.first_called_at - last.issued_at).total_seconds() / 60


def predict_hol(queue: QueueView, service: str, *, ticket: TicketLike | None = None, now: datetime) -> float | None:
    """Head-of-line: how long the oldest ticket waiting for `service` has waited (0 if it is the ticket itself or
    nobody waits)."""
    pool, _ = _pool(queue, service)
    if not pool:
        return None
    ids = queue.lines.ids(service)
    if not ids or (ticket is not None and ids[0] == ticket.id):
        return 0.0
    return max(0.0, (now - queue.tickets[ids[0]].issued_at).total_seconds() / 60)


def predict_schedule(
    queue: QueueView, service: str, *, ticket: TicketLike | None = None, now: datetime
) -> float | None:
    """The counter schedule (see the module's docstring): minutes until a counter calls `ticket` (or a new normal
    ticket of `service`), or None when no counter will serve the service."""
    pool, working = _pool(queue, service)
    if not pool:
        return None
    counters = [c for c in queue.counters.values() if c.status is not CounterStatus.CLOSED] if working else pool
    services = {s for c in counters for s in c.services}
    if sum(queue.lines.count(s) for s in services) > SCHEDULE_LIMIT:
        return predict_pooled(queue, service, ticket=ticket)
    mean = queue.mean_service_min
    # each service's line in call order: (not priority, issue time, issue order, id); ours is a key like them
    ours: tuple[bool, datetime, int, str]
    if ticket is not None and ticket.status == "waiting":
        ours = (ticket.priority is None, ticket.issued_at, ticket.seq, ticket.id)
    else:
        ours = (True, LATEST, 1 << 62, "")  # a new ticket: after every waiting one
    lines = {s: _line(queue, queue.lines.ids(s)) for s in services}
    lines[service] = [k for k in lines[service] if k < ours] + [ours]
    heads = dict.fromkeys(services, 0)
    free: list[tuple[float, int]] = []
    by_number = {c.number: c for c in counters}
    for counter in counters:
        heapq.heappush(free, (_free_in(queue, counter, now), counter.number))
    while free:
        at, number = heapq.heappop(free)
        best: tuple[bool, datetime, int, str] | None = None
        best_service = ""
        for s in by_number[number].services:
            line, head = lines[s], heads[s]
            if head < len(line) and (best is None or line[head] < best):
                best, best_service = line[head], s
        if best is None:
            continue  # nothing left for this counter: it plays no further part
        if best == ours:
            return at
        heads[best_service] += 1
        heapq.heappush(free, (at + mean[best_service] + CHANGEOVER_MIN, number))
    return None  # not reached: a counter of the pool always finds the ticket


def _line(queue: QueueView, ids: Iterable[str]) -> list[tuple[bool, datetime, int, str]]:
    tickets = (queue.tickets[i] for i in ids)
    return sorted((t.priority is None, t.issued_at, t.seq, t.id) for t in tickets)


def _free_in(queue: QueueView, counter: CounterLike, now: datetime) -> float:
    """Minutes until the counter can call someone."""
    if counter.status is CounterStatus.PAUSED:
        return PAUSE_MIN
    if counter.serving is None:
        return 0.0
    ticket = queue.tickets.get(counter.serving)
    if ticket is None or ticket.called_at is None:
        return 0.0
    elapsed = (now - ticket.called_at).total_seconds() / 60
    return remaining_service(queue.mean_service_min[ticket.service], elapsed)


def remaining_service(mean: float, elapsed: float, cv: float = SERVICE_CV) -> float:
    """Expected minutes still needed by a service that has lasted `elapsed` minutes, for lognormal service times
    of mean `mean`: E[S - e | S > e] = mean x Phi(d + sigma) / Phi(d) - e, with d = (mu - ln e) / sigma."""
    if elapsed <= 0:
        return mean
    sigma = math.sqrt(math.log(1 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    d = (mu - math.log(elapsed)) / sigma
    survive = _phi(d)
    if survive < 1e-12:  # far beyond any usual service: it ends about now
        return elapsed / (d * d) if d else 0.0
    return max(mean * _phi(d + sigma) / survive - elapsed, 0.0)


def _phi(x: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _now(queue: QueueView, ticket: TicketLike | None) -> datetime:
    """The engine asks without a clock: a ticket's estimate is made when it is issued; the board's at the latest
    call of a citizen still at a desk (the time only matters for the services in progress)."""
    if ticket is not None:
        return ticket.issued_at
    calls = [
        called
        for c in queue.counters.values()
        if c.serving is not None
        and (t := queue.tickets.get(c.serving)) is not None
        and (called := t.called_at) is not None
    ]
    return max(calls, default=LATEST)
