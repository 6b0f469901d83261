"""The order lifecycle: one table of allowed moves, one function that makes a move.

The staff-operations issue adds confirmation, delivery and completion; the table grows, the
mechanism does not change.
"""

from enum import StrEnum

from shop.db import utcnow
from shop.errors import InvalidTransition
from shop.extensions import db
from shop.orders.models import Order, OrderEvent


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # placed by card; waiting for the authorization
    AWAITING_FUNDS = "awaiting_funds"  # placed for bank transfer; units held for some days
    PLACED = "placed"  # paid or authorized: the sale is made
    CANCELLED = "cancelled"


LABELS = {
    OrderStatus.PENDING_PAYMENT: "Waiting for payment",
    OrderStatus.AWAITING_FUNDS: "Waiting for your bank transfer",
    OrderStatus.PLACED: "Order placed",
    OrderStatus.CANCELLED: "Cancelled",
}

# (from, to) -> who may make the move: "system" (payments, expiry jobs), "buyer", "staff".
MOVES: dict[tuple[OrderStatus, OrderStatus], frozenset[str]] = {
    (OrderStatus.PENDING_PAYMENT, OrderStatus.PLACED): frozenset({"system"}),
    (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED): frozenset({"system", "staff"}),
    (OrderStatus.AWAITING_FUNDS, OrderStatus.PLACED): frozenset({"system", "staff"}),
    (OrderStatus.AWAITING_FUNDS, OrderStatus.CANCELLED): frozenset({"system", "staff"}),
}


def allowed(current: str, target: str, actor_kind: str) -> bool:
    return actor_kind in MOVES.get((OrderStatus(current), OrderStatus(target)), frozenset())


def transition(
    order: Order,
    target: OrderStatus,
    *,
    actor_kind: str = "system",
    actor=None,
    note: str = "",
    kind: str | None = None,
) -> OrderEvent:
    """Move the order if the table allows it, and record who, when, from, to and why."""
    if not allowed(order.status, target, actor_kind):
        raise InvalidTransition(
            f"An order that is {LABELS[OrderStatus(order.status)].lower()} cannot become "
            f"{LABELS[target].lower()}."
        )
    event = OrderEvent(
        order_id=order.id,
        kind=kind or target.value,
        from_status=order.status,
        to_status=target.value,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor, actor_kind),
        created_at=utcnow(),
    )
    order.status = target.value
    if target == OrderStatus.PLACED and order.placed_at is None:
        order.placed_at = utcnow()
    db.session.add(event)
    db.session.flush()
    return event


def record(
    order: Order,
    kind: str,
    note: str = "",
    *,
    actor=None,
    actor_kind: str = "system",
    visible_to_buyer: bool = True,
) -> OrderEvent:
    """An event on the timeline that does not change the status."""
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
    return event


def _label(actor, actor_kind: str) -> str:
    if actor is None:
        return actor_kind
    return f"{actor.name} <{actor.email}> ({actor.role})"
