"""With SQLALCHEMY_RECORD_QUERIES on (what debug toolbars and tracers turn on), the main pages
answer, and each runs a fixed number of queries whatever the size of the cart, the catalog or
the order. The queries are Flask-SQLAlchemy's own record of them."""

from decimal import Decimal

import pytest
from flask import request_finished
from flask_sqlalchemy.record_queries import get_recorded_queries

from shop.auth.roles import Role
from shop.db import utcnow
from shop.extensions import db as shop_db
from shop.orders.models import Order
from shop.orders.services import Acceptance, Contact, NewLine, create_order
from tests.conftest import PASSWORD, post_form

# The most queries each page may run, warm (its catalog entries built by an earlier view), as
# recorded on SQLite, where the BEGIN that shop.db issues is recorded too.
BUDGET = {
    "home (shared)": 2,  # BEGIN, the catalog generation
    "category (shared)": 3,  # and the stock of the cards shown
    "product (shared)": 2,  # the generation read with the stock
    "search (shared)": 3,
    "home": 6,
    "category": 5,
    "product": 9,
    "search": 7,
    "cart": 3,
    "checkout start": 10,
    "account": 7,
    "order": 8,
    "staff desk": 21,
    "staff order list": 8,
    "staff order": 16,
}


@pytest.fixture
def app_config(app_config):
    app_config.SQLALCHEMY_RECORD_QUERIES = True
    return app_config


@pytest.fixture
def recorded(app):
    """Queries per request, as Flask-SQLAlchemy recorded them (read before the request ends)."""
    counts: list[int] = []

    def finished(sender, response, **extra):
        counts.append(len(get_recorded_queries()))

    request_finished.connect(finished, app)
    yield counts
    request_finished.disconnect(finished, app)


def order_for(user, lines: int) -> Order:
    order = create_order(
        checkout_id=None,
        user_id=user.id,
        contact=Contact(
            email=user.email,
            name=user.name,
            phone="555 0100",
            address_line1="1 Harbor Street",
            city="Boston",
            region="MA",
            postal_code="02110",
        ),
        lines=[
            NewLine(
                variant_id=None,
                product_id=None,
                product_name=f"Sloop {n}",
                variant_name="Standard",
                sku=f"SL-{n}",
                unit_price_cents=100_000_00,
                quantity=1,
                delivery_method="white_glove",
                delivery_cents=0,
                delivery_promise="",
                lead_weeks=0,
            )
            for n in range(lines)
        ],
        payment_method="bank_transfer",
        tax_rate=Decimal("0"),
        tax_cents=0,
        acceptance=Acceptance("2030-01", utcnow(), "127.0.0.1", "pytest"),
    )
    shop_db.session.commit()
    return order


@pytest.mark.both_dbs
def test_the_main_pages_with_queries_recorded(
    app, client, make_user, make_product, sailboats, recorded
):
    bare = app.test_client(use_cookies=False)
    buyer = make_user(email="ada@example.com", name="Ada Buyer")
    manager = make_user(Role.MANAGER, email="manager@example.com")
    staff = app.test_client()
    assert post_form(client, "/account/login", {"email": buyer.email, "password": PASSWORD})
    assert post_form(staff, "/account/login", {"email": manager.email, "password": PASSWORD})

    def walk(product, order) -> dict[str, int]:
        pages = {
            "home (shared)": (bare, "/"),
            "category (shared)": (bare, "/c/sailboats"),
            "product (shared)": (bare, f"/p/{product.slug}"),
            "search (shared)": (bare, "/search?q=sloop"),
            "home": (client, "/"),
            "category": (client, "/c/sailboats"),
            "product": (client, f"/p/{product.slug}"),
            "search": (client, "/search?q=sloop"),
            "cart": (client, "/cart/"),
            "checkout start": (client, "/checkout/contact"),
            "account": (client, "/account/"),
            "order": (client, f"/orders/{order.number}"),
            "staff desk": (staff, "/staff/"),
            "staff order list": (staff, "/staff/orders"),
            "staff order": (staff, f"/staff/orders/{order.number}"),
        }
        counts = {}
        for _ in range(2):  # the second time warm: the catalog cache filled by the first
            for name, (who, url) in pages.items():
                recorded.clear()
                response = who.get(url)
                assert response.status_code == 200, (name, url, response.status_code)
                counts[name] = sum(recorded)
        return counts

    def fill_cart(products) -> None:
        for product in products:
            form = {"variant_id": product.variants[0].id, "quantity": 1}
            assert post_form(client, "/cart/add", form).status_code == 303

    small = make_product(sailboats, name="Sloop One", variants=1, images=1)
    seen = make_product(sailboats, name="Sloop Seen", variants=1, images=1)
    client.get(f"/p/{seen.slug}")  # so that "recently viewed" is never empty
    fill_cart([small])
    assert client.get("/checkout/").status_code == 302  # the checkout opens
    one = walk(small, order_for(buyer, lines=1))

    more = [make_product(sailboats, name=f"Sloop {n}", variants=3, images=3) for n in range(30)]
    big = make_product(sailboats, name="Sloop Grand", variants=12, images=12)
    fill_cart(more)
    for _ in range(5):
        order_for(buyer, lines=2)
    many = walk(big, order_for(buyer, lines=30))

    assert one == many, {k: (one[k], many[k]) for k in one if one[k] != many[k]}
    over = {name: (n, BUDGET[name]) for name, n in many.items() if n > BUDGET[name]}
    assert not over, over
