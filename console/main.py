"""`motcua console --config console.toml`: the hall's web console; `motcua console create-admin ...`: the first
admin account (the password comes from stdin or a file, never the command line, which `ps` shows)."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from console.accounts import PROVINCE_ROLES, AccountError, AccountStore, Role
from console.config import ConsoleConfig, ProvinceConsoleConfig, load_console_config, read_console_config
from motcua.clock import clock_from_env
from motcua.config import load_config
from motcua.hall import load_hall, load_procedures

logger = logging.getLogger(__name__)


def build(config: ConsoleConfig):  # type: ignore[no-untyped-def]
    """The app and its parts (nothing started): used by `serve` and by the tests."""
    from console.alerts import AlertRules
    from console.app import Console, create_app
    from console.figures import Figures
    from console.link import HallLink
    from console.web import LoginLimiter

    hall = load_hall(config.hall)
    clock = clock_from_env()
    link = HallLink(
        config.mqtt,
        device=config.device.id,
        site=config.device.site,
        clock=clock,
        timeout_s=config.web.command_timeout_s,
    )
    web = config.web
    console = Console(
        hall=hall,
        link=link,
        accounts=AccountStore(config.accounts),
        figures=Figures(config.database, hall),
        clock=clock,
        https=web.https,
        session_lifetime=timedelta(hours=web.session_hours),
        limiter=LoginLimiter(web.login_failures_per_account, web.login_failures_per_address, web.login_window_min * 60),
        procedure_names={p.code: p.name for p in load_procedures(hall)},
        alert_rules=AlertRules(**config.alerts.model_dump()),
        hall_path=config.hall,
    )
    return console, create_app(console)


def build_province(config: ProvinceConsoleConfig):  # type: ignore[no-untyped-def]
    """The province mode's app and its parts (nothing started)."""
    from console.province_app import ProvinceConsole, create_province_app
    from console.provincial import Thresholds
    from console.web import LoginLimiter
    from province.config import ProvinceConfig

    province = load_config(config.province.config, ProvinceConfig)
    web = config.web
    console = ProvinceConsole(
        accounts=AccountStore(config.accounts),
        clock=clock_from_env(),
        https=web.https,
        session_lifetime=timedelta(hours=web.session_hours),
        limiter=LoginLimiter(web.login_failures_per_account, web.login_failures_per_address, web.login_window_min * 60),
        province_path=config.province.config,
        province=province,
        halls={e.site: load_hall(e.hall) for e in province.halls if e.hall is not None},
        thresholds=Thresholds(**config.alerts.model_dump()),
        refresh_s=config.refresh_s,
    )
    return console, create_province_app(console)


def serve(config_path: Path) -> int:
    import uvicorn

    config = load_console_config(config_path)
    if isinstance(config, ProvinceConsoleConfig):
        console, app = build_province(config)
        what = f"the province {console.province.province!r} ({len(console.province.halls)} halls)"
        stop = console.accounts.close
    else:
        console, app = build(config)
        console.link.start()
        what = console.hall.hall.site

        def stop() -> None:
            console.link.stop()
            console.accounts.close()

    web = config.web
    scheme = "https" if web.https else "http"
    logger.info("console for %s on %s://%s:%d", what, scheme, web.host, web.port)
    server = _server_class()(
        uvicorn.Config(
            app,
            host=web.host,
            port=web.port,
            ssl_certfile=str(web.tls_cert) if web.tls_cert else None,
            ssl_keyfile=str(web.tls_key) if web.tls_key else None,
            log_config=None,  # motcua's logging; uvicorn's access log has the path and status, never a form body
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,  # live streams never end on their own
        )
    )
    try:
        server.run()  # handles SIGTERM and SIGINT
    finally:
        stop()
    return 0


def _server_class() -> type[Any]:
    """uvicorn's Server, except that SIGTERM/SIGINT only stop it: uvicorn re-raises the signal once it has shut
    down, which would kill the process before the console sends its offline status and closes its database."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return Server


def create_account(args: argparse.Namespace) -> int:
    config = read_console_config(args.config)
    if args.password_file:
        password = args.password_file.read_text(encoding="utf-8").strip()
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().strip()
    role = Role(args.role)
    officer = args.officer
    if isinstance(config, ProvinceConsoleConfig):
        if role not in PROVINCE_ROLES or officer is not None:
            print("motcua console: the province's console has only province and admin accounts", file=sys.stderr)
            return 2
    elif role is Role.PROVINCE:
        print("motcua console: a province account belongs to the province's console (mode = \"province\")",
              file=sys.stderr)  # fmt: skip
        return 2
    elif officer is not None:
        known = {o.id for o in load_hall(config.hall).officers}
        if officer not in known:
            print(f"motcua console: officer {officer!r} is not in hall.toml", file=sys.stderr)
            return 2
    store = AccountStore(config.accounts)
    try:
        store.create(args.username, args.name, role, password, officer=officer, now=clock_from_env().now())
    except AccountError as exc:
        print(f"motcua console: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"created {role.value} account {args.username!r}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="motcua console", description="The hall's web console, or the province's (mode = \"province\")."
    )
    parser.add_argument("--config", type=Path, required=True, help="console.toml")
    commands = parser.add_subparsers(dest="command")
    for name, role in (("create-admin", "admin"), ("create-account", None)):
        sub = commands.add_parser(name, help=f"create {'the first admin' if role else 'an'} account")
        sub.add_argument("--username", required=True)
        sub.add_argument("--name", required=True)
        if role is None:
            sub.add_argument("--role", choices=[r.value for r in Role], required=True)
            sub.add_argument("--officer", help="the officer id in hall.toml (role officer)")
        else:
            sub.set_defaults(role=role, officer=None)
        sub.add_argument("--password-file", type=Path, help="read the password from this file (else stdin)")
    args = parser.parse_args(argv)
    if args.command is None:
        return serve(args.config)
    return create_account(args)
