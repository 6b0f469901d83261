"""Stripe webhook intake: verified on the raw body, checked for shape, recorded by event id,
handled once. A signed event that is not well formed is recorded and refused, never handled.

A handler runs in the same savepoint as the event row (shop.payments.views), so an event is
either fully handled and remembered, or not at all (the view answers 5xx and Stripe sends it
again).
"""

import hashlib
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
    if moved:
        return f"payment {payment.id} -> {payment.status}"
    return f"no change: payment {payment.id} stays {payment.status}"


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


# What the handlers read from an event's object, by the JSON type it must have when present.
# A signed event is Stripe's word, but its shape is still checked before any handler sees it.
FIELD_TYPES = {
    **dict.fromkeys(
        ("id", "object", "status", "currency", "cancellation_reason", "charge", "reason"), str
    ),
    "failure_reason": str,
    **dict.fromkeys(("amount", "amount_capturable", "amount_received", "amount_refunded"), int),
    **dict.fromkeys(("metadata", "last_payment_error"), dict),
    **dict.fromkeys(("payment_intent", "latest_charge"), (str, dict)),
}
MAX_AMOUNT = 2**63 - 1  # what a BIGINT column holds


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def problem(event) -> str:
    """Why a signed body is not an event we can handle, or "" when it is well formed."""
    if not isinstance(event, dict):
        return "the event is not a JSON object"
    if not isinstance(event.get("id"), str) or not 0 < len(event["id"]) <= 80:
        return "id is not a string"
    if not isinstance(event.get("type"), str):
        return "type is not a string"
    created = event.get("created")
    if not _is_int(created) or not 0 <= created <= MAX_AMOUNT:
        return "created is not a number of seconds"
    data = event.get("data")
    if not isinstance(data, dict):
        return "data is not an object"
    obj = data.get("object")
    if not isinstance(obj, dict):
        return "data.object is missing or not an object"
    for field, kind in FIELD_TYPES.items():
        value = obj.get(field)
        if value is None:
            continue
        if kind is int and (not _is_int(value) or not 0 <= value <= MAX_AMOUNT):
            return f"data.object.{field} is not a whole amount"
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"data.object.{field} has the wrong type"
    return ""


def record_malformed(payload: bytes, event, why: str) -> str:
    """Keep a signed event we cannot handle, so staff can see it came; handle nothing.

    It is kept under a key made from its body, never under the id it claims: once the code can
    read such events, Stripe's resend of it must still be handled under its own id.
    """
    claimed = event.get("id") if isinstance(event, dict) else None
    kind = event.get("type") if isinstance(event, dict) else None
    claimed = f" (event {claimed[:40]})" if isinstance(claimed, str) else ""
    row = WebhookEvent(
        id="malformed-" + hashlib.sha256(payload).hexdigest()[:64],
        type=kind[:80] if isinstance(kind, str) else "",
        outcome=f"malformed{claimed}: {why}"[:200],
    )
    log.warning("stripe event refused: %s", row.outcome)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return "duplicate"
    return row.outcome


def handle_event(event: dict) -> str:
    """Record a well-formed event (see `problem`) by id and handle it once; a redelivered event
    changes nothing."""
    obj = event["data"]["object"]
    row = WebhookEvent(
        id=event["id"],
        type=event["type"][:80],
        object_id=str(obj.get("id") or "")[:80],
        stripe_created=event.get("created") or 0,
    )
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
