from tests.operations.conftest import payment_of


def test_a_card_order_is_placed_and_authorized(card_order, db):
    payment = payment_of(db, card_order)
    assert payment.status == "authorized"
    assert card_order.payment_state == "authorized"
    assert card_order.outstanding_cents == card_order.total_cents


def test_a_transfer_order_waits_for_funds(transfer_order, db):
    payment = payment_of(db, transfer_order)
    assert payment.status == "awaiting_funds" and payment.bank_reference
    assert transfer_order.payment_state == "unpaid"
