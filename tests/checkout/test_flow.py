"""The checkout steps through the test client: totals on the server, going back, placing once."""

import pytest
import sqlalchemy as sa

from shop.catalog.models import StockReservation
from shop.checkout.models import Checkout
from shop.orders.models import Order, OrderLine
from shop.payments.models import Payment
from tests.checkout.conftest import ADDRESS, CONTACT, count, place
from tests.conftest import post_form


def test_steps_keep_what_was_typed_when_going_back(client, piano, checkout_to_review):
    checkout_to_review(piano.variants[0].id)
    contact = client.get("/checkout/contact").get_data(as_text=True)
    assert 'value="ada@example.com"' in contact and 'value="Ada Lovelace"' in contact
    address = client.get("/checkout/address").get_data(as_text=True)
    assert 'value="12 Harbor Way"' in address and '<option selected value="WA">' in address


def test_totals_are_computed_on_the_server(client, piano, checkout_to_review):
    checkout_to_review(piano.variants[0].id, quantity=2, delivery="white_glove")
    page = client.get("/checkout/review").get_data(as_text=True)
    # 2 x $42,500 + 2 x $1,200 white glove, Washington 6.5% on goods and delivery.
    assert "$85,000.00" in page and "$2,400.00" in page
    assert "$5,681.00" in page  # 6.5% of $87,400
    assert 'data-testid="review-total">$93,081.00<' in page


@pytest.mark.parametrize(
    ("region", "tax"), [("OR", "$0.00"), ("NY", "$1,700.00"), ("GA", "$2,550.00")]
)
def test_tax_follows_the_configured_rate_of_the_region(
    client, piano, checkout_to_review, region, tax
):
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    post_form(client, "/checkout/address", {**ADDRESS, "region": region})
    page = client.get("/checkout/review").get_data(as_text=True)
    assert f'data-testid="tax">{tax}<' in page


def test_prices_and_totals_sent_by_the_browser_are_ignored(client, piano, checkout_to_review, db):
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    post_form(
        client,
        "/checkout/review",
        {
            "payment_method": "card",
            "accept_terms": "y",
            "total": "1.00",
            "total_cents": "100",
            "price_cents": "1",
            "tax_cents": "0",
            "subtotal": "1",
        },
    )
    order = db.session.scalar(sa.select(Order))
    assert order.subtotal_cents == 42_500_00 and order.total_cents == 45_262_50


def test_delivery_must_be_one_the_product_offers(client, piano, checkout_to_review, db):
    checkout_to_review(piano.variants[0].id)
    r = post_form(client, "/checkout/delivery", {f"delivery-{piano.variants[0].id}": "freight"})
    assert r.status_code == 400 and "cannot be delivered that way" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        ("contact", {**CONTACT, "email": "nope"}, "Invalid email"),
        ("contact", {**CONTACT, "phone": "call me"}, "Use digits"),
        ("address", {**ADDRESS, "postal_code": "ABCDE"}, "5-digit ZIP"),
        ("address", {**ADDRESS, "region": "ZZ"}, "Not a valid choice"),
    ],
)
def test_bad_details_show_errors_next_to_the_fields(
    client, piano, checkout_to_review, step, data, message
):
    checkout_to_review(piano.variants[0].id)
    r = post_form(client, f"/checkout/{step}", data)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True) and 'class="field-error"' in r.get_data(as_text=True)


def test_terms_must_be_accepted_and_nothing_is_written_before(
    client, piano, checkout_to_review, db
):
    checkout_to_review(piano.variants[0].id)
    r = place(client, accept=False)
    assert r.status_code == 400 and "accept the terms" in r.get_data(as_text=True)
    assert count(db, Order) == 0 and count(db, Payment) == 0 and count(db, StockReservation) == 0


def test_placing_a_card_order_reserves_units_and_records_the_acceptance(
    client, piano, checkout_to_review, db
):
    checkout_to_review(piano.variants[0].id, quantity=2, delivery="pickup")
    r = place(client)
    assert r.status_code == 303 and "/checkout/pay/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order))
    assert order.status == "pending_payment" and order.email == "ada@example.com"
    assert order.terms_version and order.terms_accepted_ip == "127.0.0.1"
    line = db.session.scalar(sa.select(OrderLine))
    assert (line.sku, line.unit_price_cents, line.quantity) == (piano.variants[0].sku, 42_500_00, 2)
    hold = db.session.scalar(sa.select(StockReservation))
    assert (hold.holder, hold.quantity, hold.status) == (f"order:{order.id}", 2, "active")
    minutes = (hold.expires_at - order.created_at).total_seconds() / 60
    assert 14 < minutes <= 15.1
    # The held units are not for sale to anyone else meanwhile.
    other = client.application.test_client()
    r = post_form(other, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 2})
    assert r.status_code == 303
    page = other.get(f"/p/{piano.slug}").get_data(as_text=True)
    assert "Only 1 unit is available." in page


def test_placing_twice_gives_one_order(client, piano, checkout_to_review, db):
    checkout_to_review(piano.variants[0].id)
    first = place(client)
    second = place(client)
    assert count(db, Order) == 1 and count(db, Payment) == 1
    assert count(db, StockReservation) == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_a_bank_transfer_order_waits_for_funds_and_shows_the_details(
    client, piano, checkout_to_review, db, app
):
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    r = place(client, method="bank_transfer")
    assert r.status_code == 303 and "/orders/view/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    assert order.status == "awaiting_funds" and payment.status == "awaiting_funds"
    assert payment.bank_reference.startswith("HH-") and len(payment.bank_reference) == 12
    hold = db.session.scalar(sa.select(StockReservation))
    days = (hold.expires_at - order.created_at).total_seconds() / 86400
    assert 4.9 < days <= 5.01
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert payment.bank_reference in page and "Routing number" in page
    # The cart let go of the ordered items.
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)


def test_an_empty_cart_cannot_check_out(client, db):
    assert client.get("/checkout/").status_code == 302
    r = client.get("/checkout/contact")
    assert r.status_code == 302 and r.headers["Location"].endswith("/cart/")


def test_steps_cannot_be_skipped(client, piano, db):
    post_form(client, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 1})
    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/contact")
    assert client.get("/checkout/delivery").headers["Location"].endswith("/checkout/contact")
    post_form(client, "/checkout/contact", CONTACT)
    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/address")
    assert count(db, Checkout) == 1


def test_looking_through_the_checkout_keeps_nothing_until_a_step_is_posted(
    client, piano, db, make_user, login
):
    """A step only shown writes nothing (a GET reads only); the first step posted keeps the
    checkout, with the signed-in buyer's details the steps showed."""
    login(make_user(email="grace@example.com", name="Grace Hopper"))
    post_form(client, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 1})
    # The buyer's contact details are known: the checkout starts at the address.
    assert client.get("/checkout/").headers["Location"].endswith("/checkout/address")
    assert 'value="Grace Hopper"' in client.get("/checkout/contact").text
    assert client.get("/checkout/address").status_code == 200
    assert client.get("/checkout/review").headers["Location"].endswith("/checkout/address")
    assert count(db, Checkout) == 0
    assert post_form(client, "/checkout/address", ADDRESS).status_code == 303
    kept = db.session.scalar(sa.select(Checkout))
    assert (kept.email, kept.name, kept.city) == ("grace@example.com", "Grace Hopper", "Portland")
    assert "Grace Hopper" in client.get("/checkout/review", follow_redirects=True).text


def test_amounts_above_the_single_payment_limit_are_refused_before_stripe(
    client, make_category, make_product, checkout_to_review, db
):
    yachts = make_category(slug="yachts", name="Yachts")
    yacht = make_product(yachts, name="Big One", price_cents=600_000_00, stock=2)
    checkout_to_review(yacht.variants[0].id, quantity=2)
    r = place(client)
    assert r.status_code == 400 and "at most $999,999.99" in r.get_data(as_text=True)
    assert count(db, Order) == 0 and count(db, Payment) == 0


def test_a_changed_cart_replaces_the_unpaid_order_and_its_hold(
    client, piano, checkout_to_review, db
):
    checkout_to_review(piano.variants[0].id, quantity=3)
    place(client)
    first = db.session.scalar(sa.select(Order))
    # Back to the cart: one unit fewer. All 3 units are held by the first order.
    line_id = db.session.scalar(sa.select(OrderLine.variant_id))
    from shop.cart.models import CartLine

    cart_line = db.session.scalar(sa.select(CartLine.id).where(CartLine.variant_id == line_id))
    r = post_form(client, "/cart/update", {"lines-0-line": cart_line, "lines-0-quantity": 2})
    assert r.status_code == 303
    assert client.get("/checkout/").status_code == 302
    post_form(client, "/checkout/contact", CONTACT)
    post_form(client, "/checkout/address", ADDRESS)
    post_form(client, "/checkout/delivery", {})
    r = place(client)
    assert "/checkout/pay/" in r.headers["Location"]
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Order.id, Order.status)).all())
    assert (
        statuses[first.id] == "cancelled" and list(statuses.values()).count("pending_payment") == 1
    )
    held = db.session.scalars(
        sa.select(StockReservation.quantity).where(StockReservation.status == "active")
    ).all()
    assert held == [2]
