"""`motcua simulate`: a day of a hall, driven through the real broker and the real coordinator, in simulated time.

Citizens arrive per service with morning and afternoon peaks, take tickets at a kiosk, are called by officers who
take breaks, are served for a time drawn from a lognormal distribution, sometimes do not show up, and rate the
service. Everything goes through MQTT exactly as in a hall; only time is simulated: the simulator moves the
coordinator's clock from one event to the next and waits for each reply, so a day runs in seconds and the same
seed gives the same day.

It answers two questions:

- how good is the kiosk's estimated wait? (the error of each ticket's estimate against its real wait);
- staffing: with N counters, what is the p90 wait? (``--staffing 3-8``). For the simple case (one queue, Poisson
  arrivals, exponential service, no priority, no breaks: ``--erlang``) the result is checked against the Erlang-C
  formula.

Citizens come only while the kiosk issues tickets for their service (opening hours, from ``issue_early_min``
before each opening), ``citizens_per_day`` of them on average on any open day. ``--db FILE`` keeps the
coordinator's database of the day (for ``motcua report``), ``--out DIR`` keeps everything the run writes.

The pieces are reusable: `plan_day` (who comes when, pure), `DaySimulation` (the officers' and citizens'
behaviour, against any `HallActions` and `Timeline`). `make demo` drives the same day through the devices' own
processes in accelerated real time.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import logging
import math
import random
import statistics
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from coordinator import views
from coordinator.engine import QueueEngine, QueueError, Ticket, is_open
from motcua.clock import FixedClock
from motcua.config import Section, load_config, validate_config
from motcua.contract import (
    CounterAction,
    CounterCommand,
    CounterReply,
    ErrorReply,
    PriorityCategory,
    RatingLevel,
    RatingVote,
    TicketInfo,
    TicketIssued,
    TicketRequest,
    parse_counter_result,
    parse_kiosk_reply,
)
from motcua.hall import HallConfig, load_hall, load_procedures
from motcua.stats import percentile

logger = logging.getLogger(__name__)

#: Citizens per hour in each hour of a working day, relative to the day's mean: a morning peak, a lull at noon,
#: a smaller afternoon peak (the pattern of one-stop halls: queues form before opening).
DAY_SHAPE = {7: 1.6, 8: 2.0, 9: 1.6, 10: 1.2, 11: 0.6, 12: 0.0, 13: 0.8, 14: 1.3, 15: 1.0, 16: 0.6}


# --- the plan: who comes, when, for what (pure) -----------------------------------------------------------


@dataclass(frozen=True)
class Citizen:
    """One visit: when the citizen arrives, what for, and how it will go."""

    id: int
    arrives: datetime
    service: str
    priority: PriorityCategory | None
    service_min: float  # how long the officer will take
    shows_up: bool  # False: not there when called
    rating: RatingLevel | None  # None: does not press the pad
    rating_delay_s: float
    presses: int = 1  # > 1: pressed again (a double press, or a child pressing again and again): misuse


@dataclass(frozen=True)
class DayPlan:
    citizens: list[Citizen]
    breaks: dict[int, tuple[datetime, float]]  # counter -> (start, minutes)
    closes: datetime  # no new arrivals after this
    #: a passer-by (a child, someone waiting) pressing a counter's pad while nobody is served there: unbound
    idle_presses: list[IdlePress] = field(default_factory=list)


@dataclass(frozen=True)
class IdlePress:
    at: datetime  # from this moment, as soon as the counter has nobody to rate
    counter: int
    level: RatingLevel


@dataclass(frozen=True)
class Behaviour:
    citizens_per_day: float = 160.0
    priority_share: float = 0.10
    no_show_share: float = 0.04
    rating_share: float = 0.7  # the others leave without rating
    ratings: tuple[float, float, float] = (0.80, 0.13, 0.07)  # satisfied, neutral, unsatisfied
    double_press_share: float = 0.06  # of those who rate: press twice (the second is misuse)
    storm_share: float = 0.01  # of those who rate: a child pressing again and again (4 presses)
    idle_presses_per_day: float = 2.0  # presses on a pad with nobody served (unbound), in the whole hall
    service_cv: float = 0.6  # coefficient of variation of service times (lognormal)
    breaks: bool = True
    mix: dict[str, float] = field(default_factory=dict)  # share of citizens per service; default: equal


class SimulationProfile(Section):
    """simulation.toml next to hall.toml: how busy the hall is and what citizens come for."""

    citizens_per_day: float = 160.0
    mix: dict[str, float] = {}  # service id -> relative share
    priority_share: float = 0.10
    no_show_share: float = 0.04
    rating_share: float = 0.7

    def behaviour(self, citizens: float | None = None) -> Behaviour:
        return Behaviour(
            citizens_per_day=citizens or self.citizens_per_day,
            mix=dict(self.mix),
            priority_share=self.priority_share,
            no_show_share=self.no_show_share,
            rating_share=self.rating_share,
        )


def load_profile(hall_path: Path) -> SimulationProfile:
    path = hall_path.parent / "simulation.toml"
    return load_config(path, SimulationProfile) if path.exists() else SimulationProfile()


def plan_day(hall: HallConfig, day: date, behaviour: Behaviour, rng: random.Random) -> DayPlan:
    """Citizens of one day: a non-homogeneous Poisson process following `DAY_SHAPE`, split between services by
    `behaviour.mix`, and only while the kiosk issues tickets for the service (its opening hours, from
    `issue_early_min` before each opening): nobody is sent to a closed hall. The expected number of citizens is
    `citizens_per_day` on any day the hall is open (fewer hours, the same people: a Saturday morning is busy)."""
    zone = hall.hall.zone
    weights = {s.id: behaviour.mix.get(s.id, 0.0 if behaviour.mix else 1.0) for s in hall.services}
    total_weight = sum(weights.values()) or 1.0
    midnight = datetime.combine(day, time(0, 0), zone)
    # intensity per minute of the day, relative: the day's shape times the share of services open at that minute
    minutes = [midnight + timedelta(minutes=m) for m in range(24 * 60)]
    open_share = [
        sum(w for service, w in weights.items() if _issuing(hall, service, moment)) / total_weight for moment in minutes
    ]
    relative = [DAY_SHAPE.get(moment.hour, 0.0) * share for moment, share in zip(minutes, open_share, strict=True)]
    day_weight = sum(relative) / 60  # in "shape hours"
    closes = datetime.combine(day, time(max(DAY_SHAPE) + 1, 0), zone)
    citizens: list[Citizen] = []
    if day_weight > 0:
        scale = behaviour.citizens_per_day / day_weight  # citizens per hour at shape 1
        peak = max(DAY_SHAPE.values()) * scale
        open_minutes = [m for m, r in enumerate(relative) if r > 0]
        moment = midnight + timedelta(minutes=open_minutes[0])
        end = midnight + timedelta(minutes=open_minutes[-1] + 1)
        closes = end
        while True:
            moment += timedelta(hours=rng.expovariate(peak))
            if moment >= end:
                break
            minute = int((moment - midnight).total_seconds() // 60)
            if rng.random() * peak > relative[minute] * scale:
                continue
            issuing = {k: w for k, w in weights.items() if _issuing(hall, k, moment)}
            service = _weighted(rng, issuing, sum(issuing.values()))
            citizens.append(_citizen(len(citizens) + 1, moment, service, hall, behaviour, rng))
    breaks = {}
    if behaviour.breaks:
        for counter in hall.counters:
            begin = datetime.combine(day, time(9, 30), zone) + timedelta(minutes=rng.uniform(0, 60))
            breaks[counter.number] = (begin, rng.uniform(10, 20))
    idle: list[IdlePress] = []
    if citizens and behaviour.idle_presses_per_day > 0:
        first, span = citizens[0].arrives, (closes - citizens[0].arrives).total_seconds()
        offset = rng.expovariate(behaviour.idle_presses_per_day)  # a Poisson count over the day
        while offset < 1:
            idle.append(
                IdlePress(
                    at=first + timedelta(seconds=offset * span),
                    counter=rng.choice(hall.counters).number,
                    level=_level(rng, behaviour.ratings),
                )
            )
            offset += rng.expovariate(behaviour.idle_presses_per_day)
    return DayPlan(citizens=citizens, breaks=breaks, closes=closes, idle_presses=idle)


def _level(rng: random.Random, shares: tuple[float, float, float]) -> RatingLevel:
    roll = rng.random()
    if roll < shares[0]:
        return RatingLevel.SATISFIED
    return RatingLevel.NEUTRAL if roll < shares[0] + shares[1] else RatingLevel.UNSATISFIED


def _issuing(hall: HallConfig, service: str, moment: datetime) -> bool:
    """Whether the kiosk issues tickets for `service` at `moment` (the engine's own rule)."""
    hours = hall.hours_for(service)
    return hours is None or is_open(hours, moment.astimezone(hall.hall.zone), hall.hall.issue_early_min)


def plan_erlang(
    day: date, zone: Any, *, rate_per_hour: float, service_min: float, hours: float, rng: random.Random
) -> DayPlan:
    """The textbook case: Poisson arrivals, exponential service, one queue, nobody absent, no breaks (within one
    business day: at most 23 hours)."""
    if not 0 < hours <= 23:
        raise ValueError("an Erlang run stays within one business day: 0 < hours <= 23")
    start = datetime.combine(day, time(0, 30), zone)
    closes = start + timedelta(hours=hours)
    citizens: list[Citizen] = []
    moment = start
    while True:
        moment += timedelta(hours=rng.expovariate(rate_per_hour))
        if moment >= closes:
            break
        citizens.append(
            Citizen(
                id=len(citizens) + 1,
                arrives=moment,
                service="all",
                priority=None,
                service_min=rng.expovariate(1 / service_min),
                shows_up=True,
                rating=None,
                rating_delay_s=0,
            )
        )
    return DayPlan(citizens=citizens, breaks={}, closes=closes)


def _weighted(rng: random.Random, weights: dict[str, float], total: float) -> str:
    pick = rng.uniform(0, total)
    for key, weight in weights.items():
        pick -= weight
        if pick <= 0:
            return key
    return next(reversed(weights))


def _citizen(
    number: int, arrives: datetime, service: str, hall: HallConfig, b: Behaviour, rng: random.Random
) -> Citizen:
    mean = hall.service(service).mean_service_min
    sigma = math.sqrt(math.log(1 + b.service_cv**2))
    mu = math.log(mean) - sigma**2 / 2
    priority = rng.choice(list(hall.queue.priority_categories)) if rng.random() < b.priority_share else None
    rates = rng.random() < b.rating_share
    rating = _level(rng, b.ratings) if rates else None
    presses = 1
    if rates:
        roll = rng.random()
        presses = 4 if roll < b.storm_share else (2 if roll < b.storm_share + b.double_press_share else 1)
    return Citizen(
        id=number,
        arrives=arrives,
        service=service,
        priority=priority,
        service_min=min(max(rng.lognormvariate(mu, sigma), 0.5), 90.0),
        shows_up=rng.random() >= b.no_show_share,
        rating=rating,
        rating_delay_s=rng.uniform(3, 40),
        presses=presses,
    )


# --- how the simulation touches the hall and its time ---------------------------------------------------


class HallActions(Protocol):
    """What citizens and officers do to the hall (through MQTT here, through device processes in the demo)."""

    def take_ticket(self, citizen: Citizen) -> TicketInfo | None: ...

    def press(self, counter: int, action: CounterAction) -> CounterReply | ErrorReply: ...

    def rate(self, counter: int, level: RatingLevel, *, misuse: bool) -> None: ...


class Timeline(Protocol):
    """Hall time: the simulator moves it (`SimulatedTime`), the demo waits for it (accelerated real time)."""

    def advance_to(self, moment: datetime) -> None: ...


@dataclass
class SimulatedTime:
    clock: FixedClock

    def advance_to(self, moment: datetime) -> None:
        if moment > self.clock.current:
            self.clock.current = moment


# --- the day --------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """What happened to one citizen."""

    citizen: Citizen
    label: str | None = None
    issued: datetime | None = None
    estimated_wait_min: int | None = None
    called: datetime | None = None
    finished: datetime | None = None
    counter: int | None = None
    no_show: bool = False

    @property
    def wait_min(self) -> float | None:
        if self.issued is None or self.called is None:
            return None
        return (self.called - self.issued).total_seconds() / 60


@dataclass
class CounterLog:
    busy_min: float = 0.0
    served: int = 0
    first_call: datetime | None = None
    last_finish: datetime | None = None


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    counter: int = field(compare=False, default=0)
    citizen: Citizen | None = field(compare=False, default=None)
    press: IdlePress | None = field(compare=False, default=None)


class DaySimulation:
    """Officers and citizens behaving through a day: the same behaviour for the simulator and the demo."""

    def __init__(
        self,
        hall: HallConfig,
        plan: DayPlan,
        actions: HallActions,
        timeline: Timeline,
        on_progress: Callable[[float], None] | None = None,
        *,
        turnaround_s: float = 20.0,
        finish_by_next: bool = False,
    ) -> None:
        self.hall = hall
        self.plan = plan
        self.actions = actions
        self.timeline = timeline
        self.on_progress = on_progress
        self.turnaround = timedelta(seconds=turnaround_s)  # from one citizen leaving to the next call
        # True: officers press "next" when a citizen leaves (it finishes and calls), as with the 3-key keypad;
        # False: "finish", then "next" a little later.
        self.finish_by_next = finish_by_next
        self.visits: dict[str, Visit] = {}  # by ticket label
        self.unissued: list[Citizen] = []
        self.counters = {c.number: CounterLog() for c in hall.counters}
        self.ratings_sent = 0
        self.idle_presses_sent = 0
        self.levels_sent: dict[str, int] = {}  # first presses of citizens who rated, by level
        self.settled = 0  # citizens done: served, absent when called, or no ticket
        self._events: list[_Event] = []
        self._order = 0
        self._idle: set[int] = set()
        self._busy: dict[int, Visit] = {}
        self._resting: set[int] = set()
        self._break_pending: set[int] = set()

    def _schedule(
        self,
        at: datetime,
        kind: str,
        counter: int = 0,
        citizen: Citizen | None = None,
        *,
        press: IdlePress | None = None,
    ) -> None:
        self._order += 1
        heapq.heappush(self._events, _Event(at, self._order, kind, counter, citizen, press))

    def run(self) -> None:
        for citizen in self.plan.citizens:
            self._schedule(citizen.arrives, "arrive", citizen=citizen)
        first = self.plan.citizens[0].arrives if self.plan.citizens else self.plan.closes
        for number in self.counters:
            self._schedule(first, "free", number)
        for number, (start, _) in self.plan.breaks.items():
            self._schedule(start, "break", number)
        for press in self.plan.idle_presses:
            self._schedule(press.at, "idle_press", press.counter, press=press)
        shown = -1
        while self._events:
            event = heapq.heappop(self._events)
            self.timeline.advance_to(event.at)
            getattr(self, f"_on_{event.kind}")(event)
            # progress: the share of the day's citizens who are done (served, absent, or sent away), in whole
            # percent, each value once; 100 % only when the day is over
            percent = min(99, 100 * self.settled // max(len(self.plan.citizens), 1))
            if self.on_progress and percent > shown:
                shown = percent
                self.on_progress(percent / 100)
        if self.on_progress:
            self.on_progress(1.0)

    # events
    def _on_arrive(self, event: _Event) -> None:
        citizen = event.citizen
        assert citizen is not None
        info = self.actions.take_ticket(citizen)
        if info is None:
            self.unissued.append(citizen)
            self.settled += 1
            return
        self.visits[info.label] = Visit(
            citizen=citizen, label=info.label, issued=event.at, estimated_wait_min=info.estimated_wait_min
        )
        for number in sorted(self._idle):
            if info.service in self.hall.counter(number).services:
                self._idle.discard(number)
                self._schedule(event.at, "free", number)
                break

    def _on_free(self, event: _Event) -> None:
        number = event.counter
        if number in self._resting:
            return
        if number in self._break_pending:
            self._break_pending.discard(number)
            self._start_break(event.at, number)
            return
        self._call_next(event.at, number)

    def _call_next(self, at: datetime, number: int) -> None:
        reply = self.actions.press(number, CounterAction.NEXT)
        if not isinstance(reply, CounterReply) or reply.state.serving is None:
            self._idle.add(number)
            return
        visit = self.visits.get(reply.state.serving.label)
        if visit is None:  # a ticket this simulation did not issue (a second run on the same database)
            self._schedule(at + timedelta(minutes=1), "finish", number)
            return
        visit.called, visit.counter = at, number
        log = self.counters[number]
        log.first_call = log.first_call or at
        self._busy[number] = visit
        if visit.citizen.shows_up:
            self._schedule(at + timedelta(minutes=visit.citizen.service_min), "finish", number)
        else:
            self._schedule(at + timedelta(minutes=1), "recall", number)

    def _on_recall(self, event: _Event) -> None:
        self.actions.press(event.counter, CounterAction.RECALL)
        self._schedule(event.at + timedelta(minutes=1), "no_show", event.counter)

    def _on_no_show(self, event: _Event) -> None:
        visit = self._busy.pop(event.counter, None)
        self.actions.press(event.counter, CounterAction.NO_SHOW)
        if visit is not None:
            visit.no_show = True
            self.settled += 1
        self._schedule(event.at, "free", event.counter)

    def _on_finish(self, event: _Event) -> None:
        number = event.counter
        visit = self._busy.pop(number, None)
        if visit is not None and visit.called is not None:
            visit.finished = event.at
            log = self.counters[number]
            log.busy_min += (event.at - visit.called).total_seconds() / 60
            log.served += 1
            log.last_finish = event.at
            self.settled += 1
            if visit.citizen.rating is not None:
                self._schedule(
                    event.at + timedelta(seconds=visit.citizen.rating_delay_s), "rate", number, visit.citizen
                )
        if number in self._break_pending:  # pausing finishes the citizen at the desk
            self._break_pending.discard(number)
            self._start_break(event.at, number)
        elif self.finish_by_next:
            self._call_next(event.at, number)
        else:
            self.actions.press(number, CounterAction.FINISH)
            self._schedule(event.at + self.turnaround, "free", number)

    def _on_rate(self, event: _Event) -> None:
        citizen = event.citizen
        assert citizen is not None and citizen.rating is not None
        for press in range(citizen.presses):
            self.actions.rate(event.counter, citizen.rating, misuse=press > 0)
            self.ratings_sent += 1
        self.levels_sent[citizen.rating.value] = self.levels_sent.get(citizen.rating.value, 0) + 1

    def _on_idle_press(self, event: _Event) -> None:
        """A press with nobody to rate: nobody at the desk and no citizen finished within the rating window
        (otherwise the passer-by waits a few minutes; given up after closing time)."""
        press = event.press
        assert press is not None
        last = self.counters[event.counter].last_finish
        window = timedelta(minutes=self.hall.rating.window_min)
        if event.counter in self._busy or (last is not None and event.at - last <= window):
            if event.at < self.plan.closes:
                self._schedule(event.at + timedelta(minutes=5), "idle_press", event.counter, press=press)
            return
        self.actions.rate(event.counter, press.level, misuse=False)
        self.ratings_sent += 1
        self.idle_presses_sent += 1

    def _on_break(self, event: _Event) -> None:
        if event.counter in self._busy:
            self._break_pending.add(event.counter)  # after the citizen at the desk
        else:
            self._idle.discard(event.counter)
            self._start_break(event.at, event.counter)

    def _start_break(self, at: datetime, number: int) -> None:
        self.actions.press(number, CounterAction.PAUSE)
        self._resting.add(number)
        _, minutes = self.plan.breaks[number]
        self._schedule(at + timedelta(minutes=minutes), "resume", number)

    def _on_resume(self, event: _Event) -> None:
        self._resting.discard(event.counter)
        self.actions.press(event.counter, CounterAction.RESUME)
        self._schedule(event.at, "free", event.counter)

    # results
    def summary(self) -> dict[str, Any]:
        visits = list(self.visits.values())
        waits = [v.wait_min for v in visits if v.wait_min is not None]
        errors = [
            v.estimated_wait_min - v.wait_min
            for v in visits
            if v.estimated_wait_min is not None and v.wait_min is not None
        ]
        by_service: dict[str, list[float]] = {}
        for v in visits:
            if v.wait_min is not None:
                by_service.setdefault(v.citizen.service, []).append(v.wait_min)
        utilisation = {}
        for number, log in self.counters.items():
            if log.first_call and log.last_finish and log.last_finish > log.first_call:
                span = (log.last_finish - log.first_call).total_seconds() / 60
                utilisation[number] = round(log.busy_min / span, 3)
        return {
            "citizens": len(self.plan.citizens),
            "tickets": len(visits),
            "not_issued": len(self.unissued),
            "served": sum(1 for v in visits if v.finished),
            "no_show": sum(1 for v in visits if v.no_show),
            "ratings_sent": self.ratings_sent,
            "ratings_by_level": dict(sorted(self.levels_sent.items())),
            "idle_presses": self.idle_presses_sent,
            "wait_mean_min": _round(statistics.fmean(waits)) if waits else None,
            "wait_p90_min": _round(percentile(waits, 0.9)) if waits else None,
            "wait_by_service": {
                s: {"n": len(w), "mean_min": _round(statistics.fmean(w)), "p90_min": _round(percentile(w, 0.9))}
                for s, w in sorted(by_service.items())
            },
            "counter_utilisation": utilisation,
            "estimate_error": {
                "n": len(errors),
                "mean_abs_min": _round(statistics.fmean(abs(e) for e in errors)) if errors else None,
                "bias_min": _round(statistics.fmean(errors)) if errors else None,
                "within_5_min": _round(sum(1 for e in errors if abs(e) <= 5) / len(errors)) if errors else None,
            },
        }


def _round(value: float) -> float:
    return round(value, 2)


# --- Erlang C ----------------------------------------------------------------------------------------------


def erlang_c(counters: int, rate_per_hour: float, service_min: float) -> dict[str, float]:
    """M/M/N: probability of waiting, mean wait and p90 wait (minutes) for N counters."""
    lam = rate_per_hour / 60  # per minute
    mu = 1 / service_min
    load = lam / mu
    if load >= counters:
        return {"p_wait": 1.0, "mean_min": math.inf, "p90_min": math.inf}
    term = load**counters / math.factorial(counters) * counters / (counters - load)
    p_wait = term / (sum(load**k / math.factorial(k) for k in range(counters)) + term)
    drain = counters * mu - lam
    p90 = math.log(p_wait / 0.1) / drain if p_wait > 0.1 else 0.0
    return {"p_wait": p_wait, "mean_min": p_wait / drain, "p90_min": p90}


def reference_fifo(plan: DayPlan, counters: int) -> list[float]:
    """Waits (minutes) of the textbook FIFO queue with `counters` servers on the same arrivals and service times:
    what the coordinator must reproduce exactly for a one-service hall without priorities or breaks."""
    free = [plan.citizens[0].arrives if plan.citizens else plan.closes] * counters
    waits = []
    for citizen in plan.citizens:
        available = heapq.heappop(free)
        start = max(citizen.arrives, available)
        waits.append((start - citizen.arrives).total_seconds() / 60)
        heapq.heappush(free, start + timedelta(minutes=citizen.service_min))
    return waits


# --- through MQTT ----------------------------------------------------------------------------------------


class MqttActions:
    """Citizens and officers as MQTT sessions of the hall's kiosk, keypads and pads."""

    def __init__(self, sessions: Callable[[str], Any], hall: HallConfig, clock: FixedClock) -> None:
        self.hall = hall
        self.clock = clock
        kiosk = hall.devices.kiosks[0].id
        self.kiosk_id = kiosk
        self.kiosk = sessions(kiosk)
        self.topics = self.kiosk.topics
        self.keypads = {k.counter: sessions(k.id) for k in hall.devices.keypads}
        self.pads = {p.counter: sessions(p.id) for p in hall.devices.pads}
        self._acks: dict[str, Any] = {}
        self._acked = threading.Condition()
        for counter, pad in self.pads.items():
            pad.subscribe(self.topics.rating_ack(counter), self._on_ack)

    def _on_ack(self, inbound: Any) -> None:
        data = json.loads(inbound.payload)
        with self._acked:
            self._acks[data["id"]] = data
            self._acked.notify_all()

    def take_ticket(self, citizen: Citizen) -> TicketInfo | None:
        service = citizen.service if citizen.service != "all" else self.hall.services[0].id
        request = TicketRequest(
            request_id=uuid.uuid4(), sent_at=self.clock.now(), service=service, priority=citizen.priority
        )
        reply = parse_kiosk_reply(
            self.kiosk.request(
                self.topics.ticket_request(self.kiosk_id),
                request,
                response_topic=self.topics.ticket_reply(self.kiosk_id),
            ).payload
        )
        return reply.ticket if isinstance(reply, TicketIssued) else None

    def press(self, counter: int, action: CounterAction) -> CounterReply | ErrorReply:
        command = CounterCommand(request_id=uuid.uuid4(), action=action, sent_at=self.clock.now())
        session = self.keypads[counter]
        return parse_counter_result(
            session.request(
                self.topics.counter_command(counter), command, response_topic=self.topics.counter_reply(counter)
            ).payload
        )

    def rate(self, counter: int, level: RatingLevel, *, misuse: bool) -> None:
        vote = RatingVote(id=uuid.uuid4(), level=level, pressed_at=self.clock.now(), misuse=misuse)
        self.pads[counter].publish(self.topics.rating(counter), vote)
        with self._acked:  # wait for the verdict: the next event must not overtake it
            self._acked.wait_for(lambda: str(vote.id) in self._acks, timeout=10)


class EngineActions:
    """Citizens and officers acting on the pure queue engine in this process: no broker, no database, no ratings.
    A day runs in a fraction of a second, so many days can compare estimators (bench/bench_estimate.py).
    `on_issue(engine, ticket)` is called after each ticket is issued, before anything else happens."""

    def __init__(
        self,
        hall: HallConfig,
        clock: FixedClock,
        on_issue: Callable[[QueueEngine, Ticket], None] | None = None,
    ) -> None:
        self.hall = hall
        self.clock = clock
        self.engine = QueueEngine(hall)
        self.on_issue = on_issue

    def take_ticket(self, citizen: Citizen) -> TicketInfo | None:
        service = citizen.service if citizen.service != "all" else self.hall.services[0].id
        try:
            ticket = self.engine.issue(
                self.clock.now(), request_id=str(uuid.uuid4()), service=service, priority=citizen.priority
            )
        except QueueError:
            return None
        if self.on_issue is not None:
            self.on_issue(self.engine, ticket)
        return views.ticket_info(self.engine, ticket)

    def press(self, counter: int, action: CounterAction) -> CounterReply | ErrorReply:
        now = self.clock.now()
        try:
            self.engine.command(now, counter, action)
        except QueueError as exc:
            return ErrorReply(error=exc.code, message=str(exc))
        finally:
            self.engine.take_changes()
        return CounterReply(
            request_id=uuid.uuid4(), action=action, state=views.counter_state(self.engine, counter, now)
        )

    def rate(self, counter: int, level: RatingLevel, *, misuse: bool) -> None:
        """Ratings do not touch the queue."""


def staffing_hall(base: HallConfig, counters: int, *, single_service: bool) -> HallConfig:
    """The hall with `counters` counters serving every service (or one pooled service), always open."""
    data = base.model_dump(mode="json", exclude_none=True)
    data["hall"].pop("hours", None)
    data["hall"].pop("procedures", None)
    services = data["services"]
    if single_service:
        services = [
            {
                "id": "all",
                "name": "Tất cả thủ tục",
                "first_number": 1,
                "last_number": 99999,
                "mean_service_min": 10.0,
                "target_wait_min": 30,
            }
        ]
    else:
        for index, service in enumerate(services):
            service.update(prefix="ABCDEFGH"[index], first_number=1, last_number=99999)
            service.pop("hours", None)
    data["services"] = services
    ids = [s["id"] for s in services]
    officers = [{"id": f"officer-{n}", "name": f"Cán bộ {n}"} for n in range(1, counters + 1)]
    data["officers"] = officers
    data["counters"] = [{"number": n, "services": ids, "officer": f"officer-{n}"} for n in range(1, counters + 1)]
    data["devices"] = {
        "kiosks": [{"id": "kiosk-1"}],
        "pads": [{"id": f"pad-{n}", "counter": n} for n in range(1, counters + 1)],
        "keypads": [{"id": f"keypad-{n}", "counter": n} for n in range(1, counters + 1)],
        "displays": [],
        "admins": ["admin"],
        "coordinator": "coordinator",
    }
    return validate_config(data, HallConfig, source="staffing hall")


def simulate(
    hall: HallConfig,
    plan: DayPlan,
    workdir: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
    turnaround_s: float = 20.0,
    database: Path | None = None,
) -> dict[str, Any]:
    """Run `plan` through a real Mosquitto and coordinator (in this process, on a simulated clock). The
    coordinator's database is `database` (default: coordinator.db in `workdir`)."""
    from coordinator.service import CoordinatorService
    from coordinator.store import Store
    from motcua.localbroker import LocalBroker
    from motcua.session import MqttSession

    start = plan.citizens[0].arrives - timedelta(minutes=1) if plan.citizens else plan.closes
    clock = FixedClock(start)
    procedures = load_procedures(hall) if hall.hall.procedures else []
    started: list[MqttSession] = []
    database = database or workdir / "coordinator.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    with LocalBroker(hall, workdir / "broker") as broker:

        def session(device: str) -> MqttSession:
            s = MqttSession(broker.settings(device), device=device, site=hall.hall.site, role="simulator")
            s.start()
            if not s.wait_connected(10):
                raise RuntimeError(f"{device} could not connect to the simulation's broker")
            started.append(s)
            return s

        coordinator_session = MqttSession(
            broker.settings("coordinator"), device="coordinator", site=hall.hall.site, role="coordinator"
        )
        coordinator = CoordinatorService(hall, procedures, Store(database), coordinator_session, clock)
        coordinator.start()
        try:
            if not coordinator.session.wait_connected(10):
                raise RuntimeError("the coordinator could not connect to the simulation's broker")
            day = DaySimulation(
                hall,
                plan,
                MqttActions(session, hall, clock),
                SimulatedTime(clock),
                on_progress,
                turnaround_s=turnaround_s,
            )
            day.run()
            result = day.summary()
            result["waits_min"] = [v.wait_min for v in day.visits.values() if v.wait_min is not None]
            result["database"] = str(database)
            return result
        finally:
            for s in reversed(started):
                s.stop()
            coordinator.stop()


# --- command line ----------------------------------------------------------------------------------------


def progress_bar(fraction: float, stream: TextIO | None = None) -> None:
    """Draw a progress bar on one terminal line (standard error by default)."""
    stream = stream or sys.stderr
    width = 40
    filled = int(fraction * width)
    stream.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}")
    if fraction >= 1:
        stream.write("\n")
    stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hall", type=Path, default=Path("examples/ward-hall/hall.toml"))
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 23), help="a working day")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--citizens", type=float, help="citizens per day (default: simulation.toml next to hall.toml)")
    parser.add_argument("--staffing", help="counter counts to compare, e.g. 3-8 (all counters serve everything)")
    parser.add_argument("--erlang", action="store_true", help="one queue, Poisson arrivals, exponential service")
    parser.add_argument("--rate", type=float, default=40.0, help="--erlang: citizens per hour")
    parser.add_argument("--service-min", type=float, default=10.0, help="--erlang: mean service time")
    parser.add_argument("--counters", type=int, default=8, help="--erlang: counters")
    parser.add_argument("--hours", type=float, default=23.0, help="--erlang: hours simulated (at most 23)")
    parser.add_argument("--days", type=int, default=3, help="--erlang: independent days simulated")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--db", type=Path, help="keep the coordinator's database of the day here (a new file)")
    parser.add_argument(
        "--out", type=Path, help="keep everything the run writes here (databases, results.json; a new folder)"
    )
    args = parser.parse_args(argv)
    if args.db is not None and (args.staffing or args.erlang):
        parser.error("--db keeps one day's database: use --out with --staffing or --erlang")
    for kept in (args.db, args.out):
        if kept is not None and kept.exists():
            parser.error(f"{kept} exists: the simulation writes a new one (a day's tickets are issued once)")
    for noisy in ("motcua.session", "coordinator.service"):  # thousands of commands: keep the terminal readable
        logging.getLogger(noisy).setLevel(logging.WARNING)
    base = load_hall(args.hall)
    profile = load_profile(args.hall)
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if args.out is not None:
            args.out.mkdir(parents=True)
            folder = str(args.out)
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="motcua-sim-"))
        if args.erlang:
            results = run_erlang(
                base, args.counters, args.rate, args.service_min, args.hours, args.seed, Path(folder), repeat=args.days
            )
            _print_erlang(results)
        elif args.staffing:
            low, _, high = args.staffing.partition("-")
            behaviour = profile.behaviour(args.citizens)
            rows = []
            for n in range(int(low), int(high or low) + 1):
                hall = staffing_hall(base, n, single_service=False)
                plan = plan_day(hall, args.date, behaviour, random.Random(args.seed))
                print(f"{n} counters:", file=sys.stderr)
                summary = simulate(hall, plan, Path(folder) / f"n{n}", on_progress=progress_bar)
                rows.append(
                    {
                        "counters": n,
                        **{k: summary[k] for k in ("tickets", "wait_mean_min", "wait_p90_min", "counter_utilisation")},
                    }
                )
            results = {"staffing": rows, "citizens_per_day": behaviour.citizens_per_day}
            print(f"\n{'counters':>8} {'tickets':>8} {'mean wait':>10} {'p90 wait':>10} {'mean utilisation':>17}")
            for row in rows:
                load = statistics.fmean(row["counter_utilisation"].values()) if row["counter_utilisation"] else 0
                print(
                    f"{row['counters']:>8} {row['tickets']:>8} {row['wait_mean_min']:>8.1f} m "
                    f"{row['wait_p90_min']:>8.1f} m {load:>16.0%}"
                )
        else:
            plan = plan_day(base, args.date, profile.behaviour(args.citizens), random.Random(args.seed))
            print(f"Simulating {len(plan.citizens)} citizens on {args.date} in {base.hall.name}", file=sys.stderr)
            results = simulate(base, plan, Path(folder), on_progress=progress_bar, database=args.db)
            results.pop("waits_min", None)
            if args.db is None and args.out is None:
                results.pop("database", None)  # a temporary folder, gone when we return
            _print_day(results)
        text = json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
        if args.out is not None:
            (args.out / "results.json").write_text(text, encoding="utf-8")
        if args.json:
            args.json.write_text(text, encoding="utf-8")
    return 0


def run_erlang(
    base: HallConfig,
    counters: int,
    rate: float,
    service_min: float,
    hours: float,
    seed: int,
    workdir: Path,
    *,
    repeat: int = 3,
) -> dict[str, Any]:
    """`repeat` independent days of the textbook queue through the coordinator, against Erlang C. One day of a
    busy queue varies a lot (waits are strongly correlated), hence several."""
    hall = staffing_hall(base, counters, single_service=True)
    waits: list[float] = []
    reference: list[float] = []
    for run in range(repeat):
        plan = plan_erlang(
            date(2026, 11, 23),
            hall.hall.zone,
            rate_per_hour=rate,
            service_min=service_min,
            hours=hours,
            rng=random.Random(seed + run),
        )
        summary = simulate(hall, plan, workdir / f"run{run}", on_progress=progress_bar, turnaround_s=0)
        waits.extend(summary["waits_min"])
        reference.extend(reference_fifo(plan, counters))
    theory = erlang_c(counters, rate, service_min)
    return {
        "counters": counters,
        "rate_per_hour": rate,
        "service_min": service_min,
        "hours": hours,
        "days": repeat,
        "simulated": {
            "tickets": len(waits),
            "wait_mean_min": _round(statistics.fmean(waits)),
            "wait_p90_min": _round(percentile(waits, 0.9)),
            "p_wait": _round(sum(1 for w in waits if w > 1e-9) / len(waits)),
        },
        "reference_fifo_mean_min": _round(statistics.fmean(reference)),
        "erlang_c": {k: round(v, 2) for k, v in theory.items()},
    }


def _print_erlang(results: dict[str, Any]) -> None:
    sim, theory = results["simulated"], results["erlang_c"]
    print(
        f"M/M/{results['counters']}: {results['rate_per_hour']:g} citizens/h, {results['service_min']:g} min "
        f"service, {results['days']} x {results['hours']:g} h ({sim['tickets']} tickets)"
    )
    print(f"  waiting at all: simulated {sim['p_wait']:.0%}, Erlang C {theory['p_wait']:.0%}")
    print(f"  mean wait: simulated {sim['wait_mean_min']:.1f} min, Erlang C {theory['mean_min']:.1f} min")
    print(f"  p90 wait:  simulated {sim['wait_p90_min']:.1f} min, Erlang C {theory['p90_min']:.1f} min")
    print(
        f"  the textbook FIFO queue on the same arrivals and service times: mean wait "
        f"{results['reference_fifo_mean_min']:.1f} min (the coordinator must match it exactly)"
    )
    print("  Erlang C is the long-run mean: a few days of a busy queue commonly land 30 % either side of it.")


def _print_day(results: dict[str, Any]) -> None:
    error = results["estimate_error"]
    print(
        f"tickets {results['tickets']} (served {results['served']}, no-show {results['no_show']}), "
        f"pad presses {results['ratings_sent']} (first presses by level: "
        + ", ".join(f"{level} {n}" for level, n in results["ratings_by_level"].items())
        + f"; presses with nobody served {results['idle_presses']})"
    )
    print(f"wait: mean {results['wait_mean_min']} min, p90 {results['wait_p90_min']} min")
    if results.get("database"):
        print(f"the coordinator's database: {results['database']}")
    for service, figures in results["wait_by_service"].items():
        mean, p90 = figures["mean_min"], figures["p90_min"]
        print(f"  {service:<22} n={figures['n']:<4} mean {mean:>6.1f} min  p90 {p90:>6.1f} min")
    print("counter utilisation: " + ", ".join(f"{n}: {u:.0%}" for n, u in results["counter_utilisation"].items()))
    print(
        f"estimated wait error: mean |error| {error['mean_abs_min']} min, bias {error['bias_min']} min, "
        f"within 5 min for {error['within_5_min']:.0%} of tickets"
    )


if __name__ == "__main__":
    sys.exit(main())
