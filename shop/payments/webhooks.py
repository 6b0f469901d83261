"""Stripe webhook intake: verified on the raw body, recorded by event id, handled once.

A handler runs in the same transaction as the event row, so an event is either fully handled
and remembered, or not at all (the view answers 5xx and Stripe sends it again).
"""

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.extensions import db
from shop.payments import refunds
from shop.payments.models import Payment, WebhookEvent
from shop.payments.services import record_intent
from shop.payments.signals import payment_changed, payment_disputed

log = logging.getLogger(__name__)


def _payment_by_intent(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return db.session.scalar(
        sa.select(Payment)
        .where(Payment.stripe_payment_intent_id == intent_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


def _on_intent(obj: dict) -> str:
    payment = _payment_by_intent(obj.get("id"))
    if payment is None:
        return "unknown payment intent"
    moved = record_intent(payment, obj)
    return f"payment {payment.id} -> {payment.status}" if moved else "no change"


def _charge_intent_id(charge: dict) -> str | None:
    intent = charge.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def _on_charge_refunded(charge: dict) -> str:
    payment = _payment_by_intent(_charge_intent_id(charge))
    if payment is None:
        return "unknown payment intent"
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded <= payment.amount_refunded_cents:
        return "no change"
    payment.amount_refunded_cents = min(refunded, payment.amount_received_cents)
    db.session.flush()
    payment_changed.send(payment, previous=payment.status, mismatch="")
    return f"payment {payment.id} refunded {payment.amount_refunded_cents}"


def _on_refund(obj: dict) -> str:
    """A refund's outcome arrived later (pending at first, or failed after succeeding)."""
    row = refunds.by_stripe_id(obj.get("id"))
    if row is None:
        return "unknown refund"
    payment, refund = refunds.lock(row.id)
    moved = refunds.record_refund(payment, refund, obj)
    return f"refund {refund.id} -> {refund.status}" if moved else "no change"


def _on_dispute(dispute: dict) -> str:
    payment = _payment_by_intent(_charge_intent_id(dispute))
    if payment is None:
        return "unknown payment intent"
    payment_disputed.send(payment, dispute=dispute)
    return f"payment {payment.id} disputed"


HANDLERS = {
    "payment_intent.succeeded": _on_intent,
    "payment_intent.amount_capturable_updated": _on_intent,
    "payment_intent.payment_failed": _on_intent,
    "payment_intent.canceled": _on_intent,
    "payment_intent.requires_action": _on_intent,
    "payment_intent.processing": _on_intent,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
    "charge.refund.updated": _on_refund,
    "charge.dispute.closed": _on_dispute,  # its status says won or lost
}


def handle_event(event: dict) -> str:
    """Record the event by id and handle it once; a redelivered event changes nothing."""
    obj = (event.get("data") or {}).get("object") or {}
    row = WebhookEvent(
        id=str(event.get("id", ""))[:80],
        type=str(event.get("type", ""))[:80],
        object_id=str(obj.get("id", ""))[:80],
        stripe_created=int(event.get("created") or 0),
    )
    if not row.id:
        return "no event id"
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return "duplicate"
    handler = HANDLERS.get(row.type)
    row.outcome = handler(obj) if handler else "ignored"
    log.info("stripe event %s %s: %s", row.id, row.type, row.outcome)
    db.session.flush()
    return row.outcome
