"""Capture, void, refund (four eyes above the limit) and cancel, against localstripe."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.catalog.models import Variant
from shop.errors import DomainError, InvalidTransition
from shop.notifications.models import OutboxMessage
from shop.orders import operations
from shop.orders.models import Order, OrderLine
from shop.payments import gateway
from shop.payments.models import Payment, Refund
from tests.operations.card_helpers import (
    audit_rows,
    events,
    fresh,
    refund_rows,
    stripe_down,
    stripe_intent,
    stripe_refunds,
)
from tests.operations.conftest import payment_of

TOTAL = 46_540_50


def captured(db, order, manager, amount=None) -> Payment:
    payment = payment_of(db, order)
    operations.capture_payment(order.id, payment.id, amount, manager)
    db.session.commit()
    return fresh(db, Payment, payment.id)


def outbox_keys(db) -> set[str]:
    return set(db.session.scalars(sa.select(OutboxMessage.dedupe_key)))


# --- capture --------------------------------------------------------------------------------


def test_capturing_in_full_pays_the_order(card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    outcome = operations.capture_payment(card_order.id, payment.id, None, staff["rep"])
    db.session.commit()
    assert "$46,540.50 captured" in outcome.message
    payment = fresh(db, Payment, payment.id)
    order = db.session.get(Order, card_order.id)
    assert payment.status == "succeeded"
    assert payment.amount_received_cents == TOTAL and payment.amount_capturable_cents == 0
    assert order.status == "paid" and order.payment_state == "paid"
    assert order.outstanding_cents == 0
    assert stripe_intent(stripe_peer, payment).status == "succeeded"
    [event] = events(db, order, "payment_captured")
    assert event.actor_id == staff["rep"].id and event.visible_to_buyer
    [entry] = audit_rows(db, "payment.capture")
    assert entry.actor_id == staff["rep"].id and entry.target_id == order.number
    assert entry.before["status"] == "authorized" and entry.before["authorized_cents"] == TOTAL
    assert entry.after["received_cents"] == TOTAL and entry.after["order_status"] == "paid"


def test_a_partial_capture_leaves_the_rest_outstanding(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"], 10_000_00)
    order = db.session.get(Order, card_order.id)
    assert payment.status == "succeeded" and payment.amount_received_cents == 10_000_00
    assert payment.amount_capturable_cents == 0
    assert order.status == "placed" and order.payment_state == "partially_paid"
    assert order.outstanding_cents == TOTAL - 10_000_00
    assert order.authorized_cents == 0
    [entry] = audit_rows(db, "payment.capture")
    assert entry.after["received_cents"] == 10_000_00


def test_capturing_more_than_authorized_is_refused(card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    with pytest.raises(DomainError, match=r"At most \$46,540.50"):
        operations.capture_payment(card_order.id, payment.id, TOTAL + 1, staff["manager"])
    db.session.rollback()
    assert stripe_intent(stripe_peer, payment).status == "requires_capture"
    assert fresh(db, Payment, payment.id).status == "authorized"


def test_a_captured_payment_is_not_captured_twice(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    with pytest.raises(DomainError, match="already captured"):
        operations.capture_payment(card_order.id, payment.id, None, staff["manager"])
    db.session.rollback()
    assert len(audit_rows(db, "payment.capture")) == 1


def test_a_payment_of_another_order_is_not_found(place_card_order, staff, db, stripe_peer):
    first, second = place_card_order(), place_card_order()
    other = payment_of(db, second)
    with pytest.raises(DomainError, match="No such payment"):
        operations.capture_payment(first.id, other.id, None, staff["manager"])


def test_roles_are_checked_by_the_services_too(card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    with pytest.raises(DomainError, match="not allow"):
        operations.capture_payment(card_order.id, payment.id, None, staff["support"])
    with pytest.raises(DomainError, match="not allow"):
        operations.void_payment(card_order.id, payment.id, staff["buyer"], "no")
    with pytest.raises(DomainError, match="not allow"):
        operations.request_refund(card_order.id, payment.id, 100, "x", staff["rep"], None)


# --- void -----------------------------------------------------------------------------------


def test_voiding_releases_the_hold(card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    with pytest.raises(DomainError, match="Say why"):
        operations.void_payment(card_order.id, payment.id, staff["rep"], "  ")
    operations.void_payment(card_order.id, payment.id, staff["rep"], "Buyer changed the card")
    db.session.commit()
    payment = fresh(db, Payment, payment.id)
    order = db.session.get(Order, card_order.id)
    assert payment.status == "canceled" and payment.amount_capturable_cents == 0
    assert order.authorized_cents == 0 and order.payment_state == "unpaid"
    assert stripe_intent(stripe_peer, payment).status == "canceled"
    [event] = events(db, order, "payment_voided")
    assert "Buyer changed the card" in event.note and not event.visible_to_buyer
    [entry] = audit_rows(db, "payment.void")
    assert entry.before["status"] == "authorized" and entry.after["status"] == "canceled"
    with pytest.raises(DomainError, match="already voided"):
        operations.void_payment(card_order.id, payment.id, staff["rep"], "again")


def test_captured_money_cannot_be_voided(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    with pytest.raises(DomainError, match="refund captured money"):
        operations.void_payment(card_order.id, payment.id, staff["manager"], "oops")


# --- refunds --------------------------------------------------------------------------------


def test_a_small_refund_is_sent_at_once_and_the_buyer_told(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 500_00, "Scratch on the lid", staff["support"], "key-1"
    )
    db.session.commit()
    refund = outcome.refund
    assert outcome.created and "sent" in outcome.message
    refund = fresh(db, Refund, refund.id)
    assert refund.status == "succeeded" and refund.stripe_refund_id.startswith("re_")
    assert refund.requested_by_id == staff["support"].id and refund.approved_by_id is None
    payment = db.session.get(Payment, payment.id)
    order = db.session.get(Order, card_order.id)
    assert payment.amount_refunded_cents == 500_00
    assert order.refunded_cents == 500_00 and order.paid_cents == TOTAL - 500_00
    assert order.payment_state == "partially_refunded"
    [at_stripe] = stripe_refunds(stripe_peer, payment)
    assert at_stripe.id == refund.stripe_refund_id and at_stripe.amount == 500_00
    [event] = events(db, order, "payment_refunded")
    assert event.visible_to_buyer and event.actor_id == staff["support"].id
    assert "Refund of $500.00" in event.note
    assert f"order-refund:{refund.id}" in outbox_keys(db)
    assert [e.action for e in audit_rows(db, "refund.request")] == ["refund.request"]
    [sent] = audit_rows(db, "refund.send")
    assert sent.after["refunded_cents"] == 500_00 and sent.reason == "Scratch on the lid"


def test_refunding_in_part_then_the_rest(card_order, staff, db, stripe_peer, app):
    app.config["REFUND_APPROVAL_ABOVE_CENTS"] = 100_000_00
    payment = captured(db, card_order, staff["manager"])
    operations.request_refund(card_order.id, payment.id, 1_000_00, "Part", staff["support"], "a")
    db.session.commit()
    operations.request_refund(
        card_order.id, payment.id, TOTAL - 1_000_00, "The rest", staff["support"], "b"
    )
    db.session.commit()
    order = fresh(db, Order, card_order.id)
    assert order.refunded_cents == TOTAL and order.paid_cents == 0
    assert order.payment_state == "refunded"
    assert len(stripe_refunds(stripe_peer, payment)) == 2
    with pytest.raises(DomainError, match=r"At most \$0.00"):
        operations.request_refund(card_order.id, payment.id, 1, "More", staff["support"], "c")


def test_refunding_more_than_captured_is_refused(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"], 5_000_00)
    with pytest.raises(DomainError, match=r"At most \$5,000.00"):
        operations.request_refund(
            card_order.id, payment.id, 5_000_01, "Too much", staff["support"], "k"
        )
    db.session.rollback()
    assert refund_rows(db, payment) == []
    assert stripe_refunds(stripe_peer, payment, excluding_release=TOTAL - 5_000_00) == []


def test_a_waiting_request_counts_against_what_is_left(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    operations.request_refund(card_order.id, payment.id, 40_000_00, "Big", staff["support"], "1")
    db.session.commit()
    with pytest.raises(DomainError, match=r"At most \$6,540.50.*\$40,000.00 is already asked"):
        operations.request_refund(
            card_order.id, payment.id, 7_000_00, "More", staff["support"], "2"
        )


def test_authorized_money_is_not_refunded(card_order, staff, db, stripe_peer):
    payment = payment_of(db, card_order)
    with pytest.raises(DomainError, match="Only captured money"):
        operations.request_refund(card_order.id, payment.id, 100, "x", staff["support"], "k")


def test_a_refund_needs_a_reason_and_an_amount(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    with pytest.raises(DomainError, match="Say why"):
        operations.request_refund(card_order.id, payment.id, 100, " ", staff["support"], "k1")
    with pytest.raises(DomainError, match="above zero"):
        operations.request_refund(card_order.id, payment.id, 0, "x", staff["support"], "k2")


def test_the_same_form_twice_makes_one_refund(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    first = operations.request_refund(
        card_order.id, payment.id, 200_00, "Dent", staff["support"], "same-key"
    )
    db.session.commit()
    second = operations.request_refund(
        card_order.id, payment.id, 200_00, "Dent", staff["support"], "same-key"
    )
    db.session.commit()
    assert not second.created and second.refund.id == first.refund.id
    assert "already asked for" in second.message
    assert len(refund_rows(db, payment)) == 1
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    assert fresh(db, Payment, payment.id).amount_refunded_cents == 200_00


def test_a_refund_is_refused_while_a_dispute_is_open(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    order = db.session.get(Order, card_order.id)
    order.dispute_status = "open"
    db.session.commit()
    with pytest.raises(DomainError, match="dispute"):
        operations.request_refund(card_order.id, payment.id, 100, "x", staff["support"], "k")


# --- four eyes ------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_a_big_refund_waits_for_a_second_manager(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Wrong finish", staff["manager"], "big"
    )
    db.session.commit()
    refund_id = outcome.refund.id
    assert "second staff member" in outcome.message
    assert fresh(db, Refund, refund_id).status == "pending_approval"
    assert stripe_refunds(stripe_peer, payment) == []
    assert fresh(db, Payment, payment.id).amount_refunded_cents == 0
    [waiting] = events(db, card_order, "refund_requested")
    assert not waiting.visible_to_buyer and "Wrong finish" in waiting.note

    with pytest.raises(DomainError, match="another manager"):
        operations.approve_refund(refund_id, staff["manager"])
    db.session.rollback()
    for person in ("rep", "support"):
        with pytest.raises(DomainError, match="not allow"):
            operations.approve_refund(refund_id, staff[person])
        db.session.rollback()

    operations.approve_refund(refund_id, staff["manager2"])
    db.session.commit()
    refund = fresh(db, Refund, refund_id)
    assert refund.status == "succeeded" and refund.approved_by_id == staff["manager2"].id
    assert "Max Manager" in refund.approved_by_label and refund.decided_at is not None
    assert fresh(db, Order, card_order.id).refunded_cents == 20_000_00
    assert len(stripe_refunds(stripe_peer, payment)) == 1
    [approval] = audit_rows(db, "refund.approve")
    assert approval.actor_id == staff["manager2"].id
    assert approval.before["status"] == "pending_approval"
    with pytest.raises(DomainError, match="already decided"):
        operations.reject_refund(refund_id, staff["manager2"], "late")


@pytest.mark.both_dbs
def test_the_database_refuses_an_approval_by_the_requester(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Wrong finish", staff["manager"], "big"
    )
    db.session.commit()
    refund = fresh(db, Refund, outcome.refund.id)
    refund.approved_by_id = staff["manager"].id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_big_refund_can_be_rejected_with_a_reason(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Asked nicely", staff["support"], "big"
    )
    db.session.commit()
    with pytest.raises(DomainError, match="Say why"):
        operations.reject_refund(outcome.refund.id, staff["manager"], "")
    db.session.rollback()
    operations.reject_refund(outcome.refund.id, staff["manager"], "Not our fault")
    db.session.commit()
    refund = fresh(db, Refund, outcome.refund.id)
    assert refund.status == "rejected" and "Not our fault" in refund.last_error
    assert stripe_refunds(stripe_peer, payment) == []
    # A rejected request no longer holds any of the captured amount.
    operations.request_refund(card_order.id, payment.id, TOTAL, "All", staff["support"], "all")
    db.session.commit()
    assert len(audit_rows(db, "refund.reject")) == 1


# --- Stripe failing -------------------------------------------------------------------------


def test_a_failed_capture_changes_nothing_and_is_on_the_timeline(
    card_order, staff, db, stripe_peer, app
):
    payment = payment_of(db, card_order)
    stripe_down(app)
    with pytest.raises(operations.StripeFailure) as caught:
        operations.capture_payment(card_order.id, payment.id, None, staff["manager"])
    db.session.rollback()
    operations.record_failure(caught.value, staff["manager"])
    db.session.commit()
    assert "could not be reached" in caught.value.message
    payment = fresh(db, Payment, payment.id)
    order = db.session.get(Order, card_order.id)
    assert payment.status == "authorized" and payment.amount_received_cents == 0
    assert order.status == "placed" and order.payment_state == "authorized"
    [event] = events(db, order, "capture_failed")
    assert not event.visible_to_buyer and event.actor_id == staff["manager"].id
    assert audit_rows(db, "payment.capture_failed")


@pytest.mark.both_dbs
def test_a_refund_failing_at_stripe_is_kept_as_failed_and_sent_again(
    card_order, staff, db, stripe_peer, app
):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.request_refund(
        card_order.id, payment.id, 20_000_00, "Wrong finish", staff["support"], "big"
    )
    db.session.commit()
    refund_id = outcome.refund.id
    base = stripe_down(app)
    with pytest.raises(operations.StripeFailure) as caught:
        operations.approve_refund(refund_id, staff["manager"])
    db.session.rollback()
    operations.record_failure(caught.value, staff["manager"])
    db.session.commit()
    refund = fresh(db, Refund, refund_id)
    assert refund.status == "failed" and "could not be reached" in refund.last_error
    assert refund.approved_by_id == staff["manager"].id  # the approval stands
    assert db.session.get(Payment, payment.id).amount_refunded_cents == 0
    assert db.session.get(Order, card_order.id).refunded_cents == 0
    assert events(db, card_order, "refund_failed")
    # A failed refund holds nothing back: the full amount is refundable again.
    assert operations.refunds.refundable_cents(db.session.get(Payment, payment.id)) == TOTAL

    app.config["STRIPE_API_BASE"] = base
    with pytest.raises(DomainError, match="Another manager"):
        operations.retry_refund(refund_id, staff["support"])
    db.session.rollback()
    operations.retry_refund(refund_id, staff["manager2"])
    db.session.commit()
    refund = fresh(db, Refund, refund_id)
    assert refund.status == "succeeded" and refund.last_error == ""
    assert db.session.get(Order, card_order.id).refunded_cents == 20_000_00
    assert len(stripe_refunds(stripe_peer, payment)) == 1


@pytest.mark.both_dbs
def test_a_small_refund_failing_at_stripe_keeps_its_id_and_key(
    card_order, staff, db, stripe_peer, app
):
    payment = captured(db, card_order, staff["manager"])
    base = stripe_down(app)
    with pytest.raises(operations.StripeFailure) as caught:
        operations.request_refund(card_order.id, payment.id, 300_00, "Dent", staff["support"], "k")
    db.session.rollback()
    operations.record_failure(caught.value, staff["support"])
    db.session.commit()
    [refund] = refund_rows(db, payment)
    assert refund.id == caught.value.refund["id"] and refund.status == "failed"
    assert refund.request_key == "k" and refund.requested_by_id == staff["support"].id
    # The same form again finds the failed refund; support may send it again (within limit).
    again = operations.request_refund(
        card_order.id, payment.id, 300_00, "Dent", staff["support"], "k"
    )
    assert not again.created
    app.config["STRIPE_API_BASE"] = base
    operations.retry_refund(refund.id, staff["support"])
    db.session.commit()
    assert fresh(db, Refund, refund.id).status == "succeeded"


def test_stripe_refusing_a_refund_keeps_it_failed(card_order, staff, db, stripe_peer, monkeypatch):
    payment = captured(db, card_order, staff["manager"])

    def refused(intent_id, amount, key, metadata=None):
        return {
            "id": "re_refused1",
            "status": "failed",
            "failure_reason": "expired_or_canceled_card",
        }

    monkeypatch.setattr(gateway, "create_refund", refused)
    with pytest.raises(operations.StripeFailure, match="expired_or_canceled_card") as caught:
        operations.request_refund(card_order.id, payment.id, 300_00, "Dent", staff["support"], "k")
    db.session.rollback()
    operations.record_failure(caught.value, staff["support"])
    db.session.commit()
    [refund] = refund_rows(db, payment)
    assert refund.status == "failed" and refund.stripe_refund_id == "re_refused1"
    monkeypatch.undo()
    operations.retry_refund(refund.id, staff["manager"])
    db.session.commit()
    refund = fresh(db, Refund, refund.id)
    assert refund.status == "succeeded" and refund.stripe_refund_id != "re_refused1"


# --- cancelling -----------------------------------------------------------------------------


def stock_of(db, order) -> int:
    db.session.expire_all()
    variant_id = sa.select(OrderLine.variant_id).where(OrderLine.order_id == order.id)
    return db.session.scalar(
        sa.select(Variant.stock_on_hand).where(Variant.id == variant_id.scalar_subquery())
    )


def test_cancelling_an_authorized_order_voids_and_restocks(card_order, staff, db, stripe_peer):
    assert stock_of(db, card_order) == 2
    with pytest.raises(InvalidTransition):
        operations.cancel_order(card_order.id, staff["rep"], "Buyer asked")
    db.session.rollback()
    outcome = operations.cancel_order(card_order.id, staff["manager"], "Buyer asked")
    db.session.commit()
    assert "cancelled" in outcome.message and "1 unit back in stock" in outcome.message
    assert stock_of(db, card_order) == 3
    order = db.session.get(Order, card_order.id)
    payment = payment_of(db, order)
    assert order.status == "cancelled" and order.authorized_cents == 0
    assert payment.status == "canceled"
    assert stripe_intent(stripe_peer, payment).status == "canceled"
    assert f"order-cancelled:{order.number}" in outbox_keys(db)
    assert [e.action for e in audit_rows(db, "order.cancelled")] == ["order.cancelled"]
    assert audit_rows(db, "payment.void")
    with pytest.raises(DomainError, match="Say why"):
        operations.cancel_order(card_order.id, staff["manager"], "")


@pytest.mark.both_dbs
def test_cancelling_a_paid_order_refunds_after_approval(card_order, staff, db, stripe_peer):
    payment = captured(db, card_order, staff["manager"])
    outcome = operations.cancel_order(card_order.id, staff["manager"], "Out of production")
    db.session.commit()
    assert "waits for a second staff member's approval" in outcome.message
    order = fresh(db, Order, card_order.id)
    assert order.status == "cancelled" and stock_of(db, order) == 3
    [refund] = refund_rows(db, payment)
    assert refund.status == "pending_approval" and refund.amount_cents == TOTAL
    assert stripe_refunds(stripe_peer, payment) == []
    operations.approve_refund(refund.id, staff["manager2"])
    db.session.commit()
    order = fresh(db, Order, card_order.id)
    assert order.refunded_cents == TOTAL and order.payment_state == "refunded"


def test_cancelling_a_paid_order_below_the_limit_refunds_at_once(
    card_order, staff, db, stripe_peer, app
):
    app.config["REFUND_APPROVAL_ABOVE_CENTS"] = 100_000_00
    payment = captured(db, card_order, staff["manager"], 30_000_00)
    operations.cancel_order(card_order.id, staff["manager"], "Out of production")
    db.session.commit()
    order = fresh(db, Order, card_order.id)
    assert order.status == "cancelled" and order.refunded_cents == 30_000_00
    [refund] = refund_rows(db, payment)
    assert refund.status == "succeeded"
    assert len(stripe_refunds(stripe_peer, payment, excluding_release=TOTAL - 30_000_00)) == 1


def test_a_cancel_failing_at_stripe_leaves_the_order(card_order, staff, db, stripe_peer, app):
    stripe_down(app)
    with pytest.raises(operations.StripeFailure) as caught:
        operations.cancel_order(card_order.id, staff["manager"], "Buyer asked")
    db.session.rollback()
    operations.record_failure(caught.value, staff["manager"])
    db.session.commit()
    order = fresh(db, Order, card_order.id)
    assert order.status == "placed" and stock_of(db, order) == 2
    assert payment_of(db, order).status == "authorized"
    assert events(db, order, "cancel_failed")


def test_a_pending_refund_is_finished_by_stripe_s_webhook(
    card_order, staff, db, stripe_peer, monkeypatch
):
    from shop.payments import webhooks

    payment = captured(db, card_order, staff["manager"])
    monkeypatch.setattr(
        gateway,
        "create_refund",
        lambda intent_id, amount, key, metadata=None: {"id": "re_pending1", "status": "pending"},
    )
    outcome = operations.request_refund(
        card_order.id, payment.id, 700_00, "Dent", staff["support"], "k"
    )
    db.session.commit()
    assert "still processing" in outcome.message
    refund = fresh(db, Refund, outcome.refund.id)
    assert refund.status == "processing"
    assert db.session.get(Payment, payment.id).amount_refunded_cents == 0
    # While processing it still holds its amount back.
    assert operations.refunds.refundable_cents(db.session.get(Payment, payment.id)) == (
        TOTAL - 700_00
    )
    event = {
        "id": "evt_refund_1",
        "type": "refund.updated",
        "data": {"object": {"id": "re_pending1", "object": "refund", "status": "succeeded"}},
    }
    assert webhooks.handle_event(event) == f"refund {refund.id} -> succeeded"
    db.session.commit()
    assert webhooks.handle_event(event) == "duplicate"
    assert fresh(db, Refund, refund.id).status == "succeeded"
    assert db.session.get(Order, card_order.id).refunded_cents == 700_00


@pytest.mark.both_dbs
def test_cancelling_a_transfer_order_lets_its_units_go(transfer_order, staff, db):
    from shop.catalog import stock

    holder = f"order:{transfer_order.id}"
    assert len(stock.holds(holder)) == 1
    operations.cancel_order(transfer_order.id, staff["rep"], "The buyer changed their mind")
    db.session.commit()
    order = fresh(db, Order, transfer_order.id)
    assert order.status == "cancelled" and stock.holds(holder) == []
    assert payment_of(db, order).status == "expired"
    assert stock_of(db, order) == 3
