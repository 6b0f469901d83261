"""Stripe webhooks: signed on the raw body, recorded by id, handled once, never backwards."""

import json
import time

import pytest
import sqlalchemy as sa
import stripe

from shop.catalog.models import StockReservation
from shop.orders.models import Order, OrderEvent
from shop.payments import webhooks
from shop.payments.models import Payment, WebhookEvent
from tests.checkout.conftest import count, place
from tests.stripe_peer import WEBHOOK_SECRET

INTENT = "pi_webhook_test_1"


@pytest.fixture
def order(client, piano, checkout_to_review, db):
    """A placed card order whose payment has a PaymentIntent at Stripe."""
    checkout_to_review(piano.variants[0].id, delivery="pickup")
    place(client)
    payment = db.session.scalar(sa.select(Payment))
    payment.stripe_payment_intent_id = INTENT
    db.session.commit()
    return db.session.scalar(sa.select(Order))


def intent(order, status, **extra):
    return {
        "id": INTENT,
        "object": "payment_intent",
        "status": status,
        "amount": order.total_cents,
        "currency": "usd",
        "metadata": {"reference": f"order:{order.id}"},
        **extra,
    }


_ids = iter(range(1, 10_000))


def send(
    client, kind, obj, *, event_id=None, secret=WEBHOOK_SECRET, timestamp=None, signature=None
):
    payload = json.dumps(
        {
            "id": event_id or f"evt_{next(_ids)}",
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(
            payload, secret, timestamp=timestamp or int(time.time())
        )
    headers = {"Stripe-Signature": signature} if signature else {}
    return client.post(
        "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
    )


def status(db):
    db.session.expire_all()
    return db.session.scalar(sa.select(Order.status)), db.session.scalar(sa.select(Payment.status))


def test_authorization_by_webhook_places_the_order(client, order, db):
    r = send(client, "payment_intent.amount_capturable_updated", intent(order, "requires_capture"))
    assert r.status_code == 200
    assert status(db) == ("placed", "authorized")
    assert db.session.scalar(sa.select(StockReservation.status)) == "converted"


def test_the_sdk_signature_helper_is_accepted(client, order):
    payload = json.dumps(
        {
            "id": "evt_sdk",
            "object": "event",
            "type": "payment_intent.created",
            "created": int(time.time()),
            "data": {"object": intent(order, "x")},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    r = client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.get_json()["outcome"] == "ignored"


@pytest.mark.parametrize(
    "how",
    ["forged", "unsigned", "old", "tampered"],
)
def test_bad_signatures_are_refused_and_change_nothing(client, order, db, how):
    obj = intent(order, "requires_capture")
    if how == "forged":
        r = send(client, "payment_intent.succeeded", obj, secret="whsec_attacker")
    elif how == "unsigned":
        r = send(client, "payment_intent.succeeded", obj, signature="")
    elif how == "old":
        r = send(client, "payment_intent.succeeded", obj, timestamp=int(time.time()) - 301)
    else:
        good = stripe.WebhookSignature.generate_signature_header("{}", WEBHOOK_SECRET)
        r = send(client, "payment_intent.succeeded", obj, signature=good)
    assert r.status_code == 400
    assert status(db) == ("pending_payment", "created")
    assert count(db, WebhookEvent) == 0


def test_a_duplicate_event_is_handled_once(client, order, db):
    obj = intent(order, "requires_capture")
    assert (
        send(client, "payment_intent.amount_capturable_updated", obj, event_id="evt_dup")
        .get_json()["outcome"]
        .endswith("authorized")
    )
    again = send(client, "payment_intent.amount_capturable_updated", obj, event_id="evt_dup")
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    placed = db.session.scalar(sa.select(sa.func.count()).where(OrderEvent.kind == "placed"))
    assert placed == 1


def test_late_events_never_move_backwards(client, order, db):
    send(client, "payment_intent.succeeded", intent(order, "succeeded"))
    assert status(db) == ("paid", "succeeded")
    send(client, "payment_intent.amount_capturable_updated", intent(order, "requires_capture"))
    send(client, "payment_intent.payment_failed", intent(order, "requires_payment_method"))
    send(client, "payment_intent.requires_action", intent(order, "requires_action"))
    assert status(db) == ("paid", "succeeded")


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", 100), ("currency", "eur"), ("metadata", {"reference": "order:999"})],
)
def test_a_mismatch_never_marks_paid_and_is_flagged(client, order, db, field, value):
    obj = {**intent(order, "succeeded"), field: value}
    assert send(client, "payment_intent.succeeded", obj).status_code == 200
    assert status(db) == ("pending_payment", "created")
    flagged = db.session.scalar(sa.select(Order))
    assert flagged.needs_review and "does not match" in flagged.review_reason
    note = db.session.scalar(sa.select(OrderEvent).where(OrderEvent.kind == "payment_mismatch"))
    assert note is not None and note.visible_to_buyer is False


def test_an_unknown_payment_intent_is_recorded_and_ignored(client, order, db):
    r = send(client, "payment_intent.succeeded", {**intent(order, "succeeded"), "id": "pi_other"})
    assert r.status_code == 200 and r.get_json()["outcome"] == "unknown payment intent"
    assert status(db) == ("pending_payment", "created")


def test_payment_failed_is_on_the_timeline_and_keeps_the_order_open(client, order, db):
    failed = intent(
        order,
        "requires_payment_method",
        last_payment_error={"message": "Your card has insufficient funds."},
    )
    send(client, "payment_intent.payment_failed", failed)
    assert status(db)[0] == "pending_payment"
    note = db.session.scalar(
        sa.select(OrderEvent.note).where(OrderEvent.kind == "payment_declined")
    )
    assert "insufficient funds" in note


def test_canceled_cancels_a_waiting_order_and_releases_its_units(client, order, db):
    send(client, "payment_intent.canceled", intent(order, "canceled"))
    assert status(db) == ("cancelled", "canceled")
    assert db.session.scalar(sa.select(StockReservation.status)) == "released"


def test_refunds_and_disputes(client, order, db):
    send(client, "payment_intent.succeeded", intent(order, "succeeded"))
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": INTENT,
        "amount_refunded": 1_000_00,
    }
    send(client, "charge.refunded", charge)
    db.session.expire_all()
    payment = db.session.scalar(sa.select(Payment))
    assert payment.amount_refunded_cents == 1_000_00
    placed = db.session.scalar(sa.select(Order))
    assert placed.paid_cents == placed.total_cents - 1_000_00
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_1",
        "payment_intent": INTENT,
        "reason": "fraudulent",
    }
    send(client, "charge.dispute.created", dispute)
    db.session.expire_all()
    flagged = db.session.scalar(sa.select(Order))
    assert flagged.needs_review and "fraudulent" in flagged.review_reason


@pytest.mark.both_dbs
def test_a_temporary_failure_answers_500_and_the_retry_succeeds(client, order, db, monkeypatch):
    handle = webhooks.HANDLERS["payment_intent.succeeded"]

    def broken(obj):
        handle(obj)  # the order is paid, in this request's transaction...
        db.session.flush()
        raise RuntimeError("database hiccup")  # ...and then the handling fails

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", broken)
    obj = intent(order, "succeeded")
    before = status(db)
    assert send(client, "payment_intent.succeeded", obj, event_id="evt_retry").status_code == 500
    assert count(db, WebhookEvent) == 0  # not remembered, so the retry is handled
    assert status(db) == before != ("paid", "succeeded")  # and nothing of it half done
    monkeypatch.undo()
    assert send(client, "payment_intent.succeeded", obj, event_id="evt_retry").status_code == 200
    assert status(db) == ("paid", "succeeded")


def test_the_webhook_needs_no_csrf_token_but_only_accepts_post(client):
    assert client.get("/stripe/webhook").status_code == 405


# --- never backwards -------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "requested_by_customer", "automatic"])
def test_a_canceled_event_after_capture_changes_nothing(client, order, db, reason):
    from shop.payments import refunds

    send(client, "payment_intent.succeeded", intent(order, "succeeded"))
    assert status(db) == ("paid", "succeeded")
    late = intent(order, "canceled", cancellation_reason=reason, amount_received=0)
    r = send(client, "payment_intent.canceled", late, event_id="evt_late_cancel")
    assert r.status_code == 200 and r.get_json()["outcome"].startswith("no change")
    assert status(db) == ("paid", "succeeded")
    payment = db.session.scalar(sa.select(Payment))
    assert payment.amount_received_cents == order.total_cents
    refunds.require_refundable(payment)  # the desk may still give money back
    # The event is remembered, with what it did (nothing).
    kept = db.session.get(WebhookEvent, "evt_late_cancel")
    assert kept.type == "payment_intent.canceled" and kept.outcome.startswith("no change")


def test_a_canceled_event_still_voids_an_authorization(client, order, db):
    send(client, "payment_intent.amount_capturable_updated", intent(order, "requires_capture"))
    assert status(db) == ("placed", "authorized")
    send(client, "payment_intent.canceled", intent(order, "canceled"))
    assert status(db)[1] == "canceled"


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("created", "authorized", True),
        ("requires_payment_method", "requires_action", True),
        ("requires_action", "requires_payment_method", True),
        ("authorized", "succeeded", True),
        ("authorized", "canceled", True),
        ("authorized", "expired", True),
        ("awaiting_funds", "received", True),
        ("awaiting_funds", "expired", True),
        ("succeeded", "canceled", False),
        ("succeeded", "expired", False),
        ("succeeded", "authorized", False),
        ("received", "expired", False),
        ("received", "canceled", False),
        ("canceled", "authorized", False),
        ("expired", "succeeded", False),
        ("authorized", "requires_payment_method", False),
        ("awaiting_funds", "succeeded", False),
    ],
)
def test_the_payment_lifecycle_only_moves_forward(current, new, allowed):
    from shop.payments.states import may_move

    assert may_move(current, new) is allowed


# --- malformed but signed ----------------------------------------------------------------------


def send_raw(client, payload: str, timestamp=None):
    signature = stripe.WebhookSignature.generate_signature_header(
        payload, WEBHOOK_SECRET, timestamp=timestamp or int(time.time())
    )
    return client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": signature},
        content_type="application/json",
    )


def envelope(**changes):
    event = {
        "id": "evt_shape",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "data": {"object": {"id": INTENT, "object": "payment_intent", "status": "succeeded"}},
    }
    event.update(changes)
    return json.dumps(event)


def with_object(**fields):
    obj = {"id": INTENT, "object": "payment_intent", "status": "succeeded", **fields}
    return envelope(data={"object": obj})


@pytest.mark.parametrize(
    "payload",
    [
        json.dumps([{"id": "evt_in_a_list", "type": "payment_intent.succeeded"}]),
        json.dumps("payment_intent.succeeded"),
        json.dumps(42),
        json.dumps(None),
        "not json at all",
        envelope(data="x"),
        envelope(data=[{"object": {"id": INTENT}}]),
        envelope(data=None),
        envelope(data={}),
        envelope(data={"object": [INTENT]}),
        envelope(data={"object": "pi_x"}),
        envelope(created="yesterday"),
        envelope(created=1.5e9),
        envelope(created=None),
        envelope(created=2**70),
        envelope(created=True),
        envelope(type=7),
        envelope(type=None),
        envelope(type=["payment_intent.succeeded"]),
        envelope(id=None),
        envelope(id={"evt": 1}),
        with_object(id=12345),
        with_object(status=["succeeded"]),
        with_object(amount="4654050"),
        with_object(amount=2**64),
        with_object(amount_received=-1),
        with_object(currency=840),
        with_object(metadata=["order:1"]),
        with_object(last_payment_error="declined"),
        with_object(latest_charge=["ch_1"]),
    ],
)
def test_a_signed_malformed_event_is_refused_with_400_and_recorded(client, order, db, payload):
    r = send_raw(client, payload)
    assert r.status_code == 400
    assert r.get_json()["error"] == "malformed event"
    assert status(db) == ("pending_payment", "created")
    kept = db.session.scalars(sa.select(WebhookEvent)).all()
    assert len(kept) == 1 and kept[0].outcome.startswith("malformed")
    # Sent again (Stripe retries), it is known and still refused.
    again = send_raw(client, payload)
    assert again.status_code == 400 and again.get_json()["outcome"] == "duplicate"
    assert count(db, WebhookEvent) == 1


def test_a_malformed_event_does_not_take_the_id_of_a_good_one_later(client, order, db):
    # Once the code can read it, Stripe's resend under the same id must still be handled.
    assert send_raw(client, envelope(id="evt_x", data="x")).status_code == 400
    good = intent(order, "requires_capture")
    r = send(client, "payment_intent.amount_capturable_updated", good, event_id="evt_x")
    assert r.status_code == 200
    assert status(db) == ("placed", "authorized")


# --- stamped in the future -------------------------------------------------------------------


@pytest.mark.parametrize("ahead", [301, 3600, 10 * 365 * 86400])
def test_an_event_stamped_too_far_in_the_future_is_refused(client, order, db, ahead):
    obj = intent(order, "succeeded")
    r = send(client, "payment_intent.succeeded", obj, timestamp=int(time.time()) + ahead)
    assert r.status_code == 400 and r.get_json()["error"] == "bad signature"
    assert status(db) == ("pending_payment", "created")
    assert count(db, WebhookEvent) == 0


def test_a_small_clock_difference_is_tolerated(client, order, db):
    obj = intent(order, "succeeded")
    r = send(client, "payment_intent.succeeded", obj, timestamp=int(time.time()) + 60)
    assert r.status_code == 200
    assert status(db) == ("paid", "succeeded")
