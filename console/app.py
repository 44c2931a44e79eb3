"""The console's Starlette application: sign-in, the officer's desk, the manager's hall view, accounts.

Pages are rendered on the server with Jinja2 (autoescaping on: a name or notice is always text); htmx and its SSE
extension (vendored in static/) swap the live parts when the hall changes. Actions are plain HTML forms (they
work without JavaScript) that post, then redirect back (post/redirect/get), each carrying the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from console import texts
from console.accounts import Role, Session
from console.alerts import AlertLog, AlertRules, unsatisfied_alert, wait_alerts
from console.common import ConsoleBase, account_routes, language, shared_routes, sign_out
from console.figures import Figures
from console.link import CommandFailed, HallLink
from console.web import COUNTER_COOKIE, SecurityHeaders, cookie_args
from coordinator.report.period import day_start
from motcua.contract import CounterAction, CounterReply, CounterStatus, DossierCode, ErrorCode, Notice, RatingMeaning
from motcua.errors import MotcuaError
from motcua.hall import HallConfig

logger = logging.getLogger(__name__)

#: The contract's own check of a dossier code (mã hồ sơ), so the page says what is wrong before anything is sent.
DossierCodeCheck: TypeAdapter[str] = TypeAdapter(DossierCode)

OFFICER = frozenset({Role.OFFICER})
MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})
EVERYONE = frozenset(Role)
#: Routes anyone may reach (the test of role checks skips exactly these).
PUBLIC_PATHS = frozenset({"/login", "/static", "/lang"})
LIVE_REFRESH_S = 15.0  # a live page is re-rendered at least this often (the "how long" minutes move)
BY_CHOICES = ("service", "counter", "officer", "hall")
#: The report package's HTML carries its own inline style and chart images: allowed there, and nothing else.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

#: Actions an officer's desk may post (sign-in and sign-out have their own routes).
DESK_ACTIONS = {
    CounterAction.NEXT,
    CounterAction.RECALL,
    CounterAction.NO_SHOW,
    CounterAction.FINISH,
    CounterAction.TRANSFER,
    CounterAction.CALL_TICKET,
    CounterAction.PAUSE,
    CounterAction.RESUME,
}


@dataclass(kw_only=True)
class Console(ConsoleBase):
    """Everything a page needs, built once by `console.main` (tests build it on their own parts)."""

    hall: HallConfig
    link: HallLink
    figures: Figures
    procedure_names: dict[str, str] = field(default_factory=dict)
    alert_rules: AlertRules = field(default_factory=AlertRules)
    alerts: AlertLog = field(default_factory=AlertLog)
    hall_path: Path | None = None  # hall.toml, for the report package (it loads the hall itself)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.templates.globals.update(
            CounterStatus=CounterStatus, RatingMeaning=RatingMeaning, hall=self.hall, site_name=self.hall.hall.name
        )

    # --- the officer's desk -----------------------------------------------------------------------------

    def desk_counter(self, session: Session) -> int | None:
        """The counter this officer's session holds, if the retained state still shows them there."""
        if session.counter is None:
            return None
        state = self.link.counters.get(session.counter)
        if state is None or state.officer != session.account.officer or state.status is CounterStatus.CLOSED:
            return None
        return session.counter

    def desk_view(self, counter: int) -> dict[str, Any]:
        now = self.clock.now()
        state = self.link.counters.get(counter)
        board = self.link.board
        day = board.business_day if board else None
        line = self.figures.waiting_line(counter, day, now) if day else []
        serving = None
        if state is not None and state.serving is not None:
            ticket = self.figures.ticket(state.serving.id)
            procedure = ticket.procedure if ticket else None
            serving = {
                "label": state.serving.label,
                "service": self.service_name(state.serving.service),
                "service_id": state.serving.service,
                "procedure": self.procedure_names.get(procedure or "", procedure),
                "priority": texts.PRIORITY.get(state.serving.priority) if state.serving.priority else None,
                "minutes": max(0, int((now - state.serving.called_at).total_seconds() // 60)),
                "recalls": state.serving.recalls,
            }
        waiting: list[dict[str, Any]] = [
            {
                "id": t.id,
                "label": t.label,
                "service": self.service_name(t.service),
                "priority": texts.PRIORITY.get(t.priority) if t.priority else None,
                "minutes": max(0, int((now - t.issued_at).total_seconds() // 60)),
            }
            for t in line
        ]
        return {
            "counter": counter,
            "state": state,
            "serving": serving,
            "waiting": waiting,
            "longest": max((int(w["minutes"]) for w in waiting), default=None),
            "connected": self.link.connected,
        }

    def service_name(self, service_id: str) -> str:
        try:
            return self.hall.service(service_id).name
        except KeyError:
            return service_id


def create_app(console: Console) -> Starlette:
    guard = console.guard
    link = console.link

    @guard(EVERYONE)
    async def home(request: Request, session: Session) -> Response:
        target = "/desk" if session.account.role is Role.OFFICER else "/hall"
        return RedirectResponse(target, status_code=303)

    @guard(EVERYONE)
    async def logout(request: Request, session: Session) -> Response:
        counter = console.desk_counter(session)
        if counter is not None:  # leaving the console leaves the counter, as the keypad's sign-out does
            try:
                await run_in_threadpool(link.command, counter, CounterAction.SIGN_OUT)
            except CommandFailed:
                logger.warning("sign-out of counter %s not confirmed by the coordinator", counter)
        return sign_out(console, session)

    # --- officer ----------------------------------------------------------------------------------------

    @guard(OFFICER)
    async def desk(request: Request, session: Session) -> Response:
        counter = console.desk_counter(session)
        if counter is None:
            remembered = request.cookies.get(COUNTER_COOKIE, "")
            return console.render(
                "choose_counter.html",
                request,
                session,
                counters=console.hall.counters,
                states=link.counters,
                remembered=int(remembered) if remembered.isdigit() else None,
            )
        view = await run_in_threadpool(console.desk_view, counter)
        return console.render("desk.html", request, session, view=view, services=console.hall.services)

    @guard(OFFICER)
    async def desk_live(request: Request, session: Session) -> Response:
        counter = console.desk_counter(session)
        if counter is None:
            return HTMLResponse("", status_code=204)
        view = await run_in_threadpool(console.desk_view, counter)
        return console.render("desk_live.html", request, session, view=view)

    @guard(OFFICER)
    async def take_counter(request: Request, session: Session) -> Response:
        form = await request.form()
        text = str(form.get("counter", ""))
        numbers = {c.number: c for c in console.hall.counters}
        if not text.isdigit() or int(text) not in numbers:
            console.flash(session, "error", texts.ERRORS[ErrorCode.UNKNOWN_COUNTER])
            return RedirectResponse("/desk", status_code=303)
        counter = int(text)
        officer = session.account.officer
        name = numbers[counter].display_name
        for number, state in link.counters.items():
            if number != counter and state.officer == officer and state.status is not CounterStatus.CLOSED:
                console.flash(session, "error", texts.OFFICER_ELSEWHERE, counter=state.name)
                logger.info("%s refused at counter %s: signed in at counter %s", officer, counter, number)
                return RedirectResponse("/desk", status_code=303)
        held = link.counters.get(counter)
        if held is not None and held.status is not CounterStatus.CLOSED and held.officer not in (None, officer):
            officer_name = held.officer_name or held.officer
            console.flash(session, "error", texts.COUNTER_TAKEN, counter=name, officer=officer_name)
            return RedirectResponse("/desk", status_code=303)
        outcome = await _command(session, counter, CounterAction.SIGN_IN, officer=officer)
        response = RedirectResponse("/desk", status_code=303)
        if outcome is not None:
            console.accounts.set_counter(session, counter)
            response.set_cookie(COUNTER_COOKIE, str(counter), max_age=365 * 86400, **cookie_args(console.https))
            console.flash(session, "ok", "Đã nhận {counter}.", counter=name)
        return response

    @guard(OFFICER)
    async def desk_action(request: Request, session: Session) -> Response:
        form = await request.form()
        counter = console.desk_counter(session)
        if counter is None:
            console.flash(session, "error", texts.NOT_AT_COUNTER)
            return RedirectResponse("/desk", status_code=303)
        try:
            action = CounterAction(str(form.get("action", "")))
        except ValueError:
            action = CounterAction.SIGN_IN  # not a desk action: refused below
        if action not in DESK_ACTIONS:
            console.flash(session, "error", texts.ERRORS[ErrorCode.BAD_REQUEST])
            return RedirectResponse("/desk", status_code=303)
        service = str(form.get("service", "")) or None
        ticket_id = str(form.get("ticket_id", "")) or None
        reason = str(form.get("reason", "")).strip()[:200] or None
        dossier = str(form.get("dossier_code", "")).strip() or None
        if dossier is not None and action not in (CounterAction.FINISH, CounterAction.NEXT):
            dossier = None
        if dossier is not None:
            try:
                DossierCodeCheck.validate_python(dossier)
            except ValidationError:
                console.flash(session, "error", texts.BAD_DOSSIER_CODE)
                return RedirectResponse("/desk", status_code=303)
        if service is not None and service not in {s.id for s in console.hall.services}:
            console.flash(session, "error", texts.ERRORS[ErrorCode.UNKNOWN_SERVICE])
            return RedirectResponse("/desk", status_code=303)
        await _command(
            session,
            counter,
            action,
            service=service if action is CounterAction.TRANSFER else None,
            ticket_id=ticket_id if action is CounterAction.CALL_TICKET else None,
            reason=texts.nfc(reason) if reason and action is CounterAction.PAUSE else None,
            dossier_code=dossier,
        )
        return RedirectResponse("/desk", status_code=303)

    @guard(OFFICER)
    async def leave_counter(request: Request, session: Session) -> Response:
        counter = console.desk_counter(session)
        if counter is not None and await _command(session, counter, CounterAction.SIGN_OUT) is not None:
            console.accounts.set_counter(session, None)
            console.flash(session, "ok", "Đã rời quầy.")
        return RedirectResponse("/desk", status_code=303)

    async def _command(session: Session, counter: int, action: CounterAction, **args: Any) -> CounterReply | None:
        """Send the command; flash the outcome in Vietnamese; the reply, or None when it was not done."""
        try:
            reply = await run_in_threadpool(lambda: link.command(counter, action, **args))
        except CommandFailed as failed:
            console.flash(session, "error", texts.COMMAND_FAILED[failed.reason])
            return None
        if not isinstance(reply, CounterReply):
            logger.info("counter %s %s refused: %s", counter, action.value, reply.error.value)
            console.flash(session, "error", texts.error_text(reply.error))
            return None
        logger.info("%s at counter %s: %s", session.account.username, counter, action.value)
        done = texts.DONE.get(action)
        if done:
            label = reply.state.serving.label if reply.state.serving else ""
            console.flash(session, "ok", done, label=label)
        return reply

    @guard(OFFICER)
    async def desk_stream(request: Request, session: Session) -> Response:
        async def render() -> str | None:
            live = console.session_of(request)
            if live is None:
                return None
            counter = console.desk_counter(live)
            if counter is None:
                return ""
            view = await run_in_threadpool(console.desk_view, counter)
            return console.templates.get_template("desk_live.html").render(
                view=view, session=live, t=texts.translator(language(request))
            )

        return _live_stream(request, "desk", render)

    # --- manager ----------------------------------------------------------------------------------------

    @guard(MANAGERS)
    async def hall_view(request: Request, session: Session) -> Response:
        view = await run_in_threadpool(hall_figures)
        return console.render("hall.html", request, session, view=view)

    @guard(MANAGERS)
    async def hall_stream(request: Request, session: Session) -> Response:
        async def render() -> str | None:
            live = console.session_of(request)
            if live is None:
                return None
            view = await run_in_threadpool(hall_figures)
            return console.templates.get_template("hall_live.html").render(
                view=view, session=live, t=texts.translator(language(request))
            )

        return _live_stream(request, "hall", render)

    alerts_lock = threading.Lock()

    def hall_figures() -> dict[str, Any]:
        now = console.clock.now()
        board = link.board
        hall = console.hall
        counts = console.figures.day_counts(board.business_day) if board else None
        longest = console.figures.longest_waits(board.business_day, now) if board else {}
        since = day_start(board.business_day, hall.hall.zone, hall.hall.day_starts_at) if board else now
        today = console.figures.ratings(since)
        rules = console.alert_rules
        window = console.figures.ratings(now - timedelta(minutes=rules.unsatisfied_window_min))
        holding = wait_alerts(
            longest, {s.id: s.target_wait_min for s in hall.services}, {s.id: s.name for s in hall.services}
        )
        holding |= unsatisfied_alert(window, rules)
        with alerts_lock:
            for alert in console.alerts.update(now, holding):
                logger.warning("alert: %s", alert.key)
            active = list(console.alerts.active.values())
            history = list(console.alerts.history[:20])
        devices = sorted(link.devices.values(), key=lambda d: (d.status.state.value != "offline", d.status.device))
        satisfied = sum(1 for meaning in today if meaning is RatingMeaning.SATISFIED)
        return {
            "longest": longest,
            "targets": {s.id: s.target_wait_min for s in hall.services},
            "ratings": {meaning: sum(1 for x in today if x is meaning) for meaning in RatingMeaning},
            "rated": len(today),
            "satisfied_pct": round(100 * satisfied / len(today)) if today else None,
            "alerts": active,
            "alert_history": history,
            "board": board,
            "counters": [link.counters.get(c.number) for c in console.hall.counters],
            "counts": counts,
            "devices": devices,
            "now": now,
            "connected": link.connected,
            "notice": link.notice,
        }

    @guard(MANAGERS)
    async def set_notice(request: Request, session: Session) -> Response:
        form = await request.form()
        text = texts.nfc(str(form.get("text", "")).strip())[:500]
        try:
            link.publish_notice(Notice(text=text, by=session.account.username, updated_at=console.clock.now()))
            console.flash(session, "ok", "Đã cập nhật thông báo trên bảng." if text else "Đã xoá thông báo.")
            logger.info("%s set the board notice (%d characters)", session.account.username, len(text))
        except CommandFailed as failed:
            console.flash(session, "error", texts.COMMAND_FAILED[failed.reason])
        return RedirectResponse("/hall", status_code=303)

    # --- reports: the report package's own output, nothing computed here ------------------------------

    @guard(MANAGERS)
    async def reports_page(request: Request, session: Session) -> Response:
        return console.render("reports.html", request, session, query=request.query_params, error=None)

    @guard(MANAGERS)
    async def report_file(request: Request, session: Session) -> Response:
        query = request.query_params
        period = query.get("period", "week")
        by = query.get("by", "service")
        fmt = query.get("format", "html")
        on = query.get("date", "") or None
        if period not in ("day", "week", "month") or by not in BY_CHOICES or fmt not in ("html", "csv"):
            return console.render(
                "reports.html", request, session, status=400, query=query, error="Yêu cầu không hợp lệ."
            )
        try:
            files = await run_in_threadpool(make_report, period, on, by, fmt)
        except MotcuaError as exc:
            logger.info("report refused: %s", exc)
            return console.render(
                "reports.html", request, session, status=404, query=query, error=f"Không lập được báo cáo: {exc}"
            )
        logger.info("%s made a %s report (%s, by %s)", session.account.username, period, fmt, by)
        if fmt == "html":
            name, data = files[0]
            return Response(
                data,
                media_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": REPORT_CSP, "Content-Disposition": f'inline; filename="{name}"'},
            )
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files:
                archive.writestr(name, data)
        stem = files[0][0].rsplit(".", 1)[0]
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{stem}-csv.zip"'},
        )

    def make_report(period: str, on: str | None, by: str, fmt: str) -> list[tuple[str, bytes]]:
        from coordinator.report import cli as report_cli

        if console.hall_path is None:
            raise MotcuaError("the console was started without a hall.toml path")
        with tempfile.TemporaryDirectory(prefix="motcua-report-") as folder:
            argv = ["--db", str(console.figures.path), "--hall", str(console.hall_path), "--period", period]
            argv += ["--date", on] if on else []
            argv += ["--by", by, "--format", fmt, "--out", folder]
            paths = report_cli.run(report_cli.build_parser().parse_args(argv))
            return [(p.name, p.read_bytes()) for p in paths]

    # --- admin ------------------------------------------------------------------------------------------

    routes: list[BaseRoute] = [
        *shared_routes(console),
        Route("/", home, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/desk", desk, methods=["GET"]),
        Route("/desk/live", desk_live, methods=["GET"]),
        Route("/desk/stream", desk_stream, methods=["GET"]),
        Route("/desk/counter", take_counter, methods=["POST"]),
        Route("/desk/action", desk_action, methods=["POST"]),
        Route("/desk/leave", leave_counter, methods=["POST"]),
        Route("/hall", hall_view, methods=["GET"]),
        Route("/hall/stream", hall_stream, methods=["GET"]),
        Route("/hall/notice", set_notice, methods=["POST"]),
        Route("/reports", reports_page, methods=["GET"]),
        Route("/reports/file", report_file, methods=["GET"]),
        *account_routes(console, roles=(Role.OFFICER, Role.MANAGER, Role.ADMIN), officers=console.hall.officers),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders, https=console.https)
    app.state.console = console

    def _live_stream(request: Request, event: str, render: Any) -> StreamingResponse:
        """Server-Sent Events: the page's live part, sent again whenever the hall changes (and every 15 s)."""
        loop = asyncio.get_running_loop()
        wake: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

        def changed() -> None:
            loop.call_soon_threadsafe(_offer, wake)

        async def events() -> AsyncIterator[str]:
            link.on_change(changed)
            last: str | None = None
            try:
                while True:
                    html = await render()
                    if html is None:  # signed out or expired: the stream ends
                        return
                    if html != last:
                        yield f"event: {event}\n" + "".join(f"data: {line}\n" for line in html.splitlines()) + "\n"
                        last = html
                    else:
                        yield ": still here\n\n"
                    try:
                        await asyncio.wait_for(wake.get(), LIVE_REFRESH_S)
                    except TimeoutError:
                        pass
            finally:
                link.remove_listener(changed)

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )

    return app


def _offer(queue: asyncio.Queue[None]) -> None:
    if queue.empty():
        queue.put_nowait(None)
