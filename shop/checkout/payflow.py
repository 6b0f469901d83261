"""The card payment of a placed order, as the pay page drives it.

Kept apart from the order-making services: this is where the reservation meets the payment.
"""

from datetime import timedelta

from flask import current_app

from shop.catalog import stock
from shop.db import utcnow
from shop.orders.models import Order
from shop.orders.services import holder, items, reservation_expiry_for
from shop.orders.states import OrderStatus, transition
from shop.payments import services as payments


def ensure_hold(order: Order) -> None:
    """Make sure the order's units are still held; hold them again if the hold lapsed.

    Raises OutOfStock when someone else has taken them in the meantime. An order already placed
    (paying its balance, say) has its units already: nothing to hold.
    """
    if order.status not in ("pending_payment", "awaiting_funds"):
        return
    live = stock.holds(holder(order))
    if live and all(r.expires_at > utcnow() for r in live):
        return
    stock.reserve(holder(order), items(order), reservation_expiry_for(order.payment_method))


def extend_for_authentication(order: Order) -> None:
    """While the bank authenticates the buyer (3-D Secure), the units wait a little longer."""
    minutes = int(current_app.config["RESERVATION_AUTH_EXTENSION_MINUTES"])
    stock.extend(holder(order), utcnow() + timedelta(minutes=minutes))


def give_up(order: Order, payment_id: int, reason: str) -> None:
    """The units are gone before the card was charged: void the payment (this cancels the order)."""
    payments.cancel(payment_id, reason)


def switch_to_bank_transfer(order: Order, payment_id: int) -> bool:
    """The buyer pays this card order by bank transfer instead: the units stay held (now for
    the transfer's days), the order waits for the funds and the buyer gets the bank details.

    False when the card went through after all (the order is placed; nothing to switch).
    Raises OutOfStock when the hold had lapsed and the units are gone.
    """
    from shop.checkout.services import mark_placed_for_transfer

    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    ensure_hold(order)
    due = reservation_expiry_for("bank_transfer")
    payment = payments.switch_to_transfer(payment_id, due)
    if payment.method != "bank_transfer":
        return False
    stock.extend(holder(order), due)
    order.payment_method = "bank_transfer"
    order.funds_due_at = due
    transition(
        order,
        OrderStatus.AWAITING_FUNDS,
        actor_kind="buyer",
        note="Switched from card to bank transfer.",
    )
    mark_placed_for_transfer(order)
    return True
