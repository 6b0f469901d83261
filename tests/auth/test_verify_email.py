"""Email verification: a signed link in an email, end to end through a real SMTP server."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner

from shop.auth import services as auth_services
from shop.auth.models import Registration, User
from shop.auth.services import make_verify_token
from shop.auth.signals import email_verified
from shop.notifications.models import OutboxMessage
from tests.conftest import PASSWORD, SIGN_UP_LINK, email_text, free_port, post_form

LINK_RE = re.compile(r"http://shop.test(/account/verify/[\w.-]+)")


def register(client, email="grace@example.com"):
    return post_form(
        client,
        "/account/register",
        {"name": "Grace Hopper", "email": email, "password": PASSWORD, "confirm": PASSWORD},
    )


def link_in(message, pattern=LINK_RE) -> str:
    match = pattern.search(email_text(message))
    assert match, email_text(message)
    assert match.group(0) in message.get_body(("html",)).get_content()
    return match.group(1)


def the_user(db, email="grace@example.com") -> User:
    return db.session.scalar(
        sa.select(User).where(User.email == email).execution_options(populate_existing=True)
    )


@pytest.fixture
def verified_signals():
    received = []

    def receiver(user):
        received.append(user.email)

    with email_verified.connected_to(receiver):
        yield received


def test_sign_up_sends_a_link_that_makes_a_verified_account(client, db, mailbox, verified_signals):
    r = register(client)
    assert r.status_code == 302
    assert the_user(db) is None  # not until the owner of the address follows the link

    [message] = mailbox  # sent right after the registration's commit
    assert message["To"] == "grace@example.com"
    assert message["Subject"] == "Confirm your email address for Harbor & Hall"
    assert "Hello Grace Hopper" in email_text(message)
    path = link_in(message, SIGN_UP_LINK)
    assert "grace" not in path  # the token is random; the address is not in it

    r = post_form(client, path, {}, csrf_page=path)
    assert r.status_code == 302 and r.headers["Location"] == "/account/"
    page = client.get("/account/").get_data(as_text=True)
    assert "your account is ready" in page
    assert "Email verified" in page and "Not verified yet" not in page
    assert the_user(db).email_verified_at is not None
    assert verified_signals == ["grace@example.com"]

    # The link is used up: a second click makes nothing and announces nothing twice.
    r = client.get(path)
    assert r.status_code == 400 and "already been used" in r.get_data(as_text=True)
    assert verified_signals == ["grace@example.com"]


def test_the_link_works_in_a_browser_that_is_not_logged_in(app, db, make_user, mailbox):
    user = make_user(email="ada@example.com")
    with app.test_request_context():
        token = make_verify_token(user)
    r = app.test_client().get(f"/account/verify/{token}")
    assert r.status_code == 302 and r.headers["Location"].startswith("/account/login")
    assert the_user(db, "ada@example.com").email_verified_at is not None


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "nonsense", lambda t: t * 2])
def test_a_tampered_link_gets_a_clear_400_page(client, db, make_user, mangle):
    user = make_user()
    token = mangle(make_verify_token(user))
    r = client.get(f"/account/verify/{token}")
    assert r.status_code == 400
    assert "verification link is not valid" in r.get_data(as_text=True)
    assert the_user(db, user.email).email_verified_at is None


def test_an_expired_link_says_so(client, db, make_user, monkeypatch):
    user = make_user()
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_ago)
        token = make_verify_token(user)
    r = client.get(f"/account/verify/{token}")
    assert r.status_code == 400
    assert "has expired" in r.get_data(as_text=True)
    assert the_user(db, user.email).email_verified_at is None


def test_a_link_for_an_address_no_longer_on_the_account_is_refused(client, db, make_user):
    user = make_user(email="old@example.com")
    token = make_verify_token(user)
    user.email = "new@example.com"
    db.session.commit()
    r = client.get(f"/account/verify/{token}")
    assert r.status_code == 400
    assert "no longer on the account" in r.get_data(as_text=True)
    assert the_user(db, "new@example.com").email_verified_at is None


def test_resend_sends_a_new_link_at_most_once_every_few_minutes(
    client, db, make_user, login, mailbox, monkeypatch
):
    now = datetime(2026, 5, 4, 10, 0, 1, tzinfo=UTC)
    monkeypatch.setattr(auth_services, "utcnow", lambda: now)
    user = make_user(email="ada@example.com")
    login(user)

    r = post_form(client, "/account/verify/resend", {}, follow_redirects=True)
    assert "We sent a new link to ada@example.com" in r.get_data(as_text=True)
    [message] = mailbox
    assert message["To"] == "ada@example.com"

    r = post_form(client, "/account/verify/resend", {}, follow_redirects=True)
    assert "a moment ago" in r.get_data(as_text=True)
    assert len(mailbox) == 1

    now += timedelta(minutes=5)
    post_form(client, "/account/verify/resend", {})
    assert len(mailbox) == 2

    client.get(link_in(mailbox[1]))
    r = post_form(client, "/account/verify/resend", {}, follow_redirects=True)
    assert "already verified" in r.get_data(as_text=True)
    assert len(mailbox) == 2


def test_resend_needs_a_login(client, mailbox):
    r = post_form(client, "/account/verify/resend", {})
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]
    assert mailbox == []


def test_registration_succeeds_while_the_mail_server_is_down(app, client, db, mailbox):
    app.extensions["mailman"].port = free_port()  # nothing listens there
    r = register(client)
    assert r.status_code == 302
    assert mailbox == []
    message = db.session.scalar(sa.select(OutboxMessage))
    assert (message.status, message.attempts) == ("pending", 1)
    assert db.session.scalar(sa.select(Registration.email)) == "grace@example.com"
