"""Checkout rules: the draft, the server's totals, and placing the order (once).

Every amount is computed here from the catalog and the settings; nothing the browser sends
about prices, delivery costs, tax or totals is read.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from shop.cart.models import Cart, CartLine
from shop.catalog import stock
from shop.catalog.models import DELIVERY_LABELS, DeliveryMethod, DeliveryOption, Product, Variant
from shop.catalog.services import delivery_lead_weeks
from shop.checkout.models import Checkout
from shop.db import lock_row, utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money
from shop.orders import emails
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
from shop.payments import services as payments

PAYMENT_METHODS = {"card": "Card", "bank_transfer": "Bank transfer"}


# --- the draft -----------------------------------------------------------------------------


def open_checkout(cart: Cart, user=None) -> Checkout:
    """The cart's open checkout (not yet placed), made on first use and prefilled for a buyer."""
    checkout = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.cart_id == cart.id, Checkout.order_id.is_(None))
        .order_by(Checkout.id.desc())
    )
    if checkout is None:
        checkout = Checkout(cart_id=cart.id, delivery_choices={})
        if user is not None:
            checkout.user_id = user.id
            checkout.email, checkout.name, checkout.phone = user.email, user.name, user.phone or ""
        db.session.add(checkout)
        db.session.flush()
    return checkout


def save(checkout: Checkout, **fields) -> None:
    """Keep what the buyer typed (only the draft's own fields)."""
    allowed = {
        "email",
        "name",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "payment_method",
    }
    for key, value in fields.items():
        if key not in allowed:
            raise ValueError(f"not a checkout field: {key}")
        setattr(checkout, key, (value or "").strip() if isinstance(value, str) else value)
    db.session.flush()


def contact_done(checkout: Checkout) -> bool:
    return bool(checkout.email and checkout.name)


def address_done(checkout: Checkout) -> bool:
    return bool(
        checkout.address_line1 and checkout.city and checkout.region and checkout.postal_code
    )


# --- totals --------------------------------------------------------------------------------


@dataclass
class PricedLine:
    line: CartLine
    variant: Variant
    product: Product
    unit_cents: int
    quantity: int
    options: list[DeliveryOption]
    method: str
    delivery_cents: int
    promise: str

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def method_label(self) -> str:
        return DELIVERY_LABELS[DeliveryMethod(self.method)]


@dataclass
class Totals:
    lines: list[PricedLine] = field(default_factory=list)
    subtotal_cents: int = 0
    delivery_cents: int = 0
    tax_rate: Decimal = Decimal(0)
    tax_cents: int = 0
    region: str = ""

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.delivery_cents + self.tax_cents

    @property
    def total(self) -> Money:
        return Money(self.total_cents)


def tax_rate(region: str) -> Decimal:
    """The configured sales tax rate (percent) for a region, or the default one."""
    rates = current_app.config["TAX_RATES"]
    return Decimal(str(rates.get(region, current_app.config["DEFAULT_TAX_RATE"])))


def _none_option(product_id: int) -> DeliveryOption:
    return DeliveryOption(
        product_id=product_id,
        method=DeliveryMethod.NONE.value,
        price_cents=0,
        extra_weeks=0,
        note="",
    )


def _promise(method: str, weeks: tuple[int, int]) -> str:
    if method == DeliveryMethod.NONE:
        return "Nothing to ship"
    low, high = weeks
    span = f"{low}-{high} weeks" if low != high else ("1 week" if low == 1 else f"{low} weeks")
    return f"{'Ready' if method == DeliveryMethod.PICKUP else 'With you'} in about {span}"


def price_cart(cart_id: int, choices: dict, region: str) -> Totals:
    """Price every line of the cart now, with the delivery chosen for it and the region's tax.

    A fixed number of queries whatever the number of lines.
    """
    lines = list(
        db.session.scalars(
            sa.select(CartLine)
            .where(CartLine.cart_id == cart_id)
            .order_by(CartLine.id)
            .options(
                joinedload(CartLine.variant)
                .joinedload(Variant.product)
                .selectinload(Product.delivery_options)
            )
        )
    )
    live = stock.availability([line.variant_id for line in lines])
    totals = Totals(region=region, tax_rate=tax_rate(region) if region else Decimal(0))
    for line in lines:
        variant, product = line.variant, line.variant.product
        options = list(product.delivery_options) or [_none_option(product.id)]
        chosen = choices.get(str(line.variant_id))
        option = next((o for o in options if o.method == chosen), options[0])
        in_stock = live[variant.id].in_stock if variant.id in live else 0
        weeks = delivery_lead_weeks(variant, in_stock if in_stock >= line.quantity else 0, option)
        totals.lines.append(
            PricedLine(
                line=line,
                variant=variant,
                product=product,
                unit_cents=variant.price_cents,
                quantity=line.quantity,
                options=options,
                method=option.method,
                delivery_cents=option.price_cents * line.quantity,
                promise=_promise(option.method, weeks),
            )
        )
    totals.subtotal_cents = sum(p.total_cents for p in totals.lines)
    totals.delivery_cents = sum(p.delivery_cents for p in totals.lines)
    taxable = Decimal(totals.subtotal_cents + totals.delivery_cents)
    totals.tax_cents = int(
        (taxable * totals.tax_rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    return totals


def choose_delivery(checkout: Checkout, totals: Totals, chosen: dict[str, str]) -> None:
    """Keep one delivery method per line, among the ones its product offers."""
    choices = dict(checkout.delivery_choices or {})
    for priced in totals.lines:
        key = str(priced.variant.id)
        method = chosen.get(key)
        if method is None:
            continue
        if method not in {o.method for o in priced.options}:
            raise DomainError(f"{priced.product.name} cannot be delivered that way.", field=key)
        choices[key] = method
    checkout.delivery_choices = choices
    db.session.flush()


# --- placing the order ---------------------------------------------------------------------


def pending_order_for_cart(cart_id: int) -> Order | None:
    """The order this cart's last checkout made, if it still waits for a card payment and holds
    exactly what the cart holds now: a second "Place order" (another tab, a double click after
    the first one finished) is the same purchase and goes to the same order.
    """
    checkout = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.cart_id == cart_id, Checkout.order_id.is_not(None))
        .order_by(Checkout.id.desc())
        .limit(1)
    )
    if checkout is None:
        return None
    order = db.session.scalar(
        sa.select(Order).where(Order.id == checkout.order_id).options(selectinload(Order.lines))
    )
    if order is None or order.status != "pending_payment":
        return None
    in_cart = dict(
        db.session.execute(
            sa.select(CartLine.variant_id, CartLine.quantity).where(CartLine.cart_id == cart_id)
        ).all()
    )
    ordered = {line.variant_id: line.quantity for line in order.lines}
    return order if in_cart == ordered else None


def lock_checkout(checkout_id: int) -> Checkout:
    checkout = lock_row(Checkout, checkout_id)
    if checkout is None:
        raise NotFound("No such checkout.")
    return checkout


def place_order(
    checkout_id: int, *, user_id: int | None, payment_method: str, acceptance: Acceptance
) -> Order:
    """Turn the checkout into an order, once. A double click, a second tab or a retried request
    finds the checkout already placed and gets the same order back.

    Units are reserved here, when the buyer reaches payment; if some are gone, nothing is
    written and the buyer keeps their cart.
    """
    checkout = lock_checkout(checkout_id)
    if checkout.order_id is not None:
        return db.session.get(Order, checkout.order_id)
    if payment_method not in PAYMENT_METHODS:
        raise DomainError("Choose how you would like to pay.", field="payment_method")
    if not (contact_done(checkout) and address_done(checkout)):
        raise DomainError("Some of your details are missing. Please check them.")
    totals = price_cart(checkout.cart_id, checkout.delivery_choices or {}, checkout.region)
    if not totals.lines:
        raise DomainError("Your cart is empty.")
    payments.check_amount(totals.total_cents)  # before anything is written or sent to Stripe
    supersede_unpaid_orders(checkout.cart_id)
    order = create_order(
        checkout_id=checkout.id,
        user_id=user_id,
        contact=Contact(
            email=checkout.email.lower(),
            name=checkout.name,
            phone=checkout.phone,
            address_line1=checkout.address_line1,
            address_line2=checkout.address_line2,
            city=checkout.city,
            region=checkout.region,
            postal_code=checkout.postal_code,
        ),
        lines=[
            NewLine(
                variant_id=p.variant.id,
                product_id=p.product.id,
                product_name=p.product.name,
                variant_name=p.variant.name,
                sku=p.variant.sku,
                unit_price_cents=p.unit_cents,
                quantity=p.quantity,
                delivery_method=p.method,
                delivery_cents=p.delivery_cents,
                delivery_promise=p.promise,
            )
            for p in totals.lines
        ],
        payment_method=payment_method,
        tax_rate=totals.tax_rate,
        tax_cents=totals.tax_cents,
        acceptance=acceptance,
    )
    stock.reserve(
        holder(order),
        {p.variant.id: p.quantity for p in totals.lines},
        reservation_expiry_for(payment_method),
    )
    payment = payments.create_payment(
        reference(order),
        payment_method,
        order.total_cents,
        order.currency,
    )
    checkout.order_id = order.id
    checkout.placed_at = utcnow()
    db.session.execute(
        sa.update(Cart)
        .where(Cart.id == checkout.cart_id)
        .values(held_for=holder(order) if payment_method == "card" else None)
    )
    checkout.payment_method = payment_method
    if payment_method == "bank_transfer":
        order.funds_due_at = reservation_expiry_for("bank_transfer")
        payment.expires_at = order.funds_due_at
        mark_placed_for_transfer(order)
    db.session.flush()
    return order


def supersede_unpaid_orders(cart_id: int) -> int:
    """Earlier orders from this cart still waiting for a card payment are replaced by the new
    one: their payment is voided and their units given back, so the buyer's own stale hold
    never blocks the order they are placing now."""
    stale = db.session.scalars(
        sa.select(Order.id)
        .join(Checkout, Checkout.order_id == Order.id)
        .where(Checkout.cart_id == cart_id, Order.status == "pending_payment")
    ).all()
    for order_id in stale:
        payment = payments.find_payment(f"order:{order_id}")
        if payment is not None:
            payments.cancel(payment.id, "Replaced by a newer order from the same cart.")
    return len(stale)


def mark_placed_for_transfer(order: Order) -> None:
    """A transfer order is made; the units wait for the funds. The buyer gets the bank details."""
    from shop.orders.signals import order_placed

    order_placed.send(order)
    emails.bank_details(order)


def clear_ordered_lines(order: Order) -> int:
    """Once an order is placed, its items leave the cart it came from."""
    if order.checkout_id is not None:
        cart_id = db.session.scalar(
            sa.select(Checkout.cart_id).where(Checkout.id == order.checkout_id)
        )
    elif order.user_id is not None:  # an order from a quote: the buyer's own cart
        cart_id = db.session.scalar(sa.select(Cart.id).where(Cart.user_id == order.user_id))
    else:
        return 0
    variant_ids = [line.variant_id for line in order.lines if line.variant_id is not None]
    if cart_id is None or not variant_ids:
        return 0
    result = db.session.execute(
        sa.delete(CartLine).where(CartLine.cart_id == cart_id, CartLine.variant_id.in_(variant_ids))
    )
    db.session.execute(sa.update(Cart).where(Cart.id == cart_id).values(held_for=None))
    return result.rowcount or 0
