"""Sign-up tells no one whether an address has an account: same answer, same session, about
the same time; the owner of a taken address is told by email instead, and nothing changes."""

import re
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from shop.auth import passwords, registration
from shop.auth.models import Registration, User
from shop.db import utcnow
from tests.conftest import PASSWORD, csrf_token, email_text, post_form, sign_up_link

TOKEN = re.compile(r'(content|value)="[\w.-]{20,}"')


def sign_up_form(email: str, name: str = "Grace Hopper", password: str = PASSWORD) -> dict:
    return {"name": name, "email": email, "password": password, "confirm": password}


def session_of(app, client) -> dict:
    cookie = client.get_cookie("session")
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_taken_address_gets_the_same_answer_as_a_new_one(app, db, make_user):
    make_user(email="taken@example.com", name="Tara Taken")
    visitors = {"new": app.test_client(), "taken": app.test_client()}
    answers, pages, sessions = {}, {}, {}
    for kind, client in visitors.items():
        client.get("/account/register")
        before = session_of(app, client)
        form = sign_up_form(f"{kind}@example.com")
        r = post_form(client, "/account/register", form, csrf_page="/account/register")
        answers[kind] = (r.status_code, r.headers.get("Location"), "Set-Cookie" in r.headers)
        page = client.get(r.headers["Location"])
        pages[kind] = (page.status_code, TOKEN.sub("TOKEN", page.get_data(as_text=True)))
        after = session_of(app, client)
        sessions[kind] = after
        assert after == before  # the visitor's session is untouched either way
        assert client.get("/account/").status_code == 302  # and nobody is logged in

    assert answers["new"] == answers["taken"] == (302, "/account/check-email", False)
    assert pages["new"] == pages["taken"]
    assert "Check your email to continue" in pages["new"][1]
    assert sessions["new"].keys() == sessions["taken"].keys()


def test_the_owner_of_a_taken_address_is_told_and_nothing_changes(
    app, client, db, make_user, login, mailbox
):
    owner = make_user(email="grace@example.com", name="Grace Owner")
    old_hash = owner.password_hash
    r = post_form(
        client,
        "/account/register",
        sign_up_form(" GRACE@example.com", name="Mallory", password="a different secret"),
    )
    assert r.status_code == 302

    [message] = mailbox  # through the outbox and the SMTP server, like every email
    assert message["To"] == "grace@example.com"
    assert message["Subject"] == "Someone tried to sign up at Harbor & Hall with your email address"
    text = email_text(message)
    assert "Hello Grace Owner" in text and "http://shop.test/account/login" in text
    assert "Mallory" not in text  # nothing the visitor typed reaches the owner

    assert count(db, User) == 1 and count(db, Registration) == 0
    db.session.refresh(owner)
    assert (owner.name, owner.password_hash) == ("Grace Owner", old_hash)
    other = app.test_client()
    assert (
        post_form(
            other,
            "/account/login",
            {"email": "grace@example.com", "password": "a different secret"},
        ).status_code
        == 401
    )
    assert login(owner).status_code == 302


def test_both_answers_hash_the_password_and_send_one_email(
    app, db, make_user, mailbox, monkeypatch
):
    """The same work both ways: the hash (most of the time taken) and one email sent inline."""
    make_user(email="taken@example.com")
    hashed = []
    real = passwords.hash_password
    monkeypatch.setattr(registration, "hash_password", lambda p: hashed.append(p) or real(p))
    for kind in ("new", "taken"):
        before = len(mailbox)
        post_form(app.test_client(), "/account/register", sign_up_form(f"{kind}@example.com"))
        assert (len(hashed), len(mailbox) - before) == (1, 1), kind
        hashed.clear()


def test_both_answers_take_about_the_same_time(app, db, make_user, mailbox):
    """Medians of alternated runs, on a shared machine: a fast refusal (no hash, no email)
    took under a fifth of a sign-up's time before; the bound leaves room for noise."""
    make_user(email="taken@example.com")
    times = {"new": [], "taken": []}
    for n in range(6):
        for kind in ("new", "taken"):
            client = app.test_client()
            email = f"new{n}@example.com" if kind == "new" else "taken@example.com"
            form = sign_up_form(email) | {"csrf_token": csrf_token(client, "/account/register")}
            started = time.perf_counter()
            assert client.post("/account/register", data=form).status_code == 302
            times[kind].append(time.perf_counter() - started)
    ratio = statistics.median(times["taken"]) / statistics.median(times["new"])
    assert 0.5 < ratio < 2, times


def test_a_pending_sign_up_gives_no_login(app, client, db):
    """Until the link is followed there is no account, so signing up with someone else's
    address and then logging in with the password one chose tells nothing either."""
    post_form(client, "/account/register", sign_up_form("pending@example.com"))
    r = post_form(
        app.test_client(), "/account/login", {"email": "pending@example.com", "password": PASSWORD}
    )
    assert r.status_code == 401
    assert "do not match an account" in r.get_data(as_text=True)


def test_two_sign_ups_for_one_address_make_one_account(app, db, mailbox):
    first, second = app.test_client(), app.test_client()
    post_form(first, "/account/register", sign_up_form("twice@example.com", name="One"))
    link_one = sign_up_link("twice@example.com")
    post_form(second, "/account/register", sign_up_form("twice@example.com", name="Two"))
    link_two = sign_up_link("twice@example.com")
    assert link_one != link_two
    assert post_form(second, link_two, {}, csrf_page=link_two).status_code == 302
    r = first.get(link_one)
    assert r.status_code == 400 and "already been used" in r.get_data(as_text=True)
    assert db.session.scalars(sa.select(User.name)).all() == ["Two"]


def test_a_sign_up_link_expires(client, db):
    post_form(client, "/account/register", sign_up_form("late@example.com"))
    link = sign_up_link("late@example.com")
    db.session.execute(
        sa.update(Registration).values(created_at=utcnow() - timedelta(days=7, minutes=1))
    )
    db.session.commit()
    r = client.get(link)
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    assert count(db, User) == 0


def test_an_account_made_meanwhile_keeps_its_address(client, db, make_user):
    post_form(client, "/account/register", sign_up_form("race@example.com"))
    link = sign_up_link("race@example.com")
    make_user(email="race@example.com", name="Made By Staff")
    r = post_form(client, link, {}, csrf_page=link)
    assert r.status_code == 400 and "already an account" in r.get_data(as_text=True)
    assert db.session.scalars(sa.select(User.name)).all() == ["Made By Staff"]


def test_a_made_up_link_is_a_clear_400(client):
    r = client.get("/account/confirm/" + "x" * 43)
    assert r.status_code == 400 and "expired or has already been used" in r.get_data(as_text=True)
    assert post_form(client, "/account/confirm/nothing", {}).status_code == 400
