"""The booking lifecycle: one table of allowed moves, one function that moves and records.

A consultation is booked; it is cancelled before it happens, or the rep records how it went:
held (completed, with an outcome) or the buyer did not come (no-show). The rep may correct
that record afterwards, from one to the other. A cancelled consultation is over: nothing is
recorded on it. Moving a booking to another time or rep changes no status.

Every move writes a BookingEvent (who, when, why); a staff member's is also audited, here.
"""

from enum import StrEnum

from shop.audit import services as audit
from shop.auth.roles import STAFF_ROLES
from shop.consultations.models import Booking, BookingEvent
from shop.errors import InvalidTransition
from shop.extensions import db


class BookingStatus(StrEnum):
    BOOKED = "booked"  # to come (or just past, its outcome not yet recorded)
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # held; the rep recorded an outcome
    NO_SHOW = "no_show"  # the buyer did not come


S = BookingStatus

LABELS = {
    S.BOOKED: "Booked",
    S.CANCELLED: "Cancelled",
    S.COMPLETED: "Completed",
    S.NO_SHOW: "No-show",
}

# The lifecycle as one table: status -> the statuses it may move to.
MOVES: dict[BookingStatus, frozenset[BookingStatus]] = {
    S.BOOKED: frozenset({S.CANCELLED, S.COMPLETED, S.NO_SHOW}),
    # The rep corrects the record of the call.
    S.COMPLETED: frozenset({S.NO_SHOW}),
    S.NO_SHOW: frozenset({S.COMPLETED}),
    S.CANCELLED: frozenset(),
}

# What the rep records after the call: these statuses take an outcome and notes.
AFTER_THE_CALL = (S.COMPLETED, S.NO_SHOW)
# Bookings that took place or will: the buyer's rep, to be offered again.
KEPT = (S.BOOKED, S.COMPLETED)


def allowed(current: str, target: str) -> bool:
    """True if the table has the move (unknown statuses have none)."""
    try:
        return BookingStatus(target) in MOVES[BookingStatus(current)]
    except ValueError:
        return False


def allowed_moves(booking: Booking) -> frozenset[BookingStatus]:
    """The statuses this booking may move to now: what its pages may offer."""
    try:
        return MOVES[BookingStatus(booking.status)]
    except ValueError:
        return frozenset()


def takes_outcome(booking: Booking) -> bool:
    """True when the rep may record (or correct) how the call went: the page shows the form."""
    return booking.status in AFTER_THE_CALL or bool(allowed_moves(booking) & set(AFTER_THE_CALL))


def transition(
    booking: Booking,
    target: BookingStatus,
    *,
    kind: str | None = None,
    note: str = "",
    actor=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> BookingEvent:
    """Move the booking if the table allows it and record the step (see `record`)."""
    target = BookingStatus(target)
    current = BookingStatus(booking.status)
    if target not in MOVES[current]:
        raise InvalidTransition(
            f"A consultation that is {LABELS[current].lower()} cannot become "
            f"{LABELS[target].lower()}."
        )
    booking.status = target.value
    return record(
        booking,
        kind or target.value,
        note,
        actor,
        before=before if before is not None else {"status": current.value},
        after=after if after is not None else {"status": target.value},
        reason=reason,
    )


# --- the history -----------------------------------------------------------------------------

# The audit action written when a staff member takes the step (a buyer's own steps, through
# the links in their emails, are on the booking's history only).
AUDITED = {
    "booked": "booking.create",
    "rescheduled": "booking.reschedule",
    "cancelled": "booking.cancel",
    "reassigned": "booking.reassign",
    "outcome": "booking.outcome",
}


def record(
    booking: Booking,
    kind: str,
    note: str = "",
    actor=None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> BookingEvent:
    """One step on the booking's history; a staff member's step is also audited, here, so that
    no route can forget it."""
    if actor is not None and getattr(actor, "role", None) in STAFF_ROLES:
        audit.record(
            actor,
            AUDITED.get(kind, f"booking.{kind}"),
            "booking",
            booking.reference,
            before=before,
            after=after if after is not None else {"status": booking.status},
            reason=note if reason is None else reason,
        )
    label = (
        "buyer (email link)" if actor is None else (f"{actor.name} <{actor.email}> ({actor.role})")
    )
    event = BookingEvent(
        booking_id=booking.id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=label,
    )
    db.session.add(event)
    db.session.flush()
    return event
