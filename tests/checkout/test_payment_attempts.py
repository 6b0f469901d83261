"""One PaymentIntent per logical attempt, through the real Stripe SDK against localstripe.

A loopback proxy in front of localstripe keeps the requests the SDK sends and makes chosen ones
time out. localstripe ignores idempotency keys, so what proves that Stripe would make one intent
is that the retry sends the same Idempotency-Key; what proves that nothing is left behind is
that localstripe holds no other intent that is not cancelled.
"""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.db import utcnow
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.checkout.conftest import place
from tests.checkout.test_card_payments import VISA, pay_json
from tests.stripe_peer import RecordingProxy

CREATE = ("POST", "/v1/payment_intents")


@pytest.fixture
def proxy(app, stripe_peer):
    """The app talks to Stripe through the proxy, and gives up on a call after one second."""
    proxy = RecordingProxy(stripe_peer)
    app.config.update(STRIPE_API_BASE=proxy.url, STRIPE_TIMEOUT_SECONDS=1)
    yield proxy
    proxy.close()


@pytest.fixture
def pay_path(client, piano, checkout_to_review):
    checkout_to_review(piano.variants[0].id, quantity=1, delivery="pickup")
    return place(client).headers["Location"]


def enter_card(client, stripe_peer, pay_path, number=VISA):
    """What the pay page does on "Pay": a SetupIntent, the card saved in it, then the card step."""
    assert pay_json(client, pay_path + "/setup").status_code == 200
    method = stripe_peer.card(number)
    return pay_json(client, pay_path + "/card", {"payment_method": method})


def intents_at_stripe(stripe_peer) -> list[dict]:
    listing = stripe_peer._request("GET", "/v1/payment_intents?limit=100")
    return json.loads(listing)["data"]


def live(intents) -> list[dict]:
    return [i for i in intents if i["status"] != "canceled"]


def keys(headers) -> list[str]:
    return [h.get("Idempotency-Key") for h in headers]


def test_a_timed_out_create_is_retried_with_the_same_key(client, stripe_peer, proxy, pay_path, db):
    proxy.stall(*CREATE)
    first = enter_card(client, stripe_peer, pay_path)
    assert first.status_code == 503 and "Nothing was charged" in first.get_json()["error"]
    # The buyer presses Pay again: a new SetupIntent and a newly saved card, the same attempt.
    again = enter_card(client, stripe_peer, pay_path)
    assert "placed=1" in again.get_json()["redirect"]
    sent = keys(proxy.sent(*CREATE))
    assert len(sent) == 2 and sent[0] and sent[0] == sent[1]
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.status, payment.attempts, payment.intent_key) == ("authorized", 1, None)
    intents = intents_at_stripe(stripe_peer)
    assert [i["id"] for i in live(intents)] == [payment.stripe_payment_intent_id]
    assert len(intents) == 1


def test_an_answer_lost_after_stripe_made_the_intent_is_asked_for_again_by_the_same_key(
    client, stripe_peer, proxy, pay_path, db
):
    proxy.stall(*CREATE, forward=True)
    assert enter_card(client, stripe_peer, pay_path).status_code == 503
    again = enter_card(client, stripe_peer, pay_path)
    assert "placed=1" in again.get_json()["redirect"]
    # Real Stripe answers the second request with the intent it made for the first one.
    sent = keys(proxy.sent(*CREATE))
    assert len(sent) == 2 and sent[0] and sent[0] == sent[1]
    assert db.session.scalar(sa.select(Payment.attempts)) == 1


def test_a_timed_out_confirm_is_finished_on_the_same_intent(
    client, stripe_peer, proxy, pay_path, db
):
    # The intent is made and given the card; the confirmation never reaches the bank.
    proxy.stall("POST", "/v1/payment_intents/*/confirm")
    assert enter_card(client, stripe_peer, pay_path).status_code == 503
    again = enter_card(client, stripe_peer, pay_path)
    assert "placed=1" in again.get_json()["redirect"]
    intents = intents_at_stripe(stripe_peer)
    assert len(intents) == 1 and intents[0]["status"] == "requires_capture"
    assert db.session.scalar(sa.select(Payment.attempts)) == 1
    assert len(proxy.sent(*CREATE)) == 1


def test_cancelling_the_order_cancels_the_intent_of_an_unanswered_create(
    app, client, stripe_peer, proxy, pay_path, db
):
    from shop.orders import jobs

    proxy.stall(*CREATE)
    assert enter_card(client, stripe_peer, pay_path).status_code == 503
    payment = db.session.scalar(sa.select(Payment))
    assert payment.stripe_payment_intent_id is None and payment.intent_key
    # Nobody comes back; the unpaid order expires.
    db.session.execute(sa.update(Order).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    assert jobs.expire_unpaid_card_orders() == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "cancelled"
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.status, payment.intent_key) == ("canceled", None)
    # The expiry asked Stripe, by the same key, for the intent the lost request made.
    sent = keys(proxy.sent(*CREATE))
    assert len(sent) == 2 and sent[0] == sent[1]
    intents = intents_at_stripe(stripe_peer)
    assert intents and live(intents) == []


def test_a_new_attempt_after_a_decline_leaves_one_live_intent(client, stripe_peer, proxy, pay_path):
    declined = enter_card(client, stripe_peer, pay_path, "4000000000000341")
    assert declined.status_code == 402
    assert "placed=1" in enter_card(client, stripe_peer, pay_path).get_json()["redirect"]
    intents = intents_at_stripe(stripe_peer)
    assert len(intents) == 2 and len(live(intents)) == 1
    sent = keys(proxy.sent(*CREATE))
    assert len(sent) == 2 and sent[0] != sent[1]  # a new attempt, a new key


def test_the_last_attempts_cancel_event_leaves_an_unanswered_new_attempt_alone(
    client, stripe_peer, proxy, pay_path, db
):
    from tests.checkout.test_webhooks import send

    assert enter_card(client, stripe_peer, pay_path, "4000000000000341").status_code == 402
    declined = db.session.scalar(sa.select(Payment.stripe_payment_intent_id))
    proxy.stall(*CREATE)
    assert enter_card(client, stripe_peer, pay_path).status_code == 503
    # Stripe tells us it cancelled the declined intent (as it was asked to).
    order = db.session.scalar(sa.select(Order))
    gone = {
        "id": declined,
        "object": "payment_intent",
        "status": "canceled",
        "amount": order.total_cents,
        "currency": "usd",
        "metadata": {"reference": f"order:{order.id}"},
    }
    assert send(client, "payment_intent.canceled", gone).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "pending_payment"
    assert "placed=1" in enter_card(client, stripe_peer, pay_path).get_json()["redirect"]
    assert len(live(intents_at_stripe(stripe_peer))) == 1
