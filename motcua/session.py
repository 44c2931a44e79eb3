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
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
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
        self._inbox: queue.Queue[Inbound | _ConnectionChange | _Call | _Stop] = queue.Queue()
        self._pending: dict[bytes, Future[Inbound]] = {}
        self._pending_lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._connected = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._stopping = False
        self._auth_failures = 0
        self._problems: tuple[DeviceProblem, ...] = ()
        self._online_since: datetime | None = None

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
        client.max_queued_messages_set(1000)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
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
    ) -> mqtt.MQTTMessageInfo:
        """Publish now, or (QoS >= 1) queue in RAM until reconnected. Never blocks on the network."""
        payload = message.to_bytes() if isinstance(message, Message) else message
        properties = None
        if expiry_s is not None:
            properties = _properties(PacketTypes.PUBLISH)
            properties.MessageExpiryInterval = expiry_s
        return self._publish_raw(topic, payload, qos, retain, properties)

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
        self._publish_raw(target, message.to_bytes(), 1, False, properties)

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
            return self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

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
                self._handle(item)
                handled += 1
                if handled >= MAX_BATCH:
                    break
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
            self._run_after_batch()

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
