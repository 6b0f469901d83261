"""Card authorizations and their deadlines: when a hold lapses, which lapse soon, lapsing one.

A hold lapses at Stripe's `capture_before` when Stripe gave one, else CARD_HOLD_DAYS after it
was authorized. A hold past its deadline is cancelled at Stripe and the payment becomes EXPIRED:
"payment expired", never paid. Payments know nothing of orders: the order hears of it through
`payment_changed`.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from shop.db import utcnow
from shop.extensions import db
from shop.payments import gateway
from shop.payments import services as payments
from shop.payments.models import Payment
from shop.payments.states import PaymentStatus

LAPSED_NOTE = "The card hold lapsed before it was captured."


def hold_days() -> int:
    return int(current_app.config["CARD_HOLD_DAYS"])


def warning_hours() -> int:
    return int(current_app.config["HOLD_WARNING_HOURS"])


def deadline(payment: Payment) -> datetime | None:
    """When the authorization lapses: Stripe's capture_before, else authorized_at + hold days."""
    if payment.capture_before is not None:
        return payment.capture_before
    if payment.authorized_at is not None:
        return payment.authorized_at + timedelta(days=hold_days())
    return None


def _due_by(horizon: datetime):
    """Authorized card payments whose deadline is at or before `horizon` (SQL, any database)."""
    return sa.and_(
        Payment.method == "card",
        Payment.status == PaymentStatus.AUTHORIZED.value,
        sa.or_(
            sa.and_(Payment.capture_before.is_not(None), Payment.capture_before <= horizon),
            sa.and_(
                Payment.capture_before.is_(None),
                Payment.authorized_at <= horizon - timedelta(days=hold_days()),
            ),
        ),
    )


def lapsing(within_hours: int | None = None, now: datetime | None = None, limit: int = 200):
    """Authorized card holds lapsing within the warning window (or already past), soonest first.

    One query.
    """
    now = now or utcnow()
    hours = warning_hours() if within_hours is None else within_hours
    rows = db.session.scalars(
        sa.select(Payment).where(_due_by(now + timedelta(hours=hours))).limit(limit)
    ).all()
    return sorted(rows, key=lambda p: (deadline(p), p.id))


def to_alert(now: datetime | None = None) -> list[int]:
    """Ids of holds inside the warning window, not yet past their deadline, whose staff have not
    been told yet (a hold past its deadline only lapses: a warning would come too late)."""
    now = now or utcnow()
    horizon = now + timedelta(hours=warning_hours())
    return list(
        db.session.scalars(
            sa.select(Payment.id)
            .where(_due_by(horizon), ~_due_by(now), Payment.deadline_alerted_at.is_(None))
            .order_by(Payment.id)
            .limit(500)
        )
    )


def past_deadline(now: datetime | None = None) -> list[int]:
    """Ids of holds whose deadline has passed and that still show as authorized."""
    return list(
        db.session.scalars(
            sa.select(Payment.id).where(_due_by(now or utcnow())).order_by(Payment.id).limit(500)
        )
    )


def claim_for_alert(payment_id: int) -> Payment | None:
    """The payment, locked, if it still needs its alert and no other run holds it (else None)."""
    return db.session.scalar(
        sa.select(Payment)
        .where(
            Payment.id == payment_id,
            Payment.status == PaymentStatus.AUTHORIZED.value,
            Payment.deadline_alerted_at.is_(None),
        )
        .with_for_update(key_share=True, skip_locked=True)
        .execution_options(populate_existing=True)
    )


def claim_for_lapse(payment_id: int) -> Payment | None:
    """The payment, locked, if it is still authorized and no other run holds it (else None)."""
    return db.session.scalar(
        sa.select(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.AUTHORIZED.value)
        .with_for_update(key_share=True, skip_locked=True)
        .execution_options(populate_existing=True)
    )


def lapse(payment_id: int, now: datetime | None = None) -> Payment:
    """Let a hold past its deadline go: ask Stripe first, then cancel it there and mark EXPIRED.

    Stripe may have moved on already (captured by someone, or lapsed on its own: that maps to
    EXPIRED in `record_intent`); then its answer is taken as it is. Raises PaymentUnavailable
    when Stripe cannot be reached: nothing changes, the next run tries again.
    """
    now = now or utcnow()
    payment = payments.refresh(payment_id)  # locks the row
    if payment.status != PaymentStatus.AUTHORIZED:
        return payment
    due = deadline(payment)
    if due is None or due > now:
        return payment
    if payment.stripe_payment_intent_id:
        intent = payments._gateway(
            gateway.cancel_payment_intent,
            payment.stripe_payment_intent_id,
            f"payment-{payment.id}-lapse",
        )
        if intent.get("status") != "canceled":
            payments.record_intent(payment, intent)  # captured meanwhile, say
            db.session.flush()
            return payment
    payment.amount_capturable_cents = 0
    payment.last_error = LAPSED_NOTE
    payments._set_status(payment, PaymentStatus.EXPIRED)
    db.session.flush()
    return payment
