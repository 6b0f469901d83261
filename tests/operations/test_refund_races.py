"""Concurrent clicks on PostgreSQL: each thread has its own app context and session, and the
payment row lock turns them into one Stripe operation, never a second one."""

import threading

import pytest
import sqlalchemy as sa

from shop.auth.models import User
from shop.errors import DomainError
from shop.extensions import db as _db
from shop.orders import operations
from shop.orders.models import Order, OrderEvent
from shop.payments.models import Payment, Refund
from tests.conftest import csrf_token
from tests.operations.card_helpers import (
    audit_rows,
    fresh,
    post,
    refund_rows,
    signed_in,
    stripe_intent,
    stripe_refunds,
)
from tests.operations.conftest import payment_of
from tests.races import run_together

pytestmark = pytest.mark.postgres

TOTAL = 46_540_50


def as_user(user_id: int):
    return _db.session.get(User, user_id)


def ok(results) -> list:
    return [r for r in results if isinstance(r, operations.Outcome)]


def refused(results) -> list:
    return [r for r in results if isinstance(r, DomainError)]


def captured(db, order, manager) -> Payment:
    payment = payment_of(db, order)
    operations.capture_payment(order.id, payment.id, None, manager)
    db.session.commit()
    return fresh(db, Payment, payment.id)


def test_two_captures_at_once_make_one(app, card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    order_id, payment_id = card_order.id, payment.id
    rep, manager = staff["rep"].id, staff["manager"].id
    db.session.commit()
    results = run_together(
        app,
        [
            lambda: operations.capture_payment(order_id, payment_id, None, as_user(rep)),
            lambda: operations.capture_payment(order_id, payment_id, None, as_user(manager)),
        ],
    )
    assert len(ok(results)) == 1 and len(refused(results)) == 1
    assert "already captured" in refused(results)[0].message
    payment = fresh(db, Payment, payment_id)
    assert payment.status == "succeeded" and payment.amount_received_cents == TOTAL
    assert stripe_intent(stripe_peer, payment).status == "succeeded"
    assert len(audit_rows(db, "payment.capture")) == 1
    captures = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.order_id == order_id, OrderEvent.kind == "payment_captured")
    )
    assert captures == 1
    assert db.session.get(Order, order_id).status == "paid"


def test_two_approvals_at_once_make_one_stripe_refund(app, card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Wrong finish", staff["support"], "big"
    )
    db.session.commit()
    refund_id = outcome.refund.id
    first, second = staff["manager"].id, staff["manager2"].id
    results = run_together(
        app,
        [
            lambda: operations.approve_refund(refund_id, as_user(first)),
            lambda: operations.approve_refund(refund_id, as_user(second)),
        ],
    )
    assert len(ok(results)) == 1 and len(refused(results)) == 1
    assert "already decided" in refused(results)[0].message
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    refund = fresh(db, Refund, refund_id)
    assert refund.status == "succeeded"
    assert db.session.get(Payment, payment.id).amount_refunded_cents == 20_000_00
    assert db.session.get(Order, card_order.id).refunded_cents == 20_000_00
    assert len(audit_rows(db, "refund.approve")) == 1


@pytest.mark.parametrize("limit", [100_000_00, 10_000_00], ids=["sent-at-once", "four-eyes"])
def test_two_refunds_that_together_exceed_the_capture(
    app, card_order, staff, db, stripe_peer, limit
):
    app.config["REFUND_APPROVAL_ABOVE_CENTS"] = limit
    payment = captured(db, card_order, staff["manager"])
    order_id, payment_id = card_order.id, payment.id
    support, manager = staff["support"].id, staff["manager"].id
    results = run_together(
        app,
        [
            lambda: operations.request_refund(
                order_id, payment_id, 30_000_00, "First", as_user(support), "k1"
            ),
            lambda: operations.request_refund(
                order_id, payment_id, 30_000_00, "Second", as_user(manager), "k2"
            ),
        ],
    )
    assert len(ok(results)) == 1 and len(refused(results)) == 1
    assert "At most $16,540.50 can still be refunded" in refused(results)[0].message
    [refund] = refund_rows(db, payment)
    if limit > 30_000_00:
        assert refund.status == "succeeded"
        assert len(stripe_refunds(stripe_peer, payment)) == 1
        assert fresh(db, Payment, payment_id).amount_refunded_cents == 30_000_00
    else:
        assert refund.status == "pending_approval"
        assert stripe_refunds(stripe_peer, payment) == []


def test_a_double_click_on_the_refund_form_is_one_refund(app, card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    c = signed_in(app, staff["support"])
    url = f"/staff/orders/{card_order.number}/payments/{payment.id}/refund"
    data = {"amount": "400.00", "reason": "Scratch", "request_key": "one-form-key-123456"}
    c.csrf = csrf_token(c)  # read once, before the threads
    responses = [None, None]
    barrier = threading.Barrier(2)

    def click(i):
        barrier.wait()
        responses[i] = post(c, url, data)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [r.status_code for r in responses] == [303, 303]
    assert len(refund_rows(db, payment)) == 1
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    assert fresh(db, Payment, payment.id).amount_refunded_cents == 400_00
