"""Satisfaction: a solved ticket is rated once, 1 to 5, by its owner (or a guest's signed link);
low ratings are emailed to every manager and listed on the managers' dashboard."""

import pytest
import sqlalchemy as sa

from shop.notifications.services import deliver_all
from shop.support import satisfaction
from shop.support.models import Ticket
from shop.support.services import ticket_link_token
from tests.conftest import post_form
from tests.support.helpers_s4 import make_ticket, outbox


@pytest.fixture
def solved(buyer_with_delivered_order):
    made = buyer_with_delivered_order
    return made, make_ticket(kind="complaint", order=made.order, buyer=made.buyer, solved=True)


def rate(client, ticket, data):
    return post_form(client, f"/support/after-sale/tickets/{ticket.number}/rate", data)


def fresh(db, ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_the_owner_rates_a_solved_ticket_once(client, db, login, solved, support_staff):
    made, ticket = solved
    login(made.buyer)
    r = rate(client, ticket, {"rating": "5", "comment": "Quick and kind."})
    assert r.status_code == 303
    t = fresh(db, ticket)
    assert t.rating == 5 and t.rating_comment == "Quick and kind." and t.rated_at is not None
    r = rate(client, ticket, {"rating": "1", "comment": "changed my mind"})
    assert r.status_code == 303
    assert fresh(db, ticket).rating == 5
    assert outbox("rating-low") == []  # a good rating flags nothing


@pytest.mark.parametrize("value", ["0", "6", "-1", "abc", "", "4.5"])
def test_the_rating_is_between_1_and_5(client, db, login, solved, value):
    made, ticket = solved
    login(made.buyer)
    assert rate(client, ticket, {"rating": value}).status_code == 303
    assert fresh(db, ticket).rating is None


def test_only_a_solved_ticket_is_rated(db, buyer_with_delivered_order):
    made = buyer_with_delivered_order
    ticket = make_ticket(kind="question", order=made.order, buyer=made.buyer, status="open")
    with pytest.raises(Exception, match="once it is solved"):
        satisfaction.rate(ticket.id, 4)
    assert satisfaction.may_rate(ticket) is False


def test_no_one_else_can_rate(client, db, login, solved, support_staff):
    _made, ticket = solved
    assert rate(client, ticket, {"rating": "1"}).status_code == 404  # signed out
    login(support_staff["other_buyer"])
    assert rate(client, ticket, {"rating": "1"}).status_code == 404
    assert fresh(db, ticket).rating is None


def test_a_guest_rates_through_the_signed_link(client, db, make_delivered_order):
    made = make_delivered_order(buyer=False)
    ticket = make_ticket(kind="question", order=made.order, email="guest@example.com", solved=True)
    token = ticket_link_token(ticket)
    r = post_form(client, "/support/after-sale/link/not-a-token/rate", {"rating": "4"})
    assert r.status_code == 404
    r = post_form(client, f"/support/after-sale/link/{token}/rate", {"rating": "4"})
    assert r.status_code == 303
    assert fresh(db, ticket).rating == 4


def test_a_low_rating_is_emailed_to_each_manager_and_listed_for_them(
    client, db, login, solved, support_staff, mailbox
):
    _made, ticket = solved
    satisfaction.rate(ticket.id, "2", "Nobody called <b>back</b>.")
    db.session.commit()
    mails = outbox("rating-low")
    assert sorted(m.to_address for m in mails) == sorted(
        [support_staff["manager"].email, support_staff["manager2"].email]
    )
    assert "Nobody called <b>back</b>." in mails[0].body_text and ticket.number in mails[0].subject
    deliver_all()
    assert sorted(m["To"] for m in mailbox if "Low rating" in m["Subject"]) == sorted(
        [support_staff["manager"].email, support_staff["manager2"].email]
    )
    login(support_staff["manager"])
    html = client.get("/staff/").get_data(as_text=True)
    assert html.count('data-testid="dash-low-ratings-row"') == 1
    assert "Nobody called &lt;b&gt;back&lt;/b&gt;." in html


def test_the_dashboard_keeps_a_fixed_query_count(
    client, db, login, support_staff, make_delivered_order, query_counter
):
    def low(n):
        for _ in range(n):
            made = make_delivered_order()
            t = make_ticket(kind="complaint", order=made.order, buyer=made.buyer, solved=True)
            satisfaction.rate(t.id, 1, "slow")
        db.session.commit()

    login(support_staff["manager"])
    low(1)
    with query_counter() as few:
        assert client.get("/staff/").status_code == 200
    low(4)
    with query_counter() as many:
        html = client.get("/staff/").get_data(as_text=True)
    assert html.count('data-testid="dash-low-ratings-row"') == 5
    assert len(many) == len(few)
    assert satisfaction.low_ratings()[0].rating == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 5


def test_the_thread_offers_the_form_then_shows_the_rating(client, db, login, solved):
    made, ticket = solved
    login(made.buyer)
    html = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="rating-form"' in html
    assert f"/support/after-sale/tickets/{ticket.number}/rate" in html
    r = rate(client, ticket, {"rating": "4", "comment": "<script>x()</script>"})
    assert r.headers["Location"].endswith(f"/support/{ticket.number}#rating")
    html = client.get(f"/support/{ticket.number}").get_data(as_text=True)
    assert 'data-testid="rating-form"' not in html and "rated our service 4 out of 5" in html
    assert "<script>x()</script>" not in html


def test_a_guests_thread_posts_to_the_signed_link(client, db, make_delivered_order):
    made = make_delivered_order(buyer=False)
    ticket = make_ticket(kind="question", order=made.order, email="guest@example.com", solved=True)
    token = ticket_link_token(ticket)
    html = client.get(f"/support/t/{token}").get_data(as_text=True)
    assert f"/support/after-sale/link/{token}/rate" in html
