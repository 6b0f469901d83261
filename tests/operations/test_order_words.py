"""What the buyer and staff read about an order says what happened, in the reader's words:
placed, card authorized (a hold, not a charge), charged, transfer received, confirmed by staff;
amounts as money; status words written for whoever reads the page."""

import re

import sqlalchemy as sa

from shop.notifications.models import OutboxMessage
from shop.orders import operations
from shop.orders.services import access_token
from tests.conftest import post_form
from tests.operations.card_helpers import fresh
from tests.operations.conftest import payment_of

TOTAL = "$46,540.50"  # the piano order of the fixtures


def email(db, key_start: str) -> OutboxMessage:
    db.session.expire_all()
    [message] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(key_start))
    ).all()
    return message


def timeline(client, order) -> str:
    """The buyer's timeline as the buyer reads it, tags stripped."""
    page = client.get(f"/orders/view/{access_token(order)}").get_data(as_text=True)
    section = page[page.index("<h2>Timeline</h2>") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def no_cents(text: str) -> None:
    assert "cents" not in text
    assert "4654050" not in text  # the total as a bare number of cents


def test_a_card_order_says_authorized_then_confirmed_then_charged(
    client, card_order, staff, db, login
):
    placed = email(db, "order-confirmation:")
    # The card is only held: the email says so, and does not call the order confirmed.
    assert placed.subject == (
        f"Order {card_order.number} placed: your card is authorized, not charged yet"
    )
    assert "confirmed" not in placed.subject
    assert f"your card is authorized for {TOTAL}: that is a hold, nothing is charged yet" in (
        placed.body_text
    )
    no_cents(placed.body_text)
    words = timeline(client, card_order)
    assert "Order created, to be paid by card." in words
    assert f"Order placed. Card authorized for {TOTAL}; not charged yet." in words
    assert "Paid by card" not in words and "charged " + TOTAL not in words
    no_cents(words)

    # Staff check the order: that, and only that, is "confirmed".
    login(staff["rep"])
    r = post_form(client, f"/staff/orders/{card_order.number}/status", {"to": "confirmed"})
    assert r.status_code in (302, 303)
    confirmed = email(db, "order-confirmed:")
    assert confirmed.subject == f"Order {card_order.number}: checked and confirmed by our team"
    assert f"Your card holds {TOTAL} for this order" in confirmed.body_text

    # The money is taken: the timeline says the card was charged.
    payment = payment_of(db, card_order)
    operations.capture_payment(card_order.id, payment.id, None, staff["manager"])
    db.session.commit()
    assert fresh(db, type(card_order), card_order.id).status == "paid"
    words = timeline(client, card_order)
    assert f"Card charged {TOTAL}." in words
    no_cents(words)


def test_a_bank_transfer_order_says_chosen_then_received(client, transfer_order, staff, db, login):
    details = email(db, "order-bank-details:")
    assert details.subject == f"Order {transfer_order.number}: bank details for your transfer"
    assert f"Please transfer {TOTAL}" in details.body_text
    words = timeline(client, transfer_order)
    assert "Order created, to be paid by bank transfer." in words
    assert "Bank transfer chosen" not in words

    payment = payment_of(db, transfer_order)
    login(staff["manager"])
    r = post_form(
        client,
        "/staff/transfers",
        {
            "reference": payment.bank_reference,
            "amount": "46540.50",
            "received_on": "2026-12-01",
            "payer": "Ada Lovelace",
            "request_key": "words-1",
        },
    )
    assert r.status_code == 303
    received = email(db, "order-confirmation:")
    assert received.subject == f"Order {transfer_order.number} placed: your bank transfer arrived"
    assert f"your bank transfer of {TOTAL} arrived" in received.body_text
    assert "paid in full" in received.body_text
    assert "card" not in received.body_text.lower()  # nothing was paid or held by card
    no_cents(received.body_text)
    words = timeline(client, transfer_order)
    assert f"Bank transfer received: {TOTAL}. Order placed and paid in full." in words
    no_cents(words)


def test_staff_and_buyer_each_read_their_own_status_words(client, transfer_order, staff, db, login):
    buyer_page = client.get(f"/orders/view/{access_token(transfer_order)}").get_data(as_text=True)
    assert "Waiting for your bank transfer" in buyer_page
    login(staff["manager"])
    for url in ("/staff/orders", f"/staff/orders/{transfer_order.number}"):
        page = client.get(url).get_data(as_text=True)
        assert "Waiting for the buyer&#39;s bank transfer" in page, url
        assert "Waiting for your bank transfer" not in page, url
