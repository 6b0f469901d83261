"""The cart's rules, called directly as later domains (checkout, quotes) will call them."""

import pytest

from shop.cart import services
from shop.errors import DomainError, NotFound


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
