"""What staff do to an order's money: capture, void, refund (with a second pair of eyes above a
limit), and cancel the whole order. Each action is on the timeline and in the audit trail.

Services take plain ids and the acting person, lock rows, flush and never commit. Locks are
always taken payment first, then order (the order that the payment signals and webhooks use),
so a staff action and a webhook on the same order wait for each other instead of deadlocking.

A call to Stripe that fails raises `StripeFailure`: the caller's refusal (shop.unit_of_work)
rolls back, so the order and the payment stay as they were, then the caller calls
`record_failure`, committed with its request, which puts the failure on the timeline (staff
only) and in the audit trail; a refund that was approved keeps its row as failed, with the
reason, to be sent again.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from shop.audit import services as audit
from shop.auth.roles import Permission, can
from shop.catalog import stock
from shop.catalog.models import StockReservation, Variant
from shop.db import utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.notifications.services import absolute_url, queue_email
from shop.orders import emails
from shop.orders.models import Order, OrderEvent
from shop.orders.services import access_token, holder, lock_order, payments_of
from shop.orders.states import OrderStatus, actor_kind_of, transition
from shop.payments import refunds
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.payments.states import RETRYABLE, PaymentStatus


class StripeFailure(DomainError):
    """Stripe did not do what was asked. Roll back (a refusal), then `record_failure`, show it."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        order_id: int,
        payment_id: int | None = None,
        amount_cents: int | None = None,
        refund: dict | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.order_id = order_id
        self.payment_id = payment_id
        self.amount_cents = amount_cents
        self.refund = refund


@dataclass
class Outcome:
    """What an action did, in words for the person who did it."""

    message: str
    refund: Refund | None = None
    created: bool = True
    notes: list[str] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------------


def _require(actor, permission: Permission, what: str) -> None:
    if not can(getattr(actor, "role", None), permission):
        raise DomainError(f"Your role does not allow you to {what}.")


def _label(actor) -> str:
    if actor is None:
        return "system"
    return f"{actor.name} <{actor.email}> ({actor.role})"[:160]


def _order_id_of(payment: Payment) -> int:
    kind, _, value = payment.reference.partition(":")
    if kind != "order" or not value.isdigit():
        raise NotFound("This payment is not for an order.")
    return int(value)


def _payment_of(order_id: int, payment_id: int) -> Payment:
    """The payment, if it belongs to the order (else 404: never act on another order's money)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.reference != f"order:{order_id}":
        raise NotFound("No such payment on this order.")
    return payment


def _event(order: Order, kind: str, note: str, actor, visible_to_buyer: bool) -> OrderEvent:
    """A timeline event by a staff member (the audit entry is written separately, with the
    amounts before and after)."""
    event = OrderEvent(
        order_id=order.id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor),
        visible_to_buyer=visible_to_buyer,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def _last_event_id(order_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(OrderEvent.id), 0)).where(
                OrderEvent.order_id == order_id
            )
        )
    )


def _claim(order_id: int, since: int, kind: str, actor) -> OrderEvent | None:
    """The event a payment signal just wrote (as "system") for what this person did."""
    event = db.session.scalar(
        sa.select(OrderEvent)
        .where(
            OrderEvent.order_id == order_id,
            OrderEvent.id > since,
            OrderEvent.kind == kind,
            OrderEvent.actor_id.is_(None),
        )
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )
    if event is not None and actor is not None:
        event.actor_id = actor.id
        event.actor_label = _label(actor)
    return event


def _amounts(payment: Payment) -> dict:
    return {
        "payment_id": payment.id,
        "status": payment.status,
        "authorized_cents": payment.amount_capturable_cents,
        "received_cents": payment.amount_received_cents,
        "refunded_cents": payment.amount_refunded_cents,
    }


def _money(cents: int, payment: Payment | Refund) -> str:
    return Money(cents, payment.currency).format()


def _why(exc: DomainError) -> str:
    if isinstance(exc, payments.PaymentDeclined):
        return f"the bank said: {exc.message.rstrip('.')}"
    return "the card network could not be reached"


# --- capture and void -----------------------------------------------------------------------


def capture_payment(order_id: int, payment_id: int, amount_cents: int | None, actor) -> Outcome:
    """Capture an authorization in full (amount None) or in part, never above what it holds.

    Two clicks at once make one capture: the second waits for the payment row and then finds
    it captured. The rest of a partly captured hold is released by Stripe.
    """
    _require(actor, Permission.CAPTURE_PAYMENT, "capture payments")
    payment = payments.lock_payment(_payment_of(order_id, payment_id).id)
    order = lock_order(order_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        raise DomainError("This payment is already captured.")
    if payment.method != "card" or payment.status != PaymentStatus.AUTHORIZED:
        raise DomainError("Only an authorized card payment can be captured.")
    if order.status == OrderStatus.CANCELLED:
        raise DomainError("This order is cancelled: void the authorization instead.")
    if amount_cents is not None and amount_cents > payment.amount_capturable_cents:
        limit = _money(payment.amount_capturable_cents, payment)
        raise DomainError(f"At most {limit} can be captured on this authorization.")
    before = _amounts(payment)
    since = _last_event_id(order.id)
    try:
        payments.capture(payment.id, amount_cents)
    except (payments.PaymentUnavailable, payments.PaymentDeclined) as exc:
        wanted = amount_cents or payment.amount_capturable_cents
        raise StripeFailure(
            f"Stripe did not capture {_money(wanted, payment)}: {_why(exc)}. The order and the "
            "payment are unchanged; please try again in a moment.",
            kind="capture_failed",
            order_id=order_id,
            payment_id=payment.id,
            amount_cents=wanted,
        ) from exc
    order = lock_order(order_id)
    captured = payment.amount_received_cents
    if _claim(order.id, since, "payment_captured", actor) is None:
        _event(order, "payment_captured", f"Card charged {_money(captured, payment)}.", actor, True)
    audit.record(
        actor,
        "payment.capture",
        "order",
        order.number,
        before=before,
        after={**_amounts(payment), "order_status": order.status},
    )
    message = f"{_money(captured, payment)} captured."
    released = before["authorized_cents"] - captured
    if released > 0:
        message += f" The rest of the hold ({_money(released, payment)}) was released."
    return Outcome(message)


def void_payment(order_id: int, payment_id: int, actor, reason: str) -> Outcome:
    """Cancel an authorization: the hold on the buyer's card is released, nothing is charged."""
    _require(actor, Permission.CAPTURE_PAYMENT, "void payments")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the authorization is voided.", field="reason")
    payment = payments.lock_payment(_payment_of(order_id, payment_id).id)
    order = lock_order(order_id)
    if payment.status in (PaymentStatus.CANCELED, PaymentStatus.EXPIRED):
        raise DomainError("This authorization is already voided or lapsed.")
    if payment.method != "card" or payment.status != PaymentStatus.AUTHORIZED:
        raise DomainError("Only an authorized card payment can be voided; refund captured money.")
    before = _amounts(payment)
    held = payment.amount_capturable_cents
    try:
        payments.cancel(payment.id, reason)
    except (payments.PaymentUnavailable, payments.PaymentDeclined) as exc:
        raise StripeFailure(
            f"Stripe did not void the authorization: {_why(exc)}. The order and the payment are "
            "unchanged; please try again in a moment.",
            kind="void_failed",
            order_id=order_id,
            payment_id=payment.id,
            amount_cents=held,
        ) from exc
    order = lock_order(order_id)
    note = f"Card authorization of {_money(held, payment)} voided: {reason}"
    _event(order, "payment_voided", note, actor, False)
    audit.record(
        actor,
        "payment.void",
        "order",
        order.number,
        before=before,
        after=_amounts(payment),
        reason=reason,
    )
    return Outcome(f"Authorization of {_money(held, payment)} voided; nothing was charged.")


# --- refunds --------------------------------------------------------------------------------


def request_refund(
    order_id: int,
    payment_id: int,
    amount_cents: int,
    reason: str,
    actor,
    request_key: str | None,
) -> Outcome:
    """Ask for a refund with a reason. Within the limit it is sent at once; above it, it waits
    for a second staff member. The same form sent twice makes one refund."""
    _require(actor, Permission.REQUEST_REFUND, "ask for refunds")
    payment_id = _payment_of(order_id, payment_id).id
    order = db.session.get(Order, order_id)
    if order is not None and order.dispute_status == "open":
        raise DomainError("A card dispute is open on this order: the card network decides.")
    refund, created = refunds.request(payment_id, amount_cents, reason, actor, request_key)
    if not created:
        label = refunds.STATUS_LABELS[refund.status].lower()
        return Outcome(f"This refund was already asked for: {label}.", refund=refund, created=False)
    return _after_request(lock_order(order_id), payments.lock_payment(payment_id), refund, actor)


def _after_request(order: Order, payment: Payment, refund: Refund, actor) -> Outcome:
    amount = _money(refund.amount_cents, refund)
    audit.record(
        actor,
        "refund.request",
        "order",
        order.number,
        after={
            "refund_id": refund.id,
            "payment_id": payment.id,
            "amount_cents": refund.amount_cents,
            "status": refund.status,
        },
        reason=refund.reason,
    )
    if refund.status == refunds.PENDING_APPROVAL:
        limit = _money(refunds.approval_limit_cents(), refund)
        _event(
            order,
            "refund_requested",
            f"Refund of {amount} asked for; above {limit} it waits for a second staff member's "
            f"approval. Reason: {refund.reason}",
            actor,
            False,
        )
        return Outcome(
            f"Refund of {amount} asked for. Above {limit} a second staff member must approve "
            "it before it is sent.",
            refund=refund,
        )
    _event(order, "refund_requested", f"Refund of {amount}: {refund.reason}", actor, False)
    return _send(order, payment, refund, actor)


def _send(
    order: Order, payment: Payment, refund: Refund, actor, idempotency_key: str | None = None
) -> Outcome:
    """Send a ready refund to Stripe (payment and refund rows locked by the caller)."""
    amount = _money(refund.amount_cents, refund)
    since = _last_event_id(order.id)
    try:
        refunds.execute(payment, refund, idempotency_key)
    except (payments.PaymentUnavailable, payments.PaymentDeclined) as exc:
        raise StripeFailure(
            f"The refund of {amount} did not go through at Stripe: {_why(exc)}. Nothing was "
            "refunded; the refund is kept as failed and can be sent again.",
            kind="refund_failed",
            order_id=order.id,
            payment_id=payment.id,
            amount_cents=refund.amount_cents,
            refund=refunds.snapshot(refund),
        ) from exc
    if refund.status == refunds.FAILED:
        raise StripeFailure(
            f"Stripe refused the refund of {amount}: {refund.last_error} Nothing was refunded; "
            "the refund is kept as failed and can be sent again.",
            kind="refund_failed",
            order_id=order.id,
            payment_id=payment.id,
            amount_cents=refund.amount_cents,
            refund=refunds.snapshot(refund),
        )
    order = lock_order(order.id)
    if refund.status == refunds.SUCCEEDED:
        total = _money(payment.amount_refunded_cents, payment)
        note = f"Refund of {amount} to the card ({total} refunded in total)."
        event = _claim(order.id, since, "payment_refunded", actor)
        if event is not None:
            event.note = note
        else:
            _event(order, "payment_refunded", note, actor, True)
        message = f"Refund of {amount} sent to the buyer's card."
    else:
        note = f"Refund of {amount} sent; the bank is still processing it."
        _event(order, "refund_processing", note, actor, True)
        message = f"Refund of {amount} sent; Stripe reports it as still processing."
    _refund_email(order, payment, refund)
    audit.record(
        actor,
        "refund.send",
        "order",
        order.number,
        before={"refund_id": refund.id},
        after={
            "refund_id": refund.id,
            "status": refund.status,
            "stripe_refund_id": refund.stripe_refund_id or "",
            **_amounts(payment),
        },
        reason=refund.reason,
    )
    return Outcome(message, refund=refund)


def _refund_email(order: Order, payment: Payment, refund: Refund) -> None:
    queue_email(
        f"order-refund:{refund.id}",
        order.email,
        f"Order {order.number}: refund of {_money(refund.amount_cents, refund)}",
        "order_refunded",
        order=order,
        amount=refund.amount_cents,
        total_refunded=payment.amount_refunded_cents or refund.amount_cents,
        link=absolute_url("orders.guest_view", token=access_token(order)),
    )


def _locked_refund(refund_id: int) -> tuple[Order, Payment, Refund]:
    payment, refund = refunds.lock(refund_id)
    order = lock_order(_order_id_of(payment))
    return order, payment, refund


def approve_refund(refund_id: int, approver) -> Outcome:
    """A second staff member (never the one who asked) approves; the refund is sent at once.

    Two approvals at once make one Stripe refund: the second finds it already decided."""
    _require(approver, Permission.APPROVE_REFUND, "approve refunds")
    order, payment, refund = _locked_refund(refund_id)
    if refund.approved_by_id == approver.id and refund.status in (
        refunds.PROCESSING,
        refunds.SUCCEEDED,
    ):
        return Outcome("You already approved this refund.", refund=refund, created=False)
    refunds.approve(payment, refund, approver)
    amount = _money(refund.amount_cents, refund)
    requester = refund.requested_by_label.split(" <")[0] or "someone"
    _event(
        order,
        "refund_approved",
        f"Refund of {amount} (asked by {requester}) approved.",
        approver,
        False,
    )
    audit.record(
        approver,
        "refund.approve",
        "order",
        order.number,
        before={"refund_id": refund.id, "status": refunds.PENDING_APPROVAL},
        after={
            "refund_id": refund.id,
            "status": refund.status,
            "amount_cents": refund.amount_cents,
        },
        reason=refund.reason,
    )
    return _send(order, payment, refund, approver)


def reject_refund(refund_id: int, approver, reason: str) -> Outcome:
    _require(approver, Permission.APPROVE_REFUND, "reject refunds")
    order, payment, refund = _locked_refund(refund_id)
    refunds.reject(payment, refund, approver, reason)
    amount = _money(refund.amount_cents, refund)
    _event(
        order, "refund_rejected", f"Refund of {amount} rejected: {reason.strip()}", approver, False
    )
    audit.record(
        approver,
        "refund.reject",
        "order",
        order.number,
        before={"refund_id": refund.id, "status": refunds.PENDING_APPROVAL},
        after={"refund_id": refund.id, "status": refund.status},
        reason=reason.strip(),
    )
    return Outcome(f"Refund of {amount} rejected; nothing was sent.", refund=refund)


def retry_refund(refund_id: int, actor) -> Outcome:
    """Send a failed refund again (its approval, if it needed one, stands)."""
    order, payment, refund = _locked_refund(refund_id)
    key = refunds.prepare_retry(payment, refund, actor)
    audit.record(
        actor,
        "refund.retry",
        "order",
        order.number,
        after={"refund_id": refund.id, "amount_cents": refund.amount_cents},
        reason=refund.reason,
    )
    return _send(order, payment, refund, actor, key)


# --- failures -------------------------------------------------------------------------------


def record_failure(failure: StripeFailure, actor) -> None:
    """After the caller rolled back: the failure on the timeline (staff only) and in the audit
    trail; an approved refund that failed is kept, as failed, to be sent again."""
    order = db.session.get(Order, failure.order_id)
    if order is None:
        return
    if failure.refund is not None:
        refunds.mark_failed(failure.refund, failure.message)
    _event(order, failure.kind, failure.message, actor, False)
    audit.record(
        actor,
        f"payment.{failure.kind}",
        "order",
        order.number,
        after={
            "payment_id": failure.payment_id or "",
            "amount_cents": failure.amount_cents or 0,
            "refund_id": (failure.refund or {}).get("id") or "",
        },
        reason=failure.message,
    )


# --- cancelling -----------------------------------------------------------------------------


def _give_back_stock(order: Order) -> int:
    """Units held for an unplaced order are released; units sold to a placed order go back on
    the shelf (once: their reservations are closed as released). Returns the units returned."""
    h = holder(order)
    stock.release(h)
    sold = list(
        db.session.scalars(
            sa.select(StockReservation).where(
                StockReservation.holder == h, StockReservation.status == "converted"
            )
        )
    )
    if not sold:
        return 0
    variants = {
        v.id: v
        for v in db.session.scalars(
            sa.select(Variant)
            .where(Variant.id.in_(sorted({r.variant_id for r in sold})))
            .order_by(Variant.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    }
    units = 0
    for row in sold:
        variant = variants.get(row.variant_id)
        if variant is not None:
            variant.stock_on_hand += row.quantity
            units += row.quantity
        row.status = "released"
    db.session.flush()
    return units


def cancel_order(order_id: int, actor, reason: str) -> Outcome:
    """Cancel the order, if the lifecycle table lets this person: the units go back, open
    authorizations are voided and captured card money is refunded in full, through the refund
    path (above the limit the refund waits for a second staff member's approval, and says so).

    A Stripe failure raises StripeFailure: roll back, the order stays as it was.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the order is cancelled: the buyer is told the reason.")
    found = db.session.get(Order, order_id)
    if found is None:
        raise NotFound("No such order.")
    rows = [payments.lock_payment(p.id) for p in payments_of(found)]
    order = lock_order(order_id)
    transition(
        order,
        OrderStatus.CANCELLED,
        actor_kind=actor_kind_of(actor),
        actor=actor,
        note=reason,
    )
    notes = []
    units = _give_back_stock(order)
    if units:
        notes.append(f"{units} unit{'s' if units != 1 else ''} back in stock.")
    waiting: list[Refund] = []
    for payment in rows:
        try:
            notes.extend(_undo_payment(order, payment, actor, reason, waiting))
        except (payments.PaymentUnavailable, payments.PaymentDeclined) as exc:
            raise StripeFailure(
                f"Order {order.number} was not cancelled: Stripe could not void or refund its "
                f"payment ({_why(exc)}). Nothing changed; please try again in a moment.",
                kind="cancel_failed",
                order_id=order.id,
                payment_id=payment.id,
            ) from exc
        except StripeFailure as exc:
            raise StripeFailure(
                f"Order {order.number} was not cancelled: {exc.message}",
                kind="cancel_failed",
                order_id=order.id,
                payment_id=payment.id,
                amount_cents=exc.amount_cents,
            ) from exc
    emails.cancelled(order, reason)
    message = " ".join([f"Order {order.number} is cancelled.", *notes])
    return Outcome(message, refund=waiting[0] if waiting else None, notes=notes)


def _undo_payment(
    order: Order, payment: Payment, actor, reason: str, waiting: list[Refund]
) -> list[str]:
    notes: list[str] = []
    status = PaymentStatus(payment.status)
    why = f"Order cancelled: {reason}"
    if payment.method == "card":
        if status == PaymentStatus.AUTHORIZED:
            held = payment.amount_capturable_cents
            before = _amounts(payment)
            payments.cancel(payment.id, why)
            _event(
                order,
                "payment_voided",
                f"Card authorization of {_money(held, payment)} voided: the order is cancelled.",
                actor,
                False,
            )
            audit.record(
                actor,
                "payment.void",
                "order",
                order.number,
                before=before,
                after=_amounts(payment),
                reason=why,
            )
            notes.append(f"Authorization of {_money(held, payment)} voided.")
        elif status in RETRYABLE:
            payments.cancel(payment.id, why)
        elif status == PaymentStatus.SUCCEEDED:
            left = refunds.refundable_cents(payment)
            if left > 0:
                refund, _ = refunds.request(payment.id, left, why, actor)
                outcome = _after_request(order, payment, refund, actor)
                if refund.status == refunds.PENDING_APPROVAL:
                    waiting.append(refund)
                    notes.append(
                        f"The refund of {_money(left, payment)} waits for a second staff "
                        "member's approval."
                    )
                else:
                    notes.append(outcome.message)
    elif status == PaymentStatus.AWAITING_FUNDS:
        payments.cancel(payment.id, why)
    elif payment.amount_received_cents > payment.amount_refunded_cents:
        owed = payment.amount_received_cents - payment.amount_refunded_cents
        order.needs_review = True
        order.review_reason = (
            f"Cancelled with {_money(owed, payment)} received by bank transfer: pay it back "
            "by bank."
        )[:300]
        _event(order, "transfer_to_pay_back", order.review_reason, actor, False)
        notes.append(f"{_money(owed, payment)} came by bank transfer: pay it back by bank.")
    return notes


def refunds_for(order: Order) -> list[Refund]:
    """The refunds of the order's payments, oldest first (for the order page)."""
    return refunds.refunds_of([p.id for p in payments_of(order)])
