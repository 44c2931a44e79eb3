"""The kiosk application: one pygame event loop on the main thread, and the threads that feed it.

    MQTT dispatch thread ── catalogue, connection ──┐
    scanner thread ──────── QR payloads, camera ────┤
    worker thread ───────── ticket results ─────────┼──▶ inbox ──▶ event loop (main thread): controller, drawing
    printer monitor ─────── printer status ─────────┤
    control socket ──────── tap / scan / take ... ──┘

Other threads never draw and never touch the controller: they put a typed event (`kiosk.events`) in the inbox,
a ``queue.Queue``. The loop sleeps on that queue until something arrives, a timer (idle timeout, the clock in
the header) is due, or it is time to read the touchscreen (SDL's events are pumped ``screen.fps_limit`` times a
second); it redraws only when something changed, at most ``fps_limit`` times a second.

Why not ``pygame.event.wait(timeout)``: pygame-ce implements it as a loop polling SDL every millisecond, which
kept ~1.2 % of a core busy on an idle kiosk; a queue sleeps in the kernel between the touchscreen reads.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, assert_never

from kiosk.camera import Camera, FileCamera, make_camera
from kiosk.catalogue import CatalogueView
from kiosk.config import KioskConfig
from kiosk.events import (
    CameraChanged,
    CancelAnswered,
    CatalogueReceived,
    ConnectionChanged,
    CoordinatorChanged,
    InboxEvent,
    PrinterChanged,
    QrScanned,
    RunOnLoop,
    TicketDone,
    Wake,
)
from kiosk.flow import TicketDesk
from kiosk.guidance import guidance
from kiosk.i18n import Lang
from kiosk.journal import RequestJournal
from kiosk.model import Outcome, PrinterStatus, TakeRequest, TicketResult
from kiosk.printer import SimulatedPrinter, TicketPrinter
from kiosk.scanner import Scanner
from kiosk.speaker import Speaker, make_sink
from kiosk.ui.controller import Controller, Screen
from motcua.clock import Clock, clock_from_env
from motcua.contract import Catalogue, DeviceProblem, DeviceState, DeviceStatus, PriorityCategory, parse
from motcua.errors import ConfigError, ContractError
from motcua.session import Inbound, MqttSession
from motcua.simcontrol import ControlServer

#: The printer states the kiosk reports in its device status (paper low still prints, but someone should look).
DEVICE_PROBLEMS: dict[PrinterStatus | None, DeviceProblem] = {
    PrinterStatus.NO_PAPER: DeviceProblem.PAPER_OUT,
    PrinterStatus.PAPER_LOW: DeviceProblem.PAPER_LOW,
    PrinterStatus.OFFLINE: DeviceProblem.PRINTER_OFFLINE,
    PrinterStatus.UNPLUGGED: DeviceProblem.PRINTER_UNPLUGGED,
}

logger = logging.getLogger(__name__)

MAX_CATALOGUE_BYTES = 8 * 1024 * 1024
MAX_WAIT_S = 0.5  # the loop wakes at least this often (a SIGTERM is handled between two waits)


class KioskApp:
    """Wire the kiosk together. `start()`, then `run()` (or `step()` from tests), then `stop()`."""

    def __init__(
        self,
        config: KioskConfig,
        *,
        session: MqttSession | None = None,
        clock: Clock | None = None,
        printer: TicketPrinter | None = None,
        camera: Camera | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or clock_from_env()
        self.session = session or MqttSession(
            config.mqtt, device=config.device.id, site=config.device.site, role="kiosk"
        )
        self.printer = printer or TicketPrinter(config.printer)
        self.camera = camera or make_camera(config.camera)
        self.state_dir = Path(config.state_dir)
        self.journal = RequestJournal(self.state_dir / "requests.json")
        self.desk = TicketDesk(
            self.session,
            config.device.id,
            self.printer,
            self.journal,
            clock=self.clock,
            zone=config.ticket.zone,
            request_timeout_s=config.ticket.request_timeout_s,
            on_cancel_answer=lambda answer: self._post(CancelAnswered(answer)),
        )
        screen = config.screen
        self.controller = Controller(
            self,
            default_lang=Lang(screen.language),
            idle_timeout_s=screen.idle_timeout_s,
            ticket_screen_s=screen.ticket_screen_s,
            tap_guard_s=screen.tap_guard_s,
            portals=config.scanner.trusted_portals,
            thanks=config.ticket.thanks,
            thanks_en=config.ticket.thanks_en,
            today=lambda: self.clock.now().astimezone(config.ticket.zone).date(),
            default_large_text=screen.large_text,
        )
        self.controller.state.camera_fitted = config.camera.source != "none"
        self.scanner = Scanner(
            self.camera,
            lambda payload: self._post(QrScanned(payload)),
            on_camera=lambda ok: self._post(CameraChanged(ok)),
            cooldown_s=config.camera.cooldown_s,
            retry_s=config.camera.retry_s,
        )
        self.printer.on_status(lambda status: self._post(PrinterChanged(status)))
        self._inbox: queue.Queue[InboxEvent] = queue.Queue()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ticket-worker")
        self._control: ControlServer | None = None
        self._running = False
        self._dirty = True
        self._minute = -1
        self._frame_s = 1.0 / screen.fps_limit  # the touchscreen is read, and the screen redrawn, at most this often
        self._next_pump = 0.0
        self._next_draw = 0.0
        self._worker_busy = threading.Event()  # a ticket is being taken, reprinted or cancelled
        self._surface: Any = None
        self._painter: Any = None
        self._stop_monitor = threading.Event()
        self._result_waiters: list[Future[TicketResult]] = []
        self.frames_drawn = 0
        self.speaker: Speaker | None = None  # voice guidance, made at start (the speaker needs SDL)

    # --- life cycle -----------------------------------------------------------------------------------

    def start(self) -> KioskApp:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner on stdout (journald)
        import pygame  # imported here: nothing touches SDL at import time
        import pygame.freetype

        screen = self.config.screen
        if screen.driver not in ("", "auto"):
            os.environ["SDL_VIDEODRIVER"] = screen.driver
        try:
            pygame.display.init()
        except pygame.error as exc:
            raise ConfigError(f"SDL video driver {os.environ.get('SDL_VIDEODRIVER')!r} unavailable: {exc}") from None
        pygame.freetype.init()
        flags = 0
        if screen.fullscreen and os.environ.get("SDL_VIDEODRIVER") != "dummy":
            flags |= pygame.FULLSCREEN
        try:
            self._surface = pygame.display.set_mode((screen.width, screen.height), flags)
        except pygame.error as exc:
            pygame.display.quit()
            raise ConfigError(
                f"cannot open the {screen.width}x{screen.height} screen with SDL's "
                f"{os.environ.get('SDL_VIDEODRIVER') or 'default'} driver: {exc}. On Raspberry Pi OS Lite set "
                '[screen] driver = "kmsdrm" and add the user to the video, render and input groups (docs/kiosk.md)'
            ) from None
        pygame.display.set_caption("motcua kiosk")
        pygame.mouse.set_visible(screen.show_cursor)
        pygame.event.set_blocked([pygame.MOUSEMOTION, pygame.FINGERMOTION])

        self.speaker = self._make_speaker()
        self._load_saved_catalogue()
        self.session.subscribe(self.session.topics.catalogue(), self._on_catalogue)
        self.session.subscribe(self.session.topics.device_status(self.config.coordinator), self._on_coordinator)
        self.session.on_connection_change(lambda up: self._post(ConnectionChanged(up)))
        self.session.start()
        self.desk.start()
        self.scanner.start()
        threading.Thread(target=self._monitor_printer, name="printer-monitor", daemon=True).start()
        if self.config.control_socket is not None:
            if self.config.simulated:
                self._control = ControlServer(self.config.control_socket, self._control_command).start()
            else:
                logger.warning("control_socket ignored: the kiosk runs on real hardware")
        self._running = True
        log_panel(screen.width, screen.height, screen.diagonal_in)
        logger.info(
            "kiosk %s started: %dx%d, printer %s (%s), camera %s",
            self.config.device.id,
            screen.width,
            screen.height,
            self.config.printer.connection,
            self.config.printer.paper,
            self.camera.name,
        )
        return self

    def stop(self) -> None:
        """Stop everything. Safe to call twice."""
        if self._surface is None:
            return
        self._running = False
        if self._control is not None:
            self._control.stop()
            self._control = None
        self._stop_monitor.set()
        self.scanner.stop()
        self._worker.shutdown(wait=True, cancel_futures=False)
        self.desk.stop()
        self.session.stop()
        self.printer.close()
        if self.speaker is not None:
            self.speaker.stop()
        import pygame

        pygame.display.quit()
        self._surface = None

    def request_stop(self) -> None:
        """From a signal handler or another thread: leave `run()` soon."""
        self._running = False
        self._post(Wake())

    def run(self) -> int:
        while self._running:
            self.step(MAX_WAIT_S)
        return 0

    # --- the loop -------------------------------------------------------------------------------------

    def step(self, max_wait_s: float = MAX_WAIT_S) -> None:
        """Sleep on the inbox (at most `max_wait_s`, less if a timer, a touchscreen read or a pending redraw is
        due), handle everything that arrived, read the touchscreen when its turn has come, redraw if anything
        changed (at most `fps_limit` times a second). ``step(0)`` turns once without waiting or pacing: it reads
        the touchscreen and redraws now (what a test means by "and then")."""
        import pygame

        now_please = max_wait_s <= 0

        now = time.monotonic()
        wait = min(max_wait_s, self._next_pump - now)
        deadline = self.controller.next_deadline(now)
        if deadline is not None:
            wait = min(wait, deadline)
        if self._dirty:
            wait = min(wait, self._next_draw - now)
        events: list[InboxEvent] = []
        try:
            events.append(self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait())
            while True:
                events.append(self._inbox.get_nowait())
        except queue.Empty:
            pass
        now = time.monotonic()
        if now >= self._next_pump or now_please:
            self._next_pump = now + self._frame_s
            for item in pygame.event.get():
                self._handle_pygame(item)
        for event in events:
            self._apply(event)
        now = time.monotonic()
        if self.controller.tick(now):
            self._dirty = True
        self._guide()
        minute = self.clock.now().minute
        if minute != self._minute:
            self._minute = minute
            self._dirty = True
        if self._dirty and (now >= self._next_draw or now_please):
            self.draw()

    def _make_speaker(self) -> Speaker:
        voice = self.config.voice
        sink = make_sink(voice.output, wav_dir=voice.wav_dir or self.state_dir / "voice-out", device=voice.device)
        voices = {Lang.VI: voice.voice_vi, Lang.EN: voice.voice_en}
        return Speaker(sink, self.state_dir / "voice", voices=voices, rate=voice.rate, volume=voice.volume).start()

    def _guide(self) -> None:
        """With voice guidance on, say the screen the citizen now sees (once per screen)."""
        if self.speaker is None:
            return
        state = self.controller.state
        if not state.voice:
            self.speaker.forget()
            return
        said = guidance(state)
        if said is not None:
            self.speaker.say(said, state.lang)

    def _handle_pygame(self, event: Any) -> None:
        import pygame

        if event.type == pygame.QUIT:
            self._running = False
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.touch(*event.pos)
        elif event.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE, pygame.WINDOWSIZECHANGED):
            self._dirty = True

    def touch(self, x: float, y: float) -> str | None:
        """A finger at (x, y): run the button there, if any. Returns the button's label."""
        if self._painter is None:
            self.draw()
        hit = self._painter.hit_at(x, y) if self._painter is not None else None
        if self.controller.tap(hit.action if hit else None, time.monotonic()):
            self._dirty = True
        return hit.label if hit else None

    def draw(self) -> None:
        from zoneinfo import ZoneInfo

        import pygame

        from kiosk.sizes import px_per_mm
        from kiosk.ui.painter import Painter
        from kiosk.ui.screens import ScreenContext, draw_screen

        diagonal = self.config.screen.diagonal_in
        width, height = self._surface.get_size()
        density = px_per_mm(width, height, diagonal) if diagonal else None
        painter = Painter(self._surface, px_per_mm=density, large_text=self.controller.state.large_text)
        context = ScreenContext(
            painter,
            self.controller.state,
            now=self.clock.now(),
            zone=ZoneInfo(self.config.ticket.timezone),
            keyboard=self.config.screen.keyboard,
        )
        draw_screen(context)
        pygame.display.flip()
        self._painter = painter
        self._dirty = False
        self._next_draw = time.monotonic() + self._frame_s
        self.frames_drawn += 1

    @property
    def painter(self) -> Any:
        return self._painter

    # --- the inbox: everything other threads tell the loop -------------------------------------------

    def _post(self, event: InboxEvent) -> None:
        self._inbox.put(event)

    def _apply(self, event: InboxEvent) -> None:
        now = time.monotonic()
        self._dirty = not isinstance(event, Wake)
        match event:
            case CatalogueReceived(view):
                self.controller.on_catalogue(view, now)
            case ConnectionChanged(connected):
                self.controller.on_connection(connected)
                if connected:
                    self._refresh_printer()
            case CoordinatorChanged(online):
                self.controller.on_coordinator(online)
            case PrinterChanged(status):
                self.controller.on_printer(status)
                self._report_problems()
            case CameraChanged(ok):
                self.controller.on_camera(ok)
                self._report_problems()
            case QrScanned(payload):
                self.controller.on_scan(payload, now)
            case TicketDone(result):
                self.controller.on_result(result, now)
                waiters, self._result_waiters = self._result_waiters, []
                for waiter in waiters:
                    waiter.set_result(result)
            case CancelAnswered(answer):
                self.controller.on_cancel_answer(answer, now)
            case RunOnLoop(function, future):
                try:
                    future.set_result(function())
                except Exception as exc:
                    future.set_exception(exc)
            case Wake():
                pass  # only there to end the sleep (a stop was requested)
            case _:
                assert_never(event)

    def call(self, function: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run `function` on the loop's thread and return its result (from another thread)."""
        future: Future[Any] = Future()
        self._post(RunOnLoop(function, future))
        return future.result(timeout)

    # --- Effects: what the controller asks of the rest -----------------------------------------------

    def take(self, request: TakeRequest) -> None:
        def job() -> None:
            try:
                result = self.desk.take(request)
            except Exception:
                logger.exception("taking a ticket failed")
                result = TicketResult(Outcome.FAILED, uuid.uuid4(), lang=request.lang)
            self._post(TicketDone(result))

        self._work(job)

    def reprint(self, result: TicketResult) -> None:
        self._work(lambda: self._post(TicketDone(self.desk.reprint(result))))

    def cancel(self, result: TicketResult, reason: str) -> None:
        logger.info("cancelling ticket %s (%s)", result.ticket.label if result.ticket else "-", reason)
        self._work(lambda: self.desk.cancel(result.request_id, reason))

    def _work(self, job: Callable[[], None]) -> None:
        """Run `job` on the ticket worker; the printer monitor leaves the printer alone meanwhile."""

        def run() -> None:
            self._worker_busy.set()
            try:
                job()
            finally:
                self._worker_busy.clear()

        self._worker.submit(run)

    # --- sources --------------------------------------------------------------------------------------

    def _on_catalogue(self, inbound: Inbound) -> None:
        """On the MQTT dispatch thread: validate, index, hand to the loop; keep a copy for the next start."""
        try:
            catalogue = parse(Catalogue, inbound.payload, max_bytes=MAX_CATALOGUE_BYTES)
        except ContractError as exc:
            logger.error("catalogue refused, keeping the previous one: %s", exc)
            return
        self._post(CatalogueReceived(CatalogueView(catalogue)))
        logger.info(
            "catalogue: %d services (%d open), %d procedures",
            len(catalogue.services),
            sum(s.open_now for s in catalogue.services),
            len(catalogue.procedures),
        )
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.state_dir / "catalogue.json.tmp"
            tmp.write_bytes(inbound.payload)
            tmp.replace(self.state_dir / "catalogue.json")
        except OSError as exc:
            logger.warning("cannot keep a copy of the catalogue in %s: %s", self.state_dir, exc)

    def _on_coordinator(self, inbound: Inbound) -> None:
        try:
            status = parse(DeviceStatus, inbound.payload)
        except ContractError as exc:
            logger.warning("unreadable coordinator status: %s", exc)
            return
        online = status.state is DeviceState.ONLINE
        logger.info("coordinator %s is %s", status.device, status.state.value)
        self._post(CoordinatorChanged(online))

    def _load_saved_catalogue(self) -> None:
        """The catalogue of the last run: procedures can be looked up even before the broker answers."""
        path = self.state_dir / "catalogue.json"
        try:
            catalogue = parse(Catalogue, path.read_bytes(), max_bytes=MAX_CATALOGUE_BYTES)
        except FileNotFoundError:
            return
        except (OSError, ContractError) as exc:
            logger.warning("ignoring the saved catalogue %s: %s", path, exc)
            return
        self.controller.on_catalogue(CatalogueView(catalogue), time.monotonic())

    def _report_problems(self) -> None:
        """The printer's and camera's trouble in the kiosk's retained status (the console's device health)."""
        state = self.controller.state
        problems = [DEVICE_PROBLEMS[state.printer]] if state.printer in DEVICE_PROBLEMS else []
        if state.camera_fitted and state.camera_ok is False:
            problems.append(DeviceProblem.CAMERA_MISSING)
        self.session.set_problems(problems)

    def _refresh_printer(self) -> None:
        self._worker.submit(lambda: self.printer.status(probe=True))

    def _monitor_printer(self) -> None:
        interval = self.config.printer.status_interval_s
        self.printer.status(probe=True)
        while not self._stop_monitor.wait(interval):
            if not self._worker_busy.is_set():  # never delay a citizen's ticket for a background check
                self.printer.status(probe=True)

    # --- simulated hardware: the control socket -------------------------------------------------------

    def _control_command(self, words: list[str]) -> dict[str, Any]:
        """On the control server's thread. See kiosk.config.KioskConfig.control_socket for the commands."""
        command, args = words[0], words[1:]
        if command == "tap" and len(args) == 2:
            label = self.call(lambda: self._control_tap(float(args[0]), float(args[1])))
            return {"button": label, **self.call(self.status)}
        if command == "scan" and len(args) == 1:
            if not isinstance(self.camera, FileCamera):
                return {"ok": False, "error": f"the camera is {self.camera.name}, not simulated"}
            self.camera.push(args[0])
            return {"queued": args[0]}
        if command == "take" and 1 <= len(args) <= 2:
            return self._control_take(args[0], args[1] if len(args) == 2 else None)
        if command == "screenshot" and len(args) == 1:
            return {"path": self.call(lambda: self.screenshot(Path(args[0])))}
        if command == "status" and not args:
            return dict(self.call(self.status))
        if command == "buttons" and not args:
            return {"buttons": self.call(self.buttons)}
        if command == "press" and len(args) >= 1:
            return dict(self.call(lambda: self._control_press(args[0], args[1] if len(args) > 1 else None)))
        if command == "printer" and len(args) == 1:
            return self._control_printer(args[0])
        return {
            "ok": False,
            "error": f"unknown command {' '.join(words)!r}; try: tap X Y, press ACTION [ARG], scan PATH, "
            "take SERVICE|PROCEDURE [PRIORITY], screenshot PATH, status, buttons, printer STATE",
        }

    def _control_tap(self, x: float, y: float) -> str | None:
        label = self.touch(x, y)
        if self._dirty:
            self.draw()
        return label

    def _control_press(self, kind: str, arg: str | None) -> dict[str, Any]:
        """Tap the centre of the button with this action (what a test means by "touch 'Lấy số'")."""
        if self._painter is None or self._dirty:
            self.draw()
        for hit in self._painter.hits:
            if hit.action.kind == kind and (arg is None or hit.action.arg == arg):
                x, y = hit.rect.center
                self.controller.screen_since = 0.0  # a scripted press is not a double tap
                self._control_tap(x, y)
                return {"button": hit.label, **self.status()}
        return {"ok": False, "error": f"no button {kind} {arg or ''} on the {self.controller.state.screen} screen"}

    def _control_take(self, target: str, priority: str | None) -> dict[str, Any]:
        waiter: Future[TicketResult] = Future()

        def begin() -> bool:
            started = self.controller.take_now(
                target, PriorityCategory(priority) if priority else None, time.monotonic()
            )
            if started:
                self._result_waiters.append(waiter)
            self._dirty = True
            return started

        if not self.call(begin):
            return {"ok": False, "error": "not taken", **self.call(self.status)}
        result = waiter.result(self.config.ticket.request_timeout_s + self.config.printer.timeout_s + 10)
        reply: dict[str, Any] = {"outcome": result.outcome.value, "request_id": str(result.request_id)}
        if result.ticket is not None:
            reply.update(label=result.ticket.label, ticket_id=result.ticket.id)
        if result.error is not None:
            reply["error_code"] = result.error.value
        return reply

    def _control_printer(self, state: str) -> dict[str, Any]:
        simulated = self.printer.simulated
        if simulated is None:
            return {"ok": False, "error": "the printer is not simulated"}
        if state not in SimulatedPrinter.STATES:
            return {"ok": False, "error": f"printer state must be one of {', '.join(SimulatedPrinter.STATES)}"}
        simulated.state = state
        return {"printer": self.printer.status(probe=True).value}

    def screenshot(self, path: Path) -> str:
        import pygame

        if self._dirty or self._painter is None:
            self.draw()
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self._surface, str(path))
        return str(path)

    def status(self) -> dict[str, Any]:
        state = self.controller.state
        simulated = self.printer.simulated
        return {
            "screen": state.screen.value,
            "lang": state.lang.value,
            "connected": state.connected,
            "coordinator": state.coordinator_online,
            "catalogue": state.catalogue is not None,
            "printer": state.printer.value,
            "camera": state.camera_ok if state.camera_fitted else False,
            "camera_fitted": state.camera_fitted,
            "last_ticket": state.last_ticket,
            "tickets_printed": state.tickets_printed,
            "procedure": state.procedure_code,
            "service": state.service_id,
            "message": state.message.body if state.screen is Screen.MESSAGE and state.message else None,
            "printed_pages": len(simulated.tickets) if simulated is not None else None,
        }

    def buttons(self) -> list[dict[str, Any]]:
        if self._painter is None or self._dirty:
            self.draw()
        return [
            {
                "label": h.label,
                "action": h.action.kind,
                "arg": h.action.arg,
                "rect": [h.rect.x, h.rect.y, h.rect.w, h.rect.h],
            }
            for h in self._painter.hits
        ]


def log_panel(width: int, height: int, diagonal_in: float | None) -> bool:
    """Say at start whether the panel is one the screens meet the 15 mm / 2.5 mm guidance on; False: a warning."""
    from kiosk.sizes import meets_guidance, panel_mm, px_per_mm

    if diagonal_in is None:
        logger.warning(
            "[screen] diagonal_in is not set: buttons are sized from the pixels alone and may be smaller than the "
            "15 mm older citizens need; set the panel's diagonal (docs/kiosk.md, supported panels)"
        )
        return False
    w_mm, h_mm = panel_mm(width, height, diagonal_in)
    density = px_per_mm(width, height, diagonal_in)
    if meets_guidance(width, height, diagonal_in):
        logger.info(
            'panel %g" (%.0fx%.0f mm, %.2f px/mm): buttons >= 15 mm, gaps >= 2.5 mm', diagonal_in, w_mm, h_mm, density
        )
        return True
    logger.warning(
        'UNSUPPORTED PANEL %g" %dx%d (%.0fx%.0f mm): too small for 15 mm buttons with 2.5 mm gaps on every screen; '
        'use a 7" (800x480 or 1024x600) panel or larger (docs/kiosk.md, supported panels)',
        diagonal_in,
        width,
        height,
        w_mm,
        h_mm,
    )
    return False
