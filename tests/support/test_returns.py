"""Returns: the window, decisions with reasons, instructions by email, received, and one outcome:
a refund through the four-eyes path, store credit (once), or an exchange order at no charge."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shop.catalog.models import Variant
from shop.credit.models import StoreCredit
from shop.db import utcnow
from shop.errors import DomainError
from shop.notifications.services import deliver_all
from shop.orders import operations
from shop.orders.models import Order, OrderLine
from shop.orders.states import OrderStatus, transition
from shop.payments import refunds
from shop.payments.models import Refund
from shop.support import returns
from shop.support.models import ReturnRequest
from tests.checkout.conftest import app_config, checkout_to_review, piano  # noqa: F401
from tests.conftest import email_text, post_form
from tests.operations.conftest import card_order, payment_of, place_card_order  # noqa: F401
from tests.support.helpers_s4 import audit_actions, event_kinds, make_ticket, outbox


@pytest.fixture
def people(support_staff):
    return support_staff


@pytest.fixture
def return_ticket(make_delivered_order):
    """A return request about a piano delivered 3 days ago."""

    def _make(days_ago: int = 3, **kw):
        made = make_delivered_order(delivered_days_ago=days_ago, **kw)
        ticket = make_ticket(
            kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
        )
        return made, ticket

    return _make


def status_of(db, ticket) -> ReturnRequest:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReturnRequest).where(ReturnRequest.ticket_id == ticket.id))


def staff_post(client, url, data=None):
    return post_form(client, url, data or {}, csrf_page="/staff/")


def test_ensure_return_is_created_once_and_only_for_return_requests(db, return_ticket):
    made, ticket = return_ticket()
    first = returns.ensure_return(ticket.id)
    assert returns.ensure_return(ticket.id).id == first.id
    db.session.commit()
    assert first.order_id == made.order.id and first.status == "requested"
    question = make_ticket(kind="question", order=made.order)
    assert returns.ensure_return(question.id) is None


def test_a_rep_approves_within_the_window_and_the_buyer_gets_the_instructions(
    app, client, db, login, people, return_ticket, mailbox
):
    made, ticket = return_ticket(days_ago=3)
    login(people["rep"])
    r = staff_post(client, f"/staff/support/{ticket.number}/return/approve", {"instructions": ""})
    assert r.status_code == 303
    ret = status_of(db, ticket)
    assert ret.status == "approved" and ret.decided_by_id == people["rep"].id
    assert app.config["RETURN_CONDITIONS"] in ret.instructions
    [mail] = outbox("return-approved")
    assert mail.to_address == made.buyer.email
    assert "Unused, in its original packaging" in mail.body_text
    assert "return_approved" in event_kinds(ticket.id)
    assert audit_actions(ticket.number) == ["return.approve"]
    deliver_all()
    [sent] = [m for m in mailbox if "return is approved" in m["Subject"]]
    assert sent["To"] == made.buyer.email and ticket.number in email_text(sent)
    # deciding twice is refused
    with pytest.raises(DomainError, match="already approved"):
        returns.approve(ticket.id, people["manager"])


def test_custom_instructions_are_sent_as_written(db, people, return_ticket):
    _made, ticket = return_ticket()
    returns.approve(ticket.id, people["support"], "Bring it to the Portland showroom.")
    db.session.commit()
    assert "Bring it to the Portland showroom." in outbox("return-approved")[0].body_text


def test_a_decline_needs_a_reason_and_the_buyer_is_told_it(
    client, db, login, people, return_ticket
):
    _made, ticket = return_ticket()
    login(people["support"])
    r = staff_post(client, f"/staff/support/{ticket.number}/return/decline", {"reason": "  "})
    assert r.status_code == 303
    assert status_of(db, ticket) is None  # refused before anything was written
    with pytest.raises(DomainError, match="Say why"):
        returns.decline(ticket.id, people["support"], "")
    r = staff_post(
        client,
        f"/staff/support/{ticket.number}/return/decline",
        {"reason": "Made-to-order items cannot be returned."},
    )
    ret = status_of(db, ticket)
    assert ret.status == "declined" and ret.decision_note.startswith("Made-to-order")
    [mail] = outbox("return-declined")
    assert "Made-to-order items cannot be returned." in mail.body_text
    assert "return.decline" in audit_actions(ticket.number)


def test_outside_the_window_only_a_manager_with_a_reason_approves(db, people, return_ticket):
    _made, ticket = return_ticket(days_ago=31)
    with pytest.raises(DomainError, match="window of 30 days") as refused:
        returns.approve(ticket.id, people["rep"])
    assert "Only a manager" in refused.value.message
    db.session.rollback()
    with pytest.raises(DomainError, match="say why"):
        returns.approve(ticket.id, people["manager"])
    db.session.rollback()
    returns.approve(ticket.id, people["manager"], override_reason="Long-standing client")
    db.session.commit()
    ret = status_of(db, ticket)
    assert ret.status == "approved" and ret.decision_note == "Long-standing client"
    assert "return_window_override" in event_kinds(ticket.id)


def test_inside_the_window_on_its_last_day(db, people, return_ticket):
    _made, ticket = return_ticket(days_ago=29)
    returns.approve(ticket.id, people["rep"])
    db.session.commit()
    assert status_of(db, ticket).status == "approved"


def test_an_undelivered_order_cannot_be_returned_yet(db, people, return_ticket):
    made, ticket = return_ticket(status=OrderStatus.PAID)
    made.order.delivered_at = None
    db.session.commit()
    with pytest.raises(DomainError, match="not delivered"):
        returns.approve(ticket.id, people["rep"])


def test_received_then_store_credit_once(client, db, login, people, return_ticket):
    made, ticket = return_ticket()
    ticket.assignee_id = people["rep"].id  # a rep gives credit on a ticket assigned to them
    db.session.commit()
    with pytest.raises(DomainError, match="approved return"):
        returns.mark_received(ticket.id, people["rep"])
    db.session.rollback()
    returns.approve(ticket.id, people["rep"])
    db.session.commit()
    with pytest.raises(DomainError, match="once the goods are received"):
        returns.settle(ticket.id, "store_credit", people["rep"])
    db.session.rollback()
    login(people["rep"])
    staff_post(client, f"/staff/support/{ticket.number}/return/received")
    ret = status_of(db, ticket)
    assert ret.status == "received" and ret.received_at is not None
    assert len(outbox("return-received")) == 1
    r = staff_post(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "store_credit", "amount": "5,000.00", "request_key": "k1"},
    )
    assert r.status_code == 303
    ret = status_of(db, ticket)
    assert ret.outcome == "store_credit" and ret.status == "closed"
    assert ret.credit_cents == 5_000_00
    [credit] = db.session.scalars(sa.select(StoreCredit)).all()
    assert credit.return_id == ret.id and credit.amount_cents == 5_000_00
    assert credit.buyer_id == made.buyer.id and credit.email == made.buyer.email
    # a second settlement is refused: one outcome per return, one credit
    staff_post(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "store_credit", "amount": "5,000.00", "request_key": "k2"},
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoreCredit)) == 1
    with pytest.raises(DomainError, match="already settled"):
        returns.settle(ticket.id, "refund", people["manager"])
    db.session.rollback()
    assert "$5,000.00 of store credit" in outbox("return-settled")[0].body_text
    assert audit_actions(ticket.number) == [
        "return.approve",
        "return.received",
        "return.settle",
        "ticket.status",  # settling solves the ticket
    ]


def test_an_exchange_makes_a_paid_order_at_no_charge(db, people, return_ticket, support_product):
    made, ticket = return_ticket()
    variant_id = made.line.variant_id
    before = db.session.get(Variant, variant_id).stock_on_hand
    returns.approve(ticket.id, people["support"])
    returns.mark_received(ticket.id, people["support"])
    db.session.commit()
    # the returned unit is back on the shelf, and the replacement takes one
    assert db.session.get(Variant, variant_id).stock_on_hand == before + 1
    done = returns.settle(ticket.id, "exchange", people["support"])
    db.session.commit()
    new = db.session.get(Order, done.exchange_order.id)
    assert new.status == "paid" and new.total_cents == 0 and new.payment_state == "paid"
    assert new.discount_cents == new.subtotal_cents == made.line.unit_price_cents
    assert new.delivery_cents == 0 and new.tax_cents == 0 and new.email == made.order.email
    [line] = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == new.id)).all()
    assert line.variant_id == variant_id and line.quantity == made.line.quantity
    assert db.session.get(Variant, variant_id).stock_on_hand == before
    assert status_of(db, ticket).exchange_order_id == new.id
    assert new.number in outbox("return-settled")[0].body_text
    assert "order.exchange" in audit_actions(new.number)


def received_return_of(db, order, people):
    line = db.session.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id)).first()
    ticket = make_ticket(kind="return_request", order=order, lines=[line], email=order.email)
    returns.approve(ticket.id, people["rep"])
    returns.mark_received(ticket.id, people["rep"])
    db.session.commit()
    return ticket, line


def delivered_card_order(db, card_order, people):  # noqa: F811
    from shop.payments.services import capture

    capture(payment_of(db, card_order).id)
    db.session.commit()
    db.session.refresh(card_order)
    assert card_order.status == "paid"
    transition(card_order, OrderStatus.DELIVERED, actor_kind="support", actor=people["support"])
    db.session.commit()
    return card_order


def test_a_refund_above_the_limit_waits_for_a_second_staff_member(
    client,
    db,
    login,
    people,
    card_order,  # noqa: F811
):
    order = delivered_card_order(db, card_order, people)
    ticket, line = received_return_of(db, order, people)
    # a rep may decide but cannot ask for refunds
    with pytest.raises(DomainError, match="does not allow"):
        returns.settle(ticket.id, "refund", people["rep"])
    db.session.rollback()
    login(people["support"])
    r = staff_post(
        client,
        f"/staff/support/{ticket.number}/return/settle",
        {"outcome": "refund", "amount": "", "request_key": "return-key-1"},
    )
    assert r.status_code == 303
    ret = status_of(db, ticket)
    refund = db.session.get(Refund, ret.refund_id)
    assert ret.outcome == "refund"
    assert refund.amount_cents == line.line_total_cents + line.delivery_cents == 43_700_00
    assert refund.status == refunds.PENDING_APPROVAL
    assert refund.requested_by_id == people["support"].id
    assert "A second member of our team approves" in outbox("return-settled")[0].body_text
    # the one who asked cannot approve it; a second staff member does
    with pytest.raises(DomainError):
        operations.approve_refund(refund.id, people["support"])
    db.session.rollback()
    operations.approve_refund(refund.id, people["manager"])
    db.session.commit()
    db.session.expire_all()
    refund = db.session.get(Refund, ret.refund_id)
    assert refund.status == refunds.SUCCEEDED and refund.approved_by_id == people["manager"].id
    assert "return.settle" in audit_actions(ticket.number)
    assert {"refund.request", "refund.approve"} <= set(audit_actions(order.number))


def test_a_refund_within_the_limit_is_sent_at_once(db, people, card_order):  # noqa: F811
    order = delivered_card_order(db, card_order, people)
    ticket, _line = received_return_of(db, order, people)
    done = returns.settle(ticket.id, "refund", people["manager"], amount_cents=500_00)
    db.session.commit()
    assert done.refund.status == refunds.SUCCEEDED and done.refund.amount_cents == 500_00
    db.session.refresh(order)
    assert order.refunded_cents == 500_00


def test_a_refund_without_a_captured_card_payment_is_refused(db, people, return_ticket):
    _made, ticket = return_ticket()
    returns.approve(ticket.id, people["support"])
    returns.mark_received(ticket.id, people["support"])
    with pytest.raises(DomainError, match="give store credit instead"):
        returns.settle(ticket.id, "refund", people["support"])


def test_the_panel_shows_the_steps(app, db, people, return_ticket):
    from flask import render_template

    _made, ticket = return_ticket()
    with app.test_request_context("/staff/"):
        html = render_template("staff/support/_return.html", ticket=ticket, me=people["rep"])
    assert 'data-testid="return-approve-form"' in html and "Requested" in html
    returns.approve(ticket.id, people["rep"])
    returns.mark_received(ticket.id, people["rep"])
    db.session.commit()
    with app.test_request_context("/staff/"):
        html = render_template("staff/support/_return.html", ticket=ticket, me=people["rep"])
    assert 'data-testid="return-settle-form"' in html
    assert "43700.00" in html and "cannot ask for refunds" in html


def test_a_guest_window_uses_delivered_at(db, people, return_ticket):
    made, _ticket = return_ticket(days_ago=0)
    made.order.delivered_at = utcnow() - timedelta(days=30, hours=1)
    db.session.commit()
    assert not returns.within_window(made.order)


def test_the_staff_ticket_page_shows_the_return_and_warranty_panels(
    client, db, login, people, return_ticket
):
    made, ticket = return_ticket()
    from shop.support import warranty

    warranty.register_order(made.order)
    db.session.commit()
    login(people["support"])
    html = client.get(f"/staff/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="return-panel"' in html and 'data-testid="return-approve-form"' in html
    assert 'data-testid="warranty-panel"' in html and "Covered until" in html
