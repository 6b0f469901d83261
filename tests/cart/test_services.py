"""The cart's rules, called directly as later domains (checkout, quotes) will call them."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency

from shop.cart import services
from shop.cart.models import CartLine
from shop.errors import DomainError, NotFound
from shop.money import Money


@pytest.fixture
def boat(sailboats, make_product):
    return make_product(sailboats, price_cents=120_000_00, stock=2, variants=2)


@pytest.mark.both_dbs
def test_totals_are_computed_from_current_catalog_prices(db, boat, make_user):
    buyer = make_user()
    cart = services.get_or_create_cart(user_id=buyer.id)
    services.add_item(cart, boat.variants[0].id, 2)
    services.add_item(cart, boat.variants[1].id, 1)
    view = services.view_cart(user_id=buyer.id)
    assert view.subtotal.cents == 2 * 120_000_00 + 121_000_00
    assert view.units == 3
    assert services.cart_count(user_id=buyer.id) == 3


@pytest.mark.both_dbs
def test_stock_limits_apply_to_the_whole_line(db, boat):
    cart = services.get_or_create_cart(visitor_key="v" * 64)
    services.add_item(cart, boat.variants[0].id, 2)
    with pytest.raises(DomainError, match="Only 2 units"):
        services.add_item(cart, boat.variants[0].id, 1)
    line = services.view_cart(visitor_key="v" * 64).lines[0]
    with pytest.raises(DomainError):
        services.set_quantity(cart, line.id, 3)
    assert line.quantity == 2


def test_problems_are_reported_when_stock_drops_after_adding(db, boat):
    cart = services.get_or_create_cart(visitor_key="k" * 64)
    services.add_item(cart, boat.variants[0].id, 2)
    boat.variants[0].stock_on_hand = 1
    boat.variants[1].is_active = False
    db.session.flush()
    view = services.view_cart(visitor_key="k" * 64)
    assert list(view.problems.values()) == ["Only 1 available now."]


def test_inactive_variants_cannot_be_added(db, boat):
    boat.variants[1].is_active = False
    db.session.flush()
    cart = services.get_or_create_cart(visitor_key="z" * 64)
    with pytest.raises(NotFound):
        services.add_item(cart, boat.variants[1].id, 1)


def test_merge_moves_lines_and_deletes_the_visitor_cart(db, boat, make_user):
    buyer = make_user()
    visitor = services.get_or_create_cart(visitor_key="m" * 64)
    services.add_item(visitor, boat.variants[0].id, 2)
    assert services.merge_visitor_cart("m" * 64, buyer.id) == 1
    assert services.find_cart(visitor_key="m" * 64) is None
    assert services.cart_count(user_id=buyer.id) == 2
    assert services.merge_visitor_cart("m" * 64, buyer.id) == 0  # nothing left to merge
    assert services.merge_visitor_cart(None, buyer.id) == 0


def test_the_cart_is_read_in_a_fixed_number_of_queries_whatever_its_size(
    app, db, sailboats, make_product, query_counter
):
    from flask import g

    cart = services.get_or_create_cart(visitor_key="q" * 64)
    boats = [make_product(sailboats, price_cents=10_000_00, stock=5) for _ in range(12)]
    services.add_item(cart, boats[0].variants[0].id, 1)
    db.session.commit()

    def view_in_a_new_request():
        g.pop("catalog_generation", None)  # each request reads the generation afresh
        with query_counter() as queries:
            view = services.view_cart(visitor_key="q" * 64)
        return view, len(queries)

    _, one = view_in_a_new_request()
    for boat in boats[1:]:
        services.add_item(cart, boat.variants[0].id, 2)
    db.session.commit()
    view, twelve = view_in_a_new_request()
    # The lines with their stock and the generation (one query), the labels the cache lacks
    # (the new ones, in one query).
    assert one == twelve == 2
    # Seen again: the labels and the priced rows come from the cache; lines and stock are
    # read fresh.
    again, warm = view_in_a_new_request()
    assert warm == 1 and again == view
    assert [r.product_name for r in view.rows] == [b.name for b in boats]
    assert view.units == 23 and view.subtotal == Money(23 * 10_000_00)
    assert view.rows[0].image_path and view.problems == {}
    # Quotes and the staff desk still get ORM lines, loaded when they ask for them.
    assert [line.variant.product.name for line in view.lines] == [b.name for b in boats]


def test_the_cart_shows_a_new_price_and_stock_at_once(db, sailboats, make_product):
    boat = make_product(sailboats, price_cents=10_000_00, stock=5)
    cart = services.get_or_create_cart(visitor_key="p" * 64)
    services.add_item(cart, boat.variants[0].id, 2)
    db.session.commit()
    assert services.view_cart(visitor_key="p" * 64).subtotal == Money(20_000_00)
    boat.variants[0].price_cents = 9_500_00  # a new catalog generation: the label is rebuilt
    boat.variants[0].stock_on_hand = 1  # stock is never cached
    db.session.commit()
    view = services.view_cart(visitor_key="p" * 64)
    assert view.subtotal == Money(19_000_00) and view.rows[0].unit_price == Money(9_500_00)
    assert view.problems == {view.rows[0].id: "Only 1 available now."}


@pytest.mark.parametrize(
    ("cents", "currency", "locale", "whole"),
    [
        (4_250_017, "USD", "en_US", False),
        (4_250_000, "USD", "en_US", True),
        (4_250_050, "USD", "en_US", True),
        (-1_999, "USD", "en_US", False),
        (123_456, "EUR", "de_DE", False),
        (0, "USD", "fr_FR", True),
    ],
)
def test_amounts_read_as_babel_writes_them_and_are_worked_out_once(
    monkeypatch, cents, currency, locale, whole
):
    import shop.money

    exact = whole and cents % 100 == 0
    expected = format_currency(
        Decimal(cents) / 100,
        currency,
        format="¤#,##0" if exact else None,
        locale=locale,
        currency_digits=not exact,
    )
    assert Money(cents, currency).format(locale=locale, whole=whole) == expected
    monkeypatch.setattr(shop.money, "format_currency", None)  # Babel is not asked again
    assert Money(cents, currency).format(locale=locale, whole=whole) == expected


def test_a_line_whose_variant_vanished_meanwhile_is_left_out_not_an_error(
    db, sailboats, make_product, monkeypatch
):
    kept, gone = (make_product(sailboats, price_cents=5_000_00, stock=3) for _ in range(2))
    cart = services.get_or_create_cart(visitor_key="v" * 64)
    services.add_item(cart, kept.variants[0].id, 1)
    services.add_item(cart, gone.variants[0].id, 1)
    db.session.commit()
    labels = services.variant_labels
    # The variant deleted (its line with it) between the lines' read and the labels' read.
    monkeypatch.setattr(
        services,
        "variant_labels",
        lambda ids: {k: v for k, v in labels(ids).items() if k != gone.variants[0].id},
    )
    view = services.view_cart(visitor_key="v" * 64)
    assert [r.variant_id for r in view.rows] == [kept.variants[0].id]
    assert view.subtotal == Money(5_000_00) and view.units == 1


@pytest.mark.both_dbs
def test_each_line_may_be_ordered_in_what_the_stock_rules_allow(app, db, sailboats, make_product):
    """The cart reads its lines and their stock in one statement; what it allows per line is
    what `availability` allows, hold by hold: others' live holds count, the cart's own hold
    (its order waiting for payment) does not, nor do lapsed or ended holds."""
    from datetime import timedelta

    from shop.catalog.models import StockReservation
    from shop.catalog.stock import availability
    from shop.db import utcnow

    app.config["MAX_LINE_QUANTITY"] = 20
    later, earlier = utcnow() + timedelta(minutes=30), utcnow() - timedelta(minutes=1)
    cases = {  # name: (stock, made to order, active, holds as (holder, units, expires, status))
        "held by another": (5, False, True, [("order:1", 2, later, "active")]),
        "held by this cart": (5, False, True, [("order:9", 4, later, "active")]),
        "both": (
            5,
            False,
            True,
            [("order:9", 1, later, "active"), ("quote:3", 3, later, "active")],
        ),
        "hold lapsed": (5, False, True, [("order:1", 4, earlier, "active")]),
        "hold ended": (5, False, True, [("order:1", 4, later, "released")]),
        "held beyond stock": (2, False, True, [("order:1", 3, later, "active")]),
        "made to order": (1, True, True, [("order:1", 1, later, "active")]),
        "withdrawn": (5, False, False, []),
    }
    cart = services.get_or_create_cart(visitor_key="s" * 64)
    cart.held_for = "order:9"
    variants = {}
    for name, (stock, made_to_order, active, holds) in cases.items():
        variant = make_product(sailboats, stock=stock, made_to_order=made_to_order).variants[0]
        variant.is_active = active
        db.session.add(CartLine(cart_id=cart.id, variant_id=variant.id, quantity=20))
        for holder, units, expires_at, status in holds:
            db.session.add(
                StockReservation(
                    variant_id=variant.id,
                    holder=holder,
                    quantity=units,
                    expires_at=expires_at,
                    status=status,
                )
            )
        variants[name] = variant.id
    db.session.commit()

    view = services.view_cart(visitor_key="s" * 64)
    shown = {row.variant_id: row.problem for row in view.rows}
    assert {name: shown[vid] for name, vid in variants.items()} == {
        "held by another": "Only 3 available now.",
        "held by this cart": "Only 5 available now.",
        "both": "Only 2 available now.",
        "hold lapsed": "Only 5 available now.",
        "hold ended": "Only 5 available now.",
        "held beyond stock": "No longer available.",
        "made to order": None,  # built for the buyer: up to the cap of 20
        "withdrawn": "No longer available.",
    }
    rule = availability(list(variants.values()), "order:9")
    assert shown == {vid: services._problem(20, rule[vid].orderable) for vid in variants.values()}
    # Without a hold of its own, every live hold counts.
    cart.held_for = None
    db.session.commit()
    view = services.view_cart(visitor_key="s" * 64)
    assert {row.variant_id: row.problem for row in view.rows}[variants["held by this cart"]] == (
        "Only 1 available now."
    )


def test_a_kept_cart_shows_another_buyers_new_hold_at_once(db, sailboats, make_product):
    """The priced rows are kept by what the cart's query read, stock included: a hold taken
    by someone else is a new key, never a stale cart."""
    from datetime import timedelta

    from shop.catalog.models import StockReservation
    from shop.db import utcnow

    boat = make_product(sailboats, price_cents=10_000_00, stock=3)
    cart = services.get_or_create_cart(visitor_key="h" * 64)
    services.add_item(cart, boat.variants[0].id, 2)
    db.session.commit()
    first = services.view_cart(visitor_key="h" * 64)
    assert first.problems == {} and services.view_cart(visitor_key="h" * 64) == first
    db.session.add(
        StockReservation(
            variant_id=boat.variants[0].id,
            holder="order:77",
            quantity=2,
            expires_at=utcnow() + timedelta(minutes=30),
        )
    )
    db.session.commit()
    view = services.view_cart(visitor_key="h" * 64)
    assert view.problems == {view.rows[0].id: "Only 1 available now."}
    assert view.subtotal == first.subtotal == Money(20_000_00)
