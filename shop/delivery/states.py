"""The delivery window lifecycle: one table of allowed moves, one function that moves and records.

A window is booked; it is cancelled (the order waits for another), or the crew hands the goods
over at it. Both are final: a new window is a new appointment. Moving a window to another time
or crew changes no status. Every step writes a DeliveryEvent (who, when, from, to, why); the
order's own timeline and the audit trail are written by the delivery services beside it.
"""

from enum import StrEnum

from shop.db import utcnow
from shop.delivery.models import DeliveryAppointment, DeliveryEvent
from shop.errors import InvalidTransition
from shop.extensions import db


class DeliveryStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    DELIVERED = "delivered"


S = DeliveryStatus

LABELS = {S.BOOKED: "Booked", S.CANCELLED: "Cancelled", S.DELIVERED: "Delivered"}

# The lifecycle as one table: status -> the statuses it may move to.
MOVES: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    S.BOOKED: frozenset({S.CANCELLED, S.DELIVERED}),
    S.CANCELLED: frozenset(),
    S.DELIVERED: frozenset(),
}

# Appointments that keep a crew busy (a delivered one still took its window and its day).
BUSY = (S.BOOKED, S.DELIVERED)


def allowed(current: str, target: str) -> bool:
    """True if the table has the move (unknown statuses have none)."""
    try:
        return DeliveryStatus(target) in MOVES[DeliveryStatus(current)]
    except ValueError:
        return False


def allowed_moves(appointment: DeliveryAppointment) -> frozenset[DeliveryStatus]:
    """The statuses this appointment may move to now: what its pages may offer."""
    try:
        return MOVES[DeliveryStatus(appointment.status)]
    except ValueError:
        return frozenset()


def actor_label(actor, actor_kind: str) -> str:
    """Who acted, as the history and the appointment name them."""
    if actor is None:
        return "buyer (email link)" if actor_kind == "buyer" else actor_kind
    return f"{actor.name} <{actor.email}> ({actor.role})"


def transition(
    appointment: DeliveryAppointment,
    target: DeliveryStatus,
    *,
    actor=None,
    actor_kind: str = "system",
    note: str = "",
    kind: str | None = None,
) -> DeliveryEvent:
    """Move the appointment if the table allows it, and record who, when, from, to and why."""
    target = DeliveryStatus(target)
    current = DeliveryStatus(appointment.status)
    if target not in MOVES[current]:
        raise InvalidTransition(
            f"A delivery window that is {LABELS[current].lower()} cannot become "
            f"{LABELS[target].lower()}."
        )
    appointment.status = target.value
    return record(
        appointment,
        kind or target.value,
        note,
        actor=actor,
        actor_kind=actor_kind,
        from_status=current.value,
        to_status=target.value,
    )


def record(
    appointment: DeliveryAppointment,
    kind: str,
    note: str = "",
    *,
    actor=None,
    actor_kind: str = "system",
    from_status: str | None = None,
    to_status: str | None = None,
) -> DeliveryEvent:
    """A step on the appointment's history (a move, or one that changes no status)."""
    event = DeliveryEvent(
        appointment_id=appointment.id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note[:4000],
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label(actor, actor_kind)[:200],
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event
