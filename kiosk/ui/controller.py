"""What a touch, a scan, a reply or the passing of time does to the kiosk's screen. Pure: no pygame, no MQTT,
no printer, no imaging (importing it loads none of them; tests/test_kiosk_model.py checks).

The controller holds the screen state and calls `Effects` for the work done elsewhere (taking, reprinting and
cancelling tickets run on a worker thread); everything that work needs goes with the call (`TakeRequest`), and
results come back through `on_result` and `on_cancel_answer`. Every method takes the monotonic time as an
argument, so idle timeouts and the tap guard are tested without waiting.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import NamedTuple, Protocol

from kiosk.catalogue import CatalogueView
from kiosk.i18n import ERROR_MESSAGES, SCAN_MESSAGES, Lang, error_message, pick, printer_problem, text
from kiosk.i18n_checkin import CHECKIN_ERRORS
from kiosk.idcard import IdCardVerdict, check_id_card
from kiosk.model import (
    DEFAULT_THANKS,
    CancelAnswer,
    CancelOutcome,
    Outcome,
    PrinterStatus,
    TakeRequest,
    TicketHeader,
    TicketResult,
    thanks_line,
)
from kiosk.qrpayload import BOOKING_CODE_RE, DEFAULT_PORTALS, Portal, ScanResult, ScanVerdict, parse_scan
from kiosk.text import format_counters, format_counters_en
from motcua.contract import ErrorCode, PriorityCategory

logger = logging.getLogger(__name__)

MAX_QUERY = 40
#: After a screen changes, taps (other than typing) are ignored this long: a slow or trembling double tap on the
#: button that led here must not press the button now under the finger (0.4-0.5 s apart was seen in a hall).
#: The screens also place only a harmless choice under the button that led to them (tests/test_kiosk_double_tap.py).
TAP_GUARD_S = 0.8


class Screen(StrEnum):
    LOADING = "loading"  # no catalogue yet
    HOME = "home"  # services as big buttons
    SERVICE = "service"  # one service: take a number, or look at its procedures
    SEARCH = "search"  # on-screen keyboard and results (a small panel: the keyboard alone, then RESULTS)
    PROCEDURE = "procedure"  # documents, forms, time limit, fee, agency, online QR
    PRIORITY = "priority"  # priority category, or a regular number
    WORKING = "working"  # waiting for the coordinator and the printer
    TICKET = "ticket"  # the number, large
    PRINT_FAILED = "print_failed"  # issued but not printed: the number, large, still valid; reprint
    MESSAGE = "message"  # a polite explanation (refusal, offline, bad QR...)
    BOOKING = "booking"  # "Tôi đã đặt lịch hẹn": the booking's code on a numeric keypad, or its QR code
    ID_CARD = "id_card"  # a chip ID card of a citizen of 60 or more: take the elderly priority?
    RESULTS = "results"  # a small panel's search results, on their own screen after the keyboard's


class Action(NamedTuple):
    """What a button does: ``Action("service", "ho-tich")``."""

    kind: str
    arg: str | None = None


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    tone: str = "info"  # "info" | "warning" | "error"


@dataclass(frozen=True)
class TakeIntent:
    service: str | None = None
    procedure: str | None = None
    booking: str | None = None  # a check-in: the booking names the service


@dataclass(frozen=True)
class Place:
    """A screen to come back to with "Quay lại"."""

    screen: Screen
    service_id: str | None
    procedure_code: str | None
    page: int
    query: str


@dataclass
class UiState:
    screen: Screen = Screen.LOADING
    lang: Lang = Lang.VI
    catalogue: CatalogueView | None = None
    connected: bool = False
    coordinator_online: bool | None = None  # the coordinator's retained status (None: not heard yet)
    printer: PrinterStatus = PrinterStatus.UNKNOWN
    camera_ok: bool | None = None
    camera_fitted: bool = True  # False: a kiosk without a scanner (camera.source = "none") never invites a scan
    service_id: str | None = None
    procedure_code: str | None = None
    query: str = ""
    page: int = 0
    intent: TakeIntent | None = None
    result: TicketResult | None = None
    message: Message | None = None
    history: list[Place] = field(default_factory=list)
    last_ticket: str | None = None
    tickets_printed: int = 0
    cancelling: uuid.UUID | None = None  # the request the citizen on screen asked to cancel
    card_priority: bool = False  # the citizen confirmed the elderly priority offered from their ID card
    voice: bool = False  # voice guidance: every screen is read aloud (kiosk.guidance); off for the next citizen
    asking: bool = False  # home reached from a search that found nothing: "choose the nearest service"
    large_text: bool = False  # "Chữ to": larger text, high contrast, fewer items a page; reset like `voice`
    digits: bool = False  # a small panel's search keyboard shows digits (procedure codes) instead of letters

    @property
    def blocked(self) -> str | None:
        """Why no number can be issued now, whatever the service: "offline" (no broker), "coordinator" (its
        retained status says offline), "printer"; None when numbers can be taken."""
        if not self.connected:
            return "offline"
        if self.coordinator_online is False:
            return "coordinator"
        if not self.printer.can_print:
            return "printer"
        return None


class Effects(Protocol):
    """Work the controller asks for; results come back through `Controller.on_result`."""

    def take(self, request: TakeRequest) -> None: ...

    def reprint(self, result: TicketResult) -> None: ...

    def cancel(self, result: TicketResult, reason: str) -> None: ...


class Controller:
    def __init__(
        self,
        effects: Effects,
        *,
        default_lang: Lang = Lang.VI,
        idle_timeout_s: float = 60.0,
        ticket_screen_s: float = 20.0,
        tap_guard_s: float = TAP_GUARD_S,
        portals: Sequence[Portal] = DEFAULT_PORTALS,
        thanks: str = DEFAULT_THANKS,
        thanks_en: str | None = None,
        today: Callable[[], date] = date.today,
        default_large_text: bool = False,
    ) -> None:
        self.effects = effects
        self.today = today  # the hall's local date (an ID card's age is counted on it)
        self.thanks = thanks
        self.thanks_en = thanks_en
        self.default_lang = default_lang
        self.idle_timeout_s = idle_timeout_s
        self.ticket_screen_s = ticket_screen_s
        self.tap_guard_s = tap_guard_s
        self.portals = tuple(portals)
        self.default_large_text = default_large_text
        self.state = UiState(lang=default_lang, large_text=default_large_text)
        self.last_touch = 0.0
        self.screen_since = 0.0

    # --- helpers ------------------------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        return text(key, self.state.lang, **values)

    def _go(self, screen: Screen, now: float, **changes: object) -> None:
        self.state = replace(self.state, screen=screen, **changes)  # type: ignore[arg-type]
        self.screen_since = now

    def _push(self) -> None:
        s = self.state
        self.state.history.append(Place(s.screen, s.service_id, s.procedure_code, s.page, s.query))

    def _home(self, now: float, *, reset_language: bool = False) -> None:
        lang = self.default_lang if reset_language else self.state.lang
        if reset_language:
            self.state.voice = False  # the next citizen starts silent
            self.state.large_text = self.default_large_text  # and with the hall's text size
        screen = Screen.HOME if self.state.catalogue is not None else Screen.LOADING
        self._go(
            screen,
            now,
            lang=lang,
            service_id=None,
            procedure_code=None,
            query="",
            page=0,
            intent=None,
            message=None,
            history=[],
            cancelling=None,
            card_priority=False,
            asking=False,
            digits=False,
        )

    def _show(self, message: Message, now: float) -> None:
        self._go(Screen.MESSAGE, now, message=message)

    # --- inputs -------------------------------------------------------------------------------------------

    def tap(self, action: Action | None, now: float) -> bool:
        """A touch on a button (`action`) or on nothing (None). Returns whether the screen changed."""
        self.last_touch = now
        if action is None:
            return False
        if now - self.screen_since < self.tap_guard_s and action.kind not in ("key", "backspace", "space"):
            logger.debug("tap on %s ignored: the screen changed %.2f s ago", action, now - self.screen_since)
            return False
        return self.action(action, now)

    def action(self, action: Action, now: float) -> bool:
        handler = getattr(self, f"_do_{action.kind}", None)
        if handler is None:
            logger.warning("unknown action %s", action)
            return False
        handler(action.arg, now)
        return True

    def on_catalogue(self, view: CatalogueView, now: float) -> None:
        first = self.state.catalogue is None
        self.state.catalogue = view
        if first or self.state.screen is Screen.LOADING:
            self._home(now)
            return
        # The catalogue changed (a service opened or closed): leave a screen whose subject disappeared.
        gone_service = self.state.service_id is not None and view.service(self.state.service_id) is None
        gone_procedure = self.state.procedure_code is not None and view.procedure(self.state.procedure_code) is None
        if self.state.screen in (Screen.SERVICE, Screen.PROCEDURE) and (gone_service or gone_procedure):
            self._home(now)

    def on_connection(self, connected: bool) -> None:
        self.state.connected = connected

    def on_coordinator(self, online: bool) -> None:
        self.state.coordinator_online = online

    def on_printer(self, status: PrinterStatus) -> None:
        self.state.printer = status

    def on_camera(self, ok: bool) -> None:
        self.state.camera_ok = ok

    def on_scan(self, payload: bytes, now: float) -> bool:
        """A QR code was read. Returns whether the screen changed."""
        s = self.state
        if s.catalogue is None or s.screen in (Screen.WORKING, Screen.TICKET, Screen.PRINT_FAILED, Screen.ID_CARD):
            logger.info("scan ignored on the %s screen", s.screen.value)
            return False
        result = parse_scan(payload, known_codes=s.catalogue.codes, portals=self.portals)
        if result.verdict is ScanVerdict.ID_CARD:
            return self._on_id_card(payload, now)  # before any logging: a card's text is never written anywhere
        if result.verdict is ScanVerdict.BOOKING and result.code is not None and s.screen is not Screen.PRIORITY:
            logger.info("scanned booking %s", result.code)
            self.last_touch = now
            self._check_in(result.code, now)
            return True
        if s.screen is Screen.PRIORITY:
            logger.info("scan ignored on the %s screen", s.screen.value)
            return False
        self.last_touch = now
        if result.accepted and result.code is not None:
            # The code and the portal are this hall's own (in its catalogue, on its list), not the citizen's.
            logger.info("scan accepted: procedure %s (%s), %d bytes", result.code, result.detail, len(payload))
            if s.screen is Screen.PROCEDURE and s.procedure_code == result.code:
                return False
            if s.screen is not Screen.MESSAGE:
                self._push()
            self._go(Screen.PROCEDURE, now, procedure_code=result.code, page=0)
            return True
        logger.warning("scan refused: %s (%s), %d bytes", result.verdict.value, scan_log_reason(result), len(payload))
        body = pick(SCAN_MESSAGES[result.verdict], s.lang, code=result.shown or "")  # as printed on the sheet
        if s.screen is not Screen.MESSAGE:
            self._push()  # "Quay lại" returns to where the citizen was
        self._show(Message(self.t("scan_title"), body, "warning"), now)
        return True

    def on_result(self, result: TicketResult, now: float) -> None:
        s = self.state
        s.result = result
        if result.outcome is Outcome.PRINTED:
            assert result.ticket is not None
            s.last_ticket = result.ticket.label
            s.tickets_printed += 1
            self._go(Screen.TICKET, now, intent=None)
        elif result.outcome is Outcome.PRINT_FAILED:
            assert result.ticket is not None
            s.last_ticket = result.ticket.label
            self._go(Screen.PRINT_FAILED, now)
        elif result.outcome is Outcome.REFUSED:
            code = result.error or ErrorCode.INTERNAL
            title = self.t("service_closed_title") if code is ErrorCode.SERVICE_CLOSED else self.t("offline_title")
            if code in CHECKIN_ERRORS:
                title = self.t("booking_refused_title")
            self._show(Message(title, error_message(code, s.lang), "warning"), now)
        elif result.outcome is Outcome.OFFLINE:
            self._show(Message(self.t("offline_title"), self.t("offline_body"), "error"), now)
        elif result.outcome is Outcome.TIMEOUT:
            self._show(Message(self.t("offline_title"), self.t("timeout_body"), "error"), now)
        elif result.outcome is Outcome.PRINTER_UNAVAILABLE:
            problem = printer_problem(result.problem or "failed", s.lang)
            self._show(
                Message(self.t("offline_title"), self.t("printer_unavailable_body", problem=problem), "error"), now
            )
        else:
            self._show(Message(self.t("offline_title"), pick(ERROR_MESSAGES[ErrorCode.INTERNAL], s.lang), "error"), now)
        self.last_touch = now

    def on_cancel_answer(self, answer: CancelAnswer, now: float) -> bool:
        """The coordinator answered a cancellation. A refusal because a counter already called the ticket means
        the number stands: the citizen who asked to cancel it, if still here, is told so. Returns whether the
        screen changed."""
        s = self.state
        if answer.request_id != s.cancelling:
            if answer.outcome is CancelOutcome.ALREADY_CALLED:
                logger.warning("request %s: cancel refused, its ticket was already called", answer.request_id)
            return False
        s.cancelling = None
        if answer.outcome is not CancelOutcome.ALREADY_CALLED or s.result is None or s.result.ticket is None:
            return False
        ticket = s.result.ticket
        counters = format_counters_en(ticket.counters) if s.lang is Lang.EN else format_counters(ticket.counters)
        body = self.t("already_called_body", label=ticket.label, counters=counters)
        self._show(Message(self.t("already_called_title", label=ticket.label), body, "info"), now)
        self.last_touch = now
        return True

    def tick(self, now: float) -> bool:
        """Time passes: idle screens go home. Returns whether the screen changed."""
        s = self.state
        if s.screen in (Screen.HOME, Screen.LOADING, Screen.WORKING):
            return False
        limit = self.ticket_screen_s if s.screen is Screen.TICKET else self.idle_timeout_s
        if now - max(self.last_touch, self.screen_since) < limit:
            return False
        if s.screen is Screen.PRINT_FAILED:
            logger.info("citizen left without a printed ticket %s: the number stands", s.last_ticket)
        self._home(now, reset_language=True)
        return True

    def next_deadline(self, now: float) -> float | None:
        """Seconds until `tick` may change something (the event loop sleeps that long at most)."""
        s = self.state
        if s.screen in (Screen.HOME, Screen.LOADING, Screen.WORKING):
            return None
        limit = self.ticket_screen_s if s.screen is Screen.TICKET else self.idle_timeout_s
        return max(0.0, max(self.last_touch, self.screen_since) + limit - now)

    # --- actions (buttons) --------------------------------------------------------------------------------

    def _do_home(self, arg: str | None, now: float) -> None:
        self._home(now)  # an issued number stands, printed or not

    def _do_back(self, arg: str | None, now: float) -> None:
        if not self.state.history:
            self._home(now)
            return
        place = self.state.history.pop()
        self._go(
            place.screen,
            now,
            service_id=place.service_id,
            procedure_code=place.procedure_code,
            page=place.page,
            query=place.query,
            message=None,
        )

    def _do_lang(self, arg: str | None, now: float) -> None:
        self.state.lang = Lang.EN if self.state.lang is Lang.VI else Lang.VI

    def _do_page(self, arg: str | None, now: float) -> None:
        self.state.page = max(0, self.state.page + (1 if arg == "+1" else -1))

    def _do_service(self, arg: str | None, now: float) -> None:
        if arg is None or self.state.catalogue is None or self.state.catalogue.service(arg) is None:
            return
        self._push()
        self._go(Screen.SERVICE, now, service_id=arg, procedure_code=None, page=0)

    def _do_procedure(self, arg: str | None, now: float) -> None:
        if arg is None or self.state.catalogue is None or self.state.catalogue.procedure(arg) is None:
            return
        self._push()
        self._go(Screen.PROCEDURE, now, procedure_code=arg, page=0)

    def _do_search(self, arg: str | None, now: float) -> None:
        self._push()
        self._go(Screen.SEARCH, now, query="", page=0, digits=False)

    def _do_results(self, arg: str | None, now: float) -> None:
        """A small panel's keyboard screen: show what the words typed find, on a screen of their own."""
        if self.state.screen is Screen.SEARCH and self.state.query.strip():
            self._push()
            self._go(Screen.RESULTS, now, page=0)

    def _do_digits(self, arg: str | None, now: float) -> None:
        """A small panel's keyboard: switch between letters and digits (procedure codes such as 1.001193)."""
        self.state.digits = not self.state.digits

    def _do_ask(self, arg: str | None, now: float) -> None:
        """The search found nothing: home, inviting the citizen to take a number in the nearest service and ask."""
        self._home(now)
        self.state.asking = True

    def _do_key(self, arg: str | None, now: float) -> None:
        if arg and len(self.state.query) < MAX_QUERY:
            self.state.query += arg.lower()
            self.state.page = 0

    def _do_space(self, arg: str | None, now: float) -> None:
        if self.state.query and not self.state.query.endswith(" ") and len(self.state.query) < MAX_QUERY:
            self.state.query += " "

    def _do_backspace(self, arg: str | None, now: float) -> None:
        self.state.query = self.state.query[:-1]
        self.state.page = 0

    def _do_clear(self, arg: str | None, now: float) -> None:
        self.state.query = ""
        self.state.page = 0

    def _do_take(self, arg: str | None, now: float) -> None:
        """ "Lấy số" on a service (arg = service id) or on the procedure screen (arg = procedure code)."""
        intent = self._intent(arg)
        if intent is None or not self._may_take(intent, now):
            return
        catalogue = self.state.catalogue
        assert catalogue is not None
        if self.state.card_priority and PriorityCategory.ELDERLY in catalogue.catalogue.priority_categories:
            self._start(intent, PriorityCategory.ELDERLY, now)  # confirmed from the ID card
            return
        if catalogue.catalogue.priority_categories:
            self._push()
            self._go(Screen.PRIORITY, now, intent=intent)
            return
        self._start(intent, None, now)

    def take_now(self, target: str, priority: PriorityCategory | None, now: float) -> bool:
        """Take a ticket for a service or procedure without the touches in between (the demo's shortcut).
        Returns whether a request was started (False: a message explains why not)."""
        intent = self._intent(target)
        if intent is None:
            raise ValueError(f"no service or procedure {target!r} in the catalogue")
        if self.state.screen is Screen.WORKING:
            raise RuntimeError("a ticket is already being taken")
        if not self._may_take(intent, now):
            return False
        self._start(intent, priority, now)
        return True

    def _intent(self, target: str | None) -> TakeIntent | None:
        catalogue = self.state.catalogue
        if catalogue is None or target is None:
            return None
        if catalogue.procedure(target) is not None:
            return TakeIntent(procedure=target)
        if catalogue.service(target) is not None:
            return TakeIntent(service=target)
        return None

    def _may_take(self, intent: TakeIntent, now: float) -> bool:
        """Whether a ticket can be requested now; if not, show why (closed, offline, printer) and say False."""
        s = self.state
        catalogue = s.catalogue
        assert catalogue is not None
        procedure = catalogue.procedure(intent.procedure) if intent.procedure else None
        service = catalogue.service(procedure.service if procedure is not None else intent.service or "")
        if service is None:
            return False
        message = None
        if not service.open_now:
            body = error_message(ErrorCode.SERVICE_CLOSED, s.lang)
            if service.opening_hours:
                body += "\n" + self.t("closed_hours", hours=service.opening_hours)
            message = Message(self.t("service_closed_title"), body, "warning")
        elif not s.connected:
            message = Message(self.t("offline_title"), self.t("offline_body"), "error")
        elif s.coordinator_online is False:
            message = Message(self.t("offline_title"), self.t("coordinator_down_body"), "error")
        elif not s.printer.can_print:
            problem = printer_problem(s.printer.problem or "failed", s.lang)
            message = Message(self.t("offline_title"), self.t("printer_unavailable_body", problem=problem), "error")
        if message is None:
            return True
        if s.screen not in (Screen.MESSAGE, Screen.LOADING):
            self._push()
        self._show(message, now)
        return False

    def _do_priority(self, arg: str | None, now: float) -> None:
        intent = self.state.intent
        if intent is None:
            return
        priority = None if arg in (None, "", "none") else PriorityCategory(arg)
        self._start(intent, priority, now)

    def _start(self, intent: TakeIntent, priority: PriorityCategory | None, now: float) -> None:
        self._go(Screen.WORKING, now, result=None)
        self.effects.take(self._request(intent, priority))

    def _request(self, intent: TakeIntent, priority: PriorityCategory | None) -> TakeRequest:
        """The request with everything the ticket needs, read from the screen's state here, on its thread."""
        lang = self.state.lang
        catalogue = self.state.catalogue
        name = None
        if intent.procedure and catalogue is not None:
            procedure = catalogue.procedure(intent.procedure)
            if procedure is not None:
                name = procedure.name_en if lang is Lang.EN and procedure.name_en else procedure.name
        thanks = thanks_line(self.thanks, self.thanks_en, lang, text("ticket_thanks", Lang.EN))
        if catalogue is None:
            header = TicketHeader(hall_name="", thanks=thanks)
        else:
            hall = catalogue.catalogue.hall
            header = TicketHeader(hall_name=hall.name, hotline=hall.hotline, thanks=thanks)
        return TakeRequest(
            service=intent.service,
            procedure=intent.procedure,
            priority=priority,
            lang=lang,
            procedure_name=name,
            header=header,
            booking=intent.booking,
        )

    def _do_reprint(self, arg: str | None, now: float) -> None:
        result = self.state.result
        if result is None or result.ticket is None:
            return
        self._go(Screen.WORKING, now)
        self.effects.reprint(result)

    def _do_cancel_ticket(self, arg: str | None, now: float) -> None:
        """No longer offered on the print-failed screen (an issued number stands, issue 18.3); kept for the
        control socket, where a technician may withdraw a number issued by mistake."""
        result = self.state.result
        if result is not None and self.state.screen is Screen.PRINT_FAILED:
            self.effects.cancel(result, "citizen_cancelled")
            self._show(Message(self.t("print_failed_title"), self.t("cancelled"), "warning"), now)
            self.state.history = []
            self.state.cancelling = result.request_id

    def _do_done(self, arg: str | None, now: float) -> None:
        self._home(now, reset_language=True)

    def _do_large_text(self, arg: str | None, now: float) -> None:
        """ "Chữ to": larger text and higher contrast, from this screen on (touch again for the usual size)."""
        self.state.large_text = not self.state.large_text
        self.state.page = 0  # fewer items a page: the page the citizen was on may no longer exist

    def _do_voice(self, arg: str | None, now: float) -> None:
        """ "Hướng dẫn bằng giọng nói": read every screen aloud, from this one on (touch again to stop)."""
        self.state.voice = not self.state.voice

    # --- appointments (bookings) --------------------------------------------------------------------------

    def _do_booking(self, arg: str | None, now: float) -> None:
        """ "Tôi đã đặt lịch hẹn": the code keypad (typed digits go to `query`, like the search keyboard's)."""
        self._push()
        self._go(Screen.BOOKING, now, query="", page=0)

    def _do_booking_submit(self, arg: str | None, now: float) -> None:
        code = self.state.query.strip().upper()
        if self.state.screen is Screen.BOOKING and BOOKING_CODE_RE.match(code):
            self._check_in(code, now)

    def _check_in(self, code: str, now: float) -> None:
        """Ask for the booking's ticket, unless the kiosk cannot (offline, coordinator down, printer): then say
        why. A booked citizen may also be a priority citizen (elderly, disabled, pregnant...): when the hall offers
        priorities, the same priority screen as for a walk-in ticket comes first (its regular choice under the
        CONFIRM button that led there), and the request carries both; a priority confirmed from the ID card is
        taken at once. The coordinator keeps the priority if the booking turns out late (a priority walk-in)."""
        s = self.state
        message = None
        if not s.connected:
            message = Message(self.t("offline_title"), self.t("offline_body"), "error")
        elif s.coordinator_online is False:
            message = Message(self.t("offline_title"), self.t("coordinator_down_body"), "error")
        elif not s.printer.can_print:
            problem = printer_problem(s.printer.problem or "failed", s.lang)
            message = Message(self.t("offline_title"), self.t("printer_unavailable_body", problem=problem), "error")
        if message is not None:
            if s.screen not in (Screen.MESSAGE, Screen.LOADING):
                self._push()
            self._show(message, now)
            return
        intent = TakeIntent(booking=code)
        categories = s.catalogue.catalogue.priority_categories if s.catalogue is not None else []
        if s.card_priority and PriorityCategory.ELDERLY in categories:
            self._start(intent, PriorityCategory.ELDERLY, now)  # confirmed from the ID card
            return
        if categories:
            self._push()
            self._go(Screen.PRIORITY, now, intent=intent)
            return
        self._start(intent, None, now)

    # --- the chip ID card (kiosk.idcard) ------------------------------------------------------------------

    def _on_id_card(self, payload: bytes, now: float) -> bool:
        """The back of a chip ID card was scanned: offer the elderly priority to a citizen of 60 or more. Only
        the verdict is kept or logged, never the card's text (Decree 13/2023/NĐ-CP)."""
        s = self.state
        self.last_touch = now
        check = check_id_card(payload.decode("utf-8", "replace"), self.today())
        logger.info("ID card scanned: %s (%s)", check.verdict.value, check.reason)
        catalogue = s.catalogue
        assert catalogue is not None
        if s.screen is not Screen.MESSAGE:
            self._push()
        if check.verdict is IdCardVerdict.ELDERLY:
            if PriorityCategory.ELDERLY not in catalogue.catalogue.priority_categories:
                body = self.t("idcard_no_priority_body")
                self._show(Message(self.t("idcard_title"), body, "info"), now)
            else:
                self._go(Screen.ID_CARD, now)
            return True
        title, body, tone = {
            IdCardVerdict.UNDER_AGE: ("idcard_under_age_title", "idcard_under_age_body", "info"),
            IdCardVerdict.MALFORMED: ("idcard_unreadable_title", "idcard_malformed_body", "warning"),
            IdCardVerdict.IMPLAUSIBLE: ("idcard_unreadable_title", "idcard_implausible_body", "warning"),
        }[check.verdict]
        self._show(Message(self.t(title), self.t(body), tone), now)
        return True

    def _do_idcard_accept(self, arg: str | None, now: float) -> None:
        """The citizen takes the elderly priority: at once if a ticket was being taken, else on the next one."""
        if self.state.screen is not Screen.ID_CARD:
            return
        self.state.card_priority = True
        logger.info("priority: elderly, from ID card")
        history = self.state.history
        if self.state.intent is not None and history and history[-1].screen is Screen.PRIORITY:
            self._start(self.state.intent, PriorityCategory.ELDERLY, now)
            return
        self._show(Message(self.t("idcard_noted_title"), self.t("idcard_noted_body"), "info"), now)

    def _do_idcard_decline(self, arg: str | None, now: float) -> None:
        self._do_back(arg, now)


#: The parser's reasons that quote nothing of the payload; any other `detail` (a host, a scheme, a port, a parse
#: error, a code read from a link) is replaced by the verdict's fixed words below.
_FIXED_SCAN_REASONS = frozenset(
    {
        "not UTF-8",
        "control characters",
        "empty",
        "markup or script-like content",
        "link without https://",
        "plain text",
        "malformed link",
        "link with user information",
        "too many query parameters",
        "portal link without a procedure code",
    }
)
_VERDICT_REASONS = {
    ScanVerdict.UNKNOWN_PROCEDURE: "a procedure code not in this hall's catalogue",
    ScanVerdict.TOO_LARGE: "longer than any procedure link",
    ScanVerdict.BINARY: "not text",
    ScanVerdict.SCRIPT: "markup or script-like content",
    ScanVerdict.OTHER_SITE: "a link that is not to a public-service portal",
    ScanVerdict.NO_CODE: "a portal link without one procedure code",
    ScanVerdict.NOT_A_PROCEDURE: "not a procedure code",
}


def scan_log_reason(result: ScanResult) -> str:
    """Why a scan was refused, in words fixed in this file: never the scanned text nor a piece of it.

    A citizen holds up whatever QR code is at hand, often the one on a chip ID card (CCCD): its text is the ID
    number, the name, the birth date, the sex and the address. Logging it would keep personal data in the
    kiosk's journal for a month with no purpose or consent (Decree 13/2023/NĐ-CP on personal data protection:
    process only what the purpose needs). The journal gets the verdict, this reason and the length only.
    """
    if result.detail in _FIXED_SCAN_REASONS:
        return result.detail
    return _VERDICT_REASONS.get(result.verdict, "refused")
