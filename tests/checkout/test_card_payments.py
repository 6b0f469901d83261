"""Card payments through the real Stripe SDK against localstripe: authorize, 3-D Secure, decline,
retry, and the guarantees around them (one order, one live PaymentIntent, stock exact)."""

import pytest
import sqlalchemy as sa

from shop.catalog.models import StockReservation, Variant
from shop.notifications.models import OutboxMessage
from shop.orders.models import Order, OrderEvent
from shop.payments.models import Payment
from tests.checkout.conftest import count, place
from tests.conftest import csrf_token

VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED_AT_PAYMENT = "4000000000000341"


def pay_json(client, url, body=None):
    token = csrf_token(client)
    return client.post(url, json=body or {}, headers={"X-CSRFToken": token})


@pytest.fixture
def card_order(client, piano, checkout_to_review):
    """A placed card order waiting for payment; returns the pay page's path."""
    checkout_to_review(piano.variants[0].id, quantity=1, delivery="white_glove")
    location = place(client).headers["Location"]
    assert "/checkout/pay/" in location
    return location


def pay(client, stripe_peer, pay_path, number):
    setup = pay_json(client, pay_path + "/setup")
    assert setup.status_code == 200, setup.get_json()
    assert setup.get_json()["client_secret"].startswith("seti_")
    return pay_json(client, pay_path + "/card", {"payment_method": stripe_peer.card(number)})


def test_pay_page_loads_stripe_js_from_the_configured_address(client, card_order, stripe_peer):
    page = client.get(card_order)
    assert page.status_code == 200
    assert f'<script src="{stripe_peer.url}/js.stripe.com/v3/"></script>' in page.get_data(True)
    csp = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_peer.url}" in csp
    order_total = "$46,540.50"  # $42,500 + $1,200 white glove + 6.5% WA tax
    assert f"Pay {order_total}" in page.get_data(as_text=True)


def test_a_card_authorization_places_the_order(client, card_order, stripe_peer, db, piano):
    r = pay(client, stripe_peer, card_order, VISA)
    assert r.status_code == 200 and "placed=1" in r.get_json()["redirect"]
    order = db.session.scalar(sa.select(Order))
    payment = db.session.scalar(sa.select(Payment))
    assert order.status == "placed" and order.placed_at is not None
    assert payment.status == "authorized" and payment.capture_method == "manual"
    assert payment.amount_capturable_cents == order.total_cents == order.authorized_cents
    assert order.paid_cents == 0  # authorized now, captured later by staff
    # The unit left the stock exactly once, and the hold is closed.
    stock = db.session.scalar(
        sa.select(Variant.stock_on_hand).where(Variant.id == piano.variants[0].id)
    )
    assert stock == 2
    assert db.session.scalar(sa.select(StockReservation.status)) == "converted"
    # The cart let go of the item; the confirmation is queued (and sent) once.
    assert "Your cart is empty" in client.get("/cart/").get_data(as_text=True)
    keys = db.session.scalars(sa.select(OutboxMessage.dedupe_key)).all()
    assert keys == [f"order-confirmation:{order.number}"]
    page = client.get(r.get_json()["redirect"]).get_data(as_text=True)
    assert "Thank you, Ada." in page and "authorized" in page


def test_paying_twice_charges_once(client, card_order, stripe_peer, db):
    pay(client, stripe_peer, card_order, VISA)
    first = db.session.scalar(sa.select(Payment))
    intent, attempts = first.stripe_payment_intent_id, first.attempts
    again = pay_json(client, card_order + "/card", {"payment_method": stripe_peer.card(VISA)})
    assert "redirect" in again.get_json()
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert (payment.stripe_payment_intent_id, payment.attempts) == (intent, attempts)
    assert count(db, Order) == 1


def test_immediate_capture_is_a_setting(app, client, card_order, stripe_peer, db):
    payment = db.session.scalar(sa.select(Payment))
    payment.capture_method = "automatic"
    db.session.commit()
    pay(client, stripe_peer, card_order, VISA)
    order = db.session.scalar(sa.select(Order))
    assert db.session.scalar(sa.select(Payment.status)) == "succeeded"
    assert order.status == "paid" and order.paid_cents == order.total_cents


def test_three_d_secure_then_success(client, card_order, stripe_peer, db):
    r = pay(client, stripe_peer, card_order, THREE_D_SECURE)
    body = r.get_json()
    assert body["requires_action"] is True and body["client_secret"].startswith("pi_")
    payment = db.session.scalar(sa.select(Payment))
    assert payment.status == "requires_action"
    assert db.session.scalar(sa.select(Order.status)) == "pending_payment"
    # While the bank authenticates, the hold is extended.
    hold = db.session.scalar(sa.select(StockReservation))
    order = db.session.scalar(sa.select(Order))
    assert (hold.expires_at - order.created_at).total_seconds() > 15 * 60
    stripe_peer.authenticate(payment.stripe_payment_intent_id, body["client_secret"])
    done = pay_json(client, card_order + "/complete")
    assert "placed=1" in done.get_json()["redirect"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "placed"


def test_a_tokenized_card_authenticates_once_at_the_payment(client, card_order, stripe_peer, db):
    """What the pay page does: the card is tokenized (no SetupIntent, no authentication), saved
    on the customer, and the PaymentIntent's confirmation is the only 3-D Secure step."""
    r = pay_json(client, card_order + "/card", {"token": stripe_peer.token(THREE_D_SECURE)})
    body = r.get_json()
    assert body["requires_action"] is True
    payment = db.session.scalar(sa.select(Payment))
    assert payment.stripe_setup_intent_id is None and payment.stripe_customer_id
    stripe_peer.authenticate(payment.stripe_payment_intent_id, body["client_secret"])
    done = pay_json(client, card_order + "/complete")
    assert "placed=1" in done.get_json()["redirect"]
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert payment.status == "authorized" and payment.attempts == 1


def test_a_tokenized_card_refused_when_saved_keeps_the_hold(client, card_order, stripe_peer, db):
    r = pay_json(client, card_order + "/card", {"token": stripe_peer.token("4000000000000002")})
    assert r.status_code == 402 and r.get_json()["error"] == "Your card was declined."
    payment = db.session.scalar(sa.select(Payment))
    assert payment.status == "requires_payment_method" and payment.attempts == 0
    assert db.session.scalar(sa.select(StockReservation.status)) == "active"
    kinds = db.session.scalars(sa.select(OrderEvent.kind)).all()
    assert "payment_declined" in kinds
    # A token that is not one is refused before Stripe is asked.
    assert pay_json(client, card_order + "/card", {"token": "pm_x"}).status_code == 400
    r = pay_json(client, card_order + "/card", {"token": stripe_peer.token(VISA)})
    assert "placed=1" in r.get_json()["redirect"]


def test_failed_three_d_secure_lets_the_buyer_try_again(client, card_order, stripe_peer, db):
    body = pay(client, stripe_peer, card_order, THREE_D_SECURE).get_json()
    payment = db.session.scalar(sa.select(Payment))
    stripe_peer.authenticate(payment.stripe_payment_intent_id, body["client_secret"], False)
    failed = pay_json(client, card_order + "/complete")
    assert failed.status_code == 402
    r = pay(client, stripe_peer, card_order, VISA)
    assert "placed=1" in r.get_json()["redirect"]


def test_a_decline_shows_the_banks_message_then_another_card_works(
    client, card_order, stripe_peer, db
):
    r = pay(client, stripe_peer, card_order, DECLINED_AT_PAYMENT)
    assert r.status_code == 402 and r.get_json()["error"] == "Your card was declined."
    assert db.session.scalar(sa.select(Order.status)) == "pending_payment"
    assert db.session.scalar(sa.select(StockReservation.status)) == "active"
    first_intent = db.session.scalar(sa.select(Payment.stripe_payment_intent_id))
    r = pay(client, stripe_peer, card_order, VISA)
    assert "placed=1" in r.get_json()["redirect"]
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert payment.status == "authorized"
    assert payment.stripe_payment_intent_id != first_intent  # the declined one was cancelled
    kinds = db.session.scalars(sa.select(OrderEvent.kind).order_by(OrderEvent.id)).all()
    assert "payment_declined" in kinds and kinds[-1] == "placed"
    assert count(db, Order) == 1


def test_stripe_unreachable_leaves_the_order_waiting_and_a_retry_converges(
    app, client, card_order, stripe_peer, db
):
    good = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    r = pay_json(client, card_order + "/setup")
    assert r.status_code == 503 and "Nothing was charged" in r.get_json()["error"]
    assert db.session.scalar(sa.select(Order.status)) == "pending_payment"
    app.config["STRIPE_API_BASE"] = good
    r = pay(client, stripe_peer, card_order, VISA)
    assert "placed=1" in r.get_json()["redirect"]
    assert count(db, Order) == 1 and count(db, Payment) == 1


def test_units_gone_before_paying_cancels_and_keeps_the_cart(
    client, app, card_order, stripe_peer, db, piano
):
    # The hold lapses and someone else buys every unit meanwhile.
    db.session.execute(sa.update(StockReservation).values(expires_at=StockReservation.created_at))
    db.session.execute(
        sa.update(Variant).where(Variant.id == piano.variants[0].id).values(stock_on_hand=0)
    )
    db.session.commit()
    r = pay_json(client, card_order + "/setup")
    assert r.status_code == 409 and "no longer available" in r.get_json()["error"]
    assert db.session.scalar(sa.select(Order.status)) == "cancelled"
    assert db.session.scalar(sa.select(Payment.status)) == "canceled"
    assert "Concert Grand" in client.get("/cart/").get_data(as_text=True)


def test_units_gone_after_authorization_voids_the_authorization(
    client, card_order, stripe_peer, db, piano
):
    from shop.catalog import stock as stock_service
    from shop.orders.services import holder

    order = db.session.scalar(sa.select(Order))
    pay_json(client, card_order + "/setup")
    # Between our hold check and the bank's answer the hold lapses and the stock is sold.
    original = stock_service.convert

    def sold_meanwhile(h, items):
        session = stock_service.db.session
        session.execute(
            sa.update(Variant).where(Variant.id == piano.variants[0].id).values(stock_on_hand=0)
        )
        session.execute(
            sa.update(StockReservation)
            .where(StockReservation.holder == holder(order))
            .values(status="released")
        )
        return original(h, items)

    stock_service.convert = sold_meanwhile
    try:
        r = pay_json(client, card_order + "/card", {"payment_method": stripe_peer.card(VISA)})
    finally:
        stock_service.convert = original
    assert r.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.status)) == "cancelled"
    assert db.session.scalar(sa.select(Payment.status)) == "canceled"  # voided, not charged


def test_a_guest_cannot_pay_someone_elses_order_with_a_forged_link(client, card_order):
    forged = card_order.rsplit("/", 1)[0] + "/InXXX.forged"
    assert client.get(forged).status_code == 404
    assert pay_json(client, forged + "/setup").status_code == 404


def test_the_webhook_arriving_before_the_redirect_changes_nothing_twice(
    client, card_order, stripe_peer, db, mailbox
):
    import json
    import time

    import stripe as stripe_sdk

    from tests.stripe_peer import WEBHOOK_SECRET

    body = pay(client, stripe_peer, card_order, THREE_D_SECURE).get_json()
    payment = db.session.scalar(sa.select(Payment))
    stripe_peer.authenticate(payment.stripe_payment_intent_id, body["client_secret"])
    order = db.session.scalar(sa.select(Order))
    event = json.dumps(
        {
            "id": "evt_before_redirect",
            "object": "event",
            "created": int(time.time()),
            "type": "payment_intent.amount_capturable_updated",
            "data": {
                "object": {
                    "id": payment.stripe_payment_intent_id,
                    "object": "payment_intent",
                    "status": "requires_capture",
                    "amount": order.total_cents,
                    "currency": "usd",
                    "metadata": {"reference": f"order:{order.id}"},
                }
            },
        }
    )
    signature = stripe_sdk.WebhookSignature.generate_signature_header(event, WEBHOOK_SECRET)
    hook = client.post(
        "/stripe/webhook",
        data=event,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert hook.status_code == 200
    done = pay_json(client, card_order + "/complete")  # the buyer's page catches up
    assert "placed=1" in done.get_json()["redirect"]
    placed = db.session.scalar(sa.select(sa.func.count()).where(OrderEvent.kind == "placed"))
    assert placed == 1
    confirmations = [m for m in mailbox if f"Order {order.number} placed" in m["Subject"]]
    assert len(confirmations) == 1
    text = confirmations[0].get_body(("plain",)).get_content()
    assert order.number in text and "http://shop.test/orders/view/" in text


def test_a_logged_in_buyer_finds_their_details_filled_in(client, piano, make_user, login):
    from tests.conftest import post_form

    login(make_user(email="grace@example.com", name="Grace Hopper"))
    post_form(client, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 1})
    page = client.get("/checkout/contact").get_data(as_text=True)
    assert 'value="grace@example.com"' in page and 'value="Grace Hopper"' in page


@pytest.mark.parametrize(("cents", "ok"), [(99_999_999, True), (100_000_000, False), (0, False)])
def test_the_single_payment_limit(app, cents, ok):
    from shop.errors import DomainError
    from shop.payments.services import check_amount

    if ok:
        check_amount(cents)
    else:
        with pytest.raises(DomainError):
            check_amount(cents)


def test_capture_in_full_once_even_when_asked_twice(client, card_order, stripe_peer, db):
    from shop.payments import services as payments

    pay(client, stripe_peer, card_order, VISA)
    payment = db.session.scalar(sa.select(Payment))
    payments.capture(payment.id)
    payments.capture(payment.id)  # a second click finds it captured
    db.session.commit()
    order = db.session.scalar(sa.select(Order))
    assert payment.status == "succeeded" and payment.amount_received_cents == order.total_cents
    assert order.paid_cents == order.total_cents and order.authorized_cents == 0


def test_a_partial_capture_and_the_limit(client, card_order, stripe_peer, db):
    from shop.errors import DomainError
    from shop.payments import services as payments

    pay(client, stripe_peer, card_order, VISA)
    payment = db.session.scalar(sa.select(Payment))
    with pytest.raises(DomainError, match="At most"):
        payments.capture(payment.id, payment.amount_cents + 1)
    with pytest.raises(DomainError):
        payments.capture(payment.id, 0)
    payments.capture(payment.id, 10_000_00)
    db.session.commit()
    assert payment.amount_received_cents == 10_000_00


def test_cancelling_an_authorization_voids_it(client, card_order, stripe_peer, db):
    from shop.payments import services as payments

    pay(client, stripe_peer, card_order, VISA)
    payment = db.session.scalar(sa.select(Payment))
    payments.cancel(payment.id, "Buyer changed their mind before confirmation.")
    db.session.commit()
    assert payment.status == "canceled" and payment.amount_capturable_cents == 0
