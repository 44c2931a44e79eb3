"""The keypad service: keys -> intents -> counter commands (request/response) -> what the officer sees.

One worker thread reads the key edges (stamped on gpiozero's thread), decides intents with `KeyReader`, sends one
command at a time and shows the outcome. While a command waits for its reply, further keys are ignored (logged):
they are never queued, and a key pressed while the keypad is not connected is refused at once with the
"not connected" pattern — never sent later, when it could call a citizen by surprise.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from counter_keypad.config import KeypadConfig
from counter_keypad.domain import (
    KEYS,
    Feedback,
    Fired,
    Intent,
    Key,
    KeypadLights,
    KeyReader,
    feedback_for,
    intent_action,
    toggle_action,
)
from counter_keypad.hardware import KeypadHardware
from motcua.clock import Clock
from motcua.contract import (
    CounterAction,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorReply,
    parse,
    parse_counter_result,
)
from motcua.errors import ContractError, NotConnectedError, RequestTimeoutError
from motcua.session import Inbound, MqttSession
from motcua.worker import EventWorker

logger = logging.getLogger(__name__)

#: Longest wait of the worker when nothing is pending.
TICK_S = 0.25
#: How long after a command's deadline the keypad still waits for its reply: the coordinator stops applying a
#: command one clock tolerance (1 s) before its deadline, so a reply to a command it applied is on its way by then.
REPLY_GRACE_S = 1.0
#: After "no reply", the same key pressed again within this time sends the same command again (same request id):
#: if the first was applied after all (a coordinator stopped between its commit and its reply), the coordinator
#: answers with that first result instead of acting twice (no second citizen called, the first not finished).
RETRY_SAME_S = 60.0
TRIM_EVERY_S = 30.0


@dataclass(frozen=True)
class _Edge:
    key: Key
    pressed: bool
    mono: float


@dataclass(frozen=True)
class _Connection:
    connected: bool


@dataclass(frozen=True)
class _State:
    state: CounterState


_Event = _Edge | _Connection | _State


class KeypadAgent:
    """Wire the keypad's hardware, rules and MQTT session. `start`, then `stop` (safe twice)."""

    def __init__(
        self,
        config: KeypadConfig,
        session: MqttSession,
        hardware: KeypadHardware,
        *,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.session = session
        self.hardware = hardware
        self.clock = clock
        self.monotonic = monotonic
        behaviour = config.keypad
        self.reader = KeyReader(
            debounce_s=behaviour.debounce_ms / 1000, hold_s=behaviour.hold_s, repeat_guard_s=behaviour.repeat_guard_s
        )
        self.lights = KeypadLights(
            idle_brightness=behaviour.idle_brightness,
            offline_grace_s=behaviour.offline_grace_s,
            disconnected_since=monotonic(),
        )
        topics = session.topics
        self.command_topic = topics.counter_command(config.counter)
        self.reply_topic = topics.counter_reply(config.counter)
        self.state: CounterState | None = None
        self.last_feedback: Feedback | None = None
        self.last_error: str | None = None
        self.stats = {"sent": 0, "ok": 0, "refused": 0, "not_connected": 0, "ignored_busy": 0}
        self._worker: EventWorker[_Event] = EventWorker(
            "keypad-worker",
            self._turn,
            timeout=self._timeout,
            housekeeping=hardware.trim_history,
            housekeeping_every_s=TRIM_EVERY_S,
            monotonic=monotonic,
        )
        self._busy_until = 0.0  # keys decided before this moment came while a command was in flight
        self._unanswered: tuple[CounterAction, uuid.UUID, float] | None = None  # the last command with no reply
        self._stopped = False

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self.session.subscribe(self.session.topics.counter_state(self.config.counter), self._on_state)
        # Replies matched to a waiting request never reach this handler; a reply arriving here is late.
        self.session.subscribe(self.reply_topic, self._on_late_reply)
        self.session.on_connection_change(lambda connected: self._worker.put(_Connection(connected)))
        self.hardware.on_edge(self._on_edge)
        self._refresh()
        self._worker.start()
        self.session.start()
        logger.info("keypad %s calling for counter %d", self.config.device.id, self.config.counter)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.hardware.on_edge(lambda key, pressed: None)
        self._worker.stop(join_s=self.config.mqtt.request_timeout_s + REPLY_GRACE_S + 2)
        self.session.stop()
        self.hardware.close()

    # --- hand-offs -----------------------------------------------------------------------------------------

    def _on_edge(self, key: Key, pressed: bool) -> None:
        self._worker.put(_Edge(key, pressed, self.monotonic()))

    def _on_state(self, inbound: Inbound) -> None:
        try:
            self._worker.put(_State(parse(CounterState, inbound.payload)))
        except ContractError as exc:
            logger.warning("ignored a bad counter state: %s", exc)

    def _on_late_reply(self, inbound: Inbound) -> None:
        try:
            result = parse_counter_result(inbound.payload)
        except ContractError:
            return
        if isinstance(result, CounterReply):
            logger.warning(
                "a reply to an earlier %s command (%s) arrived after its timeout: it was carried out",
                result.action.value,
                result.request_id,
            )
            self._worker.put(_State(result.state))

    # --- the worker ---------------------------------------------------------------------------------------

    def _timeout(self) -> float:
        now = self.monotonic()
        times = [t for t in (self.reader.deadline(), self.lights.next_change()) if t is not None and t > now]
        return max(0.005, min([now + TICK_S, *times]) - now)

    def _turn(self, batch: list[_Event], stopping: bool) -> None:
        if stopping:
            return  # nothing more is sent once the keypad stops
        fired: list[Fired] = []
        for event in batch:
            if isinstance(event, _Edge):
                if event.pressed:
                    result = self.reader.press(event.key, event.mono)
                    if result is not None:
                        fired.append(result)
                else:
                    self.reader.release(event.key, event.mono)
            elif isinstance(event, _Connection):
                self.lights.set_connected(event.connected, self.monotonic())
            else:
                self._set_state(event.state)
        fired.extend(self.reader.poll(self.monotonic()))
        for item in sorted(fired, key=lambda f: f.at):
            if item.at < self._busy_until:
                self.stats["ignored_busy"] += 1
                logger.info("%s ignored: pressed while the previous command was waiting for its reply", item.intent)
                continue
            self._execute(item.intent)
        self._refresh()

    def _set_state(self, state: CounterState) -> None:
        if self.state is not None and state.updated_at < self.state.updated_at:
            return  # an older state (a retained copy arriving after a reply)
        self.state = state
        self.lights.set_status(state.status)

    def _execute(self, intent: Intent) -> None:
        if intent is Intent.TOGGLE_PAUSE:
            status = self.state.status if self.state is not None else None
            action = toggle_action(status)
            if action is None:
                self._feedback(Feedback.ERROR, f"cannot pause or resume a counter that is {status or 'unknown'}")
                return
        else:
            action = intent_action(intent)
        # The keypad states its own deadline: the coordinator refuses the command from then on, the broker drops it
        # if still queued (message expiry), and the keypad reports a failure only after it: "failed" = "not applied".
        window_s = self.session.settings.request_timeout_s
        sent_at = self.clock.now()
        request_id = uuid.uuid4()
        unanswered = self._unanswered
        if unanswered is not None and unanswered[0] is action and self.monotonic() - unanswered[2] <= RETRY_SAME_S:
            request_id = unanswered[1]
            logger.info("%s again after no reply: sent again as %s", action.value, request_id)
        command = CounterCommand(
            request_id=request_id,
            action=action,
            sent_at=sent_at,
            deadline=sent_at + timedelta(seconds=window_s * self.clock.speed),
        )
        try:
            inbound = self.session.request(
                self.command_topic,
                command,
                response_topic=self.reply_topic,
                timeout=window_s + REPLY_GRACE_S,
                expiry_s=math.ceil(window_s),
            )
        except NotConnectedError:
            self.stats["not_connected"] += 1
            self._feedback(Feedback.NOT_CONNECTED, f"{action.value} refused: not connected; it will not be sent later")
            return
        except RequestTimeoutError:
            self.stats["sent"] += 1
            self._unanswered = (action, request_id, self.monotonic())
            self._feedback(Feedback.ERROR, f"{action.value}: no reply from the coordinator before its deadline")
            return
        finally:
            self._busy_until = self.monotonic()
        self.stats["sent"] += 1
        self._unanswered = None
        try:
            result = parse_counter_result(inbound.payload)
        except ContractError as exc:
            self._feedback(Feedback.ERROR, f"{action.value}: unreadable reply: {exc}")
            return
        if isinstance(result, ErrorReply):
            self.stats["refused"] += 1
            problem = f"{action.value} refused: {result.error.value}: {result.message}"
            self._feedback(feedback_for(result.error), problem)
            return
        self.stats["ok"] += 1
        self._set_state(result.state)
        serving = result.state.serving.label if result.state.serving else "-"
        logger.info("counter %d: %s done, serving %s", self.config.counter, action.value, serving)
        self._feedback(Feedback.OK, None)

    def _feedback(self, feedback: Feedback, problem: str | None) -> None:
        self.lights.show(feedback, self.monotonic())
        self._refresh()
        if problem is not None:
            self.last_error = problem
            logger.warning("%s", problem)
        self.last_feedback = feedback

    def _refresh(self) -> None:
        self.hardware.show(self.lights.pattern(self.monotonic()))

    # --- status and simulated keys (the demo's control socket) ----------------------------------------------

    def status(self) -> dict[str, Any]:
        state = self.state
        return {
            "device": self.config.device.id,
            "counter": self.config.counter,
            "connected": self.session.connected,
            **self.hardware.describe(),
            "showing": self.lights.current(self.monotonic()),
            "counter_status": state.status.value if state else None,
            "serving": state.serving.label if state and state.serving else None,
            "waiting": state.waiting if state else None,
            "last_feedback": self.last_feedback.value if self.last_feedback else None,
            "last_error": self.last_error,
            "commands": dict(self.stats),
            "ignored_repeats": self.reader.ignored_repeats,
        }

    def control(self, words: list[str]) -> dict[str, Any]:
        """``press KEY``, ``hold KEY SECONDS``, ``status`` (KEY: next, recall, no_show)."""
        command = words[0]
        if command == "status":
            return self.status()
        if command in ("press", "hold") and len(words) >= 2:
            try:
                key = Key(words[1].replace("-", "_"))
            except ValueError:
                return {"ok": False, "error": f"unknown key {words[1]!r}: {', '.join(k.value for k in KEYS)}"}
            seconds = float(words[2]) if command == "hold" and len(words) >= 3 else 0.0
            if not 0 <= seconds <= 60:
                return {"ok": False, "error": "hold between 0 and 60 seconds"}
            self.hardware.press(key, seconds)
            return {"pressed": key.value}
        return {"ok": False, "error": "commands: press KEY | hold KEY SECONDS | status"}
