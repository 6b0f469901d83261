"""Closing a quote: acceptance with evidence, the order it becomes, and paying for it.

Paying goes through the same code as self-checkout: the same stock holds, the same Payment rows
and Stripe module, the same pay page. A quote is accepted and turned into an order at most once:
the quote row is locked, and a second click, tab or replayed request finds the work done.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop.catalog import stock
from shop.catalog.services import lead_weeks
from shop.checkout.services import tax_rate
from shop.db import lock_row, utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.orders import emails as order_emails
from shop.orders.models import Order
from shop.orders.services import (
    Acceptance,
    Contact,
    NewLine,
    create_order,
    holder,
    reference,
    reservation_expiry_for,
)
from shop.orders.signals import order_placed
from shop.payments import services as payments
from shop.quotes.models import Quote, QuoteEvent, QuoteVersion


def _version(quote: Quote, number: int | None = None) -> QuoteVersion:
    version = db.session.scalar(
        sa.select(QuoteVersion)
        .where(
            QuoteVersion.quote_id == quote.id,
            QuoteVersion.number == (number or quote.current_version),
        )
        .options(selectinload(QuoteVersion.lines))
    )
    if version is None:
        raise DomainError("That version of the quote does not exist.")
    return version


def current_version(quote: Quote) -> QuoteVersion:
    """The quote's current version with its lines."""
    return _version(quote)


def _event(quote: Quote, kind: str, note: str, version: int | None = None, actor=None) -> None:
    label = "buyer" if actor is None else f"{actor.name} <{actor.email}> ({actor.role})"
    db.session.add(
        QuoteEvent(
            quote_id=quote.id,
            kind=kind,
            note=note,
            version=version,
            actor_id=getattr(actor, "id", None),
            actor_label=label,
        )
    )


def acceptable(quote: Quote, version: QuoteVersion, now: datetime) -> str | None:
    """Why this version cannot be accepted now, or None when it can."""
    if quote.status == "accepted" or quote.status == "ordered":
        return "This quote is already accepted."
    if quote.status != "sent":
        return "This quote is not open for acceptance."
    if version.number != quote.current_version:
        return "This version has been replaced by a newer one."
    if version.needs_approval and version.approved_at is None:
        return "This quote is waiting for a manager's approval."
    valid_until = version.valid_until or quote.valid_until
    if valid_until is not None and valid_until <= now:
        return "This quote has expired. Ask your specialist for a new one."
    return None


def _same_name(typed: str, expected: str) -> bool:
    def fold(text: str) -> str:
        return " ".join(text.split()).casefold()

    return bool(typed.strip()) and fold(typed) == fold(expected)


@dataclass
class Evidence:
    typed_name: str
    accepted_terms: bool
    ip_address: str
    user_agent: str


def accept(quote_id: int, version_number: int, evidence: Evidence) -> Quote:
    """Accept the current version: the typed name, the terms, and what was accepted are kept."""
    quote = lock_row(Quote, quote_id)
    if quote is None:
        raise DomainError("No such quote.")
    version = _version(quote, version_number)
    if quote.status in ("accepted", "ordered") and version.accepted_at is not None:
        return quote  # a second click or tab: already done
    reason = acceptable(quote, version, utcnow())
    if reason:
        raise DomainError(reason)
    if not evidence.accepted_terms:
        raise DomainError("Please accept the terms of sale.", field="accept_terms")
    if not _same_name(evidence.typed_name, quote.name):
        raise DomainError(f"Type your name as on the quote: {quote.name}.", field="typed_name")
    version.accepted_at = utcnow()
    version.accepted_name = evidence.typed_name.strip()[:120]
    version.accepted_ip = evidence.ip_address[:64]
    version.accepted_user_agent = evidence.user_agent[:255]
    version.accepted_terms_version = current_app.config["TERMS_VERSION"]
    quote.status = "accepted"
    _event(
        quote,
        "accepted",
        f"Version {version.number} accepted by {version.accepted_name}: "
        f"total {version.total_cents} cents, deposit {version.deposit_pct}%.",
        version.number,
    )
    db.session.flush()
    return quote


def deposit_of(total_cents: int, deposit_pct: Decimal) -> int:
    """The deposit on a total, rounded half up to the cent."""
    return int(
        (Decimal(total_cents) * Decimal(deposit_pct) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


@dataclass
class Delivery:
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    phone: str = ""


def place_order(
    quote_id: int,
    *,
    delivery: Delivery,
    payment_method: str,
    pay: str,
    ip_address: str,
    user_agent: str,
) -> Order:
    """Turn the accepted quote into its order (once) and open the payment for it.

    `pay` is "full" or "deposit". Tax follows the delivery state, on the quote's total.
    """
    quote = lock_row(Quote, quote_id)
    if quote is None:
        raise DomainError("No such quote.")
    if quote.order_id is not None:
        return db.session.get(Order, quote.order_id)
    if quote.status != "accepted":
        raise DomainError("Accept the quote first.")
    if payment_method not in ("card", "bank_transfer"):
        raise DomainError("Choose how you would like to pay.", field="payment_method")
    version = _version(quote)
    if pay not in ("full", "deposit") or (pay == "deposit" and not version.deposit_pct):
        raise DomainError("Choose to pay in full or the deposit.", field="pay")
    rate = tax_rate(delivery.region)
    tax = int(
        (Decimal(version.total_cents) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    positive = [line for line in version.lines if line.unit_price_cents > 0]
    subtotal = sum(line.unit_price_cents * line.quantity for line in positive)
    total = version.total_cents + tax
    # The deposit is the amount the buyer saw and accepted on the quote (on its pre-tax total);
    # the tax is part of the balance.
    deposit = version.deposit_cents or deposit_of(version.total_cents, version.deposit_pct)
    amount = deposit if pay == "deposit" else total
    payments.check_amount(amount)
    items = {}
    for line in positive:
        if line.variant_id is not None:
            items[line.variant_id] = items.get(line.variant_id, 0) + line.quantity
    # The catalog's lead time as it stands at this sale (the quote's own hold counts as in
    # stock): the order's lines keep it, and no delivery window comes before it.
    leads = lead_weeks(items, exclude_holder=f"quote:{quote.id}")
    order = create_order(
        checkout_id=None,
        user_id=quote.buyer_id,
        contact=Contact(
            email=quote.email,
            name=quote.name,
            phone=delivery.phone,
            address_line1=delivery.address_line1,
            address_line2=delivery.address_line2,
            city=delivery.city,
            region=delivery.region,
            postal_code=delivery.postal_code,
        ),
        lines=[
            NewLine(
                variant_id=line.variant_id,
                product_id=None,
                product_name=line.description,
                variant_name="",
                sku=line.sku or "",
                unit_price_cents=line.unit_price_cents,
                quantity=line.quantity,
                delivery_method="as_agreed" if line.kind == "catalog" else "none",
                delivery_cents=0,
                delivery_promise=version.delivery_terms[:200],
                lead_weeks=leads.get(line.variant_id, 0),
            )
            for line in positive
        ],
        payment_method=payment_method,
        tax_rate=rate,
        tax_cents=tax,
        acceptance=Acceptance(
            terms_version=version.accepted_terms_version or current_app.config["TERMS_VERSION"],
            accepted_at=version.accepted_at or utcnow(),
            ip_address=ip_address,
            user_agent=user_agent,
        ),
        discount_cents=subtotal - version.total_cents,
    )
    order.quote_id, order.rep_id = quote.id, quote.rep_id
    # The quote's hold becomes the order's, in one locked step.
    stock.release(f"quote:{quote.id}")
    stock.reserve(holder(order), items, reservation_expiry_for(payment_method))
    payment = payments.create_payment(
        reference(order), payment_method, amount, order.currency, purpose=pay
    )
    quote.order_id, quote.status = order.id, "ordered"
    _event(
        quote,
        "ordered",
        f"Order {order.number}; paying {pay} ({amount} cents) by {payment_method}.",
        version.number,
    )
    if payment_method == "bank_transfer":
        order.funds_due_at = reservation_expiry_for("bank_transfer")
        payment.expires_at = order.funds_due_at
        order_placed.send(order)
        order_emails.bank_details(order)
    db.session.flush()
    return order


def request_balance(order_id: int, actor, payment_method: str = "card") -> "payments.Payment":
    """Ask the buyer of a deposit order for the rest, by card (a pay link) or bank transfer."""
    from shop.notifications.services import absolute_url, queue_email
    from shop.orders.services import access_token, payments_of

    order = lock_row(Order, order_id)
    if order is None:
        raise DomainError("No such order.")
    if payment_method not in ("card", "bank_transfer"):
        raise DomainError("Choose how the buyer should pay the balance.")
    existing = payments.find_payment(reference(order), "balance")
    if existing is not None:
        return existing
    held = sum(
        p.amount_received_cents - p.amount_refunded_cents + p.amount_capturable_cents
        for p in payments_of(order)
    )
    outstanding = order.total_cents - held
    if outstanding <= 0:
        raise DomainError("Nothing is outstanding on this order.")
    payment = payments.create_payment(
        reference(order), payment_method, outstanding, order.currency, purpose="balance"
    )
    payment.expires_at = utcnow() + timedelta(days=int(current_app.config["BALANCE_DUE_DAYS"]))
    link = (
        absolute_url("checkout.pay", token=access_token(order))
        if payment_method == "card"
        else absolute_url("orders.guest_view", token=access_token(order))
    )
    queue_email(
        f"order-balance:{order.number}",
        order.email,
        f"Order {order.number}: the balance is due",
        "order_balance",
        order=order,
        amount_cents=outstanding,
        link=link,
        payment=payment,
        bank=current_app.config["BANK_DETAILS"],
    )
    from shop.orders.states import actor_kind_of, record

    record(
        order,
        "balance_requested",
        f"Balance of {outstanding} cents requested by "
        f"{'card' if payment_method == 'card' else 'transfer'}.",
        actor=actor,
        actor_kind=actor_kind_of(actor),
        audit_after={"amount_cents": outstanding, "method": payment_method},
    )
    db.session.flush()
    return payment
