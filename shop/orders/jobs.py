"""Periodic work on orders, run by `flask` commands; safe to run twice at the same time.

Each order is locked before it is looked at again, and skipped if another run holds it, so two
schedulers firing at once share the work instead of doing it twice. Each order is its own unit
of work: one that fails is undone without undoing the others.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from shop.db import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.services import reference
from shop.orders.states import OrderStatus
from shop.payments import services as payments
from shop.payments.states import RETRYABLE
from shop.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def _claim(order_id: int, status: OrderStatus) -> Order | None:
    return db.session.scalar(
        sa.select(Order)
        .where(Order.id == order_id, Order.status == status.value)
        .with_for_update(key_share=True, skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _candidates(status: OrderStatus, before) -> list[int]:
    column = Order.funds_due_at if status == OrderStatus.AWAITING_FUNDS else Order.created_at
    return list(
        db.session.scalars(
            sa.select(Order.id).where(Order.status == status.value, column <= before).limit(500)
        )
    )


def expire_unpaid_card_orders() -> int:
    """Cancel card orders whose payment never completed, after the hold and its extension."""
    config = current_app.config
    grace = int(config["RESERVATION_MINUTES"]) + int(config["RESERVATION_AUTH_EXTENSION_MINUTES"])
    done = 0
    for order_id in _candidates(OrderStatus.PENDING_PAYMENT, utcnow() - timedelta(minutes=grace)):
        try:
            with unit_of_work():
                done += _expire_unpaid_card_order(order_id)
        except payments.PaymentUnavailable:
            log.warning("order %s: could not cancel at Stripe; will retry", order_id)
    return done


def _expire_unpaid_card_order(order_id: int) -> int:
    """1 when the order's payment was cancelled (which cancels the order), else 0."""
    order = _claim(order_id, OrderStatus.PENDING_PAYMENT)
    payment = order and payments.find_payment(reference(order))
    if order is None or payment is None or payment.status not in RETRYABLE:
        return 0
    payments.cancel(payment.id, "The payment was not completed in time.")
    return 1


def expire_bank_transfers() -> int:
    """Cancel transfer orders whose funds did not arrive in time, releasing their units.

    An order with part of its transfer in is never cancelled by the job: staff are asked to
    follow up instead (flagged once), and its units stay held while they do.
    """
    done = 0
    now = utcnow()
    candidates = db.session.scalars(
        sa.select(Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_FUNDS.value,
            Order.funds_due_at <= now,
            sa.or_(Order.received_cents == 0, Order.needs_review.is_(False)),
        )
        .limit(500)
    ).all()
    for order_id in candidates:
        with unit_of_work():
            done += _expire_bank_transfer(order_id)
    return done


def _expire_bank_transfer(order_id: int) -> int:
    """1 when the order was cancelled, 0 when another run has it or staff are asked instead."""
    order = _claim(order_id, OrderStatus.AWAITING_FUNDS)
    if order is None:
        return 0
    if order.received_cents > 0:
        _flag_part_paid(order)
        return 0
    payment = payments.find_payment(reference(order))
    if payment is not None:
        payments.cancel(payment.id, "The bank transfer did not arrive in time.")
    return 1


def _flag_part_paid(order: Order) -> None:
    """Part of the transfer came: keep the order and its units, and ask staff to follow up."""
    from shop.catalog import stock
    from shop.money import Money
    from shop.orders.services import holder, items, lock_order
    from shop.orders.states import record

    if order.needs_review:
        return
    order = lock_order(order.id)  # with its lines
    days = int(current_app.config["BANK_TRANSFER_HOLD_DAYS"])
    try:
        with db.session.begin_nested():  # all the units, or none
            stock.reserve(holder(order), items(order), utcnow() + timedelta(days=days))
        held = f"units held {days} more days"
    except stock.OutOfStock as exc:
        held = f"units could not be held again: {exc.message}"
    order.needs_review = True
    order.review_reason = (
        f"Transfer overdue: {Money(order.received_cents, order.currency)} received, "
        f"{Money(order.outstanding_cents, order.currency)} outstanding. Contact the buyer."
    )[:300]
    record(
        order,
        "transfer_overdue",
        f"{order.review_reason} Not cancelled; {held}.",
        visible_to_buyer=False,
    )
