"""What a payment's movement does to its order. Connected to the payments signals at start-up.

These run inside the transaction that recorded the payment (a view or a webhook), so the order
and the payment change together or not at all.
"""

import logging

from shop.catalog import stock
from shop.money import Money
from shop.orders import emails
from shop.orders.services import (
    holder,
    items,
    lock_order,
    mark_placed,
    refresh_amounts,
    settle,
)
from shop.orders.signals import order_placed
from shop.orders.states import OrderStatus, record, transition
from shop.payments import services as payments
from shop.payments.signals import payment_changed, payment_disputed
from shop.payments.states import HELD, PaymentStatus

log = logging.getLogger(__name__)


def _amount(cents: int, payment) -> Money:
    """An amount of this payment, in its currency, as the timeline shows it."""
    return Money(cents, payment.currency)


def _order_id(payment) -> int | None:
    kind, _, value = payment.reference.partition(":")
    return int(value) if kind == "order" and value.isdigit() else None


def on_payment_changed(payment, previous: str, mismatch: str = "") -> None:
    order_id = _order_id(payment)
    if order_id is None:
        return
    order = lock_order(order_id)
    if mismatch:
        order.needs_review = True
        order.review_reason = f"Payment {payment.id} does not match the order: {mismatch}"[:300]
        record(order, "payment_mismatch", order.review_reason, visible_to_buyer=False)
        log.warning("order %s: %s", order.number, order.review_reason)
        return
    status = PaymentStatus(payment.status)
    refresh_amounts(order)
    if payment.method == "bank_transfer":
        _flag_overpaid(order)
        if previous == payment.status and payment.amount_received_cents:
            _transfer_part_arrived(order, payment)  # a short transfer, or more after the whole
            return
    if status in HELD and order.status == OrderStatus.PENDING_PAYMENT:
        _place_card_order(order, payment)
    elif status in HELD and order.status == OrderStatus.AWAITING_FUNDS:
        _place_transfer_order(order, payment)
    elif status in HELD and PaymentStatus(previous) not in HELD:
        # A later payment of a placed order: the balance of a deposit order, say.
        held = "authorized" if status == PaymentStatus.AUTHORIZED else "received"
        record(
            order,
            f"{payment.purpose}_payment",
            f"{payment.purpose.capitalize()} payment {held}: "
            f"{_amount(payment.amount_cents, payment)}.",
        )
        settle(order)
    elif (
        status == PaymentStatus.REQUIRES_PAYMENT_METHOD
        and payment.last_error
        and (previous != PaymentStatus.REQUIRES_PAYMENT_METHOD or payment.attempts > 1)
    ):
        record(order, "payment_declined", f"Card declined: {payment.last_error}")
    elif status == PaymentStatus.REQUIRES_ACTION:
        record(order, "payment_authentication", "Your bank asked to confirm the payment.")
    elif status in (PaymentStatus.CANCELED, PaymentStatus.EXPIRED) and order.status in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.AWAITING_FUNDS,
    ):
        reason = payment.last_error or "The payment was cancelled."
        stock.release(holder(order))
        transition(order, OrderStatus.CANCELLED, note=reason)
        emails.cancelled(order, reason)
    elif status == PaymentStatus.EXPIRED and payment.method == "card":
        # A hold on a placed order lapsed uncaptured: "payment expired", never paid.
        record(
            order,
            "payment_expired",
            f"The card hold of {_amount(payment.amount_cents, payment)} lapsed before it was "
            "captured; nothing was charged. Ask the buyer for a new payment.",
            visible_to_buyer=False,
        )
    elif status == PaymentStatus.SUCCEEDED and previous == PaymentStatus.AUTHORIZED:
        record(
            order,
            "payment_captured",
            f"Card charged {_amount(payment.amount_received_cents, payment)}.",
        )
        settle(order)
    elif payment.amount_refunded_cents:
        record(
            order,
            "payment_refunded",
            f"{_amount(payment.amount_refunded_cents, payment)} refunded in total.",
        )


def _place_card_order(order, payment) -> None:
    """Money is held: take the units out of stock, or give the money back if they are gone."""
    try:
        stock.convert(holder(order), items(order))
    except stock.OutOfStock as exc:
        record(order, "out_of_stock_after_payment", exc.message, visible_to_buyer=False)
        log.warning("order %s: units gone after authorization; voiding", order.number)
        # Voiding sends payment_changed(CANCELED) again, which cancels the order.
        payments.cancel(payment.id, "The items were no longer available; nothing was charged.")
        return
    amount = _amount(payment.amount_cents, payment)
    part = ", the deposit" if payment.purpose == "deposit" else ""
    if payment.status == PaymentStatus.AUTHORIZED:
        # Only a hold on the card: nothing is charged until staff capture it.
        mark_placed(order, f"Order placed. Card authorized for {amount}{part}; not charged yet.")
        emails.confirmation(order, "card_authorized")
    else:
        mark_placed(order, f"Order placed. Card charged {amount}{part}.")
        emails.confirmation(order, "card_paid")
    settle(order)


def _place_transfer_order(order, payment) -> None:
    """The transfer (or its deposit) arrived: the held units are sold, the sale is made."""
    try:
        stock.convert(holder(order), items(order))
    except stock.OutOfStock as exc:
        # Money is in but the units are gone: staff must refund or find the units.
        order.needs_review = True
        order.review_reason = f"Transfer received but units are gone: {exc.message}"[:300]
        record(order, "out_of_stock_after_payment", exc.message, visible_to_buyer=False)
        return
    note = f"Bank transfer received: {_amount(payment.amount_received_cents, payment)}"
    if order.received_cents >= order.total_cents:
        transition(order, OrderStatus.PAID, note=f"{note}. Order placed and paid in full.")
        order_placed.send(order)
    else:
        mark_placed(order, f"{note}. Order placed.")
    emails.confirmation(order, "transfer_received")


def _flag_overpaid(order) -> None:
    over = order.received_cents - order.total_cents
    if over <= 0:
        return
    reason = f"Overpaid by {Money(over, order.currency)}: refund the difference."
    if order.needs_review and order.review_reason == reason:
        return
    order.needs_review = True
    order.review_reason = reason
    record(order, "overpaid", reason, visible_to_buyer=False)


def _transfer_part_arrived(order, payment) -> None:
    """Part of a transfer (or more than asked) arrived; the payment's status did not move."""
    left = max(payment.amount_cents - payment.amount_received_cents, 0)
    note = (
        f"Bank transfer received so far: {_amount(payment.amount_received_cents, payment)} of "
        f"{_amount(payment.amount_cents, payment)}"
    )
    note += f"; {_amount(left, payment)} still outstanding." if left else "."
    record(order, "transfer_part_received", note)
    settle(order)


def on_payment_disputed(payment, dispute: dict) -> None:
    """A card dispute: opened (flag, stop fulfilment, tell managers) or closed (won or lost)."""
    order_id = _order_id(payment)
    if order_id is None:
        return
    order = lock_order(order_id)
    from shop.orders import disputes  # the dispute rules and their emails

    disputes.on_dispute(order, payment, dispute)


def connect() -> None:
    payment_changed.connect(on_payment_changed)
    payment_disputed.connect(on_payment_disputed)
