"""What the display knows about the hall, and what it shows from it (pure: no pygame, no MQTT, time passed in).

`HallState` is fed on the main thread with the retained board (the truth, resent on every reconnect) and with
calls, which the coordinator publishes just before the board that contains them (MQTT keeps one publisher's
messages in order): a call is shown at once, for the fastest call-to-screen, and the board then confirms it.
`board_view` turns it into a `BoardView`, the plain data the layout draws; two equal views draw the same frame,
so the main loop redraws only when the view changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from motcua.contract import Board, BoardCounter, Call, CounterStatus
from motcua.text import nfc
from queue_display.texts import Language, clock_text, counter_name, label, minutes

#: How often a highlighted call blinks (on + off), in seconds. 1 Hz: noticeable, far below the 3 flashes a
#: second that can trigger photosensitive seizures.
BLINK_PERIOD_S = 1.0


@dataclass
class HallState:
    """The last good board, the calls seen since, the connection."""

    highlight_s: float = 8.0
    board: Board | None = None
    connected: bool = False
    boards: int = 0  # good boards received
    bad_payloads: int = 0
    highlight_id: str | None = None
    highlight_since: float = 0.0  # time.monotonic()
    version: int = 0  # bumped on every change that alters what is shown
    speaking_id: str | None = None  # the call the voice is saying now
    coordinator_online: bool | None = None  # the coordinator's retained status (None: not heard)
    _head_id: str | None = field(default=None, repr=False)

    def apply_board(self, board: Board, now: float) -> None:
        """A good board (retained on connect, or live after each change at the coordinator)."""
        first = self.board is None
        self.board = board
        self.boards += 1
        self._head_changed(now, quiet=first)
        self.version += 1

    def apply_call(self, call: Call, now: float) -> None:
        """A call, usually just before the board that contains it: show it now if it is the newest."""
        board = self.board
        if board is None:
            return
        if any(c.id == call.id for c in board.calls):
            return
        if board.calls and call.called_at < board.calls[0].called_at:
            return  # an old call delivered late (after an outage): the board already shows what followed
        calls = [call, *board.calls]
        counters = [
            c.model_copy(update={"serving": call.label}) if c.number == call.counter else c for c in board.counters
        ]
        self.board = board.model_copy(update={"calls": calls, "counters": counters})
        self._head_changed(now, quiet=False)
        self.version += 1

    def set_speaking(self, call_id: str | None) -> None:
        if call_id != self.speaking_id:
            self.speaking_id = call_id
            self.version += 1

    def set_coordinator(self, online: bool) -> None:
        if online != self.coordinator_online:
            self.coordinator_online = online
            self.version += 1

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.version += 1

    @property
    def head(self) -> Call | None:
        return self.board.calls[0] if self.board is not None and self.board.calls else None

    def highlighted(self, now: float) -> bool:
        """Whether the newest call is highlighted now (blinking phase included)."""
        head = self.head
        if head is None or head.id != self.highlight_id:
            return False
        elapsed = now - self.highlight_since
        if elapsed >= self.highlight_s:
            return False
        return (elapsed % BLINK_PERIOD_S) < BLINK_PERIOD_S * 0.6

    def next_highlight_change(self, now: float) -> float | None:
        """When `highlighted` may change next (monotonic), or None when no highlight runs."""
        head = self.head
        if head is None or head.id != self.highlight_id:
            return None
        elapsed = now - self.highlight_since
        if elapsed >= self.highlight_s:
            return None
        phase = elapsed % BLINK_PERIOD_S
        step = BLINK_PERIOD_S * 0.6 - phase if phase < BLINK_PERIOD_S * 0.6 else BLINK_PERIOD_S - phase
        return now + min(step, self.highlight_s - elapsed)

    def _head_changed(self, now: float, *, quiet: bool) -> None:
        head = self.head
        head_id = head.id if head else None
        if head_id != self._head_id:
            self._head_id = head_id
            # The first board after start shows the hall as it is; only what is new to the room blinks.
            if head_id is not None and not quiet and self.highlight_s > 0:
                self.highlight_id = head_id
                self.highlight_since = now


# --- the view ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentCall:
    label: str
    counter: int
    counter_text: str  # "→ Quầy 3"
    service: str
    call_id: str
    recall: bool = False  # a ticket called again: "GỌI LẠI SỐ"
    speaking: bool = False  # the voice is saying this call now


@dataclass(frozen=True)
class RecentCall:
    label: str
    counter_text: str  # "→ Quầy 3", "→ Quầy 3 · gọi lại"


@dataclass(frozen=True)
class CounterRow:
    name: str
    serving: str  # ticket label, "—", or "Tạm dừng"
    paused: bool


@dataclass(frozen=True)
class ServiceRow:
    name: str
    waiting: int
    estimate: str  # "≈ 20 phút" or ""


@dataclass(frozen=True)
class BoardView:
    """Everything one frame shows, as text."""

    language: Language
    title: str
    clock: str
    connected: bool
    has_board: bool
    message: str  # shown instead of the board while there is none
    current: CurrentCall | None
    highlight: bool
    recent: tuple[RecentCall, ...]
    counters: tuple[CounterRow, ...]
    services: tuple[ServiceRow, ...]
    notice: str
    labels: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)
    show_waiting: bool = True


@dataclass(frozen=True)
class ViewOptions:
    language: Language = "vi"
    title: str | None = None
    show_seconds: bool = False
    recent_calls: int = 6
    show_estimated_wait: bool = True
    show_waiting: bool = True
    notice: str = ""
    service_labels: Mapping[str, str] = field(default_factory=dict)


LABEL_KEYS = (
    "call_title",
    "no_call",
    "recent_title",
    "counters_title",
    "services_title",
    "disconnected",
    "no_counter_open",
    "recall_title",
    "coordinator_down",
)


def board_view(state: HallState, local_now: datetime, now: float, options: ViewOptions) -> BoardView:
    """The frame to draw at hall-local time `local_now` and monotonic time `now`."""
    lang = options.language
    board = state.board
    labels = {key: label(key, lang) for key in LABEL_KEYS}
    hall_name = ""
    if board is not None:
        hall_name = board.hall_name_en if lang == "en" and board.hall_name_en else board.hall_name
    title = nfc(options.title or hall_name)
    if state.connected and state.coordinator_online is False:
        labels["disconnected"] = label("coordinator_down", lang)
    clock = clock_text(local_now, lang, seconds=options.show_seconds)
    if board is None:
        message = label("waiting_board" if state.connected else "connecting", lang)
        return BoardView(
            lang, title, clock, _connected(state), False, message, None, False, (), (), (), nfc(options.notice), labels
        )
    names = {s.id: _service_name(s.id, s.name, s.name_en, lang, options.service_labels) for s in board.services}
    # The big panel shows the call the voice is saying (a burst is said one after the other: the room must see
    # the number it hears), else the newest; after closing (every counter closed, or another day's board) none.
    spoken = next((c for c in board.calls if c.id == state.speaking_id), None)
    head = spoken or (board.calls[0] if board.calls else None)
    open_hall = any(c.status is not CounterStatus.CLOSED for c in board.counters)
    if board.calls and (not open_hall or board.business_day != local_now.date()):
        head = None
        labels["no_call"] = label("closed_now", lang)
    current = None
    if head is not None:
        current = CurrentCall(
            label=nfc(head.label),
            counter=head.counter,
            counter_text="→ " + counter_name(head.counter_name, head.counter, lang),
            service=names.get(head.service, nfc(head.service_name)),
            call_id=head.id,
            recall=head.recall > 0,
            speaking=spoken is not None,
        )
    recent: list[RecentCall] = []
    seen = {head.ticket_id} if head else set()
    for call in board.calls if head is not None else []:
        if len(recent) >= options.recent_calls:
            break
        if call.ticket_id in seen:  # the ticket on the big panel, or a ticket already listed (its recall, newer)
            continue
        seen.add(call.ticket_id)
        where = "→ " + counter_name(call.counter_name, call.counter, lang)
        if call.recall > 0:
            where += " · " + label("recall_mark", lang)
        recent.append(RecentCall(nfc(call.label), where))
    counters = tuple(_counter_row(c, lang) for c in board.counters if c.status is not CounterStatus.CLOSED)
    services = tuple(
        ServiceRow(
            name=names[s.id],
            waiting=s.waiting,
            estimate=minutes(s.estimated_wait_min, lang)
            if options.show_estimated_wait and s.estimated_wait_min is not None and s.waiting
            else "",
        )
        for s in board.services
    )
    return BoardView(
        language=lang,
        title=title,
        clock=clock,
        connected=_connected(state),
        has_board=True,
        message="",
        current=current,
        highlight=(current is not None and current.speaking) or (current is not None and state.highlighted(now)),
        recent=tuple(recent),
        counters=counters,
        services=services,
        # The notice a manager set in the console (on the board) replaces the config's line; cleared, the line returns.
        notice=nfc(board.notice or options.notice),
        labels=labels,
        show_waiting=options.show_waiting,
    )


def _counter_row(counter: BoardCounter, lang: Language) -> CounterRow:
    paused = counter.status is CounterStatus.PAUSED
    serving = label("paused", lang) if paused else nfc(counter.serving) if counter.serving else "—"
    return CounterRow(counter_name(counter.name, counter.number, lang), serving, paused)


def _service_name(service_id: str, name: str, name_en: str | None, lang: Language, overrides: Mapping[str, str]) -> str:
    if service_id in overrides:
        return nfc(overrides[service_id])
    if lang == "en" and name_en:
        return nfc(name_en)
    return nfc(name)


def _connected(state: HallState) -> bool:
    """Whether the board is live: connected to the broker, and the coordinator not known to be stopped."""
    return state.connected and state.coordinator_online is not False
