"""`motcua simulate`: a day through the real broker and coordinator, staffing, and the Erlang-C check."""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
from datetime import date
from pathlib import Path

import pytest
from conftest import WARD_HALL

from coordinator.engine import is_open
from coordinator.simulate import (
    Behaviour,
    erlang_c,
    load_profile,
    plan_day,
    plan_erlang,
    reference_fifo,
    simulate,
    staffing_hall,
)
from motcua.cli import main as motcua
from motcua.contract import RatingLevel
from motcua.hall import HallConfig

pytestmark = pytest.mark.slow  # whole simulated days through the real broker

MONDAY = date(2026, 11, 23)


def test_the_coordinator_reproduces_the_textbook_fifo_queue_exactly(hall: HallConfig, tmp_path: Path):
    """One service, no priority, no breaks: every citizen's wait through MQTT and the real engine equals the
    FIFO multi-server queue computed independently on the same arrivals and service times."""
    pooled = staffing_hall(hall, 4, single_service=True)
    plan = plan_erlang(MONDAY, pooled.hall.zone, rate_per_hour=28, service_min=8, hours=4, rng=random.Random(7))
    result = simulate(pooled, plan, tmp_path, turnaround_s=0)
    expected = reference_fifo(plan, 4)
    assert result["tickets"] == len(plan.citizens) > 80
    assert sum(1 for w in expected if w > 0) > 10, "the queue must actually form for this to test anything"
    assert result["waits_min"] == pytest.approx(expected, abs=1e-6)


def test_the_reference_queue_converges_to_erlang_c():
    counters, rate, service = 8, 40.0, 10.0
    theory = erlang_c(counters, rate, service)
    means = []
    for seed in range(150):
        plan = plan_erlang(MONDAY, None, rate_per_hour=rate, service_min=service, hours=23, rng=random.Random(seed))
        means.append(statistics.fmean(reference_fifo(plan, counters)))
    assert statistics.fmean(means) == pytest.approx(theory["mean_min"], rel=0.06)


def test_erlang_c_formula_on_known_values():
    # 2 servers, load 1 Erlang: P(wait) = 1/3, mean wait = (1/3) / (2 - 1) service times
    result = erlang_c(2, 6.0, 10.0)
    assert result["p_wait"] == pytest.approx(1 / 3)
    assert result["mean_min"] == pytest.approx(10 / 3)
    assert erlang_c(2, 12.0, 10.0)["mean_min"] == float("inf")  # overloaded


def test_a_day_of_the_sample_hall_matches_the_coordinators_records(hall: HallConfig, tmp_path: Path):
    behaviour = load_profile(WARD_HALL).behaviour(70)
    plan = plan_day(hall, MONDAY, behaviour, random.Random(3))
    progress: list[float] = []
    result = simulate(hall, plan, tmp_path, on_progress=progress.append)
    assert result["not_issued"] == 0  # plan_day sends nobody to a closed hall (test_nobody_is_sent_to_a_closed_hall)
    assert result["tickets"] == len(plan.citizens) > 50
    assert progress == sorted(set(progress)) and progress[-1] == 1.0 and progress.count(1.0) == 1
    assert all(abs(round(100 * p) - 100 * p) < 1e-9 for p in progress)  # whole percents: never 99.6 shown as 100
    assert result["served"] + result["no_show"] == result["tickets"]
    db = sqlite3.connect(result["database"])
    statuses = dict(db.execute("SELECT status, COUNT(*) FROM tickets GROUP BY status").fetchall())
    assert statuses == {k: v for k, v in {"served": result["served"], "no_show": result["no_show"]}.items() if v}
    ratings = dict(db.execute("SELECT outcome, COUNT(*) FROM ratings GROUP BY outcome").fetchall())
    assert sum(ratings.values()) == result["ratings_sent"]
    assert ratings.get("unbound", 0) == result["idle_presses"]  # citizens rate the counter that just served them
    raters = [c for c in plan.citizens if c.rating is not None and c.shows_up]
    assert ratings["counted"] == len(raters)
    assert ratings.get("misuse", 0) == sum(c.presses - 1 for c in raters)
    error = result["estimate_error"]
    assert error["n"] == result["tickets"] and error["mean_abs_min"] is not None
    assert set(result["counter_utilisation"]) == {c.number for c in hall.counters}


@pytest.mark.slow  # simulates a whole day twice, through the real coordinator
def test_more_counters_never_make_the_wait_longer(hall: HallConfig, tmp_path: Path):
    behaviour = Behaviour(citizens_per_day=120, breaks=False)
    p90 = []
    for counters in (2, 4):
        staffed = staffing_hall(hall, counters, single_service=False)
        plan = plan_day(staffed, MONDAY, behaviour, random.Random(11))
        p90.append(simulate(staffed, plan, tmp_path / str(counters))["wait_p90_min"])
    assert p90[1] <= p90[0] and p90[0] > 0


def test_the_command_answers_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out, db, folder = tmp_path / "day.json", tmp_path / "kept" / "day.db", tmp_path / "run"
    command = ["--log-level", "WARNING", "simulate", "--hall", str(WARD_HALL), "--citizens", "30", "--json", str(out)]
    assert motcua([*command, "--db", str(db), "--out", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "estimated wait error" in printed and "counter utilisation" in printed and str(db) in printed
    data = json.loads(out.read_text())
    assert data["tickets"] > 0 and "wait_p90_min" in data
    assert json.loads((folder / "results.json").read_text()) == data
    kept = sqlite3.connect(db)
    assert kept.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == data["tickets"]
    kept.close()


def test_the_command_does_not_write_over_a_database(tmp_path: Path):
    db = tmp_path / "day.db"
    db.write_bytes(b"")
    with pytest.raises(SystemExit) as refused:
        motcua(["simulate", "--hall", str(WARD_HALL), "--db", str(db)])
    assert refused.value.code == 2 and db.read_bytes() == b""


def test_a_planned_day_brings_citizens_per_day(hall: HallConfig):
    """The day's shape is normalised over the hours the hall issues tickets: on average exactly the number asked
    for (the old weights summed to 10.7 over 9 hours: 19 % more)."""
    behaviour = Behaviour(citizens_per_day=160)
    counts = [len(plan_day(hall, MONDAY, behaviour, random.Random(seed)).citizens) for seed in range(60)]
    assert statistics.fmean(counts) == pytest.approx(160, rel=0.03)
    saturday = [len(plan_day(hall, date(2026, 11, 28), behaviour, random.Random(s)).citizens) for s in range(60)]
    assert statistics.fmean(saturday) == pytest.approx(160, rel=0.03)


def test_nobody_is_sent_to_a_closed_hall(hall: HallConfig):
    behaviour = Behaviour(citizens_per_day=300)
    zone = hall.hall.zone
    for day in (MONDAY, date(2026, 11, 28)):  # a weekday with a lunch break, a Saturday with no afternoon
        plan = plan_day(hall, day, behaviour, random.Random(5))
        assert len(plan.citizens) > 200
        for citizen in plan.citizens:
            hours = hall.hours_for(citizen.service)
            assert hours is not None
            assert is_open(hours, citizen.arrives.astimezone(zone), hall.hall.issue_early_min), citizen.arrives
    assert plan_day(hall, date(2026, 11, 29), behaviour, random.Random(5)).citizens == []  # Sunday: closed


def test_simulated_citizens_rate_like_real_ones(hall: HallConfig, tmp_path: Path):
    """Mostly satisfied, some neutral, a few unsatisfied; some press twice (misuse), some leave without rating,
    and a passer-by presses a pad with nobody served (unbound): every rating rule is exercised."""
    plan = plan_day(hall, MONDAY, load_profile(WARD_HALL).behaviour(160), random.Random(1))
    raters = [c for c in plan.citizens if c.rating is not None]
    levels = {level: sum(1 for c in raters if c.rating is level) for level in RatingLevel}
    assert levels[RatingLevel.SATISFIED] > levels[RatingLevel.NEUTRAL] > levels[RatingLevel.UNSATISFIED] > 0
    assert 0.5 < len(raters) / len(plan.citizens) < 0.9
    assert any(c.presses == 2 for c in raters) and plan.idle_presses
    result = simulate(hall, plan, tmp_path)
    db = sqlite3.connect(result["database"])
    outcomes = dict(db.execute("SELECT outcome, COUNT(*) FROM ratings GROUP BY outcome").fetchall())
    counted = dict(
        db.execute("SELECT level, COUNT(*) FROM ratings WHERE outcome = 'counted' GROUP BY level").fetchall()
    )
    assert outcomes["misuse"] >= 1 and outcomes["unbound"] == result["idle_presses"] >= 1
    assert set(counted) == {"satisfied", "neutral", "unsatisfied"}
    served = db.execute("SELECT COUNT(*) FROM tickets WHERE status = 'served'").fetchone()[0]
    assert outcomes["counted"] < served  # some left without rating
    shown = [c for c in raters if c.shows_up]  # a citizen absent when called rates nothing
    assert result["ratings_by_level"] == {
        level.value: n for level in RatingLevel if (n := sum(1 for c in shown if c.rating is level))
    }
    assert result["ratings_by_level"] == counted


def test_the_same_seed_plans_the_same_day(hall: HallConfig):
    behaviour = load_profile(WARD_HALL).behaviour(160)
    assert plan_day(hall, MONDAY, behaviour, random.Random(4)) == plan_day(hall, MONDAY, behaviour, random.Random(4))
