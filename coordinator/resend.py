"""The hall's answer to the province's `ResendRequest`: the asked events again, from the database.

The province sees a gap in a hall's `seq` (events lost with a broker's queue, a crash between commit and
publish, a week offline) and asks on ``province/resend`` (docs/protocol.md, "Resend"). The events are read back
from the coordinator's database through a read-only connection — it sees only committed rows, so nothing of a
batch still in its transaction goes out — and published on ``events`` as ordinary `EventBatch` messages, exactly
as they were first sent: the province drops the ones it already has by (hall, seq).

A rating event's level and outcome live in the ratings table (the event row has the counter, the ticket and the
moment of the press): they are joined back by counter, press time and ticket, in order (presses of one button
storm share all three). A column on the event row would be simpler: a migration step for the store's owner.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from coordinator import views
from coordinator.store import event_from_row, open_readonly
from motcua.contract import (
    MAX_RESEND_EVENTS,
    EventBatch,
    EventKind,
    HallEvent,
    InvalidMessage,
    RatingMeaning,
    RatingOutcome,
    ResendRequest,
    parse,
)
from motcua.session import Inbound, MqttSession

logger = logging.getLogger(__name__)

#: Events per `EventBatch` of an answer (the size of the coordinator's own largest batches).
RESEND_BATCH = 1000

_EVENTS = "SELECT * FROM events WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?"
# A button storm gives several presses with the same counter, moment and ticket: the n-th such rating event is
# the n-th such ratings row (the coordinator writes each judged vote's row, then its event, in one savepoint).
_SAME_PRESS_BEFORE = """SELECT COUNT(*) FROM events WHERE kind = 'rating' AND counter IS ? AND at = ?
    AND ticket_id IS ? AND id < ?"""
_PRESSES = """SELECT level, meaning, outcome FROM ratings WHERE counter IS ? AND pressed_at = ? AND ticket_id IS ?
    ORDER BY rowid LIMIT 1 OFFSET ?"""

_PROCEDURE = "SELECT procedure FROM tickets WHERE id = ?"


def read_events(db: sqlite3.Connection, from_seq: int, to_seq: int | None, limit: int) -> list[HallEvent]:
    """The committed events `from_seq`..`to_seq` (inclusive; None: to the end), at most `limit`, as first sent."""
    last = to_seq if to_seq is not None else 2**63 - 1
    events = []
    for row in db.execute(_EVENTS, (from_seq, last, limit)).fetchall():
        event = event_from_row(row)
        rating: str | None = None
        meaning: RatingMeaning | None = None
        outcome: RatingOutcome | None = None
        if event.kind is EventKind.RATING:
            key = (row["counter"], row["at"], row["ticket_id"])
            (before,) = db.execute(_SAME_PRESS_BEFORE, (*key, row["id"])).fetchone()
            press = db.execute(_PRESSES, (*key, before)).fetchone()
            if press is not None:
                rating, outcome = press["level"], RatingOutcome(press["outcome"])
                meaning = RatingMeaning(press["meaning"])
        procedure: str | None = None
        if event.kind is EventKind.ISSUED and event.ticket_id:
            # The issued event's procedure is the ticket's (the tickets table keeps it; the event row does not).
            ticket = db.execute(_PROCEDURE, (event.ticket_id,)).fetchone()
            procedure = ticket["procedure"] if ticket is not None else None
        events.append(
            views.hall_event(row["id"], event, rating=rating, meaning=meaning, outcome=outcome, procedure=procedure)
        )
    return events


class ResendResponder:
    """Answers ``province/resend`` on the coordinator's session (its dispatch thread)."""

    def __init__(self, database: Path, session: MqttSession) -> None:
        self.database = database
        self.session = session
        self.topics = session.topics

    def attach(self) -> None:
        self.session.subscribe(self.topics.province_resend(), self.on_request)

    def on_request(self, inbound: Inbound) -> None:
        try:
            request = parse(ResendRequest, inbound.payload)
        except InvalidMessage as exc:
            logger.warning("bad resend request on %s: %s", inbound.topic, exc)
            return
        if request.to_seq is not None and request.to_seq < request.from_seq:
            logger.warning("resend request %s..%s is empty; ignored", request.from_seq, request.to_seq)
            return
        try:
            db = open_readonly(self.database)
        except (OSError, sqlite3.Error) as exc:
            logger.error("cannot read %s to answer a resend request: %s", self.database, exc)
            return
        try:
            events = read_events(db, request.from_seq, request.to_seq, MAX_RESEND_EVENTS)
        except sqlite3.Error as exc:
            logger.error("cannot read events to resend: %s", exc)
            return
        finally:
            db.close()
        for start in range(0, len(events), RESEND_BATCH):
            self.session.publish(self.topics.events(), EventBatch(events=events[start : start + RESEND_BATCH]))
        logger.info(
            "province asked for events %s..%s: sent %d",
            request.from_seq,
            request.to_seq if request.to_seq is not None else "end",
            len(events),
        )
