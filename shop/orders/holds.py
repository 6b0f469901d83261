"""Card holds seen from the order: who to warn before one lapses, and what to do after.

`alert_holds` is the periodic job behind `flask alert-holds`: it warns the responsible staff
(the order's rep, else every manager) once per payment, and lapses holds past their deadline.
Both steps claim each payment with FOR UPDATE SKIP LOCKED, each payment its own unit of work, so
two runs at the same time share the work instead of doing it twice, and one payment that fails is
undone without undoing the others.

`request_new_payment` asks the buyer to pay again after a lapse (or whenever something is
outstanding and nothing is open): a new payment with its own purpose, and the pay link.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import BuildError

from shop.auth.models import User
from shop.auth.roles import Role
from shop.db import lock_row, utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.money import Money
from shop.notifications.services import absolute_url, queue_email
from shop.orders.models import Order
from shop.orders.services import access_token, payments_of, reference
from shop.orders.states import LIVE, OrderStatus, actor_kind_of, record
from shop.payments import holds
from shop.payments import services as payments
from shop.payments.models import Payment
from shop.payments.states import RETRYABLE, PaymentStatus
from shop.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def order_id_of(payment: Payment) -> int | None:
    kind, _, value = payment.reference.partition(":")
    return int(value) if kind == "order" and value.isdigit() else None


def managers() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.MANAGER.value, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


def responsible_staff(order: Order, all_managers: list[User] | None = None) -> list[User]:
    """The order's rep when it has an active one, else every manager."""
    if order.rep_id is not None:
        rep = db.session.get(User, order.rep_id)
        if rep is not None and rep.is_active_account and rep.is_staff:
            return [rep]
    return managers() if all_managers is None else all_managers


def _staff_link(order: Order) -> str:
    try:
        return absolute_url("staff.orders.order_detail", number=order.number)
    except BuildError:  # no order page (yet): the holds list has them all
        return absolute_url("staff.money.holds_page")


def time_left_words(left: timedelta) -> str:
    """How long a hold has left, as a person says it: "3 hours", "45 minutes".

    Rounded down, so staff are never told they have more time than they do; never "0 hours".
    """
    minutes = int(left.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = minutes // 60
    return f"{hours} hour{'' if hours == 1 else 's'}"


def _alert(payment: Payment, order: Order, now) -> int:
    due = holds.deadline(payment)
    left = time_left_words(due - now)
    sent = 0
    for person in responsible_staff(order):
        message = queue_email(
            f"hold-deadline:{payment.id}:{person.id}",
            person.email,
            f"Order {order.number}: the card hold lapses in {left}",
            "hold_deadline",
            person=person,
            order=order,
            payment=payment,
            deadline=due,
            left=left,
            amount=Money(payment.amount_capturable_cents or payment.amount_cents, payment.currency),
            link=_staff_link(order),
        )
        sent += message is not None
    return sent


def alert_holds(now=None) -> tuple[int, int]:
    """Warn staff of holds lapsing soon (once each) and lapse those past their deadline.

    A hold already at or past its deadline gets no warning, only the lapse and its email.

    Returns (payments alerted, holds lapsed). One unit of work per payment.
    """
    now = now or utcnow()
    alerted = 0
    for payment_id in holds.to_alert(now):
        with unit_of_work():
            alerted += _alert_once(payment_id, now)
    lapsed = 0
    for payment_id in holds.past_deadline(now):
        try:
            with unit_of_work():
                lapsed += _lapse(payment_id, now)
        except payments.PaymentUnavailable:
            log.warning("payment %s: could not reach Stripe to lapse the hold", payment_id)
    return alerted, lapsed


def _alert_once(payment_id: int, now) -> int:
    """1 when the hold's staff were warned, 0 when another run has it or it is too late."""
    payment = holds.claim_for_alert(payment_id)
    if payment is None:
        return 0
    due = holds.deadline(payment)
    if due is None or due <= now:  # too late to warn: the lapse handles it
        return 0
    order_id = order_id_of(payment)
    order = db.session.get(Order, order_id) if order_id else None
    if order is not None:
        _alert(payment, order, now)
    payment.deadline_alerted_at = now
    return 1


def _lapse(payment_id: int, now) -> int:
    """1 when the hold lapsed (and its staff are told), else 0."""
    if holds.claim_for_lapse(payment_id) is None:
        return 0
    payment = holds.lapse(payment_id, now)
    if payment.status != PaymentStatus.EXPIRED:
        return 0
    _tell_staff_of_lapse(payment)
    return 1


def _tell_staff_of_lapse(payment: Payment) -> None:
    order_id = order_id_of(payment)
    order = db.session.get(Order, order_id) if order_id else None
    if order is None:
        return
    for person in responsible_staff(order):
        queue_email(
            f"hold-lapsed:{payment.id}:{person.id}",
            person.email,
            f"Order {order.number}: the card hold lapsed",
            "hold_lapsed",
            person=person,
            order=order,
            payment=payment,
            amount=Money(payment.amount_cents, payment.currency),
            link=_staff_link(order),
        )


# --- asking the buyer for a new payment -------------------------------------------------------


def held_cents(rows: list[Payment]) -> int:
    """What the order's payments hold or brought in (less refunds)."""
    return sum(
        p.amount_received_cents - p.amount_refunded_cents + p.amount_capturable_cents for p in rows
    )


def open_payment(rows: list[Payment]) -> Payment | None:
    """A payment still waiting for the buyer (a card not yet paid, a transfer not yet in)."""
    waiting = [
        p
        for p in rows
        if (p.method == "card" and p.status in RETRYABLE)
        or (p.method == "bank_transfer" and p.status == PaymentStatus.AWAITING_FUNDS)
    ]
    return waiting[-1] if waiting else None


def request_new_payment(order_id: int, actor, method: str = "card") -> Payment:
    """A new payment for what is outstanding, and an email to the buyer with how to pay.

    Asking again while a payment is open returns that one (a double click asks once).
    """
    if method not in ("card", "bank_transfer"):
        raise DomainError("Choose how the buyer should pay.")
    order = lock_row(Order, order_id)
    if order is None:
        raise DomainError("No such order.")
    if order.status not in LIVE or order.status == OrderStatus.COMPLETED:
        raise DomainError("Only a live order can ask for a new payment.")
    rows = payments_of(order)
    waiting = open_payment(rows)
    if waiting is not None:
        return waiting
    outstanding = order.due_cents - held_cents(rows)  # store credit already paid its part
    if outstanding <= 0:
        raise DomainError("Nothing is outstanding on this order.")
    purpose = f"renewal-{len(rows) + 1}"
    payment = payments.create_payment(
        reference(order), method, outstanding, order.currency, purpose=purpose
    )
    payment.expires_at = utcnow() + timedelta(days=int(current_app.config["BALANCE_DUE_DAYS"]))
    link = (
        absolute_url("checkout.pay", token=access_token(order))
        if method == "card"
        else absolute_url("orders.guest_view", token=access_token(order))
    )
    amount = Money(outstanding, order.currency)
    queue_email(
        f"order-new-payment:{order.number}:{purpose}",
        order.email,
        f"Order {order.number}: please complete your payment",
        "hold_new_payment",
        order=order,
        payment=payment,
        amount_cents=outstanding,
        link=link,
        bank=current_app.config["BANK_DETAILS"],
    )
    how = "card" if method == "card" else "bank transfer"
    record(
        order,
        "new_payment_requested",
        f"New payment of {amount} requested by {how}.",
        actor=actor,
        actor_kind=actor_kind_of(actor),
        audit_after={
            "payment_id": payment.id,
            "purpose": purpose,
            "amount_cents": outstanding,
            "method": method,
        },
    )
    db.session.flush()
    return payment
