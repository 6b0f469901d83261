"""After a decline the buyer may pay the same order by bank transfer: the order and its hold are
kept, the declined PaymentIntent can never charge, and the switch happens once."""

import json
import re

import pytest
import sqlalchemy as sa

from shop.catalog.models import StockReservation
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.checkout.conftest import count, place
from tests.checkout.test_card_payments import (
    DECLINED_AT_PAYMENT,
    VISA,
    pay,
)
from tests.conftest import post_form


@pytest.fixture
def card_order(client, piano, checkout_to_review):
    """A placed card order waiting for payment; returns the pay page's path."""
    checkout_to_review(piano.variants[0].id, quantity=1, delivery="white_glove")
    return place(client).headers["Location"]


def other_ways_tag(page: str) -> str:
    match = re.search(r'<section id="other-ways"[^>]*>', page)
    assert match, "no other ways to pay on the page"
    return match.group(0)


def intent_status(stripe_peer, intent_id):
    return json.loads(stripe_peer._request("GET", f"/v1/payment_intents/{intent_id}"))["status"]


def test_a_declined_card_order_switches_to_a_bank_transfer(client, card_order, stripe_peer, db):
    assert "hidden" in other_ways_tag(client.get(card_order).get_data(as_text=True))
    assert pay(client, stripe_peer, card_order, DECLINED_AT_PAYMENT).status_code == 402
    # Coming back to the pay page after the decline, the other ways are shown at once.
    assert "hidden" not in other_ways_tag(client.get(card_order).get_data(as_text=True))
    card_hold = db.session.scalar(sa.select(StockReservation.expires_at))
    declined_intent = db.session.scalar(sa.select(Payment.stripe_payment_intent_id))
    r = post_form(client, card_order + "/bank-transfer", {})
    assert r.status_code == 303 and "placed=1" in r.headers["Location"]
    db.session.expire_all()
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    assert order.status == "awaiting_funds" and order.payment_method == "bank_transfer"
    assert payment.method == "bank_transfer" and payment.status == "awaiting_funds"
    assert payment.bank_reference and payment.amount_cents == order.total_cents
    assert payment.stripe_payment_intent_id is None
    assert intent_status(stripe_peer, declined_intent) == "canceled"
    hold = db.session.scalar(sa.select(StockReservation))
    assert hold.status == "active" and hold.expires_at > card_hold
    assert order.funds_due_at is not None
    keys = db.session.scalars(sa.select(OutboxMessage.dedupe_key)).all()
    assert keys == [f"order-bank-details:{order.number}"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert payment.bank_reference in page
    # A second click finds nothing left to switch: one payment, one reference.
    again = post_form(client, card_order + "/bank-transfer", {})
    assert again.status_code == 303
    assert count(db, Payment) == 1 and count(db, Order) == 1


def test_a_card_that_went_through_is_not_switched(client, card_order, stripe_peer, db):
    pay(client, stripe_peer, card_order, VISA)
    r = post_form(client, card_order + "/bank-transfer", {})
    assert r.status_code == 303
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert payment.method == "card" and payment.status == "authorized"
    assert db.session.scalar(sa.select(Order.status)) == "placed"


def test_the_switch_needs_the_pages_csrf_token(client, card_order, db):
    assert client.post(card_order + "/bank-transfer").status_code == 400
    assert db.session.scalar(sa.select(Order.payment_method)) == "card"
