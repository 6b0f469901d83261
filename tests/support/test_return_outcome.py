"""A settled return solves its ticket (through the ticket's status move, with its event row),
and the buyer's ticket page says the outcome in words and money: a refund, store credit or an
exchange order."""

import pytest
import sqlalchemy as sa

from shop.db import utcnow
from shop.support import returns
from shop.support.models import Ticket, TicketEvent
from shop.support.services import ticket_link_token
from tests.checkout.conftest import app_config, checkout_to_review, piano  # noqa: F401
from tests.operations.conftest import card_order, payment_of, place_card_order  # noqa: F401
from tests.support.helpers_s4 import make_ticket, outbox
from tests.support.test_returns import delivered_card_order, received_return_of


@pytest.fixture
def received(db, make_delivered_order, support_staff):
    """A buyer's return request about a delivered piano, approved and received."""
    made = make_delivered_order()
    ticket = make_ticket(
        kind="return_request", order=made.order, lines=[made.line], buyer=made.buyer
    )
    returns.approve(ticket.id, support_staff["support"])
    returns.mark_received(ticket.id, support_staff["support"])
    db.session.commit()
    return made, ticket


def status_events(db, ticket) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent.note)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "status")
            .order_by(TicketEvent.id)
        )
    )


def assert_solved(db, ticket, outcome_words: str) -> None:
    db.session.expire_all()
    fresh = db.session.get(Ticket, ticket.id)
    assert fresh.status == "solved" and fresh.solved_at is not None
    note = status_events(db, ticket)[-1]
    assert note.startswith("Open → Solved. Return settled: " + outcome_words)
    # The settled email says the outcome; no second "Solved" email comes with it.
    assert len(outbox("return-settled")) == 1
    assert outbox("ticket-status:") == []


def page_of(client, login, made, ticket) -> str:
    login(made.buyer)
    response = client.get(f"/support/{ticket.number}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_store_credit_solves_the_ticket_and_the_buyer_reads_the_amount(
    client, db, login, received, support_staff
):
    made, ticket = received
    returns.settle(ticket.id, "store_credit", support_staff["support"], amount_cents=5_000_00)
    db.session.commit()
    assert_solved(db, ticket, "store credit")
    page = page_of(client, login, made, ticket)
    assert 'data-testid="ticket-status">Solved<' in page
    assert "Your return is settled" in page
    assert "We added $5,000.00 of store credit to your account" in page


def test_store_credit_waiting_for_approval_says_so_and_a_rejection_reopens(
    client, db, login, received, support_staff
):
    made, ticket = received
    returns.settle(ticket.id, "store_credit", support_staff["support"])  # the whole piano
    db.session.commit()
    assert_solved(db, ticket, "store credit")
    page = page_of(client, login, made, ticket)
    assert "We are giving you $43,700.00 of store credit" in page
    assert "once a second member of our team approves it" in page
    grant = returns.pending_credit()[0]
    returns.reject_credit(grant.id, support_staff["manager"], "Too much for a scratch")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "open"
    assert status_events(db, ticket)[-1].startswith("Solved → Open")
    assert "Your return is settled" not in client.get(f"/support/{ticket.number}").get_data(
        as_text=True
    )


def test_an_exchange_solves_the_ticket_and_names_the_replacement_order(
    client, db, login, received, support_staff
):
    made, ticket = received
    done = returns.settle(ticket.id, "exchange", support_staff["support"])
    db.session.commit()
    assert_solved(db, ticket, "exchange")
    page = page_of(client, login, made, ticket)
    assert 'data-testid="ticket-status">Solved<' in page
    assert "Your return is settled: an exchange" in page
    assert f"We made a replacement order, <strong>{done.exchange_order.number}</strong>" in page


def test_a_refund_solves_the_ticket_and_the_guest_reads_the_amount(
    client,
    db,
    support_staff,
    card_order,  # noqa: F811
):
    order = delivered_card_order(db, card_order, support_staff)
    ticket, _line = received_return_of(db, order, support_staff)
    returns.settle(ticket.id, "refund", support_staff["manager"], amount_cents=500_00)
    db.session.commit()
    assert_solved(db, ticket, "refund")
    page = client.get(f"/support/t/{ticket_link_token(ticket)}").get_data(as_text=True)
    assert 'data-testid="ticket-status">Solved<' in page
    assert "We refunded $500.00 to the card you paid with" in page


def test_a_settled_return_on_a_closed_ticket_stays_closed(db, received, support_staff):
    _made, ticket = received
    ticket.status, ticket.closed_at = "closed", utcnow()
    db.session.commit()
    returns.settle(ticket.id, "store_credit", support_staff["support"], amount_cents=100_00)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "closed"
