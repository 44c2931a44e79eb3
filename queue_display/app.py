"""The display service: MQTT in, frames and announcements out.

Threads and who does what:

- paho's network thread only hands messages to the session's dispatch thread;
- the **dispatch thread** validates each payload (a bad one is logged and dropped: the last good board stays on
  screen), queues calls on the announcer and puts a small event in the main loop's inbox;
- the **main thread** owns pygame: it sleeps on the inbox until an event or the next deadline (clock minute, blink,
  page turn, notice frame), updates the state and redraws only when the view changed;
- the **announcer** thread plays calls one after another; the control thread (simulated hardware only) answers
  ``status`` and ``screenshot``.

Why an inbox (a ``queue.Queue``) and not ``pygame.event.wait(timeout)``: pygame-ce implements that wait as a loop
that polls SDL every millisecond (``_pg_event_wait`` in src_c/event.c), which costs ~1 % of a core on a PC and
several on a Pi for an idle board; a queue sleeps in the kernel. SDL's own events (window closed, keys) are
pumped twice a second, which is all a TV without a keyboard needs.
"""

from __future__ import annotations

import collections
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
from zoneinfo import ZoneInfo

from motcua.clock import Clock
from motcua.contract import Board, Call, DeviceState, DeviceStatus, parse
from motcua.errors import ContractError, MotcuaError
from motcua.screen import open_screen
from motcua.session import Inbound, MqttSession
from motcua.simcontrol import ControlServer
from motcua.speech.audio import AudioSink, ClipLibrary, NullSink, PygameMixerSink, WavFileSink
from queue_display.announcer import Announcer
from queue_display.config import AudioSection, DisplayConfig
from queue_display.layout import Frame, layout
from queue_display.state import BoardView, HallState, ViewOptions, board_view

logger = logging.getLogger(__name__)

#: A board lists every counter and service and the last calls: a few KB; refuse anything absurd.
MAX_BOARD_BYTES = 256 * 1024
#: How often SDL's own event queue is looked at (window closed, a key on a technician's keyboard).
PUMP_INTERVAL_S = 0.5
#: Never sleep longer than this (a safety net: every real deadline is computed).
MAX_SLEEP_S = 30.0
#: Ids of the calls shown at the top, kept for `status`.
SHOWN_HISTORY = 50


class DisplayError(MotcuaError, RuntimeError):
    """The screen cannot be opened."""


@dataclass(frozen=True)
class _BoardEvent:
    board: Board


@dataclass(frozen=True)
class _CallEvent:
    call: Call


@dataclass(frozen=True)
class _ConnectionEvent:
    connected: bool


@dataclass(frozen=True)
class _SpeakingEvent:
    call_id: str | None


@dataclass(frozen=True)
class _CoordinatorEvent:
    online: bool


@dataclass(frozen=True)
class _ScreenshotEvent:
    path: Path
    done: Future[int]


class _StopEvent:
    pass


_Event = (
    _BoardEvent | _CallEvent | _ConnectionEvent | _SpeakingEvent | _CoordinatorEvent | _ScreenshotEvent | _StopEvent
)


class DisplayApp:
    """The waiting-hall display. `run()` on the main thread; `stop()` from anywhere (a signal handler)."""

    def __init__(
        self,
        config: DisplayConfig,
        *,
        clock: Clock,
        session: MqttSession | None = None,
        announcer: Announcer | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.zone = ZoneInfo(config.screen.timezone)
        self.session = session or MqttSession(
            config.mqtt, device=config.device.id, site=config.device.site, role="display"
        )
        self.announcer = announcer
        self.state = HallState(highlight_s=config.screen.highlight_s)
        screen = config.screen
        self.view_options = ViewOptions(
            language=screen.language,
            title=screen.title,
            show_seconds=screen.show_seconds,
            recent_calls=screen.recent_calls,
            show_estimated_wait=screen.show_estimated_wait,
            show_waiting=screen.show_waiting,
            notice=screen.notice,
            service_labels=dict(screen.service_labels),
        )
        self._inbox: queue.Queue[_Event] = queue.Queue()
        self._bad_payloads = 0
        self._status_lock = threading.Lock()
        self._status: dict[str, Any] = {"frames": 0, "ticker_frames": 0, "current": None}
        self._shown: collections.deque[str] = collections.deque(maxlen=SHOWN_HISTORY)
        self._shown_count = 0
        self._pending_shots: list[_ScreenshotEvent] = []

    # --- any thread -------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._inbox.put(_StopEvent())

    def status(self) -> dict[str, Any]:
        """What the screen shows and the speaker did (for the control socket: demo, tests, benchmark)."""
        with self._status_lock:
            status = dict(self._status)
            status["calls_shown"] = list(self._shown)
            status["calls_shown_count"] = self._shown_count
        status["connected"] = self.session.connected
        status["boards"] = self.state.boards
        status["bad_payloads"] = self._bad_payloads
        status["announcements"] = self.announcer.status() if self.announcer is not None else None
        return status

    def screenshot(self, path: Path, timeout: float = 10.0) -> int:
        """Save the next frame rendered to `path` (PNG); returns its frame number."""
        done: Future[int] = Future()
        self._inbox.put(_ScreenshotEvent(path, done))
        try:
            return done.result(timeout)
        except FutureTimeout:
            raise TimeoutError("no frame rendered in time") from None

    # --- MQTT (dispatch thread) -------------------------------------------------------------------------

    def on_board(self, inbound: Inbound) -> None:
        try:
            board = parse(Board, inbound.payload, max_bytes=MAX_BOARD_BYTES)
        except ContractError as exc:
            self._refuse("board", exc)
            return
        self._inbox.put(_BoardEvent(board))

    def on_call(self, inbound: Inbound) -> None:
        try:
            call = parse(Call, inbound.payload)
        except ContractError as exc:
            self._refuse("call", exc)
            return
        if self.announcer is not None:
            self.announcer.submit(call)
        self._inbox.put(_CallEvent(call))

    def on_coordinator(self, inbound: Inbound) -> None:
        try:
            status = parse(DeviceStatus, inbound.payload)
        except ContractError as exc:
            self._refuse("coordinator status", exc)
            return
        self._inbox.put(_CoordinatorEvent(status.state is DeviceState.ONLINE))

    def on_connection(self, connected: bool) -> None:
        # Nothing to ask for on reconnect: the session subscribes again and the broker resends the retained board.
        self._inbox.put(_ConnectionEvent(connected))

    def _refuse(self, what: str, exc: Exception) -> None:
        self._bad_payloads += 1
        if self._bad_payloads <= 10 or self._bad_payloads % 100 == 0:
            logger.warning(
                "bad %s payload ignored (%d so far), keeping the last good state: %s", what, self._bad_payloads, exc
            )

    # --- main thread ------------------------------------------------------------------------------------

    def run(self) -> int:
        """Open the screen, connect, and show the board until `stop()`. Returns the exit status."""
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        from queue_display.render import BoardRenderer, FontBook

        screen = self._open_screen()
        renderer = BoardRenderer(FontBook())
        if self.announcer is None:
            self.announcer = build_announcer(self.config.audio, self.clock)
        self.announcer.on_speaking = lambda call: self._inbox.put(_SpeakingEvent(call.id if call else None))
        self.announcer.start()
        topics = self.session.topics
        self.session.subscribe(topics.board(), self.on_board)
        self.session.subscribe(topics.call(), self.on_call)
        self.session.subscribe(topics.device_status(self.config.coordinator), self.on_coordinator)
        self.session.on_connection_change(self.on_connection)
        self.session.start()
        control = None
        if self.config.simulation.control_socket is not None:
            control = ControlServer(self.config.simulation.control_socket, self._control).start()
        try:
            self._loop(pygame, screen, renderer)
        finally:
            if control is not None:
                control.stop()
            self.session.stop()
            self.announcer.stop()
            for shot in self._pending_shots:
                shot.done.set_exception(RuntimeError("display stopped"))
            pygame.display.quit()
        logger.info("display stopped")
        return 0

    def _open_screen(self) -> Any:
        import pygame

        screen = self.config.screen
        surface = open_screen(
            pygame,
            width=screen.width,
            height=screen.height,
            driver=screen.driver,
            fullscreen=screen.fullscreen,
            caption=f"motcua display {self.config.device.id}",
            hint='On Raspberry Pi OS Lite use driver = "kmsdrm" and check that the TV is plugged in (docs/display.md).',
            error=DisplayError,
        )
        logger.info("screen %dx%d with SDL driver %s", *surface.get_size(), pygame.display.get_driver())
        return surface

    def _control(self, words: list[str]) -> dict[str, Any]:
        command = words[0]
        if command == "status":
            return self.status()
        if command == "screenshot" and len(words) == 2:
            path = Path(words[1])
            return {"path": str(path), "frame": self.screenshot(path)}
        return {"ok": False, "error": f"unknown command {' '.join(words)!r} (status, screenshot PATH)"}

    def _loop(self, pygame: Any, screen: Any, renderer: Any) -> None:
        width, height = screen.get_size()
        scale = min(width, height) / 1080
        config = self.config.screen
        frame: Frame | None = None
        last_view: BoardView | None = None
        last_tick = -1
        ticker_origin = time.monotonic()
        next_ticker = 0.0
        next_pump = 0.0
        while True:
            now = time.monotonic()
            deadline = self._next_deadline(now, frame, next_pump, next_ticker)
            events: list[_Event] = []
            try:
                events.append(self._inbox.get(timeout=max(0.0, deadline - now)))
                while True:
                    events.append(self._inbox.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            for event in events:
                if isinstance(event, _StopEvent):
                    return
                self._apply(event, now)
            if now >= next_pump:
                next_pump = now + PUMP_INTERVAL_S
                if self._pump(pygame):
                    return
            view = board_view(self.state, self.clock.now().astimezone(self.zone), now, self.view_options)
            tick = int(now // config.page_s)
            offset = (now - ticker_origin) * config.notice_speed * scale
            paging_turned = frame is not None and frame.paging and tick != last_tick
            if frame is None or view != last_view or paging_turned or self._pending_shots:
                started = time.perf_counter()
                frame = layout(view, width, height, renderer.fonts.measure, page_tick=tick)
                renderer.draw(screen, frame, offset)
                pygame.display.flip()
                self._rendered(view, frame, time.perf_counter() - started, screen, pygame)
                last_view, last_tick = view, tick
                next_ticker = now + 1 / config.notice_fps
            elif frame.ticker is not None and frame.ticker.scroll and now >= next_ticker:
                rect = renderer.draw_ticker(screen, frame.ticker, offset)
                pygame.display.update(rect)
                next_ticker = max(next_ticker + 1 / config.notice_fps, now)
                with self._status_lock:
                    self._status["ticker_frames"] += 1

    def _next_deadline(self, now: float, frame: Frame | None, next_pump: float, next_ticker: float) -> float:
        deadlines = [now + MAX_SLEEP_S, next_pump, now + self._until_clock_changes()]
        blink = self.state.next_highlight_change(now)
        if blink is not None:
            deadlines.append(blink)
        if frame is not None and frame.paging:
            page_s = self.config.screen.page_s
            deadlines.append((now // page_s + 1) * page_s)
        if frame is not None and frame.ticker is not None and frame.ticker.scroll:
            deadlines.append(next_ticker)
        return min(deadlines)

    def _until_clock_changes(self) -> float:
        """Real seconds until the shown time changes (next minute, or second), at the clock's speed."""
        local = self.clock.now()
        if self.config.screen.show_seconds:
            left = 1 - local.microsecond / 1e6
        else:
            left = 60 - local.second - local.microsecond / 1e6
        return left / max(self.clock.speed, 1e-6) + 0.002

    def _apply(self, event: _Event, now: float) -> None:
        if isinstance(event, _BoardEvent):
            self.state.apply_board(event.board, now)
        elif isinstance(event, _CallEvent):
            self.state.apply_call(event.call, now)
        elif isinstance(event, _ConnectionEvent):
            self.state.set_connected(event.connected)
        elif isinstance(event, _SpeakingEvent):
            self.state.set_speaking(event.call_id)
        elif isinstance(event, _CoordinatorEvent):
            self.state.set_coordinator(event.online)
        elif isinstance(event, _ScreenshotEvent):
            self._pending_shots.append(event)

    def _pump(self, pygame: Any) -> bool:
        """Look at SDL's events; True when the window was closed."""
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                logger.info("window closed")
                return True
            if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not self.config.screen.fullscreen:
                return True
        return False

    def _count_shown(self, call_id: str) -> None:
        """A call counts once however often it comes back to the big panel (as the voice says it)."""
        if call_id not in self._shown:
            self._shown_count += 1
            self._shown.append(call_id)

    def _rendered(self, view: BoardView, frame: Frame, seconds: float, screen: Any, pygame: Any) -> None:
        now = time.monotonic()
        current = view.current
        with self._status_lock:
            previous = self._status.get("current")
            self._status["frames"] += 1
            number = self._status["frames"]
            if current is None:
                self._status["current"] = None
            elif previous is None or previous["id"] != current.call_id:
                self._status["current"] = {
                    "id": current.call_id,
                    "label": current.label,
                    "counter": current.counter,
                    "counter_text": current.counter_text,
                    "shown_at": now,  # time.monotonic() when first drawn (the benchmark's end point)
                    "frame": number,
                    "highlighted": view.highlight,  # blinking when it appeared (a new call), or shown quietly
                }
                self._count_shown(current.call_id)
            head = self.state.head
            if head is not None and view.has_board:  # the newest call is on screen (big, or listed while the
                self._count_shown(head.id)  # voice says the one before it)
            self._status["highlight"] = view.highlight
            self._status["connected_shown"] = view.connected
            self._status["render_ms"] = round(seconds * 1000, 2)
            self._status["pages"] = [
                {"panel": p.panel, "page": p.page, "pages": p.pages, "shown": p.shown, "total": p.total}
                for p in frame.pages
            ]
            self._status["size"] = [frame.width, frame.height]
        for shot in self._pending_shots:
            try:
                shot.path.parent.mkdir(parents=True, exist_ok=True)
                pygame.image.save(screen, str(shot.path))
                shot.done.set_result(number)
            except (OSError, pygame.error) as exc:
                shot.done.set_exception(exc)
        self._pending_shots.clear()


def build_sink(audio: AudioSection) -> AudioSink:
    """The configured audio output; a speaker that cannot be opened leaves the display silent, not dead."""
    if audio.output == "none":
        return NullSink()
    if audio.output == "wav":
        assert audio.wav_dir is not None
        return WavFileSink(audio.wav_dir, realtime=audio.wav_realtime)
    import pygame

    try:
        return PygameMixerSink(device=audio.device)
    except pygame.error as exc:
        logger.error("no audio output (%s): calls are shown but not announced; see docs/display.md", exc)
        return NullSink(reason="the speaker could not be opened")


def build_announcer(audio: AudioSection, clock: Clock) -> Announcer:
    """The announcer for the ``[audio]`` settings; its clips are loaded (and generated if missing) in its thread."""
    sink = build_sink(audio)

    def load() -> ClipLibrary:
        if audio.output == "none":
            return ClipLibrary.chime_only()
        if audio.generate_missing:
            ensure_clips(audio)
        return ClipLibrary.load(audio.clips, volume=audio.volume / 100)

    return Announcer(load, sink, clock, options=audio.script_options(), max_age_s=audio.max_age_s)


def ensure_clips(audio: AudioSection) -> None:
    """Synthesise the clips missing from the clip folder (never touching those present: recorded ones stay)."""
    from motcua.speech.espeak import VoiceError, existing_clips
    from queue_display.script import every_clip
    from queue_display.voice import generate_clips

    present = existing_clips(audio.clips)
    missing = [name for name in every_clip() if name not in present]
    if not missing:
        return
    try:
        report = generate_clips(audio.clips, names=missing, voice=audio.voice, rate=audio.rate)
    except (VoiceError, OSError) as exc:
        logger.error(
            "%d voice clips are missing from %s and could not be generated: %s", len(missing), audio.clips, exc
        )
        return
    logger.info(
        "generated %d missing voice clips in %s with espeak-ng (%s)", len(report.written), audio.clips, audio.voice
    )
