"""Card disputes from Stripe: the order is flagged, fulfilment stops, managers are told, the order
page gathers the evidence; closed disputes say won or lost."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.db import utcnow
from shop.delivery.models import DeliveryAppointment
from shop.errors import InvalidTransition
from shop.notifications.models import OutboxMessage
from shop.orders import states
from shop.orders.models import Order, OrderEvent
from shop.orders.states import OrderStatus
from tests.checkout.test_webhooks import send
from tests.operations.conftest import payment_of


def fresh(db, order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def dispute(db, order: Order, status: str = "needs_response", **extra) -> dict:
    payment = payment_of(db, order)
    return {
        "id": "dp_test_1",
        "object": "dispute",
        "charge": "ch_test_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": order.total_cents,
        "currency": "usd",
        "reason": "product_not_received",
        "status": status,
        **extra,
    }


def manager_mail(db, kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(f"dispute-{kind}:"))
            .order_by(OutboxMessage.id)
        )
    )


def events(db, order: Order, kind: str) -> list[OrderEvent]:
    return list(
        db.session.scalars(
            sa.select(OrderEvent).where(OrderEvent.order_id == order.id, OrderEvent.kind == kind)
        )
    )


@pytest.fixture
def paid_order(client, db, card_order):
    """The card order, captured in full (paid), ready for delivery."""
    from shop.payments import services as payments

    payments.capture(payment_of(db, card_order).id)
    db.session.commit()
    order = fresh(db, card_order)
    assert order.status == "paid"
    return order


def test_a_dispute_flags_the_order_stops_fulfilment_and_tells_every_manager(
    client, db, paid_order, staff
):
    assert send(client, "charge.dispute.created", dispute(db, paid_order)).status_code == 200
    order = fresh(db, paid_order)
    assert order.dispute_status == "open"
    assert order.needs_review and "product_not_received" in order.review_reason
    [event] = events(db, order, "dispute_opened")
    assert not event.visible_to_buyer and "Fulfilment is stopped" in event.note
    mails = manager_mail(db, "opened")
    assert sorted(m.to_address for m in mails) == ["boss2@example.com", "boss@example.com"]
    assert order.number in mails[0].subject and "product not received" in mails[0].body_text
    # Fulfilment stops: no delivery booked, nothing delivered, whoever asks.
    for target in (OrderStatus.DELIVERY_SCHEDULED, OrderStatus.DELIVERED):
        assert target not in states.moves_for(order, "manager")
        with pytest.raises(InvalidTransition, match="dispute"):
            states.transition(order, target, actor_kind="manager", actor=staff["manager"])
    db.session.rollback()
    assert fresh(db, paid_order).status == "paid"
    # The same dispute delivered again (a new event id) changes nothing twice.
    send(client, "charge.dispute.created", dispute(db, paid_order))
    assert len(events(db, order, "dispute_opened")) == 1
    assert len(manager_mail(db, "opened")) == 2


def test_a_dispute_won_lets_fulfilment_go_on(client, db, paid_order, staff):
    send(client, "charge.dispute.created", dispute(db, paid_order))
    r = send(client, "charge.dispute.closed", dispute(db, paid_order, status="won"))
    assert r.status_code == 200
    order = fresh(db, paid_order)
    assert order.dispute_status == "won" and not order.needs_review
    assert len(events(db, order, "dispute_won")) == 1
    assert len(manager_mail(db, "closed")) == 2
    states.transition(order, OrderStatus.DELIVERED, actor_kind="manager", actor=staff["manager"])
    db.session.commit()
    assert fresh(db, paid_order).status == "delivered"


def test_a_dispute_lost_stays_flagged(client, db, paid_order, staff):
    send(client, "charge.dispute.created", dispute(db, paid_order))
    send(client, "charge.dispute.closed", dispute(db, paid_order, status="lost"))
    order = fresh(db, paid_order)
    assert order.dispute_status == "lost"
    assert order.needs_review and "lost" in order.review_reason
    [event] = events(db, order, "dispute_lost")
    assert not event.visible_to_buyer
    mails = manager_mail(db, "closed")
    assert len(mails) == 2 and "lost" in mails[0].subject
    # Redelivered: nothing twice.
    send(client, "charge.dispute.closed", dispute(db, paid_order, status="lost"))
    assert len(events(db, order, "dispute_lost")) == 1


@pytest.mark.both_dbs
def test_the_order_page_gathers_the_evidence(client, db, paid_order, staff, login):
    order = db.session.get(Order, paid_order.id)
    crew = staff["support"]
    db.session.add(
        DeliveryAppointment(
            reference="DA-TEST1",
            order_id=order.id,
            crew_id=crew.id,
            starts_at=utcnow(),
            ends_at=utcnow() + timedelta(hours=4),
            status="delivered",
            buyer_timezone="America/Los_Angeles",
            delivered_at=utcnow(),
            delivered_by_id=crew.id,
            delivery_note="Placed in the music room, tuned, signed for by Ada.",
        )
    )
    order.delivered_at = utcnow()
    db.session.commit()
    send(client, "charge.dispute.created", dispute(db, paid_order))
    login(staff["manager"])
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert 'data-testid="evidence-panel"' in page
    assert 'data-testid="dispute-status">open<' in page
    order = fresh(db, paid_order)
    acceptance = page[page.index('data-testid="evidence-acceptance"') :]
    assert order.terms_version in acceptance and order.terms_accepted_ip in acceptance
    assert "signed for by Ada" in page  # the crew's note
    assert 'data-testid="evidence-email"' in page  # what we told the buyer
    assert f"Order {order.number} placed" in page
    assert "Card dispute opened" in page
    # Staff emails about the dispute are not part of the buyer's communication.
    emails = page[page.index('data-testid="evidence-emails"') :]
    emails = emails[: emails.index("</table>")]
    assert "boss@example.com" not in emails


def test_no_evidence_panel_without_a_dispute(client, db, paid_order, staff, login):
    login(staff["support"])
    page = client.get(f"/staff/orders/{paid_order.number}").get_data(as_text=True)
    assert 'data-testid="evidence-panel"' not in page
