"""What both modes of the console share: the accounts and sessions, rendering in the reader's language, role
checks, flashes, the sign-in, language and static-file routes, and the admin's accounts page. The hall's console
(`console.app.Console`) and the province's (`console.province_app.ProvinceConsole`) are this plus their own
pages."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from console import texts
from console.accounts import AccountError, AccountStore, Role, Session
from console.web import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Endpoint,
    LoginLimiter,
    client_address,
    cookie_args,
    page,
)
from motcua.clock import Clock
from motcua.hall import OfficerSection

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class ConsoleBase:
    """Accounts, clock and rendering: what every page of either mode needs."""

    accounts: AccountStore
    clock: Clock
    https: bool = False
    session_lifetime: timedelta = timedelta(hours=10)
    limiter: LoginLimiter = field(default_factory=lambda: LoginLimiter(5, 20, 900.0))
    # session -> (kind, Vietnamese text with {fields}, fields), shown once, in the page's language
    flashes: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # autoescape=True for every template, whatever its name: a name or a notice is always shown as text
        self.templates = Environment(loader=PackageLoader("console", "templates"), autoescape=True)
        self.templates.globals.update(texts=texts, mode="hall")

    def session_of(self, request: Request) -> Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        return self.accounts.session(token, now=self.clock.now()) if token else None

    def render(
        self, name: str, request: Request, session: Session | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        lang = language(request)
        t = texts.translator(lang)
        held = self.flashes.pop(session.token_hash, None) if session else None
        flash = (held[0], t(held[1]).format(**held[2])) if held else None
        html = self.templates.get_template(name).render(
            session=session,
            account=session.account if session else None,
            flash=flash,
            lang=lang,
            t=t,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def flash(self, session: Session, kind: str, text: str, **fields: Any) -> None:
        self.flashes[session.token_hash] = (kind, text, fields)

    def forbidden(self, request: Request, session: Session) -> Response:
        logger.warning("%s (%s) refused on %s", session.account.username, session.account.role.value, request.url.path)
        return self.render("error.html", request, session, status=403, message=texts.FORBIDDEN)

    def guard(self, roles: frozenset[Role]) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
        return page(roles, self.session_of, self.forbidden)


def shared_routes(console: ConsoleBase) -> list[BaseRoute]:
    """Sign-in (GET and POST /login), the language toggle (/lang) and the static files: public routes, the same in
    both modes. After signing in, "/" sends each mode's user to their page."""

    async def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = console.render("login.html", request, None, csrf=token, error=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **cookie_args(console.https))
        return response

    async def login(request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username", ""))[:64].strip()
        password = str(form.get("password", ""))[:256]
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        given = str(form.get("csrf", ""))
        address = client_address(request)
        if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
            return console.render("login.html", request, None, status=403, csrf=expected, error=texts.CSRF_FAILED)
        if console.limiter.blocked(username, address):
            logger.warning("sign-in of %r from %s refused: too many failures", username, address)
            minutes = round(console.limiter.window_s / 60)
            return console.render(
                "login.html",
                request,
                None,
                status=429,
                csrf=expected,
                error=texts.translator(language(request))(texts.LOGIN_LIMITED).format(minutes=minutes),
            )
        account = await run_in_threadpool(console.accounts.verify, username, password)
        if account is None:
            console.limiter.failed(username, address)
            logger.warning("failed sign-in of %r from %s", username, address)
            return console.render("login.html", request, None, status=401, csrf=expected, error=texts.LOGIN_FAILED)
        token, _session = console.accounts.open_session(
            account.username, now=console.clock.now(), lifetime=console.session_lifetime
        )
        logger.info("%s (%s) signed in from %s", account.username, account.role.value, address)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, token, max_age=int(console.session_lifetime.total_seconds()), **cookie_args(console.https)
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    async def choose_language(request: Request) -> Response:
        """Vietnamese (default) or English, remembered by this browser; back to the page it came from."""
        lang = "en" if request.query_params.get("to") == "en" else "vi"
        back = request.headers.get("referer", "/")
        path = urlsplit(back).path or "/"
        response = RedirectResponse(path if path.startswith("/") and not path.startswith("//") else "/", 303)
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, **cookie_args(console.https))
        return response

    return [
        Route("/lang", choose_language, methods=["GET"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Mount("/static", app=StaticFiles(packages=[("console", "static")]), name="static"),
    ]


def sign_out(console: ConsoleBase, session: Session) -> Response:
    """End the session on the server and drop its cookie."""
    console.accounts.close_session(session)
    logger.info("%s signed out", session.account.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def language(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


def account_routes(
    console: ConsoleBase, *, roles: Sequence[Role], officers: Sequence[OfficerSection]
) -> list[BaseRoute]:
    """The admin's accounts page (GET and POST /accounts): the accounts of `roles` only; an officer account is
    linked to one of `officers` (hall.toml's; none in the province mode)."""
    admin = console.guard(frozenset({Role.ADMIN}))

    @admin
    async def accounts_page(request: Request, session: Session) -> Response:
        accounts = console.accounts.all()
        linked = {a.officer for a in accounts if a.officer}
        return console.render(
            "accounts.html",
            request,
            session,
            accounts=accounts,
            officers=officers,
            roles=[role.value for role in roles],
            unlinked=[o for o in officers if o.id not in linked],
        )

    @admin
    async def accounts_change(request: Request, session: Session) -> Response:
        form = await request.form()
        what = str(form.get("what", ""))
        username = str(form.get("username", "")).strip()[:64]
        password = str(form.get("password", ""))[:256]
        try:
            if what == "create":
                role = Role(str(form.get("role", "")))
                if role not in roles:
                    raise AccountError(f"no {role.value} accounts on this console")
                officer = str(form.get("officer", "")) or None
                name = texts.nfc(str(form.get("name", "")).strip()[:100])
                if role is Role.OFFICER:
                    known = {o.id: o.name for o in officers}
                    if officer not in known:
                        raise AccountError("officer id not in hall.toml")
                    name = name or known[officer]
                if not username or not name:
                    raise AccountError("username and name are required")
                console.accounts.create(
                    username,
                    name,
                    role,
                    password,
                    officer=officer if role is Role.OFFICER else None,
                    now=console.clock.now(),
                )
                console.flash(session, "ok", "Đã tạo tài khoản {username}.", username=username)
            elif what == "password":
                console.accounts.set_password(username, password)
                console.flash(session, "ok", "Đã đặt lại mật khẩu cho {username}.", username=username)
            elif what in ("disable", "enable"):
                if username == session.account.username:
                    raise AccountError("an admin cannot disable their own account")
                console.accounts.set_disabled(username, what == "disable")
                done_text = "Đã khoá {username}." if what == "disable" else "Đã mở khoá {username}."
                console.flash(session, "ok", done_text, username=username)
            else:
                raise AccountError(f"unknown change {what!r}")
            logger.info("%s: account %s %s", session.account.username, username, what)
        except (AccountError, ValueError) as exc:
            console.flash(session, "error", "Không thực hiện được: {reason}", reason=str(exc))
        return RedirectResponse("/accounts", status_code=303)

    return [
        Route("/accounts", accounts_page, methods=["GET"]),
        Route("/accounts", accounts_change, methods=["POST"]),
    ]
