"""Mass assignment: fields a buyer was never offered (prices, discounts, statuses, owners,
roles) are ignored wherever a buyer posts; the stored values are the server's."""

import pytest
import sqlalchemy as sa

from shop.auth.models import User
from shop.auth.roles import Role
from shop.orders.models import Order, OrderLine
from shop.quotes import services as quotes
from shop.quotes.models import Quote, QuoteMessage
from shop.support.models import ProductQuestion, Ticket
from tests.checkout.conftest import (  # noqa: F401  (fixtures)
    ADDRESS,
    CONTACT,
    app_config,
    place,
)
from tests.conftest import csrf_token, post_form, sign_up
from tests.quotes.conftest import terms

PIANO_ORDER_CENTS = 46_540_50  # $42,500 + $1,200 white glove + WA tax, as the server counts


def extras(other_id: int) -> dict:
    """Everything an attacker would like the server to take."""
    return {
        "price": "1",
        "price_cents": "1",
        "unit_price_cents": "1",
        "total_cents": "1",
        "subtotal_cents": "1",
        "tax_cents": "0",
        "delivery_cents": "0",
        "discount_cents": "4654050",
        "amount": "1",
        "amount_cents": "1",
        "paid_cents": "4654050",
        "status": "paid",
        "payment_state": "paid",
        "user_id": str(other_id),
        "buyer_id": str(other_id),
        "author_id": str(other_id),
        "owner": str(other_id),
        "rep_id": str(other_id),
        "assignee_id": str(other_id),
        "role": "manager",
        "is_staff": "1",
        "priority": "urgent",
        "queue": "managers",
    }


@pytest.fixture
def other(make_user):
    return make_user(Role.MANAGER, email="victim@example.com", name="Vic Manager")


def test_registration_takes_no_role(client, db, other):
    data = {"name": "Eve", "email": "eve@example.com", "password": "p" * 12, "confirm": "p" * 12}
    assert sign_up(client, data | extras(other.id)).status_code == 302
    eve = db.session.scalar(sa.select(User).where(User.email == "eve@example.com"))
    assert eve.role == Role.BUYER and not eve.is_staff


def test_cart_and_checkout_take_no_prices_statuses_or_owners(
    client, db, login, piano, other, make_user
):
    buyer = make_user(Role.BUYER, email="bo.buyer@example.com", name="Bo Buyer")
    login(buyer)
    bad = extras(other.id)
    variant_id = piano.variants[0].id
    post_form(client, "/cart/add", {"variant_id": variant_id, "quantity": 1} | bad)
    cart = client.get("/cart/").get_data(as_text=True)
    assert "$42,500.00" in cart
    assert post_form(client, "/checkout/contact", CONTACT | bad).status_code == 303
    assert post_form(client, "/checkout/address", ADDRESS | bad).status_code == 303
    delivery = {f"delivery-{variant_id}": "white_glove"} | bad
    assert post_form(client, "/checkout/delivery", delivery).status_code == 303
    data = {"payment_method": "bank_transfer", "accept_terms": "y"} | bad
    assert post_form(client, "/checkout/review", data).status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert order.total_cents == PIANO_ORDER_CENTS
    assert order.status == "awaiting_funds" and order.paid_cents == 0
    assert order.user_id == buyer.id and order.rep_id is None
    lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)).all()
    assert sum(line.unit_price_cents * line.quantity for line in lines) == 42_500_00


def test_the_pay_endpoints_take_no_amount(client, db, piano, stripe_peer, other):
    variant_id = piano.variants[0].id
    post_form(client, "/cart/add", {"variant_id": variant_id, "quantity": 1})
    assert post_form(client, "/checkout/contact", CONTACT).status_code == 303
    assert post_form(client, "/checkout/address", ADDRESS).status_code == 303
    delivery = {f"delivery-{variant_id}": "white_glove"}
    assert post_form(client, "/checkout/delivery", delivery).status_code == 303
    pay_path = place(client).headers["Location"]
    headers = {"X-CSRFToken": csrf_token(client)}
    bad = extras(other.id) | {"amount": 100, "amount_cents": 100, "currency": "eur"}
    assert client.post(pay_path + "/setup", json=bad, headers=headers).status_code == 200
    body = bad | {"payment_method": stripe_peer.card("4242424242424242")}
    assert client.post(pay_path + "/card", json=body, headers=headers).status_code == 200
    order = db.session.scalar(sa.select(Order))
    assert order.total_cents == order.authorized_cents == PIANO_ORDER_CENTS
    assert order.user_id is None and order.status == "placed"


def test_quote_messages_tickets_and_questions_take_nothing_extra(
    client, db, login, team, variant, other, piano
):
    buyer = team["buyer"]
    quote = quotes.create_quote(team["maya"], buyer_id=buyer.id)
    quotes.save_version(quote.id, team["maya"], terms(variant.id, 1))
    quotes.send(quote.id, team["maya"])
    db.session.commit()
    token = quotes.quote_link_token(quote)
    login(buyer)
    bad = extras(other.id)
    r = post_form(client, f"/quotes/v/{token}/message", {"body": "Could you do better?"} | bad)
    assert r.status_code == 303
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert quote.status in ("sent", "changes_requested")  # a message asks for changes
    assert quote.buyer_id == buyer.id
    assert quote.rep_id == team["maya"].id
    message = db.session.scalar(sa.select(QuoteMessage).order_by(QuoteMessage.id.desc()))
    assert message.author_id == buyer.id

    ticket_form = {"kind": "question", "subject": "Hello", "message": "A question."} | bad
    assert post_form(client, "/support/new", ticket_form).status_code == 303
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.buyer_id == buyer.id and ticket.status == "new"
    assert ticket.priority == "normal" and ticket.queue != "managers"
    assert ticket.assignee_id != other.id

    ask = {"body": "Is it tuned?", "author_name": "Store Staff"} | bad
    post_form(client, f"/questions/{piano.id}/ask", ask)
    question = db.session.scalar(sa.select(ProductQuestion))
    assert question.author_id == buyer.id and question.author_name != "Store Staff"
    assert question.status == "published"
