"""`motcua check KIND FILE [--show]`: check a configuration file the way its service loads it.

Ansible's ``validate:`` runs it on every file it writes before the file replaces the one in place, so a bad
inventory value never reaches a running service; a technician runs it after editing a file by hand. Every error of
the file is listed at once (with "did you mean" for misspelt keys) and the exit status is 1.

``--show`` prints the effective configuration — every default filled in, relative paths resolved — as TOML, with
secrets masked: a password is printed as ``********`` and a password file is named, never read.

Each kind imports its service's package only when it is checked: a pad checks pad.toml without the kiosk's
dependencies installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from motcua.errors import ConfigError, MotcuaError

MASK = "********"
#: Setting names that hold a secret; ``*_file`` settings name where one is kept and are shown (the path only).
_SECRET_NAME = re.compile(r"password|secret|token|passphrase", re.IGNORECASE)


def _hall(path: Path, hall: Path | None) -> BaseModel:
    from motcua.hall import load_hall

    return load_hall(path)


def _catalogue(path: Path, hall: Path | None) -> BaseModel:
    from motcua.hall import CatalogueFile, load_hall, load_procedures

    if hall is None:
        raise ConfigError(f"{path}: a catalogue is checked against its hall's services: give --hall HALL_FILE")
    loaded = load_hall(hall)
    # The catalogue named on the command line stands in for the one hall.toml names (Ansible checks a temp copy).
    section = loaded.hall.model_copy(update={"procedures": path})
    procedures = load_procedures(loaded.model_copy(update={"hall": section}))
    return CatalogueFile(procedures=procedures)


def _coordinator(path: Path, hall: Path | None) -> BaseModel:
    from coordinator.main import CoordinatorConfig
    from motcua.config import load_config
    from motcua.hall import load_hall, load_procedures

    config = load_config(path, CoordinatorConfig)
    load_procedures(load_hall(config.hall))  # the service loads both at start
    return config


def _admin(path: Path, hall: Path | None) -> BaseModel:
    from motcua.config import load_config
    from motcua.tools import ToolConfig

    return load_config(path, ToolConfig)


def _pad(path: Path, hall: Path | None) -> BaseModel:
    from rating_buttons.config import load_pad_config

    return load_pad_config(path).config


def _keypad(path: Path, hall: Path | None) -> BaseModel:
    from counter_keypad.config import load_keypad_config

    return load_keypad_config(path)


def _display(path: Path, hall: Path | None) -> BaseModel:
    from queue_display.config import load_display_config

    return load_display_config(path)


def _counter_screen(path: Path, hall: Path | None) -> BaseModel:
    from counter_screen.config import load_counter_screen_config

    return load_counter_screen_config(path).config


def _kiosk(path: Path, hall: Path | None) -> BaseModel:
    from kiosk.config import KioskConfig
    from kiosk.sizes import meets_guidance
    from motcua.config import load_config

    config = load_config(path, KioskConfig)
    screen = config.screen
    if screen.diagonal_in is not None and not meets_guidance(screen.width, screen.height, screen.diagonal_in):
        # valid, but citizens would get buttons under 15 mm: said, not refused (the file still loads)
        print(
            f'{path}: warning: a {screen.diagonal_in:g}" {screen.width}x{screen.height} panel is too small for 15 mm '
            'buttons on every screen: unsupported (docs/kiosk.md, supported panels)',
            file=sys.stderr,
        )
    return config


def _console(path: Path, hall: Path | None) -> BaseModel:
    from console.config import load_console_config

    return load_console_config(path)


def _simulation(path: Path, hall: Path | None) -> BaseModel:
    from coordinator.simulate import SimulationProfile
    from motcua.config import load_config

    return load_config(path, SimulationProfile)


def _province(path: Path, hall: Path | None) -> BaseModel:
    from motcua.config import load_config
    from province.config import ProvinceConfig

    return load_config(path, ProvinceConfig)


#: Every kind of file motcua reads: name -> (what it is, how its service loads it).
KINDS: dict[str, tuple[str, Callable[[Path, Path | None], BaseModel]]] = {
    "hall": ("hall.toml: the hall, its services, counters, officers and devices", _hall),
    "catalogue": ("procedures.toml: the procedure catalogue, checked against --hall", _catalogue),
    "coordinator": ("coordinator.toml (and the hall and catalogue it names)", _coordinator),
    "admin": ("admin.toml: the `motcua counter` tool's identity on the broker", _admin),
    "pad": ("pad.toml: a counter's satisfaction pad (and its hall, when named)", _pad),
    "keypad": ("keypad.toml: an officer's calling keypad (and its hall, when named)", _keypad),
    "display": ("display.toml: the waiting-hall display and announcer", _display),
    "counter-screen": ("counter-screen.toml: the screen above a counter (and its rating tablet)", _counter_screen),
    "kiosk": ("kiosk.toml: a ticket kiosk", _kiosk),
    "console": ("console.toml: the hall's web console (and the hall it names)", _console),
    "simulation": ("simulation.toml: the simulated day of `motcua simulate` and the demo", _simulation),
    "province": ("province.toml: the provincial collector, its database and hall registry", _province),
}


def check(kind: str, path: Path, *, hall: Path | None = None) -> BaseModel:
    """Load `path` as a `kind` file the way its service does; raises `ConfigError` listing what is wrong."""
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    _, load = KINDS[kind]
    return load(path, hall)


def mask_secrets(value: Any, name: str = "") -> Any:
    """A copy of a dumped config with every secret setting replaced by `MASK` (``None`` stays ``None``)."""
    if isinstance(value, dict):
        return {key: mask_secrets(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item, name) for item in value]
    if value is not None and _SECRET_NAME.search(name) and not name.endswith("_file"):
        return MASK
    return value


def _without_none(value: Any) -> Any:
    # TOML has no null: a setting that is not set is left out, as in the file.
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value if item is not None]
    return value


def effective_toml(config: BaseModel) -> str:
    """The effective configuration as TOML: defaults filled, paths resolved, secrets masked."""
    import tomli_w

    data = mask_secrets(config.model_dump(mode="json"))
    return tomli_w.dumps(_without_none(data))


def run(kind: str, path: Path, *, hall: Path | None = None, show: bool = False) -> int:
    """The command: 0 and a one-line confirmation (or the effective config) when valid, 1 and the errors if not."""
    try:
        # Shown paths are absolute: relative ones would be read from wherever the shown text is saved.
        config = check(kind, path.absolute() if show else path, hall=hall)
    except MotcuaError as exc:
        print(exc, file=sys.stderr)
        return 1
    if show:
        print(f"# {path}: the effective {kind} configuration (defaults filled, secrets masked)")
        print(effective_toml(config), end="")
    else:
        print(f"{path}: a valid {kind} file")
    return 0


def add_parser(commands: Any) -> None:
    """Register ``check`` on the ``motcua`` command's subparsers."""
    kinds = "\n".join(f"  {name:<12} {description}" for name, (description, _) in KINDS.items())
    sub = commands.add_parser(
        "check",
        help="check a configuration file the way its service loads it (--show: the effective config)",
        description="Check a configuration file the way its service loads it: every error at once, exit status 1.",
        epilog="kinds:\n" + kinds,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub.add_argument("kind", choices=list(KINDS), metavar="KIND", help="the kind of file (see below)")
    sub.add_argument("file", type=Path, metavar="FILE")
    sub.add_argument("--show", action="store_true", help="print the effective configuration, secrets masked")
    sub.add_argument("--hall", type=Path, help="catalogue only: the hall.toml whose services it must match")
    sub.set_defaults(func=lambda args: run(args.kind, args.file, hall=args.hall, show=args.show))
