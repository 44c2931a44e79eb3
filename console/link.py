"""The console's side of the MQTT contract: the hall's retained state, and counter commands with a deadline.

It holds the latest retained `CounterState` of every counter, the `Board` and every `DeviceStatus`, and tells
listeners (the open pages' live streams) when any of them changes. Commands are the keypad's `CounterCommand`,
sent as a request that expires at the broker when its deadline passes: a command sent while the coordinator is
down fails with a clear message and is never applied later (the coordinator also refuses stale ``sent_at``).
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from motcua.clock import Clock
from motcua.config import MqttSettings
from motcua.contract import (
    Board,
    CounterAction,
    CounterCommand,
    CounterReply,
    CounterState,
    DeviceStatus,
    ErrorReply,
    Notice,
    parse,
    parse_counter_result,
)
from motcua.errors import ContractError, NotConnectedError, RequestTimeoutError
from motcua.session import Inbound, MqttSession

logger = logging.getLogger(__name__)

#: How much longer than the command's deadline the console waits for a reply (a command applied just in time).
REPLY_GRACE_S = 1.0


class CommandFailed(Exception):
    """The coordinator could not be reached in time: nothing was applied (``reason``: not_connected, timeout)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeviceSeen:
    status: DeviceStatus
    received_at: datetime  # when the console saw this status (the offline will carries no time of its own)


class HallLink:
    """One MQTT session shared by every page of the console."""

    def __init__(self, settings: MqttSettings, *, device: str, site: str, clock: Clock, timeout_s: float) -> None:
        self.session = MqttSession(settings, device=device, site=site, role="console")
        self.topics = self.session.topics
        self.clock = clock
        self.timeout_s = timeout_s
        self.counters: dict[int, CounterState] = {}
        self.board: Board | None = None
        self.notice: Notice | None = None
        self.devices: dict[str, DeviceSeen] = {}
        self.version = 0  # bumped on every change; live streams compare it
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def start(self) -> None:
        topics = self.topics
        self.session.subscribe(topics.counter_state("+"), self._on_counter_state)
        self.session.subscribe(topics.board(), self._on_board)
        self.session.subscribe(topics.device_status("+"), self._on_device_status)
        self.session.subscribe(topics.notice(), self._on_notice)
        self.session.on_connection_change(lambda _connected: self._changed())
        self.session.start()

    def stop(self) -> None:
        self.session.stop()

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener()` (on the MQTT dispatch thread; keep it short) after every change."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def connected(self) -> bool:
        return self.session.connected

    # --- commands ---------------------------------------------------------------------------------------

    def command(
        self,
        counter: int,
        action: CounterAction,
        *,
        officer: str | None = None,
        service: str | None = None,
        ticket_id: str | None = None,
        reason: str | None = None,
        dossier_code: str | None = None,
    ) -> CounterReply | ErrorReply:
        """Send one counter command and wait for the coordinator's reply; `CommandFailed` when it cannot."""
        sent_at = self.clock.now()
        # The keypad's deadline rule (docs/protocol.md): the coordinator refuses the command once less than 1 s is
        # left before `deadline`, the broker drops it when its expiry passes, and the console waits until the
        # deadline plus 1 s before it says "not done". So "not done" on the page means never applied.
        window = max(2.0, self.timeout_s)
        command = CounterCommand(
            request_id=uuid.uuid4(),
            action=action,
            sent_at=sent_at,
            deadline=sent_at + timedelta(seconds=window * self.clock.speed),
            officer=officer,
            service=service,
            ticket_id=ticket_id,
            reason=reason,
            dossier_code=dossier_code,
        )
        topics = self.topics
        try:
            inbound = self.session.request(
                topics.counter_command(counter),
                command,
                response_topic=topics.counter_reply(counter),
                timeout=window + REPLY_GRACE_S,
                expiry_s=math.ceil(window),
            )
        except NotConnectedError:
            logger.warning("counter %s %s: not connected to the broker", counter, action.value)
            raise CommandFailed("not_connected") from None
        except RequestTimeoutError:
            logger.warning("counter %s %s: no reply from the coordinator", counter, action.value)
            raise CommandFailed("timeout") from None
        reply = parse_counter_result(inbound.payload)
        if isinstance(reply, CounterReply):
            self._store_state(reply.state)
        return reply

    def publish_notice(self, notice: Notice) -> None:
        if not self.session.connected:
            raise CommandFailed("not_connected")
        self.session.publish(self.topics.notice(), notice, retain=True)

    # --- retained state ---------------------------------------------------------------------------------

    def _on_counter_state(self, inbound: Inbound) -> None:
        try:
            state = parse(CounterState, inbound.payload, max_bytes=None)
        except ContractError as exc:
            logger.warning("bad counter state on %s: %s", inbound.topic, exc)
            return
        self._store_state(state)

    def _store_state(self, state: CounterState) -> None:
        with self._lock:
            known = self.counters.get(state.counter)
            if known is not None and known.updated_at > state.updated_at:
                return  # an older state arriving after a reply's newer one
            self.counters[state.counter] = state
        self._changed()

    def _on_board(self, inbound: Inbound) -> None:
        try:
            self.board = parse(Board, inbound.payload, max_bytes=None)
        except ContractError as exc:
            logger.warning("bad board: %s", exc)
            return
        self._changed()

    def _on_notice(self, inbound: Inbound) -> None:
        if not inbound.payload:
            return
        try:
            self.notice = parse(Notice, inbound.payload)
        except ContractError as exc:
            logger.warning("bad notice: %s", exc)
            return
        self._changed()

    def _on_device_status(self, inbound: Inbound) -> None:
        if not inbound.payload:  # a cleared retained status
            return
        try:
            status = parse(DeviceStatus, inbound.payload)
        except ContractError as exc:
            logger.warning("bad device status on %s: %s", inbound.topic, exc)
            return
        with self._lock:
            previous = self.devices.get(status.device)
            if previous is not None and previous.status.state is status.state:
                seen = DeviceSeen(status, previous.received_at)  # same state again: keep "since when"
            else:
                seen = DeviceSeen(status, self.clock.now())
            self.devices[status.device] = seen
        self._changed()

    def _changed(self) -> None:
        with self._lock:
            self.version += 1
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:  # a closed page's stream must not stop the others
                logger.exception("live listener failed")
