"""What every rating device shares (the pad's buttons, the counter screen's touch tablet): the vote rules and the
way votes travel.

- `PressFilter`: contact bounce is not a press (`motcua.gpio.EdgeFilter`); a press within `lockout_s` of the
  previous press (any level) is a vote flagged *misuse*: stored and sent, never counted. The lockout slides: a
  storm (a child, a stuck contact, a hand resting on the glass) is misuse until it has been quiet for `lockout_s`.
- `make_vote`: the message for one press, with a fresh id and the device's own time.
- `VoteSender`: the votes in flight. Every vote is in the `motcua.outbox.Outbox` (fsynced) before it is published;
  it is published a window at a time, oldest first, again when no acknowledgement comes within ``resend_s`` or after
  a reconnect, and forgotten only when acknowledged (the coordinator is idempotent on the id).

Pure apart from `VoteSender.send`, which publishes through the function it is given; time is an argument.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from motcua.contract import ErrorCode, RatingAck, RatingLevel, RatingVote, parse
from motcua.errors import ContractError
from motcua.gpio import EdgeFilter
from motcua.outbox import Outbox, OutboxError

logger = logging.getLogger(__name__)


#: The default rating scale, best first (a hall without ``[rating]``). A pad's buttons and the counter screen
#: tablet's faces follow the hall's own scale, hall.toml ``[rating]`` (`rating_buttons.config.LoadedPad.levels`,
#: `counter_screen.model.face_levels`); votes carry a level's key, any string.
LEVELS: tuple[RatingLevel, ...] = (RatingLevel.SATISFIED, RatingLevel.NEUTRAL, RatingLevel.UNSATISFIED)


class PressKind(StrEnum):
    VOTE = "vote"  # a vote that may count
    MISUSE = "misuse"  # inside the lockout: sent flagged, stored by the coordinator, never counted
    BOUNCE = "bounce"  # contact bounce, not a press


@dataclass
class PressFilter:
    """Debounce and lockout on press timestamps (``mono`` seconds)."""

    debounce_s: float
    lockout_s: float
    _edges: EdgeFilter = field(init=False)
    _last_press: float | None = None

    def __post_init__(self) -> None:
        self._edges = EdgeFilter(self.debounce_s)

    def press(self, level: str, mono: float) -> PressKind:
        if not self._edges.press(str(level), mono):
            return PressKind.BOUNCE
        previous, self._last_press = self._last_press, mono
        if previous is not None and mono - previous < self.lockout_s:
            return PressKind.MISUSE
        return PressKind.VOTE

    def release(self, level: str, mono: float) -> None:
        self._edges.release(str(level), mono)

    def tap(self, level: str, mono: float) -> PressKind:
        """A touch (press and release at once): no bounce on glass, only the lockout."""
        kind = self.press(level, mono)
        self.release(level, mono)
        return kind

    @property
    def bounces(self) -> int:
        return self._edges.bounces


def judging_ack(payload: bytes) -> RatingAck | None:
    """The coordinator's answer to one of our votes, when it judges it; None when there is nothing to do: an
    unreadable payload (logged), a refusal for the rate (the vote stays in the outbox and is sent again after
    resend_s), or an answer to a vote whose id could not be read (it names no vote of ours)."""
    try:
        ack = parse(RatingAck, payload)
    except ContractError as exc:
        logger.warning("ignored a bad rating acknowledgement: %s", exc)
        return None
    if ack.reason is ErrorCode.RATE_LIMITED or ack.id is None:
        return None
    return ack


def make_vote(
    level: str, pressed_at: datetime, kind: PressKind, *, reasons: Sequence[str] = (), device: str | None = None
) -> RatingVote:
    """The message for one press: a fresh id, the device's own time (and, from a tablet, the reasons chosen and
    the device's id: a counter's pad and its tablet vote on one topic)."""
    if kind is PressKind.BOUNCE:
        raise ValueError("a bounce is not a vote")
    return RatingVote(
        id=uuid.uuid4(),
        level=level,
        pressed_at=pressed_at,
        misuse=kind is PressKind.MISUSE,
        reasons=list(reasons) or None,
        device=device,
    )


@dataclass
class SendResult:
    sent: int = 0
    overdue: int = 0


class VoteSender:
    """The outbox and the votes in flight. Used by one thread (the device's worker)."""

    def __init__(self, outbox: Outbox, *, resend_s: float, send_window: int) -> None:
        self.outbox = outbox
        self.resend_s = resend_s
        self.send_window = send_window
        self.in_flight: dict[str, float] = {}  # vote id -> when last published (mono)

    def record(self, votes: list[RatingVote]) -> list[RatingVote]:
        """Commit `votes` to the outbox (fsync) before anything is published; returns those stored."""
        if not votes:
            return []
        try:
            self.outbox.add(votes)
        except OutboxError:
            logger.critical("%d vote(s) could not be stored and are lost", len(votes), exc_info=True)
            return []
        return votes

    def acknowledged(self, ids: Iterable[str]) -> int:
        """Forget acknowledged votes (whatever the outcome); returns how many were still waiting here."""
        keys = list(ids)
        for vote_id in keys:
            self.in_flight.pop(vote_id, None)
        return self.outbox.remove(keys)

    def reconnected(self) -> None:
        """Whatever was in flight is sent again once connected."""
        self.in_flight.clear()

    def send(self, publish: Callable[[bytes], bool], mono: float) -> SendResult:
        """Publish what is due: overdue votes again, then the oldest waiting ones up to the window. `publish`
        returns False when the connection just dropped (everything goes again after the reconnect)."""
        result = SendResult()
        overdue = [vote_id for vote_id, sent in self.in_flight.items() if mono - sent >= self.resend_s]
        for vote_id in overdue:
            del self.in_flight[vote_id]
        result.overdue = len(overdue)
        room = self.send_window - len(self.in_flight)
        if room <= 0:
            return result
        for vote_id, payload in self.outbox.pending(room, exclude=self.in_flight.keys()):
            if not publish(payload):
                break
            self.in_flight[vote_id] = mono
            result.sent += 1
        return result
