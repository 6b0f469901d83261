"""Store credit at checkout: the server works out how much it pays, the card or transfer pays the
rest, an order credit pays in full needs no Stripe call, a double submit spends once, a
cancelled order gives the credit back, and two orders at once cannot spend it twice."""

import pytest
import sqlalchemy as sa
import stripe

from shop.catalog.models import Variant
from shop.checkout import services as checkout
from shop.checkout.models import Checkout
from shop.credit import services as credit
from shop.credit.models import CreditAccount, StoreCredit
from shop.db import utcnow
from shop.errors import DomainError
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order
from shop.orders.services import Acceptance
from shop.payments import services as payments
from shop.payments.models import Payment
from tests.checkout.conftest import ADDRESS, CONTACT, count
from tests.checkout.test_card_payments import VISA, pay
from tests.checkout.test_races import run_together as run_threads
from tests.conftest import csrf_token, post_form
from tests.races import run_together
from tests.stripe_peer import SECRET_KEY

TOTAL = 46_540_50  # $42,500 piano + $1,200 white glove + 6.5% WA tax


@pytest.fixture
def buyer_with_credit(make_user, login, db):
    """A signed-in buyer holding some store credit (as a settled return would give)."""

    def _make(cents: int):
        buyer = make_user(email="ada@example.com", name="Ada Lovelace")
        credit.grant(buyer.id, buyer.email, cents, "Return T-TEST (order HH-TEST)")
        db.session.commit()
        login(buyer)
        return buyer

    return _make


def place_using_credit(client, method: str = "card"):
    data = {"payment_method": method, "accept_terms": "y", "use_credit": "y"}
    return post_form(client, "/checkout/review", data)


def spends(db) -> list[StoreCredit]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(StoreCredit).where(StoreCredit.kind == "spend").order_by(StoreCredit.id)
    ).all()


def intents(stripe_peer):
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_peer.url})
    return client.v1.payment_intents.list({"limit": 100}).data


def test_the_buyer_spends_credit_and_the_card_pays_only_the_rest(
    client, db, piano, checkout_to_review, buyer_with_credit, stripe_peer
):
    buyer = buyer_with_credit(10_000_00)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    review = client.get("/checkout/review").get_data(as_text=True)
    assert 'data-testid="review-credit"' in review and "$10,000.00" in review
    assert "$36,540.50" in review  # to pay with the credit
    # What the browser says about amounts is never read: the server decides what credit pays.
    r = post_form(
        client,
        "/checkout/review",
        {"payment_method": "card", "accept_terms": "y", "use_credit": "y", "credit": "4600000"},
    )
    assert "/checkout/pay/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    assert order.total_cents == TOTAL and order.credit_cents == 10_000_00
    assert payment.amount_cents == TOTAL - 10_000_00 == order.due_cents
    [spent] = spends(db)
    assert spent.order_id == order.id and spent.amount_cents == -10_000_00
    assert spent.balance_after_cents == 0 and credit.balance(buyer.id) == 0
    assert "$36,540.50" in client.get(r.headers["Location"]).get_data(as_text=True)
    # The card is authorized for the rest only.
    assert pay(client, stripe_peer, r.headers["Location"], VISA).status_code == 200
    [intent] = intents(stripe_peer)
    assert intent.amount == TOTAL - 10_000_00
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "placed"
    # Once the card money is captured, the order is paid in full: card plus credit.
    payments.capture(payment.id)
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "paid" and order.received_cents == TOTAL
    assert order.outstanding_cents == 0


def test_credit_that_pays_the_whole_order_needs_no_card_and_no_stripe(
    client, db, piano, checkout_to_review, buyer_with_credit, stripe_peer
):
    buyer = buyer_with_credit(50_000_00)
    variant_id = piano.variants[0].id
    checkout_to_review(variant_id, delivery="white_glove")
    assert "nothing more to pay" in client.get("/checkout/review").get_data(as_text=True)
    r = place_using_credit(client)
    assert "/orders/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order))
    assert order.status == "paid" and order.payment_state == "paid"
    assert order.credit_cents == order.total_cents == TOTAL
    assert count(db, Payment) == 0 and intents(stripe_peer) == []
    db.session.expire_all()
    assert db.session.get(Variant, variant_id).stock_on_hand == 2  # sold once
    assert credit.balance(buyer.id) == 50_000_00 - TOTAL
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="paid-with-credit"' in page and "$46,540.50" in page
    assert "paid in full with your store credit" in page
    mail = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("order-confirmation"))
    )
    assert "paid in full with your store credit ($46,540.50)" in mail.body_text
    assert "authorized" not in mail.body_text
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)


def test_without_the_box_no_credit_is_spent(
    client, db, piano, checkout_to_review, buyer_with_credit
):
    buyer = buyer_with_credit(10_000_00)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    post_form(client, "/checkout/review", {"payment_method": "card", "accept_terms": "y"})
    order = db.session.scalar(sa.select(Order))
    assert order.credit_cents == 0 and spends(db) == []
    assert credit.balance(buyer.id) == 10_000_00


def test_a_double_submit_spends_the_credit_once(
    client, db, piano, checkout_to_review, buyer_with_credit
):
    buyer = buyer_with_credit(10_000_00)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    first = place_using_credit(client)
    second = place_using_credit(client)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Order) == 1 and count(db, Payment) == 1
    [spent] = spends(db)
    assert spent.amount_cents == -10_000_00 and credit.balance(buyer.id) == 0
    # Placing the same checkout again (a retried request) is the same order, the same spend.
    checkout_id = db.session.scalar(sa.select(Checkout.id))
    again = checkout.place_order(
        checkout_id,
        user_id=buyer.id,
        payment_method="card",
        acceptance=Acceptance("t", utcnow(), "", ""),
        use_credit=True,
    )
    db.session.commit()
    assert again.id == spent.order_id and len(spends(db)) == 1


def test_a_cancelled_order_gives_the_credit_back_once(
    client, db, piano, checkout_to_review, buyer_with_credit
):
    buyer = buyer_with_credit(10_000_00)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    place_using_credit(client)
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    payments.cancel(payment.id, "The buyer walked away.")
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == "cancelled" and order.credit_cents == 0
    assert credit.balance(buyer.id) == 10_000_00
    kinds = db.session.scalars(sa.select(StoreCredit.kind).order_by(StoreCredit.id)).all()
    assert kinds == ["grant", "spend", "restore"]
    assert credit.restore(order.id, "again") is None  # never twice
    db.session.commit()
    assert credit.balance(buyer.id) == 10_000_00
    history = client.get("/account/credit").get_data(as_text=True)
    assert "Given back" in history and "$10,000.00" in history


def test_the_ledger_refuses_a_negative_balance_and_a_second_spend(db, make_user):
    buyer = make_user()
    credit.grant(buyer.id, buyer.email, 100_00, "Return")
    db.session.commit()
    with pytest.raises(DomainError, match="not enough store credit"):
        credit.spend(buyer.id, 1, 100_01, buyer.email, "Too much")
    db.session.rollback()
    account = db.session.get(CreditAccount, buyer.id)
    account.balance_cents = -1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def visitor_at_review(app, variant_id):
    c = app.test_client()
    post_form(c, "/cart/add", {"variant_id": variant_id, "quantity": 1})
    post_form(c, "/checkout/contact", CONTACT)
    post_form(c, "/checkout/address", ADDRESS)
    post_form(c, "/checkout/delivery", {})
    return c


@pytest.mark.postgres
def test_two_orders_at_once_cannot_spend_the_same_credit_twice(app, db, piano, make_user):
    buyer = make_user()
    credit.grant(buyer.id, buyer.email, 10_000_00, "Return")
    db.session.commit()
    for _ in range(2):
        visitor_at_review(app, piano.variants[0].id)
    checkout_ids = db.session.scalars(sa.select(Checkout.id).order_by(Checkout.id)).all()
    assert len(checkout_ids) == 2

    def placing(checkout_id):
        def _place():
            order = checkout.place_order(
                checkout_id,
                user_id=buyer.id,
                payment_method="card",
                acceptance=Acceptance("t", utcnow(), "", ""),
                use_credit=True,
            )
            return order.credit_cents

        return _place

    results = run_together(app, [placing(i) for i in checkout_ids])
    assert sorted(results) == [0, 10_000_00]
    db.session.expire_all()
    assert credit.balance(buyer.id) == 0
    [spent] = spends(db)
    assert spent.amount_cents == -10_000_00
    credited = db.session.scalars(sa.select(Order.credit_cents)).all()
    assert sorted(credited) == [0, 10_000_00]


def test_a_transfer_is_asked_only_for_what_the_credit_does_not_pay(
    client, db, piano, checkout_to_review, buyer_with_credit
):
    buyer_with_credit(6_540_50)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    r = place_using_credit(client, "bank_transfer")
    assert "/orders/" in r.headers["Location"]
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    assert order.status == "awaiting_funds" and order.credit_cents == 6_540_50
    assert payment.method == "bank_transfer" and payment.amount_cents == 40_000_00
    mail = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("order-bank-details"))
    )
    assert "Please transfer $40,000.00" in mail.body_text
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Please transfer $40,000.00" in page


@pytest.mark.postgres
def test_a_double_submit_at_the_same_moment_spends_once(
    client, db, piano, checkout_to_review, buyer_with_credit
):
    buyer = buyer_with_credit(10_000_00)
    checkout_to_review(piano.variants[0].id, delivery="white_glove")
    token = csrf_token(client)
    data = {
        "payment_method": "card",
        "accept_terms": "y",
        "use_credit": "y",
        "csrf_token": token,
    }
    first, second = run_threads(
        [lambda: client.post("/checkout/review", data=data) for _ in range(2)]
    )
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, Order) == 1 and count(db, Payment) == 1
    [spent] = spends(db)
    assert spent.amount_cents == -10_000_00 and credit.balance(buyer.id) == 0
