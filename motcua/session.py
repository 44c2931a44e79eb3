"""The MQTT session every motcua service uses (one per process), over paho-mqtt 2.x.

What it takes care of, so device code does not:

- MQTT 5, `connect_async` + a background network loop: a broker that is down at boot is retried with backoff.
- A persistent session (``clean_start=False`` *and* a SessionExpiryInterval, see docs/developing.md): QoS 1 messages
  sent while the device was away are delivered when it comes back. Subscriptions are renewed on every connect.
- A retained ``device/{id}/status``: online on connect, offline on a clean stop, offline as the last will.
- Client ids: a device's long-lived session uses its device id (stable, so the broker keeps its session); a
  one-shot tool (``one_shot=True``: ``motcua counter``, scripts) uses ``<device>-<8 hex digits>`` with a clean
  session, so two tools of the same broker user can be connected at once (with equal client ids the broker
  disconnects the first). Both start with the broker username, for an ACL or broker rule keyed on that prefix.
- Nagle off on the socket: without it a QoS 1 round trip over loopback takes 40+ ms instead of under 1 ms.
- Nothing runs in paho's callbacks but hand-offs: incoming messages go to a queue and are handled, in order,
  on one dispatch thread. Handlers may publish and may block briefly; they never stall the network loop.
- Request/response with ResponseTopic + CorrelationData and a timeout (`request`), and the responder's side
  (`reply`).
- An outgoing path with priorities that never loses a message without a log line: what paho has not yet sent is
  counted, and a message of a lower `Priority` only goes to paho while little is waiting there; the rest waits in
  this session's own backlog (per priority, drained as paho's PUBACKs come in, urgent first). Only the BULK backlog
  is bounded (a rating ack: the pad sends its vote again); calls, replies, states and events are never dropped.
  Every publish result and every PUBACK reason code is checked; drops are logged once per reason per minute.
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from motcua import __version__
from motcua.config import MqttSettings
from motcua.contract import DeviceProblem, DeviceState, DeviceStatus, Message, Topics
from motcua.errors import NotConnectedError, RequestTimeoutError

logger = logging.getLogger(__name__)

#: How many messages the dispatch thread handles before calling the after-batch hooks (group commit).
MAX_BATCH = 256


class Priority(IntEnum):
    """Outgoing order: a lower value goes first. URGENT: calls, replies, states, the board, statuses (the default).
    NORMAL: event batches. BULK: rating acks (the only class ever dropped: the pad sends an unacked vote again)."""

    URGENT = 0
    NORMAL = 1
    BULK = 2


#: paho's own cap on messages it holds (a backstop: this session keeps below it, see `ADMIT_BELOW`).
PAHO_MAX_QUEUED = 4000
#: A message of a priority goes to paho only while fewer than this many are waiting there (sent, not yet acked);
#: so a call never waits behind more than a few hundred acks, and there is always room for it.
ADMIT_BELOW = {Priority.URGENT: 3000, Priority.NORMAL: 1000, Priority.BULK: 300}
#: The BULK backlog's bound; beyond it a new ack is dropped (with a log line, once per minute).
MAX_BULK_BACKLOG = 5000
#: Drops are logged at most once per reason per this many seconds (the first at once, then a count).
DROP_LOG_INTERVAL_S = 60.0


@dataclass(frozen=True)
class Inbound:
    """One received message."""

    topic: str
    payload: bytes
    retained: bool = False
    response_topic: str | None = None
    correlation_data: bytes | None = None


Handler = Callable[[Inbound], None]
ConnectionListener = Callable[[bool], None]


class _Stop:
    pass


class _Drain:
    pass


@dataclass(frozen=True)
class _Outgoing:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties | None


class DropLog:
    """Counts lost messages per reason and logs each reason at most once per interval (the first at once)."""

    def __init__(self, interval_s: float = DROP_LOG_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self.unreported: dict[str, int] = {}
        self.last_logged: dict[str, float] = {}
        self.total: dict[str, int] = {}
        self._lock = threading.Lock()

    def dropped(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self.unreported[reason] = self.unreported.get(reason, 0) + count
            self.total[reason] = self.total.get(reason, 0) + count
        self.report()

    def report(self, *, force: bool = False) -> None:
        now = self.clock()
        with self._lock:
            due = [
                (reason, count)
                for reason, count in self.unreported.items()
                if count and (force or now - self.last_logged.get(reason, -1e18) >= self.interval_s)
            ]
            for reason, _ in due:
                self.unreported[reason] = 0
                self.last_logged[reason] = now
        for reason, count in due:
            logger.warning("outgoing message(s) lost: %d × %s (logged at most once a minute)", count, reason)


@dataclass(frozen=True)
class _Call:
    function: Callable[[], None]


@dataclass(frozen=True)
class _ConnectionChange:
    connected: bool


class MqttSession:
    """One service's connection to the hall broker. Create, `subscribe`, then `start`; `stop` at the end."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        device: str,
        site: str,
        role: str,
        version: str = __version__,
        one_shot: bool = False,
        client_factory: Callable[..., mqtt.Client] = mqtt.Client,
    ) -> None:
        self.settings = settings
        self.device = device
        self.one_shot = one_shot
        self.client_id = one_shot_client_id(device) if one_shot else device
        self.role = role
        self.version = version
        self.topics = Topics(site)
        self._client_factory = client_factory
        self._client: mqtt.Client | None = None
        self._subscriptions: list[tuple[str, Handler]] = []
        self._reply_topics: set[str] = set()
        self._listeners: list[ConnectionListener] = []
        self._after_batch: list[Callable[[], None]] = []
        self._inbox: queue.Queue[Inbound | _ConnectionChange | _Call | _Drain | _Stop] = queue.Queue()
        self._pending: dict[bytes, Future[Inbound]] = {}
        self._pending_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._connected = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._stopping = False
        self._auth_failures = 0
        self._problems: tuple[DeviceProblem, ...] = ()
        self._online_since: datetime | None = None
        self._backlog: dict[Priority, deque[_Outgoing]] = {priority: deque() for priority in Priority}
        self._backlog_size = 0
        self._drain_queued = False
        self._backlog_warned = 0.0
        self.drops = DropLog()

    # --- set-up -----------------------------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Handle messages on `topic_filter` (QoS 1) on the dispatch thread. Renewed on every reconnect."""
        self._subscriptions.append((topic_filter, handler))
        if self._client is not None and self.connected:
            self._client.subscribe(topic_filter, qos=1)

    def expect_replies(self, response_topic: str) -> None:
        """Subscribe to a topic that replies to our requests arrive on."""
        if response_topic in self._reply_topics:
            return
        self._reply_topics.add(response_topic)
        if self._client is not None and self.connected:
            self._client.subscribe(response_topic, qos=1)

    def on_connection_change(self, listener: ConnectionListener) -> None:
        """Call `listener(connected)` on the dispatch thread whenever the connection goes up or down."""
        self._listeners.append(listener)

    def after_batch(self, hook: Callable[[], None]) -> None:
        """Call `hook` on the dispatch thread after each batch of messages (the coordinator commits there)."""
        self._after_batch.append(hook)

    def call_soon(self, function: Callable[[], None]) -> None:
        """Run `function` on the dispatch thread, in turn with the messages (timers use this)."""
        self._inbox.put(_Call(function))

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (in the background) and dispatching. Returns at once."""
        if self._client is not None:
            raise RuntimeError("session already started")
        client = self._client_factory(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=MQTTProtocolVersion.MQTTv5
        )
        paho_logger = logging.getLogger(f"paho.{self.client_id}")
        paho_logger.addFilter(self._drop_paho_noise)
        client.enable_logger(paho_logger)
        username = self.settings.username or self.device
        client.username_pw_set(username, self.settings.resolved_password())
        if self.settings.ca_file is not None:
            client.tls_set(ca_certs=str(self.settings.ca_file))
        if not self.one_shot:  # a tool is not a device of the hall: two at once would contradict each other
            client.will_set(
                self.topics.device_status(self.device), self._status(DeviceState.OFFLINE, None), qos=1, retain=True
            )
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_queued_messages_set(PAHO_MAX_QUEUED)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_socket_open = _no_delay
        connect_properties = _properties(PacketTypes.CONNECT)
        # A one-shot tool's random id never comes back: its session ends with the connection.
        connect_properties.SessionExpiryInterval = 0 if self.one_shot else self.settings.session_expiry_s
        self._client = client
        self._dispatcher = threading.Thread(target=self._dispatch, name=f"mqtt-dispatch-{self.device}", daemon=True)
        self._dispatcher.start()
        client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive_s,
            clean_start=self.one_shot,
            properties=connect_properties,
        )
        client.loop_start()
        logger.info(
            "connecting to %s:%s as %s (client id %s)", self.settings.host, self.settings.port, username, self.client_id
        )

    def stop(self, timeout: float = 3.0) -> None:
        """Finish the queued work, say offline (retained), disconnect cleanly. Safe to call twice."""
        client = self._client
        if client is None or self._stopping:
            return
        self._stopping = True
        # Work already queued (a timer's flush, the last messages) runs while still connected.
        self._inbox.put(_Stop())
        if self._dispatcher is not None and self._dispatcher is not threading.current_thread():
            self._dispatcher.join(timeout)
        self._flush_backlog(timeout)
        if self.connected and not self.one_shot:
            info = self._publish_raw(
                self.topics.device_status(self.device), self._status(DeviceState.OFFLINE, None), 1, True
            )
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        client.disconnect()
        client.loop_stop()
        self.drops.report(force=True)

    def __enter__(self) -> MqttSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    # --- sending ----------------------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        message: Message | bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        expiry_s: int | None = None,
        priority: Priority = Priority.URGENT,
    ) -> mqtt.MQTTMessageInfo:
        """Publish now, or (QoS >= 1) queue in RAM until reconnected or until paho has room for this priority.
        Never blocks on the network. A message held in the session's backlog gets an info with rc SUCCESS and
        mid 0 (it is sent, in order, as soon as there is room)."""
        payload = message.to_bytes() if isinstance(message, Message) else message
        properties = None
        if expiry_s is not None:
            properties = _properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = expiry_s
        return self._send(_Outgoing(topic, payload, qos, retain, properties), priority)

    def reply(self, request: Inbound, message: Message, *, topic: str | None = None) -> None:
        """Answer a request, echoing its CorrelationData, on `topic` (default: its ResponseTopic).

        A responder should pass the reply topic the contract defines for that requester: a ResponseTopic
        chosen by the requester must never make a privileged service publish on a topic of its choosing.
        """
        target = topic or request.response_topic
        if not target:
            return
        properties = _properties(PacketTypes.PUBLISH)
        if request.correlation_data is not None:
            properties.CorrelationData = request.correlation_data
        self._send(_Outgoing(target, message.to_bytes(), 1, False, properties), Priority.URGENT)

    def request(
        self,
        topic: str,
        message: Message | bytes,
        *,
        response_topic: str,
        timeout: float | None = None,
        expiry_s: int | None = None,
    ) -> Inbound:
        """Publish a request and wait for the reply carrying the same CorrelationData.

        Raises `NotConnectedError` at once when offline (a request is never left to be sent later) and
        `RequestTimeoutError` when no reply comes in time. Must not be called from the dispatch thread.
        """
        if threading.current_thread() is self._dispatcher:
            raise RuntimeError("request() would deadlock on the dispatch thread")
        if not self.connected:
            raise NotConnectedError("not connected to the broker")
        self.expect_replies(response_topic)
        correlation = uuid.uuid4().bytes
        future: Future[Inbound] = Future()
        with self._pending_lock:
            self._pending[correlation] = future
        properties = _properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = response_topic
        properties.CorrelationData = correlation
        if expiry_s is not None:
            properties.MessageExpiryInterval = expiry_s
        try:
            payload = message.to_bytes() if isinstance(message, Message) else message
            info = self._publish_raw(topic, payload, 1, False, properties)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise NotConnectedError(f"request not sent: {mqtt.error_string(info.rc)}")
            try:
                return future.result(timeout if timeout is not None else self.settings.request_timeout_s)
            except FutureTimeout:
                raise RequestTimeoutError(f"no reply on {response_topic} within the timeout") from None
        finally:
            with self._pending_lock:
                self._pending.pop(correlation, None)

    def _publish_raw(
        self, topic: str, payload: bytes, qos: int, retain: bool, properties: Properties | None = None
    ) -> mqtt.MQTTMessageInfo:
        if self._client is None:
            raise RuntimeError("session not started")
        with self._publish_lock:
            info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        self._check(info, qos)
        return info

    # --- the outgoing path with priorities ---------------------------------------------------------------

    @property
    def waiting_in_paho(self) -> int:
        """Messages paho holds (sent and not yet acknowledged, or queued). paho keeps no public count."""
        client = self._client
        return len(getattr(client, "_out_messages", ())) if client is not None else 0

    @property
    def backlog_size(self) -> int:
        return self._backlog_size

    def _send(self, out: _Outgoing, priority: Priority) -> mqtt.MQTTMessageInfo:
        if self._client is None:
            raise RuntimeError("session not started")
        with self._publish_lock:
            # In order within a priority, and never ahead of anything more urgent that is waiting.
            ahead = any(self._backlog[p] for p in Priority if p <= priority)
            if not ahead and (out.qos == 0 or self.waiting_in_paho < ADMIT_BELOW[priority]):
                info = self._client.publish(
                    out.topic, out.payload, qos=out.qos, retain=out.retain, properties=out.properties
                )
                if info.rc != mqtt.MQTT_ERR_QUEUE_SIZE:
                    self._check(info, out.qos)
                    return info
            if priority is Priority.BULK and len(self._backlog[priority]) >= MAX_BULK_BACKLOG:
                self.drops.dropped(f"{priority.name.lower()} backlog full ({MAX_BULK_BACKLOG})")
                info = mqtt.MQTTMessageInfo(0)
                info.rc = mqtt.MQTT_ERR_QUEUE_SIZE
                return info
            self._backlog[priority].append(out)
            self._backlog_size += 1
            if self._backlog_size >= 1000 and time.monotonic() - self._backlog_warned >= DROP_LOG_INTERVAL_S:
                self._backlog_warned = time.monotonic()
                logger.warning(
                    "%d outgoing messages wait for the broker (%s)",
                    self._backlog_size,
                    ", ".join(f"{p.name.lower()} {len(q)}" for p, q in self._backlog.items()),
                )
        held = mqtt.MQTTMessageInfo(0)
        held.rc = mqtt.MQTT_ERR_SUCCESS
        return held

    def _drain(self, limit: float | None = None) -> None:
        """Hand waiting messages to paho, most urgent first, while paho has room for their priority."""
        if not self._backlog_size or self._client is None:
            return
        with self._publish_lock:
            self._drain_queued = False
            for priority in Priority:
                waiting = self._backlog[priority]
                room = ADMIT_BELOW[priority] if limit is None else limit
                while waiting and self.waiting_in_paho < room:
                    out = waiting[0]
                    info = self._client.publish(
                        out.topic, out.payload, qos=out.qos, retain=out.retain, properties=out.properties
                    )
                    if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                        return
                    waiting.popleft()
                    self._backlog_size -= 1
                    self._check(info, out.qos)
                if waiting:
                    return  # nothing less urgent overtakes what waits here

    def _flush_backlog(self, timeout: float) -> None:
        """At stop: hand everything still waiting to paho (its own cap is the limit) and let it go out."""
        deadline = time.monotonic() + timeout
        while self._backlog_size and self.connected and time.monotonic() < deadline:
            self._drain(limit=PAHO_MAX_QUEUED)
            if self._backlog_size:
                time.sleep(0.01)
        if self._backlog_size:
            self.drops.dropped("not sent before stop", self._backlog_size)

    def _check(self, info: mqtt.MQTTMessageInfo, qos: int) -> None:
        """Every publish result is looked at: a lost message is counted and logged, never silent."""
        rc = info.rc
        if rc == mqtt.MQTT_ERR_SUCCESS or (rc == mqtt.MQTT_ERR_NO_CONN and qos > 0):
            return  # sent, or kept in RAM by paho until the reconnect
        self.drops.dropped(f"publish refused by paho: {mqtt.error_string(rc)}")

    def _status(self, state: DeviceState, since: datetime | None) -> bytes:
        problems = list(self._problems) if state is DeviceState.ONLINE and self._problems else None
        return DeviceStatus(
            device=self.device, state=state, role=self.role, version=self.version, since=since, problems=problems
        ).to_bytes()

    def set_problems(self, problems: Iterable[DeviceProblem]) -> None:
        """What this device cannot do while online (a printer out of paper): re-publishes the retained status
        when it changes, and every later connect carries it. Any thread."""
        new = tuple(dict.fromkeys(problems))
        with self._publish_lock:
            if new == self._problems:
                return
            self._problems = new
        if self.one_shot or self._client is None or not self.connected or self._stopping:
            return  # the next connect publishes it
        self._publish_raw(
            self.topics.device_status(self.device),
            self._status(DeviceState.ONLINE, self._online_since or datetime.now(UTC)),
            1,
            True,
        )

    def _drop_paho_noise(self, record: logging.LogRecord) -> bool:
        # paho 2.2's network loop logs "Client is not connected" as an error on every turn while the broker is
        # unreachable, and once more after a clean disconnect: journal noise. This session logs the connection's
        # state itself (connected / connection lost / refused).
        return not record.getMessage().startswith("Client is not connected")

    # --- paho callbacks (network thread: hand off, never block) ----------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason_code: ReasonCode, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._auth_failures += 1
            level = logging.ERROR if self._auth_failures == 1 or self._auth_failures % 20 == 0 else logging.DEBUG
            logger.log(level, "broker refused the connection: %s (check the device's user and password)", reason_code)
            return
        self._auth_failures = 0
        filters = [topic for topic, _ in self._subscriptions] + sorted(self._reply_topics)
        if filters:
            client.subscribe([(topic, 1) for topic in dict.fromkeys(filters)])
        if not self.one_shot:
            self._online_since = datetime.now(UTC)
            self._publish_raw(
                self.topics.device_status(self.device), self._status(DeviceState.ONLINE, self._online_since), 1, True
            )
        logger.info("connected (session present: %s)", flags.session_present)
        self._connected.set()
        self._inbox.put(_ConnectionChange(True))

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: mqtt.DisconnectFlags, reason_code: ReasonCode, properties: Any
    ) -> None:
        was_connected = self.connected
        self._connected.clear()
        if was_connected:
            if self._stopping:
                logger.info("disconnected")
            else:
                logger.warning("connection lost (%s); reconnecting in the background", reason_code)
            self._inbox.put(_ConnectionChange(False))

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: ReasonCode, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self.drops.dropped(f"broker refused a publish: {reason_code}")
        if self._backlog_size and not self._drain_queued:
            self._drain_queued = True
            self._inbox.put(_Drain())

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        props = getattr(msg, "properties", None)
        inbound = Inbound(
            topic=msg.topic,
            payload=bytes(msg.payload),
            retained=bool(msg.retain),
            response_topic=getattr(props, "ResponseTopic", None),
            correlation_data=getattr(props, "CorrelationData", None),
        )
        if inbound.correlation_data is not None and inbound.topic in self._reply_topics:
            with self._pending_lock:
                future = self._pending.get(inbound.correlation_data)
            if future is not None:
                if not future.done():
                    future.set_result(inbound)
                return
        self._inbox.put(inbound)

    # --- dispatch thread --------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            item = self._inbox.get()
            handled = 0
            while True:
                if isinstance(item, _Stop):
                    self._run_after_batch()
                    return
                self._drain()
                if not isinstance(item, _Drain):
                    self._handle(item)
                handled += 1
                if handled >= MAX_BATCH:
                    break
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
            self._run_after_batch()
            self._drain()
            self.drops.report()

    def _handle(self, item: Inbound | _ConnectionChange | _Call) -> None:
        if isinstance(item, _Call):
            _guarded(item.function)
            return
        if isinstance(item, _ConnectionChange):
            for listener in self._listeners:
                _guarded(listener, item.connected)
            return
        routed = False
        for topic_filter, handler in self._subscriptions:
            if mqtt.topic_matches_sub(topic_filter, item.topic):
                routed = True
                _guarded(handler, item)
        if not routed and item.topic not in self._reply_topics:
            logger.debug("no handler for %s", item.topic)

    def _run_after_batch(self) -> None:
        for hook in self._after_batch:
            _guarded(hook)


def one_shot_client_id(device: str) -> str:
    """``<device>-<8 hex digits>``: unique per run, and still starting with the device's broker username."""
    return f"{device}-{secrets.token_hex(4)}"


def _properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def _guarded(function: Callable[..., None], *args: Any) -> None:
    try:
        function(*args)
    except Exception:
        logger.exception("error in %s", getattr(function, "__qualname__", function))


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Turn Nagle off: small QoS 1 packets must not wait for delayed ACKs."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        logger.debug("could not set TCP_NODELAY on %r", sock)
