"""GPIO pieces shared by the counter devices (the satisfaction pad and the officer's keypad).

- `GpioSection`: the ``[gpio]`` config section — which gpiozero pin factory drives the pins.
- `BcmPin` and `check_distinct_pins`: pin numbers are checked when the config is loaded, not when a wire smokes.
- `edge_time`: the time of a button's edge, read from gpiozero in one place.
- `EdgeFilter`: debounce on press timestamps, in our code (gpiozero's ``bounce_time`` is unreliable on real pins
  and ignored by mock pins, see docs/developing.md).
- `Steady` / `Blink` / `LightPattern` and `LightDriver`: named LED patterns as data (the domain decides *which*
  pattern, tests read it) applied to gpiozero PWM LEDs, a buzzer optional.

gpiozero is imported only inside functions: the rest of motcua does not depend on it, and nothing touches a pin at
import time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol, TypeVar

from pydantic import AfterValidator, model_validator

from motcua.config import ConfigPath, DeviceSection, MqttSettings, Problems, Section, load_config
from motcua.contract import CounterNumber
from motcua.errors import ConfigError, MotcuaError

if TYPE_CHECKING:
    from motcua.hall import HallConfig

logger = logging.getLogger(__name__)

#: GPIO numbers (BCM) brought out on the 40-pin header of every Raspberry Pi since the B+.
HEADER_GPIOS = range(2, 28)


class GpioSetupError(MotcuaError, RuntimeError):
    """The GPIO pins could not be opened (no pin library, pin busy, not a Raspberry Pi)."""


def _bcm(value: int) -> int:
    if value not in HEADER_GPIOS:
        raise ValueError(
            f"GPIO {value} is not on the 40-pin header: use a BCM GPIO number from 2 to 27 (not a physical pin number)"
        )
    return value


#: A BCM GPIO number of the 40-pin header ("GPIO17", physical pin 11, is ``17``).
BcmPin = Annotated[int, AfterValidator(_bcm)]


class GpioSection(Section):
    """``[gpio]``: ``factory = "default"`` lets gpiozero choose (honouring ``GPIOZERO_PIN_FACTORY``, set it to
    ``lgpio`` on devices so a missing library fails loudly); ``"mock"`` simulates the pins (demo, tests)."""

    factory: Literal["default", "mock"] = "default"


def check_distinct_pins(pins: Mapping[str, int | None]) -> None:
    """Raise ValueError naming both uses when one GPIO is given twice (``buttons.satisfied`` and ``leds.neutral``);
    every such GPIO is named at once."""
    problems = pin_conflicts(pins)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))


def pin_conflicts(pins: Mapping[str, int | None]) -> list[tuple[str, str]]:
    """(setting, message) for each GPIO given again after its first use, e.g. ("leds.neutral", "GPIO 17 is used
    twice: by buttons.satisfied and by leds.neutral")."""
    seen: dict[int, str] = {}
    problems = []
    for name, pin in pins.items():
        if pin is None:
            continue
        if pin in seen:
            problems.append((name, f"GPIO {pin} is used twice: by {seen[pin]} and by {name}"))
        seen[pin] = name
    return problems


def open_pin_factory(section: GpioSection) -> Any:
    """The pin factory to pass as ``pin_factory=``: None for gpiozero's default, a `MockFactory` with PWM pins for
    ``"mock"``."""
    if section.factory == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        return MockFactory(pin_class=MockPWMPin)
    return None


def gpio_error(exc: Exception, what: str) -> GpioSetupError:
    """A readable start-up error for a gpiozero failure (no pin library, pin in use)."""
    hint = ""
    name = type(exc).__name__
    if name == "BadPinFactory":
        hint = (
            " — no GPIO library found: on the Pi install python3-lgpio (apt) and set GPIOZERO_PIN_FACTORY=lgpio; "
            'on a PC use [gpio] factory = "mock"'
        )
    elif name == "GPIOPinInUse":
        hint = " — another program (or another motcua service) already uses this pin"
    return GpioSetupError(f"cannot open {what}: {exc}{hint}")


# --- debounce --------------------------------------------------------------------------------------------------

_fallback_logged = False


def edge_time(device: Any, active: bool) -> float:
    """When `device`'s latest edge happened, in seconds on the pin factory's clock (monotonic for lgpio and mock
    pins). Call it from the device's ``when_activated`` / ``when_deactivated`` handler (`active`: which one).

    gpiozero stores each edge's own timestamp (lgpio: the kernel's) before it calls the handler, but only in the
    private ``_last_changed``. The public ``active_time`` / ``inactive_time`` give it relative to *now*, off by however
    long this thread was descheduled between two clock reads: on a busy Pi Zero enough to turn a 0.5 ms gap into a
    false bounce. So the private attribute is read here and nowhere else; tests/test_gpio.py fails as soon as a
    gpiozero release changes it, and meanwhile a missing attribute falls back to the public API (logged once).
    """
    at = getattr(device, "_last_changed", None)
    if isinstance(at, float):
        return at
    global _fallback_logged
    if not _fallback_logged:
        _fallback_logged = True
        logger.error(
            "gpiozero %s keeps no edge time in _last_changed: edge times now come from active_time/inactive_time "
            "(less exact under load; see motcua.gpio.edge_time)",
            _gpiozero_version(),
        )
    held = device.active_time if active else device.inactive_time
    return time.monotonic() - (held if isinstance(held, float) else 0.0)


def _gpiozero_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gpiozero")
    except PackageNotFoundError:
        return "(unknown version)"


@dataclass
class EdgeFilter:
    """Debounce on timestamps (seconds, monotonic).

    A press edge that comes less than `debounce_s` after the previous *release* edge of the same input is contact
    bounce (the contacts chattering as they close or open), not a new press. Only that gap is measured: a finger
    cannot release and press again within a millisecond, a bouncing contact does nothing else.
    """

    debounce_s: float
    _released_at: dict[str, float] = field(default_factory=dict)
    _down: dict[str, bool] = field(default_factory=dict)
    bounces: int = 0

    def press(self, name: str, at: float) -> bool:
        """A press edge on `name` at `at`: True if it is a real press."""
        released = self._released_at.get(name)
        if self._down.get(name, False) or (released is not None and at - released < self.debounce_s):
            self.bounces += 1
            self._down[name] = True
            return False
        self._down[name] = True
        return True

    def release(self, name: str, at: float) -> None:
        self._down[name] = False
        self._released_at[name] = at


# --- light patterns --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Steady:
    """An LED at a constant brightness (0 = off, 1 = full)."""

    value: float = 1.0


@dataclass(frozen=True)
class Blink:
    """An LED blinking: `on_s` lit, `off_s` dark, with optional fades; ``n`` times or forever (None)."""

    on_s: float
    off_s: float
    n: int | None = None
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0


def pulse(period_s: float, n: int | None = None) -> Blink:
    """A slow breathing light: fades in and out over `period_s`."""
    return Blink(0.0, 0.0, n, fade_in_s=period_s / 2, fade_out_s=period_s / 2)


LedSpec = Steady | Blink


@dataclass(frozen=True)
class Beep:
    """The buzzer: `on_s` sounding, `off_s` silent, `n` times."""

    on_s: float
    off_s: float = 0.1
    n: int = 1


@dataclass(frozen=True)
class LightPattern:
    """What the LEDs (and buzzer) of a device show; `name` is what logs, status and tests refer to."""

    name: str
    leds: Mapping[str, LedSpec]
    beep: Beep | None = None
    seq: int = 0  # feedback shown again (a second call) gets a new number, so it is shown (and beeps) again

    def describe(self) -> dict[str, Any]:
        return {"pattern": self.name, "leds": {k: describe_spec(v) for k, v in self.leds.items()}}


def describe_spec(spec: LedSpec) -> str:
    if isinstance(spec, Steady):
        return "off" if spec.value == 0 else ("on" if spec.value >= 1 else f"dim {spec.value:g}")
    if spec.on_s == 0 and spec.off_s == 0:
        return "pulse" if spec.n is None else f"pulse x{spec.n}"
    return "blink" if spec.n is None else f"blink x{spec.n}"


class LightDriver:
    """Applies `LightPattern`s to gpiozero PWM LEDs (by name) and an optional buzzer.

    LEDs that share one animation are driven by their `LEDBoard` so they blink in step; a pattern is applied only
    when it differs from the one shown (re-applying would restart a blink and make it stutter).
    """

    def __init__(self, board: Any, names: Iterable[str], buzzer: Any | None = None) -> None:
        self.board = board
        self.names = tuple(names)
        self.buzzer = buzzer
        self.current: LightPattern | None = None

    def show(self, pattern: LightPattern) -> bool:
        """Show `pattern`; False if it was already shown."""
        if pattern == self.current:
            return False
        self.current = pattern
        specs = {name: pattern.leds.get(name, Steady(0.0)) for name in self.names}
        animated = {spec for spec in specs.values() if isinstance(spec, Blink)}
        if len(self.names) > 1 and len(animated) == 1 and all(isinstance(s, Blink) for s in specs.values()):
            shared = next(iter(animated))
            self.board.blink(shared.on_s, shared.off_s, shared.fade_in_s, shared.fade_out_s, shared.n)
        else:
            for name, spec in specs.items():
                led = getattr(self.board, name)
                if isinstance(spec, Steady):
                    led.value = spec.value
                else:
                    led.blink(spec.on_s, spec.off_s, spec.fade_in_s, spec.fade_out_s, spec.n)
        if self.buzzer is not None and pattern.beep is not None:
            beep = pattern.beep
            self.buzzer.beep(beep.on_s, beep.off_s, beep.n)
        logger.debug("lights: %s", pattern.name)
        return True

    def values(self) -> dict[str, float]:
        """Each LED's brightness right now."""
        return {name: round(float(getattr(self.board, name).value), 3) for name in self.names}

    def close(self) -> None:
        """Lights off, pins released. Safe to call twice."""
        for device in (self.buzzer, self.board):
            if device is None:
                continue
            try:
                device.close()
            except Exception:  # a half-opened device must not stop the others from closing
                logger.debug("closing %r failed", device, exc_info=True)


def trim_mock_history(factory: Any, keep: int = 200) -> None:
    """Mock pins keep every state change in ``pin.states``; a long demo with pulsing LEDs would grow it without
    end. Keep the last `keep` entries."""
    pins = getattr(factory, "pins", None)
    if not pins:
        return
    for pin in list(pins.values()):
        states = getattr(pin, "states", None)
        if isinstance(states, list) and len(states) > 5 * keep:
            del states[:-keep]


def press_mock(pin: Any, hold_s: float = 0.0) -> None:
    """Press and release a button wired to a mock pin (the demo's and tests' ``press``/``hold``)."""
    if not hasattr(pin, "drive_low"):
        raise RuntimeError("only simulated (mock) buttons can be pressed remotely")
    pin.drive_low()
    if hold_s > 0:
        time.sleep(hold_s)
    pin.drive_high()


def close_devices(*devices: Any) -> None:
    """Close gpiozero devices, any of them None, none of their errors stopping the others."""
    for device in devices:
        if device is None:
            continue
        try:
            device.close()
        except Exception:
            logger.debug("closing %r failed", device, exc_info=True)


class ControlledAgent(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def control(self, words: list[str]) -> dict[str, Any]: ...


def run_agent(agent: ControlledAgent, control_socket: Path | None) -> int:
    """Run a GPIO agent until SIGTERM, with the simulated buttons' control socket when it has one."""
    from motcua.runtime import run_until_stopped

    control = None
    if control_socket is not None:  # simulated pins only (the demo, end-to-end tests); a device never imports it
        from motcua.simcontrol import ControlServer

        control = ControlServer(control_socket, agent.control)

    def start() -> None:
        try:
            agent.start()
            if control is not None:
                control.start()
        except Exception:
            agent.stop()
            raise

    def stop() -> None:
        if control is not None:
            control.stop()
        agent.stop()

    return run_until_stopped(start, stop)


class SimulationSection(Section):
    """``[simulation]``: with ``[gpio] factory = "mock"``, a Unix socket through which the demo and end-to-end
    tests press the simulated buttons (`motcua.simcontrol`)."""

    control_socket: ConfigPath | None = None


def check_simulation(gpio: GpioSection, simulation: SimulationSection) -> None:
    if simulation.control_socket is not None and gpio.factory != "mock":
        raise ValueError('simulation.control_socket needs [gpio] factory = "mock" (real buttons are pressed by hand)')


class CounterDeviceConfig(Section):
    """What pad.toml and keypad.toml share: who the device is, the counter it belongs to, the hall that checks it,
    the pin factory and the simulation socket. Each adds its pins' sections and lists them in `pins`."""

    device: DeviceSection
    mqtt: MqttSettings = MqttSettings()
    counter: CounterNumber  # quầy số
    hall: ConfigPath | None = None  # hall.toml: checks the counter (and, for the pad, gives the button labels)
    gpio: GpioSection = GpioSection()
    simulation: SimulationSection = SimulationSection()

    def pins(self) -> dict[str, int | None]:
        """Every GPIO of the device by setting name (``buttons.satisfied``), None for an optional one left out."""
        return {}

    def wiring_problems(self) -> list[tuple[tuple[int | str, ...], str]]:
        """(setting path, message) for each problem of the device's own sections (the pad: an LED per button)."""
        return []

    @model_validator(mode="after")
    def _check_pins(self) -> CounterDeviceConfig:
        problems = Problems("device")  # every problem at once, each under its setting
        for name, message in pin_conflicts(self.pins()):
            problems.add(tuple(name.split(".")), message)
        try:
            check_simulation(self.gpio, self.simulation)
        except ValueError as exc:
            problems.add(("simulation", "control_socket"), str(exc))
        for where, message in self.wiring_problems():
            problems.add(where, message)
        problems.raise_if_any()
        return self


D = TypeVar("D", bound=CounterDeviceConfig)


def load_counter_device_config(
    path: Path | str, model: type[D], role: Literal["pad", "keypad"]
) -> tuple[D, HallConfig | None]:
    """Read and check a pad or keypad config and, when it names one, check it against its hall (returned)."""
    config = load_config(path, model)
    if config.hall is None:
        logger.warning("%s: no 'hall' file given; counter %d is not checked against the hall", path, config.counter)
        return config, None
    hall = check_hall_registration(
        path, config.hall, device=config.device.id, site=config.device.site, counter=config.counter, role=role
    )
    return config, hall


def check_hall_registration(
    source: Path | str,
    hall_path: Path,
    *,
    device: str,
    site: str,
    counter: int,
    role: Literal["pad", "keypad", "counter_screen"],
) -> HallConfig:
    """Check a counter device's config against the hall's own description (hall.toml): the counter exists, the
    device is registered there for that counter (else the broker's ACL refuses it), the site matches."""
    from motcua.hall import load_hall

    hall = load_hall(hall_path)
    problems = []
    if hall.hall.site != site:
        problems.append(f"device.site: {site!r} is not the site of {hall_path} ({hall.hall.site!r})")
    numbers = [c.number for c in hall.counters]
    if counter not in numbers:
        problems.append(
            f"counter: {counter} is not a counter of this hall (counters: {', '.join(str(n) for n in numbers)})"
        )
    kinds = {"pad": hall.devices.pads, "keypad": hall.devices.keypads, "counter_screen": hall.devices.counter_screens}
    registered = {d.id: d.counter for d in kinds[role]}
    if device not in registered:
        problems.append(
            f"device.id: {device!r} is not a {role} in {hall_path} [devices] {role}s "
            "(the broker would refuse it: add it there and regenerate the broker users)"
        )
    elif registered[device] != counter:
        problems.append(f"counter: {hall_path} registers {device!r} at counter {registered[device]}, not {counter}")
    if problems:
        raise ConfigError(f"{source}: invalid configuration\n" + "\n".join(f"  {p}" for p in problems))
    return hall
