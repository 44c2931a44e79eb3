"""The counter screen service: the counter's state in, frames out; in tablet mode, taps in and votes out.

Threads and who does what (as on the hall's TV, docs/display.md):

- the MQTT session's **dispatch thread** validates each counter state and acknowledgement and hands a small event
  to the main loop (and acknowledgements to the vote worker);
- the **main thread** owns pygame: it sleeps on its own queue (never `pygame.event.wait`, which polls SDL every
  millisecond) until an event or the next deadline (a blink, a screen's timeout), pumps SDL's events — every
  0.5 s for a display, every 30 ms while a rating screen waits for a finger — and redraws only on change;
- the **vote worker** (`motcua.worker.EventWorker`) owns the outbox: a vote is committed (fsync) before it is
  published, published again until acknowledged (`motcua.votes.VoteSender`, the pad's code).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from counter_screen.config import CounterScreenConfig, LoadedScreen
from counter_screen.layout import Frame, layout
from counter_screen.model import CounterModel, CounterView, Screen, TabletFlow, TabletView, face_levels, reason_levels
from motcua.clock import Clock
from motcua.contract import CounterState, RatingOutcome, RatingVote, parse
from motcua.errors import ContractError, MotcuaError
from motcua.outbox import Outbox
from motcua.screen import open_screen
from motcua.session import Inbound, MqttSession
from motcua.simcontrol import ControlServer
from motcua.votes import VoteSender, judging_ack
from motcua.worker import EventWorker

logger = logging.getLogger(__name__)

#: SDL's events are looked at this often on a display, and while a rating screen waits for a finger.
PUMP_IDLE_S = 0.5
PUMP_TOUCH_S = 0.03
MAX_SLEEP_S = 30.0
#: The vote worker looks at the time this often when nothing happens (resends).
VOTE_TICK_S = 1.0


class ScreenError(MotcuaError, RuntimeError):
    """The screen cannot be opened."""


@dataclass(frozen=True)
class _StateEvent:
    state: CounterState


@dataclass(frozen=True)
class _ConnectionEvent:
    connected: bool


@dataclass(frozen=True)
class _ScreenshotEvent:
    path: Path
    done: Future[int]


@dataclass(frozen=True)
class _TapEvent:
    target: str  # a target name of the frame shown ("level:satisfied", "send") or "x,y"
    done: Future[str | None]


class _WakeEvent:
    pass


class _StopEvent:
    pass


_Event = _StateEvent | _ConnectionEvent | _ScreenshotEvent | _TapEvent | _WakeEvent | _StopEvent


@dataclass(frozen=True)
class _Votes:
    votes: list[RatingVote]


@dataclass(frozen=True)
class _Ack:
    id: str
    outcome: RatingOutcome


@dataclass(frozen=True)
class _Connected:
    connected: bool


_VoteEvent = _Votes | _Ack | _Connected


class CounterScreenApp:
    """`run()` on the main thread; `stop()` from anywhere (a signal handler)."""

    def __init__(
        self,
        loaded: LoadedScreen,
        *,
        clock: Clock,
        session: MqttSession | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        config = loaded.config
        self.config: CounterScreenConfig = config
        self.labels = loaded.labels
        self.faces = face_levels(loaded.scale)  # one per level of the hall's scale
        self.clock = clock
        self.session = session or MqttSession(
            config.mqtt, device=config.device.id, site=config.device.site, role="counter_screen"
        )
        screen = config.screen
        self.model = CounterModel(
            config.counter, highlight_s=screen.highlight_s, offline_grace_s=screen.offline_grace_s
        )
        self.model.disconnected_since = time.monotonic()
        self.tablet: TabletFlow | None = None
        self.sender: VoteSender | None = None
        self._votes: EventWorker[_VoteEvent] | None = None
        if config.mode == "tablet":
            t = config.tablet
            self.tablet = TabletFlow(
                lockout_s=t.lockout_s,
                invite_s=t.invite_s,
                reasons_s=t.reasons_s,
                thanks_s=t.thanks_s,
                levels=tuple(face.key for face in self.faces),
                ask_reasons_for=reason_levels(self.faces, t.ask_reasons_for),
                reasons=tuple(r.id for r in t.reasons),
                device=config.device.id,
                language=screen.language,
            )
            self.sender = VoteSender(outbox or Outbox(config.outbox), resend_s=t.resend_s, send_window=t.send_window)
            self._votes = EventWorker("counter-screen-votes", self._vote_turn, timeout=lambda: VOTE_TICK_S)
        self._inbox: queue.Queue[_Event] = queue.Queue()
        self._status_lock = threading.Lock()
        self._status: dict[str, Any] = {"frames": 0, "screen": "display", "serving": None, "texts": {}}
        self._vote_stats = {"votes": 0, "misuse": 0, "sent": 0, "acked": 0}
        self._outcomes: dict[str, int] = {o.value: 0 for o in RatingOutcome}
        self._pending_shots: list[_ScreenshotEvent] = []
        self._pending_taps: list[_TapEvent] = []
        self._answered: list[tuple[_TapEvent, str | None]] = []
        self._bad_payloads = 0
        self.frame: Frame | None = None

    # --- any thread -------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._inbox.put(_StopEvent())

    def status(self) -> dict[str, Any]:
        with self._status_lock:
            status = dict(self._status)
            status["votes"] = dict(self._vote_stats)
            status["acks"] = dict(self._outcomes)
        status["connected"] = self.session.connected
        status["mode"] = self.config.mode
        status["bad_payloads"] = self._bad_payloads
        if self.sender is not None:
            status["outbox"] = len(self.sender.outbox)
            status["in_flight"] = len(self.sender.in_flight)
        return status

    def screenshot(self, path: Path, timeout: float = 10.0) -> int:
        """Save the next frame drawn to `path` (PNG); returns its frame number."""
        done: Future[int] = Future()
        self._inbox.put(_ScreenshotEvent(path, done))
        try:
            return done.result(timeout)
        except FutureTimeout:
            raise TimeoutError("no frame rendered in time") from None

    def tap(self, target: str, timeout: float = 10.0) -> str | None:
        """Touch the screen: at the centre of a target of the frame shown (``level:satisfied``, ``reason:wait``,
        ``send``, ``language``) or at ``x,y``. The touch goes through SDL's event queue like a finger's; returns
        what it hit."""
        done: Future[str | None] = Future()
        self._inbox.put(_TapEvent(target, done))
        try:
            return done.result(timeout)
        except FutureTimeout:
            raise TimeoutError("the tap was not handled in time") from None

    # --- MQTT (dispatch thread) -------------------------------------------------------------------------

    def on_state(self, inbound: Inbound) -> None:
        try:
            state = parse(CounterState, inbound.payload)
        except ContractError as exc:
            self._bad_payloads += 1
            logger.warning("bad counter state ignored, keeping the last good one: %s", exc)
            return
        if state.counter != self.config.counter:
            return
        self._inbox.put(_StateEvent(state))

    def on_ack(self, inbound: Inbound) -> None:
        ack = judging_ack(inbound.payload)
        if ack is not None and self._votes is not None:
            self._votes.put(_Ack(str(ack.id), ack.outcome))

    def on_connection(self, connected: bool) -> None:
        # Nothing to ask for: the session subscribes again and the broker resends the retained counter state.
        self._inbox.put(_ConnectionEvent(connected))
        if self._votes is not None:
            self._votes.put(_Connected(connected))

    # --- the vote worker ----------------------------------------------------------------------------------

    def _vote_turn(self, batch: list[_VoteEvent], stopping: bool) -> None:
        sender = self.sender
        assert sender is not None
        votes: list[RatingVote] = []
        acked: list[str] = []
        for event in batch:
            if isinstance(event, _Votes):
                votes += event.votes
            elif isinstance(event, _Ack):
                acked.append(event.id)
                with self._status_lock:
                    self._outcomes[event.outcome.value] += 1
            elif event.connected:
                sender.reconnected()
        stored = sender.record(votes)  # on disk (fsync) before anything is published
        for vote in stored:
            logger.info(
                "vote %s: %s%s%s",
                vote.id,
                vote.level,
                " (misuse)" if vote.misuse else "",
                f" reasons {','.join(vote.reasons)}" if vote.reasons else "",
            )
        removed = sender.acknowledged(acked) if acked else 0
        with self._status_lock:
            self._vote_stats["votes"] += sum(1 for v in stored if not v.misuse)
            self._vote_stats["misuse"] += sum(1 for v in stored if v.misuse)
            self._vote_stats["acked"] += removed
        if stopping or not self.session.connected:
            return
        topic = self.session.topics.rating(self.config.counter)

        def publish(payload: bytes) -> bool:
            return self.session.publish(topic, payload).rc == mqtt.MQTT_ERR_SUCCESS

        result = sender.send(publish, time.monotonic())
        with self._status_lock:
            self._vote_stats["sent"] += result.sent
        if result.overdue:
            logger.warning(
                "%d vote(s) not acknowledged within %g s, sending again (is this screen registered for "
                "counter %d in hall.toml [devices] counter_screens?)",
                result.overdue,
                sender.resend_s,
                self.config.counter,
            )

    # --- main thread ------------------------------------------------------------------------------------

    def run(self) -> int:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        from counter_screen.render import Fonts, Renderer

        surface = self._open_screen(pygame)
        renderer = Renderer(Fonts())
        topics = self.session.topics
        self.session.subscribe(topics.counter_state(self.config.counter), self.on_state)
        if self._votes is not None:
            self.session.subscribe(topics.rating_ack(self.config.counter), self.on_ack)
            self._votes.start()
            logger.info(
                "tablet of counter %d: %d vote(s) waiting in the outbox",
                self.config.counter,
                len(self.sender.outbox) if self.sender else 0,
            )
        self.session.on_connection_change(self.on_connection)
        self.session.start()
        control = None
        if self.config.simulation.control_socket is not None:
            control = ControlServer(self.config.simulation.control_socket, self._control).start()
        try:
            self._loop(pygame, surface, renderer)
        finally:
            if control is not None:
                control.stop()
            if self._votes is not None:
                self._votes.stop(join_s=10)
            self.session.stop()
            if self.sender is not None:
                self.sender.outbox.close()
            for shot in self._pending_shots:
                shot.done.set_exception(RuntimeError("counter screen stopped"))
            for tap in self._pending_taps:
                tap.done.set_exception(RuntimeError("counter screen stopped"))
            pygame.display.quit()
        logger.info("counter screen stopped")
        return 0

    def _open_screen(self, pygame: Any) -> Any:
        screen = self.config.screen
        surface = open_screen(
            pygame,
            width=screen.width,
            height=screen.height,
            driver=screen.driver,
            fullscreen=screen.fullscreen,
            caption=f"motcua counter screen {self.config.device.id}",
            hint='On Raspberry Pi OS Lite use driver = "kmsdrm" (docs/counter-screen.md).',
            error=ScreenError,
        )
        logger.info(
            "counter %d screen %dx%d (%s mode), SDL driver %s",
            self.config.counter,
            *surface.get_size(),
            self.config.mode,
            pygame.display.get_driver(),
        )
        return surface

    def _control(self, words: list[str]) -> dict[str, Any]:
        command = words[0]
        if command == "status":
            return self.status()
        if command == "screenshot" and len(words) == 2:
            path = Path(words[1])
            return {"path": str(path), "frame": self.screenshot(path)}
        if command == "tap" and len(words) in (2, 3):
            target = words[1] if len(words) == 2 else f"{words[1]},{words[2]}"
            return {"hit": self.tap(target)}
        return {"ok": False, "error": f"unknown command {' '.join(words)!r} (status, screenshot PATH, tap TARGET|X Y)"}

    def _loop(self, pygame: Any, surface: Any, renderer: Any) -> None:
        width, height = surface.get_size()
        last: tuple[CounterView, TabletView | None] | None = None
        next_pump = 0.0
        while True:
            now = time.monotonic()
            deadline = min(self._next_deadline(now), next_pump)
            events: list[_Event] = []
            try:
                events.append(self._inbox.get(timeout=max(0.0, deadline - now)))
                while True:
                    events.append(self._inbox.get_nowait())
            except queue.Empty:
                pass
            now, hall_now = time.monotonic(), self.clock.now()
            votes: list[RatingVote] = []
            for event in events:
                if isinstance(event, _StopEvent):
                    return
                if isinstance(event, _StateEvent):
                    self.model.apply_state(event.state, now)
                    if self.tablet is not None:
                        votes += self.tablet.set_window(event.state.rating_open_until, hall_now, now)
                elif isinstance(event, _ConnectionEvent):
                    self.model.set_connected(event.connected, now)
                elif isinstance(event, _ScreenshotEvent):
                    self._pending_shots.append(event)
                elif isinstance(event, _TapEvent):
                    self._post_tap(pygame, event)
            if self._pending_taps or now >= next_pump:
                touching = self.tablet is not None and self.tablet.screen is not Screen.DISPLAY
                next_pump = now + (PUMP_TOUCH_S if touching else PUMP_IDLE_S)
                quit_, tapped = self._pump(pygame, hall_now, now)
                if quit_:
                    return
                votes += tapped
            if self.tablet is not None:
                votes += self.tablet.tick(hall_now, now)
            if votes and self._votes is not None:
                self._votes.put(_Votes(votes))
            counter_view = self.model.view(now)
            tablet_view = self.tablet.view() if self.tablet is not None else None
            current = (counter_view, tablet_view)
            if current != last or self._pending_shots or self.frame is None:
                started = time.perf_counter()
                self.frame = self._layout(counter_view, tablet_view, width, height, renderer)
                renderer.draw(surface, self.frame)
                pygame.display.flip()
                self._rendered(counter_view, tablet_view, time.perf_counter() - started, surface, pygame)
                last = current
            for tap, hit in self._answered:
                tap.done.set_result(hit)
            self._answered.clear()

    def _layout(self, counter: CounterView, tablet: TabletView | None, width: int, height: int, renderer: Any) -> Frame:
        config = self.config
        language = tablet.language if tablet is not None else config.screen.language
        reasons = [(r.id, r.vi if language == "vi" else r.en) for r in config.tablet.reasons]
        return layout(
            counter,
            tablet,
            width,
            height,
            renderer.fonts.width,
            labels=self.labels[language],
            faces=self.faces,
            reasons=reasons,
            language=config.screen.language,
            show_waiting=config.screen.show_waiting,
            language_toggle=config.tablet.language_toggle,
        )

    def _next_deadline(self, now: float) -> float:
        deadlines = [now + MAX_SLEEP_S]
        change = self.model.next_change(now)
        if change is not None:
            deadlines.append(change)
        if self.tablet is not None:
            until = self.tablet.next_change()
            if until is not None:
                deadlines.append(until)
            window = self.tablet.window
            if window is not None and self.tablet.screen is Screen.DISPLAY:
                left = (window - self.clock.now()).total_seconds() / max(self.clock.speed, 1e-6)
                if left > 0:
                    deadlines.append(now + min(left, MAX_SLEEP_S))
        return min(deadlines)

    def _post_tap(self, pygame: Any, event: _TapEvent) -> None:
        """Put a touch into SDL's queue at the target's centre (taken out by `_pump`, like a finger's)."""
        frame = self.frame
        if "," in event.target:
            x_text, y_text = event.target.split(",", 1)
            pos = (int(float(x_text)), int(float(y_text)))
        elif frame is not None and event.target in frame.targets:
            pos = frame.targets[event.target].center
        else:
            event.done.set_result(None)
            return
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
        self._pending_taps.append(event)

    def _pump(self, pygame: Any, hall_now: Any, now: float) -> tuple[bool, list[RatingVote]]:
        """SDL's events: True when the window was closed; the votes the taps made."""
        votes: list[RatingVote] = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                logger.info("window closed")
                return True, votes
            if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not self.config.screen.fullscreen:
                return True, votes
            pos = None
            if event.type == pygame.MOUSEBUTTONDOWN and not getattr(event, "touch", False):
                pos = event.pos
            elif event.type == pygame.FINGERDOWN:
                width, height = pygame.display.get_surface().get_size()
                pos = (event.x * width, event.y * height)
            if pos is None:
                continue
            hit = self._touched(pos, hall_now, now, votes)
            if self._pending_taps:
                self._answered.append((self._pending_taps.pop(0), hit))  # answered once the frame is drawn
        return False, votes

    def _touched(self, pos: tuple[float, float], hall_now: Any, now: float, votes: list[RatingVote]) -> str | None:
        tablet, frame = self.tablet, self.frame
        if tablet is None or frame is None:
            return None
        hit = frame.hit(*pos)
        if hit is None:
            return None
        kind, _, value = hit.partition(":")
        if kind == "level":
            votes += tablet.tap_level(value, hall_now, now)
        elif kind == "reason":
            tablet.toggle_reason(value, now)
        elif kind == "send":
            votes += tablet.send(now)
        elif kind == "language":
            tablet.toggle_language()
        return hit

    def _rendered(
        self, counter: CounterView, tablet: TabletView | None, seconds: float, surface: Any, pygame: Any
    ) -> None:
        now = time.monotonic()
        screen = tablet.screen.value if tablet is not None else "display"
        with self._status_lock:
            self._status["frames"] += 1
            number = self._status["frames"]
            if counter.serving != self._status.get("serving"):
                self._status["serving"] = counter.serving
                self._status["serving_shown_at"] = now  # time.monotonic() when first drawn (the benchmark)
            if screen != self._status.get("screen"):
                self._status["screen"] = screen
                self._status["screen_shown_at"] = now
            self._status["lit"] = counter.lit
            self._status["offline_shown"] = counter.offline
            self._status["counter_status"] = counter.status.value if counter.status else None
            self._status["render_ms"] = round(seconds * 1000, 2)
            if self.frame is not None:
                self._status["texts"] = {t.role: t.text for t in self.frame.texts if t.role}
        for shot in self._pending_shots:
            try:
                shot.path.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(surface, str(shot.path))
                shot.done.set_result(number)
            except (OSError, pygame.error) as exc:
                shot.done.set_exception(exc)
        self._pending_shots.clear()
