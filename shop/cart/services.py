"""Cart rules: add, change, remove, merge at login; totals always computed here, never trusted."""

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload

from shop.cart.models import Cart, CartLine
from shop.catalog.cache import cached, generation_column, note_generation
from shop.catalog.models import Product, Variant
from shop.catalog.services import variant_labels
from shop.catalog.stock import available_units, held_by_others, orderable_units
from shop.db import utcnow
from shop.errors import DomainError, NotFound
from shop.extensions import db
from shop.money import Money


def _owner_clause(user_id: int | None, visitor_key: str | None):
    if user_id is not None:
        return Cart.user_id == user_id
    if visitor_key is not None:
        return Cart.visitor_key == visitor_key
    return sa.false()


def find_cart(user_id: int | None = None, visitor_key: str | None = None) -> Cart | None:
    return db.session.scalar(sa.select(Cart).where(_owner_clause(user_id, visitor_key)))


def get_or_create_cart(user_id: int | None = None, visitor_key: str | None = None) -> Cart:
    cart = find_cart(user_id, visitor_key)
    if cart is None:
        cart = Cart(user_id=user_id, visitor_key=None if user_id else visitor_key)
        db.session.add(cart)
        db.session.flush()
    return cart


def cart_count(user_id: int | None = None, visitor_key: str | None = None) -> int:
    """Units in the cart, for the header; one query."""
    if user_id is not None:
        total = db.session.scalar(_COUNT_FOR_USER, {"owner": user_id})
    elif visitor_key is not None:
        total = db.session.scalar(_COUNT_FOR_VISITOR, {"owner": visitor_key})
    else:
        return 0
    return int(total or 0)


def _count_units(owner_column):
    return (
        sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner_column == sa.bindparam("owner"))
    )


# Built once: the header runs one of these on nearly every page.
_COUNT_FOR_USER = _count_units(Cart.user_id)
_COUNT_FOR_VISITOR = _count_units(Cart.visitor_key)


def _check_quantity(quantity: int, available: int, variant: Variant) -> None:
    cap = current_app.config["MAX_LINE_QUANTITY"]
    if not isinstance(quantity, int) or quantity < 1:
        raise DomainError("Enter a quantity of at least 1.", field="quantity")
    if quantity > cap:
        raise DomainError(
            f"At most {cap} per line. For more, talk to a specialist.", field="quantity"
        )
    if quantity > available:
        if available <= 0:
            raise DomainError(f"{variant.name} is not available right now.", field="quantity")
        unit = "unit is" if available == 1 else "units are"
        raise DomainError(f"Only {available} {unit} available.", field="quantity")


def _active_variant(variant_id: int) -> Variant:
    variant = db.session.scalar(
        sa.select(Variant)
        .join(Product)
        .where(Variant.id == variant_id, Variant.is_active.is_(True), Product.is_active.is_(True))
    )
    if variant is None:
        raise NotFound("No such item.")
    return variant


def add_item(cart: Cart, variant_id: int, quantity: int) -> CartLine:
    """Add units of a variant; the line's new total quantity must be available."""
    variant = _active_variant(variant_id)
    line = db.session.scalar(
        sa.select(CartLine).where(CartLine.cart_id == cart.id, CartLine.variant_id == variant.id)
    )
    current = line.quantity if line else 0
    available = available_units([variant.id], cart.held_for).get(variant.id, 0)
    _check_quantity(current + quantity if quantity > 0 else quantity, available, variant)
    if line is None:
        line = CartLine(cart_id=cart.id, variant_id=variant.id, quantity=quantity)
        db.session.add(line)
    else:
        line.quantity = current + quantity
    cart.last_activity_at = utcnow()
    db.session.flush()
    return line


def _line(cart: Cart, line_id: int) -> CartLine:
    line = db.session.scalar(
        sa.select(CartLine)
        .where(CartLine.id == line_id, CartLine.cart_id == cart.id)
        .options(joinedload(CartLine.variant))
    )
    if line is None:
        raise NotFound("No such line in your cart.")
    return line


def set_quantity(cart: Cart, line_id: int, quantity: int) -> CartLine:
    line = _line(cart, line_id)
    available = available_units([line.variant_id], cart.held_for).get(line.variant_id, 0)
    _check_quantity(quantity, available, line.variant)
    line.quantity = quantity
    cart.last_activity_at = utcnow()
    db.session.flush()
    return line


class QuantitiesRefused(DomainError):
    """Quantities the cart form asked for that cannot be had: a message per line."""

    def __init__(self, by_line: dict[int, str]):
        super().__init__(next(iter(by_line.values())), field="quantity")
        self.by_line = by_line


def set_quantities(cart: Cart, quantities: dict[int, int]) -> int:
    """Set several lines' quantities at once, all or none; returns how many changed.

    Only a changed quantity is checked: a line the buyer left alone does not stop the others
    (its own problem, if it has one, shows on the cart as before). Every refused line is
    named, so the buyer fixes them all in one go.
    """
    lines = {
        line.id: line
        for line in db.session.scalars(
            sa.select(CartLine)
            .where(CartLine.cart_id == cart.id, CartLine.id.in_(list(quantities)))
            .options(joinedload(CartLine.variant))
        )
    }
    if len(lines) != len(quantities):
        raise NotFound("No such line in your cart.")
    changed = {i: q for i, q in quantities.items() if lines[i].quantity != q}
    available = available_units([lines[i].variant_id for i in changed], cart.held_for)
    refused = {}
    for line_id, quantity in changed.items():
        line = lines[line_id]
        try:
            _check_quantity(quantity, available.get(line.variant_id, 0), line.variant)
        except DomainError as error:
            refused[line_id] = error.message
    if refused:
        raise QuantitiesRefused(refused)
    for line_id, quantity in changed.items():
        lines[line_id].quantity = quantity
    if changed:
        cart.last_activity_at = utcnow()
        db.session.flush()
    return len(changed)


def remove_line(cart: Cart, line_id: int) -> None:
    db.session.delete(_line(cart, line_id))
    cart.last_activity_at = utcnow()
    db.session.flush()


def merge_visitor_cart(visitor_key: str | None, user_id: int) -> int:
    """Move a visitor's lines into the buyer's cart at login; returns the lines moved.

    Quantities of the same variant add up, capped at what is available so the merged cart never
    asks for more than can be sold.
    """
    if not visitor_key:
        return 0
    visitor_cart = find_cart(visitor_key=visitor_key)
    if visitor_cart is None:
        return 0
    lines = list(db.session.scalars(sa.select(CartLine).where(CartLine.cart_id == visitor_cart.id)))
    if not lines:
        db.session.delete(visitor_cart)
        return 0
    buyer_cart = get_or_create_cart(user_id=user_id)
    existing = {
        line.variant_id: line
        for line in db.session.scalars(sa.select(CartLine).where(CartLine.cart_id == buyer_cart.id))
    }
    units = available_units([line.variant_id for line in lines], buyer_cart.held_for)
    cap = current_app.config["MAX_LINE_QUANTITY"]
    for line in lines:
        limit = min(cap, units.get(line.variant_id, 0))
        target = existing.get(line.variant_id)
        if target is not None:
            target.quantity = max(target.quantity, min(target.quantity + line.quantity, limit))
        elif limit > 0:
            db.session.add(
                CartLine(
                    cart_id=buyer_cart.id,
                    variant_id=line.variant_id,
                    quantity=min(line.quantity, limit),
                )
            )
    db.session.flush()
    db.session.delete(visitor_cart)
    buyer_cart.last_activity_at = utcnow()
    db.session.flush()
    return len(lines)


class CartRow(NamedTuple):
    """One cart line as the cart page shows it: plain values, no ORM objects to walk (a tuple
    of plain values, amounts in cents: the cheapest row to make, to read and to use as the key
    of its rendered markup, 30 times per page)."""

    id: int
    variant_id: int
    quantity: int
    sku: str
    variant_name: str
    unit_cents: int
    product_name: str
    product_slug: str
    image_path: str | None
    total_cents: int
    problem: str | None

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_cents)

    @property
    def total(self) -> Money:
        return Money(self.total_cents)


def _problem(quantity: int, have: int) -> str | None:
    """Why a line asks for more than can be sold now, or None."""
    if have <= 0:
        return "No longer available."
    if quantity > have:
        return f"Only {have} available now."
    return None


@dataclass
class CartView:
    """What the cart page shows, priced now from the catalog.

    `rows` is all the cart page reads. `lines` (CartLine rows with their variant and product) is
    loaded only when asked for, by the callers that copy from it (quotes, the staff desk): the
    ORM graph cost a quarter of a 30-line cart page.
    """

    cart_id: int | None
    rows: tuple[CartRow, ...]
    subtotal: Money
    units: int
    problems: dict[int, str]  # line id -> why it cannot be checked out as it is

    @property
    def line_totals(self) -> dict[int, Money]:
        return {row.id: row.total for row in self.rows}

    @cached_property
    def lines(self) -> list[CartLine]:
        """The cart's lines as ORM rows, with variant and product; one query, on first use."""
        if self.cart_id is None:
            return []
        return list(
            db.session.scalars(
                sa.select(CartLine)
                .where(CartLine.cart_id == self.cart_id)
                .order_by(CartLine.id)
                .options(joinedload(CartLine.variant).joinedload(Variant.product))
            )
        )


class _Priced(NamedTuple):
    """A cart's rows priced from the catalog: kept per catalog generation and per its lines
    and their stock as read, so shared by every request that reads the same; read-only."""

    rows: tuple[CartRow, ...]
    subtotal_cents: int
    units: int
    problems: tuple[tuple[int, str], ...]


def view_cart(user_id: int | None = None, visitor_key: str | None = None) -> CartView:
    """The cart with current prices and a server-side subtotal, whatever its size.

    One query reads its lines, what each may be ordered in (stock net of others' holds, read
    fresh) and the catalog generation. What the lines show of the catalog (names, prices) comes
    from the catalog cache, and the priced rows are kept by what that query read: a cart seen
    again, unchanged, is not priced again. A new price is a new generation, a new quantity or a
    change of stock a new key, so a kept cart is never a stale one.
    """
    if user_id is None and visitor_key is None:
        return _empty_view()
    result = db.session.execute(
        _LINES_FOR_USER if user_id is not None else _LINES_FOR_VISITOR,
        {
            "owner": user_id if user_id is not None else visitor_key,
            "now": utcnow(),
            "cap": current_app.config["MAX_LINE_QUANTITY"],
        },
    )
    lines = [tuple(row) for row in result]  # plain tuples: they key the shared cache
    if not lines:
        return _empty_view()
    note_generation(lines[0][0])
    key = tuple(lines)  # rows of (generation, cart id, line id, variant id, quantity, orderable)
    priced = cached(("cart", key), lambda: _price(key), store="cart_views")
    return CartView(
        cart_id=key[0][1],
        rows=priced.rows,
        subtotal=Money(priced.subtotal_cents),
        units=priced.units,
        problems=dict(priced.problems),
    )


def _empty_view() -> CartView:
    return CartView(None, (), Money.zero(), 0, {})


def _price(lines: tuple) -> _Priced:
    labels = variant_labels([line[3] for line in lines])
    rows, problems, subtotal = [], [], 0
    for _, _, line_id, variant_id, quantity, have in lines:
        label = labels.get(variant_id)
        if label is None:
            continue  # its variant was deleted (with the line) since the lines were read
        sku, v_name, cents, p_name, slug, image = label
        problem = _problem(quantity, have)
        if problem:
            problems.append((line_id, problem))
        subtotal += cents * quantity
        rows.append(
            CartRow(
                line_id,
                variant_id,
                quantity,
                sku,
                v_name,
                cents,
                p_name,
                slug,
                image,
                cents * quantity,
                problem,
            )
        )
    return _Priced(tuple(rows), subtotal, sum(row.quantity for row in rows), tuple(problems))


def _lines_statement(owner: str):
    """A cart's lines with what each may be ordered in: the stock net of live holds, the
    cart's own hold (its order waiting for payment, `held_for`) not counted against it."""
    wanted_cart, wanted_line = aliased(Cart), aliased(CartLine)
    wanted = (
        sa.select(wanted_line.variant_id.label("variant_id"), wanted_cart.held_for.label("holder"))
        .join(wanted_cart, wanted_cart.id == wanted_line.cart_id)
        .where(getattr(wanted_cart, owner) == sa.bindparam("owner"))
        .subquery("wanted")
    )
    held = held_by_others(wanted)
    return (
        sa.select(
            generation_column(),
            Cart.id,
            CartLine.id,
            CartLine.variant_id,
            CartLine.quantity,
            orderable_units(held.c.held),
        )
        .join(CartLine, CartLine.cart_id == Cart.id)
        .join(Variant, Variant.id == CartLine.variant_id)
        .outerjoin(held, held.c.variant_id == CartLine.variant_id)
        .where(getattr(Cart, owner) == sa.bindparam("owner"))
        .order_by(CartLine.id)
    )


# Built once: every cart page runs one of them.
_LINES_FOR_USER = _lines_statement("user_id")
_LINES_FOR_VISITOR = _lines_statement("visitor_key")
