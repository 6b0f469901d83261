"""Staff operations run against a real Stripe peer (localstripe) with orders placed the way
buyers place them: through the checkout, paid by card or chosen for bank transfer."""

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.checkout.conftest import (  # noqa: F401  (fixtures used here)
    ADDRESS,
    CONTACT,
    app_config,
    checkout_to_review,
    piano,
    place,
)
from tests.conftest import csrf_token

VISA = "4242424242424242"


def pay_json(client, url, body=None):
    return client.post(url, json=body or {}, headers={"X-CSRFToken": csrf_token(client)})


@pytest.fixture
def place_card_order(client, piano, checkout_to_review, stripe_peer, db):  # noqa: F811
    """Place and authorize a card order as a guest buyer would; returns the Order."""

    def _place(quantity: int = 1, delivery: str = "white_glove", c=None) -> Order:
        c = c or client
        checkout_to_review(piano.variants[0].id, quantity=quantity, delivery=delivery, c=c)
        pay_path = place(c).headers["Location"]
        assert pay_json(c, pay_path + "/setup").status_code == 200
        r = pay_json(c, pay_path + "/card", {"payment_method": stripe_peer.card(VISA)})
        assert r.status_code == 200, r.get_json()
        order = db.session.scalar(sa.select(Order).order_by(Order.id.desc()))
        db.session.refresh(order)
        assert order.status == "placed" and order.authorized_cents == order.total_cents
        return order

    return _place


@pytest.fixture
def card_order(place_card_order):
    """A $46,540.50 piano order ($42,500 + $1,200 white glove + WA tax), authorized in full."""
    return place_card_order()


@pytest.fixture
def transfer_order(client, piano, checkout_to_review, db):  # noqa: F811
    """A piano order placed for bank transfer: waiting for funds, units held."""
    checkout_to_review(piano.variants[0].id, quantity=1, delivery="white_glove")
    assert place(client, method="bank_transfer").status_code == 303
    order = db.session.scalar(sa.select(Order).order_by(Order.id.desc()))
    assert order.status == "awaiting_funds"
    return order


def payment_of(db, order: Order) -> Payment:
    return db.session.scalar(
        sa.select(Payment).where(Payment.reference == f"order:{order.id}").order_by(Payment.id)
    )


@pytest.fixture
def staff(make_user):
    """One of each staff role, and a second manager for four-eyes approvals."""
    return {
        "rep": make_user(Role.REP, email="rep@example.com", name="Rita Rep"),
        "support": make_user(Role.SUPPORT, email="support@example.com", name="Sam Support"),
        "manager": make_user(Role.MANAGER, email="boss@example.com", name="Mona Manager"),
        "manager2": make_user(Role.MANAGER, email="boss2@example.com", name="Max Manager"),
        "buyer": make_user(Role.BUYER, email="someone@example.com", name="Bea Buyer"),
    }
