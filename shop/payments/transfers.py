"""Bank transfers staff saw arrive: matched by reference, four-eyes above a limit, applied.

A receipt names the payment by the reference the buyer wrote on the transfer ("HH-ABCD-EFGH",
however it was typed: case, spaces and dashes do not matter). Up to TRANSFER_APPROVAL_ABOVE_CENTS
it is applied at once; above it, it waits for a second staff member with APPROVE_TRANSFER who is
not the one who recorded it (the database refuses that too). Applying adds the amount to the
payment under its row lock: in full, the payment is RECEIVED; short, it keeps waiting for the
rest, and the order is told either way through `payment_changed`.

The form's one-time `request_key` makes a double submit one receipt.
"""

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from shop.audit import services as audit
from shop.auth.roles import Permission, can
from shop.db import lock_row, utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.money import Money
from shop.payments.models import Payment, TransferReceipt
from shop.payments.services import _set_status, lock_payment
from shop.payments.signals import payment_changed
from shop.payments.states import PaymentStatus

_REFERENCE = re.compile(r"HH[\s\-_.]*([A-Z0-9]{4})[\s\-_.]*([A-Z0-9]{4})")


def approval_limit() -> int:
    return int(current_app.config["TRANSFER_APPROVAL_ABOVE_CENTS"])


def normalise(text: str) -> str | None:
    """The bank reference in what was typed, as we issue it ("HH-ABCD-EFGH"), or None."""
    upper = (text or "").upper()
    squeezed = re.sub(r"[\s\-_.]", "", upper)
    if re.fullmatch(r"HH[A-Z0-9]{8}", squeezed):
        return f"HH-{squeezed[2:6]}-{squeezed[6:]}"
    match = _REFERENCE.search(upper)
    if match:
        return f"HH-{match.group(1)}-{match.group(2)}"
    return None


def find_by_reference(text: str) -> Payment | None:
    wanted = normalise(text)
    if wanted is None:
        return None
    return db.session.scalar(
        sa.select(Payment).where(
            Payment.bank_reference == wanted, Payment.method == "bank_transfer"
        )
    )


def _label(actor) -> str:
    return f"{actor.name} <{actor.email}> ({actor.role})"


def _summary(receipt: TransferReceipt) -> dict:
    return {
        "receipt_id": receipt.id,
        "payment_id": receipt.payment_id,
        "amount_cents": receipt.amount_cents,
        "received_on": receipt.received_on.isoformat(),
        "payer": receipt.payer,
        "reference": receipt.reference_text,
        "status": receipt.status,
    }


def record_receipt(
    *,
    reference_text: str,
    amount_cents: int,
    received_on: date,
    payer: str,
    actor,
    request_key: str,
) -> TransferReceipt:
    """Record a transfer that arrived; applied now, or waiting for a second pair of eyes."""
    if not can(actor.role, Permission.RECORD_TRANSFER):
        raise DomainError("Your role cannot record transfers.")
    key = (request_key or "").strip()[:64]
    if not key:
        raise DomainError("The form expired. Please open it again.")
    existing = db.session.scalar(
        sa.select(TransferReceipt).where(TransferReceipt.request_key == key)
    )
    if existing is not None:
        return existing  # a double submit: the first one's receipt
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise DomainError("Enter the amount received.", field="amount")
    if received_on > utcnow().date() + timedelta(days=1):
        raise DomainError("The date received cannot be in the future.", field="received_on")
    payer = " ".join((payer or "").split())
    if not payer:
        raise DomainError("Enter who sent the transfer.", field="payer")
    found = find_by_reference(reference_text)
    if found is None:
        raise DomainError(
            "No order has that bank reference. Check it against the statement "
            "(it looks like HH-ABCD-EFGH).",
            field="reference",
        )
    payment = lock_payment(found.id)
    if payment.status in (PaymentStatus.EXPIRED, PaymentStatus.CANCELED):
        raise DomainError(
            f"The payment {payment.bank_reference} was closed (its order was cancelled or the "
            "transfer expired). Nothing was recorded: ask a manager how to return the money.",
            field="reference",
        )
    receipt = TransferReceipt(
        payment_id=payment.id,
        amount_cents=amount_cents,
        currency=payment.currency,
        received_on=received_on,
        payer=payer[:200],
        reference_text=(reference_text or "").strip()[:80],
        request_key=key,
        status="pending_approval" if amount_cents > approval_limit() else "applied",
        recorded_by_id=actor.id,
        recorded_by_label=_label(actor),
    )
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
    except IntegrityError:
        # The same form sent twice at the same moment: the other request made the receipt.
        again = db.session.scalar(
            sa.select(TransferReceipt).where(TransferReceipt.request_key == key)
        )
        if again is None:
            raise
        return again
    audit.record(
        actor,
        "transfer.recorded",
        "payment",
        payment.id,
        after=_summary(receipt),
        reason=f"Transfer from {receipt.payer}",
    )
    if receipt.status == "applied":
        _apply(receipt, payment)
    db.session.flush()
    return receipt


def _lock_receipt(receipt_id: int) -> TransferReceipt:
    receipt = lock_row(TransferReceipt, receipt_id)
    if receipt is None:
        raise DomainError("No such transfer receipt.")
    return receipt


def approve(receipt_id: int, actor) -> TransferReceipt:
    """The second pair of eyes: apply a receipt waiting for approval (not the recorder's own)."""
    if not can(actor.role, Permission.APPROVE_TRANSFER):
        raise DomainError("Your role cannot approve transfers.")
    receipt = _lock_receipt(receipt_id)
    if receipt.status == "applied" and receipt.approved_by_id == actor.id:
        return receipt  # a second click
    if receipt.status != "pending_approval":
        raise DomainError("This transfer is no longer waiting for approval.")
    if receipt.recorded_by_id == actor.id:
        raise DomainError("A second staff member must approve a transfer you recorded.")
    payment = lock_payment(receipt.payment_id)
    receipt.status = "applied"
    receipt.approved_by_id = actor.id
    receipt.approved_by_label = _label(actor)
    receipt.decided_at = utcnow()
    db.session.flush()  # the four-eyes check stands here, before anything else changes
    audit.record(
        actor,
        "transfer.approved",
        "payment",
        payment.id,
        before={"status": "pending_approval"},
        after=_summary(receipt),
    )
    _apply(receipt, payment)
    db.session.flush()
    return receipt


def reject(receipt_id: int, actor, reason: str) -> TransferReceipt:
    """Turn down a receipt waiting for approval (a wrong amount, say); nothing is applied."""
    if not can(actor.role, Permission.APPROVE_TRANSFER):
        raise DomainError("Your role cannot decide on transfers.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("Say why the transfer is rejected.", field="reason")
    receipt = _lock_receipt(receipt_id)
    if receipt.status != "pending_approval":
        raise DomainError("This transfer is no longer waiting for approval.")
    if receipt.recorded_by_id == actor.id:
        raise DomainError("A second staff member must decide on a transfer you recorded.")
    receipt.status = "rejected"
    receipt.approved_by_id = actor.id
    receipt.approved_by_label = _label(actor)
    receipt.decided_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "transfer.rejected",
        "payment",
        receipt.payment_id,
        before={"status": "pending_approval"},
        after=_summary(receipt),
        reason=reason,
    )
    return receipt


def _apply(receipt: TransferReceipt, payment: Payment) -> None:
    """Add the money to the (locked) payment and tell the order, in full or in part."""
    payment.amount_received_cents += receipt.amount_cents
    db.session.flush()
    if payment.amount_received_cents >= payment.amount_cents and _set_status(
        payment, PaymentStatus.RECEIVED
    ):
        return
    # Short (or more after the whole amount): the status stays, but the order must still hear.
    payment_changed.send(payment, previous=payment.status, mismatch="")


def outstanding(payment: Payment) -> Money:
    return Money(max(payment.amount_cents - payment.amount_received_cents, 0), payment.currency)


def pending(limit: int = 50) -> list[TransferReceipt]:
    return list(
        db.session.scalars(
            sa.select(TransferReceipt)
            .where(TransferReceipt.status == "pending_approval")
            .order_by(TransferReceipt.created_at, TransferReceipt.id)
            .limit(limit)
        )
    )


def recent(limit: int = 20) -> list[TransferReceipt]:
    return list(
        db.session.scalars(
            sa.select(TransferReceipt)
            .order_by(TransferReceipt.created_at.desc(), TransferReceipt.id.desc())
            .limit(limit)
        )
    )


def receipts_of(payment_ids: list[int]) -> list[TransferReceipt]:
    if not payment_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(TransferReceipt)
            .where(TransferReceipt.payment_id.in_(payment_ids))
            .order_by(TransferReceipt.id)
        )
    )
