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

from shop.catalog import stock
from shop.catalog.models import DeliveryMethod, DeliveryOption, Variant
from shop.catalog.services import lead_weeks
from shop.checkout.services import tax_rate
from shop.db import lock_row, utcnow
from shop.errors import DomainError
from shop.extensions import db
from shop.money import Money
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
from shop.quotes.common import load_version
from shop.quotes.models import Quote, QuoteLine, QuoteVersion
from shop.quotes.states import QuoteStatus, allowed, transition

# Accepted, and maybe ordered since: a second answer finds the work done.
ACCEPTED = (QuoteStatus.ACCEPTED, QuoteStatus.ORDERED)


def acceptable(quote: Quote, version: QuoteVersion, now: datetime) -> str | None:
    """Why this version cannot be accepted now, or None when it can."""
    if quote.status in ACCEPTED:
        return "This quote is already accepted."
    if not allowed(quote.status, QuoteStatus.ACCEPTED):
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


class VersionChanged(DomainError):
    """The buyer answered a version (or a total) that is no longer the one on offer: nothing is
    accepted, and the buyer is shown `current`, the version to read now."""

    def __init__(self, message: str, current: int):
        super().__init__(message)
        self.current = current


def _check_what_was_seen(quote: Quote, seen: QuoteVersion, total_cents: int | None) -> None:
    """Refuse an answer to anything but the version on offer, at the total the buyer saw.

    The accept form carries the version number and total of the page the buyer read; another
    tab may have been open on an older version while the rep sent a new one.
    """
    if seen.number != quote.current_version:
        current = load_version(quote)
        if allowed(quote.status, QuoteStatus.ACCEPTED) and current.sent_at is not None:
            raise VersionChanged(
                f"Nothing was accepted: you were reading version {seen.number} "
                f"({Money(seen.total_cents)}), and version {current.number} has replaced it, "
                f"at {Money(current.total_cents)}. Please read version {current.number} below "
                "and accept it if it suits you.",
                current.number,
            )
        if quote.status in ACCEPTED:
            raise DomainError("This quote is already accepted.")
        raise DomainError(
            f"Nothing was accepted: version {seen.number} has been replaced by a newer one"
            + (
                ", which your specialist is still preparing. You will get it by email."
                if current.sent_at is None
                else "."
            )
        )
    reason = acceptable(quote, seen, utcnow())
    if reason:
        raise DomainError(reason)
    if total_cents is not None and total_cents != seen.total_cents:
        raise VersionChanged(
            f"Nothing was accepted: the total you saw ({Money(total_cents)}) is not the total "
            f"of version {seen.number} ({Money(seen.total_cents)}). Please read it again below "
            "and accept it if it suits you.",
            seen.number,
        )


def accept(
    quote_id: int, version_number: int, evidence: Evidence, total_cents: int | None = None
) -> Quote:
    """Accept the version the buyer read, at the total they saw (`total_cents`, from the form):
    the typed name, the terms, and what was accepted are kept as evidence. A newer version, or
    another total, accepts nothing (`VersionChanged`)."""
    quote = lock_row(Quote, quote_id)
    if quote is None:
        raise DomainError("No such quote.")
    version = load_version(quote, version_number)
    if quote.status in ACCEPTED and version.accepted_at is not None:
        return quote  # a second click or tab on the version accepted: already done
    _check_what_was_seen(quote, version, total_cents)
    if not evidence.accepted_terms:
        raise DomainError("Please accept the terms of sale.", field="accept_terms")
    if not _same_name(evidence.typed_name, quote.name):
        raise DomainError(f"Type your name as on the quote: {quote.name}.", field="typed_name")
    version.accepted_at = utcnow()
    version.accepted_name = evidence.typed_name.strip()[:120]
    version.accepted_ip = evidence.ip_address[:64]
    version.accepted_user_agent = evidence.user_agent[:255]
    version.accepted_terms_version = current_app.config["TERMS_VERSION"]
    transition(
        quote,
        QuoteStatus.ACCEPTED,
        note=f"Version {version.number} accepted by {version.accepted_name}: "
        f"total {Money(version.total_cents)}, deposit {version.deposit_pct.normalize():f}%.",
        version=version.number,
        actor_label="buyer",
    )
    return quote


def deposit_of(total_cents: int, deposit_pct: Decimal) -> int:
    """The deposit on a total, rounded half up to the cent."""
    return int(
        (Decimal(total_cents) * Decimal(deposit_pct) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )


def _ships_nothing(variant_ids: list[int]) -> set[int]:
    """The variants whose product is never shipped (it offers only "nothing to ship", like an
    expedition's documents by email); one query."""
    if not variant_ids:
        return set()
    rows = db.session.execute(
        sa.select(Variant.id, DeliveryOption.method)
        .join(DeliveryOption, DeliveryOption.product_id == Variant.product_id)
        .where(Variant.id.in_(variant_ids))
    ).all()
    methods: dict[int, set[str]] = {}
    for variant_id, method in rows:
        methods.setdefault(variant_id, set()).add(method)
    return {v for v, found in methods.items() if found == {DeliveryMethod.NONE.value}}


def order_lines(
    version: QuoteVersion, lines: list[QuoteLine], leads: dict[int, int] | None = None
) -> list[NewLine]:
    """The order lines for these quote lines, at the quote's prices.

    A line for a catalog variant is the same kind of line checkout makes: it keeps its variant,
    and `create_order` copies the product and its warranty term from the catalog. Goods are
    delivered as the quote's delivery terms say; the quote's services (installation, freight)
    go with them, and only an order of nothing physical is "nothing to ship". `leads` gives
    each variant's lead time in weeks at this sale (no delivery window before it).
    """
    leads = leads or {}
    nothing = _ships_nothing(sorted({x.variant_id for x in lines if x.variant_id is not None}))
    goods = any(x.variant_id is not None and x.variant_id not in nothing for x in lines)
    out = []
    for line in lines:
        ships = line.variant_id not in nothing if line.variant_id is not None else goods
        out.append(
            NewLine(
                variant_id=line.variant_id,
                product_id=None,  # create_order takes it from the variant
                product_name=line.description,
                variant_name="",  # a catalog line takes the catalog's product and variant names
                sku=line.sku or "",
                unit_price_cents=line.unit_price_cents,
                quantity=line.quantity,
                delivery_method="as_agreed" if ships else "none",
                delivery_cents=0,
                delivery_promise=version.delivery_terms[:200],
                lead_weeks=leads.get(line.variant_id, 0),
            )
        )
    return out


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
    if quote.status != QuoteStatus.ACCEPTED:
        raise DomainError("Accept the quote first.")
    if payment_method not in ("card", "bank_transfer"):
        raise DomainError("Choose how you would like to pay.", field="payment_method")
    version = load_version(quote)
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
        lines=order_lines(version, positive, leads),
        payment_method=payment_method,
        tax_rate=rate,
        tax_cents=tax,
        acceptance=Acceptance(
            terms_version=version.accepted_terms_version or current_app.config["TERMS_VERSION"],
            accepted_at=version.accepted_at or utcnow(),
            # The terms were accepted on the accept form: its address and browser are the
            # evidence (the pay page's are the same person a step later).
            ip_address=version.accepted_ip or ip_address,
            user_agent=version.accepted_user_agent or user_agent,
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
    quote.order_id = order.id
    transition(
        quote,
        QuoteStatus.ORDERED,
        note=f"Order {order.number}; paying {pay} ({Money(amount, order.currency)}) by "
        f"{'bank transfer' if payment_method == 'bank_transfer' else payment_method}.",
        version=version.number,
        actor_label="buyer",
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
        f"Balance of {Money(outstanding, order.currency)} requested by "
        f"{'card' if payment_method == 'card' else 'transfer'}.",
        actor=actor,
        actor_kind=actor_kind_of(actor),
        audit_after={"amount_cents": outstanding, "method": payment_method},
    )
    db.session.flush()
    return payment
