"""The coordinator's MQTT side: payload -> validated message -> engine command -> store -> replies.

All handlers run on the session's single dispatch thread, so the engine needs no locks. Messages are handled in
batches: each message's writes go into a savepoint of one transaction; after the batch the transaction is
committed (one fsync for the batch — group commit) and only then are replies, calls, states and the board
published. Nothing is acknowledged before it is durable.

A bad payload is answered with a coded `ErrorReply` and logged; it never stops the service. An unexpected
exception while handling one message undoes that message's writes, rebuilds the engine from the store, answers
``internal`` and goes on with the next message.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from coordinator.engine import AuditEvent, CallEvent, Changes, QueueEngine, QueueError, Ticket
from coordinator.ratings import check_alert, judge
from coordinator.store import Store
from motcua.clock import Clock
from motcua.contract import (
    Board,
    BoardCounter,
    BoardService,
    Call,
    Catalogue,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorCode,
    ErrorReply,
    EventBatch,
    EventKind,
    HallEvent,
    HallInfo,
    InvalidMessage,
    Message,
    Procedure,
    RatingAck,
    RatingAlert,
    RatingMeaning,
    RatingOutcome,
    RatingVote,
    ServiceInfo,
    ServingTicket,
    TicketCancel,
    TicketCancelled,
    TicketInfo,
    TicketIssued,
    parse,
    parse_kiosk_request,
)
from motcua.errors import ContractError
from motcua.hall import HallConfig
from motcua.session import Inbound, MqttSession

logger = logging.getLogger(__name__)

#: How often (real seconds) the coordinator looks at the clock (day rollover, services opening and closing) and
#: publishes views held back by the throttles below.
TICK_INTERVAL_S = 0.1
#: The board and the keypads' waiting counts change with every ticket: at most one update per this interval
#: (a citizen cannot tell; a busy hall would otherwise publish them hundreds of times a second).
VIEW_INTERVAL_S = 0.1
#: Events for the province go out at most once per this interval, in one EventBatch.
EVENT_INTERVAL_S = 1.0
MAX_EVENT_BATCH = 1000
#: The broker drops a call still undelivered after this (a display offline for longer shows the board instead).
CALL_EXPIRY_S = 120


@dataclass
class _Pending:
    """What a batch will publish once committed."""

    replies: list[tuple[Inbound, Message]] = field(default_factory=list)
    acks: list[tuple[str, RatingAck]] = field(default_factory=list)
    calls: list[CallEvent] = field(default_factory=list)
    events: list[HallEvent] = field(default_factory=list)
    alerts: list[RatingAlert] = field(default_factory=list)  # retained on counter/{n}/rating/alert
    counters: set[int] = field(default_factory=set)  # state changed: published with the replies
    views: set[int] = field(default_factory=set)  # only the waiting count changed: throttled
    board: bool = False
    catalogue: bool = False


@dataclass
class _Throttled:
    """Committed views waiting for their throttle (carried across batches)."""

    board: bool = False
    views: set[int] = field(default_factory=set)
    events: list[HallEvent] = field(default_factory=list)
    views_sent: float = float("-inf")  # time.monotonic() of the last board
    events_sent: float = float("-inf")


class CoordinatorService:
    """Wire the engine and the store to the hall's broker."""

    def __init__(
        self, hall: HallConfig, procedures: list[Procedure], store: Store, session: MqttSession, clock: Clock
    ) -> None:
        self.hall = hall
        self.procedures = procedures
        self.store = store
        self.session = session
        self.clock = clock
        self.topics = session.topics
        self.engine = QueueEngine(hall, procedures)
        self.kiosks = {k.id for k in hall.devices.kiosks}
        self.pads = {p.counter: p.id for p in hall.devices.pads}
        self._pending = _Pending()
        self._throttled = _Throttled()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._restore()
        self._pending.board = self._pending.catalogue = True
        self._pending.counters = set(self.engine.counters)
        topics = self.topics
        self.session.subscribe(topics.ticket_request("+"), self._guard(self.on_kiosk_request))
        self.session.subscribe(topics.ticket_cancel("+"), self._guard(self.on_kiosk_request))
        self.session.subscribe(topics.counter_command("+"), self._guard(self.on_counter_command))
        self.session.subscribe(topics.rating("+"), self._guard(self.on_rating))
        self.session.after_batch(self.flush)
        self.session.on_connection_change(self._on_connection)
        self.session.start()
        self._ticker = threading.Thread(target=self._tick_loop, name="coordinator-tick", daemon=True)
        self._ticker.start()
        logger.info(
            "coordinator for %s: %d services, %d counters, %d procedures, business day %s",
            self.hall.hall.site,
            len(self.hall.services),
            len(self.hall.counters),
            len(self.procedures),
            self.engine.business_day,
        )

    def stop(self) -> None:
        self._stop.set()
        self.session.stop()
        self.store.close()

    def _restore(self) -> None:
        self.store.claim(self.hall.hall.site)
        now = self.clock.now()
        state = self.store.load()
        self.engine = QueueEngine(self.hall, self.procedures)
        self.engine.restore(now, state)
        changes = self.engine.take_changes()
        self._absorb(changes, self.store.save(changes, self.engine.counters, self.engine.business_day))
        self.store.commit()

    def _on_connection(self, connected: bool) -> None:
        if connected:  # retained topics may have been lost with a broker that ran without persistence
            self._pending.board = self._pending.catalogue = True
            self._pending.counters |= set(self.engine.counters)
            self.flush()

    def _tick_loop(self) -> None:
        while not self._stop.wait(TICK_INTERVAL_S):
            self.session.call_soon(self.tick)

    def tick(self) -> None:
        self.engine.tick(self.clock.now())
        changes = self.engine.take_changes()
        if changes or changes.catalogue:
            self._absorb(changes, self.store.save(changes, self.engine.counters, self.engine.business_day))
        self.flush()

    # --- handlers ---------------------------------------------------------------------------------------

    def on_kiosk_request(self, inbound: Inbound) -> None:
        kiosk = self.topics.kiosk_of(inbound.topic)
        request = parse_kiosk_request(inbound.payload)
        if kiosk not in self.kiosks:
            raise QueueError(ErrorCode.UNKNOWN_DEVICE, f"unknown kiosk {kiosk!r}")
        now = self.clock.now()
        if isinstance(request, TicketCancel):
            ticket = self.engine.cancel(now, request_id=str(request.request_id), reason=request.reason)
            logger.info(
                "kiosk %s cancelled request %s (%s): %s",
                kiosk,
                request.request_id,
                request.reason,
                ticket.label if ticket else "nothing issued",
            )
            self._reply(
                inbound, TicketCancelled(request_id=request.request_id, ticket_id=ticket.id if ticket else None)
            )
            return
        self.engine.check_age(now, request.sent_at, speed=self.clock.speed)
        ticket = self.engine.issue(
            now,
            request_id=str(request.request_id),
            service=request.service,
            procedure=request.procedure,
            priority=request.priority,
            kiosk=kiosk,
        )
        self._reply(inbound, TicketIssued(request_id=request.request_id, ticket=self.ticket_info(ticket)))

    def on_counter_command(self, inbound: Inbound) -> None:
        counter = self.topics.counter_of(inbound.topic)
        command = parse(CounterCommand, inbound.payload)
        if counter not in self.engine.counters:
            raise QueueError(ErrorCode.UNKNOWN_COUNTER, f"unknown counter {counter}")
        now = self.clock.now()
        self.engine.check_age(now, command.sent_at, speed=self.clock.speed)
        ticket = self.engine.command(
            now,
            counter,
            command.action,
            officer=command.officer,
            service=command.service,
            dossier_code=command.dossier_code,
        )
        logger.info("counter %s: %s%s", counter, command.action.value, f" -> {ticket.label}" if ticket else "")
        self._reply(
            inbound,
            CounterReply(request_id=command.request_id, action=command.action, state=self.counter_state(counter)),
        )

    def on_rating(self, inbound: Inbound) -> None:
        counter = self.topics.counter_of(inbound.topic)
        vote = parse(RatingVote, inbound.payload)
        if counter not in self.engine.counters:
            logger.warning("rating %s for unknown counter %s dropped", vote.id, counter)
            return
        level = self.hall.rating.level(vote.level)
        if level is None:  # a pad wired for another scale: refused, not stored (the pad keeps it and logs the error)
            keys = ", ".join(self.hall.rating.keys)
            raise QueueError(
                ErrorCode.BAD_REQUEST, f"rating {vote.id}: level {vote.level!r} is not on this hall's scale ({keys})"
            )
        known = self.store.rating(str(vote.id))
        if known is not None:
            self._pending.acks.append(
                (
                    self.topics.rating_ack(counter),
                    RatingAck(id=vote.id, outcome=RatingOutcome.DUPLICATE, ticket_id=known.ticket_id),
                )
            )
            return
        window = timedelta(minutes=self.hall.rating.window_min)
        visits = self.store.visits(counter, vote.pressed_at, window)
        verdict = judge(vote.pressed_at, flagged_by_pad=vote.misuse, visits=visits, window=window)
        officer, service = self.store.ticket_owner(verdict.ticket_id) if verdict.ticket_id else (None, None)
        now = self.clock.now()
        self.store.add_rating(
            rating_id=str(vote.id),
            counter=counter,
            level=vote.level,
            meaning=level.meaning,
            pressed_at=vote.pressed_at,
            received_at=now,
            outcome=verdict.outcome,
            ticket_id=verdict.ticket_id,
            officer=officer,
            service=service,
            device=self.pads.get(counter),
            reason=verdict.reason,
        )
        if verdict.outcome is RatingOutcome.COUNTED and verdict.ticket_id:
            self.engine.mark_rated(verdict.ticket_id)
        logger.info("counter %s rating %s: %s (%s)", counter, vote.level, verdict.outcome.value, verdict.reason)
        self._pending.acks.append(
            (
                self.topics.rating_ack(counter),
                RatingAck(id=vote.id, outcome=verdict.outcome, ticket_id=verdict.ticket_id),
            )
        )
        event = AuditEvent(
            at=vote.pressed_at,
            kind=EventKind.RATING,
            counter=counter,
            ticket_id=verdict.ticket_id,
            officer=officer,
            service=service,
            detail=f"{vote.level} {verdict.outcome.value}",
        )
        self._pending.events.append(
            _hall_event(
                self.store.add_event(event), event, rating=vote.level, meaning=level.meaning, outcome=verdict.outcome
            )
        )
        if verdict.outcome is RatingOutcome.COUNTED:
            self._check_alert(counter, vote.pressed_at)

    def _check_alert(self, counter: int, at: datetime) -> None:
        """The hall's alert rule on the counter's counted votes of the window ending at this vote: an event and a
        retained message when the alert starts or stops."""
        rule = self.hall.rating.alert
        if rule is None:
            return
        window = timedelta(minutes=rule.window_min)
        check = check_alert(
            self.store.counted_meanings(counter, at - window, at),
            unsatisfied_pct=rule.unsatisfied_pct,
            min_votes=rule.min_votes,
        )
        was = counter in self.store.active_alerts()
        if check.active == was:
            return
        self.store.set_alert(counter, check.active)
        alert = RatingAlert(
            counter=counter,
            active=check.active,
            unsatisfied=check.unsatisfied,
            votes=check.votes,
            threshold_pct=rule.unsatisfied_pct,
            window_min=rule.window_min,
            min_votes=rule.min_votes,
            at=at,
        )
        share = f"{check.unsatisfied}/{check.votes} unsatisfied in {rule.window_min} min"
        logger.warning("counter %s rating alert %s: %s", counter, "raised" if check.active else "cleared", share)
        event = AuditEvent(
            at=at,
            kind=EventKind.RATING_ALERT,
            counter=counter,
            detail=f"{'raised' if check.active else 'cleared'}: {share}",
        )
        self._pending.events.append(_hall_event(self.store.add_event(event), event, alert=alert))
        self._pending.alerts.append(alert)

    # --- the batch: guard each message, commit once, then publish ------------------------------------

    def _guard(self, handler: Callable[[Inbound], None]) -> Callable[[Inbound], None]:
        def guarded(inbound: Inbound) -> None:
            try:
                with self.store.savepoint():
                    try:
                        handler(inbound)
                    except QueueError as exc:
                        logger.info("refused %s: %s", inbound.topic, exc)
                        self._reply(
                            inbound, ErrorReply(error=exc.code, message=str(exc), request_id=_request_id(inbound))
                        )
                    except InvalidMessage as exc:
                        logger.warning("bad payload on %s: %s", inbound.topic, exc)
                        self._reply(inbound, ErrorReply(error=exc.code, message=str(exc)))
                    except ContractError as exc:
                        logger.warning("bad topic %s: %s", inbound.topic, exc)
                        self._reply(inbound, ErrorReply(error=ErrorCode.BAD_REQUEST, message=str(exc)))
                    changes = self.engine.take_changes()
                    self._absorb(changes, self.store.save(changes, self.engine.counters, self.engine.business_day))
            except Exception:
                logger.exception("internal error handling %s; state reloaded from the store", inbound.topic)
                self._pending.replies = [(i, m) for i, m in self._pending.replies if i is not inbound]
                self._reload()
                self._reply(
                    inbound, ErrorReply(error=ErrorCode.INTERNAL, message="internal error, see coordinator log")
                )

        return guarded

    def _reload(self) -> None:
        """Throw the in-memory state away and rebuild it from what the store holds (committed + this batch)."""
        self.engine.take_changes()
        self._restore()
        self._pending.board = True
        self._pending.counters |= set(self.engine.counters)

    def _reply(self, inbound: Inbound, message: Message) -> None:
        self._pending.replies.append((inbound, message))

    def _send_reply(self, inbound: Inbound, message: Message) -> None:
        """Reply on the topic the contract defines for the sender, whatever ResponseTopic it asked for."""
        topics = self.topics
        try:
            if inbound.topic.startswith(f"{topics.root}/kiosk/"):
                topic = topics.ticket_reply(topics.kiosk_of(inbound.topic))
            elif inbound.topic.startswith(f"{topics.root}/counter/") and inbound.topic.endswith("/cmd"):
                topic = topics.counter_reply(topics.counter_of(inbound.topic))
            else:
                return
        except ContractError:
            return
        if inbound.response_topic not in (None, topic):
            logger.warning("%s asked for replies on %s; replying on %s", inbound.topic, inbound.response_topic, topic)
        self.session.reply(inbound, message, topic=topic)

    def _absorb(self, changes: Changes, event_ids: list[int]) -> None:
        pending = self._pending
        pending.calls.extend(changes.calls)
        pending.counters |= changes.counters
        pending.views |= changes.counter_views
        pending.board |= changes.board
        pending.catalogue |= changes.catalogue
        pending.events.extend(_hall_event(seq, e) for seq, e in zip(event_ids, changes.events, strict=True))

    def flush(self) -> None:
        """Commit the batch, then publish what it produced. Called after each batch by the session."""
        pending, self._pending = self._pending, _Pending()
        try:
            self.store.commit()
        except sqlite3.Error:
            logger.critical(
                "could not commit to %s; nothing of this batch is acknowledged", self.store.path, exc_info=True
            )
            self.store.rollback()
            self._reload()
            for inbound, _ in pending.replies:
                self._send_reply(inbound, ErrorReply(error=ErrorCode.INTERNAL, message="storage failure"))
            return
        for inbound, message in pending.replies:
            self._send_reply(inbound, message)
        for topic, ack in pending.acks:
            self.session.publish(topic, ack)
        for alert in pending.alerts:
            self.session.publish(self.topics.rating_alert(alert.counter), alert, retain=True)
        for call in pending.calls:
            announced = self.call_message(call)
            if announced is not None:  # a call nobody heard within two minutes is not worth announcing late
                self.session.publish(self.topics.call(), announced, expiry_s=CALL_EXPIRY_S)
        for number in sorted(pending.counters):
            self.session.publish(self.topics.counter_state(number), self.counter_state(number), retain=True)
        if pending.catalogue:
            self.session.publish(self.topics.catalogue(), self.catalogue(), retain=True)
        later = self._throttled
        later.board |= pending.board
        later.views |= pending.views - pending.counters
        later.events.extend(pending.events)
        # A call changes what the hall's TV must show after any reconnect: its board goes out with it, unthrottled
        # (calls come at a human pace; the throttle is for bursts of tickets).
        self._publish_throttled(now_too=bool(pending.calls))

    def _publish_throttled(self, *, now_too: bool = False) -> None:
        later = self._throttled
        now = time.monotonic()
        if (later.board or later.views) and (now_too or now - later.views_sent >= VIEW_INTERVAL_S):
            for number in sorted(later.views):
                self.session.publish(self.topics.counter_state(number), self.counter_state(number), retain=True)
            if later.board:
                self.session.publish(self.topics.board(), self.board(), retain=True)
            later.board, later.views, later.views_sent = False, set(), now
        if later.events and (now - later.events_sent >= EVENT_INTERVAL_S or len(later.events) >= MAX_EVENT_BATCH):
            self.session.publish(self.topics.events(), EventBatch(events=later.events))
            later.events, later.events_sent = [], now

    # --- views: engine state -> contract messages ----------------------------------------------------

    def ticket_info(self, ticket: Ticket) -> TicketInfo:
        service = self.hall.service(ticket.service)
        estimate = self.engine.estimate(ticket.service, ticket=ticket)
        return TicketInfo(
            id=ticket.id,
            label=ticket.label,
            number=ticket.number,
            service=ticket.service,
            service_name=service.name,
            service_name_en=service.name_en,
            procedure=ticket.procedure,
            priority=ticket.priority,
            issued_at=ticket.issued_at,
            counters=self.engine.counters_for(ticket.service),
            people_ahead=estimate.people_ahead,
            estimated_wait_min=estimate.minutes,
        )

    def counter_state(self, number: int) -> CounterState:
        counter = self.engine.counters[number]
        ticket = self.engine.serving(counter)
        serving = None
        if ticket is not None and ticket.called_at is not None:
            serving = ServingTicket(
                id=ticket.id,
                label=ticket.label,
                number=ticket.number,
                service=ticket.service,
                priority=ticket.priority,
                called_at=ticket.called_at,
                recalls=ticket.recalls,
            )
        return CounterState(
            counter=number,
            name=self.hall.counter(number).display_name,
            status=counter.status,
            officer=counter.officer,
            officer_name=self.hall.officer_name(counter.officer),
            serving=serving,
            last_finished=counter.last_finished,
            rating_open_until=self.engine.rating_open_until(counter),
            waiting=self.engine.waiting_for_counter(counter),
            updated_at=self.clock.now(),
        )

    def call_message(self, call: CallEvent) -> Call | None:
        ticket = self.engine.tickets.get(call.ticket_id)
        if ticket is None:
            return None
        return Call(
            id=f"{ticket.id}#{call.recall}",
            ticket_id=ticket.id,
            label=ticket.label,
            number=ticket.number,
            counter=call.counter,
            counter_name=self.hall.counter(call.counter).display_name,
            service=ticket.service,
            service_name=self.hall.service(ticket.service).name,
            recall=call.recall,
            called_at=call.at,
        )

    def board(self) -> Board:
        counts = self.engine.waiting_counts()
        calls = [m for m in (self.call_message(c) for c in reversed(self.engine.recent_calls)) if m is not None]
        counters = []
        for config in self.hall.counters:
            counter = self.engine.counters[config.number]
            ticket = self.engine.serving(counter)
            counters.append(
                BoardCounter(
                    number=config.number,
                    name=config.display_name,
                    status=counter.status,
                    serving=ticket.label if ticket else None,
                    services=list(config.services),
                )
            )
        services = []
        for service in self.hall.services:
            estimate = self.engine.estimate(service.id)
            services.append(
                BoardService(
                    id=service.id,
                    name=service.name,
                    name_en=service.name_en,
                    waiting=counts[service.id],
                    estimated_wait_min=estimate.minutes,
                )
            )
        assert self.engine.business_day is not None
        return Board(
            hall_name=self.hall.hall.name,
            business_day=self.engine.business_day,
            calls=calls,
            counters=counters,
            services=services,
            updated_at=self.clock.now(),
        )

    def catalogue(self) -> Catalogue:
        now = self.clock.now()
        hall = self.hall.hall
        services = []
        for service in self.hall.services:
            hours = self.hall.hours_for(service.id)
            services.append(
                ServiceInfo(
                    id=service.id,
                    name=service.name,
                    name_en=service.name_en,
                    fields=service.fields,
                    counters=self.engine.counters_for(service.id),
                    open_now=self.engine.service_open(service.id, now),
                    opening_hours=hours.describe() if hours else None,
                )
            )
        return Catalogue(
            hall=HallInfo(
                site=hall.site, name=hall.name, name_en=hall.name_en, address=hall.address, hotline=hall.hotline
            ),
            services=services,
            procedures=self.procedures,
            priority_categories=list(self.hall.queue.priority_categories),
            updated_at=now,
        )


def _hall_event(
    seq: int,
    event: AuditEvent,
    *,
    rating: str | None = None,
    meaning: RatingMeaning | None = None,
    outcome: RatingOutcome | None = None,
    alert: RatingAlert | None = None,
) -> HallEvent:
    return HallEvent(
        seq=seq,
        kind=event.kind,
        at=event.at,
        counter=event.counter,
        ticket_id=event.ticket_id,
        service=event.service,
        officer=event.officer,
        detail=event.detail,
        reason=event.reason,
        from_service=event.from_service,
        rating=rating,
        meaning=meaning,
        outcome=outcome,
        alert=alert,
    )


def _request_id(inbound: Inbound) -> uuid.UUID | None:
    """Best effort: the request id of a refused request, so the kiosk can match the error to its request."""
    try:
        return uuid.UUID(json.loads(inbound.payload)["request_id"])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # never an "internal" for bad input
        return None
