"""Rating rules (pure): which ticket a press on a counter's pad rates, and whether it counts.

- A press rates the ticket most recently *finished* at that counter, if it was pressed within the rating
  window after that ticket finished (the citizen leaving the desk).
- Otherwise, a press made while a ticket was being served at that counter is bound to that ticket but never
  counted (*misuse*, issue 19.3): a pad credential could otherwise rate the current citizen first, and the
  citizen's real vote after the finish would become misuse. The real vote after the finish still counts.
- Otherwise nobody was served: the press is stored as *unbound*.
- One counted rating per ticket. A second press for a ticket already rated, or a press the pad itself flagged
  (inside its lockout, e.g. a button storm), is stored as *misuse* — bound to the ticket, never counted.

The rating's device is the one that voted (`voting_device`): a counter may have a pad and a tablet on one topic.

Times are the pad's ``pressed_at``: a vote delivered hours later from the pad's outbox still rates the ticket
that was served when the button was pressed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua.contract import RatingOutcome


@dataclass(frozen=True)
class Visit:
    """A ticket's time at a counter, as far as rating is concerned: only tickets served there (or being served) are
    visits; a no-show or a ticket transferred away is never one (`coordinator.store.Store.visits` leaves them out)."""

    ticket_id: str
    called_at: datetime
    finished_at: datetime | None  # None: still being served
    rated: bool  # already has a counted rating


@dataclass(frozen=True)
class Verdict:
    outcome: RatingOutcome
    ticket_id: str | None
    reason: str


def judge(pressed_at: datetime, *, flagged_by_pad: bool, visits: Iterable[Visit], window: timedelta) -> Verdict:
    """Decide what a press at `pressed_at` rates, given the counter's visits around that time."""
    visits = list(visits)
    finished = [
        v for v in visits if v.finished_at is not None and v.finished_at <= pressed_at <= v.finished_at + window
    ]
    in_service = [
        v for v in visits if v.called_at <= pressed_at and (v.finished_at is None or pressed_at < v.finished_at)
    ]
    if finished:
        target = max(finished, key=lambda v: v.finished_at or v.called_at)
        how = "finished within the window"
    elif in_service:
        target = max(in_service, key=lambda v: v.called_at)
        return Verdict(RatingOutcome.MISUSE, target.ticket_id, "pressed before the ticket's finish")
    else:
        outcome = RatingOutcome.MISUSE if flagged_by_pad else RatingOutcome.UNBOUND
        return Verdict(outcome, None, "nobody served at that counter at that time")
    if flagged_by_pad:
        return Verdict(RatingOutcome.MISUSE, target.ticket_id, "inside the pad's lockout")
    if target.rated:
        return Verdict(RatingOutcome.MISUSE, target.ticket_id, "ticket already rated")
    return Verdict(RatingOutcome.COUNTED, target.ticket_id, how)


@dataclass(frozen=True)
class AlertCheck:
    """A counter's counted votes in the alert window, and whether they breach the rule."""

    unsatisfied: int
    votes: int
    active: bool


def check_alert(meanings: Iterable[str], *, unsatisfied_pct: int, min_votes: int) -> AlertCheck:
    """The alert rule on the meanings of a counter's counted votes in the window: active when there are at least
    `min_votes` of them and strictly more than `unsatisfied_pct` % mean unsatisfied."""
    meanings = list(meanings)
    unsatisfied = sum(1 for meaning in meanings if meaning == "unsatisfied")
    active = len(meanings) >= min_votes and unsatisfied * 100 > unsatisfied_pct * len(meanings)
    return AlertCheck(unsatisfied, len(meanings), active)


def voting_device(claimed: str | None, *, registered: Collection[str], counter_pad: str | None) -> str | None:
    """The device a rating is recorded from: the one the vote names, if it is registered at that counter (its pad
    or its counter screen); a vote naming none (a pad older than the ``device`` field) is the counter's pad's; a
    vote naming a device not registered there is recorded from no device (None), never from someone else's."""
    if claimed is None:
        return counter_pad
    return claimed if claimed in registered else None
