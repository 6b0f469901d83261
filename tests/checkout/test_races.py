"""Races on PostgreSQL with threads: the last units, double submits, double payments."""

import threading

import pytest
import sqlalchemy as sa
import stripe

from shop.catalog.models import StockReservation, Variant
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.checkout.conftest import ADDRESS, CONTACT, count
from tests.conftest import csrf_token, post_form
from tests.stripe_peer import SECRET_KEY

pytestmark = pytest.mark.postgres


def run_together(functions):
    """Start every function at the same moment in its own thread; return their results."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(i, fn):
        barrier.wait()
        results[i] = fn()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def ready_buyer(app, variant_id):
    """A visitor with one unit in the cart, at the review step."""
    c = app.test_client()
    post_form(c, "/cart/add", {"variant_id": variant_id, "quantity": 1})
    post_form(c, "/checkout/contact", CONTACT)
    post_form(c, "/checkout/address", ADDRESS)
    post_form(c, "/checkout/delivery", {})
    return c, csrf_token(c)


def place_with(c, token):
    return lambda: c.post(
        "/checkout/review",
        data={
            "payment_method": "card",
            "accept_terms": "y",
            "csrf_token": token,
        },
    )


def test_twenty_buyers_for_three_units_make_three_orders(app, db, piano, stripe_peer):
    variant_id = piano.variants[0].id
    buyers = [ready_buyer(app, variant_id) for _ in range(20)]
    results = run_together([place_with(c, t) for c, t in buyers])
    to_pay = [
        (c, r.headers["Location"])
        for (c, _), r in zip(buyers, results, strict=True)
        if "/checkout/pay/" in r.headers.get("Location", "")
    ]
    refused = [
        c
        for (c, _), r in zip(buyers, results, strict=True)
        if r.headers.get("Location", "").endswith("/cart/")
    ]
    assert len(to_pay) == 3 and len(refused) == 17
    assert count(db, Order) == 3
    # The ones who lost keep their cart and are told why.
    cart_page = refused[0].get("/cart/").get_data(as_text=True)
    assert "no longer available" in cart_page and "Concert Grand" in cart_page

    def pay(c, path):
        def _pay():
            token = csrf_token(c)
            c.post(path + "/setup", json={}, headers={"X-CSRFToken": token})
            method = stripe_peer.card("4242424242424242")
            return c.post(
                path + "/card", json={"payment_method": method}, headers={"X-CSRFToken": token}
            )

        return _pay

    paid = run_together([pay(c, path) for c, path in to_pay])
    assert all("placed=1" in r.get_json()["redirect"] for r in paid)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Variant.stock_on_hand).where(Variant.id == variant_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Order.status == "placed")) == 3


def test_a_double_submit_gives_one_order_and_one_payment_intent(app, db, piano, stripe_peer):
    c, token = ready_buyer(app, piano.variants[0].id)
    first, second = run_together([place_with(c, token), place_with(c, token)])
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Order) == 1 and count(db, Payment) == 1
    assert count(db, StockReservation) == 1
    path = first.headers["Location"]
    c.post(path + "/setup", json={}, headers={"X-CSRFToken": token})
    methods = [stripe_peer.card("4242424242424242") for _ in range(2)]
    results = run_together(
        [
            (
                lambda m=m: c.post(
                    path + "/card", json={"payment_method": m}, headers={"X-CSRFToken": token}
                )
            )
            for m in methods
        ]
    )
    assert all(r.status_code == 200 for r in results)
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_peer.url})
    intents = client.v1.payment_intents.list({"limit": 100}).data
    assert len(intents) == 1 and intents[0].status == "requires_capture"
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "placed"
