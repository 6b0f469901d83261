"""Refunds of captured card payments: asked for by one person, approved by a second one above a
configured amount, sent to Stripe once.

Every function here locks the Payment row first (then the Refund row), so what can still be
refunded is computed while nobody else can ask for, approve or send a refund of the same
payment: two requests that each fit but together exceed what was captured cannot both pass, and
two approvals of one refund make one Stripe refund. A pending or processing request already
counts against what is left. Functions take plain values and flush; the request commits.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from shop.auth.roles import Permission, can
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.payments import gateway
from shop.payments.models import Payment, Refund
from shop.payments.services import _gateway, lock_payment
from shop.payments.signals import payment_changed
from shop.payments.states import PaymentStatus

PENDING_APPROVAL = "pending_approval"
PROCESSING = "processing"
SUCCEEDED = "succeeded"
FAILED = "failed"
REJECTED = "rejected"

# Requests that still hold part of the captured amount.
RESERVED = (PENDING_APPROVAL, PROCESSING)

STATUS_LABELS = {
    PENDING_APPROVAL: "Waiting for approval",
    PROCESSING: "Processing at the bank",
    SUCCEEDED: "Refunded",
    FAILED: "Failed",
    REJECTED: "Rejected",
}

# What Stripe's refund statuses mean for our row.
FROM_STRIPE = {
    "succeeded": SUCCEEDED,
    "pending": PROCESSING,
    "requires_action": PROCESSING,
    "failed": FAILED,
    "canceled": FAILED,
}


def approval_limit_cents() -> int:
    return int(current_app.config["REFUND_APPROVAL_ABOVE_CENTS"])


def needs_approval(amount_cents: int) -> bool:
    return amount_cents > approval_limit_cents()


def person_label(user) -> str:
    return f"{user.name} <{user.email}> ({user.role})"


def reserved_cents(payment_id: int, exclude_id: int | None = None) -> int:
    stmt = sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_cents), 0)).where(
        Refund.payment_id == payment_id, Refund.status.in_(RESERVED)
    )
    if exclude_id is not None:
        stmt = stmt.where(Refund.id != exclude_id)
    return int(db.session.scalar(stmt) or 0)


def refundable_cents(payment: Payment, exclude_id: int | None = None) -> int:
    """Received, less what was refunded, less requests waiting or on their way."""
    left = payment.amount_received_cents - payment.amount_refunded_cents
    return max(left - reserved_cents(payment.id, exclude_id), 0)


def refunds_of(payment_ids: list[int]) -> list[Refund]:
    if not payment_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Refund).where(Refund.payment_id.in_(payment_ids)).order_by(Refund.id)
        )
    )


def lock_refund(refund_id: int) -> Refund:
    refund = lock_row(Refund, refund_id)
    if refund is None:
        raise NotFound("No such refund.")
    return refund


def lock(refund_id: int) -> tuple[Payment, Refund]:
    """The refund's payment, then the refund itself, both locked (always in that order)."""
    row = db.session.get(Refund, refund_id)
    if row is None:
        raise NotFound("No such refund.")
    payment = lock_payment(row.payment_id)
    return payment, lock_refund(refund_id)


def require_refundable(payment: Payment) -> None:
    if payment.method != "card" or not payment.stripe_payment_intent_id:
        raise DomainError(
            "Only a card payment can be refunded here. Pay a bank transfer back by bank."
        )
    if payment.status != PaymentStatus.SUCCEEDED or payment.amount_received_cents <= 0:
        raise DomainError(
            "Only captured money can be refunded. An authorization is voided, not refunded."
        )


def request(
    payment_id: int,
    amount_cents: int,
    reason: str,
    requester,
    request_key: str | None = None,
) -> tuple[Refund, bool]:
    """Ask for a refund; (the refund, True) when made now, (the first one, False) when the same
    form was sent before. Above the approval limit it waits for a second person; otherwise it
    is ready to send (status processing) and the caller sends it with `execute`."""
    payment = lock_payment(payment_id)
    if request_key:
        existing = db.session.scalar(sa.select(Refund).where(Refund.request_key == request_key))
        if existing is not None:
            if existing.payment_id != payment.id:
                raise DomainError("That form was already used. Please reload the page.")
            return existing, False
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the money is refunded.", field="reason")
    require_refundable(payment)
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise DomainError("Enter an amount to refund above zero.", field="amount")
    available = refundable_cents(payment)
    if amount_cents > available:
        raise DomainError(_too_much(payment, available), field="amount")
    refund = Refund(
        payment_id=payment.id,
        amount_cents=amount_cents,
        currency=payment.currency,
        reason=reason,
        request_key=request_key or None,
        status=PENDING_APPROVAL if needs_approval(amount_cents) else PROCESSING,
        requested_by_id=getattr(requester, "id", None),
        requested_by_label=person_label(requester)[:200] if requester is not None else "system",
    )
    db.session.add(refund)
    db.session.flush()
    return refund, True


def _too_much(payment: Payment, available: int) -> str:
    reserved = reserved_cents(payment.id)
    text = f"At most {Money(available, payment.currency)} can still be refunded on this payment"
    if reserved:
        text += f" ({Money(reserved, payment.currency)} is already asked for and not yet sent)"
    return text + "."


def approve(payment: Payment, refund: Refund, approver) -> None:
    """The second pair of eyes says yes; the caller then sends it with `execute`."""
    if not can(getattr(approver, "role", None), Permission.APPROVE_REFUND):
        raise DomainError("Only a manager can approve a refund.")
    if refund.status != PENDING_APPROVAL:
        raise DomainError(f"This refund is already decided: {STATUS_LABELS[refund.status]}.")
    if refund.requested_by_id is not None and refund.requested_by_id == approver.id:
        raise DomainError("You asked for this refund: another manager must approve it.")
    refund.approved_by_id = approver.id
    refund.approved_by_label = person_label(approver)[:200]
    refund.decided_at = utcnow()
    refund.status = PROCESSING
    db.session.flush()


def reject(payment: Payment, refund: Refund, approver, reason: str) -> None:
    if not can(getattr(approver, "role", None), Permission.APPROVE_REFUND):
        raise DomainError("Only a manager can reject a refund.")
    if refund.status != PENDING_APPROVAL:
        raise DomainError(f"This refund is already decided: {STATUS_LABELS[refund.status]}.")
    if refund.requested_by_id is not None and refund.requested_by_id == approver.id:
        raise DomainError("You asked for this refund: another manager must decide on it.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the refund is rejected.", field="reason")
    refund.approved_by_id = approver.id
    refund.approved_by_label = person_label(approver)[:200]
    refund.decided_at = utcnow()
    refund.status = REJECTED
    refund.last_error = f"Rejected: {reason}"[:300]
    db.session.flush()


def may_retry(refund: Refund, actor) -> bool:
    """Who may send a failed refund again: whoever could have sent it in the first place.

    Within the limit anyone who may ask for refunds; above it, a manager other than the one
    who asked (the approval itself stays the one already given)."""
    role = getattr(actor, "role", None)
    if refund.status != FAILED:
        return False
    if not needs_approval(refund.amount_cents):
        return can(role, Permission.REQUEST_REFUND) or can(role, Permission.APPROVE_REFUND)
    return can(role, Permission.APPROVE_REFUND) and refund.requested_by_id != actor.id


def prepare_retry(payment: Payment, refund: Refund, actor) -> str:
    """Make a failed refund ready to send again; the idempotency key to send it with.

    When the first attempt never got an answer from Stripe, the same key is used again, so a
    refund Stripe did make after all is returned, not made twice. When Stripe answered that
    its refund failed, a new key asks for a new refund."""
    if refund.status != FAILED:
        label = STATUS_LABELS[refund.status]
        raise DomainError(f"Only a failed refund can be sent again ({label}).")
    if not may_retry(refund, actor):
        raise DomainError("Another manager must send this refund again.")
    key = f"refund-{refund.id}"
    if refund.stripe_refund_id:
        key = f"{key}-after-{refund.stripe_refund_id}"
        refund.stripe_refund_id = None
    refund.status = PROCESSING
    refund.last_error = ""
    db.session.flush()
    return key


def execute(payment: Payment, refund: Refund, idempotency_key: str | None = None) -> Refund:
    """Send a refund that is ready (processing, no Stripe id yet) to Stripe, once.

    Both rows must be locked by the caller. The idempotency key is the refund's own id, so a
    retry after a timeout can never refund twice at Stripe.
    """
    if refund.status != PROCESSING or refund.stripe_refund_id:
        raise DomainError(f"This refund is not ready to send ({STATUS_LABELS[refund.status]}).")
    require_refundable(payment)
    available = refundable_cents(payment, exclude_id=refund.id)
    if refund.amount_cents > available:
        raise DomainError(_too_much(payment, available))
    result = _gateway(
        gateway.create_refund,
        payment.stripe_payment_intent_id,
        refund.amount_cents,
        idempotency_key or f"refund-{refund.id}",
        {"refund_id": str(refund.id), "reference": payment.reference},
    )
    refund.stripe_refund_id = result.get("id") or None
    record_refund(payment, refund, result)
    return refund


def record_refund(payment: Payment, refund: Refund, obj: dict) -> bool:
    """Take in what Stripe says about a refund (a call's answer or a webhook); True if it moved.

    The payment's refunded amount counts succeeded refunds only (never above what was
    received); each change is announced so the order's amounts follow.
    """
    status = FROM_STRIPE.get(obj.get("status") or "")
    if status is None or status == refund.status:
        return False
    if status == PROCESSING and refund.status in (SUCCEEDED, FAILED):
        return False  # a late "pending" after the outcome
    previous_status = refund.status
    refund.status = status
    if status == SUCCEEDED:
        refund.last_error = ""
        payment.amount_refunded_cents = min(
            payment.amount_refunded_cents + refund.amount_cents, payment.amount_received_cents
        )
    elif status == FAILED:
        why = obj.get("failure_reason") or "no reason given"
        refund.last_error = f"Stripe could not complete the refund ({why})."[:300]
        if previous_status == SUCCEEDED:  # the bank sent it back after all
            payment.amount_refunded_cents = max(
                payment.amount_refunded_cents - refund.amount_cents, 0
            )
    db.session.flush()
    if SUCCEEDED in (status, previous_status):
        payment_changed.send(payment, previous=payment.status, mismatch="")
    return True


def mark_failed(snapshot: dict, message: str) -> Refund:
    """After the caller rolled back a refund that failed at Stripe: keep it as failed, with the
    same id (so a retry uses the same idempotency key) and the approval it already had."""
    refund = db.session.get(Refund, snapshot["id"])
    if refund is None:
        refund = Refund(**snapshot)
        db.session.add(refund)
    else:
        for key in ("approved_by_id", "approved_by_label", "decided_at", "stripe_refund_id"):
            if snapshot.get(key):
                setattr(refund, key, snapshot[key])
    refund.status = FAILED
    refund.last_error = message[:300]
    db.session.flush()
    return refund


def snapshot(refund: Refund) -> dict:
    """The refund's columns, to write it again after a rollback."""
    columns: dict[str, int | str | datetime | None] = {
        "id": refund.id,
        "payment_id": refund.payment_id,
        "amount_cents": refund.amount_cents,
        "currency": refund.currency,
        "reason": refund.reason,
        "request_key": refund.request_key,
        "stripe_refund_id": refund.stripe_refund_id,
        "requested_by_id": refund.requested_by_id,
        "requested_by_label": refund.requested_by_label,
        "approved_by_id": refund.approved_by_id,
        "approved_by_label": refund.approved_by_label,
        "decided_at": refund.decided_at,
    }
    return columns


def by_stripe_id(stripe_refund_id: str | None) -> Refund | None:
    if not stripe_refund_id:
        return None
    return db.session.scalar(sa.select(Refund).where(Refund.stripe_refund_id == stripe_refund_id))
