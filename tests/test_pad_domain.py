"""The pad's rules without hardware: debounce, lockout, a button storm, and the light pattern for each state."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from motcua.contract import ErrorCode, RatingAck, RatingLevel, RatingOutcome
from motcua.gpio import Blink, EdgeFilter, Steady, check_distinct_pins, describe_spec
from motcua.votes import judging_ack
from rating_buttons.domain import INVITE_PULSE, OFFLINE_BLINK, PadLights, PadPattern, PressFilter, PressKind, make_vote

VN = timezone(timedelta(hours=7))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=VN)
S, N, U = RatingLevel.SATISFIED, RatingLevel.NEUTRAL, RatingLevel.UNSATISFIED


def click(presses: PressFilter, level: RatingLevel, at: float, hold: float = 0.1) -> PressKind:
    kind = presses.press(level, at)
    presses.release(level, at + hold)
    return kind


def test_press_first_press_is_a_vote_then_lockout_flags_misuse():
    presses = PressFilter(debounce_s=0.0003, lockout_s=5.0)
    assert click(presses, S, 100.0) is PressKind.VOTE
    assert click(presses, U, 101.0) is PressKind.MISUSE  # another button changes nothing: one person, one vote
    assert click(presses, S, 104.0) is PressKind.MISUSE  # the lockout slides with every press
    assert click(presses, N, 109.5) is PressKind.VOTE  # quiet for 5 s: the next citizen


def test_press_contact_bounce_is_not_a_press():
    presses = PressFilter(debounce_s=0.005, lockout_s=5.0)
    assert presses.press(S, 10.0) is PressKind.VOTE
    # the contacts chatter for a few milliseconds as they close, then as they open
    for t in (10.0005, 10.0012, 10.0021):
        presses.release(S, t)
        assert presses.press(S, t + 0.0004) is PressKind.BOUNCE
    presses.release(S, 10.2)
    assert presses.press(S, 10.2003) is PressKind.BOUNCE
    presses.release(S, 10.2006)
    assert presses.bounces == 4
    assert click(presses, S, 20.0) is PressKind.VOTE


def test_press_storm_of_1000_in_one_second_is_one_vote_and_999_misuse():
    presses = PressFilter(debounce_s=0.0003, lockout_s=5.0)
    kinds = []
    for i in range(1000):  # 1 kHz: 0.5 ms down, 0.5 ms up, round-robin over the three buttons
        at = 50.0 + i * 0.001
        kinds.append(click(presses, (S, N, U)[i % 3], at, hold=0.0005))
    assert kinds.count(PressKind.VOTE) == 1
    assert kinds.count(PressKind.MISUSE) == 999
    assert kinds[0] is PressKind.VOTE
    assert presses.bounces == 0


def test_press_storm_on_one_button_is_recorded_press_by_press():
    presses = PressFilter(debounce_s=0.0003, lockout_s=5.0)
    kinds = [click(presses, N, 7.0 + i * 0.001, hold=0.0005) for i in range(1000)]
    assert (kinds.count(PressKind.VOTE), kinds.count(PressKind.MISUSE), kinds.count(PressKind.BOUNCE)) == (1, 999, 0)


def test_make_vote_keeps_device_time_and_flag():
    vote = make_vote(U, NOON, PressKind.MISUSE)
    assert (vote.level, vote.pressed_at, vote.misuse) == (U, NOON, True)
    assert make_vote(U, NOON, PressKind.VOTE).id != vote.id
    with pytest.raises(ValueError):
        make_vote(U, NOON, PressKind.BOUNCE)


def test_edge_filter_counts_a_held_press_once():
    edges = EdgeFilter(debounce_s=0.01)
    assert edges.press("a", 1.0)
    assert not edges.press("a", 1.5)  # no release seen: still the same press
    edges.release("a", 2.0)
    assert edges.press("a", 2.5)


# --- lights ---------------------------------------------------------------------------------------------------


def lights(**kw: object) -> PadLights:
    pad = PadLights(idle_brightness=0.15, thanks_s=3.0, offline_grace_s=10.0, disconnected_since=0.0, **kw)  # type: ignore[arg-type]
    pad.set_connected(True, 0.0)
    return pad


def test_lights_idle_is_dim():
    pad = lights()
    pattern = pad.pattern(NOON, 1.0)
    assert pattern.name == "idle"
    assert set(pattern.leds.values()) == {Steady(0.15)}


def test_lights_invite_while_the_rating_window_is_open():
    pad = lights()
    pad.set_rating_window(NOON + timedelta(minutes=10))
    assert pad.pattern(NOON, 1.0).name == "invite"
    assert set(pad.pattern(NOON, 1.0).leds.values()) == {INVITE_PULSE}
    assert pad.state(NOON + timedelta(minutes=10), 2.0) is PadPattern.IDLE  # window over
    pad.set_rating_window(None)
    assert pad.state(NOON, 3.0) is PadPattern.IDLE


def test_lights_thanks_on_the_pressed_button_then_no_second_invitation():
    pad = lights()
    pad.set_rating_window(NOON + timedelta(minutes=10))
    pad.pressed(N, PressKind.VOTE, 5.0)
    pattern = pad.pattern(NOON, 5.1)
    assert pattern.name == "thanks-neutral"
    assert dict(pattern.leds) == {"satisfied": Steady(0.0), "neutral": Steady(1.0), "unsatisfied": Steady(0.0)}
    # after the thanks, the same window does not invite again (the ack may still be on its way)
    assert pad.state(NOON + timedelta(seconds=4), 8.1) is PadPattern.IDLE
    # the next ticket finished: a new window, a new invitation
    pad.set_rating_window(NOON + timedelta(minutes=20))
    assert pad.state(NOON + timedelta(minutes=11), 9.0) is PadPattern.INVITE


def test_lights_misuse_press_changes_nothing():
    pad = lights()
    pad.set_rating_window(NOON + timedelta(minutes=10))
    pad.pressed(S, PressKind.MISUSE, 5.0)
    assert pad.state(NOON, 5.1) is PadPattern.INVITE


def test_lights_offline_after_the_grace_period_only():
    pad = lights()
    pad.set_connected(False, 100.0)
    assert pad.state(NOON, 105.0) is PadPattern.IDLE  # a short reconnect shows nothing
    assert pad.state(NOON, 110.0) is PadPattern.OFFLINE
    assert set(pad.pattern(NOON, 110.0).leds.values()) == {OFFLINE_BLINK}
    pad.pressed(U, PressKind.VOTE, 111.0)  # votes are still taken (kept in the outbox) and thanked
    assert pad.state(NOON, 111.5) is PadPattern.THANKS
    assert pad.state(NOON, 114.5) is PadPattern.OFFLINE
    pad.set_connected(True, 120.0)
    assert pad.state(NOON, 120.0) is PadPattern.IDLE


def test_lights_offline_goes_to_the_status_led_when_there_is_one():
    pad = lights(status_led=True)
    assert pad.status_pattern(1.0).name == "online"
    pad.set_connected(False, 100.0)
    assert pad.state(NOON, 200.0) is PadPattern.IDLE
    assert pad.status_pattern(200.0).name == "offline"
    assert pad.status_pattern(200.0).leds["status"] == OFFLINE_BLINK


def test_light_specs_describe_themselves():
    assert [describe_spec(s) for s in (Steady(0), Steady(1), Steady(0.15), INVITE_PULSE, Blink(0.1, 0.1, n=3))] == [
        "off",
        "on",
        "dim 0.15",
        "pulse",
        "blink x3",
    ]


def test_distinct_pins_names_both_uses():
    check_distinct_pins({"buttons.satisfied": 17, "leds.status": None, "leds.neutral": 18})
    with pytest.raises(ValueError, match=r"GPIO 17 is used twice: by buttons\.satisfied and by leds\.neutral"):
        check_distinct_pins({"buttons.satisfied": 17, "leds.neutral": 17})


def test_distinct_pins_names_every_pin_used_twice():
    with pytest.raises(ValueError) as exc:
        check_distinct_pins({"buttons.satisfied": 17, "leds.neutral": 17, "buttons.neutral": 27, "leds.status": 27})
    assert "GPIO 17 is used twice" in str(exc.value) and "GPIO 27 is used twice" in str(exc.value)


def test_only_an_acknowledgement_that_judges_one_of_our_votes_is_acted_on(caplog):
    """The pad and the tablet share it (motcua.votes.judging_ack): a refusal for the rate leaves the vote in the
    outbox, an answer without an id names no vote of ours, garbage is logged and ignored."""
    vote_id = uuid.uuid4()
    counted = RatingAck(id=vote_id, outcome=RatingOutcome.COUNTED, ticket_id="20261123-A001").to_bytes()
    assert judging_ack(counted) == RatingAck(id=vote_id, outcome=RatingOutcome.COUNTED, ticket_id="20261123-A001")
    rejected = RatingAck(id=vote_id, outcome=RatingOutcome.REJECTED, reason=ErrorCode.BAD_REQUEST).to_bytes()
    assert judging_ack(rejected) is not None  # judged: it leaves the outbox
    limited = RatingAck(id=vote_id, outcome=RatingOutcome.REJECTED, reason=ErrorCode.RATE_LIMITED).to_bytes()
    assert judging_ack(limited) is None
    assert judging_ack(RatingAck(outcome=RatingOutcome.REJECTED, reason=ErrorCode.BAD_REQUEST).to_bytes()) is None
    with caplog.at_level(logging.WARNING, logger="motcua.votes"):
        assert judging_ack(b'{"v": 1, "outcome": "counted"') is None
    assert "bad rating acknowledgement" in caplog.text
