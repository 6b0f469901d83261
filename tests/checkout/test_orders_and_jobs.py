"""Orders seen by buyers and guests, the expiry commands, and the checkout query budget."""

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.cart.services import add_item, get_or_create_cart
from shop.catalog import stock
from shop.catalog.models import StockReservation, Variant
from shop.checkout.services import price_cart
from shop.db import utcnow
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.checkout.conftest import CONTACT, place
from tests.conftest import PASSWORD, csrf_token, post_form


@pytest.fixture
def transfer_order(client, piano, checkout_to_review, db):
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    location = place(client, method="bank_transfer").headers["Location"]
    return location, db.session.scalar(sa.select(Order))


def test_a_guest_reaches_their_order_only_through_the_emailed_link(
    app, client, transfer_order, mailbox
):
    link, order = transfer_order
    assert client.get(link.split("?")[0]).status_code == 200
    stranger = app.test_client()
    assert stranger.get(link.split("?")[0]).status_code == 200  # the link is the key
    assert stranger.get(f"/orders/view/{order.number}").status_code == 404
    assert stranger.get(link.split("?")[0][:-3] + "abc").status_code == 404


def test_the_bank_details_email_carries_the_reference_and_the_link(
    app, client, piano, checkout_to_review, db, mailbox
):
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    place(client, method="bank_transfer")
    payment = db.session.scalar(sa.select(Payment))
    [message] = mailbox
    body = message.get_body(("plain",)).get_content()
    assert message["To"] == "ada@example.com"
    assert payment.bank_reference in body and "Routing number" in body
    assert "http://shop.test/orders/view/" in body


def test_buyers_see_only_their_own_orders(
    app, client, piano, checkout_to_review, make_user, login, db
):
    buyer = make_user(email="ada@example.com")
    login(buyer)
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    place(client, method="bank_transfer")
    order = db.session.scalar(sa.select(Order))
    assert order.user_id == buyer.id
    history = client.get("/orders/").get_data(as_text=True)
    assert order.number in history
    assert client.get(f"/orders/{order.number}").status_code == 200
    other = app.test_client()
    post_form(other, "/account/login", {"email": make_user().email, "password": PASSWORD})
    assert other.get(f"/orders/{order.number}").status_code == 404
    assert order.number not in other.get("/orders/").get_data(as_text=True)
    assert other.get("/orders/" + "x" * 300).status_code == 404
    page = client.get(f"/orders/{order.number}")
    assert page.headers["Cache-Control"] == "private, no-store"


def test_guest_orders_join_the_account_once_the_email_is_verified(
    app, client, transfer_order, db, mailbox
):
    _link, order = transfer_order
    assert order.user_id is None
    buyer = app.test_client()
    post_form(
        buyer,
        "/account/register",
        {
            "name": "Ada Lovelace",
            "email": CONTACT["email"],
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert order.number not in buyer.get("/orders/").get_data(as_text=True)
    bodies = [m.get_body(("plain",)).get_content() for m in mailbox]
    confirm = next(b for b in bodies if "/account/confirm/" in b)
    path = confirm.split("http://shop.test", 1)[1].split()[0]
    post_form(buyer, path, {}, csrf_page=path)  # makes the account, its address verified
    assert order.number in buyer.get("/orders/").get_data(as_text=True)


def test_expired_holds_stop_counting_at_once(app, db, piano):
    variant = piano.variants[0]
    stock.reserve("test:a", {variant.id: 3}, utcnow() + timedelta(minutes=15))
    db.session.commit()
    assert stock.availability([variant.id])[variant.id].in_stock == 0
    db.session.execute(
        sa.update(StockReservation).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert stock.availability([variant.id])[variant.id].in_stock == 3  # before any cleanup


@pytest.mark.both_dbs
def test_release_command_is_safe_to_run_twice_at_once(app, db, piano):
    for i in range(10):
        stock.reserve(f"test:{i}", {piano.variants[0].id: 1} if i < 3 else {}, utcnow())
    db.session.execute(
        sa.update(StockReservation).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    results = []

    def run():  # what two schedulers firing `flask release-reservations` at once each do
        with app.app_context():
            results.append(stock.release_expired())
            stock.db.session.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [0, 3]
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(StockReservation.status == "released"))
        == 3
    )
    out = app.test_cli_runner().invoke(args=["release-reservations"]).output
    assert out == "Released 0 lapsed reservation(s).\n"


def test_unpaid_transfers_expire_and_release_their_units(app, transfer_order, db, piano, mailbox):
    _link, order = transfer_order
    variant_id = piano.variants[0].id
    order.funds_due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["expire-orders"]).output
    assert "1 unpaid transfer order" in out
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "cancelled"
    assert db.session.scalar(sa.select(Payment.status)) == "expired"
    assert db.session.scalar(sa.select(StockReservation.status)) == "released"
    assert stock.availability([variant_id])[variant_id].in_stock == 3
    app.test_cli_runner().invoke(args=["send-outbox"])  # what the scheduler runs every minute
    assert any("cancelled" in m["Subject"] for m in mailbox)
    again = app.test_cli_runner().invoke(args=["expire-orders"]).output
    assert "0 unpaid transfer order" in again


def test_unpaid_card_orders_are_cancelled_after_the_hold(
    app, client, piano, checkout_to_review, db
):
    checkout_to_review(piano.variants[0].id)
    place(client)
    db.session.execute(sa.update(Order).values(created_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["expire-orders"]).output
    assert "Cancelled 1 unpaid card order" in out
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "cancelled"
    assert db.session.scalar(sa.select(Variant.stock_on_hand)) == 3


@pytest.mark.parametrize("path", ["contact", "address", "delivery", "review"])
def test_checkout_pages_keep_a_fixed_query_count(
    app, client, make_category, make_product, checkout_to_review, query_counter, path
):
    category = make_category(slug="bikes", name="E-bikes")
    products = [make_product(category, price_cents=3_000_00, stock=5) for _ in range(30)]
    checkout_to_review(products[0].variants[0].id)

    def measure():
        with query_counter() as statements:
            assert client.get(f"/checkout/{path}").status_code == 200
        return len(statements)

    one = measure()
    for product in products[1:]:
        post_form(client, "/cart/add", {"variant_id": product.variants[0].id, "quantity": 1})
    thirty = measure()
    assert one == thirty <= 12


def test_placing_an_order_reads_the_cart_once(client, piano, checkout_to_review, query_counter):
    checkout_to_review(piano.variants[0].id)
    data = {"payment_method": "card", "accept_terms": "y", "csrf_token": csrf_token(client)}
    with query_counter() as statements:
        r = client.post("/checkout/review", data=data)
    assert r.status_code == 303 and "/checkout/pay/" in r.headers["Location"]
    cart_reads = [
        s for s in statements if s.lstrip().startswith("SELECT") and re.search(r"FROM carts\b", s)
    ]
    assert len(cart_reads) == 1


def test_pricing_reads_plain_values_in_three_queries(db, piano, make_product, query_counter):
    cart = get_or_create_cart(visitor_key="p" * 64)
    bikes = [make_product(piano.category, price_cents=3_000_00, stock=5) for _ in range(5)]
    for variant_id in [piano.variants[0].id] + [b.variants[0].id for b in bikes]:
        add_item(cart, variant_id, 1)
    with query_counter() as statements:
        totals = price_cart(cart.id, {str(piano.variants[0].id): "white_glove"}, "WA")
    assert len(statements) == 3  # lines, delivery options, stock
    db.session.rollback()  # the totals hold plain values: nothing left to reload
    grand = totals.lines[0]
    assert (grand.product_name, grand.variant_name, grand.sku) == (
        piano.name,
        piano.variants[0].name,
        piano.variants[0].sku,
    )
    assert [o.label for o in grand.options] == [
        "Collect it yourself",
        "White-glove delivery and installation",
    ]
    assert (grand.method, grand.delivery_cents) == ("white_glove", 1_200_00)
    assert [p.method for p in totals.lines[1:]] == ["none"] * 5  # no option: nothing to ship
    assert totals.subtotal_cents == 42_500_00 + 5 * 3_000_00
