"""Order rules: making an order from priced lines, links for guests, and what payments do to it."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop import links
from shop.catalog.models import Product, Variant
from shop.db import utcnow
from shop.errors import NotFound
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderLine
from shop.orders.signals import order_placed
from shop.orders.states import OrderStatus, record, transition
from shop.payments.models import Payment

NUMBER_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass
class NewLine:
    """A line as the checkout (or a quote) priced it; copied into the order as it is at the
    moment of sale. For a catalog variant, `create_order` copies the product and its warranty
    term from the catalog (see `sale_terms`); a line with no variant is a service or a fee."""

    variant_id: int | None
    product_id: int | None
    product_name: str
    variant_name: str
    sku: str
    unit_price_cents: int
    quantity: int
    delivery_method: str
    delivery_cents: int
    delivery_promise: str
    lead_weeks: int = 0  # the fewest weeks the promise gives: no delivery window before


@dataclass
class Contact:
    email: str
    name: str
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"


@dataclass
class Acceptance:
    """The buyer's acceptance of the terms of sale, kept as evidence."""

    terms_version: str
    accepted_at: datetime
    ip_address: str
    user_agent: str


@dataclass(frozen=True)
class SaleTerms:
    """What the catalog says of a variant at the moment it is sold."""

    product_id: int
    product_name: str
    variant_name: str
    sku: str
    warranty_months: int


def sale_terms(variant_ids) -> dict[int, SaleTerms]:
    """Variant id -> its product, names, SKU and warranty term, in one query.

    Every order line for a catalog variant takes these, whichever way it was sold (checkout,
    quote, exchange), so warranty, serial numbers and "verified owner" work the same for all.
    """
    ids = sorted({v for v in variant_ids if v is not None})
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Variant.id,
            Product.id,
            Product.name,
            Variant.name,
            Variant.sku,
            Product.warranty_months,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(ids))
    ).all()
    return {row[0]: SaleTerms(*row[1:5], int(row[5] or 0)) for row in rows}


def _order_line(line: NewLine, known: SaleTerms | None) -> OrderLine:
    """One order line, with the catalog's product and warranty term copied when it sells a
    variant. A caller that has only a description (a quote line) gets the catalog's names."""
    product_name, variant_name, sku = line.product_name, line.variant_name, line.sku
    if known is not None:
        if not variant_name:
            product_name, variant_name = known.product_name, known.variant_name
        sku = sku or known.sku
    return OrderLine(
        variant_id=line.variant_id,
        product_id=known.product_id if known is not None else line.product_id,
        product_name=product_name,
        variant_name=variant_name,
        sku=sku,
        unit_price_cents=line.unit_price_cents,
        quantity=line.quantity,
        line_total_cents=line.unit_price_cents * line.quantity,
        delivery_method=line.delivery_method,
        delivery_cents=line.delivery_cents,
        delivery_promise=line.delivery_promise,
        lead_weeks=line.lead_weeks,
        warranty_months=known.warranty_months if known is not None else 0,
    )


def holder(order: Order) -> str:
    return f"order:{order.id}"


def reference(order: Order) -> str:
    return f"order:{order.id}"


def _new_number() -> str:
    for _ in range(10):
        number = "HH-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
        if db.session.scalar(sa.select(Order.id).where(Order.number == number)) is None:
            return number
    raise RuntimeError("could not find a free order number")


def create_order(
    *,
    checkout_id: int | None,
    user_id: int | None,
    contact: Contact,
    lines: list[NewLine],
    payment_method: str,
    tax_rate,
    tax_cents: int,
    acceptance: Acceptance,
    currency: str = "USD",
    discount_cents: int = 0,
    credit_cents: int = 0,
) -> Order:
    """Write the order and its lines (amounts add up, or the database refuses). `credit_cents`
    is the part of the total paid with store credit (the caller writes the ledger row)."""
    subtotal = sum(line.unit_price_cents * line.quantity for line in lines)
    delivery = sum(line.delivery_cents for line in lines)
    if not 0 <= discount_cents <= subtotal:
        raise ValueError("a discount is between nothing and the whole subtotal")
    total = subtotal - discount_cents + delivery + tax_cents
    if not 0 <= credit_cents <= total:
        raise ValueError("store credit pays between nothing and the whole total")
    status = (
        OrderStatus.AWAITING_FUNDS
        if payment_method == "bank_transfer"
        else OrderStatus.PENDING_PAYMENT
    )
    order = Order(
        number=_new_number(),
        checkout_id=checkout_id,
        user_id=user_id,
        email=contact.email,
        name=contact.name,
        phone=contact.phone,
        address_line1=contact.address_line1,
        address_line2=contact.address_line2,
        city=contact.city,
        region=contact.region,
        postal_code=contact.postal_code,
        country=contact.country,
        status=status.value,
        payment_method=payment_method,
        currency=currency,
        subtotal_cents=subtotal,
        discount_cents=discount_cents,
        delivery_cents=delivery,
        tax_cents=tax_cents,
        total_cents=total,
        credit_cents=credit_cents,
        tax_rate=tax_rate,
        terms_version=acceptance.terms_version,
        terms_accepted_at=acceptance.accepted_at,
        terms_accepted_ip=acceptance.ip_address[:64],
        terms_user_agent=acceptance.user_agent[:255],
    )
    known = sale_terms(line.variant_id for line in lines)
    order.lines = [_order_line(line, known.get(line.variant_id)) for line in lines]
    db.session.add(order)
    db.session.flush()
    # Nothing is paid yet: the note says what the buyer chose, never that money moved.
    how = "card" if payment_method == "card" else "bank transfer"
    record(order, "created", f"Order created, to be paid by {how}.", actor_kind="buyer")
    return order


def items(order: Order) -> dict[int, int]:
    """Variant id -> units, for stock moves."""
    out: dict[int, int] = {}
    for line in order.lines:
        if line.variant_id is not None:
            out[line.variant_id] = out.get(line.variant_id, 0) + line.quantity
    return out


# --- links for guests ----------------------------------------------------------------------


PURPOSE = "order-link"  # shop.links


def access_token(order: Order) -> str:
    """The secret part of the link that lets a guest see their order (signed, unguessable)."""
    return links.sign(PURPOSE, order.number)


def order_for_token(token: str) -> Order:
    try:
        number = links.unsign(PURPOSE, token)
    except links.BadLink:
        raise NotFound("No such order.") from None
    return get_order(number=number)


# --- reading -------------------------------------------------------------------------------


def get_order(*, number: str, user_id: int | None = None) -> Order:
    """An order with its lines and events; scoped to a buyer when `user_id` is given (else 404)."""
    stmt = (
        sa.select(Order)
        .where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.events))
    )
    if user_id is not None:
        stmt = stmt.where(Order.user_id == user_id)
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound("No such order.")
    return order


def payments_of(order: Order) -> list[Payment]:
    return list(
        db.session.scalars(
            sa.select(Payment).where(Payment.reference == reference(order)).order_by(Payment.id)
        )
    )


def refresh_amounts(order: Order) -> None:
    """What the order has received, holds and gave back, across all its payments (deposit,
    balance...), and the payment state the console filters on."""
    from shop.payments.states import PaymentStatus

    rows = payments_of(order)
    order.authorized_cents = sum(
        p.amount_capturable_cents for p in rows if p.status == PaymentStatus.AUTHORIZED
    )
    # Store credit applied to the order is money received, like a payment.
    order.received_cents = sum(p.amount_received_cents for p in rows) + order.credit_cents
    order.refunded_cents = sum(p.amount_refunded_cents for p in rows)
    order.paid_cents = max(order.received_cents - order.refunded_cents, 0)
    lapsed = any(p.method == "card" and p.status == PaymentStatus.EXPIRED for p in rows)
    order.payment_state = payment_state(order, lapsed)


def payment_state(order: Order, lapsed: bool = False) -> str:
    if order.refunded_cents:
        return "refunded" if order.paid_cents == 0 else "partially_refunded"
    if order.received_cents >= order.total_cents:
        return "paid"
    if order.received_cents:
        return "partially_paid"
    if order.authorized_cents:
        return "authorized"
    if lapsed:
        return "payment_expired"
    return "unpaid"


PAYMENT_STATE_LABELS = {
    "unpaid": "Unpaid",
    "authorized": "Authorized",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "partially_refunded": "Partly refunded",
    "refunded": "Refunded",
    "payment_expired": "Payment expired",
}


def settle(order: Order) -> bool:
    """Move a live order to "paid" once the whole total has been received."""
    if order.received_cents < order.total_cents:
        return False
    if order.status not in (OrderStatus.PLACED, OrderStatus.CONFIRMED):
        return False
    transition(order, OrderStatus.PAID, note="The whole total has been received.")
    return True


def open_card_payment(order: Order) -> Payment | None:
    """The order's card payment still waiting for the buyer, if any (the newest one)."""
    from shop.payments.states import RETRYABLE

    waiting = [p for p in payments_of(order) if p.method == "card" and p.status in RETRYABLE]
    return waiting[-1] if waiting else None


def buyer_orders(user_id: int, page: int, per_page: int = 10):
    return db.paginate(
        sa.select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def lock_order(order_id: int) -> Order:
    order = db.session.scalar(
        sa.select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines))
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound("No such order.")
    return order


def attach_guest_orders(user_id: int, email: str) -> int:
    """Orders placed as a guest with this (now verified) email join the buyer's account."""
    result = db.session.execute(
        sa.update(Order)
        .where(Order.user_id.is_(None), sa.func.lower(Order.email) == email.strip().lower())
        .values(user_id=user_id)
    )
    return result.rowcount or 0


def buyer_events(order: Order) -> list[OrderEvent]:
    return [e for e in order.events if e.visible_to_buyer]


def reservation_expiry_for(payment_method: str) -> datetime:
    config = current_app.config
    if payment_method == "bank_transfer":
        return utcnow() + timedelta(days=int(config["BANK_TRANSFER_HOLD_DAYS"]))
    return utcnow() + timedelta(minutes=int(config["RESERVATION_MINUTES"]))


def mark_placed(order: Order, note: str) -> None:
    """The sale is made: status, timeline, and a signal (the checkout empties the cart)."""
    transition(order, OrderStatus.PLACED, note=note)
    order_placed.send(order)
