"""The order lifecycle: one table of allowed moves, who may make each, one function that moves.

Actors are "system" (payments, webhooks, jobs), "buyer" (through their own pages or a signed
link), the staff roles "rep", "support" and "manager", and the delivery "crew", whose one move
is handing goods over at a booked window. A move not in the table is refused,
whoever asks: deny by default. Staff pages offer exactly `moves_for(order, actor_kind)`.
"""

from enum import StrEnum

from shop.audit import services as audit
from shop.db import utcnow
from shop.errors import InvalidTransition
from shop.extensions import db
from shop.orders.models import Order, OrderEvent
from shop.orders.signals import order_cancelled, order_delivered


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # placed by card; waiting for the authorization
    AWAITING_FUNDS = "awaiting_funds"  # placed for bank transfer; units held for some days
    PLACED = "placed"  # authorized or partly paid (a deposit): the sale is made
    CONFIRMED = "confirmed"  # staff checked the order; ready to capture and plan delivery
    PAID = "paid"  # the whole total has been received
    DELIVERY_SCHEDULED = "delivery_scheduled"  # a delivery window is booked
    DELIVERED = "delivered"  # the crew handed it over
    COMPLETED = "completed"  # nothing left to do
    CANCELLED = "cancelled"


# What the buyer reads about their own order ("your" is the buyer).
LABELS = {
    OrderStatus.PENDING_PAYMENT: "Waiting for payment",
    OrderStatus.AWAITING_FUNDS: "Waiting for your bank transfer",
    OrderStatus.PLACED: "Order placed",
    OrderStatus.CONFIRMED: "Confirmed",
    OrderStatus.PAID: "Paid",
    OrderStatus.DELIVERY_SCHEDULED: "Delivery scheduled",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.CANCELLED: "Cancelled",
}

# What staff read about the same order: whose move it waits for, seen from the store's side.
STAFF_LABELS = {
    **LABELS,
    OrderStatus.PENDING_PAYMENT: "Waiting for the buyer's card payment",
    OrderStatus.AWAITING_FUNDS: "Waiting for the buyer's bank transfer",
}


def labels_for(actor_kind: str) -> dict[OrderStatus, str]:
    """The status words for this reader: staff and crew get STAFF_LABELS, everyone else LABELS."""
    return STAFF_LABELS if actor_kind in EMPLOYEES else LABELS


# What a staff button says for a move to this status.
ACTIONS = {
    OrderStatus.CONFIRMED: "Confirm order",
    OrderStatus.PAID: "Mark paid",
    OrderStatus.DELIVERY_SCHEDULED: "Schedule delivery",
    OrderStatus.DELIVERED: "Mark delivered",
    OrderStatus.COMPLETED: "Complete order",
    OrderStatus.CANCELLED: "Cancel order",
}

STAFF = frozenset({"rep", "support", "manager"})
CREW = frozenset({"crew"})
# Everyone whose moves are their own work: named on the timeline and audited.
EMPLOYEES = STAFF | CREW
SALES = frozenset({"rep", "manager"})
MANAGER = frozenset({"manager"})
SYSTEM = frozenset({"system"})

# (from, to) -> who may make the move.
MOVES: dict[tuple[OrderStatus, OrderStatus], frozenset[str]] = {
    (OrderStatus.PENDING_PAYMENT, OrderStatus.PLACED): SYSTEM,
    (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID): SYSTEM,  # captured at once
    (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED): SYSTEM | SALES,
    # The buyer pays a card order by bank transfer instead (after a decline, from the pay page).
    (OrderStatus.PENDING_PAYMENT, OrderStatus.AWAITING_FUNDS): frozenset({"buyer"}),
    (OrderStatus.AWAITING_FUNDS, OrderStatus.PLACED): SYSTEM,  # a deposit arrived
    (OrderStatus.AWAITING_FUNDS, OrderStatus.PAID): SYSTEM,  # the whole transfer arrived
    (OrderStatus.AWAITING_FUNDS, OrderStatus.CANCELLED): SYSTEM | SALES,
    (OrderStatus.PLACED, OrderStatus.CONFIRMED): SALES,
    (OrderStatus.PLACED, OrderStatus.PAID): SYSTEM,
    (OrderStatus.PLACED, OrderStatus.CANCELLED): MANAGER,
    (OrderStatus.CONFIRMED, OrderStatus.PAID): SYSTEM,
    (OrderStatus.CONFIRMED, OrderStatus.CANCELLED): MANAGER,
    (OrderStatus.PAID, OrderStatus.DELIVERY_SCHEDULED): SYSTEM | STAFF | {"buyer"},
    (OrderStatus.PAID, OrderStatus.DELIVERED): STAFF,  # shipped or collected, no appointment
    (OrderStatus.PAID, OrderStatus.CANCELLED): MANAGER,
    (OrderStatus.DELIVERY_SCHEDULED, OrderStatus.PAID): SYSTEM | STAFF | {"buyer"},  # unbooked
    (OrderStatus.DELIVERY_SCHEDULED, OrderStatus.DELIVERED): STAFF | CREW,
    (OrderStatus.DELIVERY_SCHEDULED, OrderStatus.CANCELLED): MANAGER,
    (OrderStatus.DELIVERED, OrderStatus.COMPLETED): SYSTEM | STAFF,
}

# Moves that hand goods over: refused while a card dispute is open.
FULFILMENT = frozenset(
    {OrderStatus.DELIVERY_SCHEDULED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)
# The sale is made and not undone: units are out of stock, money is held or in.
LIVE = frozenset(
    {
        OrderStatus.PLACED,
        OrderStatus.CONFIRMED,
        OrderStatus.PAID,
        OrderStatus.DELIVERY_SCHEDULED,
        OrderStatus.DELIVERED,
        OrderStatus.COMPLETED,
    }
)


def actor_kind_of(user) -> str:
    """The actor kind of a signed-in person: their staff or crew role, else "buyer"."""
    role = getattr(user, "role", None)
    return role if role in EMPLOYEES else "buyer"


def allowed(current: str, target: str, actor_kind: str) -> bool:
    try:
        move = (OrderStatus(current), OrderStatus(target))
    except ValueError:
        return False
    return actor_kind in MOVES.get(move, frozenset())


def moves_for(order: Order, actor_kind: str) -> list[OrderStatus]:
    """The moves this actor may make on this order now, in lifecycle order."""
    return [
        target
        for target in OrderStatus
        if allowed(order.status, target, actor_kind)
        and not (target in FULFILMENT and order.dispute_status == "open")
    ]


def transition(
    order: Order,
    target: OrderStatus,
    *,
    actor_kind: str = "system",
    actor=None,
    note: str = "",
    kind: str | None = None,
) -> OrderEvent:
    """Move the order if the table allows it, and record who, when, from, to and why.

    A staff member's move also writes an audit entry, in the same transaction.
    """
    if not allowed(order.status, target, actor_kind):
        words = labels_for(actor_kind)
        raise InvalidTransition(
            f"An order that is {words[OrderStatus(order.status)].lower()} cannot become "
            f"{words[target].lower()}."
        )
    if target in FULFILMENT and order.dispute_status == "open":
        raise InvalidTransition("Fulfilment is stopped while a card dispute is open.")
    previous = order.status
    event = OrderEvent(
        order_id=order.id,
        kind=kind or target.value,
        from_status=previous,
        to_status=target.value,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor, actor_kind),
        created_at=utcnow(),
    )
    order.status = target.value
    now = utcnow()
    if target in LIVE and order.placed_at is None:
        order.placed_at = now
    if target == OrderStatus.DELIVERED and order.delivered_at is None:
        order.delivered_at = now
    db.session.add(event)
    db.session.flush()
    if target == OrderStatus.DELIVERED:
        order_delivered.send(order)  # warranty registrations start (support/warranty.py)
    if target == OrderStatus.CANCELLED:
        order_cancelled.send(order)  # store credit it used goes back (checkout/handlers.py)
    if actor is not None and actor_kind in EMPLOYEES:
        audit.record(
            actor,
            f"order.{kind or target.value}",
            "order",
            order.number,
            before={"status": previous},
            after={"status": target.value},
            reason=note,
        )
    return event


def record(
    order: Order,
    kind: str,
    note: str = "",
    *,
    actor=None,
    actor_kind: str = "system",
    visible_to_buyer: bool = True,
    audit_after: dict | None = None,
) -> OrderEvent:
    """An event on the timeline that does not change the status (audited when staff did it)."""
    event = OrderEvent(
        order_id=order.id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor, actor_kind),
        visible_to_buyer=visible_to_buyer,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    if actor is not None and actor_kind in EMPLOYEES:
        audit.record(
            actor, f"order.{kind}", "order", order.number, after=audit_after or {}, reason=note
        )
    return event


def _label(actor, actor_kind: str) -> str:
    if actor is None:
        return actor_kind
    return f"{actor.name} <{actor.email}> ({actor.role})"
