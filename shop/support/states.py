"""The two lifecycles of after-sale service, tickets and returns: each a table of allowed moves,
and one `transition` that checks a move, makes it and writes the TicketEvent that records it
(a return's events are on its ticket's history).

Tickets: a new ticket is opened, answered and worked on (open, waiting on the buyer or the
supplier, on hold), solved, and closed. "New" is only where a ticket starts: nobody has taken
it up yet. A solved ticket opens again when the buyer writes or staff take it up; a closed one
is over (its thread takes no more messages: the buyer opens a new ticket).

Returns: a requested return is approved (with instructions) or declined; the approved goods
are received; a received return is settled one way (refund, store credit, exchange) and is
then closed. Store credit that a second person rejects takes a settled return back to received,
to be settled again.

Who may make a move (the assignee, support, a manager) is checked by the service that makes
it; these tables say only which moves exist.
"""

from enum import StrEnum

from shop.db import utcnow
from shop.errors import InvalidTransition
from shop.extensions import db
from shop.support.models import ReturnRequest, Ticket, TicketEvent


class TicketStatus(StrEnum):
    NEW = "new"  # nobody has answered yet
    OPEN = "open"
    WAITING_ON_BUYER = "waiting_on_buyer"
    WAITING_ON_SUPPLIER = "waiting_on_supplier"
    ON_HOLD = "on_hold"
    SOLVED = "solved"  # staff think it is done; the buyer's answer opens it again
    CLOSED = "closed"  # over; a merged duplicate is closed too


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # the buyer has the instructions
    DECLINED = "declined"
    RECEIVED = "received"  # the goods are back (and restocked)
    CLOSED = "closed"  # settled: refund, store credit or exchange


T = TicketStatus
R = ReturnStatus

# What the buyer reads ("you" is the buyer), and what staff read.
TICKET_LABELS = {
    T.NEW: "New",
    T.OPEN: "Open",
    T.WAITING_ON_BUYER: "Waiting on you",
    T.WAITING_ON_SUPPLIER: "Waiting on the supplier",
    T.ON_HOLD: "On hold",
    T.SOLVED: "Solved",
    T.CLOSED: "Closed",
}
TICKET_STAFF_LABELS = {**TICKET_LABELS, T.WAITING_ON_BUYER: "Waiting on buyer"}
RETURN_LABELS = {
    R.REQUESTED: "Requested",
    R.APPROVED: "Approved",
    R.DECLINED: "Declined",
    R.RECEIVED: "Received",
    R.CLOSED: "Settled",
}

# Still to do: on the queue and the desks.
ACTIVE = (T.NEW, T.OPEN, T.WAITING_ON_BUYER, T.WAITING_ON_SUPPLIER, T.ON_HOLD)
# Done with: the buyer may rate the service.
DONE = (T.SOLVED, T.CLOSED)
# Where work on a ticket goes on, whoever moves it (never back to "new").
_WORKING = frozenset({T.OPEN, T.WAITING_ON_BUYER, T.WAITING_ON_SUPPLIER, T.ON_HOLD})

# The ticket lifecycle as one table: status -> the statuses it may move to.
TICKET_MOVES: dict[TicketStatus, frozenset[TicketStatus]] = {
    **{status: (_WORKING - {status}) | {T.SOLVED, T.CLOSED} for status in ACTIVE},
    T.SOLVED: _WORKING | {T.CLOSED},
    T.CLOSED: frozenset(),
}

# The return lifecycle as one table.
RETURN_MOVES: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.DECLINED}),
    R.APPROVED: frozenset({R.RECEIVED}),
    R.RECEIVED: frozenset({R.CLOSED}),
    # Store credit rejected by the second person: nothing was given, settle again.
    R.CLOSED: frozenset({R.RECEIVED}),
    R.DECLINED: frozenset(),
}


def _table(obj):
    """The enum, moves and words of the lifecycle `obj` (a Ticket or a ReturnRequest) is in."""
    if isinstance(obj, Ticket):
        return TicketStatus, TICKET_MOVES, TICKET_STAFF_LABELS, "ticket"
    if isinstance(obj, ReturnRequest):
        return ReturnStatus, RETURN_MOVES, RETURN_LABELS, "return"
    raise TypeError(f"No lifecycle for {type(obj).__name__}")


def allowed_ticket_move(current: str, target: str) -> bool:
    try:
        return TicketStatus(target) in TICKET_MOVES[TicketStatus(current)]
    except ValueError:
        return False


def allowed_return_move(current: str, target: str) -> bool:
    try:
        return ReturnStatus(target) in RETURN_MOVES[ReturnStatus(current)]
    except ValueError:
        return False


def allowed_moves(obj: Ticket | ReturnRequest) -> frozenset:
    """The statuses this ticket or return may move to now: what its pages may offer."""
    enum, moves, _, _ = _table(obj)
    try:
        return moves[enum(obj.status)]
    except ValueError:
        return frozenset()


def transition(
    obj: Ticket | ReturnRequest,
    target: str,
    *,
    actor=None,
    note: str = "",
    kind: str | None = None,
    internal: bool = True,
) -> TicketEvent:
    """Move a ticket or a return if its table allows it, and write the TicketEvent.

    `kind` names the step on the ticket's history: "status" for a ticket by default ("reopened",
    "merged" where that says more), "return_<status>" for a return ("return_refund"...). A
    ticket's clocks follow its status: solving stops the resolution clock, reopening restarts
    it. `internal` events are for staff only.
    """
    enum, moves, labels, what = _table(obj)
    target = enum(target)
    current = enum(obj.status)
    if target not in moves[current]:
        article = "An" if what[0] in "aeiou" else "A"
        raise InvalidTransition(
            f"{article} {what} that is {labels[current].lower()} cannot become "
            f"{labels[target].lower()}."
        )
    obj.status = target.value
    now = utcnow()
    if isinstance(obj, Ticket):
        obj.updated_at = now
        if target == T.SOLVED:
            obj.solved_at = now
        elif target == T.CLOSED:
            obj.closed_at = now
            obj.solved_at = obj.solved_at or now
        else:
            obj.solved_at = None
            obj.closed_at = None
        ticket_id, kind, label = obj.id, kind or "status", _name(actor)
    else:
        ticket_id, kind, label = obj.ticket_id, kind or f"return_{target.value}", _full(actor)
    event = TicketEvent(
        ticket_id=ticket_id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=label,
        internal=internal,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _name(actor) -> str:
    """How a ticket's own events name who acted."""
    return actor.name if actor is not None else "system"


def _full(actor) -> str:
    """How a return's events name who acted."""
    if actor is None:
        return "system"
    return f"{actor.name} <{actor.email}> ({actor.role})"[:200]
