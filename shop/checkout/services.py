"""Checkout rules: the draft, the server's totals, and placing the order (once).

Every amount is computed here from the catalog and the settings; nothing the browser sends
about prices, delivery costs, tax or totals is read.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from shop.cart.models import Cart, CartLine
from shop.catalog import stock
from shop.catalog.models import DELIVERY_LABELS, DeliveryMethod, DeliveryOption, Product, Variant
from shop.catalog.services import delivery_lead_weeks
from shop.checkout.models import Checkout
from shop.credit import services as credit
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
    items,
    reference,
    refresh_amounts,
    reservation_expiry_for,
)
from shop.orders.signals import order_placed
from shop.orders.states import OrderStatus, record, transition
from shop.payments import services as payments

PAYMENT_METHODS = {"card": "Card", "bank_transfer": "Bank transfer"}


# --- the draft -----------------------------------------------------------------------------


def find_checkout(cart: Cart, user=None) -> Checkout:
    """The cart's open checkout (not yet placed), or a new one prefilled for a buyer but not yet
    kept: showing a step writes nothing; the first step posted keeps it (`open_checkout`)."""
    checkout = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.cart_id == cart.id, Checkout.order_id.is_(None))
        .order_by(Checkout.id.desc())
    )
    if checkout is None:
        checkout = _new_draft(cart.id)
        if user is not None:
            checkout.user_id = user.id
            checkout.email, checkout.name, checkout.phone = user.email, user.name, user.phone or ""
    return checkout


def _new_draft(cart_id: int) -> Checkout:
    """A checkout not yet kept, holding what its row would start with (the pages read them)."""
    columns = Checkout.__table__.columns
    starting = {c.key: c.default.arg for c in columns if c.default and c.default.is_scalar}
    return Checkout(cart_id=cart_id, delivery_choices={}, **starting)


def open_checkout(cart: Cart, user=None) -> Checkout:
    """The cart's open checkout, kept: made on first use and prefilled for a buyer."""
    checkout = find_checkout(cart, user)
    if checkout.id is None:
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


@dataclass(frozen=True)
class Option:
    """A way a product can reach the buyer, as the checkout offers it: plain values."""

    method: str
    price_cents: int
    extra_weeks: int
    note: str

    @property
    def label(self) -> str:
        return DELIVERY_LABELS[DeliveryMethod(self.method)]


NOTHING_TO_SHIP = Option(DeliveryMethod.NONE.value, 0, 0, "")


@dataclass
class PricedLine:
    """One cart line priced now: plain values read from the catalog, no ORM objects."""

    variant_id: int
    sku: str
    variant_name: str
    product_id: int
    product_name: str
    unit_cents: int
    quantity: int
    options: list[Option]
    method: str
    delivery_cents: int
    promise: str
    lead_weeks: int = 0  # the promise's fewest weeks, kept on the order line

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


def _promise(method: str, weeks: tuple[int, int]) -> str:
    if method == DeliveryMethod.NONE:
        return "Nothing to ship"
    low, high = weeks
    span = f"{low}-{high} weeks" if low != high else ("1 week" if low == 1 else f"{low} weeks")
    return f"{'Ready' if method == DeliveryMethod.PICKUP else 'With you'} in about {span}"


def price_cart(cart_id: int, choices: dict, region: str) -> Totals:
    """Price every line of the cart now, with the delivery chosen for it and the region's tax.

    Three queries whatever the number of lines (lines, delivery options, stock), reading only
    the columns priced here: every checkout step and the place-order POST price the cart, and
    loading whole products and variants (long descriptions and all) was a seventh of a
    place-order.
    """
    rows = db.session.execute(
        sa.select(
            CartLine.variant_id,
            CartLine.quantity,
            Variant.sku,
            Variant.name.label("variant_name"),
            Variant.price_cents,
            Variant.made_to_order,
            Variant.build_weeks,
            Variant.delivery_weeks_min,
            Variant.delivery_weeks_max,
            Product.id.label("product_id"),
            Product.name.label("product_name"),
        )
        .join(Variant, Variant.id == CartLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(CartLine.cart_id == cart_id)
        .order_by(CartLine.id)
    ).all()
    totals = Totals(region=region, tax_rate=tax_rate(region) if region else Decimal(0))
    if not rows:
        return totals
    offered: dict[int, list[Option]] = {}
    for product_id, *option in db.session.execute(
        sa.select(
            DeliveryOption.product_id,
            DeliveryOption.method,
            DeliveryOption.price_cents,
            DeliveryOption.extra_weeks,
            DeliveryOption.note,
        )
        .where(DeliveryOption.product_id.in_(sorted({row.product_id for row in rows})))
        .order_by(DeliveryOption.price_cents, DeliveryOption.id)
    ):
        offered.setdefault(product_id, []).append(Option(*option))
    live = stock.availability([row.variant_id for row in rows])
    for row in rows:
        options = offered.get(row.product_id) or [NOTHING_TO_SHIP]
        chosen = choices.get(str(row.variant_id))
        option = next((o for o in options if o.method == chosen), options[0])
        in_stock = live[row.variant_id].in_stock if row.variant_id in live else 0
        # The row carries the variant's lead-time columns, all that delivery_lead_weeks reads.
        weeks = delivery_lead_weeks(row, in_stock if in_stock >= row.quantity else 0, option)
        totals.lines.append(
            PricedLine(
                variant_id=row.variant_id,
                sku=row.sku,
                variant_name=row.variant_name,
                product_id=row.product_id,
                product_name=row.product_name,
                unit_cents=row.price_cents,
                quantity=row.quantity,
                options=options,
                method=option.method,
                delivery_cents=option.price_cents * row.quantity,
                promise=_promise(option.method, weeks),
                lead_weeks=weeks[0],
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
        key = str(priced.variant_id)
        method = chosen.get(key)
        if method is None:
            continue
        if method not in {o.method for o in priced.options}:
            raise DomainError(f"{priced.product_name} cannot be delivered that way.", field=key)
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


def credit_to_apply(user_id: int | None, total_cents: int) -> int:
    """How much of a total the buyer's store credit would pay: all of it, or their balance."""
    return min(credit.balance(user_id), total_cents) if user_id is not None else 0


def place_order(
    checkout_id: int,
    *,
    user_id: int | None,
    payment_method: str,
    acceptance: Acceptance,
    use_credit: bool = False,
) -> Order:
    """Turn the checkout into an order, once. A double click, a second tab or a retried request
    finds the checkout already placed and gets the same order back.

    Units are reserved here, when the buyer reaches payment; if some are gone, nothing is
    written and the buyer keeps their cart. With `use_credit`, a signed-in buyer's store
    credit pays as much of the total as it can, in the same transaction (their balance row is
    locked, so two orders at once cannot both spend it); the card or transfer pays the rest,
    and an order the credit pays in full is paid at once, with no card and no Stripe call.
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
    if not (use_credit and user_id is not None):
        payments.check_amount(totals.total_cents)  # before anything is written or sent to Stripe
    supersede_unpaid_orders(checkout.cart_id)  # gives back credit a superseded order used
    applied = 0
    if use_credit and user_id is not None:
        account = credit.lock_account(user_id)
        applied = min(account.balance_cents, totals.total_cents) if account else 0
        if applied < totals.total_cents:
            payments.check_amount(totals.total_cents - applied)
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
                variant_id=p.variant_id,
                product_id=p.product_id,
                product_name=p.product_name,
                variant_name=p.variant_name,
                sku=p.sku,
                unit_price_cents=p.unit_cents,
                quantity=p.quantity,
                delivery_method=p.method,
                delivery_cents=p.delivery_cents,
                delivery_promise=p.promise,
                lead_weeks=p.lead_weeks,
            )
            for p in totals.lines
        ],
        payment_method=payment_method,
        tax_rate=totals.tax_rate,
        tax_cents=totals.tax_cents,
        acceptance=acceptance,
        credit_cents=applied,
    )
    stock.reserve(
        holder(order),
        {p.variant_id: p.quantity for p in totals.lines},
        reservation_expiry_for(payment_method),
    )
    if applied:
        credit.spend(user_id, order.id, applied, order.email, f"Paid towards order {order.number}")
        record(order, "store_credit", f"{Money(applied, order.currency)} paid with store credit.")
    checkout.order_id = order.id
    checkout.placed_at = utcnow()
    checkout.payment_method = payment_method
    if applied:
        refresh_amounts(order)  # the credit counts as received
    if order.due_cents == 0:
        _paid_with_credit(order)
        db.session.flush()
        return order
    payment = payments.create_payment(
        reference(order),
        payment_method,
        order.due_cents,
        order.currency,
    )
    db.session.execute(
        sa.update(Cart)
        .where(Cart.id == checkout.cart_id)
        .values(held_for=holder(order) if payment_method == "card" else None)
    )
    if payment_method == "bank_transfer":
        order.funds_due_at = reservation_expiry_for("bank_transfer")
        payment.expires_at = order.funds_due_at
        mark_placed_for_transfer(order)
    db.session.flush()
    return order


def _paid_with_credit(order: Order) -> None:
    """Store credit paid the whole total: the units are sold and the order is paid now; no
    payment row, no card, nothing sent to Stripe."""
    stock.convert(holder(order), items(order))
    transition(order, OrderStatus.PAID, note="Paid in full with store credit.")
    order_placed.send(order)  # the cart lets go of the items
    emails.confirmation(order, "credit_paid")


def give_back_credit(order: Order) -> None:
    """A cancelled order gives back the store credit it used, once: a restore row in the
    buyer's ledger, the order's credit back to 0, and a line on its timeline."""
    if not order.credit_cents:
        return
    amount = order.credit_cents
    if credit.restore(order.id, f"Order {order.number} cancelled") is None:
        return
    order.credit_cents = 0
    refresh_amounts(order)
    record(
        order,
        "store_credit_returned",
        f"{Money(amount, order.currency)} of store credit given back to your balance.",
    )


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
