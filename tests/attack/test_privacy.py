"""Privacy: after a card checkout, a registration, a password change, logins and a ticket, no
card number, password, session token or CSRF token is in any text column of any table, nor
in the logs; personal pages are never cacheable."""

import json
import logging

import pytest
import sqlalchemy as sa

from shop.auth.roles import Role
from shop.orders.models import Order
from tests.checkout.conftest import (  # noqa: F401  (fixtures)
    ADDRESS,
    app_config,
    place,
)
from tests.conftest import CSRF_RE, PASSWORD, csrf_token, post_form, sign_up

VISA = "4242424242424242"
FIRST_PASSWORD = "first secret 9Qx!vT"
NEW_PASSWORD = "second secret 7Lm#pR"


def pay_json(client, url, body):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client)})


def session_data(app, client) -> dict:
    cookie = client.get_cookie("session")
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie.value)


def text_values(db) -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty text or JSON value in the database."""
    found = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str | bytes):
                        text = value.decode("latin-1") if isinstance(value, bytes) else value
                    elif isinstance(value, dict | list):
                        text = json.dumps(value)
                    else:
                        continue
                    if text:
                        found.append((table.name, column, text))
    return found


@pytest.fixture
def journey(app, client, db, piano, stripe_peer, make_user, caplog):
    """Register, change the password, log out and in, pay by card, open a ticket."""
    caplog.set_level(logging.DEBUG)
    secrets: dict[str, str] = {
        "card": VISA,
        "card with spaces": "4242 4242 4242 4242",
        "test password": PASSWORD,
        "first password": FIRST_PASSWORD,
        "new password": NEW_PASSWORD,
    }
    r = sign_up(
        client,
        {
            "name": "Priya Private",
            "email": "priya@example.com",
            "password": FIRST_PASSWORD,
            "confirm": FIRST_PASSWORD,
        },
    )
    assert r.status_code == 302
    r = post_form(
        client,
        "/account/password",
        {"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert r.status_code == 302
    post_form(client, "/account/logout", {})
    r = post_form(
        client, "/account/login", {"email": "priya@example.com", "password": NEW_PASSWORD}
    )
    assert r.status_code == 302
    form_token = CSRF_RE.search(client.get("/account/").get_data(as_text=True)).group(1)
    secrets["signed csrf token"] = form_token
    data = session_data(app, client)
    secrets["session token"] = data["_user_id"]
    secrets["csrf token"] = data["csrf_token"]
    secrets["session cookie"] = client.get_cookie("session").value

    # A card checkout, the card number also thrown at the pay endpoint as a careless page might.
    post_form(client, "/cart/add", {"variant_id": piano.variants[0].id, "quantity": 1})
    contact = {"email": "priya@example.com", "name": "Priya Private", "phone": "+1 503 555 0199"}
    assert post_form(client, "/checkout/contact", contact).status_code == 303
    assert post_form(client, "/checkout/address", ADDRESS).status_code == 303
    variant_id = piano.variants[0].id
    delivery = {f"delivery-{variant_id}": "white_glove"}
    assert post_form(client, "/checkout/delivery", delivery).status_code == 303
    pay_path = place(client).headers["Location"]
    assert pay_json(client, pay_path + "/setup", {}).status_code == 200
    card = {"payment_method": stripe_peer.card(VISA), "number": VISA, "cvc": "123"}
    assert pay_json(client, pay_path + "/card", card).status_code == 200
    order = db.session.scalar(sa.select(Order).order_by(Order.id.desc()))
    assert order.status == "placed" and order.user_id is not None

    r = post_form(
        client,
        "/support/new",
        {"kind": "question", "subject": "Tuning", "message": "When can the tuner come?"},
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    ticket_url = r.headers["Location"].split("#")[0]

    staff = app.test_client()
    manager = make_user(Role.MANAGER, email="mgr@example.com", name="Mia Manager")
    assert post_form(staff, "/account/login", {"email": manager.email, "password": PASSWORD})
    secrets["staff session token"] = session_data(app, staff)["_user_id"]
    return {
        "client": client,
        "secrets": secrets,
        "order": order,
        "ticket_url": ticket_url,
        "staff": staff,
    }


def test_no_secret_is_stored_or_logged(db, journey, caplog):
    secrets = journey["secrets"]
    for name, secret in secrets.items():
        assert len(secret) >= 12, name  # long enough that a hit is not chance
    values = text_values(db)
    assert any("Priya Private" in text for _, _, text in values), "the scan sees the data"
    for table, column, text in values:
        for name, secret in secrets.items():
            assert secret not in text, f"{name} stored in {table}.{column}"
    logged = caplog.text + "\n".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records
    )
    for name, secret in secrets.items():
        assert secret not in logged, f"{name} in the logs"
    assert_personal_pages_are_not_cacheable(journey)


def assert_personal_pages_are_not_cacheable(journey):
    """(Checked on the same journey, to pay for one checkout only.)"""
    client = journey["client"]
    order = journey["order"]
    staff = journey["staff"]
    pages = [
        (client, "/account/"),
        (client, "/orders/"),
        (client, f"/orders/{order.number}"),
        (client, journey["ticket_url"]),
        (client, "/support/"),
        (staff, "/staff/"),
        (staff, "/staff/orders"),
        (staff, f"/staff/orders/{order.number}"),
    ]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url
        assert "public" not in response.headers["Cache-Control"], url


def test_registration_never_tells_a_taken_email_and_is_rate_limited(client, make_user):
    """Login says the same for an unknown email and a wrong password, and registration the
    same for a taken address and a new one (tests/auth/test_registration.py); sign-ups are
    still held to 20 attempts an hour per client address."""
    make_user(email="taken@example.com")
    form = {
        "name": "Probe",
        "email": "taken@example.com",
        "password": "x" * 12,
        "confirm": "x" * 12,
    }
    answers = [post_form(client, "/account/register", form) for _ in range(21)]
    assert [r.status_code for r in answers] == [302] * 20 + [429]
    assert {r.headers["Location"] for r in answers[:20]} == {"/account/check-email"}
