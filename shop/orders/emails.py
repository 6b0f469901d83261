"""The emails an order sends, queued in the outbox with the change they announce."""

from flask import current_app

from shop.notifications.services import absolute_url, queue_email
from shop.orders.models import Order
from shop.orders.services import access_token, payments_of


def _link(order: Order) -> str:
    return absolute_url("orders.guest_view", token=access_token(order))


# What the first email after placing says happened. "Confirmed" is kept for staff having
# checked the order (`confirmed` below): an authorized card is only a hold, not a payment.
PLACED_SUBJECTS = {
    "card_authorized": "Order {number} placed: your card is authorized, not charged yet",
    "card_paid": "Order {number} placed and paid by card",
    "credit_paid": "Order {number} placed and paid with your store credit",
    "transfer_received": "Order {number} placed: your bank transfer arrived",
}


def confirmation(order: Order, happened: str) -> None:
    """The order is placed: say how it was paid or held (a key of PLACED_SUBJECTS)."""
    queue_email(
        f"order-confirmation:{order.number}",
        order.email,
        PLACED_SUBJECTS[happened].format(number=order.number),
        "order_confirmation",
        order=order,
        happened=happened,
        link=_link(order),
    )


def bank_details(order: Order) -> None:
    payment = payments_of(order)[0]
    queue_email(
        f"order-bank-details:{order.number}",
        order.email,
        f"Order {order.number}: bank details for your transfer",
        "order_bank_transfer",
        order=order,
        link=_link(order),
        reference=payment.bank_reference,
        bank=current_app.config["BANK_DETAILS"],
    )


def cancelled(order: Order, reason: str) -> None:
    queue_email(
        f"order-cancelled:{order.number}",
        order.email,
        f"Order {order.number} is cancelled",
        "order_cancelled",
        order=order,
        reason=reason,
        link=_link(order),
    )


# --- lifecycle moves the buyer should know about ---------------------------------------------


def _help_link(order: Order) -> str:
    return absolute_url("consultations.new", order=order.number)


def confirmed(order: Order) -> None:
    """Staff checked the order: what happens next (capture, delivery planning)."""
    queue_email(
        f"order-confirmed:{order.number}",
        order.email,
        f"Order {order.number}: checked and confirmed by our team",
        "order_confirmed",
        order=order,
        link=_link(order),
        help_link=_help_link(order),
    )


def delivered(order: Order, note: str = "") -> None:
    queue_email(
        f"order-delivered:{order.number}",
        order.email,
        f"Order {order.number} is delivered",
        "order_delivered",
        order=order,
        note=note,
        link=_link(order),
        help_link=_help_link(order),
    )


def completed(order: Order) -> None:
    queue_email(
        f"order-completed:{order.number}",
        order.email,
        f"Thank you: order {order.number} is complete",
        "order_completed",
        order=order,
        link=_link(order),
        help_link=_help_link(order),
    )


def status_changed(order: Order, status: str, note: str = "") -> None:
    """Queue the email a move announces to the buyer, if it announces one (at most once each).

    `note` is never an internal note: pass only what the buyer may read (or nothing).
    """
    if status == "confirmed":
        confirmed(order)
    elif status == "delivered":
        delivered(order, note)
    elif status == "completed":
        completed(order)
