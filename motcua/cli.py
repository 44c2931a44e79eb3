"""The `motcua` command: one entry point, a subcommand per service or tool.

Each subcommand imports its package only when it runs, so a pad (no OpenCV, no pygame) runs `motcua pad`
without the kiosk's dependencies installed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from motcua import __version__
from motcua.errors import MotcuaError
from motcua.log import setup_logging

logger = logging.getLogger("motcua")


def _service(module: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        entry = importlib.import_module(module)
        result: int = entry.run(args.config)
        return result

    return run


def _tool(module: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        entry = importlib.import_module(module)
        result: int = entry.main(args.rest)
        return result

    return run


#: Long-running services: `motcua NAME --config FILE` -> MODULE.run(config).
SERVICES = {
    "coordinator": ("coordinator.main", "run the hall's coordinator (queue, tickets, ratings)"),
    "kiosk": ("kiosk.main", "run a ticket kiosk (touchscreen, printer, QR scanner)"),
    "pad": ("rating_buttons.main", "run a counter's 3-button satisfaction pad"),
    "keypad": ("counter_keypad.main", "run an officer's calling keypad"),
    "display": ("queue_display.main", "run the waiting-hall display and announcer"),
    "counter-screen": ("counter_screen.main", "run the screen above a counter (and its touch rating tablet)"),
    "province": ("province.main", "run the provincial collector (every hall's events into PostgreSQL)"),
}

#: Tools with their own options: `motcua NAME ...` -> MODULE.main(argv).
TOOLS = {
    "report": ("coordinator.report.cli", "satisfaction and queue reports (HTML, CSV); --province: every hall"),
    "simulate": ("coordinator.simulate", "simulate a day of the hall (staffing, estimated wait accuracy)"),
    "bookings": ("coordinator.booking_import", "import the day's bookings from the booking system (CSV, JSON)"),
    "demo": ("demo.main", "the whole hall on this machine with simulated hardware"),
    "qr-sheets": ("kiosk.sheets", "printable A4 procedure sheets with their QR codes"),
    "voice": ("queue_display.voice", "generate the Vietnamese announcement clips"),
    "console": ("console.main", "the hall's web console for officers and managers (and create-admin)"),
}


def _broker_generate(args: argparse.Namespace) -> int:
    from motcua.broker import TlsFiles, generate
    from motcua.hall import load_hall

    hall = load_hall(args.hall)
    tls = TlsFiles(cert=args.tls_cert, key=args.tls_key, ca=args.tls_ca) if args.tls_cert else None
    files = generate(
        hall,
        args.out,
        bind_address=args.bind,
        port=args.port,
        tools_port=args.tools_port,
        persistence_location=args.persistence,
        log_dest=args.log_dest,
        tls=tls,
        run_as_user=args.user,
    )
    print(f"wrote {files.config}, {files.passwd}, {files.acl} and device passwords in {files.credentials}/")
    # Read by Ansible (roles/mosquitto): "changed: ..." only when a file's content really changed.
    print("changed: " + ", ".join(p.name for p in files.changed) if files.changed else "unchanged")
    return 0


def _broker_bridge(args: argparse.Namespace) -> int:
    from motcua.broker import bridge_config
    from motcua.hall import load_hall

    hall = load_hall(args.hall)
    password = args.remote_password_file.read_text(encoding="utf-8").strip()
    text = bridge_config(
        hall,
        remote_address=args.remote,
        remote_username=args.remote_user,
        remote_password=password,
        ca_file=args.ca,
        insecure_plaintext=args.insecure_plaintext,
    )
    args.out.write_text(text, encoding="utf-8")
    args.out.chmod(0o640)
    print(f"wrote {args.out}")
    return 0


def _counter_command(args: argparse.Namespace) -> int:
    from motcua.tools import send_counter_command

    return send_counter_command(args.config, args.counter, args.action, officer=args.officer, service=args.service)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="Devices of a one-stop public-service hall.")
    parser.add_argument("--version", action="version", version=f"motcua {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, (module, help_text) in SERVICES.items():
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--config", type=Path, required=True, help="the service's TOML configuration file")
        sub.set_defaults(func=_service(module))
    for name, (module, help_text) in TOOLS.items():
        sub = commands.add_parser(name, help=help_text, add_help=False)
        sub.set_defaults(func=_tool(module))

    broker = commands.add_parser("broker", help="generate the hall broker's config, users and ACL")
    broker_commands = broker.add_subparsers(dest="broker_command", required=True)
    gen = broker_commands.add_parser("generate", help="mosquitto.conf, passwd, acl and device passwords")
    gen.add_argument("--hall", type=Path, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--bind", default="0.0.0.0")  # noqa: S104 - the hall LAN, behind the firewall
    gen.add_argument("--port", type=int, default=1883)
    gen.add_argument(
        "--tools-port", type=int, default=None, help="a listener on 127.0.0.1 for the hall's tools (admin users) only"
    )
    gen.add_argument("--persistence", type=Path, default=None)
    gen.add_argument("--log-dest", default="syslog")
    gen.add_argument("--user", default="mosquitto", help="the account Mosquitto runs as")
    gen.add_argument("--tls-cert", type=Path)
    gen.add_argument("--tls-key", type=Path)
    gen.add_argument("--tls-ca", type=Path)
    gen.set_defaults(func=_broker_generate)
    bridge = broker_commands.add_parser("bridge", help="the bridge section towards the provincial broker")
    bridge.add_argument("--hall", type=Path, required=True)
    bridge.add_argument("--remote", required=True, help="host:port of the provincial broker")
    bridge.add_argument("--remote-user", required=True)
    bridge.add_argument("--remote-password-file", type=Path, required=True)
    bridge.add_argument("--ca", type=Path, help="the provincial broker's CA certificate (TLS): required")
    bridge.add_argument(
        "--insecure-plaintext",
        action="store_true",
        help="bridge WITHOUT TLS: the hall's password and data cross the network in clear",
    )
    bridge.add_argument("--out", type=Path, required=True)
    bridge.set_defaults(func=_broker_bridge)

    counter = commands.add_parser("counter", help="send a command to a counter (officer sign-in, pause, ...)")
    counter.add_argument("--config", type=Path, required=True, help="a tool config with [device] and [mqtt]")
    counter.add_argument("counter", type=int)
    counter.add_argument(
        "action", choices=["next", "recall", "no_show", "transfer", "pause", "resume", "finish", "sign_in", "sign_out"]
    )
    counter.add_argument("--officer")
    counter.add_argument("--service")
    counter.set_defaults(func=_counter_command)

    from motcua.check import add_parser as add_check

    add_check(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in TOOLS:
        args.rest = rest
        if args.command == "report" and any(a == "--province" or a.startswith("--province=") for a in rest):
            args.func = _tool("province.cli")  # the province's report: every hall, from PostgreSQL
    elif rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    setup_logging(args.log_level)
    try:
        result: int = args.func(args)
        sys.stdout.flush()  # a reader that went away shows here, not as a traceback at exit
        return result
    except BrokenPipeError:
        if args.command in SERVICES:
            raise
        # `motcua voice --list | head -1`: stop quietly, as command-line tools do, and let nothing more reach the
        # closed pipe (Python flushes stdout again at exit); the exit status of a process killed by SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except MotcuaError as exc:
        # Configuration and contract errors are for a person to read, not a traceback.
        print(f"motcua: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
