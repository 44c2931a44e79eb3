"""HTTP plumbing shared by the console's pages: sessions from the cookie, role checks, CSRF, security headers,
the login rate limit. Every route is declared with `page(...)`, which records who may use it; a test walks the
app's routes and checks that each refuses anonymous and wrong-role users."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.accounts import Role, Session

SESSION_COOKIE = "motcua_session"
LOGIN_CSRF_COOKIE = "motcua_login"
LANG_COOKIE = "motcua_lang"  # "en" for English; Vietnamese otherwise
COUNTER_COOKIE = "motcua_counter"  # the counter this device (the counter's PC) sits at

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

Endpoint = Callable[[Request, Session], Awaitable[Response]]


class SecurityHeaders:
    """Adds the security headers to every response (pages, static files, errors, the live stream)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [h for h in self.headers if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


@dataclass
class LoginLimiter:
    """Failed sign-ins per account and per source address within a sliding window: past the limit, refused
    before the password is even checked (so guessing costs the guesser time, not the server argon2 work)."""

    per_account: int
    per_address: int
    window_s: float
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def blocked(self, username: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (
                len(self._recent(f"user:{username.lower()}", now)) >= self.per_account
                or len(self._recent(f"addr:{address}", now)) >= self.per_address
            )

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[f"user:{username.lower()}"].append(now)
            self._failures[f"addr:{address}"].append(now)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def csrf_ok(form: FormData, expected: str) -> bool:
    given = form.get("csrf")
    return isinstance(given, str) and secrets.compare_digest(given.encode(), expected.encode())


def page(
    roles: set[Role] | frozenset[Role],
    resolve: Callable[[Request], Session | None],
    forbidden: Callable[[Request, Session], Response],
) -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap an endpoint: a live session with one of `roles`, and on POST a valid CSRF token, or it is refused
    (anonymous: 303 to the sign-in page for GET, 401 otherwise, and for htmx's requests 401 with `HX-Redirect`,
    so the whole page goes to sign in rather than the sign-in form into a part of it; wrong role: 403; bad token:
    403)."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            session = resolve(request)
            if session is None:
                if request.headers.get("hx-request"):  # a page polling its figures: the whole page goes to sign-in
                    return PlainTextResponse("sign in first", status_code=401, headers={"HX-Redirect": "/login"})
                if request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return PlainTextResponse("sign in first", status_code=401)
            if session.account.role not in roles:
                return forbidden(request, session)
            if request.method == "POST":
                form = await request.form()
                if not csrf_ok(form, session.csrf):
                    return PlainTextResponse("CSRF token missing or wrong", status_code=403)
            return await endpoint(request, session)

        guarded.roles = frozenset(roles)  # type: ignore[attr-defined]
        guarded.__name__ = endpoint.__name__
        return guarded

    return wrap


def cookie_args(https: bool) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "secure": https, "path": "/"}
