"""The coordinator's MQTT side: payload -> validated message -> engine command -> store -> replies.

One handler per request kind; each returns its reply, which goes to the reply topic that kind names (built by
`motcua.contract.Topics`, whatever ResponseTopic the request asked for). What is published is built by the pure
views in `coordinator.views`.

All handlers run on the session's single dispatch thread, so the engine needs no locks. Messages are handled in
batches: each message's writes go into a savepoint of one transaction; after the batch the transaction is
committed (one fsync for the batch — group commit) and only then are replies, calls, states and the board
published. Nothing is acknowledged before it is durable.

A bad payload is answered with a coded `ErrorReply` (a vote: a ``rejected`` `RatingAck`) and logged; it never
stops the service. An unexpected
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

from coordinator import views
from coordinator.engine import AuditEvent, CallEvent, Changes, QueueEngine, QueueError
from coordinator.limits import RateLimiter, Summary
from coordinator.ratings import check_alert, judge, voting_device
from coordinator.resend import ResendResponder
from coordinator.store import Store
from motcua.clock import Clock
from motcua.contract import (
    ANY,
    MAX_REQUEST_BYTES,
    Catalogue,
    CounterCommand,
    CounterReply,
    CounterState,
    ErrorCode,
    ErrorReply,
    EventBatch,
    EventKind,
    HallEvent,
    InvalidMessage,
    Message,
    Notice,
    Procedure,
    RatingAck,
    RatingAlert,
    RatingOutcome,
    RatingVote,
    TicketCancel,
    TicketCancelled,
    TicketIssued,
    parse,
    parse_counter_result,
    parse_kiosk_request,
)
from motcua.errors import ContractError
from motcua.hall import HallConfig
from motcua.session import Inbound, MqttSession, Priority

logger = logging.getLogger(__name__)

#: How often (real seconds) the coordinator looks at the clock (day rollover, services opening and closing) and
#: publishes views held back by the throttles below.
TICK_INTERVAL_S = 0.1
#: The board and the keypads' waiting counts change with every ticket: at most one update per this interval
#: (a citizen cannot tell; a busy hall would otherwise publish them hundreds of times a second).
VIEW_INTERVAL_S = 0.1
#: Events for the province (docs/protocol.md, "Province: events"): a committed batch's events go out right after
#: the commit, in one EventBatch, unless one went out less than this long ago; then they wait for the end of the
#: interval and go out together with what was committed meanwhile. Prompt when the hall is calm (no wait), and a
#: burst of thousands of tickets is a few messages per second, not thousands. Whole commits, in order, never split.
EVENT_INTERVAL_S = 0.25
#: ... or as soon as this many events wait (a burst does not make one huge message).
MAX_EVENT_BATCH = 1000
#: The broker drops a call still undelivered after this (a display offline for longer shows the board instead).
CALL_EXPIRY_S = 120


@dataclass(frozen=True)
class _Reply:
    """A reply to one request, on the topic the contract defines for its sender."""

    inbound: Inbound
    topic: str
    message: Message


@dataclass
class _Pending:
    """What a batch will publish once committed."""

    replies: list[_Reply] = field(default_factory=list)
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
        self.raters: dict[int, set[str]] = {}  # counter -> the devices that may vote there (pads, tablets)
        for device in [*hall.devices.pads, *hall.devices.counter_screens]:
            self.raters.setdefault(device.counter, set()).add(device.id)
        self._pending = _Pending()
        self._throttled = _Throttled()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.notice: str | None = None  # the board's scrolling notice, from the console's retained `notice`
        limits = hall.limits
        self.kiosk_limit = RateLimiter(limits.kiosk_per_min, limits.kiosk_burst)
        self.keypad_limit = RateLimiter(limits.keypad_per_min, limits.keypad_burst)
        self.pad_limit = RateLimiter(limits.pad_per_min, limits.pad_burst)
        self._limit_summary = Summary()

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._restore()
        self._pending.board = self._pending.catalogue = True
        self._pending.counters = set(self.engine.counters)
        topics = self.topics
        # Each request kind names its reply topic: the contract's topic for the sender, whatever ResponseTopic
        # the request asked for (a device cannot make the coordinator publish elsewhere).
        kiosk, counter = self._kiosk_key, self._counter_key
        self._route(
            topics.ticket_request(ANY), self.on_kiosk_request, topics.ticket_reply_for, (self.kiosk_limit, kiosk)
        )
        self._route(
            topics.ticket_cancel(ANY), self.on_kiosk_request, topics.ticket_reply_for, (self.kiosk_limit, kiosk)
        )
        self._route(
            topics.counter_command(ANY), self.on_counter_command, topics.counter_reply_for, (self.keypad_limit, counter)
        )
        self._route(topics.rating(ANY), self.on_rating, None, (self.pad_limit, counter))
        self._route(topics.notice(), self.on_notice, None)
        # The province asks again for events it missed (docs/protocol.md, "Resend").
        ResendResponder(self.store.path, self.session).attach()
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
        # Events held back by the interval are committed: they go out before the session stops.
        self.session.call_soon(self._publish_held_events)
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

    # --- handlers: one per request kind; each returns its reply (None: nothing to answer) -----------------

    def on_kiosk_request(self, inbound: Inbound) -> Message:
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
            return TicketCancelled(request_id=request.request_id, ticket_id=ticket.id if ticket else None)
        self.engine.check_age(now, request.sent_at, speed=self.clock.speed)
        booking = None
        if request.booking is not None:
            booking = self.store.booking(request.booking)
            if booking is None:
                raise QueueError(ErrorCode.UNKNOWN_BOOKING, f"no booking {request.booking}")
        ticket = self.engine.issue(
            now,
            request_id=str(request.request_id),
            service=request.service,
            procedure=request.procedure,
            priority=request.priority,
            kiosk=kiosk,
            booking=booking,
        )
        return TicketIssued(request_id=request.request_id, ticket=views.ticket_info(self.engine, ticket))

    def on_counter_command(self, inbound: Inbound) -> Message:
        """Run a keypad's command once: the same request id again (a QoS 1 redelivery, a resend) gets the reply the
        first one got, and changes nothing. A command too late to run (``stale_command``) was not run: it is not
        recorded, so a keypad may send it again under the same id with a new deadline."""
        counter = self.topics.counter_of(inbound.topic)
        command = parse(CounterCommand, inbound.payload)
        if counter not in self.engine.counters:
            raise QueueError(ErrorCode.UNKNOWN_COUNTER, f"unknown counter {counter}")
        request_id = str(command.request_id)
        answered = self.store.counter_reply(request_id)
        if answered is not None:
            logger.info(
                "counter %s: %s %s again; its first reply sent again", counter, command.action.value, request_id
            )
            return parse_counter_result(answered)
        now = self.clock.now()
        self.engine.check_age(now, command.sent_at, deadline=command.deadline, speed=self.clock.speed)
        reply: CounterReply | ErrorReply
        try:
            ticket = self.engine.command(
                now,
                counter,
                command.action,
                officer=command.officer,
                service=command.service,
                ticket_id=command.ticket_id,
                reason=command.reason,
                dossier_code=command.dossier_code,
            )
            logger.info("counter %s: %s%s", counter, command.action.value, f" -> {ticket.label}" if ticket else "")
            reply = CounterReply(
                request_id=command.request_id,
                action=command.action,
                state=views.counter_state(self.engine, counter, now),
            )
        except QueueError as exc:
            logger.info("refused %s: %s", inbound.topic, exc)
            reply = ErrorReply(error=exc.code, message=str(exc), request_id=command.request_id)
        self.store.add_counter_command(
            request_id=request_id, counter=counter, action=command.action.value, received_at=now, reply=reply.to_bytes()
        )
        return reply

    def on_notice(self, inbound: Inbound) -> None:
        """The console's retained notice: shown on the board (nothing stored; the broker retains it)."""
        notice = parse(Notice, inbound.payload)
        text = notice.text or None
        if text != self.notice:
            self.notice = text
            logger.info("board notice set by %s (%d characters)", notice.by or "?", len(notice.text))
            self._pending.board = True

    def on_rating(self, inbound: Inbound) -> None:
        """Judge a vote and acknowledge it on its counter's ack topic. Every vote gets an ack: one that cannot be
        judged (malformed, or for a counter the hall does not have) is kept as rejected and answered ``rejected``
        with a reason, so a pad never resends it forever."""
        ack_topic = self.topics.rating_ack_for(inbound.topic)
        try:
            vote = parse(RatingVote, inbound.payload)
        except InvalidMessage as exc:
            self._reject_vote(inbound, ack_topic, _field_of(inbound.payload, "id"), exc.code, str(exc))
            return
        try:
            counter = self.topics.counter_of(inbound.topic)
        except ContractError:
            counter = 0  # not a number: no such counter either
        if counter not in self.engine.counters:
            self._reject_vote(inbound, ack_topic, vote.id, ErrorCode.UNKNOWN_COUNTER, "no such counter in this hall")
            return
        known = self.store.rating(str(vote.id))
        if known is not None:
            self._pending.acks.append(
                (
                    self.topics.rating_ack(counter),
                    RatingAck(id=vote.id, outcome=RatingOutcome.DUPLICATE, ticket_id=known.ticket_id),
                )
            )
            return
        implausible = self._implausible_press(vote.pressed_at)
        if implausible:
            self._reject_vote(inbound, ack_topic, vote.id, ErrorCode.IMPLAUSIBLE_TIME, implausible)
            return
        level = self.hall.rating.level(vote.level)
        if level is None:  # a pad wired for another scale: kept as rejected (bad_request), never counted
            keys = ", ".join(self.hall.rating.keys)
            detail = f"level {vote.level!r} is not on this hall's scale ({keys})"
            self._reject_vote(inbound, ack_topic, vote.id, ErrorCode.BAD_REQUEST, detail)
            return
        window = timedelta(minutes=self.hall.rating.window_min)
        visits = self.store.visits(counter, vote.pressed_at, window)
        verdict = judge(vote.pressed_at, flagged_by_pad=vote.misuse, visits=visits, window=window)
        officer, service = self.store.ticket_owner(verdict.ticket_id) if verdict.ticket_id else (None, None)
        now = self.clock.now()
        device = voting_device(
            vote.device, registered=self.raters.get(counter, set()), counter_pad=self.pads.get(counter)
        )
        if vote.device is not None and device is None:
            logger.warning("rating %s names device %r, not registered at counter %s", vote.id, vote.device, counter)
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
            device=device,
            reason=verdict.reason,
            reasons=vote.reasons or (),
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
            views.hall_event(
                self.store.add_event(event), event, rating=vote.level, meaning=level.meaning, outcome=verdict.outcome
            )
        )
        if verdict.outcome is RatingOutcome.COUNTED:
            self._check_alert(counter, vote.pressed_at)

    def _implausible_press(self, pressed_at: datetime) -> str | None:
        """Why a press time cannot be believed (None: it can): further ahead of the coordinator's clock than clocks
        differ, or older than a pad's outbox holds a vote through a short outage. In the hall's clock (scaled for
        the demo and the simulator)."""
        limits, now = self.hall.limits, self.clock.now()
        speed = max(1.0, self.clock.speed)
        if pressed_at > now + timedelta(seconds=limits.vote_future_s * speed):
            return f"pressed_at {pressed_at.isoformat()} is ahead of the coordinator's clock {now.isoformat()}"
        if pressed_at < now - timedelta(seconds=limits.vote_max_age_s * speed):
            return f"pressed_at {pressed_at.isoformat()} is older than {limits.vote_max_age_s:g} s"
        return None

    def _reject_vote(
        self, inbound: Inbound, ack_topic: str, vote_id: uuid.UUID | None, reason: ErrorCode, detail: str
    ) -> None:
        counter = self.topics.counter_level_of(inbound.topic)
        known = self.store.rejected_rating(str(vote_id)) if vote_id is not None else None
        if known is None:  # a pad resending a rejected vote (it lost the ack) does not add another row
            self.store.add_rejected_rating(
                rating_id=str(vote_id) if vote_id is not None else None,
                counter=counter,
                received_at=self.clock.now(),
                reason=reason,
                detail=detail,
                payload=inbound.payload,
            )
        logger.warning("rating %s on %s rejected (%s): %s", vote_id or "(id unreadable)", inbound.topic, reason, detail)
        self._pending.acks.append(
            (ack_topic, RatingAck(id=vote_id, outcome=RatingOutcome.REJECTED, reason=known or reason))
        )

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
        self._pending.events.append(views.hall_event(self.store.add_event(event), event, alert=alert))
        self._pending.alerts.append(alert)

    # --- the batch: guard each message, commit once, then publish ------------------------------------

    def _route(
        self,
        topic_filter: str,
        handler: Callable[[Inbound], Message | None],
        reply_topic: Callable[[str], str] | None,
        limit: tuple[RateLimiter, Callable[[str], str]] | None = None,
    ) -> None:
        """Subscribe `handler` to `topic_filter`; its reply (or the error that refused the request) goes to
        ``reply_topic(inbound.topic)``. With `limit` (a limiter and the device key of a topic), what a device sends
        beyond its rate is refused before anything is parsed or stored."""
        self.session.subscribe(topic_filter, self._guard(handler, reply_topic, limit))

    def _kiosk_key(self, topic: str) -> str:
        try:
            kiosk = self.topics.kiosk_of(topic)
        except ContractError:
            return "?"
        return kiosk if kiosk in self.kiosks else "?"  # unknown ids share one bucket: no bucket per made-up id

    def _counter_key(self, topic: str) -> str:
        try:
            level = self.topics.counter_level_of(topic)
        except ContractError:
            return "?"
        return level if level.isdigit() and int(level) in self.engine.counters else "?"

    def _rate_limited(self, limit: tuple[RateLimiter, Callable[[str], str]], inbound: Inbound) -> bool:
        """True (and answered with a coded refusal, nothing stored, nothing logged per message) if over the rate."""
        limiter, key = limit
        if limiter.allow(key(inbound.topic), self.clock.now().timestamp()):
            return False
        if limiter is self.pad_limit:
            self._pending.acks.append(
                (
                    self.topics.rating_ack_for(inbound.topic),
                    RatingAck(
                        id=_field_of(inbound.payload, "id"),
                        outcome=RatingOutcome.REJECTED,
                        reason=ErrorCode.RATE_LIMITED,
                    ),
                )
            )
        return True

    def _report_refused(self) -> None:
        """One summary line a minute per device that was refused for its rate (never one line per message)."""
        if not self._limit_summary.due(time.monotonic()):
            return
        for kind, limiter in (("kiosk", self.kiosk_limit), ("keypad", self.keypad_limit), ("pad", self.pad_limit)):
            for device, count in sorted(limiter.take_refused().items()):
                logger.warning(
                    "%s %s: %d message(s) refused over its rate limit (%g/min, burst %d) since the last summary",
                    kind,
                    device,
                    count,
                    limiter.per_min,
                    limiter.burst,
                )

    def _guard(
        self,
        handler: Callable[[Inbound], Message | None],
        reply_topic: Callable[[str], str] | None,
        limit: tuple[RateLimiter, Callable[[str], str]] | None = None,
    ) -> Callable[[Inbound], None]:
        def reply(inbound: Inbound, message: Message) -> None:
            if reply_topic is None:
                return
            try:
                topic = reply_topic(inbound.topic)
            except ContractError as exc:
                logger.warning("cannot answer %s: %s", inbound.topic, exc)
                return
            self._pending.replies.append(_Reply(inbound, topic, message))

        def guarded(inbound: Inbound) -> None:
            if limit is not None and self._rate_limited(limit, inbound):
                if reply_topic is not None:
                    reply(
                        inbound,
                        ErrorReply(
                            error=ErrorCode.RATE_LIMITED,
                            message="too many requests from this device",
                            request_id=_request_id(inbound),
                        ),
                    )
                return
            events_before = len(self._pending.events)
            try:
                with self.store.savepoint():
                    try:
                        answer = handler(inbound)
                        if answer is not None:
                            reply(inbound, answer)
                    except QueueError as exc:
                        logger.info("refused %s: %s", inbound.topic, exc)
                        reply(inbound, ErrorReply(error=exc.code, message=str(exc), request_id=_request_id(inbound)))
                    except InvalidMessage as exc:
                        logger.warning("bad payload on %s: %s", inbound.topic, exc)
                        reply(inbound, ErrorReply(error=exc.code, message=str(exc)))
                    except ContractError as exc:
                        logger.warning("bad topic %s: %s", inbound.topic, exc)
                        reply(inbound, ErrorReply(error=ErrorCode.BAD_REQUEST, message=str(exc)))
                    changes = self.engine.take_changes()
                    self._absorb(changes, self.store.save(changes, self.engine.counters, self.engine.business_day))
            except Exception:
                logger.exception("internal error handling %s; state reloaded from the store", inbound.topic)
                self._pending.replies = [r for r in self._pending.replies if r.inbound is not inbound]
                # Its events were rolled back with the savepoint and their seq numbers will be used again:
                # publishing them would give the province an event that never happened under a live number.
                del self._pending.events[events_before:]
                self._reload()
                reply(inbound, ErrorReply(error=ErrorCode.INTERNAL, message="internal error, see coordinator log"))

        return guarded

    def _reload(self) -> None:
        """Throw the in-memory state away and rebuild it from what the store holds (committed + this batch)."""
        self.engine.take_changes()
        self._restore()
        self._pending.board = True
        self._pending.counters |= set(self.engine.counters)

    def _send_reply(self, reply: _Reply, message: Message | None = None) -> None:
        inbound = reply.inbound
        if inbound.response_topic not in (None, reply.topic):
            logger.warning(
                "%s asked for replies on %s; replying on %s", inbound.topic, inbound.response_topic, reply.topic
            )
        self.session.reply(inbound, message or reply.message, topic=reply.topic)

    def _absorb(self, changes: Changes, event_ids: list[int]) -> None:
        pending = self._pending
        pending.calls.extend(changes.calls)
        pending.counters |= changes.counters
        pending.views |= changes.counter_views
        pending.board |= changes.board
        pending.catalogue |= changes.catalogue
        pending.events.extend(
            views.hall_event(seq, e, procedure=_procedure_of(changes, e))
            for seq, e in zip(event_ids, changes.events, strict=True)
        )

    def flush(self) -> None:
        """Commit the batch, then publish what it produced. Called after each batch by the session."""
        pending, self._pending = self._pending, _Pending()
        self._report_refused()
        try:
            self.store.commit()
        except sqlite3.Error:
            logger.critical(
                "could not commit to %s; nothing of this batch is acknowledged", self.store.path, exc_info=True
            )
            self.store.rollback()
            self._reload()
            for reply in pending.replies:
                self._send_reply(reply, ErrorReply(error=ErrorCode.INTERNAL, message="storage failure"))
            return
        for reply in pending.replies:
            self._send_reply(reply)
        for topic, ack in pending.acks:
            self.session.publish(topic, ack, priority=Priority.BULK)  # a pad sends an unacked vote again
        for alert in pending.alerts:
            self.session.publish(self.topics.rating_alert(alert.counter), alert, retain=True)
        for call in pending.calls:
            announced = views.call_message(self.engine, call)
            if announced is not None:  # a call nobody heard within two minutes is not worth announcing late
                self.session.publish(self.topics.call(), announced, expiry_s=CALL_EXPIRY_S)
        for number in sorted(pending.counters):
            self.session.publish(self.topics.counter_state(number), self._counter_state(number), retain=True)
        if pending.catalogue:
            self.session.publish(self.topics.catalogue(), self._catalogue(), retain=True)
        later = self._throttled
        later.board |= pending.board
        later.views |= pending.views - pending.counters
        later.events.extend(pending.events)
        # A call changes what the hall's TV must show after any reconnect: its board goes out with it, unthrottled
        # (calls come at a human pace; the throttle is for bursts of tickets).
        self._publish_throttled(now_too=bool(pending.calls))

    def _counter_state(self, number: int) -> CounterState:
        return views.counter_state(self.engine, number, self.clock.now())

    def _catalogue(self) -> Catalogue:
        return views.catalogue(self.engine, self.procedures, self.clock.now())

    def _publish_throttled(self, *, now_too: bool = False) -> None:
        later = self._throttled
        now = time.monotonic()
        if (later.board or later.views) and (now_too or now - later.views_sent >= VIEW_INTERVAL_S):
            for number in sorted(later.views):
                self.session.publish(self.topics.counter_state(number), self._counter_state(number), retain=True)
            if later.board:
                self.session.publish(
                    self.topics.board(), views.board(self.engine, self.clock.now(), notice=self.notice), retain=True
                )
            later.board, later.views, later.views_sent = False, set(), now
        if later.events and (now - later.events_sent >= EVENT_INTERVAL_S or len(later.events) >= MAX_EVENT_BATCH):
            self._publish_held_events()

    def _publish_held_events(self) -> None:
        later = self._throttled
        if later.events:
            self.session.publish(self.topics.events(), EventBatch(events=later.events), priority=Priority.NORMAL)
            later.events, later.events_sent = [], time.monotonic()


def _request_id(inbound: Inbound) -> uuid.UUID | None:
    """Best effort: the request id of a refused request, so the kiosk can match the error to its request."""
    return _field_of(inbound.payload, "request_id")


def _field_of(payload: bytes, name: str) -> uuid.UUID | None:
    """Best effort: a UUID field of a payload that may be malformed (None if it cannot be read)."""
    if len(payload) > MAX_REQUEST_BYTES:
        return None
    try:
        return uuid.UUID(json.loads(payload)[name])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _procedure_of(changes: Changes, event: AuditEvent) -> str | None:
    """The procedure an issued ticket was issued for (its `issued` event carries it to the province)."""
    if event.kind is not EventKind.ISSUED or event.ticket_id is None:
        return None
    ticket = changes.tickets.get(event.ticket_id)
    return ticket.procedure if ticket is not None else None
