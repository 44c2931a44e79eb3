"""The console's province mode (``mode = "province"`` in console.toml): the same app's accounts, sign-in, CSRF,
language option, layout and static files (`console.common`), with the province's pages instead of a hall's:

- /halls (Các đơn vị): every hall of the registry, online or offline and since when, today's figures by unit;
- /alerts (Cảnh báo): halls offline too long, with events missing, or less satisfied today than the threshold;
- /reports (Báo cáo): `motcua report --province`'s own files for a week, a month or chosen days, and an HTML view
  of its summary per hall and per unit.

Nothing here spells SQL: the figures come from `province.view` (read-only queries) and the report package.
No page needs a coordinator: the officers' and hall managers' pages exist only in the hall mode; the admin's
accounts page is the hall console's, offering the province's roles.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from console.accounts import PROVINCE_ROLES, Role, Session
from console.common import ConsoleBase, account_routes, shared_routes, sign_out
from console.provincial import (
    SORTS,
    Alert,
    HallRow,
    Thresholds,
    UnitGroup,
    alerts,
    by_unit,
    hall_rows,
    pct,
    sort_rows,
)
from console.web import SecurityHeaders
from coordinator.report.labels import number
from motcua.errors import MotcuaError
from motcua.hall import HallConfig
from province import view
from province.config import ProvinceConfig

logger = logging.getLogger(__name__)

#: Who may read the province's pages: its viewers and managers, and the admin.
READERS = PROVINCE_ROLES
PUBLIC_PATHS = frozenset({"/login", "/static", "/lang"})
PERIODS = ("week", "month", "custom")
DB_DOWN = "Không đọc được cơ sở dữ liệu của tỉnh. Vui lòng thử lại sau ít phút."
DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Snapshot:
    """The halls page's and the alerts page's figures, read once (and kept `cache_s`)."""

    now: datetime
    rows: list[HallRow]
    units: list[UnitGroup]
    alerts: list[Alert]


@dataclass(kw_only=True)
class ProvinceConsole(ConsoleBase):
    """The province's console: its accounts (`ConsoleBase`) and province.toml (DSN, registry, halls' files)."""

    province_path: Path  # the collector's province.toml, as `motcua report --province` is given it
    province: ProvinceConfig
    halls: dict[str, HallConfig]  # by site: the halls with a hall.toml copy (their figures can be computed)
    thresholds: Thresholds = field(default_factory=Thresholds)
    refresh_s: float = 30.0
    cache_s: float = 15.0  # a reading younger than this is shown as it is; older, it is read again meanwhile
    _cached: tuple[float, Snapshot] | None = field(default=None, init=False)
    _refreshing: bool = field(default=False, init=False)
    _failed_at: datetime | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _read_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        first = next(iter(self.halls.values()), None)
        self.zone = first.hall.zone if first else DEFAULT_ZONE
        self.templates.globals.update(
            mode="province",
            site_name=self.province.province or "Cổng tỉnh",
            when=self.when,
            pct=pct,
            num=number,
            minutes_since=minutes_since,
            zone=self.zone,
        )

    def when(self, moment: datetime | None, now: datetime | None = None) -> str:
        """The time for people: "08:12" today, "08:12 27/11/2026" another day, in the province's zone."""
        if moment is None:
            return "—"
        local = moment.astimezone(self.zone)
        today = (now or self.clock.now()).astimezone(self.zone).date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%H:%M %d/%m/%Y")

    def snapshot(self) -> Snapshot:
        """The latest reading of the registry and today's figures. Older than `cache_s`, it is still returned (its
        time is on the page) while a background thread reads the next one: no page waits for a province-wide read
        but the very first. `cache_s` = 0: read now, every time (tests)."""
        if self.cache_s <= 0:
            return self._read()
        with self._lock:
            cached = self._cached
            if cached is not None and time.monotonic() - cached[0] >= self.cache_s and not self._refreshing:
                self._refreshing = True
                threading.Thread(target=self._refresh, name="province-figures", daemon=True).start()
        if cached is not None:
            return cached[1]
        with self._read_lock:  # the first readers wait for one reading, not one each
            if self._cached is not None:
                return self._cached[1]
            return self._read()

    @property
    def read_failed_at(self) -> datetime | None:
        """When the last background reading failed (the page then says its figures are older)."""
        return self._failed_at

    def _read(self) -> Snapshot:
        now = self.clock.now()
        started = time.monotonic()
        with view.connect(self.province.database.dsn) as conn:
            states = view.hall_states(conn)
            reports, failed = view.today_reports(conn, self.halls, now)
        entries = {entry.site: entry for entry in self.province.halls}
        rows = hall_rows(entries, states, reports, failed)
        snapshot = Snapshot(now, rows, by_unit(rows, reports), alerts(rows, now, self.thresholds))
        took = time.monotonic() - started
        logger.log(
            logging.INFO if took > 5 else logging.DEBUG, "province figures of %d halls read in %.2f s", len(rows), took
        )
        with self._lock:
            self._cached = (time.monotonic(), snapshot)
            self._failed_at = None
        return snapshot

    def _refresh(self) -> None:
        try:
            with self._read_lock:
                self._read()
        except (psycopg.Error, MotcuaError) as exc:
            logger.warning("province figures not refreshed: %s", str(exc).strip().splitlines()[0] if str(exc) else exc)
            self._failed_at = self.clock.now()
        finally:
            with self._lock:
                self._refreshing = False

    def report_files(self, period: str, on: str | None, first: str | None, last: str | None, lang: str) -> list[Path]:
        """`motcua report --province`'s own run, into a fresh folder the caller reads and removes."""
        from province import cli

        argv = ["--province", str(self.province_path), "--lang", lang]
        if period == "custom":
            argv += ["--from", first or "", "--to", last or ""]
        else:
            argv += ["--period", period] + (["--date", on] if on else [])
        folder = Path(tempfile.mkdtemp(prefix="motcua-province-report-"))
        try:
            return cli.run(cli.build_parser().parse_args([*argv, "--out", str(folder)]))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise


def create_province_app(console: ProvinceConsole) -> Starlette:
    guard = console.guard

    @guard(READERS)
    async def home(request: Request, session: Session) -> Response:
        return RedirectResponse("/halls", status_code=303)

    @guard(READERS)
    async def logout(request: Request, session: Session) -> Response:
        return sign_out(console, session)

    async def figures(request: Request, session: Session, template: str) -> Response:
        sort = request.query_params.get("sort", "unit")
        sort = sort if sort in SORTS else "unit"
        try:
            snapshot = await run_in_threadpool(console.snapshot)
        except psycopg.Error as exc:
            logger.warning("province database unreadable: %s", str(exc).strip().splitlines()[0] if str(exc) else exc)
            return console.render("error.html", request, session, status=503, message=DB_DOWN)
        return console.render(
            template,
            request,
            session,
            view=snapshot,
            refresh_s=int(console.refresh_s),
            thresholds=console.thresholds,
            failed_at=console.read_failed_at,
            sort=sort,
            sorted_rows=sort_rows(snapshot.rows, sort),
        )

    @guard(READERS)
    async def halls_page(request: Request, session: Session) -> Response:
        return await figures(request, session, "province_halls.html")

    @guard(READERS)
    async def halls_live(request: Request, session: Session) -> Response:
        return await figures(request, session, "province_halls_live.html")

    @guard(READERS)
    async def alerts_page(request: Request, session: Session) -> Response:
        return await figures(request, session, "province_alerts.html")

    @guard(READERS)
    async def alerts_live(request: Request, session: Session) -> Response:
        return await figures(request, session, "province_alerts_live.html")

    def ask(request: Request) -> tuple[str, str | None, str | None, str | None, str] | None:
        """The report's period from the query, or None if it is not one (dates must be YYYY-MM-DD)."""
        query = request.query_params
        period = query.get("period", "week")
        lang = "en" if query.get("lang") == "en" else "vi"
        on, first, last = (query.get(name, "").strip() or None for name in ("date", "from", "to"))
        if period not in PERIODS:
            return None
        for value in (on, first, last):
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    return None
        if period == "custom" and (first is None or last is None):
            return None
        return period, on, first, last, lang

    async def run_report(request: Request, session: Session) -> list[Path] | Response:
        asked = ask(request)
        query = request.query_params
        if asked is None:
            return console.render(
                "province_reports.html", request, session, status=400, query=query, error="Yêu cầu không hợp lệ.",
                table=None,
            )  # fmt: skip
        try:
            return await run_in_threadpool(console.report_files, *asked)
        except (MotcuaError, psycopg.Error, ValueError, KeyError) as exc:
            logger.info("province report refused: %s", exc)
            return console.render(
                "province_reports.html", request, session, status=404, query=query,
                error="Không lập được báo cáo: {reason}", reason=str(exc), table=None,
            )  # fmt: skip

    @guard(READERS)
    async def reports_page(request: Request, session: Session) -> Response:
        query = request.query_params
        if "period" not in query:
            return console.render("province_reports.html", request, session, query=query, error=None, table=None)
        files = await run_report(request, session)
        if isinstance(files, Response):
            return files
        try:
            halls_csv = next(p for p in files if p.name.endswith("-halls.csv"))
            with halls_csv.open(encoding="utf-8-sig", newline="") as handle:
                table = list(csv.reader(handle))
        finally:
            _remove(files)
        logger.info("%s viewed the province report %s", session.account.username, halls_csv.name)
        return console.render(
            "province_reports.html", request, session, query=query, error=None, table=table, file=halls_csv.name
        )

    @guard(READERS)
    async def report_file(request: Request, session: Session) -> Response:
        files = await run_report(request, session)
        if isinstance(files, Response):
            return files
        buffer = BytesIO()
        try:
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in files:
                    archive.write(path, path.name)
        finally:
            _remove(files)
        stem = files[0].name.removesuffix("-halls.csv")
        logger.info("%s downloaded the province report %s", session.account.username, stem)
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{stem}-csv.zip"', "Cache-Control": "no-store"},
        )

    routes: list[BaseRoute] = [
        *shared_routes(console),
        *account_routes(console, roles=(Role.PROVINCE, Role.ADMIN), officers=()),
        Route("/", home, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/halls", halls_page, methods=["GET"]),
        Route("/halls/live", halls_live, methods=["GET"]),
        Route("/alerts", alerts_page, methods=["GET"]),
        Route("/alerts/live", alerts_live, methods=["GET"]),
        Route("/reports", reports_page, methods=["GET"]),
        Route("/reports/file", report_file, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityHeaders, https=console.https)
    app.state.console = console
    return app


def _remove(files: list[Path]) -> None:
    if files:
        shutil.rmtree(files[0].parent, ignore_errors=True)


def minutes_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment) / timedelta(minutes=1)))
