"""What the coordinator shows: the engine's state as contract messages (pure functions, no I/O).

Each view reads the queue engine (and the hall config it was built with) and returns the message a device
receives: the ticket a kiosk prints, a counter's state for its keypad and pad, a call and the board for the
displays, the catalogue for the kiosks, and a hall event for the province. Time comes as an argument.
"""

from __future__ import annotations

from datetime import datetime

from coordinator.engine import AuditEvent, CallEvent, QueueEngine, Ticket
from motcua.contract import (
    Board,
    BoardCounter,
    BoardService,
    Call,
    Catalogue,
    CounterState,
    CounterStatus,
    EventKind,
    HallEvent,
    HallInfo,
    Procedure,
    RatingAlert,
    RatingMeaning,
    RatingOutcome,
    ServiceInfo,
    ServingTicket,
    TicketInfo,
)


def ticket_info(engine: QueueEngine, ticket: Ticket) -> TicketInfo:
    """The ticket as the kiosk prints it: number, service, counters, people ahead, estimated wait."""
    service = engine.hall.service(ticket.service)
    estimate = engine.estimate(ticket.service, ticket=ticket)
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
        counters=engine.counters_for(ticket.service),
        people_ahead=estimate.people_ahead,
        estimated_wait_min=estimate.minutes,
        booked_for=ticket.booked_for,
    )


def counter_state(engine: QueueEngine, number: int, now: datetime) -> CounterState:
    """What a counter's keypad shows the officer and what its pad needs to invite a rating."""
    hall = engine.hall
    counter = engine.counters[number]
    ticket = engine.serving(counter)
    upcoming = engine.choose(counter, now) if counter.status is not CounterStatus.CLOSED else None  # pure
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
        name=hall.counter(number).display_name,
        status=counter.status,
        officer=counter.officer,
        officer_name=hall.officer_name(counter.officer),
        officer_title=hall.officer_title(counter.officer),
        serving=serving,
        last_finished=counter.last_finished,
        rating_open_until=engine.rating_open_until(counter),
        waiting=engine.waiting_for_counter(counter),
        pause_reason=counter.pause_reason if counter.status is CounterStatus.PAUSED else None,
        next_label=upcoming.label if upcoming is not None else None,
        updated_at=now,
    )


def call_message(engine: QueueEngine, call: CallEvent) -> Call | None:
    """One announcement for the displays (None: the ticket is no longer in today's queue)."""
    ticket = engine.tickets.get(call.ticket_id)
    if ticket is None:
        return None
    return Call(
        id=f"{ticket.id}#{call.recall}",
        ticket_id=ticket.id,
        label=ticket.label,
        number=ticket.number,
        counter=call.counter,
        counter_name=engine.hall.counter(call.counter).display_name,
        service=ticket.service,
        service_name=engine.hall.service(ticket.service).name,
        recall=call.recall,
        called_at=call.at,
    )


def board(engine: QueueEngine, now: datetime, *, notice: str | None = None) -> Board:
    """Everything the waiting-hall TV shows: the latest calls, every counter, every service's queue, and the
    managers' scrolling notice (from the console's retained `Notice`)."""
    hall = engine.hall
    counts = engine.waiting_counts()
    calls = [m for m in (call_message(engine, c) for c in reversed(engine.recent_calls)) if m is not None]
    counters = []
    for config in hall.counters:
        counter = engine.counters[config.number]
        ticket = engine.serving(counter)
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
    for service in hall.services:
        estimate = engine.estimate(service.id)
        services.append(
            BoardService(
                id=service.id,
                name=service.name,
                name_en=service.name_en,
                waiting=counts[service.id],
                estimated_wait_min=estimate.minutes,
            )
        )
    assert engine.business_day is not None
    return Board(
        hall_name=hall.hall.name,
        hall_name_en=hall.hall.name_en,
        business_day=engine.business_day,
        calls=calls,
        counters=counters,
        services=services,
        notice=notice,
        updated_at=now,
    )


def catalogue(engine: QueueEngine, procedures: list[Procedure], now: datetime) -> Catalogue:
    """What the kiosks offer: the hall, its services (open now or not), procedures and priority categories."""
    hall = engine.hall
    services = []
    for service in hall.services:
        hours = hall.hours_for(service.id)
        services.append(
            ServiceInfo(
                id=service.id,
                name=service.name,
                name_en=service.name_en,
                fields=service.fields,
                counters=engine.counters_for(service.id),
                open_now=engine.service_open(service.id, now),
                opening_hours=hours.describe() if hours else None,
            )
        )
    info = hall.hall
    return Catalogue(
        hall=HallInfo(site=info.site, name=info.name, name_en=info.name_en, address=info.address, hotline=info.hotline),
        services=services,
        procedures=procedures,
        priority_categories=list(hall.queue.priority_categories),
        updated_at=now,
    )


def hall_event(
    seq: int,
    event: AuditEvent,
    *,
    rating: str | None = None,
    meaning: RatingMeaning | None = None,
    outcome: RatingOutcome | None = None,
    alert: RatingAlert | None = None,
    procedure: str | None = None,
) -> HallEvent:
    """One line of the durable log, as the province receives it (`procedure`: an issued ticket's, if any)."""
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
        procedure=procedure if event.kind is EventKind.ISSUED else None,
    )
