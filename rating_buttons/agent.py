"""The pad service: buttons -> votes -> outbox -> broker; acknowledgements -> outbox; counter state -> lights.

One worker thread owns the outbox and the lights. gpiozero's callbacks and the MQTT dispatch thread only stamp and
hand events to it, so a button storm never blocks the pins and a slow SD card never blocks MQTT. Each turn of the
worker takes every waiting event, commits the new votes in one transaction (one fsync for a whole storm), and only
then publishes them. Votes are published a window at a time, oldest first, and published again when no
acknowledgement comes within ``resend_s`` or after a reconnect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from motcua.clock import Clock
from motcua.contract import CounterState, RatingOutcome, parse
from motcua.errors import ContractError
from motcua.outbox import Outbox
from motcua.session import Inbound, MqttSession
from motcua.votes import VoteSender, judging_ack
from motcua.worker import EventWorker
from rating_buttons.config import PadConfig
from rating_buttons.domain import PadLights, PressFilter, PressKind, make_vote
from rating_buttons.hardware import PadHardware

logger = logging.getLogger(__name__)

#: How often the worker looks at the time when nothing happens (lights that change with time, resends).
TICK_S = 0.2
#: At most this many events are taken per turn (a storm is committed in a few large transactions).
MAX_TURN = 5000
#: Mock pins keep a history of every state; trimmed this often in the demo.
TRIM_EVERY_S = 30.0


@dataclass(frozen=True)
class _Edge:
    level: str
    pressed: bool
    at: float  # the edge's time on the pin library's clock: debounce and lockout
    mono: float  # when we saw it (time.monotonic): lights
    now: datetime  # hall time: the vote's pressed_at


@dataclass(frozen=True)
class _Ack:
    id: str
    outcome: RatingOutcome
    ticket_id: str | None


@dataclass(frozen=True)
class _Connection:
    connected: bool


@dataclass(frozen=True)
class _Window:
    open_until: datetime | None


_Event = _Edge | _Ack | _Connection | _Window


class PadAgent:
    """Wire the pad's hardware, rules, outbox and MQTT session. `start`, then `stop` (safe twice)."""

    def __init__(
        self,
        config: PadConfig,
        session: MqttSession,
        hardware: PadHardware,
        outbox: Outbox,
        *,
        clock: Clock,
        labels: dict[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.session = session
        self.hardware = hardware
        self.outbox = outbox
        self.clock = clock
        self.labels = labels or {}
        self.levels = hardware.levels  # the buttons' level keys, left to right
        self.monotonic = monotonic
        behaviour = config.pad
        self.filter = PressFilter(debounce_s=behaviour.debounce_ms / 1000, lockout_s=behaviour.lockout_s)
        self.lights = PadLights(
            idle_brightness=behaviour.idle_brightness,
            thanks_s=behaviour.thanks_s,
            offline_grace_s=behaviour.offline_grace_s,
            status_led=config.status_led is not None,
            disconnected_since=monotonic(),
            levels=hardware.levels,
        )
        topics = session.topics
        self.rating_topic = topics.rating(config.counter)
        self._worker: EventWorker[_Event] = EventWorker(
            "pad-worker",
            self._turn,
            timeout=lambda: TICK_S,
            max_batch=MAX_TURN,
            housekeeping=hardware.trim_history,
            housekeeping_every_s=TRIM_EVERY_S,
            monotonic=monotonic,
        )
        self.sender = VoteSender(outbox, resend_s=behaviour.resend_s, send_window=behaviour.send_window)
        self._stopped = False
        self._state: CounterState | None = None
        self.stats = {"votes": 0, "misuse": 0, "acked": 0, "sent": 0}
        self.outcomes: dict[str, int] = {outcome.value: 0 for outcome in RatingOutcome}

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        topics = self.session.topics
        self.session.subscribe(topics.counter_state(self.config.counter), self._on_state)
        self.session.subscribe(topics.rating_ack(self.config.counter), self._on_ack)
        self.session.on_connection_change(lambda connected: self._worker.put(_Connection(connected)))
        self.hardware.on_edge(self._on_edge)
        self._refresh_lights()
        self._worker.start()
        self.session.start()
        waiting = len(self.outbox)
        logger.info(
            "pad %s rating counter %d: %d vote(s) waiting in %s",
            self.config.device.id,
            self.config.counter,
            waiting,
            self.outbox.path,
        )

    def stop(self) -> None:
        """Stop taking presses, finish the votes already taken (committed to the outbox), disconnect."""
        if self._stopped:
            return
        self._stopped = True
        self.hardware.on_edge(lambda level, pressed, at: None)
        self._worker.stop(join_s=10)
        self.session.stop()
        self.hardware.close()
        self.outbox.close()

    # --- hand-offs (gpiozero's thread, MQTT dispatch thread): stamp and queue, nothing else ----------------

    def _on_edge(self, level: str, pressed: bool, at: float) -> None:
        self._worker.put(_Edge(level, pressed, at, self.monotonic(), self.clock.now()))

    def _on_state(self, inbound: Inbound) -> None:
        try:
            state = parse(CounterState, inbound.payload)
        except ContractError as exc:
            logger.warning("ignored a bad counter state: %s", exc)
            return
        self._state = state
        self._worker.put(_Window(state.rating_open_until))

    def _on_ack(self, inbound: Inbound) -> None:
        ack = judging_ack(inbound.payload)
        if ack is not None:
            self._worker.put(_Ack(str(ack.id), ack.outcome, ack.ticket_id))

    # --- the worker ---------------------------------------------------------------------------------------

    def _turn(self, batch: list[_Event], stopping: bool) -> None:
        """One turn of the worker: every waiting event, then the outbox committed, the lights and the sends."""
        votes = []
        acked: list[str] = []
        for event in batch:
            if isinstance(event, _Edge):
                if not event.pressed:
                    self.filter.release(event.level, event.at)
                    continue
                kind = self.filter.press(event.level, event.at)
                if kind is PressKind.BOUNCE:
                    continue
                votes.append(make_vote(event.level, event.now, kind, device=self.config.device.id))
                self.lights.pressed(event.level, kind, event.mono)
            elif isinstance(event, _Ack):
                acked.append(event.id)
                self.outcomes[event.outcome.value] += 1
                if event.outcome in (RatingOutcome.COUNTED, RatingOutcome.UNBOUND):
                    logger.info("vote %s %s (ticket %s)", event.id, event.outcome.value, event.ticket_id or "-")
            elif isinstance(event, _Connection):
                self.lights.set_connected(event.connected, self.monotonic())
                self.sender.reconnected()  # whatever was in flight is sent again once connected
            else:
                self.lights.set_rating_window(event.open_until)
        if votes:
            votes = self.sender.record(votes)  # on disk (fsync) before anything is published
            misuse = sum(1 for v in votes if v.misuse)
            self.stats["votes"] += len(votes) - misuse
            self.stats["misuse"] += misuse
            for vote in votes:
                if not vote.misuse:
                    logger.info("vote %s: %s", vote.id, vote.level)
            if misuse:
                logger.info("%d press(es) inside the lockout recorded as misuse", misuse)
        if acked:
            removed = self.sender.acknowledged(acked)
            self.stats["acked"] += removed
            logger.debug("%d acknowledgement(s), %d vote(s) left", len(acked), len(self.outbox))
        self._refresh_lights()
        if not stopping:
            self._send()

    def _send(self) -> None:
        if not self.session.connected:
            return

        def publish(payload: bytes) -> bool:
            return self.session.publish(self.rating_topic, payload).rc == mqtt.MQTT_ERR_SUCCESS

        result = self.sender.send(publish, self.monotonic())
        self.stats["sent"] += result.sent
        if result.overdue:
            logger.warning(
                "%d vote(s) not acknowledged within %g s, sending again (is the coordinator running? is this pad "
                "registered for counter %d in hall.toml?)",
                result.overdue,
                self.sender.resend_s,
                self.config.counter,
            )

    def _refresh_lights(self) -> None:
        now, mono = self.clock.now(), self.monotonic()
        if self.hardware.show(self.lights.pattern(now, mono)):
            logger.debug("pad lights: %s", self.lights.state(now, mono).value)
        self.hardware.show_status(self.lights.status_pattern(mono))

    # --- status and simulated presses (the demo's control socket) -------------------------------------------

    def status(self) -> dict[str, Any]:
        state = self._state
        return {
            "device": self.config.device.id,
            "counter": self.config.counter,
            "connected": self.session.connected,
            **self.hardware.describe(),
            "outbox": len(self.outbox),
            "in_flight": len(self.sender.in_flight),
            "presses": dict(self.stats),
            "bounces": self.filter.bounces,
            "acks": dict(self.outcomes),
            "rating_open_until": state.rating_open_until.isoformat() if state and state.rating_open_until else None,
            "serving": state.serving.label if state and state.serving else None,
            "labels": {level: self.labels.get(level, level) for level in self.levels},
        }

    def control(self, words: list[str]) -> dict[str, Any]:
        """``press LEVEL``, ``hold LEVEL SECONDS``, ``status`` (LEVEL: a key of the scale, or the button's number
        from the left, 1 to 5)."""
        command = words[0]
        if command == "status":
            return self.status()
        if command in ("press", "hold") and len(words) >= 2:
            level = _level(words[1], self.levels)
            seconds = float(words[2]) if command == "hold" and len(words) >= 3 else 0.0
            if not 0 <= seconds <= 60:
                return {"ok": False, "error": "hold between 0 and 60 seconds"}
            self.hardware.press(level, seconds)
            return {"pressed": level}
        return {"ok": False, "error": "commands: press LEVEL | hold LEVEL SECONDS | status"}


def _level(word: str, levels: tuple[str, ...]) -> str:
    if word.isdigit() and 1 <= int(word) <= len(levels):
        return levels[int(word) - 1]
    if word in levels:
        return word
    raise ValueError(f"unknown button {word!r}: {', '.join(levels)} (or 1 to {len(levels)})")
