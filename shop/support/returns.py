"""Returns: a return request ticket gets a ReturnRequest that staff approve (with instructions)
or decline (with a reason), mark received, and settle one way: a refund through the payments
code (four-eyes above the limit), store credit, or an exchange order at no charge.

Rules:
- Any staff member (rep, support, manager) may decide, mark received and settle; a refund is
  asked for through `shop.orders.operations.request_refund`, which needs the REQUEST_REFUND
  permission and, above REFUND_APPROVAL_ABOVE_CENTS, a second staff member's approval.
- A return is approved only within RETURN_WINDOW_DAYS of the order's delivery; a manager may
  approve later with a reason (written to the audit trail).
- Each step writes a TicketEvent and an audit entry; the buyer is emailed when they should act
  or know (approved with instructions, declined with the reason, received, settled).

Services take plain values and the acting person, lock rows, flush, never commit.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import BuildError

from shop.audit import services as audit
from shop.auth.roles import Permission, Role, can
from shop.catalog import stock
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.notifications.services import absolute_url, queue_email
from shop.orders import operations
from shop.orders.models import Order, OrderLine
from shop.orders.services import (
    Acceptance,
    Contact,
    NewLine,
    access_token,
    create_order,
    holder,
    items,
    refresh_amounts,
)
from shop.orders.states import OrderStatus, record, transition
from shop.payments import refunds
from shop.payments.models import Payment, Refund
from shop.payments.states import PaymentStatus
from shop.support import emails
from shop.support.models import ReturnRequest, StoreCredit, Ticket, TicketEvent
from shop.support.warranty import ticket_lines

OUTCOME_LABELS = {"refund": "Refund", "store_credit": "Store credit", "exchange": "Exchange"}
STATUS_LABELS = {
    "requested": "Requested",
    "approved": "Approved",
    "declined": "Declined",
    "received": "Received",
    "closed": "Settled",
}


# --- helpers ----------------------------------------------------------------------------------


def _require_staff(actor) -> None:
    if not can(getattr(actor, "role", None), Permission.HANDLE_RETURNS):
        raise DomainError("Only staff can decide returns.")


def _label(actor) -> str:
    if actor is None:
        return "system"
    return f"{actor.name} <{actor.email}> ({actor.role})"[:200]


def _event(ticket: Ticket, kind: str, note: str, actor, internal: bool) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        note=note,
        actor_id=getattr(actor, "id", None),
        actor_label=_label(actor),
        internal=internal,
        created_at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def _ticket_link(ticket: Ticket) -> str:
    """A link back to the thread for the buyer's email (the order page while the support pages
    are not there)."""
    try:
        return emails.buyer_url(ticket)
    except BuildError:
        order = db.session.get(Order, ticket.order_id) if ticket.order_id else None
        if order is None:
            return ""
        return absolute_url("orders.guest_view", token=access_token(order))


def _email(ticket: Ticket, ret: ReturnRequest, step: str, subject: str, **context) -> None:
    queue_email(
        f"return-{step}:{ret.id}",
        ticket.email,
        f"{ticket.number}: {subject}",
        f"return_{step}",
        ticket=ticket,
        ret=ret,
        link=_ticket_link(ticket),
        **context,
    )


def _ticket_or_404(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def _locked_return(ticket_id: int) -> tuple[Ticket, ReturnRequest, Order]:
    ret = ensure_return(ticket_id)
    if ret is None:
        raise DomainError("This ticket is not a return request about an order.")
    ret = lock_row(ReturnRequest, ret.id)
    ticket = db.session.get(Ticket, ticket_id)
    order = db.session.get(Order, ret.order_id)
    return ticket, ret, order


def window_days() -> int:
    return int(current_app.config["RETURN_WINDOW_DAYS"])


def window_ends(order: Order):
    """When the return window closes (None while the order is not delivered)."""
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=window_days())


def within_window(order: Order, now=None) -> bool:
    ends = window_ends(order)
    return ends is not None and (now or utcnow()) <= ends


def default_instructions(ticket: Ticket) -> str:
    conditions = current_app.config.get("RETURN_CONDITIONS", "")
    return (
        f"Your return for {ticket.number} is approved.\n\n"
        f"Condition: {conditions}\n\n"
        "We will contact you to agree a collection date. Please keep the item packed and "
        "quote your ticket number on the package."
    )


def returned_lines(ticket: Ticket) -> list[OrderLine]:
    return ticket_lines(ticket)


def suggested_amount(lines: list[OrderLine]) -> int:
    """What the returned lines cost (goods and their delivery)."""
    return sum(line.line_total_cents + line.delivery_cents for line in lines)


# --- creating ---------------------------------------------------------------------------------


def ensure_return(ticket_id: int) -> ReturnRequest | None:
    """The ticket's ReturnRequest, created on first use (None unless the ticket is a return
    request about an order). Safe to call twice at once: the ticket row is locked."""
    ret = db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket_id))
    if ret is not None:
        return ret
    ticket = lock_row(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("No such ticket.")
    if ticket.kind != "return_request" or ticket.order_id is None:
        return None
    ret = db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket_id))
    if ret is None:
        ret = ReturnRequest(
            ticket_id=ticket.id, order_id=ticket.order_id, status="requested", reason=ticket.subject
        )
        db.session.add(ret)
        db.session.flush()
    return ret


def return_for_ticket(ticket_id: int) -> ReturnRequest | None:
    """The return of a ticket if it exists (reading only: one query)."""
    return db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket_id))


# --- deciding ---------------------------------------------------------------------------------


def approve(
    ticket_id: int, actor, instructions: str = "", override_reason: str = ""
) -> ReturnRequest:
    """Approve with instructions (the default ones when empty); the buyer is emailed them."""
    _require_staff(actor)
    ticket, ret, order = _locked_return(ticket_id)
    if ret.status != "requested":
        raise DomainError(f"This return is already {STATUS_LABELS[ret.status].lower()}.")
    if order.delivered_at is None:
        raise DomainError("The order is not delivered yet: a return is approved once it is.")
    override_reason = (override_reason or "").strip()
    late = not within_window(order)
    if late:
        if actor.role != Role.MANAGER.value:
            raise DomainError(
                f"The return window of {window_days()} days after delivery closed on "
                f"{window_ends(order):%B %-d, %Y}. Only a manager can approve it now, with a "
                "reason.",
                field="override_reason",
            )
        if not override_reason:
            raise DomainError(
                f"The return window of {window_days()} days closed on "
                f"{window_ends(order):%B %-d, %Y}: say why you approve it anyway.",
                field="override_reason",
            )
    instructions = (instructions or "").strip() or default_instructions(ticket)
    ret.status = "approved"
    ret.instructions = instructions
    ret.decision_note = override_reason if late else ""
    ret.decided_by_id = actor.id
    ret.decided_at = utcnow()
    _event(ticket, "return_approved", "Return approved; instructions sent.", actor, False)
    if late:
        _event(
            ticket, "return_window_override", f"Outside the window: {override_reason}", actor, True
        )
    audit.record(
        actor,
        "return.approve",
        "ticket",
        ticket.number,
        before={"status": "requested"},
        after={"status": "approved", "order": order.number, "late": late},
        reason=override_reason if late else "",
    )
    _email(ticket, ret, "approved", "your return is approved", order=order)
    return ret


def decline(ticket_id: int, actor, reason: str) -> ReturnRequest:
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the return is declined: the buyer is told.", field="reason")
    ticket, ret, order = _locked_return(ticket_id)
    if ret.status != "requested":
        raise DomainError(f"This return is already {STATUS_LABELS[ret.status].lower()}.")
    ret.status = "declined"
    ret.decision_note = reason
    ret.decided_by_id = actor.id
    ret.decided_at = utcnow()
    _event(ticket, "return_declined", f"Return declined: {reason}", actor, False)
    audit.record(
        actor,
        "return.decline",
        "ticket",
        ticket.number,
        before={"status": "requested"},
        after={"status": "declined", "order": order.number},
        reason=reason,
    )
    _email(ticket, ret, "declined", "about your return", order=order)
    return ret


def mark_received(ticket_id: int, actor) -> ReturnRequest:
    _require_staff(actor)
    ticket, ret, order = _locked_return(ticket_id)
    if ret.status == "received":
        raise DomainError("This return is already marked received.")
    if ret.status != "approved":
        raise DomainError("Only an approved return can be marked received.")
    ret.status = "received"
    ret.received_at = utcnow()
    _event(ticket, "return_received", "Returned goods received.", actor, False)
    audit.record(
        actor,
        "return.received",
        "ticket",
        ticket.number,
        before={"status": "approved"},
        after={"status": "received", "order": order.number},
    )
    _email(ticket, ret, "received", "we received your return", order=order)
    return ret


# --- settling ---------------------------------------------------------------------------------


@dataclass
class Settled:
    ret: ReturnRequest
    message: str
    refund: Refund | None = None
    exchange_order: Order | None = None


def refundable_payment(order: Order, amount_cents: int) -> Payment | None:
    """The order's captured card payment that can give back `amount_cents` (newest first)."""
    payments = db.session.scalars(
        sa.select(Payment)
        .where(
            Payment.reference == f"order:{order.id}",
            Payment.method == "card",
            Payment.status == PaymentStatus.SUCCEEDED,
        )
        .order_by(Payment.id.desc())
    )
    for payment in payments:
        if refunds.refundable_cents(payment) >= amount_cents:
            return payment
    return None


def _positive(amount_cents: int | None, default: int, what: str) -> int:
    amount = default if amount_cents is None else int(amount_cents)
    if amount <= 0:
        raise DomainError(f"Enter the amount of the {what}.", field="amount")
    return amount


def settle(
    ticket_id: int,
    outcome: str,
    actor,
    *,
    amount_cents: int | None = None,
    request_key: str | None = None,
    note: str = "",
) -> Settled:
    """End a received return one way. A refund may raise operations.StripeFailure: the caller
    rolls back, then records it with operations.record_failure."""
    _require_staff(actor)
    if outcome not in OUTCOME_LABELS:
        raise DomainError("Choose refund, store credit or exchange.", field="outcome")
    ticket, ret, order = _locked_return(ticket_id)
    if ret.outcome is not None:
        raise DomainError(
            f"This return is already settled ({OUTCOME_LABELS[ret.outcome].lower()})."
        )
    if ret.status != "received":
        raise DomainError("A return is settled once the goods are received.")
    lines = returned_lines(ticket)
    note = (note or "").strip()
    if outcome == "refund":
        done = _refund(ticket, ret, order, lines, actor, amount_cents, request_key, note)
    elif outcome == "store_credit":
        done = _credit(ticket, ret, order, lines, actor, amount_cents, note)
    else:
        done = _exchange(ticket, ret, order, lines, actor, note)
    ret.outcome = outcome
    ret.status = "closed"
    db.session.flush()
    return done


def _refund(ticket, ret, order, lines, actor, amount_cents, request_key, note) -> Settled:
    amount = _positive(amount_cents, suggested_amount(lines), "refund")
    payment = refundable_payment(order, amount)
    if payment is None:
        raise DomainError(
            f"No captured card payment on order {order.number} can refund "
            f"{Money(amount, order.currency)}; give store credit instead.",
            field="amount",
        )
    reason = f"Return {ticket.number}" + (f": {note}" if note else "")
    result = operations.request_refund(
        order.id, payment.id, amount, reason, actor, request_key or f"return:{ret.id}"
    )
    refund = result.refund
    ret.refund_id = refund.id
    waiting = refund.status == refunds.PENDING_APPROVAL
    text = f"Refund of {Money(amount, order.currency)} asked for" + (
        "; it waits for a second staff member's approval." if waiting else "."
    )
    _event(ticket, "return_refund", text, actor, True)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": "received"},
        after={"outcome": "refund", "refund_id": refund.id, "amount_cents": amount},
        reason=note,
    )
    _email(
        ticket,
        ret,
        "settled",
        "your return is settled",
        order=order,
        outcome="refund",
        amount=amount,
        waiting=waiting,
    )
    return Settled(ret, result.message, refund=refund)


def _credit(ticket, ret, order, lines, actor, amount_cents, note) -> Settled:
    amount = _positive(amount_cents, suggested_amount(lines), "store credit")
    reason = f"Return {ticket.number} (order {order.number})" + (f": {note}" if note else "")
    db.session.add(
        StoreCredit(
            buyer_id=order.user_id or ticket.buyer_id,
            email=ticket.email,
            amount_cents=amount,
            currency=order.currency,
            reason=reason[:300],
            return_id=ret.id,
            created_by_id=actor.id,
        )
    )
    ret.credit_cents = amount
    db.session.flush()
    text = f"Store credit of {Money(amount, order.currency)} given."
    _event(ticket, "return_store_credit", text, actor, False)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": "received"},
        after={"outcome": "store_credit", "amount_cents": amount},
        reason=note,
    )
    _email(
        ticket,
        ret,
        "settled",
        "your return is settled",
        order=order,
        outcome="store_credit",
        amount=amount,
        waiting=False,
    )
    return Settled(ret, text)


def _exchange(ticket, ret, order, lines, actor, note) -> Settled:
    """A replacement order for the same lines, at no charge: each line keeps its price, a
    discount equal to the subtotal brings the total to zero (no delivery, no tax), and the
    order is paid at once. Its units come out of stock like any sale."""
    if not lines:
        raise DomainError("This return names no order lines to exchange.")
    if any(line.variant_id is None for line in lines):
        raise DomainError("An item of this order is no longer sold: refund or give credit.")
    new_lines = [
        NewLine(
            variant_id=line.variant_id,
            product_id=line.product_id,
            product_name=line.product_name,
            variant_name=line.variant_name,
            sku=line.sku,
            unit_price_cents=line.unit_price_cents,
            quantity=line.quantity,
            delivery_method=line.delivery_method,
            delivery_cents=0,
            delivery_promise=f"Exchange for order {order.number}",
        )
        for line in lines
    ]
    subtotal = sum(line.unit_price_cents * line.quantity for line in new_lines)
    new = create_order(
        checkout_id=None,
        user_id=order.user_id,
        contact=Contact(
            email=order.email,
            name=order.name,
            phone=order.phone,
            address_line1=order.address_line1,
            address_line2=order.address_line2,
            city=order.city,
            region=order.region,
            postal_code=order.postal_code,
            country=order.country,
        ),
        lines=new_lines,
        payment_method=order.payment_method,
        tax_rate=0,
        tax_cents=0,
        acceptance=Acceptance(
            terms_version=order.terms_version,
            accepted_at=order.terms_accepted_at,
            ip_address=order.terms_accepted_ip,
            user_agent=order.terms_user_agent,
        ),
        currency=order.currency,
        discount_cents=subtotal,
    )
    new.rep_id = order.rep_id
    stock.reserve(holder(new), items(new), utcnow() + timedelta(minutes=5))
    stock.convert(holder(new), items(new))
    transition(new, OrderStatus.PAID, note=f"Exchange for order {order.number}: no charge.")
    refresh_amounts(new)
    record(
        new,
        "exchange",
        f"Replacement for order {order.number} (return {ticket.number}), at no charge."
        + (f" {note}" if note else ""),
        actor=actor,
        actor_kind=actor.role,
        audit_after={"return_ticket": ticket.number, "original_order": order.number},
    )
    ret.exchange_order_id = new.id
    text = f"Exchange order {new.number} made at no charge."
    _event(ticket, "return_exchange", text, actor, False)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": "received"},
        after={"outcome": "exchange", "exchange_order": new.number},
        reason=note,
    )
    _email(
        ticket,
        ret,
        "settled",
        "your return is settled",
        order=order,
        outcome="exchange",
        exchange_order=new,
        amount=0,
        waiting=False,
    )
    return Settled(ret, text, exchange_order=new)


# --- the staff panel --------------------------------------------------------------------------


@dataclass
class Panel:
    ticket: Ticket
    ret: ReturnRequest | None
    order: Order | None
    lines: list[OrderLine]
    refund: Refund | None
    exchange_order: Order | None
    window_ends: object
    within_window: bool
    suggested_cents: int
    default_instructions: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.ret.status, self.ret.status) if self.ret else ""


def panel(ticket: Ticket) -> Panel:
    """What the staff thread's return panel shows (the return is created if missing)."""
    ret = ensure_return(ticket.id) if ticket.kind == "return_request" else None
    order = db.session.get(Order, ticket.order_id) if ticket.order_id else None
    lines = returned_lines(ticket) if order else []
    refund = db.session.get(Refund, ret.refund_id) if ret and ret.refund_id else None
    exchange = (
        db.session.get(Order, ret.exchange_order_id) if ret and ret.exchange_order_id else None
    )
    return Panel(
        ticket=ticket,
        ret=ret,
        order=order,
        lines=lines,
        refund=refund,
        exchange_order=exchange,
        window_ends=window_ends(order) if order else None,
        within_window=within_window(order) if order else False,
        suggested_cents=suggested_amount(lines),
        default_instructions=default_instructions(ticket),
    )


def ticket_by_number(number: str) -> Ticket:
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == (number or "")[:16]))
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket
