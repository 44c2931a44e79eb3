"""The console's accounts and sessions, in its own SQLite file (never the coordinator's database).

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile). A session is
a random 256-bit token in an HttpOnly cookie; the server keeps only its SHA-256, with its expiry and its CSRF
token, so signing out or disabling an account ends it at once (nothing to trust in the cookie but its randomness).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from motcua.errors import MotcuaError

MIN_PASSWORD_LENGTH = 10

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    officer    TEXT,
    pw_hash    TEXT NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES accounts (username),
    csrf       TEXT NOT NULL,
    counter    INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""


class Role(StrEnum):
    OFFICER = "officer"  # cán bộ một cửa: a counter's desk
    MANAGER = "manager"  # lãnh đạo bộ phận: the hall, alerts, notice, reports
    ADMIN = "admin"  # accounts (and everything a manager sees)
    PROVINCE = "province"  # chuyên viên / lãnh đạo cấp tỉnh: reads every hall's figures (the province mode only)


#: The roles of the province's console (console.toml ``mode = "province"``): officers and hall managers belong to
#: a hall's console, province accounts to the province's.
PROVINCE_ROLES = frozenset({Role.PROVINCE, Role.ADMIN})


class AccountError(MotcuaError, ValueError):
    """An account cannot be created or changed as asked (the message is for the person who asked)."""


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: Role
    officer: str | None  # the hall.toml officer id of an officer account
    disabled: bool


@dataclass(frozen=True)
class Session:
    token_hash: str
    account: Account
    csrf: str
    counter: int | None  # the counter this officer signed in to from the console
    expires_at: datetime


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class AccountStore:
    """Accounts and sessions. Thread-safe (one connection, one lock): the web server's threads share it."""

    def __init__(self, path: Path | str, *, hasher: PasswordHasher | None = None) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._hasher = hasher or PasswordHasher()  # tests pass cheaper parameters; the hall keeps the defaults
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        # verify() of an unknown user still costs one hash: the response time does not tell who exists
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- accounts ---------------------------------------------------------------------------------------

    def create(
        self, username: str, name: str, role: Role, password: str, *, officer: str | None, now: datetime
    ) -> None:
        _check_password(password)
        if role is Role.OFFICER and officer is None:
            raise AccountError("an officer account needs the officer id of hall.toml")
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO accounts (username, name, role, officer, pw_hash, created_at) VALUES (?,?,?,?,?,?)",
                    (username, name, role.value, officer, self._hasher.hash(password), now.isoformat()),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"account {username!r} already exists") from None

    def get(self, username: str) -> Account | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM accounts ORDER BY role, username").fetchall()
        return [_account(row) for row in rows]

    def by_officer(self, officer: str) -> Account | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM accounts WHERE officer = ?", (officer,)).fetchone()
        return _account(row) if row else None

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        with self._lock:
            self._db.execute(
                "UPDATE accounts SET pw_hash = ? WHERE username = ?", (self._hasher.hash(password), username)
            )
            self._db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def set_disabled(self, username: str, disabled: bool) -> None:
        with self._lock:
            self._db.execute("UPDATE accounts SET disabled = ? WHERE username = ?", (int(disabled), username))
            if disabled:  # a disabled account is signed out everywhere at once
                self._db.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def verify(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account enabled; None otherwise (same cost either way)."""
        with self._lock:
            row = self._db.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone()
        try:
            self._hasher.verify(row["pw_hash"] if row else self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or row["disabled"]:
            return None
        if self._hasher.check_needs_rehash(row["pw_hash"]):
            with self._lock:
                self._db.execute(
                    "UPDATE accounts SET pw_hash = ? WHERE username = ?", (self._hasher.hash(password), username)
                )
        return _account(row)

    # --- sessions ---------------------------------------------------------------------------------------

    def open_session(self, username: str, *, now: datetime, lifetime: timedelta) -> tuple[str, Session]:
        """A new session: returns the cookie's token (shown once, stored only hashed) and the session."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + lifetime
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(),))
            self._db.execute(
                "INSERT INTO sessions (token_hash, username, csrf, created_at, expires_at) VALUES (?,?,?,?,?)",
                (_hash_token(token), username, csrf, now.isoformat(), expires.isoformat()),
            )
        session = self.session(token, now=now)
        assert session is not None
        return token, session

    def session(self, token: str, *, now: datetime) -> Session | None:
        """The live session of this cookie token, or None (unknown, expired, revoked, account disabled)."""
        with self._lock:
            row = self._db.execute(
                "SELECT s.token_hash, s.csrf, s.counter, s.expires_at, a.* FROM sessions s "
                "JOIN accounts a ON a.username = s.username WHERE s.token_hash = ?",
                (_hash_token(token),),
            ).fetchone()
        if row is None or row["disabled"]:
            return None
        expires = datetime.fromisoformat(row["expires_at"])
        if expires <= now:
            return None
        return Session(row["token_hash"], _account(row), row["csrf"], row["counter"], expires)

    def set_counter(self, session: Session, counter: int | None) -> None:
        with self._lock:
            self._db.execute("UPDATE sessions SET counter = ? WHERE token_hash = ?", (counter, session.token_hash))

    def close_session(self, session: Session) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (session.token_hash,))

    def expire_all(self, username: str, *, at: datetime) -> None:
        """Make every session of `username` expire at `at` (tests of expiry, and an admin's 'sign out everywhere')."""
        with self._lock:
            self._db.execute("UPDATE sessions SET expires_at = ? WHERE username = ?", (at.isoformat(), username))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _account(row: sqlite3.Row) -> Account:
    return Account(
        username=row["username"],
        name=row["name"],
        role=Role(row["role"]),
        officer=row["officer"],
        disabled=bool(row["disabled"]),
    )
