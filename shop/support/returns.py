"""Returns: a return request ticket gets a ReturnRequest that staff approve (with instructions)
or decline (with a reason), mark received, and settle one way: a refund through the payments
code (four-eyes above the limit), store credit, or an exchange order: the same items at no
charge, or another variant with the price difference charged (a pay link) or credited.

Rules:
- Any staff member (rep, support, manager) may decide, mark received and settle; a refund is
  asked for through `shop.orders.operations.request_refund`, which needs the REQUEST_REFUND
  permission and, above REFUND_APPROVAL_ABOVE_CENTS, a second staff member's approval.
- Store credit is money too: given only by the ticket's assignee or someone with
  GIVE_STORE_CREDIT (support, managers), never more than the returned goods were paid for
  less what the order already gave back (refunds, credit), and above the same limit as a
  refund only once a second person with APPROVE_STORE_CREDIT says yes. Granted credit is a
  row in the buyer's ledger (shop/credit), spendable at checkout.
- Returned units go back on the shelf when the goods are received, each unit sold once at
  most, however many return tickets name its line (OrderLine.restocked_quantity).
- An exchange puts the returned goods' paid value (without delivery and tax) towards the
  replacement. A dearer variant: the replacement order waits for the difference plus the tax
  on it at the order region's rate, by card; its units are held meanwhile. A cheaper one: the
  difference is store credit under the rules above. Prices are the catalog's, never a form's.
- A return is approved only within RETURN_WINDOW_DAYS of the order's delivery; a manager may
  approve later with a reason (written to the audit trail).
- Each step writes a TicketEvent and an audit entry; the buyer is emailed when they should act
  or know (approved with instructions, declined with the reason, received, settled).

Services take plain values and the acting person, lock rows, flush, never commit.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import BuildError

from shop.audit import services as audit
from shop.auth.roles import Permission, can
from shop.catalog import stock
from shop.catalog.models import Product, Variant
from shop.catalog.services import lead_weeks
from shop.checkout.services import tax_rate
from shop.credit import services as credit
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
    reference,
    refresh_amounts,
)
from shop.orders.states import OrderStatus, record, transition
from shop.payments import refunds
from shop.payments import services as payments
from shop.payments.models import Payment, Refund
from shop.payments.states import PaymentStatus
from shop.support import emails, states
from shop.support import services as tickets
from shop.support.models import CreditGrant, ReturnRequest, Ticket, TicketEvent
from shop.support.states import (
    RETURN_LABELS,
    ReturnStatus,
    TicketStatus,
    allowed_moves,
    allowed_return_move,
)
from shop.support.warranty import ticket_lines
from shop.timefmt import fmt

OUTCOME_LABELS = {"refund": "Refund", "store_credit": "Store credit", "exchange": "Exchange"}
STATUS_LABELS = RETURN_LABELS  # the lifecycle's words (support/states.py)


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


def returned_items(lines: list[OrderLine]) -> dict[int, int]:
    """Variant id -> units of the returned lines still sold in the catalog."""
    out: dict[int, int] = {}
    for line in lines:
        if line.variant_id is not None:
            out[line.variant_id] = out.get(line.variant_id, 0) + line.quantity
    return out


def paid_for(order: Order, lines: list[OrderLine]) -> int:
    """What the returned lines were paid for: their price and delivery, less their share of
    the order's discount (rounded in the store's favour)."""
    value = suggested_amount(lines)
    if order.discount_cents and order.subtotal_cents:
        goods = sum(line.line_total_cents for line in lines)
        share = -(-order.discount_cents * goods // order.subtotal_cents)  # ceiling, exact
        value -= share
    return max(value, 0)


def _credit_asked(order: Order, exclude_grant_id: int | None = None) -> int:
    """Store credit granted or waiting for approval on this order's returns."""
    stmt = (
        sa.select(sa.func.coalesce(sa.func.sum(CreditGrant.amount_cents), 0))
        .join(ReturnRequest, ReturnRequest.id == CreditGrant.return_id)
        .where(
            ReturnRequest.order_id == order.id,
            CreditGrant.status.in_(("pending_approval", "granted")),
        )
    )
    if exclude_grant_id is not None:
        stmt = stmt.where(CreditGrant.id != exclude_grant_id)
    return int(db.session.scalar(stmt) or 0)


def _refunds_waiting(order: Order) -> int:
    """Refunds of this order's payments asked for and not yet sent (they will be)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_cents), 0))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.reference == f"order:{order.id}", Refund.status.in_(refunds.RESERVED))
        )
        or 0
    )


def _exchanged(order: Order) -> int:
    """The returned goods' value that exchanges of this order put towards replacements."""
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(ReturnRequest.exchange_value_cents), 0)).where(
                ReturnRequest.order_id == order.id
            )
        )
        or 0
    )


def money_left(order: Order, exclude_grant_id: int | None = None) -> int:
    """What the order took in (payments and store credit) that nothing has given back yet:
    refunds made or on their way, store credit granted or waiting for approval, value put
    towards an exchange's replacement."""
    left = order.received_cents - order.refunded_cents
    left -= _refunds_waiting(order) + _credit_asked(order, exclude_grant_id) + _exchanged(order)
    return max(left, 0)


def credit_cap(order: Order, lines: list[OrderLine], exclude_grant_id: int | None = None) -> int:
    """The most store credit a return can give: what its goods were paid for, and never more
    than the order still holds after refunds and earlier credit."""
    return min(paid_for(order, lines), money_left(order, exclude_grant_id))


def may_give_credit(ticket: Ticket, actor) -> bool:
    """Support and managers (GIVE_STORE_CREDIT), or the staff member the ticket is assigned to."""
    role = getattr(actor, "role", None)
    if can(role, Permission.GIVE_STORE_CREDIT):
        return True
    return (
        can(role, Permission.HANDLE_RETURNS)
        and ticket.assignee_id is not None
        and (ticket.assignee_id == getattr(actor, "id", None))
    )


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
            ticket_id=ticket.id,
            order_id=ticket.order_id,
            status=ReturnStatus.REQUESTED.value,
            reason=ticket.subject,
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
    if ReturnStatus.APPROVED not in allowed_moves(ret):
        raise DomainError(f"This return is already {STATUS_LABELS[ret.status].lower()}.")
    if order.delivered_at is None:
        raise DomainError("The order is not delivered yet: a return is approved once it is.")
    override_reason = (override_reason or "").strip()
    late = not within_window(order)
    if late:
        if not can(actor.role, Permission.APPROVE_LATE_RETURN):
            raise DomainError(
                f"The return window of {window_days()} days after delivery closed on "
                f"{fmt(window_ends(order), 'MMMM d, y')}. Only a manager can approve it now, "
                "with a reason.",
                field="override_reason",
            )
        if not override_reason:
            raise DomainError(
                f"The return window of {window_days()} days closed on "
                f"{fmt(window_ends(order), 'MMMM d, y')}: say why you approve it anyway.",
                field="override_reason",
            )
    instructions = (instructions or "").strip() or default_instructions(ticket)
    ret.instructions = instructions
    ret.decision_note = override_reason if late else ""
    ret.decided_by_id = actor.id
    ret.decided_at = utcnow()
    states.transition(
        ret,
        ReturnStatus.APPROVED,
        actor=actor,
        note="Return approved; instructions sent.",
        internal=False,
    )
    if late:
        _event(
            ticket, "return_window_override", f"Outside the window: {override_reason}", actor, True
        )
    audit.record(
        actor,
        "return.approve",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.REQUESTED.value},
        after={"status": ret.status, "order": order.number, "late": late},
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
    if ReturnStatus.DECLINED not in allowed_moves(ret):
        raise DomainError(f"This return is already {STATUS_LABELS[ret.status].lower()}.")
    ret.decision_note = reason
    ret.decided_by_id = actor.id
    ret.decided_at = utcnow()
    states.transition(
        ret, ReturnStatus.DECLINED, actor=actor, note=f"Return declined: {reason}", internal=False
    )
    audit.record(
        actor,
        "return.decline",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.REQUESTED.value},
        after={"status": ret.status, "order": order.number},
        reason=reason,
    )
    _email(ticket, ret, "declined", "about your return", order=order)
    return ret


def _restock(ticket: Ticket, order: Order) -> int:
    """Put the returned lines' units back in stock; how many went back.

    Each line restocks at most what it sold less what earlier returns already put back: two
    return tickets naming the same line (each marked received) must not restock it twice. The
    return row alone is not enough, since two tickets are two rows, so the order row and then
    its returned lines are locked (in id order), read fresh, and their count moves with the
    stock, in one transaction.
    """
    lock_row(Order, order.id)
    chosen = [line.id for line in returned_lines(ticket)]
    if not chosen:
        return 0
    lines = list(
        db.session.scalars(
            sa.select(OrderLine)
            .where(OrderLine.id.in_(chosen))
            .order_by(OrderLine.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    )
    back: dict[int, int] = {}
    for line in lines:
        left = max(line.quantity - line.restocked_quantity, 0)
        if line.variant_id is None or left == 0:
            continue  # no longer in the catalog, or every unit sold on it is back already
        back[line.variant_id] = back.get(line.variant_id, 0) + left
        line.restocked_quantity += left
    if not back:
        return 0
    return stock.put_back(back)


def mark_received(ticket_id: int, actor) -> ReturnRequest:
    _require_staff(actor)
    ticket, ret, order = _locked_return(ticket_id)
    if ret.status == ReturnStatus.RECEIVED:
        raise DomainError("This return is already marked received.")
    # From approved only: a settled return goes back to received when its store credit is
    # rejected (`reject_credit`), never by receiving the goods twice.
    if ret.status != ReturnStatus.APPROVED:
        raise DomainError("Only an approved return can be marked received.")
    ret.received_at = utcnow()
    # The goods are back on the shelf: another buyer (or this one, exchanging) can have them.
    # Once per unit sold: see `_restock`.
    units = _restock(ticket, order)
    ret.restocked_units = units
    back = f" {units} unit{'s' if units != 1 else ''} back in stock." if units else ""
    states.transition(
        ret, ReturnStatus.RECEIVED, actor=actor, note="Returned goods received.", internal=False
    )
    if units:
        _event(ticket, "return_restocked", back.strip(), actor, True)
        record(
            order,
            "return_restocked",
            f"Return {ticket.number} received.{back}",
            visible_to_buyer=False,
        )
    audit.record(
        actor,
        "return.received",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.APPROVED.value},
        after={"status": ret.status, "order": order.number, "restocked_units": units},
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
    exchange_variant_id: int | None = None,
    exchange_sku: str = "",
) -> Settled:
    """End a received return one way. A refund may raise operations.StripeFailure: the caller
    rolls back, then records it with operations.record_failure. An exchange may name another
    variant (`exchange_variant_id`, or `exchange_sku`): see `_exchange` for the difference."""
    _require_staff(actor)
    if outcome not in OUTCOME_LABELS:
        raise DomainError("Choose refund, store credit or exchange.", field="outcome")
    ticket, ret, order = _locked_return(ticket_id)
    if ret.outcome is not None:
        raise DomainError(
            f"This return is already settled ({OUTCOME_LABELS[ret.outcome].lower()})."
        )
    if not allowed_return_move(ret.status, ReturnStatus.CLOSED):
        raise DomainError("A return is settled once the goods are received.")
    lines = returned_lines(ticket)
    note = (note or "").strip()
    if outcome == "refund":
        done = _refund(ticket, ret, order, lines, actor, amount_cents, request_key, note)
    elif outcome == "store_credit":
        done = _credit(ticket, ret, order, lines, actor, amount_cents, note)
    else:
        target = exchange_target(lines, exchange_variant_id, exchange_sku)
        done = _exchange(ticket, ret, order, lines, actor, note, target)
    # Each way of settling closed the return, with its own event (`_settled`).
    ret.outcome = outcome
    db.session.flush()
    # The return is over for the buyer: its ticket is solved through the ticket's own status
    # move (event row, audit), quietly, since the settled email above already says the outcome.
    if ticket.merged_into_id is None and TicketStatus.SOLVED in allowed_moves(ticket):
        tickets.set_status(
            ticket.id,
            TicketStatus.SOLVED,
            actor,
            note=f"Return settled: {OUTCOME_LABELS[outcome].lower()}.",
            notify=False,
        )
    return done


def _settled(ret: ReturnRequest, kind: str, note: str, actor, internal: bool) -> None:
    """The return is settled one way: closed, the way it went on the ticket's history."""
    states.transition(
        ret, ReturnStatus.CLOSED, actor=actor, kind=kind, note=note, internal=internal
    )


def _refund(ticket, ret, order, lines, actor, amount_cents, request_key, note) -> Settled:
    amount = _positive(amount_cents, suggested_amount(lines), "refund")
    left = money_left(order)
    if amount > left:
        raise DomainError(
            f"At most {Money(left, order.currency)} of order {order.number} can still be given "
            "back (refunds and store credit already count).",
            field="amount",
        )
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
    _settled(ret, "return_refund", text, actor, internal=True)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.RECEIVED.value},
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
    if not may_give_credit(ticket, actor):
        raise DomainError(
            "Store credit is given by the ticket's assignee, support or a manager.",
            field="outcome",
        )
    buyer_id = order.user_id or ticket.buyer_id
    if buyer_id is None:
        raise DomainError(
            "This buyer has no account to keep store credit in: refund instead, or ask them "
            "to register with the order's email first.",
            field="outcome",
        )
    cap = credit_cap(order, lines)
    if cap <= 0:
        raise DomainError(
            f"Nothing of order {order.number} is left to give as store credit: it was refunded "
            "or credited already.",
            field="amount",
        )
    amount = _positive(amount_cents, cap, "store credit")
    if amount > cap:
        raise DomainError(
            f"At most {Money(cap, order.currency)} of store credit can be given for this "
            "return: what its goods were paid for, less what was already refunded or credited.",
            field="amount",
        )
    grant = _new_grant(ticket, ret, order, buyer_id, amount, actor, note)
    waiting = grant.status == "pending_approval"
    if waiting:
        text = (
            f"Store credit of {Money(amount, order.currency)} asked for; above "
            f"{Money(refunds.approval_limit_cents(), order.currency)} it waits for a second "
            "staff member's approval."
        )
    else:
        text = f"Store credit of {Money(amount, order.currency)} given."
    _settled(ret, "return_store_credit", text, actor, internal=False)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.RECEIVED.value},
        after={
            "outcome": "store_credit",
            "amount_cents": amount,
            "credit_grant_id": grant.id,
            "credit_status": grant.status,
        },
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
        waiting=waiting,
    )
    return Settled(ret, text)


def _new_grant(ticket, ret, order, buyer_id: int, amount: int, actor, note: str) -> CreditGrant:
    """Store credit asked for on a return (its checks done by the caller): given at once up to
    the refund limit, above it waiting for a second person."""
    waiting = refunds.needs_approval(amount)
    grant = CreditGrant(
        return_id=ret.id,
        buyer_id=buyer_id,
        amount_cents=amount,
        currency=order.currency,
        reason=(f"Return {ticket.number} (order {order.number})" + (f": {note}" if note else ""))[
            :300
        ],
        status="pending_approval" if waiting else "granted",
        requested_by_id=actor.id,
        requested_by_label=_label(actor),
    )
    db.session.add(grant)
    db.session.flush()
    ret.credit_cents = amount
    if not waiting:
        _write_grant(grant, ticket, order, actor)
    return grant


def _write_grant(grant: CreditGrant, ticket: Ticket, order: Order, actor) -> None:
    """The granted credit goes into the buyer's ledger (their balance row locked)."""
    credit.grant(
        grant.buyer_id,
        ticket.email,
        grant.amount_cents,
        grant.reason,
        currency=grant.currency,
        return_id=grant.return_id,
        actor_id=getattr(actor, "id", None),
    )


def _locked_grant(grant_id: int) -> tuple[CreditGrant, ReturnRequest, Ticket, Order]:
    """The grant's return, then the grant itself, both locked (the order `settle` locks in)."""
    found = db.session.get(CreditGrant, grant_id)
    if found is None:
        raise NotFound("No such store credit.")
    ret = lock_row(ReturnRequest, found.return_id)
    grant = lock_row(CreditGrant, grant_id)
    return grant, ret, db.session.get(Ticket, ret.ticket_id), db.session.get(Order, ret.order_id)


def _decidable(grant: CreditGrant, approver, verb: str) -> None:
    if not can(getattr(approver, "role", None), Permission.APPROVE_STORE_CREDIT):
        raise DomainError(f"Only a manager can {verb} store credit.")
    if grant.status != "pending_approval":
        raise DomainError("This store credit is already decided.")
    if grant.requested_by_id is not None and grant.requested_by_id == approver.id:
        raise DomainError(f"You asked for this store credit: another manager must {verb} it.")


def approve_credit(grant_id: int, approver) -> CreditGrant:
    """The second pair of eyes says yes: the credit goes into the buyer's ledger now."""
    grant, ret, ticket, order = _locked_grant(grant_id)
    _decidable(grant, approver, "approve")
    cap = credit_cap(order, returned_lines(ticket), exclude_grant_id=grant.id)
    if grant.amount_cents > cap:
        raise DomainError(
            f"Since it was asked for, the order gave money back: at most "
            f"{Money(cap, order.currency)} can be credited now. Reject it and settle again."
        )
    grant.status = "granted"
    grant.approved_by_id = approver.id
    grant.approved_by_label = _label(approver)
    grant.decided_at = utcnow()
    db.session.flush()
    _write_grant(grant, ticket, order, approver)
    amount = Money(grant.amount_cents, grant.currency)
    _event(ticket, "return_credit_approved", f"Store credit of {amount} approved.", approver, True)
    audit.record(
        approver,
        "return.credit_approve",
        "ticket",
        ticket.number,
        before={"credit_status": "pending_approval"},
        after={"credit_status": "granted", "amount_cents": grant.amount_cents},
    )
    _email(
        ticket, ret, "credit", "your store credit is ready", order=order, amount=grant.amount_cents
    )
    return grant


def reject_credit(grant_id: int, approver, reason: str) -> CreditGrant:
    """The second pair of eyes says no: nothing is credited and the return can be settled
    again (another amount, a refund or an exchange)."""
    reason = (reason or "").strip()
    grant, ret, ticket, _order = _locked_grant(grant_id)
    _decidable(grant, approver, "reject")
    if not reason:
        raise DomainError("Say why the store credit is rejected.", field="reason")
    grant.status = "rejected"
    grant.approved_by_id = approver.id
    grant.approved_by_label = _label(approver)
    grant.decided_at = utcnow()
    grant.decision_note = reason[:300]
    ret.credit_cents = 0
    # An exchange's replacement order stands (it may be on its way): only its difference as
    # credit is refused, and the return stays settled. Anything else can be settled again.
    again = ret.outcome != "exchange"
    if again:
        ret.outcome = None
    db.session.flush()
    if again and ticket.status == TicketStatus.SOLVED and ticket.merged_into_id is None:
        # Nothing was given after all: the return waits to be settled again, so its ticket is
        # open again (settling solves it anew).
        tickets.set_status(
            ticket.id,
            TicketStatus.OPEN,
            approver,
            note="Store credit rejected; settle again.",
            notify=False,
        )
    amount = Money(grant.amount_cents, grant.currency)
    text = f"Store credit of {amount} rejected: {reason}. " + (
        "Settle the return again."
        if again
        else "The exchange stands; give the difference another way if it is owed."
    )
    if again:
        # Back to received: the return waits to be settled again.
        states.transition(
            ret, ReturnStatus.RECEIVED, actor=approver, kind="return_credit_rejected", note=text
        )
    else:
        _event(ticket, "return_credit_rejected", text, approver, True)
    audit.record(
        approver,
        "return.credit_reject",
        "ticket",
        ticket.number,
        before={"credit_status": "pending_approval"},
        after={"credit_status": "rejected", "amount_cents": grant.amount_cents},
        reason=reason,
    )
    return grant


def pending_credit(limit: int = 50) -> list[CreditGrant]:
    """Store credit waiting for a second person, oldest first (the managers' queue)."""
    return list(
        db.session.scalars(
            sa.select(CreditGrant)
            .where(CreditGrant.status == "pending_approval")
            .order_by(CreditGrant.created_at, CreditGrant.id)
            .limit(limit)
        )
    )


def goods_paid_for(order: Order, lines: list[OrderLine]) -> int:
    """What the returned goods themselves were paid for: their price less their share of the
    order's discount (rounded in the store's favour), without delivery (the replacement is
    delivered at no charge) and without tax (a dearer replacement pays tax on the difference)."""
    goods = sum(line.line_total_cents for line in lines)
    if order.discount_cents and order.subtotal_cents:
        goods -= -(-order.discount_cents * goods // order.subtotal_cents)  # ceiling, exact
    return max(goods, 0)


def exchange_value(order: Order, lines: list[OrderLine]) -> int:
    """What a replacement may take from the returned goods: what they were paid for, never
    more than the order still holds after refunds, credit and earlier exchanges."""
    return min(goods_paid_for(order, lines), money_left(order))


def exchange_target(
    lines: list[OrderLine], variant_id: int | None, sku: str = ""
) -> Variant | None:
    """The catalog variant chosen to exchange for (by id from the panel's list, or by SKU), or
    None to replace the same items. Another variant replaces a return of one order line."""
    sku = (sku or "").strip()
    if variant_id is None and not sku:
        return None
    if variant_id is not None and sku:
        raise DomainError("Choose a variant or type a SKU, not both.", field="exchange_variant")
    if len(lines) != 1 or lines[0].variant_id is None:
        raise DomainError(
            "An exchange for another item is made for a return of one catalog item: settle "
            "this one with the same items, a refund or store credit.",
            field="exchange_variant",
        )
    if sku:
        variant = db.session.scalar(sa.select(Variant).where(Variant.sku == sku[:40]))
    else:
        variant = db.session.get(Variant, variant_id)
    product = db.session.get(Product, variant.product_id) if variant is not None else None
    if variant is None or not variant.is_active or product is None or not product.is_active:
        what = f"SKU {sku}" if sku else "the chosen variant"
        raise DomainError(f"No item for sale matches {what}.", field="exchange_variant")
    return variant


def exchange_choices(lines: list[OrderLine], order: Order) -> list[tuple[Variant, str, int]]:
    """The panel's "Exchange for" list: the other variants of the returned line's product, each
    with its catalog price and the difference for the buyer (positive: they pay it, before
    tax; negative: it comes back as store credit). Empty unless the return names one line."""
    if len(lines) != 1 or lines[0].product_id is None or lines[0].variant_id is None:
        return []
    line = lines[0]
    variants = db.session.scalars(
        sa.select(Variant)
        .where(
            Variant.product_id == line.product_id,
            Variant.is_active.is_(True),
            Variant.id != line.variant_id,
        )
        .order_by(Variant.position, Variant.id)
    )
    value = exchange_value(order, lines)
    return [(v, v.name, v.price_cents * line.quantity - value) for v in variants]


def _replacement_lines(order, lines, target: Variant | None) -> list[NewLine]:
    """The replacement's lines: the same items at the price paid, or the chosen variant at the
    catalog's price now, in the returned quantity. Each keeps its variant (create_order copies
    product, names and warranty from the catalog) and the catalog's lead time at this sale."""
    if target is not None:
        wanted = [(target.id, target.price_cents, lines[0])]
    else:
        wanted = [(line.variant_id, line.unit_price_cents, line) for line in lines]
    quantities: dict[int, int] = {}
    for variant_id, _price, line in wanted:
        quantities[variant_id] = quantities.get(variant_id, 0) + line.quantity
    leads = lead_weeks(quantities)
    return [
        NewLine(
            variant_id=variant_id,
            product_id=None,  # create_order takes it from the variant
            product_name="",
            variant_name="",  # the catalog's names
            sku="",
            unit_price_cents=price,
            quantity=line.quantity,
            delivery_method=line.delivery_method,
            delivery_cents=0,
            delivery_promise=f"Exchange for order {order.number}",
            lead_weeks=leads.get(variant_id, 0),
        )
        for variant_id, price, line in wanted
    ]


def _stock_refused(exc: stock.OutOfStock, lines: list[NewLine]):
    wanted = ", ".join(str(line.quantity) for line in lines)
    return DomainError(
        f"Not in stock for the exchange: {', '.join(exc.names)} ({wanted} wanted). Choose "
        "another variant, or settle with a refund or store credit.",
        field="exchange_variant",
    )


def _exchange(ticket, ret, order, lines, actor, note, target: Variant | None = None) -> Settled:
    """A replacement order through `create_order`, its units out of stock like any sale.

    The returned goods' paid value (`exchange_value`) is put towards the replacement as a
    discount. The same items, or a variant of the same price: at no charge, paid at once. A
    dearer variant: the order waits for the difference and the tax on it at the region's rate
    (as checkout charges), by card, and the buyer is emailed the pay link; its units are held
    while the payment is open. A cheaper one: at no charge, and the difference is store credit
    under the credit rules (who may give it, the cap, a second person above the limit).
    """
    if not lines:
        raise DomainError("This return names no order lines to exchange.")
    if any(line.variant_id is None for line in lines):
        raise DomainError("An item of this order is no longer sold: refund or give credit.")
    if target is not None and target.id == lines[0].variant_id:
        target = None  # the same item: as before
    value = exchange_value(order, lines)
    new_lines = _replacement_lines(order, lines, target)
    subtotal = sum(line.unit_price_cents * line.quantity for line in new_lines)
    if target is None:
        # The same items at the price paid: no charge, whatever is left to give back.
        discount, charge, credit_back = subtotal, 0, 0
    else:
        discount = min(value, subtotal)
        charge = subtotal - discount
        credit_back = value - discount
    if credit_back and not may_give_credit(ticket, actor):
        raise DomainError(
            f"The replacement costs {Money(credit_back, order.currency)} less, which is given as "
            "store credit: only the ticket's assignee, support or a manager can settle it.",
            field="exchange_variant",
        )
    buyer_id = order.user_id or ticket.buyer_id
    if credit_back and buyer_id is None:
        raise DomainError(
            "The replacement costs less, and this buyer has no account to keep the difference "
            "as store credit: choose an item of the same price or dearer, or refund.",
            field="exchange_variant",
        )
    rate = tax_rate(order.region) if charge else Decimal(0)
    tax = int((Decimal(charge) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if charge:
        payments.check_amount(charge + tax)
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
        payment_method="card" if charge else order.payment_method,
        tax_rate=rate,
        tax_cents=tax,
        acceptance=Acceptance(
            terms_version=order.terms_version,
            accepted_at=order.terms_accepted_at,
            ip_address=order.terms_accepted_ip,
            user_agent=order.terms_user_agent,
        ),
        currency=order.currency,
        discount_cents=discount,
    )
    new.rep_id = order.rep_id
    pay_link = ""
    try:
        if charge:
            # Held while the buyer is asked to pay, like a balance request; the payment's
            # success sells them (payment_events), its lapse releases them.
            due = utcnow() + timedelta(days=int(current_app.config["BALANCE_DUE_DAYS"]))
            stock.reserve(holder(new), items(new), due)
        else:
            stock.reserve(holder(new), items(new), utcnow() + timedelta(minutes=5))
            stock.convert(holder(new), items(new))
    except stock.OutOfStock as exc:
        raise _stock_refused(exc, new_lines) from None
    ret.exchange_value_cents = discount if target is not None else min(value, subtotal)
    names = ", ".join(x.label for x in new.lines)
    if charge:
        payment = payments.create_payment(
            reference(new), "card", new.total_cents, new.currency, purpose="full", expires_at=due
        )
        pay_link = absolute_url("checkout.pay", token=access_token(new))
        summary = (
            f"Exchange order {new.number} for {names} made; the buyer pays the difference of "
            f"{Money(charge, order.currency)} plus {Money(tax, order.currency)} tax, "
            f"{Money(new.total_cents, order.currency)} in all, by the pay link emailed to them."
        )
        record(
            new,
            "exchange",
            f"Replacement for order {order.number} (return {ticket.number}): the returned goods' "
            f"{Money(discount, order.currency)} applied; {Money(new.total_cents, order.currency)} "
            "to pay." + (f" {note}" if note else ""),
            actor=actor,
            actor_kind=actor.role,
            audit_after={
                "return_ticket": ticket.number,
                "original_order": order.number,
                "applied_cents": discount,
                "charge_cents": new.total_cents,
                "payment_id": payment.id,
            },
        )
    else:
        transition(new, OrderStatus.PAID, note=f"Exchange for order {order.number}: no charge.")
        refresh_amounts(new)
        summary = f"Exchange order {new.number} for {names} made at no charge."
        record(
            new,
            "exchange",
            f"Replacement for order {order.number} (return {ticket.number}), at no charge."
            + (f" {note}" if note else ""),
            actor=actor,
            actor_kind=actor.role,
            audit_after={
                "return_ticket": ticket.number,
                "original_order": order.number,
                "applied_cents": ret.exchange_value_cents,
            },
        )
    ret.exchange_order_id = new.id
    grant = None
    if credit_back:
        grant = _new_grant(
            ticket, ret, order, buyer_id, credit_back, actor, f"exchange for {names}"
        )
        waiting = grant.status == "pending_approval"
        summary += f" The difference of {Money(credit_back, order.currency)} is " + (
            "store credit waiting for a second staff member's approval."
            if waiting
            else "given as store credit."
        )
    _settled(ret, "return_exchange", summary, actor, internal=False)
    audit.record(
        actor,
        "return.settle",
        "ticket",
        ticket.number,
        before={"status": ReturnStatus.RECEIVED.value},
        after={
            "outcome": "exchange",
            "exchange_order": new.number,
            "exchange_variant_id": target.id if target is not None else None,
            "applied_cents": ret.exchange_value_cents,
            "charge_cents": new.total_cents,
            "credit_cents": credit_back,
            "credit_grant_id": grant.id if grant else None,
        },
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
        changed=target is not None,
        charge=new.total_cents if charge else 0,
        tax=tax,
        pay_link=pay_link,
        amount=credit_back,
        waiting=bool(grant and grant.status == "pending_approval"),
    )
    return Settled(ret, summary, exchange_order=new)


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
    credit_cap_cents: int = 0
    credit_grant: CreditGrant | None = None
    # Before settling: the variants to exchange for, each with the buyer's difference (cents,
    # before tax; negative comes back as credit), and the returned goods' value applied.
    exchange_choices: list = None
    exchange_value_cents: int = 0
    # After an exchange: the replacement's lines (what the buyer gets instead).
    exchange_lines: list = None
    # The moves the return's table allows now: the panel offers these and no others.
    moves: frozenset = frozenset()

    @property
    def can_receive(self) -> bool:
        """The goods can be marked received: the move from approved (the one from settled is
        a rejected store credit's, not a button)."""
        return (
            self.ret is not None
            and self.ret.status == ReturnStatus.APPROVED
            and (ReturnStatus.RECEIVED in self.moves)
        )

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
    grant = (
        db.session.scalar(
            sa.select(CreditGrant)
            .where(CreditGrant.return_id == ret.id)
            .order_by(CreditGrant.id.desc())
            .limit(1)
        )
        if ret
        else None
    )
    moves = allowed_moves(ret) if ret is not None else frozenset()
    settling = ReturnStatus.CLOSED in moves and order is not None
    return Panel(
        ticket=ticket,
        ret=ret,
        moves=moves,
        order=order,
        lines=lines,
        refund=refund,
        exchange_order=exchange,
        window_ends=window_ends(order) if order else None,
        within_window=within_window(order) if order else False,
        suggested_cents=suggested_amount(lines),
        default_instructions=default_instructions(ticket),
        credit_cap_cents=credit_cap(order, lines) if settling else 0,
        credit_grant=grant,
        exchange_choices=exchange_choices(lines, order) if settling else [],
        exchange_value_cents=(
            exchange_value(order, lines) if settling else (ret.exchange_value_cents if ret else 0)
        ),
        exchange_lines=list(
            db.session.scalars(
                sa.select(OrderLine).where(OrderLine.order_id == exchange.id).order_by(OrderLine.id)
            )
        )
        if exchange
        else [],
    )


@dataclass
class BuyerExchange:
    """What the buyer's ticket page says of an exchange, in their words."""

    order: Order
    lines: list[OrderLine]
    due_cents: int  # what is still to pay for a dearer replacement (0 when nothing)
    tax_cents: int
    pay_url: str
    credit_cents: int  # the difference coming back as store credit
    credit_waiting: bool


def buyer_exchange(ticket: Ticket) -> BuyerExchange | None:
    """The exchange a return ticket was settled with, for the buyer's page (None otherwise)."""
    if ticket.kind != "return_request":
        return None
    ret = return_for_ticket(ticket.id)
    if ret is None or ret.outcome != "exchange" or ret.exchange_order_id is None:
        return None
    new = db.session.get(Order, ret.exchange_order_id)
    if new is None:
        return None
    due = new.total_cents if new.status == OrderStatus.PENDING_PAYMENT else 0
    grant = db.session.scalar(
        sa.select(CreditGrant)
        .where(CreditGrant.return_id == ret.id, CreditGrant.status != "rejected")
        .order_by(CreditGrant.id.desc())
        .limit(1)
    )
    return BuyerExchange(
        order=new,
        lines=list(
            db.session.scalars(
                sa.select(OrderLine).where(OrderLine.order_id == new.id).order_by(OrderLine.id)
            )
        ),
        due_cents=due,
        tax_cents=new.tax_cents,
        pay_url=absolute_url("checkout.pay", token=access_token(new)) if due else "",
        credit_cents=grant.amount_cents if grant else 0,
        credit_waiting=bool(grant and grant.status == "pending_approval"),
    )


@dataclass
class BuyerSettlement:
    """How a return ticket was settled by refund or store credit, for the buyer's page (an
    exchange has its own panel: `buyer_exchange`)."""

    outcome: str  # "refund" or "store_credit"
    amount_cents: int
    state: str  # "waiting" (four eyes), "on_its_way", "done" or "failed"


def buyer_settlement(ticket: Ticket) -> BuyerSettlement | None:
    """The refund or store credit a return ticket was settled with (None otherwise)."""
    if ticket.kind != "return_request":
        return None
    ret = return_for_ticket(ticket.id)
    if ret is None or ret.outcome not in ("refund", "store_credit"):
        return None
    if ret.outcome == "refund":
        refund = db.session.get(Refund, ret.refund_id) if ret.refund_id else None
        if refund is None:
            return None
        state = {
            refunds.PENDING_APPROVAL: "waiting",
            refunds.PROCESSING: "on_its_way",
            refunds.SUCCEEDED: "done",
        }.get(refund.status, "failed")
        return BuyerSettlement("refund", refund.amount_cents, state)
    grant = db.session.scalar(
        sa.select(CreditGrant)
        .where(CreditGrant.return_id == ret.id, CreditGrant.status != "rejected")
        .order_by(CreditGrant.id.desc())
        .limit(1)
    )
    if grant is None:
        return None
    state = "waiting" if grant.status == "pending_approval" else "done"
    return BuyerSettlement("store_credit", grant.amount_cents, state)


def ticket_by_number(number: str) -> Ticket:
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == (number or "")[:16]))
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket
