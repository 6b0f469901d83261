"""What people type reaches email headers only as one line (issue 23, point 11): a newline in a
buyer's name made the rep's email fail on every attempt, so the rep was never told."""

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from shop.auth.models import User
from shop.auth.roles import Role
from shop.notifications.models import OutboxMessage
from shop.notifications.services import deliver_pending, queue_email
from shop.quotes.models import Quote
from tests.conftest import PASSWORD, post_form, sign_up

HOSTILE_NAME = "Ada\r\nBcc: someone@evil.example\x00\u2028Lovelace"


def test_a_subject_with_line_breaks_is_sent_on_one_line(app, db, mailbox):
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"emails/hello.txt": "Hello."}), app.jinja_env.loader]
    )
    queue_email("test:header:1", "rep@example.com", f"Quote request from {HOSTILE_NAME}", "hello")
    db.session.commit()

    assert deliver_pending() == 1

    [received] = mailbox
    assert received["Subject"] == "Quote request from Ada Bcc: someone@evil.example Lovelace"
    assert received["Bcc"] is None
    assert received["To"] == "rep@example.com"
    row = db.session.scalar(sa.select(OutboxMessage))
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.fixture
def boat(make_category, make_product):
    return make_product(make_category(), name="Swan 48", price_cents=100_000_00)


def test_a_buyer_whose_stored_name_has_a_newline_still_reaches_the_rep(
    client, db, make_user, login, boat, mailbox
):
    rep = make_user(Role.REP, email="maya@example.com", name="Maya Okafor")
    # Stored before names were cleaned where they enter.
    buyer = make_user(Role.BUYER, email="ada@example.com", name=HOSTILE_NAME)
    login(buyer)
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 1})
    response = post_form(client, "/quotes/request", {"comment": "Spring delivery?"})
    assert response.status_code == 303

    quote = db.session.scalar(sa.select(Quote))
    to_rep = [m for m in mailbox if m["To"] == rep.email]
    assert [m["Subject"] for m in to_rep] == [
        f"Quote request {quote.number} from Ada Bcc: someone@evil.example Lovelace"
    ]


def test_a_visitor_typing_a_newline_in_their_name_reaches_the_rep_by_name(
    client, db, make_user, boat, mailbox
):
    rep = make_user(Role.REP, email="maya@example.com", name="Maya Okafor")
    post_form(client, "/cart/add", {"variant_id": boat.variants[0].id, "quantity": 1})
    data = {"name": "Ada\r\n Lovelace\x00", "email": "ada@example.com", "comment": "Hi"}
    assert post_form(client, "/quotes/request", data).status_code == 303

    quote = db.session.scalar(sa.select(Quote))
    assert quote.name == "Ada Lovelace"
    [to_rep] = [m for m in mailbox if m["To"] == rep.email]
    assert to_rep["Subject"] == f"Quote request {quote.number} from Ada Lovelace"


def test_a_name_is_one_line_from_registration_on(client, db):
    data = {
        "name": "Grace\nHopper\t\x00 \u2028",
        "email": "grace@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    sign_up(client, data)  # the account is made when the emailed link is followed
    user = db.session.scalar(sa.select(User).where(User.email == "grace@example.com"))
    assert user.name == "Grace Hopper"


def test_a_checkout_contact_name_is_one_line(client, db, make_category, make_product):
    from shop.checkout.models import Checkout

    product = make_product(make_category())
    post_form(client, "/cart/add", {"variant_id": product.variants[0].id, "quantity": 1})
    data = {"email": "ada@example.com", "name": "Ada\r\nLovelace", "phone": "+1 503 555 0100"}
    assert post_form(client, "/checkout/contact", data).status_code == 303
    assert db.session.scalar(sa.select(Checkout.name)) == "Ada Lovelace"
