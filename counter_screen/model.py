"""What the counter screen shows, and the tablet's rating flow: pure, no I/O, every time passed in.

Two clocks, as on the pad: ``mono`` (seconds, `time.monotonic`) for what a person sees and does — blink, timeouts,
the lockout — and ``now`` (hall time) for the rating window the coordinator announces in the counter's state.

The flow (tablet mode), screen by screen:

- ``display``: the counter, the number served, the officer (also the only screen of display mode);
- ``invite``: the rating window opened (the officer finished a ticket): one face per level of the hall's scale
  (hall.toml ``[rating]``, 2 to 5 levels, `face_levels`), until a tap, the window closes or ``invite_s`` passes;
- ``reasons``: a level that asks why (its *meaning* is in ``ask_reasons_for``: every unsatisfied level of the
  scale, wherever it sits): tick one or more reasons, then "Gửi"; after ``reasons_s`` what is ticked is sent;
- ``thanks``: for ``thanks_s``; the faces stay where they were, so a second tap lands on a face and, inside the
  lockout, is recorded as misuse exactly like a second press on the pad.

A vote is made (`motcua.votes.make_vote`: id, device time) at the tap on a face, or, when reasons are asked, when
they are sent (with the time of the tap on the face).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from motcua.contract import CounterState, CounterStatus, RatingMeaning, RatingVote
from motcua.hall import ScaleLevel
from motcua.language import Language
from motcua.votes import LEVELS, PressFilter, PressKind, make_vote

#: The blink of a new call: on and off this often.
BLINK_PERIOD_S = 0.5


class Screen(StrEnum):
    DISPLAY = "display"
    INVITE = "invite"
    REASONS = "reasons"
    THANKS = "thanks"


@dataclass(frozen=True)
class CounterView:
    """Everything the display part shows; equal views draw the same frame."""

    counter: int
    name: str
    status: CounterStatus | None  # None: nothing received yet
    serving: str | None
    officer_name: str | None
    officer_title: str | None
    waiting: int | None
    lit: bool  # the number in its highlight colour (a new call blinks)
    offline: bool
    pause_reason: str | None = None  # while paused, the officer's reason if any
    next_label: str | None = None  # the number `next` would call here (absent: nobody waits, or closed)


@dataclass(frozen=True)
class TabletView:
    screen: Screen
    language: Language
    chosen: str | None = None  # the key of the level tapped
    ticked: frozenset[str] = frozenset()


@dataclass
class CounterModel:
    """The counter's state as the screen follows it."""

    counter: int
    highlight_s: float = 6.0
    offline_grace_s: float = 5.0
    state: CounterState | None = None
    connected: bool = False
    disconnected_since: float = 0.0
    blink_until: float = 0.0
    _call_key: tuple[str, int] | None = None

    def apply_state(self, state: CounterState, mono: float) -> None:
        serving = state.serving
        key = (serving.id, serving.recalls) if serving is not None else None
        if key is not None and key != self._call_key and self.state is not None:
            self.blink_until = mono + self.highlight_s  # a new call or a recall (not the first state after start)
        self._call_key = key
        self.state = state

    def set_connected(self, connected: bool, mono: float) -> None:
        if self.connected and not connected:
            self.disconnected_since = mono
        self.connected = connected

    def offline(self, mono: float) -> bool:
        return not self.connected and mono - self.disconnected_since >= self.offline_grace_s

    def view(self, mono: float) -> CounterView:
        state = self.state
        blinking = mono < self.blink_until
        lit = not blinking or int((self.blink_until - mono) / BLINK_PERIOD_S) % 2 == 0
        if state is None:
            return CounterView(
                self.counter, f"Quầy {self.counter}", None, None, None, None, None, True, self.offline(mono)
            )
        return CounterView(
            counter=state.counter,
            name=state.name,
            status=state.status,
            serving=state.serving.label if state.serving is not None else None,
            officer_name=state.officer_name,
            officer_title=state.officer_title,
            waiting=state.waiting,
            lit=lit,
            offline=self.offline(mono),
            pause_reason=state.pause_reason if state.status is CounterStatus.PAUSED else None,
            next_label=state.next_label if state.status is not CounterStatus.CLOSED else None,
        )

    def next_change(self, mono: float) -> float | None:
        """When the view changes by itself (blink, the offline notice), or None."""
        deadlines = []
        if mono < self.blink_until:
            left = self.blink_until - mono
            deadlines.append(mono + (left % BLINK_PERIOD_S or BLINK_PERIOD_S) + 0.001)
        if not self.connected:
            at = self.disconnected_since + self.offline_grace_s
            if at > mono:
                deadlines.append(at)
        return min(deadlines) if deadlines else None


@dataclass
class TabletFlow:
    """The rating flow of a touch tablet. Feed it the window, taps and time; it returns the votes to store."""

    lockout_s: float = 5.0
    invite_s: float = 60.0
    reasons_s: float = 30.0
    thanks_s: float = 4.0
    levels: tuple[str, ...] = LEVELS  # the keys of the hall's scale: the faces a tap may give
    ask_reasons_for: frozenset[str] = frozenset({RatingMeaning.UNSATISFIED.value})  # keys of levels that ask why
    reasons: tuple[str, ...] = ()  # reason ids, in the order shown
    device: str | None = None  # this screen's id, carried by its votes (the counter's pad votes on the same topic)
    language: Language = Language.VI
    screen: Screen = Screen.DISPLAY
    chosen: str | None = None
    ticked: set[str] = field(default_factory=set)
    until: float = 0.0  # when the current screen times out (mono)
    pressed_at: datetime | None = None
    pending_kind: PressKind = PressKind.VOTE
    window: datetime | None = None  # the rating window announced (rating_open_until)
    voted_window: datetime | None = None  # the window already voted in (or let go): not invited again
    home_language: Language = Language.VI
    filter: PressFilter = field(init=False)

    def __post_init__(self) -> None:
        self.filter = PressFilter(debounce_s=0.0, lockout_s=self.lockout_s)
        self.home_language = self.language

    def view(self) -> TabletView:
        return TabletView(self.screen, self.language, self.chosen, frozenset(self.ticked))

    def set_window(self, open_until: datetime | None, now: datetime, mono: float) -> list[RatingVote]:
        self.window = open_until
        return self.tick(now, mono)

    def tick(self, now: datetime, mono: float) -> list[RatingVote]:
        """Time passes: invitations open and close, screens time out (a reasons screen sends what is ticked)."""
        votes: list[RatingVote] = []
        if self.screen is Screen.REASONS and mono >= self.until:
            votes += self._send_reasons()
            self._thank(mono)
        if self.screen is Screen.THANKS and mono >= self.until:
            self._home()
        open_now = self.window is not None and now < self.window and self.window != self.voted_window
        if self.screen is Screen.DISPLAY and open_now:
            self.screen, self.until, self.chosen = Screen.INVITE, mono + self.invite_s, None
        elif self.screen is Screen.INVITE and (not open_now or mono >= self.until):
            self.voted_window = self.window  # let go: the officer's next finish invites again
            self._home()
        return votes

    def next_change(self) -> float | None:
        return self.until if self.screen is not Screen.DISPLAY else None

    def tap_level(self, level: str, now: datetime, mono: float) -> list[RatingVote]:
        """A tap on a face (only where faces are shown: the invitation and the thanks)."""
        if self.screen not in (Screen.INVITE, Screen.THANKS) or level not in self.levels:
            return []
        kind = self.filter.tap(level, mono)
        if kind is PressKind.MISUSE:  # recorded, nothing on screen changes (a storm is not rewarded)
            return [make_vote(level, now, kind, device=self.device)]
        self.voted_window = self.window
        self.chosen = level
        if level in self.ask_reasons_for and self.reasons:
            self.screen, self.until, self.pressed_at, self.pending_kind = (
                Screen.REASONS,
                mono + self.reasons_s,
                now,
                kind,
            )
            self.ticked = set()
            return []
        self._thank(mono)
        return [make_vote(level, now, kind, device=self.device)]

    def toggle_reason(self, reason: str, mono: float) -> None:
        if self.screen is Screen.REASONS and reason in self.reasons:
            self.ticked.symmetric_difference_update({reason})
            self.until = max(self.until, mono + self.reasons_s / 2)  # someone is choosing: give them time

    def send(self, mono: float) -> list[RatingVote]:
        """The "send" button of the reasons screen."""
        if self.screen is not Screen.REASONS:
            return []
        votes = self._send_reasons()
        self._thank(mono)
        return votes

    def toggle_language(self) -> None:
        self.language = Language.EN if self.language is Language.VI else Language.VI

    def _send_reasons(self) -> list[RatingVote]:
        assert self.chosen is not None and self.pressed_at is not None
        reasons = [r for r in self.reasons if r in self.ticked]
        vote = make_vote(self.chosen, self.pressed_at, self.pending_kind, reasons=reasons, device=self.device)
        self.screen, self.pressed_at = Screen.THANKS, None
        return [vote]

    def _thank(self, mono: float) -> None:
        self.screen, self.until = Screen.THANKS, mono + self.thanks_s

    def _home(self) -> None:
        self.screen, self.chosen, self.ticked, self.language = Screen.DISPLAY, None, set(), self.home_language


@dataclass(frozen=True)
class FaceLevel:
    """A face of the tablet: a level of the hall's scale and how its face looks."""

    key: str
    meaning: RatingMeaning
    mood: float  # the mouth: 1 a broad smile, 0 straight, -1 a deep frown (the colour follows it)


def face_levels(scale: Sequence[ScaleLevel]) -> tuple[FaceLevel, ...]:
    """The faces of `scale` (2 to 5 levels, in button order). The mouth follows the level's meaning, not its place:
    satisfied levels smile, unsatisfied ones frown, neutral ones are straight; among several levels of one meaning
    the outermost (nearest its end of the scale) is the strongest, e.g. "Rất hài lòng" smiles more than "Hài
    lòng"."""
    order = list(scale)
    places = {m: [i for i, level in enumerate(order) if level.meaning is m] for m in RatingMeaning}
    good, bad = places[RatingMeaning.SATISFIED], places[RatingMeaning.UNSATISFIED]
    best_first = not good or not bad or sum(good) / len(good) <= sum(bad) / len(bad)
    moods: dict[int, float] = {}
    for meaning, sign in ((RatingMeaning.SATISFIED, 1.0), (RatingMeaning.UNSATISFIED, -1.0)):
        group = places[meaning]
        # outermost first: the satisfied end is the best end of the scale, the unsatisfied end the other one
        outer_first = best_first == (sign > 0)
        ranked = group if outer_first else group[::-1]
        for rank, index in enumerate(ranked):
            strength = 1.0 - 0.5 * rank / (len(ranked) - 1) if len(ranked) > 1 else 1.0
            moods[index] = sign * strength
    return tuple(FaceLevel(level.key, level.meaning, moods.get(i, 0.0)) for i, level in enumerate(order))


def reason_levels(faces: Sequence[FaceLevel], meanings: Sequence[RatingMeaning]) -> frozenset[str]:
    """The keys of the levels that ask why: those whose meaning is in `meanings` (``[tablet] ask_reasons_for``),
    wherever they sit on the scale."""
    return frozenset(face.key for face in faces if face.meaning in meanings)


__all__ = [
    "LEVELS",
    "CounterModel",
    "CounterView",
    "FaceLevel",
    "Screen",
    "TabletFlow",
    "TabletView",
    "face_levels",
    "reason_levels",
]
