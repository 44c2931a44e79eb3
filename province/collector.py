"""`motcua province`: every hall's events from the provincial broker into PostgreSQL, nothing lost or doubled.

- **Who sent it** comes from the topic (``motcua/v1/{site}/events``), which the broker's ACL lets only that
  hall's bridge write; a ``site`` inside a payload is never read (there is none).
- **Commit, then acknowledge.** The client acknowledges QoS 1 messages by hand (paho ``manual_ack``) after the
  batch's transaction has committed, and keeps a persistent session (``clean_start`` false and a session expiry):
  killed at any moment, the collector gets every unacknowledged message again from the broker when it comes
  back, and the rows it already wrote are recognised by (site, seq). Nothing here is Mosquitto-only: manual
  acknowledgement and persistent sessions are plain MQTT 5 (EMQX and HiveMQ do the same).
- **No gap unnoticed.** `province.ledger` keeps each hall's highest contiguous seq; a gap still open after
  ``resend_after_s`` (it may only be out-of-order arrival), or a hall's bridge coming back online (at once), makes
  the collector publish a `ResendRequest` to that hall (docs/protocol.md, "Resend").
- **Hostile input** (not JSON, wrong fields, an absurd time, a huge payload) from one hall is a log line and a
  row in ``rejected``; the batch goes on with everything else.

One network thread (paho) only queues messages; a parser thread takes them in batches, validates and formats
them; one writer thread keeps the ledger, writes, commits, acknowledges and asks for resends. Parsing a batch's
payloads (strict validation of every event) and formatting their rows for COPY is most of the collector's CPU
(docs/scaling.md): the parser prepares the next batch while the writer waits on PostgreSQL for the previous one
(psycopg waits without the GIL), so the collector's Python and PostgreSQL's work overlap instead of taking turns.
With ``parse_workers`` the parsing runs in that many processes instead, using idle cores. The ledger stays in the
writer either way, and batches are written in the order they were received, so exactly-once is unchanged.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from motcua.contract import EventBatch, HallEvent, InvalidMessage, ResendRequest, Topics, parse
from motcua.errors import ContractError
from province.config import ProvinceConfig
from province.db import CopyRows, EventRow, ProvinceDb, Rejected, copy_text, month_of
from province.ledger import HallLedger, Ledger

logger = logging.getLogger(__name__)

#: Events dated outside these years are refused (a broken clock; also bounds the number of month partitions).
FIRST_YEAR, LAST_YEAR = 2020, 2100
#: How much of a refused payload is kept in ``rejected``.
KEEP_BYTES = 2000


@dataclass(frozen=True)
class Received:
    """One MQTT message waiting to be written, and how to acknowledge it."""

    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass
class Decoded:
    """What one hall's payload gave: good events and refused parts."""

    events: list[HallEvent]
    rejected: list[Rejected]


def decode(site: str, payload: bytes, max_bytes: int) -> Decoded:
    """Parse one ``events`` payload of `site`. A whole bad batch is refused; in a batch that is JSON but not
    valid as a whole, each event is judged alone, so one bad event does not cost its neighbours."""
    if len(payload) > max_bytes:
        return Decoded([], [Rejected(site, None, f"payload of {len(payload)} bytes (max {max_bytes})", "")])
    try:
        events = list(parse(EventBatch, payload, max_bytes=None).events)
        rejected: list[Rejected] = []
    except InvalidMessage as exc:
        events, rejected = _salvage(site, payload, str(exc))
    good = []
    for event in events:
        if not FIRST_YEAR <= event.at.year <= LAST_YEAR:
            reason = f"time {event.at.isoformat()} out of range"
        elif "\x00" in (event.detail or "") or "\x00" in (event.ticket_id or ""):
            # valid JSON ("\u0000") and a valid str, but PostgreSQL's text cannot hold it: the batch's COPY would
            # fail, again at every retry, and stop every hall's events behind it
            reason = "a NUL character in a text field"
        else:
            good.append(event)
            continue
        rejected.append(Rejected(site, event.seq, reason, _excerpt(event.to_bytes())))
    return Decoded(good, rejected)


def _salvage(site: str, payload: bytes, error: str) -> tuple[list[HallEvent], list[Rejected]]:
    text = _excerpt(payload)
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return [], [Rejected(site, None, f"not an EventBatch: {error}", text)]
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], [Rejected(site, None, f"not an EventBatch: {error}", text)]
    events, rejected = [], []
    for item in items:
        raw = json.dumps(item, ensure_ascii=False).encode()
        try:
            events.append(parse(HallEvent, raw, max_bytes=None))
        except InvalidMessage as exc:
            seq = item.get("seq") if isinstance(item, dict) else None
            number = seq if isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq < 2**63 else None
            rejected.append(Rejected(site, number, f"bad event: {exc}", _excerpt(raw)))
    return events, rejected


def _excerpt(payload: bytes) -> str:
    return payload[:KEEP_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")


def event_row(site: str, event: HallEvent) -> EventRow:
    return (
        site,
        event.seq,
        event.kind.value,
        event.at,
        event.counter,
        event.ticket_id,
        event.service,
        event.officer,
        event.detail,
        event.reason.value if event.reason else None,
        event.from_service,
        event.rating,  # the key of a level of the hall's own scale
        event.outcome.value if event.outcome else None,
        event.meaning.value if event.meaning else None,
        event.procedure,
    )


@dataclass(frozen=True)
class Parsed:
    """One ``events`` payload, decoded (in a parse worker): its events as COPY lines, and what was refused."""

    seqs: list[int]
    lines: list[bytes]  # `event_line` of each event (`province.db.copy_line` of its row), in the order of `seqs`
    months: set[date]
    rejected: list[Rejected]


def parse_for_copy(site: str, payload: bytes, max_bytes: int) -> Parsed:
    decoded = decode(site, payload, max_bytes)
    seqs, lines, months = [], [], set()
    for event in decoded.events:
        seqs.append(event.seq)
        lines.append(event_line(site, event))
        at = event.at  # held in UTC by the contract (UtcTime): its month is its partition's
        months.add(date(at.year, at.month, 1) if at.tzinfo is UTC else month_of(at))
    return Parsed(seqs, lines, months, decoded.rejected)


_N = "\\N"  # COPY's NULL


def _text(value: str | None) -> str:
    return _N if value is None else copy_text(value)


def event_line(site: str, event: HallEvent) -> bytes:
    """``copy_line(event_row(site, event))``, the same bytes, in ~60 % of its time (2.6 µs against 4.2): this runs
    for every event (tests/test_province_db.py compares the two). Only free text can hold COPY's special characters;
    slugs, codes and enum values cannot (the contract's patterns)."""
    e = event.__dict__  # the validated fields, read without pydantic's attribute lookup
    counter, reason, rating, outcome, meaning = e["counter"], e["reason"], e["rating"], e["outcome"], e["meaning"]
    service, officer, from_service, procedure = e["service"], e["officer"], e["from_service"], e["procedure"]
    return (
        f"{site}\t{e['seq']}\t{e['kind'].value}\t{e['at'].isoformat()}\t{_N if counter is None else counter}\t"
        f"{_text(e['ticket_id'])}\t{_N if service is None else service}\t{_N if officer is None else officer}\t"
        f"{_text(e['detail'])}\t{_N if reason is None else reason.value}\t"
        f"{_N if from_service is None else from_service}\t{_N if rating is None else rating}\t"
        f"{_N if outcome is None else outcome.value}\t{_N if meaning is None else meaning.value}\t"
        f"{_N if procedure is None else procedure}\n"
    ).encode()


def _parse_chunk(chunk: Sequence[tuple[str, bytes]], max_bytes: int) -> list[Parsed]:
    return [parse_for_copy(site, payload, max_bytes) for site, payload in chunk]


def _ready() -> bool:
    return True


@dataclass(frozen=True)
class Prepared:
    """A batch of messages as the parser hands it to the writer: every hall payload parsed, in order."""

    batch: Sequence[Received]  # acknowledged once written
    sites: list[str]  # the hall of each payload of `parsed`
    parsed: list[Parsed]
    status: list[tuple[str, bytes]]  # bridge status messages: (site, payload)
    parse_s: float


#: How many parsed batches may wait for the writer (the parser runs ahead by this much, no more: memory).
PREPARED_AHEAD = 2

#: Fewer payloads than this in a batch are parsed in the parser thread itself (a calm day: no round trip to a worker).
POOL_MIN_MESSAGES = 16


class Collector:
    """Subscribe to every hall, write PostgreSQL, acknowledge after commit, ask for what is missing."""

    def __init__(
        self,
        config: ProvinceConfig,
        *,
        client_factory: Callable[..., mqtt.Client] = mqtt.Client,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.settings = config.mqtt
        self.options = config.collector
        self._client_factory = client_factory
        self._monotonic = monotonic
        self._inbox: queue.Queue[Received] = queue.Queue()
        self._prepared: queue.Queue[Prepared] = queue.Queue(maxsize=PREPARED_AHEAD)
        self._stop = threading.Event()
        self._parser: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._db: ProvinceDb | None = None
        self._pool: ProcessPoolExecutor | None = None
        self.ledger = Ledger()
        self._asked: dict[str, tuple[int, float]] = {}  # site -> (from_seq asked, when)
        self._reconnected: set[str] = set()
        self.connected = threading.Event()
        self.written = 0  # events written since start (for tests and the log)

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._db = ProvinceDb(self.config.database.dsn)
        self._db.register(self.config.halls)
        self.ledger = self._db.load_ledger()
        logger.info(
            "province collector: %d halls in the registry, %d known in the database",
            len(self.config.halls),
            len(self.ledger.halls),
        )
        client = self._client_factory(
            CallbackAPIVersion.VERSION2,
            client_id=self.options.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        client.enable_logger(logging.getLogger("paho.province"))
        client.username_pw_set(self.settings.username or self.options.client_id, self.settings.resolved_password())
        if self.settings.ca_file is not None:
            client.tls_set(ca_certs=str(self.settings.ca_file))
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_socket_open = _no_delay
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.settings.session_expiry_s
        properties.ReceiveMaximum = 10000  # unacknowledged messages in flight: a few batches' worth (pipelining)
        self._client = client
        if self.options.parse_workers:
            # spawn, not fork: paho's and psycopg's threads and sockets must not be copied into the workers
            spawn = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.options.parse_workers, mp_context=spawn)
            for _ in range(self.options.parse_workers):
                self._pool.submit(_ready)  # start them now, not with the first busy batch
        self._parser = threading.Thread(target=self._parse_loop, name="province-parser", daemon=True)
        self._parser.start()
        self._writer = threading.Thread(target=self._write_loop, name="province-writer", daemon=True)
        self._writer.start()
        client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        client.loop_start()

    def stop(self) -> None:
        """Write what was received, acknowledge it, disconnect. Safe to call twice."""
        self._stop.set()
        if self._parser is not None:
            self._parser.join(30)
            self._parser = None
        if self._writer is not None:  # it writes what the parser had prepared, then ends
            self._writer.join(30)
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- paho's network thread: queue only ---------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            logger.error("provincial broker refused the connection: %s", reason)
            return
        client.subscribe([(Topics.every_hall("events"), 1), (Topics.every_hall("bridge/status"), 1)])
        logger.info("connected to the provincial broker (session present: %s)", flags.session_present)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, reasons: Any, _p: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            logger.error("the provincial broker refused a subscription: %s", reasons)
        self.connected.set()  # subscribed: from now on every hall's events reach this session

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            logger.warning("lost the provincial broker (%s); reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(Received(message.topic, bytes(message.payload), message.mid, message.qos))

    # --- the parser thread: batches of messages, parsed -------------------------------------------------

    def _parse_loop(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            deadline = self._monotonic() + self.options.batch_wait_s
            while len(batch) < self.options.batch_messages:
                try:
                    batch.append(self._inbox.get(timeout=max(0.0, deadline - self._monotonic())))
                except queue.Empty:
                    break
            prepared = self._prepare(batch)
            while True:  # wait for the writer; a batch parsed but not written is not acknowledged either way
                try:
                    self._prepared.put(prepared, timeout=0.2)
                    break
                except queue.Full:
                    if self._stop.is_set() and not self._writer_alive():
                        return

    def _writer_alive(self) -> bool:
        return self._writer is not None and self._writer.is_alive()

    def _prepare(self, batch: Sequence[Received]) -> Prepared:
        started = self._monotonic()
        payloads: list[tuple[str, bytes]] = []
        status: list[tuple[str, bytes]] = []
        for message in batch:
            try:
                site = Topics.site_of(message.topic)
            except ContractError as exc:
                logger.warning("ignored a message on %s: %s", message.topic, exc)
                continue
            if message.topic == Topics(site).bridge_status():
                status.append((site, message.payload))
            else:
                payloads.append((site, message.payload))
        parsed = self._parse(payloads)
        return Prepared(batch, [site for site, _ in payloads], parsed, status, self._monotonic() - started)

    # --- the writer thread -----------------------------------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            try:
                prepared = self._prepared.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set() and (self._parser is None or not self._parser.is_alive()):
                    return
                self._ask_for_missing()
                continue
            self._write_until_done(prepared)
            self._ask_for_missing()

    def _write_until_done(self, prepared: Prepared) -> None:
        delay = 0.5
        while True:
            try:
                self._write(prepared)
                return
            except psycopg.Error:
                logger.exception(
                    "cannot write %d messages to PostgreSQL; retrying in %.1f s", len(prepared.batch), delay
                )
                if self._stop.wait(delay):
                    return  # not acknowledged: the broker sends them again to the next run
                delay = min(delay * 2, 30.0)
                self._reconnect_db()

    def _reconnect_db(self) -> None:
        try:
            if self._db is not None:
                self._db.close()
            self._db = ProvinceDb(self.config.database.dsn)
            self.ledger = self._db.load_ledger()
        except psycopg.Error as exc:
            logger.error("PostgreSQL still unreachable: %s", exc)

    def _write(self, prepared: Prepared) -> None:
        assert self._db is not None
        touched: dict[str, HallLedger] = {}
        lines: list[bytes] = []
        months: set[date] = set()
        rejected: list[Rejected] = []
        online: dict[str, bool] = {}
        started = self._monotonic()
        for site, payload in prepared.status:
            state = payload.strip()
            if state in (b"0", b"1"):
                online[site] = state == b"1"
            if state == b"1":
                self._reconnected.add(site)
        for site, part in zip(prepared.sites, prepared.parsed, strict=True):
            hall = touched.get(site)
            if hall is None:
                known = self.ledger.hall(site)
                hall = touched[site] = replace(known, above=set(known.above))
            if part.rejected:
                for refused in part.rejected:
                    logger.warning("hall %s: refused %s (seq %s)", site, refused.reason, refused.seq)
                # A refused event with a readable number counts as held: asking again would give the same bytes.
                refused_seqs = set(hall.add(r.seq for r in part.rejected if r.seq is not None))
                rejected += [r for r in part.rejected if r.seq is None or r.seq in refused_seqs]
            new = hall.add(part.seqs)
            if len(new) == len(part.seqs):
                lines += part.lines  # the usual case: every number new, each once
            else:
                fresh = set(new)
                for seq, line in zip(part.seqs, part.lines, strict=True):
                    if seq in fresh:  # each new number once, even if a payload repeats it
                        fresh.discard(seq)
                        lines.append(line)
            months |= part.months
        now = datetime.now(UTC)
        rows = CopyRows(lines, months)
        self._db.write(rows, rejected, {site: hall.contiguous for site, hall in touched.items()}, now, online)
        self.ledger.halls.update(touched)
        self.written += len(lines)
        client = self._client
        if client is not None:
            for message in prepared.batch:
                if message.qos > 0:
                    client.ack(message.mid, message.qos)
        if lines or rejected:
            logger.debug(
                "wrote %d events, %d refused, from %d messages of %d halls: parsed in %.3f s, written in %.3f s",
                len(lines),
                len(rejected),
                len(prepared.batch),
                len(touched),
                prepared.parse_s,
                self._monotonic() - started,
            )

    def _parse(self, payloads: list[tuple[str, bytes]]) -> list[Parsed]:
        """Every payload parsed and formatted, in order: by the parse workers for a busy batch."""
        limit = self.options.max_payload_bytes
        pool = self._pool
        if pool is not None and len(payloads) >= POOL_MIN_MESSAGES:
            size = -(-len(payloads) // (2 * self.options.parse_workers))  # two chunks per worker: they even out
            chunks = [payloads[i : i + size] for i in range(0, len(payloads), size)]
            try:
                return [part for done in pool.map(partial(_parse_chunk, max_bytes=limit), chunks) for part in done]
            except BrokenProcessPool as exc:
                logger.error("the parse workers died (%s); parsing in the writer from now on", exc)
                self._pool = None
        return _parse_chunk(payloads, limit)

    def _ask_for_missing(self) -> None:
        client = self._client
        if client is None or not self.connected.is_set():
            return
        now = self._monotonic()
        requests: dict[str, ResendRequest] = {}
        for site in sorted(self._reconnected):
            # The bridge is back: the hall may hold events the province never saw (nothing shows a gap yet).
            requests[site] = ResendRequest(from_seq=self.ledger.hall(site).contiguous + 1)
        self._reconnected.clear()
        # A gap is asked for once it has stayed open `resend_after_s`: out-of-order arrival fills it by itself.
        for site, (first, last) in self.ledger.overdue(now, self.options.resend_after_s).items():
            asked = self._asked.get(site)
            if site not in requests and (
                asked is None or asked[0] != first or now - asked[1] >= self.options.resend_interval_s
            ):
                requests[site] = ResendRequest(from_seq=first, to_seq=last)
        for site, request in requests.items():
            self._asked[site] = (request.from_seq, now)
            client.publish(Topics(site).province_resend(), request.to_bytes(), qos=1)
            logger.info("asked hall %s to resend events %s..%s", site, request.from_seq, request.to_seq or "end")


def _no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
