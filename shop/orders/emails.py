"""The emails an order sends, queued in the outbox with the change they announce."""

from flask import current_app

from shop.notifications.services import absolute_url, queue_email
from shop.orders.models import Order
from shop.orders.services import access_token, payments_of


def _link(order: Order) -> str:
    return absolute_url("orders.guest_view", token=access_token(order))


def confirmation(order: Order) -> None:
    queue_email(
        f"order-confirmation:{order.number}",
        order.email,
        f"Your order {order.number} is confirmed",
        "order_confirmation",
        order=order,
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
