"""The estimated wait printed on every ticket: the predictors of `coordinator.estimate`, compared on the same days.

Simulated days of the sample ward (`coordinator.simulate`: its citizens, officers, breaks, no-shows; seeded, so
the figures reproduce exactly) run on the pure queue engine in this process. When each ticket is issued, every
predictor estimates its wait from the same state; when the ticket is called, the real wait is known. Estimates are
rounded to whole minutes, as printed. Error = estimate - real wait (positive: the ticket promised too long a wait).

Two loads: the sample ward's own (simulation.toml, 160 citizens a day on six counters: short waits) and a
short-staffed day (200 citizens on four of the six counters, each taking the services of the missing ones: waits
of ten minutes and more, where an estimate matters). Goal (issue 11): 90 % within 5 minutes and a
bias under 0.5 minutes.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import write_result
from coordinator import estimate
from coordinator.engine import QueueEngine, Ticket
from coordinator.simulate import DaySimulation, EngineActions, SimulatedTime, load_profile, plan_day
from motcua.clock import FixedClock
from motcua.hall import HallConfig, load_hall, validate_config

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ward-hall" / "hall.toml"
DAYS = 30  # working days per load (six weeks)
FIRST_MONDAY = date(2026, 11, 2)
WITHIN_MIN = 5.0
GOAL_WITHIN = 0.90
GOAL_BIAS_MIN = 0.5

Predictor = Callable[[QueueEngine, Ticket], float | None]

PREDICTORS: dict[str, tuple[str, Predictor]] = {
    "schedule": (
        "counter schedule (chosen)",
        lambda q, t: estimate.predict_schedule(q, t.service, ticket=t, now=t.issued_at),
    ),
    "pooled": (
        "previous (work ahead / counters + half a service)",
        lambda q, t: estimate.predict_pooled(q, t.service, ticket=t),
    ),
    "queue_length": (
        "queue length (Ibrahim & Whitt QL)",
        lambda q, t: estimate.predict_queue_length(q, t.service, ticket=t),
    ),
    "les": (
        "last to enter service (LES)",
        lambda q, t: estimate.predict_les(q, t.service, ticket=t),
    ),
    "hol": (
        "head of the line (HOL)",
        lambda q, t: estimate.predict_hol(q, t.service, ticket=t, now=t.issued_at),
    ),
}


def working_days(count: int) -> list[date]:
    days, day = [], FIRST_MONDAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def short_staffed(hall: HallConfig, counters: int) -> HallConfig:
    """The hall with only its first `counters` counters, each also taking the services of the ones missing."""
    data = hall.model_dump(mode="json", exclude_none=True)
    kept = data["counters"][:counters]
    missing = [s for c in data["counters"][counters:] for s in c["services"]]
    for index, service in enumerate(missing):
        target = kept[index % counters]["services"]
        if service not in target:
            target.append(service)
    data["counters"] = kept
    data["devices"]["pads"] = [p for p in data["devices"]["pads"] if p["counter"] <= counters]
    data["devices"]["keypads"] = [k for k in data["devices"]["keypads"] if k["counter"] <= counters]
    data["devices"]["displays"] = [
        {k: v for k, v in d.items() if k != "counters"} for d in data["devices"].get("displays", [])
    ]
    return validate_config(data, HallConfig, source="short-staffed hall")


def run_days(hall: HallConfig, citizens: float, days: list[date], seed: int) -> dict[str, Any]:
    """Every predictor's error on every ticket of `days`."""
    profile = load_profile(SAMPLE)
    errors: dict[str, list[float]] = {name: [] for name in PREDICTORS}
    waits: list[float] = []
    for index, day in enumerate(days):
        plan = plan_day(hall, day, profile.behaviour(citizens), random.Random(seed + index))
        if not plan.citizens:
            continue
        clock = FixedClock(plan.citizens[0].arrives - timedelta(minutes=1))
        predicted: dict[str, dict[str, float]] = {}

        def on_issue(engine: QueueEngine, ticket: Ticket, predicted: dict[str, dict[str, float]] = predicted) -> None:
            values = {}
            for name, (_, predictor) in PREDICTORS.items():
                value = predictor(engine, ticket)
                if value is not None:
                    values[name] = float(round(value))  # whole minutes, as printed
            predicted[ticket.label] = values

        simulation = DaySimulation(hall, plan, EngineActions(hall, clock, on_issue), SimulatedTime(clock))
        simulation.run()
        for label, visit in simulation.visits.items():
            if visit.wait_min is None:
                continue
            waits.append(visit.wait_min)
            for name, value in predicted[label].items():
                errors[name].append(value - visit.wait_min)
    return {
        "tickets": len(waits),
        "wait_mean_min": round(statistics.fmean(waits), 2),
        "wait_p90_min": round(sorted(waits)[int(0.9 * (len(waits) - 1))], 2),
        "predictors": {name: figures(values) for name, values in errors.items()},
    }


def figures(errors: list[float]) -> dict[str, Any]:
    if not errors:
        return {"n": 0}
    return {
        "n": len(errors),
        "mean_abs_min": round(statistics.fmean(abs(e) for e in errors), 2),
        "bias_min": round(statistics.fmean(errors), 2),
        "within_5_min": round(sum(1 for e in errors if abs(e) <= WITHIN_MIN) / len(errors), 3),
        "p90_abs_min": round(sorted(abs(e) for e in errors)[int(0.9 * (len(errors) - 1))], 2),
    }


def main() -> None:
    hall = load_hall(SAMPLE)
    profile = load_profile(SAMPLE)
    days = working_days(DAYS)
    loads = {
        "sample": ("the sample ward (160 citizens/day, 6 counters)", hall, profile.citizens_per_day),
        "short_staffed": ("a short-staffed day (200 citizens/day, 4 counters)", short_staffed(hall, 4), 200.0),
    }
    results: dict[str, Any] = {"days": len(days), "first_day": days[0].isoformat(), "loads": {}}
    headline = []
    for key, (title, staffed, citizens) in loads.items():
        outcome = run_days(staffed, citizens, days, seed=1)
        outcome["title"] = title
        results["loads"][key] = outcome
        print(f"  {title}: {outcome['tickets']} tickets, mean wait {outcome['wait_mean_min']} min")
        for name, (label, _) in PREDICTORS.items():
            f = outcome["predictors"][name]
            print(
                f"    {name:<13} mean |error| {f['mean_abs_min']:>5} min, bias {f['bias_min']:>+6} min, "
                f"within 5 min {f['within_5_min']:.1%}"
            )
            chosen = name == "schedule"
            headline.append(
                {
                    "measure": f"estimated wait, {title}, mean wait {outcome['wait_mean_min']:.1f} min: {label}, "
                    "mean error (absolute) / bias / share within 5 min",
                    "result": f"{f['mean_abs_min']:.1f} / {f['bias_min']:+.2f} min / {f['within_5_min']:.1%}",
                    "goal": ">= 90 % within 5 min, bias within ±0.5 min" if chosen else "-",
                    "met": (f["within_5_min"] >= GOAL_WITHIN and abs(f["bias_min"]) < GOAL_BIAS_MIN)
                    if chosen
                    else None,
                }
            )
    results["predictors"] = {name: label for name, (label, _) in PREDICTORS.items()}
    results["headline"] = headline
    write_result(
        "estimate",
        results,
        goals={"within_5_min": GOAL_WITHIN, "abs_bias_min": GOAL_BIAS_MIN, "days_per_load": DAYS},
    )


if __name__ == "__main__":
    main()
