"""The payment routes and panel of the staff order page: who may do what, what each one sees."""

import re

import pytest
import sqlalchemy as sa

from shop.orders import operations
from shop.orders.models import Order
from shop.payments.models import Payment, Refund
from tests.operations.card_helpers import (
    audit_rows,
    events,
    fresh,
    post,
    refund_rows,
    signed_in,
    stripe_down,
    stripe_refunds,
)
from tests.operations.conftest import payment_of

TOTAL = 46_540_50


def urls(order, payment, refund_id=1):
    base = f"/staff/orders/{order.number}/payments/{payment.id}"
    return {
        "capture": f"{base}/capture",
        "void": f"{base}/void",
        "refund": f"{base}/refund",
        "approve": f"/staff/refunds/{refund_id}/approve",
        "reject": f"/staff/refunds/{refund_id}/reject",
        "retry": f"/staff/refunds/{refund_id}/retry",
    }


def page(c, order) -> str:
    r = c.get(f"/staff/orders/{order.number}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def flashes(c, order) -> str:
    return page(c, order)


def capture(db, order, manager):
    payment = payment_of(db, order)
    operations.capture_payment(order.id, payment.id, None, manager)
    db.session.commit()
    return fresh(db, Payment, payment.id)


def big_refund(db, order, payment, requester, key="big") -> int:
    outcome = operations.request_refund(
        order.id, payment.id, 20_000_00, "Wrong finish", requester, key
    )
    db.session.commit()
    return outcome.refund.id


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "route"),
    [
        ("support", "capture"),
        ("support", "void"),
        ("rep", "refund"),
        ("rep", "approve"),
        ("support", "approve"),
        ("rep", "reject"),
        ("support", "reject"),
        ("rep", "retry"),
    ],
)
def test_roles_without_the_grant_get_403(app, card_order, staff, db, role, route):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff[role])
    data = {"amount": "1.00", "reason": "x", "request_key": "k" * 20}
    r = post(c, urls(card_order, payment)[route], data)
    assert r.status_code == 403
    assert fresh(db, Payment, payment.id).status == "authorized"
    assert not audit_rows(db, "payment.capture") and not db.session.scalars(sa.select(Refund)).all()


@pytest.mark.parametrize("route", ["capture", "void", "refund", "approve", "reject", "retry"])
def test_buyers_get_403_and_visitors_the_login_page(app, card_order, staff, db, route):
    payment = payment_of(db, card_order)
    url = urls(card_order, payment)[route]
    assert post(signed_in(app, staff["buyer"]), url, {"amount": "1"}).status_code == 403
    anonymous = post(app.test_client(), url, {"amount": "1"})
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]


def test_a_payment_of_another_order_is_404(app, place_card_order, staff, db):
    first, second = place_card_order(), place_card_order()
    c = signed_in(app, staff["manager"])
    other = payment_of(db, second)
    assert post(c, urls(first, other)["capture"]).status_code == 404
    assert post(c, urls(first, other)["void"], {"reason": "x"}).status_code == 404
    assert post(c, "/staff/orders/HH-NOPE22/payments/1/capture").status_code == 404
    assert post(c, "/staff/refunds/999/approve").status_code == 404
    assert fresh(db, Payment, other.id).status == "authorized"


def test_a_form_without_its_csrf_token_is_refused(app, card_order, staff, db):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["manager"])
    assert c.post(urls(card_order, payment)["capture"], data={}).status_code == 400


# --- capture and void through the page ------------------------------------------------------


def test_a_rep_captures_part_from_the_page(app, card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["rep"])
    html = page(c, card_order)
    assert 'data-testid="capture-form"' in html and 'data-testid="void-form"' in html
    assert 'data-testid="refund-form"' not in html
    assert 'data-testid="capture-deadline"' in html
    r = post(c, urls(card_order, payment)["capture"], {"amount": "12,000.00"})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/staff/orders/{card_order.number}")
    html = page(c, card_order)
    assert "$12,000.00 captured" in html and "released" in html
    payment = fresh(db, Payment, payment.id)
    assert payment.amount_received_cents == 12_000_00
    assert db.session.get(Order, card_order.id).payment_state == "partially_paid"


def test_bad_amounts_are_form_errors(app, card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["manager"])
    for typed, message in [
        ("twelve", "Enter an amount such as 1,500.00."),
        ("-5", "Enter an amount above zero."),
        ("1.001", "Enter an amount such as 1,500.00."),
        ("46,540.51", "At most $46,540.50 can be captured"),
    ]:
        r = post(c, urls(card_order, payment)["capture"], {"amount": typed})
        assert r.status_code == 303, typed
        assert message in page(c, card_order), typed
    assert fresh(db, Payment, payment.id).status == "authorized"


def test_voiding_needs_a_reason(app, card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["rep"])
    post(c, urls(card_order, payment)["void"], {"reason": ""})
    assert "Say why the authorization is voided." in page(c, card_order)
    assert fresh(db, Payment, payment.id).status == "authorized"
    post(c, urls(card_order, payment)["void"], {"reason": "Buyer will pay by transfer"})
    html = page(c, card_order)
    assert "voided; nothing was charged" in html
    assert 'data-testid="capture-form"' not in html
    assert fresh(db, Payment, payment.id).status == "canceled"


def test_a_capture_failing_at_stripe_is_on_the_timeline(app, card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["manager"])
    stripe_down(app)
    r = post(c, urls(card_order, payment)["capture"])
    assert r.status_code == 303
    html = page(c, card_order)
    assert "Stripe did not capture $46,540.50" in html
    assert 'data-kind="capture_failed"' in html
    payment = fresh(db, Payment, payment.id)
    order = db.session.get(Order, card_order.id)
    assert payment.status == "authorized" and order.status == "placed"
    assert order.authorized_cents == TOTAL and order.received_cents == 0
    [entry] = audit_rows(db, "payment.capture_failed")
    assert entry.actor_id == staff["manager"].id and entry.ip_address


def test_a_cancel_failing_at_stripe_is_undone_but_written_down(
    app, card_order, staff, db, stripe_peer
):
    """The cancel is refused as a whole (order, units, payment as they were); the failure is
    still kept, on the timeline and in the audit trail, once the request is over."""
    payment = payment_of(db, card_order)
    c = signed_in(app, staff["manager"])
    stripe_down(app)
    r = post(
        c, f"/staff/orders/{card_order.number}/status", {"to": "cancelled", "note": "Buyer asked"}
    )
    assert r.status_code == 303
    html = page(c, card_order)
    assert f"Order {card_order.number} was not cancelled" in html
    assert 'data-kind="cancel_failed"' in html
    order = fresh(db, Order, card_order.id)
    assert order.status == "placed" and order.authorized_cents == TOTAL
    assert fresh(db, Payment, payment.id).status == "authorized"
    assert events(db, order, "cancelled") == []
    [entry] = audit_rows(db, "payment.cancel_failed")
    assert entry.actor_id == staff["manager"].id
    assert audit_rows(db, "order.cancelled") == []


# --- refunds through the page ---------------------------------------------------------------


def request_key(html: str) -> str:
    match = re.search(r'name="request_key" value="([^"]+)"', html)
    assert match, "no refund form"
    return match.group(1)


def test_support_refunds_and_a_double_submit_is_one_refund(app, card_order, staff, db, stripe_peer):
    payment = capture(db, card_order, staff["manager"])
    c = signed_in(app, staff["support"])
    html = page(c, card_order)
    assert 'data-testid="capture-form"' not in html
    key = request_key(html)
    assert key != request_key(page(c, card_order))  # a new key each time the form is shown
    data = {"amount": "250.00", "reason": "Scuffed bench", "request_key": key}
    first = post(c, urls(card_order, payment)["refund"], data)
    second = post(c, urls(card_order, payment)["refund"], data)
    assert first.status_code == second.status_code == 303
    html = page(c, card_order)
    assert "Refund of $250.00 sent" in html and "already asked for" in html
    assert len(refund_rows(db, payment)) == 1
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    assert 'data-testid="refund-row"' in html and "Scuffed bench" in html


def test_a_refund_without_a_reason_or_above_what_is_left(app, card_order, staff, db, stripe_peer):
    payment = capture(db, card_order, staff["manager"])
    c = signed_in(app, staff["support"])
    key = request_key(page(c, card_order))
    post(c, urls(card_order, payment)["refund"], {"amount": "10", "request_key": key})
    assert "Say why the money is refunded." in page(c, card_order)
    post(
        c,
        urls(card_order, payment)["refund"],
        {"amount": "46,540.51", "reason": "x", "request_key": key},
    )
    assert "At most $46,540.50 can still be refunded" in page(c, card_order)
    assert refund_rows(db, payment) == []


def test_four_eyes_on_the_page(app, card_order, staff, db, stripe_peer):
    payment = capture(db, card_order, staff["manager"])
    asker = signed_in(app, staff["manager"])
    key = request_key(page(asker, card_order))
    post(
        asker,
        urls(card_order, payment)["refund"],
        {"amount": "20,000.00", "reason": "Wrong finish", "request_key": key},
    )
    html = page(asker, card_order)
    assert "a second staff member must approve it" in html
    assert 'data-testid="approval-by-other"' in html and 'data-testid="approve-form"' not in html
    [refund] = refund_rows(db, payment)
    links = urls(card_order, payment, refund.id)
    # The one who asked cannot approve, even by posting the form directly.
    post(asker, links["approve"])
    assert "another manager must approve it" in page(asker, card_order)
    assert fresh(db, Refund, refund.id).status == "pending_approval"

    second = signed_in(app, staff["manager2"])
    html = page(second, card_order)
    assert 'data-testid="approve-form"' in html and 'data-testid="reject-form"' in html
    assert post(second, links["approve"]).status_code == 303
    html = page(second, card_order)
    assert "Refund of $20,000.00 sent" in html
    refund = fresh(db, Refund, refund.id)
    assert refund.status == "succeeded" and refund.approved_by_id == staff["manager2"].id
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    # Approving again (a second click) does nothing more.
    post(second, links["approve"])
    assert "already approved" in page(second, card_order)
    assert len(stripe_refunds(stripe_peer, payment)) == 1


def test_rejecting_on_the_page(app, card_order, staff, db, stripe_peer):
    payment = capture(db, card_order, staff["manager"])
    refund_id = big_refund(db, card_order, payment, staff["support"])
    c = signed_in(app, staff["manager"])
    links = urls(card_order, payment, refund_id)
    post(c, links["reject"], {"reason": ""})
    assert "Say why the refund is rejected." in page(c, card_order)
    post(c, links["reject"], {"reason": "Covered by warranty instead"})
    html = page(c, card_order)
    assert "rejected; nothing was sent" in html and "Covered by warranty instead" in html
    assert fresh(db, Refund, refund_id).status == "rejected"
    assert events(db, card_order, "refund_rejected")


def test_an_approved_refund_failing_at_stripe_can_be_sent_again(
    app, card_order, staff, db, stripe_peer
):
    payment = capture(db, card_order, staff["manager"])
    refund_id = big_refund(db, card_order, payment, staff["support"])
    c = signed_in(app, staff["manager"])
    links = urls(card_order, payment, refund_id)
    base = stripe_down(app)
    post(c, links["approve"])
    html = page(c, card_order)
    assert "did not go through at Stripe" in html and 'data-kind="refund_failed"' in html
    assert 'data-testid="retry-form"' in html
    assert fresh(db, Refund, refund_id).status == "failed"
    assert db.session.get(Order, card_order.id).refunded_cents == 0
    # support may not send a refund above the limit again; the manager can
    assert post(signed_in(app, staff["support"]), links["retry"]).status_code == 403
    app.config["STRIPE_API_BASE"] = base
    post(c, links["retry"])
    assert "Refund of $20,000.00 sent" in page(c, card_order)
    assert fresh(db, Refund, refund_id).status == "succeeded"
    assert db.session.get(Order, card_order.id).refunded_cents == 20_000_00


def test_the_panel_shows_amounts_and_refunds(app, card_order, staff, db, stripe_peer):
    payment = capture(db, card_order, staff["manager"])
    big_refund(db, card_order, payment, staff["support"])
    html = page(signed_in(app, staff["manager2"]), card_order)
    panel = html[html.index('data-testid="payments-panel"') :]
    assert 'data-testid="payment-captured">$46,540.50' in panel
    assert 'data-testid="payment-refundable">$26,540.50' in panel
    assert "$20,000.00 asked for, not yet sent" in panel
    assert "Sam Support" in panel and "Waiting for approval" in panel
    assert 'data-testid="capture-form"' not in panel
