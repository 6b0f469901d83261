"""Bank transfers received: matched by reference, short payments, four-eyes above the limit,
one receipt per form, overpayments flagged, and the expiry of transfer orders never paid."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shop.audit.models import AuditEntry
from shop.catalog.models import StockReservation, Variant
from shop.db import utcnow
from shop.errors import DomainError
from shop.extensions import db as _db
from shop.orders.models import Order, OrderEvent
from shop.payments import transfers
from shop.payments.models import Payment, TransferReceipt
from tests.conftest import post_form
from tests.operations.conftest import payment_of
from tests.races import run_together

TODAY = utcnow().date().isoformat()


def fresh(db, order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def record(client, reference: str, amount: str, key: str = "", **extra):
    data = {
        "reference": reference,
        "amount": amount,
        "received_on": TODAY,
        "payer": "Ada Lovelace",
        "request_key": key or f"key-{reference}-{amount}-{extra}",
        **extra,
    }
    return post_form(client, "/staff/transfers", data)


def receipts(db) -> list[TransferReceipt]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(TransferReceipt).order_by(TransferReceipt.id)))


def kinds(db, order: Order) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OrderEvent.kind)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)
        )
    )


def test_references_are_matched_whatever_the_case_spaces_and_dashes(transfer_order, db):
    payment = payment_of(db, transfer_order)
    ref = payment.bank_reference  # "HH-ABCD-EFGH"
    body = ref.replace("-", "")[2:]
    for typed in (ref, ref.lower(), f"hh {body[:4]} {body[4:]}", f"HH{body}", f"Invoice {ref}."):
        assert transfers.normalise(typed) == ref, typed
        assert transfers.find_by_reference(typed).id == payment.id
    assert transfers.find_by_reference("HH-ZZZZ-ZZZZ") is None
    assert transfers.normalise("no reference at all") is None


@pytest.mark.both_dbs
def test_a_short_transfer_leaves_the_rest_outstanding(client, transfer_order, db, staff, login):
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    typed = payment.bank_reference.lower().replace("-", " ")
    r = record(client, typed, "10,000.00")
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/transfers")
    [receipt] = receipts(db)
    assert receipt.status == "applied" and receipt.amount_cents == 10_000_00
    assert receipt.recorded_by_id == staff["support"].id and receipt.reference_text == typed
    payment = payment_of(db, transfer_order)
    assert payment.status == "awaiting_funds" and payment.amount_received_cents == 10_000_00
    order = fresh(db, transfer_order)
    assert order.status == "awaiting_funds"
    assert order.payment_state == "partially_paid"
    assert order.received_cents == 10_000_00
    assert order.outstanding_cents == order.total_cents - 10_000_00
    event = db.session.scalar(
        sa.select(OrderEvent).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == "transfer_part_received"
        )
    )
    assert "$10,000.00" in event.note and "$36,540.50 still outstanding" in event.note
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "transfer.recorded"))
    assert entry.actor_id == staff["support"].id and entry.target_id == str(payment.id)
    assert entry.after["amount_cents"] == 10_000_00
    # The rest arrives: the order is paid and its units are sold.
    record(client, payment.bank_reference, "36,540.50")
    order = fresh(db, transfer_order)
    assert order.status == "paid" and order.payment_state == "paid"
    assert payment_of(db, order).status == "received"
    assert order.outstanding_cents == 0


def test_a_full_transfer_pays_the_order_and_converts_its_units(
    client, transfer_order, db, staff, login, piano
):
    variant_id = piano.variants[0].id
    stock_before = db.session.get(Variant, variant_id).stock_on_hand
    payment = payment_of(db, transfer_order)
    login(staff["manager"])
    r = record(client, payment.bank_reference, "46540.50")
    assert r.status_code == 303
    order = fresh(db, transfer_order)
    assert order.status == "paid" and order.payment_state == "paid"
    assert order.paid_cents == order.total_cents
    assert payment_of(db, order).status == "received"
    reservation = db.session.scalar(sa.select(StockReservation))
    assert reservation.status == "converted"
    assert db.session.get(Variant, variant_id).stock_on_hand == stock_before - 1
    assert "paid" in kinds(db, order)


def test_no_match_is_a_form_error_and_nothing_is_stored(client, transfer_order, db, staff, login):
    login(staff["support"])
    r = record(client, "HH-ZZZZ-ZZZZ", "1,000.00")
    assert r.status_code == 400
    assert "No order has that bank reference" in r.get_data(as_text=True)
    r = record(client, "HH-ZZZZ-ZZZZ", "lots")
    assert r.status_code == 400 and "Enter an amount" in r.get_data(as_text=True)
    assert receipts(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert fresh(db, transfer_order).received_cents == 0


def test_a_double_submit_makes_one_receipt(client, transfer_order, db, staff, login):
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    for _ in range(2):
        assert (
            record(client, payment.bank_reference, "5,000.00", key="same-form").status_code == 303
        )
    assert len(receipts(db)) == 1
    assert payment_of(db, transfer_order).amount_received_cents == 5_000_00
    assert fresh(db, transfer_order).received_cents == 5_000_00


@pytest.mark.both_dbs
def test_four_eyes_above_the_limit(client, app, transfer_order, db, staff, login):
    app.config["TRANSFER_APPROVAL_ABOVE_CENTS"] = 10_000_00
    payment = payment_of(db, transfer_order)
    login(staff["manager"])
    assert record(client, payment.bank_reference, "46,540.50").status_code == 303
    [receipt] = receipts(db)
    assert receipt.status == "pending_approval"
    order = fresh(db, transfer_order)
    assert order.status == "awaiting_funds" and order.received_cents == 0  # not yet
    page = client.get("/staff/transfers").get_data(as_text=True)
    assert 'data-testid="pending-transfer"' in page and "you recorded it" in page
    # The recorder cannot approve their own receipt: not through the page, not in the service,
    # not in the database.
    r = post_form(client, f"/staff/transfers/{receipt.id}/approve", {})
    assert r.status_code == 303
    assert receipts(db)[0].status == "pending_approval"
    with pytest.raises(DomainError, match="second staff member"):
        transfers.approve(receipt.id, staff["manager"])
    db.session.rollback()
    receipt = receipts(db)[0]
    receipt.approved_by_id = staff["manager"].id
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Support records but never approves; a rep does neither.
    post_form(client, "/account/logout", {})
    login(staff["support"])
    assert post_form(client, f"/staff/transfers/{receipt.id}/approve", {}).status_code == 403
    post_form(client, "/account/logout", {})
    login(staff["rep"])
    assert client.get("/staff/transfers").status_code == 403
    assert record(client, payment.bank_reference, "1.00").status_code == 403
    assert post_form(client, f"/staff/transfers/{receipt.id}/approve", {}).status_code == 403
    assert len(receipts(db)) == 1
    # A second manager approves: applied, and the order is paid.
    post_form(client, "/account/logout", {})
    login(staff["manager2"])
    r = post_form(client, f"/staff/transfers/{receipt.id}/approve", {})
    assert r.status_code == 303
    receipt = receipts(db)[0]
    assert receipt.status == "applied" and receipt.approved_by_id == staff["manager2"].id
    assert "Max Manager" in receipt.approved_by_label and receipt.decided_at is not None
    order = fresh(db, transfer_order)
    assert order.status == "paid" and order.payment_state == "paid"
    approved = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "transfer.approved")
    )
    assert approved.actor_id == staff["manager2"].id
    # Approving again changes nothing.
    post_form(client, f"/staff/transfers/{receipt.id}/approve", {})
    assert payment_of(db, order).amount_received_cents == order.total_cents


def test_a_receipt_above_the_limit_can_be_rejected_by_another(
    client, app, transfer_order, db, staff, login
):
    app.config["TRANSFER_APPROVAL_ABOVE_CENTS"] = 10_000_00
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    record(client, payment.bank_reference, "20,000.00")
    [receipt] = receipts(db)
    post_form(client, "/account/logout", {})
    login(staff["manager"])
    assert post_form(client, f"/staff/transfers/{receipt.id}/reject", {}).status_code == 303
    assert receipts(db)[0].status == "pending_approval"  # a reason is required
    r = post_form(client, f"/staff/transfers/{receipt.id}/reject", {"reason": "Wrong amount"})
    assert r.status_code == 303
    assert receipts(db)[0].status == "rejected"
    assert payment_of(db, transfer_order).amount_received_cents == 0
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "transfer.rejected"))
    assert entry.reason == "Wrong amount" and entry.actor_id == staff["manager"].id


def test_an_overpayment_is_applied_and_flagged(client, transfer_order, db, staff, login):
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    record(client, payment.bank_reference, "46,640.50")
    order = fresh(db, transfer_order)
    assert order.status == "paid" and order.received_cents == order.total_cents + 100_00
    assert order.needs_review
    assert order.review_reason == "Overpaid by $100.00: refund the difference."
    assert kinds(db, order).count("overpaid") == 1


def test_the_order_page_panel_prefills_the_reference_and_records_back_to_the_order(
    client, transfer_order, db, staff, login
):
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    page = client.get(f"/staff/orders/{transfer_order.number}").get_data(as_text=True)
    assert 'data-testid="transfers-panel"' in page
    assert f'name="reference" value="{payment.bank_reference}"' in page
    assert 'name="request_key" value="' in page
    r = record(client, payment.bank_reference, "1,000.00", back="order")
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/staff/orders/{transfer_order.number}")
    page = client.get(f"/staff/orders/{transfer_order.number}").get_data(as_text=True)
    assert 'data-testid="transfer-receipt"' in page and "recorded by Sam Support" in page
    # A refusal from the order page goes back to it, with why.
    r = record(client, payment.bank_reference, "0", back="order")
    assert r.status_code == 303
    assert len(receipts(db)) == 1


def test_a_transfer_for_a_cancelled_order_is_refused(client, transfer_order, db, staff, login):
    payment = payment_of(db, transfer_order)
    payment.status = "expired"
    db.session.commit()
    login(staff["support"])
    r = record(client, payment.bank_reference, "1,000.00")
    assert r.status_code == 400 and "was closed" in r.get_data(as_text=True)
    assert receipts(db) == []


# --- expiry of transfer orders never paid -------------------------------------------------------


def overdue(db, order: Order) -> None:
    order = db.session.get(Order, order.id)
    order.funds_due_at = utcnow() - timedelta(minutes=1)
    for r in db.session.scalars(sa.select(StockReservation)):
        r.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_the_expiry_command_cancels_unpaid_transfer_orders_and_releases_units(
    app, transfer_order, db, piano
):
    variant_id = piano.variants[0].id
    runner = app.test_cli_runner()
    # Not yet due: nothing happens.
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0 and "0 unpaid transfer order(s)" in result.output
    assert fresh(db, transfer_order).status == "awaiting_funds"
    overdue(db, transfer_order)
    result = runner.invoke(args=["expire-orders"])
    assert result.exit_code == 0, result.output
    assert "1 unpaid transfer order(s)" in result.output
    order = fresh(db, transfer_order)
    assert order.status == "cancelled"
    assert payment_of(db, order).status == "expired"
    assert db.session.scalar(sa.select(StockReservation.status)) == "released"
    assert db.session.get(Variant, variant_id).stock_on_hand == 3
    # Twice is harmless.
    assert "0 unpaid transfer order(s)" in runner.invoke(args=["expire-orders"]).output


@pytest.mark.both_dbs
def test_the_expiry_command_flags_a_part_paid_order_instead(
    app, client, transfer_order, db, staff, login
):
    payment = payment_of(db, transfer_order)
    login(staff["support"])
    record(client, payment.bank_reference, "10,000.00")
    overdue(db, transfer_order)
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["expire-orders"])
        assert result.exit_code == 0 and "0 unpaid transfer order(s)" in result.output
    order = fresh(db, transfer_order)
    assert order.status == "awaiting_funds"
    assert order.needs_review and "Transfer overdue" in order.review_reason
    assert "$36,540.50 outstanding" in order.review_reason
    assert kinds(db, order).count("transfer_overdue") == 1
    # Its units are held again while staff follow up.
    reservation = db.session.scalar(
        sa.select(StockReservation).where(StockReservation.status == "active")
    )
    assert reservation.expires_at > utcnow() + timedelta(days=4)
    assert payment_of(db, order).status == "awaiting_funds"
    assert db.session.scalar(sa.select(Payment.status)) == "awaiting_funds"


# --- two clicks at once ----------------------------------------------------------------------


@pytest.mark.postgres
def test_one_form_sent_twice_at_once_makes_one_receipt(app, transfer_order, db, staff):
    reference = payment_of(db, transfer_order).bank_reference
    support_id = staff["support"].id

    def submit():
        from shop.auth.models import User

        actor = _db.session.get(User, support_id)
        return transfers.record_receipt(
            reference_text=reference,
            amount_cents=5_000_00,
            received_on=utcnow().date(),
            payer="Ada Lovelace",
            actor=actor,
            request_key="one-form",
        ).id

    results = run_together(app, [submit, submit])
    assert results[0] == results[1]
    assert len(receipts(db)) == 1
    assert payment_of(db, transfer_order).amount_received_cents == 5_000_00


@pytest.mark.postgres
def test_two_approvals_at_once_apply_the_receipt_once(app, transfer_order, db, staff):
    app.config["TRANSFER_APPROVAL_ABOVE_CENTS"] = 10_000_00
    receipt = transfers.record_receipt(
        reference_text=payment_of(db, transfer_order).bank_reference,
        amount_cents=20_000_00,
        received_on=utcnow().date(),
        payer="Ada Lovelace",
        actor=staff["support"],
        request_key="big-one",
    )
    db.session.commit()
    ids = [staff["manager"].id, staff["manager2"].id]

    def approve(user_id):
        from shop.auth.models import User

        return transfers.approve(receipt.id, _db.session.get(User, user_id)).status

    results = run_together(app, [lambda i=i: approve(i) for i in ids])
    assert sorted(map(str, results)) == [
        "This transfer is no longer waiting for approval.",
        "applied",
    ]
    assert payment_of(db, transfer_order).amount_received_cents == 20_000_00
    assert fresh(db, transfer_order).received_cents == 20_000_00
