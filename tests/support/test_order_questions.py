"""A buyer's question about an order, from the order's page: it goes to the order's rep (told by
email), and both support's desk and the rep's desk list it (issue 24, point 11)."""

import re

import sqlalchemy as sa

from shop.notifications.models import OutboxMessage
from shop.support.models import Ticket
from tests.conftest import post_form


def ticket_rows(html: str) -> list[str]:
    return re.findall(r'data-testid="ticket-row" data-number="([^"]+)"', html)


def desk_tickets(html: str) -> str:
    """The tickets panel of the staff home page."""
    start = html.index('data-testid="dash-tickets"')
    return html[start : html.index("</section>", start)]


def ask_about_the_order(client, db, login, d) -> Ticket:
    """The buyer opens "Ask about this order" and sends a question."""
    login(d.buyer)
    r = post_form(
        client,
        f"/support/new?order={d.order.number}",
        {"kind": "question", "subject": "When can it come?", "message": "Is March possible?"},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    post_form(client, "/account/logout", {})
    return db.session.scalars(sa.select(Ticket)).one()


def test_a_question_about_an_order_reaches_its_rep_and_support(
    client, db, login, support_staff, buyer_with_rep_order
):
    d = buyer_with_rep_order
    ticket = ask_about_the_order(client, db, login, d)
    assert (ticket.assignee_id, ticket.queue, ticket.status) == (d.rep.id, "rep", "new")
    to_rep = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == d.rep.email)
    ).all()
    assert [ticket.number in m.subject for m in to_rep] == [True]
    assert f"/staff/support/{ticket.number}" in to_rep[0].body_text

    # Support's desk counts it and lists it, and its link opens a queue that lists it too.
    login(support_staff["support"])
    home = client.get("/staff/").get_data(as_text=True)
    panel = desk_tickets(home)
    assert "No ticket is waiting" not in panel
    assert 'data-testid="dash-tickets-new">1<' in panel
    assert ticket.number in panel and "When can it come?" in panel
    assert 'href="/staff/support"' in panel  # every ticket still to do, no filter set
    queue = client.get("/staff/support").get_data(as_text=True)
    assert ticket_rows(queue) == [ticket.number]
    assert "Rita Rep" in queue
    # Filters still narrow the queue, and stay in the address.
    assert ticket_rows(client.get("/staff/support?queue=support").get_data(as_text=True)) == []
    narrowed = client.get("/staff/support?queue=rep&kind=question").get_data(as_text=True)
    assert ticket_rows(narrowed) == [ticket.number]
    assert '<option value="rep" selected>' in narrowed
    post_form(client, "/account/logout", {}, csrf_page="/staff/")

    # The rep's own desk shows it.
    login(d.rep)
    panel = desk_tickets(client.get("/staff/").get_data(as_text=True))
    assert "Your tickets" in panel and ticket.number in panel
    assert 'data-testid="dash-tickets-new">1<' in panel


def test_a_question_about_an_order_whose_rep_left_goes_to_support(
    client, db, login, support_staff, buyer_with_rep_order
):
    d = buyer_with_rep_order
    d.rep.is_active_account = False
    db.session.commit()
    ticket = ask_about_the_order(client, db, login, d)
    assert (ticket.assignee_id, ticket.queue) == (None, "support")
    assert not db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == d.rep.email)
    ).all()
    to_support = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == support_staff["support"].email)
    ).all()
    assert len(to_support) == 1 and ticket.number in to_support[0].subject


def test_the_reps_desk_leaves_out_other_reps_tickets(
    client, db, login, support_staff, make_delivered_order
):
    mine = ask_about_the_order(client, db, login, make_delivered_order(rep=support_staff["rep"]))
    login(support_staff["rep2"])
    panel = desk_tickets(client.get("/staff/").get_data(as_text=True))
    assert mine.number not in panel
    assert "No ticket is waiting for you." in panel
